/* SPDX-License-Identifier: MIT */
/* Images and tarballs opened for reading (see source.h): kind detection, the member index
 * of archives, documents and layer streams, each checked against its descriptor. */
#include "verify/source.h"

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
#include "manifest/oci.h"

/* index.json, manifests and configs larger than this are refused. */
#define SRC_MAX_DOC (16u << 20)
/* members of an image archive */
#define SRC_MAX_MEMBERS (1u << 22)
/* links followed from one archive member to another */
#define SRC_MAX_HOPS 4

/* One member of an archive, parallel to vf_source.members. */
struct member {
	char *link;          /* symlink or hardlink target, or NULL */
	int hardlink;
	unsigned type;       /* AE_IF* */
	uint64_t size;
	int64_t header_pos;  /* in the uncompressed tar */
	int64_t data_pos;    /* where its content starts; -1 when unknown */
};

struct vf_archive {
	int fd;              /* the archive file */
	int seekable;        /* a plain tar fully indexed: members are read at their offset */
	struct member *v;
	size_t *order;       /* member indices sorted by name (the first of equal names
			      * first), for lookups */
};

/* An open blob: a file of a layout or a tarball, a range of an archive file, or a member
 * streamed by libarchive (an archive that is compressed as a whole). */
struct blob {
	int fd, own_fd;
	int ranged;
	uint64_t pos, left;
	struct archive *a;
};

const char *vf_source_kind_name(enum vf_source_kind k)
{
	switch (k) {
	case VF_SOURCE_LAYOUT: return "OCI layout";
	case VF_SOURCE_OCI_ARCHIVE: return "OCI archive";
	case VF_SOURCE_DOCKER_ARCHIVE: return "docker-archive";
	default: return "tarball";
	}
}

static void archive_index_free(struct vf_archive *x, size_t n)
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

void vf_source_free(struct vf_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nlayers; i++) {
		free(s->layers[i].digest);
		free(s->layers[i].media_type);
		free(s->layers[i].diff_id);
		free(s->layers[i].member);
	}
	free(s->layers);
	archive_index_free(s->archive, s->nmembers);
	for (size_t i = 0; i < s->nmembers; i++)
		free(s->members[i]);
	free(s->members);
	if (s->dirfd >= 0)
		close(s->dirfd);
	json_decref(s->index);
	json_decref(s->manifest);
	json_decref(s->config);
	json_decref(s->docker);
	free(s->manifest_digest);
	free(s->config_digest);
	free(s->ref);
	free(s->path);
	free(s);
}

static const char *strip_dot(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

static const char *la_err(struct archive *a, const char *otherwise)
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
			   la_err(a, "not a tar archive"));
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
static int list_members(struct vf_source *s, struct dt_err *err)
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
				la_err(a, "not a tar archive"));
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

static int has_member(const struct vf_source *s, const char *name)
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
static int member_open(const struct vf_source *s, const char *name, struct blob *b,
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
static int layout_open(const struct vf_source *s, const char *rel, struct blob *b,
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
static int blob_open(const struct vf_source *s, const char *digest, const char *member,
		     int64_t expect, const char *what, struct blob *b, struct dt_err *err)
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

static ssize_t blob_pull(void *ctx, void *buf, size_t cap, struct dt_err *err)
{
	struct blob *b = ctx;
	ssize_t n;

	if (b->a) {
		n = archive_read_data(b->a, buf, cap);
		if (n < 0)
			return dt_err_set(err, DT_EINPUT, "cannot read a member: %s",
					  la_err(b->a, "read error"));
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

static void blob_close(struct blob *b)
{
	if (b->a)
		archive_read_free(b->a);
	if (b->own_fd >= 0)
		close(b->own_fd);
}

/* Reads a whole document blob (at most SRC_MAX_DOC bytes, @expect when >= 0) and parses it
 * as JSON. With @digest, its bytes must hash to it; its sha256 goes to *@sha when asked. */
static int read_doc(const struct vf_source *s, const char *digest, int64_t expect,
		    const char *member, const char *what, json_t **out, char **sha,
		    struct dt_err *err)
{
	struct blob b;
	char *buf = NULL, found[DT_DIGEST_LEN];
	size_t len = 0, cap = 0;
	json_error_t je;
	int rc;

	*out = NULL;
	if (expect > (int64_t)SRC_MAX_DOC)
		return dt_err_set(err, DT_EINPUT, "'%s': %s is over %u MiB", s->path, what,
				  SRC_MAX_DOC >> 20);
	if ((rc = blob_open(s, digest, member, expect, what, &b, err)) < 0) {
		if (!strstr(err->msg, what))
			dt_err_prefix(err, "%s", what);
		return rc;
	}
	for (;;) {
		ssize_t n;
		if (len == cap) {
			char *nb;
			if (cap >= SRC_MAX_DOC) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': %s is over %u MiB", s->path,
						what, SRC_MAX_DOC >> 20);
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			if (!(nb = realloc(buf, cap))) {
				rc = dt_oom(err);
				goto out;
			}
			buf = nb;
		}
		n = blob_pull(&b, buf + len, cap - len, err);
		if (n < 0) {
			dt_err_prefix(err, "'%s': %s", s->path, what);
			rc = -DT_EINPUT;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	dt_sha256_digest(buf, len, found);
	if (digest && strcmp(found, digest) != 0) {
		char x[24], y[24];
		rc = dt_err_set(err, DT_EMISMATCH, "'%s': %s: blob %s has %s", s->path, what,
				dt_digest_short(digest, x), dt_digest_short(found, y));
		goto out;
	}
	if (sha && !(*sha = strdup(found))) {
		rc = dt_oom(err);
		goto out;
	}
	if (!(*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)))
		rc = dt_err_set(err, DT_EINPUT, "'%s': %s is not valid JSON (line %d: %s)",
				s->path, what, je.line, je.text);
out:
	blob_close(&b);
	free(buf);
	return rc;
}

/* The size a descriptor gives, or -1 when it has none (then nothing is checked but the
 * digest). A size that is not a non-negative integer is an error. */
static int desc_size(const struct vf_source *s, const json_t *d, const char *what,
		     int64_t *out, struct dt_err *err)
{
	const json_t *v = json_object_get(d, "size");

	*out = -1;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return dt_err_set(err, DT_EINPUT, "'%s': %s: its descriptor's size is not a "
				  "size", s->path, what);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static const char *ref_of(const json_t *desc)
{
	return json_string_value(json_object_get(json_object_get(desc, "annotations"),
						 MF_OCI_REF_NAME));
}

/* Picks the manifest of @index named @ref, or the only one. */
static int choose(struct vf_source *s, json_t *index, const char *ref, json_t **desc,
		  struct dt_err *err)
{
	json_t *m = json_object_get(index, "manifests"), *d;
	size_t i, n = json_array_size(m);
	char names[512] = "";

	if (!json_is_array(m) || n == 0)
		return dt_err_set(err, DT_EINPUT, "'%s': the index lists no manifests", s->path);
	if (!ref && n == 1) {
		*desc = json_array_get(m, 0);
		return 0;
	}
	json_array_foreach(m, i, d) {
		const char *r = ref_of(d);
		if (ref && r && strcmp(r, ref) == 0) {
			*desc = d;
			return 0;
		}
		if (strlen(names) < sizeof(names) - 80)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", r ? r : "(no ref.name)");
	}
	if (ref)
		return dt_err_set(err, DT_EINPUT, "'%s': no image named '%s' (it has: %s)",
				  s->path, ref, names);
	return dt_err_set(err, DT_EINPUT, "'%s' holds %zu images (%s); pick one with --ref",
			  s->path, n, names);
}

static int str_dup(char **dst, const char *src, struct dt_err *err)
{
	if (!src) {
		*dst = NULL;
		return 0;
	}
	return (*dst = strdup(src)) ? 0 : dt_oom(err);
}

/* The diff_ids of the config, onto the layers. */
static int attach_diff_ids(struct vf_source *s, struct dt_err *err)
{
	json_t *ids = json_object_get(json_object_get(s->config, "rootfs"), "diff_ids");
	for (size_t i = 0; i < s->nlayers && i < json_array_size(ids); i++)
		if (str_dup(&s->layers[i].diff_id, json_string_value(json_array_get(ids, i)),
			    err) < 0)
			return -DT_ENOMEM;
	return 0;
}

static int open_oci(struct vf_source *s, const char *ref, struct dt_err *err)
{
	json_t *desc, *layers, *l, *cfg;
	const char *mt;
	int64_t size;
	size_t i;
	int rc;

	if ((rc = read_doc(s, NULL, -1, "index.json", "index.json", &s->index, NULL, err)) < 0)
		return rc;
	if ((rc = choose(s, s->index, ref, &desc, err)) < 0)
		return rc;
	s->desc = desc;
	if ((rc = str_dup(&s->ref, ref_of(desc), err)) < 0 ||
	    (rc = str_dup(&s->manifest_digest, json_string_value(json_object_get(desc, "digest")),
			  err)) < 0 ||
	    (rc = desc_size(s, desc, "the manifest", &size, err)) < 0)
		return rc;
	if ((rc = read_doc(s, s->manifest_digest, size, NULL, "the manifest", &s->manifest,
			   NULL, err)) < 0)
		return rc;
	/* A nested index (several platforms): take the image for this machine's platform. */
	mt = json_string_value(json_object_get(s->manifest, "mediaType"));
	if (mt && strcmp(mt, MF_OCI_INDEX_TYPE) == 0) {
		json_t *inner = s->manifest, *m = json_object_get(inner, "manifests");
		json_t *pick = NULL;
		json_array_foreach(m, i, l) {
			json_t *p = json_object_get(l, "platform");
			const char *arch = json_string_value(json_object_get(p, "architecture"));
			if (json_array_size(m) == 1 || (arch && strcmp(arch, "amd64") == 0)) {
				pick = l;
				break;
			}
		}
		if (!pick)
			return dt_err_set(err, DT_EINPUT, "'%s': the image is a multi-platform index "
					  "without an amd64 image", s->path);
		free(s->manifest_digest);
		s->manifest_digest = NULL;
		if ((rc = str_dup(&s->manifest_digest,
				  json_string_value(json_object_get(pick, "digest")), err)) < 0 ||
		    (rc = desc_size(s, pick, "the manifest", &size, err)) < 0)
			return rc;
		s->manifest = NULL;
		rc = read_doc(s, s->manifest_digest, size, NULL, "the manifest", &s->manifest, NULL,
			      err);
		json_decref(inner);
		if (rc < 0)
			return rc;
	}
	cfg = json_object_get(s->manifest, "config");
	layers = json_object_get(s->manifest, "layers");
	if (!json_is_object(cfg) || !json_is_array(layers))
		return dt_err_set(err, DT_EINPUT, "'%s': the manifest %s has no config or layers",
				  s->path, s->manifest_digest);
	if ((rc = desc_size(s, cfg, "the config", &size, err)) < 0 ||
	    (rc = read_doc(s, json_string_value(json_object_get(cfg, "digest")), size, NULL,
			   "the config", &s->config, &s->config_digest, err)) < 0)
		return rc;
	s->nlayers = json_array_size(layers);
	if (s->nlayers && !(s->layers = calloc(s->nlayers, sizeof(*s->layers))))
		return dt_oom(err);
	json_array_foreach(layers, i, l) {
		struct vf_source_layer *sl = &s->layers[i];
		char what[32];
		snprintf(what, sizeof(what), "layer %zu", i + 1);
		if ((rc = str_dup(&sl->digest, json_string_value(json_object_get(l, "digest")),
				  err)) < 0 ||
		    (rc = str_dup(&sl->media_type,
				  json_string_value(json_object_get(l, "mediaType")), err)) < 0 ||
		    (rc = desc_size(s, l, what, &size, err)) < 0)
			return rc;
		sl->size = size < 0 ? 0 : (uint64_t)size;
		sl->has_size = size >= 0;
		if (!sl->digest)
			return dt_err_set(err, DT_EINPUT, "'%s': layer %zu has no digest", s->path,
					  i + 1);
	}
	return attach_diff_ids(s, err);
}

static int open_docker(struct vf_source *s, const char *ref, struct dt_err *err)
{
	json_t *all, *e = NULL, *layers, *l;
	size_t i;
	int rc;

	if ((rc = read_doc(s, NULL, -1, "manifest.json", "manifest.json", &all, NULL, err)) < 0)
		return rc;
	if (!json_is_array(all) || json_array_size(all) == 0) {
		json_decref(all);
		return dt_err_set(err, DT_EINPUT, "'%s': manifest.json lists no images", s->path);
	}
	if (!ref && json_array_size(all) == 1) {
		e = json_array_get(all, 0);
	} else {
		json_t *img, *tag;
		char names[1024] = "";
		size_t j;
		json_array_foreach(all, i, img) {
			json_array_foreach(json_object_get(img, "RepoTags"), j, tag) {
				const char *t = json_string_value(tag);
				if (ref && t && strcmp(t, ref) == 0 && !e)
					e = img;
				if (t && strlen(names) < sizeof(names) - 80)
					snprintf(names + strlen(names), sizeof(names) - strlen(names),
						 "%s%.60s", names[0] ? ", " : "", t);
			}
		}
		if (!e) {
			size_t n = json_array_size(all);
			json_decref(all);
			if (ref)
				return dt_err_set(err, DT_EINPUT, "'%s': no image named '%s' (it has: "
						  "%s)", s->path, ref, names[0] ? names : "none named");
			return dt_err_set(err, DT_EINPUT, "'%s' holds %zu images (%s); pick one "
					  "with --ref", s->path, n, names);
		}
	}
	s->docker = json_incref(e);
	json_decref(all);
	if ((rc = str_dup(&s->ref, ref ? ref : json_string_value(json_array_get(
						    json_object_get(e, "RepoTags"), 0)),
			  err)) < 0)
		return rc;
	layers = json_object_get(e, "Layers");
	if (!json_string_value(json_object_get(e, "Config")) || !json_is_array(layers))
		return dt_err_set(err, DT_EINPUT, "'%s': manifest.json has no Config or Layers",
				  s->path);
	if ((rc = read_doc(s, NULL, -1, json_string_value(json_object_get(e, "Config")),
			   "the config", &s->config, &s->config_digest, err)) < 0)
		return rc;
	s->nlayers = json_array_size(layers);
	if (s->nlayers && !(s->layers = calloc(s->nlayers, sizeof(*s->layers))))
		return dt_oom(err);
	json_array_foreach(layers, i, l) {
		if (!json_string_value(l))
			return dt_err_set(err, DT_EINPUT, "'%s': manifest.json: layer %zu is not a "
					  "path", s->path, i + 1);
		if ((rc = str_dup(&s->layers[i].member, json_string_value(l), err)) < 0)
			return rc;
	}
	return attach_diff_ids(s, err);
}

int vf_source_open(const char *path, const char *ref, struct vf_source **out,
		   struct dt_err *err)
{
	struct vf_source *s = calloc(1, sizeof(*s));
	struct stat st;
	int rc;

	*out = NULL;
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return dt_oom(err);
	}
	s->dirfd = -1;
	if (stat(path, &st) < 0) {
		rc = dt_err_sys(err, errno, "cannot read '%s'", path);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		struct stat ls;
		if ((s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			rc = dt_err_sys(err, errno, "cannot read '%s'", path);
			goto fail;
		}
		if (fstatat(s->dirfd, "oci-layout", &ls, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(ls.st_mode)) {
			rc = dt_err_set(err, DT_EINPUT, "'%s' is a directory but not an OCI layout "
					"(no oci-layout file)", path);
			goto fail;
		}
		s->kind = VF_SOURCE_LAYOUT;
		rc = open_oci(s, ref, err);
	} else if (!S_ISREG(st.st_mode)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s' is not a regular file or a directory", path);
		goto fail;
	} else {
		int image;
		if (!(s->archive = calloc(1, sizeof(*s->archive)))) {
			rc = dt_oom(err);
			goto fail;
		}
		s->archive->seekable = 1;
		if ((s->archive->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
			rc = dt_err_sys(err, errno, "cannot read '%s'", path);
			goto fail;
		}
		fcntl(s->archive->fd, F_SETFL, fcntl(s->archive->fd, F_GETFL) & ~O_NONBLOCK);
		if ((rc = image = list_members(s, err)) < 0)
			goto fail;
		if (image && has_member(s, "oci-layout") && has_member(s, "index.json")) {
			s->kind = VF_SOURCE_OCI_ARCHIVE;
			rc = open_oci(s, ref, err);
		} else if (image && has_member(s, "manifest.json")) {
			s->kind = VF_SOURCE_DOCKER_ARCHIVE;
			rc = open_docker(s, ref, err);
		} else {
			s->kind = VF_SOURCE_TARBALL;
			if (ref)
				rc = dt_err_set(err, DT_EINPUT, "'%s' is a tarball, not an image: "
						"--ref does not apply", path);
			else
				rc = 0;
			s->nlayers = 1;
			if (!(s->layers = calloc(1, sizeof(*s->layers))))
				rc = dt_oom(err);
		}
	}
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	vf_source_free(s);
	return rc;
}

int vf_source_blob_hash(const struct vf_source *s, size_t i, char digest[DT_DIGEST_LEN],
			uint64_t *size, struct dt_err *err)
{
	struct dt_hash *h = NULL;
	struct blob b;
	char what[32], *buf = NULL;
	int rc;

	*size = 0;
	if (i >= s->nlayers)
		return dt_err_set(err, DT_EINPUT, "'%s' has no layer %zu", s->path, i + 1);
	snprintf(what, sizeof(what), "layer %zu", i + 1);
	if ((rc = blob_open(s, s->layers[i].digest, s->layers[i].member, -1, what, &b, err)) < 0)
		return rc;
	if (!(h = dt_hash_new(DT_HASH_SHA256, err)) || !(buf = malloc(1 << 16))) {
		rc = h ? dt_oom(err) : -DT_ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = blob_pull(&b, buf, 1 << 16, err);
		if (n < 0) {
			dt_err_prefix(err, "'%s': %s", s->path, what);
			rc = (int)n;
			goto out;
		}
		if (n == 0)
			break;
		dt_hash_update(h, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	dt_hash_digest(h, digest);
out:
	dt_hash_free(h);
	free(buf);
	blob_close(&b);
	return rc;
}

/* "12 B" below a KiB, else "61.5 MiB (64487424 bytes)" */
static const char *size_text(uint64_t n, char *buf, size_t cap)
{
	char h[32];

	if (n < 1024)
		snprintf(buf, cap, "%llu bytes", (unsigned long long)n);
	else
		snprintf(buf, cap, "%s (%llu bytes)", dt_human_bytes(n, h, sizeof(h)),
			 (unsigned long long)n);
	return buf;
}

int vf_source_layer_mismatch(const struct vf_source *s, size_t i, const char *digest,
			     uint64_t size, char *buf, size_t cap)
{
	const struct vf_source_layer *l = &s->layers[i];
	char x[24], y[24], a[64], b[64];

	if (l->has_size && size != l->size) {
		snprintf(buf, cap, "blob %s has %s (%s, its descriptor says %s)",
			 l->digest ? dt_digest_short(l->digest, x) : "(unnamed)",
			 dt_digest_short(digest, y), size_text(size, a, sizeof(a)),
			 size_text(l->size, b, sizeof(b)));
		return 1;
	}
	if (l->digest && strcmp(l->digest, digest) != 0) {
		snprintf(buf, cap, "blob %s has %s (%s)", dt_digest_short(l->digest, x),
			 dt_digest_short(digest, y), size_text(size, a, sizeof(a)));
		return 1;
	}
	return 0;
}

/* After a failed read of layer @i: when its stored bytes are not its descriptor's, that is
 * the error (the bytes were never the image's); else the read's error stands. */
static int blame_blob(const struct vf_source *s, size_t i, int rc, struct dt_err *err)
{
	char digest[DT_DIGEST_LEN], what[512];
	struct dt_err e2 = { 0 };
	uint64_t size;

	if (!s->layers[i].digest && !s->layers[i].has_size)
		return rc;
	if (vf_source_blob_hash(s, i, digest, &size, &e2) < 0)
		return rc;
	if (!vf_source_layer_mismatch(s, i, digest, size, what, sizeof(what)))
		return rc;
	return dt_err_set(err, DT_EMISMATCH, "'%s': layer %zu: %s", s->path, i + 1, what);
}

int vf_source_read(const struct vf_source *s, size_t i, const struct vf_stream_opts *o,
		   struct vf_stream *out, struct dt_err *err)
{
	const struct vf_source_layer *l;
	struct blob b;
	char what[512], x[24], y[24];
	int rc;

	memset(out, 0, sizeof(*out));
	if (i >= s->nlayers)
		return dt_err_set(err, DT_EINPUT, "'%s' has no layer %zu", s->path, i + 1);
	l = &s->layers[i];
	snprintf(what, sizeof(what), "layer %zu", i + 1);
	rc = blob_open(s, l->digest, l->member, !o->unchecked && l->has_size ? (int64_t)l->size : -1,
		       what, &b, err);
	if (rc == -DT_EMISMATCH)
		return blame_blob(s, i, rc, err);
	if (rc < 0)
		return rc;
	rc = vf_stream_read(blob_pull, &b, o, out, err);
	blob_close(&b);
	if (o->unchecked)
		return rc;
	if (rc < 0)
		return blame_blob(s, i, rc, err);
	if (vf_source_layer_mismatch(s, i, out->digest, out->size, what, sizeof(what)))
		return dt_err_set(err, DT_EMISMATCH, "'%s': layer %zu: %s", s->path, i + 1, what);
	if (l->diff_id && strcmp(l->diff_id, out->diff_id) != 0)
		return dt_err_set(err, DT_EMISMATCH, "'%s': layer %zu: the tar hashes to %s, not "
				  "the config's diff_id %s", s->path, i + 1,
				  dt_digest_short(out->diff_id, y), dt_digest_short(l->diff_id, x));
	if (s->kind != VF_SOURCE_TARBALL && !l->diff_id)
		return dt_err_set(err, DT_EINPUT, "'%s': layer %zu has no diff_id in the config",
				  s->path, i + 1);
	return 0;
}
