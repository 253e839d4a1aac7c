/* SPDX-License-Identifier: MIT */
/* The start-up check of an image (see check.h): the merged view unpacked, ELF and script
 * content only, into a temporary directory, then deps_check() inside it. */
#include "verify/check.h"

#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/fs.h"
#include "common/tempfile.h"
#include "deps/check.h"
#include "verify/view.h"

/* content kept of a script: its #! line is all deps reads */
#define SCRIPT_HEAD 4096

struct unpack {
	struct vf_view *v;
	int rootfd;
	const char *tmp;
	uint32_t **want;     /* per layer, per entry: view file index + 1, or 0 */
	size_t layer;
	/* the entry being written */
	size_t cur;          /* view file index + 1, or 0 */
	size_t pos;          /* its entry position */
	int fd, kind;        /* kind: 0 undecided, 1 ELF, 2 script, 3 other */
	uint64_t written;
	unsigned char head[4];
	size_t nhead;
	struct dt_strv inputs;
	/* what the image runs: its config's PATH (NULL: the default), entrypoint and cmd */
	const char *pathvar;
	const char *argv0[2];
	size_t nargv0;
	int entrypoint;      /* argv0[0] is the entrypoint's (else the cmd's) */
	struct dt_err *err;
};


/* The skeleton of the view: directories, symlinks, hardlinks and empty regular files. */
static int skeleton(struct unpack *u)
{
	for (size_t i = 0; i < u->v->nfiles; i++) {
		const struct vf_view_file *f = &u->v->files[i];
		struct vf_stream_entry e;
		const char *leaf;
		int dfd, fd;
		vf_view_entry(u->v, f, &e);
		if ((dfd = dt_open_parent_made(u->rootfd, f->name, &leaf)) < 0)
			continue; /* a name that cannot be a path, or below a symlink */
		if (e.type == AE_IFDIR) {
			mkdirat(dfd, leaf, 0755);
		} else if (e.type == AE_IFLNK && e.link && !e.hardlink) {
			(void)!symlinkat(e.link, dfd, leaf);
		} else if (e.type == AE_IFREG && !e.hardlink) {
			fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				    (e.mode & 0111) ? 0755 : 0644);
			if (fd >= 0)
				close(fd);
		}
		close(dfd);
	}
	return 0;
}

/* Hardlinks, once their targets have content: copies of the target's bytes would do, but
 * a link keeps the inode as the image has it ($ORIGIN of a hardlinked binary). */
static void hardlinks(struct unpack *u)
{
	for (size_t i = 0; i < u->v->nfiles; i++) {
		const struct vf_view_file *f = &u->v->files[i];
		struct vf_stream_entry e;
		const char *leaf, *tleaf;
		char target[4200];
		int dfd, tfd;
		vf_view_entry(u->v, f, &e);
		if (!e.hardlink || !e.link)
			continue;
		snprintf(target, sizeof(target), "%s", e.link);
		{ /* the target as the view names it */
			const char *t = target;
			while (t[0] == '.' && t[1] == '/')
				t += 2;
			while (t[0] == '/')
				t++;
			memmove(target, t, strlen(t) + 1);
		}
		if ((dfd = dt_open_parent_made(u->rootfd, f->name, &leaf)) < 0)
			continue;
		if ((tfd = dt_open_parent_made(u->rootfd, target, &tleaf)) >= 0) {
			(void)!linkat(tfd, tleaf, dfd, leaf, 0);
			close(tfd);
		}
		close(dfd);
	}
}

static int finish_entry(struct unpack *u)
{
	if (u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
	}
	if (u->cur && (u->kind == 1 || u->kind == 2)) {
		char path[4200];
		snprintf(path, sizeof(path), "/%s", u->v->files[u->cur - 1].name);
		/* a script is checked where the image runs it */
		if ((u->kind == 1 || deps_check_runs(path, u->pathvar, (const char *const *)u->argv0,
						     u->nargv0)) &&
		    dt_strv_push(&u->inputs, path) < 0)
			return dt_oom(u->err);
	}
	u->cur = 0;
	return 0;
}

static int write_some(struct unpack *u, const void *buf, size_t len)
{
	if (u->fd < 0)
		return 0;
	if (u->kind == 2 && u->written + len > SCRIPT_HEAD)
		len = u->written < SCRIPT_HEAD ? (size_t)(SCRIPT_HEAD - u->written) : 0;
	if (len && dt_write_all(u->fd, buf, len) < 0)
		return dt_err_sys(u->err, errno, "cannot write below '%s'", u->tmp);
	u->written += len;
	return 0;
}

/* The data callback of the second pass: the content of ELF files and scripts. */
static int content(void *ctx, const struct vf_stream_entry *e, const void *buf, size_t len,
		   struct dt_err *err)
{
	struct unpack *u = ctx;
	const struct vf_stream *s = &u->v->layers[u->layer];
	const unsigned char *b = buf;
	int rc;

	(void)err;
	if (u->cur && u->pos != e->pos && (rc = finish_entry(u)) < 0)
		return rc;
	if (!u->cur) {
		if (e->pos >= s->n || !u->want[u->layer][e->pos])
			return 0;
		u->cur = u->want[u->layer][e->pos];
		u->pos = e->pos;
		u->kind = 0;
		u->nhead = 0;
		u->written = 0;
		u->fd = -1;
	}
	if (u->kind == 0) {
		size_t take = len < 4 - u->nhead ? len : 4 - u->nhead;
		memcpy(u->head + u->nhead, b, take);
		u->nhead += take;
		if (u->nhead < 4 && take == len)
			return 0; /* decided with the next block */
		if (memcmp(u->head, "\177ELF", 4) == 0)
			u->kind = 1;
		else if (u->head[0] == '#' && u->head[1] == '!' && (e->mode & 0111))
			u->kind = 2;
		else
			u->kind = 3;
		if (u->kind != 3) {
			const char *leaf;
			int dfd = dt_open_parent_made(u->rootfd, u->v->files[u->cur - 1].name, &leaf);
			if (dfd >= 0) {
				u->fd = openat(dfd, leaf, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
				close(dfd);
			}
			/* the head, then what follows it in this block */
			if ((rc = write_some(u, u->head, u->nhead)) < 0)
				return rc;
			return write_some(u, b + take, len - take);
		}
		return 0;
	}
	return write_some(u, buf, len);
}

int vf_check_image(const char *path, const struct vf_check_opts *o, struct deps_check *out,
		   struct dt_err *err)
{
	struct unpack u = { .fd = -1, .err = err };
	char tmpl[4200];
	int temp = 0, rc;

	memset(out, 0, sizeof(*out));
	snprintf(tmpl, sizeof(tmpl), "%s/distill-check-XXXXXX",
		 o && o->tmpdir ? o->tmpdir : dt_temp_base());
	if ((rc = vf_view_open(path, o ? o->ref : NULL, &u.v, err)) < 0)
		return rc;
	{ /* what the image runs, from its config (a tarball has none: the default PATH) */
		const json_t *c = u.v->src->config ? json_object_get(u.v->src->config, "config")
						   : NULL;
		const json_t *v;
		size_t i;
		json_array_foreach(json_object_get(c, "Env"), i, v)
			if (json_is_string(v) && strncmp(json_string_value(v), "PATH=", 5) == 0)
				u.pathvar = json_string_value(v) + 5;
		if ((v = json_array_get(json_object_get(c, "Entrypoint"), 0)) && json_is_string(v)) {
			u.argv0[u.nargv0++] = json_string_value(v);
			u.entrypoint = 1;
		}
		if ((v = json_array_get(json_object_get(c, "Cmd"), 0)) && json_is_string(v))
			u.argv0[u.nargv0++] = json_string_value(v);
	}
	if (!dt_temp_mkdtemp(tmpl, &temp)) {
		rc = dt_err_sys(err, errno, "cannot create a temporary directory '%s'", tmpl);
		goto out;
	}
	u.tmp = tmpl;
	if ((u.rootfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open '%s'", tmpl);
		goto out;
	}
	if (!(u.want = calloc(u.v->src->nlayers + 1, sizeof(*u.want)))) {
		rc = dt_oom(err);
		goto out;
	}
	for (size_t i = 0; i < u.v->src->nlayers; i++)
		if (!(u.want[i] = calloc(u.v->layers[i].n + 1, sizeof(**u.want)))) {
			rc = dt_oom(err);
			goto out;
		}
	for (size_t i = 0; i < u.v->nfiles; i++) {
		const struct vf_view_file *f = &u.v->files[i];
		if (f->type == AE_IFREG)
			u.want[f->layer][f->index] = (uint32_t)(i + 1);
	}
	if ((rc = skeleton(&u)) < 0)
		goto out;
	for (size_t i = 0; i < u.v->src->nlayers; i++) {
		struct vf_stream_opts so = { .name = path, .data = content, .data_ctx = &u };
		struct vf_stream st;
		u.layer = i;
		rc = vf_source_read(u.v->src, i, &so, &st, err);
		vf_stream_release(&st);
		if (rc == 0)
			rc = finish_entry(&u);
		if (rc < 0)
			goto out;
	}
	hardlinks(&u);
	rc = deps_check(tmpl, "the image", (const char *const *)u.inputs.v, u.inputs.n, o->flags,
			out, err);
	if (rc == 0 && u.nargv0)
		rc = deps_check_program(tmpl, "the image", u.argv0[0], u.entrypoint ? "entrypoint"
					: "cmd", u.pathvar, out, err);
out:
	if (u.fd >= 0)
		close(u.fd);
	if (u.want)
		for (size_t i = 0; i < u.v->src->nlayers; i++)
			free(u.want[i]);
	free(u.want);
	dt_strv_release(&u.inputs);
	if (u.rootfd > 0)
		close(u.rootfd);
	if (temp) {
		dt_temp_remove_tree(AT_FDCWD, tmpl);
		dt_temp_drop(temp);
	}
	vf_view_free(u.v);
	return rc;
}
