/* SPDX-License-Identifier: MIT */
/* The tar layer writer (see layer.h): libarchive formats, we hash, compress and write. */
#include "packer/archive/tar.h"

#include "common/fs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (256u * 1024)
/* libarchive hands us output in blocks of this size; the last one is not padded
 * (bytes_in_last_block 1), so the size does not change the bytes. */
#define TAR_BLOCK (64 * 1024)

struct writer {
	int fd;
	const char *out_name;
	struct dt_hash *tar_hash, *blob_hash;
	struct pk_compressor *z;
	uint64_t tar_size, blob_size;
	struct dt_err *err;
	int failed;
	int blob_is_tar; /* no compression: the blob's hash is the tar's, computed once */
};

/* Compressed bytes: hash, count, write. */
static int emit_blob(void *ctx, const void *buf, size_t len, struct dt_err *err)
{
	struct writer *w = ctx;

	if (!w->blob_is_tar)
		dt_hash_update(w->blob_hash, buf, len);
	w->blob_size += len;
	if (dt_write_all(w->fd, buf, len) < 0)
		return dt_err_sys(err, errno, "cannot write '%s'", w->out_name);
	return 0;
}

/* Tar bytes from libarchive: hash, count, compress. */
static la_ssize_t on_tar(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct writer *w = ctx;

	(void)a;
	if (w->failed)
		return -1;
	dt_hash_update(w->tar_hash, buf, len);
	w->tar_size += len;
	if (pk_compressor_write(w->z, buf, len, w->err) < 0) {
		w->failed = 1;
		return -1;
	}
	return (la_ssize_t)len;
}

static int la_fail(struct writer *w, struct archive *a, const char *what)
{
	if (w->failed)
		return -w->err->code; /* our own callback's error is already set */
	return dt_err_set(w->err, DT_ELIB, "%s: %s", what, archive_error_string(a));
}

/* Content that must match a locked sha256 is hashed as it is written. */
static int check_sha256(const struct pk_entry *e, struct dt_hash *h, struct dt_err *err)
{
	char found[DT_DIGEST_LEN], want[65];

	dt_hash_digest(h, found);
	dt_hex(e->sha256, DT_SHA256_LEN, want);
	if (strcmp(found + 7, want) != 0)
		return dt_err_set(err, DT_ECHANGED,
				  "/%s: changed since it was locked: sha256 locked %s, found %s",
				  e->path, want, found + 7);
	return 0;
}

/* Writes content held in memory. */
static int copy_data(const struct pk_entry *e, struct writer *w, struct archive *a,
		     const struct pk_tar_opts *o, uint64_t *done, uint64_t total)
{
	struct dt_hash *h = NULL;
	int rc = 0;

	if (e->has_sha256) {
		if (!(h = dt_hash_new(DT_HASH_SHA256, w->err)))
			return -DT_ELIB;
		dt_hash_update(h, e->data, (size_t)e->size);
		rc = check_sha256(e, h, w->err);
		dt_hash_free(h);
		if (rc < 0)
			return rc;
	}
	for (uint64_t off = 0; off < e->size;) {
		size_t want = e->size - off < READ_CHUNK ? (size_t)(e->size - off) : READ_CHUNK;
		if (archive_write_data(a, e->data + off, want) != (la_ssize_t)want)
			return la_fail(w, a, e->path);
		off += want;
		*done += want;
		if (o->progress)
			o->progress(o->progress_ctx, NULL, *done, total);
	}
	return 0;
}

/* Streams one file's content into the archive, checking it does not change size. */
static int copy_content(const struct pk_tree *t, const struct pk_entry *e, struct writer *w,
			struct archive *a, char *buf, const struct pk_tar_opts *o,
			uint64_t *done, uint64_t total)
{
	uint64_t left = e->size;
	struct dt_hash *h = NULL;
	char name[4200];
	int fd, rc = 0;

	if (e->data)
		return copy_data(e, w, a, o, done, total);
	if (e->has_sha256 && !(h = dt_hash_new(DT_HASH_SHA256, w->err)))
		return -DT_ELIB;
	if (e->from_fd) {
		fd = e->fd;
	} else if ((fd = pk_tree_open(t, e, w->err)) < 0) {
		dt_hash_free(h);
		return fd;
	}
	pk_tree_source_name(t, e, name, sizeof(name));
	while (left > 0) {
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
		ssize_t n = e->from_fd ? pread(fd, buf, want, (off_t)(e->size - left))
				       : read(fd, buf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = dt_err_sys(w->err, errno, "cannot read '%s'", name);
			goto out;
		}
		if (n == 0) {
			rc = dt_err_set(w->err, DT_ECHANGED,
					"'%s' shrank while distill was reading it", name);
			goto out;
		}
		if (h)
			dt_hash_update(h, buf, (size_t)n);
		if (archive_write_data(a, buf, (size_t)n) != n) {
			rc = la_fail(w, a, name);
			goto out;
		}
		left -= (uint64_t)n;
		*done += (uint64_t)n;
		if (o->progress)
			o->progress(o->progress_ctx, NULL, *done, total);
	}
	{
		ssize_t n = e->from_fd ? pread(fd, buf, 1, (off_t)e->size) : read(fd, buf, 1);
		if (n > 0)
			rc = dt_err_set(w->err, DT_ECHANGED,
					"'%s' grew while distill was reading it", name);
	}
	if (rc == 0 && h)
		rc = check_sha256(e, h, w->err);
out:
	dt_hash_free(h);
	if (!e->from_fd)
		close(fd);
	return rc;
}

static void set_entry(struct archive_entry *ae, const struct pk_entry *e)
{
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, e->path);
	switch (e->type) {
	case PK_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		break;
	case PK_REG:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, (la_int64_t)e->size);
		break;
	case PK_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, e->link);
		break;
	case PK_HARDLINK:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_hardlink(ae, e->link);
		archive_entry_set_size(ae, 0);
		break;
	}
	archive_entry_set_perm(ae, (mode_t)(e->mode & 07777));
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	archive_entry_set_mtime(ae, (time_t)e->mtime, 0);
}

int pk_tar_write(const struct pk_tree *t, int fd, const char *out_name,
		   const struct pk_tar_opts *opts, struct pk_tar_result *res,
		   struct dt_err *err)
{
	struct writer w = { .fd = fd, .out_name = out_name, .err = err,
			    .blob_is_tar = opts->compression == DT_COMP_NONE };
	struct archive *a = NULL;
	struct archive_entry *ae = NULL;
	locale_t loc, old = (locale_t)0;
	uint64_t done = 0, total = pk_tree_content_bytes(t);
	char *buf = NULL;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	/* libarchive converts names with the thread's locale: pin it, whatever the caller's. */
	loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (loc == (locale_t)0)
		return dt_err_set(err, DT_ESYS, "cannot load the C.UTF-8 locale");
	old = uselocale(loc);

	if (!(w.tar_hash = dt_hash_new(DT_HASH_SHA256, err)) || !(w.blob_hash = dt_hash_new(DT_HASH_SHA256, err))) {
		rc = -DT_ELIB;
		goto out;
	}
	if (!(w.z = pk_compressor_new(opts->compression, opts->level, emit_blob, &w, err))) {
		rc = -err->code;
		goto out;
	}
	if (!(buf = malloc(READ_CHUNK)) || !(a = archive_write_new()) ||
	    !(ae = archive_entry_new())) {
		rc = dt_oom(err);
		goto out;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, TAR_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &w, NULL, on_tar, NULL) != ARCHIVE_OK) {
		rc = la_fail(&w, a, "cannot start tar stream");
		goto out;
	}
	for (size_t i = 0; i < pk_tree_count(t); i++) {
		const struct pk_entry *e = pk_tree_entry(t, i);
		set_entry(ae, e);
		/* ARCHIVE_WARN (e.g. a name that is not UTF-8, written as binary) still gives
		 * a complete, deterministic header. */
		if (archive_write_header(a, ae) < ARCHIVE_WARN) {
			rc = la_fail(&w, a, e->path);
			goto out;
		}
		if (e->type == PK_REG && e->size > 0 &&
		    (rc = copy_content(t, e, &w, a, buf, opts, &done, total)) < 0)
			goto out;
		if (archive_write_finish_entry(a) < ARCHIVE_WARN) {
			rc = la_fail(&w, a, e->path);
			goto out;
		}
		res->entries++;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = la_fail(&w, a, out_name);
		goto out;
	}
	if ((rc = pk_compressor_finish(w.z, err)) < 0)
		goto out;
	dt_hash_digest(w.tar_hash, res->diff_id);
	if (w.blob_is_tar)
		memcpy(res->digest, res->diff_id, DT_DIGEST_LEN);
	else
		dt_hash_digest(w.blob_hash, res->digest);
	res->tar_size = w.tar_size;
	res->blob_size = w.blob_size;
out:
	if (rc < 0)
		w.failed = 1; /* nothing more reaches @fd */
	archive_entry_free(ae);
	archive_write_free(a); /* after a failure: closes without flushing more */
	pk_compressor_free(w.z);
	dt_hash_free(w.tar_hash);
	dt_hash_free(w.blob_hash);
	free(buf);
	uselocale(old);
	freelocale(loc);
	return rc;
}
