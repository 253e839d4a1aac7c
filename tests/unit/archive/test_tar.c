/* SPDX-License-Identifier: MIT */
/* Unit tests of packer/archive/tar: every header and content read back with libarchive, the
 * digests and sizes for each compression, the three content sources, locked sha256 checks,
 * progress, identical bytes for the same tree, files read ahead, sparse files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.h"
#include "packer/archive/tar.h"
#include "packer/archive/tree.h"
#include "testlib.h"

#define BIG (600u * 1024) /* more than one read chunk */

static const char mem_text[] = "hello from memory\n";
static const char root_text[] = "hello from the content root\n";
static const char fd_text[] = "hello from a descriptor\n";

/* One test's files: a content root, a file read by descriptor, an output directory. */
struct fixture {
	const char *dir;
	char root[4096];
	int fd;           /* fd_text, its offset left at 5 */
	unsigned char *big;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char p[4096];

	assert_non_null(f);
	f->dir = tl_tmpdir();
	tl_path(f->root, f->dir, "root");
	tl_write(f->dir, "root/sub/file.txt", root_text, (size_t)-1, 0644);
	tl_write(f->dir, "fd.txt", fd_text, (size_t)-1, 0644);
	f->fd = open(tl_path(p, f->dir, "fd.txt"), O_RDONLY | O_CLOEXEC);
	assert_true(f->fd >= 0);
	assert_int_equal(lseek(f->fd, 5, SEEK_SET), 5);
	assert_non_null(f->big = malloc(BIG));
	for (size_t i = 0; i < BIG; i++)
		f->big[i] = (unsigned char)(i * 7 + i / 1000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	close(f->fd);
	free(f->big);
	tl_rmtree(f->dir);
	free(f);
	return 0;
}

static unsigned char *dup_bytes(const void *p, size_t n)
{
	unsigned char *d = malloc(n ? n : 1);
	assert_non_null(d);
	memcpy(d, p, n);
	return d;
}

/* Adds a copy of @e with @path, @link and @src (the tree copies them) and a copy of @data. */
static void add(struct pk_tree *t, struct pk_entry e, const char *path, const char *link,
		const char *src, const void *data)
{
	char pb[256], lb[256], sb[256];
	struct dt_err err;

	e.path = strcpy(pb, path);
	e.link = link ? strcpy(lb, link) : NULL;
	e.src = src ? strcpy(sb, src) : NULL;
	assert_int_equal(pk_tree_add(t, &e, data ? dup_bytes(data, (size_t)e.size) : NULL, &err),
			 0);
}

/* An entry read from the content root @root (src "sub/file.txt"), with its inode. */
static struct pk_entry root_entry(const struct fixture *f, int root)
{
	struct pk_entry e = { .type = PK_REG, .root = root, .fixed = 1 };
	char p[4096];
	struct stat st;

	assert_int_equal(stat(tl_path(p, f->root, "sub/file.txt"), &st), 0);
	e.dev = st.st_dev;
	e.ino = st.st_ino;
	e.size = (uint64_t)st.st_size;
	return e;
}

static struct pk_entry fd_entry(const struct fixture *f, uint64_t size)
{
	return (struct pk_entry){ .type = PK_REG, .root = -1, .from_fd = 1, .fd = f->fd,
				  .size = size, .fixed = 1 };
}

/* The expected header and content of one entry. */
struct want {
	const char *path;
	char typeflag;        /* as the raw ustar header has it */
	unsigned mode, uid, gid;
	int64_t mtime;
	const void *content;
	size_t size;
	const char *link;     /* symlink or hardlink target */
};

/* Every kind of entry and every content source; "usr" is added by pk_tree_normalize. The tar
 * names directories with a trailing "/". */
static struct pk_tree *make_tree(const struct fixture *f, size_t *n, const struct want **w)
{
	static struct want want[10];
	struct pk_norm norm = { .epoch = 1700000000, .uid = 3, .gid = 4 };
	struct pk_tree *t = pk_tree_new();
	struct pk_entry e;
	struct dt_err err;
	int root;

	assert_non_null(t);
	assert_true((root = pk_tree_add_root(t, f->root, &err)) >= 0);
	e = (struct pk_entry){ .type = PK_DIR, .mode = 0750, .mtime = 1700000000, .root = -1,
			       .fixed = 1 };
	add(t, e, "etc", NULL, NULL, NULL);
	e = (struct pk_entry){ .type = PK_REG, .mode = 0644, .uid = 1000, .gid = 1001,
			       .mtime = 1600000000, .size = sizeof(mem_text) - 1, .root = -1,
			       .fixed = 1 };
	add(t, e, "etc/data", NULL, NULL, mem_text);
	e = (struct pk_entry){ .type = PK_REG, .mode = 0600, .mtime = 5, .root = -1, .fixed = 1 };
	add(t, e, "etc/empty", NULL, NULL, NULL);
	e = fd_entry(f, sizeof(fd_text) - 1);
	e.mode = 0640;
	e.uid = 7;
	e.gid = 8;
	e.mtime = 1500000000;
	add(t, e, "etc/fd", NULL, NULL, NULL);
	e = (struct pk_entry){ .type = PK_HARDLINK, .mode = 0644, .uid = 1000, .gid = 1001,
			       .mtime = 1600000000, .root = -1, .fixed = 1 };
	add(t, e, "etc/hard", "etc/data", NULL, NULL);
	e = (struct pk_entry){ .type = PK_SYMLINK, .mode = 0777, .mtime = 1, .root = -1,
			       .fixed = 1 };
	add(t, e, "etc/link", "data", NULL, NULL);
	e = root_entry(f, root);
	e.mode = 04755;
	e.uid = 65534;
	e.gid = 65533;
	e.mtime = 1234567890;
	add(t, e, "etc/root", NULL, "sub/file.txt", NULL);
	e = (struct pk_entry){ .type = PK_REG, .mode = 0755, .mtime = 1700000000, .size = BIG,
			       .root = -1, .fixed = 1 };
	add(t, e, "usr/big", NULL, NULL, f->big);
	assert_int_equal(pk_tree_normalize(t, &norm, &err), 0);

	want[0] = (struct want){ "etc/", '5', 0750, 0, 0, 1700000000, NULL, 0, NULL };
	want[1] = (struct want){ "etc/data", '0', 0644, 1000, 1001, 1600000000, mem_text,
				 sizeof(mem_text) - 1, NULL };
	want[2] = (struct want){ "etc/empty", '0', 0600, 0, 0, 5, "", 0, NULL };
	want[3] = (struct want){ "etc/fd", '0', 0640, 7, 8, 1500000000, fd_text,
				 sizeof(fd_text) - 1, NULL };
	want[4] = (struct want){ "etc/hard", '1', 0644, 1000, 1001, 1600000000, NULL, 0,
				 "etc/data" };
	want[5] = (struct want){ "etc/link", '2', 0777, 0, 0, 1, NULL, 0, "data" };
	want[6] = (struct want){ "etc/root", '0', 04755, 65534, 65533, 1234567890, root_text,
				 sizeof(root_text) - 1, NULL };
	want[7] = (struct want){ "usr/", '5', 0755, 3, 4, 1700000000, NULL, 0, NULL };
	want[8] = (struct want){ "usr/big", '0', 0755, 0, 0, 1700000000, f->big, BIG, NULL };
	*n = 9;
	*w = want;
	assert_int_equal(pk_tree_count(t), 9);
	return t;
}

/* Reads @blob (any compression) with libarchive: each header and content as @w says. */
static void check_entries(const void *blob, size_t len, const struct want *w, size_t n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	char *buf = malloc(BIG + 1);

	assert_non_null(a);
	assert_non_null(buf);
	assert_int_equal(archive_read_support_filter_all(a), ARCHIVE_OK);
	assert_int_equal(archive_read_support_format_tar(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, blob, len), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(archive_read_next_header(a, &ae), ARCHIVE_OK);
		assert_string_equal(archive_entry_pathname(ae), w[i].path);
		assert_int_equal(archive_entry_perm(ae), w[i].mode);
		assert_int_equal(archive_entry_uid(ae), w[i].uid);
		assert_int_equal(archive_entry_gid(ae), w[i].gid);
		assert_int_equal(archive_entry_mtime(ae), w[i].mtime);
		assert_int_equal(archive_entry_mtime_nsec(ae), 0);
		assert_false(archive_entry_atime_is_set(ae));
		assert_false(archive_entry_ctime_is_set(ae));
		assert_string_equal(archive_entry_uname(ae) ? archive_entry_uname(ae) : "", "");
		assert_string_equal(archive_entry_gname(ae) ? archive_entry_gname(ae) : "", "");
		assert_int_equal(archive_entry_size(ae), w[i].size);
		switch (w[i].typeflag) {
		case '5':
			assert_int_equal(archive_entry_filetype(ae), AE_IFDIR);
			break;
		case '2':
			assert_int_equal(archive_entry_filetype(ae), AE_IFLNK);
			assert_string_equal(archive_entry_symlink(ae), w[i].link);
			break;
		case '1':
			assert_string_equal(archive_entry_hardlink(ae), w[i].link);
			break;
		default:
			assert_int_equal(archive_entry_filetype(ae), AE_IFREG);
			assert_null(archive_entry_hardlink(ae));
			assert_int_equal(archive_read_data(a, buf, BIG + 1), (la_ssize_t)w[i].size);
			if (w[i].size)
				assert_memory_equal(buf, w[i].content, w[i].size);
		}
	}
	assert_int_equal(archive_read_next_header(a, &ae), ARCHIVE_EOF);
	assert_int_equal(archive_read_free(a), ARCHIVE_OK);
	free(buf);
}

static uint64_t octal(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

/* The raw tar: a ustar header per entry (no pax header for these plain entries), each
 * with empty user and group names, then exactly the two zero end blocks. */
static void check_raw(const unsigned char *tar, size_t len, const struct want *w, size_t n)
{
	static const unsigned char zeros[1024];
	size_t off = 0;

	assert_int_equal(len % 512, 0);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *h = tar + off;
		uint64_t size;
		assert_true(off + 512 <= len);
		assert_memory_equal(h + 257, "ustar\0" "00", 8);
		assert_int_equal(h[156], w[i].typeflag);
		assert_string_equal((const char *)h, w[i].path);
		assert_memory_equal(h + 265, zeros, 32); /* uname */
		assert_memory_equal(h + 297, zeros, 32); /* gname */
		size = octal(h + 124, 12);
		assert_int_equal(size, w[i].size);
		off += 512 + (size_t)((size + 511) / 512 * 512);
	}
	assert_int_equal(len - off, 1024);
	assert_memory_equal(tar + off, zeros, 1024);
}

/* Writes @t to a new file @name in the fixture's directory. @return pk_tar_write's code. */
static int write_to(const struct fixture *f, const struct pk_tree *t, const char *name,
		    const struct pk_tar_opts *o, struct pk_tar_result *r, struct dt_err *err)
{
	char p[4096];
	int fd = open(tl_path(p, f->dir, name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc;

	assert_true(fd >= 0);
	rc = pk_tar_write(t, fd, name, o, r, err);
	close(fd);
	return rc;
}

/* The raw bytes of a compressed @blob, decompressed by libarchive (format "raw"). */
static unsigned char *decompress(const void *blob, size_t len, size_t *out_len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	size_t cap = 1 << 20, n = 0;
	unsigned char *out = malloc(cap);
	la_ssize_t got;

	assert_non_null(out);
	assert_int_equal(archive_read_support_filter_all(a), ARCHIVE_OK);
	assert_int_equal(archive_read_support_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, blob, len), ARCHIVE_OK);
	assert_int_equal(archive_read_next_header(a, &ae), ARCHIVE_OK);
	while ((got = archive_read_data(a, out + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap)
			assert_non_null(out = realloc(out, cap *= 2));
	}
	assert_int_equal(got, 0);
	archive_read_free(a);
	*out_len = n;
	return out;
}

static void test_headers_and_digests(void **state)
{
	static const struct { enum dt_compression c; int level; const char *name;
			      const char *magic; } comps[] = {
		{ DT_COMP_NONE, 0, "out.tar", NULL },
		{ DT_COMP_GZIP, 6, "out.tar.gz", "\x1f\x8b" },
		{ DT_COMP_ZSTD, 3, "out.tar.zst", "\x28\xb5\x2f\xfd" },
	};
	struct fixture *f = *state;
	const struct want *w;
	size_t n, tar_len = 0;
	struct pk_tree *t = make_tree(f, &n, &w);
	unsigned char *tar = NULL;
	char diff_id[DT_DIGEST_LEN] = "";
	struct dt_err err;

	for (size_t c = 0; c < 3; c++) {
		struct pk_tar_opts o = { .compression = comps[c].c, .level = comps[c].level };
		struct pk_tar_result r;
		char p[4096], digest[DT_DIGEST_LEN];
		size_t len;
		unsigned char *blob;

		assert_int_equal(write_to(f, t, comps[c].name, &o, &r, &err), 0);
		blob = (unsigned char *)tl_read(tl_path(p, f->dir, comps[c].name), &len);
		/* digest and blob_size: the bytes written */
		dt_sha256_digest(blob, len, digest);
		assert_string_equal(r.digest, digest);
		assert_int_equal(r.blob_size, len);
		assert_int_equal(r.entries, n);
		check_entries(blob, len, w, n);
		if (comps[c].c == DT_COMP_NONE) {
			assert_string_equal(r.diff_id, r.digest);
			assert_int_equal(r.tar_size, len);
			check_raw(blob, len, w, n);
			tar = blob;
			tar_len = len;
			memcpy(diff_id, r.diff_id, sizeof(diff_id));
			continue;
		}
		/* diff_id and tar_size: the tar inside, the same tar as without compression */
		assert_memory_equal(blob, comps[c].magic, strlen(comps[c].magic));
		assert_string_equal(r.diff_id, diff_id);
		assert_string_not_equal(r.digest, r.diff_id);
		assert_int_equal(r.tar_size, tar_len);
		{
			size_t raw_len;
			unsigned char *raw = decompress(blob, len, &raw_len);
			assert_int_equal(raw_len, tar_len);
			assert_memory_equal(raw, tar, tar_len);
			dt_sha256_digest(raw, raw_len, digest);
			assert_string_equal(r.diff_id, digest);
			free(raw);
		}
		free(blob);
	}
	/* the descriptor was read from offset 0 and its offset left alone */
	assert_int_equal(lseek(f->fd, 0, SEEK_CUR), 5);
	free(tar);
	pk_tree_free(t);
}

static void test_reproducible(void **state)
{
	static const enum dt_compression comps[] = { DT_COMP_NONE, DT_COMP_GZIP, DT_COMP_ZSTD };
	struct fixture *f = *state;
	const struct want *w;
	size_t n;
	struct pk_tree *t1 = make_tree(f, &n, &w), *t2 = make_tree(f, &n, &w);
	struct dt_err err;

	for (size_t c = 0; c < 3; c++) {
		struct pk_tar_opts o = { .compression = comps[c],
					 .level = pk_compression_default_level(comps[c]) };
		struct pk_tar_result r1, r2, r3;
		char p[4096];
		size_t l1, l2, l3;
		char *b1, *b2, *b3;
		/* the same tree twice, and an equal tree made again */
		assert_int_equal(write_to(f, t1, "a", &o, &r1, &err), 0);
		assert_int_equal(write_to(f, t1, "b", &o, &r2, &err), 0);
		assert_int_equal(write_to(f, t2, "c", &o, &r3, &err), 0);
		b1 = tl_read(tl_path(p, f->dir, "a"), &l1);
		b2 = tl_read(tl_path(p, f->dir, "b"), &l2);
		b3 = tl_read(tl_path(p, f->dir, "c"), &l3);
		assert_int_equal(l1, l2);
		assert_int_equal(l1, l3);
		assert_memory_equal(b1, b2, l1);
		assert_memory_equal(b1, b3, l1);
		assert_string_equal(r1.digest, r2.digest);
		assert_string_equal(r1.diff_id, r3.diff_id);
		free(b1);
		free(b2);
		free(b3);
	}
	pk_tree_free(t1);
	pk_tree_free(t2);
}

struct progress {
	size_t calls;
	uint64_t done, total;
	int backwards, labelled;
};

static void on_progress(void *ctx, const char *label, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	if (done < p->done)
		p->backwards = 1;
	if (label)
		p->labelled = 1;
	p->calls++;
	p->done = done;
	p->total = total;
}

static void test_progress(void **state)
{
	struct fixture *f = *state;
	const struct want *w;
	size_t n;
	struct pk_tree *t = make_tree(f, &n, &w);
	struct progress pr = { 0 };
	struct pk_tar_opts o = { .compression = DT_COMP_ZSTD, .level = 3,
				 .progress = on_progress, .progress_ctx = &pr };
	uint64_t total = sizeof(mem_text) - 1 + sizeof(fd_text) - 1 + sizeof(root_text) - 1 + BIG;
	struct pk_tar_result r;
	struct dt_err err;

	assert_int_equal(pk_tree_content_bytes(t), total);
	assert_int_equal(write_to(f, t, "p", &o, &r, &err), 0);
	assert_true(pr.calls >= 6); /* three small files, the big one in 3 chunks */
	assert_int_equal(pr.done, total);
	assert_int_equal(pr.total, total);
	assert_false(pr.backwards);
	assert_false(pr.labelled);
	pk_tree_free(t);
}

enum source { SRC_DATA, SRC_ROOT, SRC_FD };

/* A tree of one file "etc/f" from @src, locked to the sha256 of @locked. */
static struct pk_tree *locked_tree(const struct fixture *f, enum source src, const char *locked)
{
	struct pk_norm norm = { .epoch = 1 };
	struct pk_tree *t = pk_tree_new();
	const char *text = src == SRC_DATA ? mem_text : src == SRC_ROOT ? root_text : fd_text;
	struct pk_entry e;
	struct dt_err err;
	int root;

	assert_true((root = pk_tree_add_root(t, f->root, &err)) >= 0);
	if (src == SRC_ROOT)
		e = root_entry(f, root);
	else if (src == SRC_FD)
		e = fd_entry(f, strlen(text));
	else
		e = (struct pk_entry){ .type = PK_REG, .size = strlen(text), .root = -1,
				       .fixed = 1 };
	e.mode = 0644;
	e.has_sha256 = 1;
	dt_sha256(locked, strlen(locked), e.sha256);
	add(t, e, "etc/f", NULL, src == SRC_ROOT ? "sub/file.txt" : NULL,
	    src == SRC_DATA ? text : NULL);
	assert_int_equal(pk_tree_normalize(t, &norm, &err), 0);
	return t;
}

static void test_locked_sha256(void **state)
{
	struct fixture *f = *state;
	struct pk_tar_opts o = { .compression = DT_COMP_NONE };
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);

	assert_true(out >= 0);
	for (enum source s = SRC_DATA; s <= SRC_FD; s++) {
		const char *text = s == SRC_DATA ? mem_text : s == SRC_ROOT ? root_text : fd_text;
		unsigned char md[DT_SHA256_LEN];
		char locked[65], found[65], want[1024];
		struct pk_tar_result r;
		struct dt_err err;
		struct pk_tree *t;

		/* the locked content: written */
		t = locked_tree(f, s, text);
		assert_int_equal(pk_tar_write(t, out, "out", &o, &r, &err), 0);
		assert_int_equal(r.entries, 2);
		pk_tree_free(t);

		/* other content than was locked: refused, naming both digests */
		t = locked_tree(f, s, "what was locked\n");
		dt_sha256("what was locked\n", strlen("what was locked\n"), md);
		dt_hex(md, DT_SHA256_LEN, locked);
		dt_sha256(text, strlen(text), md);
		dt_hex(md, DT_SHA256_LEN, found);
		snprintf(want, sizeof(want),
			 "/etc/f: changed since it was locked: sha256 locked %s, found %s", locked,
			 found);
		assert_int_equal(pk_tar_write(t, out, "out", &o, &r, &err), -DT_ECHANGED);
		assert_int_equal(err.code, DT_ECHANGED);
		assert_string_equal(err.msg, want);
		pk_tree_free(t);
	}
	assert_int_equal(lseek(f->fd, 0, SEEK_CUR), 5);
	close(out);
}

/* A descriptor's file shorter or longer than its entry says. */
static void test_fd_size_changed(void **state)
{
	struct fixture *f = *state;
	struct pk_tar_opts o = { .compression = DT_COMP_GZIP, .level = 1 };
	struct pk_norm norm = { .epoch = 1 };
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct pk_tar_result r;
	struct dt_err err;
	struct pk_tree *t;

	assert_true(out >= 0);
	t = pk_tree_new();
	add(t, fd_entry(f, sizeof(fd_text) + 100), "etc/fd", NULL, NULL, NULL);
	assert_int_equal(pk_tree_normalize(t, &norm, &err), 0);
	assert_int_equal(pk_tar_write(t, out, "out", &o, &r, &err), -DT_ECHANGED);
	assert_string_equal(err.msg, "'etc/fd' shrank while distill was reading it");
	pk_tree_free(t);

	t = pk_tree_new();
	add(t, fd_entry(f, 5), "etc/fd", NULL, NULL, NULL);
	assert_int_equal(pk_tree_normalize(t, &norm, &err), 0);
	assert_int_equal(pk_tar_write(t, out, "out", &o, &r, &err), -DT_ECHANGED);
	assert_string_equal(err.msg, "'etc/fd' grew while distill was reading it");
	pk_tree_free(t);
	close(out);
}

/* Reads back a tar of the directory @dir's files (no compression) and compares each file's
 * content with the file itself. @return the files compared. */
static size_t check_against_dir(const char *dir, const char *tarpath)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	size_t files = 0, cap = 8u << 20;
	char *got = malloc(cap), *want = malloc(cap), p[4096];

	assert_non_null(a);
	assert_non_null(got);
	assert_non_null(want);
	assert_int_equal(archive_read_support_format_tar(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_filename(a, tarpath, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		size_t n = 0;
		la_ssize_t r;
		FILE *fp;
		if (archive_entry_filetype(ae) != AE_IFREG)
			continue;
		while ((r = archive_read_data(a, got + n, cap - n)) > 0)
			n += (size_t)r;
		assert_int_equal(r, 0);
		assert_non_null(fp = fopen(tl_path(p, dir, archive_entry_pathname(ae)), "rb"));
		assert_int_equal(fread(want, 1, cap, fp), n);
		fclose(fp);
		assert_memory_equal(got, want, n);
		files++;
	}
	archive_read_free(a);
	free(got);
	free(want);
	return files;
}

/* Many files, small ones read ahead by the workers and larger ones by the writer: every
 * content as the file has it; a change to two files after the scan is reported for the first
 * of them in the tree's order, as a reading one by one would. */
static void test_read_ahead(void **state)
{
	struct fixture *f = *state;
	struct pk_tar_opts o = { .compression = DT_COMP_NONE };
	struct pk_norm norm = { .epoch = 1 };
	struct pk_scan_opts so = { 0 };
	struct pk_tar_result r;
	struct dt_err err;
	struct pk_tree *t;
	char dir[4096], rel[64], p[4096], msg[4200], *buf = malloc(40000);

	assert_non_null(buf);
	tl_path(dir, f->dir, "many");
	for (int i = 0; i < 300; i++) {
		size_t len = (size_t)(i * 137) % 40000;
		for (size_t k = 0; k < len; k++)
			buf[k] = (char)('a' + (i + k) % 26);
		snprintf(rel, sizeof(rel), "many/d%d/f%03d", i % 3, i);
		tl_write(f->dir, rel, buf, len, 0644);
	}
	t = pk_tree_new();
	assert_int_equal(pk_tree_add_dir(t, dir, &so, &err), 0);
	assert_int_equal(pk_tree_normalize(t, &norm, &err), 0);
	assert_int_equal(write_to(f, t, "many.tar", &o, &r, &err), 0);
	assert_int_equal(r.entries, 303);
	assert_int_equal(check_against_dir(dir, tl_path(p, f->dir, "many.tar")), 300);

	/* d0/f003 (411 bytes) and d2/f299 grow after the scan: d0/f003 comes first */
	tl_write(f->dir, "many/d2/f299", "longer than it was\n", (size_t)-1, 0644);
	tl_write(f->dir, "many/d0/f003", "x", 1, 0644);
	assert_int_equal(write_to(f, t, "many.tar", &o, &r, &err), -DT_ECHANGED);
	snprintf(msg, sizeof(msg), "'%s/d0/f003' changed while distill was reading it", dir);
	assert_string_equal(err.msg, msg);
	pk_tree_free(t);
	free(buf);
}

/* A sparse file: its holes are written as zeros without being read, so the archive holds
 * the bytes a read gives; a locked sha256 is checked over holes and data alike. */
static void test_sparse(void **state)
{
	struct fixture *f = *state;
	struct pk_tar_opts o = { .compression = DT_COMP_NONE };
	struct pk_norm norm = { .epoch = 1 };
	struct pk_scan_opts so = { 0 };
	struct pk_tar_result r, r2;
	struct dt_err err;
	struct pk_tree *t;
	char dir[4096], p[4096];
	int fd;

	tl_path(dir, f->dir, "sparse");
	tl_write(f->dir, "sparse/s", "", 0, 0644);
	fd = open(tl_path(p, dir, "s"), O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "middle", 6, 3u << 20), 6);
	assert_int_equal(ftruncate(fd, (8u << 20) + 5), 0); /* a hole to the end */
	close(fd);
	tl_write(f->dir, "sparse/t", "", 0, 0644);
	fd = open(tl_path(p, dir, "t"), O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "end", 3, 1u << 20), 3); /* data at the end */
	close(fd);
	t = pk_tree_new();
	assert_int_equal(pk_tree_add_dir(t, dir, &so, &err), 0);
	assert_int_equal(pk_tree_normalize(t, &norm, &err), 0);
	assert_int_equal(write_to(f, t, "sparse.tar", &o, &r, &err), 0);
	assert_int_equal(check_against_dir(dir, tl_path(p, f->dir, "sparse.tar")), 2);
	assert_int_equal(r.tar_size, 512 + (8u << 20) + 512 + 512 + (1u << 20) + 512 + 1024);
	pk_tree_free(t);

	/* the same bytes as a copy of the files without holes */
	{
		char cmd[8192];
		snprintf(cmd, sizeof(cmd), "cp --sparse=never -r '%s' '%s/dense'", dir, f->dir);
		assert_int_equal(system(cmd), 0);
	}
	t = pk_tree_new();
	assert_int_equal(pk_tree_add_dir(t, tl_path(p, f->dir, "dense"), &so, &err), 0);
	assert_int_equal(pk_tree_normalize(t, &norm, &err), 0);
	assert_int_equal(write_to(f, t, "dense.tar", &o, &r2, &err), 0);
	assert_string_equal(r.diff_id, r2.diff_id);
	pk_tree_free(t);

	/* a locked sha256 over the holes */
	for (int wrong = 0; wrong < 2; wrong++) {
		struct pk_entry e = { .type = PK_REG, .root = 0, .fixed = 1, .has_sha256 = 1 };
		struct stat st;
		unsigned char *all = calloc(1, (8u << 20) + 5);
		assert_non_null(all);
		memcpy(all + (3u << 20), wrong ? "midd1e" : "middle", 6);
		dt_sha256(all, (8u << 20) + 5, e.sha256);
		free(all);
		assert_int_equal(stat(tl_path(p, dir, "s"), &st), 0);
		e.dev = st.st_dev, e.ino = st.st_ino, e.size = (uint64_t)st.st_size;
		t = pk_tree_new();
		assert_int_equal(pk_tree_add_root(t, dir, &err), 0);
		add(t, e, "s", NULL, "s", NULL);
		assert_int_equal(pk_tree_normalize(t, &norm, &err), 0);
		assert_int_equal(write_to(f, t, "locked.tar", &o, &r2, &err),
				 wrong ? -DT_ECHANGED : 0);
		if (wrong)
			assert_non_null(strstr(err.msg, "/s: changed since it was locked"));
		pk_tree_free(t);
	}
}

/* A write error names the output. */
static void test_write_error(void **state)
{
	struct fixture *f = *state;
	const struct want *w;
	size_t n;
	struct pk_tree *t = make_tree(f, &n, &w);
	struct pk_tar_opts o = { .compression = DT_COMP_NONE };
	struct pk_tar_result r;
	struct dt_err err;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* not writable */

	assert_true(fd >= 0);
	assert_int_equal(pk_tar_write(t, fd, "the-output", &o, &r, &err), -DT_ESYS);
	assert_string_equal(err.msg, "cannot write 'the-output': Bad file descriptor");
	close(fd);
	pk_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_headers_and_digests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reproducible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_sha256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_size_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
