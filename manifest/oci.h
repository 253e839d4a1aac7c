/* SPDX-License-Identifier: MIT */
/* The OCI image documents (image-spec v1.1): config, manifest and index, and the
 * docker-archive manifest.json, built from plain values and serialized with the one JSON
 * policy (sorted keys, compact), so their bytes and digests depend only on those values. */
#ifndef DISTILL_MANIFEST_OCI_H
#define DISTILL_MANIFEST_OCI_H

#include <stddef.h>
#include <stdint.h>

#include "common/compression.h"
#include "common/err.h"

#define MF_OCI_INDEX_TYPE "application/vnd.oci.image.index.v1+json"
#define MF_OCI_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define MF_OCI_CONFIG_TYPE "application/vnd.oci.image.config.v1+json"
#define MF_OCI_LAYER_TYPE "application/vnd.oci.image.layer.v1.tar"
#define MF_OCI_REF_NAME "org.opencontainers.image.ref.name"
#define MF_OCI_IMAGE_NAME "io.containerd.image.name"
#define MF_OCI_CREATED "org.opencontainers.image.created"

struct mf_kv;

/* The tag of the image name @name ("repository:tag"): what follows its last ':' after its
 * last '/', or NULL when it has none. */
const char *mf_oci_name_tag(const char *name);

/* The full name docker and containerd give the image name @name ("repository:tag"), as
 * they write it in io.containerd.image.name: a first component with no '.' or ':' that is
 * not "localhost" names a repository of Docker Hub ("docker.io/" before it, and "library/"
 * too when the repository has one component). @return 0, or -1 when @len is too small. */
int mf_oci_full_name(const char *name, char *buf, size_t len);

/* The name as docker shows the full name @full: without "docker.io/", and "library/" after
 * it ("docker.io/library/app:1" is "app:1"). @return a suffix of @full. */
const char *mf_oci_familiar_name(const char *full);

/* The media type of a layer compressed with @c: MF_OCI_LAYER_TYPE, "+gzip" or "+zstd". */
const char *mf_oci_layer_media_type(enum dt_compression c);

/* The compression of a layer media type, OCI's or docker's
 * (application/vnd.docker.image.rootfs.diff.tar.gzip). @return 0 and *@out, or -1 when
 * @media_type is not a layer type distill reads. */
int mf_oci_layer_compression(const char *media_type, enum dt_compression *out);

/* A content descriptor: "sha256:<hex>" and size. */
struct mf_oci_desc {
	const char *media_type;
	const char *digest;
	uint64_t size;
};

struct mf_oci_config {
	const char *os, *arch, *variant;     /* variant may be NULL */
	const char *created;                 /* RFC 3339 */
	const char *user, *workdir, *stop_signal;   /* each may be NULL */
	const char *const *entrypoint; size_t nentrypoint;
	const char *const *cmd; size_t ncmd;
	const char *const *env; size_t nenv; /* "K=V" */
	const struct mf_kv *labels; size_t nlabels;
	const char *const *ports; size_t nports;   /* "8080/tcp" */
	const char *const *volumes; size_t nvolumes;
	const char *const *diff_ids; size_t nlayers;
	const char *const *history;          /* created_by of each layer */
};

/* Each builder returns the compact JSON text in *@out (free() it).
 * @return 0, or a negative code with @err set. */
int mf_oci_config_json(const struct mf_oci_config *c, char **out, struct dt_err *err);

/* @annotations: sorted by the serializer; may be empty. */
int mf_oci_manifest_json(const struct mf_oci_desc *config, const struct mf_oci_desc *layers,
			 size_t nlayers, const struct mf_kv *annotations, size_t nannotations,
			 char **out, struct dt_err *err);

/* One manifest of an index, with its platform and names: the tag as ref.name (as the
 * image-layout spec, skopeo's and umoci's oci: references read it) and the full name as
 * io.containerd.image.name (as docker save and ctr export write it, and ctr import and
 * podman load read it). */
struct mf_oci_index_entry {
	struct mf_oci_desc desc;
	const char *os, *arch, *variant;
	const char *ref_name;                /* may be NULL */
	const char *artifact_type;           /* an artifact (no platform), or NULL */
	const char *subject;                 /* an artifact: its subject's digest, kept as the
					      * annotation MF_OCI_SUBJECT so that replacing the
					      * image drops its artifacts */
	const char *image_name;              /* may be NULL */
};

#define MF_OCI_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define MF_OCI_SUBJECT "dev.distill.subject"

/* An OCI 1.1 artifact manifest: artifactType @type, the empty config ("{}"), the one layer
 * @layer, and @subject (the image manifest it is about). */
int mf_oci_artifact_json(const char *type, const struct mf_oci_desc *layer,
			 const struct mf_oci_desc *subject, char **out, struct dt_err *err);

int mf_oci_index_json(const struct mf_oci_index_entry *v, size_t n, char **out,
		      struct dt_err *err);

/* Adds @add (@nadd entries: the image, then its artifacts) to the existing index.json
 * @old_index (for adding an image to an OCI layout), into *@out (free() it). An image entry
 * is replaced, as skopeo replaces it, when its ref.name is add[0]'s or @drop_ref (the full
 * name an older distill wrote there), or its io.containerd.image.name is add[0]'s; the
 * artifacts whose subject it was go with it; every other entry is kept as it is, the new
 * ones last. @return 0, or -DT_EINPUT naming @name when it is not an OCI index. */
int mf_oci_index_merge(const char *name, const char *old_index, const char *drop_ref,
		       const struct mf_oci_index_entry *add, size_t nadd, char **out,
		       struct dt_err *err);

/* docker-archive manifest.json: [{"Config": ..., "RepoTags": [...], "Layers": [...]}]. */
int mf_docker_manifest_json(const char *config_path, const char *repo_tag,
			    const char *const *layer_paths, size_t nlayers, char **out,
			    struct dt_err *err);

#endif
