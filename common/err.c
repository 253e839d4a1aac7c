/* SPDX-License-Identifier: MIT */
/* The error helpers of common/err.h. */
#include "common/err.h"

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

size_t dt_vis(char *out, const char *s)
{
	size_t w = 0;

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '\n' || *c == '\t') {
			out[w++] = '\\';
			out[w++] = *c == '\n' ? 'n' : 't';
		} else if (*c < 0x20 || *c == 0x7f) {
			w += (size_t)sprintf(out + w, "\\x%02x", *c);
		} else {
			out[w++] = (char)*c;
		}
	}
	out[w] = '\0';
	return w;
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
