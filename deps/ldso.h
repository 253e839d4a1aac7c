/* SPDX-License-Identifier: MIT */
/* The root's dynamic-loader configuration as glibc 2.36 uses it: /etc/ld.so.cache (the
 * "glibc-ld.so.cache1.1" format; entries for the target's ABI, baseline entries only), or,
 * without a cache, the directories of /etc/ld.so.conf and its sorted `include` globs; and
 * the loader's built-in directories and $LIB/$PLATFORM values for each architecture. */
#ifndef DISTILL_DEPS_LDSO_H
#define DISTILL_DEPS_LDSO_H

#include <stdint.h>

#include "common/err.h"
#include "deps/root.h"

struct deps_abi {
	uint16_t machine;
	int elf_class;
	const char *lib;           /* $LIB: "lib/x86_64-linux-gnu" on Debian */
	const char *platform;      /* $PLATFORM: "x86_64", ... */
	const char *interp;        /* the loader's path */
	const char *system_dirs[5];/* built-in search dirs, NULL-terminated */
	int32_t cache_flags;       /* ld.so.cache entry flags for this ABI */
	const char *hwcaps[5];     /* glibc-hwcaps subdirectory names, best first */
	const char *legacy[6];     /* 2.36's legacy hwcaps subdirectories, in search order */
	const char *platforms[3];  /* the other $PLATFORM values 2.36 takes on some CPUs of the
				    * architecture (x86_64: "haswell", "xeon_phi"), NULL-ended */
};

/* @return the ABI of an ELF machine and class, or NULL when unknown. */
const struct deps_abi *deps_abi_find(uint16_t machine, int elf_class);

struct deps_ldconf {
	int have_cache;
	struct dt_strv cache_keys;   /* soname -> path, in cache order */
	struct dt_strv cache_paths;
	size_t *cache_order;           /* indices sorted by key, then cache order */
	struct dt_strv conf_dirs;    /* used when there is no cache */
};

/* Reads the root's cache (for @abi) or, failing that, its ld.so.conf. A missing file is not an
 * error; a malformed cache is. @return 0, or a negative code with @err set (@c then holds
 * nothing; releasing it again is harmless). */
int deps_ldconf_load(struct deps_ldconf *c, const struct deps_root *r,
		     const struct deps_abi *abi, struct dt_err *err);
void deps_ldconf_release(struct deps_ldconf *c);

/* The NSS services the root's /etc/nsswitch.conf names beyond "files" and "dns" (built into
 * glibc 2.36's libc), in order of first use; @dbs gets, for each, the databases using it
 * ("passwd group"). A missing file names none. @text, when not NULL, is used instead of the
 * root's file (the nsswitch.conf an image will carry). @return 0, or a negative code. */
int deps_nsswitch_services(const struct deps_root *r, const char *text,
			   struct dt_strv *services, struct dt_strv *dbs, struct dt_err *err);

/* The cache's path for @name, or NULL. */
const char *deps_ldconf_cache_lookup(const struct deps_ldconf *c, const char *name);

#endif
