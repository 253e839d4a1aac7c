/* SPDX-License-Identifier: MIT */
/* What the unit tests share: a temporary directory per test, files written into it, and
 * whole files read back; programs and packages built there; specs planned in a temporary
 * project and the plans looked at; images and tarballs written and read back. Every helper
 * fails the running cmocka test on an error. */
#ifndef DISTILL_TESTS_UNIT_TESTLIB_H
#define DISTILL_TESTS_UNIT_TESTLIB_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/compression.h"
#include "common/digest.h"
#include "manifest/spec.h"
#include "packer/archive/tar.h"
#include "packer/archive/tree.h"
#include "packer/image/image.h"
#include "packer/image/plan.h"
#include "verify/source.h"
#include "verify/stream.h"

/* The SOURCE_DATE_EPOCH the tests build at unless they say otherwise (2023-11-14T22:13:20Z). */
#define TL_EPOCH 1700000000

/* ---- files ---- */

/* A new empty directory under $TMPDIR (or /tmp), "distill-unit-XXXXXX": its path, which
 * stays valid until tl_rmtree() of it. */
const char *tl_tmpdir(void);
/* Removes the tree @dir (no symlink followed). */
void tl_rmtree(const char *dir);

/* The path @dir/@rel into @buf (at least 4096 bytes); @return @buf. */
char *tl_path(char *buf, const char *dir, const char *rel);
/* Writes @len bytes of @data (NUL-terminated text when @len is (size_t)-1) to @dir/@rel,
 * making its parent directories (0755), with @mode. */
void tl_write(const char *dir, const char *rel, const void *data, size_t len, mode_t mode);
/* mkdir -p @dir/@rel with @mode for the last component. */
void tl_mkdir(const char *dir, const char *rel, mode_t mode);
/* A symlink @dir/@rel -> @target. */
void tl_symlink(const char *dir, const char *rel, const char *target);
/* The whole file @path, NUL-terminated (free() it); its size in *@len when not NULL. */
char *tl_read(const char *path, size_t *len);
/* Copies at most @max bytes ((size_t)-1: all) of the file @from to @dir/@rel, as tl_write
 * does, with @mode. */
void tl_copy(const char *from, const char *dir, const char *rel, size_t max, mode_t mode);
/* The raw sha256 of the file @path into @md. @return its size. */
size_t tl_sha256_file(const char *path, unsigned char md[DT_SHA256_LEN]);
/* Asserts that @md is the raw sha256 of @len bytes of @data. */
void tl_expect_sha256(const unsigned char md[DT_SHA256_LEN], const void *data, size_t len);

/* ---- programs and packages ---- */

/* This machine's small dynamic program: /bin/true, else /usr/bin/env. */
const char *tl_host_program(void);
/* Runs `cc @args` in @dir (its sources written there first); it must succeed. */
void tl_cc(const char *dir, const char *args);
/* Builds the package @dir/@deb (its directories made) with dpkg-deb --build
 * --root-owner-group from the tree @dir/@tree: DEBIAN/control is written from @control,
 * then @files (shell, run in @dir/@tree under umask 022; NULL: none) makes the rest. The
 * tree is left for the caller to change and build again. */
void tl_deb_build(const char *dir, const char *tree, const char *control, const char *files,
		  const char *deb);

/* ---- specs and plans ---- */

/* The spec @yaml read as @dir/@file; it must parse. mf_spec_free() it. */
struct mf_spec *tl_spec_parse(const char *file, const char *dir, const char *yaml);

#define TL_MAX_PLANS 1024

/* One test's project: a new temporary directory holding the empty directories root/ (the
 * spec's root) and proj/ (the spec's directory), and what was planned there. */
struct tl_project {
	const char *name;          /* the image name of its specs: set before tl_project_open */
	int64_t epoch;             /* what tl_plan plans at (TL_EPOCH after open) */
	struct mf_spec *specs[TL_MAX_PLANS];
	struct pk_image *imgs[TL_MAX_PLANS];
	size_t nspecs, nimgs;
	char tmp[4096];            /* the temporary directory */
	char root[4200];           /* tmp/root */
	char proj[4200];           /* tmp/proj */
	char rproj[PATH_MAX];      /* proj's realpath, as host sources name it */
};

/* Makes @p's directories (keeping @p->name) and sets @p->epoch to TL_EPOCH. */
void tl_project_open(struct tl_project *p);
/* Frees every spec and image planned in @p and removes its directory. */
void tl_project_close(struct tl_project *p);
/* cmocka fixtures over the tl_project a test's prestate points to
 * (cmocka_unit_test_prestate_setup_teardown): tl_project_open, tl_project_close. */
int tl_project_setup(void **state);
int tl_project_teardown(void **state);
/* Plans "name: @p->name", "root: @root" and @body, read as @p->proj/app.yaml (it must
 * parse), at @p->epoch with the .debs of @debs (NULL: the spec's). @return pk_image_plan's
 * code, checked against its contract: the image in *@out (freed by tl_project_close), or
 * NULL and @err's code the error. */
int tl_plan(struct tl_project *p, const char *root, const char *body, const char *debs,
	    struct pk_image **out, struct dt_err *err);
/* tl_plan of @body in @p->root without .debs: it must succeed, and the plan pass
 * tl_check_plan. */
struct pk_image *tl_plan_ok(struct tl_project *p, const char *body);
/* tl_plan of @body in @p->root without .debs fails with -DT_EINPUT and exactly @msg. */
void tl_plan_fails(struct tl_project *p, const char *body, const char *msg);
/* "host:<@p->rproj>/@rel" (one of 4 buffers, used in turn). */
const char *tl_host(const struct tl_project *p, const char *rel);

/* The invariants of every plan: sorted, unique, absolute paths; every parent a directory
 * of the plan, in a layer as low, at the entry's parent index; in-memory content hashed;
 * links set. */
void tl_check_plan(const struct pk_image *img);
/* The entry of the plan @img at the image path @path, or NULL. */
const struct pk_plan_entry *tl_find(const struct pk_image *img, const char *path);
/* The entry of the plan @img at @path, which must be there. */
const struct pk_plan_entry *tl_get(const struct pk_image *img, const char *path);
/* The plan @img holds exactly the @n paths @want, in that order. */
void tl_expect_paths(const struct pk_image *img, const char *const *want, size_t n);
/* @e has @type, @mode, @uid:@gid and @layer. */
void tl_expect_meta(const struct pk_plan_entry *e, enum pk_plan_type type, uint32_t mode,
		    uint32_t uid, uint32_t gid, enum pk_plan_layer layer);
/* @e is a regular file whose content is @text: in memory when @mem, else to be read from
 * its root. */
void tl_expect_content(const struct pk_plan_entry *e, const char *text, int mem);

/* ---- images ---- */

/* Writes @img to @out as @f, layers compressed with @c at its default level, tagged @tag
 * (NULL: the spec's); the result in *@res when not NULL. */
void tl_image_write(struct pk_image *img, const char *out, enum pk_image_format f,
		    enum dt_compression c, const char *tag, struct pk_build_result *res);
/* Builds the spec @yaml, read as @dir/spec.yaml, planned at @epoch, into @out as
 * tl_image_write does. */
void tl_build(const char *dir, const char *yaml, int64_t epoch, const char *out,
	      enum pk_image_format f, enum dt_compression c, const char *tag,
	      struct pk_build_result *res);
/* vf_source_open(@path, @ref), which must succeed. vf_source_free() it. */
struct vf_source *tl_source_open(const char *path, const char *ref);
/* Layer @i of @s, read with its entries into @st (vf_stream_release() it). */
void tl_read_layer(const struct vf_source *s, size_t i, struct vf_stream *st);

/* ---- tarballs ---- */

/* Adds to @t the entry @path of @type made by hand (no content root, metadata fixed) with
 * @mode, @uid and @mtime: @data is a regular file's @len bytes (NUL-terminated text when
 * @len is (size_t)-1), copied, or a symlink's target (NUL-terminated). */
void tl_tree_put(struct pk_tree *t, const char *path, enum pk_type type, uint32_t mode,
		 uint32_t uid, int64_t mtime, const void *data, size_t len);
/* Writes @t, then frees it, as the new tar @path (0644) compressed with @c at its default
 * level, after pk_tree_normalize at @epoch unless @epoch is negative (then in the order
 * the entries were added); the result in *@res when not NULL. */
void tl_tar_write(struct pk_tree *t, const char *path, int64_t epoch, enum dt_compression c,
		  struct pk_tar_result *res);

#endif
