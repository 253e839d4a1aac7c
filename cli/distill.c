/* SPDX-License-Identifier: MIT */
/* distill's entry point: global options, the subcommand table and dispatch (as git.c). */
#include <archive.h>
#include <jansson.h>
#include <libdeflate.h>
#include <locale.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <zstd.h>

#include "common/tempfile.h"
#include "cli/cli.h"

const struct cli_cmd cli_cmds[] = {
	{ "build", cmd_build, "build a reproducible OCI image from a spec and its lockfile" },
	{ "check", cmd_check, "check that every ELF file of an image can start in it" },
	{ "deps", cmd_deps, "list the files ld.so would open for ELF files, without running them" },
	{ "diff", cmd_diff, "explain every difference between two images or tarballs" },
	{ "fetch", cmd_fetch, "download the .deb files a lock pins into the cache, checked" },
	{ "inspect", cmd_inspect, "show an image's platform, config, layers and files with owners" },
	{ "lock", cmd_lock, "pin every input of an image spec in its lockfile, or check drift" },
	{ "sbom", cmd_sbom, "write an image's SBOM (SPDX 2.3 or CycloneDX 1.6 JSON)" },
	{ "tar", cmd_tar, "pack directories into a bit-for-bit reproducible tarball" },
	{ "verify", cmd_verify, "rebuild an image under perturbed conditions and compare the digests" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fputs("usage: distill [--version] [--help] COMMAND [ARGS]\n\n"
	      "distill turns a built application into a minimal, bit-for-bit reproducible\n"
	      "container image or tarball.\n\ncommands:\n", f);
	for (const struct cli_cmd *c = cli_cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\nRun 'distill help COMMAND' or 'distill COMMAND --help' for a command's options.\n",
	      f);
}

static void version(void)
{
	/* The libraries that shape output bytes are part of the version. */
	printf("distill %s\n", DISTILL_VERSION);
	printf("%s, zstd %s, libdeflate %s, %s, jansson %s\n", archive_version_string(),
	       ZSTD_versionString(), LIBDEFLATE_VERSION_STRING, OpenSSL_version(OPENSSL_VERSION),
	       jansson_version_str());
}

static const struct cli_cmd *find(const char *name)
{
	for (const struct cli_cmd *c = cli_cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Deep trees keep one directory open per level. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	/* Messages, names and sorting never depend on the caller's locale. */
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C");
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error (EPIPE): outputs are cleaned up,
				   * then the CLI ends quietly (cli_fail, cli_stdout_ok) */
	signal(SIGXFSZ, SIG_IGN); /* so is a file-size limit (EFBIG), not a silent death */
	dt_temp_on_signals();     /* Ctrl-C or a CI timeout leaves no temporary behind */
	raise_fd_limit();

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		version();
		return CLI_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		static char help_opt[] = "--help";
		char *help_argv[] = { NULL, help_opt, NULL };
		if (argc == 2) {
			usage(stdout);
			return CLI_OK;
		}
		if (!(c = find(argv[2]))) {
			cli_error("'%s' is not a distill command; see 'distill --help'", argv[2]);
			return CLI_USAGE;
		}
		help_argv[0] = argv[2];
		return c->run(2, help_argv);
	}
	if (argv[1][0] == '-') {
		cli_error("unknown option '%s'; see 'distill --help'", argv[1]);
		return CLI_USAGE;
	}
	if (!(c = find(argv[1]))) {
		cli_error("'%s' is not a distill command; see 'distill --help'", argv[1]);
		return CLI_USAGE;
	}
	{
		int rc = c->run(argc - 1, argv + 1);
		/* what a command printed and did not check: a failed write is an error */
		if (cli_stdout_ok() < 0 && rc == CLI_OK)
			rc = CLI_ERROR;
		return rc;
	}
}
