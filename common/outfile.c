/* SPDX-License-Identifier: MIT */
/* Temporary-then-rename output files (see outfile.h). */
#include "common/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fault.h"
#include "common/tempfile.h"

/* Forgets the temporary's name: it has been renamed or removed. */
static void forget_tmp(struct dt_outfile *of)
{
	free(of->tmp);
	of->tmp = NULL;
	dt_temp_drop(of->temp);
	of->temp = 0;
}

/* Removes the temporary, if any. */
static void discard_tmp(struct dt_outfile *of)
{
	if (!of->tmp)
		return;
	unlink(of->tmp);
	forget_tmp(of);
}

int dt_outfile_open(struct dt_outfile *of, const char *path, struct dt_err *err)
{
	char *dcopy = NULL, *bcopy = NULL;
	size_t len;
	mode_t mask;
	int rc = 0;

	of->fd = -1;
	of->tmp = NULL;
	of->temp = 0;
	if (!(of->path = strdup(path)))
		return dt_oom(err);
	if (strcmp(path, "-") == 0) {
		of->fd = STDOUT_FILENO;
		return 0;
	}
	{
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = dt_err_set(err, DT_EINPUT, "cannot write '%s': it is a directory", path);
			goto out;
		}
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			/* A device or a fifo (/dev/null, a named pipe): write to it in place;
			 * renaming a file over it would replace the device. */
			of->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
			if (of->fd < 0)
				rc = dt_err_sys(err, errno, "cannot open '%s'", path);
			goto out;
		}
	}
	if (!(dcopy = strdup(path)) || !(bcopy = strdup(path))) {
		rc = dt_oom(err);
		goto out;
	}
	len = strlen(path) + 32;
	if (!(of->tmp = malloc(len))) {
		rc = dt_oom(err);
		goto out;
	}
	snprintf(of->tmp, len, "%s/.%s.tmp-XXXXXX", dirname(dcopy), basename(bcopy));
	of->fd = dt_temp_mkstemp(of->tmp, O_CLOEXEC, &of->temp);
	if (of->fd < 0) {
		rc = dt_err_sys(err, errno, "cannot create '%s'", path);
		free(of->tmp);
		of->tmp = NULL;
		goto out;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(of->fd, 0666 & ~mask) < 0)
		rc = dt_err_sys(err, errno, "cannot set the mode of '%s'", path);
out:
	free(dcopy);
	free(bcopy);
	if (rc < 0)
		dt_outfile_release(of);
	return rc;
}

int dt_outfile_commit(struct dt_outfile *of, struct dt_err *err)
{
	int rc = 0;

	if (!of->tmp)
		return 0;
	if (close(of->fd) < 0) {
		of->fd = -1;
		rc = dt_err_sys(err, errno, "cannot write '%s'", of->path);
		goto fail;
	}
	of->fd = -1;
	dt_fault("commit");
	if (rename(of->tmp, of->path) < 0) {
		rc = dt_err_sys(err, errno, "cannot move the finished file to '%s'", of->path);
		goto fail;
	}
	forget_tmp(of);
	dt_fault("committed");
	return 0;
fail:
	discard_tmp(of);
	return rc;
}

void dt_outfile_release(struct dt_outfile *of)
{
	if (!of->tmp && of->fd > STDERR_FILENO)
		close(of->fd); /* written in place */
	if (of->tmp && of->fd >= 0)
		close(of->fd);
	discard_tmp(of);
	of->fd = -1;
	free(of->path);
	of->path = NULL;
}
