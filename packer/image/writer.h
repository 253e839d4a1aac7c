/* SPDX-License-Identifier: MIT */
/* Internal to the image writers: a plan's layers as trees of the tar engine, the image
 * documents, and the blobs every output format holds, written through a blob sink (the
 * files of an OCI layout, or the temporaries an archive is then written from). */
#ifndef DISTILL_PACKER_IMAGE_WRITER_H
#define DISTILL_PACKER_IMAGE_WRITER_H

#include "common/cache.h"
#include "manifest/oci.h"
#include "packer/archive/tar.h"
#include "packer/archive/tree.h"
#include "packer/image/plan.h"

/* layers.c: the layer of each entry of the plan, as the spec's `layers:` says. two: the
 * base's entries, then the app's. packages: the first layer holds the skeleton, the
 * directories and the packages merged for the budget; then the largest packages (by
 * content, a tar header counted per file) each in a layer of its own, as many as
 * layers.max leaves after the first and the app's, in name order; the app's entries last.
 * A package's files go with it, and so do the status.d files distill writes for it; a hard
 * link goes with the file it names. Deterministic for a given plan. */
struct pk_layering {
	size_t *group;                     /* per plan entry: its layer */
	size_t n;                          /* layers (none empty) */
	char *hist[PK_IMAGE_MAX_LAYERS];   /* each one's history line */
};
int pk_layers_assign(const struct pk_image *img, struct pk_layering *l, struct dt_err *err);
void pk_layering_release(struct pk_layering *l);

/* The tree of layer @layer of @l (or of the whole image when @l is NULL), with the parent
 * directories of its entries as the plan has them. The plan's in-memory content moves into
 * it. */
int pk_write_layer_tree(struct pk_image *img, const struct pk_layering *l, size_t layer,
			struct pk_tree **out, struct dt_err *err);

/* The config and manifest of an image, compact JSON, and the config's digest. */
struct pk_docs {
	char *config, *manifest;
	char config_digest[DT_DIGEST_LEN];
	struct mf_sbom *sbom;          /* gathered before the layers are written, or NULL */
	struct mf_provenance *prov;
};
void pk_docs_release(struct pk_docs *d);

/* Where an image's blobs go. */
struct pk_blob_sink {
	/* Writes layer tree @t as a blob: its digests and sizes into @r. */
	int (*layer)(void *ctx, const struct pk_tree *t, const struct pk_tar_opts *o,
		     struct pk_tar_result *r, struct dt_err *err);
	/* Writes the document @text as a blob named by its digest (into @digest). */
	int (*text)(void *ctx, const char *text, char *digest, struct dt_err *err);
	/* For the layer cache (both NULL: the sink does not use it). reuse: takes as the blob
	 * @digest the @size bytes of @fd (from offset 0; checked by the caller, who keeps
	 * @fd). open: a new descriptor of the layer blob @digest written, to cache it; or -1. */
	int (*reuse)(void *ctx, int fd, const char *digest, uint64_t size, struct dt_err *err);
	int (*open)(void *ctx, const char *digest);
	void *ctx;
};

/* Writes every layer of @img, then its config and manifest, through @sink, filling @res
 * (layers, diff_ids, config, manifest) and @d. */
int pk_write_blobs(struct pk_image *img, const struct pk_build_opts *o,
		   struct pk_build_result *res, const struct pk_blob_sink *sink,
		   struct pk_docs *d, struct dt_err *err);

/* The index.json entries of the image written (its manifest, platform and ref.name), then
 * of its artifacts, into @e (1 + PK_IMAGE_MAX_ARTIFACTS). @return their number. */
size_t pk_write_index_entries(const struct pk_image *img, const struct pk_build_result *res,
			      const struct pk_docs *d, struct mf_oci_index_entry *e);

/* "repository:tag" from the spec name and @tag (NULL: the spec's). */
void pk_image_name(const struct pk_image *img, const char *tag, char *buf, size_t len);

/* layercache.c: the key of a layer, the sha256 of everything its bytes are made from (the
 * writer's format and distill's version, the compression and its level, and each entry of
 * the normalized tree @t: path, type, link, mode, owner, mtime, size, content sha256).
 * @return 1 and @key (hex), 0 when @t has content known only by reading it (not cached),
 * or a negative code. */
int pk_layer_key(const struct pk_tree *t, const struct pk_tar_opts *o, char key[65],
		 struct dt_err *err);
/* The cached layer @key: @return 1 with its digests and sizes in @r and the blob, checked
 * by its digest, open in *@fd (at 0; close it); 0 when there is none, or none that is
 * right (a damaged record or one for other inputs is removed, a corrupt blob too); or a
 * negative code with @err set. */
int pk_layer_cache_get(struct dt_cache *c, const char *key, const struct pk_tar_opts *o,
		       struct pk_tar_result *r, int *fd, struct dt_err *err);
/* Caches the layer @key just written (blob in @fd, digests in @r): the blob first, then the
 * record, so that a record never names a blob not entered. @return 0 or a negative code. */
int pk_layer_cache_put(struct dt_cache *c, const char *key, const struct pk_tar_opts *o,
		       int fd, const struct pk_tar_result *r, struct dt_err *err);

/* sbom.c: the SBOM description of the plan (free with mf_sbom_release). */
int pk_sbom_model(const struct pk_image *img, struct mf_sbom *s, struct dt_err *err);
/* sbom.c: with @o->sbom or @o->provenance, what they need of the plan, into @d, before the
 * layers take the plan's content; then, once the manifest is written, the artifacts
 * through @sink, into @res->artifacts. */
int pk_artifacts_prepare(const struct pk_image *img, const struct pk_build_opts *o,
			 struct pk_docs *d, struct dt_err *err);
int pk_artifacts_write(const struct pk_image *img, const struct pk_build_opts *o,
		       struct pk_build_result *res, const struct pk_blob_sink *sink,
		       struct pk_docs *d, struct dt_err *err);

/* layout.c: the OCI layout (a new one built beside @out and renamed; an existing one gains
 * the image, index.json replaced last, under a lock). */
int pk_write_layout(struct pk_image *img, const char *out, const struct pk_build_opts *o,
		    struct pk_build_result *res, struct dt_err *err);

/* archive.c: oci-archive and docker-archive, written as archives: the layers into
 * anonymous temporaries, then the outer tar straight to a temporary beside @out, renamed. */
int pk_write_archive(struct pk_image *img, const char *out, const struct pk_build_opts *o,
		     struct pk_build_result *res, struct dt_err *err);

#endif
