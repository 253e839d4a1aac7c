/* SPDX-License-Identifier: MIT */
/* Unit tests of common/statcache and of the cache's build side (cache.c): a file's digests
 * found again by its stat data and not after any change to it, the racy rule, a damaged
 * record ignored whole, records replaced whole, a blob entered from a descriptor, the size
 * bound parsed, and eviction of the least recently used. */
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cache.h"
#include "common/digest.h"
#include "common/statcache.h"
#include "testlib.h"

struct fx {
	const char *tmp;
	char dir[4200];
	struct dt_cache c;
};

static const char key[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dt_err err;

	f->tmp = tl_tmpdir();
	tl_path(f->dir, f->tmp, "cache");
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

/* A file @rel of the fixture whose ctime is an hour old: its stat data, as a build that
 * began now sees them (ctime cannot be set: the entry's copy is aged instead). */
static void old_file(struct fx *f, const char *rel, const char *text, struct stat *st)
{
	char p[4400];

	tl_write(f->tmp, rel, text, strlen(text), 0644);
	assert_int_equal(stat(tl_path(p, f->tmp, rel), st), 0);
	st->st_ctim.tv_sec -= 3600;
}

static void test_found_again(void **state)
{
	struct fx *f = *state;
	struct dt_statcache s;
	struct dt_err err;
	struct stat st, st2;
	unsigned char sha[32], md5[16];
	const struct dt_stat_entry *e;

	memset(sha, 0xab, sizeof(sha));
	memset(md5, 0xcd, sizeof(md5));
	old_file(f, "a", "alpha", &st);
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_null(dt_statcache_find(&s, &st));
	assert_int_equal(dt_statcache_put(&s, &st, sha, md5, 1, &err), 0);
	assert_int_equal(dt_statcache_save(&s, &err), 0);
	dt_statcache_release(&s);

	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_non_null(e = dt_statcache_find(&s, &st));
	assert_memory_equal(e->sha256, sha, 32);
	assert_memory_equal(e->md5, md5, 16);
	assert_int_equal(e->flags, 1);
	/* any change to what stat says is a miss: size, mtime, ctime, inode */
	st2 = st;
	st2.st_size++;
	assert_null(dt_statcache_find(&s, &st2));
	st2 = st;
	st2.st_mtim.tv_nsec ^= 1;
	assert_null(dt_statcache_find(&s, &st2));
	st2 = st;
	st2.st_ctim.tv_sec++;
	assert_null(dt_statcache_find(&s, &st2));
	st2 = st;
	st2.st_ino++;
	assert_null(dt_statcache_find(&s, &st2));
	/* another key is another record */
	dt_statcache_release(&s);
	assert_int_equal(dt_statcache_load(&s, &f->c,
					   "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
					   &err), 0);
	assert_null(dt_statcache_find(&s, &st));
	dt_statcache_release(&s);
}

static void test_racy(void **state)
{
	struct fx *f = *state;
	struct dt_statcache s;
	struct dt_err err;
	struct stat st;
	unsigned char sha[32] = { 1 }, md5[16] = { 2 };
	char p[4400];

	/* a file written just now (ctime within the racy window) is not recorded */
	tl_write(f->tmp, "new", "fresh", 5, 0644);
	assert_int_equal(stat(tl_path(p, f->tmp, "new"), &st), 0);
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_int_equal(dt_statcache_put(&s, &st, sha, md5, 0, &err), 0);
	assert_int_equal(s.nadd, 0);
	assert_int_equal(dt_statcache_save(&s, &err), 0);
	dt_statcache_release(&s);
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_null(dt_statcache_find(&s, &st));
	dt_statcache_release(&s);
}

static void test_damaged(void **state)
{
	struct fx *f = *state;
	struct dt_statcache s;
	struct dt_err err;
	struct stat st;
	unsigned char sha[32] = { 1 }, md5[16] = { 2 };
	char p[4400], rel[128];
	int fd;

	old_file(f, "b", "beta", &st);
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_int_equal(dt_statcache_put(&s, &st, sha, md5, 0, &err), 0);
	assert_int_equal(dt_statcache_save(&s, &err), 0);
	dt_statcache_release(&s);
	/* one byte of an entry changed: the trailing sha256 no longer holds */
	snprintf(rel, sizeof(rel), "cache/hashes/%s", key);
	assert_true((fd = open(tl_path(p, f->tmp, rel), O_RDWR)) >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 40), 1);
	close(fd);
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_int_equal(s.n, 0);
	assert_null(dt_statcache_find(&s, &st));
	dt_statcache_release(&s);
	/* cut short */
	assert_int_equal(truncate(p, 30), 0);
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_int_equal(s.n, 0);
	dt_statcache_release(&s);
}

static void test_unused_dropped(void **state)
{
	struct fx *f = *state;
	struct dt_statcache s;
	struct dt_err err;
	struct stat a, b;
	unsigned char sha[32] = { 1 }, md5[16] = { 2 };

	old_file(f, "a", "alpha", &a);
	old_file(f, "b", "beta", &b);
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_int_equal(dt_statcache_put(&s, &a, sha, md5, 0, &err), 0);
	assert_int_equal(dt_statcache_put(&s, &b, sha, md5, 0, &err), 0);
	assert_int_equal(dt_statcache_save(&s, &err), 0);
	dt_statcache_release(&s);
	/* a build that uses a only: b goes from the record */
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_int_equal(s.n, 2);
	assert_non_null(dt_statcache_find(&s, &a));
	assert_int_equal(dt_statcache_save(&s, &err), 0);
	dt_statcache_release(&s);
	assert_int_equal(dt_statcache_load(&s, &f->c, key, &err), 0);
	assert_int_equal(s.n, 1);
	assert_non_null(dt_statcache_find(&s, &a));
	assert_null(dt_statcache_find(&s, &b));
	dt_statcache_release(&s);
}

static void test_records(void **state)
{
	struct fx *f = *state;
	struct dt_err err;
	char *text;
	size_t len;

	assert_int_equal(dt_cache_record_read(&f->c, "layers", key, 100, &text, &len, &err), 0);
	assert_int_equal(dt_cache_record_write(&f->c, "layers", key, "one", 3, &err), 0);
	assert_int_equal(dt_cache_record_read(&f->c, "layers", key, 100, &text, &len, &err), 1);
	assert_string_equal(text, "one");
	free(text);
	assert_int_equal(dt_cache_record_write(&f->c, "layers", key, "two!", 4, &err), 0);
	assert_int_equal(dt_cache_record_read(&f->c, "layers", key, 100, &text, &len, &err), 1);
	assert_string_equal(text, "two!");
	free(text);
	dt_cache_record_remove(&f->c, "layers", key);
	assert_int_equal(dt_cache_record_read(&f->c, "layers", key, 100, &text, &len, &err), 0);
	/* kinds and keys that are not the cache's are refused before a path is made */
	assert_true(dt_cache_record_write(&f->c, "../x", key, "x", 1, &err) < 0);
	assert_true(dt_cache_record_write(&f->c, "layers", "../../etc", "x", 1, &err) < 0);
	assert_true(dt_cache_record_read(&f->c, "blobs", key, 100, &text, &len, &err) < 0);
}

static void test_put_fd_and_open_checked(void **state)
{
	struct fx *f = *state;
	static const char blob[] = "layer bytes";
	struct dt_err err;
	unsigned char md[32];
	char hex[65], p[4400];
	int fd, got, corrupt;

	dt_sha256(blob, strlen(blob), md);
	dt_hex(md, sizeof(md), hex);
	tl_write(f->tmp, "layer", blob, strlen(blob), 0644);
	assert_true((fd = open(tl_path(p, f->tmp, "layer"), O_RDONLY)) >= 0);
	assert_int_equal(dt_cache_put_fd(&f->c, fd, hex, strlen(blob), &err), 0);
	close(fd);
	assert_int_equal(dt_cache_open_checked(&f->c, hex, strlen(blob), &got, &corrupt, &err), 1);
	assert_true(got >= 0);
	assert_int_equal(lseek(got, 0, SEEK_CUR), 0);
	close(got);
	/* the wrong size: removed as corrupt */
	assert_int_equal(dt_cache_open_checked(&f->c, hex, 3, &got, &corrupt, &err), 0);
	assert_int_equal(corrupt, 1);
	assert_int_equal(got, -1);
	assert_int_equal(dt_cache_check(&f->c, hex, strlen(blob), NULL, &err), 0);
}

static void test_max(void **state)
{
	struct dt_err err;
	uint64_t m;

	(void)state;
	unsetenv("DISTILL_CACHE_MAX");
	assert_int_equal(dt_cache_max(&m, &err), 0);
	assert_int_equal(m, DT_CACHE_MAX_DEFAULT);
	setenv("DISTILL_CACHE_MAX", "512M", 1);
	assert_int_equal(dt_cache_max(&m, &err), 0);
	assert_int_equal(m, 512ull << 20);
	setenv("DISTILL_CACHE_MAX", "1", 1);
	assert_int_equal(dt_cache_max(&m, &err), 0);
	assert_int_equal(m, 1);
	setenv("DISTILL_CACHE_MAX", "10X", 1);
	assert_int_equal(dt_cache_max(&m, &err), -DT_EINPUT);
	setenv("DISTILL_CACHE_MAX", "-1", 1);
	assert_int_equal(dt_cache_max(&m, &err), -DT_EINPUT);
	setenv("DISTILL_CACHE_MAX", "99999999999T", 1);
	assert_int_equal(dt_cache_max(&m, &err), -DT_EINPUT);
	unsetenv("DISTILL_CACHE_MAX");
}

/* Ages the cache file @rel by @secs seconds (its mtime: the last use). */
static void age(struct fx *f, const char *rel, int secs)
{
	struct timespec t[2];
	char p[4400];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= secs;
	t[1] = t[0];
	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
}

static void test_evict(void **state)
{
	struct fx *f = *state;
	static const char *const texts[] = { "oldest blob ........", "older blob .........",
					     "recent blob ........" };
	char hex[3][65], rel[128];
	struct dt_err err;
	uint64_t removed;

	for (int i = 0; i < 3; i++) {
		unsigned char md[32];
		char name[8];
		int fd;
		dt_sha256(texts[i], strlen(texts[i]), md);
		dt_hex(md, sizeof(md), hex[i]);
		snprintf(name, sizeof(name), "f%d", i);
		tl_write(f->tmp, name, texts[i], strlen(texts[i]), 0644);
		assert_true((fd = open(tl_path(rel, f->tmp, name), O_RDONLY)) >= 0);
		assert_int_equal(dt_cache_put_fd(&f->c, fd, hex[i], strlen(texts[i]), &err), 0);
		close(fd);
	}
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", hex[0]);
	age(f, rel, 7200);
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", hex[1]);
	age(f, rel, 3600);
	/* under the bound: nothing goes */
	assert_int_equal(dt_cache_evict(&f->c, 1 << 30, &removed, &err), 0);
	assert_int_equal(removed, 0);
	/* a bound of one byte: the two old ones go, oldest first; the one used in the last
	 * minute stays */
	dt_cache_touch(&f->c, NULL, hex[2]);
	assert_int_equal(dt_cache_evict(&f->c, 1, &removed, &err), 0);
	assert_true(removed > 0);
	assert_int_equal(dt_cache_check(&f->c, hex[0], strlen(texts[0]), NULL, &err), 0);
	assert_int_equal(dt_cache_check(&f->c, hex[1], strlen(texts[1]), NULL, &err), 0);
	assert_int_equal(dt_cache_check(&f->c, hex[2], strlen(texts[2]), NULL, &err), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_found_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unused_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_fd_and_open_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evict, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
