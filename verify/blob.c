/* SPDX-License-Identifier: MIT */
/* The files and members an image's bytes come from (see blob.h). */
#include "verify/blob.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"

void vf_archive_free(struct vf_archive *x, size_t n)
{
	if (!x)
		return;
	for (size_t i = 0; x->v && i < n; i++)
		free(x->v[i].link);
	free(x->v);
	free(x->order);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

static const char *strip_dot(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

const char *vf_la_err(struct archive *a, const char *otherwise)
{
	const char *m = a ? archive_error_string(a) : NULL;

	return m && *m ? m : otherwise;
}

/* libarchive reading the archive file from its start (a descriptor of its own). */
static struct archive *open_archive(const struct vf_source *s, struct dt_err *err)
{
	struct archive *a = archive_read_new();
	int fd = dup(s->archive->fd);

	if (!a || fd < 0) {
		if (a)
			archive_read_free(a);
		if (fd >= 0)
			close(fd);
		return dt_oom(err), NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		dt_err_set(err, DT_EINPUT, "'%s' is not an image or a tarball (%s)", s->path,
			   vf_la_err(a, "not a tar archive"));
		archive_read_free(a);
		close(fd);
		return NULL;
	}
	return a;
}

/* Could @name be a member of an image archive (OCI archive or docker-archive)? The first
 * name that cannot makes the file a plain tarball, without reading the rest of it. */
static int image_member(const char *name)
{
	size_t n = strlen(name);

	if (!*name || !strcmp(name, "oci-layout") || !strcmp(name, "index.json") ||
	    !strcmp(name, "manifest.json") || !strcmp(name, "repositories") ||
	    !strncmp(name, "blobs/", 6) || !strcmp(name, "blobs"))
		return 1;
	/* docker-archive: <hex>.json, <hex>.tar, <hex>/{layer.tar,json,VERSION} */
	return n >= 64 && dt_is_hex(name, 64) &&
	       (name[64] == '\0' || name[64] == '/' || !strcmp(name + 64, ".json") ||
		!strcmp(name + 64, ".tar"));
}

static const struct vf_source *sort_src;

static int by_member_name(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int c = strcmp(sort_src->members[a], sort_src->members[b]);

	return c ? c : (a > b) - (a < b);
}

/* Each member's data offset, from the header positions (a plain tar lays each member's
 * header blocks, then its data padded to 512, then the next header). */
static void data_offsets(struct vf_source *s, int64_t end)
{
	struct vf_archive *x = s->archive;

	for (size_t i = 0; i < s->nmembers; i++) {
		struct member *m = &x->v[i];
		int64_t next = i + 1 < s->nmembers ? x->v[i + 1].header_pos : end;
		uint64_t padded = m->type == AE_IFREG && !m->hardlink ? (m->size + 511) / 512 * 512
								      : 0;
		m->data_pos = next - (int64_t)padded;
		if (m->data_pos < m->header_pos + 512 || m->data_pos % 512)
			x->seekable = 0;
	}
}

/* Reads the archive's headers once: its member names, and (a plain tar read to its end)
 * where each member's data lies. @return 1 when every member could be an image archive's,
 * 0 when one cannot (a plain tarball, whatever names came before it: a web root may hold
 * an index.json), or a negative code with @err set. */
int vf_archive_index(struct vf_source *s, struct dt_err *err)
{
	struct vf_archive *x = s->archive;
	struct archive *a = open_archive(s, err);
	struct archive_entry *ae;
	size_t cap = 0;
	int ar, rc = 1;

	if (!a)
		return -DT_EINPUT;
	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ae);
		const char *hl = archive_entry_hardlink(ae), *sl = archive_entry_symlink(ae);
		struct member *m;
		if (s->nmembers >= SRC_MAX_MEMBERS) {
			rc = dt_err_set(err, DT_EINPUT, "'%s' has more than %u members", s->path,
					SRC_MAX_MEMBERS);
			goto out;
		}
		if (s->nmembers == cap) {
			size_t nc = cap ? 2 * cap : 64;
			void *v = realloc(s->members, nc * sizeof(*s->members));
			void *w = v ? realloc(x->v, nc * sizeof(*x->v)) : NULL;
			if (v)
				s->members = v;
			if (!w) {
				rc = dt_oom(err);
				goto out;
			}
			x->v = w;
			cap = nc;
		}
		m = &x->v[s->nmembers];
		memset(m, 0, sizeof(*m));
		if (!(s->members[s->nmembers] = strdup(strip_dot(name ? name : "")))) {
			rc = dt_oom(err);
			goto out;
		}
		s->nmembers++;
		m->hardlink = hl != NULL;
		m->type = archive_entry_filetype(ae);
		m->size = archive_entry_size_is_set(ae) ? (uint64_t)archive_entry_size(ae) : 0;
		m->header_pos = archive_read_header_position(a);
		if (archive_entry_sparse_count(ae) > 0)
			x->seekable = 0;
		if ((hl || (m->type == AE_IFLNK && sl)) && !(m->link = strdup(hl ? hl : sl))) {
			rc = dt_oom(err);
			goto out;
		}
		if (!image_member(s->members[s->nmembers - 1])) {
			rc = 0; /* a plain tarball: the rest need not be read */
			break;
		}
	}
	if (ar != ARCHIVE_EOF && ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
		rc = dt_err_set(err, DT_EINPUT, "'%s' is not an image or a tarball (%s)", s->path,
				vf_la_err(a, "not a tar archive"));
		goto out;
	}
	if (rc == 1) {
		x->seekable = x->seekable && archive_filter_count(a) == 1 &&
			      archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE;
		data_offsets(s, archive_read_header_position(a));
		if (!(x->order = malloc((s->nmembers + 1) * sizeof(*x->order)))) {
			rc = dt_oom(err);
			goto out;
		}
		for (size_t i = 0; i < s->nmembers; i++)
			x->order[i] = i;
		sort_src = s;
		qsort(x->order, s->nmembers, sizeof(*x->order), by_member_name);
	}
out:
	archive_read_free(a);
	return rc;
}

/* The index of the first member named @name, or -1. */
static long find_member(const struct vf_source *s, const char *name)
{
	size_t lo = 0, hi = s->nmembers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->members[s->archive->order[mid]], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nmembers && strcmp(s->members[s->archive->order[lo]], name) == 0
	       ? (long)s->archive->order[lo] : -1;
}

int vf_archive_has(const struct vf_source *s, const char *name)
{
	return s->archive->order && find_member(s, name) >= 0;
}

/* The member a link at @at leads to, into @target. */
static void follow(const char *at, const struct member *m, char *target, size_t cap)
{
	const char *link = m->link;
	char dir[4096], *slash;

	if (m->hardlink || link[0] == '/') {
		snprintf(target, cap, "%s", strip_dot(link));
		return;
	}
	/* relative to the member's directory; "../" climbs one level */
	snprintf(dir, sizeof(dir), "%s", at);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
	while (strncmp(link, "../", 3) == 0) {
		link += 3;
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
	}
	snprintf(target, cap, "%s%s%s", dir, dir[0] ? "/" : "", strip_dot(link));
}

/* Opens member @name of the archive, following links (a docker-archive dedupes layers with
 * them), as a range of the archive file or, for an archive compressed whole, streamed from
 * its start. *@size gets its size. */
static int member_open(const struct vf_source *s, const char *name, struct vf_blob *b,
		       uint64_t *size, struct dt_err *err)
{
	const struct member *m;
	char target[4096], at[4096];
	long idx;

	snprintf(target, sizeof(target), "%s", strip_dot(name));
	for (int hops = 0;; hops++) {
		if ((idx = find_member(s, target)) < 0 && hops == 0)
			return dt_err_set(err, DT_EINPUT, "'%s': no member '%s'", s->path, name);
		if (idx < 0)
			return dt_err_set(err, DT_EINPUT, "'%s': member '%s' links to '%s', which is "
					  "not in the archive", s->path, name, target);
		m = &s->archive->v[idx];
		if (!m->link)
			break;
		if (hops >= SRC_MAX_HOPS)
			return dt_err_set(err, DT_EINPUT, "'%s': member '%s' is a link loop (or links "
					  "more than %d deep)", s->path, name, SRC_MAX_HOPS);
		snprintf(at, sizeof(at), "%s", target);
		follow(at, m, target, sizeof(target));
	}
	if (m->type != AE_IFREG)
		return dt_err_set(err, DT_EINPUT, "'%s': member '%s' is not a file", s->path, name);
	*size = m->size;
	if (s->archive->seekable) {
		b->fd = s->archive->fd;
		b->ranged = 1;
		b->pos = (uint64_t)m->data_pos;
		b->left = m->size;
		return 0;
	}
	if (!(b->a = open_archive(s, err)))
		return -DT_EINPUT;
	for (long k = 0;; k++) {
		struct archive_entry *ae;
		int ar = archive_read_next_header(b->a, &ae);
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
			break;
		if (k == idx)
			return 0;
	}
	return dt_err_set(err, DT_EINPUT, "'%s': member '%s' vanished", s->path, name);
}

/* "sha256:<64 hex>" -> "blobs/sha256/<hex>". @return 0, or -DT_EINPUT. */
static int blob_path(const struct vf_source *s, const char *digest, char *out, size_t cap,
		     struct dt_err *err)
{
	const char *hex = digest && strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : NULL;

	if (!hex || !dt_is_hex(hex, 64) || hex[64])
		return dt_err_set(err, DT_EINPUT, "'%s': unsupported or malformed digest '%s'",
				  s->path, digest ? digest : "(none)");
	snprintf(out, cap, "blobs/sha256/%s", hex);
	return 0;
}

/* Opens the file @rel of the layout, beneath it: a regular file, no link on the way. */
static int layout_open(const struct vf_source *s, const char *rel, struct vf_blob *b,
		       uint64_t *size, struct dt_err *err)
{
	struct stat st;
	int fd = dt_open_regular_beneath(s->dirfd, rel, &st);

	if (fd < 0) {
		if (errno == ELOOP)
			return dt_err_set(err, DT_EINPUT, "'%s/%s' is or passes through a symlink: a layout's files "
					  "must be its own", s->path, rel);
		if (errno == EINVAL)
			return dt_err_set(err, DT_EINPUT, "'%s/%s' is not a regular file", s->path,
					  rel);
		return dt_err_sys(err, errno, "cannot read '%s/%s'", s->path, rel);
	}
	b->fd = b->own_fd = fd;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Opens the blob named by @digest (or the member or layout file @member), named @what in
 * messages; one whose size is not @expect (unless @expect < 0) is refused before it is
 * read. */
int vf_blob_open(const struct vf_source *s, const char *digest, const char *member,
		     int64_t expect, const char *what, struct vf_blob *b, struct dt_err *err)
{
	uint64_t size = 0;
	char rel[128];
	int rc;

	memset(b, 0, sizeof(*b));
	b->fd = b->own_fd = -1;
	if (s->kind == VF_SOURCE_TARBALL) {
		b->fd = s->archive->fd;
		b->ranged = 1;
		b->left = UINT64_MAX;
		return 0;
	}
	if (!member) {
		if ((rc = blob_path(s, digest, rel, sizeof(rel), err)) < 0)
			return rc;
		member = rel;
	}
	rc = s->kind == VF_SOURCE_LAYOUT ? layout_open(s, member, b, &size, err)
					  : member_open(s, member, b, &size, err);
	if (rc == 0 && expect >= 0 && size != (uint64_t)expect) {
		char x[32], y[32], d[24];
		rc = dt_err_set(err, DT_EMISMATCH, "'%s': %s: blob %s is %s (%llu bytes), its "
				"descriptor says %s (%llu bytes)", s->path, what,
				digest ? dt_digest_short(digest, d) : member,
				dt_human_bytes(size, x, sizeof(x)), (unsigned long long)size,
				dt_human_bytes((uint64_t)expect, y, sizeof(y)),
				(unsigned long long)expect);
	}
	return rc;
}

ssize_t vf_blob_pull(void *ctx, void *buf, size_t cap, struct dt_err *err)
{
	struct vf_blob *b = ctx;
	ssize_t n;

	if (b->a) {
		n = archive_read_data(b->a, buf, cap);
		if (n < 0)
			return dt_err_set(err, DT_EINPUT, "cannot read a member: %s",
					  vf_la_err(b->a, "read error"));
		return n;
	}
	if (b->ranged) {
		if (b->left == 0)
			return 0;
		if (cap > b->left)
			cap = (size_t)b->left;
		do
			n = pread(b->fd, buf, cap, (off_t)b->pos);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return dt_err_sys(err, errno, "cannot read");
		if (n == 0 && b->left != UINT64_MAX)
			return dt_err_set(err, DT_EINPUT, "the archive ends inside a member");
		b->pos += (uint64_t)n;
		if (b->left != UINT64_MAX)
			b->left -= (uint64_t)n;
		return n;
	}
	do
		n = read(b->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return dt_err_sys(err, errno, "cannot read");
	return n;
}

void vf_blob_close(struct vf_blob *b)
{
	if (b->a)
		archive_read_free(b->a);
	if (b->own_fd >= 0)
		close(b->own_fd);
}

