/* SPDX-License-Identifier: MIT */
/* Unit tests of manifest/json: one serialization policy (sorted keys, no "/" escaping). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "manifest/json.h"

static void test_dump(void **state)
{
	json_t *doc = json_pack("{s:i, s:s, s:[i,i], s:{s:b, s:n}}", "zeta", 1, "alpha",
				"a/b é", "mid", 2, 1, "obj", "y", 1, "x");
	struct dt_err err;
	char *s = NULL;
	(void)state;
	assert_non_null(doc);
	assert_int_equal(mf_json_dump(doc, MF_JSON_COMPACT, &s, &err), 0);
	assert_string_equal(s, "{\"alpha\":\"a/b é\",\"mid\":[2,1],\"obj\":{\"x\":null,\"y\":true},\"zeta\":1}");
	free(s);
	assert_int_equal(mf_json_dump(doc, MF_JSON_PRETTY, &s, &err), 0);
	assert_string_equal(s, "{\n  \"alpha\": \"a/b é\",\n  \"mid\": [\n    2,\n    1\n  ],\n"
			       "  \"obj\": {\n    \"x\": null,\n    \"y\": true\n  },\n  \"zeta\": 1\n}\n");
	free(s);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_dump) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
