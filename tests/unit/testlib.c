/* SPDX-License-Identifier: MIT */
/* Shared unit-test helpers (see testlib.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/tempfile.h"
#include "packer/archive/compress.h"
#include "testlib.h"

static char dirs[16][4096];
static unsigned ndirs;

const char *tl_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *d = dirs[ndirs++ % 16];

	snprintf(d, 4096, "%s/distill-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(d));
	return d;
}

void tl_rmtree(const char *dir)
{
	dt_temp_remove_tree(AT_FDCWD, dir);
}

char *tl_path(char *buf, const char *dir, const char *rel)
{
	snprintf(buf, 4096, "%s/%s", dir, rel);
	return buf;
}

static void parents(const char *dir, const char *rel)
{
	char p[4096];

	tl_path(p, dir, rel);
	for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
		*s = '/';
	}
}

void tl_write(const char *dir, const char *rel, const void *data, size_t len, mode_t mode)
{
	char p[4096];
	int fd;

	parents(dir, rel);
	if (len == (size_t)-1)
		len = strlen(data);
	fd = open(tl_path(p, dir, rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dt_write_all(fd, data, len), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

void tl_mkdir(const char *dir, const char *rel, mode_t mode)
{
	char p[4096];

	parents(dir, rel);
	assert_true(mkdir(tl_path(p, dir, rel), mode) == 0 || errno == EEXIST);
	assert_int_equal(chmod(p, mode), 0);
}

void tl_symlink(const char *dir, const char *rel, const char *target)
{
	char p[4096];

	parents(dir, rel);
	assert_int_equal(symlink(target, tl_path(p, dir, rel)), 0);
}

char *tl_read(const char *path, size_t *len)
{
	struct dt_err err;
	char *buf = NULL;
	size_t n = 0;

	if (dt_read_file(AT_FDCWD, path, (size_t)1 << 30, &buf, &n, &err) < 0)
		fail_msg("%s", err.msg);
	if (len)
		*len = n;
	return buf;
}

void tl_copy(const char *from, const char *dir, const char *rel, size_t max, mode_t mode)
{
	size_t len;
	char *buf = tl_read(from, &len);

	tl_write(dir, rel, buf, len < max ? len : max, mode);
	free(buf);
}

size_t tl_sha256_file(const char *path, unsigned char md[DT_SHA256_LEN])
{
	size_t len;
	char *buf = tl_read(path, &len);

	dt_sha256(buf, len, md);
	free(buf);
	return len;
}

void tl_expect_sha256(const unsigned char md[DT_SHA256_LEN], const void *data, size_t len)
{
	unsigned char want[DT_SHA256_LEN];

	dt_sha256(data, len, want);
	assert_memory_equal(md, want, DT_SHA256_LEN);
}

/* ---- programs and packages ---- */

const char *tl_host_program(void)
{
	return access("/bin/true", R_OK) == 0 ? "/bin/true" : "/usr/bin/env";
}

void tl_cc(const char *dir, const char *args)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "cd '%s' && cc %s", dir, args);
	assert_int_equal(system(cmd), 0);
}

void tl_deb_build(const char *dir, const char *tree, const char *control, const char *files,
		  const char *deb)
{
	char rel[4096], cmd[16384];

	snprintf(rel, sizeof(rel), "%s/DEBIAN", tree);
	tl_mkdir(dir, tree, 0755);
	tl_mkdir(dir, rel, 0755);
	snprintf(rel, sizeof(rel), "%s/DEBIAN/control", tree);
	tl_write(dir, rel, control, (size_t)-1, 0644);
	if (files) {
		snprintf(cmd, sizeof(cmd), "set -e; umask 022; cd '%s/%s'; %s", dir, tree, files);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(cmd, sizeof(cmd), "set -e; umask 022; cd '%s'; mkdir -p \"$(dirname '%s')\"; "
		 "dpkg-deb --build --root-owner-group '%s' '%s' >/dev/null", dir, deb, tree, deb);
	assert_int_equal(system(cmd), 0);
}

/* ---- specs and plans ---- */

struct mf_spec *tl_spec_parse(const char *file, const char *dir, const char *yaml)
{
	struct mf_spec *s = NULL;
	struct dt_err err;

	if (mf_spec_parse(file, dir, yaml, strlen(yaml), &s, &err) < 0)
		fail_msg("spec: %s", err.msg);
	assert_non_null(s);
	return s;
}

void tl_project_open(struct tl_project *p)
{
	snprintf(p->tmp, sizeof(p->tmp), "%s", tl_tmpdir());
	snprintf(p->root, sizeof(p->root), "%s/root", p->tmp);
	snprintf(p->proj, sizeof(p->proj), "%s/proj", p->tmp);
	tl_mkdir(p->tmp, "root", 0755);
	tl_mkdir(p->tmp, "proj", 0755);
	assert_non_null(realpath(p->proj, p->rproj));
	p->epoch = TL_EPOCH;
	p->nspecs = p->nimgs = 0;
}

void tl_project_close(struct tl_project *p)
{
	for (size_t i = 0; i < p->nimgs; i++)
		pk_image_free(p->imgs[i]);
	for (size_t i = 0; i < p->nspecs; i++)
		mf_spec_free(p->specs[i]);
	p->nspecs = p->nimgs = 0;
	tl_rmtree(p->tmp);
}

int tl_project_setup(void **state)
{
	tl_project_open(*state);
	return 0;
}

int tl_project_teardown(void **state)
{
	tl_project_close(*state);
	return 0;
}

int tl_plan(struct tl_project *p, const char *root, const char *body, const char *debs,
	    struct pk_image **out, struct dt_err *err)
{
	struct pk_plan_opts o = { .debs = debs, .epoch = p->epoch };
	struct dt_buf y = { 0 };
	struct mf_spec *s;
	int rc;

	dt_buf_add(&y, "name: %s\nroot: %s\n%s", p->name, root, body);
	assert_false(y.oom);
	s = tl_spec_parse("app.yaml", p->proj, y.s);
	dt_buf_release(&y);
	assert_true(p->nspecs < TL_MAX_PLANS && p->nimgs < TL_MAX_PLANS);
	p->specs[p->nspecs++] = s;
	dt_err_clear(err);
	*out = NULL;
	rc = pk_image_plan(s, &o, out, err);
	if (rc == 0) {
		assert_non_null(*out);
		p->imgs[p->nimgs++] = *out;
	} else {
		assert_true(rc < 0);
		assert_null(*out);
		assert_int_equal(err->code, -rc);
	}
	return rc;
}

struct pk_image *tl_plan_ok(struct tl_project *p, const char *body)
{
	struct pk_image *img;
	struct dt_err err;

	if (tl_plan(p, p->root, body, NULL, &img, &err) < 0)
		fail_msg("plan: %s", err.msg);
	tl_check_plan(img);
	return img;
}

void tl_plan_fails(struct tl_project *p, const char *body, const char *msg)
{
	struct pk_image *img;
	struct dt_err err;

	assert_int_equal(tl_plan(p, p->root, body, NULL, &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
}

const char *tl_host(const struct tl_project *p, const char *rel)
{
	static char buf[4][2 * PATH_MAX];
	static unsigned k;
	char *b = buf[k++ % 4];

	snprintf(b, sizeof(buf[0]), "host:%s/%s", p->rproj, rel);
	return b;
}

void tl_check_plan(const struct pk_image *img)
{
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const char *slash = strrchr(e->path, '/');
		assert_true(e->path[0] == '/' && e->path[1] != '\0');
		assert_null(strstr(e->path, "//"));
		assert_true(slash[1] != '\0');
		if (i > 0 && strcmp(img->v[i - 1].path, e->path) >= 0)
			fail_msg("not sorted: '%s' before '%s'", img->v[i - 1].path, e->path);
		if (slash == e->path) {
			assert_true(e->parent == PK_PLAN_NO_PARENT);
		} else {
			const struct pk_plan_entry *p;
			size_t len = (size_t)(slash - e->path);
			if (e->parent == PK_PLAN_NO_PARENT || e->parent >= i)
				fail_msg("'%s' has no parent index", e->path);
			p = &img->v[e->parent];
			if (strlen(p->path) != len || strncmp(p->path, e->path, len) != 0)
				fail_msg("parent of '%s' is '%s'", e->path, p->path);
			assert_int_equal(p->type, PK_PLAN_DIR);
			assert_true(p->layer <= e->layer);
		}
		if (e->type == PK_PLAN_REG && e->data)
			tl_expect_sha256(e->sha256, e->data, e->size);
		if (e->type == PK_PLAN_SYMLINK || e->type == PK_PLAN_HARDLINK)
			assert_non_null(e->link);
	}
}

const struct pk_plan_entry *tl_find(const struct pk_image *img, const char *path)
{
	for (size_t i = 0; i < img->n; i++)
		if (strcmp(img->v[i].path, path) == 0)
			return &img->v[i];
	return NULL;
}

const struct pk_plan_entry *tl_get(const struct pk_image *img, const char *path)
{
	const struct pk_plan_entry *e = tl_find(img, path);

	if (!e)
		fail_msg("'%s' is not in the plan", path);
	return e;
}

void tl_expect_paths(const struct pk_image *img, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n && i < img->n; i++)
		assert_string_equal(img->v[i].path, want[i]);
	assert_int_equal(img->n, n);
}

void tl_expect_meta(const struct pk_plan_entry *e, enum pk_plan_type type, uint32_t mode,
		    uint32_t uid, uint32_t gid, enum pk_plan_layer layer)
{
	if (e->type != type || e->mode != mode || e->uid != uid || e->gid != gid ||
	    e->layer != layer)
		fail_msg("'%s': type %d mode %o %u:%u layer %d, expected %d %o %u:%u %d", e->path,
			 e->type, e->mode, e->uid, e->gid, e->layer, type, mode, uid, gid, layer);
}

void tl_expect_content(const struct pk_plan_entry *e, const char *text, int mem)
{
	assert_int_equal(e->type, PK_PLAN_REG);
	assert_int_equal(e->size, strlen(text));
	tl_expect_sha256(e->sha256, text, strlen(text));
	if (mem) {
		assert_non_null(e->data);
		assert_memory_equal(e->data, text, strlen(text));
	} else {
		assert_null(e->data);
	}
}

/* ---- images ---- */

void tl_image_write(struct pk_image *img, const char *out, enum pk_image_format f,
		    enum dt_compression c, const char *tag, struct pk_build_result *res)
{
	struct pk_build_opts o = { .format = f, .compression = c,
				   .level = pk_compression_default_level(c), .tag = tag };
	struct pk_build_result mine;
	struct dt_err err;

	if (pk_image_write(img, out, &o, res ? res : &mine, &err) < 0)
		fail_msg("write %s: %s", out, err.msg);
}

void tl_build(const char *dir, const char *yaml, int64_t epoch, const char *out,
	      enum pk_image_format f, enum dt_compression c, const char *tag,
	      struct pk_build_result *res)
{
	struct pk_plan_opts o = { .epoch = epoch };
	struct mf_spec *spec = tl_spec_parse("spec.yaml", dir, yaml);
	struct pk_image *img = NULL;
	struct dt_err err;

	if (pk_image_plan(spec, &o, &img, &err) < 0)
		fail_msg("plan: %s", err.msg);
	tl_image_write(img, out, f, c, tag, res);
	pk_image_free(img);
	mf_spec_free(spec);
}

struct vf_source *tl_source_open(const char *path, const char *ref)
{
	struct vf_source *s = NULL;
	struct dt_err err;

	if (vf_source_open(path, ref, &s, &err) < 0)
		fail_msg("open %s: %s", path, err.msg);
	assert_non_null(s);
	return s;
}

void tl_read_layer(const struct vf_source *s, size_t i, struct vf_stream *st)
{
	struct vf_stream_opts o = { .name = "layer", .entries = 1 };
	struct dt_err err;

	if (vf_source_read(s, i, &o, st, &err) < 0) {
		vf_stream_release(st);
		fail_msg("read layer %zu: %s", i + 1, err.msg);
	}
}

/* ---- tarballs ---- */

void tl_tree_put(struct pk_tree *t, const char *path, enum pk_type type, uint32_t mode,
		 uint32_t uid, int64_t mtime, const void *data, size_t len)
{
	char p[4096], l[4096];
	struct pk_entry e = { .type = type, .mode = mode, .uid = uid, .mtime = mtime, .root = -1,
			      .fixed = 1 };
	unsigned char *copy = NULL;
	struct dt_err err;

	snprintf(p, sizeof(p), "%s", path);
	e.path = p;
	if (type == PK_SYMLINK) {
		snprintf(l, sizeof(l), "%s", (const char *)data);
		e.link = l;
	} else if (type == PK_REG) {
		e.size = len == (size_t)-1 ? strlen(data) : len;
		assert_non_null(copy = malloc(e.size + 1));
		memcpy(copy, data, e.size);
	}
	if (pk_tree_add(t, &e, copy, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
}

void tl_tar_write(struct pk_tree *t, const char *path, int64_t epoch, enum dt_compression c,
		  struct pk_tar_result *res)
{
	struct pk_norm norm = { .epoch = epoch };
	struct pk_tar_opts o = { .compression = c, .level = pk_compression_default_level(c) };
	struct pk_tar_result mine;
	struct dt_err err;
	int fd;

	if (epoch >= 0 && pk_tree_normalize(t, &norm, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	if (pk_tar_write(t, fd, path, &o, res ? res : &mine, &err) < 0)
		fail_msg("%s", err.msg);
	close(fd);
	pk_tree_free(t);
}
