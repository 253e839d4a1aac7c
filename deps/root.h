/* SPDX-License-Identifier: MIT */
/* Paths inside a root (/ or a sysroot), resolved by our own walk: an absolute symlink
 * restarts at the root, ".." stops at the root, and every symlink met is recorded, so the
 * image can carry the same chain (libfoo.so.1 -> libfoo.so.1.2.3, /lib -> usr/lib). */
#ifndef DISTILL_DEPS_ROOT_H
#define DISTILL_DEPS_ROOT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* Where the bytes of the regular file @real (resolved, absolute inside the root) come from
 * when not from the tree: a descriptor, or -1 to read the tree's own file. A start-up check
 * tree holds placeholders and reads each ELF file where it is, nothing linked or copied. */
typedef int (*deps_content_fn)(void *ctx, const char *real);

struct deps_root {
	int fd;       /* the root directory */
	char *dir;    /* as given, for messages ("/" or "/srv/sysroot") */
	deps_content_fn content; /* or NULL */
	void *content_ctx;
};

/* Opens @dir as the root. @return 0, or a negative code with @err set. */
int deps_root_open(struct deps_root *r, const char *dir, struct dt_err *err);
void deps_root_release(struct deps_root *r);

/* Resolves the absolute @path inside the root, following every symlink confined to it (at
 * most 40). Symlinks met are appended to @links (paths inside the root, once each).
 * @return 0 with *@real (malloc'd, absolute inside the root, no symlinks); 1 when a component
 * is missing, not a directory or not accessible (*@real NULL: not an error for searches); or
 * a negative code with @err set (-DT_EINPUT for a symlink loop, naming @path). */
int deps_root_resolve(const struct deps_root *r, const char *path, struct dt_strv *links,
		      char **real, struct dt_err *err);

/* Lists the entries of directory @dir inside the root (confined), sorted bytewise, without
 * "." and "..". @return 0, 1 when @dir does not exist, or a negative code with @err set. */
int deps_root_list(const struct deps_root *r, const char *dir, struct dt_strv *names,
		   struct dt_err *err);

/* Reads the file @path (absolute, inside the root, resolved confined) whole as dt_read_fd
 * does, at most @max bytes, NUL-terminated; only a regular file is read. Errors name it as
 * the host sees it ("/srv/sysroot/etc/ld.so.conf").
 * @return 0, 1 when it does not exist (or a component is missing or not a directory), or a
 * negative code with @err set. */
int deps_root_read(const struct deps_root *r, const char *path, size_t max, char **buf,
		   size_t *len, struct dt_err *err);

/* @path as the host sees it: the root's directory before it ("/srv/sysroot/etc/x"). */
void deps_root_shown(const struct deps_root *r, const char *path, char *buf, size_t size);

/* Opens the resolved @real path for reading (through r->content first, when set).
 * @return an fd or -errno. */
int deps_root_open_file(const struct deps_root *r, const char *real);

#endif
