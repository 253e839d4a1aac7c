/* SPDX-License-Identifier: MIT */
/* Explains the difference between two images or tarballs, level by level: index, manifest,
 * config field by field, each layer's compression, then entry by entry. Each difference is
 * reported once, at the deepest level that explains it ("usr/bin/app: mtime 1 -> 0", not
 * also the layer digest, the diff_id and the manifest digest it changes). Layers are
 * streamed; memory grows with the number of entries, not with their sizes. */
#ifndef DISTILL_PACKER_DIFF_H
#define DISTILL_PACKER_DIFF_H

#include <stddef.h>

#include "common/err.h"
#include "packer/source.h"

/* Classes of differences that --ignore can hide. */
enum pk_diff_class {
	PK_DIFF_TIMESTAMPS = 1 << 0,  /* entry times, config created, gzip MTIME */
	PK_DIFF_ORDER = 1 << 1,       /* entry positions */
	PK_DIFF_OWNERS = 1 << 2,      /* uid, gid, user and group names */
	PK_DIFF_COMPRESSION = 1 << 3, /* the same tar compressed otherwise */
	PK_DIFF_HISTORY = 1 << 4,     /* config history */
};

/* "timestamps,order" -> mask. @return 0, or -DT_EINPUT naming the unknown class. */
int pk_diff_parse_ignore(const char *list, unsigned *mask, struct dt_err *err);

/* Names of the classes in @mask, comma-separated, into @buf. */
const char *pk_diff_class_names(unsigned mask, char *buf, size_t cap);

struct pk_diff_item {
	char *section;   /* "index", "manifest", "config", "layers", "layer 2", "tarball" */
	char *subject;   /* the field path, entry name or "layer 2" */
	char *field;     /* "mtime", "mode", "content", "position", "+", "-", ... */
	char *what;      /* "mtime 1700000000 -> 0" */
	char *a, *b;     /* the two values as text, NULL where a side has none */
	unsigned classes;
};

struct pk_diff_opts {
	const char *ref_a, *ref_b;   /* --ref: which image of an index (NULL: the only one) */
	unsigned ignore;             /* pk_diff_class mask */
	int skip_index;              /* compare from the manifest down (rebuilds) */
	/* called now and then with a short label, the stored bytes of a layer read so far and
	 * its size (0 when unknown); may be NULL */
	void (*progress)(void *ctx, const char *label, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct pk_diff {
	struct pk_source *a, *b;
	struct pk_diff_item *v;      /* the differences shown, in report order */
	size_t n, cap;
	size_t hidden;               /* differences hidden by the ignore mask */
	unsigned hidden_classes;
};

/* Opens @a and @b (see pk_source_open) and compares them into @d (pk_diff_release() it,
 * also after an error). @return 0 (d->n == 0 means identical, up to what is ignored), or
 * a negative code with @err set. */
int pk_diff_run(const char *a, const char *b, const struct pk_diff_opts *o, struct pk_diff *d,
		struct dt_err *err);

void pk_diff_release(struct pk_diff *d);

#endif
