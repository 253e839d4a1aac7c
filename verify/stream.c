/* SPDX-License-Identifier: MIT */
/* Streams a plain, gzip or zstd tar through libdeflate/zlib/libzstd and libarchive (see
 * stream.h). */
#include "verify/stream.h"
#include "verify/entries.h"
#include "common/buf.h"

#include <archive.h>
#include <archive_entry.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#define STREAM_BUF (1u << 17)
/* gzip members whose compressed bytes fit in LD_IN and whose content fits in LD_OUT (as the
 * 1 MiB members distill writes) are inflated by libdeflate, whole, two to three times faster
 * than zlib; the first member that does not fit hands the rest of the stream to zlib. */
#define LD_IN (2u << 20)
#define LD_OUT (2u << 20)

/* The decompressing reader behind libarchive's read callback. */
struct rd {
	vf_pull_fn pull;
	void *ctx;
	const struct vf_stream_opts *o;
	struct vf_stream *s;
	struct dt_err *err;
	int failed;
	unsigned char *in, *out;
	size_t in_len, in_pos;
	int in_eof;
	z_stream z;
	size_t in_cap;
	struct libdeflate_decompressor *ld; /* NULL once zlib has taken over */
	unsigned char *ld_out;
	int z_init, z_in_member;
	ZSTD_DStream *zd;
	int zs_in_frame;
	struct dt_hash *hc, *hu;
	struct dt_hash *he;   /* each entry's content, started again for each */
	uint64_t next_progress;
};

const char *vf_stream_type_name(const struct vf_stream_entry *e)
{
	if (e->hardlink)
		return "hardlink";
	switch (e->type) {
	case AE_IFREG: return "file";
	case AE_IFDIR: return "directory";
	case AE_IFLNK: return "symlink";
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "fifo";
	case AE_IFSOCK: return "socket";
	default: return "unknown type";
	}
}

/* Refills the input buffer once it is used up. @return 0, or -1 with the error set. */
static int fill(struct rd *r)
{
	ssize_t n;

	if (r->in_pos < r->in_len || r->in_eof)
		return 0;
	n = r->pull(r->ctx, r->in, r->in_cap, r->err);
	if (n < 0) {
		r->failed = 1;
		return -1;
	}
	r->in_pos = 0;
	r->in_len = (size_t)n;
	if (n == 0) {
		r->in_eof = 1;
		return 0;
	}
	dt_hash_update(r->hc, r->in, (size_t)n);
	r->s->size += (uint64_t)n;
	if (r->o->progress && r->s->size >= r->next_progress) {
		r->o->progress(r->o->progress_ctx, NULL, r->s->size, 0);
		r->next_progress = r->s->size + (8u << 20);
	}
	return 0;
}

/* Reads more input behind what is unread (moved to the front when the room behind is
 * short), up to the buffer's size.
 * @return 1 when bytes were added, 0 at the end or when full, -1 on error. */
static int fill_more(struct rd *r)
{
	ssize_t n;

	if (r->in_eof)
		return 0;
	if (r->in_pos == r->in_len) {
		r->in_pos = r->in_len = 0;
	} else if (r->in_pos && r->in_cap - r->in_len < (1u << 20)) {
		/* compact only when the room behind is short, not after every member */
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	if (r->in_len == r->in_cap)
		return 0;
	n = r->pull(r->ctx, r->in + r->in_len, r->in_cap - r->in_len, r->err);
	if (n < 0) {
		r->failed = 1;
		return -1;
	}
	if (n == 0) {
		r->in_eof = 1;
		return 0;
	}
	dt_hash_update(r->hc, r->in + r->in_len, (size_t)n);
	r->in_len += (size_t)n;
	r->s->size += (uint64_t)n;
	return 1;
}

/* The next whole gzip member through libdeflate. @return the bytes in *@buf, 0 at the end,
 * -1 on error, or -2 when zlib must take over from here. */
static ssize_t inflate_member(struct rd *r, const void **buf)
{
	for (;;) {
		size_t ain = 0, aout = 0;
		enum libdeflate_result res;
		int more;
		if (r->in_pos == r->in_len && (more = fill_more(r)) <= 0)
			return more < 0 ? -1 : 0;
		res = libdeflate_gzip_decompress_ex(r->ld, r->in + r->in_pos, r->in_len - r->in_pos,
						    r->ld_out, LD_OUT, &ain, &aout);
		if (res == LIBDEFLATE_SUCCESS) {
			r->in_pos += ain;
			r->s->gz_members++;
			if (aout) {
				*buf = r->ld_out;
				return (ssize_t)aout;
			}
			continue;
		}
		/* maybe the member goes on beyond the buffer: read more and try again */
		if (res == LIBDEFLATE_BAD_DATA && (more = fill_more(r)) != 0) {
			if (more < 0)
				return -1;
			continue;
		}
		return -2;
	}
}

static int fail(struct rd *r, const char *what)
{
	r->failed = 1;
	return dt_err_set(r->err, DT_EINPUT, "%s: %s", r->o->name, what);
}

/* Produces the next uncompressed bytes in *@buf. @return the count, 0 at the end, -1 on
 * error. */
static ssize_t produce(struct rd *r, const void **buf)
{
	for (;;) {
		if (fill(r) < 0)
			return -1;
		if (r->s->comp == DT_COMP_NONE) {
			size_t n = r->in_len - r->in_pos;
			*buf = r->in + r->in_pos;
			r->in_pos = r->in_len;
			return (ssize_t)n;
		}
		if (r->in_pos == r->in_len) {
			if ((r->s->comp == DT_COMP_GZIP && r->z_in_member) ||
			    (r->s->comp == DT_COMP_ZSTD && r->zs_in_frame))
				return fail(r, "the compressed stream is truncated"), -1;
			return 0;
		}
		/* zeros after the last member (padding to a block, as tape tools write): read,
		 * counted in the digest, accepted as gzip(1) accepts them */
		if (r->s->comp == DT_COMP_GZIP && !r->z_in_member && r->s->gz_members > 0 &&
		    r->in[r->in_pos] == 0) {
			for (;;) {
				for (; r->in_pos < r->in_len; r->in_pos++)
					if (r->in[r->in_pos] != 0)
						return fail(r, "data after the gzip stream that is not "
							       "zero padding"), -1;
				if (fill(r) < 0)
					return -1;
				if (r->in_pos == r->in_len)
					return 0;
			}
		}
		if (r->s->comp == DT_COMP_GZIP && r->ld) {
			ssize_t n = inflate_member(r, buf);
			if (n != -2)
				return n;
			libdeflate_free_decompressor(r->ld);
			r->ld = NULL; /* zlib from this member on */
			continue;
		}
		if (r->s->comp == DT_COMP_GZIP) {
			int zr;
			size_t got;
			if (!r->z_in_member) {
				if (r->s->gz_members > 0 && inflateReset(&r->z) != Z_OK)
					return fail(r, "zlib cannot reset"), -1;
				r->z_in_member = 1;
			}
			r->z.next_in = r->in + r->in_pos;
			r->z.avail_in = (uInt)(r->in_len - r->in_pos);
			r->z.next_out = r->out;
			r->z.avail_out = STREAM_BUF;
			zr = inflate(&r->z, Z_NO_FLUSH);
			r->in_pos = r->in_len - r->z.avail_in;
			got = STREAM_BUF - r->z.avail_out;
			if (zr == Z_STREAM_END) {
				r->s->gz_members++;
				r->z_in_member = 0;
			} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
				char m[160];
				snprintf(m, sizeof(m), "not a valid gzip stream (member %u: %s)",
					 r->s->gz_members + 1, r->z.msg ? r->z.msg : "zlib error");
				return fail(r, m), -1;
			}
			if (got) {
				*buf = r->out;
				return (ssize_t)got;
			}
		} else {
			ZSTD_inBuffer ib = { r->in, r->in_len, r->in_pos };
			ZSTD_outBuffer ob = { r->out, STREAM_BUF, 0 };
			size_t zr = ZSTD_decompressStream(r->zd, &ob, &ib);
			r->in_pos = ib.pos;
			if (ZSTD_isError(zr)) {
				char m[160];
				snprintf(m, sizeof(m), "not a valid zstd stream (frame %u: %s)",
					 r->s->zs_frames + 1, ZSTD_getErrorName(zr));
				return fail(r, m), -1;
			}
			r->zs_in_frame = zr != 0;
			if (zr == 0)
				r->s->zs_frames++;
			if (ob.pos) {
				*buf = r->out;
				return (ssize_t)ob.pos;
			}
		}
	}
}

static la_ssize_t la_read(struct archive *a, void *ctx, const void **buf)
{
	struct rd *r = ctx;
	ssize_t n;

	(void)a;
	if (r->failed)
		return -1;
	n = produce(r, buf);
	if (n > 0) {
		dt_hash_update(r->hu, *buf, (size_t)n);
		r->s->usize += (uint64_t)n;
	}
	return n;
}

/* FNAME and FCOMMENT of the first gzip member's header (RFC 1952 2.3), when the first bytes
 * hold them. */
static void gz_strings(struct vf_stream *s, const unsigned char *p, size_t n)
{
	size_t off = 10;
	int flg = p[3];

	if (flg & 0x04) { /* FEXTRA */
		if (n < 12)
			return;
		off = 12 + ((size_t)p[10] | (size_t)p[11] << 8);
	}
	for (int bit = 0x08; bit <= 0x10; bit <<= 1) { /* FNAME, then FCOMMENT */
		size_t end = off;
		if (!(flg & bit))
			continue;
		while (end < n && p[end])
			end++;
		if (end >= n || end - off > 255)
			return;
		if (bit == 0x08)
			s->gz_name = strndup((const char *)p + off, end - off);
		else
			s->gz_comment = strndup((const char *)p + off, end - off);
		off = end + 1;
	}
}

/* Detects the compression from the first bytes and reads the compressor's header. */
static int start(struct rd *r)
{
	struct vf_stream *s = r->s;
	const unsigned char *p;
	size_t n;

	if (fill(r) < 0)
		return -1;
	/* A header may straddle the first pull; gather at least 18 bytes when there are. */
	while (!r->in_eof && r->in_len < 18) {
		ssize_t k = r->pull(r->ctx, r->in + r->in_len, r->in_cap - r->in_len, r->err);
		if (k < 0)
			return r->failed = 1, -1;
		if (k == 0)
			break;
		dt_hash_update(r->hc, r->in + r->in_len, (size_t)k);
		r->in_len += (size_t)k;
		s->size += (uint64_t)k;
	}
	p = r->in;
	n = r->in_len;
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		s->comp = DT_COMP_GZIP;
		if (inflateInit2(&r->z, 15 + 16) != Z_OK)
			return fail(r, "zlib cannot start");
		r->z_init = 1;
		{
			/* room for a whole member behind what was read */
			unsigned char *in = realloc(r->in, LD_IN);
			if (!in)
				return fail(r, "out of memory");
			r->in = in;
			r->in_cap = LD_IN;
			p = in;
		}
		if (!(r->ld = libdeflate_alloc_decompressor()) || !(r->ld_out = malloc(LD_OUT)))
			return fail(r, "cannot set up libdeflate");
		if (n >= 10) {
			s->gz_flags = p[3];
			s->gz_mtime = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
				      (uint32_t)p[7] << 24;
			s->gz_xfl = p[8];
			s->gz_os = p[9];
			gz_strings(s, p, n);
		}
	} else if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
		ZSTD_frameHeader fh;
		s->comp = DT_COMP_ZSTD;
		if (!(r->zd = ZSTD_createDStream()) || ZSTD_isError(ZSTD_initDStream(r->zd)))
			return fail(r, "libzstd cannot start");
		if (ZSTD_getFrameHeader(&fh, p, n) == 0) {
			s->zs_window = fh.windowSize;
			s->zs_checksum = (int)fh.checksumFlag;
			s->zs_has_size = fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN;
			s->zs_single = fh.frameType == ZSTD_frame &&
				       fh.windowSize == fh.frameContentSize;
			s->zs_dict = fh.dictID;
		}
		r->zs_in_frame = 1;
	} else if (n >= 6 && memcmp(p, "\xfd" "7zXZ", 6) == 0) {
		return fail(r, "is xz-compressed; distill reads plain, gzip and zstd tar streams");
	} else if (n >= 3 && memcmp(p, "BZh", 3) == 0) {
		return fail(r, "is bzip2-compressed; distill reads plain, gzip and zstd tar "
			       "streams");
	} else {
		s->comp = DT_COMP_NONE;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name=hex\n" for each xattr, sorted by name; NULL when there are none. */
static int xattrs_text(struct archive_entry *ae, char **out)
{
	const char *name;
	const void *val;
	size_t sz, n = 0, len = 0, cnt = archive_entry_xattr_reset(ae);
	char **lines;
	int rc = 0;

	*out = NULL;
	if (cnt == 0)
		return 0;
	if (!(lines = calloc(cnt, sizeof(*lines))))
		return -1;
	while (n < cnt && archive_entry_xattr_next(ae, &name, &val, &sz) == ARCHIVE_OK) {
		size_t nl = strlen(name);
		char *l = malloc(nl + 2 * sz + 3);
		if (!l) {
			rc = -1;
			goto out;
		}
		memcpy(l, name, nl);
		l[nl] = '=';
		dt_hex(val, sz, l + nl + 1);
		l[nl + 1 + 2 * sz] = '\n';
		l[nl + 2 + 2 * sz] = '\0';
		len += nl + 2 + 2 * sz;
		lines[n++] = l;
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	if (!(*out = malloc(len + 1))) {
		rc = -1;
		goto out;
	}
	(*out)[0] = '\0';
	for (size_t i = 0, off = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		memcpy(*out + off, lines[i], l + 1);
		off += l;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return rc;
}

/* Fills @e from the header @ae: its strings are libarchive's (valid until the next header)
 * and *@xattrs, which the caller frees. @return 0, or -1 when out of memory. */
static int record(struct archive *a, struct archive_entry *ae, size_t pos,
		  struct vf_stream_entry *e, char **xattrs)
{
	const char *hl = archive_entry_hardlink(ae), *sl = archive_entry_symlink(ae);
	const char *name = archive_entry_pathname(ae);
	const char *ff = archive_entry_fflags_text(ae);

	memset(e, 0, sizeof(*e));
	e->pos = pos;
	e->name = name ? name : "";
	e->hardlink = hl != NULL;
	e->link = hl ? hl : sl;
	e->type = archive_entry_filetype(ae);
	e->mode = (uint32_t)archive_entry_perm(ae) & 07777;
	e->uid = archive_entry_uid(ae);
	e->gid = archive_entry_gid(ae);
	e->uname = archive_entry_uname(ae);
	e->gname = archive_entry_gname(ae);
	e->mtime = archive_entry_mtime(ae);
	e->mtime_ns = archive_entry_mtime_nsec(ae);
	if ((e->has_atime = archive_entry_atime_is_set(ae)))
		e->atime = archive_entry_atime(ae);
	if ((e->has_ctime = archive_entry_ctime_is_set(ae)))
		e->ctime = archive_entry_ctime(ae);
	if ((e->has_birthtime = archive_entry_birthtime_is_set(ae)))
		e->birthtime = archive_entry_birthtime(ae);
	e->size = archive_entry_size_is_set(ae) ? (uint64_t)archive_entry_size(ae) : 0;
	if (e->type == AE_IFCHR || e->type == AE_IFBLK) {
		e->rdev_major = archive_entry_rdevmajor(ae);
		e->rdev_minor = archive_entry_rdevminor(ae);
	}
	e->fflags = ff && *ff ? ff : NULL;
	e->format = archive_format(a);
	e->header_pos = archive_read_header_position(a);
	e->sparse = archive_entry_sparse_count(ae) > 0;
	*xattrs = NULL;
	if (xattrs_text(ae, xattrs) < 0)
		return -1;
	e->xattrs = *xattrs;
	return 0;
}

/* Hashes an entry's content, holes of sparse files as zeros. */
static int content(struct rd *r, struct archive *a, struct vf_stream_entry *e)
{
	static const unsigned char zeros[1 << 16];
	struct dt_hash *c = r->he;
	const void *buf;
	size_t len;
	la_int64_t off;
	uint64_t cur = 0;
	int rc = 0, ar;

	dt_hash_reset(c);
	while ((ar = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK ||
	       ar == ARCHIVE_WARN) {
		while (off >= 0 && cur < (uint64_t)off) {
			size_t z = (uint64_t)off - cur < sizeof(zeros) ? (size_t)((uint64_t)off - cur)
								      : sizeof(zeros);
			dt_hash_update(c, zeros, z);
			cur += z;
		}
		dt_hash_update(c, buf, len);
		cur += len;
		if (r->o->data && (rc = r->o->data(r->o->data_ctx, e, buf, len, r->err)) < 0)
			goto out;
	}
	if (ar != ARCHIVE_EOF) {
		if (!r->failed)
			dt_err_set(r->err, DT_EINPUT, "%s: '%s': %s", r->o->name, e->name,
				   archive_error_string(a) ? archive_error_string(a)
							   : "cannot read the content");
		rc = -DT_EINPUT;
		goto out;
	}
	while (cur < e->size) {
		size_t z = e->size - cur < sizeof(zeros) ? (size_t)(e->size - cur) : sizeof(zeros);
		dt_hash_update(c, zeros, z);
		cur += z;
	}
	dt_hash_final(c, e->sha256);
out:
	return rc;
}

/* The limits of stream.h, checked at each header before any content is read: a sparse file
 * declaring 10^18 bytes is refused at once, not hashed. */
static int bound(struct rd *r, struct archive_entry *ae, const struct vf_stream_entry *e,
		 size_t pos, uint64_t *logical, uint64_t *holes)
{
	const struct vf_stream_opts *o = r->o;
	uint64_t data = 0, max_entries = o->max_entries ? o->max_entries : VF_STREAM_MAX_ENTRIES;
	uint64_t max_logical = o->max_logical ? o->max_logical : VF_STREAM_MAX_LOGICAL;
	uint64_t max_holes = o->max_holes ? o->max_holes : VF_STREAM_MAX_HOLES;
	char h[32];

	if ((uint64_t)pos + 1 > max_entries)
		return dt_err_set(r->err, DT_EINPUT, "%s: more than %llu entries, the limit on the "
				  "entries of one tar", r->o->name, (unsigned long long)max_entries);
	if (e->type != AE_IFREG || e->hardlink)
		return 0;
	if (e->size > max_logical - *logical)
		return dt_err_set(r->err, DT_EINPUT, "%s: '%s' (%llu bytes) takes its files past %s, "
				  "the limit on the content of one tar (holes included)",
				  r->o->name, e->name, (unsigned long long)e->size,
				  dt_human_bytes(max_logical, h, sizeof(h)));
	*logical += e->size;
	if (!e->sparse)
		return 0;
	archive_entry_sparse_reset(ae);
	for (la_int64_t off, len; archive_entry_sparse_next(ae, &off, &len) == ARCHIVE_OK;) {
		if (off < 0 || len < 0 || (uint64_t)off > e->size ||
		    (uint64_t)len > e->size - (uint64_t)off)
			return dt_err_set(r->err, DT_EINPUT, "%s: '%s': its sparse map lies outside "
					  "its %llu bytes", r->o->name, e->name,
					  (unsigned long long)e->size);
		data += (uint64_t)len;
	}
	if (data > e->size)
		return dt_err_set(r->err, DT_EINPUT, "%s: '%s': its sparse map holds more than its "
				  "%llu bytes", r->o->name, e->name, (unsigned long long)e->size);
	if (e->size - data > max_holes - *holes)
		return dt_err_set(r->err, DT_EINPUT, "%s: '%s' is a sparse file with %llu bytes of "
				  "holes, past %s, the limit on the holes of one tar", r->o->name,
				  e->name, (unsigned long long)(e->size - data),
				  dt_human_bytes(max_holes, h, sizeof(h)));
	*holes += e->size - data;
	return 0;
}

const char *vf_stream_header_kind(const struct vf_stream_entry *e)
{
	int gnu = e->format == ARCHIVE_FORMAT_TAR_GNUTAR;

	if (!e->header_bytes)
		return NULL;
	if (e->header_bytes == 512)
		return gnu ? "gnu" : "ustar";
	return gnu ? "gnu" : "pax";
}

int vf_stream_read(vf_pull_fn pull, void *ctx, const struct vf_stream_opts *o, struct vf_stream *s,
		struct dt_err *err)
{
	struct rd r = { .pull = pull, .ctx = ctx, .o = o, .s = s, .err = err };
	struct archive *a = NULL;
	struct archive_entry *ae;
	uint64_t logical = 0, holes = 0;
	uint64_t max_records = o->max_records ? o->max_records : VF_STREAM_MAX_RECORDS;
	char hb[32];
	int rc = 0, ar;

	memset(s, 0, sizeof(*s));
	r.in_cap = STREAM_BUF; /* LD_IN once the stream is known to be gzip */
	r.in = malloc(r.in_cap);
	r.out = malloc(STREAM_BUF);
	if (!r.in || !r.out || !(r.hc = dt_hash_new(DT_HASH_SHA256, err)) || !(r.hu = dt_hash_new(DT_HASH_SHA256, err)) ||
	    !(r.he = dt_hash_new(DT_HASH_SHA256, err))) {
		rc = r.in && r.out ? -DT_ELIB : dt_oom(err);
		goto out;
	}
	if (start(&r) < 0) {
		rc = -DT_EINPUT;
		goto out;
	}
	if (!(a = archive_read_new()) || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open(a, &r, NULL, la_read, NULL) != ARCHIVE_OK) {
		if (!r.failed)
			dt_err_set(err, DT_EINPUT, "%s: not a tar archive%s%s", o->name,
				   a && archive_error_string(a) ? ": " : "",
				   a && archive_error_string(a) ? archive_error_string(a) : "");
		rc = -DT_EINPUT;
		goto out;
	}
	if (o->entries && !(s->ents = vf_entries_new())) {
		rc = dt_oom(err);
		goto out;
	}
	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		struct vf_stream_entry e;
		size_t pos = archive_file_count(a) - 1;
		char *xattrs = NULL;
		if (record(a, ae, pos, &e, &xattrs) < 0) {
			rc = dt_oom(err);
			goto out;
		}
		if ((rc = bound(&r, ae, &e, pos, &logical, &holes)) == 0)
			rc = content(&r, a, &e);
		if (rc == 0 && o->entries && vf_entries_add(s->ents, &e, max_records) < 0) {
			rc = s->ents->full
				     ? dt_err_set(err, DT_EINPUT, "%s: the entries' names and fields "
						  "take more than %s, the limit for one tar", o->name,
						  dt_human_bytes(max_records, hb, sizeof(hb)))
				     : dt_oom(err);
		}
		free(xattrs);
		if (rc < 0)
			goto out;
		if (o->entries)
			s->n++;
	}
	if (ar != ARCHIVE_EOF) {
		if (!r.failed)
			dt_err_set(err, DT_EINPUT, "%s: not a valid tar archive: %s", o->name,
				   archive_error_string(a) ? archive_error_string(a) : "bad header");
		rc = -DT_EINPUT;
		goto out;
	}
	if (s->ents)
		s->ents->end = archive_read_header_position(a);
	/* libarchive stops at the end-of-archive blocks: the rest still counts in digests. */
	for (;;) {
		const void *buf;
		ssize_t n = produce(&r, &buf);
		if (n < 0) {
			rc = -DT_EINPUT;
			goto out;
		}
		if (n == 0)
			break;
		dt_hash_update(r.hu, buf, (size_t)n);
		s->usize += (uint64_t)n;
	}
	dt_hash_digest(r.hc, s->digest);
	dt_hash_digest(r.hu, s->diff_id);
	if (o->progress)
		o->progress(o->progress_ctx, NULL, s->size, 0);
out:
	if (a)
		archive_read_free(a);
	if (r.z_init)
		inflateEnd(&r.z);
	ZSTD_freeDStream(r.zd);
	if (r.ld)
		libdeflate_free_decompressor(r.ld);
	free(r.ld_out);
	dt_hash_free(r.hc);
	dt_hash_free(r.hu);
	dt_hash_free(r.he);
	free(r.in);
	free(r.out);
	return rc;
}

void vf_stream_release(struct vf_stream *s)
{
	if (!s)
		return;
	vf_entries_free(s->ents);
	free(s->gz_name);
	free(s->gz_comment);
	memset(s, 0, sizeof(*s));
}
