/* SPDX-License-Identifier: MIT */
/* Messages and exit codes of the CLI. */
#include "packer/cli/cli.h"

#include <stdarg.h>

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
