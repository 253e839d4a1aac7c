/* SPDX-License-Identifier: MIT */
/* The start-up check of a plan, before anything is written: the plan's ELF files, scripts,
 * symlinks, directories and loader configuration laid out in a temporary directory (other
 * files as empty placeholders), then deps_check() inside it, as `distill check` does on a
 * written image. */
#include "packer/image/image.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"
#include "common/tempfile.h"
#include "deps/check.h"
#include "packer/image/planner.h"

#define SCRIPT_HEAD 4096

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}


/* The content of entry @e when it is ELF or an executable script (of a script, its head):
 * linked or copied over the placeholder at @leaf. @return 1 for ELF, 2 for a script, 0 for
 * another file, or a negative code. */
static int content(const struct pk_image *img, const struct pk_plan_entry *e, int dfd,
		   const char *leaf, int *roots, struct dt_err *err)
{
	unsigned char buf[4] = { 0 };
	int in = -1, out = -1, kind = 0, rc = 0;
	uint64_t total = 0;
	ssize_t head;

	if (e->data) {
		if (e->size >= 4 && memcmp(e->data, "\177ELF", 4) == 0)
			kind = 1;
		else if (e->size >= 2 && e->data[0] == '#' && e->data[1] == '!' && (e->mode & 0111))
			kind = 2;
		if (!kind)
			return 0;
		if (kind == 1)
			return 1; /* read from memory, through pk_plan_content */
		out = openat(dfd, leaf, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0 || dt_write_all(out, e->data, e->size > SCRIPT_HEAD
							    ? SCRIPT_HEAD : (size_t)e->size) < 0)
			rc = dt_err_sys(err, errno, "cannot lay out '%s' for the check", e->path);
		if (out >= 0)
			close(out);
		return rc < 0 ? rc : kind;
	}
	if (e->root < 0 || !e->src)
		return 0;
	if (roots[e->root] < 0 &&
	    (roots[e->root] = open(img->roots[e->root], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return dt_err_sys(err, errno, "cannot open '%s'", img->roots[e->root]);
	if ((in = dt_open_beneath(roots[e->root], e->src, O_RDONLY | O_NOATIME)) < 0)
		return 0; /* the writer will name it */
	head = pread(in, buf, sizeof(buf), 0);
	if (head == 4 && memcmp(buf, "\177ELF", 4) == 0)
		kind = 1;
	else if (head >= 2 && buf[0] == '#' && buf[1] == '!' && (e->mode & 0111))
		kind = 2;
	/* an ELF file stays a placeholder: the check reads it where it is (pk_plan_content),
	 * as a hard link would change the input's ctime; a script's head is copied by the
	 * kernel */
	if (kind == 2) {
		uint64_t want = kind == 2 && e->size > SCRIPT_HEAD ? SCRIPT_HEAD : e->size;
		off_t off = 0;
		if ((out = openat(dfd, leaf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
				  0755)) < 0)
			rc = dt_err_sys(err, errno, "cannot lay out '%s' for the check", e->path);
		while (rc == 0 && total < want) {
			ssize_t n = sendfile(out, in, &off, (size_t)(want - total));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				rc = dt_err_sys(err, errno, "cannot lay out '%s' for the check",
						e->path);
			if (n <= 0)
				break;
			total += (uint64_t)n;
		}
	}
	close(in);
	if (out >= 0)
		close(out);
	return rc < 0 ? rc : kind;
}

int pk_plan_content(void *ctx, const char *real)
{
	struct pk_plan_layout *lo = ctx;
	const struct pk_image *img = lo->img;
	const struct pk_plan_entry *e = pk_plan_find_in(img, img->n, real);

	for (int hops = 0; e && e->type == PK_PLAN_HARDLINK && e->link && hops < 4; hops++)
		e = pk_plan_find_in(img, img->n, e->link);
	if (e && e->type == PK_PLAN_REG && e->data) {
		/* a .deb member held in memory: its bytes in an anonymous file */
		int fd = memfd_create("distill-check", MFD_CLOEXEC);
		if (fd >= 0 && (dt_write_all(fd, e->data, (size_t)e->size) < 0 ||
				lseek(fd, 0, SEEK_SET) < 0)) {
			close(fd);
			fd = -1;
		}
		return fd;
	}
	if (!e || e->type != PK_PLAN_REG || e->root < 0 || !e->src)
		return -1;
	if (lo->roots[e->root] < 0 &&
	    (lo->roots[e->root] = open(img->roots[e->root], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	return dt_open_beneath(lo->roots[e->root], e->src, O_RDONLY | O_NOATIME);
}

int pk_plan_lay_out(const struct pk_image *img, const char *tmpdir, struct pk_plan_layout *lo,
		    struct dt_err *err)
{
	int *roots = lo->roots, rootfd = -1, lastfd = -1, rc = 0;
	const char *last = NULL;

	memset(lo, 0, sizeof(*lo));
	lo->img = img;
	roots[0] = roots[1] = -1;
	snprintf(lo->dir, sizeof(lo->dir), "%s/distill-check-XXXXXX",
		 tmpdir ? tmpdir : dt_temp_tree_base());
	if (!dt_temp_mkdtemp(lo->dir, &lo->temp)) {
		lo->dir[0] = '\0';
		return dt_err_sys(err, errno, "cannot create a temporary directory for the check");
	}
	if ((rootfd = open(lo->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open '%s'", lo->dir);
		goto out;
	}
	/* the plan is sorted by path: a directory comes before what it holds; the last
	 * directory made stays open, so that a deep chain is made one level at a time */
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const char *leaf, *slash = strrchr(e->path, '/');
		size_t plen = slash ? (size_t)(slash - e->path) : 0;
		int dfd, fd;
		if (last && strlen(last) == plen && strncmp(last, e->path, plen) == 0) {
			dfd = dup(lastfd);
			leaf = e->path + plen + 1;
		} else {
			dfd = dt_open_parent_made(rootfd, e->path, &leaf);
		}
		if (dfd < 0)
			continue;
		if (e->type == PK_PLAN_DIR) {
			mkdirat(dfd, leaf, 0755);
			if ((fd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						    O_CLOEXEC)) >= 0) {
				if (lastfd >= 0)
					close(lastfd);
				lastfd = fd;
				last = e->path;
			}
		} else if (e->type == PK_PLAN_SYMLINK) {
			(void)!symlinkat(e->link, dfd, leaf);
		} else if (e->type == PK_PLAN_REG) {
			/* executable as the image has it (the program check asks) */
			fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				    (e->mode & 0111) ? 0755 : 0644);
			if (fd >= 0)
				close(fd);
			if ((rc = content(img, e, dfd, leaf, roots, err)) >= 1)
				rc = dt_strv_push(rc == 1 ? &lo->elf : &lo->scripts, e->path) < 0
					     ? dt_oom(err) : 0;
		}
		close(dfd);
	}
	if (lastfd >= 0)
		close(lastfd);
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const char *leaf, *tleaf;
		int dfd, tfd;
		if (e->type != PK_PLAN_HARDLINK || !e->link)
			continue;
		if ((dfd = dt_open_parent_made(rootfd, e->path, &leaf)) < 0)
			continue;
		if ((tfd = dt_open_parent_made(rootfd, e->link, &tleaf)) >= 0) {
			(void)!linkat(tfd, tleaf, dfd, leaf, 0);
			close(tfd);
		}
		close(dfd);
	}
out:
	if (rootfd >= 0)
		close(rootfd);
	if (rc < 0)
		pk_plan_layout_release(lo);
	return rc;
}

void pk_plan_layout_release(struct pk_plan_layout *lo)
{
	if (lo->dir[0])
		dt_temp_remove_tree(AT_FDCWD, lo->dir);
	dt_temp_drop(lo->temp);
	lo->dir[0] = '\0';
	lo->temp = 0;
	dt_strv_release(&lo->elf);
	dt_strv_release(&lo->scripts);
	for (int i = 0; i < 2; i++) {
		if (lo->roots[i] >= 0)
			close(lo->roots[i]);
		lo->roots[i] = -1;
	}
}

int pk_image_check(const struct pk_image *img, const char *tmpdir, unsigned flags,
		   struct deps_check *out, struct dt_err *err)
{
	struct pk_plan_layout lo;
	struct dt_strv inputs = { 0 };
	const char *pathvar = NULL;
	const struct mf_spec *s = img->spec;
	const char **argv0 = calloc(img->nbins + 2, sizeof(*argv0));
	size_t nargv0 = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!argv0)
		return dt_oom(err);
	/* the programs the image runs: its entrypoint, its cmd, the spec's binaries */
	if (s->config.nentrypoint)
		argv0[nargv0++] = s->config.entrypoint[0];
	if (s->config.ncmd)
		argv0[nargv0++] = s->config.cmd[0];
	for (size_t i = 0; i < img->nbins; i++)
		argv0[nargv0++] = img->bins[i].dst ? img->bins[i].dst : img->bins[i].path;
	for (size_t i = 0; i < img->nenv; i++)
		if (strncmp(img->env[i], "PATH=", 5) == 0)
			pathvar = img->env[i] + 5;
	if ((rc = pk_plan_lay_out(img, tmpdir, &lo, err)) < 0) {
		free(argv0);
		return rc;
	}
	/* a file at a path of PATH_MAX bytes or more cannot be run by its path; a script is
	 * checked where the image runs it */
	for (size_t i = 0; i < lo.elf.n + lo.scripts.n && rc == 0; i++) {
		const char *path = i < lo.elf.n ? lo.elf.v[i] : lo.scripts.v[i - lo.elf.n];
		if (strlen(path) >= PATH_MAX ||
		    (i >= lo.elf.n && !deps_check_runs(path, pathvar, argv0, nargv0)))
			continue;
		if (dt_strv_push(&inputs, path) < 0)
			rc = dt_oom(err);
	}
	/* in the plan's order, as before: sorted by path */
	if (rc == 0 && inputs.n > 1)
		qsort(inputs.v, inputs.n, sizeof(*inputs.v), path_cmp);
	if (rc == 0)
		rc = deps_check_through(lo.dir, pk_plan_content, &lo, "the image",
					(const char *const *)inputs.v, inputs.n, flags, out, err);
	/* the program the image runs is in it */
	if (rc == 0)
		rc = deps_check_program(lo.dir, "the image", s->config.nentrypoint
					? s->config.entrypoint[0] : s->config.ncmd ? s->config.cmd[0]
					: NULL, s->config.nentrypoint ? "entrypoint" : "cmd", pathvar,
					out, err);
	pk_plan_layout_release(&lo);
	dt_strv_release(&inputs);
	free(argv0);
	return rc;
}
