/* SPDX-License-Identifier: MIT */
/* Compression names (see compression.h). */
#include "common/compression.h"

#include <string.h>

static const char *const names[] = { "none", "gzip", "zstd" };

int dt_compression_parse(const char *name, enum dt_compression *out)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum dt_compression)i;
			return 0;
		}
	return -1;
}

const char *dt_compression_name(enum dt_compression c)
{
	return (unsigned)c < 3 ? names[c] : "none";
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int dt_compression_from_suffix(const char *path, enum dt_compression *out)
{
	if (ends_with(path, ".tar"))
		*out = DT_COMP_NONE;
	else if (ends_with(path, ".tar.gz") || ends_with(path, ".tgz"))
		*out = DT_COMP_GZIP;
	else if (ends_with(path, ".tar.zst") || ends_with(path, ".tzst"))
		*out = DT_COMP_ZSTD;
	else
		return 0;
	return 1;
}
