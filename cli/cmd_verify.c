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
#include "verify/diff.h"

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
	"      --against IMAGE        compare the rebuild with this published image\n"
	"      --ref REF              with --against: which image of IMAGE\n"
	"      --lock FILE            the lockfile (default: beside SPEC)\n"
	"      --no-lock              build without a lockfile (nothing is checked)\n"
	"      --debs DIR             directory of .deb files (overrides the spec's debs)\n"
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
	OPT_RUNS = 256, OPT_AGAINST, OPT_REF, OPT_LOCK, OPT_NO_LOCK, OPT_DEBS, OPT_EPOCH,
	OPT_COMPRESSION, OPT_LEVEL, OPT_KEEP, OPT_JSON,
};

static const struct option verify_options[] = {
	{ "runs", required_argument, NULL, OPT_RUNS },
	{ "against", required_argument, NULL, OPT_AGAINST },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "no-lock", no_argument, NULL, OPT_NO_LOCK },
	{ "debs", required_argument, NULL, OPT_DEBS },
	{ "source-date-epoch", required_argument, NULL, OPT_EPOCH },
	{ "compression", required_argument, NULL, OPT_COMPRESSION },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The conditions of run k cycle through these. */
static const struct variation {
	mode_t umask;
	const char *tz, *locale, *subdir;
} variations[] = {
	{ 022, "UTC", "C", "" },
	{ 077, "Pacific/Kiritimati", "C.UTF-8", "a/much/deeper/output/path/" },
	{ 002, "America/St_Johns", "tr_TR.UTF-8", "x/" },
	{ 027, "Asia/Kolkata", "POSIX", "y/z/" },
};
#define NVAR (sizeof(variations) / sizeof(variations[0]))

struct opts {
	const char *spec, *against, *ref, *lock, *debs, *compression, *level, *keep;
	int no_lock, json, quiet;
	long runs;
	int64_t epoch;
};

struct run {
	char dir[PATH_MAX + 32], out[PATH_MAX + 128];
	const struct variation *v;
	int status;        /* exit status of the build, or -1 */
	char *manifest;    /* its manifest digest, once read */
};

static char *abspath(const char *p)
{
	char *r = realpath(p, NULL);
	return r ? r : strdup(p);
}

/* mkdir -p below an existing @base. */
static int mkdirs(const char *path)
{
	char buf[PATH_MAX + 64];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* Builds run @k in a fresh process with its conditions. @return its exit status. */
static int build(const struct opts *o, const char *spec, const char *lock, struct run *r,
		 size_t k, const char *compression)
{
	char epoch[32], noise[64], runno[24], exe[PATH_MAX];
	const char *argv[24];
	int n = 0, st;
	pid_t pid, w;

	snprintf(epoch, sizeof(epoch), "%" PRId64, o->epoch);
	argv[n++] = "distill";
	argv[n++] = "build";
	argv[n++] = spec;
	argv[n++] = "-o";
	argv[n++] = r->out;
	argv[n++] = "--format";
	argv[n++] = "oci";
	argv[n++] = "-q";
	argv[n++] = "--source-date-epoch";
	argv[n++] = epoch;
	if (o->no_lock)
		argv[n++] = "--no-lock";
	else if (lock) {
		argv[n++] = "--lock";
		argv[n++] = lock;
	}
	if (o->debs) {
		argv[n++] = "--debs";
		argv[n++] = o->debs;
	}
	if (compression) {
		argv[n++] = "--compression";
		argv[n++] = compression;
	}
	if (o->level) {
		argv[n++] = "--level";
		argv[n++] = o->level;
	}
	argv[n] = NULL;
	/* the binary by its path: under valgrind /proc/self/exe is valgrind's own */
	{
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len > 0)
			exe[len] = '\0';
		else
			strcpy(exe, "/proc/self/exe");
	}
	fflush(NULL);
	/* a signal to verify stops this build before the runs are removed */
	if ((pid = dt_temp_fork()) < 0)
		return -1;
	if (pid == 0) {
		umask(r->v->umask);
		setenv("TZ", r->v->tz, 1);
		setenv("LC_ALL", r->v->locale, 1);
		setenv("LANG", r->v->locale, 1);
		snprintf(noise, sizeof(noise), "%d-%zu", (int)getpid(), k);
		snprintf(runno, sizeof(runno), "%zu", k + 1);
		setenv("DISTILL_VERIFY_RUN", runno, 1);
		setenv("DISTILL_VERIFY_NOISE", noise, 1);
		setenv("TMPDIR", r->dir, 1);
		if (k % 2)
			unsetenv("HOME");
		else
			setenv("HOME", r->dir, 1);
		unsetenv("SOURCE_DATE_EPOCH"); /* given on the command line */
		if (chdir(r->dir) < 0)
			_exit(127);
		{
			char *cargv[24];
			for (int i = 0; i <= n; i++)
				cargv[i] = argv[i] ? strdup(argv[i]) : NULL;
			execv(exe, cargv);
		}
		_exit(127);
	}
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	dt_temp_child_done();
	if (w < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void describe(const struct run *r, size_t k, FILE *f)
{
	fprintf(f, "run %zu (umask %03o, TZ=%s, LC_ALL=%s, cwd %s)", k + 1, (unsigned)r->v->umask,
		r->v->tz, r->v->locale, r->dir);
}

/* The layer compression of a published image: gzip, zstd or none. */
static const char *compression_of(const char *image, const char *ref, struct dt_err *err)
{
	struct vf_source *s = NULL;
	const char *c = "gzip";

	if (vf_source_open(image, ref, &s, err) < 0)
		return NULL;
	if (s->kind == VF_SOURCE_DOCKER_ARCHIVE)
		c = "none";
	for (size_t i = 0; i < s->nlayers && s->layers[i].media_type; i++) {
		const char *mt = s->layers[i].media_type;
		size_t l = strlen(mt);
		c = l > 5 && strcmp(mt + l - 5, "+zstd") == 0 ? "zstd"
		    : l > 5 && strcmp(mt + l - 5, "+gzip") == 0 ? "gzip" : "none";
	}
	if (s->kind == VF_SOURCE_TARBALL) {
		dt_err_set(err, DT_EINPUT, "'%s' is a tarball, not an image", image);
		c = NULL;
	}
	vf_source_free(s);
	return c;
}

static int parse(int argc, char **argv, struct opts *o)
{
	struct dt_err err;
	const char *epoch = NULL;
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", verify_options, NULL)) != -1) {
		switch (c) {
		case OPT_RUNS:
			errno = 0;
			o->runs = strtol(optarg, &end, 10);
			if (errno || *end || o->runs < 1 || o->runs > 64)
				return cli_usage_error("verify", "--runs wants 1 to 64, not '%s'",
						       optarg);
			break;
		case OPT_AGAINST: o->against = optarg; break;
		case OPT_REF: o->ref = optarg; break;
		case OPT_LOCK: o->lock = optarg; break;
		case OPT_NO_LOCK: o->no_lock = 1; break;
		case OPT_DEBS: o->debs = optarg; break;
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
	struct run *runs = NULL;
	struct vf_diff d = { 0 };
	struct dt_err err;
	char *spec = NULL, *lock = NULL, *against = NULL, base[PATH_MAX];
	const char *compression;
	json_t *jruns = NULL, *jdiff = NULL;
	int rc, differs = 0, failed = 0, temp = 0;
	size_t diff_run = 0;

	base[0] = '\0';
	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? CLI_OK : rc; /* -1: --help */
	dt_err_clear(&err);
	jruns = json_array();
	rc = CLI_USAGE;
	if (access(o.spec, R_OK) < 0) {
		cli_error("cannot read '%s': %s", o.spec, strerror(errno));
		goto out;
	}
	spec = abspath(o.spec);
	lock = o.lock ? abspath(o.lock) : NULL;
	against = o.against ? abspath(o.against) : NULL;
	compression = o.compression;
	if (against && !compression && !(compression = compression_of(against, o.ref, &err))) {
		cli_fail(&err);
		goto out;
	}
	if (o.keep) {
		if (mkdir(o.keep, 0700) < 0 && errno != EEXIST) {
			cli_error("cannot make '%s': %s", o.keep, strerror(errno));
			goto out;
		}
		if (!realpath(o.keep, base)) {
			cli_error("cannot resolve '%s': %s", o.keep, strerror(errno));
			goto out;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(base, sizeof(base), "%s/distill-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!dt_temp_mkdtemp(base, &temp)) {
			cli_error("cannot make a temporary directory in '%s': %s",
				  tmp && *tmp ? tmp : "/tmp", strerror(errno));
			goto out;
		}
	}
	if (!(runs = calloc((size_t)o.runs, sizeof(*runs)))) {
		cli_error("out of memory");
		goto out;
	}
	rc = CLI_ERROR;
	for (size_t k = 0; k < (size_t)o.runs; k++) {
		struct run *r = &runs[k];
		r->v = &variations[k % NVAR];
		snprintf(r->dir, sizeof(r->dir), "%s/run-%zu", base, k + 1);
		snprintf(r->out, sizeof(r->out), "%s/%simage", r->dir, r->v->subdir);
		{
			/* the run's directory and the parents of its output */
			char parent[PATH_MAX + 128];
			snprintf(parent, sizeof(parent), "%s/%s", r->dir, r->v->subdir);
			parent[strlen(parent) - 1] = '\0';
			if (mkdirs(parent) < 0) {
				cli_error("cannot make '%s': %s", parent, strerror(errno));
				rc = CLI_USAGE;
				goto out;
			}
		}
		if (!o.quiet && !o.json) {
			fputs("distill verify: building ", stderr);
			describe(r, k, stderr);
			fputc('\n', stderr);
		}
		r->status = build(&o, spec, lock, r, k, compression);
		json_array_append_new(jruns, json_pack("{s:I, s:s, s:s, s:s, s:s, s:i}", "run",
						       (json_int_t)(k + 1), "dir", r->dir, "tz",
						       r->v->tz, "locale", r->v->locale, "umask",
						       r->v->umask == 022 ? "022" : r->v->umask == 077
						       ? "077" : r->v->umask == 002 ? "002" : "027",
						       "exit", r->status));
		if (r->status != 0) {
			cli_error("run %zu: the build failed (exit %d); %s", k + 1, r->status,
				  against ? "the image cannot be rebuilt from this spec and lock: see "
					    "the messages above for the inputs that are missing or "
					    "drifted"
					  : "see the messages above");
			failed = 1;
			goto report;
		}
		if (k == 0)
			continue;
		vf_diff_release(&d);
		{
			struct vf_diff_opts dopt = { 0 };
			if (vf_diff_run(runs[0].out, r->out, &dopt, &d, &err) < 0) {
				cli_fail(&err);
				rc = CLI_USAGE;
				goto out;
			}
		}
		if (!runs[0].manifest && d.a->manifest_digest)
			runs[0].manifest = strdup(d.a->manifest_digest);
		if (d.b->manifest_digest)
			r->manifest = strdup(d.b->manifest_digest);
		if (d.n) {
			differs = 1;
			diff_run = k;
			break;
		}
	}
	if (against && !differs) {
		struct vf_diff_opts dopt = { .ref_b = o.ref, .skip_index = 1 };
		vf_diff_release(&d);
		if (vf_diff_run(runs[0].out, against, &dopt, &d, &err) < 0) {
			cli_fail(&err);
			rc = CLI_USAGE;
			goto out;
		}
		if (!runs[0].manifest && d.a->manifest_digest)
			runs[0].manifest = strdup(d.a->manifest_digest);
		differs = d.n > 0;
	}
	if (!runs[0].manifest) {
		struct vf_source *src = NULL;
		if (vf_source_open(runs[0].out, NULL, &src, &err) == 0 && src->manifest_digest)
			runs[0].manifest = strdup(src->manifest_digest);
		vf_source_free(src);
	}
report:
	if (differs)
		jdiff = cli_diff_json(&d, 0);
	if (o.json) {
		json_t *doc = json_pack("{s:s, s:s?, s:o, s:b, s:b, s:s?, s:o?}", "spec", spec,
					"against", against, "runs", jruns, "reproducible",
					!differs && !failed, "build_failed", failed, "manifest",
					runs && !differs && !failed ? runs[0].manifest : NULL,
					"diff", jdiff ? jdiff : json_null());
		char *s = NULL;
		jruns = NULL;
		jdiff = NULL;
		if (doc && mf_json_dump(doc, MF_JSON_PRETTY, &s, &err) == 0)
			fputs(s, stdout);
		free(s);
		json_decref(doc);
	} else if (differs && against) {
		printf("distill verify: the rebuild of %s differs from %s:\n", o.spec, o.against);
		cli_diff_print(stdout, &d, "  ");
	} else if (differs) {
		printf("distill verify: ");
		describe(&runs[diff_run], diff_run, stdout);
		printf(" differs from run 1:\n");
		cli_diff_print(stdout, &d, "  ");
	} else if (!failed && !o.quiet) {
		if (against)
			printf("distill verify: %s rebuilds %s bit for bit (manifest %s)\n", o.spec,
			       o.against, runs[0].manifest ? runs[0].manifest : "?");
		else
			printf("distill verify: %ld runs, identical (manifest %s)\n", o.runs,
			       runs[0].manifest ? runs[0].manifest : "?");
	}
	rc = differs || failed ? CLI_ERROR : CLI_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write: standard output failed");
		rc = CLI_USAGE;
	}
out:
	if (runs && !o.keep && base[0])
		dt_temp_remove_tree(AT_FDCWD, base);
	else if (o.keep && rc != CLI_USAGE && !o.quiet && !o.json)
		fprintf(stderr, "distill verify: builds kept in %s\n", o.keep);
	dt_temp_drop(temp);
	for (size_t k = 0; runs && k < (size_t)o.runs; k++)
		free(runs[k].manifest);
	free(runs);
	vf_diff_release(&d);
	json_decref(jruns);
	json_decref(jdiff);
	free(spec);
	free(lock);
	free(against);
	return rc;
}
