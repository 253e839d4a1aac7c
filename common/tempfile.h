/* SPDX-License-Identifier: MIT */
/* Temporary outputs removed when a signal (SIGINT, SIGTERM, SIGHUP) stops the process. */
#ifndef DISTILL_COMMON_TEMPFILE_H
#define DISTILL_COMMON_TEMPFILE_H

#include <sys/types.h>

/* How many temporaries can be registered at once; more are not removed on a signal. */
#define DT_TEMP_SLOTS 32

/* Registers the file (or, with @is_dir, the directory tree) @name, relative to @dirfd
 * (AT_FDCWD or a directory the caller keeps open until dt_temp_drop), to be removed if a
 * signal stops the process. Only the thread that called dt_temp_on_signals may register
 * and drop; without dt_temp_on_signals the registry is kept but never used.
 * @return a handle for dt_temp_drop (1 or more), or 0 when the name is not registered (no
 *         memory, or every slot in use): the caller goes on, only the cleanup on a signal
 *         is lost. 0 is also what a zeroed struct holds: dropping it does nothing. */
int dt_temp_add(int dirfd, const char *name, int is_dir);

/* Creates and registers a temporary with the signals blocked in between, so that a signal
 * never leaves one behind unregistered. @h receives the handle (0: not registered).
 * dt_temp_mkstemp: mkostemp(@tmpl, @flags); @return a descriptor, or -1 with errno set.
 * dt_temp_mkdtemp: mkdtemp(@tmpl), a tree; @return @tmpl, or NULL with errno set.
 * dt_temp_openat: openat(@dirfd, @name, @flags | O_CREAT, @mode); @return as openat. */
int dt_temp_mkstemp(char *tmpl, int flags, int *h);
char *dt_temp_mkdtemp(char *tmpl, int *h);
int dt_temp_openat(int dirfd, const char *name, int flags, mode_t mode, int *h);

/* An anonymous temporary file in the directory @dir: O_TMPFILE, or where the filesystem
 * lacks it a name unlinked at once (with the signals blocked in between), so that nothing
 * is left behind however the process ends. @return a read-write descriptor, or -1 with
 * errno set. */
int dt_temp_anon(const char *dir);

/* Forgets handle @h (0 is ignored): the caller has renamed or removed it. */
void dt_temp_drop(int h);

/* Where temporary files go: $TMPDIR when it is set to an absolute path, else "/tmp". */
const char *dt_temp_base(void);
/* Where a temporary tree of many small files (placeholders, symlinks) goes: $TMPDIR when
 * it is set to an absolute path, else /dev/shm when it is a tmpfs this process may write,
 * else "/tmp". Making an inode in memory costs microseconds; on a disk file system, a
 * thousand of them cost a no-op rebuild most of its time. Not for file content. */
const char *dt_temp_tree_base(void);

/* fork() for a child the caller will wait for. The parent names it among its children (at
 * most 64 at once): on a signal each is sent the same signal and reaped before the
 * temporaries are removed (they may hold their output); the signals wait while it is being
 * named. The child forgets the parent's temporaries and children, so a signal before it
 * execs removes nothing (exec resets the handlers). @return as fork() (-1 with EAGAIN when
 * 64 children are named already). */
pid_t dt_temp_fork(void);

/* Forgets the child @pid named by dt_temp_fork, once the caller has reaped it. */
void dt_temp_child_done(pid_t pid);

/* rm -rf @name below @dirfd (AT_FDCWD or a directory), best effort: never follows a symlink,
 * goes 32 levels deep at most (distill's temporaries are a few), and makes system calls only,
 * so that the signal handler uses it too. */
void dt_temp_remove_tree(int dirfd, const char *name);

/* Installs the handlers for SIGINT, SIGTERM and SIGHUP: the child, if any, is stopped and
 * reaped, every registered temporary removed, and the signal raised again with its default
 * action, so the caller sees the process stopped by it. A signal that lands on another
 * thread is passed on to this one. Call once, from the main thread, before other threads. */
void dt_temp_on_signals(void);

#endif
