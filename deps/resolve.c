/* SPDX-License-Identifier: MIT */
/* The closure resolver of resolve.h, following glibc 2.36 elf/dl-load.c (_dl_map_object)
 * and elf/dl-deps.c (breadth-first loading). */
#include "deps/resolve.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps/ldso.h"
#include "deps/resolve_private.h"

#define MAX_OBJS 100000
#define MAX_SCRIPT_DEPTH 4

const char *deps_how_name(enum deps_how h)
{
	static const char *const names[] = { "loaded", "path", "rpath", "library-path",
		"runpath", "ld.so.cache", "ld.so.conf", "default", "interpreter", "script",
		"runtime", "missing" };
	return names[h];
}

static int try_dir(struct deps_ctx *c, const char *dir, const char *name, int loader, int legacy,
		   int *found);
static int add_variants(struct deps_ctx *c, int idx, const char *dir, const char *name, int legacy);

static uint64_t hash_str(const char *s);

static void strmap_release(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static int strmap_find(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return -1;
	for (size_t h = hash_str(key) & (m->cap - 1); m->keys[h]; h = (h + 1) & (m->cap - 1))
		if (strcmp(m->keys[h], key) == 0)
			return m->vals[h];
	return -1;
}

/* Puts @key (borrowed) -> @val unless present. @return 1 added, 0 present, -1 no memory. */
static int strmap_put(struct strmap *m, const char *key, int val)
{
	size_t h;

	if ((m->n + 1) * 10 > m->cap * 7) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		const char **keys = calloc(cap, sizeof(*keys));
		int *vals = calloc(cap, sizeof(*vals));
		if (!keys || !vals) {
			free(keys);
			free(vals);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			for (h = hash_str(m->keys[i]) & (cap - 1); keys[h]; h = (h + 1) & (cap - 1))
				;
			keys[h] = m->keys[i];
			vals[h] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	for (h = hash_str(key) & (m->cap - 1); m->keys[h]; h = (h + 1) & (m->cap - 1))
		if (strcmp(m->keys[h], key) == 0)
			return 0;
	m->keys[h] = key;
	m->vals[h] = val;
	m->n++;
	return 1;
}

int deps_find_loaded(const struct deps_ctx *c, const char *name)
{
	return strmap_find(&c->names, name);
}

int deps_add_name(struct deps_ctx *c, int idx, const char *name)
{
	struct dt_strv *s = &c->p->objs[idx].names;
	if (!name || dt_strv_has(s, name))
		return 0;
	if (dt_strv_push(s, name) < 0 || strmap_put(&c->names, s->v[s->n - 1], idx) < 0)
		return dt_oom(c->err);
	return 0;
}

static int add_file(struct deps_ctx *c, const char *path)
{
	int rc;
	if (strmap_find(&c->files, path) >= 0)
		return 0;
	if (dt_strv_push(&c->res->files, path) < 0 ||
	    (rc = strmap_put(&c->files, c->res->files.v[c->res->files.n - 1], 0)) < 0)
		return dt_oom(c->err);
	return 0;
}

static int add_files(struct deps_ctx *c, const struct dt_strv *links, const char *real)
{
	for (size_t i = 0; links && i < links->n; i++)
		if (add_file(c, links->v[i]) < 0)
			return -DT_ENOMEM;
	if (real && add_file(c, real) < 0)
		return -DT_ENOMEM;
	return 0;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static void memo_entry_free(struct memo_entry *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->real);
	dt_strv_release(&e->links);
	deps_elf_free(e->elf);
	free(e);
}

static void memo_free(struct deps_memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		memo_entry_free(m->slots[i]);
	free(m->slots);
	free(m);
}

static int memo_grow(struct deps_memo *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	struct memo_entry **slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		size_t h;
		if (!m->slots[i])
			continue;
		for (h = hash_str(m->slots[i]->path) & (cap - 1); slots[h]; h = (h + 1) & (cap - 1))
			;
		slots[h] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

/* The resolution of @path inside the root, from the memo or computed now. */
static int memo_get(struct deps_ctx *c, const char *path, struct memo_entry **out)
{
	struct deps_memo *m = c->res->memo;
	struct memo_entry *e;
	struct stat st;
	size_t h;
	int rc;

	if (m->cap) {
		for (h = hash_str(path) & (m->cap - 1); m->slots[h]; h = (h + 1) & (m->cap - 1))
			if (strcmp(m->slots[h]->path, path) == 0) {
				*out = m->slots[h];
				return 0;
			}
	}
	if (!(e = calloc(1, sizeof(*e))) || !(e->path = strdup(path))) {
		free(e);
		return dt_oom(c->err);
	}
	rc = deps_root_resolve(c->root, path, &e->links, &e->real, c->err);
	if (rc < 0) {
		memo_entry_free(e);
		return rc;
	}
	if (rc == 0 && fstatat(c->root->fd, e->real[1] ? e->real + 1 : ".", &st,
			       AT_SYMLINK_NOFOLLOW) == 0) {
		e->found = S_ISREG(st.st_mode);
		e->is_dir = S_ISDIR(st.st_mode);
		e->dev = (uint64_t)st.st_dev;
		e->ino = (uint64_t)st.st_ino;
	}
	if ((m->n + 1) * 10 > m->cap * 7 && memo_grow(m) < 0) {
		memo_entry_free(e);
		return dt_oom(c->err);
	}
	for (h = hash_str(path) & (m->cap - 1); m->slots[h]; h = (h + 1) & (m->cap - 1))
		;
	m->slots[h] = e;
	m->n++;
	*out = e;
	return 0;
}

/* Puts @path, when it resolves to a regular file, and the symlinks on the way into the file
 * list (@add) or only looks (@add 0). @return 1 a file, 0 not one, or a negative code. */
int deps_add_path(struct deps_ctx *c, const char *path, int add)
{
	struct memo_entry *m = NULL;
	int rc = memo_get(c, path, &m);

	if (rc < 0)
		return rc;
	if (!m->found)
		return 0;
	if (add && (rc = add_files(c, &m->links, m->real)) < 0)
		return rc;
	return 1;
}

/* Opens and checks a candidate like open_verify: absent -> 0; wrong class or machine ->
 * 0 (skipped, as ld.so skips it); not ELF or malformed -> error; else 1 and *@idx, reusing
 * an object already loaded from the same file. */
static int load_file(struct deps_ctx *c, const char *path, int loader, int *idx)
{
	struct memo_entry *m = NULL;
	struct deps_obj *o, *v;
	int rc;

	if ((rc = memo_get(c, path, &m)) < 0)
		return rc;
	if (!m->found)
		return 0;
	for (size_t i = 0; i < c->p->nobjs; i++)
		if (c->p->objs[i].dev == m->dev && c->p->objs[i].ino == m->ino) {
			*idx = (int)i;
			if ((rc = add_files(c, &m->links, NULL)) < 0 || (rc = deps_add_name(c, *idx, path)) < 0)
				return rc;
			return 1;
		}
	if (!m->elf) {
		int fd = deps_root_open_file(c->root, m->real);
		if (fd < 0)
			return fd == -EACCES ? 0 : dt_err_sys(c->err, -fd, "cannot open '%s'", path);
		rc = deps_elf_read(fd, path,
				   (c->o->runtime == DEPS_RUNTIME_OFF ? 0 : DEPS_ELF_IMPORTS) |
					   (c->o->versions ? DEPS_ELF_VERSIONS : 0) |
					   (c->o->symbols ? DEPS_ELF_SYMBOLS : 0),
				   &m->elf, c->err);
		close(fd);
		if (rc < 0)
			return rc;
	}
	if (c->abi && (m->elf->machine != c->abi->machine || m->elf->elf_class != c->abi->elf_class))
		return 0; /* another class or machine: ld.so skips it and searches on */
	if (c->p->nobjs >= MAX_OBJS)
		return dt_err_set(c->err, DT_EINPUT, "more than %d objects", MAX_OBJS);
	if (!(v = realloc(c->p->objs, (c->p->nobjs + 1) * sizeof(*v))))
		return dt_oom(c->err);
	c->p->objs = v;
	o = &c->p->objs[c->p->nobjs];
	memset(o, 0, sizeof(*o));
	o->path = strdup(path);
	o->real = strdup(m->real);
	o->elf = m->elf;
	o->loader = loader;
	o->dev = m->dev;
	o->ino = m->ino;
	*idx = (int)c->p->nobjs++;
	if (!o->path || !o->real || deps_add_name(c, *idx, path) < 0 ||
	    deps_add_name(c, *idx, o->elf->soname) < 0)
		return dt_oom(c->err);
	if ((rc = add_files(c, &m->links, o->real)) < 0)
		return rc;
	return 1;
}

/* Replaces $ORIGIN, $LIB, $PLATFORM and their ${} forms. @return a new string or NULL. */
static char *expand(const char *s, const char *origin, const struct deps_abi *abi)
{
	size_t cap = strlen(s) * 4 + 4096, n = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (*s) {
		static const char *const toks[] = { "ORIGIN", "LIB", "PLATFORM" };
		const char *val = NULL;
		size_t skip = 0;
		if (*s == '$') {
			for (int t = 0; t < 3 && !val; t++) {
				size_t l = strlen(toks[t]);
				const char *v = t == 0 ? origin : t == 1 ? abi->lib : abi->platform;
				if (strncmp(s + 1, toks[t], l) == 0 &&
				    !((s[1 + l] >= 'A' && s[1 + l] <= 'Z') || s[1 + l] == '_' ||
				      (s[1 + l] >= 'a' && s[1 + l] <= 'z') || (s[1 + l] >= '0' && s[1 + l] <= '9')))
					val = v, skip = 1 + l;
				else if (s[1] == '{' && strncmp(s + 2, toks[t], l) == 0 && s[2 + l] == '}')
					val = v, skip = 3 + l;
			}
		}
		if (val) {
			size_t l = strlen(val);
			if (n + l + 1 > cap) {
				free(out);
				return NULL;
			}
			memcpy(out + n, val, l);
			n += l;
			s += skip;
		} else {
			if (n + 2 > cap) {
				free(out);
				return NULL;
			}
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return out;
}

static char *origin_of(const struct deps_ctx *c, int idx)
{
	const struct deps_obj *o = &c->p->objs[idx];
	/* The executable's origin is its real path's directory; a library's, the directory of
	 * the path it was found at (symlinks not resolved). */
	const char *p = idx == 0 ? o->real : o->path;
	const char *slash = strrchr(p, '/');
	return slash == p ? strdup("/") : strndup(p, (size_t)(slash - p));
}

/* $PLATFORM is "x86_64" on a baseline x86-64 CPU and "haswell" or "xeon_phi" on others (glibc
 * 2.36's init_cpu_features): the list was searched for the baseline; for each other value,
 * the first NAME the same list gives is copied too, as a variant of object @idx, so that
 * the image finds what its CPU's ld.so would load. @return 1 (the search found @idx), or a
 * negative code. */
static int platform_variants(struct deps_ctx *c, const char *list, const char *origin,
			     const char *name, int idx)
{
	for (int i = 0; c->abi->platforms[i]; i++) {
		struct deps_abi abi = *c->abi;
		char *copy, *dir, *save = NULL, *path = NULL;
		int rc = 0;
		abi.platform = c->abi->platforms[i];
		if (!(copy = expand(list, origin, &abi)))
			continue;
		for (dir = strtok_r(copy, ":", &save); dir && rc == 0; dir = strtok_r(NULL, ":", &save)) {
			if (dir[0] != '/')
				continue;
			if (asprintf(&path, "%s/%s", dir, name) < 0) {
				path = NULL;
				rc = dt_oom(c->err);
				break;
			}
			if (strcmp(path, c->p->objs[idx].path) == 0) {
				rc = 1; /* the same file as the baseline's */
			} else if ((rc = deps_add_path(c, path, 1)) > 0 &&
			    !dt_strv_has(&c->p->objs[idx].variants, path) &&
			    dt_strv_push(&c->p->objs[idx].variants, path) < 0)
				rc = dt_oom(c->err);
			free(path);
			path = NULL;
		}
		free(copy);
		if (rc < 0)
			return rc;
	}
	return 1;
}

/* Tries NAME, needed by object @loader, in each directory of a colon-separated list whose
 * tokens are expanded for object @idx (the one whose RPATH it is: $ORIGIN is its own). */
static int search_list(struct deps_ctx *c, const char *list, int idx, int loader,
		       const char *name, int *found)
{
	char *origin = origin_of(c, idx), *copy, *dir, *save = NULL;
	int rc = 0;

	if (!origin)
		return dt_oom(c->err);
	if (!(copy = expand(list, origin, c->abi))) {
		free(origin);
		return 0;
	}
	for (dir = strtok_r(copy, ":", &save); dir && rc == 0; dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			continue; /* relative entries depend on the cwd: ld.so would use it; we cannot */
		rc = try_dir(c, dir, name, loader, 1, found);
	}
	free(copy);
	if (rc > 0 && strstr(list, "PLATFORM"))
		rc = platform_variants(c, list, origin, name, *found);
	free(origin);
	return rc;
}

static int search_dirs(struct deps_ctx *c, const char *const *dirs, size_t n, int loader,
		       const char *name, int *found)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = try_dir(c, dirs[i], name, loader, 1, found);
	return rc;
}

static int in_system_dir(const struct deps_abi *abi, const char *path)
{
	for (int i = 0; abi->system_dirs[i]; i++) {
		size_t l = strlen(abi->system_dirs[i]);
		if (strncmp(path, abi->system_dirs[i], l) == 0 && path[l] == '/')
			return 1;
	}
	return 0;
}

/* _dl_map_object's search for NAME needed by object @idx. */
int deps_search(struct deps_ctx *c, int idx, const char *name, int *found, enum deps_how *how)
{
	const struct deps_obj *o = &c->p->objs[idx];
	int nodeflib = (o->elf->flags_1 & DF_1_NODEFLIB) != 0;
	int rc;

	if (!o->elf->runpath) {
		*how = DEPS_HOW_RPATH;
		for (int l = idx; l >= 0; l = c->p->objs[l].loader)
			if (c->p->objs[l].elf && c->p->objs[l].elf->rpath &&
			    (rc = search_list(c, c->p->objs[l].elf->rpath, l, idx, name, found)) != 0)
				return rc;
	}
	if (c->o->library_path) {
		*how = DEPS_HOW_LIBPATH;
		if ((rc = search_list(c, c->o->library_path, 0, idx, name, found)) != 0)
			return rc;
	}
	if (o->elf->runpath) {
		*how = DEPS_HOW_RUNPATH;
		if ((rc = search_list(c, o->elf->runpath, idx, idx, name, found)) != 0)
			return rc;
	}
	if (c->conf.have_cache) {
		const char *cached = deps_ldconf_cache_lookup(&c->conf, name);
		*how = DEPS_HOW_CACHE;
		if (cached && !(nodeflib && in_system_dir(c->abi, cached))) {
			size_t before = c->p->nobjs;
			if ((rc = load_file(c, cached, idx, found)) < 0)
				return rc;
			if (rc > 0) {
				const char *slash = strrchr(cached, '/');
				char *dir = strndup(cached, (size_t)(slash - cached));
				if (!dir)
					return dt_oom(c->err);
				if (c->p->nobjs > before)
					rc = add_variants(c, *found, dir, slash + 1, 0);
				free(dir);
				return rc < 0 ? rc : 1;
			}
		}
	} else {
		*how = DEPS_HOW_CONF;
		if ((rc = search_dirs(c, (const char *const *)c->conf.conf_dirs.v,
				      c->conf.conf_dirs.n, idx, name, found)) != 0)
			return rc;
	}
	if (!nodeflib) {
		size_t n = 0;
		while (c->abi->system_dirs[n])
			n++;
		*how = DEPS_HOW_DEFAULT;
		if ((rc = search_dirs(c, c->abi->system_dirs, n, idx, name, found)) != 0)
			return rc;
	}
	*how = DEPS_HOW_MISSING;
	return 0;
}

/* The subdirectories ld.so tries in each directory, in its order: glibc-hwcaps, then (for
 * searched directories, not the cache) 2.36's legacy hwcaps dirs, then the directory itself.
 * Writes "sub/" prefixes ("" last) into @subs. @return their count. */
static size_t variant_subdirs(const struct deps_abi *abi, int legacy, char subs[][64])
{
	size_t n = 0;
	for (int i = 0; abi->hwcaps[i]; i++)
		snprintf(subs[n++], 64, "glibc-hwcaps/%s/", abi->hwcaps[i]);
	for (int i = 0; legacy && abi->legacy[i]; i++)
		snprintf(subs[n++], 64, "%s/", abi->legacy[i]);
	subs[n++][0] = '\0';
	return n;
}

/* DIR/SUB/NAME into *@path, or NULL when DIR/SUB is not a directory (SUB ends in "/" or is
 * ""): most variant subdirectories do not exist, and the memo asks once per run, not once
 * per library name. */
static int variant_path(struct deps_ctx *c, const char *dir, const char *sub, const char *name,
			char **path)
{
	struct memo_entry *m = NULL;
	char *d = NULL;
	int rc;

	*path = NULL;
	if (sub[0]) {
		if (asprintf(&d, "%s/%.*s", dir, (int)strlen(sub) - 1, sub) < 0)
			return dt_oom(c->err);
		rc = memo_get(c, d, &m);
		free(d);
		if (rc < 0)
			return rc;
		if (!m->is_dir)
			return 0;
	}
	return asprintf(path, "%s/%s%s", dir, sub, name) < 0 ? dt_oom(c->err) : 0;
}

/* Every variant of NAME in DIR other than the one loaded as object @idx is copied too: the
 * image's CPU is unknown, so each CPU level must find what it would load. */
static int add_variants(struct deps_ctx *c, int idx, const char *dir, const char *name, int legacy)
{
	char subs[16][64];
	size_t n = variant_subdirs(c->abi, legacy, subs);

	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		int rc;
		if ((rc = variant_path(c, dir, subs[i], name, &path)) < 0)
			return rc;
		if (!path)
			continue;
		if (strcmp(path, c->p->objs[idx].path) != 0 && (rc = deps_add_path(c, path, 1)) > 0 &&
		    !dt_strv_has(&c->p->objs[idx].variants, path) &&
		    dt_strv_push(&c->p->objs[idx].variants, path) < 0)
			rc = dt_oom(c->err);
		free(path);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Tries NAME in DIR as ld.so does: each variant subdirectory first, then DIR. */
static int try_dir(struct deps_ctx *c, const char *dir, const char *name, int loader, int legacy,
		   int *found)
{
	char subs[16][64];
	size_t n = variant_subdirs(c->abi, legacy, subs);
	size_t before = c->p->nobjs;

	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		int rc;
		if ((rc = variant_path(c, dir, subs[i], name, &path)) < 0)
			return rc;
		if (!path)
			continue;
		rc = load_file(c, path, loader, found);
		free(path);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			if (c->p->nobjs > before && (rc = add_variants(c, *found, dir, name, legacy)) < 0)
				return rc;
			return 1;
		}
	}
	return 0;
}

static int resolve_need(struct deps_ctx *c, int idx, const char *name)
{
	struct deps_need *nd, *v;
	enum deps_how how = DEPS_HOW_LOADED;
	int found = deps_find_loaded(c, name), rc = 0;

	if (found < 0 && !c->p->objs[0].elf->interp &&
	    strcmp(name, strrchr(c->abi->interp, '/') + 1) == 0) {
		how = DEPS_HOW_INTERP;
		if ((rc = load_file(c, c->abi->interp, -1, &found)) < 0)
			return rc;
		if (rc == 0)
			found = -1;
		else if ((rc = deps_add_name(c, found, name)) < 0)
			return rc;
	}
	if (found < 0) {
		if (strchr(name, '/')) {
			char *origin = origin_of(c, idx), *path = origin ? expand(name, origin, c->abi) : NULL;
			how = DEPS_HOW_PATH;
			rc = path && path[0] == '/' ? load_file(c, path, idx, &found) : 0;
			free(origin);
			free(path);
		} else {
			rc = deps_search(c, idx, name, &found, &how);
		}
		if (rc < 0)
			return rc;
		if (rc == 0) {
			char msg[8400];
			found = -1;
			how = DEPS_HOW_MISSING;
			snprintf(msg, sizeof(msg), "%s (needed by %s)", name, c->p->objs[idx].path);
			if (!dt_strv_has(&c->res->missing, msg) &&
			    dt_strv_push(&c->res->missing, msg) < 0)
				return dt_oom(c->err);
		} else if ((rc = deps_add_name(c, found, name)) < 0) {
			return rc;
		}
	}
	v = realloc(c->p->objs[idx].needs, (c->p->objs[idx].nneeds + 1) * sizeof(*v));
	if (!v)
		return dt_oom(c->err);
	c->p->objs[idx].needs = v;
	nd = &v[c->p->objs[idx].nneeds++];
	nd->name = strdup(name);
	nd->obj = found;
	nd->how = how;
	return nd->name ? 0 : dt_oom(c->err);
}

static int resolve_process(struct deps_ctx *c, const char *input, int depth);

/* "#!/path/to/interp args": the script is copied and its interpreter resolved too.
 * @return 0 done, 1 @input is not a script, or a negative code. */
static int script(struct deps_ctx *c, const char *input, int depth)
{
	struct memo_entry *m = NULL;
	char buf[256], interp[256];
	ssize_t n = -1;
	int fd, rc = memo_get(c, input, &m);

	if (rc < 0)
		return rc;
	if (!m->real)
		return dt_err_set(c->err, DT_EINPUT, "cannot open '%s%s': no such file",
				  strcmp(c->root->dir, "/") ? c->root->dir : "", input);
	if (!m->found && !m->is_dir)
		return dt_err_set(c->err, DT_EINPUT, "'%s%s' is not a regular file",
				  strcmp(c->root->dir, "/") ? c->root->dir : "", input);
	if ((fd = deps_root_open_file(c->root, m->real)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return 1;
	buf[n] = '\0';
	if (sscanf(buf + 2, " %255[^ \t\n]", interp) != 1 || interp[0] != '/')
		return dt_err_set(c->err, DT_EINPUT, "'%s': a script without an absolute #! interpreter", input);
	if (depth >= MAX_SCRIPT_DEPTH)
		return dt_err_set(c->err, DT_EINPUT, "'%s': #! interpreters nest too deeply", input);
	if ((rc = add_files(c, &m->links, m->real)) < 0)
		return rc;
	return resolve_process(c, interp, depth + 1);
}

static int resolve_process(struct deps_ctx *c, const char *input, int depth)
{
	struct deps_process *p, *v;
	int idx = -1, rc;

	/* A script is not ELF: script() handles it, or says it is not one (1). */
	if ((rc = script(c, input, depth)) <= 0)
		return rc;

	v = realloc(c->res->procs, (c->res->nprocs + 1) * sizeof(*v));
	if (!v)
		return dt_oom(c->err);
	c->res->procs = v;
	p = &v[c->res->nprocs++];
	memset(p, 0, sizeof(*p));
	if (!(p->input = strdup(input)))
		return dt_oom(c->err);
	c->p = p;
	c->abi = NULL;
	strmap_release(&c->names); /* each input is its own process */
	rc = load_file(c, input, -1, &idx);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return dt_err_set(c->err, DT_EINPUT, "cannot open '%s'", input);
	c->abi = deps_abi_find(p->objs[0].elf->machine, p->objs[0].elf->elf_class);
	if (!c->abi)
		return dt_err_set(c->err, DT_EINPUT, "'%s': unsupported ELF machine %u (class %d)",
				  input, p->objs[0].elf->machine, p->objs[0].elf->elf_class);
	if (!p->objs[0].elf->dynamic ||
	    (!p->objs[0].elf->interp && p->objs[0].elf->nneeded == 0))
		return 0; /* static, static-pie, or a library needing nothing: nothing to load */
	if (c->conf_abi != c->abi) { /* read once per ABI, not once per input */
		deps_ldconf_release(&c->conf);
		c->conf_abi = NULL;
		if ((rc = deps_ldconf_load(&c->conf, c->root, c->abi, c->err)) < 0)
			return rc;
		c->conf_abi = c->abi;
	}
	/* The loader named by PT_INTERP comes first; its names (path, soname) satisfy later
	 * needs. An object without one (a library run directly) gets the ABI's loader when
	 * something needs it by name (see resolve_need), as ld.so --list shows. */
	if (p->objs[0].elf->interp) {
		const char *interp = p->objs[0].elf->interp;
		int ii = -1;
		rc = load_file(c, interp, -1, &ii);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			char msg[8400];
			snprintf(msg, sizeof(msg), "%s (interpreter of %s)", interp, input);
			if (dt_strv_push(&c->res->missing, msg) < 0)
				return dt_oom(c->err);
		} else if ((rc = deps_add_name(c, ii, interp)) < 0) {
			return rc;
		}
	}
	/* Breadth-first: objects are appended as they are found and processed in order. */
	for (size_t i = 0, runtime_done = 0; i < p->nobjs; i++) {
		if (!p->objs[i].elf)
			continue;
		for (size_t k = 0; k < p->objs[i].elf->nneeded; k++)
			if ((rc = resolve_need(c, (int)i, p->objs[i].elf->needed[k])) < 0)
				return rc;
		/* Once the DT_NEEDED closure is complete; what it adds is then walked too. */
		if (i + 1 == p->nobjs && !runtime_done && c->o->runtime != DEPS_RUNTIME_OFF) {
			runtime_done = 1;
			if ((rc = deps_runtime_loads(c)) < 0)
				return rc;
		}
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int deps_resolve(const struct deps_opts *o, const char *const *inputs, size_t n,
		 struct deps_result **out, struct dt_err *err)
{
	struct deps_root root = { .fd = -1 };
	struct deps_ctx c = { .o = o, .root = &root, .err = err };
	int rc;

	*out = NULL;
	if (!(c.res = calloc(1, sizeof(*c.res))) || !(c.res->memo = calloc(1, sizeof(*c.res->memo)))) {
		free(c.res);
		return dt_oom(err);
	}
	if ((rc = deps_root_open(&root, o->root ? o->root : "/", err)) < 0)
		goto out;
	root.content = o->content;
	root.content_ctx = o->content_ctx;
	for (size_t i = 0; i < n; i++) {
		if (inputs[i][0] != '/') {
			rc = dt_err_set(err, DT_EINPUT, "'%s': inputs are absolute paths inside the root",
					inputs[i]);
			goto out;
		}
		if ((rc = resolve_process(&c, inputs[i], 0)) < 0)
			goto out;
	}
	/* sorted and unique */
	if (c.res->files.n > 1)
		qsort(c.res->files.v, c.res->files.n, sizeof(char *), cmp_str);
	{
		size_t w = 0;
		for (size_t i = 0; i < c.res->files.n; i++) {
			if (w && strcmp(c.res->files.v[w - 1], c.res->files.v[i]) == 0)
				free(c.res->files.v[i]);
			else
				c.res->files.v[w++] = c.res->files.v[i];
		}
		c.res->files.n = w;
	}
	if (c.res->missing.n > 1)
		qsort(c.res->missing.v, c.res->missing.n, sizeof(char *), cmp_str);
out:
	strmap_release(&c.names);
	strmap_release(&c.files);
	deps_ldconf_release(&c.conf);
	deps_root_release(&root);
	if (rc < 0) {
		deps_result_free(c.res);
		return rc;
	}
	*out = c.res;
	return 0;
}

void deps_result_free(struct deps_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct deps_process *p = &r->procs[i];
		for (size_t k = 0; k < p->nobjs; k++) {
			struct deps_obj *o = &p->objs[k];
			free(o->path);
			free(o->real);
			dt_strv_release(&o->names);
			dt_strv_release(&o->variants);
			for (size_t j = 0; j < o->nneeds; j++)
				free(o->needs[j].name);
			free(o->needs);
		}
		for (size_t k = 0; k < p->nruntime; k++) {
			free(p->runtime[k].name);
			free(p->runtime[k].path);
			free(p->runtime[k].reason);
		}
		free(p->runtime);
		free(p->objs);
		free(p->input);
	}
	free(r->procs);
	dt_strv_release(&r->files);
	dt_strv_release(&r->missing);
	memo_free(r->memo);
	free(r);
}

int deps_find_library(const struct deps_opts *o, uint16_t machine, int elf_class,
		      const char *name, char **path, struct dt_err *err)
{
	static const struct deps_elf none = { 0 }; /* no RPATH, RUNPATH or flags */
	struct deps_root root = { .fd = -1 };
	struct deps_ctx c = { .o = o, .root = &root, .err = err };
	enum deps_how how;
	int found = -1, rc;

	*path = NULL;
	if (!(c.abi = deps_abi_find(machine, elf_class)))
		return 0;
	/* a process of one object that needs @name */
	if (!(c.res = calloc(1, sizeof(*c.res))) || !(c.res->memo = calloc(1, sizeof(*c.res->memo))) ||
	    !(c.res->procs = calloc(1, sizeof(*c.res->procs))) ||
	    !(c.res->procs[0].objs = calloc(1, sizeof(*c.res->procs[0].objs)))) {
		rc = dt_oom(err);
		goto out;
	}
	c.res->nprocs = 1;
	c.p = &c.res->procs[0];
	c.p->nobjs = 1;
	c.p->objs[0].elf = &none;
	c.p->objs[0].loader = -1;
	if (!(c.p->objs[0].path = strdup("/")) || !(c.p->objs[0].real = strdup("/"))) {
		rc = dt_oom(err);
		goto out;
	}
	if ((rc = deps_root_open(&root, o->root ? o->root : "/", err)) < 0 ||
	    (rc = deps_ldconf_load(&c.conf, &root, c.abi, err)) < 0)
		goto out;
	c.conf_abi = c.abi;
	if ((rc = deps_search(&c, 0, name, &found, &how)) > 0 &&
	    !(*path = strdup(c.p->objs[found].path)))
		rc = dt_oom(err);
out:
	strmap_release(&c.names);
	strmap_release(&c.files);
	deps_ldconf_release(&c.conf);
	deps_root_release(&root);
	deps_result_free(c.res);
	return rc < 0 ? rc : rc > 0;
}

static int under(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return strncmp(path, dir, l) == 0 && path[l] == '/';
}

void deps_why(const struct deps_result *r, const char *path, char *how, size_t len,
	      const char **of)
{
	*of = NULL;
	snprintf(how, len, "closure");
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct deps_process *p = &r->procs[i];
		for (size_t k = 0; k < p->nruntime; k++) {
			const char *rt = p->runtime[k].path, *real = rt;
			for (size_t j = 0; rt && j < p->nobjs; j++)
				if (strcmp(p->objs[j].path, rt) == 0)
					real = p->objs[j].real; /* found as a path, listed as a file */
			if (rt && (strcmp(rt, path) == 0 || strcmp(real, path) == 0 || under(path, rt))) {
				snprintf(how, len, "run-time load: %s", p->runtime[k].reason);
				*of = p->objs[0].real;
				return;
			}
		}
		for (size_t k = 0; k < p->nobjs; k++) {
			const struct deps_obj *o = &p->objs[k];
			if (strcmp(o->real, path) != 0)
				continue;
			if (k == 0) {
				snprintf(how, len, "input");
				return;
			}
			if (o->loader < 0) {
				snprintf(how, len, "PT_INTERP");
				*of = p->objs[0].real;
				return;
			}
			snprintf(how, len, "DT_NEEDED");
			for (size_t j = 0; j < p->objs[o->loader].nneeds; j++)
				if (p->objs[o->loader].needs[j].obj == (int)k &&
				    p->objs[o->loader].needs[j].how == DEPS_HOW_INTERP)
					snprintf(how, len, "PT_INTERP");
			*of = p->objs[o->loader].real;
			return;
		}
	}
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct deps_process *p = &r->procs[i];
		for (size_t k = 0; k < p->nobjs; k++) {
			const struct deps_obj *o = &p->objs[k];
			if (dt_strv_has(&o->variants, path)) {
				snprintf(how, len, "glibc-hwcaps variant");
				*of = o->real;
				return;
			}
			if (strcmp(o->path, path) == 0 || under(o->path, path)) {
				snprintf(how, len, "symlink");
				*of = o->real;
				return;
			}
		}
	}
	/* a symlink met on the way to a file (libz.so.1 -> libz.so.1.2.13 under /lib ->
	 * usr/lib): the file it leads to, the first by name when several */
	for (size_t i = 0; r->memo && i < r->memo->cap; i++) {
		const struct memo_entry *m = r->memo->slots[i];
		if (m && m->found && m->real && dt_strv_has(&m->links, path) &&
		    (!*of || strcmp(m->real, *of) < 0))
			*of = m->real;
	}
	if (*of)
		snprintf(how, len, "symlink");
}
