/* SPDX-License-Identifier: MIT */
/* The JSON payload of freedesktop .note.dlopen ELF notes (the dlopen-metadata format):
 * an array of {"feature", "description", "priority", "soname": [...]} objects. */
#ifndef DISTILL_MANIFEST_DLOPEN_NOTE_H
#define DISTILL_MANIFEST_DLOPEN_NOTE_H

#include <stddef.h>

#include "deps/resolve.h"

/* A deps_dlopen_parse_fn: parses @json into *@out / *@n.
 * @return 0, or -DT_EINPUT with @err saying what is wrong. */
int mf_dlopen_note_parse(const char *json, struct deps_dlopen_entry **out, size_t *n,
			 struct dt_err *err);

#endif
