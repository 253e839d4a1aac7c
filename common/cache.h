/* SPDX-License-Identifier: MIT */
/* The content-addressed cache shared by downloads and builds: blobs named by their sha256
 * (DIR/blobs/sha256/<hex>), entered only once complete and checked (written under DIR/tmp/
 * and renamed into place), so that a reader never sees a partial or wrong blob and two
 * processes filling one cache at once are safe. Every entry is checked again by digest
 * when it is used (dt_cache_check): a corrupt entry is detected, removed and never used. */
#ifndef DISTILL_COMMON_CACHE_H
#define DISTILL_COMMON_CACHE_H

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/digest.h"

struct dt_cache {
	char *dir;   /* absolute or as given */
	int fd;      /* the directory, O_PATH */
};

/* The default cache directory into @out (@n bytes): $DISTILL_CACHE, else
 * $XDG_CACHE_HOME/distill, else $HOME/.cache/distill. An unset or relative XDG_CACHE_HOME
 * is ignored, as the XDG base directory spec says. @return 0, or -DT_EINPUT when none of
 * them is set (no HOME). */
int dt_cache_default_dir(char *out, size_t n, struct dt_err *err);

/* Opens (making it, its missing parents and its blobs/sha256 and tmp subdirectories, 0755,
 * when missing) the cache at @dir; blobs/sha256 and tmp are never reached through a
 * symlink. @return 0, or a negative code with @err naming @dir (@c is then closed). */
int dt_cache_open(struct dt_cache *c, const char *dir, struct dt_err *err);
/* Releases @c; a closed @c (fd -1) is a no-op. */
void dt_cache_close(struct dt_cache *c);

/* Whether the blob @sha256 (64 lowercase hex digits) is in the cache with @size bytes and
 * that content: it is read and hashed. A blob whose size or hash is wrong, or that is not
 * a regular file (a symlink is never followed), is removed (unless another writer renamed
 * a new one into its place meanwhile). Every function here refuses a @sha256 that is not
 * 64 lowercase hex digits before it makes a path of it.
 * @return 1 present and right, 0 absent (or removed as corrupt: *@corrupt set to 1, else
 * 0, when @corrupt is not NULL), or a negative code with @err set (-DT_EINPUT for such a
 * @sha256). */
int dt_cache_check(struct dt_cache *c, const char *sha256, uint64_t size, int *corrupt,
		   struct dt_err *err);

/* Opens the blob @sha256 for reading (O_RDONLY, a regular file beneath the cache). It is
 * not hashed: dt_cache_check first. @return the descriptor, or -1 with errno (ENOENT when
 * absent, EINVAL for a @sha256 that is not hex or a blob that is not a regular file). */
int dt_cache_open_blob(struct dt_cache *c, const char *sha256);

/* The blob's path into @out ("DIR/blobs/sha256/<hex>"), for messages and for tools. */
void dt_cache_blob_path(const struct dt_cache *c, const char *sha256, char *out, size_t n);

/* Writing a blob: begin makes (or, with @resume, reopens) DIR/tmp/<hex>.part and returns
 * in *@have how many bytes it already holds (0 unless resuming); write appends; commit
 * checks that the bytes written are @size bytes whose sha256 is @sha256 and renames the
 * part into blobs/sha256/<hex>; abort removes the part (or, with @keep, leaves it to be
 * resumed). A commit that finds another size or hash removes the part and returns
 * -DT_EMISMATCH naming both hashes (or sizes).
 *
 * The part is held with flock(LOCK_EX) from begin to commit or abort. A part that another
 * process (or another put of this one) holds is not waited for: begin fails with -DT_ESYS
 * and err->sys_errno EWOULDBLOCK ("... is being written by another process"); the caller
 * tries later, and checks the cache first, as the other writer may have entered the blob.
 * Renaming a right blob onto the same right blob is harmless, so two writers one after the
 * other are safe. The part is fsync()ed before the rename, the directory after it. A part
 * is not removed when a signal stops the process: it is resumed or replaced later. */
struct dt_cache_put {
	struct dt_cache *cache;
	char sha256[65];
	uint64_t size, have;  /* have: the bytes the part holds so far */
	int fd;               /* -1 once committed or aborted */
	struct dt_hash *hash;
	char part[96];        /* "tmp/<hex>.part", below the cache directory */
	char got[65];         /* after commit: the sha256 of what was written (the hash found,
			       * for a message of the caller's own, on -DT_EMISMATCH) */
};
/* @return 0 with p->have set, or a negative code with @err set (p is then released). */
int dt_cache_put_begin(struct dt_cache *c, struct dt_cache_put *p, const char *sha256,
		       uint64_t size, int resume, struct dt_err *err);
/* Appends @len bytes; more than @size in all is refused (-DT_EMISMATCH), the part kept as it
 * was. @return 0, or a negative code with @err set. */
int dt_cache_put_write(struct dt_cache_put *p, const void *buf, size_t len, struct dt_err *err);
/* Checks and enters the blob; @p is released whatever the outcome (abort after it is a
 * no-op). @return 0, -DT_EMISMATCH (the part removed), or another negative code. */
int dt_cache_put_commit(struct dt_cache_put *p, struct dt_err *err);
/* Releases @p, removing the part unless @keep. A released @p is a no-op. */
void dt_cache_put_abort(struct dt_cache_put *p, int keep);

/* ---- builds: blobs entered from a file, records, use and eviction ---- */

/* Opens the blob @sha256 and checks on that descriptor that it holds @size bytes with that
 * hash (as dt_cache_check, a corrupt one removed and *@corrupt set). @return 1 with the
 * descriptor at offset 0 in *@fd (close it), 0 when absent or corrupt, or a negative code
 * with @err set. */
int dt_cache_open_checked(struct dt_cache *c, const char *sha256, uint64_t size, int *fd,
			  int *corrupt, struct dt_err *err);

/* Enters as blob @sha256 the @size bytes that @fd holds from offset 0, which the caller
 * wrote and hashed itself: hard-linked in (through /proc/self/fd, the file system's own
 * copy) when it can be, else copied through dt_cache_put_* (and so hashed again). A blob
 * of that name already present stays. @return 0, or a negative code with @err set (a full
 * disk, a read-only cache): nothing is half-entered. */
int dt_cache_put_fd(struct dt_cache *c, int fd, const char *sha256, uint64_t size,
		    struct dt_err *err);

/* Marks the blob @sha256 (or, with @kind, the record @kind/@sha256) as used now (its
 * mtime), for dt_cache_evict. */
void dt_cache_touch(struct dt_cache *c, const char *kind, const char *sha256);

/* Records: small texts the cache keeps about its blobs, DIR/@kind/@key, @kind one of a
 * few fixed names ("layers", "hashes"), @key 64 lowercase hex digits. A record is replaced
 * whole (written under tmp/, renamed), so a reader sees an old one or a new one.
 * read: @return 1 and *@text (NUL-terminated, free() it; at most @max bytes), 0 absent, or
 * a negative code; write: @return 0 or a negative code; remove: no-op when absent. */
int dt_cache_record_read(struct dt_cache *c, const char *kind, const char *key, size_t max,
			 char **text, size_t *len, struct dt_err *err);
int dt_cache_record_write(struct dt_cache *c, const char *kind, const char *key,
			  const void *text, size_t len, struct dt_err *err);
void dt_cache_record_remove(struct dt_cache *c, const char *kind, const char *key);

/* The size bound of the cache: $DISTILL_CACHE_MAX ("N", "NK", "NM", "NG", "NT": bytes or
 * powers of 1024), else DT_CACHE_MAX_DEFAULT. @return 0, or -DT_EINPUT naming the value. */
#define DT_CACHE_MAX_DEFAULT (10ull << 30)
int dt_cache_max(uint64_t *max, struct dt_err *err);

/* Removes the least recently used blobs and records (by mtime, oldest first: a use
 * touches them) until they hold at most @max bytes in all. One used in the last minute is
 * kept, whatever its size: a build running at once may be about to use it (and one that
 * loses a blob anyway builds it again). A record whose blob is gone is found so when it
 * is read, and replaced. *@removed: the bytes freed (may be NULL). @return 0, or a
 * negative code with @err set. */
int dt_cache_evict(struct dt_cache *c, uint64_t max, uint64_t *removed, struct dt_err *err);

#endif
