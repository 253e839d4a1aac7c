/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the lockfile parser (manifest/lock.c) on arbitrary bytes. It must return
 * an error or a lock, never crash or leak; a lock it accepts must write, and what it writes
 * must read back and write again to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/drift.h"
#include "manifest/lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_lock *l = NULL, *l2 = NULL;
	struct mf_drift_list d = { 0 };
	char *s = NULL, *s2 = NULL;
	struct dt_err err;

	if (mf_lock_parse("fuzz.lock.json", data, size, &l, &err) < 0)
		return 0;
	if (mf_lock_dump(l, &s, &err) < 0)
		abort(); /* parsing accepted what writing refuses */
	if (mf_lock_parse("fuzz.lock.json", s, strlen(s), &l2, &err) < 0 ||
	    mf_lock_dump(l2, &s2, &err) < 0 || strcmp(s, s2) != 0)
		abort(); /* not a fixed point */
	if (mf_lock_compare(l, l2, &d, &err) < 0 || d.n != 0)
		abort(); /* a lock differs from its own copy */
	mf_drift_list_release(&d);
	free(s);
	free(s2);
	mf_lock_free(l);
	mf_lock_free(l2);
	return 0;
}
