/* SPDX-License-Identifier: MIT */
/* Host files of the plan: a file, symlink or directory of a content root becomes an entry
 * with its content hashed in one read (SHA-256, and MD5 for status.d md5sums); the spec's
 * files are walked by the tar engine's scanner. */
#include "packer/image/planner.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/statcache.h"
#include "deps/root.h"
#include "packer/archive/scan.h"

int pk_plan_system_path(const char *path)
{
	static const char *const dirs[] = { "/lib/", "/lib32/", "/lib64/", "/libx32/", "/usr/",
					    "/bin/", "/sbin/", "/etc/", "/opt/", "/var/" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
			return 1;
	return 0;
}

void pk_plan_host_source(const struct pk_image *img, const char *path, char *buf, size_t len)
{
	const char *dir = img->spec->dir;
	size_t dl = strlen(dir);

	if (strcmp(img->spec->root, "/") != 0 || pk_plan_system_path(path)) {
		snprintf(buf, len, "host:%s", path);
		return;
	}
	if (strncmp(path, dir, dl) == 0 && path[dl] == '/') {
		snprintf(buf, len, "host:./%s", path + dl + 1);
		return;
	}
	/* the project's files beside the spec's directory (../stage/bin/app): named relative
	 * to it, so that the lock does not change with where the checkout lies */
	{
		size_t k = 0, ups = 0, off, di = 0, pi = 0;
		/* the leading components both share */
		for (;;) {
			size_t a = strcspn(dir + di + 1, "/"), b = strcspn(path + pi + 1, "/");
			if (!dir[di] || a != b || strncmp(dir + di + 1, path + pi + 1, a) != 0 ||
			    !path[pi + 1 + b])
				break;
			di += 1 + a;
			pi += 1 + b;
			k++;
		}
		if (k == 0) {
			snprintf(buf, len, "host:%s", path);
			return;
		}
		for (const char *c = dir + di; *c; c++)
			ups += *c == '/';
		off = (size_t)snprintf(buf, len, "host:");
		for (size_t u = 0; u < ups && off < len; u++)
			off += (size_t)snprintf(buf + off, len - off, "../");
		if (off < len)
			snprintf(buf + off, len - off, "%s", path + pi + 1);
	}
}

/* The flags of a stat cache entry. */
#define STAT_ELF 1u /* starts with the ELF magic */
#define STAT_MD5 2u /* its md5 was computed (else zeros) */

int pk_plan_in_project(const struct pk_image *img, const char *path)
{
	size_t dl = strlen(img->spec->dir);

	return strcmp(img->spec->root, "/") == 0 && strncmp(path, img->spec->dir, dl) == 0 &&
	       (path[dl] == '/' || img->spec->dir[dl - 1] == '/');
}

/* SHA-256 (and, when @md5 is not NULL, MD5, for dpkg's md5sums) of a file in one read;
 * the bytes read go to *@len. */
static int hash_fd(int fd, const char *name, unsigned char *out, unsigned char *md5,
		   uint64_t *len, int *elf, struct dt_err *err)
{
	struct dt_hash *c = out ? dt_hash_new(DT_HASH_SHA256, err) : NULL;
	struct dt_hash *m = md5 ? dt_hash_new(DT_HASH_MD5, err) : NULL;
	char buf[1 << 16];
	int rc = 0;

	if ((out && !c) || (md5 && !m)) {
		dt_hash_free(c);
		dt_hash_free(m);
		return -DT_ELIB;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dt_err_sys(err, errno, "cannot read '%s'", name);
			break;
		}
		if (n == 0)
			break;
		if (*len == 0 && elf)
			*elf = n >= 4 && memcmp(buf, "\177ELF", 4) == 0;
		if (c)
			dt_hash_update(c, buf, (size_t)n);
		if (m)
			dt_hash_update(m, buf, (size_t)n);
		*len += (uint64_t)n;
	}
	if (rc == 0 && c)
		dt_hash_final(c, out);
	if (rc == 0 && m)
		dt_hash_final(m, md5);
	dt_hash_free(c);
	dt_hash_free(m);
	return rc;
}

int pk_plan_md5(const struct pk_image *img, struct pk_plan_entry *e, struct dt_err *err)
{
	char shown[4200];
	uint64_t got = 0;
	int dfd, fd, rc;

	snprintf(shown, sizeof(shown), "%s/%s", strcmp(img->roots[e->root], "/") ? img->roots[e->root] : "", e->src);
	if ((dfd = open(img->roots[e->root], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return dt_err_sys(err, errno, "cannot open '%s'", img->roots[e->root]);
	fd = dt_open_beneath(dfd, e->src, O_RDONLY | O_NOATIME);
	close(dfd);
	if (fd < 0)
		return dt_err_sys(err, errno, "cannot open '%s'", shown);
	rc = hash_fd(fd, shown, NULL, e->md5, &got, NULL, err);
	close(fd);
	if (rc == 0 && got != e->size)
		rc = dt_err_set(err, DT_ECHANGED, "'%s' changed while distill was reading it", shown);
	e->has_md5 = rc == 0;
	return rc;
}

static uint32_t host_mode(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return 0755;
	if (S_ISLNK(st->st_mode))
		return 0777;
	return (st->st_mode & 0111) ? 0755 : 0644;
}

/* Where a host entry comes from: @leaf in the directory @dfd (lstat @st), @rel inside
 * content root @root, named @shown in messages. */
struct host {
	int root, dfd;
	const char *leaf, *rel, *shown;
	const struct stat *st;
	const char *link; /* a symlink's target when known, else read here */
};

static int host_entry(struct pk_image *img, const struct host *h, const char *path,
		      enum pk_plan_layer layer, enum pk_plan_prio prio, const char *source,
		      struct dt_err *err)
{
	const struct stat *st = h->st;
	struct pk_plan_entry *e = NULL;
	int fd, rc = 0;

	if (S_ISDIR(st->st_mode)) {
		e = pk_plan_push(img, path, PK_PLAN_DIR, layer, prio, source);
	} else if (S_ISLNK(st->st_mode)) {
		char target[4097];
		struct stat to;
		if (!h->link) {
			ssize_t n = readlinkat(h->dfd, h->leaf, target, sizeof(target) - 1);
			if (n < 0)
				return dt_err_sys(err, errno, "cannot read symlink '%s'", h->shown);
			target[n] = '\0';
		}
		if (!(e = pk_plan_push(img, path, PK_PLAN_SYMLINK, layer, prio, source)) ||
		    !(e->link = strdup(h->link ? h->link : target)))
			return dt_oom(err);
		e->link_to_dir = fstatat(h->dfd, h->leaf, &to, 0) == 0 && S_ISDIR(to.st_mode);
	} else if (S_ISREG(st->st_mode)) {
		uint64_t got = 0;
		const struct dt_stat_entry *known;
		struct stat fst;
		if (!(e = pk_plan_push(img, path, PK_PLAN_REG, layer, prio, source)) ||
		    !(e->src = strdup(h->rel)))
			return dt_oom(err);
		e->size = (uint64_t)st->st_size;
		e->dev = st->st_dev;
		e->ino = st->st_ino;
		if (img->hashes && (known = dt_statcache_find(img->hashes, st)) &&
		    ((known->flags & STAT_MD5) || img->md5_stated)) {
			memcpy(e->sha256, known->sha256, DT_SHA256_LEN);
			memcpy(e->md5, known->md5, DT_MD5_LEN);
			e->elf = (known->flags & STAT_ELF) != 0;
			e->has_md5 = (known->flags & STAT_MD5) != 0;
			goto done;
		}
		if ((fd = dt_open_beneath(h->dfd, h->leaf, O_RDONLY | O_NOATIME)) < 0)
			return dt_err_sys(err, errno, "cannot open '%s'", h->shown);
		/* the md5 is left to dpkg's record when the build trusts it (pk_plan_md5 else) */
		rc = hash_fd(fd, h->shown, e->sha256, img->md5_stated ? NULL : e->md5, &got,
			     &e->elf, err);
		/* what was read is what this fstat describes when it is still that file */
		if (rc == 0 && img->hashes && got == e->size && fstat(fd, &fst) == 0 &&
		    fst.st_dev == st->st_dev && fst.st_ino == st->st_ino &&
		    fst.st_size == st->st_size && fst.st_mtim.tv_sec == st->st_mtim.tv_sec &&
		    fst.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
		    fst.st_ctim.tv_sec == st->st_ctim.tv_sec &&
		    fst.st_ctim.tv_nsec == st->st_ctim.tv_nsec)
			rc = dt_statcache_put(img->hashes, st, e->sha256, e->md5,
					      (e->elf ? STAT_ELF : 0u) |
						      (img->md5_stated ? 0u : STAT_MD5),
					      err);
		/* a /proc or /sys file says size 0 and has content: refused, not packed
		 * empty; any other mismatch is a file that changed while read */
		if (rc == 0 && got != e->size)
			rc = dt_err_set(err, DT_ECHANGED,
					"'%s': its size is %" PRIu64 " bytes but %" PRIu64
					" were read: it changed while distill was reading it, "
					"or it is not an ordinary file (/proc, /sys)",
					h->shown, e->size, got);
		e->has_md5 = rc == 0 && !img->md5_stated;
		close(fd);
		if (rc < 0)
			return rc;
	done:;
	} else {
		return dt_err_set(err, DT_EINPUT, "'%s' is not a regular file, directory or symlink",
				  h->shown);
	}
	if (!e)
		return dt_oom(err);
	e->root = h->root; /* also for directories and symlinks: whose dpkg database owns them */
	e->mode = host_mode(st);
	return 0;
}

int pk_plan_add_host(struct pk_image *img, int root, const char *rel, const char *path,
		     enum pk_plan_layer layer, enum pk_plan_prio prio, const char *source,
		     struct dt_err *err)
{
	char shown[4200], *parent = strdup(rel), *slash;
	struct host h = { .root = root, .leaf = rel, .rel = rel, .shown = shown };
	struct stat st;
	int dfd, rc;

	snprintf(shown, sizeof(shown), "%s%s%s", img->roots[root],
		 strcmp(img->roots[root], "/") ? "/" : "", rel);
	if (!parent)
		return dt_oom(err);
	dfd = open(img->roots[root], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0 && (slash = strrchr(parent, '/'))) {
		int sub;
		*slash = '\0';
		h.leaf = rel + (slash - parent) + 1;
		sub = dt_open_beneath(dfd, parent, O_PATH | O_DIRECTORY);
		close(dfd);
		dfd = sub;
	}
	free(parent);
	if (dfd < 0)
		return dt_err_sys(err, errno, "cannot open the directory of '%s'", shown);
	if (fstatat(dfd, h.leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = dt_err_sys(err, errno, "cannot stat '%s'", shown);
	} else {
		h.dfd = dfd;
		h.st = &st;
		rc = host_entry(img, &h, path, layer, prio, source, err);
	}
	close(dfd);
	return rc;
}

/* ---- the spec's files ---- */

/* A directory of files: its top at @real (on the host) goes to @dst. */
struct tree_walk {
	struct pk_image *img;
	int root;
	const char *real, *dst;
	const struct mf_file *f;
};

/* Whether image path @path (below the entry's dst) is left out: an absolute glob matches it
 * or a directory above it; a name without '/' matches any of its components below dst. */
static int excluded(const struct mf_file *f, const char *path)
{
	for (size_t i = 0; i < f->nexcludes; i++) {
		const char *pat = f->excludes[i], *c = path + strlen(f->dst);
		if (pat[0] == '/') {
			if (pk_plan_glob_match(pat, path))
				return 1;
			continue;
		}
		while (*c == '/') {
			char name[256];
			size_t len = strcspn(c + 1, "/");
			snprintf(name, sizeof(name), "%.*s", (int)len, c + 1);
			if (fnmatch(pat, name, 0) == 0)
				return 1;
			c += 1 + len;
		}
	}
	return 0;
}

static int file_one(void *ctx, const struct pk_scan_item *it, struct dt_err *err)
{
	const struct tree_walk *w = ctx;
	char *host = NULL, *path = NULL, source[4200 + 16];
	int rc;

	if (asprintf(&host, "%s/%s", w->real, it->rel) < 0) {
		host = NULL;
		rc = dt_oom(err);
	} else if (asprintf(&path, "%s/%s", w->dst, it->rel) < 0) {
		path = NULL;
		rc = dt_oom(err);
	} else if (excluded(w->f, path)) {
		rc = 0;
	} else {
		struct host h = { .root = w->root, .dfd = it->dirfd, .leaf = it->name,
				  .rel = host + 1, .shown = host, .st = it->st, .link = it->link };
		pk_plan_host_source(w->img, host, source, sizeof(source));
		rc = host_entry(w->img, &h, path, PK_LAYER_APP, PK_PRIO_FILES, source, err);
	}
	free(host);
	free(path);
	return rc;
}

/* @real: an absolute host path without symlinks (realpath's); when it is a directory, its
 * whole tree too, in the scanner's order (parents first, names sorted). */
static int add_file_tree(struct pk_image *img, const char *real, const struct mf_file *f,
			 struct dt_err *err)
{
	const char *dst = f->dst;
	struct tree_walk w = { .img = img, .root = img->nroots - 1, .real = real, .dst = dst,
			       .f = f };
	struct pk_scan_opts so = { 0 };
	char source[4200 + 16];
	struct stat st;
	int rc, root, fd = -1;

	pk_plan_host_source(img, real, source, sizeof(source));
	if ((rc = pk_plan_add_host(img, w.root, real + 1, dst, PK_LAYER_APP, PK_PRIO_FILES, source,
				   err)) < 0)
		return rc;
	/* by descriptor, beneath the root: a tree may be deeper than PATH_MAX */
	if ((root = open(img->roots[w.root], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (fd = dt_open_beneath(root, real + 1, O_PATH)) < 0 || fstat(fd, &st) < 0)
		rc = dt_err_sys(err, errno, "cannot read directory '%s'", real);
	else if (S_ISDIR(st.st_mode))
		rc = pk_scan(fd, real, &so, file_one, &w, err);
	if (fd >= 0)
		close(fd);
	if (root >= 0)
		close(root);
	return rc;
}

/* The spec's mode and owner for what a files entry brought. */
static void apply_file_opts(struct pk_image *img, size_t from, const struct mf_file *f)
{
	for (size_t i = from; i < img->n; i++) {
		struct pk_plan_entry *e = &img->v[i];
		if (f->mode >= 0 && e->type == PK_PLAN_REG)
			e->mode = (uint32_t)f->mode;
		if (f->uid >= 0)
			e->uid = (uint32_t)f->uid;
		if (f->gid >= 0)
			e->gid = (uint32_t)f->gid;
		e->closure = f->closure;
	}
}

int pk_plan_files(struct pk_image *img, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;

	for (size_t i = 0; i < s->nfiles; i++) {
		const struct mf_file *f = &s->files[i];
		char *real = NULL;
		size_t from = img->n;
		int rc;
		char src[4200];
		if (s->read_root && strcmp(s->root, "/") == 0) {
			/* the machine is read from a tree standing for it: resolved inside it, an
			 * absolute symlink restarting at its top */
			struct deps_root r = { .fd = -1 };
			rc = deps_root_open(&r, s->read_root, err);
			if (rc == 0)
				rc = deps_root_resolve(&r, f->src, NULL, &real, err);
			deps_root_release(&r);
			if (rc < 0)
				return rc;
			if (rc == 1)
				return dt_err_set(err, DT_EINPUT, "%s:%d: files[%zu]: '%s' is in none of "
						  "the lock's .debs, nor a project file", s->file,
						  f->line, i, f->src);
		} else if (!(real = realpath(f->src, NULL))) {
			return dt_err_sys(err, errno, "%s:%d: files[%zu]: cannot use '%s'", s->file,
					  f->line, i, f->src);
		}
		pk_plan_host_source(img, f->src, src, sizeof(src));
		img->pin_content = f->pin_content;
		rc = pk_plan_why(img, NULL, "files[%zu] %s", i, src + strlen("host:")) < 0
			     ? dt_oom(err) : add_file_tree(img, real, f, err);
		img->pin_content = 0;
		free(real);
		if (rc < 0)
			return rc;
		apply_file_opts(img, from, f);
	}
	return 0;
}
