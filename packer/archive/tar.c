/* SPDX-License-Identifier: MIT */
/* The tar layer writer (see layer.h): libarchive formats, we hash, compress and write. */
#include "packer/archive/tar.h"

#include "common/fs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Content that must match a locked sha256 is hashed as it is read. */
static int check_sha256(const struct pk_entry *e, const unsigned char md[DT_SHA256_LEN],
			struct dt_err *err)
{
	char found[65], want[65];

	if (memcmp(md, e->sha256, DT_SHA256_LEN) == 0)
		return 0;
	dt_hex(md, DT_SHA256_LEN, found);
	dt_hex(e->sha256, DT_SHA256_LEN, want);
	return dt_err_set(err, DT_ECHANGED,
			  "/%s: changed since it was locked: sha256 locked %s, found %s",
			  e->path, want, found);
}

/* ---- small files, read ahead on worker threads ----
 * The files of a tree are many and small (a million of them in a big tree): opening,
 * checking and reading each one is a handful of system calls, most of the time spent.
 * PF_THREADS workers read the next files of the tree, in tree order within a window of
 * PF_WINDOW entries, whole into memory (and check a locked sha256), while the writer
 * formats and compresses the ones before; the writer takes them in tree order, so the
 * bytes and the first error reported are those of reading them one by one. */
#define PF_THREADS 2
#define PF_WINDOW 128
#define PF_MAX (32u * 1024) /* larger files are read by the writer, in chunks */

enum pf_state { PF_FREE, PF_BUSY, PF_DONE };

struct pf_slot {
	enum pf_state state;
	size_t idx;          /* the entry it holds */
	unsigned char *buf;  /* PF_MAX + 1 bytes */
	int rc;
	struct dt_err err;
};

struct prefetch {
	const struct pk_tree *t;
	size_t n;
	struct pf_slot slots[PF_WINDOW];
	unsigned char *pool;
	size_t claim;    /* the next entry a worker looks at */
	size_t consumed; /* entries the writer is done with */
	int stop;
	int idle;           /* workers waiting for the window to move */
	int writer_waiting; /* the writer waits for a slot */
	pthread_mutex_t lock;
	pthread_cond_t more; /* the window moved, or stop */
	pthread_cond_t done; /* a slot was filled */
	pthread_t threads[PF_THREADS];
	int nthreads;
};

static int prefetched(const struct pk_entry *e)
{
	return e->type == PK_REG && e->size > 0 && e->size <= PF_MAX && !e->data;
}

/* Reads the whole of @e (one read, and one more only when it comes short) into @buf,
 * which has room for one byte more than the file: a read that returns fewer bytes than
 * asked has seen the end, so a file that grew is seen without a read of its own. */
static int read_small(const struct pk_tree *t, const struct pk_entry *e, unsigned char *buf,
		      struct dt_err *err)
{
	size_t got = 0, want = (size_t)e->size + 1;
	char name[4200];
	int fd, rc = 0;

	if (e->from_fd)
		fd = e->fd;
	else if ((fd = pk_tree_open(t, e, err)) < 0)
		return fd;
	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 || got < e->size) {
				pk_tree_source_name(t, e, name, sizeof(name));
				rc = n < 0 ? dt_err_sys(err, errno, "cannot read '%s'", name)
					   : dt_err_set(err, DT_ECHANGED,
						"'%s' shrank while distill was reading it", name);
			}
			break;
		}
		got += (size_t)n;
		if (got == e->size)
			break; /* short of the byte asked beyond the size: the end */
	}
	if (rc == 0 && got > e->size) {
		pk_tree_source_name(t, e, name, sizeof(name));
		rc = dt_err_set(err, DT_ECHANGED, "'%s' grew while distill was reading it", name);
	}
	if (rc == 0 && e->has_sha256) {
		unsigned char md[DT_SHA256_LEN];
		dt_sha256(buf, (size_t)e->size, md);
		rc = check_sha256(e, md, err);
	}
	if (!e->from_fd)
		close(fd);
	return rc;
}

static void *pf_worker(void *arg)
{
	struct prefetch *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->claim < p->n && !prefetched(pk_tree_entry(p->t, p->claim)))
			p->claim++;
		if (p->stop || p->claim >= p->n)
			break;
		if (p->claim >= p->consumed + PF_WINDOW) {
			p->idle++;
			pthread_cond_wait(&p->more, &p->lock);
			p->idle--;
			continue;
		}
		size_t i = p->claim++;
		struct pf_slot *s = &p->slots[i % PF_WINDOW];
		s->state = PF_BUSY;
		s->idx = i;
		pthread_mutex_unlock(&p->lock);
		dt_err_clear(&s->err);
		s->rc = read_small(p->t, pk_tree_entry(p->t, i), s->buf, &s->err);
		pthread_mutex_lock(&p->lock);
		s->state = PF_DONE;
		if (p->writer_waiting) /* broadcast: see gz_submit in compress.c (glibc bug 25847) */
			pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void pf_stop(struct prefetch *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

static void pf_free(struct prefetch *p)
{
	if (!p)
		return;
	pf_stop(p);
	pthread_cond_destroy(&p->more);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p->pool);
	free(p);
}

/* @return the reader, or NULL when the tree has no small file or no thread could start:
 * then the writer reads every file itself. */
static struct prefetch *pf_new(const struct pk_tree *t)
{
	struct prefetch *p;
	size_t n = pk_tree_count(t), small = 0;

	for (size_t i = 0; i < n && small < 2; i++)
		small += (size_t)prefetched(pk_tree_entry(t, i));
	if (small < 2 || !(p = calloc(1, sizeof(*p))))
		return NULL;
	p->t = t;
	p->n = n;
	if (!(p->pool = malloc((size_t)PF_WINDOW * (PF_MAX + 1)))) {
		free(p);
		return NULL;
	}
	for (size_t i = 0; i < PF_WINDOW; i++)
		p->slots[i].buf = p->pool + i * (PF_MAX + 1);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->done, NULL);
	for (int i = 0; i < PF_THREADS; i++)
		if (pthread_create(&p->threads[p->nthreads], NULL, pf_worker, p) == 0)
			p->nthreads++;
	if (p->nthreads == 0) {
		pf_free(p);
		return NULL;
	}
	return p;
}

/* Waits for entry @i (a prefetched one). @return its slot. */
static struct pf_slot *pf_get(struct prefetch *p, size_t i)
{
	struct pf_slot *s = &p->slots[i % PF_WINDOW];

	pthread_mutex_lock(&p->lock);
	if (p->consumed < i) { /* entries the workers skip count as done: the window moves */
		p->consumed = i;
		if (p->idle && p->claim < p->consumed + PF_WINDOW / 2)
			pthread_cond_broadcast(&p->more);
	}
	while (!(s->idx == i && s->state == PF_DONE)) {
		p->writer_waiting = 1;
		pthread_cond_wait(&p->done, &p->lock);
		p->writer_waiting = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return s;
}

/* The writer is done with entries before @next. */
static void pf_consumed(struct prefetch *p, size_t next)
{
	pthread_mutex_lock(&p->lock);
	p->slots[(next - 1) % PF_WINDOW].state = PF_FREE;
	p->consumed = next;
	/* idle workers are woken when half the window is free, not for each entry */
	if (p->idle && p->claim < p->consumed + PF_WINDOW / 2)
		pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
}

/* Writes @len bytes of content from @buf, with progress. */
static int write_bytes(struct writer *w, struct archive *a, const char *name, const void *buf,
		       size_t len, const struct pk_tar_opts *o, uint64_t *done, uint64_t total)
{
	for (size_t off = 0; off < len;) {
		size_t want = len - off < READ_CHUNK ? len - off : READ_CHUNK;
		if (archive_write_data(a, (const char *)buf + off, want) != (la_ssize_t)want)
			return la_fail(w, a, name);
		off += want;
		*done += want;
		if (o->progress)
			o->progress(o->progress_ctx, NULL, *done, total);
	}
	return 0;
}

/* Writes content held in memory. */
static int copy_data(const struct pk_entry *e, struct writer *w, struct archive *a,
		     const struct pk_tar_opts *o, uint64_t *done, uint64_t total)
{
	if (e->has_sha256) {
		unsigned char md[DT_SHA256_LEN];
		int rc;
		dt_sha256(e->data, (size_t)e->size, md);
		if ((rc = check_sha256(e, md, w->err)) < 0)
			return rc;
	}
	return write_bytes(w, a, e->path, e->data, (size_t)e->size, o, done, total);
}

static const unsigned char zeros[READ_CHUNK];

/* Streams one file's content into the archive, checking it does not change size. The
 * holes of a sparse file are found with SEEK_DATA and SEEK_HOLE and written as the zeros
 * they read as, without reading them: the archive's bytes are those of reading the file. */
static int copy_content(const struct pk_tree *t, const struct pk_entry *e, struct writer *w,
			struct archive *a, char *buf, const struct pk_tar_opts *o,
			uint64_t *done, uint64_t total)
{
	struct dt_hash *h = NULL;
	uint64_t pos = 0, data_end = e->size; /* [pos, data_end) is known to hold data */
	char name[4200];
	struct stat st;
	int fd, rc = 0, holes = 0;

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
	if (!e->from_fd) { /* (lseek moves the offset of a descriptor that is the caller's) */
		off_t hole = lseek(fd, 0, SEEK_HOLE);
		if (hole >= 0 && (uint64_t)hole < e->size)
			holes = 1, data_end = 0;
	}
	while (pos < e->size) {
		if (holes && pos == data_end) {
			/* at a hole, or at data whose end is not known yet */
			off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
			uint64_t next = d < 0 ? e->size : (uint64_t)d; /* ENXIO: a hole to the end */
			if (d < 0 && errno != ENXIO) {
				rc = dt_err_sys(w->err, errno, "cannot read '%s'", name);
				goto out;
			}
			if (next > e->size)
				next = e->size;
			while (pos < next) {
				size_t z = next - pos < READ_CHUNK ? (size_t)(next - pos) : READ_CHUNK;
				if (h)
					dt_hash_update(h, zeros, z);
				if ((rc = write_bytes(w, a, name, zeros, z, o, done, total)) < 0)
					goto out;
				pos += z;
			}
			if (pos >= e->size)
				break;
			off_t hend = lseek(fd, (off_t)pos, SEEK_HOLE);
			data_end = hend < 0 || (uint64_t)hend > e->size ? e->size : (uint64_t)hend;
			if (data_end <= pos)
				data_end = e->size;
		}
		uint64_t left = data_end - pos;
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)pos);
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
		if ((rc = write_bytes(w, a, name, buf, (size_t)n, o, done, total)) < 0)
			goto out;
		pos += (uint64_t)n;
	}
	if (pread(fd, buf, 1, (off_t)e->size) > 0)
		rc = dt_err_set(w->err, DT_ECHANGED, "'%s' grew while distill was reading it", name);
	else if (holes && (fstat(fd, &st) < 0 || (uint64_t)st.st_size != e->size))
		/* a hole read as zeros past a new end */
		rc = dt_err_set(w->err, DT_ECHANGED, "'%s' shrank while distill was reading it",
				name);
	if (rc == 0 && h) {
		unsigned char md[DT_SHA256_LEN];
		dt_hash_final(h, md);
		rc = check_sha256(e, md, w->err);
	}
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
	struct prefetch *pf = NULL;
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
	pf = pf_new(t);
	for (size_t i = 0; i < pk_tree_count(t); i++) {
		const struct pk_entry *e = pk_tree_entry(t, i);
		set_entry(ae, e);
		/* ARCHIVE_WARN (e.g. a name that is not UTF-8, written as binary) still gives
		 * a complete, deterministic header. */
		if (archive_write_header(a, ae) < ARCHIVE_WARN) {
			rc = la_fail(&w, a, e->path);
			goto out;
		}
		if (pf && prefetched(e)) {
			struct pf_slot *s = pf_get(pf, i);
			if (s->rc < 0) {
				if (err)
					*err = s->err;
				rc = s->rc;
				goto out;
			}
			rc = write_bytes(&w, a, e->path, s->buf, (size_t)e->size, opts, &done, total);
			if (rc < 0)
				goto out;
		} else if (e->type == PK_REG && e->size > 0 &&
			   (rc = copy_content(t, e, &w, a, buf, opts, &done, total)) < 0) {
			goto out;
		}
		if (archive_write_finish_entry(a) < ARCHIVE_WARN) {
			rc = la_fail(&w, a, e->path);
			goto out;
		}
		res->entries++;
		if (pf && prefetched(e))
			pf_consumed(pf, i + 1);
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
	pf_free(pf); /* first: its workers read the tree */
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
