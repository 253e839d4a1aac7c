/* SPDX-License-Identifier: MIT */
/* Unit tests of debian/status: status.d md5sums lines written and read back (prefixes and
 * trailing "/" dropped, other lines skipped, a callback that stops the walk), and the fields
 * of a control or status stanza. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "debian/status.h"

static const unsigned char md5a[DT_MD5_LEN] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
						0x08, 0x09, 0x0a, 0x0b, 0xcc, 0xdd, 0xee, 0xff };

static void test_md5sums_add(void **state)
{
	static const unsigned char zero[DT_MD5_LEN] = { 0 };
	struct dt_buf b = { 0 };
	char *text;
	(void)state;

	deb_status_md5sums_add(&b, md5a, "/usr/bin/x");
	deb_status_md5sums_add(&b, zero, "etc/y z"); /* no leading "/": as it is */
	/* md5sum of "hello" */
	deb_status_md5sums_add(&b, (const unsigned char *)"\x5d\x41\x40\x2a\xbc\x4b\x2a\x76"
			       "\xb9\x71\x9d\x91\x10\x17\xc5\x92", "/usr/share/t/a.txt");
	assert_false(b.oom);
	assert_non_null(text = dt_buf_detach(&b, NULL));
	assert_string_equal(text, "000102030405060708090a0bccddeeff  usr/bin/x\n"
			    "00000000000000000000000000000000  etc/y z\n"
			    "5d41402abc4b2a76b9719d911017c592  usr/share/t/a.txt\n");
	free(text);
}

struct seen {
	char paths[16][256];
	int n;
	int stop_at; /* the call that returns -7, or -1 */
};

static int collect(void *ctx, const char *path)
{
	struct seen *s = ctx;

	assert_true(s->n < 16);
	snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", path);
	return s->n++ == s->stop_at ? -7 : 0;
}

static void test_md5sums_round_trip(void **state)
{
	static const char *const paths[] = { "/usr/bin/x", "/usr/lib/x86_64-linux-gnu/libz.so.1",
					     "/etc/a  b" };
	struct dt_buf b = { 0 };
	struct seen s = { .stop_at = -1 };
	char *text;
	(void)state;

	for (size_t i = 0; i < 3; i++)
		deb_status_md5sums_add(&b, md5a, paths[i]);
	assert_non_null(text = dt_buf_detach(&b, NULL));
	assert_int_equal(deb_status_md5sums_parse(text, collect, &s), 0);
	assert_int_equal(s.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(s.paths[i], paths[i] + 1);
	free(text);
}

static void test_md5sums_parse(void **state)
{
	char text[] = "0123456789abcdef0123456789abcdef  ./usr/a\n"
		      "0123456789abcdef0123456789abcdef  /usr/b\n"
		      "0123456789abcdef0123456789abcdef  ././//usr/c\n"
		      "0123456789abcdef0123456789abcdef usr/one-space\n" /* skipped */
		      "\n"
		      "no separator at all\n"                             /* skipped */
		      "0123456789abcdef0123456789abcdef  usr/dir/\n"
		      "0123456789abcdef0123456789abcdef  usr/dir2///\n"
		      "0123456789abcdef0123456789abcdef  usr/two  spaces\n"
		      "0123456789abcdef0123456789abcdef  usr/last";
	static const char *const want[] = { "usr/a", "usr/b", "usr/c", "usr/dir", "usr/dir2",
					    "usr/two  spaces", "usr/last" };
	struct seen s = { .stop_at = -1 };
	(void)state;

	assert_int_equal(deb_status_md5sums_parse(text, collect, &s), 0);
	assert_int_equal(s.n, 7);
	for (int i = 0; i < 7; i++)
		assert_string_equal(s.paths[i], want[i]);
}

static void test_md5sums_stop(void **state)
{
	char text[] = "0123456789abcdef0123456789abcdef  a\n"
		      "0123456789abcdef0123456789abcdef  b\n"
		      "0123456789abcdef0123456789abcdef  c\n";
	char empty[] = "";
	struct seen s = { .stop_at = 1 };
	(void)state;

	/* the second call's -7 ends the walk and is returned */
	assert_int_equal(deb_status_md5sums_parse(text, collect, &s), -7);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.paths[1], "b");
	s.n = 0;
	assert_int_equal(deb_status_md5sums_parse(empty, collect, &s), 0);
	assert_int_equal(s.n, 0);
}

static void field_is(const char *stanza, const char *name, const char *want)
{
	char *v = deb_field(stanza, name);

	if (!want) {
		if (v)
			fail_msg("%s: '%s', want none", name, v);
		return;
	}
	if (!v)
		fail_msg("%s: none, want '%s'", name, want);
	assert_string_equal(v, want);
	free(v);
}

static void test_field(void **state)
{
	static const char stanza[] =
		"Package: libfoo1\n"
		"Pre-Depends: libc6 (>= 2.34)\n"
		"Version:  1:2.0-1+b1 \t\n"
		"Description: short text  \n"
		" Version: 9.9 (a continuation line, not a field)\n"
		" .\n"
		" Depends: not either\n"
		"Empty:\n"
		"Blank:  \t \n"
		"Folded:\n"
		" only continuation lines\n"
		"Depends: libbar\n"
		"Windows: yes\r\n"
		"Ver: short\n"
		"Architecture:amd64";
	(void)state;

	field_is(stanza, "Package", "libfoo1");
	field_is(stanza, "Version", "1:2.0-1+b1");
	field_is(stanza, "Description", "short text");
	/* "Depends" is not the end of "Pre-Depends", nor the continuation line */
	field_is(stanza, "Depends", "libbar");
	field_is(stanza, "Pre-Depends", "libc6 (>= 2.34)");
	/* "Ver" is a prefix of "Version", and the other way round */
	field_is(stanza, "Ver", "short");
	field_is(stanza, "Vers", NULL);
	field_is(stanza, "Windows", "yes");
	field_is(stanza, "Architecture", "amd64");
	field_is(stanza, "Empty", NULL);
	field_is(stanza, "Blank", NULL);
	field_is(stanza, "Folded", NULL);
	field_is(stanza, "Maintainer", NULL);
	field_is(stanza, "", NULL);
	field_is("", "Package", NULL);
	field_is("Package: only\n", "Package", "only");
	/* the first line only when the field has several */
	field_is("Description: first\n second\n", "Description", "first");
}

/* Debian Policy 5.1: field names are not case-sensitive; dpkg accepts "package:". */
static void test_field_case(void **state)
{
	char *v = deb_field("package: t\nVERSION: 1.0\n", "Package");
	(void)state;

	assert_string_equal(v, "t");
	free(v);
	field_is("package: t\nVERSION: 1.0\n", "Version", "1.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5sums_add),
		cmocka_unit_test(test_md5sums_round_trip),
		cmocka_unit_test(test_md5sums_parse),
		cmocka_unit_test(test_md5sums_stop),
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_field_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
