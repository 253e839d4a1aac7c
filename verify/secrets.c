/* SPDX-License-Identifier: MIT */
/* The secret rules on an image (see secrets.h): the merged view, then each layer streamed
 * once with the head of every file a container sees kept in one bounded buffer. */
#include "verify/secrets.h"

#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/view.h"

struct scan {
	struct vf_view *v;
	const struct mf_secrets *rules;
	struct mf_secret_list *out;
	uint32_t **want;     /* per layer, per entry: view file index + 1, or 0 */
	unsigned char *done; /* per view file: judged */
	size_t layer;
	size_t cur;          /* view file index + 1 of the entry being read, or 0 */
	size_t pos;          /* its entry position */
	unsigned char *buf;  /* MF_SECRET_TEXT_MAX bytes */
	size_t len, limit;   /* kept, and how much the rules want (0: undecided) */
	struct dt_err *err;
};

static enum mf_secret_type type_of(uint32_t t)
{
	return t == AE_IFREG ? MF_SECRET_REG : t == AE_IFDIR ? MF_SECRET_DIR : MF_SECRET_OTHER;
}

static int judge(struct scan *s, size_t i, const unsigned char *buf, size_t len)
{
	const struct vf_view_file *f = &s->v->files[i];
	struct mf_secret_hit hit;
	char path[4200];

	s->done[i] = 1;
	if (snprintf(path, sizeof(path), "/%s", f->name) >= (int)sizeof(path))
		return 0; /* no path a container could name */
	if (!mf_secret_check(s->rules, path, type_of(f->type), buf, len, &hit))
		return 0;
	return mf_secret_list_add(s->out, path, &hit, s->err);
}

static int finish_entry(struct scan *s)
{
	int rc = 0;

	if (s->cur)
		rc = judge(s, s->cur - 1, s->buf, s->len);
	s->cur = 0;
	return rc;
}

/* The data callback: the head of each wanted entry, as much as the rules want. */
static int data(void *ctx, const struct vf_stream_entry *e, const void *buf, size_t len,
		struct dt_err *err)
{
	struct scan *s = ctx;
	const struct vf_stream *st = &s->v->layers[s->layer];
	size_t take;
	int rc;

	(void)err;
	if (s->cur && s->pos != e->pos && (rc = finish_entry(s)) < 0)
		return rc;
	if (!s->cur) {
		if (e->pos >= st->n || !s->want[s->layer][e->pos])
			return 0;
		s->cur = s->want[s->layer][e->pos];
		s->pos = e->pos;
		s->len = 0;
		s->limit = 0;
	}
	for (;;) {
		size_t cap = s->limit ? s->limit : MF_SECRET_HEAD;
		take = s->len < cap ? cap - s->len : 0;
		if (take > len)
			take = len;
		memcpy(s->buf + s->len, buf, take);
		s->len += take;
		buf = (const unsigned char *)buf + take;
		len -= take;
		if (s->limit || s->len < MF_SECRET_HEAD)
			return 0;
		s->limit = mf_secret_want(s->buf, s->len);
		if (!len)
			return 0;
	}
}

int vf_secrets_image(const char *path, const char *ref, struct mf_secret_list *out,
		     size_t *nfiles, struct dt_err *err)
{
	struct scan s = { .out = out, .err = err };
	struct mf_secrets *rules = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	*nfiles = 0;
	if ((rc = mf_secrets_new(&rules, err)) < 0)
		return rc;
	s.rules = rules;
	if ((rc = vf_view_open(path, ref, &s.v, err)) < 0)
		goto out;
	if (!(s.buf = malloc(MF_SECRET_TEXT_MAX)) ||
	    !(s.done = calloc(s.v->nfiles + 1, 1)) ||
	    !(s.want = calloc(s.v->src->nlayers + 1, sizeof(*s.want)))) {
		rc = dt_oom(err);
		goto out;
	}
	for (size_t i = 0; i < s.v->src->nlayers; i++)
		if (!(s.want[i] = calloc(s.v->layers[i].n + 1, sizeof(**s.want)))) {
			rc = dt_oom(err);
			goto out;
		}
	for (size_t i = 0; i < s.v->nfiles; i++) {
		const struct vf_view_file *f = &s.v->files[i];
		struct vf_stream_entry e;
		vf_view_entry(s.v, f, &e);
		if (f->type == AE_IFREG && !e.hardlink && e.size > 0)
			s.want[f->layer][f->index] = (uint32_t)(i + 1);
	}
	for (size_t i = 0; i < s.v->src->nlayers; i++) {
		struct vf_stream_opts so = { .name = path, .data = data, .data_ctx = &s };
		struct vf_stream st;
		s.layer = i;
		rc = vf_source_read(s.v->src, i, &so, &st, err);
		vf_stream_release(&st);
		if (rc == 0)
			rc = finish_entry(&s);
		if (rc < 0)
			goto out;
	}
	/* directories, symlinks, hardlinks and empty files: by their names */
	for (size_t i = 0; i < s.v->nfiles && rc == 0; i++)
		if (!s.done[i])
			rc = judge(&s, i, NULL, 0);
	if (rc == 0) {
		mf_secret_list_finish(out);
		*nfiles = s.v->nfiles;
	}
out:
	if (s.want)
		for (size_t i = 0; i < s.v->src->nlayers; i++)
			free(s.want[i]);
	free(s.want);
	free(s.done);
	free(s.buf);
	vf_view_free(s.v);
	mf_secrets_free(rules);
	if (rc < 0)
		mf_secret_list_release(out);
	return rc;
}
