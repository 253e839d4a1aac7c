/* SPDX-License-Identifier: MIT */
/* Unit tests of manifest/dlopen_note: the .note.dlopen JSON payload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "manifest/dlopen_note.h"

static void test_valid(void **state)
{
	struct deps_dlopen_entry *v = NULL;
	struct dt_err err;
	size_t n = 0;
	(void)state;
	assert_int_equal(mf_dlopen_note_parse(
		"[{\"feature\":\"tpm\",\"description\":\"TPM\",\"priority\":\"suggested\","
		"\"soname\":[\"libtss2-esys.so.0\",\"libtss2-esys.so.1\"]},{\"soname\":[\"libz.so.1\"]}]",
		&v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].feature, "tpm");
	assert_string_equal(v[0].priority, "suggested");
	assert_int_equal(v[0].nsonames, 2);
	assert_string_equal(v[0].sonames[1], "libtss2-esys.so.1");
	assert_null(v[1].feature);
	assert_null(v[1].priority);
	deps_dlopen_entries_free(v, n);
}

static void test_invalid(void **state)
{
	static const struct { const char *json, *msg; } bad[] = {
		{ "not json", "not JSON" },
		{ "{\"soname\":[\"a\"]}", "not an array" },
		{ "[1]", "feature 0 is not an object" },
		{ "[{\"soname\":[]}]", "has no \"soname\" array" },
		{ "[{\"soname\":[\"../../etc/passwd\"]}]", "a soname is not a file name" },
		{ "[{\"soname\":[\"a\"],\"priority\":\"maybe\"}]", "unknown priority" },
		{ "[{\"soname\":[\"a\"],\"feature\":7}]", "\"feature\" is not a string" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct deps_dlopen_entry *v = (struct deps_dlopen_entry *)1;
		struct dt_err err;
		size_t n = 9;
		assert_int_equal(mf_dlopen_note_parse(bad[i].json, &v, &n, &err), -DT_EINPUT);
		assert_non_null(strstr(err.msg, bad[i].msg));
		assert_null(v);
		assert_int_equal(n, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
