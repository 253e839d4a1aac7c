/* SPDX-License-Identifier: MIT */
/* Growable buffers (see buf.h). */
#include "common/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct dt_buf *b, size_t more)
{
	size_t need = b->len + more + 1, cap = b->cap ? b->cap : 64;
	char *s;

	if (b->oom)
		return -1;
	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (!(s = realloc(b->s, cap))) {
		b->oom = 1;
		return -1;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

void dt_buf_vadd(struct dt_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (reserve(b, (size_t)n) < 0)
		return;
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

void dt_buf_add(struct dt_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dt_buf_vadd(b, fmt, ap);
	va_end(ap);
}

void dt_buf_addn(struct dt_buf *b, const void *data, size_t n)
{
	if (reserve(b, n) < 0)
		return;
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void dt_buf_reset(struct dt_buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

char *dt_buf_detach(struct dt_buf *b, size_t *len)
{
	char *s;

	if (!b->oom && reserve(b, 0) == 0)
		b->s[b->len] = '\0';
	s = b->oom ? NULL : b->s;
	if (len)
		*len = b->oom ? 0 : b->len;
	if (b->oom)
		free(b->s);
	memset(b, 0, sizeof(*b));
	return s;
}

void dt_buf_release(struct dt_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

int dt_strv_push(struct dt_strv *s, const char *str)
{
	char **v = dt_grow(s->v, &s->cap, s->n, sizeof(*s->v)), *c;

	if (!v)
		return -1;
	s->v = v;
	if (!(c = strdup(str)))
		return -1;
	s->v[s->n++] = c;
	return 0;
}

int dt_strv_has(const struct dt_strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return 1;
	return 0;
}

void dt_strv_release(struct dt_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

const char *dt_human_bytes(uint64_t n, char *buf, size_t cap)
{
	if (n < 1024)
		snprintf(buf, cap, "%llu B", (unsigned long long)n);
	else if (n < (1u << 20))
		snprintf(buf, cap, "%.1f KiB", (double)n / 1024.0);
	else if (n < (1u << 30))
		snprintf(buf, cap, "%.1f MiB", (double)n / 1048576.0);
	else
		snprintf(buf, cap, "%.2f GiB", (double)n / 1073741824.0);
	return buf;
}

void *dt_grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;

	if (v && n < *cap)
		return v;
	ncap = *cap ? *cap : 16;
	while (ncap <= n) {
		if (ncap > SIZE_MAX / 2 / size)
			return NULL;
		ncap *= 2;
	}
	if (!(v = realloc(v, ncap * size)))
		return NULL;
	*cap = ncap;
	return v;
}

#define ARENA_BLOCK (1u << 20)

struct dt_arena_block {
	struct dt_arena_block *next;
	size_t cap;
	char data[];
};

char *dt_arena_strndup(struct dt_arena *a, const char *s, size_t len)
{
	struct dt_arena_block *b = a->head;
	char *p;

	if (!b || b->cap - a->used < len + 1) {
		size_t cap = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->next = a->head;
		b->cap = cap;
		a->head = b;
		a->used = 0;
	}
	p = b->data + a->used;
	memcpy(p, s, len);
	p[len] = '\0';
	a->used += len + 1;
	return p;
}

void dt_arena_release(struct dt_arena *a)
{
	while (a->head) {
		struct dt_arena_block *n = a->head->next;
		free(a->head);
		a->head = n;
	}
	a->used = 0;
}
