/* SPDX-License-Identifier: MIT */
/* Messages and exit codes of the CLI. */
#include "cli/cli.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/epoch.h"

const char *cli_vis(const char *s)
{
	static char *ring[8];
	static unsigned next;
	const unsigned char *c;
	char *out;

	if (!s)
		return s;
	for (c = (const unsigned char *)s; *c && *c >= 0x20 && *c < 0x7f; c++)
		;
	if (!*c)
		return s; /* printable ASCII */
	if (!(out = malloc(strlen(s) * 4 + 1)))
		return "(unprintable name)";
	if (dt_vis(out, s) == strlen(s)) {
		free(out); /* valid UTF-8 without controls: as it is */
		return s;
	}
	free(ring[next]);
	ring[next] = out;
	next = (next + 1) % 8;
	return out;
}

/* @prefix, the message with its control characters made visible, and a newline. */
static void vmessage(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	char *s = NULL;

	fputs(prefix, stderr);
	if (vasprintf(&s, fmt, ap) < 0) {
		fputs("out of memory\n", stderr);
		return;
	}
	fputs(cli_vis(s), stderr);
	fputc('\n', stderr);
	free(s);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("distill: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("distill: warning: ", fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "distill %s: ", cmd);
	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'distill %s --help'.\n", cmd);
	return CLI_USAGE;
}

/* Dies of SIGPIPE, as a program writing to a closed pipe does by default (distill ignores
 * it so that library writes fail with EPIPE and clean up first). */
static void die_of_sigpipe(void)
{
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}

/* Whether the reader of the pipe @fd writes to went away (an earlier write failed with EPIPE,
 * and errno may have changed since). */
static int reader_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

int cli_stdout_ok(void)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (errno == EPIPE || reader_gone(STDOUT_FILENO))
		die_of_sigpipe();
	cli_error("cannot write: standard output failed");
	return -1;
}

int cli_fail(const struct dt_err *err)
{
	if (err->code == DT_ESYS && err->sys_errno == EPIPE)
		die_of_sigpipe();
	cli_error("%s", err->msg[0] ? err->msg : "unknown error");
	return CLI_ERROR;
}

void cli_warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	cli_warn("%s", msg);
}

int cli_same_file(const char *a, const char *b)
{
	struct stat x, y;

	return a && b && stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
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

int cli_plan_offers(const struct mf_spec *spec, const struct cli_offers *of,
		    struct pk_plan_opts *po, struct pk_offers **ctx, struct dt_err *err)
{
	int rc = 0;

	*ctx = NULL;
	if (!of || spec->npackages == 0)
		return 0;
	if (of->repos)
		rc = pk_offers_repos(spec, of->repos, ctx, err);
	else if (of->lock)
		rc = pk_offers_lock(of->lock, of->cache, spec->file, ctx, err);
	if (rc == 0 && *ctx) {
		po->offer = pk_offer;
		po->offer_ctx = *ctx;
	}
	return rc;
}

int cli_plan(const char *spec_path, const char *debs, int64_t epoch, const struct cli_offers *of,
	     struct mf_spec **spec, struct pk_image **img, struct dt_err *err)
{
	struct pk_plan_opts po = { .debs = debs, .epoch = epoch, .warn = cli_warn_cb,
				   .hashes = of ? of->hashes : NULL,
				   .md5_stated = of ? of->md5_stated : 0 };
	struct pk_offers *ctx = NULL;
	int rc;

	*img = NULL;
	if ((rc = mf_spec_load(spec_path, spec, err)) < 0 ||
	    (rc = cli_plan_offers(*spec, of, &po, &ctx, err)) < 0)
		return rc;
	rc = pk_image_plan(*spec, &po, img, err);
	pk_offers_free(ctx);
	return rc;
}

