/* SPDX-License-Identifier: MIT */
/* Unit tests of verify/view: the merge of layers (later entries replace earlier ones,
 * whiteouts and opaque whiteouts hide lower layers only, sorted result), and the view of
 * built images and tarballs with the owning package and version of each file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive_entry.h>

#include "common/digest.h"
#include "manifest/spec.h"
#include "packer/archive/tar.h"
#include "packer/archive/tree.h"
#include "packer/image/image.h"
#include "testlib.h"
#include "verify/view.h"

#define EPOCH 1700000000

/* ---- the merge, on synthetic contents ---- */

struct in {
	const char *name;
	size_t layer;
	uint32_t type;
	uint64_t size;
};

/* A view holding @n files as read from their layers (in the order given). */
static struct vf_view *synthetic(const struct in *v, size_t n)
{
	struct vf_view *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	assert_non_null(w->files = calloc(n + 1, sizeof(*w->files)));
	w->cap = n + 1;
	for (size_t i = 0; i < n; i++) {
		struct vf_view_file *f = &w->files[w->nfiles++];
		assert_non_null(f->name = dt_arena_strndup(&w->names, v[i].name,
							   strlen(v[i].name)));
		f->type = v[i].type ? v[i].type : AE_IFREG;
		f->index = (uint32_t)i; /* which input survived: its size says */
		f->layer = (uint32_t)v[i].layer;
	}
	return w;
}

struct out {
	const char *name;
	size_t layer;
	uint64_t size;
};

/* Merges @v and checks that exactly @want remain, in that order. */
static void merge(const struct in *v, size_t n, const struct out *want, size_t nwant)
{
	struct vf_view *w = synthetic(v, n);
	struct dt_err err;

	assert_int_equal(vf_view_merge(w, &err), 0);
	for (size_t i = 0; i < w->nfiles && i < nwant; i++) {
		if (strcmp(w->files[i].name, want[i].name) != 0)
			fail_msg("file %zu: '%s', want '%s'", i, w->files[i].name, want[i].name);
		assert_int_equal(w->files[i].layer, want[i].layer);
		assert_int_equal(v[w->files[i].index].size, want[i].size);
	}
	assert_int_equal(w->nfiles, nwant);
	vf_view_free(w);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define D AE_IFDIR

static void test_merge_replace(void **state)
{
	/* layers given out of order: the highest layer of a name wins, whatever the input order */
	static const struct in v[] = {
		{ "etc/conf", 1, 0, 5 }, { "etc", 0, D, 0 }, { "etc/conf", 0, 0, 4 },
		{ "etc/conf", 2, 0, 6 }, { "etc/other", 1, 0, 1 }, { "etc", 2, D, 0 },
	};
	static const struct out want[] = {
		{ "etc", 2, 0 }, { "etc/conf", 2, 6 }, { "etc/other", 1, 1 },
	};
	(void)state;
	merge(v, N(v), want, N(want));
}

static void test_merge_sorted(void **state)
{
	static const struct in v[] = {
		{ "z", 0, 0, 0 }, { "a/x", 0, 0, 0 }, { "a.c", 0, 0, 0 }, { "a", 0, D, 0 },
		{ "a-b", 0, 0, 0 }, { "B", 0, 0, 0 },
	};
	/* strcmp order: "B" < "a" < "a-b" < "a.c" < "a/x" < "z" */
	static const struct out want[] = {
		{ "B", 0, 0 }, { "a", 0, 0 }, { "a-b", 0, 0 }, { "a.c", 0, 0 }, { "a/x", 0, 0 },
		{ "z", 0, 0 },
	};
	struct vf_view *w = synthetic(NULL, 0);
	struct dt_err err;
	(void)state;
	merge(v, N(v), want, N(want));
	assert_int_equal(vf_view_merge(w, &err), 0); /* nothing at all */
	assert_int_equal(w->nfiles, 0);
	vf_view_free(w);
}

static void test_merge_whiteout(void **state)
{
	static const struct in v[] = {
		{ "a", 0, D, 0 }, { "a/x", 0, 0, 1 }, { "a/y", 0, 0, 2 }, { "a/xx", 0, 0, 3 },
		{ "d", 0, D, 0 }, { "d/k", 0, 0, 4 }, { "d/sub", 0, D, 0 },
		{ "d/sub/deep", 0, 0, 5 },
		{ "dd", 0, 0, 6 },
		/* layer 1 removes a/x (not a/xx) and d with its subtree (not dd) */
		{ "a/.wh.x", 1, 0, 0 }, { ".wh.d", 1, 0, 0 },
		/* ... and f, which only its own layer has: kept */
		{ "f", 1, 0, 7 }, { ".wh.f", 1, 0, 0 },
		/* a whiteout of a name no layer has */
		{ "a/.wh.nothing", 1, 0, 0 },
		/* layer 2 brings a/x back: whiteouts hide lower layers only */
		{ "a/x", 2, 0, 8 },
	};
	static const struct out want[] = {
		{ "a", 0, 0 }, { "a/x", 2, 8 }, { "a/xx", 0, 3 }, { "a/y", 0, 2 }, { "dd", 0, 6 },
		{ "f", 1, 7 },
	};
	(void)state;
	merge(v, N(v), want, N(want));
}

/* The example of the image-spec (layer.md, "Whiteouts"): a/.wh..wh..opq in layer 1 hides
 * everything below a/ from layer 0, a/ itself stays, and layer 1's own a/b/c/foo too. */
static void test_merge_opaque(void **state)
{
	static const struct in v[] = {
		{ "a", 0, D, 0 }, { "a/b", 0, D, 0 }, { "a/b/c", 0, D, 0 },
		{ "a/b/c/bar", 0, 0, 1 },
		{ "a/top", 0, 0, 2 }, { "ab", 0, 0, 3 },
		{ "a/b", 1, D, 0 }, { "a/b/c", 1, D, 0 }, { "a/b/c/foo", 1, 0, 4 },
		{ "a/.wh..wh..opq", 1, 0, 0 }, /* after its siblings: the order does not matter */
	};
	static const struct out want[] = {
		{ "a", 0, 0 }, { "a/b", 1, 0 }, { "a/b/c", 1, 0 }, { "a/b/c/foo", 1, 4 },
		{ "ab", 0, 3 },
	};
	/* an opaque whiteout at the top hides every lower entry */
	static const struct in top[] = {
		{ "a", 0, D, 0 }, { "a/x", 0, 0, 1 }, { ".wh..wh..opq", 1, 0, 0 }, { "b", 1, 0, 2 },
		{ "c", 2, 0, 3 },
	};
	static const struct out top_want[] = { { "b", 1, 2 }, { "c", 2, 3 } };
	(void)state;
	merge(v, N(v), want, N(want));
	merge(top, N(top), top_want, N(top_want));
}

/* A later layer's file where a lower layer had a directory: the image-spec ("Changeset over
 * existing files") removes the path, so the directory's content goes with it. */
static void test_merge_file_over_dir(void **state)
{
	static const struct in v[] = {
		{ "g", 0, D, 0 }, { "g/sub", 0, 0, 1 }, { "g", 1, 0, 2 },
	};
	static const struct out want[] = { { "g", 1, 2 } };
	struct vf_view *w = synthetic(v, N(v));
	struct dt_err err;
	(void)state;

	assert_int_equal(vf_view_merge(w, &err), 0);
	vf_view_free(w);
	merge(v, N(v), want, N(want));
}

/* ---- whole images and tarballs ---- */

static const struct vf_view_file *find(const struct vf_view *v, const char *name)
{
	for (size_t i = 0; i < v->nfiles; i++)
		if (strcmp(v->files[i].name, name) == 0)
			return &v->files[i];
	return NULL;
}

static void owned(const struct vf_view *v, const char *name, const char *pkg,
		  const char *version, size_t layer)
{
	const struct vf_view_file *f = find(v, name);

	if (!f)
		fail_msg("no '%s' in the view", name);
	assert_int_equal(f->layer, layer);
	if (pkg) {
		assert_non_null(f->pkg);
		assert_string_equal(f->pkg, pkg);
		assert_non_null(f->version);
		assert_string_equal(f->version, version);
	} else {
		assert_null(f->pkg);
		assert_null(f->version);
	}
}

static void test_open_image(void **state)
{
	static const char *const names[] = {
		"app", "app/hello", "usr", "usr/bin", "usr/bin/tt", "usr/share", "usr/share/t",
		"usr/share/t/a.txt", "var", "var/lib", "var/lib/dpkg", "var/lib/dpkg/status.d",
		"var/lib/dpkg/status.d/t", "var/lib/dpkg/status.d/t.md5sums",
	};
	const char *d = tl_tmpdir();
	char out[4096];
	struct pk_build_result res;
	struct vf_view *v = NULL;
	struct dt_err err;
	(void)state;

	tl_deb_build(d, "p", "Package: t\nVersion: 1:2.0-1\nArchitecture: amd64\n"
		     "Maintainer: t <t@x>\nDescription: test\n more\n",
		     "mkdir -p usr/bin usr/share/t; printf hello > usr/share/t/a.txt; "
		     "printf '#!/bin/sh\\n' > usr/bin/tt; chmod 755 usr/bin/tt",
		     "debs/t_2.0-1_amd64.deb");
	tl_write(d, "files/hello", "hello\n", (size_t)-1, 0644);
	tl_build(d, "name: test/pkg:1\nplatform: linux/amd64\nbase: scratch\ndebs: ./debs\n"
		 "packages: [{name: t, closure: false}]\nfiles:\n  - {src: ./files, dst: /app}\n",
		 EPOCH, tl_path(out, d, "layout"), PK_FORMAT_OCI, DT_COMP_GZIP, NULL, &res);
	assert_int_equal(res.nlayers, 2);

	if (vf_view_open(out, NULL, &v, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(v->src->kind, VF_SOURCE_LAYOUT);
	assert_int_equal(v->src->nlayers, 2);
	assert_string_equal(v->layers[0].digest, res.layers[0]);
	assert_string_equal(v->layers[1].diff_id, res.diff_ids[1]);
	/* every name once, without "/" at either end, sorted */
	assert_int_equal(v->nfiles, N(names));
	for (size_t i = 0; i < N(names); i++)
		assert_string_equal(v->files[i].name, names[i]);
	owned(v, "usr/bin/tt", "t", "1:2.0-1", 0);
	owned(v, "usr/share/t/a.txt", "t", "1:2.0-1", 0);
	/* directories, status.d itself and the app's files belong to no package */
	owned(v, "usr/share/t", NULL, NULL, 0);
	owned(v, "var/lib/dpkg/status.d/t", NULL, NULL, 0);
	owned(v, "var/lib/dpkg/status.d/t.md5sums", NULL, NULL, 0);
	owned(v, "app/hello", NULL, NULL, 1);
	{
		struct vf_stream_entry e;
		vf_view_entry(v, find(v, "usr/bin/tt"), &e);
		assert_int_equal(e.mode, 0755);
		vf_view_entry(v, find(v, "usr/share/t/a.txt"), &e);
		assert_int_equal(e.size, 5);
		assert_string_equal(e.name, "usr/share/t/a.txt");
	}
	vf_view_free(v);

	assert_true(vf_view_open(out, "other", &v, &err) < 0);
	assert_null(v);
	assert_non_null(strstr(err.msg, "no image named 'other' (it has: test/pkg:1)"));
	tl_rmtree(d);
}

struct ent {
	const char *path;
	enum pk_type type;
	const char *data;
};

/* The view of rootfs.tar.gz, written in @d from @n entries in the order given (not
 * normalized), every metadata fixed. */
static struct vf_view *open_tarball(const char *d, const struct ent *v, size_t n)
{
	struct pk_tree *t = pk_tree_new();
	struct vf_view *w = NULL;
	struct dt_err err;
	char path[4096];

	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		tl_tree_put(t, v[i].path, v[i].type, v[i].type == PK_DIR ? 0755 : 0644, 0, EPOCH,
			    v[i].data, (size_t)-1);
	tl_tar_write(t, tl_path(path, d, "rootfs.tar.gz"), -1, DT_COMP_GZIP, NULL);
	if (vf_view_open(path, NULL, &w, &err) < 0)
		fail_msg("%s", err.msg);
	return w;
}

#define STANZA "Package: z\nVersion: 3.1-2\nDescription: z\n Version: 9\n"
#define MD5S "0123456789abcdef0123456789abcdef  ./usr/lib/z.so\n" \
	     "0123456789abcdef0123456789abcdef  /usr/share/z/\n"

/* A tarball is one layer: "./" and "/" prefixes go, md5sums lines name owners. */
static void test_open_tarball(void **state)
{
	static const struct ent v[] = {
		{ "./", PK_DIR, NULL },
		{ "./usr/lib/z.so", PK_REG, "elf" },
		{ "./usr/share/z", PK_DIR, NULL },
		{ "./usr/share/z/README", PK_REG, "read me" },
		{ "./var/lib/dpkg/status.d/z", PK_REG, STANZA },
		{ "./var/lib/dpkg/status.d/z.md5sums", PK_REG, MD5S },
	};
	const char *d = tl_tmpdir();
	struct vf_view *w = open_tarball(d, v, N(v));
	(void)state;

	assert_int_equal(w->src->kind, VF_SOURCE_TARBALL);
	assert_int_equal(w->src->nlayers, 1);
	assert_int_equal(w->layers[0].comp, DT_COMP_GZIP);
	/* the root "./" itself is not a file of the view */
	assert_int_equal(w->nfiles, 5);
	assert_string_equal(w->files[0].name, "usr/lib/z.so");
	owned(w, "usr/lib/z.so", "z", "3.1-2", 0);
	/* a directory named in md5sums (with a trailing "/") */
	owned(w, "usr/share/z", "z", "3.1-2", 0);
	owned(w, "usr/share/z/README", NULL, NULL, 0);
	vf_view_free(w);
	tl_rmtree(d);
}

/* The same files with status.d/z.md5sums before status.d/z in the tar. */
static void test_open_md5sums_first(void **state)
{
	static const struct ent v[] = {
		{ "usr/lib/z.so", PK_REG, "elf" },
		{ "var/lib/dpkg/status.d/z.md5sums", PK_REG, MD5S },
		{ "var/lib/dpkg/status.d/z", PK_REG, STANZA },
	};
	const char *d = tl_tmpdir();
	const struct vf_view_file *f;
	struct vf_view *w = open_tarball(d, v, N(v));
	(void)state;

	assert_non_null(f = find(w, "usr/lib/z.so"));
	assert_non_null(f->pkg);
	assert_string_equal(f->pkg, "z");
	assert_string_equal(f->version, "3.1-2");
	vf_view_free(w);
	tl_rmtree(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_replace),
		cmocka_unit_test(test_merge_sorted),
		cmocka_unit_test(test_merge_whiteout),
		cmocka_unit_test(test_merge_opaque),
		cmocka_unit_test(test_merge_file_over_dir),
		cmocka_unit_test(test_open_image),
		cmocka_unit_test(test_open_tarball),
		cmocka_unit_test(test_open_md5sums_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
