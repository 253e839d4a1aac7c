/* SPDX-License-Identifier: MIT */
/* The single JSON serialization policy (see json.h). */
#include "manifest/json.h"

#include <stdlib.h>
#include <string.h>

int mf_json_dump(const json_t *doc, enum mf_json_style style, char **out, struct dt_err *err)
{
	size_t flags = JSON_SORT_KEYS | JSON_REAL_PRECISION(17);
	char *s, *withnl;
	size_t len;

	flags |= style == MF_JSON_PRETTY ? JSON_INDENT(2) : JSON_COMPACT;
	s = json_dumps(doc, flags);
	if (!s)
		return dt_err_set(err, DT_ENOMEM, "cannot serialize JSON document");
	if (style == MF_JSON_COMPACT) {
		*out = s;
		return 0;
	}
	len = strlen(s);
	withnl = realloc(s, len + 2);
	if (!withnl) {
		free(s);
		return dt_err_set(err, DT_ENOMEM, "cannot serialize JSON document");
	}
	withnl[len] = '\n';
	withnl[len + 1] = '\0';
	*out = withnl;
	return 0;
}

json_t *mf_json_text(const char *s)
{
	json_t *v;
	char *fixed;

	if (!s)
		return NULL;
	if ((v = json_string(s)))
		return v;
	if (!(fixed = dt_utf8_escape(s)))
		return NULL;
	v = json_string(fixed);
	free(fixed);
	return v;
}
