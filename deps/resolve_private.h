/* SPDX-License-Identifier: MIT */
/* Internal to deps/resolve.c and deps/runtime.c: the state of one resolution and the steps
 * the run-time loads share with the ld.so search. */
#ifndef DISTILL_DEPS_RESOLVE_PRIVATE_H
#define DISTILL_DEPS_RESOLVE_PRIVATE_H

#include <stdint.h>

#include "deps/ldso.h"
#include "deps/resolve.h"

/* What a path resolved to, once per run: inputs share libraries, so each candidate path is
 * walked, stat'ed and parsed once however many inputs try it. */
struct memo_entry {
	char *path;
	int found;             /* 1: resolved to a regular file; 0: absent or not a file */
	int is_dir;            /* resolved to a directory */
	char *real;
	struct dt_strv links;
	uint64_t dev, ino;
	struct deps_elf *elf;  /* parsed on first use */
};

struct deps_memo {
	struct memo_entry **slots;
	size_t cap, n;
};

/* A string -> index map with borrowed keys (open addressing); the first value put wins. */
struct strmap {
	const char **keys;
	int *vals;
	size_t cap, n;
};

struct deps_ctx {
	const struct deps_opts *o;
	struct strmap names; /* this input's loaded names -> object index */
	struct strmap files; /* every file listed so far (its value is unused) */
	struct deps_root *root;
	struct deps_ldconf conf;
	const struct deps_abi *conf_abi; /* the ABI @conf was loaded for */
	const struct deps_abi *abi;
	struct deps_process *p;
	struct deps_result *res;
	struct dt_err *err;
};

/* The object loaded under @name in this process, or -1. */
int deps_find_loaded(const struct deps_ctx *c, const char *name);
/* Records @name as a name of object @idx. @return 0 or -DT_ENOMEM. */
int deps_add_name(struct deps_ctx *c, int idx, const char *name);
/* Puts @path, when it resolves to a regular file, and the symlinks on the way into the file
 * list (@add) or only looks (@add 0). @return 1 a file, 0 not one, or a negative code. */
int deps_add_path(struct deps_ctx *c, const char *path, int add);
/* _dl_map_object's search for NAME needed by object @idx: *@found and *@how.
 * @return 1 found, 0 not, or a negative code. */
int deps_search(struct deps_ctx *c, int idx, const char *name, int *found, enum deps_how *how);

/* runtime.c: the run-time loads no DT_NEEDED shows (libgcc_s, NSS modules, gconv modules,
 * .note.dlopen features), once the DT_NEEDED closure of the process is complete. */
int deps_runtime_loads(struct deps_ctx *c);

#endif
