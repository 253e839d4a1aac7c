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
	"                             (ref.name, or a docker-archive RepoTag)\n"
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

void cli_diff_print(FILE *f, const struct vf_diff *d, const char *indent)
{
	const char **sec = calloc(d->n + 1, sizeof(*sec));
	size_t nsec = 0;
	char names[128];

	if (!sec) {
		cli_error("out of memory");
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		size_t j;
		for (j = 0; j < nsec && strcmp(sec[j], d->v[i].section) != 0; j++)
			;
		if (j == nsec)
			sec[nsec++] = d->v[i].section;
	}
	for (size_t j = 0; j < nsec; j++) {
		size_t cnt = 0;
		for (size_t i = 0; i < d->n; i++)
			cnt += strcmp(d->v[i].section, sec[j]) == 0;
		fprintf(f, "%s%s (%zu)\n", indent, sec[j], cnt);
		for (size_t i = 0; i < d->n; i++)
			if (strcmp(d->v[i].section, sec[j]) == 0)
				fprintf(f, "%s  %s\n", indent, cli_vis(d->v[i].what));
	}
	if (d->n)
		fprintf(f, "%s%zu difference%s", indent, d->n, d->n == 1 ? "" : "s");
	else
		fprintf(f, "%sidentical", indent);
	if (d->hidden)
		fprintf(f, " (%zu more ignored: %s)", d->hidden,
			vf_diff_class_names(d->hidden_classes, names, sizeof(names)));
	fputc('\n', f);
	free(sec);
}

static json_t *side_json(const struct vf_source *s)
{
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?}", "path", s->path, "kind",
			 vf_source_kind_name(s->kind), "ref", s->ref, "manifest",
			 s->manifest_digest, "config", s->config_digest);
}

static json_t *classes_json(unsigned mask)
{
	char buf[128];
	json_t *arr = json_array();
	char *p, *save = NULL;

	vf_diff_class_names(mask, buf, sizeof(buf));
	for (p = strtok_r(buf, ",", &save); p && arr; p = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(p));
	return arr;
}

json_t *cli_diff_json(const struct vf_diff *d, unsigned ignore)
{
	json_t *doc, *items = json_array(), *counts = json_object();

	for (size_t i = 0; items && counts && i < d->n; i++) {
		const struct vf_diff_item *it = &d->v[i];
		json_t *c = json_object_get(counts, it->section);
		json_object_set_new(counts, it->section,
				    json_integer(c ? json_integer_value(c) + 1 : 1));
		json_array_append_new(items,
				      json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:o}", "section",
						it->section, "path", it->subject, "field", it->field,
						"text", it->what, "a", it->a, "b", it->b, "classes",
						classes_json(it->classes)));
	}
	doc = json_pack("{s:o, s:o, s:b, s:I, s:I, s:o, s:o, s:o}", "a", side_json(d->a), "b",
			side_json(d->b), "identical", d->n == 0, "total", (json_int_t)d->n,
			"ignored_count", (json_int_t)d->hidden, "ignored", classes_json(ignore),
			"counts", counts, "differences", items);
	return doc;
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
		json_t *doc = cli_diff_json(&d, o.ignore);
		char *s = NULL;
		if (!doc || mf_json_dump(doc, MF_JSON_PRETTY, &s, &err) < 0) {
			cli_error("cannot write the JSON report");
			rc = CLI_USAGE;
		} else {
			fputs(s, stdout);
		}
		free(s);
		json_decref(doc);
	} else if (!quiet) {
		side(stdout, "---", d.a);
		side(stdout, "+++", d.b);
		cli_diff_print(stdout, &d, "");
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the report: standard output failed");
		rc = CLI_USAGE;
	}
out:
	vf_diff_release(&d);
	return rc;
}
