/* SPDX-License-Identifier: MIT */
/* libFuzzer target: OCI layouts on disk, as hostile as a directory can be. The input is a
 * recipe: four bytes choose what each file of the layout is (a regular file, a symlink to
 * /dev/zero, to /etc/passwd or to another blob, a FIFO, a directory, nothing; blobs/ or
 * blobs/sha256/ itself a symlink) and how the descriptors lie (sizes off by some bytes,
 * another digest, a diff_id that is not the layer's); the rest is the layer's bytes. The
 * layout is written in a temporary directory, then opened and every layer read with
 * verify/source.c as inspect and diff do. It must end with a result or an error, never
 * crash, hang on a FIFO, read past a descriptor's size or outside the layout; and a layer
 * read with no lie in the recipe must match its descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/tempfile.h"
#include "verify/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

enum kind { K_FILE, K_ZERO, K_PASSWD, K_OTHER, K_FIFO, K_DIR, K_NONE, K_NKINDS };

static void put(const char *dir, const char *name, enum kind k, const void *buf, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	switch (k) {
	case K_ZERO: (void)!symlink("/dev/zero", path); return;
	case K_PASSWD: (void)!symlink("/etc/passwd", path); return;
	case K_OTHER: (void)!symlink("../../oci-layout", path); return;
	case K_FIFO: mkfifo(path, 0644); return;
	case K_DIR: mkdir(path, 0755); return;
	case K_NONE: return;
	default: break;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	(void)!write(fd, buf, len);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[128], blobs[160], layer_d[DT_DIGEST_LEN], cfg_d[DT_DIGEST_LEN], man_d[DT_DIGEST_LEN];
	char cfg[512], man[1024], idx[512];
	const uint8_t *layer;
	size_t llen;
	enum kind kl, km, kc, ki;
	int lie_size, lie_diff, lie_digest, blobs_link;
	struct vf_source *s = NULL;
	struct dt_err err;
	static unsigned seq;

	if (size < 4)
		return 0;
	if (!root[0]) {
		snprintf(root, sizeof(root), "/tmp/fuzz-layout-%ld", (long)getpid());
		mkdir(root, 0755);
	}
	kl = (enum kind)(data[0] % K_NKINDS);
	km = (enum kind)((data[0] >> 4) % K_NKINDS);
	kc = (enum kind)(data[1] % K_NKINDS);
	ki = (enum kind)((data[1] >> 4) % K_NKINDS);
	lie_size = (int8_t)data[2] % 4;        /* 0: the truth */
	lie_digest = data[3] & 1;
	lie_diff = (data[3] >> 1) & 1;
	blobs_link = (data[3] >> 2) % 4;       /* 1: blobs/ a symlink, 2: blobs/sha256 one */
	layer = data + 4;
	llen = size - 4;

	snprintf(dir, sizeof(dir), "%s/l%u", root, seq++);
	dt_temp_remove_tree(AT_FDCWD, dir);
	mkdir(dir, 0755);
	put(dir, "oci-layout", K_FILE, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	snprintf(blobs, sizeof(blobs), "%s/blobs", dir);
	if (blobs_link == 1) {
		(void)!symlink("/tmp", blobs);
	} else {
		mkdir(blobs, 0755);
		snprintf(blobs, sizeof(blobs), "%s/blobs/sha256", dir);
		if (blobs_link == 2)
			(void)!symlink("/tmp", blobs);
		else
			mkdir(blobs, 0755);
	}
	dt_sha256_digest(layer, llen, layer_d);
	if (lie_digest)
		layer_d[7] = layer_d[7] == 'a' ? 'b' : 'a';
	snprintf(cfg, sizeof(cfg),
		 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":"
		 "{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
		 lie_diff ? "sha256:0000000000000000000000000000000000000000000000000000000000000000"
			  : layer_d);
	dt_sha256_digest(cfg, strlen(cfg), cfg_d);
	snprintf(man, sizeof(man),
		 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		 "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
		 "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%lld}]}",
		 cfg_d, strlen(cfg), layer_d, (long long)llen + lie_size);
	dt_sha256_digest(man, strlen(man), man_d);
	snprintf(idx, sizeof(idx),
		 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
		 "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu}]}",
		 man_d, strlen(man));
	put(dir, "index.json", ki == K_OTHER ? K_FILE : ki, idx, strlen(idx));
	if (blobs_link == 0) {
		put(blobs, man_d + 7, km, man, strlen(man));
		put(blobs, cfg_d + 7, kc, cfg, strlen(cfg));
		put(blobs, layer_d + 7, kl, layer, llen);
	}

	if (vf_source_open(dir, NULL, &s, &err) == 0) {
		/* the recipe's diff_id is the stored bytes' digest: right for a plain tar only */
		int plain = !(llen >= 2 && layer[0] == 0x1f && layer[1] == 0x8b) &&
			    !(llen >= 4 && memcmp(layer, "\x28\xb5\x2f\xfd", 4) == 0);
		int honest = kl == K_FILE && !lie_size && !lie_digest && !lie_diff && plain;
		for (size_t i = 0; i < s->nlayers; i++) {
			struct vf_stream_opts o = { .name = "'fuzz'", .entries = 1 };
			struct vf_stream st;
			int rc = vf_source_read(s, i, &o, &st, &err);
			/* a layer that is what its descriptor says is never blamed for it */
			if (rc == -DT_EMISMATCH && honest)
				abort();
			/* and one that lies is never accepted */
			if (rc == 0 && !honest && plain)
				abort();
			vf_stream_release(&st);
		}
		/* the files opened are the layout's own: nothing behind a symlink was parsed */
		if (km != K_FILE || kc != K_FILE || blobs_link || ki == K_ZERO || ki == K_PASSWD ||
		    ki == K_FIFO || ki == K_DIR || ki == K_NONE)
			abort();
		vf_source_free(s);
	}
	dt_temp_remove_tree(AT_FDCWD, dir);
	return 0;
}
