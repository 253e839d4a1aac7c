/* SPDX-License-Identifier: MIT */
/* `distill lock`: pins every input of an image spec in its lockfile, or checks for drift. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest/json.h"
#include "cli/cli.h"
#include "common/fs.h"
#include "common/outfile.h"

static const char lock_usage[] =
	"usage: distill lock [options] SPEC\n"
	"\n"
	"Resolves everything the image spec SPEC names (shared-library closures, files,\n"
	"packages) and pins each input by path, type, mode, owner, size, sha256, source and\n"
	"owning Debian package in a lockfile beside SPEC (specs/app.yaml ->\n"
	"specs/app.lock.json).\n"
	"The .deb of each installed package the image takes files from is pinned too (name,\n"
	"version, size, sha256, repository and pool file), from the root's apt indexes,\n"
	"verified with gpgv against the keyring of their source, so that `distill fetch`\n"
	"can get them anywhere. A spec with repositories: pins from those instead: their\n"
	"indexes are downloaded and verified the same way.\n"
	"The project's own files (from the spec's directory or beside it, owned by no\n"
	"package) are pinned by path, mode and owner, not content, unless their entry says\n"
	"pin: content: they are the build's output and change every commit.\n"
	"\n"
	"      --strict               pin the content of the project's files too\n"
	"      --hermetic             every installed package the image takes files from\n"
	"                             must be pinned to its .deb: a version that no apt\n"
	"                             source of the root offers is an error, not a warning\n"
	"      --no-pin-debs          do not look up the installed packages' .debs in the\n"
	"                             root's apt indexes (the lock then has no \"installed\")\n"
	"      --check                compare with the lockfile instead of writing it; list\n"
	"                             every drift and exit 1 when anything differs\n"
	"  -o, --output FILE          the lockfile (default: beside SPEC)\n"
	"      --debs DIR             directory of .deb files (overrides the spec's debs)\n"
	"      --cache DIR            where the indexes of the spec's repositories are\n"
	"                             fetched through (default: $DISTILL_CACHE, else\n"
	"                             $XDG_CACHE_HOME/distill or ~/.cache/distill)\n"
	"      --json                 with --check: print the drift as JSON on stdout\n"
	"  -q, --quiet                no summary\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 written (or no drift), 1 error or drift, 2 usage.\n"
	"See docs/lock.md for the format.\n";

enum { OPT_CHECK = 256, OPT_DEBS, OPT_JSON, OPT_STRICT, OPT_HERMETIC, OPT_NO_PIN, OPT_CACHE };

static const struct option lock_options[] = {
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "hermetic", no_argument, NULL, OPT_HERMETIC },
	{ "no-pin-debs", no_argument, NULL, OPT_NO_PIN },
	{ "output", required_argument, NULL, 'o' },
	{ "debs", required_argument, NULL, OPT_DEBS },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int print_drift_json(const struct mf_drift_list *d, const char *lock)
{
	json_t *doc = json_pack("{s:o, s:b, s:[]}", "lock", mf_json_text(lock), "drift", d->n > 0,
				"changes");
	for (size_t i = 0; doc && i < d->n; i++)
		json_array_append_new(json_object_get(doc, "changes"),
				      json_pack("{s:o, s:o}", "path", mf_json_text(d->v[i].path),
						"message", mf_json_text(d->v[i].message)));
	return cli_print_json(stdout, doc) < 0 ? CLI_ERROR : CLI_OK;
}

/* Pins the installed packages' .debs in @l; says what could not be pinned (an error with
 * @hermetic, else a warning: with @quiet only its first and last lines). @return 0, or -1 when printed as an error. */
static int pin_installed(const struct pk_image *img, const struct mf_spec *spec,
			 struct mf_lock *l, int hermetic, int quiet, const char *cache)
{
	const char *where = spec->nrepositories ? "repository of the spec (repositories:)"
						     : "apt source of the root";
	struct pk_pin_opts po = { .cache_dir = cache };
	struct pk_pin_result res;
	struct dt_err err;
	struct dt_buf names = { 0 };
	int rc = 0;

	dt_err_clear(&err);
	if (pk_image_pin_installed(img, l, &po, &res, &err) < 0) {
		cli_fail(&err);
		return -1;
	}
	if (res.no_sources && hermetic) {
		cli_error("--hermetic: the root has no apt sources to pin its packages' .debs "
			  "from (/etc/apt/sources.list, sources.list.d)");
		rc = -1;
	} else if (res.nmiss) {
		void (*say)(const char *, ...) = hermetic ? cli_error : cli_warn;
		for (size_t i = 0; i < res.nmiss; i++)
			dt_buf_add(&names, " %s", res.miss[i].package);
		say("%zu of %zu installed packages are at versions no %s offers, so their .debs "
		    "cannot be pinned%s:", res.nmiss, res.npackages, where,
		    hermetic ? "" : " (the lock pins their files only, and cannot rebuild "
		    "from .debs alone)");
		for (size_t i = 0; i < res.nmiss && i < 8 && (hermetic || !quiet); i++)
			say("  %s %s: offered %s", res.miss[i].package, res.miss[i].version,
			    res.miss[i].offers);
		if (res.nmiss > 8 && (hermetic || !quiet))
			say("  and %zu more", res.nmiss - 8);
		if (spec->nrepositories)
			say("name a repository that has them under repositories: (a "
			    "snapshot.debian.org URL of the day they were installed), or upgrade "
			    "them (apt-get install --only-upgrade%s), and lock again",
			    names.s ? names.s : "");
		else
			say("upgrade them (apt-get install --only-upgrade%s) or add an apt source "
			    "that has them (a snapshot.debian.org URL), apt-get update, and lock "
			    "again", names.s ? names.s : "");
		rc = hermetic ? -1 : 0;
	}
	for (size_t i = 0; i < res.unindexed.n; i++) {
		(hermetic ? cli_error : cli_warn)("apt source %s in the root (run apt-get update "
			"there): the .debs it offers cannot be pinned", res.unindexed.v[i]);
		if (hermetic)
			rc = -1;
	}
	for (size_t i = 0; i < res.nunowned; i++) {
		(hermetic ? cli_error : cli_warn)("'%s' is a file of the root that no package owns: no "
			".deb holds it, so a build from .debs refuses it; take it as a project file "
			"(a files: src beside the spec) or leave it out", res.unowned[i]);
		if (hermetic)
			rc = -1;
	}
	for (size_t i = 0; i < res.alternatives.n; i++)
		cli_warn("%s", res.alternatives.v[i]);
	for (size_t i = 0; i < res.nchanged; i++) {
		const struct pk_pin_changed *c = &res.changed[i];
		(hermetic ? cli_error : cli_warn)("'%s' is not what package %s installed (%s): md5 "
			"%s, dpkg recorded %s; %s", c->path, c->package, c->conffile ? "an edited "
			"conffile" : "a changed or diverted file", c->got, c->want, hermetic ?
			"its .deb would not give these bytes: take it as a project file, or restore "
			"it (apt-get install --reinstall)" : "the lock pins these bytes");
		if (hermetic)
			rc = -1;
	}
	dt_buf_release(&names);
	pk_pin_result_release(&res);
	return rc;
}

int cmd_lock(int argc, char **argv)
{
	const char *out = NULL, *debs = NULL, *cache = NULL;
	int check = 0, strict = 0, json = 0, quiet = 0, hermetic = 0, no_pin = 0, c, rc = CLI_ERROR;
	struct mf_spec *spec = NULL;
	struct pk_image *img = NULL;
	struct mf_lock *found = NULL, *locked = NULL;
	struct mf_drift_list drift = { 0 };
	struct dt_outfile of = { .fd = -1 };
	char *path = NULL, *text = NULL;
	struct pk_pin_opts po = { 0 };
	struct dt_err err;

	dt_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", lock_options, NULL)) != -1) {
		switch (c) {
		case OPT_CHECK: check = 1; break;
		case OPT_STRICT: strict = 1; break;
		case OPT_HERMETIC: hermetic = 1; break;
		case OPT_NO_PIN: no_pin = 1; break;
		case 'o': out = optarg; break;
		case OPT_DEBS: debs = optarg; break;
		case OPT_CACHE: cache = optarg; break;
		case OPT_JSON: json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(lock_usage, stdout); return CLI_OK;
		case ':': return cli_usage_error("lock", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("lock", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("lock", optind >= argc ? "no SPEC" : "one SPEC at a time");
	if (json && !check)
		return cli_usage_error("lock", "--json goes with --check");
	if (hermetic && no_pin)
		return cli_usage_error("lock", "--hermetic needs the .debs pinned: not with "
				       "--no-pin-debs");
	if (out && !*out)
		return cli_usage_error("lock", "-o wants a path, not ''");
	po.cache_dir = cache;
	if (!(path = out ? strdup(out) : cli_lock_path(argv[optind]))) {
		cli_error("out of memory");
		goto out;
	}
	if (!check && cli_same_file(path, argv[optind])) {
		rc = cli_usage_error("lock", "-o '%s' is the spec itself", path);
		goto out;
	}
	if (strict && check) {
		rc = cli_usage_error("lock", "--strict goes with writing a lock, not --check");
		goto out;
	}
	/* --check compares every content the lock on disk pins */
	if (cli_plan(argv[optind], debs, 0, &(struct cli_offers){ .repos = &po }, &spec, &img,
		     &err) < 0 ||
	    (check ? pk_image_lock(img, &found, &err) : pk_image_lock_pins(img, strict, &found, &err)) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (spec->inputs_debs && no_pin) {
		rc = cli_usage_error("lock", "'%s' says inputs: debs, which needs the .debs pinned: "
				     "not with --no-pin-debs", argv[optind]);
		goto out;
	}
	if (!no_pin && pin_installed(img, spec, found, hermetic || spec->inputs_debs, quiet, cache) < 0)
		goto out;
	if (check) {
		if (mf_lock_load(path, &locked, &err) < 0 ||
		    mf_lock_compare(locked, found, &drift, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		if (json)
			print_drift_json(&drift, path);
		else if (drift.n)
			cli_print_drift(&drift, path);
		else if (!quiet)
			fprintf(stderr, "distill: %s: no drift (%zu paths, %zu .deb files)\n", path,
				found->nfiles, found->ndebs);
		rc = drift.n ? CLI_ERROR : CLI_OK;
		goto out;
	}
	if (mf_lock_dump(found, &text, &err) < 0 || dt_outfile_open(&of, path, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (dt_write_all(of.fd, text, strlen(text)) < 0) {
		dt_err_sys(&err, errno, "cannot write '%s'", path);
		rc = cli_fail(&err);
		goto out;
	}
	if (dt_outfile_commit(&of, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "distill: wrote %s: %zu paths, %zu .deb files, %zu installed "
			"packages pinned to their .debs, %llu bytes of content\n", path,
			found->nfiles, found->ndebs, found->ninstalled,
			(unsigned long long)pk_image_bytes(img));
	rc = CLI_OK;
out:
	dt_outfile_release(&of);
	mf_drift_list_release(&drift);
	mf_lock_free(found);
	mf_lock_free(locked);
	pk_image_free(img);
	mf_spec_free(spec);
	free(path);
	free(text);
	return rc;
}
