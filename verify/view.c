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
	int dropped;   /* a kept file over MAX_KEPT: not kept */
};

#define MAX_KEPT (1u << 20) /* bytes of one of the other files kept (vf_view_kept) */

/* The other files kept, named "/PATH" among the status.d ones: what an SBOM of the image
 * says of its OS and its packages' licenses. */
static int kept_name(const char *n)
{
	const char *doc = "usr/share/doc/", *rest;

	if (strcmp(n, "etc/os-release") == 0 || strcmp(n, "etc/debian_version") == 0)
		return 1;
	if (strncmp(n, doc, strlen(doc)) != 0)
		return 0;
	rest = n + strlen(doc);
	return strchr(rest, '/') && strcmp(strchr(rest, '/'), "/copyright") == 0 &&
	       strchr(rest, '/') != rest;
}

struct owner {
	char *path;
	const char *pkg, *version;
};

struct reading {
	struct vf_view *v;
	size_t layer;
};

/* @name without "./" and "/" in front and "/" behind: a pointer into @name when only its
 * front goes, else a copy in @a. NULL when out of memory. */
static const char *norm(struct dt_arena *a, const char *name)
{
	size_t len;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	len = strlen(name);
	if (len == 0 || name[len - 1] != '/')
		return name;
	while (len > 0 && name[len - 1] == '/')
		len--;
	return dt_arena_strndup(a, name, len);
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
	int kept = kept_name(n);
	char kname[4200];

	if (e->type != AE_IFREG || (!kept && strncmp(n, STATUS_DIR, strlen(STATUS_DIR)) != 0))
		return 0;
	if (kept) {
		snprintf(kname, sizeof(kname), "/%s", n);
		n = kname;
	} else {
		n += strlen(STATUS_DIR);
	}
	if (v->status_bytes + len > MAX_STATUS)
		return 0; /* beyond what anyone ships: owners stay unknown */
	if (v->nstatus && v->status[v->nstatus - 1].layer == rd->layer &&
	    v->status[v->nstatus - 1].pos == e->pos)
		sf = &v->status[v->nstatus - 1];
	if (!sf) {
		void *nv = dt_grow(v->status, &v->cap_status, v->nstatus, sizeof(*v->status));
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
	if (kept && (sf->dropped || sf->len + len > MAX_KEPT)) {
		sf->dropped = 1;
		return 0;
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
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->layer != b->layer)
		return (a->layer > b->layer) - (a->layer < b->layer);
	return (a->index > b->index) - (a->index < b->index);
}

/* The first file named @name[0..@len) in v->files (sorted), or v->nfiles. */
static size_t first_named(const struct vf_view *v, const char *name, size_t len)
{
	size_t lo = 0, hi = v->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(v->files[mid].name, name, len);
		if (c == 0 && v->files[mid].name[len])
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether a layer above @f's put a non-directory at one of @f's parents: it replaced the
 * directory, and what was below it is gone (v->files sorted by name, then layer). */
static int under_replaced(const struct vf_view *v, const struct vf_view_file *f)
{
	for (const char *slash = strchr(f->name, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t len = (size_t)(slash - f->name);
		for (size_t i = first_named(v, f->name, len);
		     i < v->nfiles && strncmp(v->files[i].name, f->name, len) == 0 &&
		     !v->files[i].name[len]; i++)
			if (v->files[i].layer > f->layer && v->files[i].type != AE_IFDIR)
				return 1;
	}
	return 0;
}

/* A whiteout: what it hides (a path and what is below it; an opaque one, what is below a
 * directory) and the highest layer that has it. */
struct wh {
	const char *dir;
	size_t len;
	int opaque;
	uint32_t layer;
};

static int wh_cmp_key(const char *dir, size_t len, int opaque, const struct wh *w)
{
	size_t n = len < w->len ? len : w->len;
	int c = memcmp(dir, w->dir, n);
	if (c)
		return c;
	if (len != w->len)
		return len < w->len ? -1 : 1;
	return opaque - w->opaque;
}

static int by_wh(const void *x, const void *y)
{
	const struct wh *a = x;
	return wh_cmp_key(a->dir, a->len, a->opaque, y);
}

/* Whether a whiteout (@opaque or not) of @dir[0..@len) lies in a layer above @layer. */
static int whited(const struct wh *w, size_t n, const char *dir, size_t len, int opaque,
		  uint32_t layer)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = wh_cmp_key(dir, len, opaque, &w[mid]);
		if (c == 0)
			return w[mid].layer > layer;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Whether a whiteout above @f's layer hides it: one of its own path or of a parent, or an
 * opaque one of a parent (the root included). */
static int hidden_by_whiteout(const struct wh *w, size_t n, const struct vf_view_file *f)
{
	const char *name = f->name;

	if (!n)
		return 0;
	if (whited(w, n, name, strlen(name), 0, f->layer) || whited(w, n, "", 0, 1, f->layer))
		return 1;
	for (const char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t len = (size_t)(slash - name);
		if (whited(w, n, name, len, 0, f->layer) || whited(w, n, name, len, 1, f->layer))
			return 1;
	}
	return 0;
}

int vf_view_merge(struct vf_view *v, struct dt_err *err)
{
	struct wh *wh = NULL;
	size_t nwh = 0, capwh = 0, out = 0;
	int rc = 0;

	for (size_t i = 0; i < v->nfiles; i++) {
		struct vf_view_file *f = &v->files[i];
		const char *base = strrchr(f->name, '/');
		size_t dl;
		void *nv;
		base = base ? base + 1 : f->name;
		if (strncmp(base, ".wh.", 4) != 0)
			continue;
		if (!(nv = dt_grow(wh, &capwh, nwh, sizeof(*wh)))) {
			rc = dt_oom(err);
			goto out;
		}
		wh = nv;
		dl = (size_t)(base - f->name);
		wh[nwh].layer = f->layer;
		wh[nwh].opaque = strcmp(base, ".wh..wh..opq") == 0;
		if (wh[nwh].opaque) {
			wh[nwh].dir = f->name;
			wh[nwh].len = dl ? dl - 1 : 0;
		} else { /* "d/.wh.x" hides "d/x" */
			char *d = dt_arena_strndup(&v->names, f->name, strlen(f->name));
			if (!d) {
				rc = dt_oom(err);
				goto out;
			}
			memmove(d + dl, d + dl + 4, strlen(d + dl + 4) + 1);
			wh[nwh].dir = d;
			wh[nwh].len = strlen(d);
		}
		nwh++;
	}
	/* one per path and kind, with the highest layer */
	if (nwh > 1) {
		size_t k = 0;
		qsort(wh, nwh, sizeof(*wh), by_wh);
		for (size_t i = 1; i < nwh; i++) {
			if (by_wh(&wh[i], &wh[k]) == 0) {
				if (wh[i].layer > wh[k].layer)
					wh[k].layer = wh[i].layer;
			} else {
				wh[++k] = wh[i];
			}
		}
		nwh = k + 1;
	}
	if (v->nfiles)
		qsort(v->files, v->nfiles, sizeof(*v->files), by_name_layer);
	/* first which are hidden (the lookups of under_replaced need the whole array), then
	 * the survivors moved down */
	for (size_t i = 0; i < v->nfiles; i++) {
		struct vf_view_file *f = &v->files[i];
		const char *base = strrchr(f->name, '/');
		int hidden = i + 1 < v->nfiles && strcmp(v->files[i + 1].name, f->name) == 0;
		base = base ? base + 1 : f->name;
		hidden = hidden || strncmp(base, ".wh.", 4) == 0;
		hidden = hidden || hidden_by_whiteout(wh, nwh, f);
		f->hidden = hidden || under_replaced(v, f);
	}
	for (size_t i = 0; i < v->nfiles; i++)
		if (!v->files[i].hidden)
			v->files[out++] = v->files[i];
	v->nfiles = out;
out:
	free(wh);
	return rc;
}

static int by_path(const void *x, const void *y)
{
	return strcmp(((const struct owner *)x)->path, ((const struct owner *)y)->path);
}

static int path_named(const void *key, const void *y)
{
	return strcmp(key, ((const struct owner *)y)->path);
}

struct owners {
	struct owner *v;
	size_t n, cap;
	const char *pkg, *version;
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
	o->v[o->n].pkg = o->pkg;
	o->v[o->n++].version = o->version;
	return 0;
}

static int status_by_name(const void *x, const void *y)
{
	const struct vf_view_status *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->md5sums > b->md5sums) - (a->md5sums < b->md5sums);
}

/* bsearch: the stanza (not the md5sums) of the package named by @key */
static int status_named(const void *key, const void *y)
{
	const struct vf_view_status *b = y;
	int c = strcmp(key, b->name);
	return c ? c : -b->md5sums;
}

/* The Version of package @pkg's status.d stanza, or NULL (v->status sorted by name). */
static const char *version_of(struct vf_view *v, const char *pkg)
{
	struct vf_view_status *sf = bsearch(pkg, v->status, v->nstatus, sizeof(*v->status),
					    status_named);

	if (!sf || !sf->text)
		return NULL;
	if (!sf->version)
		sf->version = deb_field(sf->text, "Version");
	return sf->version;
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
	}
	if (rc == 0 && v->nstatus > 1)
		qsort(v->status, v->nstatus, sizeof(*v->status), status_by_name);
	for (size_t i = 0; i < v->nstatus && rc == 0; i++) {
		struct vf_view_status *sf = &v->status[i];
		if (!sf->md5sums)
			continue;
		o.pkg = sf->name;
		o.version = version_of(v, sf->name);
		if (deb_status_md5sums_parse(sf->text, add_owner, &o) < 0)
			rc = dt_oom(err);
	}
	if (rc == 0 && o.n) {
		qsort(o.v, o.n, sizeof(*o.v), by_path);
		for (size_t i = 0; i < v->nfiles; i++) {
			struct owner *w = bsearch(v->files[i].name, o.v, o.n, sizeof(*o.v),
						  path_named);
			v->files[i].pkg = w ? w->pkg : NULL;
			v->files[i].version = w ? w->version : NULL;
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
			size_t nc = (v->nfiles + s->n) + (v->nfiles + s->n) / 2;
			if (!(nf = realloc(v->files, nc * sizeof(*v->files)))) {
				rc = dt_oom(err);
				goto fail;
			}
			v->files = nf;
			v->cap = nc;
		}
		for (size_t k = 0; k < s->n; k++) {
			struct vf_view_file *f = &v->files[v->nfiles];
			struct vf_stream_entry e;
			vf_stream_entry_at(s, k, &e);
			if (!(f->name = norm(&v->names, e.name))) {
				rc = dt_oom(err);
				goto fail;
			}
			if (!*f->name) /* the root itself */
				continue;
			f->type = e.type;
			f->layer = (uint32_t)i;
			f->index = (uint32_t)k;
			f->hidden = 0;
			f->pkg = f->version = NULL;
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

void vf_view_entry(const struct vf_view *v, const struct vf_view_file *f,
		   struct vf_stream_entry *e)
{
	vf_stream_entry_at(&v->layers[f->layer], f->index, e);
	e->name = f->name;
}

void vf_view_free(struct vf_view *v)
{
	if (!v)
		return;
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
	dt_arena_release(&v->names);
	vf_source_free(v->src);
	free(v);
}

static int file_by_name(const void *x, const void *y)
{
	return strcmp(((const struct vf_view_file *)x)->name, ((const struct vf_view_file *)y)->name);
}

const char *vf_view_kept(const struct vf_view *v, const char *name)
{
	struct vf_view_file key = { .name = name };
	const struct vf_view_file *f;
	struct vf_stream_entry e;
	char kname[4200];

	if (!kept_name(name) || !(f = bsearch(&key, v->files, v->nfiles, sizeof(*v->files),
					       file_by_name)))
		return NULL;
	vf_view_entry(v, f, &e);
	snprintf(kname, sizeof(kname), "/%s", name);
	for (size_t i = 0; i < v->nstatus; i++) {
		const struct vf_view_status *sf = &v->status[i];
		if (sf->layer == f->layer && sf->pos == e.pos && !sf->dropped &&
		    strcmp(sf->name, kname) == 0)
			return sf->text ? sf->text : "";
	}
	return NULL;
}

const char *vf_view_stanza(const struct vf_view *v, size_t i, const char **pkg)
{
	const struct vf_view_status *sf;

	if (i >= v->nstatus)
		return NULL;
	sf = &v->status[i];
	*pkg = sf->name[0] != '/' && !sf->md5sums && !strchr(sf->name, '/') ? sf->name : NULL;
	return *pkg ? (sf->text ? sf->text : "") : "";
}
