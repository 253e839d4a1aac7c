/* SPDX-License-Identifier: MIT */
/* The lockfile (see lock.h and docs/lock.md): strict parsing with jansson, serialization
 * through the one JSON policy of json.c, and the comparison that words every drift. */
#include "manifest/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/fs.h"
#include "manifest/json.h"

/* The largest integer every JSON reader (a double) keeps exactly. */
#define MAX_SIZE (UINT64_C(1) << 53)
#define MAX_ID UINT64_C(4294967295)
#define MAX_LOCK_BYTES ((size_t)1 << 30)

static const char *const type_names[] = { "dir", "file", "symlink", "hardlink" };
static const char *const layer_names[] = { "base", "app" };

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* The arrays of a lock and of a drift list carry no capacity: they grow by doubling from 8
 * slots, so slot @n must be made when n is 0 or a power of two of at least 8. Every array
 * is built through here. @return the (maybe moved) array, or NULL when out of memory. */
static void *grow(void *v, size_t n, size_t size)
{
	size_t cap;

	if (v && (n < 8 || (n & (n - 1)) != 0))
		return v;
	cap = n ? n * 2 : 8;
	if (cap > SIZE_MAX / size)
		return NULL;
	return realloc(v, cap * size);
}

const char *mf_lock_type_name(enum mf_lock_type t)
{
	return (unsigned)t <= MF_LOCK_HARDLINK ? type_names[t] : "unknown";
}

const char *mf_lock_layer_name(enum mf_lock_layer l)
{
	return (unsigned)l <= MF_LAYER_APP ? layer_names[l] : "unknown";
}

struct mf_lock *mf_lock_new(void)
{
	struct mf_lock *l = calloc(1, sizeof(*l));

	if (l)
		l->version = MF_LOCK_VERSION;
	return l;
}

static void file_release(struct mf_lock_file *f)
{
	free(f->path);
	free(f->link);
	free(f->source);
	free(f->package);
	free(f->package_version);
	free(f->why);
	free(f->why_of);
}

static void deb_release(struct mf_lock_deb *d)
{
	free(d->name);
	free(d->version);
	free(d->architecture);
	free(d->file);
	free(d->repository);
	free(d->filename);
	free(d->status);
}

static void rel_release(struct mf_lock_rel *r)
{
	free(r->package);
	free(r->field);
	free(r->relation);
	free(r->how);
	free(r->by);
}

void mf_lock_free(struct mf_lock *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nrels; i++)
		rel_release(&l->rels[i]);
	free(l->rels);
	for (size_t i = 0; i < l->nfiles; i++)
		file_release(&l->files[i]);
	for (size_t i = 0; i < l->ndebs; i++)
		deb_release(&l->debs[i]);
	for (size_t i = 0; i < l->ninstalled; i++)
		deb_release(&l->installed[i]);
	free(l->files);
	free(l->debs);
	free(l->installed);
	free(l->spec_file);
	free(l->platform);
	free(l);
}

static int dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -1 : 0;
}

/* A new zeroed slot at the end of l->files, counted, so mf_lock_free() releases it. */
static struct mf_lock_file *new_file(struct mf_lock *l)
{
	struct mf_lock_file *v = grow(l->files, l->nfiles, sizeof(*v));

	if (!v)
		return NULL;
	l->files = v;
	memset(&v[l->nfiles], 0, sizeof(*v));
	return &v[l->nfiles++];
}

static struct mf_lock_deb *new_deb_in(struct mf_lock_deb **debs, size_t *n)
{
	struct mf_lock_deb *v = grow(*debs, *n, sizeof(*v));

	if (!v)
		return NULL;
	*debs = v;
	memset(&v[*n], 0, sizeof(*v));
	return &v[(*n)++];
}

static struct mf_lock_deb *new_deb(struct mf_lock *l)
{
	return new_deb_in(&l->debs, &l->ndebs);
}

int mf_lock_add_file(struct mf_lock *l, const struct mf_lock_file *f, struct dt_err *err)
{
	struct mf_lock_file *c = new_file(l);

	if (!c)
		return dt_oom(err);
	c->type = f->type;
	c->mode = f->mode;
	c->uid = f->uid;
	c->gid = f->gid;
	c->size = f->size;
	memcpy(c->sha256, f->sha256, sizeof(c->sha256) - 1);
	c->layer = f->layer;
	c->unpinned = f->unpinned;
	if (dup_opt(&c->path, f->path) < 0 || dup_opt(&c->link, f->link) < 0 ||
	    dup_opt(&c->source, f->source) < 0 || dup_opt(&c->package, f->package) < 0 ||
	    dup_opt(&c->package_version, f->package_version) < 0 || dup_opt(&c->why, f->why) < 0 ||
	    dup_opt(&c->why_of, f->why_of) < 0)
		return dt_oom(err); /* the slot is counted: mf_lock_free() releases it */
	return 0;
}

static int copy_deb(struct mf_lock_deb *c, const struct mf_lock_deb *d, struct dt_err *err)
{
	if (!c)
		return dt_oom(err);
	memcpy(c->sha256, d->sha256, sizeof(c->sha256) - 1);
	c->size = d->size;
	if (dup_opt(&c->name, d->name) < 0 || dup_opt(&c->version, d->version) < 0 ||
	    dup_opt(&c->architecture, d->architecture) < 0 || dup_opt(&c->file, d->file) < 0 ||
	    dup_opt(&c->repository, d->repository) < 0 || dup_opt(&c->filename, d->filename) < 0 ||
	    dup_opt(&c->status, d->status) < 0)
		return dt_oom(err);
	return 0;
}

int mf_lock_add_deb(struct mf_lock *l, const struct mf_lock_deb *d, struct dt_err *err)
{
	return copy_deb(new_deb(l), d, err);
}

const struct mf_lock_deb *mf_lock_installed(const struct mf_lock *l, const char *name,
					    const char *version)
{
	for (size_t i = 0; i < l->ninstalled; i++)
		if (strcmp(nz(l->installed[i].name), name) == 0 &&
		    strcmp(nz(l->installed[i].version), version) == 0)
			return &l->installed[i];
	return NULL;
}

int mf_lock_add_installed(struct mf_lock *l, const struct mf_lock_deb *d, struct dt_err *err)
{
	l->pinned = 1;
	return copy_deb(new_deb_in(&l->installed, &l->ninstalled), d, err);
}

static struct mf_lock_rel *new_rel(struct mf_lock *l)
{
	struct mf_lock_rel *v = grow(l->rels, l->nrels, sizeof(*v));

	if (!v)
		return NULL;
	l->rels = v;
	memset(&v[l->nrels], 0, sizeof(*v));
	return &v[l->nrels++];
}

int mf_lock_add_rel(struct mf_lock *l, const struct mf_lock_rel *r, struct dt_err *err)
{
	struct mf_lock_rel *c = new_rel(l);

	if (!c || dup_opt(&c->package, r->package) < 0 || dup_opt(&c->field, r->field) < 0 ||
	    dup_opt(&c->relation, r->relation) < 0 || dup_opt(&c->how, r->how) < 0 ||
	    dup_opt(&c->by, r->by) < 0)
		return dt_oom(err);
	return 0;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(nz(((const struct mf_lock_file *)a)->path),
		      nz(((const struct mf_lock_file *)b)->path));
}

static int deb_cmp(const void *pa, const void *pb)
{
	const struct mf_lock_deb *a = pa, *b = pb;
	int c;

	if ((c = strcmp(nz(a->name), nz(b->name))) || (c = strcmp(nz(a->version), nz(b->version))) ||
	    (c = strcmp(nz(a->architecture), nz(b->architecture))) ||
	    (c = strcmp(nz(a->file), nz(b->file))))
		return c;
	return strcmp(a->sha256, b->sha256);
}

int mf_lock_sort(struct mf_lock *l, struct dt_err *err)
{
	if (l->nfiles > 1)
		qsort(l->files, l->nfiles, sizeof(*l->files), file_cmp);
	if (l->ndebs > 1)
		qsort(l->debs, l->ndebs, sizeof(*l->debs), deb_cmp);
	if (l->ninstalled > 1)
		qsort(l->installed, l->ninstalled, sizeof(*l->installed), deb_cmp);
	for (size_t i = 1; i < l->nfiles; i++)
		if (file_cmp(&l->files[i - 1], &l->files[i]) == 0)
			return dt_err_set(err, DT_EINPUT, "'%s' is twice in the lock",
					  nz(l->files[i].path));
	return 0;
}

/* ---- checks shared by parsing and writing: everything in a lock survives a round trip */

static int is_hex64(const char *s)
{
	return dt_is_hex(s, 64) && s[64] == '\0';
}

static int empty(const char *s)
{
	return !s || !*s;
}

/* Why @f cannot be in a lock, as "key: problem", or NULL. */
static const char *file_problem(const struct mf_lock_file *f)
{
	int link_type = f->type == MF_LOCK_SYMLINK || f->type == MF_LOCK_HARDLINK;

	if (empty(f->path) || f->path[0] != '/')
		return "path: expected an absolute path";
	if ((unsigned)f->type > MF_LOCK_HARDLINK)
		return "type: expected \"dir\", \"file\", \"symlink\" or \"hardlink\"";
	if ((unsigned)f->layer > MF_LAYER_APP)
		return "layer: expected \"base\" or \"app\"";
	if (f->mode > 07777)
		return "mode: expected an octal string like \"0644\"";
	if (empty(f->source))
		return "source: expected a non-empty string";
	if (f->unpinned && f->type != MF_LOCK_REG)
		return "pin: only regular files are pinned by path";
	if (f->unpinned && (f->sha256[0] || f->size))
		return "pin: a file pinned by path has no sha256 or size";
	if (f->type == MF_LOCK_REG && !f->unpinned && !is_hex64(f->sha256))
		return "sha256: expected 64 lowercase hex digits";
	if (f->type == MF_LOCK_REG && f->size > MAX_SIZE)
		return "size: expected an integer from 0 to 2^53";
	if (f->type != MF_LOCK_REG && f->sha256[0])
		return "sha256: only regular files have one";
	if (f->type != MF_LOCK_REG && f->size)
		return "size: only regular files have one";
	if (link_type && empty(f->link))
		return "link: expected a non-empty string";
	if (!link_type && f->link)
		return "link: only symlinks and hardlinks have one";
	if (!f->package != !f->package_version)
		return "package: goes with package_version";
	if (f->package && (!*f->package || !*f->package_version))
		return "package: expected a non-empty string";
	return NULL;
}

static const char *rel_problem(const struct mf_lock_rel *r)
{
	static const char *const hows[] = { "image", "deb", "essential", "root" };
	size_t k = 0;

	if (empty(r->package))
		return "package: expected a non-empty string";
	if (!r->field || (strcmp(r->field, "Depends") && strcmp(r->field, "Pre-Depends")))
		return "field: expected \"Depends\" or \"Pre-Depends\"";
	if (empty(r->relation))
		return "relation: expected a non-empty string";
	while (k < 4 && (!r->how || strcmp(r->how, hows[k])))
		k++;
	if (k == 4)
		return "how: expected \"image\", \"deb\", \"essential\" or \"root\"";
	if (empty(r->by))
		return "by: expected a non-empty string";
	return NULL;
}

/* Printable ASCII without spaces, quotes or backslashes: it becomes part of a URL. */
static int printable_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '"' ||
		    *s == '\\' || *s == '?' || *s == '#')
			return 0;
	return 1;
}

static int has_dotdot(const char *s)
{
	for (const char *c = s; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if ((c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2])) ||
		    (c[0] == '.' && (c[1] == '/' || !c[1])) || c[0] == '/')
			return 1;
	return 0;
}

/* A dpkg status stanza of package @name: one paragraph, "Package: @name" first. */
static int status_ok(const char *s, const char *name)
{
	size_t n = strlen(s), nl = strlen(name);

	return strncmp(s, "Package: ", 9) == 0 && strncmp(s + 9, name, nl) == 0 &&
	       s[9 + nl] == '\n' && n > 0 && s[n - 1] == '\n' && !strstr(s, "\n\n") &&
	       !strchr(s, '\r') && n < (1u << 20);
}

static const char *base_name(const char *s)
{
	const char *b = strrchr(s, '/');
	return b ? b + 1 : s;
}

static const char *deb_problem(const struct mf_lock_deb *d)
{
	if (empty(d->name))
		return "name: expected a non-empty string";
	if (empty(d->version))
		return "version: expected a non-empty string";
	if (empty(d->architecture))
		return "architecture: expected a non-empty string";
	if (empty(d->file) || strchr(d->file, '/'))
		return "file: expected the base name of a .deb";
	if (!is_hex64(d->sha256))
		return "sha256: expected 64 lowercase hex digits";
	if (d->size > MAX_SIZE)
		return "size: expected an integer from 0 to 2^53";
	if (!d->repository != !d->filename)
		return "repository and filename go together";
	if (d->repository && ((strncmp(d->repository, "http://", 7) != 0 &&
			       strncmp(d->repository, "https://", 8) != 0) ||
			      !printable_word(d->repository)))
		return "repository: expected an http or https URL";
	if (d->filename && (!printable_word(d->filename) || d->filename[0] == '/' ||
			    has_dotdot(d->filename) ||
			    strcmp(base_name(d->filename), nz(d->file)) != 0))
		return "filename: expected a relative pool path without '..' ending in the file";
	if (d->status && !status_ok(d->status, nz(d->name)))
		return "status: expected the package's stanza (\"Package: NAME\" first, one "
		       "newline at the end, no empty line)";
	return NULL;
}

/* ---- parsing */

struct pctx {
	const char *name; /* the lockfile, for messages */
	char where[640];  /* "files[12] (/usr/lib/x)", or "" at the top level */
	struct dt_err *err;
};

static int perr(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct pctx *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->where[0])
		return dt_err_set(c->err, DT_EINPUT, "'%s': %s: %s", c->name, c->where, msg);
	return dt_err_set(c->err, DT_EINPUT, "'%s': %s", c->name, msg);
}

static int check_keys(struct pctx *c, json_t *o, const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		size_t i;
		for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
			;
		if (!keys[i])
			return perr(c, "unknown key \"%s\"", key);
	}
	return 0;
}

/* A required (or, with !@required, optional) non-empty string, borrowed from the document. */
static int get_str(struct pctx *c, json_t *o, const char *key, int required, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v)
		return required ? perr(c, "missing key \"%s\"", key) : 0;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return perr(c, "%s: expected a non-empty string", key);
	*out = json_string_value(v);
	return 0;
}

static int get_dup(struct pctx *c, json_t *o, const char *key, int required, char **out)
{
	const char *s;
	int rc = get_str(c, o, key, required, &s);

	if (rc < 0 || !s)
		return rc;
	return (*out = strdup(s)) ? 0 : dt_oom(c->err);
}

/* An integer from 0 to @max. @return 1 when present, 0 when absent, or an error. */
static int get_uint(struct pctx *c, json_t *o, const char *key, int required, uint64_t max,
		    uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	json_int_t i;

	*out = 0;
	if (!v)
		return required ? perr(c, "missing key \"%s\"", key) : 0;
	i = json_is_integer(v) ? json_integer_value(v) : -1;
	if (i < 0 || (uint64_t)i > max)
		return perr(c, "%s: expected an integer from 0 to %llu", key,
			    (unsigned long long)max);
	*out = (uint64_t)i;
	return 1;
}

static int get_hex(struct pctx *c, json_t *o, const char *key, int required, char *out)
{
	const char *s;
	int rc = get_str(c, o, key, required, &s);

	out[0] = '\0';
	if (rc < 0 || !s)
		return rc;
	if (!is_hex64(s))
		return perr(c, "%s: expected 64 lowercase hex digits", key);
	memcpy(out, s, 65);
	return 1;
}

static int get_enum(struct pctx *c, json_t *o, const char *key, const char *const *names,
		    size_t n, const char *expected, int *out)
{
	const char *s;
	int rc = get_str(c, o, key, 1, &s);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return perr(c, "%s: expected %s", key, expected);
}

static int get_mode(struct pctx *c, json_t *o, uint32_t *out)
{
	const char *s;
	int rc = get_str(c, o, "mode", 1, &s);

	if (rc < 0)
		return rc;
	if (strlen(s) != 4 || strspn(s, "01234567") != 4)
		return perr(c, "mode: expected an octal string like \"0644\"");
	*out = (uint32_t)strtoul(s, NULL, 8);
	return 0;
}

static const char *const file_keys[] = { "gid", "layer", "link", "mode", "package",
					  "package_version", "path", "sha256", "size", "source",
					  "pin", "type", "uid", "why", "why_of", NULL };

static int parse_file(struct pctx *c, json_t *o, size_t i, struct mf_lock *l)
{
	struct mf_lock_file *f;
	json_t *path = json_object_get(o, "path");
	const char *why;
	uint64_t u;
	int t = 0, rc, has_size;

	snprintf(c->where, sizeof(c->where), "files[%zu]", i);
	if (!json_is_object(o))
		return perr(c, "expected an object");
	if (json_is_string(path) && json_string_length(path))
		snprintf(c->where, sizeof(c->where), "files[%zu] (%s)", i, json_string_value(path));
	if (!(f = new_file(l)))
		return dt_oom(c->err);
	if ((rc = check_keys(c, o, file_keys)) < 0 || (rc = get_dup(c, o, "path", 1, &f->path)) < 0)
		return rc;
	if (f->path[0] != '/')
		return perr(c, "path: expected an absolute path");
	if ((rc = get_enum(c, o, "type", type_names, 4,
			   "\"dir\", \"file\", \"symlink\" or \"hardlink\"", &t)) < 0)
		return rc;
	f->type = (enum mf_lock_type)t;
	if ((rc = get_enum(c, o, "layer", layer_names, 2, "\"base\" or \"app\"", &t)) < 0)
		return rc;
	f->layer = (enum mf_lock_layer)t;
	if ((rc = get_mode(c, o, &f->mode)) < 0 || (rc = get_uint(c, o, "uid", 1, MAX_ID, &u)) < 0)
		return rc;
	f->uid = (uint32_t)u;
	if ((rc = get_uint(c, o, "gid", 1, MAX_ID, &u)) < 0)
		return rc;
	f->gid = (uint32_t)u;
	if ((rc = get_dup(c, o, "source", 1, &f->source)) < 0 ||
	    (rc = get_dup(c, o, "link", 0, &f->link)) < 0 ||
	    (rc = get_dup(c, o, "package", 0, &f->package)) < 0 ||
	    (rc = get_dup(c, o, "package_version", 0, &f->package_version)) < 0 ||
	    (rc = get_dup(c, o, "why", 0, &f->why)) < 0 ||
	    (rc = get_dup(c, o, "why_of", 0, &f->why_of)) < 0 ||
	    (rc = get_hex(c, o, "sha256", 0, f->sha256)) < 0 ||
	    (rc = has_size = get_uint(c, o, "size", 0, MAX_SIZE, &f->size)) < 0)
		return rc;
	{
		const char *pin = NULL;
		if ((rc = get_str(c, o, "pin", 0, &pin)) < 0)
			return rc;
		if (pin && strcmp(pin, "path") != 0)
			return perr(c, "pin: expected \"path\" (a file pinned by content says nothing)");
		f->unpinned = pin != NULL;
	}
	/* What dump writes for each type, exactly: absent keys are absent, not zero. */
	if (f->type == MF_LOCK_REG && !f->unpinned && !f->sha256[0])
		return perr(c, "missing key \"sha256\" (a regular file has one)");
	if (f->type == MF_LOCK_REG && !f->unpinned && !has_size)
		return perr(c, "missing key \"size\" (a regular file has one)");
	if (f->unpinned && has_size)
		return perr(c, "size: a file pinned by path has none");
	if (f->type != MF_LOCK_REG && has_size)
		return perr(c, "size: only regular files have one");
	if ((f->type == MF_LOCK_SYMLINK || f->type == MF_LOCK_HARDLINK) && !f->link)
		return perr(c, "missing key \"link\" (a %s has one)", type_names[f->type]);
	if (f->package && !f->package_version)
		return perr(c, "missing key \"package_version\" (it goes with \"package\")");
	if (!f->package && f->package_version)
		return perr(c, "missing key \"package\" (it goes with \"package_version\")");
	if ((why = file_problem(f)))
		return perr(c, "%s", why);
	return 0;
}

static const char *const deb_keys[] = { "architecture", "file", "filename", "name",
					 "repository", "sha256", "size", "version", NULL };
static const char *const installed_keys[] = { "architecture", "file", "filename", "name",
					      "repository", "sha256", "size", "status", "version",
					      NULL };

static int parse_deb(struct pctx *c, json_t *o, size_t i, struct mf_lock *l, int installed)
{
	const char *key = installed ? "installed" : "debs";
	struct mf_lock_deb *d;
	json_t *file = json_object_get(o, "file");
	const char *why;
	int rc;

	snprintf(c->where, sizeof(c->where), "%s[%zu]", key, i);
	if (!json_is_object(o))
		return perr(c, "expected an object");
	if (json_is_string(file) && json_string_length(file))
		snprintf(c->where, sizeof(c->where), "%s[%zu] (%s)", key, i, json_string_value(file));
	if (!(d = installed ? new_deb_in(&l->installed, &l->ninstalled) : new_deb(l)))
		return dt_oom(c->err);
	if ((rc = check_keys(c, o, installed ? installed_keys : deb_keys)) < 0 ||
	    (rc = get_dup(c, o, "repository", installed, &d->repository)) < 0 ||
	    (rc = get_dup(c, o, "filename", installed, &d->filename)) < 0 ||
	    (installed && (rc = get_dup(c, o, "status", 1, &d->status)) < 0) ||
	    (rc = get_dup(c, o, "architecture", 1, &d->architecture)) < 0 ||
	    (rc = get_dup(c, o, "file", 1, &d->file)) < 0 ||
	    (rc = get_dup(c, o, "name", 1, &d->name)) < 0 ||
	    (rc = get_hex(c, o, "sha256", 1, d->sha256)) < 0 ||
	    (rc = get_uint(c, o, "size", 1, MAX_SIZE, &d->size)) < 0 ||
	    (rc = get_dup(c, o, "version", 1, &d->version)) < 0)
		return rc;
	if ((why = deb_problem(d)))
		return perr(c, "%s", why);
	return 0;
}

struct path_ix {
	const char *path;
	size_t i;
};

static int path_ix_cmp(const void *pa, const void *pb)
{
	const struct path_ix *a = pa, *b = pb;
	int c = strcmp(a->path, b->path);

	return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* Names the second of two entries with one path, by its place in the file. */
static int find_duplicate(struct pctx *c, const struct mf_lock *l)
{
	struct path_ix *v;
	int rc = 0;

	if (l->nfiles < 2)
		return 0;
	if (!(v = malloc(l->nfiles * sizeof(*v))))
		return dt_oom(c->err);
	for (size_t i = 0; i < l->nfiles; i++)
		v[i] = (struct path_ix){ l->files[i].path, i };
	qsort(v, l->nfiles, sizeof(*v), path_ix_cmp);
	for (size_t i = 1; i < l->nfiles && rc == 0; i++)
		if (strcmp(v[i - 1].path, v[i].path) == 0) {
			snprintf(c->where, sizeof(c->where), "files[%zu] (%s)", v[i].i, v[i].path);
			rc = perr(c, "duplicate path (also files[%zu])", v[i - 1].i);
		}
	free(v);
	return rc;
}

static const char *const rel_keys[] = { "by", "field", "how", "package", "relation", NULL };

static int parse_rel(struct pctx *c, json_t *o, size_t i, struct mf_lock *l)
{
	struct mf_lock_rel *r;
	const char *why;
	int rc;

	snprintf(c->where, sizeof(c->where), "depends[%zu]", i);
	if (!json_is_object(o))
		return perr(c, "expected an object");
	if (!(r = new_rel(l)))
		return dt_oom(c->err);
	if ((rc = check_keys(c, o, rel_keys)) < 0 || (rc = get_dup(c, o, "by", 1, &r->by)) < 0 ||
	    (rc = get_dup(c, o, "field", 1, &r->field)) < 0 ||
	    (rc = get_dup(c, o, "how", 1, &r->how)) < 0 ||
	    (rc = get_dup(c, o, "package", 1, &r->package)) < 0 ||
	    (rc = get_dup(c, o, "relation", 1, &r->relation)) < 0)
		return rc;
	if ((why = rel_problem(r)))
		return perr(c, "%s", why);
	return 0;
}

static const char *const top_keys[] = { "debs", "depends", "files", "installed", "lockVersion",
					 "platform", "spec", NULL };
static const char *const spec_keys[] = { "file", "sha256", NULL };

static int parse_doc(struct pctx *c, json_t *doc, struct mf_lock *l)
{
	json_t *v, *spec, *files, *debs, *rels;
	int rc;

	if (!json_is_object(doc))
		return perr(c, "expected a JSON object at the top level");
	/* The version first: a newer lock may well have keys this distill does not know. */
	if (!(v = json_object_get(doc, "lockVersion")))
		return perr(c, "missing key \"lockVersion\"");
	if (!json_is_integer(v))
		return perr(c, "lockVersion: expected an integer");
	if (json_integer_value(v) != MF_LOCK_VERSION)
		return perr(c, "lockVersion %lld is not supported by this distill (%d)",
			    (long long)json_integer_value(v), MF_LOCK_VERSION);
	if ((rc = check_keys(c, doc, top_keys)) < 0)
		return rc;
	if ((rc = get_dup(c, doc, "platform", 1, &l->platform)) < 0)
		return rc;
	if (!(spec = json_object_get(doc, "spec")))
		return perr(c, "missing key \"spec\"");
	snprintf(c->where, sizeof(c->where), "spec");
	if (!json_is_object(spec))
		return perr(c, "expected an object");
	if ((rc = check_keys(c, spec, spec_keys)) < 0 ||
	    (rc = get_dup(c, spec, "file", 1, &l->spec_file)) < 0 ||
	    (rc = get_hex(c, spec, "sha256", 1, l->spec_sha256)) < 0)
		return rc;
	if (strchr(l->spec_file, '/'))
		return perr(c, "file: expected the base name of the spec");
	c->where[0] = '\0';
	debs = json_object_get(doc, "debs");
	files = json_object_get(doc, "files");
	if (!debs || !files)
		return perr(c, "missing key \"%s\"", debs ? "files" : "debs");
	if (!json_is_array(debs) || !json_is_array(files))
		return perr(c, "%s: expected an array", json_is_array(debs) ? "files" : "debs");
	for (size_t i = 0; i < json_array_size(debs); i++)
		if ((rc = parse_deb(c, json_array_get(debs, i), i, l, 0)) < 0)
			return rc;
	/* optional: a lock made where the root had no apt indexes has none */
	if ((v = json_object_get(doc, "installed"))) {
		c->where[0] = '\0';
		if (!json_is_array(v))
			return perr(c, "installed: expected an array");
		l->pinned = 1;
		for (size_t i = 0; i < json_array_size(v); i++)
			if ((rc = parse_deb(c, json_array_get(v, i), i, l, 1)) < 0)
				return rc;
	}
	for (size_t i = 0; i < json_array_size(files); i++)
		if ((rc = parse_file(c, json_array_get(files, i), i, l)) < 0)
			return rc;
	/* optional: only a lock whose packages have dependencies has it */
	if ((rels = json_object_get(doc, "depends"))) {
		c->where[0] = '\0';
		if (!json_is_array(rels))
			return perr(c, "depends: expected an array");
		for (size_t i = 0; i < json_array_size(rels); i++)
			if ((rc = parse_rel(c, json_array_get(rels, i), i, l)) < 0)
				return rc;
	}
	if ((rc = find_duplicate(c, l)) < 0)
		return rc;
	return mf_lock_sort(l, c->err);
}

int mf_lock_parse(const char *name, const void *buf, size_t len, struct mf_lock **out,
		  struct dt_err *err)
{
	struct pctx c = { .name = name, .err = err };
	struct mf_lock *l;
	json_error_t je;
	json_t *doc;
	int rc;

	*out = NULL;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return dt_err_set(err, DT_EINPUT, "'%s': line %d, column %d: %s", name, je.line,
				  je.column, je.text);
	if (!(l = mf_lock_new())) {
		json_decref(doc);
		return dt_oom(err);
	}
	rc = parse_doc(&c, doc, l);
	json_decref(doc);
	dt_sha256_digest(buf, len, l->digest);
	if (rc < 0) {
		mf_lock_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int mf_lock_load(const char *path, struct mf_lock **out, struct dt_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = dt_read_file(AT_FDCWD, path, MAX_LOCK_BYTES, &buf, &len, err)) == 0)
		rc = mf_lock_parse(path, buf, len, out, err);
	free(buf);
	return rc;
}

/* ---- writing */

struct jb {
	int rc;
	const char *what; /* the entry, for messages */
	struct dt_err *err;
};

static void put(struct jb *b, json_t *o, const char *key, json_t *v)
{
	if (b->rc < 0) {
		json_decref(v);
		return;
	}
	if (!v || json_object_set_new(o, key, v) < 0)
		b->rc = dt_oom(b->err);
}

static void put_str(struct jb *b, json_t *o, const char *key, const char *s)
{
	json_t *v, *raw;

	if (b->rc < 0 || !s)
		return;
	if (!(v = json_string(s))) {
		/* json_string() refuses bad UTF-8 and fails when out of memory: tell which. */
		if ((raw = json_string_nocheck(s))) {
			json_decref(raw);
			b->rc = dt_err_set(b->err, DT_EINPUT, "cannot write the lock: '%s': %s: not "
					   "valid UTF-8", b->what, key);
		} else {
			b->rc = dt_oom(b->err);
		}
		return;
	}
	put(b, o, key, v);
}

static void put_uint(struct jb *b, json_t *o, const char *key, uint64_t u)
{
	put(b, o, key, b->rc < 0 ? NULL : json_integer((json_int_t)u));
}

/* Like json_object_set_new(), json_array_append_new() releases @v even when it fails. */
static void append(struct jb *b, json_t *a, json_t *v)
{
	if (b->rc < 0) {
		json_decref(v);
		return;
	}
	if (!v || json_array_append_new(a, v) < 0)
		b->rc = dt_oom(b->err);
}

static json_t *file_json(struct jb *b, const struct mf_lock_file *f)
{
	json_t *o = json_object();
	char mode[8];

	if (!o) {
		b->rc = dt_oom(b->err);
		return NULL;
	}
	snprintf(mode, sizeof(mode), "%04o", (unsigned)f->mode);
	put_uint(b, o, "gid", f->gid);
	put_str(b, o, "layer", layer_names[f->layer]);
	put_str(b, o, "link", f->link);
	put_str(b, o, "mode", mode);
	put_str(b, o, "package", f->package);
	put_str(b, o, "package_version", f->package_version);
	put_str(b, o, "path", f->path);
	if (f->unpinned) {
		put_str(b, o, "pin", "path");
	} else if (f->type == MF_LOCK_REG) {
		put_str(b, o, "sha256", f->sha256);
		put_uint(b, o, "size", f->size);
	}
	put_str(b, o, "source", f->source);
	put_str(b, o, "type", type_names[f->type]);
	put_uint(b, o, "uid", f->uid);
	put_str(b, o, "why", f->why);
	put_str(b, o, "why_of", f->why_of);
	return o;
}

static json_t *deb_json(struct jb *b, const struct mf_lock_deb *d)
{
	json_t *o = json_object();

	if (!o) {
		b->rc = dt_oom(b->err);
		return NULL;
	}
	put_str(b, o, "architecture", d->architecture);
	put_str(b, o, "file", d->file);
	put_str(b, o, "filename", d->filename);
	put_str(b, o, "name", d->name);
	put_str(b, o, "repository", d->repository);
	put_str(b, o, "sha256", d->sha256);
	put_uint(b, o, "size", d->size);
	put_str(b, o, "status", d->status);
	put_str(b, o, "version", d->version);
	return o;
}

int mf_lock_dump(struct mf_lock *l, char **out, struct dt_err *err)
{
	struct jb b = { .err = err, .what = "spec" };
	json_t *doc = NULL, *files, *debs, *spec;
	const char *why;
	int rc;

	*out = NULL;
	if ((rc = mf_lock_sort(l, err)) < 0)
		return rc;
	if (empty(l->spec_file) || strchr(l->spec_file, '/') || !is_hex64(l->spec_sha256))
		return dt_err_set(err, DT_EINPUT, "cannot write the lock: spec: expected a base "
				  "name and 64 lowercase hex digits");
	if (empty(l->platform))
		return dt_err_set(err, DT_EINPUT, "cannot write the lock: platform: expected a "
				  "non-empty string");
	for (size_t i = 0; i < l->nfiles; i++)
		if ((why = file_problem(&l->files[i])))
			return dt_err_set(err, DT_EINPUT, "cannot write the lock: '%s': %s",
					  nz(l->files[i].path), why);
	for (size_t i = 0; i < l->ndebs; i++)
		if ((why = deb_problem(&l->debs[i])))
			return dt_err_set(err, DT_EINPUT, "cannot write the lock: '%s': %s",
					  nz(l->debs[i].file), why);
	for (size_t i = 0; i < l->ninstalled; i++)
		if ((why = deb_problem(&l->installed[i])) ||
		    (!l->installed[i].repository && (why = "repository: missing")) ||
		    (!l->installed[i].status && (why = "status: missing")))
			return dt_err_set(err, DT_EINPUT, "cannot write the lock: installed '%s': %s",
					  nz(l->installed[i].file), why);
	for (size_t i = 0; i < l->nrels; i++)
		if ((why = rel_problem(&l->rels[i])))
			return dt_err_set(err, DT_EINPUT, "cannot write the lock: depends[%zu]: %s",
					  i, why);
	if (!(doc = json_object()) || !(files = json_array()) || !(debs = json_array()) ||
	    !(spec = json_object())) {
		json_decref(doc);
		return dt_oom(err);
	}
	put(&b, doc, "files", files);
	put(&b, doc, "debs", debs);
	put(&b, doc, "spec", spec);
	put_uint(&b, doc, "lockVersion", MF_LOCK_VERSION);
	put_str(&b, doc, "platform", l->platform);
	put_str(&b, spec, "file", l->spec_file);
	put_str(&b, spec, "sha256", l->spec_sha256);
	for (size_t i = 0; i < l->ndebs && b.rc == 0; i++) {
		b.what = l->debs[i].file;
		append(&b, debs, deb_json(&b, &l->debs[i]));
	}
	for (size_t i = 0; i < l->nfiles && b.rc == 0; i++) {
		b.what = l->files[i].path;
		append(&b, files, file_json(&b, &l->files[i]));
	}
	if (l->pinned && b.rc == 0) {
		json_t *inst = json_array();
		if (!inst)
			b.rc = dt_oom(err);
		put(&b, doc, "installed", inst);
		for (size_t i = 0; i < l->ninstalled && b.rc == 0; i++) {
			b.what = l->installed[i].file;
			append(&b, inst, deb_json(&b, &l->installed[i]));
		}
	}
	if (l->nrels && b.rc == 0) {
		json_t *rels = json_array();
		if (!rels)
			b.rc = dt_oom(err);
		put(&b, doc, "depends", rels);
		for (size_t i = 0; i < l->nrels && b.rc == 0; i++) {
			const struct mf_lock_rel *r = &l->rels[i];
			json_t *o = json_object();
			b.what = r->package;
			if (!o) {
				b.rc = dt_oom(err);
				break;
			}
			put_str(&b, o, "by", r->by);
			put_str(&b, o, "field", r->field);
			put_str(&b, o, "how", r->how);
			put_str(&b, o, "package", r->package);
			put_str(&b, o, "relation", r->relation);
			append(&b, rels, o);
		}
	}
	rc = b.rc < 0 ? b.rc : mf_json_dump(doc, MF_JSON_PRETTY, out, err);
	json_decref(doc);
	return rc;
}

static int path_key_cmp(const void *key, const void *f)
{
	return strcmp(key, nz(((const struct mf_lock_file *)f)->path));
}

static const struct mf_lock_file *find_path(const struct mf_lock *l, const char *path)
{
	return l->nfiles ? bsearch(path, l->files, l->nfiles, sizeof(*l->files), path_key_cmp)
			 : NULL; /* files are sorted by path */
}

/* The entry @of names: a source ("host:...", "deb:...") or an image path. */
static const struct mf_lock_file *find_of(const struct mf_lock *l, const char *of)
{
	if (of[0] == '/')
		return find_path(l, of);
	for (size_t i = 0; i < l->nfiles; i++)
		if (l->files[i].source && strcmp(l->files[i].source, of) == 0)
			return &l->files[i];
	return NULL;
}

/* "<why> <path>" as a sentence: "DT_NEEDED of P", "symlink to P", "directory of P". */
static int step(struct dt_strv *chain, const char *why, const char *path)
{
	char buf[8400];

	if (strcmp(why, "symlink") == 0)
		snprintf(buf, sizeof(buf), "symlink to %s", path);
	else if (strncmp(why, "run-time load: ", 15) == 0)
		snprintf(buf, sizeof(buf), "run-time load of %s (%s)", path, why + 15);
	else if (strlen(why) >= 3 && (strcmp(why + strlen(why) - 3, " of") == 0 ||
				      (strlen(why) >= 5 && strcmp(why + strlen(why) - 5, " owns") == 0)))
		snprintf(buf, sizeof(buf), "%s %s", why, path);
	else
		snprintf(buf, sizeof(buf), "%s of %s", why, path);
	return dt_strv_push(chain, buf);
}

int mf_lock_why_chain(const struct mf_lock *l, const char *path, struct dt_strv *chain,
		      struct dt_err *err)
{
	const struct mf_lock_file *f = find_path(l, path), *seen[64];
	size_t nseen = 0;

	if (!f)
		return dt_err_set(err, DT_EINPUT, "'%s' is not in the lock", path);
	if (!f->why)
		return dt_err_set(err, DT_EINPUT, "'%s': the lock records no why (lock it again)",
				  path);
	if (dt_strv_push(chain, f->path) < 0)
		return dt_oom(err);
	while (nseen < 64) {
		const struct mf_lock_file *next = f->why_of ? find_of(l, f->why_of) : NULL;
		int loop = 0;
		seen[nseen++] = f;
		for (size_t i = 0; next && i < nseen; i++)
			loop |= seen[i] == next;
		if (!next || !next->why || loop) {
			/* the end: a spec entry, a skeleton rule, or what the lock cannot follow */
			if ((f->why_of && !next ? step(chain, f->why, f->why_of)
						: dt_strv_push(chain, f->why)) < 0)
				return dt_oom(err);
			return 0;
		}
		if (step(chain, f->why, next->path) < 0)
			return dt_oom(err);
		f = next;
	}
	return 0;
}
