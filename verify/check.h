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

struct vf_check_problem {
	char *file;     /* the image path of the ELF that cannot start ("/usr/bin/x") */
	char *need;     /* what it needs ("libcurl-gnutls.so.4", or the interpreter's path) */
	char *why;      /* "not in the image" */
};

struct vf_check {
	size_t nelf;                   /* ELF files and scripts checked */
	struct vf_check_problem *v;    /* sorted by file, then need */
	size_t n, cap;
	size_t allowed;                /* problems an exception allowed (not in v) */
};

struct vf_check_opts {
	const char *ref;               /* which image of an index, or NULL */
	/* "FILE" or "FILE: NEED" patterns (fnmatch) of problems that are allowed */
	const char *const *allow;
	size_t nallow;
	const char *tmpdir;            /* where to unpack (NULL: $TMPDIR, else /tmp) */
};

/* Checks the image at @path (an OCI layout, OCI archive, docker-archive or tarball) into
 * @out (vf_check_release() it, also after an error). @return 0 (out->n == 0: every ELF can
 * start), or a negative code with @err set (the image cannot be read). */
int vf_check_image(const char *path, const struct vf_check_opts *o, struct vf_check *out,
		   struct dt_err *err);

void vf_check_release(struct vf_check *c);

#endif
