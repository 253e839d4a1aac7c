/* SPDX-License-Identifier: MIT */
/* apt-get update for repositories a spec names (repositories:): their indexes downloaded
 * into a lists tree of distill's own, verified as apt verifies them, for deb_apt_index_open
 * to read as it reads a root's. */
#ifndef DISTILL_DEBIAN_UPDATE_H
#define DISTILL_DEBIAN_UPDATE_H

#include "common/cache.h"
#include "common/err.h"
#include "debian/apt.h"
#include "debian/fetch.h"

struct deb_apt_update_opts {
	const char *arch;                   /* "amd64" */
	const char *gpgv;                   /* as deb_apt_opts */
	struct dt_cache *cache;             /* where the Packages files are fetched through */
	const struct deb_fetch_opts *fetch; /* NULL: deb_fetch's defaults */
};

/* Makes the lists tree in @dir (an empty directory): each source's keyring (its signed_by,
 * a keyring file on this machine, absolute) copied to DIR/keyrings/N and signed_by pointed
 * there; its InRelease downloaded to DIR/lists under apt's list name and verified against
 * that keyring; then each component's Packages for @o->arch (and binary-all where the
 * Release lists it) downloaded through the cache by the size and SHA256 the signed Release
 * gives (the .xz, else .gz, else the plain file; by hash where the Release says
 * Acquire-By-Hash), and put under its list name. Afterwards deb_apt_index_open with a root
 * at @dir and lists "/lists" reads them. Errors name the source (its where) and the URL.
 * @return 0, or a negative code with @err set. */
int deb_apt_update(const char *dir, struct deb_apt_sources *s, const struct deb_apt_update_opts *o,
		   struct dt_err *err);

#endif
