/* SPDX-License-Identifier: MIT */
/* Images and tarballs read back for comparison and inspection: an OCI layout directory, an
 * OCI archive, a docker-archive or a plain tarball (.tar, .tar.gz, .tar.zst), told apart by
 * their contents. Documents (index, manifest, config) are parsed; layers are streamed.
 * Nothing read is trusted: a layout's files are opened beneath it as regular files (no
 * symlink, FIFO or device), every blob's size is checked against its descriptor before it
 * is read and its digest after (documents and layers, and each layer's diff_id), and an
 * archive is indexed in one pass, its members then read at their offsets. */
#ifndef DISTILL_VERIFY_SOURCE_H
#define DISTILL_VERIFY_SOURCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/digest.h"
#include "common/err.h"
#include "verify/stream.h"

enum vf_source_kind {
	VF_SOURCE_LAYOUT,
	VF_SOURCE_OCI_ARCHIVE,
	VF_SOURCE_DOCKER_ARCHIVE,
	VF_SOURCE_TARBALL,
};

struct vf_source_layer {
	char *digest;        /* as the manifest names it; NULL in a docker-archive or tarball */
	uint64_t size;       /* as the manifest gives it (has_size), else 0 */
	int has_size;
	char *media_type;    /* NULL when not given */
	char *diff_id;       /* the config's rootfs.diff_ids entry, or NULL */
	char *member;        /* docker-archive: the layer's path in the archive */
};

struct vf_source {
	enum vf_source_kind kind;
	char *path;
	char *ref;                  /* the chosen image's name: io.containerd.image.name as
	                             * docker shows it, else ref.name (OCI), or RepoTag; or
	                             * NULL */
	json_t *index;              /* OCI: index.json */
	json_t *desc;               /* OCI: the chosen manifest's descriptor (in @index) */
	json_t *manifest;           /* OCI: the image manifest */
	char *manifest_digest;      /* OCI: as the index names it */
	json_t *config;             /* images: the config document */
	char *config_digest;        /* its sha256 digest, computed */
	json_t *docker;             /* docker-archive: its manifest.json entry */
	struct vf_source_layer *layers;
	size_t nlayers;
	/* archives: member names (without "./"), in archive order */
	char **members;
	size_t nmembers;
	int dirfd;                  /* a layout: the directory; else -1 */
	struct vf_archive *archive; /* an archive: its file and member index (private) */
};

/* Opens @path and reads its documents. @ref picks one image when an index or a
 * docker-archive holds several (by ref.name, by io.containerd.image.name as written or as
 * docker completes @ref, or by RepoTag); NULL takes the only one.
 * @return 0, or a negative code with @err naming @path. */
int vf_source_open(const char *path, const char *ref, struct vf_source **out,
		   struct dt_err *err);

void vf_source_free(struct vf_source *s);

/* Hashes the stored bytes of layer @i (sha256 to @digest, their count to @size) without
 * reading them as a tar. @return 0, or a negative code with @err set. */
int vf_source_blob_hash(const struct vf_source *s, size_t i, char digest[DT_DIGEST_LEN],
			uint64_t *size, struct dt_err *err);

/* When stored bytes of @size hashing to @digest are not layer @i's (its descriptor's size or
 * digest), writes why to @buf ("blob sha256:ab.. has sha256:cd.. (12 bytes, its descriptor
 * says ...)") and @return 1; else 0. */
int vf_source_layer_mismatch(const struct vf_source *s, size_t i, const char *digest,
			     uint64_t size, char *buf, size_t cap);

/* An OCI 1.1 artifact of the index whose subject is the chosen image (an SBOM, ...). */
struct vf_artifact {
	char *type;          /* artifactType */
	char *digest;        /* its manifest */
	char *blob;          /* its (first) layer: the document */
	char *media_type;    /* that layer's */
	int64_t blob_size;   /* as its descriptor says, or -1 */
};

/* The artifacts about the chosen image, in index order: each listed manifest with an
 * artifactType is read (its digest checked) and kept when its subject is the image.
 * @return 0 and *@out (vf_artifacts_free() it), or a negative code with @err set. */
int vf_source_artifacts(const struct vf_source *s, struct vf_artifact **out, size_t *n,
			struct dt_err *err);
void vf_artifacts_free(struct vf_artifact *v, size_t n);

/* The document of @a, its size and digest checked (at most 16 MiB). @return 0 and *@text
 * (NUL-terminated, free() it), or a negative code with @err set. */
int vf_source_artifact_read(const struct vf_source *s, const struct vf_artifact *a, char **text,
			    size_t *len, struct dt_err *err);

/* "OCI layout", "OCI archive", "docker-archive", "tarball" */
const char *vf_source_kind_name(enum vf_source_kind k);

/* Streams layer @i (the whole file, for a tarball) through vf_stream_read(), then checks
 * what was read against the layer's descriptor (size before reading, digest after) and the
 * config's diff_id. A blob that is not its descriptor's is -DT_EMISMATCH naming the layer
 * and both values ("layer 2: blob sha256:ab.. has sha256:cd.. (12 bytes, its descriptor
 * says 61.5 MiB (..))"), also when it is unreadable besides. @o->unchecked leaves all of it
 * to the caller (diff compares and reports them itself).
 * @return 0, or a negative code with @err set; vf_stream_release() @out either way. */
int vf_source_read(const struct vf_source *s, size_t i, const struct vf_stream_opts *o,
		   struct vf_stream *out, struct dt_err *err);


#endif
