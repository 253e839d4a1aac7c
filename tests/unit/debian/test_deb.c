/* SPDX-License-Identifier: MIT */
/* Unit tests of the .deb reader on packages dpkg-deb builds at test time (gzip, xz, zstd
 * data members), and on inputs that are not packages. Hostile member names are covered by
 * tests/image/deb_confine.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debian/deb.h"

static char dir[] = "/tmp/distill-test-deb.XXXXXX";

static int setup(void **state)
{
	char cmd[4096];
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir -p p/DEBIAN p/usr/bin p/usr/share/t; "
		 "printf 'Package: t\\nVersion: 1:2.0-1\\nArchitecture: amd64\\n"
		 "Maintainer: t <t@x>\\nDescription: test\\n more\\n' > p/DEBIAN/control; "
		 "printf hello > p/usr/share/t/a.txt; ln p/usr/share/t/a.txt p/usr/share/t/b.txt; "
		 "ln -s ../share/t/a.txt p/usr/bin/link; printf x > p/usr/bin/suid; "
		 "chmod 4755 p/usr/bin/suid; "
		 "for z in gzip xz zstd; do dpkg-deb --build --root-owner-group -Z$z p t-$z.deb "
		 ">/dev/null; done; printf 'not a deb' > garbage.deb; "
		 "head -c 300 t-gzip.deb > truncated.deb", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[4200];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct deb_member *entry(const struct deb_package *d, const char *path)
{
	for (size_t i = 0; i < d->nentries; i++)
		if (strcmp(d->entries[i].path, path) == 0)
			return &d->entries[i];
	return NULL;
}

static void test_read(void **state)
{
	static const char *const z[] = { "gzip", "xz", "zstd" };
	/* sha256("hello") */
	static const unsigned char hello[4] = { 0x2c, 0xf2, 0x4d, 0xba };
	(void)state;
	for (int i = 0; i < 3; i++) {
		char path[4200];
		struct deb_package *d = NULL;
		struct dt_err err;
		const struct deb_member *e;
		snprintf(path, sizeof(path), "%s/t-%s.deb", dir, z[i]);
		if (deb_package_read(path, NULL, NULL, &d, &err) != 0)
			fail_msg("%s", err.msg);
		assert_string_equal(d->package, "t");
		assert_string_equal(d->version, "1:2.0-1");
		assert_string_equal(d->architecture, "amd64");
		assert_non_null(strstr(d->control, "Description: test\n more\n"));
		assert_non_null(e = entry(d, "/usr/share/t/a.txt"));
		assert_int_equal(e->type, DEB_REG);
		assert_int_equal(e->size, 5);
		assert_memory_equal(e->data, "hello", 5);
		assert_memory_equal(e->sha256, hello, 4);
		assert_non_null(e = entry(d, "/usr/share/t/b.txt"));
		assert_int_equal(e->type, DEB_HARDLINK);
		assert_string_equal(e->link, "/usr/share/t/a.txt");
		assert_non_null(e = entry(d, "/usr/bin/link"));
		assert_int_equal(e->type, DEB_SYMLINK);
		assert_string_equal(e->link, "../share/t/a.txt");
		assert_non_null(e = entry(d, "/usr/bin/suid"));
		assert_int_equal(e->mode, 04755);
		assert_non_null(e = entry(d, "/usr/share/t"));
		assert_int_equal(e->type, DEB_DIR);
		deb_package_free(d);
	}
}

static int only_share(void *ctx, const char *path)
{
	(void)ctx;
	return fnmatch("/usr/share/*", path, 0) == 0;
}

static void test_filter_and_control(void **state)
{
	char path[4200];
	struct deb_package *d = NULL;
	struct dt_err err;
	(void)state;
	snprintf(path, sizeof(path), "%s/t-xz.deb", dir);
	assert_int_equal(deb_package_read(path, only_share, NULL, &d, &err), 0);
	assert_null(entry(d, "/usr/bin/link"));
	assert_non_null(entry(d, "/usr/share/t/a.txt"));
	assert_non_null(entry(d, "/usr/bin")); /* directories are always kept */
	deb_package_free(d);
	assert_int_equal(deb_package_read_control(path, &d, &err), 0);
	assert_int_equal(d->nentries, 0);
	assert_string_equal(d->package, "t");
	deb_package_free(d);
}

static void test_not_debs(void **state)
{
	static const char *const bad[] = { "garbage.deb", "truncated.deb", "missing.deb" };
	(void)state;
	for (int i = 0; i < 3; i++) {
		char path[4200];
		struct deb_package *d = NULL;
		struct dt_err err;
		snprintf(path, sizeof(path), "%s/%s", dir, bad[i]);
		assert_true(deb_package_read(path, NULL, NULL, &d, &err) < 0);
		assert_null(d);
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_filter_and_control),
		cmocka_unit_test(test_not_debs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
