/* SPDX-License-Identifier: MIT */
/* Deterministic stream compressors for layers and tarballs: none, gzip (libdeflate, fixed
 * header, fixed chunking, parallel) and zstd (libzstd, every parameter pinned, nbWorkers 2).
 * The bytes depend only on the input, the algorithm and the level; never on the machine. */
#ifndef DISTILL_PACKER_ARCHIVE_COMPRESS_H
#define DISTILL_PACKER_ARCHIVE_COMPRESS_H

#include <stddef.h>

#include "common/compression.h"
#include "common/err.h"

/* gzip: independent members of this much input each, so that chunks compress in parallel
 * with the same bytes whatever the thread count. */
#define PK_GZIP_CHUNK (1u << 20)
#define PK_GZIP_THREADS 2
/* zstd: libzstd's multithreaded mode; any value >= 1 gives the same bytes. */
#define PK_ZSTD_WORKERS 2

/* Receives compressed bytes in order. @return 0, or a negative code with @err set. */
typedef int (*pk_emit_fn)(void *ctx, const void *buf, size_t len, struct dt_err *err);

struct pk_compressor;

/* Default level: gzip 6, zstd 3 (none: 0). */
int pk_compression_default_level(enum dt_compression c);

/* Checks @level against the algorithm's range (gzip 1-12, zstd 1-19, none: 0 only).
 * @return 0, or -DT_EINPUT with @err set. */
int pk_compression_check_level(enum dt_compression c, int level, struct dt_err *err);

/* Makes a compressor that hands its output to @emit(@ctx, ...).
 * @return the compressor, or NULL with @err set. */
struct pk_compressor *pk_compressor_new(enum dt_compression c, int level, pk_emit_fn emit,
					void *ctx, struct dt_err *err);

/* Compresses @len bytes of @buf. @return 0, or a negative code with @err set (an error
 * from @emit is passed through). */
int pk_compressor_write(struct pk_compressor *z, const void *buf, size_t len,
			struct dt_err *err);

/* Ends the stream and emits everything still buffered. Call once.
 * @return 0, or a negative code with @err set. */
int pk_compressor_finish(struct pk_compressor *z, struct dt_err *err);

/* Stops any worker threads and frees @z; NULL is a no-op. */
void pk_compressor_free(struct pk_compressor *z);

#endif
