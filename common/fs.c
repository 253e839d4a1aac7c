/* SPDX-License-Identifier: MIT */
/* The file primitives of fs.h. */
#include "common/fs.h"
#include "common/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* @open(@dirfd, @path, @flags), and again without O_NOATIME when the kernel refuses it: it
 * is allowed only to the file's owner (or CAP_FOWNER). */
static int open_noatime(int (*open_fn)(int, const char *, int), int dirfd, const char *path,
			int flags)
{
	int fd = open_fn(dirfd, path, flags);

	if (fd < 0 && errno == EPERM && (flags & O_NOATIME))
		fd = open_fn(dirfd, path, flags & ~O_NOATIME);
	return fd;
}

static int openat_cloexec(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags | O_CLOEXEC);
}

int dt_openat(int dirfd, const char *path, int flags)
{
	return open_noatime(openat_cloexec, dirfd, path, flags);
}

int dt_open_input(int dirfd, const char *path, int flags)
{
	return dt_openat(dirfd, path, flags | O_NOATIME);
}

/* What openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) does, one component at a time, for
 * kernels before 5.6 and for valgrind, which lack it: no "..", no absolute path, no symlink
 * on the way (ELOOP), the last component opened with O_NOFOLLOW. */
static int open_walk(int dirfd, const char *path, int flags)
{
	char buf[4096], *p = buf, *slash;
	int cur = dirfd, fd;

	if (path[0] == '/' || strlen(path) >= sizeof(buf)) {
		errno = path[0] == '/' ? EXDEV : ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (;;) {
		int next;
		struct stat st;
		if ((slash = strchr(p, '/')))
			*slash = '\0';
		if (strcmp(p, "..") == 0) {
			errno = EXDEV;
			fd = -1;
			break;
		}
		if (!slash) {
			fd = openat(cur, *p ? p : ".", flags);
			break;
		}
		if (!*p || strcmp(p, ".") == 0) {
			p = slash + 1;
			continue;
		}
		next = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;
			if (fstatat(cur, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				e = ELOOP;
			errno = e;
			fd = -1;
			break;
		}
		if (cur != dirfd)
			close(cur);
		cur = next;
		p = slash + 1;
	}
	if (cur != dirfd) {
		int e = errno;
		close(cur);
		errno = e;
	}
	return fd;
}

static int open_beneath_short(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC |
				    ((flags & O_PATH) ? 0 : O_NOCTTY)),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		return open_walk(dirfd, path, (int)how.flags);
	return (int)fd;
}

int dt_open_parent_made(int dirfd, const char *path, const char **leaf)
{
	const char *p = path + (path[0] == '/');
	int fd = dup(dirfd);

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		char comp[256];
		int next;
		if (fd < 0)
			return -1;
		if (n == 0 || n >= sizeof(comp) || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		if (!slash) {
			*leaf = p;
			return fd;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		p = slash + 1;
	}
}

int dt_open_beneath(int dirfd, const char *path, int flags)
{
	const char *p = path;
	int cur = dirfd, fd;

	/* A path the kernel takes in one call is opened in one; a longer one (a tree nested
	 * thousands deep) a directory of fewer than PATH_MAX bytes at a time, each step beneath
	 * the last: no "..", no symlink, so still beneath @dirfd. */
	while (strlen(p) >= PATH_MAX) {
		const char *cut = p + PATH_MAX - 1;
		char *head;
		int next;
		while (cut > p && *cut != '/')
			cut--;
		if (cut == p || !(head = strndup(p, (size_t)(cut - p)))) {
			errno = cut == p ? ENAMETOOLONG : ENOMEM;
			fd = -1;
			goto out;
		}
		next = open_beneath_short(cur, head, O_PATH | O_DIRECTORY);
		free(head);
		if (next < 0) {
			fd = -1;
			goto out;
		}
		if (cur != dirfd)
			close(cur);
		cur = next;
		p = cut + 1;
	}
	fd = open_noatime(open_beneath_short, cur, p, flags);
out:
	if (cur != dirfd) {
		int e = errno;
		close(cur);
		errno = e;
	}
	return fd;
}

int dt_open_regular_beneath(int dirfd, const char *path, struct stat *st)
{
	int fd = dt_open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY), e;

	if (fd < 0)
		return -1;
	e = fstat(fd, st) < 0 ? errno : !S_ISREG(st->st_mode) ? EINVAL : 0;
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int dt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	dt_fault("write");
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int dt_read_fd(int fd, const char *name, size_t max, char **out, size_t *outlen,
	       struct dt_err *err)
{
	struct stat st;
	size_t len = 0, cap;
	char *buf;

	*out = NULL;
	*outlen = 0;
	/* Room for the whole file and the end-of-file read, when its size is known. */
	cap = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	      (uint64_t)st.st_size <= max ? (size_t)st.st_size + 1 : 4096;
	if (!(buf = malloc(cap)))
		return dt_oom(err);
	for (;;) {
		ssize_t n;
		if (len + 1 >= cap) {
			char *nbuf;
			if (len > max) {
				free(buf);
				return dt_err_set(err, DT_EINPUT, "cannot read '%s': larger than %zu bytes",
						  name, max);
			}
			if (!(nbuf = realloc(buf, cap * 2))) {
				free(buf);
				return dt_oom(err);
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return dt_err_sys(err, e, "cannot read '%s'", name);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return dt_err_set(err, DT_EINPUT, "cannot read '%s': larger than %zu bytes", name, max);
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

int dt_read_file(int dirfd, const char *path, size_t max, char **buf, size_t *len,
		 struct dt_err *err)
{
	struct stat st;
	int fd = dt_open_input(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY), rc;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return dt_err_sys(err, errno, "cannot read '%s'", path);
	if (fstat(fd, &st) < 0) {
		rc = dt_err_sys(err, errno, "cannot read '%s'", path);
	} else if (!S_ISREG(st.st_mode)) {
		rc = dt_err_set(err, DT_EINPUT, "cannot read '%s': not a regular file", path);
	} else {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		rc = dt_read_fd(fd, path, max, buf, len, err);
	}
	close(fd);
	return rc;
}

int dt_write_file_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
		     int replace)
{
	const char *leaf;
	int dfd = dt_open_parent_made(dirfd, path, &leaf), fd, e = 0;

	if (dfd < 0)
		return -1;
	if (replace && unlinkat(dfd, leaf, 0) < 0 && errno == EISDIR)
		unlinkat(dfd, leaf, AT_REMOVEDIR);
	if ((fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    (len && dt_write_all(fd, buf, len) < 0) || fchmod(fd, mode) < 0)
		e = errno;
	if (fd >= 0 && close(fd) < 0 && !e)
		e = errno;
	close(dfd);
	errno = e;
	return e ? -1 : 0;
}
