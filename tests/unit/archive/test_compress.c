/* SPDX-License-Identifier: MIT */
/* Unit tests of packer/compress: round trips through zlib and libzstd, and output bytes that
 * do not depend on how the input was split into writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "packer/archive/compress.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
	int fail_after; /* emit fails once this many calls have been made; 0: never */
	int calls;
};

static int emit(void *ctx, const void *data, size_t len, struct dt_err *err)
{
	struct buf *b = ctx;
	if (b->fail_after && ++b->calls >= b->fail_after)
		return dt_err_set(err, DT_ESYS, "cannot write 'out': disk full");
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

/* Compressible but not trivial input: words from a small alphabet. */
static unsigned char *make_input(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)("abcdefgh \n"[(x >> 16) % 10]);
	}
	return p;
}

static struct buf compress_with(enum dt_compression c, int level, const unsigned char *in,
				size_t n, size_t piece)
{
	struct buf out = { 0 };
	struct dt_err err;
	struct pk_compressor *z = pk_compressor_new(c, level, emit, &out, &err);
	assert_non_null(z);
	for (size_t off = 0; off < n; off += piece)
		assert_int_equal(pk_compressor_write(z, in + off, off + piece > n ? n - off : piece, &err), 0);
	assert_int_equal(pk_compressor_finish(z, &err), 0);
	pk_compressor_free(z);
	return out;
}

static size_t gunzip_all(const struct buf *b, unsigned char *dst, size_t cap, int *members)
{
	size_t in_off = 0, out_off = 0;
	*members = 0;
	while (in_off < b->len) {
		z_stream s = { 0 };
		assert_int_equal(inflateInit2(&s, 16 + 15), Z_OK);
		s.next_in = b->p + in_off;
		s.avail_in = (uInt)(b->len - in_off);
		s.next_out = dst + out_off;
		s.avail_out = (uInt)(cap - out_off);
		assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
		in_off += s.total_in;
		out_off += s.total_out;
		inflateEnd(&s);
		(*members)++;
	}
	return out_off;
}

static void test_gzip(void **state)
{
	size_t n = 3 * PK_GZIP_CHUNK + PK_GZIP_CHUNK / 2 + 123;
	unsigned char *in = make_input(n), *back = malloc(n + 1);
	struct buf a, b;
	int members;
	(void)state;
	a = compress_with(DT_COMP_GZIP, 6, in, n, n);
	b = compress_with(DT_COMP_GZIP, 6, in, n, 7919);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	/* MTIME 0, no FLG bits (no name), XFL 0, OS 3 */
	assert_memory_equal(a.p, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
	assert_int_equal(gunzip_all(&a, back, n + 1, &members), n);
	assert_int_equal(members, 4);
	assert_memory_equal(back, in, n);
	assert_true(a.len < n / 2);
	free(a.p), free(b.p), free(in), free(back);
}

static void test_zstd(void **state)
{
	size_t n = 5 * 1024 * 1024 + 17;
	unsigned char *in = make_input(n), *back = malloc(n);
	struct buf a, b;
	(void)state;
	a = compress_with(DT_COMP_ZSTD, 3, in, n, n);
	b = compress_with(DT_COMP_ZSTD, 3, in, n, 65537);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	assert_int_equal(ZSTD_getFrameContentSize(a.p, a.len), ZSTD_CONTENTSIZE_UNKNOWN);
	assert_int_equal(ZSTD_decompress(back, n, a.p, a.len), n);
	assert_memory_equal(back, in, n);
	free(a.p), free(b.p), free(in), free(back);
}

static void test_empty(void **state)
{
	struct buf g, z;
	unsigned char tmp[16];
	int members;
	(void)state;
	g = compress_with(DT_COMP_GZIP, 6, NULL, 0, 1);
	assert_int_equal(gunzip_all(&g, tmp, sizeof(tmp), &members), 0);
	assert_int_equal(members, 1);
	z = compress_with(DT_COMP_ZSTD, 3, NULL, 0, 1);
	assert_int_equal(ZSTD_decompress(tmp, sizeof(tmp), z.p, z.len), 0);
	free(g.p), free(z.p);
}

static void test_emit_error(void **state)
{
	size_t n = 4 * PK_GZIP_CHUNK;
	unsigned char *in = make_input(n);
	struct dt_err err;
	(void)state;
	for (int c = DT_COMP_GZIP; c <= DT_COMP_ZSTD; c++) {
		struct buf out = { .fail_after = 1 };
		struct pk_compressor *z = pk_compressor_new(c, 3, emit, &out, &err);
		int rc = 0;
		for (size_t off = 0; off < n && rc == 0; off += 65536)
			rc = pk_compressor_write(z, in + off, 65536, &err);
		if (rc == 0)
			rc = pk_compressor_finish(z, &err);
		assert_int_equal(rc, -DT_ESYS);
		assert_string_equal(err.msg, "cannot write 'out': disk full");
		pk_compressor_free(z);
		free(out.p);
	}
	free(in);
}

static void test_names_and_levels(void **state)
{
	enum dt_compression c;
	struct dt_err err;
	(void)state;
	assert_int_equal(dt_compression_from_suffix("a.tar", &c), 1);
	assert_int_equal(c, DT_COMP_NONE);
	assert_int_equal(dt_compression_from_suffix("x/a.tgz", &c), 1);
	assert_int_equal(c, DT_COMP_GZIP);
	assert_int_equal(dt_compression_from_suffix("a.tar.zst", &c), 1);
	assert_int_equal(c, DT_COMP_ZSTD);
	assert_int_equal(dt_compression_from_suffix("a.zip", &c), 0);
	assert_int_equal(dt_compression_parse("gzip", &c), 0);
	assert_int_equal(dt_compression_parse("xz", &c), -1);
	assert_int_equal(pk_compression_default_level(DT_COMP_ZSTD), 3);
	assert_int_equal(pk_compression_default_level(DT_COMP_GZIP), 6);
	assert_int_equal(pk_compression_check_level(DT_COMP_ZSTD, 19, &err), 0);
	assert_int_equal(pk_compression_check_level(DT_COMP_ZSTD, 20, &err), -DT_EINPUT);
	assert_int_equal(pk_compression_check_level(DT_COMP_GZIP, 0, &err), -DT_EINPUT);
	assert_int_equal(pk_compression_check_level(DT_COMP_NONE, 1, &err), -DT_EINPUT);
	assert_null(pk_compressor_new(DT_COMP_GZIP, 13, emit, NULL, &err));
	assert_non_null(strstr(err.msg, "gzip level 13"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_emit_error),
		cmocka_unit_test(test_names_and_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
