/* SPDX-License-Identifier: MIT */
/* `distill fetch`: every .deb a lock pins, into the content-addressed cache. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cache.h"
#include "debian/fetch.h"
#include "manifest/json.h"

static const char fetch_usage[] =
	"usage: distill fetch [options] SPEC|LOCK\n"
	"\n"
	"Puts every .deb the lock pins into the content-addressed cache: the installed\n"
	"packages' .debs (\"installed\"), downloaded from their repository, and the spec's\n"
	"own .debs (\"debs\"), copied from its debs directory. Each .deb's size and sha256\n"
	"are checked before it enters the cache; one that is already there is checked again\n"
	"and kept. Several downloads run at once, transient failures are retried with\n"
	"backoff, a partial download is resumed, and a redirect to another host is refused.\n"
	"SPEC's lock is the one beside it (app.yaml -> app.lock.json); a LOCK is read as is.\n"
	"\n"
	"      --cache DIR            the cache (default: $DISTILL_CACHE, else\n"
	"                             $XDG_CACHE_HOME/distill, else ~/.cache/distill)\n"
	"      --debs DIR             a directory of .deb files (an offline mirror) tried\n"
	"                             before any download (default: the spec's debs)\n"
	"      --offline              download nothing: only the cache and the debs directory\n"
	"  -j, --jobs N               downloads at once, 1 to 64 (default 4)\n"
	"      --retries N            further attempts after a transient failure, 0 to 10\n"
	"                             (default 3)\n"
	"      --timeout S            give up on a connection or a transfer that stalls (less\n"
	"                             than a byte a second) for S seconds, 1 to 3600 (60)\n"
	"      --json                 print each .deb and what became of it as JSON on stdout\n"
	"  -q, --quiet                no summary and no progress bar\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 every .deb is in the cache, 1 error (each failed .deb is named),\n"
	"2 usage. See docs/verify.md for the rebuilder's workflow.\n";

enum { OPT_CACHE = 256, OPT_DEBS, OPT_OFFLINE, OPT_RETRIES, OPT_TIMEOUT, OPT_JSON };

static const struct option fetch_options[] = {
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "debs", required_argument, NULL, OPT_DEBS },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "jobs", required_argument, NULL, 'j' },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int int_arg(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	cli_progress_cb(ctx, NULL, done, total);
}

static const char *state_name(int s)
{
	switch (s) {
	case DEB_FETCH_CACHED: return "cached";
	case DEB_FETCH_FETCHED: return "fetched";
	case DEB_FETCH_COPIED: return "copied";
	default: return "failed";
	}
}

int cmd_fetch(int argc, char **argv)
{
	const char *cache_opt = NULL, *debs = NULL;
	int offline = 0, json = 0, quiet = 0, jobs = 4, retries = 3, timeout = 60, c,
	    rc = CLI_ERROR;
	struct deb_fetch_opts fo = { 0 };
	struct deb_fetch_item *items = NULL;
	struct mf_spec *spec = NULL;
	struct mf_lock *lock = NULL;
	struct dt_cache cache = { .fd = -1 };
	struct cli_progress bar;
	char cache_dir[PATH_MAX], *lock_path = NULL, **names = NULL, **urls = NULL;
	size_t n = 0, counts[4] = { 0 };
	struct dt_err err;

	dt_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:qh", fetch_options, NULL)) != -1) {
		switch (c) {
		case OPT_CACHE: cache_opt = optarg; break;
		case OPT_DEBS: debs = optarg; break;
		case OPT_OFFLINE: offline = 1; break;
		case 'j':
			if (int_arg(optarg, 1, 64, &jobs) < 0)
				return cli_usage_error("fetch", "--jobs wants 1 to 64, not '%s'", optarg);
			break;
		case OPT_TIMEOUT:
			if (int_arg(optarg, 1, 3600, &timeout) < 0)
				return cli_usage_error("fetch", "--timeout wants 1 to 3600 seconds, "
						       "not '%s'", optarg);
			break;
		case OPT_RETRIES:
			if (int_arg(optarg, 0, 10, &retries) < 0)
				return cli_usage_error("fetch", "--retries wants 0 to 10, not '%s'",
						       optarg);
			break;
		case OPT_JSON: json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(fetch_usage, stdout); return CLI_OK;
		case ':': return cli_usage_error("fetch", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("fetch", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("fetch", optind >= argc ? "no SPEC" : "one SPEC at a time");
	if ((cache_opt && !*cache_opt) || (debs && !*debs))
		return cli_usage_error("fetch", "%s wants a directory, not ''",
				       cache_opt && !*cache_opt ? "--cache" : "--debs");
	if (ends_with(argv[optind], ".json")) {
		lock_path = strdup(argv[optind]);
	} else {
		if (mf_spec_load(argv[optind], &spec, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		lock_path = cli_lock_path(argv[optind]);
		if (!debs)
			debs = spec->debs;
	}
	if (!lock_path) {
		cli_error("out of memory");
		goto out;
	}
	if (mf_lock_load(lock_path, &lock, &err) < 0) {
		if (err.code == DT_ESYS && err.sys_errno == ENOENT)
			cli_error("'%s': no lock (run distill lock first)", lock_path);
		else
			cli_fail(&err);
		goto out;
	}
	if (cache_opt)
		snprintf(cache_dir, sizeof(cache_dir), "%s", cache_opt);
	else if (dt_cache_default_dir(cache_dir, sizeof(cache_dir), &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (!(items = calloc(lock->ninstalled + lock->ndebs + 1, sizeof(*items))) ||
	    !(names = calloc(lock->ninstalled + lock->ndebs + 1, sizeof(*names))) ||
	    !(urls = calloc(lock->ninstalled + lock->ndebs + 1, sizeof(*urls)))) {
		cli_error("out of memory");
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		const struct mf_lock_deb *v = pass ? lock->debs : lock->installed;
		size_t m = pass ? lock->ndebs : lock->ninstalled;
		for (size_t i = 0; i < m; i++, n++) {
			size_t len;
			if (asprintf(&names[n], "%s %s %s", v[i].name, v[i].version,
				     v[i].architecture) < 0) {
				names[n] = NULL;
				cli_error("out of memory");
				goto out;
			}
			if (v[i].repository) {
				len = strlen(v[i].repository);
				if (asprintf(&urls[n], "%s%s%s", v[i].repository,
					     len && v[i].repository[len - 1] == '/' ? "" : "/",
					     v[i].filename) < 0) {
					urls[n] = NULL;
					cli_error("out of memory");
					goto out;
				}
			}
			items[n].name = names[n];
			items[n].url = urls[n];
			items[n].file = v[i].file;
			items[n].size = v[i].size;
			memcpy(items[n].sha256, v[i].sha256, sizeof(items[n].sha256));
		}
	}
	if (dt_cache_open(&cache, cache_dir, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	cli_progress_init(&bar, "fetch", quiet || json);
	fo.parallel = jobs;
	fo.retries = retries ? retries : -1;
	fo.timeout_s = timeout;
	fo.debs = debs;
	fo.offline = offline;
	fo.progress = progress;
	fo.ctx = &bar;
	c = deb_fetch(&cache, items, n, &fo, &err);
	cli_progress_end(&bar);
	if (c < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int s = items[i].state;
		counts[s == DEB_FETCH_CACHED ? 0 : s == DEB_FETCH_FETCHED ? 1
		       : s == DEB_FETCH_COPIED ? 2 : 3]++;
		if (s == DEB_FETCH_FAILED) {
			if (!items[i].url && !debs && !items[i].err.msg[0])
				cli_error("%s: no URL in the lock and no debs directory (--debs DIR)",
					  items[i].name);
			else
				cli_error("%s", items[i].err.msg[0] ? items[i].err.msg : items[i].name);
		}
	}
	if (json) {
		json_t *doc = json_pack("{s:o, s:o, s:[]}", "cache", mf_json_text(cache_dir), "lock",
					mf_json_text(lock_path), "debs");
		for (size_t i = 0; doc && i < n; i++) {
			char blob[PATH_MAX + 80];
			json_t *o;
			dt_cache_blob_path(&cache, items[i].sha256, blob, sizeof(blob));
			o = json_pack("{s:o, s:s, s:s, s:I}", "name", mf_json_text(items[i].name),
				      "state", state_name(items[i].state), "sha256", items[i].sha256,
				      "size", (json_int_t)items[i].size);
			if (o && items[i].url)
				json_object_set_new(o, "url", mf_json_text(items[i].url));
			if (o && items[i].state != DEB_FETCH_FAILED)
				json_object_set_new(o, "path", mf_json_text(blob));
			if (o && items[i].state == DEB_FETCH_FAILED)
				json_object_set_new(o, "error", mf_json_text(items[i].err.msg));
			json_array_append_new(json_object_get(doc, "debs"), o);
		}
		if (cli_print_json(stdout, doc) < 0)
			goto out;
	}
	if (!quiet && !json && counts[3])
		fprintf(stderr, "distill: %zu of %zu .deb files could not be fetched into %s\n",
			counts[3], n, cache_dir);
	else if (!quiet && !json)
		fprintf(stderr, "distill: %zu .deb files in %s: %zu fetched, %zu copied, %zu already "
			"there\n", n, cache_dir, counts[1], counts[2], counts[0]);
	rc = counts[3] ? CLI_ERROR : CLI_OK;
out:
	for (size_t i = 0; names && i < n + 1; i++) {
		free(names[i]);
		free(urls[i]);
	}
	free(names);
	free(urls);
	free(items);
	dt_cache_close(&cache);
	mf_lock_free(lock);
	mf_spec_free(spec);
	free(lock_path);
	return rc;
}
