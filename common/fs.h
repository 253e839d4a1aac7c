/* SPDX-License-Identifier: MIT */
/* Opening inputs without side effects on them. */
#ifndef DISTILL_COMMON_FS_H
#define DISTILL_COMMON_FS_H

/* openat(@dirfd, @path, @flags | O_NOATIME | O_CLOEXEC): reading the file does not update
 * its access time. O_NOATIME is allowed only to the file's owner (or CAP_FOWNER); on EPERM
 * the file is opened again without it.
 * @return a descriptor, or -1 with errno set (as openat). */
int dt_open_input(int dirfd, const char *path, int flags);

#endif
