/* SPDX-License-Identifier: MIT */
/* Opening inputs without side effects on them. */
#include "common/fs.h"

#include <errno.h>
#include <fcntl.h>

int dt_open_input(int dirfd, const char *path, int flags)
{
	int fd = openat(dirfd, path, flags | O_NOATIME | O_CLOEXEC);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, path, flags | O_CLOEXEC);
	return fd;
}
