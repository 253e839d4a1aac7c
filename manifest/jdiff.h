/* SPDX-License-Identifier: MIT */
/* Field-by-field comparison of two JSON documents (OCI index, manifest, config), reported
 * as one line per difference at its deepest path: "config.Env: + TZ=UTC",
 * "created: 2024-01-01T00:00:00Z -> 1970-01-01T00:00:00Z". */
#ifndef DISTILL_MANIFEST_JDIFF_H
#define DISTILL_MANIFEST_JDIFF_H

#include <jansson.h>

#include "common/err.h"

/* Receives one difference: @path ("config.Env", "history[2].created"), and what differs
 * ("+ TZ=UTC", "- X=1", "a -> b"). @a and @b are the two values as text (NULL where a side
 * has none). @return 0, or a negative code with @err set to stop. */
typedef int (*mf_jdiff_fn)(void *ctx, const char *path, const char *what, const char *a,
			   const char *b, struct dt_err *err);

/* Compares @a and @b (not modified) under the path @root ("" for none). Objects are compared key by key
 * (sorted); arrays of strings as lists (added and removed elements, or a new order); other
 * arrays element by element; scalars by value.
 * @return 0, or the first negative code of @emit (or -DT_ENOMEM). */
int mf_jdiff(json_t *a, json_t *b, const char *root, mf_jdiff_fn emit, void *ctx,
	     struct dt_err *err);

/* A value as a person reads it: strings bare (quoted when empty or odd), anything else as
 * compact JSON; cut at 200 bytes. malloc()ed, or NULL when out of memory. */
char *mf_jdiff_text(const json_t *v);

#endif
