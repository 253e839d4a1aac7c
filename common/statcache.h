/* SPDX-License-Identifier: MIT */
/* The stat cache: the digests of input files, by what stat(2) says of them (device, inode,
 * size, mtime and ctime in nanoseconds), so that a file unchanged since a build hashed it
 * is not read again. Kept as one record of the cache (cache.h, kind "hashes") per key (a
 * project's spec and root).
 *
 * The rule is git's for its index, made safe for coarse file-system clocks: an entry is
 * taken only for a file whose ctime is more than DT_STATCACHE_RACY seconds older than the
 * moment the build began, so a change made during or just after the read (which would keep
 * the size and, on a coarse clock, the times) is never hidden. Any later change to the file
 * moves its ctime (which no user can set), and so misses. A record that is damaged, of
 * another version, or too large is ignored whole. */
#ifndef DISTILL_COMMON_STATCACHE_H
#define DISTILL_COMMON_STATCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/cache.h"
#include "common/err.h"

#define DT_STATCACHE_RACY 2
#define DT_STATCACHE_MAX_ENTRIES 2000000

struct dt_stat_entry {
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	unsigned char sha256[32], md5[16];
	uint32_t flags;  /* the caller's (e.g. "starts with the ELF magic") */
	uint32_t used;   /* in memory only: found or put in this run */
};

struct dt_statcache {
	struct dt_cache *cache;
	char key[65];
	struct dt_stat_entry *v;  /* sorted by (dev, ino) */
	size_t n, cap;
	struct dt_stat_entry *add; /* put in this run */
	size_t nadd, addcap;
	struct timespec began;
	size_t hits, misses;
};

/* Loads the record @key (64 hex digits) of @c into @s (missing or damaged: empty).
 * @return 0, or -DT_ENOMEM. */
int dt_statcache_load(struct dt_statcache *s, struct dt_cache *c, const char *key,
		      struct dt_err *err);
/* The entry for the file @st describes, or NULL (then hash it and dt_statcache_put). */
const struct dt_stat_entry *dt_statcache_find(struct dt_statcache *s, const struct stat *st);
/* Records the digests of the file @st describes (read after dt_statcache_load), unless its
 * ctime is too recent to trust (see above). @return 0, or -DT_ENOMEM. */
int dt_statcache_put(struct dt_statcache *s, const struct stat *st,
		     const unsigned char sha256[32], const unsigned char md5[16], uint32_t flags,
		     struct dt_err *err);
/* Writes the record back when it changed: the entries found or put in this run (what is
 * not used any more goes). @return 0, or a negative code with @err set. */
int dt_statcache_save(struct dt_statcache *s, struct dt_err *err);
void dt_statcache_release(struct dt_statcache *s);

#endif
