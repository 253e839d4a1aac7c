/* SPDX-License-Identifier: MIT */
/* The error helpers of common/err.h. */
#include "common/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a message kept before the "..." when it does not fit; the rest is its end,
 * which carries the reason. */
#define ERR_HEAD 384

void dt_err_clear(struct dt_err *err)
{
	if (!err)
		return;
	err->code = DT_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

static int utf8_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t dt_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (!utf8_cont(s[i]))
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t dt_vis(char *out, const char *s)
{
	size_t w = 0;

	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n = dt_utf8_len((const char *)c);
		/* C1 controls (U+0080..U+009F: CSI is U+009B) move terminals too */
		int c1 = n == 2 && c[0] == 0xc2 && c[1] < 0xa0;
		if (*c == '\n' || *c == '\t') {
			out[w++] = '\\';
			out[w++] = *c == '\n' ? 'n' : 't';
			c++;
		} else if (n == 0 || c1 || *c < 0x20 || *c == 0x7f) {
			/* a control, or a byte that is not UTF-8: each byte of it as \xHH */
			for (size_t i = 0; i < (n ? n : 1); i++)
				w += (size_t)sprintf(out + w, "\\x%02x", c[i]);
			c += n ? n : 1;
		} else {
			memcpy(out + w, c, n);
			w += n;
			c += n;
		}
	}
	out[w] = '\0';
	return w;
}

char *dt_utf8_escape(const char *s)
{
	size_t w = 0;
	char *out = malloc(strlen(s) * 4 + 1);

	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t n = dt_utf8_len((const char *)c);
		if (n == 0) {
			w += (size_t)sprintf(out + w, "\\x%02x", *c++);
			continue;
		}
		memcpy(out + w, c, n);
		w += n;
		c += n;
	}
	out[w] = '\0';
	return out;
}

/* Stores @s in @err->msg with dt_vis(), a message too long for the buffer shortened in its
 * middle. */
static void err_store(struct dt_err *err, const char *s)
{
	size_t w, cap = sizeof(err->msg);
	char *e = malloc(strlen(s) * 4 + 1), *out = err->msg;

	if (!e) {
		snprintf(err->msg, cap, "%s", s);
		return;
	}
	w = dt_vis(e, s);
	if (w < cap) {
		memcpy(out, e, w + 1);
	} else {
		size_t head = ERR_HEAD, tail = cap - 1 - ERR_HEAD - 3, from = w - tail;
		while (head > 0 && utf8_cont((unsigned char)e[head]))
			head--;
		while (from < w && utf8_cont((unsigned char)e[from]))
			from++;
		memcpy(out, e, head);
		memcpy(out + head, "...", 3);
		memcpy(out + head + 3, e + from, w - from + 1);
	}
	free(e);
}

static void err_vset(struct dt_err *err, const char *suffix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void err_vset(struct dt_err *err, const char *suffix, const char *fmt, va_list ap)
{
	char *s = NULL, *full = NULL;

	if (vasprintf(&s, fmt, ap) < 0) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return;
	}
	if (suffix && asprintf(&full, "%s: %s", s, suffix) >= 0) {
		free(s);
		s = full;
	}
	err_store(err, s);
	free(s);
}

int dt_err_set(struct dt_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err_vset(err, NULL, fmt, ap);
		va_end(ap);
		err->code = code;
		err->sys_errno = 0;
	}
	return -code;
}

int dt_err_sys(struct dt_err *err, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err_vset(err, strerror(errnum), fmt, ap);
		va_end(ap);
		err->code = DT_ESYS;
		err->sys_errno = errnum;
	}
	return -DT_ESYS;
}

int dt_oom(struct dt_err *err)
{
	return dt_err_set(err, DT_ENOMEM, "out of memory");
}

void dt_err_prefix(struct dt_err *err, const char *fmt, ...)
{
	char *head = NULL, *s = NULL;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	if (vasprintf(&head, fmt, ap) < 0)
		head = NULL;
	va_end(ap);
	if (head && asprintf(&s, "%s: %s", head, err->msg) >= 0)
		err_store(err, s);
	free(head);
	free(s);
}
