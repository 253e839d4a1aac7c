/* SPDX-License-Identifier: MIT */
/* Package relationships and version comparison (see relation.h). */
#include "debian/relation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int deb_name_valid(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || is_digit(*s)))
		return 0;
	for (const char *c = s + 1; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || is_digit(*c) || *c == '+' || *c == '-' ||
		      *c == '.'))
			return 0;
	return strlen(s) <= 255;
}

int deb_version_valid(const char *v)
{
	const char *colon = strchr(v, ':'), *up = v;

	if (!*v || strlen(v) > 255)
		return 0;
	if (colon) {
		if (colon == v)
			return 0;
		for (const char *c = v; c < colon; c++)
			if (!is_digit(*c))
				return 0;
		up = colon + 1;
	}
	if (!is_digit(*up))
		return 0;
	for (const char *c = up; *c; c++)
		if (!(is_digit(*c) || is_alpha(*c) || strchr(".+~-", *c) ||
		      (*c == ':' && colon)))
			return 0;
	return up[strlen(up) - 1] != '-';
}

/* The weight of a non-digit character: '~' sorts before everything, even the end of the
 * string; letters before the other characters. */
static int order(int c)
{
	if (is_digit(c) || c == 0)
		return 0;
	if (is_alpha(c))
		return c;
	if (c == '~')
		return -1;
	return c + 256;
}

/* Policy 5.6.12's comparison of an upstream version or a revision, [@a, @ae) against
 * [@b, @be): alternately a run of non-digits, compared character by character by order(),
 * and a run of digits, compared as numbers. */
static int part_cmp(const char *a, const char *ae, const char *b, const char *be)
{
	while (a < ae || b < be) {
		int diff = 0;
		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int ac = a < ae ? order((unsigned char)*a) : 0;
			int bc = b < be ? order((unsigned char)*b) : 0;
			if (ac != bc)
				return ac - bc;
			a += a < ae;
			b += b < be;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && b < be && is_digit(*a) && is_digit(*b)) {
			if (!diff)
				diff = *a - *b;
			a++;
			b++;
		}
		if (a < ae && is_digit(*a))
			return 1;
		if (b < be && is_digit(*b))
			return -1;
		if (diff)
			return diff;
	}
	return 0;
}

struct version {
	unsigned long long epoch;
	const char *up, *up_end, *rev, *rev_end;
};

static void split(const char *v, struct version *out)
{
	const char *colon = strchr(v, ':'), *dash;

	out->epoch = colon ? strtoull(v, NULL, 10) : 0;
	out->up = colon ? colon + 1 : v;
	dash = strrchr(out->up, '-');
	out->up_end = dash ? dash : out->up + strlen(out->up);
	out->rev = dash ? dash + 1 : out->up_end;
	out->rev_end = out->rev + strlen(out->rev);
}

int deb_version_cmp(const char *a, const char *b)
{
	struct version x, y;
	int c;

	split(a, &x);
	split(b, &y);
	if (x.epoch != y.epoch)
		return x.epoch < y.epoch ? -1 : 1;
	if ((c = part_cmp(x.up, x.up_end, y.up, y.up_end)) != 0)
		return c;
	return part_cmp(x.rev, x.rev_end, y.rev, y.rev_end);
}

int deb_rel_holds(enum deb_rel_op op, const char *want, const char *have)
{
	int c;

	if (op == DEB_REL_ANY)
		return 1;
	if (!have || !want)
		return 0;
	c = deb_version_cmp(have, want);
	switch (op) {
	case DEB_REL_LT: return c < 0;
	case DEB_REL_LE: return c <= 0;
	case DEB_REL_EQ: return c == 0;
	case DEB_REL_GE: return c >= 0;
	case DEB_REL_GT: return c > 0;
	default: return 1;
	}
}

const char *deb_rel_op_name(enum deb_rel_op op)
{
	static const char *const names[] = { "", "<<", "<=", "=", ">=", ">>" };
	return op <= DEB_REL_GT ? names[op] : "";
}

void deb_rel_clause_format(const struct deb_rel_clause *c, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < c->nalts && len < size; i++) {
		const struct deb_rel *r = &c->alts[i];
		int n = snprintf(buf + len, size - len, "%s%s%s%s", i ? " | " : "", r->name,
				 r->arch ? ":" : "", r->arch ? r->arch : "");
		if (n > 0)
			len += (size_t)n;
		if (r->op != DEB_REL_ANY && len < size) {
			n = snprintf(buf + len, size - len, " (%s %s)", deb_rel_op_name(r->op),
				     r->version);
			if (n > 0)
				len += (size_t)n;
		}
	}
}

void deb_relations_release(struct deb_relations *r)
{
	for (size_t i = 0; r->v && i < r->n; i++) {
		for (size_t k = 0; k < r->v[i].nalts; k++) {
			free(r->v[i].alts[k].name);
			free(r->v[i].alts[k].arch);
			free(r->v[i].alts[k].version);
		}
		free(r->v[i].alts);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* A token of [@p, ...) up to a character of @stop or a space: malloc'd into *@out. */
static const char *token(const char *p, const char *stop, char **out)
{
	size_t n = 0;

	while (p[n] && !strchr(stop, p[n]) && !strchr(" \t\r\n", p[n]))
		n++;
	*out = n ? strndup(p, n) : NULL;
	return p + n;
}

/* One relation at @p: name[:arch] [(op version)] [[archs]] [<profiles>]. */
static const char *relation(const char *p, size_t idx, struct deb_rel *r, struct dt_err *err,
			    int *rc)
{
	char *name = NULL, *colon;

	p = token(skip_space(p), ",|(<[", &name);
	if (!name) {
		*rc = dt_err_set(err, DT_EINPUT, "relation %zu: a package name is missing", idx);
		return p;
	}
	r->name = name;
	if ((colon = strchr(name, ':'))) {
		*colon = '\0';
		if (!(r->arch = strdup(colon + 1))) {
			*rc = dt_oom(err);
			return p;
		}
		for (const char *c = r->arch; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || is_digit(*c) || *c == '-')) {
				*rc = dt_err_set(err, DT_EINPUT, "relation %zu: '%s' is not an "
						 "architecture", idx, r->arch);
				return p;
			}
	}
	if (!deb_name_valid(r->name)) {
		*rc = dt_err_set(err, DT_EINPUT, "relation %zu: '%s' is not a package name", idx,
				 r->name);
		return p;
	}
	p = skip_space(p);
	if (*p == '(') {
		static const struct { const char *s; enum deb_rel_op op; } ops[] = {
			{ "<<", DEB_REL_LT }, { "<=", DEB_REL_LE }, { ">=", DEB_REL_GE },
			{ ">>", DEB_REL_GT }, { "=", DEB_REL_EQ }, { "<", DEB_REL_LE },
			{ ">", DEB_REL_GE },
		};
		size_t k;
		p = skip_space(p + 1);
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (strncmp(p, ops[k].s, strlen(ops[k].s)) == 0)
				break;
		if (k == sizeof(ops) / sizeof(ops[0])) {
			*rc = dt_err_set(err, DT_EINPUT, "relation %zu (%s): expected <<, <=, =, >= "
					 "or >> after '('", idx, r->name);
			return p;
		}
		r->op = ops[k].op;
		p = token(skip_space(p + strlen(ops[k].s)), ")", &r->version);
		p = skip_space(p);
		if (!r->version || !deb_version_valid(r->version) || *p != ')') {
			*rc = dt_err_set(err, DT_EINPUT, "relation %zu (%s): '%s' is not a version%s",
					 idx, r->name, r->version ? r->version : "",
					 *p == ')' ? "" : " followed by ')'");
			return p;
		}
		p = skip_space(p + 1);
	}
	/* restrictions of source packages: skipped */
	while (*p == '[' || *p == '<') {
		const char *end = strchr(p, *p == '[' ? ']' : '>');
		if (!end) {
			*rc = dt_err_set(err, DT_EINPUT, "relation %zu (%s): '%c' is not closed", idx,
					 r->name, *p);
			return p;
		}
		p = skip_space(end + 1);
	}
	return p;
}

int deb_relations_parse(const char *text, struct deb_relations *out, struct dt_err *err)
{
	const char *p = skip_space(text);
	size_t total = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (*p && rc == 0) {
		struct deb_rel_clause *v = realloc(out->v, (out->n + 1) * sizeof(*v)), *c;
		if (!v)
			return dt_oom(err);
		out->v = v;
		c = &v[out->n++];
		memset(c, 0, sizeof(*c));
		for (;;) {
			struct deb_rel *a;
			if (++total > DEB_REL_MAX)
				return dt_err_set(err, DT_EINPUT, "more than %d relations",
						  DEB_REL_MAX);
			if (!(a = realloc(c->alts, (c->nalts + 1) * sizeof(*a))))
				return dt_oom(err);
			c->alts = a;
			memset(&a[c->nalts], 0, sizeof(*a));
			p = relation(p, total, &a[c->nalts++], err, &rc);
			if (rc < 0)
				return rc;
			p = skip_space(p);
			if (*p != '|')
				break;
			p++;
		}
		if (*p == ',')
			p = skip_space(p + 1);
		else if (*p)
			return dt_err_set(err, DT_EINPUT, "relation %zu (%s): unexpected '%c'", total,
					  c->alts[c->nalts - 1].name, *p);
	}
	return rc;
}

char *deb_field_folded(const char *text, const char *name, int *oom)
{
	size_t n = strlen(name);

	if (oom)
		*oom = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *v, *end;
		char *out;
		size_t len = 0;
		if (strncasecmp(l, name, n) != 0 || l[n] != ':')
			continue;
		v = l + n + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		/* the first line and every following line that starts with a space or tab */
		for (end = strchr(v, '\n'); end && (end[1] == ' ' || end[1] == '\t');
		     end = strchr(end + 1, '\n'))
			;
		if (!end)
			end = v + strlen(v);
		if (!(out = malloc((size_t)(end - v) + 1))) {
			if (oom)
				*oom = 1;
			return NULL;
		}
		for (const char *c = v; c < end; c++)
			out[len++] = *c == '\n' || *c == '\r' || *c == '\t' ? ' ' : *c;
		out[len] = '\0';
		return out;
	}
	return NULL;
}
