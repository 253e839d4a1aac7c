/* SPDX-License-Identifier: MIT */
/* The merged view of an image: the files a container sees once its layers are applied in
 * order (the last layer's entry for each path; whiteouts, ".wh.NAME" and opaque
 * ".wh..wh..opq", hide what lower layers gave), with the owning Debian package of each file
 * where the image carries /var/lib/dpkg/status.d md5sums. A tarball is one layer. */
#ifndef DISTILL_VERIFY_VIEW_H
#define DISTILL_VERIFY_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "verify/source.h"
#include "verify/stream.h"

struct vf_view_file {
	const char *name;          /* without "./", "/" or a trailing "/" */
	uint32_t type;             /* AE_IFREG, AE_IFDIR, ... */
	uint32_t layer;            /* 0-based */
	uint32_t index;            /* its entry in that layer's stream */
	int hidden;                /* internal to vf_view_merge */
	const char *pkg;           /* the owning package, or NULL */
	const char *version;       /* that package's Version, or NULL */
};

struct vf_view_status;

struct vf_view {
	struct vf_source *src;
	struct vf_stream *layers;   /* one per layer, entries kept */
	struct vf_view_file *files; /* sorted by name */
	size_t nfiles, cap;
	struct vf_view_status *status; /* status.d contents kept while reading */
	size_t nstatus, cap_status, status_bytes;
	struct dt_arena names;      /* names that needed a copy to be normalized */
};

/* The entry of @f, unpacked (vf_stream_entry_at()), with its name normalized as @f's. */
void vf_view_entry(const struct vf_view *v, const struct vf_view_file *f,
		   struct vf_stream_entry *e);

/* Opens @path (vf_source_open; @ref as there), reads every layer and merges them.
 * @return 0 and *@out (vf_view_free() it), or a negative code with @err set. */
int vf_view_open(const char *path, const char *ref, struct vf_view **out, struct dt_err *err);

void vf_view_free(struct vf_view *v);

/* The content of @name ("etc/os-release", "etc/debian_version",
 * "usr/share/doc/PKG/copyright": the files an SBOM reads, kept while the layers stream
 * by, at most 1 MiB each) as a container sees it, NUL-terminated; NULL when the image has
 * none, or it was larger. */
const char *vf_view_kept(const struct vf_view *v, const char *name);

/* The @i-th of the status.d files kept (0 .. v->nstatus): a package's stanza, with *@pkg
 * its name; "" with *@pkg NULL for another file (md5sums, kept files); NULL past the end. */
const char *vf_view_stanza(const struct vf_view *v, size_t i, const char **pkg);

/* The merge alone, for @v->files as read (each with its layer, in any order): sorts them
 * by name and drops what a container does not see, in O(n log n) for n files (whiteouts
 * and replaced directories are looked up, never scanned). @return 0, or -DT_ENOMEM. */
int vf_view_merge(struct vf_view *v, struct dt_err *err);

#endif
