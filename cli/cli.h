/* SPDX-License-Identifier: MIT */
/* What every subcommand of the distill CLI shares: the command table, messages, exit codes
 * and the progress bar. Only the CLI prints or exits. */
#ifndef DISTILL_CLI_CLI_H
#define DISTILL_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>

#include "common/compression.h"
#include "common/err.h"
#include "manifest/drift.h"
#include "manifest/lock.h"
#include "manifest/spec.h"
#include "verify/diff.h"
#include "packer/image/image.h"

enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2 };

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name; returns an exit code */
	const char *summary;
};

/* The subcommands, in the order `distill --help` lists them; NULL-terminated. */
extern const struct cli_cmd cli_cmds[];

int cmd_tar(int argc, char **argv);
int cmd_deps(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_fetch(int argc, char **argv);

/* The text report of a comparison: differences grouped by section and counted, each
 * line prefixed with @indent. */
void cli_diff_print(FILE *f, const struct vf_diff *d, const char *indent);
/* The JSON report of a comparison (json_decref() it), or NULL when out of memory. */
json_t *cli_diff_json(const struct vf_diff *d, unsigned ignore);

/* @s with control characters written as \n, \t or \xHH for text output (a name never moves
 * the terminal or splits a line; --json has names exactly), or @s itself when it has none.
 * The copy stays valid for the next seven calls. */
const char *cli_vis(const char *s);
/* "distill: <message>" on stderr, control characters made visible. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "distill CMD: <message>" and a hint to run --help. @return CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints @err's message. @return CLI_ERROR. A write to a reader that went away (EPIPE:
 * `distill tar -o - DIR | head -c1`) ends the process quietly instead, as SIGPIPE ends cat. */
int cli_fail(const struct dt_err *err);
/* Flushes standard output. @return 0; or, when it failed, -1 after the message "cannot
 * write: standard output failed", except for a reader that went away (EPIPE: `distill
 * inspect X | head`), which ends the process quietly, as SIGPIPE ends cat. */
int cli_stdout_ok(void);

/* Warnings of the libraries (pk_warn_fn): "distill: warning: <msg>". */
void cli_warn_cb(void *ctx, const char *msg);
/* ---- options several commands share (opts.c) ---- */

/* SOURCE_DATE_EPOCH from the option @opt (or NULL), else the environment, else the default. */
int cli_epoch(const char *opt, int64_t *out, struct dt_err *err);
/* The same, its error printed: a bad --source-date-epoch is a usage error of @cmd
 * (CLI_USAGE), a bad SOURCE_DATE_EPOCH an input error (CLI_ERROR). @return 0 or the code. */
int cli_opt_epoch(const char *cmd, const char *opt, int64_t *out);
/* --compression NAME and --level N of @cmd. @return 0, or CLI_USAGE after the message. */
int cli_opt_compression(const char *cmd, const char *arg, enum dt_compression *out);
int cli_opt_level(const char *cmd, const char *arg, int *out);
/* The level for @c: its default when *@level < 0, else *@level checked against @c's range.
 * @return 0, or CLI_USAGE after the message. */
int cli_level_for(const char *cmd, enum dt_compression c, int *level);

/* ---- reports (report.c) ---- */

/* @doc (its reference taken) as indented JSON on @f. @return 0, or -1 after a message. */
int cli_print_json(FILE *f, json_t *doc);
/* Whether @a and @b name the same existing file (device and inode). */
int cli_same_file(const char *a, const char *b);
/* The lockfile beside a spec: "dir/name.yaml" -> "dir/name.lock.json" (free() it). */
char *cli_lock_path(const char *spec);
/* Where packages: the debs directory lacks come from: at lock time the apt repositories
 * (@repos set: the cache and gpgv for them), at build time what @lock pins from them, read
 * from the cache @cache; neither: nowhere. */
struct cli_offers {
	const struct pk_pin_opts *repos;
	const struct mf_lock *lock;
	const char *cache;
	struct dt_statcache *hashes; /* and the digests of unchanged files (or NULL) */
	int md5_stated;              /* pk_plan_opts.md5_stated: a build against a lock */
};
/* Loads the spec and plans its image (@of may be NULL). */
int cli_plan(const char *spec_path, const char *debs, int64_t epoch, const struct cli_offers *of,
	     struct mf_spec **spec, struct pk_image **img, struct dt_err *err);
/* Sets @po's offer from @of for @spec into *@ctx (free with pk_offers_free after the plan).
 * @return 0, or a negative code with @err set. */
int cli_plan_offers(const struct mf_spec *spec, const struct cli_offers *of,
		    struct pk_plan_opts *po, struct pk_offers **ctx, struct dt_err *err);
/* "distill: drift: <message>" for each, and a count naming @lock. */
void cli_print_drift(const struct mf_drift_list *d, const char *lock);

/* ---- secrets (secrets.c) ---- */

/* The secret check of the plan of @spec: each finding printed (allowed or refused).
 * @return 0, or -1 when one is left that allow_secrets does not allow (or on error). */
int cli_build_secrets(const struct mf_spec *spec, const struct pk_image *img);
/* `distill inspect --secrets`: the findings on @image, as text or JSON on stdout.
 * @return the exit code: 0 none, 1 some found, 2 error. */
int cli_inspect_secrets(const char *image, const char *ref, int json);

/* A progress bar on stderr, shown only when stderr is a terminal and the work has taken
 * more than a second; redrawn at most ten times a second. */
struct cli_progress {
	int enabled;
	int shown;
	const char *label;
	struct timespec start, last;
};
void cli_progress_init(struct cli_progress *p, const char *label, int quiet);
/* A dt_progress_fn on a struct cli_progress (@label, when not NULL, replaces its label). */
void cli_progress_cb(void *ctx, const char *label, uint64_t done, uint64_t total);
void cli_progress_end(struct cli_progress *p);

#endif
