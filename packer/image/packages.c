/* SPDX-License-Identifier: MIT */
/* Debian packages in the plan: the spec's packages read out of their .debs (never
 * installed), the owning package of every file, and status.d for each package. */
#include "packer/image/planner.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "debian/deb.h"
#include "debian/relation.h"
#include "debian/status.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct deb_filter {
	const struct mf_package *p;
};

int pk_plan_glob_match(const char *pat, const char *path)
{
	char buf[4200];
	char *slash;

	if (fnmatch(pat, path, FNM_PATHNAME) == 0)
		return 1;
	/* A pattern naming a directory takes its whole subtree. */
	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/')) && slash != buf) {
		*slash = '\0';
		if (fnmatch(pat, buf, FNM_PATHNAME) == 0)
			return 1;
	}
	return 0;
}

static int deb_keep(void *ctx, const char *path)
{
	const struct mf_package *p = ((struct deb_filter *)ctx)->p;
	int keep = p->npaths == 0;

	for (size_t i = 0; !keep && i < p->npaths; i++)
		keep = pk_plan_glob_match(p->paths[i], path);
	for (size_t i = 0; keep && i < p->nexcludes; i++)
		keep = !pk_plan_glob_match(p->excludes[i], path);
	return keep;
}

static int add_deb(struct pk_image *img, struct deb_package *deb, const char *file,
		   const char *repository, const char *filename, const struct mf_package *p,
		   struct dt_err *err)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	struct pk_plan_deb *ld = dt_grow(img->debs, &img->debs_cap, img->ndebs, sizeof(*ld));

	if (!ld)
		return dt_oom(err);
	img->debs = ld;
	ld = &img->debs[img->ndebs++];
	memset(ld, 0, sizeof(*ld));
	if (!(ld->name = strdup(deb->package)) || !(ld->version = strdup(deb->version)) ||
	    !(ld->architecture = strdup(deb->architecture)) || !(ld->file = strdup(base)) ||
	    !(ld->control = strdup(deb->control)) ||
	    (repository && !(ld->repository = strdup(repository))) ||
	    (filename && !(ld->filename = strdup(filename))))
		return dt_oom(err);
	memcpy(ld->sha256, deb->sha256, DT_SHA256_LEN);
	ld->size = deb->file_size;
	for (size_t i = 0; i < deb->nentries; i++) {
		struct deb_member *de = &deb->entries[i];
		static const enum pk_plan_type types[] = { PK_PLAN_DIR, PK_PLAN_REG, PK_PLAN_SYMLINK,
							   PK_PLAN_HARDLINK };
		char source[8400];
		struct pk_plan_entry *e;
		/* With path globs, only the directories they name; parents are added anyway. */
		if (de->type == DEB_DIR && p->npaths && !deb_keep(&(struct deb_filter){ p },
								   de->path))
			continue;
		snprintf(source, sizeof(source), "deb:%s@%s:%s", deb->package, deb->version,
			 de->path);
		if (!(e = pk_plan_push(img, de->path, types[de->type], PK_LAYER_BASE, PK_PRIO_PACKAGE,
					 source)))
			return dt_oom(err);
		e->mode = de->mode & 0777; /* setuid, setgid and sticky bits are dropped */
		e->uid = de->uid;
		e->gid = de->gid;
		if (de->link && !(e->link = strdup(de->link)))
			return dt_oom(err);
		if (!(e->pkg = strdup(deb->package)) || !(e->pkg_version = strdup(deb->version)))
			return dt_oom(err);
		if (de->type == DEB_REG) {
			e->size = de->size;
			e->data = de->data;
			de->data = NULL;
			memcpy(e->sha256, de->sha256, DT_SHA256_LEN);
			e->elf = e->size >= 4 && memcmp(e->data, "\177ELF", 4) == 0;
			e->closure = p->closure;
		}
	}
	return 0;
}

/* ---- the debs directory and the packages' dependencies ---- */

/* A .deb of the directory (or offered from elsewhere): its control fields and relations. */
struct udeb {
	char *path;
	struct pk_offer from;     /* an offered one's file name and origin, else all NULL */
	struct deb_package *ctl;  /* control only */
	int essential;
	struct deb_relations pre, dep, prov;
	int selected;             /* index + 1 in the selection, or 0 */
};

/* A .deb of the directory that could not be read: an error only once something wants
 * its name (a file "<name>_*.deb" when <name> is looked for). */
struct ubad {
	char *name;               /* the file's base name */
	struct dt_err err;
};

/* At most this many .debs are offered from elsewhere (pk_plan_opts.offer) in one plan:
 * room for them is made up front, so that a udeb never moves while it is followed. */
#define MAX_OFFERED 4096

struct universe {
	const char *dir;          /* the debs directory, or NULL (only offered ones) */
	struct udeb *v;
	size_t n, cap;
	const struct pk_plan_opts *o;
	const struct mf_spec *s;
	char offered[1024];       /* what the last offer found of the name, for messages */
	struct ubad *bad;
	size_t nbad;
};

static void universe_release(struct universe *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].path);
		deb_package_free(u->v[i].ctl);
		deb_relations_release(&u->v[i].pre);
		deb_relations_release(&u->v[i].dep);
		deb_relations_release(&u->v[i].prov);
		pk_offer_release(&u->v[i].from);
	}
	free(u->v);
	for (size_t i = 0; i < u->nbad; i++)
		free(u->bad[i].name);
	free(u->bad);
}

/* The error of an unreadable .deb named "<name>_*.deb", or NULL. */
static const struct dt_err *unreadable(const struct universe *u, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < u->nbad; i++)
		if (strncmp(u->bad[i].name, name, l) == 0 && u->bad[i].name[l] == '_')
			return &u->bad[i].err;
	return NULL;
}

static int field_relations(const struct udeb *d, const char *field, struct deb_relations *out,
			   struct dt_err *err)
{
	int oom, rc;
	char *text = deb_field_folded(d->ctl->control, field, &oom);

	memset(out, 0, sizeof(*out));
	if (!text)
		return oom ? dt_oom(err) : 0;
	rc = deb_relations_parse(text, out, err);
	free(text);
	if (rc < 0)
		dt_err_prefix(err, "'%s': %s", d->path, field);
	return rc;
}

/* @x's Essential flag and its Pre-Depends, Depends and Provides, from its control. */
static int udeb_fields(struct udeb *x, struct dt_err *err)
{
	char *ess = deb_field(x->ctl->control, "Essential");
	int rc;

	x->essential = ess && strcmp(ess, "yes") == 0;
	free(ess);
	if ((rc = field_relations(x, "Pre-Depends", &x->pre, err)) < 0 ||
	    (rc = field_relations(x, "Depends", &x->dep, err)) < 0)
		return rc;
	return field_relations(x, "Provides", &x->prov, err);
}

/* Every *.deb of @dir (sorted by file name), its control read and its relations parsed. */
static int universe_load(struct universe *u, const char *dir, const struct mf_spec *s,
			 const struct pk_plan_opts *o, struct dt_err *err)
{
	DIR *d = dir ? opendir(dir) : NULL;
	struct dt_strv names = { 0 };
	int rc = 0;

	memset(u, 0, sizeof(*u));
	u->dir = dir;
	u->o = o;
	u->s = s;
	if (!dir) {
		u->cap = o->offer ? MAX_OFFERED : 0;
		return u->cap && !(u->v = calloc(u->cap, sizeof(*u->v))) ? dt_oom(err) : 0;
	}
	if (!d)
		return dt_err_sys(err, errno, "%s:%d: packages: cannot read directory '%s'", s->file,
				  s->packages[0].line, dir);
	for (struct dirent *de; (de = readdir(d));) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".deb") == 0 &&
		    dt_strv_push(&names, de->d_name) < 0) {
			rc = dt_oom(err);
			break;
		}
	}
	closedir(d);
	if (rc == 0 && names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v), name_cmp);
	u->cap = names.n + (o->offer ? MAX_OFFERED : 0);
	if (rc == 0 && u->cap && !(u->v = calloc(u->cap, sizeof(*u->v))))
		rc = dt_oom(err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		struct udeb *x = &u->v[u->n++];
		if (asprintf(&x->path, "%s/%s", dir, names.v[i]) < 0) {
			x->path = NULL;
			rc = dt_oom(err);
			break;
		}
		struct dt_err bad;
		dt_err_clear(&bad);
		if ((rc = deb_package_read_control(x->path, &x->ctl, &bad)) == -DT_ENOMEM) {
			rc = dt_oom(err);
			break;
		}
		if (rc == 0 && (!deb_name_valid(x->ctl->package) ||
				!deb_version_valid(x->ctl->version)))
			rc = dt_err_set(&bad, DT_EINPUT, "'%s': '%s' version '%s' is not a valid "
					"package name and version", x->path, x->ctl->package,
					x->ctl->version);
		/* an unreadable .deb is passed over until something wants its name */
		if (rc < 0) {
			struct ubad *b = realloc(u->bad, (u->nbad + 1) * sizeof(*b));
			deb_package_free(x->ctl);
			free(x->path);
			memset(x, 0, sizeof(*x));
			u->n--;
			if (!b || !(b[u->nbad].name = strdup(names.v[i]))) {
				if (b)
					u->bad = b;
				rc = dt_oom(err);
				break;
			}
			u->bad = b;
			b[u->nbad++].err = bad;
			rc = 0;
			continue;
		}
		if ((rc = udeb_fields(x, err)) < 0)
			break;
	}
	dt_strv_release(&names);
	return rc;
}

/* The .deb offered for @name (pk_plan_opts.offer), added to the universe: @return 1 and its
 * index in *@idx, 0 when none is offered, or a negative code with @err set. */
static int offered(struct universe *u, const char *name, enum deb_rel_op op, const char *version,
		   const char *arch, size_t *idx, struct dt_err *err)
{
	struct pk_offer of = { 0 };
	struct udeb *x;
	int rc;

	if (!u->o->offer)
		return 0;
	if (!arch)
		return dt_err_set(err, DT_EINPUT, "%s: packages: '%s' is to come from an apt "
				  "repository, for an architecture the spec does not give: list "
				  "binaries, or set platform (e.g. linux/amd64)", u->s->file, name);
	for (size_t i = 0; i < u->n; i++) /* offered before */
		if (u->v[i].from.path && strcmp(u->v[i].ctl->package, name) == 0 &&
		    (!arch || strcmp(u->v[i].ctl->architecture, "all") == 0 ||
		     strcmp(u->v[i].ctl->architecture, arch) == 0) &&
		    deb_rel_holds(op, version, u->v[i].ctl->version)) {
			*idx = i;
			return 1;
		}
	if (u->n == u->cap)
		return dt_err_set(err, DT_EINPUT, "packages: more than %d .debs to fetch",
				  MAX_OFFERED);
	u->offered[0] = '\0';
	if ((rc = u->o->offer(u->o->offer_ctx, name, (int)op, version, arch, &of, err)) <= 0) {
		if (rc == 0 && of.offered)
			snprintf(u->offered, sizeof(u->offered), " (offered: %s)", of.offered);
		pk_offer_release(&of);
		return rc;
	}
	x = &u->v[u->n];
	memset(x, 0, sizeof(*x));
	x->from = of;
	if (!(x->path = strdup(of.path))) {
		pk_offer_release(&x->from);
		return dt_oom(err);
	}
	u->n++; /* released with the universe from here on */
	if ((rc = deb_package_read_control(x->path, &x->ctl, err)) < 0)
		return rc;
	if (strcmp(x->ctl->package, name) != 0 || !deb_rel_holds(op, version, x->ctl->version))
		return dt_err_set(err, DT_EINPUT, "'%s' (%s, offered for %s) holds %s %s", x->path,
				  of.file, name, x->ctl->package, x->ctl->version);
	if ((rc = udeb_fields(x, err)) < 0)
		return rc;
	*idx = u->n - 1;
	return 1;
}

/* Whether .deb @x can stand in the image for architecture @arch (NULL: any). */
static int arch_fits(const struct udeb *x, const char *arch)
{
	return !arch || strcmp(x->ctl->architecture, "all") == 0 ||
	       strcmp(x->ctl->architecture, arch) == 0;
}

/* Whether @x is, or provides, what @r names, in a version @r accepts. */
static int satisfies(const struct udeb *x, const struct deb_rel *r)
{
	if (strcmp(x->ctl->package, r->name) == 0)
		return deb_rel_holds(r->op, r->version, x->ctl->version);
	for (size_t i = 0; i < x->prov.n; i++) {
		const struct deb_rel *p = &x->prov.v[i].alts[0];
		if (strcmp(p->name, r->name) == 0 &&
		    (r->op == DEB_REL_ANY || (p->op == DEB_REL_EQ &&
					      deb_rel_holds(r->op, r->version, p->version))))
			return 1;
	}
	return 0;
}

/* The .deb that @r pulls: the package itself in its highest version that satisfies @r,
 * else the first provider by file name. @return its index, or -1. */
static ssize_t candidate(const struct universe *u, const struct deb_rel *r, const char *arch)
{
	ssize_t best = -1;

	for (size_t i = 0; i < u->n; i++) {
		const struct udeb *x = &u->v[i];
		if (strcmp(x->ctl->package, r->name) != 0 || !arch_fits(x, arch) ||
		    !deb_rel_holds(r->op, r->version, x->ctl->version))
			continue;
		if (best < 0 || deb_version_cmp(x->ctl->version, u->v[best].ctl->version) > 0)
			best = (ssize_t)i;
	}
	for (size_t i = 0; best < 0 && i < u->n; i++)
		if (strcmp(u->v[i].ctl->package, r->name) != 0 && arch_fits(&u->v[i], arch) &&
		    satisfies(&u->v[i], r))
			best = (ssize_t)i;
	return best;
}

/* What the directory has of the names in clause @c ("libssl3 3.0.11-1, 3.0.15-1"), for
 * messages. */
static void offers(const struct universe *u, const struct deb_rel_clause *c, char *buf,
		   size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < u->n && len + 1 < size; i++)
		for (size_t k = 0; k < c->nalts; k++)
			if (strcmp(u->v[i].ctl->package, c->alts[k].name) == 0) {
				int n = snprintf(buf + len, size - len, "%s%s %s (%s)",
						 len ? ", " : "", u->v[i].ctl->package,
						 u->v[i].ctl->version, u->v[i].ctl->architecture);
				if (n > 0)
					len += (size_t)n;
				break;
			}
}

struct pick {
	size_t deb;                    /* index in the universe */
	const struct mf_package *spec; /* the spec's entry, or NULL when pulled */
	const struct mf_package *from; /* the spec's entry whose dependencies pulled it */
	size_t rel;                    /* when pulled: the img->rels record of the clause */
};

static int record(struct pk_image *img, const char *package, const char *field,
		  const struct deb_rel_clause *c, const char *how, const char *by_name,
		  const char *by_version, struct dt_err *err)
{
	struct pk_plan_rel *v = realloc(img->rels, (img->nrels + 1) * sizeof(*v)), *r;
	char text[2048];

	if (!v)
		return dt_oom(err);
	img->rels = v;
	r = &v[img->nrels++];
	memset(r, 0, sizeof(*r));
	deb_rel_clause_format(c, text, sizeof(text));
	if (!(r->package = strdup(package)) || !(r->field = strdup(field)) ||
	    !(r->relation = strdup(text)) || !(r->how = strdup(how)) ||
	    asprintf(&r->by, "%s %s", by_name, by_version) < 0) {
		r->by = NULL;
		return dt_oom(err);
	}
	return 0;
}

/* Meets clause @c of @x's @field (see pk_plan_packages), appending what it pulls to @picks. */
static int follow(struct pk_image *img, const struct deb_dpkg *db, struct universe *u,
		  const struct udeb *x, const struct mf_package *from, const char *field,
		  const struct deb_rel_clause *c, struct pick **picks, size_t *npicks,
		  struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	const char *pkg = x->ctl->package;
	char text[2048], have[2048];

	/* a package the image already takes */
	for (size_t k = 0; k < c->nalts; k++)
		for (size_t i = 0; i < *npicks; i++) {
			const struct udeb *y = &u->v[(*picks)[i].deb];
			if (satisfies(y, &c->alts[k]))
				return record(img, pkg, field, c, "image", y->ctl->package,
					      y->ctl->version, err);
		}
	/* an Essential package: every Debian system has it; an image takes only what its
	 * closures need of it */
	for (size_t k = 0; k < c->nalts; k++) {
		const struct deb_dpkg_pkg *ip = db ? deb_dpkg_find(db, c->alts[k].name) : NULL;
		char *ess = ip ? deb_field(ip->stanza, "Essential") : NULL;
		int yes = ess && strcmp(ess, "yes") == 0;
		free(ess);
		if (yes)
			return record(img, pkg, field, c, "essential", ip->name, ip->version, err);
		for (size_t i = 0; i < u->n; i++)
			if (u->v[i].essential && satisfies(&u->v[i], &c->alts[k]))
				return record(img, pkg, field, c, "essential", u->v[i].ctl->package,
					      u->v[i].ctl->version, err);
	}
	/* the first alternative the directory has */
	for (size_t k = 0; k < c->nalts; k++) {
		ssize_t i = candidate(u, &c->alts[k], pk_plan_deb_arch(img));
		struct pick *v;
		if (i < 0)
			continue;
		if (!(v = realloc(*picks, (*npicks + 1) * sizeof(*v))))
			return dt_oom(err);
		*picks = v;
		v[*npicks].deb = (size_t)i;
		v[*npicks].spec = NULL;
		v[*npicks].from = from;
		v[*npicks].rel = img->nrels; /* the record made next */
		(*npicks)++;
		return record(img, pkg, field, c, "deb", u->v[i].ctl->package,
			      u->v[i].ctl->version, err);
	}
	/* installed in the root */
	for (size_t k = 0; k < c->nalts; k++) {
		const struct deb_dpkg_pkg *ip = db ? deb_dpkg_find(db, c->alts[k].name) : NULL;
		if (ip && deb_rel_holds(c->alts[k].op, c->alts[k].version, ip->version))
			return record(img, pkg, field, c, "root", ip->name, ip->version, err);
	}
	for (size_t k = 0; k < c->nalts; k++)
		if (unreadable(u, c->alts[k].name)) {
			*err = *unreadable(u, c->alts[k].name);
			return -err->code;
		}
	/* offered from elsewhere (the repositories) */
	for (size_t k = 0; k < c->nalts; k++) {
		size_t i;
		struct pick *v;
		int rc = offered(u, c->alts[k].name, c->alts[k].op, c->alts[k].version,
				 pk_plan_deb_arch(img),
				 &i, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		if (!(v = realloc(*picks, (*npicks + 1) * sizeof(*v))))
			return dt_oom(err);
		*picks = v;
		v[*npicks].deb = i;
		v[*npicks].spec = NULL;
		v[*npicks].from = from;
		v[*npicks].rel = img->nrels;
		(*npicks)++;
		return record(img, pkg, field, c, "deb", u->v[i].ctl->package,
			      u->v[i].ctl->version, err);
	}
	deb_rel_clause_format(c, text, sizeof(text));
	offers(u, c, have, sizeof(have));
	if (!u->dir)
		return dt_err_set(err, DT_EINPUT,
				  "%s:%d: packages: %s %s %s: %s: no repository offers it%s and '%s' "
				  "has no installed package that does (set depends: false on %s)",
				  s->file, from->line, pkg, x->ctl->version, field, text, u->offered,
				  s->root, from->name);
	return dt_err_set(err, DT_EINPUT,
			  "%s:%d: packages: %s %s %s: %s: no .deb in '%s' satisfies it%s%s%s, "
			  "%s'%s' has no installed package that does%s (add a .deb that does to the "
			  "directory, or set depends: false on %s)",
			  s->file, from->line, pkg, x->ctl->version, field, text, u->dir,
			  have[0] ? " (it has " : "", have, have[0] ? ")" : "",
			  u->o->offer ? "" : "and ", s->root,
			  u->o->offer ? ", and no repository offers it" : "", from->name);
}

/* The .deb of the spec's package @p: its only version there, or the one it pins; else the
 * one offered from elsewhere (its version, or the highest). */
static int spec_deb(struct universe *u, const struct mf_spec *s, const char *arch,
		    const struct mf_package *p, size_t *out, struct dt_err *err)
{
	char versions[2048] = "";
	size_t found = 0;

	for (size_t i = 0; i < u->n; i++) {
		const struct deb_package *c = u->v[i].ctl;
		if (strcmp(c->package, p->name) != 0 || (p->version && strcmp(c->version, p->version)))
			continue;
		snprintf(versions + strlen(versions), sizeof(versions) - strlen(versions), "%s%s",
			 found ? ", " : "", c->version);
		found++;
		*out = i;
	}
	if (found == 0 && unreadable(u, p->name)) {
		*err = *unreadable(u, p->name);
		return -err->code;
	}
	if (found == 0) {
		int rc = offered(u, p->name, p->version ? DEB_REL_EQ : DEB_REL_ANY, p->version,
				 arch, out, err);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	if (found == 0 && !u->dir)
		return dt_err_set(err, DT_EINPUT, "%s:%d: packages: no repository offers '%s'%s%s "
				  "for %s%s", s->file, p->line, p->name, p->version ? " version " : "",
				  p->version ? p->version : "", arch, u->offered);
	if (found == 0)
		return dt_err_set(err, DT_EINPUT, "%s:%d: packages: no .deb of '%s'%s%s in '%s'%s",
				  s->file, p->line, p->name, p->version ? " version " : "",
				  p->version ? p->version : "", u->dir,
				  u->o->offer ? ", and no repository offers it" : "");
	if (found > 1)
		return dt_err_set(err, DT_EINPUT,
				  "%s:%d: packages: '%s' has several .debs in '%s' (%s): pin one "
				  "with version", s->file, p->line, p->name, u->dir, versions);
	return 0;
}

int pk_plan_packages(struct pk_image *img, const struct deb_dpkg *db,
		     const struct pk_plan_opts *o, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	const char *dir = o->debs ? o->debs : s->debs;
	struct universe u = { 0 };
	struct pick *picks = NULL;
	size_t npicks = 0;
	int rc = 0;

	if (s->npackages == 0)
		return 0;
	if (!dir && !o->offer)
		return dt_err_set(err, DT_EINPUT,
				  "%s:%d: packages: no directory of .deb files (set debs in the "
				  "spec, or --debs DIR)",
				  s->file, s->packages[0].line);
	if ((rc = universe_load(&u, dir, s, o, err)) < 0)
		goto out;
	if (!(picks = calloc(s->npackages, sizeof(*picks)))) {
		rc = dt_oom(err);
		goto out;
	}
	for (size_t i = 0; i < s->npackages; i++) {
		if ((rc = spec_deb(&u, s, pk_plan_deb_arch(img), &s->packages[i], &picks[npicks].deb, err)) < 0)
			goto out;
		picks[npicks].spec = picks[npicks].from = &s->packages[i];
		npicks++;
	}
	/* breadth first, in the spec's order: Pre-Depends, then Depends, clause by clause */
	for (size_t i = 0; i < npicks && rc == 0; i++) {
		const struct udeb *x = &u.v[picks[i].deb];
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = picks[j].deb == picks[i].deb;
		if (dup || (picks[i].spec && !picks[i].spec->depends))
			continue;
		for (size_t k = 0; k < x->pre.n && rc == 0; k++)
			rc = follow(img, db, &u, x, picks[i].from, "Pre-Depends", &x->pre.v[k], &picks,
				    &npicks, err);
		for (size_t k = 0; k < x->dep.n && rc == 0; k++)
			rc = follow(img, db, &u, x, picks[i].from, "Depends", &x->dep.v[k], &picks,
				    &npicks, err);
	}
	/* read each picked .deb (a package the spec names twice is read with each entry's
	 * filter; one pulled again adds nothing) */
	for (size_t i = 0; i < npicks && rc == 0; i++) {
		static const struct mf_package whole = { .depends = 1, .closure = 1 };
		const struct mf_package *p = picks[i].spec ? picks[i].spec : &whole;
		struct deb_filter f = { p };
		struct deb_package *deb = NULL;
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = !picks[i].spec && picks[j].deb == picks[i].deb;
		if (dup)
			continue;
		if (picks[i].spec)
			rc = pk_plan_why(img, NULL, "packages[%zu] %s",
					 (size_t)(picks[i].spec - s->packages), picks[i].spec->name);
		else
			rc = pk_plan_why(img, NULL, "%s of %s (packages[%zu]): %s",
					 img->rels[picks[i].rel].field, img->rels[picks[i].rel].package,
					 (size_t)(picks[i].from - s->packages),
					 img->rels[picks[i].rel].relation);
		if (rc < 0) {
			rc = dt_oom(err);
			break;
		}
		rc = deb_package_read(u.v[picks[i].deb].path, deb_keep, &f, &deb, err);
		if (rc == 0)
			rc = add_deb(img, deb, u.v[picks[i].deb].from.file ? u.v[picks[i].deb].from.file
					     : u.v[picks[i].deb].path, u.v[picks[i].deb].from.repository,
				     u.v[picks[i].deb].from.filename, p, err);
		deb_package_free(deb);
	}
out:
	free(picks);
	universe_release(&u);
	return rc;
}

/* /var/lib/dpkg/status.d/<package>.md5sums: "md5  path" for each regular file the package
 * owns in the image (among the first @n entries, sorted by path), as distroless images
 * carry them, so that scanners and `distill inspect` can tell the owner of a file. */
static int md5sums(struct pk_image *img, size_t n, const char *pkg, enum pk_plan_layer layer,
		   const struct deps_root *root, const struct deb_dpkg *db, struct dt_err *err)
{
	const struct deb_dpkg_pkg *p = db && img->md5_stated ? deb_dpkg_find(db, pkg) : NULL;
	struct dt_buf text = { 0 };
	char path[4200], *sums = NULL;
	int rc = 0, read_sums = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		struct pk_plan_entry *e = &img->v[i];
		char hex[33], real[4200];
		int conffile = 0;
		if (e->type != PK_PLAN_REG || !e->pkg || strcmp(e->pkg, pkg) != 0)
			continue;
		if (!e->has_md5 && e->data) {
			dt_md5(e->data, e->size, e->md5);
			e->has_md5 = 1;
		}
		/* a build checked against a lock: the md5 dpkg recorded for the file the lock pins
		 * by sha256 (a conffile's is the package's, not the file's: read) */
		if (!e->has_md5 && p && e->root == 0 && e->src) {
			if (!read_sums && (rc = deb_dpkg_md5sums_read(root, p, &sums, err)) < 0)
				break;
			read_sums = 1;
			snprintf(real, sizeof(real), "/%s", e->src);
			if (deb_dpkg_md5_of(p, sums, real, hex, &conffile) == 0 && !conffile &&
			    dt_unhex(hex, DT_MD5_LEN, e->md5) == 0)
				e->has_md5 = 1;
		}
		if (!e->has_md5 && e->src && e->root >= 0 && (rc = pk_plan_md5(img, e, err)) < 0)
			break;
		if (!e->has_md5)
			continue;
		deb_status_md5sums_add(&text, e->md5, e->path);
	}
	free(sums);
	if (rc < 0) {
		dt_buf_release(&text);
		return rc;
	}
	if (text.oom) {
		rc = dt_oom(err);
	} else if (text.len) {
		snprintf(path, sizeof(path), DEB_STATUS_D "%s.md5sums", pkg);
		rc = pk_plan_add_text(img, path, text.s, text.len, 0644, layer, err);
	}
	dt_buf_release(&text);
	return rc;
}

int pk_plan_owners(struct pk_image *img, const struct deps_root *root, const struct deb_dpkg *db,
		   struct dt_err *err)
{
	struct { const char *name, *text, *file; enum pk_plan_layer layer; } *pk = NULL;
	size_t npk = 0, n = img->n;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct pk_plan_entry *e = &img->v[i];
		const char *name = e->pkg, *text = NULL;
		size_t j;
		if (e->type == PK_PLAN_DIR || e->link_to_dir || strcmp(e->source, "distill") == 0)
			continue;
		if (!name && e->root == 0 && db) {
			const struct deb_dpkg_pkg *p = deb_dpkg_owner(db, strchr(e->source, ':') + 1);
			if (!p)
				continue;
			if (!(e->pkg = strdup(p->name)) || !(e->pkg_version = strdup(p->version)))
				goto nomem;
			name = p->name;
			text = p->stanza;
		}
		if (!name)
			continue;
		for (j = 0; j < npk && strcmp(pk[j].name, name) != 0; j++)
			;
		if (j == npk) {
			void *v = realloc(pk, (npk + 1) * sizeof(*pk));
			if (!v)
				goto nomem;
			pk = v;
			pk[npk].name = name;
			pk[npk].text = text;
			pk[npk].file = e->path; /* valid until the first push below */
			pk[npk].layer = e->layer;
			for (size_t k = 0; !text && k < img->ndebs; k++)
				if (strcmp(img->debs[k].name, name) == 0)
					pk[npk].text = img->debs[k].control; /* the last one */
			npk++;
		} else if (e->layer < pk[j].layer) {
			pk[j].layer = e->layer;
		}
	}
	for (size_t j = 0; j < npk && rc == 0; j++) {
		char path[4200];
		if (!pk[j].text)
			continue;
		snprintf(path, sizeof(path), DEB_STATUS_D "%s", pk[j].name);
		if (pk_plan_why(img, pk[j].file, "dpkg status of %s, which owns", pk[j].name) < 0)
			goto nomem;
		rc = pk_plan_add_text(img, path, pk[j].text, strlen(pk[j].text), 0644, pk[j].layer, err);
		if (rc == 0)
			rc = md5sums(img, n, pk[j].name, pk[j].layer, root, db, err);
	}
	free(pk);
	return rc;
nomem:
	free(pk);
	return dt_oom(err);
}

void pk_offer_release(struct pk_offer *o)
{
	free(o->path);
	free(o->file);
	free(o->repository);
	free(o->filename);
	free(o->offered);
	memset(o, 0, sizeof(*o));
}
