/* SPDX-License-Identifier: MIT */
/* libFuzzer target: images read back (packer/source.c: kind detection, index.json, the
 * manifest and config documents, docker-archive manifest.json, members through symlinks) and
 * their layers streamed (packer/stream.c), as `distill diff` and `inspect` read them. The
 * bytes are an archive file; it must give an error or a result, never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "verify/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/distill-fuzz-oci-XXXXXX";
	struct vf_source *s = NULL;
	struct dt_err err;
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0 || !(f = fdopen(fd, "wb")))
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	for (int pick = 0; pick < 2; pick++) {
		if (vf_source_open(path, pick ? "a" : NULL, &s, &err) < 0)
			continue;
		for (size_t i = 0; i < s->nlayers && i < 4; i++) {
			struct vf_stream_opts o = { .name = "'fuzz'", .entries = 1 };
			struct vf_stream st;
			vf_source_read(s, i, &o, &st, &err);
			vf_stream_release(&st);
		}
		vf_source_free(s);
		s = NULL;
	}
	unlink(path);
	return 0;
}
