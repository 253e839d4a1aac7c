/* SPDX-License-Identifier: MIT */
/* The content-addressed cache of cache.h: blobs/sha256/<hex>, written as tmp/<hex>.part
 * under an flock, checked, fsync()ed and renamed into place. */
#include "common/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
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

/* dt_cache_check, and with @keep the descriptor of a right blob into *@keep (at 0). */
static int check(struct dt_cache *c, const char *sha256, uint64_t size, int *corrupt,
		 int *keep, struct dt_err *err)
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
	if (!bad && keep && lseek(fd, 0, SEEK_SET) == 0) {
		*keep = fd;
		fd = -1;
	}
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

int dt_cache_check(struct dt_cache *c, const char *sha256, uint64_t size, int *corrupt,
		   struct dt_err *err)
{
	return check(c, sha256, size, corrupt, NULL, err);
}

int dt_cache_open_checked(struct dt_cache *c, const char *sha256, uint64_t size, int *fd,
			  int *corrupt, struct dt_err *err)
{
	int rc;

	*fd = -1;
	if ((rc = check(c, sha256, size, corrupt, fd, err)) == 1 && *fd < 0)
		return dt_err_sys(err, errno, "cannot rewind '%s/" BLOBS "/%s'", c->dir, sha256);
	return rc;
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

/* ---- builds ---- */

int dt_cache_put_fd(struct dt_cache *c, int fd, const char *sha256, uint64_t size,
		    struct dt_err *err)
{
	static unsigned seq;
	struct dt_cache_put p;
	char proc[64], leaf[128];
	unsigned char buf[1 << 16];
	struct stat st;
	uint64_t off = 0;
	int tfd = -1, bfd = -1, rc = 0;

	if (!valid_hex(sha256))
		return bad_hex(err, sha256);
	if ((tfd = subdir(c, TMP)) < 0 || (bfd = subdir(c, BLOBS)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open the directories of the cache '%s'", c->dir);
		goto out;
	}
	if (fstatat(bfd, sha256, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		goto out; /* there already: checked when it is used */
	/* the same file system: a link, no byte copied (the file is the caller's, complete) */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	snprintf(leaf, sizeof(leaf), "%.64s.%ld.%u.link", sha256, (long)getpid(), seq++);
	if (linkat(AT_FDCWD, proc, tfd, leaf, AT_SYMLINK_FOLLOW) == 0) {
		if (renameat(tfd, leaf, bfd, sha256) < 0) {
			rc = dt_err_sys(err, errno, "cannot move '%s/" TMP "/%s' into '%s/" BLOBS "'",
					c->dir, leaf, c->dir);
			unlinkat(tfd, leaf, 0);
		} else {
			fsync(bfd);
		}
		goto out;
	}
	/* else a copy, hashed again on its way in */
	if ((rc = dt_cache_put_begin(c, &p, sha256, size, 0, err)) < 0)
		goto out;
	while (off < size) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = dt_err_sys(err, n < 0 ? errno : EIO, "cannot read the blob %s", sha256);
			dt_cache_put_abort(&p, 0);
			goto out;
		}
		if ((rc = dt_cache_put_write(&p, buf, (size_t)n, err)) < 0) {
			dt_cache_put_abort(&p, 0);
			goto out;
		}
		off += (uint64_t)n;
	}
	rc = dt_cache_put_commit(&p, err);
out:
	if (tfd >= 0)
		close(tfd);
	if (bfd >= 0)
		close(bfd);
	return rc;
}

/* Whether @kind is one of the record directories. */
static int valid_kind(const char *kind)
{
	return kind && (strcmp(kind, "layers") == 0 || strcmp(kind, "hashes") == 0);
}

void dt_cache_touch(struct dt_cache *c, const char *kind, const char *sha256)
{
	char rel[128];

	if (!valid_hex(sha256) || (kind && !valid_kind(kind)))
		return;
	snprintf(rel, sizeof(rel), "%s/%.64s", kind ? kind : BLOBS, sha256);
	utimensat(c->fd, rel, NULL, AT_SYMLINK_NOFOLLOW);
}

int dt_cache_record_read(struct dt_cache *c, const char *kind, const char *key, size_t max,
			 char **text, size_t *len, struct dt_err *err)
{
	char rel[128];
	int rc;

	*text = NULL;
	*len = 0;
	if (!valid_kind(kind))
		return dt_err_set(err, DT_EINPUT, "'%s' is not a kind of cache record", kind);
	if (!valid_hex(key))
		return bad_hex(err, key);
	snprintf(rel, sizeof(rel), "%s/%.64s", kind, key);
	rc = dt_read_file(c->fd, rel, max, text, len, err);
	if (rc < 0 && err && err->code == DT_ESYS && err->sys_errno == ENOENT)
		return 0;
	return rc < 0 ? rc : 1;
}

int dt_cache_record_write(struct dt_cache *c, const char *kind, const char *key,
			  const void *text, size_t len, struct dt_err *err)
{
	static unsigned seq;
	char leaf[128], rel[128];
	int tfd = -1, kfd = -1, fd = -1, rc = 0;
	const char *l;

	if (!valid_kind(kind))
		return dt_err_set(err, DT_EINPUT, "'%s' is not a kind of cache record", kind);
	if (!valid_hex(key))
		return bad_hex(err, key);
	snprintf(rel, sizeof(rel), "%s/%.64s", kind, key);
	snprintf(leaf, sizeof(leaf), "%.64s.%ld.%u.record", key, (long)getpid(), seq++);
	if ((tfd = subdir(c, TMP)) < 0 || (kfd = dt_open_parent_made(c->fd, rel, &l)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open the directories of the cache '%s'", c->dir);
		goto out;
	}
	if ((fd = openat(tfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) <
		    0 ||
	    dt_write_all(fd, text, len) < 0 || fsync(fd) < 0) {
		rc = dt_err_sys(err, errno, "cannot write '%s/" TMP "/%s'", c->dir, leaf);
		goto out;
	}
	if (renameat(tfd, leaf, kfd, key) < 0) {
		rc = dt_err_sys(err, errno, "cannot move '%s/" TMP "/%s' to '%s/%s'", c->dir, leaf,
				c->dir, rel);
		goto out;
	}
	leaf[0] = '\0';
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tfd >= 0 && leaf[0])
		unlinkat(tfd, leaf, 0);
	if (tfd >= 0)
		close(tfd);
	if (kfd >= 0)
		close(kfd);
	return rc;
}

void dt_cache_record_remove(struct dt_cache *c, const char *kind, const char *key)
{
	char rel[128];

	if (!valid_kind(kind) || !valid_hex(key))
		return;
	snprintf(rel, sizeof(rel), "%s/%.64s", kind, key);
	unlinkat(c->fd, rel, 0);
}

int dt_cache_max(uint64_t *max, struct dt_err *err)
{
	const char *v = getenv("DISTILL_CACHE_MAX");
	unsigned long long n;
	char *end;
	int shift = 0;

	*max = DT_CACHE_MAX_DEFAULT;
	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (errno || end == v || !(v[0] >= '0' && v[0] <= '9') || *end ||
	    (shift && n > (UINT64_MAX >> shift)))
		return dt_err_set(err, DT_EINPUT,
				  "DISTILL_CACHE_MAX='%.64s' is not a size (N, NK, NM, NG or NT)", v);
	*max = (uint64_t)n << shift;
	return 0;
}

struct victim {
	char rel[96];
	struct timespec used;
	uint64_t size;
};

static int older(const void *a, const void *b)
{
	const struct victim *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

/* Adds the regular files of @sub (named as in the cache) to @v. */
static int list_sub(struct dt_cache *c, const char *sub, struct victim **v, size_t *n,
		    size_t *cap, uint64_t *total)
{
	int dfd = dt_open_beneath(c->fd, sub, O_RDONLY | O_DIRECTORY);
	DIR *d;
	int rc = 0;

	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return -1;
	}
	for (struct dirent *de; (de = readdir(d));) {
		struct stat st;
		struct victim *nv;
		if (!valid_hex(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (!(nv = dt_grow(*v, cap, *n, sizeof(**v)))) {
			rc = -1;
			break;
		}
		*v = nv;
		snprintf(nv[*n].rel, sizeof(nv[*n].rel), "%s/%.64s", sub, de->d_name);
		nv[*n].used = st.st_mtim;
		nv[*n].size = (uint64_t)st.st_blocks * 512;
		*total += nv[(*n)++].size;
	}
	closedir(d);
	return rc;
}

int dt_cache_evict(struct dt_cache *c, uint64_t max, uint64_t *removed, struct dt_err *err)
{
	static const char *const subs[] = { BLOBS, "layers", "hashes" };
	struct victim *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0, freed = 0;
	struct timespec now;
	int rc = 0;

	if (removed)
		*removed = 0;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (list_sub(c, subs[i], &v, &n, &cap, &total) < 0) {
			rc = dt_err_sys(err, errno, "cannot list '%s/%s'", c->dir, subs[i]);
			goto out;
		}
	if (total <= max)
		goto out;
	clock_gettime(CLOCK_REALTIME, &now);
	qsort(v, n, sizeof(*v), older);
	for (size_t i = 0; i < n && total - freed > max; i++) {
		if (v[i].used.tv_sec > now.tv_sec - 60)
			break; /* used in the last minute, and so is everything after it */
		if (unlinkat(c->fd, v[i].rel, 0) == 0)
			freed += v[i].size;
	}
	if (removed)
		*removed = freed;
out:
	free(v);
	return rc;
}
