/* SPDX-License-Identifier: MIT */
/* The run-time loads of a process, which no DT_NEEDED shows: libgcc_s.so.1 for unwinding
 * (pthread_cancel, pthread_exit, backtrace), the NSS modules nsswitch.conf names, the gconv
 * modules of iconv_open, and the features of .note.dlopen notes. */
#include "deps/resolve_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push_runtime(struct deps_ctx *c, const char *name, const char *path, const char *reason)
{
	struct deps_runtime *v = realloc(c->p->runtime, (c->p->nruntime + 1) * sizeof(*v));
	if (!v)
		return dt_oom(c->err);
	c->p->runtime = v;
	v += c->p->nruntime++;
	v->name = strdup(name);
	v->path = path ? strdup(path) : NULL;
	v->reason = strdup(reason);
	return v->name && v->reason ? 0 : dt_oom(c->err);
}

/* A library glibc dlopen()s from libc (@from): searched as libc's own needs are (no RPATH of
 * the program), added with its closure in auto mode, always reported. */
static int runtime_lib(struct deps_ctx *c, int from, const char *name, const char *reason)
{
	enum deps_how how;
	int found = -1, rc;

	if (deps_find_loaded(c, name) >= 0)
		return 0;
	if (c->o->runtime == DEPS_RUNTIME_AUTO) {
		if ((rc = deps_search(c, from, name, &found, &how)) < 0)
			return rc;
		if (rc == 0)
			found = -1;
		else if ((rc = deps_add_name(c, found, name)) < 0)
			return rc;
	}
	return push_runtime(c, name, found >= 0 ? c->p->objs[found].path : NULL, reason);
}

/* The first object importing one of @mask, or NULL. */
static const struct deps_obj *importer(const struct deps_ctx *c, unsigned mask)
{
	for (size_t i = 0; i < c->p->nobjs; i++)
		if (c->p->objs[i].elf && (c->p->objs[i].elf->imports & mask))
			return &c->p->objs[i];
	return NULL;
}

/* The regular files of @dir (and of its gconv-modules.d), counted in *@n, listed in auto
 * mode. */
static int gconv_files(struct deps_ctx *c, const char *dir, int top, size_t *n)
{
	struct dt_strv names = { 0 };
	int rc = deps_root_list(c->root, dir, &names, c->err);

	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, names.v[i]) < 0) {
			rc = dt_oom(c->err);
			break;
		}
		if (top && strcmp(names.v[i], "gconv-modules.d") == 0)
			rc = gconv_files(c, path, 0, n);
		else if ((rc = deps_add_path(c, path, c->o->runtime == DEPS_RUNTIME_AUTO)) > 0)
			(*n)++, rc = 0;
		free(path);
	}
	dt_strv_release(&names);
	return rc > 0 ? 0 : rc; /* 1: the directory is absent */
}

/* iconv_open: the gconv modules and their configuration, all of them (which charsets the
 * program will convert is unknown). */
static int runtime_gconv(struct deps_ctx *c, const char *who)
{
	char *dir = NULL, reason[8400];
	size_t n = 0;
	int rc;

	if (asprintf(&dir, "/usr/%s/gconv", c->abi->lib) < 0)
		return dt_oom(c->err);
	if ((rc = gconv_files(c, dir, 1, &n)) == 0 && n > 0) {
		snprintf(reason, sizeof(reason), "%s imports iconv_open; %zu gconv files%s", who, n,
			 c->o->runtime == DEPS_RUNTIME_AUTO ? " added" : "");
		rc = push_runtime(c, "gconv modules", dir, reason);
	}
	free(dir);
	return rc;
}

void deps_dlopen_entries_free(struct deps_dlopen_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].feature);
		free(v[i].priority);
		for (size_t k = 0; k < v[i].nsonames; k++)
			free(v[i].sonames[k]);
		free(v[i].sonames);
	}
	free(v);
}

/* .note.dlopen: required and recommended features are loaded as a dlopen() from the object
 * carrying the note would load them (its RUNPATH applies); suggested ones are reported. */
static int runtime_notes(struct deps_ctx *c)
{
	for (size_t i = 0; i < c->p->nobjs; i++) {
		const struct deps_elf *e = c->p->objs[i].elf;
		for (size_t k = 0; e && k < e->ndlopen_notes; k++) {
			struct deps_dlopen_entry *v = NULL;
			size_t n = 0;
			int rc = c->o->dlopen_parse(e->dlopen_notes[k], &v, &n, c->err);
			if (rc < 0) {
				dt_err_prefix(c->err, "'%s': .note.dlopen", c->p->objs[i].path);
				return rc;
			}
			for (size_t j = 0; j < n && rc == 0; j++) {
				const char *prio = v[j].priority ? v[j].priority : "recommended";
				int add = strcmp(prio, "suggested") != 0 && c->o->runtime == DEPS_RUNTIME_AUTO;
				char reason[8400];
				int found = -1;
				snprintf(reason, sizeof(reason), ".note.dlopen of %s: feature '%s' (%s)",
					 c->p->objs[i].path, v[j].feature ? v[j].feature : "?", prio);
				for (size_t s = 0; s < v[j].nsonames && found < 0 && rc == 0; s++) {
					enum deps_how how;
					if ((found = deps_find_loaded(c, v[j].sonames[s])) >= 0)
						break;
					if (!add)
						continue;
					rc = deps_search(c, (int)i, v[j].sonames[s], &found, &how);
					if (rc > 0)
						rc = deps_add_name(c, found, v[j].sonames[s]);
					else
						found = -1;
				}
				if (rc == 0 && v[j].nsonames) {
					const struct deps_obj *fo = found >= 0 ? &c->p->objs[found] : NULL;
					rc = push_runtime(c, fo && fo->elf->soname ? fo->elf->soname
										  : v[j].sonames[0],
							  fo ? fo->path : NULL, reason);
				}
			}
			deps_dlopen_entries_free(v, n);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Run-time loads no DT_NEEDED shows: libgcc_s for unwinding, NSS modules, gconv modules,
 * and .note.dlopen features. */
int deps_runtime_loads(struct deps_ctx *c)
{
	struct dt_strv services = { 0 }, dbs = { 0 };
	const struct deps_obj *o;
	char reason[8400];
	int libc = deps_find_loaded(c, "libc.so.6"), rc = 0;

	if (libc < 0)
		return 0; /* not a glibc program */
	o = importer(c, DEPS_IMPORT_PTHREAD_CANCEL | DEPS_IMPORT_PTHREAD_EXIT | DEPS_IMPORT_BACKTRACE);
	if (o) {
		unsigned m = o->elf->imports;
		snprintf(reason, sizeof(reason), "glibc loads it for unwinding: %s imports %s", o->path,
			 m & DEPS_IMPORT_PTHREAD_CANCEL ? "pthread_cancel"
			 : m & DEPS_IMPORT_PTHREAD_EXIT ? "pthread_exit" : "backtrace");
		if ((rc = runtime_lib(c, libc, "libgcc_s.so.1", reason)) < 0)
			return rc;
	}
	if ((rc = deps_nsswitch_services(c->root, c->o->nsswitch, &services, &dbs, c->err)) < 0)
		return rc;
	for (size_t i = 0; i < services.n && rc == 0; i++) {
		char *name = NULL;
		if (asprintf(&name, "libnss_%s.so.2", services.v[i]) < 0) {
			rc = dt_oom(c->err);
			break;
		}
		snprintf(reason, sizeof(reason), "%s uses '%s' for %s",
			 c->o->nsswitch ? "the image's nsswitch.conf" : "/etc/nsswitch.conf", services.v[i],
			 dbs.v[i]);
		rc = runtime_lib(c, libc, name, reason);
		free(name);
	}
	dt_strv_release(&services);
	dt_strv_release(&dbs);
	if (rc == 0 && (o = importer(c, DEPS_IMPORT_ICONV_OPEN)))
		rc = runtime_gconv(c, o->path);
	if (rc == 0 && c->o->dlopen_parse)
		rc = runtime_notes(c);
	return rc;
}

