/* SPDX-License-Identifier: MIT */
/* The one walker of host directories: every entry below a directory, in a fixed order (each
 * directory's names sorted bytewise, parents before children), by descriptor and without
 * following symlinks, however deep the tree (a bounded number of descriptors stays open).
 * `distill tar` fills its tree from it; the image builder its plan. */
#ifndef DISTILL_PACKER_ARCHIVE_SCAN_H
#define DISTILL_PACKER_ARCHIVE_SCAN_H

#include <stddef.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/report.h"

/* One entry met, valid during the call only. */
struct pk_scan_item {
	int dirfd;             /* the directory holding it */
	const char *name;      /* its name in @dirfd */
	const char *path;      /* the prefix, then its path below the walked directory */
	const char *rel;       /* its path below the walked directory ("sub/x") */
	const struct stat *st; /* lstat of it */
	const char *link;      /* a symlink's target, else NULL */
};

/* Receives each entry: sockets, fifos and devices too, which the visitor packs, skips or
 * refuses. @return 0 to go on (into a directory as well), 1 to skip a directory's subtree,
 * or a negative code with @err set to stop the walk. */
typedef int (*pk_scan_fn)(void *ctx, const struct pk_scan_item *it, struct dt_err *err);

struct pk_scan_opts {
	const char *prefix;              /* "" or "dir/sub/" put before every path */
	const char *const *excludes;     /* fnmatch globs: with a "/" against the relative
					  * path, else against the base name; a matched
					  * directory drops its whole subtree */
	size_t nexcludes;
	int strict;                      /* sockets, fifos, devices: error, not warning */
	dt_warn_fn warn;                 /* receives warnings (skipped entries); may be NULL */
	void *warn_ctx;
};

/* Walks every entry below the directory @dirfd (kept open by the caller), which messages
 * call @shown ("in/sub/x" is "@shown/sub/x"), calling @fn for each not excluded.
 * @return 0, or a negative code with @err naming the path (-DT_ECHANGED for a directory or
 * entry that vanished or moved during the walk), or @fn's. */
int pk_scan(int dirfd, const char *shown, const struct pk_scan_opts *o, pk_scan_fn fn,
	    void *ctx, struct dt_err *err);

/* The message for an entry the visitor does not pack (a socket, fifo or device): a warning
 * through @o->warn, or with @o->strict an error. @return 0, or -DT_EINPUT with @err set. */
int pk_scan_not_packed(const struct pk_scan_opts *o, const char *shown,
		       const struct pk_scan_item *it, struct dt_err *err);

#endif
