/* SPDX-License-Identifier: MIT */
/* The dpkg database of a root (see dpkg.h): the status file's installed paragraphs, and one
 * open-addressing hash map from every path of their .list files to its first owner. */
#include "debian/dpkg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Header-only: the few hash calls inline, and manifest links nothing more. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/digest.h"

#define STATUS "/var/lib/dpkg/status"
#define INFO "/var/lib/dpkg/info/"
#define MAX_DB_FILE ((size_t)1 << 30)

struct slot {
	const char *path; /* NULL: empty; else a line of a .list buffer, or "/" */
	uint64_t hash;
	size_t pkg;       /* index in db->pkgs */
};

struct deb_dpkg {
	struct deb_dpkg_pkg *pkgs; /* by name; per name the native architecture first */
	size_t npkgs;
	struct slot *slots;       /* a power of two of them, at most half used */
	size_t nslots, used;
	char **lists;             /* the .list files read, whose lines the slots point into */
	size_t nlists;
};

void deb_dpkg_free(struct deb_dpkg *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->npkgs; i++) {
		free(db->pkgs[i].name);
		free(db->pkgs[i].arch);
		free(db->pkgs[i].version);
		free(db->pkgs[i].stanza);
	}
	for (size_t i = 0; i < db->nlists; i++)
		free(db->lists[i]);
	free(db->pkgs);
	free(db->slots);
	free(db->lists);
	free(db);
}

size_t deb_dpkg_count(const struct deb_dpkg *db)
{
	return db ? db->npkgs : 0;
}

/* ---- the status file */

static int blank(const char *line, const char *end)
{
	return line + strspn(line, " \t") >= end;
}

/* "  install ok installed " or "hold ok installed": unpacked and configured. */
static int installed(const char *v, size_t n)
{
	char want[16], flag[16], state[16], rest[2];
	char tmp[64];

	if (n >= sizeof(tmp))
		return 0;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (sscanf(tmp, "%15s %15s %15s %1s", want, flag, state, rest) != 3)
		return 0;
	return (strcmp(want, "install") == 0 || strcmp(want, "hold") == 0) &&
	       strcmp(flag, "ok") == 0 && strcmp(state, "installed") == 0;
}

static int pkg_push(struct deb_dpkg *db, size_t *cap, struct deb_dpkg_pkg **out)
{
	if (db->npkgs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct deb_dpkg_pkg *v = realloc(db->pkgs, ncap * sizeof(*v));
		if (!v)
			return -1;
		db->pkgs = v;
		*cap = ncap;
	}
	*out = &db->pkgs[db->npkgs++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

struct field {
	const char *v; /* the value, first line, trimmed */
	size_t n;
};

/* Keeps the paragraph [@start, @end) when it is an installed package. @first: the number
 * of its first line, for messages. */
static int paragraph(struct deb_dpkg *db, size_t *cap, const char *start, const char *end,
		     int first, const char *name, struct dt_err *err)
{
	struct field pkg = { 0 }, arch = { 0 }, version = { 0 }, status = { 0 };
	struct deb_dpkg_pkg *p;
	size_t slen;
	int line = first;

	for (const char *l = start; l < end; line++) {
		const char *eol = memchr(l, '\n', (size_t)(end - l)), *colon, *v, *ve;
		struct field *f = NULL;
		if (!eol)
			eol = end;
		if (*l != ' ' && *l != '\t') {
			if (!(colon = memchr(l, ':', (size_t)(eol - l))) || colon == l)
				return dt_err_set(err, DT_EINPUT, "'%s': line %d: expected a field "
						  "(Name: value)", name, line);
			if (colon - l == 7 && strncasecmp(l, "Package", 7) == 0)
				f = &pkg;
			else if (colon - l == 12 && strncasecmp(l, "Architecture", 12) == 0)
				f = &arch;
			else if (colon - l == 7 && strncasecmp(l, "Version", 7) == 0)
				f = &version;
			else if (colon - l == 6 && strncasecmp(l, "Status", 6) == 0)
				f = &status;
			for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r');
			     ve--)
				;
			if (f) {
				f->v = v;
				f->n = (size_t)(ve - v);
			}
		}
		l = eol < end ? eol + 1 : end;
	}
	if (!status.v || !installed(status.v, status.n))
		return 0;
	/* The name and architecture become file names under info/. */
	if (!pkg.n || memchr(pkg.v, '/', pkg.n) || memchr(pkg.v, ':', pkg.n) ||
	    (arch.n && memchr(arch.v, '/', arch.n)) || !version.n)
		return dt_err_set(err, DT_EINPUT, "'%s': line %d: an installed package without %s",
				  name, first, !pkg.n ? "a Package field"
				  : !version.n ? "a Version field"
				  : "a valid Package or Architecture field");
	if (pkg_push(db, cap, &p) < 0)
		return dt_oom(err);
	slen = (size_t)(end - start);
	if (!(p->name = strndup(pkg.v, pkg.n)) ||
	    !(p->arch = strndup(arch.v ? arch.v : "", arch.n)) ||
	    !(p->version = strndup(version.v, version.n)) || !(p->stanza = malloc(slen + 2)))
		return dt_oom(err);
	memcpy(p->stanza, start, slen);
	if (slen == 0 || start[slen - 1] != '\n')
		p->stanza[slen++] = '\n';
	p->stanza[slen] = '\0';
	return 0;
}

static int parse_status(struct deb_dpkg *db, const char *text, size_t len, const char *name,
			struct dt_err *err)
{
	const char *p = text, *end = text + len, *start = NULL;
	size_t cap = 0;
	int line = 1, first = 0, rc;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;
		if (blank(p, eol ? eol : end)) {
			if (start && (rc = paragraph(db, &cap, start, p, first, name, err)) < 0)
				return rc;
			start = NULL;
		} else if (!start) {
			start = p;
			first = line;
		}
		p = next;
		line++;
	}
	if (start)
		return paragraph(db, &cap, start, end, first, name, err);
	return 0;
}

/* ---- the path map */

static struct slot *slot_of(const struct deb_dpkg *db, const char *path, size_t len,
			    uint64_t h)
{
	size_t mask = db->nslots - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct slot *s = &db->slots[i];
		if (!s->path || (s->hash == h && strncmp(s->path, path, len) == 0 &&
				 s->path[len] == '\0'))
			return s;
	}
}

static int map_grow(struct deb_dpkg *db)
{
	size_t n = db->nslots ? db->nslots * 2 : 4096;
	struct slot *old = db->slots, *v = calloc(n, sizeof(*v));
	size_t oldn = db->nslots;

	if (!v)
		return -1;
	db->slots = v;
	db->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].path) {
			struct slot *s = slot_of(db, old[i].path, strlen(old[i].path), old[i].hash);
			*s = old[i];
		}
	free(old);
	return 0;
}

/* The first package to list a path keeps it: packages come in name order. */
static int map_add(struct deb_dpkg *db, const char *path, size_t len, size_t pkg)
{
	uint64_t h = XXH3_64bits(path, len);
	struct slot *s;

	if ((db->used + 1) * 2 > db->nslots && map_grow(db) < 0)
		return -1;
	s = slot_of(db, path, len, h);
	if (!s->path) {
		s->path = path;
		s->hash = h;
		s->pkg = pkg;
		db->used++;
	}
	return 0;
}

static const struct deb_dpkg_pkg *map_get(const struct deb_dpkg *db, const char *path)
{
	size_t len = strlen(path);
	const struct slot *s;

	if (!db->nslots)
		return NULL;
	s = slot_of(db, path, len, XXH3_64bits(path, len));
	return s->path ? &db->pkgs[s->pkg] : NULL;
}

/* Reads info/<pkg>:<arch>.list, or info/<pkg>.list, into the map. */
static int read_list(struct deb_dpkg *db, const struct deps_root *root, size_t i,
		     struct dt_err *err)
{
	const struct deb_dpkg_pkg *p = &db->pkgs[i];
	char path[1024], *text = NULL, **v;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), INFO "%s:%s.list", p->name, p->arch);
	if (!p->arch[0] || (rc = deps_root_read(root, path, MAX_DB_FILE, &text, &len, err)) == 1) {
		snprintf(path, sizeof(path), INFO "%s.list", p->name);
		rc = deps_root_read(root, path, MAX_DB_FILE, &text, &len, err);
	}
	if (rc != 0)
		return rc < 0 ? rc : 0; /* no list: a package without files */
	if (!(v = realloc(db->lists, (db->nlists + 1) * sizeof(*v)))) {
		free(text);
		return dt_oom(err);
	}
	db->lists = v;
	db->lists[db->nlists++] = text;
	for (char *l = text, *end = text + len; l < end;) {
		char *eol = memchr(l, '\n', (size_t)(end - l));
		size_t n;
		if (!eol)
			eol = end; /* text[len] is already the NUL */
		*eol = '\0';
		n = (size_t)(eol - l);
		if (n == 2 && l[0] == '/' && l[1] == '.') {
			l[1] = '\0'; /* "/." is the root */
			n = 1;
		}
		if (n && l[0] == '/' && map_add(db, l, n, i) < 0)
			return dt_oom(err);
		l = eol + 1;
	}
	return 0;
}

static int pkg_cmp(const void *pa, const void *pb)
{
	const struct deb_dpkg_pkg *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	return c ? c : strcmp(a->arch, b->arch);
}

int deb_dpkg_open(const struct deps_root *root, struct deb_dpkg **out, struct dt_err *err)
{
	struct deb_dpkg *db = calloc(1, sizeof(*db));
	const char *native = NULL;
	char *text = NULL, name[4200];
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!db)
		return dt_oom(err);
	deps_root_shown(root, STATUS, name, sizeof(name));
	if ((rc = deps_root_read(root, STATUS, MAX_DB_FILE, &text, &len, err)) < 0)
		goto out;
	if (rc == 1) {
		rc = 0;
		goto done;
	}
	if ((rc = parse_status(db, text, len, name, err)) < 0)
		goto out;
	if (db->npkgs > 1)
		qsort(db->pkgs, db->npkgs, sizeof(*db->pkgs), pkg_cmp);
	for (size_t i = 0; i < db->npkgs && !native; i++)
		if (strcmp(db->pkgs[i].name, "dpkg") == 0)
			native = db->pkgs[i].arch;
	/* Per name, the native architecture first: find() and owner() prefer it. */
	for (size_t i = 0, j; native && i < db->npkgs; i = j) {
		for (j = i + 1; j < db->npkgs && strcmp(db->pkgs[j].name, db->pkgs[i].name) == 0;
		     j++)
			;
		for (size_t k = i + 1; k < j; k++)
			if (strcmp(db->pkgs[k].arch, native) == 0) {
				struct deb_dpkg_pkg t = db->pkgs[k];
				memmove(&db->pkgs[i + 1], &db->pkgs[i], (k - i) * sizeof(t));
				db->pkgs[i] = t;
				break;
			}
	}
	for (size_t i = 0; i < db->npkgs; i++)
		if ((rc = read_list(db, root, i, err)) < 0)
			goto out;
done:
	*out = db;
	db = NULL;
out:
	free(text);
	deb_dpkg_free(db);
	return rc;
}

/* ---- queries */

/* "/usr/lib/x" <-> "/lib/x" (and bin, sbin, lib32, lib64, libx32), or 0 when @path has
 * no other name. */
static int usr_alias(const char *path, char *buf, size_t size)
{
	static const char *const dirs[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
	int usr = strncmp(path, "/usr/", 5) == 0;
	const char *top = usr ? path + 4 : path;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i]);
		if (top[0] != '/' || strncmp(top + 1, dirs[i], n) != 0 ||
		    (top[n + 1] != '/' && top[n + 1] != '\0'))
			continue;
		return snprintf(buf, size, "%s%s", usr ? "" : "/usr", top) < (int)size;
	}
	return 0;
}

const struct deb_dpkg_pkg *deb_dpkg_owner(const struct deb_dpkg *db, const char *path)
{
	const struct deb_dpkg_pkg *p;
	char other[4200];

	if (!db || !path)
		return NULL;
	if ((p = map_get(db, path)))
		return p;
	return usr_alias(path, other, sizeof(other)) ? map_get(db, other) : NULL;
}

const struct deb_dpkg_pkg *deb_dpkg_find(const struct deb_dpkg *db, const char *name)
{
	const char *colon;
	size_t n, lo = 0, hi;

	if (!db || !name)
		return NULL;
	colon = strchr(name, ':');
	n = colon ? (size_t)(colon - name) : strlen(name);
	hi = db->npkgs;
	while (lo < hi) { /* the first package whose name is not below name[0..n) */
		size_t mid = lo + (hi - lo) / 2;
		const char *pn = db->pkgs[mid].name;
		int c = strncmp(pn, name, n);
		if (c == 0 && pn[n] != '\0')
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < db->npkgs; i++) {
		const struct deb_dpkg_pkg *p = &db->pkgs[i];
		if (strncmp(p->name, name, n) != 0 || p->name[n] != '\0')
			return NULL;
		if (!colon || strcmp(p->arch, colon + 1) == 0)
			return p;
	}
	return NULL;
}

int deb_dpkg_md5sums_read(const struct deps_root *root, const struct deb_dpkg_pkg *p,
			  char **text, struct dt_err *err)
{
	char path[1024];
	size_t len = 0;
	int rc = 1;

	*text = NULL;
	if (p->arch[0]) {
		snprintf(path, sizeof(path), INFO "%s:%s.md5sums", p->name, p->arch);
		rc = deps_root_read(root, path, MAX_DB_FILE, text, &len, err);
	}
	if (rc == 1) {
		snprintf(path, sizeof(path), INFO "%s.md5sums", p->name);
		rc = deps_root_read(root, path, MAX_DB_FILE, text, &len, err);
	}
	return rc < 0 ? rc : 0;
}

/* "<md5>  <rel>" in @text, @rel without its leading '/'. */
static int md5_line(const char *text, const char *rel, char md5[33])
{
	size_t n = strlen(rel);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *q = l + 32;
		if (strlen(l) < 34 + n || q[0] != ' ' || q[1] != ' ' || strncmp(q + 2, rel, n) != 0 ||
		    (q[2 + n] != '\n' && q[2 + n] != '\0') || !dt_is_hex(l, 32))
			continue;
		memcpy(md5, l, 32);
		md5[32] = '\0';
		return 0;
	}
	return 1;
}

/* " /etc/x <md5>[ obsolete]" under Conffiles: in @stanza. */
static int conffile_line(const char *stanza, const char *path, char md5[33])
{
	size_t n = strlen(path);
	int in = 0;

	for (const char *l = stanza; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (*l != ' ') {
			in = strncasecmp(l, "Conffiles:", 10) == 0;
			continue;
		}
		if (in && strncmp(l + 1, path, n) == 0 && l[1 + n] == ' ' && dt_is_hex(l + 2 + n, 32)) {
			memcpy(md5, l + 2 + n, 32);
			md5[32] = '\0';
			return 0;
		}
	}
	return 1;
}

int deb_dpkg_md5_of(const struct deb_dpkg_pkg *p, const char *md5sums, const char *path,
		    char md5[33], int *conffile)
{
	char other[4200];
	const char *paths[2] = { path, usr_alias(path, other, sizeof(other)) ? other : NULL };

	*conffile = 0;
	for (int i = 0; i < 2 && paths[i]; i++) {
		if (md5sums && paths[i][0] == '/' && md5_line(md5sums, paths[i] + 1, md5) == 0)
			return 0;
		if (p->stanza && conffile_line(p->stanza, paths[i], md5) == 0) {
			*conffile = 1;
			return 0;
		}
	}
	return 1;
}

/* ---- update-alternatives' database ---- */

#define ALT_MAX 1024

void deb_alternative_release(struct deb_alternative *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].path);
	free(a->v);
	free(a->link);
	memset(a, 0, sizeof(*a));
}

/* The next line of *@p (NUL-terminated in place), or NULL at the end. */
static char *alt_line(char **p)
{
	char *l = *p, *nl;

	if (!l || !*l)
		return NULL;
	if ((nl = strchr(l, '\n'))) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = l + strlen(l);
	}
	return l;
}

int deb_alternative_parse(const char *name, const char *text, struct deb_alternative *out,
			  struct dt_err *err)
{
	char *copy = strdup(text), *p = copy, *l, *end;
	size_t nslaves = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!copy)
		return dt_oom(err);
	if (!(l = alt_line(&p)) || (strcmp(l, "auto") != 0 && strcmp(l, "manual") != 0)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': not auto or manual", name);
		goto out;
	}
	out->manual = strcmp(l, "manual") == 0;
	if (!(l = alt_line(&p)) || l[0] != '/' || !(out->link = strdup(l))) {
		rc = l && l[0] == '/' ? dt_oom(err)
				      : dt_err_set(err, DT_EINPUT, "'%s': no link", name);
		goto out;
	}
	for (;;) { /* slave name and link pairs, up to an empty line */
		if (!(l = alt_line(&p))) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': ends in its slaves", name);
			goto out;
		}
		if (!*l)
			break;
		if (!alt_line(&p) || ++nslaves > ALT_MAX) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': a slave without a link, or more than "
					"%d", name, ALT_MAX);
			goto out;
		}
	}
	while ((l = alt_line(&p)) && *l) { /* candidates, up to an empty line */
		struct deb_alt_choice *v;
		char *prio = alt_line(&p);
		long n;
		if (l[0] != '/' || !prio || !*prio) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': a candidate without a path and a "
					"priority", name);
			goto out;
		}
		errno = 0;
		n = strtol(prio, &end, 10);
		if (errno || *end) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': priority '%s' of '%s' is not a number",
					name, prio, l);
			goto out;
		}
		for (size_t k = 0; k < nslaves; k++)
			if (!alt_line(&p)) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': candidate '%s' lacks its slaves",
						name, l);
				goto out;
			}
		if (out->n == ALT_MAX) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': more than %d candidates", name, ALT_MAX);
			goto out;
		}
		if (!(v = realloc(out->v, (out->n + 1) * sizeof(*v)))) {
			rc = dt_oom(err);
			goto out;
		}
		out->v = v;
		v[out->n].priority = n;
		if (!(v[out->n].path = strdup(l))) {
			rc = dt_oom(err);
			goto out;
		}
		out->n++;
	}
out:
	free(copy);
	if (rc < 0)
		deb_alternative_release(out);
	return rc;
}
