/* SPDX-License-Identifier: MIT */
/* Writing a planned image (see image.h): the output formats, the layers as trees of the tar
 * engine, the image documents, and the rootfs tarball; the OCI layout is layout.c's, the
 * archives archive.c's. */
#include "packer/image/writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/epoch.h"
#include "common/outfile.h"

int pk_image_format_parse(const char *name, enum pk_image_format *out)
{
	static const char *const names[] = { "oci", "oci-archive", "docker-archive", "rootfs" };

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum pk_image_format)i;
			return 0;
		}
	return -1;
}

const char *pk_image_format_name(enum pk_image_format f)
{
	static const char *const names[] = { "oci", "oci-archive", "docker-archive", "rootfs" };

	return (unsigned)f < 4 ? names[f] : "oci";
}

/* ---- layer trees ---- */

/* Moves entry @e of the plan into @t (its content too: a plan is written once). */
static int tree_put(struct pk_tree *t, struct pk_plan_entry *e, int64_t epoch,
		    struct dt_err *err)
{
	static const enum pk_type types[] = { PK_DIR, PK_REG, PK_SYMLINK, PK_HARDLINK };
	struct pk_entry pe = {
		.path = e->path + 1, .type = types[e->type], .mode = e->mode, .uid = e->uid,
		.gid = e->gid, .mtime = e->has_mtime ? e->mtime : epoch, .size = e->size, .root = -1, .dev = e->dev,
		.ino = e->ino, .nlink = 1, .fixed = 1,
	};
	unsigned char *data = NULL;

	if (e->type == PK_PLAN_SYMLINK)
		pe.link = e->link;
	if (e->type == PK_PLAN_HARDLINK)
		pe.link = e->link + (e->link[0] == '/');
	if (e->type == PK_PLAN_REG) {
		pe.has_sha256 = 1;
		memcpy(pe.sha256, e->sha256, DT_SHA256_LEN);
		if (e->data) {
			data = e->data;
			e->data = NULL;
		} else if (e->size > 0) {
			pe.root = e->root;
			pe.src = e->src;
		}
	}
	return pk_tree_add(t, &pe, data, err);
}

int pk_write_layer_tree(struct pk_image *img, const struct pk_layering *l, size_t layer,
			struct pk_tree **out, struct dt_err *err)
{
	struct pk_tree *t = pk_tree_new();
	struct pk_norm norm = { .epoch = img->epoch, .mtime = PK_MTIME_SET };
	char *added = calloc(img->n + 1, 1);
	int rc = 0;

	*out = NULL;
	if (!t || !added) {
		rc = dt_oom(err);
		goto out;
	}
	for (int i = 0; i < img->nroots; i++)
		if ((rc = pk_tree_add_root(t, img->roots[i], err)) < 0)
			goto out;
	for (size_t i = 0; i < img->n; i++) {
		struct pk_plan_entry *e = &img->v[i];
		if (l && l->group[i] != layer)
			continue;
		if (!added[i]) {
			added[i] = 1;
			if ((rc = tree_put(t, e, img->epoch, err)) < 0)
				goto out;
		}
		/* its parents, as the plan has them, when a lower layer holds them */
		for (size_t j = e->parent; l && j != PK_PLAN_NO_PARENT && !added[j];
		     j = img->v[j].parent) {
			added[j] = 1;
			if ((rc = tree_put(t, &img->v[j], img->epoch, err)) < 0)
				goto out;
		}
	}
	if ((rc = pk_tree_normalize(t, &norm, err)) < 0)
		goto out;
	*out = t;
	t = NULL;
out:
	free(added);
	pk_tree_free(t);
	return rc;
}

/* ---- the image documents ---- */

/* "repository:tag" from the spec name and --tag. */
void pk_image_name(const struct pk_image *img, const char *tag, char *buf, size_t len)
{
	const char *name = img->spec->name, *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');

	if (tag)
		snprintf(buf, len, "%.*s:%s", (int)(colon ? (size_t)(colon - name) : strlen(name)),
			 name, tag);
	else
		snprintf(buf, len, "%s", name);
}

void pk_docs_release(struct pk_docs *d)
{
	free(d->config);
	free(d->manifest);
	d->config = d->manifest = NULL;
	if (d->sbom)
		mf_sbom_release(d->sbom);
	if (d->prov)
		mf_provenance_release(d->prov);
	free(d->sbom);
	free(d->prov);
	d->sbom = NULL;
	d->prov = NULL;
}

static int make_docs(const struct pk_image *img, const struct pk_build_opts *o,
		     const struct pk_build_result *res, const struct pk_layering *lay,
		     struct pk_docs *d, struct dt_err *err)
{
	const struct mf_config *c = &img->spec->config;
	const char *diff_ids[PK_IMAGE_MAX_LAYERS], *hist[PK_IMAGE_MAX_LAYERS];
	struct mf_oci_desc layers[PK_IMAGE_MAX_LAYERS], cfg;
	struct mf_kv *ann = NULL;
	size_t nann = 0;
	char created[32], lock[DT_DIGEST_LEN];
	char k_created[] = MF_OCI_CREATED, k_lock[] = "dev.distill.lock.digest";
	int rc;

	if ((rc = dt_epoch_rfc3339(img->epoch, created, err)) < 0)
		return rc;
	for (size_t i = 0; i < res->nlayers; i++) {
		diff_ids[i] = res->diff_ids[i];
		hist[i] = lay->hist[i];
		layers[i] = (struct mf_oci_desc){
			mf_oci_layer_media_type(o->format == PK_FORMAT_DOCKER_ARCHIVE ? DT_COMP_NONE
										   : o->compression),
			res->layers[i], res->layer_sizes[i] };
	}
	{
		struct mf_oci_config oc = {
			.os = img->os, .arch = img->arch, .variant = img->variant,
			.created = created, .user = img->user, .workdir = c->workdir,
			.stop_signal = c->stop_signal,
			.entrypoint = (const char *const *)c->entrypoint, .nentrypoint = c->nentrypoint,
			.cmd = (const char *const *)c->cmd, .ncmd = c->ncmd,
			.env = (const char *const *)img->env, .nenv = img->nenv,
			.labels = c->labels, .nlabels = c->nlabels,
			.ports = (const char *const *)c->exposed_ports, .nports = c->nexposed_ports,
			.volumes = (const char *const *)c->volumes, .nvolumes = c->nvolumes,
			.diff_ids = diff_ids, .nlayers = res->nlayers, .history = hist,
		};
		if ((rc = mf_oci_config_json(&oc, &d->config, err)) < 0)
			return rc;
	}
	dt_sha256_digest(d->config, strlen(d->config), d->config_digest);
	cfg = (struct mf_oci_desc){ MF_OCI_CONFIG_TYPE, d->config_digest, strlen(d->config) };
	/* The spec's annotations, then distill's (which win). The names are the index's: a
	 * manifest that named itself would change digest with its tag. */
	if (!(ann = calloc(img->spec->nannotations + 2, sizeof(*ann))))
		return dt_oom(err);
	for (size_t i = 0; i < img->spec->nannotations; i++) {
		const char *k = img->spec->annotations[i].key;
		if (strcmp(k, MF_OCI_CREATED) && strcmp(k, MF_OCI_REF_NAME) &&
		    strcmp(k, MF_OCI_IMAGE_NAME) && strcmp(k, "dev.distill.lock.digest"))
			ann[nann++] = img->spec->annotations[i];
	}
	snprintf(lock, sizeof(lock), "%s", o->lock_digest ? o->lock_digest : "");
	ann[nann++] = (struct mf_kv){ k_created, created };
	if (o->lock_digest)
		ann[nann++] = (struct mf_kv){ k_lock, lock };
	rc = mf_oci_manifest_json(&cfg, layers, res->nlayers, ann, nann, &d->manifest, err);
	free(ann);
	return rc;
}

static void cache_warn(const struct pk_build_opts *o, const char *what, const struct dt_err *e)
{
	char msg[1200];

	if (!o->warn)
		return;
	snprintf(msg, sizeof(msg), "layer cache: %s: %s (the build goes on without it)", what,
		 e->msg);
	o->warn(o->warn_ctx, msg);
}

/* Layer @t through @sink: from the cache when it holds it, else written (and cached). The
 * cache's own failures are warnings: the layer is then built, or just not kept. */
static int write_layer(const struct pk_tree *t, const struct pk_build_opts *o,
		       const struct pk_tar_opts *lo, const struct pk_blob_sink *sink,
		       struct pk_tar_result *lr, size_t *cached, struct dt_err *err)
{
	struct dt_err ce = { 0 };
	char key[65];
	int use = o->cache && sink->reuse && sink->open, fd = -1, rc;

	if (use && (rc = pk_layer_key(t, lo, key, err)) <= 0) {
		if (rc < 0)
			return rc;
		use = 0;
	}
	if (use && (rc = pk_layer_cache_get(o->cache, key, lo, lr, &fd, &ce)) != 0) {
		if (rc < 0) {
			cache_warn(o, "cannot read it", &ce);
		} else {
			rc = sink->reuse(sink->ctx, fd, lr->digest, lr->blob_size, err);
			close(fd);
			if (rc == 0)
				(*cached)++;
			return rc;
		}
	}
	if ((rc = sink->layer(sink->ctx, t, lo, lr, err)) < 0 || !use)
		return rc;
	if ((fd = sink->open(sink->ctx, lr->digest)) < 0 ||
	    pk_layer_cache_put(o->cache, key, lo, fd, lr, &ce) < 0) {
		if (fd < 0)
			dt_err_sys(&ce, errno, "cannot open the layer %s", lr->digest);
		cache_warn(o, "cannot keep a layer", &ce);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int pk_write_blobs(struct pk_image *img, const struct pk_build_opts *o,
		   struct pk_build_result *res, const struct pk_blob_sink *sink,
		   struct pk_docs *d, struct dt_err *err)
{
	struct pk_tar_opts lo = { .compression = o->compression, .level = o->level,
				  .progress = o->progress, .progress_ctx = o->progress_ctx };
	struct pk_layering lay;
	int rc;

	if (o->format == PK_FORMAT_DOCKER_ARCHIVE) {
		lo.compression = DT_COMP_NONE;
		lo.level = 0;
	}
	res->nlayers = 0;
	res->nartifacts = 0;
	if ((rc = pk_artifacts_prepare(img, o, d, err)) < 0 ||
	    (rc = pk_layers_assign(img, &lay, err)) < 0)
		return rc;
	for (size_t l = 0; l < lay.n; l++) {
		struct pk_tar_result lr;
		struct pk_tree *t = NULL;
		if ((rc = pk_write_layer_tree(img, &lay, l, &t, err)) < 0)
			goto out;
		rc = write_layer(t, o, &lo, sink, &lr, &res->layers_cached, err);
		pk_tree_free(t);
		if (rc < 0)
			goto out;
		memcpy(res->layers[res->nlayers], lr.digest, DT_DIGEST_LEN);
		memcpy(res->diff_ids[res->nlayers], lr.diff_id, DT_DIGEST_LEN);
		res->layer_sizes[res->nlayers++] = lr.blob_size;
	}
	if ((rc = make_docs(img, o, res, &lay, d, err)) < 0 ||
	    (rc = sink->text(sink->ctx, d->config, res->config, err)) < 0 ||
	    (rc = sink->text(sink->ctx, d->manifest, res->manifest, err)) < 0)
		goto out;
	rc = pk_artifacts_write(img, o, res, sink, d, err);
out:
	pk_layering_release(&lay);
	return rc;
}

size_t pk_write_index_entries(const struct pk_image *img, const struct pk_build_result *res,
			      const struct pk_docs *d, struct mf_oci_index_entry *e)
{
	e[0] = (struct mf_oci_index_entry){
		.desc = { MF_OCI_MANIFEST_TYPE, res->manifest, strlen(d->manifest) },
		.os = img->os, .arch = img->arch, .variant = img->variant,
		.ref_name = mf_oci_name_tag(res->name), .image_name = res->full_name,
	};
	for (size_t i = 0; i < res->nartifacts; i++)
		e[1 + i] = (struct mf_oci_index_entry){
			.desc = { MF_OCI_MANIFEST_TYPE, res->artifacts[i].digest,
				  res->artifacts[i].size },
			.artifact_type = res->artifacts[i].type, .subject = res->manifest,
		};
	return 1 + res->nartifacts;
}

/* ---- rootfs ---- */

static int write_rootfs(struct pk_image *img, const char *out, const struct pk_build_opts *o,
			struct pk_build_result *res, struct dt_err *err)
{
	struct pk_tar_opts lo = { .compression = o->compression, .level = o->level,
				  .progress = o->progress, .progress_ctx = o->progress_ctx };
	struct dt_outfile of = { .fd = -1 };
	struct pk_tar_result lr;
	struct pk_tree *t = NULL;
	int rc;

	if ((rc = pk_write_layer_tree(img, NULL, 0, &t, err)) < 0 ||
	    (rc = dt_outfile_open(&of, out, err)) < 0 ||
	    (rc = pk_tar_write(t, of.fd, out, &lo, &lr, err)) < 0 ||
	    (rc = dt_outfile_commit(&of, err)) < 0)
		goto out;
	memcpy(res->output, lr.digest, DT_DIGEST_LEN);
	memcpy(res->diff_ids[0], lr.diff_id, DT_DIGEST_LEN);
	memcpy(res->layers[0], lr.digest, DT_DIGEST_LEN);
	res->layer_sizes[0] = lr.blob_size;
	res->nlayers = 1;
out:
	dt_outfile_release(&of);
	pk_tree_free(t);
	return rc;
}

int pk_image_write(struct pk_image *img, const char *out, const struct pk_build_opts *o,
		   struct pk_build_result *res, struct dt_err *err)
{
	memset(res, 0, sizeof(*res));
	pk_image_name(img, o->tag, res->name, sizeof(res->name));
	if (mf_oci_full_name(res->name, res->full_name, sizeof(res->full_name)) < 0)
		return dt_err_set(err, DT_EINPUT, "the image name '%s' is too long", res->name);
	switch (o->format) {
	case PK_FORMAT_OCI:
		return pk_write_layout(img, out, o, res, err);
	case PK_FORMAT_OCI_ARCHIVE:
	case PK_FORMAT_DOCKER_ARCHIVE:
		return pk_write_archive(img, out, o, res, err);
	case PK_FORMAT_ROOTFS:
		return write_rootfs(img, out, o, res, err);
	}
	return dt_err_set(err, DT_EINPUT, "unknown output format");
}
