/* SPDX-License-Identifier: MIT */
/* `distill verify`: rebuilds an image in fresh processes under perturbed conditions and
 * compares every digest; or rebuilds it and compares it with a published image. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/tempfile.h"
#include "manifest/json.h"
#include "cli/cli.h"
#include "verify/rebuild.h"

static const char verify_usage[] =
	"usage: distill verify [options] SPEC\n"
	"       distill verify [options] SPEC --against IMAGE\n"
	"\n"
	"Rebuilds the image of SPEC N times, each in a fresh 'distill build' process under\n"
	"different conditions (umask, TZ, locale, environment, working directory, output\n"
	"path, temporary directory), and compares every digest. On a difference it prints\n"
	"what 'distill diff' says about it and exits 1.\n"
	"\n"
	"With --against, rebuilds from SPEC and its lockfile and compares the result with the\n"
	"published IMAGE (an OCI layout, OCI archive or docker-archive), from the manifest\n"
	"down: the rebuilder's check. The layer compression is taken from IMAGE unless\n"
	"--compression says otherwise.\n"
	"\n"
	"      --runs N               builds to compare (default 2; 1 with --against)\n"
	"  -j, --jobs N               builds at once (default: the processors online; the\n"
	"                             runs go in batches of N, each compared with run 1)\n"
	"      --against IMAGE        compare the rebuild with this published image\n"
	"      --ref REF              with --against: which image of IMAGE\n"
	"      --lock FILE            the lockfile (default: beside SPEC)\n"
	"      --no-lock              build without a lockfile (nothing is checked)\n"
	"      --debs DIR             directory of .deb files (overrides the spec's debs)\n"
	"      --inputs SRC, --cache DIR\n"
	"                             as for build: debs rebuilds from the lock's .debs in\n"
	"                             the cache (see 'distill fetch'), not the root's files\n"
	"      --source-date-epoch N  for every build (default: $SOURCE_DATE_EPOCH, else 0)\n"
	"      --compression ALG      gzip, zstd or none (default: gzip, or IMAGE's)\n"
	"      --level N              compression level\n"
	"      --keep DIR             keep the builds in DIR/run-1, DIR/run-2, ... (each run\n"
	"                             builds in its run directory, its working directory)\n"
	"      --json                 print the result as JSON on stdout\n"
	"  -q, --quiet                print only differences and errors\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 reproducible (or identical to IMAGE), 1 a difference or a build that\n"
	"failed, 2 usage or error. See docs/verify.md.\n";

enum {
	OPT_RUNS = 256, OPT_AGAINST, OPT_REF, OPT_LOCK, OPT_NO_LOCK, OPT_DEBS, OPT_INPUTS, OPT_CACHE,
	OPT_EPOCH,
	OPT_COMPRESSION, OPT_LEVEL, OPT_KEEP, OPT_JSON, OPT_JOBS,
};

static const struct option verify_options[] = {
	{ "runs", required_argument, NULL, OPT_RUNS },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "against", required_argument, NULL, OPT_AGAINST },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "no-lock", no_argument, NULL, OPT_NO_LOCK },
	{ "debs", required_argument, NULL, OPT_DEBS },
	{ "inputs", required_argument, NULL, OPT_INPUTS },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "source-date-epoch", required_argument, NULL, OPT_EPOCH },
	{ "compression", required_argument, NULL, OPT_COMPRESSION },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *spec, *against, *ref, *lock, *debs, *compression, *level, *keep, *cache;
	int from_debs;
	int no_lock, json, quiet;
	long runs, jobs;
	int64_t epoch;
};

static char *abspath(const char *p)
{
	char *r = realpath(p, NULL);
	return r ? r : strdup(p);
}

static void started(void *ctx, size_t k, const struct vf_run *run)
{
	char what[PATH_MAX + 128];

	(void)ctx;
	vf_rebuild_describe(run, k, what, sizeof(what));
	fprintf(stderr, "distill verify: building %s\n", what);
}

static const char *umask_text(mode_t m)
{
	return m == 022 ? "022" : m == 077 ? "077" : m == 002 ? "002" : "027";
}

static int parse(int argc, char **argv, struct opts *o)
{
	struct dt_err err;
	const char *epoch = NULL;
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qhj:", verify_options, NULL)) != -1) {
		switch (c) {
		case OPT_RUNS:
			errno = 0;
			o->runs = strtol(optarg, &end, 10);
			if (errno || *end || o->runs < 1 || o->runs > 64)
				return cli_usage_error("verify", "--runs wants 1 to 64, not '%s'",
						       optarg);
			break;
		case 'j':
		case OPT_JOBS:
			errno = 0;
			o->jobs = strtol(optarg, &end, 10);
			if (errno || *end || o->jobs < 1 || o->jobs > 64)
				return cli_usage_error("verify", "--jobs wants 1 to 64, not '%s'",
						       optarg);
			break;
		case OPT_AGAINST: o->against = optarg; break;
		case OPT_REF: o->ref = optarg; break;
		case OPT_LOCK: o->lock = optarg; break;
		case OPT_NO_LOCK: o->no_lock = 1; break;
		case OPT_DEBS: o->debs = optarg; break;
		case OPT_INPUTS:
			if (strcmp(optarg, "host") != 0 && strcmp(optarg, "debs") != 0)
				return cli_usage_error("verify", "--inputs wants host or debs, not '%s'",
						       optarg);
			o->from_debs = strcmp(optarg, "debs") == 0;
			break;
		case OPT_CACHE: o->cache = optarg; break;
		case OPT_EPOCH: epoch = optarg; break;
		case OPT_COMPRESSION: o->compression = optarg; break;
		case OPT_LEVEL: o->level = optarg; break;
		case OPT_KEEP: o->keep = optarg; break;
		case OPT_JSON: o->json = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(verify_usage, stdout); return -1;
		case ':': return cli_usage_error("verify", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("verify", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("verify", optind >= argc ? "no SPEC" : "one SPEC at a time");
	if (o->lock && o->no_lock)
		return cli_usage_error("verify", "--lock and --no-lock do not go together");
	if (o->ref && !o->against)
		return cli_usage_error("verify", "--ref goes with --against");
	if (!o->runs)
		o->runs = o->against ? 1 : 2;
	o->spec = argv[optind];
	dt_err_clear(&err);
	if (cli_epoch(epoch, &o->epoch, &err) < 0)
		return cli_usage_error("verify", "%s", err.msg);
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	struct opts o = { 0 };
	struct vf_rebuild_opts ro = { 0 };
	struct vf_rebuild r = { 0 };
	struct dt_err err;
	char *spec = NULL, *lock = NULL, *against = NULL, *debs = NULL, *cache = NULL, exe[PATH_MAX];
	json_t *jruns = NULL, *jdiff = NULL;
	int rc;

	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? CLI_OK : rc; /* -1: --help */
	dt_err_clear(&err);
	rc = CLI_USAGE;
	if (access(o.spec, R_OK) < 0) {
		cli_error("cannot read '%s': %s", o.spec, strerror(errno));
		goto out;
	}
	spec = abspath(o.spec);
	lock = o.lock ? abspath(o.lock) : NULL;
	against = o.against ? abspath(o.against) : NULL;
	/* the runs build in directories of their own: relative paths would not reach */
	debs = o.debs ? abspath(o.debs) : NULL;
	cache = o.cache ? abspath(o.cache) : NULL;
	/* the binary by its path: under valgrind /proc/self/exe is valgrind's own */
	{
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len > 0)
			exe[len] = '\0';
		else
			strcpy(exe, "/proc/self/exe");
	}
	ro = (struct vf_rebuild_opts){
		.exe = exe, .spec = spec, .lock = lock, .no_lock = o.no_lock, .debs = debs,
		.from_debs = o.from_debs, .cache = cache,
		.compression = o.compression, .level = o.level, .epoch = o.epoch,
		.runs = (size_t)o.runs, .against = against, .ref = o.ref, .keep = o.keep,
		.jobs = o.jobs ? (size_t)o.jobs
			       : sysconf(_SC_NPROCESSORS_ONLN) > 0 ? (size_t)sysconf(_SC_NPROCESSORS_ONLN)
								   : 1,
		.started = o.quiet || o.json ? NULL : started,
	};
	if (vf_rebuild_run(&ro, &r, &err) < 0) {
		cli_fail(&err);
		goto out;
	}
	if (r.failed)
		cli_error("run %zu: the build failed (exit %d); %s", r.nruns,
			  r.runs[r.nruns - 1].status,
			  against ? "the image cannot be rebuilt from this spec and lock: see "
				    "the messages above for the inputs that are missing or drifted"
				  : "see the messages above");
	if (o.json) {
		json_t *doc;
		jruns = json_array();
		for (size_t k = 0; k < r.nruns; k++)
			json_array_append_new(jruns, json_pack("{s:I, s:s, s:s, s:s, s:s, s:i}", "run",
							       (json_int_t)(k + 1), "dir", r.runs[k].dir,
							       "tz", r.runs[k].v->tz, "locale",
							       r.runs[k].v->locale, "umask",
							       umask_text(r.runs[k].v->umask), "exit",
							       r.runs[k].status));
		if (r.differs)
			jdiff = cli_diff_json(&r.d, 0);
		doc = json_pack("{s:s, s:s?, s:o, s:b, s:b, s:s?, s:o?}", "spec", spec, "against",
				against, "runs", jruns, "reproducible", !r.differs && !r.failed,
				"build_failed", r.failed, "manifest",
				!r.differs && !r.failed ? r.runs[0].manifest : NULL, "diff",
				jdiff ? jdiff : json_null());
		jruns = NULL;
		jdiff = NULL;
		cli_print_json(stdout, doc);
	} else if (r.differs && against) {
		printf("distill verify: the rebuild of %s differs from %s:\n", o.spec, o.against);
		cli_diff_print(stdout, &r.d, "  ");
	} else if (r.differs) {
		char what[PATH_MAX + 128];
		vf_rebuild_describe(&r.runs[r.diff_run], r.diff_run, what, sizeof(what));
		printf("distill verify: %s differs from run 1:\n", what);
		cli_diff_print(stdout, &r.d, "  ");
	} else if (!r.failed && !o.quiet) {
		if (against)
			printf("distill verify: %s rebuilds %s bit for bit (manifest %s)\n", o.spec,
			       o.against, r.runs[0].manifest ? r.runs[0].manifest : "?");
		else
			printf("distill verify: %ld runs, identical (manifest %s)\n", o.runs,
			       r.runs[0].manifest ? r.runs[0].manifest : "?");
	}
	rc = r.differs || r.failed ? CLI_ERROR : CLI_OK;
	if (cli_stdout_ok() < 0)
		rc = CLI_USAGE;
	if (o.keep && rc != CLI_USAGE && !o.quiet && !o.json)
		fprintf(stderr, "distill verify: builds kept in %s\n", o.keep);
out:
	vf_rebuild_release(&r);
	json_decref(jruns);
	json_decref(jdiff);
	free(spec);
	free(lock);
	free(against);
	free(debs);
	free(cache);
	return rc;
}
