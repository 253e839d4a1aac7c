/* SPDX-License-Identifier: MIT */
/* Where the bytes of an image come from (private to verify/source.c and blob.c): a layout's
 * files, opened beneath it as regular files only; an archive's members, indexed in one pass
 * (names, types, links, data offsets) and then read at their offsets, or streamed from the
 * start when the archive is compressed as a whole; a tarball's whole file. */
#ifndef DISTILL_VERIFY_BLOB_H
#define DISTILL_VERIFY_BLOB_H

#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "verify/source.h"

struct archive;

/* members of an image archive */
#define SRC_MAX_MEMBERS (1u << 22)
/* links followed from one archive member to another */
#define SRC_MAX_HOPS 4

/* One member of an archive, parallel to vf_source.members. */
struct member {
	char *link;          /* symlink or hardlink target, or NULL */
	int hardlink;
	unsigned type;       /* AE_IF* */
	uint64_t size;
	int64_t header_pos;  /* in the uncompressed tar */
	int64_t data_pos;    /* where its content starts; -1 when unknown */
};

/* An archive's file and its member index. */
struct vf_archive {
	int fd;              /* the archive file */
	int seekable;        /* a plain tar fully indexed: members are read at their offset */
	struct member *v;
	size_t *order;       /* member indices sorted by name (the first of equal names
			      * first), for lookups */
};

/* An open blob: a file of a layout or a tarball, a range of an archive file, or a member
 * streamed by libarchive (an archive that is compressed as a whole). */
struct vf_blob {
	int fd, own_fd;
	int ranged;
	uint64_t pos, left;
	struct archive *a;
};

/* Indexes the archive @s->archive: fills s->members and the member index.
 * @return 1 when it holds image members (oci-layout, index.json, blobs/, manifest.json, ...),
 * 0 for a plain tarball, or a negative code with @err set. */
int vf_archive_index(struct vf_source *s, struct dt_err *err);
/* Whether the archive has the member @name. */
int vf_archive_has(const struct vf_source *s, const char *name);
void vf_archive_free(struct vf_archive *x, size_t nmembers);

/* Opens the blob named by @digest (or the member or layout file @member), named @what in
 * messages; one whose size is not @expect (unless @expect < 0) is refused, -DT_EMISMATCH,
 * before it is read. */
int vf_blob_open(const struct vf_source *s, const char *digest, const char *member,
		 int64_t expect, const char *what, struct vf_blob *b, struct dt_err *err);
/* Reads up to @cap bytes: the count, 0 at the end, or a negative code with @err set. */
ssize_t vf_blob_pull(void *ctx, void *buf, size_t cap, struct dt_err *err);
void vf_blob_close(struct vf_blob *b);

/* libarchive's message for @a, or @otherwise. */
const char *vf_la_err(struct archive *a, const char *otherwise);

#endif
