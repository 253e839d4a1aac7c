/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the records of the cache (common/statcache.c's stat cache, and
 * packer/image/layercache.c's layer records) on arbitrary bytes. The first byte chooses
 * which; the rest is written as the record and read back. A record is ignored or taken,
 * never a crash or a leak; a stat cache that loads saves and loads again to the same
 * entries; a layer record that parses names a blob it then looks for (absent here). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cache.h"
#include "common/statcache.h"
#include "common/tempfile.h"
#include "packer/image/writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char key[] = "5a1f2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

static struct dt_cache the_cache = { .fd = -1 };
static char dir[128];

static void gone(void)
{
	dt_cache_close(&the_cache);
	dt_temp_remove_tree(AT_FDCWD, dir);
}

/* One cache for the whole run, removed at its end. */
static struct dt_cache *cache(void)
{
	struct dt_err err;

	if (the_cache.fd >= 0)
		return &the_cache;
	snprintf(dir, sizeof(dir), "%s/distill-fuzz-cache-XXXXXX", dt_temp_tree_base());
	if (!mkdtemp(dir) || dt_cache_open(&the_cache, dir, &err) < 0)
		abort();
	atexit(gone);
	return &the_cache;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_cache *c = cache();
	struct dt_err err;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct pk_tar_opts o = { .compression = DT_COMP_GZIP, .level = 6 };
		struct pk_tar_result r;
		int fd = -1, rc;
		if (dt_cache_record_write(c, "layers", key, data + 1, size - 1, &err) < 0)
			abort();
		rc = pk_layer_cache_get(c, key, &o, &r, &fd, &err);
		if (rc > 0 || fd >= 0)
			abort(); /* no blob is in this cache */
	} else {
		struct dt_statcache s, s2;
		if (dt_cache_record_write(c, "hashes", key, data + 1, size - 1, &err) < 0 ||
		    dt_statcache_load(&s, c, key, &err) < 0)
			abort();
		for (size_t i = 0; i < s.n; i++)
			s.v[i].used = 1;
		s.nadd = 0;
		if (s.n) {
			/* mark one unused, so that save writes; what it writes loads again */
			s.v[0].used = 0;
			if (dt_statcache_save(&s, &err) < 0 || dt_statcache_load(&s2, c, key, &err) < 0 ||
			    s2.n != s.n - 1)
				abort();
			dt_statcache_release(&s2);
		}
		dt_statcache_release(&s);
	}
	return 0;
}
