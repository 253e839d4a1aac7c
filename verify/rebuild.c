/* SPDX-License-Identifier: MIT */
/* Rebuilds in fresh processes under perturbed conditions, and the comparisons (see
 * rebuild.h). */
#include "verify/rebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fault.h"
#include "common/tempfile.h"
#include "manifest/oci.h"
#include "verify/source.h"

/* The conditions of run k cycle through these. */
static const struct vf_variation variations[] = {
	{ 022, "UTC", "C", "" },
	{ 077, "Pacific/Kiritimati", "C.UTF-8", "a/much/deeper/output/path/" },
	{ 002, "America/St_Johns", "tr_TR.UTF-8", "x/" },
	{ 027, "Asia/Kolkata", "POSIX", "y/z/" },
};
#define NVAR (sizeof(variations) / sizeof(variations[0]))

void vf_rebuild_describe(const struct vf_run *r, size_t k, char *buf, size_t len)
{
	snprintf(buf, len, "run %zu (umask %03o, TZ=%s, LC_ALL=%s, cwd %s)", k + 1,
		 (unsigned)r->v->umask, r->v->tz, r->v->locale, r->dir);
}

const char *vf_image_compression(const char *image, const char *ref, struct dt_err *err)
{
	struct vf_source *s = NULL;
	enum dt_compression c = DT_COMP_GZIP;
	const char *name;

	if (vf_source_open(image, ref, &s, err) < 0)
		return NULL;
	if (s->kind == VF_SOURCE_DOCKER_ARCHIVE)
		c = DT_COMP_NONE;
	for (size_t i = 0; i < s->nlayers && s->layers[i].media_type; i++)
		if (mf_oci_layer_compression(s->layers[i].media_type, &c) < 0)
			c = DT_COMP_NONE;
	name = dt_compression_name(c);
	if (s->kind == VF_SOURCE_TARBALL) {
		dt_err_set(err, DT_EINPUT, "'%s' is a tarball, not an image", image);
		name = NULL;
	}
	vf_source_free(s);
	return name;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p below an existing base. */
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
/* Starts the build of run @k. @return its pid, or -1. */
static pid_t start_build(const struct vf_rebuild_opts *o, struct vf_run *r, size_t k,
			 const char *compression)
{
	char epoch[32], noise[64], runno[24];
	const char *argv[32];
	int n = 0;
	pid_t pid;

	snprintf(epoch, sizeof(epoch), "%" PRId64, o->epoch);
	argv[n++] = "distill";
	argv[n++] = "build";
	argv[n++] = o->spec;
	argv[n++] = "-o";
	argv[n++] = r->out;
	argv[n++] = "--format";
	argv[n++] = "oci";
	argv[n++] = "-q";
	argv[n++] = "--no-cache"; /* every run builds every layer: that is what is compared */
	argv[n++] = "--source-date-epoch";
	argv[n++] = epoch;
	if (o->no_lock)
		argv[n++] = "--no-lock";
	else if (o->lock) {
		argv[n++] = "--lock";
		argv[n++] = o->lock;
	}
	if (o->debs) {
		argv[n++] = "--debs";
		argv[n++] = o->debs;
	}
	if (o->from_debs) {
		argv[n++] = "--inputs";
		argv[n++] = "debs";
	}
	if (o->cache) {
		argv[n++] = "--cache";
		argv[n++] = o->cache;
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
		setenv("TMPDIR", r->tmp, 1);
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
			execv(o->exe, cargv);
		}
		_exit(127);
	}
	dt_fault("child");
	return pid;
}

/* Waits for the build @pid. @return its exit status (128 + a signal), or -1. */
static int wait_build(pid_t pid)
{
	int st;
	pid_t w;

	if (pid < 0)
		return -1;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	dt_temp_child_done(pid);
	if (w < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* The directory of the runs: @o->keep, or a new temporary one. */
static int make_base(const struct vf_rebuild_opts *o, struct vf_rebuild *r, struct dt_err *err)
{
	const char *tmp = dt_temp_base(), *tree = dt_temp_tree_base();

	snprintf(r->tbase, sizeof(r->tbase), "%s/distill-verify-tmp-XXXXXX", tree);
	if (!dt_temp_mkdtemp(r->tbase, &r->ttemp)) {
		int e = errno;
		r->tbase[0] = '\0';
		return dt_err_sys(err, e, "cannot make a temporary directory in '%s'", tree);
	}

	if (o->keep) {
		r->keep = 1;
		if (mkdir(o->keep, 0700) < 0 && errno != EEXIST)
			return dt_err_sys(err, errno, "cannot make '%s'", o->keep);
		if (!realpath(o->keep, r->base))
			return dt_err_sys(err, errno, "cannot resolve '%s'", o->keep);
		return 0;
	}
	snprintf(r->base, sizeof(r->base), "%s/distill-verify-XXXXXX", tmp);
	if (!dt_temp_mkdtemp(r->base, &r->temp)) {
		int e = errno;
		r->base[0] = '\0';
		return dt_err_sys(err, e, "cannot make a temporary directory in '%s'", tmp);
	}
	return 0;
}

/* Compares run @k with run 1. @return 0 (a difference sets r->differs), or a negative code. */
static int compare_run(struct vf_rebuild *r, size_t k, struct dt_err *err)
{
	struct vf_diff_opts dopt = { 0 };
	struct vf_run *first = &r->runs[0], *run = &r->runs[k];
	int rc;

	vf_diff_release(&r->d);
	if ((rc = vf_diff_run(first->out, run->out, &dopt, &r->d, err)) < 0)
		return rc;
	if (!first->manifest && r->d.a->manifest_digest &&
	    !(first->manifest = strdup(r->d.a->manifest_digest)))
		return dt_oom(err);
	if (r->d.b->manifest_digest && !(run->manifest = strdup(r->d.b->manifest_digest)))
		return dt_oom(err);
	if (r->d.n) {
		r->differs = 1;
		r->diff_run = k;
	}
	return 0;
}

int vf_rebuild_run(const struct vf_rebuild_opts *o, struct vf_rebuild *r, struct dt_err *err)
{
	const char *compression = o->compression;
	size_t jobs = o->jobs ? o->jobs : 1;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (jobs > 64)
		jobs = 64;
	if (o->against && !compression &&
	    !(compression = vf_image_compression(o->against, o->ref, err)))
		return -err->code;
	if ((rc = make_base(o, r, err)) < 0)
		return rc;
	if (!(r->runs = calloc(o->runs, sizeof(*r->runs))))
		return dt_oom(err);
	/* the builds in batches of o->jobs, each batch at once; then compared in order */
	for (size_t from = 0; from < o->runs && !r->differs; from += jobs) {
		size_t to = from + jobs < o->runs ? from + jobs : o->runs;
		pid_t pids[64];
		for (size_t k = from; k < to; k++) {
			struct vf_run *run = &r->runs[k];
			char parent[PATH_MAX + 128];
			run->v = &variations[k % NVAR];
			snprintf(run->dir, sizeof(run->dir), "%s/run-%zu", r->base, k + 1);
			snprintf(run->out, sizeof(run->out), "%s/%simage", run->dir, run->v->subdir);
			/* the run's directory and the parents of its output */
			snprintf(parent, sizeof(parent), "%s/%s", run->dir, run->v->subdir);
			parent[strlen(parent) - 1] = '\0';
			snprintf(run->tmp, sizeof(run->tmp), "%s/run-%zu", r->tbase, k + 1);
			if (mkdirs(parent) < 0)
				rc = dt_err_sys(err, errno, "cannot make '%s'", parent);
			else if (mkdir(run->tmp, 0700) < 0 && errno != EEXIST)
				rc = dt_err_sys(err, errno, "cannot make '%s'", run->tmp);
			else if (!is_dir(run->dir))
				rc = dt_err_set(err, DT_EINPUT, "cannot build in '%s': not a directory",
						run->dir);
			if (rc < 0) { /* the builds started are waited for */
				to = k;
				break;
			}
			if (o->started)
				o->started(o->ctx, k, run);
			pids[k - from] = start_build(o, run, k, compression);
		}
		for (size_t k = from; k < to; k++)
			r->runs[k].status = wait_build(pids[k - from]);
		if (rc < 0)
			return rc;
		for (size_t k = from; k < to && !r->differs; k++) {
			r->nruns = k + 1;
			if (r->runs[k].status != 0) {
				r->failed = 1;
				return 0;
			}
			if (k > 0 && (rc = compare_run(r, k, err)) < 0)
				return rc;
		}
	}
	if (o->against && !r->differs) {
		struct vf_diff_opts dopt = { .ref_b = o->ref, .skip_index = 1 };
		vf_diff_release(&r->d);
		if ((rc = vf_diff_run(r->runs[0].out, o->against, &dopt, &r->d, err)) < 0)
			return rc;
		if (!r->runs[0].manifest && r->d.a->manifest_digest &&
		    !(r->runs[0].manifest = strdup(r->d.a->manifest_digest)))
			return dt_oom(err);
		r->differs = r->d.n > 0;
	}
	if (!r->runs[0].manifest) {
		struct vf_source *src = NULL;
		struct dt_err ignored;
		if (vf_source_open(r->runs[0].out, NULL, &src, &ignored) == 0 && src->manifest_digest)
			r->runs[0].manifest = strdup(src->manifest_digest);
		vf_source_free(src);
	}
	return 0;
}

void vf_rebuild_release(struct vf_rebuild *r)
{
	if (r->runs && !r->keep && r->base[0])
		dt_temp_remove_tree(AT_FDCWD, r->base);
	dt_temp_drop(r->temp);
	if (r->tbase[0])
		dt_temp_remove_tree(AT_FDCWD, r->tbase);
	dt_temp_drop(r->ttemp);
	for (size_t k = 0; r->runs && k < r->nruns; k++)
		free(r->runs[k].manifest);
	free(r->runs);
	vf_diff_release(&r->d);
	memset(r, 0, sizeof(*r));
}
