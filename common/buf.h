/* SPDX-License-Identifier: MIT */
/* Growable buffers: a string built by appending (as git's strbuf), a list of strings, and
 * the capacity rule of every other growing array. */
#ifndef DISTILL_COMMON_BUF_H
#define DISTILL_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* A NUL-terminated string built by appending. An allocation failure is remembered (@oom)
 * and later appends do nothing, so that a caller checks once at the end. Zeroed is empty. */
struct dt_buf {
	char *s;    /* NULL until something is appended */
	size_t len, cap;
	int oom;
};

void dt_buf_add(struct dt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dt_buf_vadd(struct dt_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void dt_buf_addn(struct dt_buf *b, const void *data, size_t n);
/* Empties @b, keeping its memory. */
void dt_buf_reset(struct dt_buf *b);
/* The string (never NULL: "" when empty; NULL only after an allocation failure), which the
 * caller now owns; @b is empty again. */
char *dt_buf_detach(struct dt_buf *b, size_t *len);
void dt_buf_release(struct dt_buf *b);

/* A growable list of strings. Zeroed is empty. */
struct dt_strv {
	char **v;
	size_t n, cap;
};
int dt_strv_push(struct dt_strv *s, const char *str); /* copies; 0 or -1 (ENOMEM) */
int dt_strv_has(const struct dt_strv *s, const char *str);
void dt_strv_release(struct dt_strv *s);

/* @n bytes for people: "512 B", "1.5 KiB", "61.5 MiB", "2.00 GiB"; @return @buf. */
const char *dt_human_bytes(uint64_t n, char *buf, size_t cap);

/* Makes room for element @n (0-based) of the array @v of @size-byte elements, whose
 * capacity is *@cap, doubling it as needed:
 *     if (!(t = dt_grow(a->v, &a->cap, a->n, sizeof(*a->v)))) return oom; a->v = t;
 * @return the array (moved or not), or NULL when out of memory (@v and *@cap unchanged). */
void *dt_grow(void *v, size_t *cap, size_t n, size_t size);

/* Strings that live as long as their arena, allocated from 1 MiB blocks that never move: no
 * allocation of its own per string, and one release. Zeroed is empty. */
struct dt_arena {
	struct dt_arena_block *head;
	size_t used;
};
/* A copy of @len bytes of @s, NUL-terminated, or NULL when out of memory. */
char *dt_arena_strndup(struct dt_arena *a, const char *s, size_t len);
void dt_arena_release(struct dt_arena *a);

#endif
