/* SPDX-License-Identifier: MIT */
/* The compressors of compress.h. gzip is a sequence of RFC 1952 members, one per
 * PK_GZIP_CHUNK of input, each deflated by libdeflate on a worker thread and emitted in
 * order; zstd is one libzstd frame written with pinned parameters. */
#include "packer/archive/compress.h"
#include "common/fault.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* For ZSTD_getCParams only: it tells the level's window size, which we then pin. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#define GZ_SLOTS (2 * PK_GZIP_THREADS)
#define GZ_HEADER 10
#define GZ_TRAILER 8

enum gz_state { GZ_EMPTY, GZ_QUEUED, GZ_BUSY, GZ_DONE };

struct gz_slot {
	enum gz_state state;
	unsigned char *in;
	size_t in_len;
	unsigned char *out;
	size_t out_len; /* 0 after compression means it failed */
};

struct pk_compressor {
	enum dt_compression kind;
	int level;
	pk_emit_fn emit;
	void *ctx;

	/* gzip */
	struct gz_slot slots[GZ_SLOTS];
	size_t fill;    /* the slot being filled */
	size_t next_out; /* the oldest slot not yet emitted */
	size_t out_cap;
	int members;    /* members submitted so far */
	pthread_t threads[PK_GZIP_THREADS];
	int nthreads;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a slot was queued, or stop */
	pthread_cond_t done; /* a slot was compressed */
	int stop;
	int sync_ready;

	/* zstd */
	ZSTD_CCtx *cctx;
	unsigned char *zbuf;
	size_t zbuf_cap;
};

int pk_compression_default_level(enum dt_compression c)
{
	return c == DT_COMP_GZIP ? 6 : c == DT_COMP_ZSTD ? 3 : 0;
}

int pk_compression_check_level(enum dt_compression c, int level, struct dt_err *err)
{
	int lo = 0, hi = 0;

	if (c == DT_COMP_GZIP)
		lo = 1, hi = 12;
	else if (c == DT_COMP_ZSTD)
		lo = 1, hi = 19;
	if (level < lo || level > hi) {
		if (c == DT_COMP_NONE)
			return dt_err_set(err, DT_EINPUT, "a level needs gzip or zstd compression");
		return dt_err_set(err, DT_EINPUT, "%s level %d is out of range %d-%d",
				  dt_compression_name(c), level, lo, hi);
	}
	return 0;
}

/* ---- gzip ---- */

static void put32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* One member: fixed header (MTIME 0, no name, XFL 0, OS 3), raw deflate, CRC32, ISIZE. */
static size_t gz_member(struct libdeflate_compressor *c, const unsigned char *in, size_t len,
			unsigned char *out, size_t cap)
{
	static const unsigned char header[GZ_HEADER] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	size_t n;

	memcpy(out, header, GZ_HEADER);
	n = libdeflate_deflate_compress(c, in, len, out + GZ_HEADER, cap - GZ_HEADER - GZ_TRAILER);
	if (n == 0)
		return 0;
	put32le(out + GZ_HEADER + n, libdeflate_crc32(0, in, len));
	put32le(out + GZ_HEADER + n + 4, (uint32_t)len);
	return GZ_HEADER + n + GZ_TRAILER;
}

static void *gz_worker(void *arg)
{
	struct pk_compressor *z = arg;
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(z->level);

	pthread_mutex_lock(&z->lock);
	for (;;) {
		struct gz_slot *s = NULL;

		/* Take the oldest queued slot, so members finish roughly in order. */
		for (size_t k = 0; k < GZ_SLOTS; k++) {
			struct gz_slot *t = &z->slots[(z->next_out + k) % GZ_SLOTS];
			if (t->state == GZ_QUEUED) {
				s = t;
				break;
			}
		}
		if (!s) {
			if (z->stop)
				break;
			pthread_cond_wait(&z->work, &z->lock);
			continue;
		}
		s->state = GZ_BUSY;
		pthread_mutex_unlock(&z->lock);
		dt_fault("member");
		s->out_len = c ? gz_member(c, s->in, s->in_len, s->out, z->out_cap) : 0;
		pthread_mutex_lock(&z->lock);
		s->state = GZ_DONE;
		pthread_cond_broadcast(&z->done);
	}
	pthread_mutex_unlock(&z->lock);
	libdeflate_free_compressor(c);
	return NULL;
}

/* Waits for the oldest submitted slot, emits it and frees it for reuse. */
static int gz_drain_one(struct pk_compressor *z, struct dt_err *err)
{
	struct gz_slot *s = &z->slots[z->next_out];
	int rc;

	pthread_mutex_lock(&z->lock);
	while (s->state != GZ_DONE)
		pthread_cond_wait(&z->done, &z->lock);
	pthread_mutex_unlock(&z->lock);
	if (s->out_len == 0)
		return dt_err_set(err, DT_ELIB, "gzip compression failed (libdeflate)");
	rc = z->emit(z->ctx, s->out, s->out_len, err);
	s->state = GZ_EMPTY;
	s->in_len = 0;
	z->next_out = (z->next_out + 1) % GZ_SLOTS;
	return rc;
}

static void gz_submit(struct pk_compressor *z)
{
	pthread_mutex_lock(&z->lock);
	z->slots[z->fill].state = GZ_QUEUED;
	/* broadcast, not signal: glibc's condition variables can lose a pthread_cond_signal
	 * (sourceware bug 25847, in Debian 12's 2.36), which left the last member queued with
	 * both workers asleep and the build waiting for ever (seen under ASan); every worker
	 * looks at the ring again instead, which costs nothing with two of them */
	pthread_cond_broadcast(&z->work);
	pthread_mutex_unlock(&z->lock);
	z->fill = (z->fill + 1) % GZ_SLOTS;
	z->members++;
}

static int gz_write(struct pk_compressor *z, const unsigned char *p, size_t len,
		    struct dt_err *err)
{
	while (len > 0) {
		struct gz_slot *s = &z->slots[z->fill];
		size_t n;

		if (s->state != GZ_EMPTY) {
			/* The ring is full: the slot to fill is the oldest one. */
			int rc = gz_drain_one(z, err);
			if (rc < 0)
				return rc;
			continue;
		}
		n = PK_GZIP_CHUNK - s->in_len;
		if (n > len)
			n = len;
		memcpy(s->in + s->in_len, p, n);
		s->in_len += n;
		p += n;
		len -= n;
		if (s->in_len == PK_GZIP_CHUNK)
			gz_submit(z);
	}
	return 0;
}

static int gz_finish(struct pk_compressor *z, struct dt_err *err)
{
	struct gz_slot *s = &z->slots[z->fill];

	if (s->state == GZ_EMPTY && (s->in_len > 0 || z->members == 0))
		gz_submit(z); /* the last, partial member (or the only one, for empty input) */
	while (z->slots[z->next_out].state != GZ_EMPTY) {
		int rc = gz_drain_one(z, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int gz_start(struct pk_compressor *z, struct dt_err *err)
{
	z->out_cap = GZ_HEADER + GZ_TRAILER;
	{
		struct libdeflate_compressor *probe = libdeflate_alloc_compressor(z->level);
		if (!probe)
			return dt_err_set(err, DT_ENOMEM, "cannot set up gzip level %d", z->level);
		z->out_cap += libdeflate_deflate_compress_bound(probe, PK_GZIP_CHUNK);
		libdeflate_free_compressor(probe);
	}
	for (size_t i = 0; i < GZ_SLOTS; i++) {
		z->slots[i].in = malloc(PK_GZIP_CHUNK);
		z->slots[i].out = malloc(z->out_cap);
		if (!z->slots[i].in || !z->slots[i].out)
			return dt_err_set(err, DT_ENOMEM, "out of memory for gzip buffers");
	}
	pthread_mutex_init(&z->lock, NULL);
	pthread_cond_init(&z->work, NULL);
	pthread_cond_init(&z->done, NULL);
	z->sync_ready = 1;
	for (int i = 0; i < PK_GZIP_THREADS; i++) {
		if (pthread_create(&z->threads[i], NULL, gz_worker, z) != 0)
			return dt_err_set(err, DT_ESYS, "cannot start a gzip thread");
		z->nthreads++;
	}
	return 0;
}

/* ---- zstd ---- */

static int zs_check(size_t r, struct dt_err *err)
{
	if (ZSTD_isError(r))
		return dt_err_set(err, DT_ELIB, "zstd: %s", ZSTD_getErrorName(r));
	return 0;
}

static int zs_start(struct pk_compressor *z, struct dt_err *err)
{
	ZSTD_compressionParameters cp = ZSTD_getCParams(z->level, 0, 0);
	int rc = 0;

	z->cctx = ZSTD_createCCtx();
	z->zbuf_cap = ZSTD_CStreamOutSize();
	z->zbuf = malloc(z->zbuf_cap);
	if (!z->cctx || !z->zbuf)
		return dt_err_set(err, DT_ENOMEM, "out of memory for zstd");
	/* Every parameter that shapes the bytes is set here, see docs/tar.md. */
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, z->level), err);
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_windowLog, (int)cp.windowLog), err);
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_enableLongDistanceMatching, 0), err);
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1), err);
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_contentSizeFlag, 0), err);
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_dictIDFlag, 0), err);
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, PK_ZSTD_WORKERS), err);
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_jobSize, 0), err);
	rc |= zs_check(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_overlapLog, 0), err);
	return rc ? -DT_ELIB : 0;
}

static int zs_run(struct pk_compressor *z, const void *buf, size_t len, ZSTD_EndDirective mode,
		  struct dt_err *err)
{
	ZSTD_inBuffer in = { buf, len, 0 };

	for (;;) {
		ZSTD_outBuffer out = { z->zbuf, z->zbuf_cap, 0 };
		size_t left = ZSTD_compressStream2(z->cctx, &out, &in, mode);
		int rc;

		if (ZSTD_isError(left))
			return zs_check(left, err);
		if (out.pos > 0 && (rc = z->emit(z->ctx, z->zbuf, out.pos, err)) < 0)
			return rc;
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

/* ---- common ---- */

struct pk_compressor *pk_compressor_new(enum dt_compression c, int level, pk_emit_fn emit,
					void *ctx, struct dt_err *err)
{
	struct pk_compressor *z;
	int rc = 0;

	if (pk_compression_check_level(c, level, err) < 0)
		return NULL;
	z = calloc(1, sizeof(*z));
	if (!z) {
		dt_oom(err);
		return NULL;
	}
	z->kind = c;
	z->level = level;
	z->emit = emit;
	z->ctx = ctx;
	if (c == DT_COMP_GZIP)
		rc = gz_start(z, err);
	else if (c == DT_COMP_ZSTD)
		rc = zs_start(z, err);
	if (rc < 0) {
		pk_compressor_free(z);
		return NULL;
	}
	return z;
}

int pk_compressor_write(struct pk_compressor *z, const void *buf, size_t len,
			struct dt_err *err)
{
	if (len == 0)
		return 0;
	switch (z->kind) {
	case DT_COMP_GZIP: return gz_write(z, buf, len, err);
	case DT_COMP_ZSTD: return zs_run(z, buf, len, ZSTD_e_continue, err);
	default: return z->emit(z->ctx, buf, len, err);
	}
}

int pk_compressor_finish(struct pk_compressor *z, struct dt_err *err)
{
	switch (z->kind) {
	case DT_COMP_GZIP: return gz_finish(z, err);
	case DT_COMP_ZSTD: return zs_run(z, NULL, 0, ZSTD_e_end, err);
	default: return 0;
	}
}

void pk_compressor_free(struct pk_compressor *z)
{
	if (!z)
		return;
	if (z->sync_ready) {
		pthread_mutex_lock(&z->lock);
		z->stop = 1;
		pthread_cond_broadcast(&z->work);
		pthread_mutex_unlock(&z->lock);
		for (int i = 0; i < z->nthreads; i++)
			pthread_join(z->threads[i], NULL);
		pthread_mutex_destroy(&z->lock);
		pthread_cond_destroy(&z->work);
		pthread_cond_destroy(&z->done);
	}
	for (size_t i = 0; i < GZ_SLOTS; i++) {
		free(z->slots[i].in);
		free(z->slots[i].out);
	}
	ZSTD_freeCCtx(z->cctx);
	free(z->zbuf);
	free(z);
}
