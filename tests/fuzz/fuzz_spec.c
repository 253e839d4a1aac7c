/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the image-spec parser (manifest/spec.c) on arbitrary bytes. It must
 * return a spec or an error, never crash, read out of bounds or leak. */
#include <stddef.h>
#include <stdint.h>

#include "manifest/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_spec *s = NULL;
	struct dt_err err;

	if (mf_spec_parse("fuzz.yaml", "/src", data, size, &s, &err) == 0)
		mf_spec_free(s);
	return 0;
}
