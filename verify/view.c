/* SPDX-License-Identifier: MIT */
/* The merged view of an image's layers (see view.h). */
#include "verify/view.h"

#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "debian/status.h"

#define STATUS_DIR "var/lib/dpkg/status.d/"
#define MAX_STATUS (16u << 20) /* bytes of status.d kept in memory */

/* A file of status.d, as the layers stream by. */
struct vf_view_status {
	char *name;    /* below STATUS_DIR */
	char *text;
	size_t len;
	size_t layer, pos; /* which entry it is */
	char *version; /* a stanza's Version, once looked up */
	int md5sums;   /* <name>.md5sums, renamed to <name> once read */
};

struct owner {
	char *path;
	const char *pkg;
};

struct reading {
	struct vf_view *v;
	size_t layer;
};

static char *norm(const char *name)
{
	size_t len;
	char *p;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	if (!(p = strdup(name)))
		return NULL;
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		p[--len] = '\0';
	return p;
}

/* Keeps the content of status.d files as the layers stream by. */
static int keep_status(void *ctx, const struct vf_stream_entry *e, const void *buf, size_t len,
		       struct dt_err *err)
{
	struct reading *rd = ctx;
	struct vf_view *v = rd->v;
	const char *n = e->name;
	struct vf_view_status *sf = NULL;

	while (n[0] == '.' && n[1] == '/')
		n += 2;
	while (n[0] == '/')
		n++;
	if (strncmp(n, STATUS_DIR, strlen(STATUS_DIR)) != 0 || e->type != AE_IFREG)
		return 0;
	n += strlen(STATUS_DIR);
	if (v->status_bytes + len > MAX_STATUS)
		return 0; /* beyond what anyone ships: owners stay unknown */
	if (v->nstatus && v->status[v->nstatus - 1].layer == rd->layer &&
	    v->status[v->nstatus - 1].pos == e->pos)
		sf = &v->status[v->nstatus - 1];
	if (!sf) {
		void *nv = realloc(v->status, (v->nstatus + 1) * sizeof(*v->status));
		if (!nv)
			return dt_oom(err);
		v->status = nv;
		sf = &v->status[v->nstatus++];
		memset(sf, 0, sizeof(*sf));
		sf->layer = rd->layer;
		sf->pos = e->pos;
		if (!(sf->name = strdup(n)))
			return dt_oom(err);
	}
	{
		char *t = realloc(sf->text, sf->len + len + 1);
		if (!t)
			return dt_oom(err);
		memcpy(t + sf->len, buf, len);
		sf->len += len;
		t[sf->len] = '\0';
		sf->text = t;
	}
	v->status_bytes += len;
	return 0;
}

static int by_name_layer(const void *x, const void *y)
{
	const struct vf_view_file *a = x, *b = y;
	int c = strcmp(a->e.name, b->e.name);
	if (c)
		return c;
	return (a->layer > b->layer) - (a->layer < b->layer);
}

/* Is @name at or below @dir ("" is the root)? */
static int below(const char *name, const char *dir)
{
	size_t n = strlen(dir);
	return n == 0 || (strncmp(name, dir, n) == 0 && (name[n] == '\0' || name[n] == '/'));
}

/* Whether a layer above @f's put a non-directory at one of @f's parents: it replaced the
 * directory, and what was below it is gone (v->files sorted by name, then layer). */
static int under_replaced(const struct vf_view *v, const struct vf_view_file *f)
{
	for (const char *slash = strchr(f->e.name, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t len = (size_t)(slash - f->e.name), lo = 0, hi = v->nfiles;
		while (lo < hi) { /* the first entry named f->e.name[0..len) */
			size_t mid = lo + (hi - lo) / 2;
			int c = strncmp(v->files[mid].e.name, f->e.name, len);
			if (c == 0 && v->files[mid].e.name[len])
				c = 1;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < v->nfiles && strncmp(v->files[i].e.name, f->e.name, len) == 0 &&
				    !v->files[i].e.name[len]; i++)
			if (v->files[i].layer > f->layer && v->files[i].e.type != AE_IFDIR)
				return 1;
	}
	return 0;
}

int vf_view_merge(struct vf_view *v, struct dt_err *err)
{
	struct wh {
		char *dir;   /* what is hidden: a path, or a directory's content (opaque) */
		size_t layer;
		int opaque;
	} *wh = NULL;
	size_t nwh = 0, out = 0;
	int rc = 0;

	for (size_t i = 0; i < v->nfiles; i++) {
		struct vf_view_file *f = &v->files[i];
		const char *base = strrchr(f->e.name, '/');
		size_t dl;
		void *nv;
		base = base ? base + 1 : f->e.name;
		if (strncmp(base, ".wh.", 4) != 0)
			continue;
		if (!(nv = realloc(wh, (nwh + 1) * sizeof(*wh)))) {
			rc = dt_oom(err);
			goto out;
		}
		wh = nv;
		wh[nwh].layer = f->layer;
		wh[nwh].opaque = strcmp(base, ".wh..wh..opq") == 0;
		if (!(wh[nwh].dir = strdup(f->e.name))) {
			rc = dt_oom(err);
			goto out;
		}
		dl = (size_t)(base - f->e.name);
		if (wh[nwh].opaque)
			wh[nwh].dir[dl ? dl - 1 : 0] = '\0';
		else
			memmove(wh[nwh].dir + dl, wh[nwh].dir + dl + 4, strlen(base + 4) + 1);
		nwh++;
	}
	if (v->nfiles)
		qsort(v->files, v->nfiles, sizeof(*v->files), by_name_layer);
	/* first which are hidden (the lookups of under_replaced need the whole array), then
	 * the survivors moved down */
	for (size_t i = 0; i < v->nfiles; i++) {
		struct vf_view_file *f = &v->files[i];
		const char *base = strrchr(f->e.name, '/');
		int hidden = i + 1 < v->nfiles && strcmp(v->files[i + 1].e.name, f->e.name) == 0;
		base = base ? base + 1 : f->e.name;
		hidden = hidden || strncmp(base, ".wh.", 4) == 0;
		for (size_t k = 0; k < nwh && !hidden; k++)
			if (wh[k].layer > f->layer && below(f->e.name, wh[k].dir) &&
			    (!wh[k].opaque || strcmp(f->e.name, wh[k].dir) != 0))
				hidden = 1;
		f->hidden = hidden || under_replaced(v, f);
	}
	for (size_t i = 0; i < v->nfiles; i++) {
		struct vf_view_file *f = &v->files[i];
		if (f->hidden)
			vf_stream_entry_release(&f->e);
		else
			v->files[out++] = *f;
	}
	v->nfiles = out;
out:
	for (size_t k = 0; k < nwh; k++)
		free(wh[k].dir);
	free(wh);
	return rc;
}

static int by_path(const void *x, const void *y)
{
	return strcmp(((const struct owner *)x)->path, ((const struct owner *)y)->path);
}

struct owners {
	struct owner *v;
	size_t n, cap;
	const char *pkg;
};

static int add_owner(void *ctx, const char *path)
{
	struct owners *o = ctx;
	struct owner *v = dt_grow(o->v, &o->cap, o->n, sizeof(*o->v));

	if (!v)
		return -1;
	o->v = v;
	if (!(o->v[o->n].path = strdup(path)))
		return -1;
	o->v[o->n++].pkg = o->pkg;
	return 0;
}

/* The Version of package @pkg's status.d stanza, or NULL. */
static const char *version_of(struct vf_view *v, const char *pkg)
{
	for (size_t i = 0; i < v->nstatus; i++) {
		struct vf_view_status *sf = &v->status[i];
		if (sf->md5sums || strcmp(sf->name, pkg) != 0 || !sf->text)
			continue;
		if (!sf->version)
			sf->version = deb_field(sf->text, "Version");
		return sf->version;
	}
	return NULL;
}

/* Owners from status.d/<pkg>.md5sums, and their versions from status.d/<pkg>. */
static int owners(struct vf_view *v, struct dt_err *err)
{
	struct owners o = { 0 };
	int rc = 0;

	for (size_t i = 0; i < v->nstatus && rc == 0; i++) {
		struct vf_view_status *sf = &v->status[i];
		size_t nl = strlen(sf->name);
		char *pkg;
		if (nl <= 8 || strcmp(sf->name + nl - 8, ".md5sums") != 0 || !sf->text)
			continue;
		if (!(pkg = strndup(sf->name, nl - 8))) {
			rc = dt_oom(err);
			break;
		}
		free(sf->name);
		sf->name = pkg; /* the package, as the files name it */
		sf->md5sums = 1;
		o.pkg = pkg;
		if (deb_status_md5sums_parse(sf->text, add_owner, &o) < 0)
			rc = dt_oom(err);
	}
	if (rc == 0 && o.n) {
		qsort(o.v, o.n, sizeof(*o.v), by_path);
		for (size_t i = 0; i < v->nfiles; i++) {
			struct owner key = { v->files[i].e.name, NULL };
			struct owner *w = bsearch(&key, o.v, o.n, sizeof(key), by_path);
			v->files[i].pkg = w ? w->pkg : NULL;
			v->files[i].version = w ? version_of(v, w->pkg) : NULL;
		}
	}
	for (size_t i = 0; i < o.n; i++)
		free(o.v[i].path);
	free(o.v);
	return rc;
}

int vf_view_open(const char *path, const char *ref, struct vf_view **out, struct dt_err *err)
{
	struct vf_view *v = calloc(1, sizeof(*v));
	int rc;

	*out = NULL;
	if (!v)
		return dt_oom(err);
	if ((rc = vf_source_open(path, ref, &v->src, err)) < 0)
		goto fail;
	if (!(v->layers = calloc(v->src->nlayers + 1, sizeof(*v->layers)))) {
		rc = dt_oom(err);
		goto fail;
	}
	for (size_t i = 0; i < v->src->nlayers; i++) {
		char name[4200];
		struct reading rd = { v, i };
		struct vf_stream_opts o = { .name = name, .entries = 1, .data = keep_status,
					    .data_ctx = &rd };
		struct vf_stream *s = &v->layers[i];
		struct vf_view_file *nf;
		snprintf(name, sizeof(name), v->src->kind == VF_SOURCE_TARBALL ? "'%s'"
					     : "'%s': layer %zu", path, i + 1);
		if ((rc = vf_source_read(v->src, i, &o, s, err)) < 0)
			goto fail;
		if (v->nfiles + s->n > v->cap) {
			size_t nc = (v->nfiles + s->n) * 2;
			if (!(nf = realloc(v->files, nc * sizeof(*v->files)))) {
				rc = dt_oom(err);
				goto fail;
			}
			v->files = nf;
			v->cap = nc;
		}
		for (size_t k = 0; k < s->n; k++) {
			struct vf_view_file *f = &v->files[v->nfiles];
			char *n = norm(s->v[k].name);
			if (!n) {
				rc = dt_oom(err);
				goto fail;
			}
			if (!*n) { /* the root itself */
				free(n);
				continue;
			}
			f->e = s->v[k];
			free(f->e.name);
			f->e.name = n;
			f->layer = i;
			f->pkg = f->version = NULL;
			memset(&s->v[k], 0, sizeof(s->v[k]));
			v->nfiles++;
		}
	}
	if ((rc = vf_view_merge(v, err)) < 0 || (rc = owners(v, err)) < 0)
		goto fail;
	*out = v;
	return 0;
fail:
	vf_view_free(v);
	return rc;
}

void vf_view_free(struct vf_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nfiles; i++)
		vf_stream_entry_release(&v->files[i].e);
	free(v->files);
	for (size_t i = 0; v->src && v->layers && i < v->src->nlayers; i++)
		vf_stream_release(&v->layers[i]);
	free(v->layers);
	for (size_t i = 0; i < v->nstatus; i++) {
		free(v->status[i].name);
		free(v->status[i].text);
		free(v->status[i].version);
	}
	free(v->status);
	vf_source_free(v->src);
	free(v);
}
