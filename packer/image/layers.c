/* SPDX-License-Identifier: MIT */
/* Which layer each entry of a plan goes in (see writer.h): `layers: two` (the base, then
 * the app) or `layers: packages` (the files of the largest packages in layers of their own,
 * the rest of the base merged into the first layer, the app last). */
#include "packer/image/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packer/image/planner.h"

#define STATUS_D "/var/lib/dpkg/status.d/"

struct pkg_size {
	char *name;
	uint64_t bytes;
	size_t layer; /* 0: merged into the first layer */
};

static int by_bytes(const void *a, const void *b)
{
	const struct pkg_size *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct pkg_size *)a)->name, ((const struct pkg_size *)b)->name);
}

/* The package an entry of the base belongs with: its owner, or for the status.d files distill
 * writes, the package they describe; NULL for the skeleton and for directories (every layer
 * carries the parents it needs, as the plan has them). */
static const char *owner(const struct pk_plan_entry *e, char *buf, size_t len)
{
	if (e->type == PK_PLAN_DIR)
		return NULL;
	if (e->pkg)
		return e->pkg;
	if (strncmp(e->path, STATUS_D, strlen(STATUS_D)) == 0 && !strchr(e->path + strlen(STATUS_D), '/')) {
		const char *n = e->path + strlen(STATUS_D);
		size_t l = strlen(n);
		if (l > 8 && strcmp(n + l - 8, ".md5sums") == 0)
			l -= 8;
		snprintf(buf, len, "%.*s", (int)l, n);
		return buf;
	}
	return NULL;
}

static struct pkg_size *find_pkg(struct pkg_size *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* The package @name in @v (kept sorted by name while it is gathered), added when new. */
static struct pkg_size *find_or_add(struct pkg_size **v, size_t *n, size_t *cap,
				    const char *name)
{
	size_t lo = 0, hi = *n;
	struct pkg_size *g;
	char *copy;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp((*v)[mid].name, name);
		if (c == 0)
			return &(*v)[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!(g = dt_grow(*v, cap, *n, sizeof(**v))))
		return NULL;
	*v = g;
	if (!(copy = strdup(name)))
		return NULL;
	memmove(&g[lo + 1], &g[lo], (*n - lo) * sizeof(*g));
	g[lo] = (struct pkg_size){ .name = copy };
	(*n)++;
	return &g[lo];
}

static int set_hist(struct pk_layering *l, size_t i, const char *prefix, const char *arg)
{
	if (asprintf(&l->hist[i], "%s%s", prefix, arg) < 0) {
		l->hist[i] = NULL;
		return -1;
	}
	return 0;
}

/* layers: two: the base's entries first, the app's after; a layer with nothing is left
 * out. */
static int two(const struct pk_image *img, struct pk_layering *l, struct dt_err *err)
{
	int has[PK_LAYERS] = { 0 };
	size_t index[PK_LAYERS];

	for (size_t i = 0; i < img->n; i++)
		has[img->v[i].layer] = 1;
	for (int k = 0; k < PK_LAYERS; k++) {
		index[k] = l->n;
		if (has[k] && !(l->hist[l->n++] = strdup(k == PK_LAYER_APP
							? "distill: app (binaries and files)"
							: "distill: base (skeleton, packages, shared libraries)")))
			return dt_oom(err);
	}
	for (size_t i = 0; i < img->n; i++)
		l->group[i] = index[img->v[i].layer];
	return 0;
}

static int packages(const struct pk_image *img, struct pk_layering *l, struct dt_err *err)
{
	unsigned max = img->spec->layers_max ? img->spec->layers_max : MF_LAYERS_MAX_DEFAULT;
	struct pkg_size *v = NULL;
	size_t n = 0, cap = 0, own, first = 0, app;
	int has_app = 0, has_rest = 0, rc = 0;
	char buf[512];

	if (max > PK_IMAGE_MAX_LAYERS)
		max = PK_IMAGE_MAX_LAYERS;
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const char *name = e->layer == PK_LAYER_APP ? NULL : owner(e, buf, sizeof(buf));
		struct pkg_size *p;
		has_app |= e->layer == PK_LAYER_APP;
		if (!name)
			continue;
		if (!(p = find_or_add(&v, &n, &cap, name))) {
			rc = dt_oom(err);
			goto out;
		}
		p->bytes += e->size + 512; /* a header's worth each: many small files count */
	}
	/* the largest have layers of their own, as many as the budget leaves after the first
	 * (the skeleton and the rest) and the app's; in name order, so that one package's
	 * growing does not reorder the others */
	own = max - 1 - (size_t)has_app;
	if (own > n)
		own = n;
	qsort(v, n, sizeof(*v), by_bytes);
	qsort(v, own, sizeof(*v), by_name);
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const char *name = e->layer == PK_LAYER_APP ? NULL : owner(e, buf, sizeof(buf));
		struct pkg_size *p = name ? find_pkg(v, own, name) : NULL;
		if (e->layer != PK_LAYER_APP && !p)
			has_rest = 1;
	}
	first = has_rest ? 1 : 0;
	for (size_t i = 0; i < own; i++)
		v[i].layer = first + i;
	app = first + own;
	l->n = app + (size_t)has_app;
	if (has_rest && set_hist(l, 0, "distill: base (skeleton",
				 own < n ? " and the smaller packages)" : ")") < 0) {
		rc = dt_oom(err);
		goto out;
	}
	for (size_t i = 0; i < own; i++)
		if (set_hist(l, v[i].layer, "distill: package ", v[i].name) < 0) {
			rc = dt_oom(err);
			goto out;
		}
	if (has_app && !(l->hist[app] = strdup("distill: app (binaries and files)"))) {
		rc = dt_oom(err);
		goto out;
	}
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const char *name = e->layer == PK_LAYER_APP ? NULL : owner(e, buf, sizeof(buf));
		struct pkg_size *p = name ? find_pkg(v, own, name) : NULL;
		l->group[i] = e->layer == PK_LAYER_APP ? app : p ? p->layer : 0;
	}
	/* a hard link goes where the file it names goes: a tar's link is to a member of the
	 * same archive */
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i], *t;
		if (e->type == PK_PLAN_HARDLINK && e->link &&
		    (t = pk_plan_find_in(img, img->n, e->link)))
			l->group[i] = l->group[t - img->v];
	}
out:
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	return rc;
}

int pk_layers_assign(const struct pk_image *img, struct pk_layering *l, struct dt_err *err)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if (!(l->group = calloc(img->n + 1, sizeof(*l->group))))
		return dt_oom(err);
	rc = img->spec->layers_packages ? packages(img, l, err) : two(img, l, err);
	if (rc < 0)
		pk_layering_release(l);
	return rc;
}

void pk_layering_release(struct pk_layering *l)
{
	for (size_t i = 0; i < PK_IMAGE_MAX_LAYERS; i++)
		free(l->hist[i]);
	free(l->group);
	memset(l, 0, sizeof(*l));
}
