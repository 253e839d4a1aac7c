/* SPDX-License-Identifier: MIT */
/* Unit tests of common/cache: the default directory, blobs entered only whole and right,
 * a part resumed, a part held by another process, corrupt blobs removed, names refused. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cache.h"
#include "common/digest.h"
#include "testlib.h"

struct fx {
	const char *tmp;
	char dir[4200];
	struct dt_cache c;
};

static const char text[] = "the content of a blob, long enough to be cut in two";

static void hex_of(const void *buf, size_t len, char hex[65])
{
	unsigned char md[DT_SHA256_LEN];

	dt_sha256(buf, len, md);
	dt_hex(md, sizeof(md), hex);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dt_err err;

	f->tmp = tl_tmpdir();
	tl_path(f->dir, f->tmp, "a/b/cache");
	assert_int_equal(dt_cache_open(&f->c, f->dir, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dt_cache_close(&f->c);
	tl_rmtree(f->tmp);
	free(f);
	return 0;
}

static int exists(const struct fx *f, const char *rel)
{
	char p[4400];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	return lstat(p, &st) == 0;
}

static void blob_rel(char *out, const char *hex)
{
	snprintf(out, 96, "blobs/sha256/%s", hex);
}

static void part_rel(char *out, const char *hex)
{
	snprintf(out, 96, "tmp/%s.part", hex);
}

/* Puts @len bytes of @buf as the blob @hex of @size bytes. @return commit's code. */
static int put(struct fx *f, const char *hex, uint64_t size, const void *buf, size_t len,
	       struct dt_err *err)
{
	struct dt_cache_put p;

	assert_int_equal(dt_cache_put_begin(&f->c, &p, hex, size, 0, err), 0);
	assert_int_equal(p.have, 0);
	if (len > 0)
		assert_int_equal(dt_cache_put_write(&p, buf, len, err), 0);
	return dt_cache_put_commit(&p, err);
}

static void test_default_dir(void **state)
{
	char out[4096];
	struct dt_err err;
	(void)state;

	setenv("DISTILL_CACHE", "/c/d", 1);
	setenv("XDG_CACHE_HOME", "/x", 1);
	setenv("HOME", "/h", 1);
	assert_int_equal(dt_cache_default_dir(out, sizeof(out), &err), 0);
	assert_string_equal(out, "/c/d");
	unsetenv("DISTILL_CACHE");
	assert_int_equal(dt_cache_default_dir(out, sizeof(out), &err), 0);
	assert_string_equal(out, "/x/distill");
	setenv("XDG_CACHE_HOME", "rel", 1); /* relative: ignored, as the spec says */
	assert_int_equal(dt_cache_default_dir(out, sizeof(out), &err), 0);
	assert_string_equal(out, "/h/.cache/distill");
	unsetenv("XDG_CACHE_HOME");
	assert_int_equal(dt_cache_default_dir(out, sizeof(out), &err), 0);
	assert_string_equal(out, "/h/.cache/distill");
	assert_int_equal(dt_cache_default_dir(out, 8, &err), -DT_EINPUT);
	unsetenv("HOME");
	assert_int_equal(dt_cache_default_dir(out, sizeof(out), &err), -DT_EINPUT);
	assert_non_null(strstr(err.msg, "DISTILL_CACHE"));
}

static void test_open(void **state)
{
	struct fx *f = *state;
	struct dt_cache c2;
	struct dt_err err;
	char d[4200];

	assert_true(exists(f, "blobs/sha256"));
	assert_true(exists(f, "tmp"));
	/* again on the same directory */
	assert_int_equal(dt_cache_open(&c2, f->dir, &err), 0);
	dt_cache_close(&c2);
	dt_cache_close(&c2); /* closed: a no-op */
	/* blobs/ a symlink: never followed */
	tl_mkdir(f->tmp, "elsewhere", 0755);
	tl_mkdir(f->tmp, "c2", 0755);
	tl_symlink(f->tmp, "c2/blobs", "../elsewhere");
	tl_path(d, f->tmp, "c2");
	assert_true(dt_cache_open(&c2, d, &err) < 0);
	assert_non_null(strstr(err.msg, "c2"));
	assert_int_equal(c2.fd, -1);
	assert_int_equal(dt_cache_open(&c2, "", &err), -DT_EINPUT);
}

static void test_put_and_check(void **state)
{
	struct fx *f = *state;
	struct dt_cache_put p;
	struct dt_err err;
	char hex[65], rel[96], path[4400], buf[128];
	int fd, corrupt = 7;
	ssize_t n;

	hex_of(text, sizeof(text), hex);
	assert_int_equal(dt_cache_check(&f->c, hex, sizeof(text), &corrupt, &err), 0);
	assert_int_equal(corrupt, 0);
	assert_int_equal(dt_cache_open_blob(&f->c, hex), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(dt_cache_put_begin(&f->c, &p, hex, sizeof(text), 0, &err), 0);
	part_rel(rel, hex);
	assert_true(exists(f, rel));
	assert_int_equal(dt_cache_put_write(&p, text, 10, &err), 0);
	assert_int_equal(dt_cache_put_write(&p, text + 10, sizeof(text) - 10, &err), 0);
	assert_int_equal(p.have, sizeof(text));
	assert_int_equal(dt_cache_put_commit(&p, &err), 0);
	assert_string_equal(p.got, hex);
	dt_cache_put_abort(&p, 0); /* after commit: a no-op */
	assert_false(exists(f, rel));
	blob_rel(rel, hex);
	assert_true(exists(f, rel));

	assert_int_equal(dt_cache_check(&f->c, hex, sizeof(text), &corrupt, &err), 1);
	assert_int_equal(corrupt, 0);
	assert_true((fd = dt_cache_open_blob(&f->c, hex)) >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, sizeof(text));
	assert_memory_equal(buf, text, sizeof(text));
	dt_cache_blob_path(&f->c, hex, path, sizeof(path));
	{
		char want[4400];
		snprintf(want, sizeof(want), "%s/%s", f->dir, rel);
		assert_string_equal(path, want);
	}

	/* a second writer of the same right blob: the rename onto it is harmless */
	assert_int_equal(put(f, hex, sizeof(text), text, sizeof(text), &err), 0);
	assert_int_equal(dt_cache_check(&f->c, hex, sizeof(text), NULL, &err), 1);

	/* the empty blob */
	hex_of("", 0, hex);
	assert_int_equal(put(f, hex, 0, "", 0, &err), 0);
	assert_int_equal(dt_cache_check(&f->c, hex, 0, NULL, &err), 1);
}

static void test_mismatch(void **state)
{
	struct fx *f = *state;
	struct dt_cache_put p;
	struct dt_err err;
	char hex[65], other[65], rel[96];

	hex_of(text, sizeof(text), hex);
	/* too few bytes */
	assert_int_equal(put(f, hex, sizeof(text), text, 5, &err), -DT_EMISMATCH);
	{
		char want[64];
		snprintf(want, sizeof(want), "size 5 is not the %zu expected", sizeof(text));
		assert_non_null(strstr(err.msg, want));
	}
	part_rel(rel, hex);
	assert_false(exists(f, rel));
	blob_rel(rel, hex);
	assert_false(exists(f, rel));

	/* too many: refused at the write, the part as it was */
	assert_int_equal(dt_cache_put_begin(&f->c, &p, hex, 4, 0, &err), 0);
	assert_int_equal(dt_cache_put_write(&p, text, 3, &err), 0);
	assert_int_equal(dt_cache_put_write(&p, text, 2, &err), -DT_EMISMATCH);
	assert_non_null(strstr(err.msg, "more than the 4 bytes"));
	assert_int_equal(p.have, 3);
	dt_cache_put_abort(&p, 0);
	part_rel(rel, hex);
	assert_false(exists(f, rel));

	/* the right size, other bytes: both hashes named, nothing entered */
	hex_of("x", 1, other);
	assert_int_equal(put(f, hex, 1, "x", 1, &err), -DT_EMISMATCH);
	assert_non_null(strstr(err.msg, other));
	assert_non_null(strstr(err.msg, hex));
	assert_false(exists(f, rel));
	blob_rel(rel, hex);
	assert_false(exists(f, rel));
	assert_int_equal(dt_cache_check(&f->c, hex, 1, NULL, &err), 0);
}

static void test_resume(void **state)
{
	struct fx *f = *state;
	struct dt_cache_put p;
	struct dt_err err;
	char hex[65], rel[96];

	hex_of(text, sizeof(text), hex);
	assert_int_equal(dt_cache_put_begin(&f->c, &p, hex, sizeof(text), 1, &err), 0);
	assert_int_equal(p.have, 0);
	assert_int_equal(dt_cache_put_write(&p, text, 20, &err), 0);
	dt_cache_put_abort(&p, 1);
	part_rel(rel, hex);
	assert_true(exists(f, rel));

	/* resumed: the 20 bytes there are hashed with the rest */
	assert_int_equal(dt_cache_put_begin(&f->c, &p, hex, sizeof(text), 1, &err), 0);
	assert_int_equal(p.have, 20);
	assert_int_equal(dt_cache_put_write(&p, text + 20, sizeof(text) - 20, &err), 0);
	assert_int_equal(dt_cache_put_commit(&p, &err), 0);
	assert_int_equal(dt_cache_check(&f->c, hex, sizeof(text), NULL, &err), 1);

	/* not resumed: a part there is started again */
	tl_write(f->dir, rel, "garbage", (size_t)-1, 0644);
	assert_int_equal(dt_cache_put_begin(&f->c, &p, hex, sizeof(text), 0, &err), 0);
	assert_int_equal(p.have, 0);
	dt_cache_put_abort(&p, 1);
	/* a part longer than the blob is not resumed */
	tl_write(f->dir, rel, "garbage", (size_t)-1, 0644);
	assert_int_equal(dt_cache_put_begin(&f->c, &p, hex, 3, 1, &err), 0);
	assert_int_equal(p.have, 0);
	dt_cache_put_abort(&p, 0);
	assert_false(exists(f, rel));
}

static void test_busy(void **state)
{
	struct fx *f = *state;
	struct dt_cache_put p, q;
	struct dt_err err;
	char hex[65];
	pid_t pid;
	int status;

	hex_of(text, sizeof(text), hex);
	assert_int_equal(dt_cache_put_begin(&f->c, &p, hex, sizeof(text), 1, &err), 0);
	assert_int_equal(dt_cache_put_write(&p, text, 7, &err), 0);
	/* another process: refused, not waited for */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct dt_err e;
		int rc = dt_cache_put_begin(&f->c, &q, hex, sizeof(text), 1, &e);
		static const char end[] = "' is being written by another process";
		size_t len = strlen(e.msg);
		_exit(rc == -DT_ESYS && e.sys_errno == EWOULDBLOCK && len > sizeof(end) &&
		      strcmp(e.msg + len - (sizeof(end) - 1), end) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* so is another put of this process */
	assert_int_equal(dt_cache_put_begin(&f->c, &q, hex, sizeof(text), 1, &err), -DT_ESYS);
	assert_int_equal(err.sys_errno, EWOULDBLOCK);
	assert_int_equal(q.fd, -1);
	dt_cache_put_abort(&q, 0); /* released: a no-op, the other's part stays */
	assert_int_equal(dt_cache_put_write(&p, text + 7, sizeof(text) - 7, &err), 0);
	assert_int_equal(dt_cache_put_commit(&p, &err), 0);
	/* once committed, the next writer makes a new part, not the blob's inode */
	assert_int_equal(dt_cache_put_begin(&f->c, &q, hex, sizeof(text), 1, &err), 0);
	assert_int_equal(q.have, 0);
	dt_cache_put_abort(&q, 0);
	assert_int_equal(dt_cache_check(&f->c, hex, sizeof(text), NULL, &err), 1);
}

static void test_corrupt(void **state)
{
	struct fx *f = *state;
	struct dt_err err;
	char hex[65], rel[96], bad[sizeof(text)];
	int corrupt;

	hex_of(text, sizeof(text), hex);
	blob_rel(rel, hex);
	/* same size, other bytes */
	memcpy(bad, text, sizeof(text));
	bad[3] ^= 1;
	tl_write(f->dir, rel, bad, sizeof(bad), 0644);
	assert_int_equal(dt_cache_check(&f->c, hex, sizeof(text), &corrupt, &err), 0);
	assert_int_equal(corrupt, 1);
	assert_false(exists(f, rel));
	/* another size */
	tl_write(f->dir, rel, text, 4, 0644);
	assert_int_equal(dt_cache_check(&f->c, hex, sizeof(text), &corrupt, &err), 0);
	assert_int_equal(corrupt, 1);
	assert_false(exists(f, rel));
	/* the right bytes asked with another size */
	assert_int_equal(put(f, hex, sizeof(text), text, sizeof(text), &err), 0);
	assert_int_equal(dt_cache_check(&f->c, hex, 3, &corrupt, &err), 0);
	assert_int_equal(corrupt, 1);
	assert_false(exists(f, rel));
	/* a symlink: removed, its target untouched */
	tl_write(f->tmp, "target", text, sizeof(text), 0644);
	{
		char t[4200];
		tl_path(t, f->tmp, "target");
		tl_symlink(f->dir, rel, t);
	}
	assert_int_equal(dt_cache_check(&f->c, hex, sizeof(text), &corrupt, &err), 0);
	assert_int_equal(corrupt, 1);
	assert_false(exists(f, rel));
	{
		char t[4200];
		struct stat st;
		assert_int_equal(stat(tl_path(t, f->tmp, "target"), &st), 0);
	}
	/* a directory: an error, not removed */
	tl_mkdir(f->dir, rel, 0755);
	assert_true(dt_cache_check(&f->c, hex, sizeof(text), &corrupt, &err) < 0);
	assert_non_null(strstr(err.msg, "is a directory"));
	assert_int_equal(dt_cache_open_blob(&f->c, hex), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_bad_names(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = {
		"", "..", "../../../../etc/passwd",
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8\n5",
	};
	struct dt_cache_put p;
	struct dt_err err;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(dt_cache_check(&f->c, names[i], 0, NULL, &err), -DT_EINPUT);
		assert_non_null(strstr(err.msg, "is not a sha256"));
		assert_null(strchr(err.msg, '\n'));
		assert_int_equal(dt_cache_put_begin(&f->c, &p, names[i], 0, 0, &err), -DT_EINPUT);
		assert_int_equal(p.fd, -1);
		dt_cache_put_abort(&p, 0);
		assert_int_equal(dt_cache_open_blob(&f->c, names[i]), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(dt_cache_check(&f->c, NULL, 0, NULL, &err), -DT_EINPUT);
}

static void test_tmp_symlink(void **state)
{
	struct fx *f = *state;
	struct dt_cache_put p;
	struct dt_err err;
	char hex[65], d[4400];

	hex_of(text, sizeof(text), hex);
	snprintf(d, sizeof(d), "%s/tmp", f->dir);
	assert_int_equal(rmdir(d), 0);
	tl_mkdir(f->tmp, "elsewhere", 0755);
	tl_symlink(f->dir, "tmp", "../../../elsewhere");
	assert_true(dt_cache_put_begin(&f->c, &p, hex, sizeof(text), 0, &err) < 0);
	assert_non_null(strstr(err.msg, "/tmp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_and_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_symlink, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
