/* SPDX-License-Identifier: MIT */
/* Unit tests of deps/root and deps/elf: confined resolution (absolute links stay in the
 * root, ".." stops at it, chains are recorded, loops fail) and the ELF reader's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps/elf.h"
#include "deps/root.h"

static char dir[64];

static void mk(const char *rel, const char *link_to)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (link_to) {
		assert_int_equal(symlink(link_to, p), 0);
	} else if (rel[strlen(rel) - 1] == '/') {
		assert_int_equal(mkdir(p, 0755), 0);
	} else {
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs("not an ELF file, just text\n", f);
		fclose(f);
	}
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/distill-root-XXXXXX");
	assert_non_null(mkdtemp(dir));
	mk("usr/", NULL);
	mk("usr/lib/", NULL);
	mk("usr/lib/libfoo.so.1.2.3", NULL);
	mk("usr/lib/libfoo.so.1", "libfoo.so.1.2.3");
	mk("lib", "usr/lib");                  /* merged /usr */
	mk("usr/lib/abs.so", "/usr/lib/libfoo.so.1"); /* absolute: inside the root */
	mk("usr/lib/up.so", "../../../../usr/lib/libfoo.so.1.2.3"); /* ".." stops at the root */
	mk("usr/lib/loop1", "loop2");
	mk("usr/lib/loop2", "loop1");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_resolve(void **state)
{
	struct deps_root r;
	struct dt_strv links = { 0 };
	struct dt_err err;
	char *real = NULL;
	(void)state;
	assert_int_equal(deps_root_open(&r, dir, &err), 0);

	assert_int_equal(deps_root_resolve(&r, "/lib/libfoo.so.1", &links, &real, &err), 0);
	assert_string_equal(real, "/usr/lib/libfoo.so.1.2.3");
	assert_int_equal(links.n, 2);
	assert_string_equal(links.v[0], "/lib");
	assert_string_equal(links.v[1], "/usr/lib/libfoo.so.1");
	free(real);
	dt_strv_release(&links);

	assert_int_equal(deps_root_resolve(&r, "/usr/lib/abs.so", &links, &real, &err), 0);
	assert_string_equal(real, "/usr/lib/libfoo.so.1.2.3");
	free(real);
	assert_int_equal(deps_root_resolve(&r, "/usr/lib/up.so", NULL, &real, &err), 0);
	assert_string_equal(real, "/usr/lib/libfoo.so.1.2.3");
	free(real);
	assert_int_equal(deps_root_resolve(&r, "/../../usr/./lib//libfoo.so.1", NULL, &real, &err), 0);
	assert_string_equal(real, "/usr/lib/libfoo.so.1.2.3");
	free(real);

	assert_int_equal(deps_root_resolve(&r, "/usr/lib/nothere.so", NULL, &real, &err), 1);
	assert_null(real);
	assert_int_equal(deps_root_resolve(&r, "/usr/lib/libfoo.so.1/x", NULL, &real, &err), 1);
	assert_int_equal(deps_root_resolve(&r, "/usr/lib/loop1", NULL, &real, &err), -DT_EINPUT);
	assert_string_equal(err.msg, "'/usr/lib/loop1': too many levels of symbolic links");
	dt_strv_release(&links);
	deps_root_release(&r);
}

static void test_not_elf(void **state)
{
	struct deps_elf *e = (struct deps_elf *)1;
	struct dt_err err;
	char p[256];
	int fd;
	(void)state;
	snprintf(p, sizeof(p), "%s/usr/lib/libfoo.so.1.2.3", dir);
	fd = open(p, O_RDONLY);
	assert_int_equal(deps_elf_read(fd, "libfoo.so.1.2.3", DEPS_ELF_IMPORTS, &e, &err), -DT_EINPUT);
	assert_null(e);
	assert_string_equal(err.msg, "'libfoo.so.1.2.3': not an ELF file");
	close(fd);
}

static void test_real_elf(void **state)
{
	struct deps_elf *e = NULL;
	struct dt_err err;
	int fd = open("/bin/sh", O_RDONLY), found_libc = 0;
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(deps_elf_read(fd, "/bin/sh", DEPS_ELF_IMPORTS, &e, &err), 0);
	assert_non_null(e->interp);
	assert_true(e->dynamic);
	for (size_t i = 0; i < e->nneeded; i++)
		found_libc |= strcmp(e->needed[i], "libc.so.6") == 0;
	assert_true(found_libc);
	deps_elf_free(e);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_elf, setup, teardown),
		cmocka_unit_test(test_real_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
