/* SPDX-License-Identifier: MIT */
/* The one error type of every distill module: a code, the errno behind it, and a message
 * that names the subject ("cannot read 'x': ..."). Libraries fill it; only the CLI prints. */
#ifndef DISTILL_COMMON_ERR_H
#define DISTILL_COMMON_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum dt_code {
	DT_OK = 0,
	DT_ESYS = 1,     /* an operating-system call failed (errno is kept) */
	DT_EINPUT = 2,   /* the input is malformed or not allowed */
	DT_ECHANGED = 3, /* an input changed while it was being read */
	DT_ENOMEM = 4,
	DT_ELIB = 5,     /* a library (libarchive, zstd, ...) reported an error */
	DT_EMISMATCH = 6, /* what was read is not what its descriptor says (digest, size) */
};

struct dt_err {
	int code;       /* enum dt_code; DT_OK when no error is set */
	int sys_errno;  /* errno for DT_ESYS, else 0 */
	char msg[1024]; /* lowercase, no trailing full stop, subject quoted */
};

/* Clears @err (a NULL @err is allowed everywhere). */
void dt_err_clear(struct dt_err *err);

/* Sets @err from a printf format.
 * @return -@code, so call sites can write `return dt_err_set(err, DT_EINPUT, ...)`. */
int dt_err_set(struct dt_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets a DT_ESYS error whose message ends with ": strerror(@errnum)".
 * @return -DT_ESYS. */
int dt_err_sys(struct dt_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes @s to @out with each control character as \n, \t or \xHH, and each byte that is
 * not part of valid UTF-8 (and the C1 controls U+0080..U+009F) as \xHH, so that a name
 * printed stays on its line and cannot move the terminal; @out holds at least
 * 4 * strlen(@s) + 1 bytes. @return the length written. */
size_t dt_vis(char *out, const char *s);

/* The length of the valid UTF-8 sequence @s starts with (1 to 4; 1 for ASCII), or 0 when
 * it is not one (or @s is empty). */
size_t dt_utf8_len(const char *s);

/* A copy of @s (free() it) with each byte that is not part of valid UTF-8 written as \xHH,
 * for JSON, whose strings are Unicode; valid text, controls included, is kept. NULL when
 * out of memory. */
char *dt_utf8_escape(const char *s);

/* Sets "out of memory". @return -DT_ENOMEM. */
int dt_oom(struct dt_err *err);

/* Prepends "@prefix: " to an error already set (e.g. the file a library was reading). */
void dt_err_prefix(struct dt_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
