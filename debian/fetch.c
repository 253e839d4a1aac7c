/* SPDX-License-Identifier: MIT */
/* Downloads into the cache (fetch.h): one libcurl multi handle, a job per item and an easy
 * handle per request; redirects are followed here, one origin only, and every byte goes
 * through a dt_cache_put, whose commit checks the size and sha256. */
#include "debian/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"

#define MAX_PARALLEL 64
#define MAX_RETRIES 10
#define MAX_HOPS 5
#define MAX_BACKOFF_MS 60000L
#define MAX_TIMEOUT_S 3600L
/* the body of an error page read at most (then the transfer stops: its status is known) */
#define MAX_ERROR_BODY 65536

enum job_state { J_IDLE, J_QUEUED, J_WAIT, J_ACTIVE, J_DONE };

struct fetch;

struct job {
	struct fetch *f;
	struct deb_fetch_item *item;
	enum job_state st;
	size_t dup_of;            /* an earlier item of the same blob, or (size_t)-1 */
	CURL *easy;
	struct dt_cache_put put;  /* held while put.fd >= 0 */
	char *url;                /* this request's: item->url, or a redirect's target */
	int hops, attempt, restarted;
	uint64_t from;            /* the Range asked for starts at this byte (0: none) */
	int looked;               /* the response's status was looked at (body_start) */
	int skip;                 /* not a 2xx: the body is an error page, not the file */
	size_t skipped;
	long status;
	char crange[128];         /* the final response's Content-Range */
	char why[1024];           /* set when a callback stopped the transfer */
	int why_code;             /* its enum dt_code (0: DT_EMISMATCH) */
	int why_transient, drop_part;
	int64_t ready_at;         /* J_WAIT: the monotonic ms it may start again */
	char errbuf[CURL_ERROR_SIZE];
};

struct fetch {
	struct dt_cache *cache;
	int parallel, retries, offline;
	long backoff_ms, timeout_s;
	const char *ca_file;
	int debs_fd;
	const char *debs;
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
	CURLM *multi;
	int active;
	uint64_t total, done, reported;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *item_name(const struct deb_fetch_item *it)
{
	return it->name ? it->name : it->file ? it->file : it->sha256;
}

/* Who names the item's size and sha256, for messages. */
static const char *pinner(const struct deb_fetch_item *it)
{
	return it->pinned_by ? it->pinned_by : "the lock";
}

/* @o's retries, backoff and timeout, defaults filled in and bounded (fetch.h). */
static void limits(const struct deb_fetch_opts *o, int *retries, long *backoff_ms,
		   long *timeout_s)
{
	*retries = o->retries == 0 ? 3 : o->retries < 0 ? 0
		   : o->retries > MAX_RETRIES ? MAX_RETRIES : o->retries;
	*backoff_ms = o->backoff_ms <= 0 ? 500
		      : o->backoff_ms > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : o->backoff_ms;
	*timeout_s = o->timeout_s <= 0 ? 60
		     : o->timeout_s > MAX_TIMEOUT_S ? MAX_TIMEOUT_S : o->timeout_s;
}

/* The options of every request: @url, http(s) only, redirects followed by the caller (one
 * origin), TLS verified (@ca_file, or libcurl's default), the body as sent, a transfer
 * slower than a byte a second for @timeout_s given up on, messages into @errbuf.
 * @return nonzero when libcurl refused one. */
static int easy_setup(CURL *h, const char *url, const char *ca_file, long timeout_s,
		      char *errbuf)
{
	int bad = 0;

#define SET(opt, val) (bad |= curl_easy_setopt(h, opt, val) != CURLE_OK)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file)
		SET(CURLOPT_CAINFO, ca_file);
	SET(CURLOPT_USERAGENT, "distill/" DISTILL_VERSION);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
	SET(CURLOPT_CONNECTTIMEOUT, timeout_s);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, timeout_s);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	return bad;
}

/* At most 200 bytes of @s, made printable (dt_vis), into @out. */
static const char *vis_cut(char out[4 * 200 + 1], const char *s)
{
	char cut[201];

	snprintf(cut, sizeof(cut), "%s", s ? s : "");
	dt_vis(out, cut);
	return out;
}

/* The item's message: "NAME: URL: WHAT" (no URL when it has none). */
static void item_fail(struct deb_fetch_item *it, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void item_fail(struct deb_fetch_item *it, int code, const char *fmt, ...)
{
	char what[sizeof(it->err.msg)], url[4 * 512 + 1], cut[513];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (it->url) {
		snprintf(cut, sizeof(cut), "%s", it->url);
		dt_vis(url, cut);
		dt_err_set(&it->err, code, "%s: %s: %s", item_name(it), url, what);
	} else {
		dt_err_set(&it->err, code, "%s: %s", item_name(it), what);
	}
	it->state = DEB_FETCH_FAILED;
}

static void job_done(struct job *j, int state)
{
	j->st = J_DONE;
	j->item->state = state;
	if (state != DEB_FETCH_FAILED)
		j->f->done += j->item->size;
}

/* The job ends FAILED with "WHAT"; the part is kept for a later run when @keep. */
static void job_fail(struct job *j, int keep, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void job_fail(struct job *j, int keep, int code, const char *fmt, ...)
{
	char what[sizeof(j->item->err.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dt_cache_put_abort(&j->put, keep && j->put.have > 0);
	item_fail(j->item, code, "%s", what);
	job_done(j, DEB_FETCH_FAILED);
}

/* A transient failure: tried again after the backoff while attempts are left (the part
 * kept, to be resumed, unless it is wrong), else the job fails with @what. */
static void job_transient(struct job *j, int code, const char *what)
{
	struct fetch *f = j->f;

	if (j->attempt >= f->retries) {
		if (j->attempt > 0)
			job_fail(j, !j->drop_part, code, "%s (%d attempts)", what, j->attempt + 1);
		else
			job_fail(j, !j->drop_part, code, "%s", what);
		return;
	}
	dt_cache_put_abort(&j->put, !j->drop_part);
	j->attempt++;
	j->hops = 0;
	free(j->url);
	j->url = NULL;
	j->ready_at = now_ms() + ((f->backoff_ms << (j->attempt - 1)) > MAX_BACKOFF_MS
				  ? MAX_BACKOFF_MS : f->backoff_ms << (j->attempt - 1));
	j->st = J_WAIT;
}

/* ---- the debs directory ---- */

/* The item from the debs directory. @return 1 copied into the cache, 0 not there, -1 failed
 * (the item's error set: a wrong file is not downloaded over). */
static int from_debs(struct fetch *f, struct deb_fetch_item *it)
{
	char path[4 * 200 + 1 + 4096], vis[4 * 200 + 1];
	unsigned char buf[65536];
	struct dt_cache_put put;
	struct dt_err e;
	struct stat st;
	int fd, rc;

	if (f->debs_fd < 0 || !it->file)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", f->debs, vis_cut(vis, it->file));
	if (!*it->file || strchr(it->file, '/') || strcmp(it->file, ".") == 0 ||
	    strcmp(it->file, "..") == 0) {
		item_fail(it, DT_EINPUT, "'%s' is not a file name", vis);
		return -1;
	}
	if ((fd = dt_open_regular_beneath(f->debs_fd, it->file, &st)) < 0) {
		if (errno == ENOENT)
			return 0;
		item_fail(it, DT_EINPUT, "'%s': %s", path,
			  errno == ELOOP ? "a symlink, not a regular file"
			  : errno == EINVAL ? "not a regular file" : strerror(errno));
		return -1;
	}
	if ((uint64_t)st.st_size != it->size) {
		item_fail(it, DT_EMISMATCH, "'%s': size %llu is not the %llu %s pins", path,
			  (unsigned long long)st.st_size, (unsigned long long)it->size, pinner(it));
		close(fd);
		return -1;
	}
	if (dt_cache_put_begin(f->cache, &put, it->sha256, it->size, 0, &e) < 0) {
		item_fail(it, e.code, "%s", e.msg);
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dt_err_sys(&e, errno, "cannot read '%s'", path);
			rc = -1;
			break;
		}
		if (n == 0) {
			rc = 0;
			break;
		}
		if ((rc = dt_cache_put_write(&put, buf, (size_t)n, &e)) < 0) {
			if (rc == -DT_EMISMATCH)
				dt_err_set(&e, DT_ECHANGED, "'%s' grew while it was read", path);
			break;
		}
	}
	close(fd);
	if (rc < 0) {
		dt_cache_put_abort(&put, 0);
		item_fail(it, e.code, "%s", e.msg);
		return -1;
	}
	if ((rc = dt_cache_put_commit(&put, &e)) < 0) {
		if (rc == -DT_EMISMATCH && put.have == it->size)
			item_fail(it, DT_EMISMATCH, "'%s': sha256 %s is not %s's %s", path,
				  put.got, pinner(it), it->sha256);
		else
			item_fail(it, e.code, "%s", e.msg);
		return -1;
	}
	return 1;
}

/* ---- requests ---- */

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct job *j = ud;
	size_t len = size * n;
	static const char cr[] = "content-range:";

	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		j->crange[0] = '\0';
	} else if (len > sizeof(cr) - 1 && strncasecmp(buf, cr, sizeof(cr) - 1) == 0) {
		size_t k = sizeof(cr) - 1, m;
		while (k < len && (buf[k] == ' ' || buf[k] == '\t'))
			k++;
		m = len - k < sizeof(j->crange) - 1 ? len - k : sizeof(j->crange) - 1;
		memcpy(j->crange, buf + k, m);
		while (m > 0 && (j->crange[m - 1] == '\r' || j->crange[m - 1] == '\n'))
			m--;
		j->crange[m] = '\0';
	}
	return len;
}

/* "bytes N-M/T" into *@start and *@total (UINT64_MAX for "*"). @return 0, or -1. */
static int parse_crange(const char *s, uint64_t *start, uint64_t *total)
{
	char *end;

	if (strncasecmp(s, "bytes ", 6) != 0)
		return -1;
	s += 6;
	errno = 0;
	*start = strtoull(s, &end, 10);
	if (end == s || *end != '-' || errno)
		return -1;
	s = strchr(end, '/');
	if (!s)
		return -1;
	if (strcmp(s + 1, "*") == 0) {
		*total = UINT64_MAX;
		return 0;
	}
	*total = strtoull(s + 1, &end, 10);
	return end == s + 1 || *end || errno ? -1 : 0;
}

/* Looks at the response once its headers are in: the status, a resumed range or a start
 * over, the length against the lock's size. @return 0, or -1 with j->why set. */
static int body_start(struct job *j)
{
	struct deb_fetch_item *it = j->item;
	struct dt_err e;
	curl_off_t cl = -1;
	uint64_t base = 0;

	j->looked = 1;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->status);
	if (j->status < 200 || j->status >= 300) {
		j->skip = 1;
		return 0;
	}
	if (j->status == 206) {
		uint64_t start, total;
		if (parse_crange(j->crange, &start, &total) < 0 || start != j->from) {
			snprintf(j->why, sizeof(j->why), "HTTP 206 for bytes from %s, not from %llu",
				 j->crange[0] ? j->crange : "(no Content-Range)",
				 (unsigned long long)j->from);
			j->why_transient = j->drop_part = 1;
			return -1;
		}
		if (total != UINT64_MAX && total != it->size) {
			snprintf(j->why, sizeof(j->why), "size %llu is not the %llu %s pins",
				 (unsigned long long)total, (unsigned long long)it->size, pinner(it));
			j->drop_part = 1;
			return -1;
		}
		base = j->from;
	} else if (j->from > 0) {
		/* the whole file instead of the rest: start over */
		dt_cache_put_abort(&j->put, 0);
		if (dt_cache_put_begin(j->f->cache, &j->put, it->sha256, it->size, 0, &e) < 0) {
			snprintf(j->why, sizeof(j->why), "%s", e.msg);
			j->why_code = e.code;
			return -1;
		}
		j->from = 0;
	}
	curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (cl >= 0 && base + (uint64_t)cl != it->size) {
		snprintf(j->why, sizeof(j->why), "size %llu is not the %llu %s pins",
			 (unsigned long long)(base + (uint64_t)cl), (unsigned long long)it->size,
			 pinner(it));
		j->drop_part = 1;
		return -1;
	}
	return 0;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud)
{
	struct job *j = ud;
	size_t len = size * n;
	struct dt_err e;

	if (!j->looked && body_start(j) < 0)
		return 0;
	if (j->skip) {
		j->skipped += len;
		return j->skipped > MAX_ERROR_BODY ? 0 : len;
	}
	if (len > j->item->size - j->put.have) {
		snprintf(j->why, sizeof(j->why), "larger than the %llu bytes %s pins",
			 (unsigned long long)j->item->size, pinner(j->item));
		j->drop_part = 1;
		return 0;
	}
	if (dt_cache_put_write(&j->put, buf, len, &e) < 0) {
		snprintf(j->why, sizeof(j->why), "%s", e.msg);
		j->why_code = e.code;
		return 0;
	}
	return len;
}

/* Makes the request of @j. @return 0, or -1 (libcurl refused an option). */
static int request(struct job *j)
{
	struct fetch *f = j->f;
	char range[32];
	CURL *h;
	int bad = 0;

	if (!(j->easy = h = curl_easy_init()))
		return -1;
	j->looked = j->skip = 0;
	j->skipped = 0;
	j->status = 0;
	j->crange[0] = j->why[0] = j->errbuf[0] = '\0';
	j->why_code = j->why_transient = j->drop_part = 0;
	j->from = j->put.have;
	bad = easy_setup(h, j->url ? j->url : j->item->url, f->ca_file, f->timeout_s, j->errbuf);
#define SET(opt, val) (bad |= curl_easy_setopt(h, opt, val) != CURLE_OK)
	SET(CURLOPT_PRIVATE, (void *)j);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)j);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, (void *)j);
	if (j->from > 0) {
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)j->from);
		SET(CURLOPT_RANGE, range);
	}
#undef SET
	if (bad || curl_multi_add_handle(f->multi, h) != CURLM_OK) {
		curl_easy_cleanup(h);
		j->easy = NULL;
		return -1;
	}
	j->st = J_ACTIVE;
	f->active++;
	return 0;
}

/* Starts (or starts again) @j: the cache first on a retry (another process may have
 * entered the blob), the part opened, a complete part committed without a request. */
static void job_start(struct job *j)
{
	struct fetch *f = j->f;
	struct deb_fetch_item *it = j->item;
	struct dt_err e;
	int rc;

	if (j->attempt > 0 && j->put.fd < 0) {
		rc = dt_cache_check(f->cache, it->sha256, it->size, NULL, &e);
		if (rc == 1) {
			job_done(j, DEB_FETCH_CACHED);
			return;
		}
		if (rc < 0) {
			job_fail(j, 1, e.code, "%s", e.msg);
			return;
		}
	}
	if (j->put.fd < 0 &&
	    dt_cache_put_begin(f->cache, &j->put, it->sha256, it->size, 1, &e) < 0) {
		if (e.code == DT_ESYS && e.sys_errno == EWOULDBLOCK)
			job_transient(j, e.code, e.msg);
		else
			job_fail(j, 1, e.code, "%s", e.msg);
		return;
	}
	if (j->put.have == it->size && it->size > 0 && !j->restarted) {
		/* a whole part left by an earlier run: the commit checks it */
		j->restarted = 1;
		if ((rc = dt_cache_put_commit(&j->put, &e)) == 0) {
			job_done(j, DEB_FETCH_FETCHED);
			return;
		}
		if (rc != -DT_EMISMATCH) {
			job_fail(j, 0, e.code, "%s", e.msg);
			return;
		}
		if (dt_cache_put_begin(f->cache, &j->put, it->sha256, it->size, 0, &e) < 0) {
			job_fail(j, 0, e.code, "%s", e.msg);
			return;
		}
	}
	if (request(j) < 0)
		job_fail(j, 1, DT_ELIB, "libcurl refused the request's options");
}

static int is_tls(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return 1;
	default:
		return 0;
	}
}

static int is_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		return 1;
	default:
		return 0;
	}
}

/* Whether @a and @b have the same scheme, host and port (the default port spelt out). */
static int same_origin(const char *a, const char *b)
{
	CURLU *u[2] = { curl_url(), curl_url() };
	char *p[2][3] = { { NULL } };
	const CURLUPart part[3] = { CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT };
	const char *s[2] = { a, b };
	int same = u[0] && u[1];

	for (int i = 0; i < 2 && same; i++) {
		same = curl_url_set(u[i], CURLUPART_URL, s[i], 0) == CURLUE_OK;
		for (int k = 0; k < 3 && same; k++)
			same = curl_url_get(u[i], part[k], &p[i][k], CURLU_DEFAULT_PORT) ==
			       CURLUE_OK;
	}
	for (int k = 0; k < 3 && same; k++)
		same = strcasecmp(p[0][k], p[1][k]) == 0;
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 3; k++)
			curl_free(p[i][k]);
		curl_url_cleanup(u[i]);
	}
	return same;
}

/* @j's request is over with @rc: the next step (done, failed, again, or a redirect). */
static void job_finish(struct job *j, CURLcode rc)
{
	struct fetch *f = j->f;
	struct deb_fetch_item *it = j->item;
	char vis[4 * 200 + 1], msg[1024], *loc = NULL;
	curl_off_t cl = -1;
	struct dt_err e;
	int c;

	if (rc == CURLE_OK && !j->looked)
		body_start(j); /* an empty body: the status is looked at here */
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->status);
	curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (j->status >= 300 && j->status < 400) {
		char *l = NULL;
		curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &l);
		if (l && !(loc = strdup(l))) {
			snprintf(j->why, sizeof(j->why), "out of memory");
			j->why_code = DT_ENOMEM;
			j->why_transient = 0;
		}
	}
	curl_multi_remove_handle(f->multi, j->easy);
	curl_easy_cleanup(j->easy);
	j->easy = NULL;
	f->active--;

	if (j->why[0]) {
		if (j->why_transient)
			job_transient(j, DT_EINPUT, j->why);
		else
			job_fail(j, !j->drop_part, j->why_code ? j->why_code : DT_EMISMATCH, "%s",
				 j->why);
	} else if (j->skip && j->status >= 300 && j->status < 400) {
		/* (the status decides, whatever became of the page that came with it) */
		if (!loc)
			job_fail(j, 1, DT_EINPUT, "HTTP %ld without a Location", j->status);
		else if (!same_origin(it->url, loc))
			job_fail(j, 1, DT_EINPUT, "redirect to another host '%s' refused",
				 vis_cut(vis, loc));
		else if (j->hops >= MAX_HOPS)
			job_fail(j, 1, DT_EINPUT, "more than %d redirects", MAX_HOPS);
		else {
			j->hops++;
			free(j->url);
			j->url = loc;
			loc = NULL;
			j->st = J_QUEUED;
		}
	} else if (j->skip) {
		snprintf(msg, sizeof(msg), "HTTP %ld", j->status);
		if (j->status == 416 && j->from > 0 && !j->restarted) {
			/* the part is longer than the file: start over, once */
			j->restarted = 1;
			dt_cache_put_abort(&j->put, 0);
			j->st = J_QUEUED;
		} else if (j->status >= 500) {
			job_transient(j, DT_EINPUT, msg);
		} else {
			job_fail(j, 1, DT_EINPUT, "%s", msg);
		}
	} else if (rc == CURLE_PARTIAL_FILE) {
		snprintf(msg, sizeof(msg), "truncated: %llu of %llu bytes",
			 (unsigned long long)j->put.have, (unsigned long long)it->size);
		job_transient(j, DT_EINPUT, msg);
	} else if (rc != CURLE_OK) {
		snprintf(msg, sizeof(msg), "%s%s", is_tls(rc) ? "TLS: " : "",
			 j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
		if (is_transient(rc))
			job_transient(j, DT_ELIB, msg);
		else
			job_fail(j, 1, DT_ELIB, "%s", msg);
	} else if (j->put.have != it->size) {
		if (cl < 0) {
			/* no length: a closed connection is the only end there is */
			snprintf(msg, sizeof(msg), "truncated: %llu of %llu bytes",
				 (unsigned long long)j->put.have, (unsigned long long)it->size);
			job_transient(j, DT_EINPUT, msg);
		} else {
			job_fail(j, 0, DT_EMISMATCH, "size %llu is not the %llu %s pins",
				 (unsigned long long)j->put.have, (unsigned long long)it->size,
				 pinner(it));
		}
	} else if ((c = dt_cache_put_commit(&j->put, &e)) < 0) {
		if (c == -DT_EMISMATCH)
			job_fail(j, 0, DT_EMISMATCH, "sha256 %s is not %s's %s", j->put.got,
				 pinner(it), it->sha256);
		else
			job_fail(j, 0, e.code, "%s", e.msg);
	} else {
		job_done(j, DEB_FETCH_FETCHED);
	}
	free(loc);
}

/* Runs the queued jobs, f->parallel at a time, until every one is done. */
static int run(struct fetch *f, struct job *jobs, size_t n, struct dt_err *err)
{
	for (;;) {
		int64_t now = now_ms(), wait = 1000;
		int running = 0, left = 0, ready = 0, q;
		uint64_t moving = 0;
		CURLMsg *m;

		for (size_t i = 0; i < n; i++) {
			struct job *j = &jobs[i];
			if (j->st == J_WAIT && j->ready_at <= now)
				j->st = J_QUEUED;
			if (j->st == J_QUEUED && f->active < f->parallel)
				job_start(j);
		}
		if (curl_multi_perform(f->multi, &running) != CURLM_OK)
			return dt_err_set(err, DT_ELIB, "libcurl's transfers failed");
		while ((m = curl_multi_info_read(f->multi, &q))) {
			char *priv = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
			job_finish((struct job *)(void *)priv, m->data.result);
		}
		for (size_t i = 0; i < n; i++) {
			struct job *j = &jobs[i];
			if (j->st == J_ACTIVE) {
				left++;
				moving += j->put.fd >= 0 ? j->put.have : 0;
			} else if (j->st == J_QUEUED) {
				left++;
				ready = 1;
			} else if (j->st == J_WAIT) {
				left++;
				if (j->ready_at - now < wait)
					wait = j->ready_at - now > 0 ? j->ready_at - now : 0;
			}
		}
		if (f->progress && f->done + moving != f->reported) {
			f->reported = f->done + moving;
			f->progress(f->ctx, f->reported, f->total);
		}
		if (!left)
			return 0;
		if (ready && f->active < f->parallel)
			continue;
		if (curl_multi_poll(f->multi, NULL, 0, (int)wait, NULL) != CURLM_OK)
			return dt_err_set(err, DT_ELIB, "libcurl's transfers failed");
	}
}

int deb_fetch(struct dt_cache *c, struct deb_fetch_item *items, size_t n,
	      const struct deb_fetch_opts *o, struct dt_err *err)
{
	static const struct deb_fetch_opts none;
	struct fetch f = { .cache = c, .debs_fd = -1 };
	struct job *jobs = NULL;
	size_t queued = 0;
	int rc = 0, failed = 0;

	if (!o)
		o = &none;
	f.parallel = o->parallel <= 0 ? 4 : o->parallel > MAX_PARALLEL ? MAX_PARALLEL : o->parallel;
	limits(o, &f.retries, &f.backoff_ms, &f.timeout_s);
	f.offline = o->offline;
	f.ca_file = o->ca_file;
	f.debs = o->debs;
	f.progress = o->progress;
	f.ctx = o->ctx;
	for (size_t i = 0; i < n; i++) {
		items[i].state = 0;
		dt_err_clear(&items[i].err);
	}
	if (n == 0)
		return 0;
	if (!(jobs = calloc(n, sizeof(*jobs)))) {
		rc = dt_oom(err);
		for (size_t i = 0; i < n; i++)
			item_fail(&items[i], DT_ENOMEM, "out of memory");
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		jobs[i].put.fd = -1;
		jobs[i].dup_of = (size_t)-1;
	}
	if (o->debs && (f.debs_fd = open(o->debs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open the debs directory '%s'", o->debs);
		goto out;
	}

	for (size_t i = 0; i < n; i++) {
		struct deb_fetch_item *it = &items[i];
		struct job *j = &jobs[i];
		struct dt_err e;
		int r;

		j->f = &f;
		j->item = it;
		for (size_t k = 0; k < i; k++)
			if (strncmp(items[k].sha256, it->sha256, sizeof(it->sha256)) == 0 &&
			    items[k].size == it->size) {
				j->dup_of = k;
				break;
			}
		if (j->dup_of != (size_t)-1)
			continue;
		f.total += it->size;
		if ((r = dt_cache_check(c, it->sha256, it->size, NULL, &e)) == 1) {
			job_done(j, DEB_FETCH_CACHED);
			continue;
		}
		if (r < 0) {
			item_fail(it, e.code, "%s", e.msg);
			j->st = J_DONE;
			continue;
		}
		if ((r = from_debs(&f, it)) != 0) {
			if (r > 0)
				job_done(j, DEB_FETCH_COPIED);
			j->st = J_DONE;
			continue;
		}
		if (f.offline || !it->url) {
			item_fail(it, DT_EINPUT, "not in the cache or the debs directory%s",
				  f.offline ? "" : ", and no URL to download it from");
			j->st = J_DONE;
			continue;
		}
		j->st = J_QUEUED;
		queued++;
	}
	if (f.progress)
		f.progress(f.ctx, f.done, f.total);

	if (queued) {
		pthread_once(&curl_once, curl_init);
		if (curl_init_rc != CURLE_OK) {
			rc = dt_err_set(err, DT_ELIB, "libcurl could not start: %s",
					curl_easy_strerror(curl_init_rc));
			goto out;
		}
		if (!(f.multi = curl_multi_init())) {
			rc = dt_err_set(err, DT_ELIB, "libcurl could not start");
			goto out;
		}
		if ((rc = run(&f, jobs, n, err)) < 0)
			goto out;
	}

	for (size_t i = 0; i < n; i++) {
		struct deb_fetch_item *it = &items[i];
		if (jobs[i].dup_of != (size_t)-1) {
			const struct deb_fetch_item *first = &items[jobs[i].dup_of];
			it->state = first->state == DEB_FETCH_FAILED ? DEB_FETCH_FAILED
				    : DEB_FETCH_CACHED;
			it->err = first->err;
		}
		failed |= it->state == DEB_FETCH_FAILED;
	}
	rc = failed;
out:
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		if (j->easy) {
			curl_multi_remove_handle(f.multi, j->easy);
			curl_easy_cleanup(j->easy);
		}
		dt_cache_put_abort(&j->put, 1);
		free(j->url);
		if (rc < 0 && items[i].state == 0)
			item_fail(&items[i], -rc, "%s", err ? err->msg : "not tried");
	}
	if (f.multi)
		curl_multi_cleanup(f.multi);
	if (f.debs_fd >= 0)
		close(f.debs_fd);
	free(jobs);
	return rc;
}

/* ---- one document whose hash nothing names yet ---- */

struct doc {
	struct dt_buf body;
	size_t max;
	int too_big;
};

static size_t on_doc(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct doc *d = ctx;
	size_t n = size * nmemb;

	if (d->body.len + n > d->max) {
		d->too_big = 1;
		return 0;
	}
	dt_buf_addn(&d->body, p, n);
	return d->body.oom ? 0 : n;
}

int deb_fetch_url(const char *url, size_t max, const struct deb_fetch_opts *o, char **buf,
		  size_t *len, struct dt_err *err)
{
	static const struct deb_fetch_opts none;
	char shown[4 * 200 + 1], *at = NULL;
	int retries, rc = 0;
	long backoff_ms, timeout_s;

	*buf = NULL;
	*len = 0;
	if (!o)
		o = &none;
	limits(o, &retries, &backoff_ms, &timeout_s);
	vis_cut(shown, url);
	if (o->offline)
		return dt_err_set(err, DT_EINPUT, "%s: not downloaded (offline)", shown);
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return dt_err_set(err, DT_ELIB, "libcurl could not start: %s",
				  curl_easy_strerror(curl_init_rc));
	if (!(at = strdup(url)))
		return dt_oom(err);
	for (int attempt = 0, hops = 0;;) {
		struct doc d = { .max = max };
		char errbuf[CURL_ERROR_SIZE] = "", *loc = NULL;
		long status = 0;
		int bad = 0, transient = 0;
		CURLcode cc;
		CURL *h = curl_easy_init();

		if (!h) {
			rc = dt_err_set(err, DT_ELIB, "libcurl could not start a transfer");
			break;
		}
		bad = easy_setup(h, at, o->ca_file, timeout_s, errbuf);
#define SET(opt, val) (bad |= curl_easy_setopt(h, opt, val) != CURLE_OK)
		SET(CURLOPT_WRITEFUNCTION, on_doc);
		SET(CURLOPT_WRITEDATA, (void *)&d);
#undef SET
		cc = bad ? CURLE_BAD_FUNCTION_ARGUMENT : curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status >= 300 && status < 400 &&
		    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) {
			char to[4 * 200 + 1];
			vis_cut(to, loc);
			if (!same_origin(url, loc)) {
				rc = dt_err_set(err, DT_EINPUT, "%s: redirect to another host '%s' "
						"refused", shown, to);
			} else if (++hops > MAX_HOPS) {
				rc = dt_err_set(err, DT_EINPUT, "%s: more than %d redirects", shown,
						MAX_HOPS);
			} else {
				free(at);
				at = strdup(loc);
				curl_easy_cleanup(h);
				dt_buf_release(&d.body);
				if (!at)
					return dt_oom(err);
				continue;
			}
		} else if (d.too_big) {
			rc = dt_err_set(err, DT_EINPUT, "%s: larger than %zu bytes", shown, max);
		} else if (d.body.oom) {
			rc = dt_oom(err);
		} else if (cc != CURLE_OK) {
			transient = is_transient(cc);
			rc = dt_err_set(err, DT_EINPUT, "%s: %s%s", shown, is_tls(cc) ? "TLS: " : "",
					errbuf[0] ? errbuf : curl_easy_strerror(cc));
		} else if (status < 200 || status > 299) {
			transient = status >= 500;
			rc = dt_err_set(err, DT_EINPUT, "%s: HTTP %ld", shown, status);
		}
		curl_easy_cleanup(h);
		if (rc == 0) {
			*len = d.body.len;
			*buf = d.body.s ? d.body.s : strdup("");
			if (!*buf)
				rc = dt_oom(err);
			break;
		}
		dt_buf_release(&d.body);
		if (!transient || attempt >= retries) {
			if (transient && attempt > 0) {
				char msg[sizeof(err->msg)];
				snprintf(msg, sizeof(msg), "%s", err->msg);
				dt_err_set(err, err->code, "%s (%d attempts)", msg, attempt + 1);
			}
			break;
		}
		{
			long ms = backoff_ms << attempt;
			struct timespec ts = { .tv_sec = (ms > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : ms) / 1000,
					       .tv_nsec = ((ms > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : ms) %
							   1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		attempt++;
		rc = 0;
		hops = 0;
		free(at);
		if (!(at = strdup(url)))
			return dt_oom(err);
	}
	free(at);
	return rc;
}
