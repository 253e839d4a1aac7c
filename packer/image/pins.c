/* SPDX-License-Identifier: MIT */
/* The .debs behind the plan's host files: each installed package that owns a file the
 * image takes from the root is looked up, at its installed version, in the root's verified
 * apt indexes (debian/apt.h) and pinned in the lock's "installed" list with its size,
 * sha256 and where to fetch it. */
#include "packer/image/planner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cache.h"
#include "common/digest.h"
#include "common/tempfile.h"
#include "debian/apt.h"
#include "debian/dpkg.h"
#include "debian/update.h"
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
	for (size_t i = 0; i < r->nchanged; i++) {
		free(r->changed[i].path);
		free(r->changed[i].package);
	}
	free(r->changed);
	for (size_t i = 0; i < r->nunowned; i++)
		free(r->unowned[i]);
	free(r->unowned);
	dt_strv_release(&r->unindexed);
	dt_strv_release(&r->alternatives);
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

/* The md5sums of each package met, read once. */
struct sums {
	const char **names;
	char **texts;
	size_t n;
};

static int sums_of(struct sums *c, const struct deps_root *root, const struct deb_dpkg_pkg *p,
		   const char **text, struct dt_err *err)
{
	char *t;
	const char **nv;
	char **tv;
	int rc;

	for (size_t i = 0; i < c->n; i++)
		if (c->names[i] == p->name) {
			*text = c->texts[i];
			return 0;
		}
	if ((rc = deb_dpkg_md5sums_read(root, p, &t, err)) < 0)
		return rc;
	if (!(nv = realloc(c->names, (c->n + 1) * sizeof(*nv)))) {
		free(t);
		return dt_oom(err);
	}
	c->names = nv;
	if (!(tv = realloc(c->texts, (c->n + 1) * sizeof(*tv)))) {
		free(t);
		return dt_oom(err);
	}
	c->texts = tv;
	c->names[c->n] = p->name;
	c->texts[c->n++] = t;
	*text = t;
	return 0;
}

/* Files of the plan whose md5 is not the one dpkg recorded for them go to @res. */
static int find_changed(const struct pk_image *img, const struct deps_root *root,
			const struct deb_dpkg *db, struct pk_pin_result *res, struct dt_err *err)
{
	struct sums c = { 0 };
	int rc = 0;

	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const struct deb_dpkg_pkg *p;
		const char *sums = NULL, *path;
		char want[33], got[33];
		int conffile;
		if (e->type != PK_PLAN_REG || !e->pkg || e->root != 0 || !e->has_md5 ||
		    strncmp(e->source, "host:", 5) != 0 || !(p = deb_dpkg_find(db, e->pkg)) ||
		    strcmp(p->version, e->pkg_version) != 0)
			continue;
		path = e->source + 5;
		if ((rc = sums_of(&c, root, p, &sums, err)) < 0 ||
		    deb_dpkg_md5_of(p, sums, path, want, &conffile) != 0)
			continue;
		dt_hex(e->md5, DT_MD5_LEN, got);
		if (strcmp(want, got) != 0) {
			struct pk_pin_changed *v = realloc(res->changed,
							   (res->nchanged + 1) * sizeof(*v));
			if (!v) {
				rc = dt_oom(err);
				break;
			}
			res->changed = v;
			v = &v[res->nchanged++];
			memset(v, 0, sizeof(*v));
			memcpy(v->want, want, sizeof(want));
			memcpy(v->got, got, sizeof(got));
			v->conffile = conffile;
			if (!(v->path = strdup(path)) || !(v->package = strdup(p->name)))
				rc = dt_oom(err);
		}
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.texts[i]);
	free(c.texts);
	free(c.names);
	return rc;
}

/* Pins package @name at @version from @idx, or records it in @res->miss. */
static int pin_one(const struct pk_image *img, struct mf_lock *l,
		   const struct deb_apt_index *idx, const struct deb_dpkg *db, const char *name,
		   const char *version, struct pk_pin_result *res, struct dt_err *err)
{
	const struct deb_apt_pkg *p;

	res->npackages++;
	if ((p = deb_apt_find(idx, name, version, pk_plan_deb_arch(img)))) {
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
		char qual[512];
		const struct deb_dpkg_pkg *inst;
		snprintf(qual, sizeof(qual), "%s:%s", name, p->architecture);
		if (!(inst = deb_dpkg_find(db, qual)))
			inst = deb_dpkg_find(db, name);
		d.status = inst ? inst->stanza : NULL;
		memcpy(d.sha256, p->sha256, sizeof(d.sha256));
		return mf_lock_add_installed(l, &d, err);
	} else {
		struct pk_pin_miss *m = realloc(res->miss, (res->nmiss + 1) * sizeof(*m));
		struct dt_buf offers = { 0 };
		if (!m)
			return dt_oom(err);
		res->miss = m;
		m = &m[res->nmiss];
		memset(m, 0, sizeof(*m));
		deb_apt_offers(idx, name, &offers);
		m->offers = dt_buf_detach(&offers, NULL);
		m->package = strdup(name);
		m->version = strdup(version);
		res->nmiss++;
		if (!m->offers || !m->package || !m->version)
			return dt_oom(err);
	}
	return 0;
}

int pk_spec_index(const struct mf_spec *s, const char *arch, const struct pk_pin_opts *o,
		  struct deb_apt_sources *src, struct deb_apt_index **idx, struct dt_err *err)
{
	char tmpl[4200], cdir[4096];
	struct deb_apt_opts ao = { .arch = arch, .gpgv = o ? o->gpgv : NULL, .lists = "/lists" };
	struct dt_cache cache;
	struct deps_root lroot = { .fd = -1 };
	int rc = 0, h = 0, have_cache = 0;

	for (size_t i = 0; i < s->nrepositories && rc == 0; i++) {
		const struct mf_repository *r = &s->repositories[i];
		char where[4200];
		snprintf(where, sizeof(where), "%s:%d: repositories[%zu]", s->file, r->line, i);
		rc = deb_apt_sources_add(src, r->url, r->suite, (const char *const *)r->components,
					 r->ncomponents, r->keyring, where, err);
	}
	if (rc < 0)
		return rc;
	if (o && o->cache_dir)
		snprintf(cdir, sizeof(cdir), "%s", o->cache_dir);
	else if ((rc = dt_cache_default_dir(cdir, sizeof(cdir), err)) < 0)
		return rc;
	if ((rc = dt_cache_open(&cache, cdir, err)) < 0)
		return rc;
	have_cache = 1;
	snprintf(tmpl, sizeof(tmpl), "%s/distill-lists-XXXXXX", dt_temp_base());
	if (!dt_temp_mkdtemp(tmpl, &h)) {
		rc = dt_err_sys(err, errno, "cannot make a temporary directory for the indexes");
		goto out;
	}
	{
		struct deb_apt_update_opts uo = { .arch = arch, .gpgv = ao.gpgv,
						  .cache = &cache, .fetch = o ? o->fetch : NULL };
		if ((rc = deb_apt_update(tmpl, src, &uo, err)) < 0 ||
		    (rc = deps_root_open(&lroot, tmpl, err)) < 0 ||
		    (rc = deb_apt_index_open(&lroot, src, &ao, idx, err)) < 0)
			goto out;
	}
out:
	deps_root_release(&lroot);
	if (h) {
		dt_temp_remove_tree(AT_FDCWD, tmpl);
		dt_temp_drop(h);
	}
	if (have_cache)
		dt_cache_close(&cache);
	return rc;
}

#define ALT_DIR "/etc/alternatives/"
#define ALT_DB "/var/lib/dpkg/alternatives/"

/* The image's links of /etc/alternatives against update-alternatives' database in the
 * root: each one whose target is not the highest-priority candidate the image holds (a
 * manual choice, or a stale link) goes into @res->alternatives. The image keeps the link
 * as the root has it, so that both builds give the same bytes. */
static int check_alternatives(const struct pk_image *img, const struct deps_root *root,
			      struct pk_pin_result *res, struct dt_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const struct deb_alt_choice *best = NULL;
		struct deb_alternative alt;
		char db[4200], *text = NULL, msg[8400];
		size_t len;
		if (e->type != PK_PLAN_SYMLINK || !e->link ||
		    strncmp(e->path, ALT_DIR, strlen(ALT_DIR)) != 0 ||
		    strchr(e->path + strlen(ALT_DIR), '/'))
			continue;
		snprintf(db, sizeof(db), ALT_DB "%s", e->path + strlen(ALT_DIR));
		if ((rc = deps_root_read(root, db, (size_t)1 << 20, &text, &len, err)) != 0) {
			rc = rc < 0 ? rc : 0; /* no database entry: nothing to compare with */
			continue;
		}
		rc = deb_alternative_parse(db, text, &alt, err);
		free(text);
		if (rc < 0)
			break;
		for (size_t k = 0; k < alt.n; k++)
			if (pk_plan_find_in(img, img->n, alt.v[k].path) &&
			    (!best || alt.v[k].priority > best->priority))
				best = &alt.v[k];
		if (best && strcmp(best->path, e->link) != 0) {
			snprintf(msg, sizeof(msg), "'%s' -> '%s' is %s (update-alternatives' "
				 "priorities give '%s', %ld, among what the image holds): the image "
				 "keeps the machine's link", e->path, e->link,
				 alt.manual ? "this machine's manual choice" : "not its best candidate",
				 best->path, best->priority);
			if (dt_strv_push(&res->alternatives, msg) < 0)
				rc = dt_oom(err);
		}
		deb_alternative_release(&alt);
	}
	return rc;
}

/* A regular file from the host root that is no package's and not the project's: the lock
 * names it as unowned, which the apt indexes are read to tell. */
static int unowned_candidate(const struct pk_plan_entry *e)
{
	return e->type == PK_PLAN_REG && !e->pkg && e->root == 0 &&
	       strncmp(e->source, "host:", 5) == 0 && strncmp(e->source, "host:./", 7) != 0 &&
	       strncmp(e->source, "host:../", 8) != 0;
}

static int unowned_candidates(const struct pk_image *img)
{
	for (size_t i = 0; i < img->n; i++)
		if (unowned_candidate(&img->v[i]))
			return 1;
	return 0;
}

int pk_image_pin_installed(const struct pk_image *img, struct mf_lock *l,
			   const struct pk_pin_opts *o, struct pk_pin_result *res,
			   struct dt_err *err)
{
	struct deps_root root = { .fd = -1 };
	struct deb_apt_sources src = { 0 };
	struct deb_apt_index *idx = NULL;
	struct deb_dpkg *db = NULL;
	struct deb_apt_opts ao = { .arch = pk_plan_deb_arch(img), .gpgv = o ? o->gpgv : NULL,
				   .skip_unfetched = 1 };
	size_t want = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < img->n; i++)
		want += img->v[i].pkg && img->v[i].root == 0 &&
			strncmp(img->v[i].source, "host:", 5) == 0;
	want += img->spec->certificates;
	if ((rc = deps_root_open(&root, img->spec->root, err)) < 0 ||
	    (want && (rc = deb_dpkg_open(&root, &db, err)) < 0) ||
	    (want && (rc = find_changed(img, &root, db, res, err)) < 0) ||
	    (rc = check_alternatives(img, &root, res, err)) < 0)
		goto out;
	if (img->spec->nrepositories) {
		/* the spec's repositories, in place of the root's apt sources */
		if (want)
			rc = pk_spec_index(img->spec, ao.arch, o, &src, &idx, err);
		if (rc < 0)
			goto out;
		res->nsources = src.n;
	} else {
		if ((rc = deb_apt_sources_read(&root, &src, err)) < 0)
			goto out;
		res->nsources = src.n;
		if (src.n == 0) {
			res->no_sources = want > 0;
			goto out; /* nothing to pin from: the lock says so by having no "installed" */
		}
		if (!want && !unowned_candidates(img)) {
			/* nothing to look up: the indexes (tens of MB) are not read */
			l->pinned = 1;
			goto out;
		}
		if ((rc = deb_apt_index_open(&root, &src, &ao, &idx, err)) < 0)
			goto out;
	}
	if (!idx)
		goto out;
	for (size_t i = 0; i < deb_apt_skipped(idx)->n && rc == 0; i++)
		if (dt_strv_push(&res->unindexed, deb_apt_skipped(idx)->v[i]) < 0)
			rc = dt_oom(err);
	l->pinned = 1;
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		char **v;
		if (!unowned_candidate(e))
			continue;
		if (!(v = realloc(res->unowned, (res->nunowned + 1) * sizeof(*v))) ||
		    !(v[res->nunowned] = strdup(e->source + 5))) {
			if (v)
				res->unowned = v;
			rc = dt_oom(err);
			break;
		}
		res->unowned = v;
		res->nunowned++;
	}
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		if (!e->pkg || e->root != 0 || strncmp(e->source, "host:", 5) != 0 ||
		    seen_before(img, i))
			continue;
		rc = pin_one(img, l, idx, db, e->pkg, e->pkg_version, res, err);
	}
	/* the CA bundle is no package's: distill makes it from the certificates of
	 * ca-certificates (as update-ca-certificates does), whose .deb a build from .debs needs */
	if (rc == 0 && img->spec->certificates) {
		const struct deb_dpkg_pkg *ca = deb_dpkg_find(db, "ca-certificates");
		if (ca && !mf_lock_installed(l, ca->name, ca->version))
			rc = pin_one(img, l, idx, db, ca->name, ca->version, res, err);
	}
	if (rc == 0)
		rc = mf_lock_sort(l, err);
out:
	deb_apt_index_free(idx);
	deb_dpkg_free(db);
	deb_apt_sources_release(&src);
	deps_root_release(&root);
	return rc;
}
