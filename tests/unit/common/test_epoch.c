/* SPDX-License-Identifier: MIT */
/* Unit tests of common/epoch: strict SOURCE_DATE_EPOCH parsing and RFC 3339 formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/epoch.h"

static void test_parse_accepts(void **state)
{
	struct dt_err err;
	int64_t v = -1;
	(void)state;
	assert_int_equal(dt_epoch_parse("0", "X", &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(dt_epoch_parse("1700000000", "X", &v, &err), 0);
	assert_int_equal(v, 1700000000);
	assert_int_equal(dt_epoch_parse("253402300799", "X", &v, &err), 0);
	assert_int_equal(v, DT_EPOCH_MAX);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1.0", "0x10", "1e9",
					   "253402300800", "99999999999999999999999" };
	struct dt_err err;
	int64_t v = 42;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dt_epoch_parse(bad[i], "SOURCE_DATE_EPOCH", &v, &err), -DT_EINPUT);
		assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));
		assert_int_equal(v, 42);
	}
}

static void test_rfc3339(void **state)
{
	static const struct { int64_t t; const char *s; } cases[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1700000000, "2023-11-14T22:13:20Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 4107542399, "2100-02-28T23:59:59Z" },
		{ 4107542400, "2100-03-01T00:00:00Z" },
		{ DT_EPOCH_MAX, "9999-12-31T23:59:59Z" },
	};
	struct dt_err err;
	char buf[21];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(dt_epoch_rfc3339(cases[i].t, buf, &err), 0);
		assert_string_equal(buf, cases[i].s);
	}
	assert_int_equal(dt_epoch_rfc3339(-1, buf, &err), -DT_EINPUT);
	assert_int_equal(dt_epoch_rfc3339(DT_EPOCH_MAX + 1, buf, &err), -DT_EINPUT);
}

static void test_err_prefix(void **state)
{
	struct dt_err err;
	(void)state;
	assert_int_equal(dt_err_set(&err, DT_EINPUT, "bad %s", "thing"), -DT_EINPUT);
	dt_err_prefix(&err, "cannot read '%s'", "x");
	assert_string_equal(err.msg, "cannot read 'x': bad thing");
	assert_int_equal(dt_err_sys(&err, 2, "cannot open '%s'", "y"), -DT_ESYS);
	assert_string_equal(err.msg, "cannot open 'y': No such file or directory");
	assert_int_equal(err.sys_errno, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_err_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
