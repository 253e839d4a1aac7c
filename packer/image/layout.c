/* SPDX-License-Identifier: MIT */
/* The OCI image layout: blobs renamed into blobs/sha256 as they are complete, index.json
 * last. A new layout is built in a temporary directory beside OUT and renamed; an existing
 * one gains (or replaces, by name) the image under a lock, and a build that loses a race to
 * create OUT adds its image to the winner's. */
#include "packer/image/writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fault.h"
#include "common/fs.h"
#include "common/tempfile.h"

/* ---- blobs ---- */

struct blobdir {
	int fd;                 /* blobs/sha256 */
	const char *name;       /* for messages: "OUT/blobs/sha256" */
	struct dt_strv created; /* blobs this run added, removed on failure */
	int temp;               /* the temporary being written, for a signal (dt_temp_add) */
};

/* The temporary @tmp is gone (renamed or removed): a signal has nothing to remove. */
static void blob_tmp_gone(struct blobdir *b)
{
	dt_temp_drop(b->temp);
	b->temp = 0;
}

static void blob_tmp_remove(struct blobdir *b, const char *tmp)
{
	unlinkat(b->fd, tmp, 0);
	blob_tmp_gone(b);
}

static int blob_tmp(struct blobdir *b, char *tmp, size_t len, struct dt_err *err)
{
	static unsigned seq;
	int fd;

	for (int tries = 0; tries < 100; tries++) {
		snprintf(tmp, len, ".tmp-%ld-%u", (long)getpid(), seq++);
		fd = dt_temp_openat(b->fd, tmp, O_WRONLY | O_EXCL | O_CLOEXEC, 0644, &b->temp);
		if (fd >= 0) {
			fchmod(fd, 0644);
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	return dt_err_sys(err, errno, "cannot create a file in '%s'", b->name);
}

/* Whether the blob @hex already in the layout is what its name says: a regular file of
 * @size bytes hashing to sha256:@hex (1), or not there (0). Anything else (a symlink, a
 * FIFO, a truncated or changed file) is 2, to be replaced; a directory is an error (< 0). */
static int blob_present(struct blobdir *b, const char *hex, uint64_t size, struct dt_err *err)
{
	char digest[DT_DIGEST_LEN], name[4200];
	struct stat st;
	uint64_t n;
	int fd = dt_open_regular_beneath(b->fd, hex, &st), ok;

	snprintf(name, sizeof(name), "%s/%s", b->name, hex);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == EINVAL && fstatat(b->fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			return dt_err_set(err, DT_EINPUT, "'%s' is a directory where a blob belongs",
					  name);
		return 2;
	}
	ok = (uint64_t)st.st_size == size && dt_digest_fd(fd, name, digest, &n, err) == 0 &&
	     n == size && strcmp(digest + 7, hex) == 0;
	close(fd);
	return ok ? 1 : 2;
}

/* Renames @tmp to the blob named by @digest. A blob of that name already there is kept when
 * it holds the same bytes (the temporary is dropped) and replaced, atomically, when not. */
static int blob_commit(struct blobdir *b, int fd, const char *tmp, const char *digest,
		       struct dt_err *err)
{
	const char *hex = digest + 7;
	struct stat st;
	int present;

	if (fstat(fd, &st) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;
		blob_tmp_remove(b, tmp);
		return dt_err_sys(err, e, "cannot write '%s/%s'", b->name, hex);
	}
	if ((present = blob_present(b, hex, (uint64_t)st.st_size, err)) == 1) {
		blob_tmp_remove(b, tmp);
		return 0;
	}
	if (present < 0) {
		blob_tmp_remove(b, tmp);
		return present;
	}
	if (renameat(b->fd, tmp, b->fd, hex) < 0) {
		int e = errno;
		blob_tmp_remove(b, tmp);
		return dt_err_sys(err, e, "cannot rename a blob into '%s/%s'", b->name, hex);
	}
	blob_tmp_gone(b);
	dt_fault("blob");
	if (present == 0 && dt_strv_push(&b->created, hex) < 0)
		return dt_oom(err);
	return 0;
}

static int blob_text(void *ctx, const char *text, char *digest, struct dt_err *err)
{
	struct blobdir *b = ctx;
	char tmp[64];
	int fd = blob_tmp(b, tmp, sizeof(tmp), err), rc;

	if (fd < 0)
		return fd;
	dt_sha256_digest(text, strlen(text), digest);
	if (dt_write_all(fd, text, strlen(text)) < 0) {
		rc = dt_err_sys(err, errno, "cannot write '%s/%s'", b->name, digest + 7);
		close(fd);
		blob_tmp_remove(b, tmp);
		return rc;
	}
	return blob_commit(b, fd, tmp, digest, err);
}

static int blob_layer(void *ctx, const struct pk_tree *t, const struct pk_tar_opts *lo,
		      struct pk_tar_result *res, struct dt_err *err)
{
	struct blobdir *b = ctx;
	char tmp[64], name[4200];
	int fd = blob_tmp(b, tmp, sizeof(tmp), err), rc;

	if (fd < 0)
		return fd;
	snprintf(name, sizeof(name), "%s/%s", b->name, tmp);
	if ((rc = pk_tar_write(t, fd, name, lo, res, err)) < 0) {
		close(fd);
		blob_tmp_remove(b, tmp);
		return rc;
	}
	return blob_commit(b, fd, tmp, res->digest, err);
}

/* The blob @digest from the verified bytes of @fd (the cache's): nothing to do when the
 * layout's blob is that very file; else hard-linked in when on the same file system, or
 * copied, into a temporary renamed into place. */
static int blob_reuse(void *ctx, int fd, const char *digest, uint64_t size, struct dt_err *err)
{
	struct blobdir *b = ctx;
	const char *hex = digest + 7;
	char tmp[64], proc[64];
	unsigned char buf[1 << 16];
	struct stat src, st;
	uint64_t off = 0;
	int present, out, rc;

	if (fstat(fd, &src) < 0)
		return dt_err_sys(err, errno, "cannot stat the cached blob %s", digest);
	present = fstatat(b->fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (present && st.st_dev == src.st_dev && st.st_ino == src.st_ino)
		return 0;
	if (present && S_ISDIR(st.st_mode))
		return dt_err_set(err, DT_EINPUT, "'%s/%s' is a directory where a blob belongs",
				  b->name, hex);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	snprintf(tmp, sizeof(tmp), ".tmp-%ld-link", (long)getpid());
	unlinkat(b->fd, tmp, 0);
	if (linkat(AT_FDCWD, proc, b->fd, tmp, AT_SYMLINK_FOLLOW) == 0) {
		if (renameat(b->fd, tmp, b->fd, hex) < 0) {
			rc = dt_err_sys(err, errno, "cannot rename a blob into '%s/%s'", b->name, hex);
			unlinkat(b->fd, tmp, 0);
			return rc;
		}
		dt_fault("blob");
		if (!present && dt_strv_push(&b->created, hex) < 0)
			return dt_oom(err);
		return 0;
	}
	if ((out = blob_tmp(b, tmp, sizeof(tmp), err)) < 0)
		return out;
	while (off < size) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || dt_write_all(out, buf, (size_t)n) < 0) {
			rc = dt_err_sys(err, n < 0 || n == 0 ? (n ? errno : EIO) : errno,
					"cannot copy the cached blob %s into '%s'", digest, b->name);
			close(out);
			blob_tmp_remove(b, tmp);
			return rc;
		}
		off += (uint64_t)n;
	}
	return blob_commit(b, out, tmp, digest, err);
}

static int blob_open(void *ctx, const char *digest)
{
	struct blobdir *b = ctx;
	struct stat st;

	return dt_open_regular_beneath(b->fd, digest + 7, &st);
}

static void blobs_rollback(struct blobdir *b)
{
	for (size_t i = 0; i < b->created.n; i++)
		unlinkat(b->fd, b->created.v[i], 0);
}

static void blobs_release(struct blobdir *b)
{
	dt_strv_release(&b->created);
	if (b->fd >= 0)
		close(b->fd);
}

/* Opens (making it) the directory @name in @dfd, never through a symlink: the layout's own
 * directories hold its blobs. @path names it in messages. @return a descriptor, or < 0. */
static int own_dir(int dfd, const char *name, const char *path, struct dt_err *err)
{
	struct stat st;
	int fd;

	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return dt_err_sys(err, errno, "cannot create '%s'", path);
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
		return fd;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return dt_err_set(err, DT_EINPUT, "'%s' is a symlink: a layout's blobs must be its "
				  "own (it is not followed)", path);
	if (errno == ENOTDIR)
		return dt_err_set(err, DT_EINPUT, "'%s' is not a directory", path);
	return dt_err_sys(err, errno, "cannot open '%s'", path);
}

/* blobs/sha256 of the layout @dfd (@dir names it), made if need be. */
static int open_blobs(int dfd, const char *dir, struct dt_err *err)
{
	char path[4200];
	int blobs, fd;

	snprintf(path, sizeof(path), "%s/blobs", dir);
	if ((blobs = own_dir(dfd, "blobs", path, err)) < 0)
		return blobs;
	snprintf(path, sizeof(path), "%s/blobs/sha256", dir);
	fd = own_dir(blobs, "sha256", path, err);
	close(blobs);
	return fd;
}

/* Opens (making them) the blobs of the layout @dir, open as @dfd. */
static int blobs_open(struct blobdir *b, int dfd, const char *dir, char *bname, size_t len,
		      struct dt_err *err)
{
	snprintf(bname, len, "%s/blobs/sha256", dir);
	b->name = bname;
	if ((b->fd = open_blobs(dfd, dir, err)) < 0)
		return b->fd;
	return 0;
}

/* ---- directories ---- */

/* A new empty directory beside @out: "<dir>/.<base>.distill-XXXXXX", registered in @temp
 * to be removed if a signal stops the process. */
static char *temp_dir_beside(const char *out, int *temp, struct dt_err *err)
{
	const char *slash = strrchr(out, '/');
	char *t = NULL;

	if (asprintf(&t, "%.*s.%s.distill-XXXXXX", slash ? (int)(slash - out + 1) : 0, out,
		     slash ? slash + 1 : out) < 0) {
		dt_oom(err);
		return NULL;
	}
	if (!dt_temp_mkdtemp(t, temp)) {
		dt_err_sys(err, errno, "cannot create a temporary directory beside '%s'", out);
		free(t);
		return NULL;
	}
	chmod(t, 0755);
	return t;
}

static int write_file_at(int dfd, const char *dirname, const char *name, const char *text,
			 struct dt_err *err)
{
	char tmp[300];
	int fd, rc, temp;

	snprintf(tmp, sizeof(tmp), ".%s.tmp-%ld", name, (long)getpid());
	fd = dt_temp_openat(dfd, tmp, O_WRONLY | O_TRUNC | O_CLOEXEC, 0644, &temp);
	if (fd < 0)
		return dt_err_sys(err, errno, "cannot create '%s/%s'", dirname, name);
	fchmod(fd, 0644);
	if (dt_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0)
		rc = dt_err_sys(err, errno, "cannot write '%s/%s'", dirname, name);
	else
		rc = 0;
	close(fd);
	if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
		rc = dt_err_sys(err, errno, "cannot rename into '%s/%s'", dirname, name);
	if (rc < 0)
		unlinkat(dfd, tmp, 0);
	dt_temp_drop(temp);
	return rc;
}

/* index.json of the layout @dfd (@dir names it) into *@out, NULL when it has none. It is
 * the layout's own regular file: a symlink, FIFO or device there is an error, never
 * followed or waited on. @return 0, or a negative code with @err set. */
static int read_index(int dfd, const char *dir, char **out, struct dt_err *err)
{
	char name[4200];
	struct stat st;
	size_t len;
	int fd = dt_open_regular_beneath(dfd, "index.json", &st), rc;

	*out = NULL;
	snprintf(name, sizeof(name), "%s/index.json", dir);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno == ELOOP)
		return dt_err_set(err, DT_EINPUT, "'%s' is a symlink: a layout's files must be its "
				  "own (it is not followed)", name);
	if (fd < 0 && errno == EINVAL)
		return dt_err_set(err, DT_EINPUT, "'%s' is not a regular file", name);
	if (fd < 0)
		return dt_err_sys(err, errno, "cannot read '%s'", name);
	rc = dt_read_fd(fd, name, 64u << 20, out, &len, err);
	close(fd);
	return rc;
}

/* Moves the blobs of the complete layout @tmpdir into the layout @out that another build
 * made meanwhile, then adds the image @ie to its index.json (last, under the lock). */
static int adopt(const char *tmpdir, const char *out, const char *ref,
		 const struct mf_oci_index_entry *ie, size_t nie, struct dt_err *err)
{
	int ofd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC), from = -1, to = -1, rc = 0;
	char *old = NULL, *index = NULL, src[4200];
	DIR *d = NULL;

	if (ofd < 0)
		return dt_err_sys(err, errno, "cannot open '%s'", out);
	if (flock(ofd, LOCK_EX) < 0) {
		rc = dt_err_sys(err, errno, "cannot lock '%s'", out);
		goto out;
	}
	snprintf(src, sizeof(src), "%s/blobs/sha256", tmpdir);
	if ((to = open_blobs(ofd, out, err)) < 0) {
		rc = to;
		goto out;
	}
	if ((from = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(d = fdopendir(dup(from)))) {
		rc = dt_err_sys(err, errno, "cannot open '%s'", src);
		goto out;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		if (renameat(from, de->d_name, to, de->d_name) < 0) {
			rc = dt_err_sys(err, errno, "cannot rename a blob into '%s/blobs/sha256'", out);
			goto out;
		}
	}
	fsync(to);
	if ((rc = read_index(ofd, out, &old, err)) < 0)
		goto out;
	if (!old) {
		rc = dt_err_set(err, DT_EINPUT, "'%s' has no index.json", out);
		goto out;
	}
	if ((rc = mf_oci_index_merge(out, old, ref, ie, nie, &index, err)) == 0)
		rc = write_file_at(ofd, out, "index.json", index, err);
out:
	if (d)
		closedir(d);
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
	close(ofd); /* releases the lock */
	free(old);
	free(index);
	return rc;
}

/* The OCI layout of a new image: built in a temporary directory, renamed to @out. For an
 * existing layout: blobs added in place, index.json replaced last, under a lock. */
int pk_write_layout(struct pk_image *img, const char *out, const struct pk_build_opts *o,
		    struct pk_build_result *res, struct dt_err *err)
{
	struct blobdir b = { .fd = -1 };
	struct pk_blob_sink sink = { .layer = blob_layer, .text = blob_text, .reuse = blob_reuse,
				     .open = blob_open, .ctx = &b };
	struct pk_docs d = { 0 };
	char bname[4200];
	struct mf_oci_index_entry ie[1 + PK_IMAGE_MAX_ARTIFACTS];
	size_t nie;
	struct stat st;
	char *tmpdir = NULL, *index = NULL, *old = NULL;
	const char *dir = out;
	int dfd = -1, rc, existing = stat(out, &st) == 0, raced, temp = 0;

	if (existing) {
		if (!S_ISDIR(st.st_mode))
			return dt_err_set(err, DT_EINPUT, "'%s' exists and is not a directory", out);
		if ((dfd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return dt_err_sys(err, errno, "cannot open '%s'", out);
		if (faccessat(dfd, "oci-layout", F_OK, 0) < 0) {
			DIR *dd = fdopendir(dup(dfd));
			int empty = 1;
			for (struct dirent *de; dd && (de = readdir(dd));)
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					empty = 0;
			if (dd)
				closedir(dd);
			if (!empty) {
				close(dfd);
				return dt_err_set(err, DT_EINPUT,
						  "'%s' is neither empty nor an OCI image layout", out);
			}
		}
		if (flock(dfd, LOCK_EX) < 0) {
			rc = dt_err_sys(err, errno, "cannot lock '%s'", out);
			close(dfd);
			return rc;
		}
	} else {
		if (!(tmpdir = temp_dir_beside(out, &temp, err)))
			return -err->code;
		dir = tmpdir;
		if ((dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			rc = dt_err_sys(err, errno, "cannot open '%s'", tmpdir);
			goto out;
		}
	}
	if ((rc = blobs_open(&b, dfd, dir, bname, sizeof(bname), err)) < 0 ||
	    (rc = pk_write_blobs(img, o, res, &sink, &d, err)) < 0)
		goto out;
	nie = pk_write_index_entries(img, res, &d, ie);
	if (existing && (rc = read_index(dfd, out, &old, err)) < 0)
		goto out;
	if (old)
		rc = mf_oci_index_merge(out, old, res->name, ie, nie, &index, err);
	else
		rc = mf_oci_index_json(ie, nie, &index, err);
	if (rc < 0 ||
	    (rc = write_file_at(dfd, dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}",
				err)) < 0)
		goto out;
	if (existing) {
		/* index.json, renamed into place, is the commit point of an existing layout */
		dt_fault("commit");
		if ((rc = write_file_at(dfd, dir, "index.json", index, err)) < 0)
			goto out;
		dt_fault("committed");
	} else {
		if ((rc = write_file_at(dfd, dir, "index.json", index, err)) < 0)
			goto out;
		fsync(dfd);
		dt_fault("commit");
		if (rename(tmpdir, out) < 0) {
			/* another build made the layout meanwhile: add this image to it instead */
			raced = errno == ENOTEMPTY || errno == EEXIST;
			rc = raced ? adopt(tmpdir, out, res->name, ie, nie, err)
				   : dt_err_sys(err, errno, "cannot rename the image into '%s'", out);
			goto out;
		}
		free(tmpdir);
		tmpdir = NULL;
		dt_fault("committed");
	}
out:
	if (rc < 0 && existing)
		blobs_rollback(&b);
	blobs_release(&b);
	if (dfd >= 0)
		close(dfd); /* releases the lock */
	if (tmpdir) {
		dt_temp_remove_tree(AT_FDCWD, tmpdir);
		free(tmpdir);
	}
	dt_temp_drop(temp);
	pk_docs_release(&d);
	free(index);
	free(old);
	return rc;
}
