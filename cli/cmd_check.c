/* SPDX-License-Identifier: MIT */
/* `distill check`: can every ELF file of an image start in it? */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "manifest/json.h"
#include "verify/check.h"

static const char check_usage[] =
	"usage: distill check [options] IMAGE\n"
	"\n"
	"Checks that every ELF file of IMAGE (an OCI layout, OCI archive, docker-archive or\n"
	"tarball), as a container sees it, can start there: its interpreter exists and every\n"
	"DT_NEEDED of it and of what it loads resolves inside the image as ld.so would resolve\n"
	"it (RPATH, RUNPATH and $ORIGIN, the image's ld.so.cache or ld.so.conf, the default\n"
	"directories), a library of another class or machine passed over, every symbol\n"
	"version it needs (DT_VERNEED: GLIBC_2.34, a project library's own) is defined by the\n"
	"library that satisfies it, and every executable #! script's interpreter exists. Nothing is\n"
	"run and nothing of this machine is used. `distill build` runs the same check on its\n"
	"plan before it writes anything.\n"
	"\n"
	"      --ref REF              the image to check when an index holds several\n"
	"      --allow PATTERN        a problem that is allowed: \"FILE\" or \"FILE: NEED\"\n"
	"                             (fnmatch patterns; repeatable)\n"
	"      --symbols              also every undefined symbol that a program and the\n"
	"                             libraries it loads bind at start-up (as LD_BIND_NOW\n"
	"                             would): exported, in its version, by an object of its\n"
	"                             process\n"
	"      --json                 the result as JSON on stdout\n"
	"  -q, --quiet                print only the problems\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 every one can start, 1 some cannot (each named), 2 error or usage.\n";

enum { OPT_REF = 256, OPT_ALLOW, OPT_JSON, OPT_SYMBOLS };

static const struct option check_options[] = {
	{ "ref", required_argument, NULL, OPT_REF },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "symbols", no_argument, NULL, OPT_SYMBOLS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static json_t *to_json(const char *image, const struct deps_check *c, size_t left)
{
	json_t *problems = json_array();

	for (size_t i = 0; problems && i < c->n; i++)
		if (!c->v[i].allowed)
			json_array_append_new(problems,
				      json_pack("{s:o, s:o, s:o}", "file",
						mf_json_text(c->v[i].file), "need",
						mf_json_text(c->v[i].need), "why",
						mf_json_text(c->v[i].why)));
	return json_pack("{s:o, s:b, s:I, s:I, s:o}", "image", mf_json_text(image), "ok",
			 left == 0, "checked", (json_int_t)c->nchecked, "allowed",
			 (json_int_t)(c->n - left), "problems", problems);
}

int cmd_check(int argc, char **argv)
{
	struct vf_check_opts o = { 0 };
	struct deps_check res = { 0 };
	const char **allow = NULL;
	size_t nallow = 0, left, allowed;
	int json = 0, quiet = 0, c, rc;
	struct dt_err err;

	dt_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", check_options, NULL)) != -1) {
		switch (c) {
		case OPT_REF: o.ref = optarg; break;
		case OPT_ALLOW: {
			const char **n = realloc(allow, (nallow + 1) * sizeof(*allow));
			if (!n) {
				free(allow);
				cli_error("out of memory");
				return CLI_ERROR;
			}
			allow = n;
			allow[nallow++] = optarg;
			break;
		}
		case OPT_JSON: json = 1; break;
		case OPT_SYMBOLS: o.flags |= DEPS_CHECK_SYMBOLS; break;
		case 'q': quiet = 1; break;
		case 'h': free(allow); fputs(check_usage, stdout); return CLI_OK;
		case ':':
			free(allow);
			return cli_usage_error("check", "option '%s' needs a value", argv[optind - 1]);
		default:
			free(allow);
			return cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		free(allow);
		return cli_usage_error("check", "needs one IMAGE");
	}
	rc = CLI_USAGE; /* 2: could not check */
	if (vf_check_image(argv[optind], &o, &res, &err) < 0) {
		cli_fail(&err);
		goto out;
	}
	left = deps_check_allow(&res, allow, nallow);
	allowed = res.n - left;
	if (json) {
		if (cli_print_json(stdout, to_json(argv[optind], &res, left)) < 0)
			goto out;
	} else {
		for (size_t i = 0; i < res.n; i++) {
			const struct deps_problem *p = &res.v[i];
			if (p->allowed)
				continue;
			if (p->need[0])
				printf("%s: needs %s: ", cli_vis(p->file), cli_vis(p->need));
			else
				printf("%s: ", cli_vis(p->file));
			printf("%s\n", cli_vis(p->why));
		}
		if (!quiet || left)
			printf("%zu ELF files and scripts checked: %s", res.nchecked,
			       left ? "some cannot start" : "every one can start");
		if ((!quiet || left) && allowed)
			printf(" (%zu problem%s allowed)", allowed, allowed == 1 ? "" : "s");
		if (!quiet || left)
			putchar('\n');
	}
	rc = cli_stdout_ok() < 0 ? CLI_USAGE : left ? CLI_ERROR : CLI_OK;
out:
	deps_check_release(&res);
	free(allow);
	return rc;
}
