/* SPDX-License-Identifier: MIT */
/* Unit tests of packer/stream: tar streams plain, as several gzip members and as several zstd
 * frames give the same entries and diff_id, the compressor's header fields, and clear errors
 * for truncated and foreign streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "verify/stream.h"

struct mem {
	const unsigned char *p;
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
		n = m->chunk; /* small reads: headers straddle them */
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

/* A tar of two files and a symlink, with pax mtime nanoseconds on one. */
static unsigned char *make_tar(size_t *len)
{
	static unsigned char buf[1 << 16];
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t used = 0;

	archive_write_set_format_pax(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, buf, sizeof(buf), &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "etc/conf");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0640);
	archive_entry_set_size(e, 6);
	archive_entry_set_mtime(e, 1700000000, 5);
	archive_entry_set_uid(e, 7);
	archive_write_header(a, e);
	archive_write_data(a, "hello\n", 6);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, "etc/link");
	archive_entry_set_filetype(e, AE_IFLNK);
	archive_entry_set_perm(e, 0777);
	archive_entry_set_symlink(e, "conf");
	archive_write_header(a, e);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	*len = used;
	return buf;
}

static void digest(const void *p, size_t n, char out[DT_DIGEST_LEN])
{
	unsigned char md[32];
	EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* @in as two gzip members (split in the middle), header MTIME @mtime. */
static size_t gzip2(const unsigned char *in, size_t len, unsigned char *out, size_t cap,
		    unsigned long mtime)
{
	size_t used = 0;
	for (int part = 0; part < 2; part++) {
		z_stream z = { 0 };
		gz_header h = { 0 };
		size_t off = part ? len / 2 : 0, n = part ? len - len / 2 : len / 2;
		assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
		h.time = mtime;
		h.os = 3;
		deflateSetHeader(&z, &h);
		z.next_in = (unsigned char *)(uintptr_t)(in + off);
		z.avail_in = (uInt)n;
		z.next_out = out + used;
		z.avail_out = (uInt)(cap - used);
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		used = cap - z.avail_out;
		deflateEnd(&z);
	}
	return used;
}

static size_t zstd2(const unsigned char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t a = ZSTD_compress(out, cap, in, len / 2, 3);
	size_t b = ZSTD_compress(out + a, cap - a, in + len / 2, len - len / 2, 3);
	assert_false(ZSTD_isError(a) || ZSTD_isError(b));
	return a + b;
}

static int read_mem(const unsigned char *p, size_t len, struct vf_stream *s,
		    struct dt_err *err)
{
	struct mem m = { p, len, 0, 7 };
	struct vf_stream_opts o = { .name = "'mem'", .entries = 1 };
	return vf_stream_read(pull, &m, &o, s, err);
}

static void check_entries(const struct vf_stream *s)
{
	assert_int_equal(s->n, 2);
	assert_string_equal(s->v[0].name, "etc/conf");
	assert_int_equal(s->v[0].mode, 0640);
	assert_int_equal(s->v[0].uid, 7);
	assert_int_equal(s->v[0].mtime, 1700000000);
	assert_int_equal(s->v[0].mtime_ns, 5);
	assert_int_equal(s->v[0].size, 6);
	assert_int_equal(s->v[0].pos, 0);
	assert_string_equal(s->v[1].name, "etc/link");
	assert_string_equal(s->v[1].link, "conf");
	assert_string_equal(vf_stream_type_name(&s->v[1]), "symlink");
	assert_int_equal(s->v[1].pos, 1);
	/* sha256("hello\n") */
	assert_int_equal(s->v[0].sha256[0], 0x58);
	assert_int_equal(s->v[0].sha256[1], 0x91);
}

static void test_plain_gzip_zstd(void **state)
{
	static unsigned char gz[1 << 16], zs[1 << 16];
	size_t len, ngz, nzs;
	unsigned char *tar = make_tar(&len);
	char want[DT_DIGEST_LEN];
	struct vf_stream s;
	struct dt_err err;
	(void)state;

	digest(tar, len, want);
	assert_int_equal(read_mem(tar, len, &s, &err), 0);
	assert_int_equal(s.comp, DT_COMP_NONE);
	assert_string_equal(s.diff_id, want);
	assert_string_equal(s.digest, want);
	assert_int_equal(s.usize, len);
	check_entries(&s);
	vf_stream_release(&s);

	ngz = gzip2(tar, len, gz, sizeof(gz), 1732000000);
	assert_int_equal(read_mem(gz, ngz, &s, &err), 0);
	assert_int_equal(s.comp, DT_COMP_GZIP);
	assert_string_equal(s.diff_id, want);
	assert_int_equal(s.size, ngz);
	assert_int_equal(s.gz_members, 2);
	assert_int_equal(s.gz_mtime, 1732000000);
	assert_int_equal(s.gz_os, 3);
	check_entries(&s);
	vf_stream_release(&s);

	nzs = zstd2(tar, len, zs, sizeof(zs));
	assert_int_equal(read_mem(zs, nzs, &s, &err), 0);
	assert_int_equal(s.comp, DT_COMP_ZSTD);
	assert_string_equal(s.diff_id, want);
	assert_int_equal(s.zs_frames, 2);
	assert_int_equal(s.zs_has_size, 1);
	check_entries(&s);
	vf_stream_release(&s);
}

/* One gzip member of more than libdeflate's output buffer: zlib takes over, same result;
 * then the same tar as many small members (libdeflate all the way). */
static void test_large_member(void **state)
{
	size_t big = (3u << 20) + 123, tlen = big + 4096, cap = tlen + (1u << 16), used = 0;
	unsigned char *content = calloc(1, big), *tar = malloc(tlen), *gz = malloc(cap);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char want[DT_DIGEST_LEN];
	struct vf_stream s;
	struct dt_err err;
	(void)state;

	for (size_t i = 0; i < big; i++)
		content[i] = (unsigned char)(i * 7 + i / 4096);
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, tar, tlen, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "big.bin");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)big);
	archive_write_header(a, e);
	archive_write_data(a, content, big);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	digest(tar, used, want);
	{
		z_stream z = { 0 };
		assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = tar;
		z.avail_in = (uInt)used;
		z.next_out = gz;
		z.avail_out = (uInt)cap;
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		assert_int_equal(read_mem(gz, cap - z.avail_out, &s, &err), 0);
		deflateEnd(&z);
	}
	assert_string_equal(s.diff_id, want);
	assert_int_equal(s.gz_members, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].size, big);
	vf_stream_release(&s);
	{
		/* 64 KiB members */
		size_t off = 0, glen = 0;
		while (off < used) {
			size_t n = used - off < 65536 ? used - off : 65536;
			glen += gzip2(tar + off, n, gz + glen, cap - glen, 0);
			off += n;
		}
		assert_int_equal(read_mem(gz, glen, &s, &err), 0);
		assert_string_equal(s.diff_id, want);
		assert_int_equal(s.gz_members, 2 * ((used + 65535) / 65536));
		vf_stream_release(&s);
	}
	free(content);
	free(tar);
	free(gz);
}

static void test_errors(void **state)
{
	static unsigned char gz[1 << 16], zs[1 << 16];
	size_t len, ngz, nzs;
	unsigned char *tar = make_tar(&len);
	struct vf_stream s;
	struct dt_err err;
	(void)state;

	ngz = gzip2(tar, len, gz, sizeof(gz), 0);
	/* zero padding after the last member is accepted (and counted); anything else is not */
	memset(gz + ngz, 0, 512);
	assert_int_equal(read_mem(gz, ngz + 512, &s, &err), 0);
	assert_int_equal(s.size, ngz + 512);
	vf_stream_release(&s);
	gz[ngz + 100] = 1;
	assert_true(read_mem(gz, ngz + 512, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "not zero padding"));
	vf_stream_release(&s);
	assert_true(read_mem(gz, ngz - 9, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "'mem'"));
	vf_stream_release(&s);
	nzs = zstd2(tar, len, zs, sizeof(zs));
	assert_true(read_mem(zs, nzs - 3, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "truncated"));
	vf_stream_release(&s);
	assert_true(read_mem((const unsigned char *)"\xfd" "7zXZ\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20,
			     &s, &err) < 0);
	assert_non_null(strstr(err.msg, "xz-compressed"));
	vf_stream_release(&s);
	assert_true(read_mem((const unsigned char *)"just some text, not a tar archive at all",
			     40, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "tar archive"));
	vf_stream_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_gzip_zstd),
		cmocka_unit_test(test_large_member),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
