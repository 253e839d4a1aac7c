/* SPDX-License-Identifier: MIT */
/* Atomic output files: written under a temporary name in the target's directory and renamed
 * into place only when complete, so a failed run leaves no OUT (or the old one untouched). */
#ifndef DISTILL_COMMON_OUTFILE_H
#define DISTILL_COMMON_OUTFILE_H

#include "common/err.h"

struct dt_outfile {
	int fd;
	char *path; /* the final name */
	char *tmp;  /* the temporary name; NULL when written in place or once committed */
	int temp;   /* its dt_temp_add handle: removed if a signal stops the process */
};

/* Opens @path for writing; "-" is standard output, and an existing device or fifo
 * (/dev/null, a named pipe) is written in place. Otherwise a temporary file is made in
 * @path's directory with mode 0666 & ~umask, like any new file. Not thread-safe: it reads
 * the umask.
 * @return 0, or a negative code with @err naming @path. */
int dt_outfile_open(struct dt_outfile *of, const char *path, struct dt_err *err);

/* Closes the temporary and renames it to the final name.
 * @return 0, or a negative code with @err set (the temporary is then removed). */
int dt_outfile_commit(struct dt_outfile *of, struct dt_err *err);

/* Closes and removes the temporary, if any; releases @of. Safe after commit. */
void dt_outfile_release(struct dt_outfile *of);

#endif
