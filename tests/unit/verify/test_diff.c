/* SPDX-License-Identifier: MIT */
/* Unit tests of verify/diff: tarballs that differ in exactly one thing give exactly one
 * difference, worded as `distill diff` prints it; --ignore classes hide exactly theirs and
 * count them; identical inputs give none; images compare level by level, and a layer blob
 * whose bytes are not its digest is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/digest.h"
#include "manifest/spec.h"
#include "packer/archive/tar.h"
#include "packer/archive/tree.h"
#include "packer/image/image.h"
#include "testlib.h"
#include "verify/diff.h"

#define T0 1700000000
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct ent {
	const char *path;
	enum pk_type type;
	uint32_t mode, uid;
	int64_t mtime;
	const char *data; /* content, or a symlink's target */
};

/* The tarball every test changes one thing of (the golden report's a.tar, and a link). */
static const struct ent base[] = {
	{ "bin", PK_DIR, 0755, 0, T0, NULL },
	{ "bin/run", PK_REG, 0755, 0, T0, "#!/bin/sh\n" },
	{ "etc", PK_DIR, 0755, 0, T0, NULL },
	{ "etc/conf", PK_REG, 0644, 0, T0, "old\n" },
	{ "etc/link", PK_SYMLINK, 0777, 0, T0, "conf" },
	{ "etc/same", PK_REG, 0644, 0, T0, "same\n" },
};
#define NBASE N(base)

static const char *dir;

static int setup(void **state)
{
	(void)state;
	dir = tl_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_rmtree(dir);
	return 0;
}

/* Writes @n entries as the tar @name in the test directory, compressed with @c; sorted by
 * pk_tree_normalize when @normalize, else in the order given. @return its path (static). */
static const char *tarball(const char *name, const struct ent *v, size_t n,
			   enum dt_compression c, int normalize)
{
	static char paths[4][4096];
	static int k;
	char *path = paths[k++ % 4];
	struct pk_tree *t = pk_tree_new();

	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		tl_tree_put(t, v[i].path, v[i].type, v[i].mode, v[i].uid, v[i].mtime, v[i].data,
			    (size_t)-1);
	tl_tar_write(t, tl_path(path, dir, name), normalize ? T0 : -1, c, NULL);
	return path;
}

static const char *base_tar(void)
{
	return tarball("a.tar", base, NBASE, DT_COMP_NONE, 1);
}

/* base, with the entry @path replaced by @e (or removed when @e is NULL), into @out. */
static size_t change(const char *path, const struct ent *e, struct ent *out)
{
	size_t n = 0;

	for (size_t i = 0; i < NBASE; i++) {
		if (strcmp(base[i].path, path) != 0)
			out[n++] = base[i];
		else if (e)
			out[n++] = *e;
	}
	return n;
}

static void run(const char *a, const char *b, unsigned ignore, struct vf_diff *d)
{
	struct vf_diff_opts o = { .ignore = ignore };
	struct dt_err err;

	if (vf_diff_run(a, b, &o, d, &err) < 0)
		fail_msg("%s", err.msg);
}

struct want {
	const char *section, *subject, *field, *what, *a, *b;
	unsigned classes;
};

static void check_item(const struct vf_diff_item *it, const struct want *w)
{
	assert_string_equal(it->what, w->what);
	assert_string_equal(it->section, w->section);
	assert_string_equal(it->subject, w->subject);
	assert_string_equal(it->field, w->field);
	if (w->a)
		assert_string_equal(it->a, w->a);
	else
		assert_null(it->a);
	if (w->b)
		assert_string_equal(it->b, w->b);
	else
		assert_null(it->b);
	assert_int_equal(it->classes, w->classes);
}

/* a and b differ in exactly @w; ignoring its class (when it has one) hides it, ignoring
 * the others does not. */
static void expect_one(const char *a, const char *b, const struct want *w)
{
	struct vf_diff d;

	run(a, b, 0, &d);
	if (d.n != 1)
		fail_msg("%zu differences, the first '%s'", d.n, d.n ? d.v[0].what : "");
	assert_int_equal(d.hidden, 0);
	check_item(&d.v[0], w);
	vf_diff_release(&d);
	if (w->classes) {
		run(a, b, w->classes, &d);
		assert_int_equal(d.n, 0);
		assert_int_equal(d.hidden, 1);
		assert_int_equal(d.hidden_classes, w->classes);
		vf_diff_release(&d);
	}
	/* every other class ignored (all of them for a difference of no class): still shown */
	run(a, b, ~w->classes & 0x1f, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.hidden, 0);
	assert_int_equal(d.hidden_classes, 0);
	assert_string_equal(d.v[0].what, w->what);
	vf_diff_release(&d);
}

static void test_mtime(void **state)
{
	struct ent v[NBASE], e = { "etc/conf", PK_REG, 0644, 0, T0 + 1, "old\n" };
	struct want w = { "tarball", "etc/conf", "mtime",
			  "etc/conf: mtime 1700000000 -> 1700000001", "1700000000", "1700000001",
			  VF_DIFF_TIMESTAMPS };
	(void)state;
	expect_one(base_tar(), tarball("b.tar", v, change(e.path, &e, v), DT_COMP_NONE, 1), &w);
}

static void test_mode(void **state)
{
	struct ent v[NBASE], e = { "bin/run", PK_REG, 0700, 0, T0, "#!/bin/sh\n" };
	struct want w = { "tarball", "bin/run", "mode", "bin/run: mode 0755 -> 0700", "0755",
			  "0700", 0 };
	(void)state;
	expect_one(base_tar(), tarball("b.tar", v, change(e.path, &e, v), DT_COMP_NONE, 1), &w);
}

static void test_uid(void **state)
{
	struct ent v[NBASE], e = { "etc/conf", PK_REG, 0644, 1000, T0, "old\n" };
	struct want w = { "tarball", "etc/conf", "uid", "etc/conf: uid 0 -> 1000", "0", "1000",
			  VF_DIFF_OWNERS };
	(void)state;
	expect_one(base_tar(), tarball("b.tar", v, change(e.path, &e, v), DT_COMP_NONE, 1), &w);
}

static void test_content(void **state)
{
	struct ent v[NBASE], e = { "etc/conf", PK_REG, 0644, 0, T0, "new!\n" };
	struct want w = { "tarball", "etc/conf", "content",
			  "etc/conf: content 4 bytes sha256:01d09d19c213 -> "
			  "5 bytes sha256:e15ab6d4cab7",
			  "4 bytes sha256:01d09d19c213", "5 bytes sha256:e15ab6d4cab7", 0 };
	(void)state;
	expect_one(base_tar(), tarball("b.tar", v, change(e.path, &e, v), DT_COMP_NONE, 1), &w);
}

static void test_link(void **state)
{
	struct ent v[NBASE], e = { "etc/link", PK_SYMLINK, 0777, 0, T0, "same" };
	struct want w = { "tarball", "etc/link", "link", "etc/link: link target conf -> same",
			  "conf", "same", 0 };
	(void)state;
	expect_one(base_tar(), tarball("b.tar", v, change(e.path, &e, v), DT_COMP_NONE, 1), &w);
}

static void test_type(void **state)
{
	struct ent v[NBASE], e = { "etc/link", PK_REG, 0644, 0, T0, "conf" };
	struct want w = { "tarball", "etc/link", "type",
			  "etc/link: type symlink to conf -> file, 4 bytes", "symlink to conf",
			  "file, 4 bytes", 0 };
	(void)state;
	expect_one(base_tar(), tarball("b.tar", v, change(e.path, &e, v), DT_COMP_NONE, 1), &w);
}

static void test_added_removed(void **state)
{
	struct ent v[NBASE + 1];
	struct want add = { "tarball", "etc/extra", "+", "etc/extra: added (file, 2 bytes)", NULL,
			    "file, 2 bytes", 0 };
	struct want rm = { "tarball", "etc/extra", "-", "etc/extra: removed (file, 2 bytes)",
			   "file, 2 bytes", NULL, 0 };
	const char *a, *b;
	(void)state;
	memcpy(v, base, sizeof(base));
	v[NBASE] = (struct ent){ "etc/extra", PK_REG, 0644, 0, T0, "x\n" };
	/* in the middle of etc/: the entries after it move, but keep their relative order */
	a = base_tar();
	b = tarball("b.tar", v, NBASE + 1, DT_COMP_NONE, 1);
	expect_one(a, b, &add);
	expect_one(b, a, &rm);
}

static void test_order(void **state)
{
	struct ent v[NBASE];
	struct want w = { "tarball", "etc/conf", "position", "etc/conf: position 4 -> 5", "4", "5",
			  VF_DIFF_ORDER };
	(void)state;
	/* etc/link before etc/conf: one entry is named, not every entry after it */
	memcpy(v, base, sizeof(base));
	v[3] = base[4];
	v[4] = base[3];
	expect_one(base_tar(), tarball("b.tar", v, NBASE, DT_COMP_NONE, 0), &w);
}

static void test_compression(void **state)
{
	struct want zs = { "tarball", "tarball", "compression",
			   "tarball: same tar, compression gzip -> zstd", "gzip", "zstd",
			   VF_DIFF_COMPRESSION };
	struct want gz = { "tarball", "tarball", "compression",
			   "tarball: same tar, compression none -> gzip", "none", "gzip",
			   VF_DIFF_COMPRESSION };
	const char *a = tarball("a.tar.gz", base, NBASE, DT_COMP_GZIP, 1);
	(void)state;
	expect_one(a, tarball("a.tar.zst", base, NBASE, DT_COMP_ZSTD, 1), &zs);
	expect_one(base_tar(), a, &gz);
}

/* Several differences at once: the report's order, and each class hidden on its own. */
static void test_ignore(void **state)
{
	struct ent v[NBASE + 1];
	static const struct want all[] = {
		{ "tarball", "bin/run", "mode", "bin/run: mode 0755 -> 0700", "0755", "0700", 0 },
		{ "tarball", "bin/run", "mtime", "bin/run: mtime 1700000000 -> 1700000001",
		  "1700000000", "1700000001", VF_DIFF_TIMESTAMPS },
		{ "tarball", "etc/conf", "uid", "etc/conf: uid 0 -> 7", "0", "7", VF_DIFF_OWNERS },
		{ "tarball", "etc/conf", "content",
		  "etc/conf: content 4 bytes sha256:01d09d19c213 -> 5 bytes sha256:e15ab6d4cab7",
		  "4 bytes sha256:01d09d19c213", "5 bytes sha256:e15ab6d4cab7", 0 },
		{ "tarball", "etc/extra", "+", "etc/extra: added (file, 2 bytes)", NULL,
		  "file, 2 bytes", 0 },
	};
	const char *a, *b;
	struct vf_diff d;
	char names[128];
	(void)state;

	memcpy(v, base, sizeof(base));
	v[1] = (struct ent){ "bin/run", PK_REG, 0700, 0, T0 + 1, "#!/bin/sh\n" };
	v[3] = (struct ent){ "etc/conf", PK_REG, 0644, 7, T0, "new!\n" };
	v[NBASE] = (struct ent){ "etc/extra", PK_REG, 0644, 0, T0, "x\n" };
	a = base_tar();
	b = tarball("b.tar", v, NBASE + 1, DT_COMP_NONE, 1);
	run(a, b, 0, &d);
	assert_int_equal(d.n, N(all));
	for (size_t i = 0; i < N(all); i++)
		check_item(&d.v[i], &all[i]);
	vf_diff_release(&d);

	run(a, b, VF_DIFF_TIMESTAMPS | VF_DIFF_ORDER, &d);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.hidden, 1);
	assert_int_equal(d.hidden_classes, VF_DIFF_TIMESTAMPS); /* order had nothing to hide */
	assert_string_equal(vf_diff_class_names(d.hidden_classes, names, sizeof(names)),
			    "timestamps");
	assert_string_equal(d.v[1].what, "etc/conf: uid 0 -> 7");
	vf_diff_release(&d);

	run(a, b, VF_DIFF_TIMESTAMPS | VF_DIFF_OWNERS, &d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.hidden, 2);
	assert_int_equal(d.hidden_classes, VF_DIFF_TIMESTAMPS | VF_DIFF_OWNERS);
	assert_string_equal(d.v[0].what, all[0].what);
	assert_string_equal(d.v[1].what, all[3].what);
	assert_string_equal(d.v[2].what, all[4].what);
	vf_diff_release(&d);
}

static void test_identical(void **state)
{
	const char *a = base_tar(), *b;
	struct vf_diff d;
	(void)state;

	run(a, a, 0, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.hidden, 0);
	assert_int_equal(d.a->kind, VF_SOURCE_TARBALL);
	vf_diff_release(&d);
	/* written again: the same bytes */
	b = tarball("b.tar", base, NBASE, DT_COMP_NONE, 1);
	run(a, b, 0, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.hidden, 0);
	vf_diff_release(&d);
	b = tarball("b.tar.zst", base, NBASE, DT_COMP_ZSTD, 1);
	run(tarball("a.tar.zst", base, NBASE, DT_COMP_ZSTD, 1), b, 0, &d);
	assert_int_equal(d.n, 0);
	vf_diff_release(&d);
}

static void test_parse_ignore(void **state)
{
	unsigned mask = 0;
	char buf[128];
	struct dt_err err;
	(void)state;

	assert_int_equal(vf_diff_parse_ignore("timestamps,order", &mask, &err), 0);
	assert_int_equal(mask, VF_DIFF_TIMESTAMPS | VF_DIFF_ORDER);
	/* added to what the mask holds; a trailing comma is fine */
	assert_int_equal(vf_diff_parse_ignore("owners,compression,history,", &mask, &err), 0);
	assert_int_equal(mask, 0x1f);
	assert_string_equal(vf_diff_class_names(mask, buf, sizeof(buf)),
			    "timestamps,order,owners,compression,history");
	assert_string_equal(vf_diff_class_names(VF_DIFF_OWNERS | VF_DIFF_HISTORY, buf,
						sizeof(buf)), "owners,history");
	assert_string_equal(vf_diff_class_names(0, buf, sizeof(buf)), "");
	mask = 0;
	assert_int_equal(vf_diff_parse_ignore("", &mask, &err), 0);
	assert_int_equal(mask, 0);

	assert_int_equal(vf_diff_parse_ignore("timestamps,colours", &mask, &err), -DT_EINPUT);
	assert_string_equal(err.msg, "--ignore: unknown class 'colours' (classes: timestamps, "
			    "order, owners, compression, history)");
	assert_int_equal(vf_diff_parse_ignore("Order", &mask, &err), -DT_EINPUT);
	assert_non_null(strstr(err.msg, "unknown class 'Order'"));
	assert_int_equal(vf_diff_parse_ignore("order,,owners", &mask, &err), -DT_EINPUT);
	assert_non_null(strstr(err.msg, "unknown class ''"));
	assert_int_equal(vf_diff_parse_ignore("time", &mask, &err), -DT_EINPUT);
	assert_non_null(strstr(err.msg, "unknown class 'time'"));
}

/* ---- images ---- */

/* Builds the image of @files (a directory of the test's, as /app) into @out at @epoch. */
static void build(const char *files, const char *out, int64_t epoch, struct pk_build_result *res)
{
	char yaml[512];

	snprintf(yaml, sizeof(yaml), "name: test/img:1\nplatform: linux/amd64\nbase: scratch\n"
		 "files:\n  - {src: ./%s, dst: /app}\n", files);
	tl_build(dir, yaml, epoch, out, PK_FORMAT_OCI, DT_COMP_GZIP, NULL, res);
}

static void test_image_epoch(void **state)
{
	char a[4096], b[4096];
	struct pk_build_result ra, rb;
	struct vf_diff d;
	(void)state;

	tl_write(dir, "one/hello", "one\n", (size_t)-1, 0644);
	build("one", tl_path(a, dir, "img-a"), T0, &ra);
	build("one", tl_path(b, dir, "img-b"), T0 + 3600, &rb);
	run(a, a, 0, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.a->kind, VF_SOURCE_LAYOUT);
	vf_diff_release(&d);

	/* another epoch: times everywhere, nothing else */
	run(a, b, 0, &d);
	{
		static const char *const want[] = {
			("manifest.annotations[\"org.opencontainers.image.created\"]: "
			 "2023-11-14T22:13:20Z -> 2023-11-14T23:13:20Z"),
			"created: 2023-11-14T22:13:20Z -> 2023-11-14T23:13:20Z",
			"history[0].created: 2023-11-14T22:13:20Z -> 2023-11-14T23:13:20Z",
			"app/: mtime 1700000000 -> 1700003600",
			"app/hello: mtime 1700000000 -> 1700003600",
		};
		static const char *const section[] = { "manifest", "config", "config", "layer 1",
						       "layer 1" };
		static const unsigned cls[] = { VF_DIFF_TIMESTAMPS, VF_DIFF_TIMESTAMPS,
						VF_DIFF_TIMESTAMPS | VF_DIFF_HISTORY,
						VF_DIFF_TIMESTAMPS, VF_DIFF_TIMESTAMPS };
		for (size_t i = 0; i < d.n && i < N(want); i++) {
			assert_string_equal(d.v[i].what, want[i]);
			assert_string_equal(d.v[i].section, section[i]);
			assert_int_equal(d.v[i].classes, cls[i]);
		}
		assert_int_equal(d.n, N(want));
	}
	vf_diff_release(&d);
	run(a, b, VF_DIFF_TIMESTAMPS, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.hidden, 5);
	vf_diff_release(&d);
}

/* Image B's layer blob holds image A's layer: both claims of B are named, and nothing
 * else (the bytes are A's). */
static void test_image_bad_blob(void **state)
{
	char a[4096], b[4096], blob_a[4600], blob_b[512], want[4600], x[24], y[24];
	struct pk_build_result ra, rb;
	struct vf_diff d;
	size_t len;
	char *bytes;
	(void)state;

	tl_write(dir, "one/hello", "one\n", (size_t)-1, 0644);
	tl_write(dir, "two/hello", "two\n", (size_t)-1, 0644);
	build("one", tl_path(a, dir, "bad-a"), T0, &ra);
	build("two", tl_path(b, dir, "bad-b"), T0, &rb);
	snprintf(blob_a, sizeof(blob_a), "%s/blobs/sha256/%.64s", a, ra.layers[0] + 7);
	snprintf(blob_b, sizeof(blob_b), "blobs/sha256/%.64s", rb.layers[0] + 7);
	bytes = tl_read(blob_a, &len);
	tl_write(b, blob_b, bytes, len, 0644);
	free(bytes);

	run(a, b, 0, &d);
	assert_int_equal(d.n, 2);
	snprintf(want, sizeof(want), "layer 1: in '%s', blob %s has %s (%zu bytes)", b,
		 dt_digest_short(rb.layers[0], y), dt_digest_short(ra.layers[0], x), len);
	check_item(&d.v[0], &(struct want){ "layer 1", "layer 1", "digest", want, rb.layers[0],
					    ra.layers[0], 0 });
	snprintf(want, sizeof(want), "layer 1: in '%s', the tar hashes to %s, not the config's "
		 "diff_id %s", b, dt_digest_short(ra.diff_ids[0], x),
		 dt_digest_short(rb.diff_ids[0], y));
	check_item(&d.v[1], &(struct want){ "layer 1", "layer 1", "diff_id", want, rb.diff_ids[0],
					    ra.diff_ids[0], 0 });
	vf_diff_release(&d);
}

static void test_image_vs_tarball(void **state)
{
	char a[4096], want[8400];
	struct pk_build_result ra;
	struct vf_diff d;
	struct vf_diff_opts o = { 0 };
	struct dt_err err;
	const char *t = base_tar();
	(void)state;

	tl_write(dir, "one/hello", "one\n", (size_t)-1, 0644);
	build("one", tl_path(a, dir, "img-t"), T0, &ra);
	assert_true(vf_diff_run(a, t, &o, &d, &err) < 0);
	snprintf(want, sizeof(want), "cannot compare OCI layout '%s' with tarball '%s': one is an "
		 "image, the other a plain tarball", a, t);
	assert_string_equal(err.msg, want);
	vf_diff_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtime),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_uid),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_added_removed),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_ignore),
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_parse_ignore),
		cmocka_unit_test(test_image_epoch),
		cmocka_unit_test(test_image_bad_blob),
		cmocka_unit_test(test_image_vs_tarball),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
