/* SPDX-License-Identifier: MIT */
/* The lock view of a plan: the plan converted once, at this boundary, into the lockfile's
 * vocabulary (manifest/lock.h). */
#include "packer/image/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/lock.h"

static enum mf_lock_type lock_type(enum pk_plan_type t)
{
	static const enum mf_lock_type types[] = { MF_LOCK_DIR, MF_LOCK_REG, MF_LOCK_SYMLINK,
						   MF_LOCK_HARDLINK };
	return types[t];
}

static enum mf_lock_layer lock_layer(enum pk_plan_layer l)
{
	return l == PK_LAYER_APP ? MF_LAYER_APP : MF_LAYER_BASE;
}

/* A project file: taken from the spec's directory or beside it (its source names it
 * relative to the spec), owned by no package, whose entry does not say pin: content. */
static int project_file(const struct pk_plan_entry *e)
{
	return e->type == PK_PLAN_REG && !e->pkg && !e->pin_content &&
	       (strncmp(e->source, "host:./", 7) == 0 || strncmp(e->source, "host:../", 8) == 0);
}

static int make_lock(const struct pk_image *img, int pins, struct mf_lock **out,
		     struct dt_err *err);

int pk_image_lock(const struct pk_image *img, struct mf_lock **out, struct dt_err *err)
{
	return make_lock(img, 0, out, err);
}

int pk_image_lock_pins(const struct pk_image *img, int strict, struct mf_lock **out,
		       struct dt_err *err)
{
	return make_lock(img, !strict, out, err);
}

static int make_lock(const struct pk_image *img, int pins, struct mf_lock **out,
		     struct dt_err *err)
{
	struct mf_lock *l = mf_lock_new();
	const char *base = strrchr(img->spec->file, '/');
	char platform[256];
	int rc = 0;

	*out = NULL;
	if (!l)
		return dt_oom(err);
	snprintf(platform, sizeof(platform), "%s/%s%s%s", img->os, img->arch,
		 img->variant ? "/" : "", img->variant ? img->variant : "");
	if (!(l->spec_file = strdup(base ? base + 1 : img->spec->file)) ||
	    !(l->platform = strdup(platform))) {
		mf_lock_free(l);
		return dt_oom(err);
	}
	dt_hex(img->spec->sha256, DT_SHA256_LEN, l->spec_sha256);
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		struct mf_lock_file f = {
			.path = e->path, .type = lock_type(e->type), .mode = e->mode, .uid = e->uid,
			.gid = e->gid, .size = e->size, .link = e->link, .source = e->source,
			.package = e->pkg, .package_version = e->pkg_version,
			.why = e->why, .why_of = e->why_of,
			.layer = lock_layer(e->layer),
		};
		if (pins && project_file(e)) {
			f.unpinned = 1; /* the path, mode and owner; not the content */
			f.size = 0;
		} else if (e->type == PK_PLAN_REG) {
			dt_hex(e->sha256, DT_SHA256_LEN, f.sha256);
		}
		rc = mf_lock_add_file(l, &f, err);
	}
	for (size_t i = 0; i < img->ndebs && rc == 0; i++) {
		const struct pk_plan_deb *d = &img->debs[i];
		struct mf_lock_deb ld = { .name = d->name, .version = d->version,
					  .architecture = d->architecture, .file = d->file,
					  .size = d->size, .repository = d->repository,
					  .filename = d->filename };
		dt_hex(d->sha256, DT_SHA256_LEN, ld.sha256);
		rc = mf_lock_add_deb(l, &ld, err);
	}
	for (size_t i = 0; i < img->nrels && rc == 0; i++) {
		const struct pk_plan_rel *r = &img->rels[i];
		struct mf_lock_rel lr = { .package = r->package, .field = r->field,
					  .relation = r->relation, .how = r->how, .by = r->by };
		rc = mf_lock_add_rel(l, &lr, err);
	}
	if (rc == 0)
		rc = mf_lock_sort(l, err);
	if (rc < 0) {
		mf_lock_free(l);
		return rc;
	}
	*out = l;
	return 0;
}
