/* SPDX-License-Identifier: MIT */
/* libFuzzer target: what debian/ parses of a root's apt and dpkg state or a repository:
 * sources files (one-line and deb822), a Release's SHA256 entries, a Packages index and an
 * update-alternatives database file, on arbitrary text; what is accepted is looked up
 * again. No crash, no out-of-bounds read, no leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "debian/apt.h"
#include "debian/dpkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_apt_sources s = { 0 };
	struct deb_apt_index *idx;
	struct dt_err err;
	char *text, sha[65], name[256];
	uint64_t n;

	if (size < 1)
		return 0;
	if (!(text = malloc(size)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		if (deb_apt_sources_parse("fuzz", text, data[0] & 4, &s, &err) == 0)
			for (size_t i = 0; i < s.n; i++)
				deb_apt_list_name(s.v[i].uri, "dists/x/InRelease", name, sizeof(name));
		break;
	case 1:
		deb_apt_release_hash("fuzz", text, "main/binary-amd64/Packages", sha, &n, &err);
		break;
	case 3: {
		struct deb_alternative a;
		if (deb_alternative_parse("fuzz", text, &a, &err) == 0)
			deb_alternative_release(&a);
		break;
	}
	default:
		if ((idx = deb_apt_index_new(&s))) {
			if (deb_apt_packages_parse(idx, "fuzz", text, strlen(text), 0, &err) == 0) {
				deb_apt_index_sort(idx);
				deb_apt_find(idx, "libc6", "2.36-9", "amd64");
			}
			deb_apt_index_free(idx);
		}
		break;
	}
	deb_apt_sources_release(&s);
	free(text);
	return 0;
}
