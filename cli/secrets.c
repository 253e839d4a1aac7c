/* SPDX-License-Identifier: MIT */
/* The secret findings as `distill build` (its refusal, and what allow_secrets let through)
 * and `distill inspect --secrets` (text or JSON) print them. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "manifest/json.h"
#include "manifest/secret.h"
#include "verify/secrets.h"

int cli_build_secrets(const struct mf_spec *spec, const struct pk_image *img)
{
	struct mf_secret_list l;
	struct dt_err err;
	size_t left = 0;

	dt_err_clear(&err);
	if (pk_image_secrets(img, &l, &err) < 0) {
		cli_fail(&err);
		return -1;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct mf_secret_found *f = &l.v[i];
		if (f->allowed) {
			cli_error("%s: allowed: %s: looks like a secret (rule %s): %s; allow_secrets "
				  "lets it through", spec->file, f->path, f->rule, f->why);
			continue;
		}
		left++;
		cli_error("%s: %s: looks like a secret (rule %s): %s; allow it with allow_secrets",
			  spec->file, f->path, f->rule, f->why);
	}
	if (left)
		cli_error("build refused: %zu file%s that look%s like %s; nothing was written "
			  "(see docs/security.md)", left, left == 1 ? "" : "s", left == 1 ? "s" : "",
			  left == 1 ? "a secret" : "secrets");
	mf_secret_list_release(&l);
	return left ? -1 : 0;
}

int cli_inspect_secrets(const char *image, const char *ref, int json)
{
	struct mf_secret_list l;
	struct dt_err err;
	size_t nfiles = 0;
	int rc;

	dt_err_clear(&err);
	if (vf_secrets_image(image, ref, &l, &nfiles, &err) < 0) {
		cli_fail(&err);
		return 2;
	}
	if (json) {
		json_t *v = json_array();
		for (size_t i = 0; v && i < l.n; i++)
			json_array_append_new(v, json_pack("{s:o, s:s, s:s}", "path",
							   mf_json_text(l.v[i].path), "rule",
							   l.v[i].rule, "why", l.v[i].why));
		rc = cli_print_json(stdout, json_pack("{s:o, s:o?, s:I, s:o}", "image",
						      mf_json_text(image), "ref", mf_json_text(ref),
						      "files", (json_int_t)nfiles, "secrets", v));
	} else {
		for (size_t i = 0; i < l.n; i++)
			printf("%s: looks like a secret (rule %s): %s\n", cli_vis(l.v[i].path),
			       l.v[i].rule, l.v[i].why);
		if (l.n == 1)
			printf("1 of %zu files looks like a secret\n", nfiles);
		else
			printf("%zu of %zu files look like secrets\n", l.n, nfiles);
		rc = 0;
	}
	if (rc == 0 && cli_stdout_ok() < 0)
		rc = -1;
	rc = rc < 0 ? 2 : l.n ? 1 : 0;
	mf_secret_list_release(&l);
	return rc;
}
