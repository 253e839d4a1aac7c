/* SPDX-License-Identifier: MIT */
/* The entries a stream keeps, packed (see entries.h). */
#include "verify/entries.h"

#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

enum {
	R_HARDLINK = 1, R_LINK = 2, R_UNAME = 4, R_GNAME = 8, R_XATTRS = 16, R_FFLAGS = 32,
	R_ATIME = 64, R_CTIME = 128, R_BIRTH = 256, R_SPARSE = 512, R_SHA = 1024, R_RDEV = 2048,
	R_NS = 4096,
};


/* sha256 of no bytes */
static const unsigned char EMPTY_SHA[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

static int room(struct vf_entries *x, size_t n, uint64_t max)
{
	if (x->len + n <= x->cap)
		return 0;
	if (x->len + n > max) {
		x->full = 1;
		return -1;
	}
	{
		size_t nc = x->cap ? x->cap : 4096;
		unsigned char *nb;
		while (nc < x->len + n)
			nc *= 2;
		if (nc > max)
			nc = (size_t)max;
		if (!(nb = realloc(x->buf, nc)))
			return -1;
		x->buf = nb;
		x->cap = nc;
	}
	return 0;
}

static void put_u(struct vf_entries *x, uint64_t v)
{
	do {
		unsigned char b = v & 0x7f;
		v >>= 7;
		x->buf[x->len++] = b | (v ? 0x80 : 0);
	} while (v);
}

static void put_i(struct vf_entries *x, int64_t v)
{
	put_u(x, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void put_s(struct vf_entries *x, const char *s)
{
	size_t n = strlen(s) + 1;
	memcpy(x->buf + x->len, s, n);
	x->len += n;
}

/* A user or group name: a reference to the last one stored when it is the same. */
static void put_name(struct vf_entries *x, const char *s, uint32_t *last)
{
	if (*last && strcmp((const char *)x->buf + *last - 1, s) == 0) {
		put_u(x, *last);
		return;
	}
	put_u(x, 0);
	*last = (uint32_t)x->len + 1;
	put_s(x, s);
}

/* Appends @e. @return 0, or -1: out of memory, or past @max bytes (x->full). */
int vf_entries_add(struct vf_entries *x, const struct vf_stream_entry *e, uint64_t max)
{
	size_t need = 14 * 10 + 32 + strlen(e->name) + 1;
	unsigned flags = 0;

	flags |= e->hardlink ? R_HARDLINK : 0;
	flags |= e->link ? R_LINK : 0;
	flags |= e->uname ? R_UNAME : 0;
	flags |= e->gname ? R_GNAME : 0;
	flags |= e->xattrs ? R_XATTRS : 0;
	flags |= e->fflags ? R_FFLAGS : 0;
	flags |= e->has_atime ? R_ATIME : 0;
	flags |= e->has_ctime ? R_CTIME : 0;
	flags |= e->has_birthtime ? R_BIRTH : 0;
	flags |= e->sparse ? R_SPARSE : 0;
	flags |= memcmp(e->sha256, EMPTY_SHA, 32) ? R_SHA : 0;
	flags |= e->rdev_major || e->rdev_minor ? R_RDEV : 0;
	flags |= e->mtime_ns ? R_NS : 0;
	need += e->link ? strlen(e->link) + 1 : 0;
	need += e->uname ? strlen(e->uname) + 1 : 0;
	need += e->gname ? strlen(e->gname) + 1 : 0;
	need += e->xattrs ? strlen(e->xattrs) + 1 : 0;
	need += e->fflags ? strlen(e->fflags) + 1 : 0;
	if (room(x, need, max) < 0)
		return -1;
	if (x->noff == x->cap_off) {
		size_t nc = x->cap_off ? x->cap_off * 2 : 64;
		uint32_t *no = realloc(x->off, nc * sizeof(*no));
		if (!no)
			return -1;
		x->off = no;
		x->cap_off = nc;
	}
	x->off[x->noff++] = (uint32_t)x->len;
	put_u(x, (uint64_t)e->header_pos);
	put_u(x, flags);
	put_s(x, e->name);
	put_u(x, e->type);
	put_u(x, e->mode);
	put_i(x, e->uid);
	put_i(x, e->gid);
	put_i(x, e->mtime);
	if (flags & R_NS)
		put_u(x, (uint64_t)e->mtime_ns);
	put_u(x, e->size);
	put_u(x, (uint64_t)e->format);
	if (flags & R_LINK)
		put_s(x, e->link);
	if (flags & R_UNAME)
		put_name(x, e->uname, &x->uname);
	if (flags & R_GNAME)
		put_name(x, e->gname, &x->gname);
	if (flags & R_XATTRS)
		put_s(x, e->xattrs);
	if (flags & R_FFLAGS)
		put_s(x, e->fflags);
	if (flags & R_ATIME)
		put_i(x, e->atime);
	if (flags & R_CTIME)
		put_i(x, e->ctime);
	if (flags & R_BIRTH)
		put_i(x, e->birthtime);
	if (flags & R_RDEV) {
		put_u(x, e->rdev_major);
		put_u(x, e->rdev_minor);
	}
	if (flags & R_SHA) {
		memcpy(x->buf + x->len, e->sha256, 32);
		x->len += 32;
	}
	return 0;
}

static uint64_t get_u(const unsigned char **p)
{
	uint64_t v = 0;
	for (unsigned shift = 0;; shift += 7) {
		unsigned char b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
}

static int64_t get_i(const unsigned char **p)
{
	uint64_t u = get_u(p);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static const char *get_s(const unsigned char **p)
{
	const char *s = (const char *)*p;
	*p += strlen(s) + 1;
	return s;
}

static const char *get_name(const struct vf_entries *x, const unsigned char **p)
{
	uint64_t ref = get_u(p);
	return ref ? (const char *)x->buf + ref - 1 : get_s(p);
}

static int64_t header_pos_at(const struct vf_entries *x, size_t i)
{
	const unsigned char *p = x->buf + x->off[i];
	return (int64_t)get_u(&p);
}

void vf_stream_entry_at(const struct vf_stream *s, size_t i, struct vf_stream_entry *e)
{
	const struct vf_entries *x = s->ents;
	const unsigned char *p = x->buf + x->off[i];
	unsigned flags;
	int64_t next, h;
	uint64_t data;

	memset(e, 0, sizeof(*e));
	e->pos = i;
	e->header_pos = (int64_t)get_u(&p);
	flags = (unsigned)get_u(&p);
	e->name = get_s(&p);
	e->type = (uint32_t)get_u(&p);
	e->mode = (uint32_t)get_u(&p);
	e->uid = get_i(&p);
	e->gid = get_i(&p);
	e->mtime = get_i(&p);
	if (flags & R_NS)
		e->mtime_ns = (long)get_u(&p);
	e->size = get_u(&p);
	e->format = (int)get_u(&p);
	e->hardlink = !!(flags & R_HARDLINK);
	e->sparse = !!(flags & R_SPARSE);
	if (flags & R_LINK)
		e->link = get_s(&p);
	if (flags & R_UNAME)
		e->uname = get_name(x, &p);
	if (flags & R_GNAME)
		e->gname = get_name(x, &p);
	if (flags & R_XATTRS)
		e->xattrs = get_s(&p);
	if (flags & R_FFLAGS)
		e->fflags = get_s(&p);
	if ((e->has_atime = !!(flags & R_ATIME)))
		e->atime = get_i(&p);
	if ((e->has_ctime = !!(flags & R_CTIME)))
		e->ctime = get_i(&p);
	if ((e->has_birthtime = !!(flags & R_BIRTH)))
		e->birthtime = get_i(&p);
	if (flags & R_RDEV) {
		e->rdev_major = get_u(&p);
		e->rdev_minor = get_u(&p);
	}
	memcpy(e->sha256, flags & R_SHA ? p : EMPTY_SHA, 32);
	/* its header blocks: the distance to the next header (or to the end-of-archive blocks)
	 * less its data, padded to 512 */
	next = i + 1 < x->noff ? header_pos_at(x, i + 1) : x->end;
	data = e->type == AE_IFREG && !e->hardlink ? (e->size + 511) / 512 * 512 : 0;
	h = next - e->header_pos - (int64_t)data;
	e->header_bytes = !e->sparse && h >= 512 && h % 512 == 0 ? (uint64_t)h : 0;
}

const char *vf_stream_name_at(const struct vf_stream *s, size_t i)
{
	const unsigned char *p = s->ents->buf + s->ents->off[i];

	get_u(&p);
	get_u(&p);
	return (const char *)p;
}


struct vf_entries *vf_entries_new(void)
{
	return calloc(1, sizeof(struct vf_entries));
}

void vf_entries_free(struct vf_entries *x)
{
	if (!x)
		return;
	free(x->buf);
	free(x->off);
	free(x);
}
