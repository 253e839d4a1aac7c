/* SPDX-License-Identifier: MIT */
/* Planning an image (see image.h): the plan's entries, and pk_image_plan, which runs the
 * steps of planner.h in order and merges what they give into one entry per path. */
#include "packer/image/planner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps/machine.h"

void pk_plan_entry_release(struct pk_plan_entry *e)
{
	free(e->path);
	free(e->link);
	free(e->src);
	free(e->data);
	free(e->source);
	free(e->pkg);
	free(e->pkg_version);
	free(e->why);
	free(e->why_of);
}

int pk_plan_why(struct pk_image *img, const char *of, const char *fmt, ...)
{
	char *why = NULL, *o = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&why, fmt, ap);
	va_end(ap);
	if (n < 0 || (of && !(o = strdup(of)))) {
		if (n >= 0)
			free(why);
		return -DT_ENOMEM;
	}
	free(img->why);
	free(img->why_of);
	img->why = why;
	img->why_of = o;
	return 0;
}

void pk_image_free(struct pk_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->n; i++)
		pk_plan_entry_release(&img->v[i]);
	free(img->v);
	for (size_t i = 0; i < img->ndebs; i++) {
		free(img->debs[i].name);
		free(img->debs[i].version);
		free(img->debs[i].architecture);
		free(img->debs[i].file);
		free(img->debs[i].control);
		free(img->debs[i].repository);
		free(img->debs[i].filename);
	}
	free(img->debs);
	for (size_t i = 0; i < img->nrels; i++) {
		free(img->rels[i].package);
		free(img->rels[i].field);
		free(img->rels[i].relation);
		free(img->rels[i].how);
		free(img->rels[i].by);
	}
	free(img->rels);
	for (size_t i = 0; i < img->nbins; i++) {
		free(img->bins[i].path);
		free(img->bins[i].dst);
	}
	free(img->bins);
	for (int i = 0; i < img->nroots; i++)
		free(img->roots[i]);
	for (size_t i = 0; i < img->nenv; i++)
		free(img->env[i]);
	free(img->env);
	free(img->user);
	free(img->why);
	free(img->why_of);
	free(img->os);
	free(img->arch);
	free(img->variant);
	free(img);
}

size_t pk_image_count(const struct pk_image *img)
{
	return img->n;
}

uint64_t pk_image_bytes(const struct pk_image *img)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < img->n; i++)
		if (img->v[i].type == PK_PLAN_REG)
			sum += img->v[i].size;
	return sum;
}

struct pk_plan_entry *pk_plan_push(struct pk_image *img, const char *path,
				   enum pk_plan_type type, enum pk_plan_layer layer,
				   enum pk_plan_prio prio, const char *source)
{
	struct pk_plan_entry *e, *v = dt_grow(img->v, &img->cap, img->n, sizeof(*img->v));

	if (!v)
		return NULL;
	img->v = v;
	e = &img->v[img->n];
	memset(e, 0, sizeof(*e));
	e->root = -1;
	e->type = type;
	e->layer = layer;
	e->prio = prio;
	e->seq = img->seq++;
	e->parent = PK_PLAN_NO_PARENT;
	e->pin_content = img->pin_content;
	if (!(e->path = strdup(path)) || !(e->source = strdup(source)) ||
	    (img->why && !(e->why = strdup(img->why))) ||
	    (img->why_of && !(e->why_of = strdup(img->why_of)))) {
		pk_plan_entry_release(e);
		return NULL;
	}
	img->n++;
	return e;
}

int pk_plan_add_dir(struct pk_image *img, const char *path, uint32_t mode, uint32_t uid,
		    uint32_t gid, enum pk_plan_layer layer, enum pk_plan_prio prio,
		    struct dt_err *err)
{
	struct pk_plan_entry *e = pk_plan_push(img, path, PK_PLAN_DIR, layer, prio, "distill");

	if (!e)
		return dt_oom(err);
	e->mode = mode;
	e->uid = uid;
	e->gid = gid;
	return 0;
}

int pk_plan_add_text(struct pk_image *img, const char *path, const char *text, size_t len,
		     uint32_t mode, enum pk_plan_layer layer, struct dt_err *err)
{
	struct pk_plan_entry *e = pk_plan_push(img, path, PK_PLAN_REG, layer, PK_PRIO_SKELETON,
					       "distill");

	if (!e || (len && !(e->data = malloc(len))))
		return dt_oom(err);
	if (len)
		memcpy(e->data, text, len);
	e->size = len;
	e->mode = mode;
	dt_sha256(text, len, e->sha256);
	return 0;
}

const char *pk_plan_deb_arch(const struct pk_image *img)
{
	const struct deps_machine *m = NULL;
	char buf[128], *arch, *end;

	if (img->arch) {
		m = deps_machine_by_oci(img->arch);
	} else if (img->spec->platform) {
		snprintf(buf, sizeof(buf), "%s", img->spec->platform);
		if ((arch = strchr(buf, '/'))) {
			arch++;
			if ((end = strchr(arch, '/')))
				*end = '\0';
			m = deps_machine_by_oci(arch);
		}
	}
	return m ? m->deb_arch : NULL;
}

void pk_plan_warn(const struct pk_plan_opts *o, const char *fmt, ...)
{
	char msg[8400];
	va_list ap;

	if (!o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->warn_ctx, msg);
}

int pk_image_plan(const struct mf_spec *spec, const struct pk_plan_opts *o,
		  struct pk_image **out, struct dt_err *err)
{
	struct pk_image *img = calloc(1, sizeof(*img));
	struct deps_root root = { .fd = -1 };
	struct deb_dpkg *db = NULL;
	int rc;

	*out = NULL;
	if (!img)
		return dt_oom(err);
	img->spec = spec;
	img->epoch = o->epoch;
	img->hashes = o->hashes;
	img->md5_stated = o->md5_stated;
	if (!(img->roots[img->nroots++] = strdup(mf_spec_read_root(spec))) ||
	    (strcmp(spec->root, "/") != 0 && !(img->roots[img->nroots++] = strdup("/")))) {
		rc = dt_oom(err);
		goto out;
	}
	/* What each step adds, then one entry per path. Owners are found once every path is
	 * where it lands (moved through the image's symlinks) with its parents; their
	 * status.d files then need parents of their own. */
	if ((rc = deps_root_open(&root, mf_spec_read_root(spec), err)) < 0 ||
	    (rc = deb_dpkg_open(&root, &db, err)) < 0 ||
	    (rc = pk_plan_skeleton(img, &root, o, err)) < 0 || (rc = pk_plan_closure(img, o, err)) < 0 ||
	    (rc = pk_plan_files(img, err)) < 0 || (rc = pk_plan_packages(img, db, o, err)) < 0 ||
	    (rc = pk_plan_files_closure(img, o, err)) < 0 ||
	    (rc = pk_plan_script_trees(img, o, err)) < 0 ||
	    (rc = pk_plan_dedupe(img, err)) < 0 || (rc = pk_plan_through_symlinks(img, err)) < 0 ||
	    (rc = pk_plan_parents(img, err)) < 0 || (rc = pk_plan_dedupe(img, err)) < 0 ||
	    (rc = pk_plan_image_closure(img, o, err)) < 0 ||
	    (rc = pk_plan_owners(img, &root, db, err)) < 0 ||
	    (rc = pk_plan_dedupe(img, err)) < 0 || (rc = pk_plan_parents(img, err)) < 0)
		goto out;
	pk_plan_bytecode(img); /* on the merged plan: sorted, one entry per path */
	if ((rc = pk_plan_config(img, err)) < 0 || (rc = pk_plan_platform(img, err)) < 0)
		goto out;
	pk_plan_index_parents(img);
	*out = img;
	img = NULL;
out:
	deb_dpkg_free(db);
	deps_root_release(&root);
	pk_image_free(img);
	return rc;
}
