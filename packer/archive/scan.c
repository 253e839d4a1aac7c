/* SPDX-License-Identifier: MIT */
/* The directory walker of scan.h: by descriptor, names read whole and sorted before any
 * child is visited, deep levels reopened through ".." and checked by device and inode. */
#include "packer/archive/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"

/* Directories below this depth keep their descriptor open while their children are read;
 * deeper ones are closed and reopened through ".." (checked by device and inode), so a
 * tree nested thousands deep needs a bounded number of descriptors. */
#define SCAN_FDS_KEPT 64

struct walk {
	const struct pk_scan_opts *o;
	const char *shown;
	pk_scan_fn fn;
	void *ctx;
	size_t rel_off;    /* where the path relative to the walked directory starts in pb */
	struct dt_buf pb;  /* prefix + path of the current entry */
	struct dt_err *err;
};

static const char *rel_of(const struct walk *w)
{
	return w->pb.s + w->rel_off;
}

static int excluded(const struct walk *w, const char *name)
{
	for (size_t i = 0; i < w->o->nexcludes; i++) {
		const char *pat = w->o->excludes[i];
		if (strchr(pat, '/') ? fnmatch(pat, rel_of(w), FNM_PATHNAME) == 0
				     : fnmatch(pat, name, 0) == 0)
			return 1;
	}
	return 0;
}

static int read_link(int dirfd, const char *name, size_t hint, char **out)
{
	size_t cap = hint + 2 > 256 ? hint + 2 : 256;

	for (;;) {
		char *buf = malloc(cap);
		ssize_t n;
		if (!buf)
			return -ENOMEM;
		n = readlinkat(dirfd, name, buf, cap);
		if (n < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			*out = buf;
			return 0;
		}
		free(buf);
		cap *= 2;
	}
}

int pk_scan_not_packed(const struct pk_scan_opts *o, const char *shown,
		       const struct pk_scan_item *it, struct dt_err *err)
{
	mode_t m = it->st->st_mode;
	const char *kind = S_ISSOCK(m) ? "socket" : S_ISFIFO(m) ? "fifo"
			 : S_ISCHR(m) ? "character device"
			 : S_ISBLK(m) ? "block device" : "special file";
	char *msg = NULL; /* on the heap: the walk recurses and its frames stay small */
	int rc = 0;

	if (asprintf(&msg, "%s '%s/%s' is not packed", kind, shown, it->rel) < 0)
		return dt_oom(err);
	if (o->strict)
		rc = dt_err_set(err, DT_EINPUT, "%s (--strict)", msg);
	else if (o->warn)
		o->warn(o->warn_ctx, msg);
	free(msg);
	return rc;
}

static int walk_dir(struct walk *w, int *dfd, size_t depth);

/* Descends into directory @name of *@dfd (whose stat is @dst). Past SCAN_FDS_KEPT levels
 * *@dfd is closed meanwhile and reopened through the child's "..", which must be the same
 * directory. */
static int walk_subdir(struct walk *w, int *dfd, const struct stat *dst, const char *name,
		       size_t depth)
{
	struct stat st;
	int sub, rc;

	sub = openat(*dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return dt_err_set(w->err, DT_ECHANGED,
				"directory '%s/%s' vanished or was replaced while distill was reading it",
				w->shown, rel_of(w));
		return dt_err_sys(w->err, errno, "cannot open directory '%s/%s'", w->shown,
				  rel_of(w));
	}
	if (depth >= SCAN_FDS_KEPT) {
		close(*dfd);
		*dfd = -1;
	}
	rc = walk_dir(w, &sub, depth + 1);
	if (*dfd < 0 && sub >= 0) {
		int up = openat(sub, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up >= 0 && fstat(up, &st) == 0 && st.st_dev == dst->st_dev &&
		    st.st_ino == dst->st_ino) {
			*dfd = up;
		} else {
			if (up >= 0)
				close(up);
			if (rc == 0)
				rc = dt_err_set(w->err, DT_ECHANGED,
					"directory '%s/%s' moved while distill was reading it",
					w->shown, rel_of(w));
		}
	}
	if (sub >= 0)
		close(sub);
	return rc;
}

static int walk_one(struct walk *w, int *dfd, const struct stat *dst, const char *name,
		    size_t depth)
{
	size_t saved = w->pb.len;
	struct pk_scan_item it = { .dirfd = *dfd, .name = name };
	char *link = NULL;
	struct stat st;
	int rc = 0;

	if (w->pb.len > 0 && w->pb.s[w->pb.len - 1] != '/')
		dt_buf_addn(&w->pb, "/", 1);
	dt_buf_add(&w->pb, "%s", name);
	if (w->pb.oom)
		return dt_oom(w->err);
	if (excluded(w, name))
		goto out;
	if (fstatat(*dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			rc = dt_err_set(w->err, DT_ECHANGED,
					"'%s/%s' vanished while distill was reading it", w->shown,
					rel_of(w));
		else
			rc = dt_err_sys(w->err, errno, "cannot stat '%s/%s'", w->shown, rel_of(w));
		goto out;
	}
	if (S_ISLNK(st.st_mode) && (rc = read_link(*dfd, name, (size_t)st.st_size, &link)) < 0) {
		rc = dt_err_sys(w->err, -rc, "cannot read symlink '%s/%s'", w->shown, rel_of(w));
		goto out;
	}
	it.path = w->pb.s;
	it.rel = rel_of(w);
	it.st = &st;
	it.link = link;
	rc = w->fn(w->ctx, &it, w->err);
	if (rc == 0 && S_ISDIR(st.st_mode))
		rc = walk_subdir(w, dfd, dst, name, depth);
	if (rc > 0)
		rc = 0; /* the visitor skipped the subtree */
out:
	free(link);
	w->pb.len = saved;
	w->pb.s[saved] = '\0';
	return rc;
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every name of directory *@dfd first (no directory stream stays open while its
 * children are walked), sorts them, then walks each. Deep below, *@dfd may be replaced by
 * another descriptor of the same directory, or be -1 after an error; the caller closes it. */
static int walk_dir(struct walk *w, int *dfd, size_t depth)
{
	char **names = NULL, **v;
	size_t n = 0, cap = 0;
	struct stat dst = { 0 }; /* what ".." must be again, once *dfd is closed meanwhile */
	DIR *d = NULL;
	int rfd = -1, rc = 0;

	if ((depth >= SCAN_FDS_KEPT && fstat(*dfd, &dst) < 0) ||
	    (rfd = fcntl(*dfd, F_DUPFD_CLOEXEC, 0)) < 0 || !(d = fdopendir(rfd))) {
		rc = dt_err_sys(w->err, errno, "cannot read directory '%s/%s'", w->shown,
				rel_of(w));
		if (rfd >= 0)
			close(rfd);
		return rc;
	}
	for (;;) {
		struct dirent *de;
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				rc = dt_err_sys(w->err, errno, "cannot read directory '%s/%s'",
						w->shown, rel_of(w));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!(v = dt_grow(names, &cap, n, sizeof(*names)))) {
			rc = dt_oom(w->err);
			break;
		}
		names = v;
		if (!(names[n] = strdup(de->d_name))) {
			rc = dt_oom(w->err);
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk_one(w, dfd, &dst, names[i], depth);
	names_free(names, n);
	return rc;
}

int pk_scan(int dirfd, const char *shown, const struct pk_scan_opts *o, pk_scan_fn fn,
	    void *ctx, struct dt_err *err)
{
	struct walk w = { .o = o, .shown = shown, .fn = fn, .ctx = ctx, .err = err };
	const char *prefix = o->prefix ? o->prefix : "";
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (dfd < 0)
		return dt_err_sys(err, errno, "cannot open directory '%s'", shown);
	/* pb holds "prefix" + "rel"; entries below the directory start at rel_off. */
	dt_buf_add(&w.pb, "%s", prefix);
	if (w.pb.oom) {
		close(dfd);
		return dt_oom(err);
	}
	w.rel_off = w.pb.len;
	rc = walk_dir(&w, &dfd, 0);
	if (dfd >= 0)
		close(dfd);
	dt_buf_release(&w.pb);
	return rc;
}
