/* SPDX-License-Identifier: MIT */
/* The start-up check of an image: every ELF file a container would see (the merged view of
 * the layers) must be able to start there. Its interpreter (PT_INTERP) must exist and every
 * DT_NEEDED must resolve inside the image as ld.so would resolve it there (RPATH/RUNPATH
 * with $ORIGIN, the image's own ld.so.cache or ld.so.conf, the default directories; a
 * library of another class or machine is passed over, as ld.so does), nothing taken from the
 * machine that checks. The ELF files, symlinks and loader configuration of the view are
 * unpacked into a temporary directory (other files as empty placeholders, so nothing but
 * ELF content is written), and each ELF is resolved with deps/ inside it. */
#ifndef DISTILL_VERIFY_CHECK_H
#define DISTILL_VERIFY_CHECK_H

#include <stddef.h>

#include "common/err.h"
#include "deps/check.h"

struct vf_check_opts {
	const char *ref;               /* which image of an index, or NULL */
	const char *tmpdir;            /* where to unpack (NULL: $TMPDIR, else /tmp) */
	unsigned flags;                /* DEPS_CHECK_* */
};

/* Checks the image at @path (an OCI layout, OCI archive, docker-archive or tarball) into
 * @out as deps_check() does (deps_check_release() it, also after an error; exceptions are
 * the caller's, with deps_check_allow()). @return 0 (out->n == 0: every ELF can start), or a
 * negative code with @err set (the image cannot be read). */
int vf_check_image(const char *path, const struct vf_check_opts *o, struct deps_check *out,
		   struct dt_err *err);

#endif
