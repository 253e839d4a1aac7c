/* SPDX-License-Identifier: MIT */
/* The secret check of a plan, before anything is written: the files the user brought
 * (files: entries, the spec's binaries, the project's own files) judged by the rules of
 * manifest/secret.h, reading a bounded prefix of each; the spec's allow_secrets marks
 * what it lets through. Packages' files and the root's system libraries are not the
 * user's secrets and are not read. */
#include "packer/image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "manifest/secret.h"
#include "packer/image/planner.h"

/* Whether the user brought @e: a files: entry, a binary, or a file of the project. */
static int in_scope(const struct pk_image *img, const struct pk_plan_entry *e)
{
	char host[8400];

	if (e->prio == PK_PRIO_FILES || e->prio == PK_PRIO_BINARY)
		return 1;
	if (e->root < 0 || !e->src || e->pkg)
		return 0;
	snprintf(host, sizeof(host), "%s%s%s", img->roots[e->root],
		 img->roots[e->root][strlen(img->roots[e->root]) - 1] == '/' ? "" : "/", e->src);
	return pk_plan_in_project(img, host);
}

/* Up to @want bytes of @fd from offset @off into @buf. @return the count, or -1. */
static ssize_t read_at(int fd, unsigned char *buf, size_t want, size_t off)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The bytes of @e the rules want, in @buf (MF_SECRET_TEXT_MAX bytes), their count in
 * *@len. A file that cannot be opened is left for the writer to name (*@len 0). */
static int content(const struct pk_image *img, const struct pk_plan_entry *e, int *roots,
		   unsigned char *buf, size_t *len, struct dt_err *err)
{
	size_t head;
	ssize_t n, more;
	int fd;

	*len = 0;
	if (e->data) {
		head = e->size < MF_SECRET_HEAD ? (size_t)e->size : MF_SECRET_HEAD;
		*len = mf_secret_want(e->data, head);
		if (*len > e->size)
			*len = (size_t)e->size;
		memcpy(buf, e->data, *len);
		return 0;
	}
	if (e->root < 0 || !e->src)
		return 0;
	if (roots[e->root] < 0 &&
	    (roots[e->root] = open(img->roots[e->root], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return dt_err_sys(err, errno, "cannot open '%s'", img->roots[e->root]);
	if ((fd = dt_open_beneath(roots[e->root], e->src, O_RDONLY | O_NOATIME)) < 0)
		return 0;
	if ((n = read_at(fd, buf, MF_SECRET_HEAD, 0)) < 0) {
		close(fd);
		return dt_err_sys(err, errno, "cannot read '%s'", e->src);
	}
	*len = (size_t)n;
	if ((size_t)n == MF_SECRET_HEAD && mf_secret_want(buf, (size_t)n) > MF_SECRET_HEAD) {
		if ((more = read_at(fd, buf + n, MF_SECRET_TEXT_MAX - MF_SECRET_HEAD,
				    (size_t)n)) < 0) {
			close(fd);
			return dt_err_sys(err, errno, "cannot read '%s'", e->src);
		}
		*len += (size_t)more;
	}
	close(fd);
	return 0;
}

int pk_image_secrets(const struct pk_image *img, struct mf_secret_list *out,
		     struct dt_err *err)
{
	const struct mf_spec *spec = img->spec;
	struct mf_secrets *rules = NULL;
	unsigned char *buf = NULL;
	int roots[2] = { -1, -1 }, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mf_secrets_new(&rules, err)) < 0)
		return rc;
	if (!(buf = malloc(MF_SECRET_TEXT_MAX))) {
		rc = dt_oom(err);
		goto out;
	}
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i], *c = e;
		enum mf_secret_type type = e->type == PK_PLAN_DIR ? MF_SECRET_DIR
					   : e->type == PK_PLAN_SYMLINK ? MF_SECRET_OTHER
					   : MF_SECRET_REG;
		struct mf_secret_hit hit;
		size_t len = 0;
		if (!in_scope(img, e))
			continue;
		/* a hardlink is judged by its name with its first path's content */
		if (e->type == PK_PLAN_HARDLINK && e->link)
			c = pk_plan_find_in(img, img->n, e->link);
		if (type == MF_SECRET_REG && c && c->type == PK_PLAN_REG &&
		    (rc = content(img, c, roots, buf, &len, err)) < 0)
			break;
		if (mf_secret_check(rules, e->path, type, buf, len, &hit))
			rc = mf_secret_list_add(out, e->path, &hit, err);
	}
	if (rc == 0) {
		mf_secret_list_finish(out);
		for (size_t i = 0; i < out->n; i++)
			for (size_t j = 0; j < spec->nallow_secrets && !out->v[i].allowed; j++)
				out->v[i].allowed = pk_plan_glob_match(spec->allow_secrets[j],
								       out->v[i].path);
	}
out:
	for (int i = 0; i < 2; i++)
		if (roots[i] >= 0)
			close(roots[i]);
	if (rc < 0)
		mf_secret_list_release(out);
	free(buf);
	mf_secrets_free(rules);
	return rc;
}
