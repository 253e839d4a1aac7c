/* SPDX-License-Identifier: MIT */
/* Writes a normalized tree as one tar stream (libarchive, pax_restricted), compressed on the
 * fly, hashing the tar (diff_id) and the compressed bytes (digest) in the same single pass. */
#ifndef DISTILL_PACKER_ARCHIVE_TAR_H
#define DISTILL_PACKER_ARCHIVE_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/report.h"
#include "packer/archive/compress.h"
#include "common/digest.h"
#include "packer/archive/tree.h"

struct pk_tar_opts {
	enum dt_compression compression;
	int level;
	dt_progress_fn progress; /* bytes of file content written, of the total; may be NULL */
	void *progress_ctx;
};

struct pk_tar_result {
	char diff_id[DT_DIGEST_LEN]; /* sha256 of the tar */
	char digest[DT_DIGEST_LEN];  /* sha256 of the bytes written (== diff_id for none) */
	uint64_t tar_size;
	uint64_t blob_size;
	size_t entries;
};

/* Writes the normalized tree @t to @fd. @out_name names @fd in errors. Entries are written
 * in tree order with uid/gid, mode and whole-second mtime from the tree, empty user/group
 * names, no atime/ctime; the locale is pinned to C.UTF-8 while libarchive runs.
 * Files of up to 32 KiB are read whole by worker threads a little ahead of their place in
 * the stream (each is written as it was read, checked then); larger ones are read in
 * chunks as they are written, with the holes of a sparse file found by SEEK_DATA and
 * written as zeros without being read.
 * @return 0, or a negative code with @err set (then @fd holds a partial stream). */
int pk_tar_write(const struct pk_tree *t, int fd, const char *out_name,
		   const struct pk_tar_opts *opts, struct pk_tar_result *res,
		   struct dt_err *err);

#endif
