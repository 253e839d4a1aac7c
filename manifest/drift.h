/* SPDX-License-Identifier: MIT */
/* Drift: every difference between a locked and a freshly computed lock, named and worded
 * for the person whose build was refused. */
#ifndef DISTILL_MANIFEST_DRIFT_H
#define DISTILL_MANIFEST_DRIFT_H

#include <stddef.h>

#include "common/err.h"
#include "manifest/lock.h"

/* One difference between the locked and the found state, in words:
 * "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13 (zlib1g 1:1.2.13.dfsg-1): sha256 locked
 *  3f0c...e1, found 9a2b...07". */
struct mf_drift {
	char *path;            /* the image path, deb file or "spec" it is about */
	char *message;
};

struct mf_drift_list {
	struct mf_drift *v;
	size_t n, cap;
};

/* Compares @locked with @found: the spec's sha256, every .deb (version, architecture,
 * sha256), every path (added, removed, type, mode, owner, size, sha256, link, source,
 * package). Both must be sorted. @return 0 (drift in *@out, empty when equal) or -DT_ENOMEM. */
int mf_lock_compare(const struct mf_lock *locked, const struct mf_lock *found,
		    struct mf_drift_list *out, struct dt_err *err);
void mf_drift_list_release(struct mf_drift_list *d);

#endif
