/* SPDX-License-Identifier: MIT */
/* Unit tests of manifest/jdiff: one line per difference, at its deepest JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "manifest/jdiff.h"

struct lines {
	char text[16][256];
	int n;
};

static int collect(void *ctx, const char *path, const char *what, const char *a, const char *b,
		   struct dt_err *err)
{
	struct lines *l = ctx;
	(void)a;
	(void)b;
	(void)err;
	if (l->n < 16)
		snprintf(l->text[l->n++], 256, "%s: %s", path, what);
	return 0;
}

static struct lines run(const char *ja, const char *jb, const char *root)
{
	json_t *a = json_loads(ja, 0, NULL), *b = json_loads(jb, 0, NULL);
	struct lines l = { .n = 0 };
	struct dt_err err;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(mf_jdiff(a, b, root, collect, &l, &err), 0);
	json_decref(a);
	json_decref(b);
	return l;
}

static void test_equal(void **state)
{
	struct lines l = run("{\"a\":[1,{\"b\":\"c\"}]}", "{\"a\":[1,{\"b\":\"c\"}]}", "");
	(void)state;
	assert_int_equal(l.n, 0);
}

static void test_env_lists(void **state)
{
	struct lines l = run("{\"config\":{\"Env\":[\"PATH=/bin\",\"X=1\"]}}",
			     "{\"config\":{\"Env\":[\"PATH=/bin\",\"TZ=UTC\"]}}", "");
	(void)state;
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "config.Env: - X=1");
	assert_string_equal(l.text[1], "config.Env: + TZ=UTC");
	/* the same elements in another order are one difference */
	l = run("{\"Cmd\":[\"a\",\"b\"]}", "{\"Cmd\":[\"b\",\"a\"]}", "");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], "Cmd: order [\"a\",\"b\"] -> [\"b\",\"a\"]");
	/* duplicates count: one more "a" is one element added */
	l = run("{\"Cmd\":[\"a\"]}", "{\"Cmd\":[\"a\",\"a\"]}", "");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], "Cmd: + a");
}

static void test_paths(void **state)
{
	struct lines l = run("{\"created\":\"1970-01-01\",\"history\":[{\"created_by\":\"x\"}],"
			     "\"annotations\":{\"org.example.k\":\"v\"},\"n\":1}",
			     "{\"created\":\"2024-11-19\",\"history\":[{\"created_by\":\"y\"},{\"c\":1}],"
			     "\"annotations\":{},\"n\":\"1\"}",
			     "manifest");
	(void)state;
	assert_int_equal(l.n, 5);
	/* keys sorted; keys with dots quoted; strings bare, other values as JSON */
	assert_string_equal(l.text[0], "manifest.annotations[\"org.example.k\"]: - v");
	assert_string_equal(l.text[1], "manifest.created: 1970-01-01 -> 2024-11-19");
	assert_string_equal(l.text[2], "manifest.history[0].created_by: x -> y");
	assert_string_equal(l.text[3], "manifest.history[1]: + {\"c\":1}");
	assert_string_equal(l.text[4], "manifest.n: 1 -> \"1\"");
}

static void test_text(void **state)
{
	json_t *v = json_string("");
	char *t = mf_jdiff_text(v);
	(void)state;
	assert_string_equal(t, "\"\"");
	free(t);
	json_decref(v);
	v = json_string("a\nb");
	t = mf_jdiff_text(v);
	assert_string_equal(t, "\"a\\nb\"");
	free(t);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_env_lists),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
