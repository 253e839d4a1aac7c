/* SPDX-License-Identifier: MIT */
/* Merging the plan into one entry per path: sorting and dedupe, paths moved through the
 * image's own symlinks, every parent directory, and each entry's parent index. */
#include "packer/image/planner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int entry_cmp(const void *a, const void *b)
{
	const struct pk_plan_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	if (x->prio != y->prio)
		return (x->prio > y->prio) - (x->prio < y->prio);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The entry at @path among the first @n entries (sorted by path). */
struct pk_plan_entry *pk_plan_find_in(const struct pk_image *img, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(img->v[mid].path, path);
		if (c == 0)
			return &img->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

char *pk_plan_join_link(const char *at, const char *link, const char *rest)
{
	char *buf, *out, *save = NULL, *tok;
	size_t len = strlen(at) + strlen(link) + strlen(rest) + 4;

	if (!(buf = malloc(len)) || !(out = malloc(len))) {
		free(buf);
		return NULL;
	}
	if (link[0] == '/') {
		snprintf(buf, len, "%s/%s", link, rest);
	} else {
		const char *slash = strrchr(at, '/');
		snprintf(buf, len, "%.*s/%s/%s", (int)(slash - at), at, link, rest);
	}
	out[0] = '\0';
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			char *s = strrchr(out, '/');
			if (s)
				*s = '\0';
			continue;
		}
		strcat(out, "/");
		strcat(out, tok);
	}
	free(buf);
	if (!out[0])
		strcpy(out, "/");
	return out;
}

struct link_ref {
	char *path, *link; /* copies: the entries themselves move */
};

static int link_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct link_ref *)a)->path, ((const struct link_ref *)b)->path);
}

static void links_free(struct link_ref *links, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(links[i].path);
		free(links[i].link);
	}
	free(links);
}

/* Paths below a symlink of the image are moved to where the symlink leads, as dpkg writes
 * through /lib -> usr/lib on a merged-/usr system: files, directories and symlinks alike
 * (a package's /lib/x86_64-linux-gnu/libz.so.1 is a symlink). */
static int through_symlinks(struct pk_image *img, int *moved, struct dt_err *err)
{
	struct link_ref *links = NULL;
	size_t nl = 0;
	int rc = 0;

	*moved = 0;
	for (size_t i = 0; i < img->n; i++)
		nl += img->v[i].type == PK_PLAN_SYMLINK;
	if (nl == 0)
		return 0;
	if (!(links = calloc(nl, sizeof(*links))))
		return dt_oom(err);
	nl = 0;
	for (size_t i = 0; i < img->n; i++)
		if (img->v[i].type == PK_PLAN_SYMLINK) {
			struct link_ref *l = &links[nl++];
			if (!(l->path = strdup(img->v[i].path)) || !(l->link = strdup(img->v[i].link))) {
				links_free(links, nl);
				return dt_oom(err);
			}
		}
	if (nl > 1)
		qsort(links, nl, sizeof(*links), link_ref_cmp);
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		struct pk_plan_entry *e = &img->v[i];
		for (int hops = 0;; hops++) {
			char *p = strdup(e->path), *slash, *np;
			struct link_ref key, *l = NULL;
			if (!p) {
				rc = dt_oom(err);
				break;
			}
			/* a symlink among the path's parents (never the path itself) */
			for (slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
				*slash = '\0';
				key.path = p;
				l = bsearch(&key, links, nl, sizeof(*links), link_ref_cmp);
				if (l)
					break;
				*slash = '/';
			}
			if (!l) {
				free(p);
				break;
			}
			if (hops >= 40) {
				free(p);
				rc = dt_err_set(err, DT_EINPUT,
						"'%s': too many levels of symlinks in the image",
						e->path);
				break;
			}
			np = pk_plan_join_link(p, l->link, slash + 1);
			free(p);
			if (!np) {
				rc = dt_oom(err);
				break;
			}
			free(e->path);
			e->path = np;
			*moved = 1;
		}
	}
	links_free(links, nl);
	return rc;
}

static int same_content(const struct pk_plan_entry *a, const struct pk_plan_entry *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == PK_PLAN_SYMLINK || a->type == PK_PLAN_HARDLINK)
		return strcmp(a->link, b->link) == 0;
	if (a->type == PK_PLAN_REG)
		return a->size == b->size && memcmp(a->sha256, b->sha256, DT_SHA256_LEN) == 0;
	return 1;
}

/* One entry per path (see pk_plan_dedupe). Needs img->v sorted. */
static int dedupe(struct pk_image *img, struct dt_err *err)
{
	size_t w = 0;

	for (size_t i = 0; i < img->n; i++) {
		struct pk_plan_entry *a = w ? &img->v[w - 1] : NULL, *b = &img->v[i];
		if (a && strcmp(a->path, b->path) == 0) {
			if (a->type == PK_PLAN_DIR && b->type == PK_PLAN_SYMLINK) {
				struct pk_plan_entry t = *a;
				*a = *b;
				*b = t;
			} else if (!(a->type == PK_PLAN_SYMLINK && b->type == PK_PLAN_DIR) &&
				   !same_content(a, b)) {
				int rc = dt_err_set(err, DT_EINPUT,
						    "%s: '%s' comes from both %s and %s, which differ",
						    img->spec->file, a->path, a->source, b->source);
				/* each entry once again (those merged so far are gone), for
				 * pk_image_free */
				memmove(&img->v[w], &img->v[i], (img->n - i) * sizeof(img->v[0]));
				img->n = w + (img->n - i);
				return rc;
			}
			if (b->layer < a->layer)
				a->layer = b->layer;
			pk_plan_entry_release(b);
			continue;
		}
		img->v[w++] = *b;
	}
	img->n = w;
	return 0;
}

int pk_plan_dedupe(struct pk_image *img, struct dt_err *err)
{
	if (img->n > 1)
		qsort(img->v, img->n, sizeof(img->v[0]), entry_cmp);
	return dedupe(img, err);
}

int pk_plan_through_symlinks(struct pk_image *img, struct dt_err *err)
{
	int moved, rc;

	do {
		if ((rc = through_symlinks(img, &moved, err)) < 0 ||
		    (rc = pk_plan_dedupe(img, err)) < 0)
			return rc;
	} while (moved);
	return 0;
}

/* Every parent directory, explicitly; its layer is the lowest of its children's. The
 * entries are sorted on entry; directories added here go after them. A climb stops at a
 * parent that is already in a layer as low: that parent's own parents were (or, for an
 * entry still ahead in the loop, will be) made at least as low, so a tree nested
 * thousands deep costs one step per entry, not one per level. */
int pk_plan_parents(struct pk_image *img, struct dt_err *err)
{
	size_t n = img->n;

	for (size_t i = 0; i < n; i++) {
		char *p = strdup(img->v[i].path), *slash;
		enum pk_plan_layer layer = img->v[i].layer;
		if (!p)
			return dt_oom(err);
		while ((slash = strrchr(p, '/')) && slash != p) {
			struct pk_plan_entry *x;
			*slash = '\0';
			if ((x = pk_plan_find_in(img, n, p))) {
				if (x->type != PK_PLAN_DIR) {
					int rc = dt_err_set(err, DT_EINPUT,
						"%s: '%s' is not a directory (%s), but '%s' is inside it",
						img->spec->file, p, x->source, img->v[i].path);
					free(p);
					return rc;
				}
				if (x->layer <= layer)
					break;
				x->layer = layer;
				continue;
			}
			if (pk_plan_why(img, img->v[i].path, "directory on the path of") < 0 ||
			    pk_plan_add_dir(img, p, 0755, 0, 0, layer, PK_PRIO_PARENT, err) < 0) {
				free(p);
				return dt_oom(err);
			}
		}
		free(p);
	}
	return pk_plan_dedupe(img, err);
}


void pk_plan_index_parents(struct pk_image *img)
{
	for (size_t i = 0; i < img->n; i++) {
		const char *path = img->v[i].path, *slash = strrchr(path, '/');
		size_t lo = 0, hi = i, len = slash ? (size_t)(slash - path) : 0;

		img->v[i].parent = PK_PLAN_NO_PARENT;
		/* the parent sorts before its children: search the entries before this one */
		while (len && lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strncmp(img->v[mid].path, path, len);
			if (c == 0 && img->v[mid].path[len] != '\0')
				c = 1;
			if (c == 0) {
				img->v[i].parent = mid;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
}
