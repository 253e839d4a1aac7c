/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the tar stream reader (packer/stream.c: gzip/zstd detection, zlib and
 * libzstd streaming, libarchive's tar reader, entry records) on arbitrary bytes, read in
 * small pieces. It must return an error or a result, never crash or leak, and a result must
 * be the same when the bytes come in one piece. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t len, off, chunk;
};

static ssize_t pull(void *ctx, void *buf, size_t cap, struct dt_err *err)
{
	struct mem *m = ctx;
	size_t n = m->len - m->off;
	(void)err;
	if (n > cap)
		n = cap;
	if (n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem a = { data, size, 0, 13 }, b = { data, size, 0, size ? size : 1 };
	struct vf_stream_opts o = { .name = "'fuzz'", .entries = 1 };
	struct vf_stream sa, sb;
	struct dt_err err;
	int ra = vf_stream_read(pull, &a, &o, &sa, &err);
	int rb = vf_stream_read(pull, &b, &o, &sb, &err);

	if ((ra < 0) != (rb < 0))
		abort(); /* the result depends on how the bytes are cut */
	if (ra == 0 && (strcmp(sa.diff_id, sb.diff_id) != 0 || sa.n != sb.n))
		abort();
	for (size_t i = 0; ra == 0 && i < sa.n; i++) {
		/* every record unpacks to the same entry either way */
		struct vf_stream_entry x, y;
		vf_stream_entry_at(&sa, i, &x);
		vf_stream_entry_at(&sb, i, &y);
		if (strcmp(x.name, y.name) != 0 || strcmp(x.name, vf_stream_name_at(&sa, i)) != 0 ||
		    x.size != y.size || x.header_bytes != y.header_bytes ||
		    memcmp(x.sha256, y.sha256, 32) != 0)
			abort();
	}
	vf_stream_release(&sa);
	vf_stream_release(&sb);
	return 0;
}
