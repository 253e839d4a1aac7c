/* SPDX-License-Identifier: MIT */
/* The start-up check of a tree (see check.h): each input resolved with resolve.c inside the
 * root, what is missing collected once per (file, need). */
#include "deps/check.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>

#include "common/buf.h"
#include "deps/resolve.h"
#include "deps/root.h"

static int add(struct deps_check *c, const char *file, size_t flen, const char *need,
	       size_t nlen, const char *why, struct dt_err *err)
{
	struct deps_problem *p;

	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->v[i].file) == flen && strncmp(c->v[i].file, file, flen) == 0 &&
		    strlen(c->v[i].need) == nlen && strncmp(c->v[i].need, need, nlen) == 0)
			return 0;
	if (!(p = dt_grow(c->v, &c->cap, c->n, sizeof(*c->v))))
		return dt_oom(err);
	c->v = p;
	p = &c->v[c->n];
	memset(p, 0, sizeof(*p));
	if (!(p->file = strndup(file, flen)) || !(p->need = strndup(need, nlen)) ||
	    !(p->why = strdup(why))) {
		free(p->file);
		free(p->need);
		return dt_oom(err);
	}
	c->n++;
	return 0;
}

/* "NAME (needed by PATH)" or "INTERP (interpreter of PATH)", as resolve.c lists them. */
static int add_missing(struct deps_check *c, const char *m, const char *where,
		       struct dt_err *err)
{
	static const struct {
		const char *sep, *why;
	} kinds[] = { { " (needed by ", "not in " },
		      { " (interpreter of ", "the interpreter is not in " } };
	char why[256];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *s = strstr(m, kinds[k].sep), *file;
		size_t flen;
		if (!s)
			continue;
		file = s + strlen(kinds[k].sep);
		flen = strlen(file);
		if (flen && file[flen - 1] == ')')
			flen--;
		snprintf(why, sizeof(why), "%s%s", kinds[k].why, where);
		return add(c, file, flen, m, (size_t)(s - m), why, err);
	}
	snprintf(why, sizeof(why), "not in %s", where);
	return add(c, m, strlen(m), "", 0, why, err);
}

/* A read error of @input, as a problem: a script whose interpreter is missing says so;
 * another error keeps its message, the root's own path left out of it. */
static int add_error(struct deps_check *c, const char *root, const char *input,
		     const struct dt_err *e, const char *where, struct dt_err *err)
{
	char path[8400], head[256], why[8400];
	size_t rl = strlen(root);
	const char *m = e->msg, *hit;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, input);
	if ((e->sys_errno == ENOENT || strstr(m, "no such file")) && (f = fopen(path, "re"))) {
		size_t n = fread(head, 1, sizeof(head) - 1, f);
		fclose(f);
		head[n] = '\0';
		if (n > 2 && head[0] == '#' && head[1] == '!') {
			char *p = head + 2, *end;
			p += strspn(p, " \t");
			end = p + strcspn(p, " \t\n");
			*end = '\0';
			snprintf(why, sizeof(why), "the interpreter is not in %s", where);
			return add(c, input, strlen(input), p, strlen(p), why, err);
		}
	}
	/* "cannot open 'ROOT/usr/bin/x'" -> "cannot open '/usr/bin/x'" */
	why[0] = '\0';
	while ((hit = strstr(m, root)) && rl > 1) {
		strncat(why, m, (size_t)(hit - m));
		m = hit + rl;
	}
	strncat(why, m, sizeof(why) - strlen(why) - 1);
	return add(c, input, strlen(input), "", 0, why, err);
}

static const struct deps_obj *provider(const struct deps_process *p, const char *soname)
{
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct deps_obj *o = &p->objs[i];
		if (dt_strv_has(&o->names, soname) ||
		    (o->elf && o->elf->soname && strcmp(o->elf->soname, soname) == 0))
			return o;
	}
	return NULL;
}

/* Every version need (DT_VERNEED) of every loaded object is defined (DT_VERDEF) by the
 * object that answers to its file name, as ld.so's _dl_check_map_versions insists: a weak
 * need, a provider that is missing (already a problem) or that has no version definitions at
 * all (ld.so checks nothing then) pass. */
static int check_versions(struct deps_check *c, const struct deps_result *r,
			  struct dt_err *err)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct deps_process *p = &r->procs[i];
		for (size_t k = 0; k < p->nobjs; k++) {
			const struct deps_elf *e = p->objs[k].elf;
			for (size_t j = 0; e && j < e->nverneed; j++) {
				const struct deps_verneed *v = &e->verneed[j];
				const struct deps_obj *o = provider(p, v->file);
				char need[512], why[1024];
				size_t shown = 0, len;
				int rc, found = 0;
				if (v->weak || !o || !o->elf || !o->elf->has_verdef)
					continue;
				for (size_t d = 0; d < o->elf->nverdef && !found; d++)
					found = strcmp(o->elf->verdef[d], v->version) == 0;
				if (found)
					continue;
				snprintf(need, sizeof(need), "%s from %s", v->version, v->file);
				len = (size_t)snprintf(why, sizeof(why), "%s defines ", o->path);
				for (size_t d = 0; d < o->elf->nverdef && shown < 8; d++, shown++)
					len += (size_t)snprintf(why + len, sizeof(why) - len, "%s%s",
								shown ? ", " : "",
								o->elf->verdef[d]);
				if (!o->elf->nverdef)
					snprintf(why + len, sizeof(why) - len, "no version");
				else if (o->elf->nverdef > shown)
					snprintf(why + len, sizeof(why) - len, " and %zu more, not it",
						 o->elf->nverdef - shown);
				else
					snprintf(why + len, sizeof(why) - len, " only");
				if ((rc = add(c, p->objs[k].path, strlen(p->objs[k].path), need,
					      strlen(need), why, err)) < 0)
					return rc;
			}
		}
	}
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int exports(const struct deps_elf *e, const char *key)
{
	return e->ndefs && bsearch(&key, e->defs, e->ndefs, sizeof(*e->defs), str_cmp);
}

/* DEPS_CHECK_SYMBOLS (see check.h): the global scope of each executable is its process's
 * objects in load order. */
static int check_symbols(struct deps_check *c, const struct deps_result *r, struct dt_err *err)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct deps_process *p = &r->procs[i];
		if (!p->nobjs || !p->objs[0].elf || !p->objs[0].elf->interp)
			continue;
		for (size_t k = 0; k < p->nobjs; k++) {
			const struct deps_elf *e = p->objs[k].elf;
			for (size_t j = 0; e && j < e->nundef; j++) {
				const struct deps_symref *u = &e->undef[j];
				char key[1024], need[1100];
				int found = 0, rc;
				snprintf(key, sizeof(key), "%s@%s", u->name, u->version ? u->version : "");
				for (size_t d = 0; d < p->nobjs && !found; d++) {
					const struct deps_elf *x = p->objs[d].elf;
					if (!x)
						continue;
					found = u->version && x->has_verdef ? exports(x, key)
									    : exports(x, u->name);
				}
				if (found)
					continue;
				snprintf(need, sizeof(need), "symbol %s%s%s", u->name,
					 u->version ? "@" : "", u->version ? u->version : "");
				if ((rc = add(c, p->objs[k].path, strlen(p->objs[k].path), need,
					      strlen(need), "no object that the process loads at start-up "
					      "exports it", err)) < 0)
					return rc;
			}
		}
	}
	return 0;
}

static int by_file_need(const void *x, const void *y)
{
	const struct deps_problem *a = x, *b = y;
	int r = strcmp(a->file, b->file);
	return r ? r : strcmp(a->need, b->need);
}

int deps_check(const char *root, const char *where, const char *const *inputs, size_t n,
	       unsigned flags, struct deps_check *out, struct dt_err *err)
{
	return deps_check_through(root, NULL, NULL, where, inputs, n, flags, out, err);
}

int deps_check_through(const char *root, deps_content_fn content, void *content_ctx,
		       const char *where, const char *const *inputs, size_t n, unsigned flags,
		       struct deps_check *out, struct dt_err *err)
{
	struct deps_opts o = { .root = root, .runtime = DEPS_RUNTIME_OFF, .nsswitch = "",
			       .versions = 1, .symbols = (flags & DEPS_CHECK_SYMBOLS) != 0,
			       .content = content, .content_ctx = content_ctx };
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* all at once (the files they share parsed once); one at a time only when one of them
	 * cannot be read at all, so that it is named and the others still checked */
	{
		struct deps_result *r = NULL;
		struct dt_err e2;
		dt_err_clear(&e2);
		if (n && deps_resolve(&o, inputs, n, &r, &e2) == 0) {
			out->nchecked = n;
			for (size_t k = 0; k < r->missing.n && rc == 0; k++)
				rc = add_missing(out, r->missing.v[k], where, err);
			if (rc == 0)
				rc = check_versions(out, r, err);
			if (rc == 0 && o.symbols)
				rc = check_symbols(out, r, err);
			deps_result_free(r);
			goto sort;
		}
		if (e2.code == DT_ENOMEM)
			return dt_oom(err);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct deps_result *r = NULL;
		struct dt_err e2;
		dt_err_clear(&e2);
		out->nchecked++;
		if (deps_resolve(&o, &inputs[i], 1, &r, &e2) < 0) {
			if (e2.code == DT_ENOMEM)
				rc = dt_oom(err);
			else /* a missing interpreter, a file not readable as ELF, a loop */
				rc = add_error(out, root, inputs[i], &e2, where, err);
			continue;
		}
		for (size_t k = 0; k < r->missing.n && rc == 0; k++)
			rc = add_missing(out, r->missing.v[k], where, err);
		if (rc == 0)
			rc = check_versions(out, r, err);
		if (rc == 0 && o.symbols)
			rc = check_symbols(out, r, err);
		deps_result_free(r);
	}
sort:
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_file_need);
	return rc;
}

size_t deps_check_allow(struct deps_check *c, const char *const *allow, size_t nallow)
{
	size_t left = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct deps_problem *p = &c->v[i];
		char both[8400];
		snprintf(both, sizeof(both), "%s: %s", p->file, p->need);
		for (size_t k = 0; k < nallow && !p->allowed; k++)
			p->allowed = fnmatch(allow[k], p->file, 0) == 0 ||
				     fnmatch(allow[k], both, 0) == 0;
		left += !p->allowed;
	}
	return left;
}

void deps_check_release(struct deps_check *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].file);
		free(c->v[i].need);
		free(c->v[i].why);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

int deps_check_runs(const char *path, const char *pathvar, const char *const *argv0, size_t n)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : 0;

	for (size_t i = 0; i < n; i++)
		if (argv0[i] && strcmp(argv0[i], path) == 0)
			return 1;
	if (!pathvar)
		pathvar = DEPS_CHECK_DEFAULT_PATH;
	while (*pathvar) {
		size_t len = strcspn(pathvar, ":");
		size_t l = len;
		while (l > 1 && pathvar[l - 1] == '/')
			l--;
		if (l == dl && strncmp(pathvar, path, dl) == 0)
			return 1;
		pathvar += len + (pathvar[len] == ':');
	}
	return 0;
}

/* 1 when @path (absolute) is an executable regular file in @r, 2 when it is there but not
 * one, 0 when it is not there, or a negative code. */
static int runnable(const struct deps_root *r, const char *path, struct dt_err *err)
{
	char *real = NULL;
	struct stat st;
	int rc = deps_root_resolve(r, path, NULL, &real, err);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fstatat(r->fd, real[1] ? real + 1 : ".", &st, AT_SYMLINK_NOFOLLOW) < 0 ? 0
	     : S_ISREG(st.st_mode) && (st.st_mode & 0111) ? 1 : 2;
	free(real);
	return rc;
}

int deps_check_program(const char *root, const char *where, const char *argv0,
		       const char *what, const char *pathvar, struct deps_check *out,
		       struct dt_err *err)
{
	struct deps_root r = { .fd = -1 };
	char why[256], cand[8400];
	int rc, found = 0;

	if (!argv0 || !*argv0 || (strchr(argv0, '/') && argv0[0] != '/'))
		return 0;
	if ((rc = deps_root_open(&r, root, err)) < 0)
		return rc;
	if (argv0[0] == '/') {
		found = runnable(&r, argv0, err);
	} else {
		const char *p = pathvar ? pathvar : DEPS_CHECK_DEFAULT_PATH;
		while (*p && found != 1) {
			size_t len = strcspn(p, ":");
			int f;
			if (len && p[0] == '/' && len < sizeof(cand) - strlen(argv0) - 2) {
				snprintf(cand, sizeof(cand), "%.*s/%s", (int)len, p, argv0);
				if ((f = runnable(&r, cand, err)) < 0) {
					found = f;
					break;
				}
				if (f > found)
					found = f;
			}
			p += len + (p[len] == ':');
		}
	}
	deps_root_release(&r);
	if (found < 0)
		return found;
	if (found == 1)
		return 0;
	snprintf(why, sizeof(why), found == 2 ? "not an executable file in %s" : "not in %s",
		 where);
	if ((rc = add(out, what, strlen(what), argv0, strlen(argv0), why, err)) == 0 &&
	    out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_file_need);
	return rc;
}
