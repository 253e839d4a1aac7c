/* SPDX-License-Identifier: MIT */
/* Reading one tar stream (a layer or a tarball), plain, gzip or zstd, as it streams: the
 * digests of the stored and the uncompressed bytes, the compressor's header fields, and a
 * record of every entry with the sha256 of its content, packed (some 20 bytes and the name
 * for an empty file). Memory grows with the number of entries, never with their sizes, and
 * the work any stream causes is bounded (VF_STREAM_MAX_*). Used by `distill diff`, `verify` and `inspect`. */
#ifndef DISTILL_VERIFY_STREAM_H
#define DISTILL_VERIFY_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/compression.h"
#include "common/err.h"
#include "common/report.h"
#include "common/digest.h"

/* Bounds on the work one stream may cause, so that a small hostile input can neither hang
 * a reader nor exhaust its memory; each one hit is an error naming it. */
#define VF_STREAM_MAX_ENTRIES (UINT64_C(4) << 20)  /* entries in one tar */
#define VF_STREAM_MAX_LOGICAL (UINT64_C(64) << 30) /* bytes of content, holes included */
#define VF_STREAM_MAX_HOLES (UINT64_C(1) << 30)    /* bytes of sparse holes (hashed as zeros) */
#define VF_STREAM_MAX_RECORDS (UINT64_C(1) << 30)  /* bytes of the entries kept, packed */

/* Pulls the next bytes of the stored stream into @buf (up to @cap).
 * @return the count, 0 at the end, or a negative code with @err set. */
typedef ssize_t (*vf_pull_fn)(void *ctx, void *buf, size_t cap, struct dt_err *err);

/* One tar entry as libarchive reads it. Times are seconds and nanoseconds; has_* says
 * whether the archive carried that time at all (ustar has only mtime). Its strings belong to
 * whoever filled it: the stream (vf_stream_entry_at(), until vf_stream_release()) or, for a
 * data callback, the reader (until the callback returns). */
struct vf_stream_entry {
	const char *name;
	const char *link;             /* symlink or hardlink target, or NULL */
	int hardlink;
	uint32_t type;          /* AE_IFREG, AE_IFDIR, ... */
	uint32_t mode;          /* permission bits, with setuid/setgid/sticky */
	int64_t uid, gid;
	const char *uname, *gname;    /* NULL when the archive carried none */
	int64_t mtime;
	long mtime_ns;
	int has_atime, has_ctime, has_birthtime;
	int64_t atime, ctime, birthtime;
	uint64_t size;
	uint64_t rdev_major, rdev_minor;
	const char *xattrs;           /* "name=hexvalue\n" sorted by name, or NULL */
	const char *fflags;           /* file flags as text, or NULL */
	int format;             /* archive_format() when read; libarchive keeps "pax" once it
				 * has seen one pax header, so see vf_stream_header_kind() */
	uint64_t header_bytes;  /* its header blocks, extended headers (pax, GNU long names)
				 * included; 0 when unknown (sparse entries) */
	int64_t header_pos;     /* offset of its first header block in the tar */
	int sparse;
	unsigned char sha256[32];
	size_t pos;             /* 0-based position in the archive */
};

/* Everything known about one stream. */
struct vf_stream {
	enum dt_compression comp;
	char digest[DT_DIGEST_LEN];   /* of the bytes as stored */
	char diff_id[DT_DIGEST_LEN];  /* of the uncompressed tar */
	uint64_t size, usize;
	/* gzip: the first member's header, and how many members */
	unsigned gz_members;
	uint32_t gz_mtime;
	int gz_xfl, gz_os, gz_flags;
	char *gz_name, *gz_comment;
	/* zstd: the first frame's header, and how many frames */
	unsigned zs_frames;
	uint64_t zs_window;
	int zs_checksum, zs_has_size, zs_single;
	unsigned zs_dict;
	/* the entries kept (vf_stream_opts.entries), in archive order: vf_stream_entry_at() */
	size_t n;
	struct vf_entries *ents;  /* private: packed */
};

/* Called with each entry's content as it streams (for callers that keep a few small files);
 * @return 0 or a negative code with @err set. May be NULL. */
typedef int (*vf_stream_data_fn)(void *ctx, const struct vf_stream_entry *e, const void *buf,
			       size_t len, struct dt_err *err);

struct vf_stream_opts {
	const char *name;        /* names the stream in messages */
	int unchecked;           /* vf_source_read: leave the descriptor checks to the caller */
	int entries;             /* keep entry records (else only digests and headers) */
	/* the bounds, 0 for VF_STREAM_MAX_ENTRIES, _LOGICAL, _HOLES and _RECORDS (tests set
	 * less) */
	uint64_t max_entries, max_logical, max_holes, max_records;
	vf_stream_data_fn data;    /* optional */
	void *data_ctx;
	/* called now and then with the stored bytes read so far (label NULL, total 0); may be
	 * NULL */
	dt_progress_fn progress;
	void *progress_ctx;
};

/* Reads the whole stream from @pull: detects the compression from its first bytes, checks
 * that it is a tar archive and fills @out (vf_stream_release() it, also after an error).
 * @return 0, or a negative code with @err naming @o->name. */
int vf_stream_read(vf_pull_fn pull, void *ctx, const struct vf_stream_opts *o, struct vf_stream *out,
		struct dt_err *err);

void vf_stream_release(struct vf_stream *s);

/* Entry @i (< @s->n) of a stream read with entries kept, unpacked into @e; its strings
 * point into @s. */
void vf_stream_entry_at(const struct vf_stream *s, size_t i, struct vf_stream_entry *e);

/* The name of entry @i, as vf_stream_entry_at() gives it (without unpacking the rest). */
const char *vf_stream_name_at(const struct vf_stream *s, size_t i);

/* "file", "directory", "symlink", "hardlink", "character device", ... */
const char *vf_stream_type_name(const struct vf_stream_entry *e);

/* The header of one entry: "ustar" (one block), "pax" or "gnu" (extended headers), or NULL
 * when unknown. */
const char *vf_stream_header_kind(const struct vf_stream_entry *e);


#endif
