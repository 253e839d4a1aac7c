/* SPDX-License-Identifier: MIT */
/* The .debs that packages: takes from apt repositories (image.h, pk_offers_*): found in the
 * repositories' indexes and downloaded into the cache when the lock is made, read back
 * from the cache by what the lock pins when the image is built. */
#include "packer/image/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cache.h"
#include "debian/apt.h"
#include "debian/fetch.h"
#include "debian/relation.h"
#include "deps/root.h"

struct pk_offers {
	/* lock time */
	const struct mf_spec *spec;
	struct pk_pin_opts o;
	struct deb_apt_sources src;
	struct deb_apt_index *idx;
	char arch[64];
	int opened;
	/* build time */
	const struct mf_lock *lock;
	const char *spec_file;
	/* both */
	struct dt_cache cache;
	int have_cache;
};

static int open_cache(struct pk_offers *of, const char *dir, struct dt_err *err)
{
	char cdir[4096];
	int rc;

	if (dir)
		snprintf(cdir, sizeof(cdir), "%s", dir);
	else if ((rc = dt_cache_default_dir(cdir, sizeof(cdir), err)) < 0)
		return rc;
	if ((rc = dt_cache_open(&of->cache, cdir, err)) < 0)
		return rc;
	of->have_cache = 1;
	return 0;
}

int pk_offers_repos(const struct mf_spec *spec, const struct pk_pin_opts *o,
		    struct pk_offers **out, struct dt_err *err)
{
	struct pk_offers *of = calloc(1, sizeof(*of));

	*out = NULL;
	if (!of)
		return dt_oom(err);
	of->spec = spec;
	if (o)
		of->o = *o;
	*out = of;
	return 0;
}

int pk_offers_lock(const struct mf_lock *lock, const char *cache_dir, const char *spec_file,
		   struct pk_offers **out, struct dt_err *err)
{
	struct pk_offers *of = calloc(1, sizeof(*of));
	int rc;

	*out = NULL;
	if (!of)
		return dt_oom(err);
	of->lock = lock;
	of->spec_file = spec_file;
	for (size_t i = 0; i < lock->ndebs; i++)
		if (lock->debs[i].repository && !of->have_cache &&
		    (rc = open_cache(of, cache_dir, err)) < 0) {
			free(of);
			return rc;
		}
	*out = of;
	return 0;
}

void pk_offers_free(struct pk_offers *of)
{
	if (!of)
		return;
	deb_apt_index_free(of->idx);
	deb_apt_sources_release(&of->src);
	if (of->have_cache)
		dt_cache_close(&of->cache);
	free(of);
}

/* The repositories' index for @arch, opened on the first offer asked for. */
static int open_index(struct pk_offers *of, const char *arch, struct dt_err *err)
{
	const struct mf_spec *s = of->spec;
	struct deps_root root = { .fd = -1 };
	struct deb_apt_opts ao = { .arch = arch, .gpgv = of->o.gpgv, .skip_unfetched = 1 };
	int rc;

	of->opened = 1;
	snprintf(of->arch, sizeof(of->arch), "%s", arch);
	if ((rc = open_cache(of, of->o.cache_dir, err)) < 0)
		return rc;
	if (s->nrepositories)
		return pk_spec_index(s, arch, &of->o, &of->src, &of->idx, err);
	if ((rc = deps_root_open(&root, s->root, err)) < 0)
		return rc;
	if ((rc = deb_apt_sources_read(&root, &of->src, err)) == 0 && of->src.n)
		rc = deb_apt_index_open(&root, &of->src, &ao, &of->idx, err);
	deps_root_release(&root);
	return rc;
}

static int fill(struct pk_offer *out, const char *path, const char *file, const char *repo,
		const char *filename, struct dt_err *err)
{
	if (!(out->path = strdup(path)) || !(out->file = strdup(file)) ||
	    !(out->repository = strdup(repo)) || !(out->filename = strdup(filename))) {
		pk_offer_release(out);
		return dt_oom(err);
	}
	return 1;
}

/* Lock time: the index's best, downloaded into the cache. */
static int from_repos(struct pk_offers *of, const char *name, int op, const char *version,
		      const char *arch, struct pk_offer *out, struct dt_err *err)
{
	const struct deb_apt_pkg *p;
	const struct deb_apt_source *src;
	struct deb_fetch_item it = { 0 };
	char what[512], blob[4200], *url = NULL;
	const char *base;
	int rc;

	if (!of->opened && (rc = open_index(of, arch, err)) < 0)
		return rc;
	if (strcmp(of->arch, arch) != 0)
		return dt_err_set(err, DT_EINPUT, "packages: %s for %s, in an image for %s", name,
				  arch, of->arch);
	if (!of->idx)
		return 0;
	if (!(p = deb_apt_best(of->idx, name, op, version, arch))) {
		struct dt_buf b = { 0 };
		deb_apt_offers(of->idx, name, &b);
		if (b.oom)
			return dt_oom(err);
		if (b.s && strcmp(b.s, "nothing") != 0)
			out->offered = b.s;
		else
			dt_buf_release(&b);
		return 0;
	}
	src = deb_apt_pkg_source(of->idx, p);
	base = strrchr(p->filename, '/') ? strrchr(p->filename, '/') + 1 : p->filename;
	if (asprintf(&url, "%s/%s", src->uri, p->filename) < 0)
		return dt_oom(err);
	snprintf(what, sizeof(what), "%s %s %s", p->name, p->version, p->architecture);
	it.name = what;
	it.url = url;
	it.file = base;
	it.size = p->size;
	it.pinned_by = "the signed Packages index";
	memcpy(it.sha256, p->sha256, sizeof(it.sha256));
	rc = deb_fetch(&of->cache, &it, 1, of->o.fetch, err);
	free(url);
	if (rc == 1) {
		*err = it.err;
		return -(err->code ? err->code : DT_EINPUT);
	}
	if (rc < 0)
		return rc;
	dt_cache_blob_path(&of->cache, p->sha256, blob, sizeof(blob));
	return fill(out, blob, base, src->uri, p->filename, err);
}

/* Build time: the lock's pin, from the cache. */
static int from_lock(struct pk_offers *of, const char *name, int op, const char *version,
		     const char *arch, struct pk_offer *out, struct dt_err *err)
{
	const struct mf_lock_deb *best = NULL;
	char blob[4200];
	int corrupt = 0, rc;

	for (size_t i = 0; i < of->lock->ndebs; i++) {
		const struct mf_lock_deb *d = &of->lock->debs[i];
		if (!d->repository || strcmp(d->name, name) != 0 ||
		    (strcmp(d->architecture, arch) != 0 && strcmp(d->architecture, "all") != 0) ||
		    !deb_rel_holds((enum deb_rel_op)op, version, d->version))
			continue;
		if (!best || deb_version_cmp(d->version, best->version) > 0)
			best = d;
	}
	if (!best)
		return 0;
	if ((rc = dt_cache_check(&of->cache, best->sha256, best->size, &corrupt, err)) < 0)
		return rc;
	if (rc == 0)
		return dt_err_set(err, DT_EINPUT, "packages: %s %s %s, which the lock pins from %s, "
				  "is not in the cache '%s'%s: run distill fetch --cache '%s' %s",
				  best->name, best->version, best->architecture, best->repository,
				  of->cache.dir, corrupt ? " (its entry was not that .deb: removed)"
				  : "", of->cache.dir, of->spec_file ? of->spec_file : "SPEC");
	dt_cache_blob_path(&of->cache, best->sha256, blob, sizeof(blob));
	return fill(out, blob, best->file, best->repository, best->filename, err);
}

int pk_offer(void *ctx, const char *name, int op, const char *version, const char *arch,
	     struct pk_offer *out, struct dt_err *err)
{
	struct pk_offers *of = ctx;

	memset(out, 0, sizeof(*out));
	return of->lock ? from_lock(of, name, op, version, arch, out, err)
			: from_repos(of, name, op, version, arch, out, err);
}
