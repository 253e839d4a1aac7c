/* SPDX-License-Identifier: MIT */
/* Unit tests of debian/fetch against a real local server (tests/lib/httpd.py, started and
 * stopped by each test): fetched, cached, HTTP errors, retries, truncation and resume,
 * wrong bytes, redirects, the debs directory, offline, TLS, a corrupt cache entry. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "common/cache.h"
#include "common/digest.h"
#include "debian/fetch.h"
#include "testlib.h"

extern char **environ;

#define NAME "pkg 1.0 amd64"
#define SIZE 200000 /* several writes, and a half that is a clear number */

struct fx {
	const char *tmp;
	char www[4200], cachedir[4200], debs[4200], portfile[4200];
	pid_t pid;
	int port;
	struct dt_cache c;
	unsigned char *data;
	char hex[65];
	char url[8][512];
	int nurl;
	struct deb_fetch_opts o;
};

/* tests/lib/httpd.py: below $TESTS (ctest sets it), else next to this source. */
static char *httpd_path(char *buf, size_t n)
{
	const char *t = getenv("TESTS");

	if (t && *t) {
		snprintf(buf, n, "%s/lib/httpd.py", t);
	} else {
		char *s;
		snprintf(buf, n, "%s", __FILE__);
		for (int i = 0; i < 3 && (s = strrchr(buf, '/')); i++)
			*s = '\0';
		snprintf(buf + strlen(buf), n - strlen(buf), "/lib/httpd.py");
	}
	return buf;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Starts httpd.py serving f->www (with TLS when @cert) and waits, bounded, for its port. */
static void server_start(struct fx *f, char *cert, char *key)
{
	char py[4200], python[] = "python3", tls[] = "--tls";
	char *argv[] = { python, httpd_path(py, sizeof(py)), f->portfile, f->www, tls, cert, key,
			 NULL };
	FILE *pf;
	int status;

	if (!cert)
		argv[4] = NULL;
	unlink(f->portfile);
	assert_int_equal(posix_spawnp(&f->pid, "python3", NULL, NULL, argv, environ), 0);
	/* polled: the server writes its port file when it listens */
	for (int i = 0; access(f->portfile, F_OK) != 0; i++) {
		assert_true(i < 3000); /* 60 s */
		assert_int_equal(waitpid(f->pid, &status, WNOHANG), 0);
		pause_ms(20);
	}
	assert_non_null(pf = fopen(f->portfile, "r"));
	assert_int_equal(fscanf(pf, "%d", &f->port), 1);
	fclose(pf);
	assert_true(f->port > 0);
}

static void server_stop(struct fx *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
}

static void make_data(struct fx *f)
{
	unsigned char md[DT_SHA256_LEN];
	uint32_t x = 12345;

	f->data = malloc(SIZE);
	assert_non_null(f->data);
	for (size_t i = 0; i < SIZE; i++) {
		x = x * 1103515245u + 12345u;
		f->data[i] = (unsigned char)(x >> 16);
	}
	dt_sha256(f->data, SIZE, md);
	dt_hex(md, sizeof(md), f->hex);
}

static int setup_dirs(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dt_err err;

	assert_non_null(f);
	f->tmp = tl_tmpdir();
	tl_path(f->www, f->tmp, "www");
	tl_path(f->cachedir, f->tmp, "cache");
	tl_path(f->debs, f->tmp, "debs");
	tl_path(f->portfile, f->tmp, "port");
	tl_mkdir(f->tmp, "www", 0755);
	tl_mkdir(f->tmp, "debs", 0755);
	make_data(f);
	tl_write(f->www, "pool/a.deb", f->data, SIZE, 0644);
	assert_int_equal(dt_cache_open(&f->c, f->cachedir, &err), 0);
	f->o.backoff_ms = 5;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	setup_dirs(state);
	server_start(*state, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	server_stop(f);
	dt_cache_close(&f->c);
	tl_rmtree(f->tmp);
	free(f->data);
	free(f);
	return 0;
}

/* "http://127.0.0.1:PORT@path" (kept in @f). */
static const char *url(struct fx *f, const char *path)
{
	char *u = f->url[f->nurl++ % 8];

	snprintf(u, 512, "http://127.0.0.1:%d%s", f->port, path);
	return u;
}

static void item_init(struct fx *f, struct deb_fetch_item *it, const char *path)
{
	memset(it, 0, sizeof(*it));
	it->name = NAME;
	it->url = path ? url(f, path) : NULL;
	it->file = "a.deb";
	it->size = SIZE;
	memcpy(it->sha256, f->hex, 65);
}

/* Fetches the item of @path (NULL: no URL) with f->o. @return deb_fetch's code. */
static int fetch1(struct fx *f, const char *path, struct deb_fetch_item *it)
{
	struct dt_err err;
	int rc;

	item_init(f, it, path);
	rc = deb_fetch(&f->c, it, 1, &f->o, &err);
	assert_true(rc == 0 || rc == 1);
	assert_int_equal(rc, it->state == DEB_FETCH_FAILED);
	return rc;
}

/* The item failed with a message that names it, its URL and @what. */
static void expect_failed(const struct deb_fetch_item *it, const char *what)
{
	char head[1024];

	assert_int_equal(it->state, DEB_FETCH_FAILED);
	if (it->url)
		snprintf(head, sizeof(head), "%s: %s: ", NAME, it->url);
	else
		snprintf(head, sizeof(head), "%s: ", NAME);
	if (strncmp(it->err.msg, head, strlen(head)) != 0 || !strstr(it->err.msg, what))
		fail_msg("message '%s', not '%s...%s'", it->err.msg, head, what);
}

static size_t into_buf(char *p, size_t size, size_t n, void *ud)
{
	char *buf = ud;
	size_t have = strlen(buf), len = size * n;

	if (have + len >= 65536)
		return 0;
	memcpy(buf + have, p, len);
	buf[have + len] = '\0';
	return len;
}

/* GET @path of the server, its body into @buf (65536 bytes). */
static char *get(struct fx *f, const char *path, char *buf)
{
	CURL *h = curl_easy_init();

	buf[0] = '\0';
	assert_non_null(h);
	curl_easy_setopt(h, CURLOPT_URL, url(f, path));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, into_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, buf);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	return buf;
}

/* How many requests the server has had. */
static int count(struct fx *f)
{
	static char buf[65536];

	return atoi(get(f, "/count", buf));
}

static char *server_log(struct fx *f)
{
	static char buf[65536];

	return get(f, "/log", buf);
}

/* Whether the cache has the entry @sub/@hex@ext (a blob or a part), right or not. */
static int exists(const struct fx *f, const char *sub, const char *ext)
{
	char p[4600];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/%s%s", f->cachedir, sub, f->hex, ext);
	return lstat(p, &st) == 0;
}

static int in_cache(struct fx *f)
{
	struct dt_err err;

	return dt_cache_check(&f->c, f->hex, SIZE, NULL, &err) == 1;
}

static int part_exists(struct fx *f)
{
	return exists(f, "tmp", ".part");
}

static void remove_blob(struct fx *f)
{
	char p[4600];

	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", f->cachedir, f->hex);
	assert_int_equal(unlink(p), 0);
}

static void write_part(struct fx *f, const void *data, size_t len)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "tmp/%s.part", f->hex);
	tl_write(f->cachedir, rel, data, len, 0644);
}

static uint64_t last_done, last_total;
static int progress_calls;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	assert_true(done <= total);
	last_done = done;
	last_total = total;
	progress_calls++;
}

/* ---- tests ---- */

static void test_fetched_then_cached(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;

	f->o.progress = on_progress;
	progress_calls = 0;
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
	assert_false(part_exists(f));
	assert_int_equal(count(f), 1);
	assert_non_null(strstr(server_log(f), "/pool/a.deb - distill/" DISTILL_VERSION "\n"));
	assert_true(progress_calls > 0);
	assert_int_equal(last_done, SIZE);
	assert_int_equal(last_total, SIZE);
	/* again: from the cache, no request */
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_CACHED);
	assert_int_equal(count(f), 1);
}

static void test_404(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;

	assert_int_equal(fetch1(f, "/404/pool/a.deb", &it), 1);
	expect_failed(&it, "HTTP 404");
	assert_null(strstr(it.err.msg, "attempts")); /* never retried */
	assert_int_equal(count(f), 1);
	assert_false(in_cache(f));
	assert_false(part_exists(f));
	/* a file the server lacks */
	assert_int_equal(fetch1(f, "/pool/none.deb", &it), 1);
	expect_failed(&it, "HTTP 404");
}

static void test_500_retried(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;

	f->o.retries = 2;
	assert_int_equal(fetch1(f, "/500-once/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_int_equal(count(f), 2);
	assert_true(in_cache(f));
	/* always 500: given up after the retries */
	remove_blob(f);
	assert_int_equal(fetch1(f, "/500/pool/a.deb", &it), 1);
	expect_failed(&it, "HTTP 500 (3 attempts)");
	assert_int_equal(count(f), 2 + 3);
	/* no retries asked for */
	f->o.retries = -1;
	assert_int_equal(fetch1(f, "/500/pool/a.deb", &it), 1);
	expect_failed(&it, "HTTP 500");
	assert_null(strstr(it.err.msg, "attempts"));
	assert_int_equal(count(f), 2 + 3 + 1);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	char want[64];

	/* cut once: resumed from the half with a Range */
	f->o.retries = 2;
	assert_int_equal(fetch1(f, "/truncate/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
	snprintf(want, sizeof(want), "/truncate/pool/a.deb bytes=%d- ", SIZE / 2);
	assert_non_null(strstr(server_log(f), want));
	assert_int_equal(count(f), 2);
}

static void test_truncated_fails(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	char want[64];
	struct stat st;
	char p[4600];

	/* no retries: the half kept for a later run */
	f->o.retries = -1;
	assert_int_equal(fetch1(f, "/truncate-always/pool/a.deb", &it), 1);
	snprintf(want, sizeof(want), "truncated: %d of %d bytes", SIZE / 2, SIZE);
	expect_failed(&it, want);
	assert_false(in_cache(f));
	snprintf(p, sizeof(p), "%s/tmp/%s.part", f->cachedir, f->hex);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, SIZE / 2);
	/* cut every time: each attempt resumes, then it gives up */
	f->o.retries = 2;
	assert_int_equal(fetch1(f, "/truncate-always/pool/a.deb", &it), 1);
	snprintf(want, sizeof(want), "truncated: %d of %d bytes (3 attempts)",
		 SIZE / 2 + SIZE / 4 + SIZE / 8 + SIZE / 16, SIZE);
	expect_failed(&it, want);
	assert_false(in_cache(f));
	assert_int_equal(count(f), 4);
}

static void test_wrong(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	unsigned char *bad = malloc(SIZE), md[DT_SHA256_LEN];
	char got[65], want[256];
	struct dt_err err;

	assert_non_null(bad);
	for (size_t i = 0; i < SIZE; i++)
		bad[i] = f->data[i] ^ 0x55;
	dt_sha256(bad, SIZE, md);
	dt_hex(md, sizeof(md), got);
	free(bad);
	f->o.retries = 3;
	assert_int_equal(fetch1(f, "/wrong/pool/a.deb", &it), 1);
	snprintf(want, sizeof(want), "sha256 %s is not the lock's %s", got, f->hex);
	expect_failed(&it, want);
	assert_int_equal(count(f), 1); /* never retried */
	assert_false(in_cache(f));
	assert_false(part_exists(f));
	assert_false(exists(f, "blobs/sha256", ""));

	/* another size than the lock's: stopped at once, nothing kept */
	item_init(f, &it, "/pool/a.deb");
	it.size = SIZE - 1;
	assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 1);
	snprintf(want, sizeof(want), "size %d is not the %d the lock pins", SIZE, SIZE - 1);
	expect_failed(&it, want);
	assert_false(part_exists(f));
	assert_int_equal(count(f), 2);
}

static void test_redirects(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	char want[256];

	/* to another host name of the same server: refused, never asked */
	assert_int_equal(fetch1(f, "/redirect-other/pool/a.deb", &it), 1);
	snprintf(want, sizeof(want),
		 "redirect to another host 'http://localhost:%d/pool/a.deb' refused", f->port);
	expect_failed(&it, want);
	assert_int_equal(count(f), 1);
	assert_false(in_cache(f));
	/* round and round */
	assert_int_equal(fetch1(f, "/redirect-loop/pool/a.deb", &it), 1);
	expect_failed(&it, "more than 5 redirects");
	assert_int_equal(count(f), 1 + 6);
	/* the same host: followed */
	assert_int_equal(fetch1(f, "/redirect-same/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
	assert_int_equal(count(f), 1 + 6 + 2);
	assert_non_null(strstr(server_log(f), "/redirect-same/pool/a.deb - distill/"
					      DISTILL_VERSION "\n/pool/a.deb - "));
}

static void test_resume(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;

	write_part(f, f->data, 1000);
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
	assert_non_null(strstr(server_log(f), "/pool/a.deb bytes=1000- "));
	assert_int_equal(count(f), 1);
}

static void test_resume_200(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;

	/* garbage in the part: kept, it would fail the hash; the 200 starts over */
	write_part(f, "garbage", 7);
	assert_int_equal(fetch1(f, "/norange/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
	assert_non_null(strstr(server_log(f), "/norange/pool/a.deb bytes=7- "));
	assert_int_equal(count(f), 1);
}

static void test_resume_whole(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	unsigned char *bad = malloc(SIZE);

	/* a whole right part: committed without a request */
	write_part(f, f->data, SIZE);
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
	assert_int_equal(count(f), 0);
	/* a whole wrong one: dropped, downloaded again */
	assert_non_null(bad);
	memcpy(bad, f->data, SIZE);
	bad[10] ^= 1;
	remove_blob(f);
	write_part(f, bad, SIZE);
	free(bad);
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
	assert_int_equal(count(f), 1);
	assert_non_null(strstr(server_log(f), "/pool/a.deb - "));
}

static void test_busy(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	struct dt_cache_put p;
	struct dt_err err;

	/* the part held by another writer: not written over, tried again, then given up */
	assert_int_equal(dt_cache_put_begin(&f->c, &p, f->hex, SIZE, 0, &err), 0);
	assert_int_equal(dt_cache_put_write(&p, f->data, 10, &err), 0);
	f->o.retries = 1;
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 1);
	expect_failed(&it, "is being written by another process (2 attempts)");
	assert_int_equal(count(f), 0);
	/* the other writer done: it is in the cache */
	assert_int_equal(dt_cache_put_write(&p, f->data + 10, SIZE - 10, &err), 0);
	assert_int_equal(dt_cache_put_commit(&p, &err), 0);
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_CACHED);
	assert_int_equal(count(f), 0);
}

static void test_debs(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;

	f->o.debs = f->debs;
	/* the right file: copied, nothing downloaded */
	tl_write(f->debs, "a.deb", f->data, SIZE, 0644);
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_COPIED);
	assert_true(in_cache(f));
	assert_int_equal(count(f), 0);
}

static void test_debs_wrong(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	char want[8192], got[65], path[4300];
	unsigned char md[DT_SHA256_LEN];

	f->o.debs = f->debs;
	/* the wrong bytes: an error naming both hashes, and not downloaded over */
	f->data[5] ^= 1;
	tl_write(f->debs, "a.deb", f->data, SIZE, 0644);
	dt_sha256(f->data, SIZE, md);
	dt_hex(md, sizeof(md), got);
	f->data[5] ^= 1;
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 1);
	snprintf(want, sizeof(want), "'%s': sha256 %s is not the lock's %s",
		 tl_path(path, f->debs, "a.deb"), got, f->hex);
	expect_failed(&it, want);
	assert_int_equal(count(f), 0);
	assert_false(in_cache(f));
	assert_false(part_exists(f));
	/* another size */
	tl_write(f->debs, "a.deb", f->data, 10, 0644);
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 1);
	snprintf(want, sizeof(want), "'%s': size 10 is not the %d the lock pins", path, SIZE);
	expect_failed(&it, want);
	/* a symlink to the right file: not followed */
	tl_write(f->tmp, "right.deb", f->data, SIZE, 0644);
	unlink(path);
	tl_symlink(f->debs, "a.deb", "../right.deb");
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 1);
	expect_failed(&it, "symlink");
	/* a name with a slash */
	item_init(f, &it, "/pool/a.deb");
	it.file = "../right.deb";
	{
		struct dt_err err;
		assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 1);
	}
	expect_failed(&it, "is not a file name");
	assert_int_equal(count(f), 0);
	/* not there: downloaded */
	unlink(path);
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_int_equal(count(f), 1);
}

static void test_offline(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;

	f->o.offline = 1;
	f->o.debs = f->debs;
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 1);
	expect_failed(&it, "not in the cache or the debs directory");
	assert_int_equal(count(f), 0);
	/* from the debs directory */
	tl_write(f->debs, "a.deb", f->data, SIZE, 0644);
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_COPIED);
	/* then from the cache */
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_CACHED);
	assert_int_equal(count(f), 0);
	/* not offline, but no URL */
	f->o.offline = 0;
	f->o.debs = NULL;
	remove_blob(f);
	assert_int_equal(fetch1(f, NULL, &it), 1);
	expect_failed(&it, "not in the cache or the debs directory, and no URL");
}

static void test_corrupt_cache(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	struct dt_err err;
	char rel[128];
	int corrupt = 0;

	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	/* one byte changed in the cache: detected, removed, downloaded again */
	f->data[100] ^= 1;
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", f->hex);
	tl_write(f->cachedir, rel, f->data, SIZE, 0444);
	f->data[100] ^= 1;
	assert_int_equal(dt_cache_check(&f->c, f->hex, SIZE, &corrupt, &err), 0);
	assert_int_equal(corrupt, 1);
	assert_false(exists(f, "blobs/sha256", ""));
	f->data[100] ^= 1;
	tl_write(f->cachedir, rel, f->data, SIZE, 0444);
	f->data[100] ^= 1;
	assert_int_equal(fetch1(f, "/pool/a.deb", &it), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
	assert_int_equal(count(f), 2);
}

static void test_parallel(void **state)
{
	struct fx *f = *state;
	enum { N = 12 };
	struct deb_fetch_item its[N + 2];
	char files[N][32], urls[N][512];
	struct dt_err err;

	for (int i = 0; i < N; i++) {
		unsigned char md[DT_SHA256_LEN];
		char rel[64];
		size_t len = 1000 + (size_t)i * 7919;
		snprintf(files[i], sizeof(files[i]), "f%d.deb", i);
		snprintf(rel, sizeof(rel), "pool/%s", files[i]);
		tl_write(f->www, rel, f->data + i, len, 0644);
		memset(&its[i], 0, sizeof(its[i]));
		its[i].name = files[i];
		snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d/%s%s", f->port,
			 i % 3 == 0 ? "500-once/" : "", rel);
		its[i].url = urls[i];
		its[i].file = files[i];
		its[i].size = len;
		dt_sha256(f->data + i, len, md);
		dt_hex(md, sizeof(md), its[i].sha256);
	}
	/* the same blob twice, and a missing one */
	its[N] = its[1];
	its[N].name = "dup";
	item_init(f, &its[N + 1], "/404/x.deb");
	f->o.parallel = 4;
	f->o.retries = 1;
	assert_int_equal(deb_fetch(&f->c, its, N + 2, &f->o, &err), 1);
	for (int i = 0; i < N; i++) {
		if (its[i].state != DEB_FETCH_FETCHED)
			fail_msg("%s: %s", files[i], its[i].err.msg);
		assert_int_equal(dt_cache_check(&f->c, its[i].sha256, its[i].size, NULL, &err), 1);
	}
	assert_int_equal(its[N].state, DEB_FETCH_CACHED);
	expect_failed(&its[N + 1], "HTTP 404");
	assert_int_equal(count(f), N + (N + 2) / 3 + 1);
	/* all again: all cached */
	assert_int_equal(deb_fetch(&f->c, its, N, &f->o, &err), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(its[i].state, DEB_FETCH_CACHED);
}

static void test_protocols(void **state)
{
	struct fx *f = *state;
	struct deb_fetch_item it;
	struct dt_err err;
	char u[512];
	int s, port;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sa);

	/* only http and https */
	item_init(f, &it, NULL);
	it.url = "file:///etc/passwd";
	assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 1);
	expect_failed(&it, "");
	assert_non_null(strstr(it.err.msg, "file"));
	it.url = "ftp://127.0.0.1/a.deb";
	assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 1);
	assert_int_equal(it.state, DEB_FETCH_FAILED);
	/* TLS spoken to a plain HTTP server */
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/pool/a.deb", f->port);
	it.url = u;
	assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 1);
	expect_failed(&it, "TLS: ");
	/* nobody listening: a connection error, retried */
	assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(s);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/pool/a.deb", port);
	f->o.retries = 1;
	assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 1);
	expect_failed(&it, "(2 attempts)");
	/* a sha256 that is not one */
	item_init(f, &it, "/pool/a.deb");
	strcpy(it.sha256, "../../x");
	assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 1);
	assert_int_equal(it.state, DEB_FETCH_FAILED);
	assert_non_null(strstr(it.err.msg, NAME ": "));
	assert_non_null(strstr(it.err.msg, "is not a sha256"));
	assert_int_equal(count(f), 0);
}

static void test_tls(void **state)
{
	struct fx *f;
	struct deb_fetch_item it;
	struct dt_err err;
	char cmd[16384], cert[4200], key[4200], u[512];

	setup_dirs(state);
	f = *state;
	tl_path(cert, f->tmp, "cert.pem");
	tl_path(key, f->tmp, "key.pem");
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0)
		skip();
	server_start(f, cert, key);
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/pool/a.deb", f->port);
	/* not trusted by the default CA bundle: refused */
	item_init(f, &it, NULL);
	it.url = u;
	assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 1);
	expect_failed(&it, "TLS: ");
	assert_false(in_cache(f));
	/* with its certificate as the CA */
	f->o.ca_file = cert;
	assert_int_equal(deb_fetch(&f->c, &it, 1, &f->o, &err), 0);
	assert_int_equal(it.state, DEB_FETCH_FETCHED);
	assert_true(in_cache(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetched_then_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_404, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_200, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debs_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls, NULL, teardown),
	};

	/* the server is on 127.0.0.1: no proxy from the environment may stand between */
	setenv("NO_PROXY", "*", 1);
	setenv("no_proxy", "*", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
