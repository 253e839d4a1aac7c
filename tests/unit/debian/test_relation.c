/* SPDX-License-Identifier: MIT */
/* Unit tests of debian/relation: version comparison as dpkg orders versions (epochs, '~',
 * letters before other characters, digit runs as numbers, revisions), version and name
 * validity, relationship fields parsed (alternatives, operators, architecture qualifiers,
 * source-only restrictions skipped, continuation lines) and refused (bad names, versions,
 * operators, too many relations), and clauses written back as Debian writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debian/relation.h"

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void test_version_cmp(void **state)
{
	/* a < b for each pair; checked both ways */
	static const char *const less[][2] = {
		{ "1.0", "1.1" }, { "1.9", "1.10" }, { "1.0~rc1", "1.0" }, { "1.0~~", "1.0~" },
		{ "1.0", "1.0a" }, { "1.0a", "1.0+" }, { "1.0", "1:0.1" }, { "2:1", "10:1" },
		{ "1.0-1", "1.0-2" }, { "1.0-9", "1.0-10" }, { "1.0", "1.0-0.1" },
		{ "3.0.15-1~deb12u1", "3.0.15-1" }, { "2.36-9+deb12u4", "2.36-9+deb12u10" },
		{ "1:1.2.13.dfsg-1", "1:1.3" }, { "0.9", "0.10~beta" }, { "1.0-1", "1.0.1-1" },
		{ "7.88.1-10+deb12u5", "7.88.1-10+deb12u14" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(less) / sizeof(less[0]); i++) {
		assert_int_equal(sign(deb_version_cmp(less[i][0], less[i][1])), -1);
		assert_int_equal(sign(deb_version_cmp(less[i][1], less[i][0])), 1);
	}
	assert_int_equal(deb_version_cmp("1.0", "1.0"), 0);
	assert_int_equal(deb_version_cmp("0:1.0", "1.0"), 0);  /* epoch 0 is no epoch */
	assert_int_equal(deb_version_cmp("1.00", "1.0"), 0);   /* numbers, not strings */
	assert_int_equal(deb_version_cmp("1.0-0", "1.0"), 0);  /* revision 0 sorts as none */
}

static void test_rel_holds(void **state)
{
	(void)state;
	assert_true(deb_rel_holds(DEB_REL_ANY, NULL, NULL));
	assert_true(deb_rel_holds(DEB_REL_GE, "2.34", "2.36-9"));
	assert_false(deb_rel_holds(DEB_REL_GE, "2.37", "2.36-9"));
	assert_true(deb_rel_holds(DEB_REL_EQ, "3.11.2-6+deb12u6", "3.11.2-6+deb12u6"));
	assert_false(deb_rel_holds(DEB_REL_EQ, "3.11.2-6", "3.11.2-6+deb12u6"));
	assert_true(deb_rel_holds(DEB_REL_LT, "2", "1.9"));
	assert_false(deb_rel_holds(DEB_REL_LT, "2", "2"));
	assert_true(deb_rel_holds(DEB_REL_LE, "2", "2"));
	assert_true(deb_rel_holds(DEB_REL_GT, "1", "1.0.1"));
	assert_false(deb_rel_holds(DEB_REL_GE, "1.0", NULL)); /* a virtual package, unversioned */
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(deb_version_valid("1:2.36-9+deb12u4"));
	assert_true(deb_version_valid("1.0~rc1"));
	assert_true(deb_version_valid("1:1:2-3")); /* ':' allowed in upstream after an epoch */
	assert_false(deb_version_valid(""));
	assert_false(deb_version_valid("a1.0"));   /* upstream starts with a digit */
	assert_false(deb_version_valid(":1.0"));
	assert_false(deb_version_valid("x:1.0"));
	assert_false(deb_version_valid("1.0-"));
	assert_false(deb_version_valid("1.0 2"));
	assert_false(deb_version_valid("1.0\n"));
	assert_false(deb_version_valid("1:")); /* an epoch and no upstream version */
	assert_true(deb_name_valid("libstdc++6"));
	assert_true(deb_name_valid("python3.11-minimal"));
	assert_false(deb_name_valid("Libc6"));
	assert_false(deb_name_valid("-x"));
	assert_false(deb_name_valid("a/b"));
	assert_false(deb_name_valid(""));
}

static void test_parse(void **state)
{
	struct deb_relations r;
	struct dt_err err;
	char buf[256];
	(void)state;

	assert_int_equal(deb_relations_parse("libc6 (>= 2.34), libssl3 (>=3.0.0) | libssl1.1,\n"
					     " python3:any, foo:amd64 (<< 2) [amd64 i386] <!nocheck>,"
					     "bar (> 1)", &r, &err), 0);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.v[0].nalts, 1);
	assert_string_equal(r.v[0].alts[0].name, "libc6");
	assert_int_equal(r.v[0].alts[0].op, DEB_REL_GE);
	assert_string_equal(r.v[0].alts[0].version, "2.34");
	assert_int_equal(r.v[1].nalts, 2);
	assert_string_equal(r.v[1].alts[1].name, "libssl1.1");
	assert_int_equal(r.v[1].alts[1].op, DEB_REL_ANY);
	assert_null(r.v[1].alts[1].version);
	assert_string_equal(r.v[2].alts[0].name, "python3");
	assert_string_equal(r.v[2].alts[0].arch, "any");
	assert_string_equal(r.v[3].alts[0].arch, "amd64");
	assert_int_equal(r.v[3].alts[0].op, DEB_REL_LT);
	assert_int_equal(r.v[4].alts[0].op, DEB_REL_GE); /* the obsolete '>' means >= */
	deb_rel_clause_format(&r.v[1], buf, sizeof(buf));
	assert_string_equal(buf, "libssl3 (>= 3.0.0) | libssl1.1");
	deb_rel_clause_format(&r.v[3], buf, sizeof(buf));
	assert_string_equal(buf, "foo:amd64 (<< 2)");
	deb_relations_release(&r);

	assert_int_equal(deb_relations_parse("", &r, &err), 0);
	assert_int_equal(r.n, 0);
	deb_relations_release(&r);
}

static void test_parse_errors(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "libc6 (>= 2.34", "not a version followed by ')'" },
		{ "libc6 (~ 2)", "expected <<, <=, =, >= or >>" },
		{ "Libc6", "'Libc6' is not a package name" },
		{ "a, , b", "a package name is missing" },
		{ "a | ", "a package name is missing" },
		{ "a (= x1)", "'x1' is not a version" },
		{ "a b", "unexpected 'b'" },
		{ "a [amd64", "'[' is not closed" },
		{ "a:AMD", "'AMD' is not an architecture" },
	};
	struct deb_relations r;
	struct dt_err err;
	char *many;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(deb_relations_parse(bad[i].text, &r, &err), -DT_EINPUT);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s': '%s' lacks '%s'", bad[i].text, err.msg, bad[i].msg);
		deb_relations_release(&r);
	}
	/* bounded: one relation more than DEB_REL_MAX */
	assert_non_null(many = malloc(3 * (DEB_REL_MAX + 1) + 1));
	many[0] = '\0';
	for (int i = 0; i <= DEB_REL_MAX; i++)
		strcat(many, i ? "|a" : "a");
	assert_int_equal(deb_relations_parse(many, &r, &err), -DT_EINPUT);
	assert_non_null(strstr(err.msg, "more than 4096 relations"));
	deb_relations_release(&r);
	free(many);
}

static void test_field_folded(void **state)
{
	const char *stanza = "Package: a\nDepends: b,\n c (>= 1),\n\td\nDescription: x\n y\n";
	char *v;
	(void)state;

	assert_non_null(v = deb_field_folded(stanza, "depends", NULL));
	assert_string_equal(v, "b,  c (>= 1),  d");
	free(v);
	assert_null(deb_field_folded(stanza, "Pre-Depends", NULL));
	assert_non_null(v = deb_field_folded("Provides: x", "Provides", NULL));
	assert_string_equal(v, "x");
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_cmp), cmocka_unit_test(test_rel_holds),
		cmocka_unit_test(test_valid),       cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_field_folded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
