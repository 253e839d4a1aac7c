/* SPDX-License-Identifier: MIT */
/* The shared-library closure of ELF files exactly as glibc 2.36's ld.so computes it, inside a
 * root, without running anything. Each input is resolved as its own process (its RPATHs do
 * not leak into another input's closure); the file list is the union. */
#ifndef DISTILL_DEPS_RESOLVE_H
#define DISTILL_DEPS_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "deps/elf.h"
#include "deps/root.h"

enum deps_runtime_mode {
	DEPS_RUNTIME_AUTO, /* add run-time loads (libgcc_s for pthread_cancel, ...) and closures */
	DEPS_RUNTIME_LIST, /* report them, do not add them */
	DEPS_RUNTIME_OFF,  /* neither */
};

/* One feature of a .note.dlopen note: sonames are alternatives, the first found is used. */
struct deps_dlopen_entry {
	char *feature;   /* may be NULL */
	char *priority;  /* "required", "recommended" (the default) or "suggested" */
	char **sonames;
	size_t nsonames;
};

/* Parses one note payload (JSON text) into *@out / *@n (free with deps_dlopen_entries_free).
 * Supplied by the caller, so that deps/ needs no JSON library.
 * @return 0, or a negative code with @err set (the message names no file: the caller adds it). */
typedef int (*deps_dlopen_parse_fn)(const char *json, struct deps_dlopen_entry **out, size_t *n,
				    struct dt_err *err);
void deps_dlopen_entries_free(struct deps_dlopen_entry *v, size_t n);

struct deps_opts {
	const char *root;          /* "/" or a sysroot */
	const char *library_path;  /* LD_LIBRARY_PATH of the target, or NULL */
	enum deps_runtime_mode runtime;
	deps_dlopen_parse_fn dlopen_parse; /* NULL: .note.dlopen notes are ignored */
	const char *nsswitch;      /* the nsswitch.conf text the target runs with (an image's),
				    * or NULL: the root's /etc/nsswitch.conf */
	int versions;              /* read DT_VERNEED/DT_VERDEF into each deps_obj's elf */
	int symbols;               /* read each elf's undefined and exported symbols */
	deps_content_fn content;   /* deps_root.content of the root, or NULL */
	void *content_ctx;
};

/* How a need was satisfied. */
enum deps_how {
	DEPS_HOW_LOADED,   /* already loaded under that name or soname */
	DEPS_HOW_PATH,     /* the name has a '/' */
	DEPS_HOW_RPATH,
	DEPS_HOW_LIBPATH,  /* --library-path */
	DEPS_HOW_RUNPATH,
	DEPS_HOW_CACHE,    /* /etc/ld.so.cache */
	DEPS_HOW_CONF,     /* /etc/ld.so.conf directories (no cache in the root) */
	DEPS_HOW_DEFAULT,  /* the loader's built-in directories */
	DEPS_HOW_INTERP,   /* PT_INTERP */
	DEPS_HOW_SCRIPT,   /* a script's #! interpreter */
	DEPS_HOW_RUNTIME,  /* a run-time load */
	DEPS_HOW_MISSING,
};
const char *deps_how_name(enum deps_how h);

struct deps_need {
	char *name;
	int obj;            /* index into the process's objects, or -1 when missing */
	enum deps_how how;
};

struct deps_obj {
	char *path;         /* as found (inside the root) */
	char *real;         /* without symlinks */
	const struct deps_elf *elf; /* shared by every input that loads the file */
	struct dt_strv names; /* names it answers to: requested names, path, soname */
	int loader;         /* the object whose need loaded it, -1 for inputs */
	struct deps_need *needs;
	size_t nneeds;
	uint64_t dev, ino;
	struct dt_strv variants; /* glibc-hwcaps variants of the same library */
};

struct deps_runtime {
	char *name;         /* what is loaded */
	char *path;         /* where it was found, or NULL */
	char *reason;
};

struct deps_process {
	char *input;
	struct deps_obj *objs;  /* breadth-first load order; objs[0] is the input */
	size_t nobjs;
	struct deps_runtime *runtime;
	size_t nruntime;
};

struct deps_memo;

struct deps_result {
	struct deps_process *procs;
	size_t nprocs;
	struct dt_strv files;   /* sorted, unique: every file and symlink to copy */
	struct dt_strv missing; /* "NAME (needed by PATH)" */
	struct deps_memo *memo;   /* internal: resolved paths and parsed ELF files */
};

/* Resolves each of the @n inputs (paths inside the root).
 * @return 0 and *@out (free with deps_result_free; missing libraries are listed, not an
 * error), or a negative code with @err naming the file (not ELF, malformed, loops). */
int deps_resolve(const struct deps_opts *o, const char *const *inputs, size_t n,
		 struct deps_result **out, struct dt_err *err);

void deps_result_free(struct deps_result *r);

/* Why @path (one of @r's files) is in the closure: *@how gets a phrase ("input",
 * "DT_NEEDED", "PT_INTERP", "run-time load: <reason>", "glibc-hwcaps variant",
 * "symlink") and *@of the path inside the root of what it is there for (the object whose
 * need loaded it, the process's input, the symlink's file), or NULL (an input). The first
 * process that has it answers. */
void deps_why(const struct deps_result *r, const char *path, char *how, size_t len,
	      const char **of);

/* Where the loader finds the library @name for an object of @machine and @elf_class that
 * has no RPATH or RUNPATH: the root's ld.so.cache (else its ld.so.conf directories), then
 * the default directories, as deps_resolve searches (a library of another class or
 * machine is passed over). For what an image lacks, looked for in the root.
 * @return 1 and *@path (malloc'd, inside the root, as found), 0 when it is nowhere (or the
 * machine is unknown), or a negative code with @err set. */
int deps_find_library(const struct deps_opts *o, uint16_t machine, int elf_class,
		      const char *name, char **path, struct dt_err *err);

#endif
