/* SPDX-License-Identifier: MIT */
/* Shared unit-test helpers (see testlib.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fs.h"
#include "common/tempfile.h"
#include "testlib.h"

static char dirs[16][4096];
static unsigned ndirs;

const char *tl_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *d = dirs[ndirs++ % 16];

	snprintf(d, 4096, "%s/distill-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(d));
	return d;
}

void tl_rmtree(const char *dir)
{
	dt_temp_remove_tree(AT_FDCWD, dir);
}

char *tl_path(char *buf, const char *dir, const char *rel)
{
	snprintf(buf, 4096, "%s/%s", dir, rel);
	return buf;
}

static void parents(const char *dir, const char *rel)
{
	char p[4096];

	tl_path(p, dir, rel);
	for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
		*s = '/';
	}
}

void tl_write(const char *dir, const char *rel, const void *data, size_t len, mode_t mode)
{
	char p[4096];
	int fd;

	parents(dir, rel);
	if (len == (size_t)-1)
		len = strlen(data);
	fd = open(tl_path(p, dir, rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dt_write_all(fd, data, len), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

void tl_mkdir(const char *dir, const char *rel, mode_t mode)
{
	char p[4096];

	parents(dir, rel);
	assert_true(mkdir(tl_path(p, dir, rel), mode) == 0 || errno == EEXIST);
	assert_int_equal(chmod(p, mode), 0);
}

void tl_symlink(const char *dir, const char *rel, const char *target)
{
	char p[4096];

	parents(dir, rel);
	assert_int_equal(symlink(target, tl_path(p, dir, rel)), 0);
}

char *tl_read(const char *path, size_t *len)
{
	struct dt_err err;
	char *buf = NULL;
	size_t n = 0;

	if (dt_read_file(AT_FDCWD, path, (size_t)1 << 30, &buf, &n, &err) < 0)
		fail_msg("%s", err.msg);
	if (len)
		*len = n;
	return buf;
}
