/* SPDX-License-Identifier: MIT */
/* What the unit tests share: a temporary directory per test, files written into it, and
 * whole files read back. Every helper fails the running cmocka test on an error. */
#ifndef DISTILL_TESTS_UNIT_TESTLIB_H
#define DISTILL_TESTS_UNIT_TESTLIB_H

#include <stddef.h>
#include <sys/types.h>

/* A new empty directory under $TMPDIR (or /tmp), "distill-unit-XXXXXX": its path, which
 * stays valid until tl_rmtree() of it. */
const char *tl_tmpdir(void);
/* Removes the tree @dir (no symlink followed). */
void tl_rmtree(const char *dir);

/* The path @dir/@rel into @buf (at least 4096 bytes); @return @buf. */
char *tl_path(char *buf, const char *dir, const char *rel);
/* Writes @len bytes of @data (NUL-terminated text when @len is (size_t)-1) to @dir/@rel,
 * making its parent directories (0755), with @mode. */
void tl_write(const char *dir, const char *rel, const void *data, size_t len, mode_t mode);
/* mkdir -p @dir/@rel with @mode for the last component. */
void tl_mkdir(const char *dir, const char *rel, mode_t mode);
/* A symlink @dir/@rel -> @target. */
void tl_symlink(const char *dir, const char *rel, const char *target);
/* The whole file @path, NUL-terminated (free() it); its size in *@len when not NULL. */
char *tl_read(const char *path, size_t *len);

#endif
