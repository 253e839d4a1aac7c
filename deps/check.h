/* SPDX-License-Identifier: MIT */
/* The start-up check, on a tree: each given ELF file (or #! script) must be able to start
 * inside @root as ld.so would start it there, nothing taken from outside the root: its
 * interpreter (PT_INTERP, or a script's #! line) exists, and every DT_NEEDED of it and of
 * what it loads resolves (RPATH/RUNPATH with $ORIGIN, the root's ld.so.cache or ld.so.conf,
 * the default directories; a library of another class or machine is passed over, as ld.so
 * passes it over), and every version it needs from a library (DT_VERNEED: GLIBC_2.34, a
 * project library's own version node) is one that library defines (DT_VERDEF), as ld.so
 * insists before it runs anything. The tree is made by the callers: the image builder from its plan, verify
 * from an image's layers. */
#ifndef DISTILL_DEPS_CHECK_H
#define DISTILL_DEPS_CHECK_H

#include <stddef.h>

#include "common/err.h"
#include "deps/root.h"

struct deps_problem {
	char *file;     /* the path (inside the root) of what cannot start or load: "/usr/bin/x" */
	char *need;     /* what it needs: "libcurl-gnutls.so.4", an interpreter's path,
			 * "GREET_2.0 from libgreet.so.1", "symbol greet_loud@GREET_2.0" */
	char *why;      /* "not in the image", "the interpreter is not in the image",
			 * "/app/libgreet.so.1 defines GREET_1.0 only", a read error */
	int allowed;    /* matched an exception (deps_check_allow) */
};

struct deps_check {
	size_t nchecked;           /* files checked */
	struct deps_problem *v;    /* sorted by file, then need; each once */
	size_t n, cap;
};

/* What deps_check checks beyond the libraries, interpreters and versions. */
enum {
	/* every undefined non-weak symbol of every object an executable loads at start-up is
	 * exported by an object of that process (the executable, its libraries, the loader),
	 * in the version it needs when the exporter has versions: what LD_BIND_NOW resolves
	 * before main. A library that is an input on its own (a plugin) is not checked: what
	 * loads it may define its symbols. */
	DEPS_CHECK_SYMBOLS = 1 << 0,
};

/* Checks each of the @n @inputs (paths inside @root, which messages call @where: "the
 * image") into @out (deps_check_release() it, also after an error): what cannot be found
 * is a problem, not an error. @flags: DEPS_CHECK_*. @return 0, or a negative code with
 * @err set (out of memory). */
int deps_check(const char *root, const char *where, const char *const *inputs, size_t n,
	       unsigned flags, struct deps_check *out, struct dt_err *err);
/* deps_check, the files' bytes read through @content (deps_root.content) when it is set. */
int deps_check_through(const char *root, deps_content_fn content, void *content_ctx,
		       const char *where, const char *const *inputs, size_t n, unsigned flags,
		       struct deps_check *out, struct dt_err *err);

/* Marks the problems that a pattern of @allow matches (fnmatch, FNM_PATHNAME off): "FILE"
 * allows every need of FILE, "FILE: NEED" one need. @return the problems left. */
size_t deps_check_allow(struct deps_check *c, const char *const *allow, size_t nallow);

void deps_check_release(struct deps_check *c);

/* The program the image runs (@argv0: its entrypoint's first word, else its cmd's; @what
 * names it in the problem, "entrypoint" or "cmd") must be an executable regular file in
 * @root: an absolute path resolved there (symlinks confined to it), a bare name looked up
 * in the directories of @pathvar (NULL: the default) as execvp does. A relative path with a
 * '/' depends on the working directory and is not checked. Else a problem whose file is
 * @what and need @argv0 ("entrypoint: needs /usr/bin/x: not in the image", or "not an
 * executable file in the image") is added to @out. @return 0,
 * or a negative code with @err set. */
int deps_check_program(const char *root, const char *where, const char *argv0,
		       const char *what, const char *pathvar, struct deps_check *out,
		       struct dt_err *err);

/* The PATH of an image whose config sets none (as the OCI runtimes and distill give it). */
#define DEPS_CHECK_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Whether the executable script at image path @path is one the image runs, and so is
 * checked: it lies in a directory of @pathvar (a PATH value; NULL: the default) or is one of
 * the @n @argv0 (the entrypoint's and cmd's first words, the spec's binaries). A script
 * elsewhere (an executable .py of a library tree) is a file, not a program. */
int deps_check_runs(const char *path, const char *pathvar, const char *const *argv0, size_t n);

#endif
