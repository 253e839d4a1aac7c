/* SPDX-License-Identifier: MIT */
/* Strict YAML reading (see yaml.h). */
#include "manifest/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES MF_YAML_MAX_NODES
#define MAX_DEPTH MF_YAML_MAX_DEPTH

int mf_yaml_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

int mf_yaml_fail(struct mf_yaml *p, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!p->key[0]) /* the document itself */
		return dt_err_set(p->err, DT_EINPUT, "%s:%d: %s", p->file, n ? mf_yaml_line(n) : 1,
				  msg);
	return dt_err_set(p->err, DT_EINPUT, "%s:%d: %s: %s", p->file, n ? mf_yaml_line(n) : 1,
			  p->key, msg);
}

yaml_node_t *mf_yaml_node(struct mf_yaml *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

const char *mf_yaml_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

int mf_yaml_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

int mf_yaml_str(struct mf_yaml *p, const yaml_node_t *n, char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return mf_yaml_fail(p, n, "expected a string");
	if (strlen(mf_yaml_scalar(n)) != n->data.scalar.length)
		return mf_yaml_fail(p, n, "holds a NUL byte");
	free(*out);
	if (!(*out = strdup(mf_yaml_scalar(n))))
		return dt_oom(p->err);
	return 0;
}

int mf_yaml_bool(struct mf_yaml *p, const yaml_node_t *n, int *out)
{
	if (n->type == YAML_SCALAR_NODE && mf_yaml_plain(n) && strcmp(mf_yaml_scalar(n), "true") == 0)
		*out = 1;
	else if (n->type == YAML_SCALAR_NODE && mf_yaml_plain(n) && strcmp(mf_yaml_scalar(n), "false") == 0)
		*out = 0;
	else
		return mf_yaml_fail(p, n, "expected true or false");
	return 0;
}

/* A plain decimal integer 0..@max. */
int mf_yaml_uint(struct mf_yaml *p, const yaml_node_t *n, uint64_t max, uint64_t *out)
{
	const char *s;
	char *end;
	unsigned long long v;

	if (n->type != YAML_SCALAR_NODE || !mf_yaml_plain(n))
		return mf_yaml_fail(p, n, "expected a number");
	s = mf_yaml_scalar(n);
	if (*s < '0' || *s > '9')
		return mf_yaml_fail(p, n, "expected a number");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return mf_yaml_fail(p, n, "expected a number from 0 to %llu", (unsigned long long)max);
	*out = v;
	return 0;
}

/* Octal modes: 0644, "0644", "644". */
int mf_yaml_mode(struct mf_yaml *p, const yaml_node_t *n, int64_t *out)
{
	const char *s;
	char *end;
	unsigned long v;

	if (n->type != YAML_SCALAR_NODE || !*mf_yaml_scalar(n))
		return mf_yaml_fail(p, n, "expected an octal mode like \"0644\"");
	s = mf_yaml_scalar(n);
	for (const char *c = s; *c; c++)
		if (*c < '0' || *c > '7')
			return mf_yaml_fail(p, n, "expected an octal mode like \"0644\"");
	v = strtoul(s, &end, 8);
	if (*end || v > 07777 || strlen(s + strspn(s, "0")) > 4)
		return mf_yaml_fail(p, n, "mode %s is out of range (0 to 7777)", s);
	*out = (int64_t)v;
	return 0;
}

/* A list of strings (a single string is a list of one). */
int mf_yaml_strv(struct mf_yaml *p, const yaml_node_t *n, char ***out, size_t *count)
{
	size_t k = 0, base = strlen(p->key);

	if (n->type == YAML_SCALAR_NODE) {
		if (!(*out = calloc(1, sizeof(char *))))
			return dt_oom(p->err);
		*count = 1;
		return mf_yaml_str(p, n, &(*out)[0]);
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return mf_yaml_fail(p, n, "expected a list of strings");
	*count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!(*out = calloc(*count + 1, sizeof(char *))))
		return dt_oom(p->err);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, k++) {
		int rc;
		snprintf(p->key + base, sizeof(p->key) - base, "[%zu]", k);
		if ((rc = mf_yaml_str(p, mf_yaml_node(p, *it), &(*out)[k])) < 0)
			return rc;
	}
	p->key[base] = '\0';
	return 0;
}

/* A mapping of strings, in document order. */
int mf_yaml_kv(struct mf_yaml *p, const yaml_node_t *n, struct mf_kv **out, size_t *count)
{
	size_t k = 0, base = strlen(p->key);

	if (n->type != YAML_MAPPING_NODE)
		return mf_yaml_fail(p, n, "expected a mapping of strings");
	*count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (!(*out = calloc(*count + 1, sizeof(**out))))
		return dt_oom(p->err);
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++, k++) {
		yaml_node_t *kn = mf_yaml_node(p, pr->key), *vn = mf_yaml_node(p, pr->value);
		int rc;
		if ((rc = mf_yaml_str(p, kn, &(*out)[k].key)) < 0)
			return rc;
		snprintf(p->key + base, sizeof(p->key) - base, ".%s", (*out)[k].key);
		for (size_t j = 0; j < k; j++)
			if (strcmp((*out)[j].key, (*out)[k].key) == 0)
				return mf_yaml_fail(p, kn, "duplicate key");
		if ((rc = mf_yaml_str(p, vn, &(*out)[k].value)) < 0)
			return rc;
		p->key[base] = '\0';
	}
	return 0;
}

/* An absolute image path, normalized ("//" collapsed, no trailing "/"); "." and ".."
 * components, control characters and over-long names are errors. */
int mf_yaml_path(struct mf_yaml *p, const yaml_node_t *n, char **out, int allow_root)
{
	char *s = NULL, *o;
	size_t w = 0;
	int rc;

	if ((rc = mf_yaml_str(p, n, &s)) < 0)
		return rc;
	if (s[0] != '/') {
		free(s);
		return mf_yaml_fail(p, n, "must be an absolute path");
	}
	if (strlen(s) > 4095) {
		free(s);
		return mf_yaml_fail(p, n, "path longer than 4095 bytes");
	}
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f) {
			free(s);
			return mf_yaml_fail(p, n, "control character in path");
		}
	o = s;
	for (const char *c = s; *c;) {
		const char *e;
		size_t len;
		while (*c == '/')
			c++;
		if (!*c)
			break;
		e = strchr(c, '/');
		len = e ? (size_t)(e - c) : strlen(c);
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
			free(s);
			return mf_yaml_fail(p, n, "'.' and '..' are not allowed in image paths");
		}
		if (len > 255) {
			free(s);
			return mf_yaml_fail(p, n, "path component longer than 255 bytes");
		}
		o[w++] = '/';
		memmove(o + w, c, len);
		w += len;
		c += len;
	}
	o[w] = '\0';
	if (w == 0) {
		if (!allow_root) {
			free(s);
			return mf_yaml_fail(p, n, "'/' is not allowed here");
		}
		strcpy(o, "/");
	}
	free(*out);
	*out = s;
	return 0;
}

/* A host path: absolute, or made absolute against the spec's directory. */
int mf_yaml_host(struct mf_yaml *p, const yaml_node_t *n, char **out)
{
	char *s = NULL;
	int rc;

	if ((rc = mf_yaml_str(p, n, &s)) < 0)
		return rc;
	if (!*s) {
		free(s);
		return mf_yaml_fail(p, n, "empty path");
	}
	if (s[0] != '/') {
		char *abs = NULL;
		const char *rel = s;
		while (rel[0] == '.' && rel[1] == '/')
			rel += 2;
		if (asprintf(&abs, "%s%s%s", p->dir, strcmp(p->dir, "/") ? "/" : "", rel) < 0) {
			free(s);
			return dt_oom(p->err);
		}
		free(s);
		s = abs;
	}
	free(*out);
	*out = s;
	return 0;
}

int mf_yaml_mapping(struct mf_yaml *p, const yaml_node_t *n, const struct mf_yaml_field *fields, void *obj)
{
	size_t base = strlen(p->key);

	if (n->type != YAML_MAPPING_NODE)
		return mf_yaml_fail(p, n, "expected a mapping");
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *kn = mf_yaml_node(p, pr->key);
		const struct mf_yaml_field *f;
		int rc;
		if (kn->type != YAML_SCALAR_NODE)
			return mf_yaml_fail(p, kn, "keys must be strings");
		snprintf(p->key + base, sizeof(p->key) - base, "%s%s", base ? "." : "", mf_yaml_scalar(kn));
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++) {
			yaml_node_t *qk = mf_yaml_node(p, q->key);
			if (qk->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(qk), mf_yaml_scalar(kn)) == 0)
				return mf_yaml_fail(p, kn, "duplicate key");
		}
		for (f = fields; f->name && strcmp(f->name, mf_yaml_scalar(kn)) != 0; f++)
			;
		if (!f->name)
			return mf_yaml_fail(p, kn, "unknown key");
		if ((rc = f->fn(p, mf_yaml_node(p, pr->value), obj)) < 0)
			return rc;
		p->key[base] = '\0';
	}
	return 0;
}

int mf_yaml_sequence(struct mf_yaml *p, const yaml_node_t *n, size_t size, void **v, size_t *count,
		    int (*item)(struct mf_yaml *p, const yaml_node_t *n, void *obj))
{
	size_t base = strlen(p->key), k = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return mf_yaml_fail(p, n, "expected a list");
	*count = 0;
	*v = calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1, size);
	if (!*v)
		return dt_oom(p->err);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, k++) {
		int rc;
		snprintf(p->key + base, sizeof(p->key) - base, "[%zu]", k);
		*count = k + 1;
		if ((rc = item(p, mf_yaml_node(p, *it), (char *)*v + k * size)) < 0)
			return rc;
	}
	p->key[base] = '\0';
	return 0;
}

int mf_yaml_check_tree(struct mf_yaml *p, const yaml_node_t *n, int depth)
{
	if (depth > MAX_DEPTH)
		return mf_yaml_fail(p, n, "nested deeper than %d levels", MAX_DEPTH);
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			int rc = mf_yaml_check_tree(p, mf_yaml_node(p, *it), depth + 1);
			if (rc < 0)
				return rc;
		}
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			int rc;
			if ((rc = mf_yaml_check_tree(p, mf_yaml_node(p, pr->key), depth + 1)) < 0 ||
			    (rc = mf_yaml_check_tree(p, mf_yaml_node(p, pr->value), depth + 1)) < 0)
				return rc;
		}
	}
	return 0;
}

/* libyaml's parser resolves aliases; we refuse them at the event level first. */
int mf_yaml_no_aliases(struct mf_yaml *p, const void *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, depth = 0;
	size_t events = 0;

	if (!yaml_parser_initialize(&parser))
		return dt_oom(p->err);
	yaml_parser_set_input_string(&parser, buf, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = dt_err_set(p->err, DT_EINPUT, "%s:%d: invalid YAML: %s", p->file,
					(int)parser.problem_mark.line + 1,
					parser.problem ? parser.problem : "syntax error");
			break;
		}
		if (ev.type == YAML_ALIAS_EVENT) {
			rc = dt_err_set(p->err, DT_EINPUT, "%s:%d: YAML aliases are not allowed",
					p->file, (int)ev.start_mark.line + 1);
		} else if (ev.type == YAML_SEQUENCE_START_EVENT ||
			   ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > MAX_DEPTH)
				rc = dt_err_set(p->err, DT_EINPUT, "%s:%d: nested deeper than %d "
						"levels", p->file, (int)ev.start_mark.line + 1,
						MAX_DEPTH);
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (ev.type == YAML_DOCUMENT_START_EVENT && events > 2) {
			rc = dt_err_set(p->err, DT_EINPUT, "%s:%d: one YAML document only",
					p->file, (int)ev.start_mark.line + 1);
		}
		if (++events > MAX_NODES && rc == 0)
			rc = dt_err_set(p->err, DT_EINPUT, "%s: more than %d YAML nodes", p->file,
					MAX_NODES);
		{
			int end = ev.type == YAML_STREAM_END_EVENT;
			yaml_event_delete(&ev);
			if (end || rc < 0)
				break;
		}
	}
	yaml_parser_delete(&parser);
	return rc;
}
