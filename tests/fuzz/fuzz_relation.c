/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the relationship parser of debian/relation.c (Depends, Provides of an
 * untrusted .deb's control) on arbitrary text, and the version comparison on what it
 * accepts: no crash, no out-of-bounds read, no leak; comparison is antisymmetric. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "debian/relation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_relations r;
	struct dt_err err;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (deb_relations_parse(text, &r, &err) == 0) {
		const char *prev = NULL;
		char buf[512];
		for (size_t i = 0; i < r.n; i++) {
			deb_rel_clause_format(&r.v[i], buf, sizeof(buf));
			for (size_t k = 0; k < r.v[i].nalts; k++) {
				const char *v = r.v[i].alts[k].version;
				if (!v)
					continue;
				if (prev) {
					int a = deb_version_cmp(prev, v), b = deb_version_cmp(v, prev);
					if ((a < 0) != (b > 0) || (a == 0) != (b == 0))
						abort();
				}
				prev = v;
			}
		}
	}
	deb_relations_release(&r);
	free(text);
	return 0;
}
