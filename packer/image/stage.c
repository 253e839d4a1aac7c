/* SPDX-License-Identifier: MIT */
/* The staging tree of a build from .debs (build --inputs debs): what stands for the root,
 * made from the lock alone and the .debs it pins, so that the planner reads every package's
 * file out of its .deb and the project's own files from the project. */
#include "packer/image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cache.h"
#include "common/fs.h"
#include "debian/deb.h"

/* The top-level directories merged /usr makes symlinks into /usr (Debian's usrmerge). */
static const char *const usr_merged[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };

static int host_source(const struct mf_lock_file *f)
{
	return f->source && strncmp(f->source, "host:", 5) == 0;
}

static int project_source(const struct mf_lock_file *f)
{
	return host_source(f) &&
	       (strncmp(f->source, "host:./", 7) == 0 || strncmp(f->source, "host:../", 8) == 0);
}

/* A top-level symlink of the tree ("lib" -> "usr/lib"), for members under it. */
struct top {
	char name[64];
	char target[256];
};

/* @path (absolute) moved through the tree's top-level symlinks into @out. */
static void through_tops(const struct top *t, size_t nt, const char *path, char *out, size_t n)
{
	const char *rest = strchr(path + 1, '/');
	size_t len = rest ? (size_t)(rest - path - 1) : strlen(path + 1);

	for (size_t i = 0; i < nt; i++)
		if (strlen(t[i].name) == len && strncmp(path + 1, t[i].name, len) == 0) {
			snprintf(out, n, "/%s%s", t[i].target, rest ? rest : "");
			return;
		}
	snprintf(out, n, "%s", path);
}

/* Replaces whatever @leaf is in @dfd. */
static void clear_leaf(int dfd, const char *leaf)
{
	if (unlinkat(dfd, leaf, 0) < 0 && errno == EISDIR)
		unlinkat(dfd, leaf, AT_REMOVEDIR);
}

static int put_member(int root, const char *path, const struct deb_member *m,
		      const char *link, struct dt_err *err, const char *deb)
{
	const char *leaf;
	int dfd, rc = 0;

	if (strcmp(path, "/") == 0)
		return 0;
	if ((dfd = dt_open_parent_made(root, path + 1, &leaf)) < 0)
		return dt_err_sys(err, errno, "'%s': cannot make '%s' in the staging tree", deb, path);
	switch (m->type) {
	case DEB_DIR:
		if (mkdirat(dfd, leaf, 0755) < 0 && errno != EEXIST)
			rc = dt_err_sys(err, errno, "'%s': cannot make '%s'", deb, path);
		break;
	case DEB_REG:
		if (dt_write_file_at(dfd, leaf, m->data, (size_t)m->size, m->mode & 0777, 1) < 0)
			rc = dt_err_sys(err, errno, "'%s': cannot write '%s'", deb, path);
		break;
	case DEB_SYMLINK:
		clear_leaf(dfd, leaf);
		if (symlinkat(m->link, dfd, leaf) < 0)
			rc = dt_err_sys(err, errno, "'%s': cannot make the symlink '%s'", deb, path);
		break;
	case DEB_HARDLINK:
		clear_leaf(dfd, leaf);
		if (linkat(root, link + 1, dfd, leaf, 0) < 0)
			rc = dt_err_sys(err, errno, "'%s': cannot link '%s' to '%s'", deb, path, link);
		break;
	}
	close(dfd);
	return rc;
}

/* Writes @len bytes of @text to @path (absolute) in the tree with @mode. */
static int put_text(int root, const char *path, const void *text, size_t len, mode_t mode,
		    struct dt_err *err)
{
	if (dt_write_file_at(root, path + 1, text, len, mode, 1) < 0)
		return dt_err_sys(err, errno, "cannot write '%s' in the staging tree", path);
	return 0;
}

/* One .deb, every member, and its dpkg file list. */
static int put_deb(int root, const struct mf_lock_deb *d, const char *blob, const struct top *t,
		   size_t nt, struct dt_err *err)
{
	struct deb_package *deb = NULL;
	struct dt_buf list = { 0 };
	char want[65], got[65], path[4200];
	int rc;

	if ((rc = deb_package_read(blob, NULL, NULL, &deb, err)) < 0)
		return rc;
	dt_hex(deb->sha256, DT_SHA256_LEN, got);
	memcpy(want, d->sha256, sizeof(want));
	if (strcmp(got, want) != 0 || deb->file_size != d->size) {
		rc = dt_err_set(err, DT_EMISMATCH, "'%s': sha256 %s is not the lock's %s for %s %s",
				blob, got, want, d->name, d->version);
		goto out;
	}
	if (strcmp(deb->package, d->name) != 0 || strcmp(deb->version, d->version) != 0) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': holds %s %s, not the lock's %s %s", blob,
				deb->package, deb->version, d->name, d->version);
		goto out;
	}
	dt_buf_add(&list, "/.\n");
	for (size_t i = 0; i < deb->nentries && rc == 0; i++) {
		const struct deb_member *m = &deb->entries[i];
		char link[4200];
		if (strcmp(m->path, "/") != 0)
			dt_buf_add(&list, "%s\n", m->path);
		through_tops(t, nt, m->path, path, sizeof(path));
		if (m->type == DEB_HARDLINK)
			through_tops(t, nt, m->link, link, sizeof(link));
		rc = put_member(root, path, m, m->type == DEB_HARDLINK ? link : NULL, err, blob);
	}
	if (rc == 0 && list.oom)
		rc = dt_oom(err);
	if (rc == 0) {
		snprintf(path, sizeof(path), "/var/lib/dpkg/info/%s.list", d->name);
		rc = put_text(root, path, list.s, list.len, 0644, err);
	}
out:
	dt_buf_release(&list);
	deb_package_free(deb);
	return rc;
}

/* A project file of the lock (its source relative to the spec's directory), copied from
 * the project to where it lies on this machine, inside the tree. */
static int put_project(int root, const struct mf_spec *spec, const struct mf_lock_file *f,
		       struct dt_err *err)
{
	char rel[PATH_MAX + 64], *real = NULL, *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, rc;

	snprintf(rel, sizeof(rel), "%s/%s", spec->dir, f->source + 5);
	if (!(real = realpath(rel, NULL)))
		return dt_err_sys(err, errno, "project file '%s' (for %s)", rel, f->path);
	if ((fd = dt_open_input(AT_FDCWD, real, O_RDONLY)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		rc = dt_err_sys(err, fd < 0 ? errno : EINVAL, "project file '%s' (for %s)", real,
				f->path);
		if (fd >= 0)
			close(fd);
		free(real);
		return rc;
	}
	rc = dt_read_fd(fd, real, (size_t)1 << 34, &buf, &len, err);
	close(fd);
	if (rc == 0)
		rc = put_text(root, real, buf, len, st.st_mode & 0777, err);
	free(buf);
	free(real);
	return rc;
}

int pk_stage_debs(const struct mf_spec *spec, const struct mf_lock *lock, struct dt_cache *cache,
		  const char *dir, struct dt_buf *missing, struct dt_err *err)
{
	struct top tops[16];
	size_t ntops = 0, nmissing = 0;
	struct dt_buf status = { 0 }, nopin = { 0 };
	int root = -1, rc = 0;

	/* every package the image takes files from has its .deb pinned */
	for (size_t i = 0; i < lock->nfiles; i++) {
		const struct mf_lock_file *f = &lock->files[i];
		if (!f->package || !host_source(f) || mf_lock_installed(lock, f->package, f->package_version))
			continue;
		if (!nopin.s || !strstr(nopin.s, f->package))
			dt_buf_add(&nopin, "%s%s %s", nopin.len ? ", " : "", f->package,
				   f->package_version);
	}
	if (nopin.len) {
		rc = dt_err_set(err, DT_EINPUT, "the lock pins no .deb for %s: lock with --hermetic "
				"where the root's apt sources offer them", nopin.s);
		goto out;
	}
	/* what no package owns: the root's symlinks are in the lock; the project's files come
	 * from the project; anything else cannot be made from .debs */
	for (size_t i = 0; i < lock->nfiles; i++) {
		const struct mf_lock_file *f = &lock->files[i];
		if (f->package || !host_source(f) || project_source(f) || f->type != MF_LOCK_REG)
			continue;
		rc = dt_err_set(err, DT_EINPUT, "--inputs debs: '%s' (%s) is a file of the root no "
				"package owns, which no .deb holds: take it as a project file (files: "
				"with a src beside the spec) or leave it out", f->path, f->source + 5);
		goto out;
	}
	/* the installed packages' .debs, and those the spec's packages were fetched as */
	for (size_t i = 0; i < lock->ninstalled + lock->ndebs; i++) {
		const struct mf_lock_deb *d = i < lock->ninstalled ? &lock->installed[i]
								: &lock->debs[i - lock->ninstalled];
		int corrupt = 0;
		if (!d->repository)
			continue; /* from the spec's debs directory */
		rc = dt_cache_check(cache, d->sha256, d->size, &corrupt, err);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			dt_buf_add(missing, "%s%s %s %s%s", nmissing++ ? ", " : "", d->name, d->version,
				   d->architecture, corrupt ? " (its cache entry was not that .deb: "
				   "removed)" : "");
		}
		rc = 0;
	}
	if (nmissing) {
		rc = dt_err_set(err, DT_EINPUT, "%zu .deb file%s the lock pins %s not in the cache "
				"'%s'", nmissing, nmissing == 1 ? "" : "s", nmissing == 1 ? "is" : "are",
				cache->dir);
		goto out;
	}
	if ((root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open '%s'", dir);
		goto out;
	}
	/* the root's top-level symlinks first (merged /usr: /lib -> usr/lib), so that members
	 * land where the root has them */
	for (size_t i = 0; i < lock->nfiles && rc == 0; i++) {
		const struct mf_lock_file *f = &lock->files[i];
		const char *src = host_source(f) ? f->source + 5 : NULL;
		if (f->type != MF_LOCK_SYMLINK || f->package || !src || src[0] != '/' ||
		    strchr(src + 1, '/') || strlen(src) >= sizeof(tops[0].name) ||
		    strlen(f->link) >= sizeof(tops[0].target) || ntops == 16)
			continue;
		if (f->link[0] == '/' || strstr(f->link, "..")) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': the root's symlink to '%s' is not a "
					"plain link within it", src, f->link);
			break;
		}
		snprintf(tops[ntops].name, sizeof(tops[ntops].name), "%s", src + 1);
		snprintf(tops[ntops].target, sizeof(tops[ntops].target), "%s", f->link);
		ntops++;
		if (symlinkat(f->link, root, src + 1) < 0 && errno != EEXIST)
			rc = dt_err_sys(err, errno, "cannot make the symlink '%s' in '%s'", src, dir);
	}
	/* the rest of merged /usr, where the lock does not say otherwise: a file the image takes
	 * from /usr/bin may come from a package that ships it in /bin, with the root's /bin
	 * symlink met by no path of the image; a root that is not merged has its /bin or /lib
	 * as a directory in the lock (the parent of what it gives from there) */
	for (size_t k = 0; k < sizeof(usr_merged) / sizeof(*usr_merged) && rc == 0; k++) {
		char top[80], target[80];
		int known = 0;
		snprintf(top, sizeof(top), "/%s", usr_merged[k]);
		for (size_t i = 0; i < ntops; i++)
			known |= strcmp(tops[i].name, usr_merged[k]) == 0;
		for (size_t i = 0; i < lock->nfiles && !known; i++)
			known |= host_source(&lock->files[i]) &&
				 strcmp(lock->files[i].source + 5, top) == 0;
		if (known || ntops == 16)
			continue;
		snprintf(target, sizeof(target), "usr/%s", usr_merged[k]);
		snprintf(tops[ntops].name, sizeof(tops[ntops].name), "%s", usr_merged[k]);
		snprintf(tops[ntops].target, sizeof(tops[ntops].target), "%s", target);
		ntops++;
		if (symlinkat(target, root, usr_merged[k]) < 0 && errno != EEXIST)
			rc = dt_err_sys(err, errno, "cannot make the symlink '%s' in '%s'", top, dir);
	}
	for (size_t i = 0; i < lock->ninstalled && rc == 0; i++) {
		const struct mf_lock_deb *d = &lock->installed[i];
		char blob[PATH_MAX + 128];
		dt_cache_blob_path(cache, d->sha256, blob, sizeof(blob));
		rc = put_deb(root, d, blob, tops, ntops, err);
		dt_buf_add(&status, "%s%s", i ? "\n" : "", d->status ? d->status : "");
	}
	if (rc == 0)
		rc = status.oom ? dt_oom(err)
				: put_text(root, "/var/lib/dpkg/status", status.s ? status.s : "",
					   status.len, 0644, err);
	/* the other symlinks of the root no package owns, as the lock has them */
	for (size_t i = 0; i < lock->nfiles && rc == 0; i++) {
		const struct mf_lock_file *f = &lock->files[i];
		const char *src = host_source(f) ? f->source + 5 : NULL, *leaf;
		char path[4200];
		int dfd;
		if (f->type != MF_LOCK_SYMLINK || f->package || !src || src[0] != '/' ||
		    !strchr(src + 1, '/') || project_source(f))
			continue;
		through_tops(tops, ntops, src, path, sizeof(path));
		if ((dfd = dt_open_parent_made(root, path + 1, &leaf)) < 0) {
			rc = dt_err_sys(err, errno, "cannot make '%s' in '%s'", path, dir);
			break;
		}
		if (symlinkat(f->link, dfd, leaf) < 0 && errno != EEXIST)
			rc = dt_err_sys(err, errno, "cannot make the symlink '%s' in '%s'", path, dir);
		close(dfd);
	}
	/* a root "/" is the whole machine: the project's files are read from it too, so they go
	 * into the tree where they lie here (a sysroot's project files are read from "/") */
	for (size_t i = 0; strcmp(spec->root, "/") == 0 && i < lock->nfiles && rc == 0; i++)
		if (project_source(&lock->files[i]) && lock->files[i].type == MF_LOCK_REG)
			rc = put_project(root, spec, &lock->files[i], err);
out:
	if (root >= 0)
		close(root);
	dt_buf_release(&status);
	dt_buf_release(&nopin);
	return rc;
}
