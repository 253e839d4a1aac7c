/* SPDX-License-Identifier: MIT */
/* Unit tests of manifest/yaml: each strict reader's accepted and refused values with the
 * exact "FILE:LINE: KEY: message", on documents loaded here and through tiny specs; aliases,
 * several documents, nesting and node limits refused before loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/spec.h"
#include "manifest/yaml.h"
#include "testlib.h"

/* A document loaded with libyaml, and the reader's state on it. */
struct doc {
	yaml_parser_t parser;
	yaml_document_t doc;
	struct mf_yaml p;
	struct dt_err err;
	yaml_node_t *root;
};

static void load(struct doc *d, const char *text)
{
	memset(d, 0, sizeof(*d));
	assert_true(yaml_parser_initialize(&d->parser));
	yaml_parser_set_input_string(&d->parser, (const unsigned char *)text, strlen(text));
	assert_true(yaml_parser_load(&d->parser, &d->doc));
	d->p.doc = &d->doc;
	d->p.file = "d.yaml";
	d->p.dir = "/base";
	d->p.err = &d->err;
	snprintf(d->p.key, sizeof(d->p.key), "k");
	assert_non_null(d->root = yaml_document_get_root_node(&d->doc));
}

static void unload(struct doc *d)
{
	yaml_document_delete(&d->doc);
	yaml_parser_delete(&d->parser);
}

/* Item @i of the root sequence. */
static yaml_node_t *item(struct doc *d, int i)
{
	assert_int_equal(d->root->type, YAML_SEQUENCE_NODE);
	assert_true(i < d->root->data.sequence.items.top - d->root->data.sequence.items.start);
	return mf_yaml_node(&d->p, d->root->data.sequence.items.start[i]);
}

/* The reader returned -DT_EINPUT with exactly @msg, and the key path is intact. */
static void refused(struct doc *d, int rc, const char *msg)
{
	assert_int_equal(rc, -DT_EINPUT);
	assert_int_equal(d->err.code, DT_EINPUT);
	assert_string_equal(d->err.msg, msg);
	dt_err_clear(&d->err);
}

static void test_str(void **state)
{
	struct doc d;
	char *s = NULL;
	(void)state;

	load(&d, "- text\n- 'quoted: yes'\n- [a]\n- \"a\\0b\"\n- {a: b}\n- ''\n");
	assert_int_equal(mf_yaml_str(&d.p, item(&d, 0), &s), 0);
	assert_string_equal(s, "text");
	assert_int_equal(mf_yaml_str(&d.p, item(&d, 1), &s), 0); /* replaces what it held */
	assert_string_equal(s, "quoted: yes");
	refused(&d, mf_yaml_str(&d.p, item(&d, 2), &s), "d.yaml:3: k: expected a string");
	refused(&d, mf_yaml_str(&d.p, item(&d, 3), &s), "d.yaml:4: k: holds a NUL byte");
	refused(&d, mf_yaml_str(&d.p, item(&d, 4), &s), "d.yaml:5: k: expected a string");
	assert_string_equal(s, "quoted: yes"); /* a refused value leaves it */
	assert_int_equal(mf_yaml_str(&d.p, item(&d, 5), &s), 0);
	assert_string_equal(s, "");
	free(s);
	unload(&d);
}

static void test_bool(void **state)
{
	static const char *const bad[] = { "yes", "'true'", "True", "FALSE", "1", "[true]", "" };
	struct doc d;
	int v = -1;
	(void)state;

	load(&d, "- true\n- false\n");
	assert_int_equal(mf_yaml_bool(&d.p, item(&d, 0), &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(mf_yaml_bool(&d.p, item(&d, 1), &v), 0);
	assert_int_equal(v, 0);
	unload(&d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[64];
		snprintf(text, sizeof(text), "\n- %s\n", bad[i]);
		load(&d, text);
		v = 7;
		refused(&d, mf_yaml_bool(&d.p, item(&d, 0), &v),
			"d.yaml:2: k: expected true or false");
		assert_int_equal(v, 7);
		unload(&d);
	}
}

static void test_uint(void **state)
{
	struct doc d;
	uint64_t v = 99;
	(void)state;

	load(&d, "- 0\n- 10\n- 007\n- 11\n- -1\n- '5'\n- 1.5\n- +3\n- 99999999999999999999999\n"
	     "- [1]\n- 0x1\n- 18446744073709551615\n");
	assert_int_equal(mf_yaml_uint(&d.p, item(&d, 0), 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mf_yaml_uint(&d.p, item(&d, 1), 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(mf_yaml_uint(&d.p, item(&d, 2), 10, &v), 0); /* decimal, not octal */
	assert_int_equal(v, 7);
	refused(&d, mf_yaml_uint(&d.p, item(&d, 3), 10, &v),
		"d.yaml:4: k: expected a number from 0 to 10");
	refused(&d, mf_yaml_uint(&d.p, item(&d, 4), 10, &v), "d.yaml:5: k: expected a number");
	refused(&d, mf_yaml_uint(&d.p, item(&d, 5), 10, &v), "d.yaml:6: k: expected a number");
	refused(&d, mf_yaml_uint(&d.p, item(&d, 6), 10, &v),
		"d.yaml:7: k: expected a number from 0 to 10");
	refused(&d, mf_yaml_uint(&d.p, item(&d, 7), 10, &v), "d.yaml:8: k: expected a number");
	refused(&d, mf_yaml_uint(&d.p, item(&d, 8), UINT64_MAX, &v),
		"d.yaml:9: k: expected a number from 0 to 18446744073709551615");
	refused(&d, mf_yaml_uint(&d.p, item(&d, 9), 10, &v), "d.yaml:10: k: expected a number");
	refused(&d, mf_yaml_uint(&d.p, item(&d, 10), 10, &v),
		"d.yaml:11: k: expected a number from 0 to 10");
	assert_int_equal(v, 7); /* refused values leave it */
	assert_int_equal(mf_yaml_uint(&d.p, item(&d, 11), UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	unload(&d);
}

static void test_mode(void **state)
{
	static const struct {
		const char *text;
		int64_t mode;
	} ok[] = {
		{ "0644", 0644 }, { "'0640'", 0640 }, { "755", 0755 }, { "7777", 07777 },
		{ "07777", 07777 }, { "007777", 07777 }, { "0", 0 }, { "\"4755\"", 04755 },
	};
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "10000", "mode 10000 is out of range (0 to 7777)" },
		{ "017777", "mode 017777 is out of range (0 to 7777)" },
		{ "8", "expected an octal mode like \"0644\"" },
		{ "0649", "expected an octal mode like \"0644\"" },
		{ "''", "expected an octal mode like \"0644\"" },
		{ "-1", "expected an octal mode like \"0644\"" },
		{ "0o644", "expected an octal mode like \"0644\"" },
		{ "[644]", "expected an octal mode like \"0644\"" },
		{ "u+rwx", "expected an octal mode like \"0644\"" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[64];
		struct doc d;
		int64_t m = -1;
		snprintf(text, sizeof(text), "- %s\n", ok[i].text);
		load(&d, text);
		assert_int_equal(mf_yaml_mode(&d.p, item(&d, 0), &m), 0);
		assert_int_equal(m, ok[i].mode);
		unload(&d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[64], msg[128];
		struct doc d;
		int64_t m = -1;
		snprintf(text, sizeof(text), "\n\n- %s\n", bad[i].text);
		snprintf(msg, sizeof(msg), "d.yaml:3: k: %s", bad[i].msg);
		load(&d, text);
		refused(&d, mf_yaml_mode(&d.p, item(&d, 0), &m), msg);
		assert_int_equal(m, -1);
		unload(&d);
	}
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void test_strv(void **state)
{
	struct doc d;
	char **v = NULL;
	size_t n = 99;
	(void)state;

	load(&d, "- /app\n- [a, 'b c']\n- []\n- {a: b}\n- [a, [b]]\n");
	/* a single string is a list of one */
	assert_int_equal(mf_yaml_strv(&d.p, item(&d, 0), &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "/app");
	free_strv(v, n);
	assert_int_equal(mf_yaml_strv(&d.p, item(&d, 1), &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b c");
	assert_null(v[2]);
	assert_string_equal(d.p.key, "k"); /* "[i]" taken off again */
	free_strv(v, n);
	assert_int_equal(mf_yaml_strv(&d.p, item(&d, 2), &v, &n), 0);
	assert_int_equal(n, 0);
	free_strv(v, n);
	v = NULL;
	refused(&d, mf_yaml_strv(&d.p, item(&d, 3), &v, &n), "d.yaml:4: k: expected a list of "
		"strings");
	assert_null(v);
	refused(&d, mf_yaml_strv(&d.p, item(&d, 4), &v, &n), "d.yaml:5: k[1]: expected a string");
	free_strv(v, n);
	unload(&d);
}

static void free_kv(struct mf_kv *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static void test_kv(void **state)
{
	struct doc d;
	struct mf_kv *v = NULL;
	size_t n = 99;
	(void)state;

	load(&d, "- {b: 1, a: two words}\n- {}\n- [a]\n- {a: [b]}\n- {a: 1,\n   a: 2}\n"
	     "- {[x]: 1}\n- scalar\n");
	/* in document order; values are strings, numbers too */
	assert_int_equal(mf_yaml_kv(&d.p, item(&d, 0), &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].key, "b");
	assert_string_equal(v[0].value, "1");
	assert_string_equal(v[1].key, "a");
	assert_string_equal(v[1].value, "two words");
	assert_string_equal(d.p.key, "k");
	free_kv(v, n);
	assert_int_equal(mf_yaml_kv(&d.p, item(&d, 1), &v, &n), 0);
	assert_int_equal(n, 0);
	free_kv(v, n);
	v = NULL;
	refused(&d, mf_yaml_kv(&d.p, item(&d, 2), &v, &n),
		"d.yaml:3: k: expected a mapping of strings");
	refused(&d, mf_yaml_kv(&d.p, item(&d, 3), &v, &n), "d.yaml:4: k.a: expected a string");
	free_kv(v, n);
	v = NULL;
	snprintf(d.p.key, sizeof(d.p.key), "k");
	/* the second key's line */
	refused(&d, mf_yaml_kv(&d.p, item(&d, 4), &v, &n), "d.yaml:6: k.a: duplicate key");
	free_kv(v, n);
	v = NULL;
	snprintf(d.p.key, sizeof(d.p.key), "k");
	refused(&d, mf_yaml_kv(&d.p, item(&d, 5), &v, &n), "d.yaml:7: k: expected a string");
	free_kv(v, n);
	v = NULL;
	refused(&d, mf_yaml_kv(&d.p, item(&d, 6), &v, &n),
		"d.yaml:8: k: expected a mapping of strings");
	unload(&d);
}

static void path_ok(struct doc *d, int i, int allow_root, const char *want)
{
	char *s = NULL;

	if (mf_yaml_path(&d->p, item(d, i), &s, allow_root) < 0)
		fail_msg("%s", d->err.msg);
	assert_string_equal(s, want);
	free(s);
}

static void path_refused(struct doc *d, int i, int allow_root, const char *msg)
{
	char *s = NULL;

	refused(d, mf_yaml_path(&d->p, item(d, i), &s, allow_root), msg);
	assert_null(s);
}

static void test_path(void **state)
{
	struct doc d;
	char *text = malloc(16384);
	size_t w = 0;
	(void)state;

	load(&d, "- /a//b/\n- relative\n- /a/./b\n- /a/../b\n- /\n- \"/a\\tb\"\n- /..x/.y/...\n"
	     "- ''\n- //\n- /usr/lib/*/libz.so*\n- \"/a\\x7f\"\n- ./a\n");
	path_ok(&d, 0, 0, "/a/b");
	path_refused(&d, 1, 0, "d.yaml:2: k: must be an absolute path");
	path_refused(&d, 2, 0, "d.yaml:3: k: '.' and '..' are not allowed in image paths");
	path_refused(&d, 3, 1, "d.yaml:4: k: '.' and '..' are not allowed in image paths");
	path_refused(&d, 4, 0, "d.yaml:5: k: '/' is not allowed here");
	path_ok(&d, 4, 1, "/");
	path_refused(&d, 5, 0, "d.yaml:6: k: control character in path");
	path_ok(&d, 6, 0, "/..x/.y/...");
	path_refused(&d, 7, 0, "d.yaml:8: k: must be an absolute path");
	path_refused(&d, 8, 0, "d.yaml:9: k: '/' is not allowed here");
	path_ok(&d, 8, 1, "/");
	path_ok(&d, 9, 0, "/usr/lib/*/libz.so*");
	path_refused(&d, 10, 0, "d.yaml:11: k: control character in path");
	path_refused(&d, 11, 0, "d.yaml:12: k: must be an absolute path");
	unload(&d);

	/* 255-byte components and 4095-byte paths, and one byte more */
	assert_non_null(text);
	w += (size_t)sprintf(text + w, "- /");
	for (int i = 0; i < 255; i++)
		text[w++] = 'c';
	w += (size_t)sprintf(text + w, "\n- /");
	for (int i = 0; i < 256; i++)
		text[w++] = 'c';
	w += (size_t)sprintf(text + w, "\n- ");
	for (int i = 0; i < 4095; i++)
		text[w++] = i % 100 ? 'p' : '/';
	w += (size_t)sprintf(text + w, "\n- ");
	for (int i = 0; i < 4096; i++)
		text[w++] = i % 100 ? 'p' : '/';
	w += (size_t)sprintf(text + w, "\n");
	load(&d, text);
	{
		char *s = NULL;
		assert_int_equal(mf_yaml_path(&d.p, item(&d, 0), &s, 0), 0);
		assert_int_equal(strlen(s), 256);
		free(s);
		s = NULL;
		assert_int_equal(mf_yaml_path(&d.p, item(&d, 2), &s, 0), 0);
		assert_int_equal(strlen(s), 4095);
		free(s);
	}
	path_refused(&d, 1, 0, "d.yaml:2: k: path component longer than 255 bytes");
	path_refused(&d, 3, 0, "d.yaml:4: k: path longer than 4095 bytes");
	unload(&d);
	free(text);
}

static void test_host(void **state)
{
	struct doc d;
	char *s = NULL;
	(void)state;

	load(&d, "- ./conf\n- conf/x\n- /abs/./x\n- ././a\n- ../up\n- ''\n- [x]\n");
	assert_int_equal(mf_yaml_host(&d.p, item(&d, 0), &s), 0);
	assert_string_equal(s, "/base/conf");
	assert_int_equal(mf_yaml_host(&d.p, item(&d, 1), &s), 0);
	assert_string_equal(s, "/base/conf/x");
	assert_int_equal(mf_yaml_host(&d.p, item(&d, 2), &s), 0);
	assert_string_equal(s, "/abs/./x"); /* host paths are taken as they are */
	assert_int_equal(mf_yaml_host(&d.p, item(&d, 3), &s), 0);
	assert_string_equal(s, "/base/a");
	assert_int_equal(mf_yaml_host(&d.p, item(&d, 4), &s), 0);
	assert_string_equal(s, "/base/../up");
	refused(&d, mf_yaml_host(&d.p, item(&d, 5), &s), "d.yaml:6: k: empty path");
	refused(&d, mf_yaml_host(&d.p, item(&d, 6), &s), "d.yaml:7: k: expected a string");
	assert_string_equal(s, "/base/../up");
	/* a spec at the top of the filesystem */
	d.p.dir = "/";
	assert_int_equal(mf_yaml_host(&d.p, item(&d, 0), &s), 0);
	assert_string_equal(s, "/conf");
	free(s);
	unload(&d);
}

struct obj {
	char *a, *b;
};

static int field_a(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_str(p, n, &((struct obj *)o)->a);
}

static int field_b(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_str(p, n, &((struct obj *)o)->b);
}

static const struct mf_yaml_field fields[] = { { "a", field_a }, { "b", field_b },
					       { NULL, NULL } };

static void mapping(const char *text, const char *key, const char *msg)
{
	struct doc d;
	struct obj o = { 0 };

	load(&d, text);
	snprintf(d.p.key, sizeof(d.p.key), "%s", key);
	if (msg) {
		refused(&d, mf_yaml_mapping(&d.p, d.root, fields, &o), msg);
	} else {
		assert_int_equal(mf_yaml_mapping(&d.p, d.root, fields, &o), 0);
		assert_string_equal(o.a, "1");
		assert_string_equal(o.b, "x");
		assert_string_equal(d.p.key, key);
	}
	free(o.a);
	free(o.b);
	unload(&d);
}

static void test_mapping(void **state)
{
	(void)state;
	mapping("a: 1\nb: x\n", "", NULL);
	mapping("b: x\na: 1\n", "top", NULL);
	mapping("a: 1\nb: x\nc: 2\n", "", "d.yaml:3: c: unknown key");
	mapping("a: 1\nc: 2\n", "top", "d.yaml:2: top.c: unknown key");
	mapping("a: 1\nb: x\na: 2\n", "top", "d.yaml:3: top.a: duplicate key");
	mapping("a: [1]\n", "top", "d.yaml:1: top.a: expected a string");
	mapping("? [x]\n: 1\n", "top", "d.yaml:1: top: keys must be strings");
	mapping("- a\n", "top", "d.yaml:1: top: expected a mapping");
}

static int seq_item(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_str(p, n, (char **)o);
}

static void test_sequence(void **state)
{
	struct doc d;
	char **v = NULL;
	size_t n = 99;
	(void)state;

	load(&d, "- [a, b, c]\n- {a: b}\n- [a,\n   [b], c]\n- []\n");
	assert_int_equal(mf_yaml_sequence(&d.p, item(&d, 0), sizeof(char *), (void **)&v, &n,
					  seq_item), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[2], "c");
	assert_string_equal(d.p.key, "k");
	free_strv(v, n);
	v = NULL;
	refused(&d, mf_yaml_sequence(&d.p, item(&d, 1), sizeof(char *), (void **)&v, &n,
				     seq_item), "d.yaml:2: k: expected a list");
	assert_null(v);
	/* the item's own line; the items read so far are the caller's to free */
	refused(&d, mf_yaml_sequence(&d.p, item(&d, 2), sizeof(char *), (void **)&v, &n,
				     seq_item), "d.yaml:4: k[1]: expected a string");
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "a");
	free_strv(v, n);
	snprintf(d.p.key, sizeof(d.p.key), "k");
	assert_int_equal(mf_yaml_sequence(&d.p, item(&d, 3), sizeof(char *), (void **)&v, &n,
					  seq_item), 0);
	assert_int_equal(n, 0);
	free(v);
	unload(&d);
}

/* @levels flow sequences, one inside the other, around "x". */
static char *nested(const char *before, int levels)
{
	size_t len = strlen(before);
	char *s = malloc(len + 2 * (size_t)levels + 3);

	assert_non_null(s);
	memcpy(s, before, len);
	for (int i = 0; i < levels; i++)
		s[len++] = '[';
	s[len++] = 'x';
	for (int i = 0; i < levels; i++)
		s[len++] = ']';
	s[len++] = '\n';
	s[len] = '\0';
	return s;
}

/* mf_yaml_no_aliases on @text: 0, or -DT_EINPUT with exactly @msg. */
static void events(const char *text, const char *msg)
{
	struct dt_err err;
	struct mf_yaml p = { .file = "d.yaml", .err = &err };

	dt_err_clear(&err);
	if (!msg) {
		if (mf_yaml_no_aliases(&p, text, strlen(text)) < 0)
			fail_msg("%s", err.msg);
		return;
	}
	assert_int_equal(mf_yaml_no_aliases(&p, text, strlen(text)), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
}

static void test_limits(void **state)
{
	struct dt_err err;
	struct mf_yaml p = { .file = "d.yaml", .err = &err };
	char *s;
	(void)state;

	events("a: &x 1\nb: 2\n", NULL); /* an anchor alone */
	events("a: &x 1\nb: *x\n", "d.yaml:2: YAML aliases are not allowed");
	events("a: [1, 2]\nb:\n  - &y c\n  - *y\n", "d.yaml:4: YAML aliases are not allowed");
	events("--- \na: 1\n...\n", NULL);
	events("", NULL);
	events("a: 1\n---\nb: 2\n", "d.yaml:2: one YAML document only");
	events("--- a\n--- b\n", "d.yaml:2: one YAML document only");
	events("a: [\n", "d.yaml:2: invalid YAML: did not find expected node content");

	/* MF_YAML_MAX_DEPTH collections, one inside the other, and one more */
	s = nested("", MF_YAML_MAX_DEPTH);
	assert_int_equal(mf_yaml_no_aliases(&p, s, strlen(s)), 0);
	free(s);
	s = nested("\n", MF_YAML_MAX_DEPTH + 1);
	assert_int_equal(mf_yaml_no_aliases(&p, s, strlen(s)), -DT_EINPUT);
	assert_string_equal(err.msg, "d.yaml:2: nested deeper than 64 levels");
	free(s);

	/* more than MF_YAML_MAX_NODES events */
	{
		size_t n = MF_YAML_MAX_NODES, len = 0;
		char *big = malloc(2 * n + 8);
		assert_non_null(big);
		big[len++] = '[';
		for (size_t i = 0; i < n; i++) {
			big[len++] = '1';
			big[len++] = ',';
		}
		big[len - 1] = ']';
		assert_int_equal(mf_yaml_no_aliases(&p, big, len), -DT_EINPUT);
		assert_string_equal(err.msg, "d.yaml: more than 100000 YAML nodes");
		/* well below: fine */
		big[2 * 1000 - 1] = ']';
		assert_int_equal(mf_yaml_no_aliases(&p, big, 2 * 1000), 0);
		free(big);
	}
}

static void test_check_tree(void **state)
{
	struct doc d;
	char *s;
	(void)state;

	/* the root is level 0: the scalar inside 64 sequences is at 64 */
	s = nested("", MF_YAML_MAX_DEPTH);
	load(&d, s);
	assert_int_equal(mf_yaml_check_tree(&d.p, d.root, 0), 0);
	unload(&d);
	free(s);
	s = nested("", MF_YAML_MAX_DEPTH + 1);
	load(&d, s);
	refused(&d, mf_yaml_check_tree(&d.p, d.root, 0), "d.yaml:1: k: nested deeper than 64 "
		"levels");
	unload(&d);
	free(s);
	/* mapping keys count as a level too */
	load(&d, "a: {b: c}\n");
	assert_int_equal(mf_yaml_check_tree(&d.p, d.root, MF_YAML_MAX_DEPTH - 2), 0);
	refused(&d, mf_yaml_check_tree(&d.p, d.root, MF_YAML_MAX_DEPTH - 1),
		"d.yaml:1: k: nested deeper than 64 levels");
	unload(&d);
}

/* Through the spec: the same readers under the spec's key paths. */
static void spec_refused(const char *yaml, const char *msg)
{
	struct mf_spec *s = NULL;
	struct dt_err err;

	dt_err_clear(&err);
	assert_int_equal(mf_spec_parse("s.yaml", "/proj", yaml, strlen(yaml), &s, &err),
			 -DT_EINPUT);
	assert_null(s);
	assert_string_equal(err.msg, msg);
}

static void test_spec(void **state)
{
	struct mf_spec *s;
	char *deep;
	(void)state;

	s = tl_spec_parse("s.yaml", "/proj", "name: a\ncertificates: false\nfiles:\n"
			  "  - {src: ./c, dst: /etc//c/, mode: 0640, uid: 4294967294}\n"
			  "config:\n  workdir: /\n  cmd: x\n");
	assert_int_equal(s->certificates, 0);
	assert_string_equal(s->files[0].src, "/proj/c");
	assert_string_equal(s->files[0].dst, "/etc/c");
	assert_int_equal(s->files[0].mode, 0640);
	assert_int_equal(s->files[0].uid, 4294967294);
	assert_int_equal(s->files[0].gid, -1);
	assert_string_equal(s->config.workdir, "/");
	assert_int_equal(s->config.ncmd, 1);
	assert_string_equal(s->config.cmd[0], "x");
	mf_spec_free(s);

	spec_refused("name: a\ncertificates: yes\n", "s.yaml:2: certificates: expected true or "
		     "false");
	spec_refused("name: a\nfiles:\n  - {src: x, dst: /a, uid: 4294967295}\n",
		     "s.yaml:3: files[0].uid: expected a number from 0 to 4294967294");
	spec_refused("name: a\nfiles:\n  - src: x\n    dst: /a\n    mode: 8\n",
		     "s.yaml:5: files[0].mode: expected an octal mode like \"0644\"");
	spec_refused("name: a\nfiles:\n  - {src: x, dst: /a}\n  - {src: x, dst: /}\n",
		     "s.yaml:4: files[1].dst: '/' is not allowed here");
	spec_refused("name: a\nfiles: {src: x}\n", "s.yaml:2: files: expected a list");
	spec_refused("name: a\nconfig:\n  cmd: [a, {b: c}]\n",
		     "s.yaml:3: config.cmd[1]: expected a string");
	spec_refused("name: a\nconfig:\n  labels: [x]\n",
		     "s.yaml:3: config.labels: expected a mapping of strings");
	spec_refused("name: a\nannotations:\n  k: v\n  k: w\n",
		     "s.yaml:4: annotations.k: duplicate key");
	spec_refused("name: a\ndebs: ''\n", "s.yaml:2: debs: empty path");
	spec_refused("name: a\nconfig:\n  bogus: 1\n", "s.yaml:3: config.bogus: unknown key");
	spec_refused("name: &n a\nplatform: *n\n", "s.yaml:2: YAML aliases are not allowed");
	spec_refused("name: a\n---\nname: b\n", "s.yaml:2: one YAML document only");

	/* the top mapping is level 1: 63 more are allowed, 64 are not */
	deep = nested("name: a\nannotations: ", MF_YAML_MAX_DEPTH - 1);
	spec_refused(deep, "s.yaml:2: annotations: expected a mapping of strings");
	free(deep);
	deep = nested("name: a\nannotations: ", MF_YAML_MAX_DEPTH);
	spec_refused(deep, "s.yaml:2: nested deeper than 64 levels");
	free(deep);
}

/* An error at the top of the document, where the key path is empty. */
static void test_spec_root(void **state)
{
	struct mf_spec *s = NULL;
	struct dt_err err;
	(void)state;

	assert_int_equal(mf_spec_parse("s.yaml", "/proj", "- a\n", 4, &s, &err), -DT_EINPUT);
	assert_string_equal(err.msg, "s.yaml:1: expected a mapping");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_check_tree),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_spec_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
