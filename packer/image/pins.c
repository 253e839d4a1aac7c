/* SPDX-License-Identifier: MIT */
/* The .debs behind the plan's host files: each installed package that owns a file the
 * image takes from the root is looked up, at its installed version, in the root's verified
 * apt indexes (debian/apt.h) and pinned in the lock's "installed" list with its size,
 * sha256 and where to fetch it. */
#include "packer/image/plan.h"

#include <stdlib.h>
#include <string.h>

#include "debian/apt.h"
#include "manifest/lock.h"

void pk_pin_result_release(struct pk_pin_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nmiss; i++) {
		free(r->miss[i].package);
		free(r->miss[i].version);
		free(r->miss[i].offers);
	}
	free(r->miss);
	memset(r, 0, sizeof(*r));
}

static int seen_before(const struct pk_image *img, size_t i)
{
	const struct pk_plan_entry *e = &img->v[i];

	for (size_t j = 0; j < i; j++) {
		const struct pk_plan_entry *f = &img->v[j];
		if (f->pkg && f->root == 0 && strncmp(f->source, "host:", 5) == 0 &&
		    strcmp(f->pkg, e->pkg) == 0 && strcmp(f->pkg_version, e->pkg_version) == 0)
			return 1;
	}
	return 0;
}

int pk_image_pin_installed(const struct pk_image *img, struct mf_lock *l,
			   const struct pk_pin_opts *o, struct pk_pin_result *res,
			   struct dt_err *err)
{
	struct deps_root root = { .fd = -1 };
	struct deb_apt_sources src = { 0 };
	struct deb_apt_index *idx = NULL;
	struct deb_apt_opts ao = { .arch = img->arch, .gpgv = o ? o->gpgv : NULL };
	size_t want = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < img->n; i++)
		want += img->v[i].pkg && img->v[i].root == 0 &&
			strncmp(img->v[i].source, "host:", 5) == 0;
	if ((rc = deps_root_open(&root, img->spec->root, err)) < 0 ||
	    (rc = deb_apt_sources_read(&root, &src, err)) < 0)
		goto out;
	res->nsources = src.n;
	if (src.n == 0) {
		res->no_sources = want > 0;
		goto out; /* nothing to pin from: the lock says so by having no "installed" */
	}
	if ((rc = deb_apt_index_open(&root, &src, &ao, &idx, err)) < 0)
		goto out;
	l->pinned = 1;
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const struct deb_apt_pkg *p;
		if (!e->pkg || e->root != 0 || strncmp(e->source, "host:", 5) != 0 ||
		    seen_before(img, i))
			continue;
		res->npackages++;
		if ((p = deb_apt_find(idx, e->pkg, e->pkg_version, img->arch))) {
			char *base = strrchr(p->filename, '/');
			struct mf_lock_deb d = {
				.name = p->name,
				.version = p->version,
				.architecture = p->architecture,
				.file = base ? base + 1 : p->filename,
				.size = p->size,
				.repository = deb_apt_pkg_source(idx, p)->uri,
				.filename = p->filename,
			};
			memcpy(d.sha256, p->sha256, sizeof(d.sha256));
			rc = mf_lock_add_installed(l, &d, err);
		} else {
			struct pk_pin_miss *m = realloc(res->miss, (res->nmiss + 1) * sizeof(*m));
			struct dt_buf offers = { 0 };
			if (!m) {
				rc = dt_oom(err);
				break;
			}
			res->miss = m;
			m = &m[res->nmiss];
			memset(m, 0, sizeof(*m));
			deb_apt_offers(idx, e->pkg, &offers);
			m->offers = dt_buf_detach(&offers, NULL);
			m->package = strdup(e->pkg);
			m->version = strdup(e->pkg_version);
			res->nmiss++;
			if (!m->offers || !m->package || !m->version)
				rc = dt_oom(err);
		}
	}
	if (rc == 0)
		rc = mf_lock_sort(l, err);
out:
	deb_apt_index_free(idx);
	deb_apt_sources_release(&src);
	deps_root_release(&root);
	return rc;
}
