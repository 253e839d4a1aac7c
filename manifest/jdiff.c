/* SPDX-License-Identifier: MIT */
/* Field-by-field JSON comparison (see jdiff.h). */
#include "manifest/jdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JD_MAX_TEXT 200

/* Shown bare unless it could be read as something else: empty, padded, a number,
 * true/false/null, or with quotes or control characters. */
static int plain(const char *s)
{
	char *end;

	if (!*s || s[0] == ' ' || s[strlen(s) - 1] == ' ')
		return 0;
	(void)strtod(s, &end);
	if (*end == '\0' || strcmp(s, "true") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "null") == 0)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"')
			return 0;
	return 1;
}

char *mf_jdiff_text(const json_t *v)
{
	char *t;

	if (json_is_string(v) && plain(json_string_value(v)))
		t = strdup(json_string_value(v));
	else
		t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (t && strlen(t) > JD_MAX_TEXT)
		strcpy(t + JD_MAX_TEXT - 3, "...");
	return t;
}

/* @root + ".key", or ["key"] when the key is not a plain identifier. */
static char *join_key(const char *root, const char *key)
{
	int ident = *key != '\0';
	char *p;

	for (const char *c = key; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			ident = 0;
	if (!(p = malloc(strlen(root) + strlen(key) + 8)))
		return NULL;
	if (ident)
		sprintf(p, "%s%s%s", root, *root ? "." : "", key);
	else
		sprintf(p, "%s[\"%s\"]", root, key);
	return p;
}

static char *join_index(const char *root, size_t i)
{
	char *p = malloc(strlen(root) + 24);
	if (p)
		sprintf(p, "%s[%zu]", root, i);
	return p;
}

/* "+ value" / "- value" for a side that has no counterpart. */
static int one_side(const json_t *v, const char *path, int added, mf_jdiff_fn emit, void *ctx,
		    struct dt_err *err)
{
	char *t = mf_jdiff_text(v), *w;
	int rc;

	if (!t || !(w = malloc(strlen(t) + 3))) {
		free(t);
		return dt_oom(err);
	}
	sprintf(w, "%c %s", added ? '+' : '-', t);
	rc = emit(ctx, path, w, added ? NULL : t, added ? t : NULL, err);
	free(w);
	free(t);
	return rc;
}

static int all_strings(const json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

/* Elements of @x missing from @y, as a multiset: each element of @y is used once. */
static int missing(const json_t *x, const json_t *y, const char *path, int added,
		   mf_jdiff_fn emit, void *ctx, struct dt_err *err, int *count)
{
	size_t nx = json_array_size(x), ny = json_array_size(y);
	char *used = calloc(ny + 1, 1);
	int rc = 0;

	if (!used)
		return dt_oom(err);
	for (size_t i = 0; i < nx && rc == 0; i++) {
		const char *s = json_string_value(json_array_get(x, i));
		size_t j;
		for (j = 0; j < ny; j++)
			if (!used[j] && strcmp(s, json_string_value(json_array_get(y, j))) == 0)
				break;
		if (j < ny) {
			used[j] = 1;
			continue;
		}
		(*count)++;
		rc = one_side(json_array_get(x, i), path, added, emit, ctx, err);
	}
	free(used);
	return rc;
}

static int changed(const json_t *a, const json_t *b, const char *path, mf_jdiff_fn emit,
		   void *ctx, struct dt_err *err)
{
	char *ta = mf_jdiff_text(a), *tb = mf_jdiff_text(b), *w = NULL;
	int rc;

	if (!ta || !tb || !(w = malloc(strlen(ta) + strlen(tb) + 8))) {
		rc = dt_oom(err);
		goto out;
	}
	sprintf(w, "%s -> %s", ta, tb);
	rc = emit(ctx, path, w, ta, tb, err);
out:
	free(ta);
	free(tb);
	free(w);
	return rc;
}

int mf_jdiff(json_t *a, json_t *b, const char *root, mf_jdiff_fn emit, void *ctx,
	     struct dt_err *err)
{
	int rc = 0;

	if (json_equal(a, b))
		return 0;
	if (json_is_object(a) && json_is_object(b)) {
		const char **keys;
		size_t n = 0, cap = json_object_size(a) + json_object_size(b);
		const char *k;
		json_t *v;
		if (!(keys = malloc((cap + 1) * sizeof(*keys))))
			return dt_oom(err);
		json_object_foreach(a, k, v)
			keys[n++] = k;
		json_object_foreach(b, k, v)
			if (!json_object_get(a, k))
				keys[n++] = k;
		/* sorted, so the lines come in the same order every time */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
				const char *t = keys[j];
				keys[j] = keys[j - 1];
				keys[j - 1] = t;
			}
		for (size_t i = 0; i < n && rc == 0; i++) {
			json_t *va = json_object_get(a, keys[i]), *vb = json_object_get(b, keys[i]);
			char *p = join_key(root, keys[i]);
			if (!p)
				rc = dt_oom(err);
			else if (!va)
				rc = one_side(vb, p, 1, emit, ctx, err);
			else if (!vb)
				rc = one_side(va, p, 0, emit, ctx, err);
			else
				rc = mf_jdiff(va, vb, p, emit, ctx, err);
			free(p);
		}
		free(keys);
		return rc;
	}
	if (json_is_array(a) && json_is_array(b)) {
		size_t na = json_array_size(a), nb = json_array_size(b);
		if (all_strings(a) && all_strings(b)) {
			int count = 0;
			rc = missing(a, b, root, 0, emit, ctx, err, &count);
			if (rc == 0)
				rc = missing(b, a, root, 1, emit, ctx, err, &count);
			if (rc == 0 && count == 0) {
				/* the same elements in another order */
				char *ta = mf_jdiff_text(a), *tb = mf_jdiff_text(b), *w = NULL;
				if (!ta || !tb || !(w = malloc(strlen(ta) + strlen(tb) + 16)))
					rc = dt_oom(err);
				else {
					sprintf(w, "order %s -> %s", ta, tb);
					rc = emit(ctx, root, w, ta, tb, err);
				}
				free(ta);
				free(tb);
				free(w);
			}
			return rc;
		}
		for (size_t i = 0; i < (na > nb ? na : nb) && rc == 0; i++) {
			char *p = join_index(root, i);
			if (!p)
				rc = dt_oom(err);
			else if (i >= na)
				rc = one_side(json_array_get(b, i), p, 1, emit, ctx, err);
			else if (i >= nb)
				rc = one_side(json_array_get(a, i), p, 0, emit, ctx, err);
			else
				rc = mf_jdiff(json_array_get(a, i), json_array_get(b, i), p, emit,
					      ctx, err);
			free(p);
		}
		return rc;
	}
	return changed(a, b, root, emit, ctx, err);
}
