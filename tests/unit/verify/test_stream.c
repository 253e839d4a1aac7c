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
	struct vf_stream_entry a, b;

	assert_int_equal(s->n, 2);
	vf_stream_entry_at(s, 0, &a);
	vf_stream_entry_at(s, 1, &b);
	assert_string_equal(a.name, "etc/conf");
	assert_string_equal(vf_stream_name_at(s, 0), "etc/conf");
	assert_int_equal(a.mode, 0640);
	assert_int_equal(a.uid, 7);
	assert_int_equal(a.mtime, 1700000000);
	assert_int_equal(a.mtime_ns, 5);
	assert_int_equal(a.size, 6);
	assert_int_equal(a.pos, 0);
	assert_string_equal(b.name, "etc/link");
	assert_string_equal(b.link, "conf");
	assert_string_equal(vf_stream_type_name(&b), "symlink");
	assert_int_equal(b.pos, 1);
	/* sha256("hello\n") */
	assert_int_equal(a.sha256[0], 0x58);
	assert_int_equal(a.sha256[1], 0x91);
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
	{
		struct vf_stream_entry got;
		vf_stream_entry_at(&s, 0, &got);
		assert_int_equal(got.size, big);
	}
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

/* Every field survives the packing: names stored once and referred to, optional times,
 * devices, xattrs, file flags, and each entry's header size from the next one's offset. */
static void test_packed_fields(void **state)
{
	static unsigned char buf[1 << 17];
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct vf_stream s;
	struct vf_stream_entry x[4];
	struct dt_err err;
	size_t used = 0;
	(void)state;

	archive_write_set_format_pax(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, buf, sizeof(buf), &used), ARCHIVE_OK);
	for (int i = 0; i < 3; i++) {
		char name[32];
		archive_entry_clear(e);
		snprintf(name, sizeof(name), "d/f%d", i);
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, i == 2 ? 04755 : 0644);
		archive_entry_set_size(e, i);
		archive_entry_set_uid(e, 1000);
		archive_entry_set_gid(e, (la_int64_t)i);
		archive_entry_set_uname(e, i == 1 ? "other" : "app");
		archive_entry_set_gname(e, "app");
		archive_entry_set_mtime(e, -5, 0);
		if (i == 1) {
			archive_entry_set_atime(e, 11, 0);
			archive_entry_set_ctime(e, 12, 0);
			archive_entry_xattr_add_entry(e, "user.k", "\x01\x02", 2);
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (i)
			archive_write_data(a, "ab", (size_t)i);
	}
	archive_entry_clear(e);
	archive_entry_set_pathname(e, "dev/null");
	archive_entry_set_filetype(e, AE_IFCHR);
	archive_entry_set_perm(e, 0666);
	archive_entry_set_rdevmajor(e, 1);
	archive_entry_set_rdevminor(e, 3);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);

	assert_int_equal(read_mem(buf, used, &s, &err), 0);
	assert_int_equal(s.n, 4);
	for (size_t i = 0; i < 4; i++)
		vf_stream_entry_at(&s, i, &x[i]);
	assert_string_equal(x[0].uname, "app");
	assert_string_equal(x[1].uname, "other");
	assert_string_equal(x[2].uname, "app");
	assert_string_equal(x[2].gname, "app");
	assert_int_equal(x[0].gid, 0);
	assert_int_equal(x[0].mtime, -5);
	assert_int_equal(x[2].mode, 04755);
	assert_false(x[0].has_atime);
	assert_true(x[1].has_atime && x[1].has_ctime);
	assert_int_equal(x[1].atime, 11);
	assert_int_equal(x[1].ctime, 12);
	/* libarchive writes both LIBARCHIVE.xattr and SCHILY.xattr and reads both back */
	assert_int_equal(strncmp(x[1].xattrs, "user.k=0102\n", 12), 0);
	assert_null(x[0].xattrs);
	/* sha256("") for no content, sha256("a") for one byte */
	assert_int_equal(x[0].sha256[0], 0xe3);
	assert_int_equal(x[1].sha256[0], 0xca);
	assert_int_equal(x[3].type, AE_IFCHR);
	assert_int_equal(x[3].rdev_major, 1);
	assert_int_equal(x[3].rdev_minor, 3);
	for (size_t i = 0; i < 4; i++) {
		assert_true(x[i].header_bytes >= 512);
		assert_int_equal(x[i].header_bytes % 512, 0);
		assert_int_equal(x[i].pos, i);
	}
	/* the xattrs needed a pax header before the ustar one */
	assert_true(x[1].header_bytes >= 1024);
	assert_string_equal(vf_stream_header_kind(&x[1]), "pax");
	vf_stream_release(&s);
}

/* One ustar header block for @name of @type and @size, its checksum computed. */
static size_t ustar_block(unsigned char *b, const char *name, char type, size_t size)
{
	unsigned sum = 0;

	memset(b, 0, 512);
	memcpy(b, name, strlen(name));
	memcpy(b + 100, "0000644", 8);
	memcpy(b + 108, "0000000", 8);
	memcpy(b + 116, "0000000", 8);
	snprintf((char *)b + 124, 12, "%011zo", size);
	memcpy(b + 136, "00000000000", 12);
	memset(b + 148, ' ', 8);
	b[156] = (unsigned char)type;
	memcpy(b + 257, "ustar\0" "00", 8);
	for (int i = 0; i < 512; i++)
		sum += b[i];
	snprintf((char *)b + 148, 8, "%06o", sum);
	return 512;
}

/* A pax record "LEN key=value\n", LEN counting itself. */
static size_t pax_record(char *out, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1;

	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	return (size_t)sprintf(out, "%zu %s=%s\n", len, key, value);
}

/* A tar of @n empty files and, when @sparse, a GNU sparse file (pax 1.0) declaring @sparse
 * bytes of which its last one is stored. */
static unsigned char *bomb(size_t n, uint64_t sparse, size_t *len)
{
	unsigned char *buf = calloc(n + 8, 1024), *b = buf;
	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%zu", i);
		b += ustar_block(b, name, '0', 0);
	}
	if (sparse) {
		char pax[512] = { 0 }, size[32];
		size_t plen = 0;
		snprintf(size, sizeof(size), "%llu", (unsigned long long)sparse);
		plen += pax_record(pax + plen, "GNU.sparse.major", "1");
		plen += pax_record(pax + plen, "GNU.sparse.minor", "0");
		plen += pax_record(pax + plen, "GNU.sparse.name", "bomb");
		plen += pax_record(pax + plen, "GNU.sparse.realsize", size);
		b += ustar_block(b, "PaxHeaders/bomb", 'x', plen);
		memcpy(b, pax, 512);
		b += 512;
		b += ustar_block(b, "GNUSparseFile.0/bomb", '0', 1024);
		snprintf((char *)b, 512, "1\n%llu\n1\n", (unsigned long long)(sparse - 1));
		b[512] = 'x';
		b += 1024;
	}
	b += 1024; /* end of archive */
	*len = (size_t)(b - buf);
	return buf;
}

static int read_limited(const unsigned char *p, size_t len, const struct vf_stream_opts *lim,
			struct vf_stream *s, struct dt_err *err)
{
	struct mem m = { p, len, 0, 1 << 16 };
	struct vf_stream_opts o = *lim;
	o.name = "'mem'";
	o.entries = 1;
	return vf_stream_read(pull, &m, &o, s, err);
}

/* Each bound is an error naming it, at the header that passes it. */
static void test_limits(void **state)
{
	struct vf_stream s;
	struct dt_err err;
	size_t len;
	unsigned char *t = bomb(100, 0, &len);
	(void)state;

	assert_int_equal(read_limited(t, len, &(struct vf_stream_opts){ .max_entries = 100 }, &s,
				      &err), 0);
	assert_int_equal(s.n, 100);
	vf_stream_release(&s);
	assert_true(read_limited(t, len, &(struct vf_stream_opts){ .max_entries = 99 }, &s,
				 &err) < 0);
	assert_string_equal(err.msg, "'mem': more than 99 entries, the limit on the entries of "
				     "one tar");
	vf_stream_release(&s);
	assert_true(read_limited(t, len, &(struct vf_stream_opts){ .max_records = 1000 }, &s,
				 &err) < 0);
	assert_string_equal(err.msg, "'mem': the entries' names and fields take more than "
				     "1000 B, the limit for one tar");
	vf_stream_release(&s);
	free(t);

	/* a sparse file declaring 10^18 bytes: refused at its header, not hashed */
	t = bomb(0, UINT64_C(1000000000000000000), &len);
	assert_true(read_limited(t, len, &(struct vf_stream_opts){ 0 }, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "'bomb' (1000000000000000000 bytes) takes its files past"));
	vf_stream_release(&s);
	free(t);
	/* holes within the content bound but past the holes bound */
	t = bomb(0, 1 << 20, &len);
	assert_true(read_limited(t, len, &(struct vf_stream_opts){ .max_holes = 4096 }, &s,
				 &err) < 0);
	assert_string_equal(err.msg, "'mem': 'bomb' is a sparse file with 1048575 bytes of "
				     "holes, past 4.0 KiB, the limit on the holes of one tar");
	vf_stream_release(&s);
	/* and accepted, its holes hashed as zeros, under the bounds */
	assert_int_equal(read_limited(t, len, &(struct vf_stream_opts){ 0 }, &s, &err), 0);
	{
		struct vf_stream_entry e;
		assert_int_equal(s.n, 1);
		vf_stream_entry_at(&s, 0, &e);
		assert_string_equal(e.name, "bomb");
		assert_int_equal(e.size, 1 << 20);
		assert_true(e.sparse);
	}
	vf_stream_release(&s);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_gzip_zstd),
		cmocka_unit_test(test_large_member),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_packed_fields),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
