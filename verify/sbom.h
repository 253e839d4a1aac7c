/* SPDX-License-Identifier: MIT */
/* The SBOM description of any image, from what it carries: its status.d stanzas (the
 * packages: name, version, architecture, Maintainer), the owners status.d's md5sums give
 * its files, each regular file's sha256 as the layers give it, its /etc/os-release and
 * /etc/debian_version (the OS), and the machine-readable usr/share/doc/PKG/copyright it
 * holds (licenses). What only a plan knows is left out: which library a file needs (no
 * DEPENDS_ON), a license whose copyright file the image does not hold (NOASSERTION). */
#ifndef DISTILL_VERIFY_SBOM_H
#define DISTILL_VERIFY_SBOM_H

#include <stdint.h>

#include "common/err.h"
#include "manifest/sbom.h"
#include "verify/view.h"

/* Fills @s (mf_sbom_release() it) from the image @v, with the time @epoch. The image's
 * name is its index entry's io.containerd.image.name as docker shows it, else its ref.name,
 * else its path. @return 0, or a negative code with @err set. */
int vf_sbom_model(const struct vf_view *v, int64_t epoch, struct mf_sbom *s, struct dt_err *err);

#endif
