/* SPDX-License-Identifier: MIT */
/* DEP-5 copyright files to SPDX license expressions (see copyright.h). */
#include "debian/copyright.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* Debian's short names (copyright-format 1.0, "License specification") that differ from
 * their SPDX identifiers. */
static const struct { const char *deb, *spdx; } names[] = {
	{ "Apache-2", "Apache-2.0" },       { "Apache-2.0", "Apache-2.0" },
	{ "Artistic", "Artistic-1.0" },     { "Artistic-2.0", "Artistic-2.0" },
	{ "BSD-2-clause", "BSD-2-Clause" }, { "BSD-3-clause", "BSD-3-Clause" },
	{ "BSD-4-clause", "BSD-4-Clause" }, { "BSL-1.0", "BSL-1.0" },
	{ "CC0", "CC0-1.0" },               { "CC0-1.0", "CC0-1.0" },
	{ "Expat", "MIT" },                 { "MIT", "MIT" },
	{ "GFDL-1.2", "GFDL-1.2-only" },    { "GFDL-1.2+", "GFDL-1.2-or-later" },
	{ "GFDL-1.3", "GFDL-1.3-only" },    { "GFDL-1.3+", "GFDL-1.3-or-later" },
	{ "GPL-1", "GPL-1.0-only" },        { "GPL-1+", "GPL-1.0-or-later" },
	{ "GPL-2", "GPL-2.0-only" },        { "GPL-2+", "GPL-2.0-or-later" },
	{ "GPL-3", "GPL-3.0-only" },        { "GPL-3+", "GPL-3.0-or-later" },
	{ "ISC", "ISC" },
	{ "LGPL-2", "LGPL-2.0-only" },      { "LGPL-2+", "LGPL-2.0-or-later" },
	{ "LGPL-2.1", "LGPL-2.1-only" },    { "LGPL-2.1+", "LGPL-2.1-or-later" },
	{ "LGPL-3", "LGPL-3.0-only" },      { "LGPL-3+", "LGPL-3.0-or-later" },
	{ "MPL-1.1", "MPL-1.1" },           { "MPL-2.0", "MPL-2.0" },
	{ "OpenSSL", "OpenSSL" },           { "Python-2.0", "Python-2.0" },
	{ "PSF-2", "PSF-2.0" },             { "Zlib", "Zlib" },
	{ "zlib", "Zlib" },                 { "Unicode-DFS-2016", "Unicode-DFS-2016" },
	{ "X11", "X11" },                   { "public-domain", "LicenseRef-public-domain" },
};

static int is_format_line(const char *text, size_t len)
{
	static const char key[] = "Format:";
	const char *nl = memchr(text, '\n', len);
	size_t n = nl ? (size_t)(nl - text) : len;

	return n > sizeof(key) && strncasecmp(text, key, sizeof(key) - 1) == 0 &&
	       memmem(text, n, "copyright-format/1.0", 20) != NULL;
}

/* One short name as an SPDX identifier into @b: known names mapped, others LicenseRef-X
 * with X made of [A-Za-z0-9.-]. @return 0, or -1 when nothing is left of it. */
static int one_name(struct dt_buf *b, const char *s, size_t n)
{
	size_t start = b->len;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].deb) == n && strncasecmp(names[i].deb, s, n) == 0) {
			dt_buf_add(b, "%s", names[i].spdx);
			return 0;
		}
	dt_buf_add(b, "LicenseRef-");
	for (size_t i = 0; i < n && i < 64; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-')
			dt_buf_addn(b, &c, 1);
		else if (c == '+')
			dt_buf_add(b, "-or-later");
		else
			dt_buf_addn(b, "-", 1);
	}
	if (b->len == start + strlen("LicenseRef-")) {
		b->len = start;
		b->s[start] = '\0';
		return -1;
	}
	return 0;
}

/* The first line of a License field ("GPL-2+ or Artistic, and MIT") as an expression. */
static char *field_expr(const char *s, size_t n)
{
	struct dt_buf b = { 0 };
	size_t terms = 0, i = 0;
	int alt = 0;

	while (i < n) {
		size_t j;
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		if (i >= n)
			break;
		j = i;
		while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != ',')
			j++;
		if ((j - i == 2 && strncasecmp(s + i, "or", 2) == 0) ||
		    (j - i == 3 && strncasecmp(s + i, "and", 3) == 0)) {
			if (terms)
				dt_buf_add(&b, j - i == 2 ? " OR " : " AND ");
			alt |= j - i == 2;
			terms = 0;
		} else if (j - i == 4 && strncasecmp(s + i, "with", 4) == 0) {
			/* an exception: not mapped, the whole field is NOASSERTION */
			dt_buf_release(&b);
			return NULL;
		} else {
			if (terms) { /* two names without an operator */
				dt_buf_release(&b);
				return NULL;
			}
			if (one_name(&b, s + i, j - i) < 0) {
				dt_buf_release(&b);
				return NULL;
			}
			terms++;
		}
		i = j;
	}
	if (b.oom || !b.len || !terms) {
		dt_buf_release(&b);
		return NULL;
	}
	if (alt && (strstr(b.s, " OR ") && strstr(b.s, " AND "))) {
		/* mixed and/or: precedence is Debian's, not SPDX's: not guessed */
		dt_buf_release(&b);
		return NULL;
	}
	if (strstr(b.s, " OR ") || strstr(b.s, " AND ")) {
		struct dt_buf p = { 0 };
		dt_buf_add(&p, "(%s)", b.s);
		dt_buf_release(&b);
		return p.oom ? (dt_buf_release(&p), NULL) : dt_buf_detach(&p, NULL);
	}
	return dt_buf_detach(&b, NULL);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *deb_copyright_license(const char *text, size_t len)
{
	struct dt_strv seen = { 0 };
	struct dt_buf out = { 0 };
	const char *p = text, *end = text + len;
	int in_files = 0, bad = 0;
	size_t nseen;

	if (!text || len > DEB_COPYRIGHT_MAX || memchr(text, '\0', len) ||
	    !is_format_line(text, len))
		return NULL;
	while (p < end && !bad) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0 || (n == 1 && p[0] == '.')) {
			if (n == 0)
				in_files = 0;
		} else if (p[0] != ' ' && p[0] != '\t') {
			if (n >= 6 && strncasecmp(p, "Files:", 6) == 0)
				in_files = 1;
			else if (in_files && n >= 8 && strncasecmp(p, "License:", 8) == 0) {
				char *e = field_expr(p + 8, n - 8);
				if (!e)
					bad = 1;
				else if (!dt_strv_has(&seen, e) && dt_strv_push(&seen, e) < 0)
					bad = 1;
				free(e);
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!bad && seen.n) {
		qsort(seen.v, seen.n, sizeof(*seen.v), str_cmp);
		for (size_t i = 0; i < seen.n; i++)
			dt_buf_add(&out, "%s%s", i ? " AND " : "", seen.v[i]);
	}
	nseen = seen.n;
	dt_strv_release(&seen);
	if (bad || out.oom || !out.len) {
		dt_buf_release(&out);
		return NULL;
	}
	if (nseen == 1 && out.s[0] == '(') { /* a lone (A OR B) needs no parentheses */
		size_t l = strlen(out.s);
		memmove(out.s, out.s + 1, l - 2);
		out.s[l - 2] = '\0';
	}
	return dt_buf_detach(&out, NULL);
}
