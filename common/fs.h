/* SPDX-License-Identifier: MIT */
/* The file primitives every module shares: confined opens beneath a directory, opening
 * inputs without touching their access time, writing all of a buffer, and reading a whole
 * file with a bound. */
#ifndef DISTILL_COMMON_FS_H
#define DISTILL_COMMON_FS_H

#include <stddef.h>
#include <sys/stat.h>

#include "common/err.h"

/* openat(@dirfd, @path, @flags | O_CLOEXEC), and O_NOATIME when @flags asks for it: reading
 * an input then does not update its access time. O_NOATIME is allowed only to the file's
 * owner (or CAP_FOWNER); on EPERM the file is opened again without it.
 * @return a descriptor, or -1 with errno set (as openat). */
int dt_openat(int dirfd, const char *path, int flags);

/* dt_openat(@dirfd, @path, @flags | O_NOATIME): an input, read without side effects. */
int dt_open_input(int dirfd, const char *path, int flags);

/* Opens @path below the directory @dirfd with @flags (O_RDONLY, O_PATH | O_DIRECTORY, ...),
 * refusing absolute paths, ".." and symlinks anywhere on the way (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS; one component at a time where the kernel lacks openat2). A path of
 * PATH_MAX bytes or more is opened a directory at a time, each step beneath the last.
 * O_NOATIME in @flags is dropped where the kernel refuses it (a file of another owner).
 * @return the descriptor, or -1 with errno (ELOOP for a symlink, EXDEV for an escape). */
int dt_open_beneath(int dirfd, const char *path, int flags);

/* Opens the directory that holds @path below @dirfd ("a/b/c" or "/a/b/c": a/b), making the
 * missing ones (0755) on the way, never through a symlink; *@leaf gets the last component.
 * An empty, "." or ".." component, or one of 256 bytes or more, is refused.
 * @return the descriptor, or -1 with errno (EINVAL for such a path). */
int dt_open_parent_made(int dirfd, const char *path, const char **leaf);

/* Writes @len bytes of @buf as the regular file @path below @dirfd with exactly @mode
 * (fchmod: the umask does not apply), its missing parent directories made as
 * dt_open_parent_made makes them, never through a symlink. With @replace, what is at @path
 * first goes (a file, a symlink, an empty directory); else an existing one is EEXIST.
 * @return 0, or -1 with errno set. */
int dt_write_file_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
		     int replace);

/* Opens @path beneath @dirfd (dt_open_beneath(): no symlink, the last component included)
 * for reading, as a regular file only, and fstat()s it into *@st; a FIFO is not waited on.
 * @return the descriptor (blocking), or -1 with errno: ELOOP for a symlink, EINVAL for
 * anything but a regular file (a directory, FIFO, device, socket), else as openat. */
int dt_open_regular_beneath(int dirfd, const char *path, struct stat *st);

/* Writes all @len bytes of @buf to @fd, going on after EINTR and short writes.
 * @return 0, or -1 with errno set. */
int dt_write_all(int fd, const void *buf, size_t len);

/* Reads the rest of @fd (a regular file, a pipe) into *@buf, NUL-terminated (the NUL is not
 * counted in *@len), refusing more than @max bytes. @name names the file in errors.
 * @return 0, or a negative code with @err set ("cannot read 'x': larger than N bytes"). */
int dt_read_fd(int fd, const char *name, size_t max, char **buf, size_t *len,
	       struct dt_err *err);

/* Opens @path (relative to @dirfd, or absolute) as an input and reads it whole as
 * dt_read_fd does; only a regular file is read (a FIFO or a device is refused, so that
 * nothing hangs or reads forever). @return 0, or a negative code with @err set; a missing
 * file gives -DT_ESYS with err->sys_errno ENOENT. */
int dt_read_file(int dirfd, const char *path, size_t max, char **buf, size_t *len,
		 struct dt_err *err);

#endif
