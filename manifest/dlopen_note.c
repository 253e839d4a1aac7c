/* SPDX-License-Identifier: MIT */
/* .note.dlopen payload parsing with jansson (see dlopen_note.h). */
#include "manifest/dlopen_note.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 256
#define MAX_SONAMES 64

static int opt_string(json_t *o, const char *key, char **out, struct dt_err *err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return dt_err_set(err, DT_EINPUT, "\"%s\" is not a string", key);
	return (*out = strdup(json_string_value(v))) ? 0 : dt_oom(err);
}

int mf_dlopen_note_parse(const char *json, struct deps_dlopen_entry **out, size_t *n,
			 struct dt_err *err)
{
	json_error_t je;
	json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	struct deps_dlopen_entry *v = NULL;
	size_t count = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!doc)
		return dt_err_set(err, DT_EINPUT, "not JSON: %s (line %d)", je.text, je.line);
	if (!json_is_array(doc) || json_array_size(doc) > MAX_ENTRIES) {
		rc = dt_err_set(err, DT_EINPUT, "not an array of at most %d features", MAX_ENTRIES);
		goto out;
	}
	if (json_array_size(doc) && !(v = calloc(json_array_size(doc), sizeof(*v)))) {
		rc = dt_oom(err);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(doc); i++) {
		json_t *o = json_array_get(doc, i), *sonames;
		struct deps_dlopen_entry *e = &v[count++];
		if (!json_is_object(o)) {
			rc = dt_err_set(err, DT_EINPUT, "feature %zu is not an object", i);
			goto out;
		}
		if ((rc = opt_string(o, "feature", &e->feature, err)) < 0 ||
		    (rc = opt_string(o, "priority", &e->priority, err)) < 0)
			goto out;
		if (e->priority && strcmp(e->priority, "required") != 0 &&
		    strcmp(e->priority, "recommended") != 0 && strcmp(e->priority, "suggested") != 0) {
			rc = dt_err_set(err, DT_EINPUT, "unknown priority \"%s\"", e->priority);
			goto out;
		}
		sonames = json_object_get(o, "soname");
		if (!json_is_array(sonames) || json_array_size(sonames) == 0 ||
		    json_array_size(sonames) > MAX_SONAMES) {
			rc = dt_err_set(err, DT_EINPUT, "feature %zu has no \"soname\" array", i);
			goto out;
		}
		if (!(e->sonames = calloc(json_array_size(sonames), sizeof(char *)))) {
			rc = dt_oom(err);
			goto out;
		}
		for (size_t k = 0; k < json_array_size(sonames); k++) {
			json_t *s = json_array_get(sonames, k);
			const char *str = json_string_value(s);
			if (!str || !*str || strchr(str, '/')) {
				rc = dt_err_set(err, DT_EINPUT, "feature %zu: a soname is not a file name", i);
				goto out;
			}
			if (!(e->sonames[e->nsonames++] = strdup(str))) {
				rc = dt_oom(err);
				goto out;
			}
		}
	}
out:
	json_decref(doc);
	if (rc < 0) {
		deps_dlopen_entries_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}
