/* SPDX-License-Identifier: MIT */
/* Downloads of the .deb files a lock names into the content-addressed cache
 * (common/cache.h), with libcurl: several at once, retries with backoff, a partial
 * download resumed (HTTP Range), redirects followed only within the same scheme and host,
 * TLS verified, the size and sha256 checked before a file enters the cache. A directory
 * of .deb files (an offline mirror) is a source too. Nothing is printed: progress goes to
 * a callback, errors to the result of each item. */
#ifndef DISTILL_DEBIAN_FETCH_H
#define DISTILL_DEBIAN_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/cache.h"
#include "common/err.h"

struct deb_fetch_item {
	const char *name;     /* "libc6 2.36-9+deb12u4 amd64", for messages */
	const char *url;      /* full URL of the .deb, or NULL when only @file may serve */
	const char *file;     /* base name in the debs directory ("libc6_2.36-9_amd64.deb") */
	uint64_t size;
	char sha256[65];
	const char *pinned_by; /* who names @size and @sha256, for messages: NULL "the lock" */
	/* results */
	int state;            /* DEB_FETCH_CACHED (already there), _FETCHED, _COPIED (from the
			       * debs directory), or _FAILED with @err set */
	struct dt_err err;    /* "libc6 2.36-9 amd64: http://h/pool/x.deb: HTTP 404" */
};

enum { DEB_FETCH_FAILED = -1, DEB_FETCH_CACHED = 1, DEB_FETCH_FETCHED, DEB_FETCH_COPIED };

struct deb_fetch_opts {
	int parallel;         /* downloads at once (default 4 when 0) */
	int retries;          /* further attempts after a transient failure (default 3 when
			       * 0, none when negative): connection errors, timeouts, HTTP 5xx,
			       * a truncated body; never for a 404 or a wrong hash */
	long backoff_ms;      /* first wait between attempts, doubled each time (default 500) */
	long timeout_s;       /* abort a transfer slower than 1 byte/s for this long (default 60) */
	const char *debs;     /* a directory of .deb files tried first, or NULL */
	int offline;          /* never download: only the cache and @debs */
	const char *ca_file;  /* CA bundle for TLS (tests), or NULL for libcurl's default */
	/* called now and then with bytes done and bytes in all, or NULL */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

/* Puts every item into the cache @c. Each item ends CACHED, FETCHED, COPIED or FAILED;
 * one failure does not stop the others. The sources, in order: the cache (the blob hashed:
 * a corrupt one is removed), the debs directory (the file @file beneath it, a regular file,
 * no symlink; a wrong one fails the item, it is not downloaded over), then @url unless
 * offline. An item of the same sha256 and size as an earlier one is fetched once: it ends
 * CACHED, or FAILED with the earlier one's error. A transfer cut short leaves
 * DIR/tmp/<hex>.part, resumed with a Range by the next attempt or the next run (a 200 to
 * it starts over); a part that another process holds (cache.h) counts as a transient
 * failure, and the cache is checked again before the next attempt. Bounds: at most 64 at
 * once, 10 retries, a backoff of 60 s and a timeout of an hour. Messages name the item,
 * its URL and what is wrong: "HTTP 404", "HTTP 500 (4 attempts)", "truncated: 1234 of
 * 5678 bytes", "size 99 is not the 100 the lock pins", "sha256 <hex> is not the lock's
 * <hex>", "redirect to another host 'URL' refused", "TLS: <libcurl's message>", "not in
 * the cache or the debs directory". @progress is called on the calling thread.
 * @return 0 when every item is in the cache, 1 when some failed (see each item's err), or
 * a negative code with @err set when nothing could be tried (libcurl could not start, the
 * debs directory cannot be opened): then every item not yet done is FAILED with it. */
int deb_fetch(struct dt_cache *c, struct deb_fetch_item *items, size_t n,
	      const struct deb_fetch_opts *o, struct dt_err *err);

/* Downloads @url whole into *@buf (malloc'd, NUL-terminated after *@len bytes), at most @max
 * bytes: a document whose hash nothing names yet (a repository's InRelease, which its
 * signature then vouches for). As deb_fetch: http(s) only, TLS verified (@o's ca_file),
 * redirects only within the origin, transient failures retried with backoff (@o's retries,
 * backoff_ms, timeout_s; @o may be NULL); nothing when @o->offline. Messages name the URL:
 * "URL: HTTP 404", "URL: larger than N bytes". @return 0, or a negative code with @err set. */
int deb_fetch_url(const char *url, size_t max, const struct deb_fetch_opts *o, char **buf,
		  size_t *len, struct dt_err *err);

#endif
