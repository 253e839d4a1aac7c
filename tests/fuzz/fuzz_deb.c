/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the .deb reader (packer/deb.c) on arbitrary bytes: ar, nested tar,
 * compression filters, member-name checks. No crash, no out-of-bounds read, no leak. */
#include <stddef.h>
#include <stdint.h>

#include "debian/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_package *d = NULL;
	struct dt_err err;

	if (deb_package_read_mem("fuzz.deb", data, size, NULL, NULL, &d, &err) == 0) {
		volatile size_t sum = 0;
		for (size_t i = 0; i < d->nentries; i++)
			sum += d->entries[i].path[0] + (d->entries[i].size ? d->entries[i].data[0] : 0);
		(void)sum;
		deb_package_free(d);
	}
	return 0;
}
