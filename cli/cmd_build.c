/* SPDX-License-Identifier: MIT */
/* `distill build`: writes the image of a spec, refusing any input that drifted from the lock. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest/json.h"
#include "cli/cli.h"
#include "common/cache.h"
#include "common/statcache.h"
#include "common/digest.h"
#include "common/tempfile.h"
#include "deps/check.h"

static const char build_usage[] =
	"usage: distill build [options] SPEC -o OUT\n"
	"\n"
	"Builds the minimal image the spec SPEC describes, bit for bit the same on every\n"
	"rebuild, after checking every input against SPEC's lockfile (see 'distill lock').\n"
	"\n"
	"  -o, --output OUT           where to write the image\n"
	"      --format FMT           oci: OCI image layout directory (default; an existing\n"
	"                             layout gains or replaces this image's tag),\n"
	"                             oci-archive, docker-archive (docker/podman load), or\n"
	"                             rootfs: one tarball of the whole filesystem\n"
	"      --compression ALG      layers: gzip (default), zstd or none\n"
	"                             (docker-archive layers are always plain tar)\n"
	"      --level N              gzip 1-12 (default 6), zstd 1-19 (default 3)\n"
	"      --tag TAG              replace the tag of the spec's name\n"
	"      --lock FILE            the lockfile (default: beside SPEC)\n"
	"      --no-lock              build without a lockfile (nothing is checked)\n"
	"      --no-check             skip the start-up check (by default every ELF file and\n"
	"                             script of the image must be able to start in it: see\n"
	"                             'distill check'; the spec's check.allow names exceptions)\n"
	"      --symbols              the check also resolves every symbol that the programs\n"
	"                             bind at start-up (as LD_BIND_NOW; also check.symbols)\n"
	"      --debs DIR             directory of .deb files (overrides the spec's debs)\n"
	"      --inputs SRC           host: read the root's files from the root (default);\n"
	"                             debs: take every package's file out of the .deb the\n"
	"                             lock pins, from the cache (see 'distill fetch'), and\n"
	"                             read nothing of the root but the project's files\n"
	"      --cache DIR            the cache (default: $DISTILL_CACHE, else\n"
	"                             $XDG_CACHE_HOME/distill, else ~/.cache/distill): the\n"
	"                             layers built (an unchanged layer is not compressed\n"
	"                             again), the digests of unchanged input files, and the\n"
	"                             .deb files of --inputs debs and of packages the lock\n"
	"                             pins from a repository (see 'distill fetch'); bounded\n"
	"                             by $DISTILL_CACHE_MAX (default 10G), least recently\n"
	"                             used first out\n"
	"      --no-cache             compress every layer and hash every input afresh (the\n"
	"                             .deb files still come from the cache)\n"
	"      --source-date-epoch N  seconds since 1970 for every timestamp (default:\n"
	"                             $SOURCE_DATE_EPOCH, else 0)\n"
	"      --sbom                 attach SPDX 2.3 and CycloneDX 1.6 SBOMs to the image as\n"
	"                             OCI 1.1 artifacts (also sbom: true in the spec; oci\n"
	"                             and oci-archive; the image's digest does not change)\n"
	"      --provenance           attach SLSA v1 provenance (an in-toto statement)\n"
	"      --json                 print the digests as JSON on stdout\n"
	"  -q, --quiet                no summary and no progress bar\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Files the user brings (files:, binaries, the project's) that look like secrets\n"
	"(private keys, .env, credentials, .git, shell histories, tokens) refuse the build\n"
	"unless the spec's allow_secrets names them (docs/security.md).\n"
	"\n"
	"Exit status: 0 written, 1 error, drift from the lock, a secret or an ELF that cannot\n"
	"start (nothing is written), 2 usage.\n"
	"See docs/spec.md and docs/lock.md.\n";

enum { OPT_FORMAT = 256, OPT_COMPRESSION, OPT_LEVEL, OPT_TAG, OPT_LOCK, OPT_NO_LOCK, OPT_DEBS,
       OPT_SDE, OPT_JSON, OPT_NO_CHECK, OPT_SYMBOLS, OPT_SBOM, OPT_PROVENANCE, OPT_INPUTS,
       OPT_CACHE, OPT_NO_CACHE };

static const struct option build_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "compression", required_argument, NULL, OPT_COMPRESSION },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "no-lock", no_argument, NULL, OPT_NO_LOCK },
	{ "no-check", no_argument, NULL, OPT_NO_CHECK },
	{ "symbols", no_argument, NULL, OPT_SYMBOLS },
	{ "debs", required_argument, NULL, OPT_DEBS },
	{ "inputs", required_argument, NULL, OPT_INPUTS },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "source-date-epoch", required_argument, NULL, OPT_SDE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "sbom", no_argument, NULL, OPT_SBOM },
	{ "provenance", no_argument, NULL, OPT_PROVENANCE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct build_args {
	const char *out, *tag, *lock, *debs, *sde, *cache;
	struct pk_build_opts o;
	int no_lock, no_check, symbols, json, quiet, no_cache;
	int from_debs; /* -1: not said */
};

static int valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
		      (t[i] >= '0' && t[i] <= '9') || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return 0;
	return 1;
}

static int parse_args(int argc, char **argv, struct build_args *a)
{
	int c, level = -1;

	a->o.format = PK_FORMAT_OCI;
	a->o.compression = DT_COMP_GZIP;
	a->from_debs = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", build_options, NULL)) != -1) {
		switch (c) {
		case 'o': a->out = optarg; break;
		case OPT_FORMAT:
			if (pk_image_format_parse(optarg, &a->o.format) < 0)
				return cli_usage_error("build", "unknown format '%s' (want oci, "
						       "oci-archive, docker-archive or rootfs)", optarg);
			break;
		case OPT_COMPRESSION:
			if (cli_opt_compression("build", optarg, &a->o.compression))
				return CLI_USAGE;
			break;
		case OPT_LEVEL:
			if (cli_opt_level("build", optarg, &level))
				return CLI_USAGE;
			break;
		case OPT_TAG:
			if (!valid_tag(optarg))
				return cli_usage_error("build", "'%s' is not a valid tag", optarg);
			a->tag = optarg;
			break;
		case OPT_LOCK: a->lock = optarg; break;
		case OPT_NO_LOCK: a->no_lock = 1; break;
		case OPT_NO_CHECK: a->no_check = 1; break;
		case OPT_SYMBOLS: a->symbols = 1; break;
		case OPT_DEBS: a->debs = optarg; break;
		case OPT_INPUTS:
			if (strcmp(optarg, "host") != 0 && strcmp(optarg, "debs") != 0)
				return cli_usage_error("build", "--inputs wants host or debs, not '%s'",
						       optarg);
			a->from_debs = strcmp(optarg, "debs") == 0;
			break;
		case OPT_CACHE: a->cache = optarg; break;
		case OPT_NO_CACHE: a->no_cache = 1; break;
		case OPT_SDE: a->sde = optarg; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_SBOM: a->o.sbom = 1; break;
		case OPT_PROVENANCE: a->o.provenance = 1; break;
		case 'q': a->quiet = 1; break;
		case 'h': fputs(build_usage, stdout); return -1;
		case ':': return cli_usage_error("build", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("build", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("build", "no SPEC");
	if (optind != argc - 1)
		return cli_usage_error("build", "one SPEC at a time");
	if (!a->out)
		return cli_usage_error("build", "no output: use -o OUT");
	if (!*a->out)
		return cli_usage_error("build", "-o wants a path, not ''");
	if (strcmp(a->out, "-") == 0 && a->o.format == PK_FORMAT_OCI)
		return cli_usage_error("build", "an OCI layout is a directory and cannot go to "
				       "standard output: use --format oci-archive, docker-archive or "
				       "rootfs with -o -");
	if (cli_same_file(a->out, argv[optind]))
		return cli_usage_error("build", "-o '%s' is the spec itself", a->out);
	if ((a->o.sbom || a->o.provenance) && a->o.format != PK_FORMAT_OCI &&
	    a->o.format != PK_FORMAT_OCI_ARCHIVE)
		return cli_usage_error("build", "--sbom and --provenance attach artifacts to an OCI "
				       "image: use --format oci or oci-archive");
	if (a->no_lock && a->lock)
		return cli_usage_error("build", "--lock and --no-lock exclude each other");
	if (a->from_debs == 1 && a->no_lock)
		return cli_usage_error("build", "--inputs debs builds what the lock pins: not with "
				       "--no-lock");
	if (a->cache && !*a->cache)
		return cli_usage_error("build", "--cache wants a directory, not ''");
	a->o.level = level;
	return cli_level_for("build", a->o.compression, &a->o.level);
}

/* The start-up check of the plan; its problems are printed. @return 0, or -1 when one is
 * left that the spec does not allow (or the check could not run). */
static int check(const struct mf_spec *spec, const struct pk_image *img, int symbols)
{
	struct deps_check c;
	struct dt_err err;
	size_t left;
	int rc;

	dt_err_clear(&err);
	if (pk_image_check(img, NULL, symbols || spec->check_symbols ? DEPS_CHECK_SYMBOLS : 0, &c,
			   &err) < 0) {
		cli_fail(&err);
		deps_check_release(&c);
		return -1;
	}
	left = deps_check_allow(&c, (const char *const *)spec->check_allow, spec->ncheck_allow);
	for (size_t i = 0; i < c.n; i++) {
		const struct deps_problem *p = &c.v[i];
		fprintf(stderr, "distill: %s%s: %s%s%s%s\n", p->allowed ? "allowed: " : "",
			cli_vis(p->file), p->need[0] ? "needs " : "",
			p->need[0] ? cli_vis(p->need) : "", p->need[0] ? ": " : "", cli_vis(p->why));
	}
	rc = left ? -1 : 0;
	if (left)
		cli_error("build refused: %zu problem%s of the start-up check (of %zu ELF files and "
			  "scripts); nothing was written (allow them with check.allow in the spec, "
			  "or build with --no-check)", left, left == 1 ? "" : "s", c.nchecked);
	deps_check_release(&c);
	return rc;
}

static int print_result(const struct build_args *a, const struct pk_build_result *r)
{
	if (a->json) {
		json_t *doc = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "output", a->out, "name",
					r->name, "format", pk_image_format_name(a->o.format),
					"layers", "diff_ids");
		if (doc && r->manifest[0])
			json_object_set_new(doc, "manifest", json_string(r->manifest));
		if (doc && r->config[0])
			json_object_set_new(doc, "config", json_string(r->config));
		if (doc && r->output[0])
			json_object_set_new(doc, "sha256", json_string(r->output + 7));
		if (doc && r->nlayers && !r->output[0])
			json_object_set_new(doc, "layers_cached",
					    json_integer((json_int_t)r->layers_cached));
		if (doc && r->nartifacts) {
			json_t *arts = json_array();
			for (size_t i = 0; arts && i < r->nartifacts; i++)
				json_array_append_new(arts, json_pack("{s:s, s:s, s:s}", "artifactType",
								      r->artifacts[i].type, "manifest",
								      r->artifacts[i].digest, "document",
								      r->artifacts[i].blob));
			json_object_set_new(doc, "artifacts", arts);
		}
		for (size_t i = 0; doc && i < r->nlayers; i++) {
			json_array_append_new(json_object_get(doc, "layers"),
					      json_pack("{s:s, s:I}", "digest", r->layers[i], "size",
							(json_int_t)r->layer_sizes[i]));
			json_array_append_new(json_object_get(doc, "diff_ids"),
					      json_string(r->diff_ids[i]));
		}
		return cli_print_json(stdout, doc) < 0 ? CLI_ERROR : CLI_OK;
	}
	if (a->quiet)
		return CLI_OK;
	fprintf(stderr, "distill: wrote %s (%s)\n", a->out, r->name);
	if (r->manifest[0])
		fprintf(stderr, "  manifest %s\n  config   %s\n", r->manifest, r->config);
	for (size_t i = 0; i < r->nlayers; i++)
		fprintf(stderr, "  layer %zu  %s  %llu bytes\n", i + 1, r->layers[i],
			(unsigned long long)r->layer_sizes[i]);
	for (size_t i = 0; i < r->nartifacts; i++)
		fprintf(stderr, "  artifact %s  %s\n", r->artifacts[i].digest, r->artifacts[i].type);
	if (r->output[0])
		fprintf(stderr, "  file     %s\n", r->output);
	return CLI_OK;
}

/* The staging tree of --inputs debs: registered so that a signal removes it too. */
static int stage_handle;

static void stage_remove(char *dir)
{
	if (!dir[0])
		return;
	dt_temp_remove_tree(AT_FDCWD, dir);
	dt_temp_drop(stage_handle);
	stage_handle = 0;
	dir[0] = '\0';
}

/* --inputs debs: the spec planned with a staging tree made from the lock's .debs (in the
 * cache) standing for its root. @return 0, or -1 after the message. */
static int plan_from_debs(const char *spec_path, const struct build_args *a,
			  const struct mf_lock *locked, int64_t epoch, char *stage,
			  struct mf_spec **spec, struct pk_image **img)
{
	struct pk_plan_opts po = { .debs = a->debs, .epoch = epoch, .warn = cli_warn_cb };
	struct dt_cache cache = { .fd = -1 };
	struct dt_buf missing = { 0 };
	struct pk_offers *offers = NULL;
	char dir[PATH_MAX];
	struct dt_err err;
	int rc = -1;

	dt_err_clear(&err);
	if (mf_spec_load(spec_path, spec, &err) < 0)
		goto fail;
	if (a->cache)
		snprintf(dir, sizeof(dir), "%s", a->cache);
	else if (dt_cache_default_dir(dir, sizeof(dir), &err) < 0)
		goto fail;
	if (dt_cache_open(&cache, dir, &err) < 0)
		goto fail;
	snprintf(stage, PATH_MAX, "%s/distill-stage-XXXXXX", dt_temp_base());
	if (!dt_temp_mkdtemp(stage, &stage_handle)) {
		dt_err_sys(&err, errno, "cannot make a staging directory '%s'", stage);
		stage[0] = '\0';
		goto fail;
	}
	if (pk_stage_debs(*spec, locked, &cache, stage, &missing, &err) < 0) {
		cli_fail(&err);
		if (missing.len)
			cli_error("missing: %s; run: distill fetch --cache '%s' %s", missing.s,
				  cache.dir, spec_path);
		goto out;
	}
	(*spec)->read_root = stage;
	if (cli_plan_offers(*spec, &(struct cli_offers){ .lock = locked, .cache = a->cache }, &po,
			    &offers, &err) < 0 ||
	    pk_image_plan(*spec, &po, img, &err) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	cli_fail(&err);
out:
	pk_offers_free(offers);
	dt_buf_release(&missing);
	dt_cache_close(&cache);
	return rc;
}

/* The cache of layers and input digests, unless --no-cache. @return 1 open, 0 none (not
 * wanted, or the default one cannot be made: a warning), -1 after the message (a --cache
 * DIR that cannot be opened). */
static int open_cache(const struct build_args *a, struct dt_cache *c)
{
	char dir[PATH_MAX], msg[1200];
	struct dt_err err;

	dt_err_clear(&err);
	if (a->no_cache)
		return 0;
	if (a->cache)
		snprintf(dir, sizeof(dir), "%s", a->cache);
	else if (dt_cache_default_dir(dir, sizeof(dir), &err) < 0)
		goto none;
	if (dt_cache_open(c, dir, &err) == 0)
		return 1;
	if (a->cache) {
		cli_fail(&err);
		return -1;
	}
none:
	snprintf(msg, sizeof(msg), "no layer cache: %s (every layer is compressed afresh)",
		 err.msg);
	cli_warn_cb(NULL, msg);
	return 0;
}

/* Keeps the cache within $DISTILL_CACHE_MAX; what goes wrong is a warning. */
static void evict(struct dt_cache *c)
{
	char msg[1200];
	struct dt_err err;
	uint64_t max;

	dt_err_clear(&err);
	if (dt_cache_max(&max, &err) < 0 || dt_cache_evict(c, max, NULL, &err) < 0) {
		snprintf(msg, sizeof(msg), "the cache is not trimmed: %s", err.msg);
		cli_warn_cb(NULL, msg);
	}
}

/* The stat cache of @spec_path's inputs, keyed by the spec's real path (its entries are
 * keyed by device and inode, so a spec whose root changes only misses). @return 1 loaded,
 * 0 none, -1 after the message. */
static int load_hashes(struct dt_cache *c, const char *spec_path, struct dt_statcache *s)
{
	char *real = realpath(spec_path, NULL), key[65];
	unsigned char md[DT_SHA256_LEN];
	struct dt_buf b = { 0 };
	struct dt_err err;

	dt_err_clear(&err);
	if (!real)
		return 0;
	dt_buf_add(&b, "distill-hashes 1%c%s", 0, real);
	free(real);
	if (b.oom) {
		dt_buf_release(&b);
		cli_error("out of memory");
		return -1;
	}
	dt_sha256(b.s, b.len, md);
	dt_buf_release(&b);
	dt_hex(md, sizeof(md), key);
	if (dt_statcache_load(s, c, key, &err) < 0) {
		cli_fail(&err);
		return -1;
	}
	return 1;
}

int cmd_build(int argc, char **argv)
{
	struct build_args a = { 0 };
	struct mf_spec *spec = NULL;
	struct pk_image *img = NULL;
	struct mf_lock *locked = NULL, *found = NULL;
	struct mf_drift_list drift = { 0 };
	struct pk_build_result res;
	struct cli_progress prog;
	struct dt_cache cache = { .fd = -1 };
	struct dt_statcache hashes = { 0 };
	char *lock_path = NULL, stage[PATH_MAX] = "";
	int64_t epoch;
	struct dt_err err;
	int rc, cached = 0, hashed = 0;

	dt_err_clear(&err);
	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc < 0 ? CLI_OK : rc;
	if ((rc = cli_opt_epoch("build", a.sde, &epoch)) != 0)
		return rc;
	rc = CLI_ERROR;
	if ((cached = open_cache(&a, &cache)) < 0)
		goto out;
	if (!a.no_lock) {
		if (!(lock_path = a.lock ? strdup(a.lock) : cli_lock_path(argv[optind]))) {
			cli_error("out of memory");
			goto out;
		}
		if (cli_same_file(a.out, lock_path)) {
			rc = cli_usage_error("build", "-o '%s' is the lockfile", a.out);
			goto out;
		}
		if (mf_lock_load(lock_path, &locked, &err) < 0) {
			if (err.code == DT_ESYS && err.sys_errno == ENOENT)
				cli_error("no lockfile '%s': run 'distill lock' on the spec first (or "
					  "build with --no-lock)", lock_path);
			else
				cli_fail(&err);
			goto out;
		}
	}
	if (a.from_debs < 0) {
		/* not said: the spec's inputs key decides (and a spec that cannot be read is
		 * named below, by the plan) */
		struct mf_spec *peek = NULL;
		a.from_debs = mf_spec_load(argv[optind], &peek, &err) == 0 && peek->inputs_debs;
		mf_spec_free(peek);
		dt_err_clear(&err);
		if (a.from_debs && a.no_lock) {
			cli_error("%s: inputs: debs builds what the lock pins: not with --no-lock "
				  "(or --inputs host)", argv[optind]);
			goto out;
		}
	}
	if (a.from_debs) {
		if (plan_from_debs(argv[optind], &a, locked, epoch, stage, &spec, &img) < 0)
			goto out;
	} else {
		/* the host's files: those unchanged since a build hashed them are not read */
		if (cached && (hashed = load_hashes(&cache, argv[optind], &hashes)) < 0)
			goto out;
		if (cli_plan(argv[optind], a.debs, epoch,
			     &(struct cli_offers){ .lock = locked, .cache = a.cache,
						   .hashes = hashed ? &hashes : NULL,
						   .md5_stated = locked != NULL },
			     &spec, &img, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		if (hashed && dt_statcache_save(&hashes, &err) < 0) {
			char msg[1200];
			snprintf(msg, sizeof(msg), "the digests of the inputs are not kept: %s",
				 err.msg);
			cli_warn_cb(NULL, msg);
			dt_err_clear(&err);
		}
	}
	if (cli_build_secrets(spec, img) < 0)
		goto out;
	if (locked) {
		if (pk_image_lock(img, &found, &err) < 0 ||
		    mf_lock_compare(locked, found, &drift, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		if (drift.n) {
			cli_print_drift(&drift, lock_path);
			cli_error("build refused: the inputs differ from the lock; nothing was "
				  "written (run 'distill lock' to accept the change)");
			goto out;
		}
		a.o.lock_digest = locked->digest;
		a.o.lock_name = lock_path;
	}
	if (spec->sbom && (a.o.format == PK_FORMAT_OCI || a.o.format == PK_FORMAT_OCI_ARCHIVE))
		a.o.sbom = 1;
	if (!a.no_check && check(spec, img, a.symbols) < 0)
		goto out;
	a.o.tag = a.tag;
	cli_progress_init(&prog, "build", a.quiet || a.json);
	a.o.progress = cli_progress_cb;
	a.o.progress_ctx = &prog;
	a.o.cache = cached ? &cache : NULL;
	a.o.warn = cli_warn_cb;
	rc = pk_image_write(img, a.out, &a.o, &res, &err);
	cli_progress_end(&prog);
	if (rc < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (cached)
		evict(&cache);
	rc = print_result(&a, &res);
out:
	dt_statcache_release(&hashes);
	dt_cache_close(&cache);
	mf_drift_list_release(&drift);
	mf_lock_free(locked);
	mf_lock_free(found);
	pk_image_free(img);
	mf_spec_free(spec);
	free(lock_path);
	stage_remove(stage);
	return rc;
}
