/* SPDX-License-Identifier: MIT */
/* Unit tests of verify/rebuild: the description of a run's conditions, and the layer
 * compression read from a published image (layouts, docker-archive, tarball refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest/oci.h"
#include "manifest/spec.h"
#include "packer/archive/tar.h"
#include "packer/archive/tree.h"
#include "packer/image/image.h"
#include "testlib.h"
#include "verify/rebuild.h"

static void test_describe(void **state)
{
	static const struct vf_variation v = { 077, "Pacific/Kiritimati", "C.UTF-8", "a/b/" };
	static const struct vf_variation w = { 02, "UTC", "tr_TR.UTF-8", "" };
	struct vf_run r = { .v = &v };
	char buf[512], small[10];
	(void)state;

	snprintf(r.dir, sizeof(r.dir), "/tmp/distill-verify-x/run-2");
	vf_rebuild_describe(&r, 1, buf, sizeof(buf));
	assert_string_equal(buf, "run 2 (umask 077, TZ=Pacific/Kiritimati, LC_ALL=C.UTF-8, "
			    "cwd /tmp/distill-verify-x/run-2)");
	r.v = &w;
	snprintf(r.dir, sizeof(r.dir), "/k/run-13");
	vf_rebuild_describe(&r, 12, buf, sizeof(buf));
	assert_string_equal(buf, "run 13 (umask 002, TZ=UTC, LC_ALL=tr_TR.UTF-8, cwd /k/run-13)");
	/* cut to the buffer, still a string */
	memset(small, 'x', sizeof(small));
	vf_rebuild_describe(&r, 12, small, sizeof(small));
	assert_string_equal(small, "run 13 (u");
}

static void build(const char *dir, const char *out, enum pk_image_format f,
		  enum dt_compression c)
{
	static const char yaml[] = "name: test/img:1\nplatform: linux/amd64\nbase: scratch\n"
				   "files:\n  - {src: ./files, dst: /app}\n";

	tl_build(dir, yaml, 1700000000, out, f, c, NULL, NULL);
}

static void compression_is(const char *image, const char *ref, const char *want)
{
	struct dt_err err;
	const char *c;

	dt_err_clear(&err);
	c = vf_image_compression(image, ref, &err);
	if (!c)
		fail_msg("%s: %s", image, err.msg);
	assert_string_equal(c, want);
}

static void test_compression(void **state)
{
	static const enum dt_compression comp[] = { DT_COMP_GZIP, DT_COMP_ZSTD, DT_COMP_NONE };
	static const char *const names[] = { "gzip", "zstd", "none" };
	const char *d = tl_tmpdir();
	char out[4096];
	(void)state;

	tl_write(d, "files/hello", "hello\n", (size_t)-1, 0644);
	for (int k = 0; k < 3; k++) {
		char name[64];
		snprintf(name, sizeof(name), "layout-%s", names[k]);
		build(d, tl_path(out, d, name), PK_FORMAT_OCI, comp[k]);
		compression_is(out, NULL, names[k]);
		compression_is(out, "test/img:1", names[k]);
		snprintf(name, sizeof(name), "archive-%s.tar", names[k]);
		build(d, tl_path(out, d, name), PK_FORMAT_OCI_ARCHIVE, comp[k]);
		compression_is(out, NULL, names[k]);
	}
	/* docker-archive layers name no media type: plain tar, whatever was asked */
	build(d, tl_path(out, d, "docker.tar"), PK_FORMAT_DOCKER_ARCHIVE, DT_COMP_NONE);
	compression_is(out, NULL, "none");
	build(d, tl_path(out, d, "docker-gz.tar"), PK_FORMAT_DOCKER_ARCHIVE, DT_COMP_GZIP);
	compression_is(out, NULL, "none");
	tl_rmtree(d);
}

static void test_not_an_image(void **state)
{
	const char *d = tl_tmpdir();
	char path[4096], want[8400];
	struct pk_tree *t = pk_tree_new();
	struct dt_err err;
	(void)state;

	/* a tarball, gzip-compressed: not an image for all that */
	assert_non_null(t);
	tl_tree_put(t, "etc/x", PK_REG, 0644, 0, 0, "x\n", 2);
	tl_tar_write(t, tl_path(path, d, "rootfs.tar.gz"), 1700000000, DT_COMP_GZIP, NULL);

	assert_null(vf_image_compression(path, NULL, &err));
	snprintf(want, sizeof(want), "'%s' is a tarball, not an image", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, DT_EINPUT);
	/* what vf_source_open refuses is its error */
	assert_null(vf_image_compression(path, "x", &err));
	snprintf(want, sizeof(want), "'%s' is a tarball, not an image: --ref does not apply", path);
	assert_string_equal(err.msg, want);
	tl_path(path, d, "missing");
	assert_null(vf_image_compression(path, NULL, &err));
	snprintf(want, sizeof(want), "cannot read '%s': No such file or directory", path);
	assert_string_equal(err.msg, want);
	tl_rmtree(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_not_an_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
