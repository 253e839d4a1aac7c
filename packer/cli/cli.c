/* SPDX-License-Identifier: MIT */
/* Messages and exit codes of the CLI. */
#include "packer/cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/epoch.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("distill: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	fputs("distill: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "distill %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'distill %s --help'.\n", cmd);
	return CLI_USAGE;
}

int cli_fail(const struct dt_err *err)
{
	cli_error("%s", err->msg[0] ? err->msg : "unknown error");
	return CLI_ERROR;
}

void cli_warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	cli_warn("%s", msg);
}

int cli_epoch(const char *opt, int64_t *out, struct dt_err *err)
{
	*out = DT_EPOCH_DEFAULT;
	if (opt)
		return dt_epoch_parse(opt, "--source-date-epoch", out, err);
	if (getenv("SOURCE_DATE_EPOCH"))
		return dt_epoch_parse(getenv("SOURCE_DATE_EPOCH"), "SOURCE_DATE_EPOCH", out, err);
	return 0;
}

char *cli_lock_path(const char *spec)
{
	size_t n = strlen(spec);
	char *p;

	if (n > 5 && strcmp(spec + n - 5, ".yaml") == 0)
		n -= 5;
	else if (n > 4 && strcmp(spec + n - 4, ".yml") == 0)
		n -= 4;
	if (asprintf(&p, "%.*s.lock.json", (int)n, spec) < 0)
		return NULL;
	return p;
}

int cli_plan(const char *spec_path, const char *debs, int64_t epoch, struct mf_spec **spec,
	     struct pk_image **img, struct dt_err *err)
{
	struct pk_plan_opts po = { .debs = debs, .epoch = epoch, .warn = cli_warn_cb };
	int rc;

	*img = NULL;
	if ((rc = mf_spec_load(spec_path, spec, err)) < 0)
		return rc;
	return pk_image_plan(*spec, &po, img, err);
}

void cli_print_drift(const struct mf_drift_list *d, const char *lock)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "distill: drift: %s\n", d->v[i].message);
	fprintf(stderr, "distill: %zu input%s differ%s from '%s'\n", d->n, d->n == 1 ? "" : "s",
		d->n == 1 ? "s" : "", lock);
}
