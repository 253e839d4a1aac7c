/* SPDX-License-Identifier: MIT */
/* Options several commands share, parsed once (see cli.h). */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/epoch.h"
#include "packer/archive/compress.h"

int cli_opt_compression(const char *cmd, const char *arg, enum dt_compression *out)
{
	if (dt_compression_parse(arg, out) < 0)
		return cli_usage_error(cmd, "unknown compression '%s' (want none, gzip or zstd)",
				       arg);
	return 0;
}

int cli_opt_level(const char *cmd, const char *arg, int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = *arg >= '0' && *arg <= '9' ? strtoul(arg, &end, 10) : 101;
	if (v > 100 || errno || *end)
		return cli_usage_error(cmd, "--level wants a number, not '%s'", arg);
	*out = (int)v;
	return 0;
}

int cli_level_for(const char *cmd, enum dt_compression c, int *level)
{
	struct dt_err err;

	if (*level < 0)
		*level = pk_compression_default_level(c);
	if (pk_compression_check_level(c, *level, &err) < 0)
		return cli_usage_error(cmd, "%s", err.msg);
	return 0;
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

int cli_opt_epoch(const char *cmd, const char *opt, int64_t *out)
{
	struct dt_err err;

	dt_err_clear(&err);
	if (cli_epoch(opt, out, &err) == 0)
		return 0;
	/* a bad option is a usage error; a bad environment, an input error */
	return opt ? cli_usage_error(cmd, "%s", err.msg) : cli_fail(&err);
}
