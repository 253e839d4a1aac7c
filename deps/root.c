/* SPDX-License-Identifier: MIT */
/* Confined path resolution inside a root (see root.h). */
#include "deps/root.h"
#include "common/fs.h"

#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40

int deps_root_open(struct deps_root *r, const char *dir, struct dt_err *err)
{
	r->dir = strdup(dir);
	r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!r->dir)
		return dt_oom(err);
	if (r->fd < 0)
		return dt_err_sys(err, errno, "cannot open root '%s'", dir);
	return 0;
}

void deps_root_release(struct deps_root *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->dir);
	r->fd = -1;
	r->dir = NULL;
}

/* "/a/b" + "c" -> "/a/b/c"; "/" + "c" -> "/c". */
static char *join(const char *dir, const char *name, size_t nlen)
{
	size_t dlen = strlen(dir);
	char *p = malloc(dlen + nlen + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dlen);
	if (dlen == 0 || p[dlen - 1] != '/')
		p[dlen++] = '/';
	memcpy(p + dlen, name, nlen);
	p[dlen + nlen] = '\0';
	return p;
}

static char *read_link_at(int fd, const char *rel)
{
	size_t cap = 256;
	for (;;) {
		char *buf = malloc(cap);
		ssize_t n;
		if (!buf)
			return NULL;
		n = readlinkat(fd, rel, buf, cap);
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			return buf;
		}
		free(buf);
		cap *= 2;
	}
}

int deps_root_resolve(const struct deps_root *r, const char *path, struct dt_strv *links,
		      char **real, struct dt_err *err)
{
	char *cur = strdup("/"), *rest = strdup(path);
	int nlinks = 0, rc = 0;

	*real = NULL;
	if (!cur || !rest) {
		rc = dt_oom(err);
		goto out;
	}
	for (;;) {
		char *p = rest, *next, *cand, *target, *nrest;
		size_t clen;
		struct stat st;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		next = strchr(p, '/');
		clen = next ? (size_t)(next - p) : strlen(p);
		if (clen == 1 && p[0] == '.') {
			memmove(rest, p + clen, strlen(p + clen) + 1);
			continue;
		}
		if (clen == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(cur, '/');
			if (slash == cur)
				cur[1] = '\0';
			else if (slash)
				*slash = '\0';
			memmove(rest, p + clen, strlen(p + clen) + 1);
			continue;
		}
		if (!(cand = join(cur, p, clen))) {
			rc = dt_oom(err);
			goto out;
		}
		if (fstatat(r->fd, cand + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 1
			   : dt_err_sys(err, errno, "cannot resolve '%s'", path);
			free(cand);
			goto out;
		}
		memmove(rest, p + clen, strlen(p + clen) + 1);
		if (!S_ISLNK(st.st_mode)) {
			if (rest[strspn(rest, "/")] && !S_ISDIR(st.st_mode)) {
				free(cand);
				rc = 1;
				goto out;
			}
			free(cur);
			cur = cand;
			continue;
		}
		if (++nlinks > MAX_LINKS) {
			free(cand);
			rc = dt_err_set(err, DT_EINPUT, "'%s': too many levels of symbolic links",
					path);
			goto out;
		}
		if (links && !dt_strv_has(links, cand) && dt_strv_push(links, cand) < 0) {
			free(cand);
			rc = dt_oom(err);
			goto out;
		}
		target = read_link_at(r->fd, cand + 1);
		free(cand);
		if (!target) {
			rc = dt_err_sys(err, errno, "cannot read a symlink of '%s'", path);
			goto out;
		}
		if (!(nrest = malloc(strlen(target) + strlen(rest) + 2))) {
			free(target);
			rc = dt_oom(err);
			goto out;
		}
		strcpy(nrest, target);
		strcat(nrest, "/");
		strcat(nrest, rest);
		if (target[0] == '/')
			strcpy(cur, "/"); /* absolute: back to the root, never above it */
		free(target);
		free(rest);
		rest = nrest;
	}
	*real = cur;
	cur = NULL;
out:
	free(cur);
	free(rest);
	return rc;
}

int deps_root_open_file(const struct deps_root *r, const char *real)
{
	int fd;

	if (r->content && (fd = r->content(r->content_ctx, real)) >= 0)
		return fd;
	/* O_NONBLOCK: opening a FIFO must not hang (reading a regular file ignores it) */
	fd = dt_open_input(r->fd, real[0] == '/' && real[1] ? real + 1 : ".",
			       O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

void deps_root_shown(const struct deps_root *r, const char *path, char *buf, size_t size)
{
	size_t dlen = strlen(r->dir);

	while (dlen > 0 && r->dir[dlen - 1] == '/')
		dlen--;
	snprintf(buf, size, "%.*s%s", (int)dlen, r->dir, path);
}

int deps_root_read(const struct deps_root *r, const char *path, size_t max, char **buf,
		   size_t *len, struct dt_err *err)
{
	char *real = NULL, name[4200];
	struct stat st;
	int fd, rc = deps_root_resolve(r, path, NULL, &real, err);

	*buf = NULL;
	*len = 0;
	if (rc != 0)
		return rc;
	deps_root_shown(r, path, name, sizeof(name));
	/* O_NONBLOCK: a FIFO must not hang the open; it is refused below */
	fd = dt_open_input(r->fd, real[1] ? real + 1 : ".",
			   O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	free(real);
	if (fd < 0)
		return errno == ENOENT ? 1 : dt_err_sys(err, errno, "cannot read '%s'", name);
	if (fstat(fd, &st) < 0)
		rc = dt_err_sys(err, errno, "cannot read '%s'", name);
	else if (!S_ISREG(st.st_mode))
		rc = dt_err_set(err, DT_EINPUT, "cannot read '%s': not a regular file", name);
	else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		rc = dt_err_sys(err, errno, "cannot read '%s'", name);
	else
		rc = dt_read_fd(fd, name, max, buf, len, err);
	close(fd);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int deps_root_list(const struct deps_root *r, const char *dir, struct dt_strv *names,
		   struct dt_err *err)
{
	char *real = NULL;
	struct dirent *de;
	DIR *d;
	int fd, rc = deps_root_resolve(r, dir, NULL, &real, err);

	if (rc != 0)
		return rc;
	fd = openat(r->fd, real[1] ? real + 1 : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(real);
	if (fd < 0)
		return errno == ENOTDIR || errno == ENOENT ? 1
		       : dt_err_sys(err, errno, "cannot open directory '%s'", dir);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return dt_err_sys(err, errno, "cannot read directory '%s'", dir);
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (dt_strv_push(names, de->d_name) < 0) {
			closedir(d);
			return dt_oom(err);
		}
	}
	closedir(d);
	if (names->n > 1)
		qsort(names->v, names->n, sizeof(char *), cmp_name);
	return 0;
}
