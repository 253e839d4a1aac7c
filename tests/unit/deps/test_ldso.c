/* SPDX-License-Identifier: MIT */
/* Unit tests of deps/ldso: the per-architecture loader table, ld.so.conf with its includes,
 * ld.so.cache (this machine's, hand-made and garbage), and the NSS services of nsswitch.conf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps/ldso.h"
#include "deps/machine.h"
#include "deps/root.h"
#include "testlib.h"

static void test_abi_find(void **state)
{
	static const struct { uint16_t machine; int elf_class; const char *lib, *platform,
			      *interp; int32_t flags; } want[] = {
		{ EM_X86_64, ELFCLASS64, "lib/x86_64-linux-gnu", "x86_64",
		  "/lib64/ld-linux-x86-64.so.2", 0x0303 },
		{ EM_AARCH64, ELFCLASS64, "lib/aarch64-linux-gnu", "aarch64",
		  "/lib/ld-linux-aarch64.so.1", 0x0a03 },
		{ EM_ARM, ELFCLASS32, "lib/arm-linux-gnueabihf", "v7l", "/lib/ld-linux-armhf.so.3",
		  0x0903 },
		{ EM_RISCV, ELFCLASS64, "lib/riscv64-linux-gnu", "riscv64",
		  "/lib/ld-linux-riscv64-lp64d.so.1", 0x1003 },
		{ EM_386, ELFCLASS32, "lib/i386-linux-gnu", "i686", "/lib/ld-linux.so.2", 0x0003 },
		{ EM_PPC64, ELFCLASS64, "lib/powerpc64le-linux-gnu", "power8", "/lib64/ld64.so.2",
		  0x0503 },
		{ EM_S390, ELFCLASS64, "lib/s390x-linux-gnu", "z900", "/lib/ld64.so.1", 0x0403 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct deps_abi *a = deps_abi_find(want[i].machine, want[i].elf_class);
		const struct deps_machine *m;
		char dir[64];
		assert_non_null(a);
		assert_int_equal(a->machine, want[i].machine);
		assert_int_equal(a->elf_class, want[i].elf_class);
		assert_string_equal(a->lib, want[i].lib);
		assert_string_equal(a->platform, want[i].platform);
		assert_string_equal(a->interp, want[i].interp);
		assert_int_equal(a->cache_flags, want[i].flags);
		/* the built-in directories: /$LIB, /usr/$LIB, /lib, /usr/lib */
		snprintf(dir, sizeof(dir), "/%s", a->lib);
		assert_string_equal(a->system_dirs[0], dir);
		snprintf(dir, sizeof(dir), "/usr/%s", a->lib);
		assert_string_equal(a->system_dirs[1], dir);
		assert_string_equal(a->system_dirs[2], "/lib");
		assert_string_equal(a->system_dirs[3], "/usr/lib");
		assert_null(a->system_dirs[4]);
		/* the machine table knows the same ABI, with the same multiarch directory */
		m = deps_machine_find(want[i].machine, want[i].elf_class);
		assert_non_null(m);
		assert_string_equal(a->lib + 4, m->multiarch);
	}
	{
		const struct deps_abi *a = deps_abi_find(EM_X86_64, ELFCLASS64);
		assert_string_equal(a->hwcaps[0], "x86-64-v4");
		assert_string_equal(a->hwcaps[2], "x86-64-v2");
		assert_null(a->hwcaps[3]);
	}
	/* unknown machines, or a known machine in the other class (x32, arm64 ILP32) */
	assert_null(deps_abi_find(EM_SPARC, ELFCLASS32));
	assert_null(deps_abi_find(EM_MIPS, ELFCLASS32));
	assert_null(deps_abi_find(EM_X86_64, ELFCLASS32));
	assert_null(deps_abi_find(EM_AARCH64, ELFCLASS32));
	assert_null(deps_abi_find(EM_386, ELFCLASS64));
	assert_null(deps_abi_find(0, 0));
}

static const struct deps_abi *amd64(void)
{
	return deps_abi_find(EM_X86_64, ELFCLASS64);
}

/* Loads @dir's configuration for amd64 into @c. @return deps_ldconf_load's code. */
static int load(const char *dir, struct deps_ldconf *c, struct dt_err *err)
{
	struct deps_root r;
	int rc;

	assert_int_equal(deps_root_open(&r, dir, err), 0);
	dt_err_clear(err);
	rc = deps_ldconf_load(c, &r, amd64(), err);
	deps_root_release(&r);
	return rc;
}

static void test_conf(void **state)
{
	static const char *const want[] = {
		"/Z/dir", "/a/dir", "/b/dir", "/nested/dir", "/usr/local/lib", "/opt/tabbed",
		"/opt/dir", "/last",
	};
	const char *d = tl_tmpdir();
	struct deps_ldconf c;
	struct dt_err err;
	(void)state;
	tl_write(d, "etc/ld.so.conf",
		 "# the main file\n"
		 "include ld.so.conf.d/*.conf\n"
		 "/usr/local/lib   # a comment after a directory\n"
		 "hwcap 1 nosegneg\n"
		 "hwcap\t0 x\n"
		 "relative/dir\n"
		 "/usr/local/lib\n"
		 "\t/opt/tabbed \t\n"
		 "\n"
		 "include /opt/conf/*.conf\n"
		 "include missing.d/*.conf\n"
		 "/last", (size_t)-1, 0644);
	tl_write(d, "etc/ld.so.conf.d/b.conf", "/b/dir\ninclude ../nested/*.conf\n", (size_t)-1,
		 0644);
	tl_write(d, "etc/ld.so.conf.d/a.conf", "/a/dir\r\n", (size_t)-1, 0644);
	tl_write(d, "etc/ld.so.conf.d/Z.conf", "# bytewise: before a.conf\n/Z/dir\n", (size_t)-1,
		 0644);
	tl_write(d, "etc/ld.so.conf.d/c.txt", "/not/matched\n", (size_t)-1, 0644);
	tl_write(d, "etc/nested/x.conf", "/nested/dir\n/a/dir\n", (size_t)-1, 0644);
	tl_write(d, "opt/conf/o.conf", "/opt/dir\n", (size_t)-1, 0644);

	assert_int_equal(load(d, &c, &err), 0);
	assert_false(c.have_cache);
	assert_int_equal(c.cache_keys.n, 0);
	assert_null(deps_ldconf_cache_lookup(&c, "libc.so.6"));
	for (size_t i = 0; i < c.conf_dirs.n && i < 8; i++)
		assert_string_equal(c.conf_dirs.v[i], want[i]);
	assert_int_equal(c.conf_dirs.n, 8);
	deps_ldconf_release(&c);
	tl_rmtree(d);
}

static void test_conf_missing(void **state)
{
	const char *d = tl_tmpdir();
	struct deps_ldconf c;
	struct dt_err err;
	(void)state;
	assert_int_equal(load(d, &c, &err), 0);
	assert_false(c.have_cache);
	assert_int_equal(c.conf_dirs.n, 0);
	deps_ldconf_release(&c);
	tl_rmtree(d);
}

static void test_conf_nested_too_deeply(void **state)
{
	const char *d = tl_tmpdir();
	struct deps_ldconf c;
	struct dt_err err;
	(void)state;
	/* a file including itself, after a directory that must not survive the error */
	tl_write(d, "etc/ld.so.conf", "/first\ninclude ld.so.conf\n", (size_t)-1, 0644);
	assert_int_equal(load(d, &c, &err), -DT_EINPUT);
	assert_int_equal(err.code, DT_EINPUT);
	assert_string_equal(err.msg, "'/etc/ld.so.conf': includes nest too deeply");
	assert_int_equal(c.conf_dirs.n, 0);
	deps_ldconf_release(&c); /* again: harmless */

	/* two files including each other: the one met too deep is named */
	tl_write(d, "etc/ld.so.conf", "include conf.d/*.conf\n", (size_t)-1, 0644);
	tl_write(d, "etc/conf.d/a.conf", "include b.conf\n", (size_t)-1, 0644);
	tl_write(d, "etc/conf.d/b.conf", "include a.conf\n", (size_t)-1, 0644);
	assert_int_equal(load(d, &c, &err), -DT_EINPUT);
	assert_string_equal(err.msg, "'/etc/conf.d/a.conf': includes nest too deeply");
	deps_ldconf_release(&c);
	tl_rmtree(d);
}

/* This machine's own cache, read from a copy in another root. */
static void test_real_cache(void **state)
{
	const char *d = tl_tmpdir();
	struct deps_ldconf c;
	struct deps_root r;
	struct dt_err err;
	char got[PATH_MAX], libc[PATH_MAX];
	const char *path;
	(void)state;
	tl_copy("/etc/ld.so.cache", d, "etc/ld.so.cache", (size_t)-1, 0644);
	tl_write(d, "etc/ld.so.conf", "/not/read/with/a/cache\n", (size_t)-1, 0644);
	assert_int_equal(load(d, &c, &err), 0);
	assert_true(c.have_cache);
	assert_true(c.cache_keys.n > 0);
	assert_int_equal(c.cache_keys.n, c.cache_paths.n);
	assert_int_equal(c.conf_dirs.n, 0);
	assert_non_null(path = deps_ldconf_cache_lookup(&c, "libc.so.6"));
	/* the amd64 libc (not /lib32's), wherever the cache names it */
	assert_non_null(realpath(path, got));
	assert_non_null(realpath("/lib/x86_64-linux-gnu/libc.so.6", libc));
	assert_string_equal(got, libc);
	assert_non_null(deps_ldconf_cache_lookup(&c, "ld-linux-x86-64.so.2"));
	assert_null(deps_ldconf_cache_lookup(&c, "libdistill-no-such-library.so.1"));
	assert_null(deps_ldconf_cache_lookup(&c, ""));
	deps_ldconf_release(&c);

	/* the same cache for another ABI: none of the amd64 entries */
	assert_int_equal(deps_root_open(&r, d, &err), 0);
	assert_int_equal(deps_ldconf_load(&c, &r, deps_abi_find(EM_AARCH64, ELFCLASS64), &err), 0);
	assert_true(c.have_cache);
	assert_null(deps_ldconf_cache_lookup(&c, "libc.so.6"));
	deps_ldconf_release(&c);
	deps_root_release(&r);
	tl_rmtree(d);
}

struct centry {
	int32_t flags;
	const char *key, *value;
	uint64_t hwcap;
};

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A "glibc-ld.so.cache1.1" cache of @n entries into @buf, after an empty old-format cache
 * when @old. @return its size. */
static size_t make_cache(unsigned char *buf, const struct centry *v, size_t n, int old)
{
	size_t base = old ? 16 : 0, strings = base + 48 + 24 * n, s = strings;

	memset(buf, 0, 4096);
	if (old)
		memcpy(buf, "ld.so-1.7.0", 11); /* nlibs 0 at 12 */
	memcpy(buf + base, "glibc-ld.so.cache1.1", 20);
	put32(buf + base + 20, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		unsigned char *e = buf + base + 48 + 24 * i;
		put32(e, (uint32_t)v[i].flags);
		put32(e + 4, (uint32_t)(s - base));
		s += (size_t)sprintf((char *)buf + s, "%s", v[i].key) + 1;
		put32(e + 8, (uint32_t)(s - base));
		s += (size_t)sprintf((char *)buf + s, "%s", v[i].value) + 1;
		memcpy(e + 16, &v[i].hwcap, 8);
	}
	put32(buf + base + 24, (uint32_t)(s - strings));
	return s;
}

static void test_made_cache(void **state)
{
	static const struct centry v[] = {
		{ 0x0303, "libfoo.so.1", "/first/libfoo.so.1", 0 },
		{ 0x0303, "libfoo.so.1", "/second/libfoo.so.1", 0 }, /* later: not used */
		{ 0x0a03, "libbar.so.1", "/arm/libbar.so.1", 0 },     /* another ABI */
		{ 0x0303, "libbar.so.1", "/hwcap/libbar.so.1", 1 },   /* a hwcap entry */
		{ 0x0303, "liba.so", "/a/liba.so", 0 },
	};
	const char *d = tl_tmpdir();
	unsigned char buf[4096];
	struct deps_ldconf c;
	struct dt_err err;
	(void)state;
	for (int old = 0; old <= 1; old++) {
		tl_write(d, "etc/ld.so.cache", buf, make_cache(buf, v, 5, old), 0644);
		assert_int_equal(load(d, &c, &err), 0);
		assert_true(c.have_cache);
		assert_int_equal(c.cache_keys.n, 3);
		assert_string_equal(deps_ldconf_cache_lookup(&c, "libfoo.so.1"),
				    "/first/libfoo.so.1");
		assert_string_equal(deps_ldconf_cache_lookup(&c, "liba.so"), "/a/liba.so");
		assert_null(deps_ldconf_cache_lookup(&c, "libbar.so.1"));
		assert_null(deps_ldconf_cache_lookup(&c, "libfoo.so"));
		assert_null(deps_ldconf_cache_lookup(&c, "libfoo.so.10"));
		deps_ldconf_release(&c);
	}
	/* no entries at all: a cache, so no ld.so.conf */
	tl_write(d, "etc/ld.so.conf", "/conf\n", (size_t)-1, 0644);
	tl_write(d, "etc/ld.so.cache", buf, make_cache(buf, v, 0, 0), 0644);
	assert_int_equal(load(d, &c, &err), 0);
	assert_true(c.have_cache);
	assert_int_equal(c.conf_dirs.n, 0);
	assert_null(deps_ldconf_cache_lookup(&c, "libfoo.so.1"));
	deps_ldconf_release(&c);
	tl_rmtree(d);
}

static void test_bad_cache(void **state)
{
	static const struct centry v[] = { { 0x0303, "libfoo.so.1", "/lib/libfoo.so.1", 0 } };
	const char *d = tl_tmpdir();
	unsigned char buf[4096];
	struct deps_ldconf c;
	struct dt_err err;
	size_t len, n;
	char *real = tl_read("/etc/ld.so.cache", &len);
	struct { const void *data; size_t len; } bad[5];
	(void)state;
	n = make_cache(buf, v, 1, 0);
	put32(buf + 48 + 8, 4000); /* the value's offset: past the end */
	bad[0].data = "garbage, not a cache\n";
	bad[0].len = strlen(bad[0].data);
	bad[1].data = "";
	bad[1].len = 0;
	bad[2].data = real;        /* cut inside its entries */
	bad[2].len = 100;
	bad[3].data = "ld.so-1.7.0\0\xff\xff\xff\x7f"; /* an old cache claiming 2^31 entries */
	bad[3].len = 16;
	bad[4].data = buf;
	bad[4].len = n;
	for (size_t i = 0; i < 5; i++) {
		tl_write(d, "etc/ld.so.cache", bad[i].data, bad[i].len, 0644);
		assert_int_equal(load(d, &c, &err), -DT_EINPUT);
		assert_int_equal(err.code, DT_EINPUT);
		assert_string_equal(err.msg, "'/etc/ld.so.cache': not a glibc ld.so cache");
		assert_int_equal(c.cache_keys.n, 0);
		assert_null(c.cache_order);
		deps_ldconf_release(&c);
	}
	free(real);
	tl_rmtree(d);
}

/* The services of nsswitch text @text, in @s and @dbs. */
static void services(const char *text, struct dt_strv *s, struct dt_strv *dbs)
{
	struct deps_root r;
	struct dt_err err;

	*s = (struct dt_strv){ 0 };
	*dbs = (struct dt_strv){ 0 };
	assert_int_equal(deps_root_open(&r, "/", &err), 0);
	assert_int_equal(deps_nsswitch_services(&r, text, s, dbs, &err), 0);
	assert_int_equal(s->n, dbs->n);
	deps_root_release(&r);
}

static void release2(struct dt_strv *a, struct dt_strv *b)
{
	dt_strv_release(a);
	dt_strv_release(b);
}

static void test_nsswitch(void **state)
{
	struct dt_strv s, dbs;
	(void)state;
	services("passwd: files systemd\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n", &s,
		 &dbs);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0], "systemd");
	assert_string_equal(dbs.v[0], "passwd");
	assert_string_equal(s.v[1], "mdns4_minimal");
	assert_string_equal(dbs.v[1], "hosts");
	release2(&s, &dbs);

	/* first-use order, every database of a service once, comments, blank lines */
	services("# passwd: ldap\n"
		 "\n"
		 "  passwd:\tcompat  systemd\n"
		 "group: files systemd # nis\n"
		 "shadow: files\n"
		 "hosts: files myhostname dns\n"
		 "passwd: systemd\n"
		 "no colon on this line\n"
		 "gshadow:\tfiles systemd\n", &s, &dbs);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0], "compat");
	assert_string_equal(dbs.v[0], "passwd");
	assert_string_equal(s.v[1], "systemd");
	assert_string_equal(dbs.v[1], "passwd group gshadow");
	assert_string_equal(s.v[2], "myhostname");
	assert_string_equal(dbs.v[2], "hosts");
	release2(&s, &dbs);

	/* files and dns only: nothing to load */
	services("passwd: files\nhosts: files dns\n", &s, &dbs);
	assert_int_equal(s.n, 0);
	release2(&s, &dbs);

	/* a line that names no database is skipped (fuzz_ldso found it read past a string) */
	services("passwd: ldap\n: ldap\n : ldap [NOTFOUND=return]\n", &s, &dbs);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0], "ldap");
	assert_string_equal(dbs.v[0], "passwd");
	release2(&s, &dbs);
}

static void test_nsswitch_root(void **state)
{
	const char *d = tl_tmpdir();
	struct dt_strv s = { 0 }, dbs = { 0 };
	struct deps_root r;
	struct dt_err err;
	(void)state;
	assert_int_equal(deps_root_open(&r, d, &err), 0);
	/* no file: no services */
	assert_int_equal(deps_nsswitch_services(&r, NULL, &s, &dbs, &err), 0);
	assert_int_equal(s.n, 0);
	/* the root's file, not this machine's */
	tl_write(d, "etc/nsswitch.conf", "hosts: files resolve [!UNAVAIL=return] dns\n", (size_t)-1,
		 0644);
	assert_int_equal(deps_nsswitch_services(&r, NULL, &s, &dbs, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0], "resolve");
	assert_string_equal(dbs.v[0], "hosts");
	release2(&s, &dbs);
	/* given text wins over the root's file */
	assert_int_equal(deps_nsswitch_services(&r, "passwd: ldap\n", &s, &dbs, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0], "ldap");
	release2(&s, &dbs);
	deps_root_release(&r);
	tl_rmtree(d);
}

/* A service glued to its actions, and actions written with spaces: both valid for glibc 2.36
 * (nss/nss_action_parse.c ends a name at "[" and skips blanks inside the brackets). */
static void test_nsswitch_actions(void **state)
{
	struct dt_strv s, dbs;
	(void)state;
	services("hosts: files mdns4_minimal[NOTFOUND=return] dns\n"
		 "networks: files [ NOTFOUND = return ] nis\n", &s, &dbs);
	assert_string_equal(s.v[0], "mdns4_minimal");
	assert_string_equal(s.v[1], "nis");
	release2(&s, &dbs);
}

static void test_nsswitch_db_names(void **state)
{
	struct dt_strv s, dbs;
	(void)state;
	services("netgroup: nis\ngroup: nis\n", &s, &dbs);
	assert_int_equal(s.n, 1);
	assert_string_equal(dbs.v[0], "netgroup group");
	release2(&s, &dbs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi_find),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_conf_missing),
		cmocka_unit_test(test_conf_nested_too_deeply),
		cmocka_unit_test(test_real_cache),
		cmocka_unit_test(test_made_cache),
		cmocka_unit_test(test_bad_cache),
		cmocka_unit_test(test_nsswitch),
		cmocka_unit_test(test_nsswitch_root),
		cmocka_unit_test(test_nsswitch_actions),
		cmocka_unit_test(test_nsswitch_db_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
