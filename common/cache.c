/* SPDX-License-Identifier: MIT */
/* The content-addressed cache of cache.h: blobs/sha256/<hex>, written as tmp/<hex>.part
 * under an flock, checked, fsync()ed and renamed into place. */
#include "common/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"

#define BLOBS "blobs/sha256"
#define TMP "tmp"

/* Whether @s is a blob name: exactly 64 lowercase hex digits, so never "..", "/" or "". */
static int valid_hex(const char *s)
{
	return s && strlen(s) == 64 && dt_is_hex(s, 64);
}

static int bad_hex(struct dt_err *err, const char *s)
{
	char vis[4 * 80 + 1], cut[81];

	snprintf(cut, sizeof(cut), "%s", s ? s : "(null)");
	dt_vis(vis, cut);
	return dt_err_set(err, DT_EINPUT, "'%s' is not a sha256 (64 lowercase hex digits)", vis);
}

/* A directory of the cache (BLOBS or TMP), opened beneath it, never through a symlink;
 * O_RDONLY so that it can be fsync()ed. @return the descriptor, or -1 with errno. */
static int subdir(const struct dt_cache *c, const char *name)
{
	return dt_open_beneath(c->fd, name, O_RDONLY | O_DIRECTORY);
}

int dt_cache_default_dir(char *out, size_t n, struct dt_err *err)
{
	const char *d = getenv("DISTILL_CACHE"), *x = getenv("XDG_CACHE_HOME"),
		   *h = getenv("HOME");
	int len;

	if (d && *d)
		len = snprintf(out, n, "%s", d);
	else if (x && x[0] == '/')
		len = snprintf(out, n, "%s/distill", x);
	else if (h && *h)
		len = snprintf(out, n, "%s/.cache/distill", h);
	else
		return dt_err_set(err, DT_EINPUT,
				  "no cache directory: set DISTILL_CACHE, XDG_CACHE_HOME or HOME");
	if (len < 0 || (size_t)len >= n)
		return dt_err_set(err, DT_EINPUT, "the cache directory's name is too long");
	return 0;
}

/* mkdir -p @dir (0755), following what the user named (symlinks included). */
static int make_dirs(const char *dir)
{
	char *p = strdup(dir), *s;
	int rc = 0;

	if (!p)
		return -1;
	for (s = p + 1; rc == 0; s++) {
		int last = *s == '\0';
		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		if (last)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

/* Makes @rel's parents and @rel itself below @fd, never through a symlink. */
static int make_sub(int fd, const char *rel)
{
	char path[64];
	const char *leaf;
	int dfd;

	snprintf(path, sizeof(path), "%s/x", rel);
	if ((dfd = dt_open_parent_made(fd, path, &leaf)) < 0)
		return -1;
	close(dfd);
	return 0;
}

int dt_cache_open(struct dt_cache *c, const char *dir, struct dt_err *err)
{
	int rc;

	c->fd = -1;
	c->dir = NULL;
	if (!dir || !*dir)
		return dt_err_set(err, DT_EINPUT, "the cache directory's name is empty");
	if (!(c->dir = strdup(dir)))
		return dt_oom(err);
	if (make_dirs(dir) < 0) {
		rc = dt_err_sys(err, errno, "cannot make the cache directory '%s'", dir);
		goto fail;
	}
	if ((c->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open the cache directory '%s'", dir);
		goto fail;
	}
	if (make_sub(c->fd, BLOBS) < 0 || make_sub(c->fd, TMP) < 0) {
		rc = dt_err_sys(err, errno, "cannot make the cache's directories in '%s'", dir);
		goto fail;
	}
	return 0;
fail:
	dt_cache_close(c);
	return rc;
}

void dt_cache_close(struct dt_cache *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->dir);
	c->dir = NULL;
}

void dt_cache_blob_path(const struct dt_cache *c, const char *sha256, char *out, size_t n)
{
	snprintf(out, n, "%s/" BLOBS "/%s", c->dir, sha256);
}

int dt_cache_open_blob(struct dt_cache *c, const char *sha256)
{
	char rel[96];
	struct stat st;

	if (!valid_hex(sha256)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(rel, sizeof(rel), BLOBS "/%s", sha256);
	return dt_open_regular_beneath(c->fd, rel, &st);
}

/* Removes the blob @hex from @dfd if it is still the file @st describes (not a new blob
 * another writer renamed into its place since it was read). */
static void remove_if_same(int dfd, const char *hex, const struct stat *st)
{
	struct stat now;

	if (fstatat(dfd, hex, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st->st_dev &&
	    now.st_ino == st->st_ino)
		unlinkat(dfd, hex, 0);
}

int dt_cache_check(struct dt_cache *c, const char *sha256, uint64_t size, int *corrupt,
		   struct dt_err *err)
{
	char path[4200], digest[DT_DIGEST_LEN];
	struct stat st;
	uint64_t got;
	int dfd = -1, fd = -1, rc = 0, bad = 0, found = 0;

	if (corrupt)
		*corrupt = 0;
	if (!valid_hex(sha256))
		return bad_hex(err, sha256);
	dt_cache_blob_path(c, sha256, path, sizeof(path));
	if ((dfd = subdir(c, BLOBS)) < 0)
		return dt_err_sys(err, errno, "cannot open '%s/" BLOBS "'", c->dir);
	fd = dt_openat(dfd, sha256, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_NOATIME);
	if (fd < 0 && errno == ENOENT)
		goto out;
	if (fd < 0 && errno != ELOOP) {
		rc = dt_err_sys(err, errno, "cannot open '%s'", path);
		goto out;
	}
	if (fd >= 0 && fstat(fd, &st) < 0) {
		rc = dt_err_sys(err, errno, "cannot stat '%s'", path);
		goto out;
	}
	if (fd >= 0 && S_ISDIR(st.st_mode)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s' is a directory, not a blob", path);
		goto out;
	}
	if (fd < 0 || !S_ISREG(st.st_mode)) {
		/* a symlink, a FIFO...: nothing a writer here makes */
		unlinkat(dfd, sha256, 0);
		bad = 1;
		goto out;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	found = 1;
	if ((uint64_t)st.st_size != size) {
		bad = 1;
	} else {
		if ((rc = dt_digest_fd(fd, path, digest, &got, err)) < 0)
			goto out;
		bad = got != size || strcmp(digest + 7, sha256) != 0;
	}
	if (bad)
		remove_if_same(dfd, sha256, &st);
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	if (rc < 0)
		return rc;
	if (bad && corrupt)
		*corrupt = 1;
	return found && !bad;
}

/* ---- writing ---- */

/* Hashes the @n bytes the part @fd already holds. */
static int hash_existing(struct dt_cache_put *p, uint64_t n, struct dt_err *err)
{
	unsigned char buf[65536];
	uint64_t off = 0;

	while (off < n) {
		size_t want = n - off < sizeof(buf) ? (size_t)(n - off) : sizeof(buf);
		ssize_t r = pread(p->fd, buf, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return dt_err_sys(err, r < 0 ? errno : EIO, "cannot read '%s/%s'",
					  p->cache->dir, p->part);
		dt_hash_update(p->hash, buf, (size_t)r);
		off += (uint64_t)r;
	}
	return 0;
}

/* Opens and locks the part @leaf in @tfd, and makes sure the lock is on the file the name
 * still holds: a writer that locked it before us may have renamed it into blobs/ (it is a
 * blob now) or removed it, then the name is opened again. @return the descriptor, or -1
 * with errno (EWOULDBLOCK when another writer holds it). */
static int open_locked(int tfd, const char *leaf)
{
	for (int i = 0; i < 16; i++) {
		struct stat a, b;
		int fd = openat(tfd, leaf, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
				0644), e;
		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			e = errno;
			close(fd);
			errno = e == EAGAIN ? EWOULDBLOCK : e;
			return -1;
		}
		if (fstat(fd, &a) < 0) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (!S_ISREG(a.st_mode)) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		if (fstatat(tfd, leaf, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

int dt_cache_put_begin(struct dt_cache *c, struct dt_cache_put *p, const char *sha256,
		       uint64_t size, int resume, struct dt_err *err)
{
	struct stat st;
	int tfd = -1, rc = 0;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->cache = c;
	if (!valid_hex(sha256))
		return bad_hex(err, sha256);
	memcpy(p->sha256, sha256, 65);
	p->size = size;
	snprintf(p->part, sizeof(p->part), TMP "/%s.part", sha256);
	if (!(p->hash = dt_hash_new(DT_HASH_SHA256, err)))
		return err ? -err->code : -DT_ELIB;
	if ((tfd = subdir(c, TMP)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open '%s/" TMP "'", c->dir);
		goto out;
	}
	if ((p->fd = open_locked(tfd, p->part + strlen(TMP "/"))) < 0) {
		if (errno == EWOULDBLOCK) {
			rc = dt_err_set(err, DT_ESYS, "'%s/%s' is being written by another process",
					c->dir, p->part);
			if (err)
				err->sys_errno = EWOULDBLOCK;
		} else {
			rc = dt_err_sys(err, errno, "cannot open '%s/%s'", c->dir, p->part);
		}
		goto out;
	}
	if (fstat(p->fd, &st) < 0) {
		rc = dt_err_sys(err, errno, "cannot stat '%s/%s'", c->dir, p->part);
		goto out;
	}
	p->have = resume && (uint64_t)st.st_size <= size ? (uint64_t)st.st_size : 0;
	if ((uint64_t)st.st_size != p->have && ftruncate(p->fd, 0) < 0) {
		rc = dt_err_sys(err, errno, "cannot truncate '%s/%s'", c->dir, p->part);
		goto out;
	}
	if ((rc = hash_existing(p, p->have, err)) < 0)
		goto out;
	if (lseek(p->fd, (off_t)p->have, SEEK_SET) < 0)
		rc = dt_err_sys(err, errno, "cannot seek in '%s/%s'", c->dir, p->part);
out:
	if (tfd >= 0)
		close(tfd);
	if (rc < 0)
		dt_cache_put_abort(p, 1);
	return rc;
}

int dt_cache_put_write(struct dt_cache_put *p, const void *buf, size_t len, struct dt_err *err)
{
	if (p->fd < 0)
		return dt_err_set(err, DT_EINPUT, "'%s/%s' is not open", p->cache->dir, p->part);
	if (len > p->size - p->have)
		return dt_err_set(err, DT_EMISMATCH, "'%s/%s': more than the %llu bytes expected",
				  p->cache->dir, p->part, (unsigned long long)p->size);
	if (dt_write_all(p->fd, buf, len) < 0) {
		int e = errno;
		/* what a short write left is not hashed: cut it off */
		if (ftruncate(p->fd, (off_t)p->have) < 0 ||
		    lseek(p->fd, (off_t)p->have, SEEK_SET) < 0)
			dt_cache_put_abort(p, 0);
		return dt_err_sys(err, e, "cannot write '%s/%s'", p->cache->dir, p->part);
	}
	dt_hash_update(p->hash, buf, len);
	p->have += len;
	return 0;
}

int dt_cache_put_commit(struct dt_cache_put *p, struct dt_err *err)
{
	unsigned char md[DT_SHA256_LEN];
	const char *dir = p->cache->dir, *leaf = p->part + strlen(TMP "/");
	int tfd = -1, bfd = -1, rc = 0;

	if (p->fd < 0)
		return dt_err_set(err, DT_EINPUT, "'%s/%s' is not open", dir, p->part);
	dt_hash_final(p->hash, md);
	dt_hex(md, sizeof(md), p->got);
	if (p->have != p->size) {
		rc = dt_err_set(err, DT_EMISMATCH, "'%s/%s': size %llu is not the %llu expected",
				dir, p->part, (unsigned long long)p->have,
				(unsigned long long)p->size);
		goto out;
	}
	if (strcmp(p->got, p->sha256) != 0) {
		rc = dt_err_set(err, DT_EMISMATCH, "'%s/%s': sha256 %s is not the expected %s", dir,
				p->part, p->got, p->sha256);
		goto out;
	}
	if (fsync(p->fd) < 0) {
		rc = dt_err_sys(err, errno, "cannot write '%s/%s'", dir, p->part);
		goto out;
	}
	if ((tfd = subdir(p->cache, TMP)) < 0 || (bfd = subdir(p->cache, BLOBS)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open the directories of the cache '%s'", dir);
		goto out;
	}
	/* renamed while the lock is held: a writer waiting on this part then finds it gone */
	if (renameat(tfd, leaf, bfd, p->sha256) < 0) {
		rc = dt_err_sys(err, errno, "cannot move '%s/%s' into '%s/" BLOBS "'", dir,
				p->part, dir);
		goto out;
	}
	if (fsync(bfd) < 0)
		rc = dt_err_sys(err, errno, "cannot sync '%s/" BLOBS "'", dir);
	close(p->fd);
	p->fd = -1;
out:
	if (tfd >= 0)
		close(tfd);
	if (bfd >= 0)
		close(bfd);
	dt_cache_put_abort(p, 0);
	return rc;
}

void dt_cache_put_abort(struct dt_cache_put *p, int keep)
{
	if (p->fd >= 0) {
		if (!keep) {
			int tfd = subdir(p->cache, TMP);
			if (tfd >= 0) {
				/* removed before the lock goes: a waiting writer starts anew */
				unlinkat(tfd, p->part + strlen(TMP "/"), 0);
				close(tfd);
			}
		}
		close(p->fd);
		p->fd = -1;
	}
	dt_hash_free(p->hash);
	p->hash = NULL;
}
