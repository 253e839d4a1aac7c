/* SPDX-License-Identifier: MIT */
/* Explains the difference between two images or tarballs, level by level: index, manifest,
 * config field by field, each layer's compression, then entry by entry. Each difference is
 * reported once, at the deepest level that explains it ("usr/bin/app: mtime 1 -> 0", not
 * also the layer digest, the diff_id and the manifest digest it changes). Layers are
 * streamed; memory grows with the number of entries, not with their sizes. */
#ifndef DISTILL_VERIFY_DIFF_H
#define DISTILL_VERIFY_DIFF_H

#include <stddef.h>

#include "common/err.h"
#include "common/report.h"
#include "verify/source.h"

/* Classes of differences that --ignore can hide. */
enum vf_diff_class {
	VF_DIFF_TIMESTAMPS = 1 << 0,  /* entry times, config created, gzip MTIME */
	VF_DIFF_ORDER = 1 << 1,       /* entry positions */
	VF_DIFF_OWNERS = 1 << 2,      /* uid, gid, user and group names */
	VF_DIFF_COMPRESSION = 1 << 3, /* the same tar compressed otherwise */
	VF_DIFF_HISTORY = 1 << 4,     /* config history */
};

/* "timestamps,order" -> mask. @return 0, or -DT_EINPUT naming the unknown class. */
int vf_diff_parse_ignore(const char *list, unsigned *mask, struct dt_err *err);

/* Names of the classes in @mask, comma-separated, into @buf. */
const char *vf_diff_class_names(unsigned mask, char *buf, size_t cap);

struct vf_diff_item {
	char *section;   /* "index", "manifest", "config", "layers", "layer 2", "tarball" */
	char *subject;   /* the field path, entry name or "layer 2" */
	char *field;     /* "mtime", "mode", "content", "position", "+", "-", ... */
	char *what;      /* "mtime 1700000000 -> 0" */
	char *a, *b;     /* the two values as text, NULL where a side has none */
	unsigned classes;
};

struct vf_diff_opts {
	const char *ref_a, *ref_b;   /* --ref: which image of an index (NULL: the only one) */
	unsigned ignore;             /* vf_diff_class mask */
	int skip_index;              /* compare from the manifest down (rebuilds) */
	/* called now and then with the layer's label, the stored bytes of it read so far and
	 * its size (0 when unknown); may be NULL */
	dt_progress_fn progress;
	void *progress_ctx;
};

/* Differences kept in detail; those past it are only counted (vf_diff.more). */
#define VF_DIFF_MAX_SHOWN 100000

struct vf_diff {
	struct vf_source *a, *b;
	struct vf_diff_item *v;      /* the differences shown, in report order */
	size_t n, cap;
	size_t more;                 /* differences past VF_DIFF_MAX_SHOWN, counted only */
	size_t hidden;               /* differences hidden by the ignore mask */
	unsigned hidden_classes;
};

/* Opens @a and @b (see vf_source_open) and compares them into @d (vf_diff_release() it,
 * also after an error). @return 0 (d->n == 0 means identical, up to what is ignored), or
 * a negative code with @err set. Its memory grows with the entries of the layer pair being
 * compared (packed, see stream.h) and with at most VF_DIFF_MAX_SHOWN differences. */
int vf_diff_run(const char *a, const char *b, const struct vf_diff_opts *o, struct vf_diff *d,
		struct dt_err *err);

void vf_diff_release(struct vf_diff *d);

#endif
