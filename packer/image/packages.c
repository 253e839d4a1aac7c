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

/* The .deb of @p in @dir: "<name>_*.deb" files whose control names the package. */
static int find_deb(const char *dir, const struct mf_spec *s, const struct mf_package *p,
		    char **out, struct dt_err *err)
{
	size_t nl = strlen(p->name), found = 0;
	char versions[2048] = "";
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	if (!d)
		return dt_err_sys(err, errno, "%s:%d: packages: cannot read directory '%s'", s->file,
				  p->line, dir);
	for (struct dirent *de; (de = readdir(d));) {
		size_t l = strlen(de->d_name);
		char **v;
		if (strncmp(de->d_name, p->name, nl) != 0 || de->d_name[nl] != '_' || l < 4 ||
		    strcmp(de->d_name + l - 4, ".deb") != 0)
			continue;
		if (!(v = realloc(names, (n + 1) * sizeof(*v))) || !(v[n] = strdup(de->d_name))) {
			if (v)
				names = v;
			closedir(d);
			rc = dt_oom(err);
			goto out;
		}
		names = v;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct deb_package *deb = NULL;
		char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			rc = dt_oom(err);
			goto out;
		}
		if ((rc = deb_package_read_control(path, &deb, err)) < 0) {
			free(path);
			goto out;
		}
		if (strcmp(deb->package, p->name) == 0 &&
		    (!p->version || strcmp(deb->version, p->version) == 0)) {
			found++;
			snprintf(versions + strlen(versions), sizeof(versions) - strlen(versions),
				 "%s%s", found > 1 ? ", " : "", deb->version);
			free(*out);
			*out = path;
			path = NULL;
		}
		free(path);
		deb_package_free(deb);
	}
	if (found == 0)
		rc = dt_err_set(err, DT_EINPUT, "%s:%d: packages: no .deb of '%s'%s%s in '%s'",
				s->file, p->line, p->name, p->version ? " version " : "",
				p->version ? p->version : "", dir);
	else if (found > 1)
		rc = dt_err_set(err, DT_EINPUT,
				"%s:%d: packages: '%s' has several .debs in '%s' (%s): pin one "
				"with version", s->file, p->line, p->name, dir, versions);
out:
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int add_deb(struct pk_image *img, struct deb_package *deb, const char *file,
		   const struct mf_package *p, struct dt_err *err)
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
	    !(ld->control = strdup(deb->control)))
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
		}
	}
	return 0;
}

int pk_plan_packages(struct pk_image *img, const struct pk_plan_opts *o, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	const char *dir = o->debs ? o->debs : s->debs;

	if (s->npackages && !dir)
		return dt_err_set(err, DT_EINPUT,
				  "%s:%d: packages: no directory of .deb files (set debs in the "
				  "spec, or --debs DIR)", s->file, s->packages[0].line);
	for (size_t i = 0; i < s->npackages; i++) {
		const struct mf_package *p = &s->packages[i];
		struct deb_filter f = { p };
		struct deb_package *deb = NULL;
		char *file = NULL;
		int rc;
		if ((rc = find_deb(dir, s, p, &file, err)) < 0)
			return rc;
		rc = deb_package_read(file, deb_keep, &f, &deb, err);
		if (rc == 0)
			rc = add_deb(img, deb, file, p, err);
		free(file);
		deb_package_free(deb);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* /var/lib/dpkg/status.d/<package>.md5sums: "md5  path" for each regular file the package
 * owns in the image (among the first @n entries, sorted by path), as distroless images
 * carry them, so that scanners and `distill inspect` can tell the owner of a file. */
static int md5sums(struct pk_image *img, size_t n, const char *pkg, enum pk_plan_layer layer,
		   struct dt_err *err)
{
	struct dt_buf text = { 0 };
	char path[4200];
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct pk_plan_entry *e = &img->v[i];
		if (e->type != PK_PLAN_REG || !e->pkg || strcmp(e->pkg, pkg) != 0)
			continue;
		if (!e->has_md5 && e->data) {
			dt_md5(e->data, e->size, e->md5);
			e->has_md5 = 1;
		}
		if (!e->has_md5)
			continue;
		deb_status_md5sums_add(&text, e->md5, e->path);
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

int pk_plan_owners(struct pk_image *img, const struct deb_dpkg *db, struct dt_err *err)
{
	struct { const char *name, *text; enum pk_plan_layer layer; } *pk = NULL;
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
		rc = pk_plan_add_text(img, path, pk[j].text, strlen(pk[j].text), 0644, pk[j].layer, err);
		if (rc == 0)
			rc = md5sums(img, n, pk[j].name, pk[j].layer, err);
	}
	free(pk);
	return rc;
nomem:
	free(pk);
	return dt_oom(err);
}
