/* SPDX-License-Identifier: MIT */
/* `distill verify`'s work: rebuild an image N times, each in a fresh `distill build` process
 * under other conditions (umask, TZ, locale, environment, working directory, output path,
 * temporary directory), compare every digest, and optionally compare the first rebuild
 * with a published image, from the manifest down. */
#ifndef DISTILL_VERIFY_REBUILD_H
#define DISTILL_VERIFY_REBUILD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "verify/diff.h"

/* The conditions of one run. */
struct vf_variation {
	mode_t umask;
	const char *tz, *locale, *subdir;
};

struct vf_run {
	char dir[PATH_MAX + 32];   /* its directory, and its working directory */
	char tmp[PATH_MAX + 32];   /* its TMPDIR: its own, where trees of placeholders are
				    * cheap (dt_temp_tree_base) */
	char out[PATH_MAX + 128];  /* the image it builds (an OCI layout) */
	const struct vf_variation *v;
	int status;                /* exit status of the build (128 + signal), or -1 */
	char *manifest;            /* its manifest digest, once read */
};

struct vf_rebuild_opts {
	const char *exe;              /* the distill binary that builds */
	const char *spec;             /* absolute paths */
	const char *lock;             /* NULL: beside the spec */
	int no_lock;
	const char *debs;             /* or NULL */
	int from_debs;                /* --inputs debs to every build */
	const char *cache;            /* --cache DIR to every build, or NULL */
	const char *compression;      /* as `distill build` takes it; NULL: gzip, or @against's */
	const char *level;            /* or NULL */
	int64_t epoch;
	size_t runs;                  /* 1 to 64 */
	size_t jobs;                  /* builds at once (0: 1; at most 64) */
	const char *against, *ref;    /* the published image to compare with, or NULL */
	const char *keep;             /* keep the runs in this directory; NULL: a temporary one,
				       * removed by vf_rebuild_release */
	/* called before each build starts; may be NULL */
	void (*started)(void *ctx, size_t k, const struct vf_run *run);
	void *ctx;
};

struct vf_rebuild {
	struct vf_run *runs;
	size_t nruns;                 /* those compared (or the first that failed) */
	int failed;                   /* a build failed: runs[nruns - 1] */
	int differs;                  /* a difference, in @d */
	size_t diff_run;              /* which run differs from run 1 (0: @against differs) */
	struct vf_diff d;
	char base[PATH_MAX];          /* where the runs are */
	char tbase[PATH_MAX];         /* where their TMPDIRs are (always removed) */
	int keep, temp, ttemp;
};

/* Runs the builds and the comparisons. @return 0 with the outcome in @r (failed, differs),
 * or a negative code with @err set when the check itself could not be made (a directory,
 * an image that cannot be read). vf_rebuild_release() @r either way. */
int vf_rebuild_run(const struct vf_rebuild_opts *o, struct vf_rebuild *r, struct dt_err *err);

/* Frees @r and removes the runs unless they are kept. */
void vf_rebuild_release(struct vf_rebuild *r);

/* "run K (umask 077, TZ=..., LC_ALL=..., cwd DIR)" into @buf. */
void vf_rebuild_describe(const struct vf_run *run, size_t k, char *buf, size_t len);

/* The layer compression of a published image ("gzip", "zstd" or "none"), or NULL with @err
 * set (not an image). */
const char *vf_image_compression(const char *image, const char *ref, struct dt_err *err);

#endif
