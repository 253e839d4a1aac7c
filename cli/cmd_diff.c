/* SPDX-License-Identifier: MIT */
/* `distill diff`: explains the difference between two images or tarballs. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest/json.h"
#include "cli/cli.h"
#include "verify/diff.h"

static const char diff_usage[] =
	"usage: distill diff [options] A B\n"
	"\n"
	"Compares two images or two tarballs and prints each difference once, at the deepest\n"
	"level that explains it: index, manifest, config (field by field), layer compression,\n"
	"then entry by entry (type, mode, owners, times, size, content, link target, xattrs,\n"
	"tar header format, position). A and B may each be an OCI layout directory, an OCI\n"
	"archive, a docker-archive, or a .tar, .tar.gz or .tar.zst tarball; the kind is\n"
	"detected. Layers are streamed.\n"
	"\n"
	"      --ref REF              the image to compare when an index holds several\n"
	"                             (its tag, name or full name, or a docker-archive\n"
	"                             RepoTag)\n"
	"      --ref-a REF, --ref-b REF   the same for one side only\n"
	"      --ignore CLASSES       hide these classes of differences, comma-separated:\n"
	"                             timestamps, order, owners, compression, history\n"
	"      --json                 print the report as JSON on stdout\n"
	"  -q, --quiet                print nothing; the exit status tells\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 identical (up to what is ignored), 1 different, 2 error or usage.\n"
	"See docs/verify.md.\n";

enum { OPT_REF = 256, OPT_REF_A, OPT_REF_B, OPT_IGNORE, OPT_JSON };

static const struct option diff_options[] = {
	{ "ref", required_argument, NULL, OPT_REF },
	{ "ref-a", required_argument, NULL, OPT_REF_A },
	{ "ref-b", required_argument, NULL, OPT_REF_B },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void side(FILE *f, const char *mark, const struct vf_source *s)
{
	char d[24];
	fprintf(f, "%s %s (%s", mark, cli_vis(s->path), vf_source_kind_name(s->kind));
	if (s->ref)
		fprintf(f, ", %s", cli_vis(s->ref));
	if (s->manifest_digest)
		fprintf(f, ", manifest %s", dt_digest_short(s->manifest_digest, d));
	fputs(")\n", f);
}

int cmd_diff(int argc, char **argv)
{
	const char *ref_a = NULL, *ref_b = NULL;
	int json = 0, quiet = 0, c, rc = CLI_USAGE;
	struct vf_diff_opts o = { 0 };
	struct vf_diff d = { 0 };
	struct cli_progress prog;
	struct dt_err err;

	dt_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", diff_options, NULL)) != -1) {
		switch (c) {
		case OPT_REF: ref_a = ref_b = optarg; break;
		case OPT_REF_A: ref_a = optarg; break;
		case OPT_REF_B: ref_b = optarg; break;
		case OPT_IGNORE:
			if (vf_diff_parse_ignore(optarg, &o.ignore, &err) < 0)
				return cli_usage_error("diff", "%s", err.msg);
			break;
		case OPT_JSON: json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(diff_usage, stdout); return CLI_OK;
		case ':': return cli_usage_error("diff", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("diff", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("diff", "needs two images or tarballs, A and B");
	o.ref_a = ref_a;
	o.ref_b = ref_b;
	cli_progress_init(&prog, "reading", quiet || json);
	o.progress = cli_progress_cb;
	o.progress_ctx = &prog;
	if (vf_diff_run(argv[optind], argv[optind + 1], &o, &d, &err) < 0) {
		cli_progress_end(&prog);
		cli_fail(&err);
		rc = CLI_USAGE; /* 2: could not compare */
		goto out;
	}
	cli_progress_end(&prog);
	rc = d.n ? CLI_ERROR : CLI_OK;
	if (json) {
		if (cli_print_json(stdout, cli_diff_json(&d, o.ignore)) < 0)
			rc = CLI_USAGE;
	} else if (!quiet) {
		side(stdout, "---", d.a);
		side(stdout, "+++", d.b);
		cli_diff_print(stdout, &d, "");
	}
	if (cli_stdout_ok() < 0)
		rc = CLI_USAGE;
out:
	vf_diff_release(&d);
	return rc;
}
