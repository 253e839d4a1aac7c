/* SPDX-License-Identifier: MIT */
/* JSON serialization with one policy for every document distill writes: sorted keys,
 * "/" not escaped, UTF-8 kept, and a final newline for the human-facing (indented) form. */
#ifndef DISTILL_MANIFEST_JSON_H
#define DISTILL_MANIFEST_JSON_H

#include <jansson.h>

#include "common/err.h"

enum mf_json_style {
	MF_JSON_COMPACT, /* canonical bytes for hashed documents: no spaces, no newline */
	MF_JSON_PRETTY,  /* two-space indent and a final newline, for people and diffs */
};

/* Serializes @doc into a new NUL-terminated string in *@out (free() it).
 * @return 0, or a negative code with @err set. */
int mf_json_dump(const json_t *doc, enum mf_json_style style, char **out, struct dt_err *err);

/* A JSON string of @s, which may hold any bytes (a file name): valid UTF-8 as it is, each
 * byte that is not UTF-8 as the text \xHH (JSON strings are Unicode). NULL for a NULL @s, or
 * when out of memory. */
json_t *mf_json_text(const char *s);

#endif
