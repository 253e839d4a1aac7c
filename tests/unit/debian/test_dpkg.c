/* SPDX-License-Identifier: MIT */
/* Unit tests of manifest/dpkg: a fake root's status and .list files (installed, removed,
 * held and multi-arch packages, merged-/usr aliases, confinement), and this machine's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "debian/dpkg.h"

static const char dpkg_stanza[] =
	"Package: dpkg\n"
	"Essential: yes\n"
	"Status: install ok installed\n"
	"Architecture: amd64\n"
	"Version: 1.21.23\n"
	"Description: Debian package management system\n"
	" This package provides the low-level infrastructure for handling the\n"
	" installation and removal of Debian software packages.\n"
	" .\n"
	" For Debian, this package also provides a few tools.\n";

static const char status[] =
	"Package: libc6\n"
	"Status: install ok installed\n"
	"Architecture: i386\n"
	"Multi-Arch: same\n"
	"Version: 2.36-9+deb12u4\n"
	"\n"
	"Package: oldpkg\n"
	"Status: deinstall ok config-files\n"
	"Architecture: amd64\n"
	"Version: 1.0-1\n"
	"\n"
	"\n"
	"Package: libc6\n"
	"Status: install ok installed\n"
	"Architecture: amd64\n"
	"Multi-Arch: same\n"
	"Version: 2.36-9+deb12u4\n"
	"Description: GNU C Library: Shared libraries\n"
	" Contains the standard libraries that are used by nearly all programs on\n"
	" the system.\n"
	"\n"
	"Package: held\n"
	"Status: hold ok installed\n"
	"Architecture: all\n"
	"Version: 2\n"
	"\n"
	"Package: aaa-base\n"
	"Status: install ok installed\n"
	"Architecture: all\n"
	"Version: 1\n"
	"\n";

/* Writes @text to @root/@rel, making its directories. */
static void put(const char *root, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *fake_root(void)
{
	char *dir = strdup("/tmp/distill-dpkg.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rm_root(char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static struct deb_dpkg *open_db(const char *dir)
{
	struct deps_root r;
	struct dt_err err;
	struct deb_dpkg *db = NULL;
	int rc;

	dt_err_clear(&err);
	assert_int_equal(deps_root_open(&r, dir, &err), 0);
	rc = deb_dpkg_open(&r, &db, &err);
	if (rc < 0)
		fail_msg("%s", err.msg);
	deps_root_release(&r);
	assert_non_null(db);
	return db;
}

static const char *owner(const struct deb_dpkg *db, const char *path)
{
	const struct deb_dpkg_pkg *p = deb_dpkg_owner(db, path);
	return p ? p->name : NULL;
}

static void test_fake_root(void **state)
{
	char *dir = fake_root(), *text;
	const struct deb_dpkg_pkg *p;
	struct deb_dpkg *db;
	(void)state;

	if (asprintf(&text, "%s%s\n%s", status, dpkg_stanza, "Package: last\nStatus: install ok "
		     "installed\nArchitecture: amd64\nVersion: 3") < 0)
		fail();
	put(dir, "var/lib/dpkg/status", text);
	free(text);
	put(dir, "var/lib/dpkg/info/dpkg.list", "/.\n/usr\n/usr/bin\n/usr/bin/dpkg\n/etc\n");
	put(dir, "var/lib/dpkg/info/libc6:amd64.list",
	    "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n/usr\n"
	    "/usr/share\n/usr/share/doc\n/usr/share/doc/libc6\n/lib64/ld-linux-x86-64.so.2");
	put(dir, "var/lib/dpkg/info/libc6:i386.list",
	    "/.\n/lib/i386-linux-gnu/libc.so.6\n/usr/share/doc/libc6\n");
	put(dir, "var/lib/dpkg/info/libc6.list", "/not/this/one\n"); /* the qualified one wins */
	put(dir, "var/lib/dpkg/info/oldpkg.list", "/etc/old.conf\n");
	put(dir, "var/lib/dpkg/info/held.list", "/usr/sbin/held\n\n");
	put(dir, "var/lib/dpkg/info/last.list", "/usr/libx32/last\n");

	db = open_db(dir);
	assert_int_equal(deb_dpkg_count(db), 6); /* not oldpkg */

	assert_string_equal(owner(db, "/usr/bin/dpkg"), "dpkg");
	assert_string_equal(owner(db, "/bin/dpkg"), "dpkg");         /* /bin -> usr/bin */
	assert_string_equal(owner(db, "/usr/lib/x86_64-linux-gnu/libc.so.6"), "libc6");
	assert_string_equal(owner(db, "/lib/x86_64-linux-gnu/libc.so.6"), "libc6");
	assert_string_equal(owner(db, "/usr/lib64/ld-linux-x86-64.so.2"), "libc6");
	assert_string_equal(deb_dpkg_owner(db, "/lib/i386-linux-gnu/libc.so.6")->arch, "i386");
	assert_string_equal(owner(db, "/sbin/held"), "held");
	assert_string_equal(owner(db, "/libx32/last"), "last");
	/* Directories: the first owner by name; per name the native architecture (dpkg's). */
	assert_string_equal(owner(db, "/"), "dpkg");
	assert_string_equal(owner(db, "/usr"), "dpkg");
	assert_string_equal(deb_dpkg_owner(db, "/usr/share/doc/libc6")->arch, "amd64");
	assert_null(owner(db, "/etc/old.conf"));    /* removed, config files left */
	assert_null(owner(db, "/not/this/one"));
	assert_null(owner(db, "/usr/bin/dpkg2"));
	assert_null(owner(db, "/usr/bin/dpk"));
	assert_null(owner(db, "/lib32x/x86_64-linux-gnu/libc.so.6")); /* not an alias */
	assert_null(owner(db, "/usr/lib/i386-linux-gnu/x"));
	assert_null(owner(db, ""));

	assert_non_null(p = deb_dpkg_find(db, "dpkg"));
	assert_string_equal(p->version, "1.21.23");
	assert_string_equal(p->arch, "amd64");
	assert_string_equal(p->stanza, dpkg_stanza);
	assert_string_equal(deb_dpkg_find(db, "libc6")->arch, "amd64");
	assert_string_equal(deb_dpkg_find(db, "libc6:i386")->arch, "i386");
	assert_string_equal(deb_dpkg_find(db, "libc6:amd64")->arch, "amd64");
	assert_string_equal(deb_dpkg_find(db, "libc6")->version, "2.36-9+deb12u4");
	assert_null(deb_dpkg_find(db, "libc6:arm64"));
	assert_null(deb_dpkg_find(db, "libc"));
	assert_null(deb_dpkg_find(db, "libc66"));
	assert_null(deb_dpkg_find(db, "oldpkg"));
	assert_string_equal(deb_dpkg_find(db, "aaa-base")->version, "1");
	assert_string_equal(deb_dpkg_find(db, "held")->stanza,
			    "Package: held\nStatus: hold ok installed\nArchitecture: all\n"
			    "Version: 2\n");
	/* The last paragraph has no final newline in the file: the stanza does. */
	assert_string_equal(deb_dpkg_find(db, "last")->stanza,
			    "Package: last\nStatus: install ok installed\nArchitecture: amd64\n"
			    "Version: 3\n");
	assert_string_equal(deb_dpkg_find(db, "libc6")->stanza,
			    "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"
			    "Multi-Arch: same\nVersion: 2.36-9+deb12u4\n"
			    "Description: GNU C Library: Shared libraries\n"
			    " Contains the standard libraries that are used by nearly all programs "
			    "on\n the system.\n");
	deb_dpkg_free(db);
	rm_root(dir);
}

static void test_md5_of(void **state)
{
	struct deb_dpkg_pkg p = {
		.name = (char[]){ "base-files" }, .arch = (char[]){ "amd64" },
		.version = (char[]){ "12.4" },
		.stanza = (char[]){ "Package: base-files\nConffiles:\n"
				    " /etc/issue 0123456789abcdef0123456789abcdef\n"
				    " /etc/old ffffffffffffffffffffffffffffffff obsolete\n"
				    "Description: x\n" },
	};
	const char *sums = "11111111111111111111111111111111  usr/lib/os-release\n"
			   "22222222222222222222222222222222  lib/x86_64-linux-gnu/libc.so.6\n"
			   "33333333333333333333333333333333  usr/lib/os-release2\n";
	char md5[33];
	int conffile = -1;
	(void)state;
	assert_int_equal(deb_dpkg_md5_of(&p, sums, "/usr/lib/os-release", md5, &conffile), 0);
	assert_string_equal(md5, "11111111111111111111111111111111");
	assert_int_equal(conffile, 0);
	/* the merged-/usr alias of what the package lists */
	assert_int_equal(deb_dpkg_md5_of(&p, sums, "/usr/lib/x86_64-linux-gnu/libc.so.6", md5,
					 &conffile), 0);
	assert_string_equal(md5, "22222222222222222222222222222222");
	assert_int_equal(deb_dpkg_md5_of(&p, sums, "/etc/issue", md5, &conffile), 0);
	assert_string_equal(md5, "0123456789abcdef0123456789abcdef");
	assert_int_equal(conffile, 1);
	assert_int_equal(deb_dpkg_md5_of(&p, sums, "/etc/old", md5, &conffile), 0);
	assert_int_equal(deb_dpkg_md5_of(&p, sums, "/usr/lib/os", md5, &conffile), 1);
	assert_int_equal(deb_dpkg_md5_of(&p, NULL, "/etc/issue.net", md5, &conffile), 1);
}

static void test_missing_db(void **state)
{
	char *dir = fake_root();
	struct deb_dpkg *db;
	(void)state;

	db = open_db(dir);
	assert_int_equal(deb_dpkg_count(db), 0);
	assert_null(deb_dpkg_owner(db, "/usr/bin/dpkg"));
	assert_null(deb_dpkg_find(db, "dpkg"));
	deb_dpkg_free(db);
	/* A status file and no info/ directory: packages without paths. */
	put(dir, "var/lib/dpkg/status", dpkg_stanza);
	db = open_db(dir);
	assert_int_equal(deb_dpkg_count(db), 1);
	assert_null(deb_dpkg_owner(db, "/usr/bin/dpkg"));
	deb_dpkg_free(db);
	deb_dpkg_free(NULL);
	assert_int_equal(deb_dpkg_count(NULL), 0);
	rm_root(dir);
}

/* An absolute symlink inside the root resolves inside it, never to the host's file. */
static void test_confined(void **state)
{
	char *dir = fake_root(), path[4200], host[4200], target[4300];
	struct deb_dpkg *db;
	FILE *f;
	(void)state;

	put(dir, "elsewhere/status", "Package: inside\nStatus: install ok installed\n"
				      "Architecture: all\nVersion: 1\n");
	put(dir, "var/lib/dpkg/info/inside.list", "/inside\n");
	snprintf(path, sizeof(path), "%s/var/lib/dpkg/status", dir);
	assert_int_equal(symlink("/elsewhere/status", path), 0);
	db = open_db(dir);
	assert_int_equal(deb_dpkg_count(db), 1);
	assert_string_equal(owner(db, "/inside"), "inside");
	deb_dpkg_free(db);
	/* ".." stops at the root: the host file beside the root (which would not parse) is
	 * not reached, and the missing file inside the root is an empty database. */
	snprintf(host, sizeof(host), "%s.host", dir);
	assert_non_null(f = fopen(host, "w"));
	fputs("not a status file\n", f);
	fclose(f);
	unlink(path);
	snprintf(target, sizeof(target), "../../../../../../../../..%s", host);
	assert_int_equal(symlink(target, path), 0);
	db = open_db(dir);
	assert_int_equal(deb_dpkg_count(db), 0);
	deb_dpkg_free(db);
	unlink(host);
	rm_root(dir);
}

static void test_bad_status(void **state)
{
	char *dir = fake_root(), want[4400];
	struct deb_dpkg *db = NULL;
	struct deps_root r;
	struct dt_err err;
	(void)state;

	put(dir, "var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nVersion: 1\n"
					"\nPackage: b\nnot a field\n");
	assert_int_equal(deps_root_open(&r, dir, &err), 0);
	assert_int_equal(deb_dpkg_open(&r, &db, &err), -DT_EINPUT);
	assert_null(db);
	snprintf(want, sizeof(want), "'%s/var/lib/dpkg/status': line 6: expected a field "
		 "(Name: value)", dir);
	assert_string_equal(err.msg, want);

	put(dir, "var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nVersion: 1\n"
					"\nStatus: install ok installed\nVersion: 1\n");
	assert_int_equal(deb_dpkg_open(&r, &db, &err), -DT_EINPUT);
	snprintf(want, sizeof(want), "'%s/var/lib/dpkg/status': line 5: an installed package "
		 "without a Package field", dir);
	assert_string_equal(err.msg, want);

	put(dir, "var/lib/dpkg/status", "Package: ../../x\nStatus: install ok installed\n"
					"Version: 1\n");
	assert_int_equal(deb_dpkg_open(&r, &db, &err), -DT_EINPUT);
	snprintf(want, sizeof(want), "'%s/var/lib/dpkg/status': line 1: an installed package "
		 "without a valid Package or Architecture field", dir);
	assert_string_equal(err.msg, want);
	deps_root_release(&r);
	rm_root(dir);
}

/* This machine's own database: dpkg owns /usr/bin/dpkg, and libc6 owns libc.so.6 although
 * its list names /lib/x86_64-linux-gnu/libc.so.6 (merged /usr). */
static void test_real_root(void **state)
{
	struct deb_dpkg *db;
	(void)state;

	if (access("/var/lib/dpkg/status", R_OK) != 0)
		skip();
	db = open_db("/");
	assert_true(deb_dpkg_count(db) > 10);
	assert_string_equal(owner(db, "/usr/bin/dpkg"), "dpkg");
	if (access("/usr/lib/x86_64-linux-gnu/libc.so.6", F_OK) == 0)
		assert_string_equal(owner(db, "/usr/lib/x86_64-linux-gnu/libc.so.6"), "libc6");
	assert_non_null(deb_dpkg_find(db, "dpkg"));
	assert_non_null(strstr(deb_dpkg_find(db, "dpkg")->stanza, "Package: dpkg\n"));
	deb_dpkg_free(db);
}

/* update-alternatives' database: the mode, the link, the candidates and their priorities
 * past the slaves (an empty slave line is a slave the candidate lacks); malformed files. */
static void test_alternative(void **state)
{
	static const char awk[] = "auto\n/usr/bin/awk\nawk.1.gz\n/usr/share/man/man1/awk.1.gz\n"
				  "nawk\n/usr/bin/nawk\n\n/usr/bin/mawk\n5\n"
				  "/usr/share/man/man1/mawk.1.gz\n/usr/bin/mawk\n"
				  "/usr/bin/gawk\n10\n\n/usr/bin/gawk\n\n";
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "", "not auto or manual" },
		{ "auto\n", "no link" },
		{ "auto\nrelative\n\n", "no link" },
		{ "auto\n/l\ns1\n", "a slave without a link" },
		{ "auto\n/l\ns1\n/s1", "ends in its slaves" },
		{ "auto\n/l\n\n/c\nhigh\n\n", "priority 'high' of '/c' is not a number" },
		{ "auto\n/l\n\n/c\n\n", "without a path and a priority" },
		{ "auto\n/l\ns\n/s\n\n/c\n1\n", "candidate '/c' lacks its slaves" },
	};
	struct deb_alternative a;
	struct dt_err err;
	(void)state;
	assert_int_equal(deb_alternative_parse("awk", awk, &a, &err), 0);
	assert_false(a.manual);
	assert_string_equal(a.link, "/usr/bin/awk");
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[0].path, "/usr/bin/mawk");
	assert_int_equal(a.v[0].priority, 5);
	assert_string_equal(a.v[1].path, "/usr/bin/gawk");
	assert_int_equal(a.v[1].priority, 10);
	deb_alternative_release(&a);
	assert_int_equal(deb_alternative_parse("x", "manual\n/l\n\n/c\n-3\n", &a, &err), 0);
	assert_true(a.manual);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.v[0].priority, -3);
	deb_alternative_release(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		dt_err_clear(&err);
		assert_int_equal(deb_alternative_parse("x", bad[i].text, &a, &err), -DT_EINPUT);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].text, err.msg, bad[i].msg);
		assert_null(a.v);
		assert_null(a.link);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_root),
		cmocka_unit_test(test_missing_db),
		cmocka_unit_test(test_md5_of),
		cmocka_unit_test(test_confined),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_real_root),
		cmocka_unit_test(test_alternative),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
