/* SPDX-License-Identifier: MIT */
/* The error helpers of common/err.h. */
#include "common/err.h"

#include <stdio.h>
#include <string.h>

void dt_err_clear(struct dt_err *err)
{
	if (!err)
		return;
	err->code = DT_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

int dt_err_set(struct dt_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
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
		size_t len;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
		err->code = DT_ESYS;
		err->sys_errno = errnum;
	}
	return -DT_ESYS;
}

void dt_err_prefix(struct dt_err *err, const char *fmt, ...)
{
	char head[512];
	size_t hlen, mlen;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	hlen = strlen(head);
	if (hlen + 2 >= sizeof(err->msg))
		return;
	mlen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (hlen + 2 + mlen >= sizeof(err->msg))
		mlen = sizeof(err->msg) - 1 - hlen - 2;
	memmove(err->msg + hlen + 2, err->msg, mlen);
	memcpy(err->msg, head, hlen);
	memcpy(err->msg + hlen, ": ", 2);
	err->msg[hlen + 2 + mlen] = '\0';
}
