/* SPDX-License-Identifier: MIT */
/* The entries a tar stream keeps (private to verify/stream.c and entries.c), packed: one
 * record after another in one buffer, LEB128 numbers (zigzag for signed ones), strings
 * NUL-terminated, a user or group name stored once and then referred to by its offset, the
 * sha256 only of content that is not empty. A layer of 2M empty files takes some 40 MB so,
 * where a struct and six strings each took over 1 GB. Read back by vf_stream_entry_at(). */
#ifndef DISTILL_VERIFY_ENTRIES_H
#define DISTILL_VERIFY_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#include "verify/stream.h"

struct vf_entries {
	unsigned char *buf;
	size_t len, cap;
	uint32_t *off;          /* each record's offset */
	size_t noff, cap_off;
	uint32_t uname, gname;  /* offset + 1 of the last user and group name stored, or 0 */
	int64_t end;            /* where the end-of-archive blocks begin */
	int full;
};

struct vf_entries *vf_entries_new(void);
void vf_entries_free(struct vf_entries *x);

/* Appends @e (its strings copied in). @return 0, or -1: out of memory, or the records would
 * pass @max bytes (x->full set). */
int vf_entries_add(struct vf_entries *x, const struct vf_stream_entry *e, uint64_t max);

#endif
