/* SPDX-License-Identifier: MIT */
/* Reports several commands print: comparisons (diff, verify), drift (lock, build), and JSON
 * documents on standard output. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "manifest/json.h"

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
	if (d->more)
		fprintf(f, "%s... and %zu more, not shown\n", indent, d->more);
	if (d->n)
		fprintf(f, "%s%zu difference%s", indent, d->n + d->more,
			d->n + d->more == 1 ? "" : "s");
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
	return json_pack("{s:o, s:s, s:o?, s:s?, s:s?}", "path", mf_json_text(s->path), "kind",
			 vf_source_kind_name(s->kind), "ref", mf_json_text(s->ref), "manifest",
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
				      json_pack("{s:s, s:o, s:s, s:o, s:o?, s:o?, s:o}", "section",
						it->section, "path", mf_json_text(it->subject),
						"field", it->field, "text", mf_json_text(it->what),
						"a", mf_json_text(it->a), "b", mf_json_text(it->b),
						"classes", classes_json(it->classes)));
	}
	doc = json_pack("{s:o, s:o, s:b, s:I, s:I, s:I, s:o, s:o, s:o}", "a", side_json(d->a),
			"b", side_json(d->b), "identical", d->n == 0, "total",
			(json_int_t)(d->n + d->more), "not_shown", (json_int_t)d->more,
			"ignored_count", (json_int_t)d->hidden, "ignored", classes_json(ignore),
			"counts", counts, "differences", items);
	return doc;
}

void cli_print_drift(const struct mf_drift_list *d, const char *lock)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "distill: drift: %s\n", cli_vis(d->v[i].message));
	fprintf(stderr, "distill: %zu input%s differ%s from '%s'\n", d->n, d->n == 1 ? "" : "s",
		d->n == 1 ? "s" : "", lock);
}

int cli_print_json(FILE *f, json_t *doc)
{
	struct dt_err err;
	char *s = NULL;
	int rc = 0;

	if (!doc || mf_json_dump(doc, MF_JSON_PRETTY, &s, &err) < 0) {
		cli_error("cannot write the JSON report");
		rc = -1;
	} else {
		fputs(s, f);
	}
	free(s);
	json_decref(doc);
	return rc;
}
