/* SPDX-License-Identifier: MIT */
/* The layer cache (see writer.h): a layer's blob kept in the content-addressed cache under
 * the key of its exact inputs, so that an unchanged layer is never compressed again. */
#include "packer/image/writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/compression.h"

/* Bumped whenever the bytes the tar engine writes for a tree change: a cached layer is the
 * old bytes, and must not be found by the new writer. */
#define PK_LAYER_FORMAT "distill-layer 1"

int pk_layer_key(const struct pk_tree *t, const struct pk_tar_opts *o, char key[65],
		 struct dt_err *err)
{
	struct dt_hash *h = dt_hash_new(DT_HASH_SHA256, err);
	unsigned char md[DT_SHA256_LEN];
	char line[128], hex[65];
	int rc = 1;

	if (!h)
		return -DT_ELIB;
	snprintf(line, sizeof(line), PK_LAYER_FORMAT "\n%s\n%s %d\n", DISTILL_VERSION,
		 dt_compression_name(o->compression), o->level);
	dt_hash_update(h, line, strlen(line));
	for (size_t i = 0; i < pk_tree_count(t); i++) {
		const struct pk_entry *e = pk_tree_entry(t, i);
		if (e->type == PK_REG && !e->has_sha256) {
			rc = 0; /* content known only by reading it: not cached */
			break;
		}
		/* every field the writer puts in the tar, NUL-separated (paths hold no NUL) */
		dt_hash_update(h, e->path, strlen(e->path) + 1);
		dt_hash_update(h, e->link ? e->link : "", strlen(e->link ? e->link : "") + 1);
		dt_hex(e->sha256, e->type == PK_REG ? DT_SHA256_LEN : 0, hex);
		snprintf(line, sizeof(line), "%d %o %" PRIu32 " %" PRIu32 " %" PRId64 " %" PRIu64 " %s",
			 (int)e->type, (unsigned)e->mode, e->uid, e->gid, e->mtime,
			 e->type == PK_REG ? e->size : 0, e->type == PK_REG ? hex : "-");
		dt_hash_update(h, line, strlen(line) + 1);
	}
	dt_hash_final(h, md);
	dt_hash_free(h);
	dt_hex(md, sizeof(md), key);
	return rc;
}

/* Parses the record @text of @key into @r. @return 0, or -1 when it is not one. */
static int parse_record(const char *text, const char *key, const struct pk_tar_opts *o,
			struct pk_tar_result *r)
{
	char k[65], comp[16], digest[80], diff_id[80];
	unsigned long long size, tar_size, entries;
	int level, used = 0;

	if (sscanf(text,
		   PK_LAYER_FORMAT "\nkey %64s\ncompression %15s %d\ndigest %79s\ndiff_id %79s\n"
				   "size %llu\ntar_size %llu\nentries %llu\n%n",
		   k, comp, &level, digest, diff_id, &size, &tar_size, &entries, &used) != 8 ||
	    text[used] != '\0')
		return -1;
	/* a record under another key, or for other compression, is not this layer's */
	if (strcmp(k, key) != 0 || strcmp(comp, dt_compression_name(o->compression)) != 0 ||
	    level != o->level)
		return -1;
	if (strlen(digest) != 71 || strncmp(digest, "sha256:", 7) != 0 ||
	    !dt_is_hex(digest + 7, 64) || strlen(diff_id) != 71 ||
	    strncmp(diff_id, "sha256:", 7) != 0 || !dt_is_hex(diff_id + 7, 64))
		return -1;
	memcpy(r->digest, digest, DT_DIGEST_LEN);
	memcpy(r->diff_id, diff_id, DT_DIGEST_LEN);
	r->blob_size = size;
	r->tar_size = tar_size;
	r->entries = (size_t)entries;
	return 0;
}

int pk_layer_cache_get(struct dt_cache *c, const char *key, const struct pk_tar_opts *o,
		       struct pk_tar_result *r, int *fd, struct dt_err *err)
{
	char *text = NULL;
	size_t len;
	int rc, corrupt;

	*fd = -1;
	if ((rc = dt_cache_record_read(c, "layers", key, 4096, &text, &len, err)) <= 0)
		return rc;
	if (strlen(text) != len || parse_record(text, key, o, r) < 0) {
		free(text);
		dt_cache_record_remove(c, "layers", key);
		return 0; /* damaged, or another layer's: built afresh, and recorded again */
	}
	free(text);
	/* the blob is checked by its digest on the descriptor that is then used */
	if ((rc = dt_cache_open_checked(c, r->digest + 7, r->blob_size, fd, &corrupt, err)) <= 0)
		return rc;
	dt_cache_touch(c, NULL, r->digest + 7);
	dt_cache_touch(c, "layers", key);
	return 1;
}

int pk_layer_cache_put(struct dt_cache *c, const char *key, const struct pk_tar_opts *o,
		       int fd, const struct pk_tar_result *r, struct dt_err *err)
{
	struct dt_buf b = { 0 };
	int rc;

	if ((rc = dt_cache_put_fd(c, fd, r->digest + 7, r->blob_size, err)) < 0)
		return rc;
	dt_buf_add(&b,
		   PK_LAYER_FORMAT "\nkey %s\ncompression %s %d\ndigest %s\ndiff_id %s\n"
				   "size %" PRIu64 "\ntar_size %" PRIu64 "\nentries %zu\n",
		   key, dt_compression_name(o->compression), o->level, r->digest, r->diff_id,
		   r->blob_size, r->tar_size, r->entries);
	if (b.oom) {
		dt_buf_release(&b);
		return dt_oom(err);
	}
	rc = dt_cache_record_write(c, "layers", key, b.s, b.len, err);
	dt_buf_release(&b);
	return rc;
}
