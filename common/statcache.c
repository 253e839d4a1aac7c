/* SPDX-License-Identifier: MIT */
/* The stat cache (see statcache.h). The record: a 16-byte magic, the entry count (uint64),
 * the entries as struct dt_stat_entry in this machine's byte order, sorted by (dev, ino),
 * and the sha256 of all that before it. */
#include "common/statcache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/digest.h"

static const char magic[16] = "distill-stat-v1";

static int cmp_id(const void *a, const void *b)
{
	const struct dt_stat_entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

int dt_statcache_load(struct dt_statcache *s, struct dt_cache *c, const char *key,
		      struct dt_err *err)
{
	const size_t es = sizeof(struct dt_stat_entry);
	struct dt_err e2 = { 0 };
	unsigned char md[DT_SHA256_LEN];
	char *text = NULL;
	size_t len = 0;
	uint64_t n;

	memset(s, 0, sizeof(*s));
	s->cache = c;
	snprintf(s->key, sizeof(s->key), "%s", key);
	clock_gettime(CLOCK_REALTIME, &s->began);
	if (dt_cache_record_read(c, "hashes", key, 24 + DT_STATCACHE_MAX_ENTRIES * es + 32, &text,
				 &len, &e2) != 1)
		return 0; /* none, or unreadable: hashed afresh */
	if (len < 24 + 32 || memcmp(text, magic, 16) != 0)
		goto out;
	memcpy(&n, text + 16, 8);
	if (n > DT_STATCACHE_MAX_ENTRIES || len != 24 + n * es + 32)
		goto out;
	dt_sha256(text, len - 32, md);
	if (memcmp(md, text + len - 32, 32) != 0)
		goto out;
	if (n && !(s->v = malloc(n * es))) {
		free(text);
		return dt_oom(err);
	}
	memcpy(s->v, text + 24, n * es);
	s->n = s->cap = n;
	for (size_t i = 0; i < n; i++) {
		s->v[i].used = 0;
		if (i && cmp_id(&s->v[i - 1], &s->v[i]) >= 0) { /* not what save writes */
			free(s->v);
			s->v = NULL;
			s->n = s->cap = 0;
			break;
		}
	}
out:
	free(text);
	return 0;
}

static int same(const struct dt_stat_entry *e, const struct stat *st)
{
	return e->size == (uint64_t)st->st_size && e->mtime_s == st->st_mtim.tv_sec &&
	       e->mtime_ns == st->st_mtim.tv_nsec && e->ctime_s == st->st_ctim.tv_sec &&
	       e->ctime_ns == st->st_ctim.tv_nsec;
}

const struct dt_stat_entry *dt_statcache_find(struct dt_statcache *s, const struct stat *st)
{
	struct dt_stat_entry k = { .dev = st->st_dev, .ino = st->st_ino };
	struct dt_stat_entry *e = s->n ? bsearch(&k, s->v, s->n, sizeof(k), cmp_id) : NULL;

	if (!e || !same(e, st)) {
		s->misses++;
		return NULL;
	}
	e->used = 1;
	s->hits++;
	return e;
}

int dt_statcache_put(struct dt_statcache *s, const struct stat *st,
		     const unsigned char sha256[32], const unsigned char md5[16], uint32_t flags,
		     struct dt_err *err)
{
	struct dt_stat_entry *v;

	if (st->st_ctim.tv_sec >= s->began.tv_sec - DT_STATCACHE_RACY)
		return 0; /* racy: it may change again within the clock's grain */
	if (s->n + s->nadd >= DT_STATCACHE_MAX_ENTRIES)
		return 0;
	if (!(v = dt_grow(s->add, &s->addcap, s->nadd, sizeof(*v))))
		return dt_oom(err);
	s->add = v;
	v = &s->add[s->nadd++];
	*v = (struct dt_stat_entry){
		.dev = st->st_dev, .ino = st->st_ino, .size = (uint64_t)st->st_size,
		.mtime_s = st->st_mtim.tv_sec, .mtime_ns = st->st_mtim.tv_nsec,
		.ctime_s = st->st_ctim.tv_sec, .ctime_ns = st->st_ctim.tv_nsec,
		.flags = flags, .used = 1,
	};
	memcpy(v->sha256, sha256, 32);
	memcpy(v->md5, md5, 16);
	return 0;
}

int dt_statcache_save(struct dt_statcache *s, struct dt_err *err)
{
	const size_t es = sizeof(struct dt_stat_entry);
	size_t kept = 0, n = 0;
	unsigned char *buf;
	uint64_t count;
	int rc;

	for (size_t i = 0; i < s->n; i++)
		kept += s->v[i].used != 0;
	if (s->nadd == 0 && kept == s->n)
		return 0; /* nothing new, nothing gone */
	if (!(buf = malloc(24 + (kept + s->nadd) * es + 32)))
		return dt_oom(err);
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].used)
			memcpy(buf + 24 + n++ * es, &s->v[i], es);
	for (size_t i = 0; i < s->nadd; i++)
		memcpy(buf + 24 + n++ * es, &s->add[i], es);
	for (size_t i = 0; i < n; i++)
		((struct dt_stat_entry *)(void *)(buf + 24 + i * es))->used = 0;
	qsort(buf + 24, n, es, cmp_id);
	/* one entry per file: a file put again (it changed) keeps its newest digests */
	{
		size_t w = 0;
		for (size_t i = 0; i < n; i++) {
			struct dt_stat_entry *e = (struct dt_stat_entry *)(void *)(buf + 24 + i * es);
			if (w && cmp_id(buf + 24 + (w - 1) * es, e) == 0)
				w--;
			if (buf + 24 + w * es != (unsigned char *)e)
				memmove(buf + 24 + w * es, e, es);
			w++;
		}
		n = w;
	}
	memcpy(buf, magic, 16);
	count = n;
	memcpy(buf + 16, &count, 8);
	dt_sha256(buf, 24 + n * es, buf + 24 + n * es);
	rc = dt_cache_record_write(s->cache, "hashes", s->key, buf, 24 + n * es + 32, err);
	free(buf);
	return rc;
}

void dt_statcache_release(struct dt_statcache *s)
{
	free(s->v);
	free(s->add);
	s->v = s->add = NULL;
	s->n = s->nadd = 0;
}
