/* SPDX-License-Identifier: MIT */
/* oci-archive and docker-archive, written as archives: each layer is compressed into an
 * anonymous temporary (its name, the digest, is known only at its end, and the outer tar is
 * sorted), the documents stay in memory, and the outer tar is then written straight from
 * them, under the same rules as a layer (sorted, mtime = epoch, owner 0:0, modes 0644 and
 * 0755), to a temporary beside OUT renamed into place. Nothing is left behind on any end. */
#include "packer/image/writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/outfile.h"
#include "common/tempfile.h"

/* One blob of the archive, once per digest. */
struct blob {
	char digest[DT_DIGEST_LEN];
	int fd;             /* a layer: its anonymous temporary; -1 for a document */
	char *text;         /* a document, or NULL */
	uint64_t size;
};

struct blobs {
	struct blob *v;
	size_t n, cap;
	char *dir;          /* where the temporaries are made: OUT's directory */
	const char *out;
};

static struct blob *blob_find(struct blobs *b, const char *digest)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].digest, digest) == 0)
			return &b->v[i];
	return NULL;
}

static struct blob *blob_push(struct blobs *b)
{
	struct blob *v = dt_grow(b->v, &b->cap, b->n, sizeof(*b->v));

	if (!v)
		return NULL;
	b->v = v;
	v = &b->v[b->n++];
	memset(v, 0, sizeof(*v));
	v->fd = -1;
	return v;
}

static int blob_layer(void *ctx, const struct pk_tree *t, const struct pk_tar_opts *o,
		      struct pk_tar_result *r, struct dt_err *err)
{
	struct blobs *b = ctx;
	struct blob *bl;
	int fd = dt_temp_anon(b->dir), rc;

	if (fd < 0)
		return dt_err_sys(err, errno, "cannot create a temporary file in '%s'", b->dir);
	if ((rc = pk_tar_write(t, fd, b->out, o, r, err)) < 0) {
		close(fd);
		return rc;
	}
	if (blob_find(b, r->digest)) { /* the same bytes as another layer */
		close(fd);
		return 0;
	}
	if (!(bl = blob_push(b))) {
		close(fd);
		return dt_oom(err);
	}
	memcpy(bl->digest, r->digest, DT_DIGEST_LEN);
	bl->fd = fd;
	bl->size = r->blob_size;
	return 0;
}

static int blob_text(void *ctx, const char *text, char *digest, struct dt_err *err)
{
	struct blobs *b = ctx;
	struct blob *bl;

	dt_sha256_digest(text, strlen(text), digest);
	if (blob_find(b, digest))
		return 0;
	if (!(bl = blob_push(b)) || !(bl->text = strdup(text)))
		return dt_oom(err);
	memcpy(bl->digest, digest, DT_DIGEST_LEN);
	bl->size = strlen(text);
	return 0;
}

/* A cached layer: its descriptor, kept until the outer tar is written. */
static int blob_reuse(void *ctx, int fd, const char *digest, uint64_t size, struct dt_err *err)
{
	struct blobs *b = ctx;
	struct blob *bl;
	int own;

	if (blob_find(b, digest))
		return 0;
	if ((own = dup(fd)) < 0)
		return dt_err_sys(err, errno, "cannot keep the cached blob %s", digest);
	if (!(bl = blob_push(b))) {
		close(own);
		return dt_oom(err);
	}
	memcpy(bl->digest, digest, DT_DIGEST_LEN);
	bl->fd = own;
	bl->size = size;
	return 0;
}

static int blob_open(void *ctx, const char *digest)
{
	struct blob *bl = blob_find(ctx, digest);

	return bl && bl->fd >= 0 ? dup(bl->fd) : -1;
}

static void blobs_release(struct blobs *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].fd >= 0)
			close(b->v[i].fd);
		free(b->v[i].text);
	}
	free(b->v);
	free(b->dir);
}

/* A file of the outer tar: @text (copied), or the content of @fd. */
static int put(struct pk_tree *t, const char *path, const char *text, int fd, uint64_t size,
	       struct dt_err *err)
{
	char name[DT_DIGEST_LEN + 16];
	struct pk_entry e = { .path = name, .type = PK_REG, .mode = 0644, .root = -1,
			      .nlink = 1, .size = size, .from_fd = fd >= 0, .fd = fd };
	unsigned char *data = NULL;

	snprintf(name, sizeof(name), "%s", path);
	if (text && size && !(data = (unsigned char *)strndup(text, size)))
		return dt_oom(err);
	return pk_tree_add(t, &e, data, err);
}

/* The outer tar of the archive from the blobs and @files (name, text pairs). */
static int write_outer(const struct blobs *b, const char *skip, const char *const *files,
		       size_t nfiles, int64_t epoch, char *digest, struct dt_err *err)
{
	struct pk_norm norm = { .epoch = epoch, .mtime = PK_MTIME_SET };
	struct pk_tar_opts lo = { .compression = DT_COMP_NONE };
	struct dt_outfile of = { .fd = -1 };
	struct pk_tar_result lr;
	struct pk_tree *t = pk_tree_new();
	int rc = 0;

	if (!t)
		return dt_oom(err);
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		char path[DT_DIGEST_LEN + 16];
		if (skip && strcmp(b->v[i].digest, skip) == 0)
			continue;
		snprintf(path, sizeof(path), "blobs/sha256/%s", b->v[i].digest + 7);
		rc = put(t, path, b->v[i].text, b->v[i].fd, b->v[i].size, err);
	}
	for (size_t i = 0; i < nfiles && rc == 0; i++)
		rc = put(t, files[2 * i], files[2 * i + 1], -1, strlen(files[2 * i + 1]), err);
	if (rc < 0 || (rc = pk_tree_normalize(t, &norm, err)) < 0 ||
	    (rc = dt_outfile_open(&of, b->out, err)) < 0 ||
	    (rc = pk_tar_write(t, of.fd, b->out, &lo, &lr, err)) < 0 ||
	    (rc = dt_outfile_commit(&of, err)) < 0)
		goto out;
	memcpy(digest, lr.digest, DT_DIGEST_LEN);
out:
	dt_outfile_release(&of);
	pk_tree_free(t);
	return rc;
}

int pk_write_archive(struct pk_image *img, const char *out, const struct pk_build_opts *o,
		     struct pk_build_result *res, struct dt_err *err)
{
	struct blobs b = { .out = out };
	struct pk_blob_sink sink = { .layer = blob_layer, .text = blob_text, .reuse = blob_reuse,
				     .open = blob_open, .ctx = &b };
	struct pk_docs d = { 0 };
	const char *slash = strrchr(out, '/');
	char *text = NULL;
	int rc;

	if (!(b.dir = slash ? strndup(out, slash == out ? 1 : (size_t)(slash - out))
			    : strdup(".")))
		return dt_oom(err);
	if ((rc = pk_write_blobs(img, o, res, &sink, &d, err)) < 0)
		goto out;
	if (o->format == PK_FORMAT_OCI_ARCHIVE) {
		struct mf_oci_index_entry ie[1 + PK_IMAGE_MAX_ARTIFACTS];
		size_t nie = pk_write_index_entries(img, res, &d, ie);
		const char *files[] = { "index.json", NULL, "oci-layout",
					"{\"imageLayoutVersion\":\"1.0.0\"}" };
		if ((rc = mf_oci_index_json(ie, nie, &text, err)) < 0)
			goto out;
		files[1] = text;
		rc = write_outer(&b, NULL, files, 2, img->epoch, res->output, err);
	} else {
		/* docker-archive: the layer tars and the config under the names docker load
		 * reads from manifest.json; the manifest blob is not part of it. */
		char cfg[DT_DIGEST_LEN + 16], layers[PK_IMAGE_MAX_LAYERS][DT_DIGEST_LEN + 32];
		const char *lp[PK_IMAGE_MAX_LAYERS], *files[2] = { "manifest.json", NULL };
		snprintf(cfg, sizeof(cfg), "blobs/sha256/%s", res->config + 7);
		for (size_t i = 0; i < res->nlayers; i++) {
			snprintf(layers[i], sizeof(layers[i]), "blobs/sha256/%s", res->layers[i] + 7);
			lp[i] = layers[i];
		}
		if ((rc = mf_docker_manifest_json(cfg, res->name, lp, res->nlayers, &text, err)) < 0)
			goto out;
		files[1] = text;
		rc = write_outer(&b, res->manifest, files, 1, img->epoch, res->output, err);
	}
out:
	blobs_release(&b);
	pk_docs_release(&d);
	free(text);
	return rc;
}
