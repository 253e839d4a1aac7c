/* SPDX-License-Identifier: MIT */
/* Debian packages read with libarchive, confined and never extracted (see deb.h). */
#include "debian/deb.h"
#include "common/digest.h"
#include "common/fs.h"
#include "debian/status.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define DEB_MAX_FILE (UINT64_C(4) << 30)
#define DEB_MAX_MEMBER (UINT64_C(1) << 30)
#define DEB_MAX_CONTENT (UINT64_C(4) << 30)

void deb_package_free(struct deb_package *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nentries; i++) {
		free(d->entries[i].path);
		free(d->entries[i].link);
		free(d->entries[i].data);
		free(d->entries[i].pending);
	}
	free(d->entries);
	free(d->file);
	free(d->package);
	free(d->version);
	free(d->architecture);
	free(d->control);
	free(d);
}

/* libarchive's message, which may be NULL. */
static const char *la_err(struct archive *a, const char *otherwise)
{
	const char *m = archive_error_string(a);

	return m && *m ? m : otherwise;
}

/* The inner tar is read straight from the outer ar member. A gzip member is inflated here
 * with zlib, which checks each member's CRC-32 and length (libarchive's gzip filter does
 * not): a package whose data.tar.gz is corrupt is refused, not half-read. */
struct inner {
	struct archive *outer;
	int gz;           /* the member is gzip: inflate it here */
	int z_ready;      /* inflateInit2 done */
	int z_done;       /* a gzip member ended; more input must start another */
	z_stream z;
	unsigned char in[1 << 16];
	unsigned char out[1 << 16];
};

static la_ssize_t inner_read(struct archive *a, void *ctx, const void **buf)
{
	struct inner *in = ctx;

	*buf = in->out;
	if (!in->gz)
		return archive_read_data(in->outer, in->out, sizeof(in->out));
	for (;;) {
		int zr;
		if (in->z.avail_in == 0) {
			la_ssize_t n = archive_read_data(in->outer, in->in, sizeof(in->in));
			if (n < 0) {
				archive_set_error(a, EINVAL, "%s",
						  la_err(in->outer, "cannot read"));
				return -1;
			}
			if (n == 0) {
				if (in->z_done)
					return 0;
				archive_set_error(a, EINVAL, "truncated gzip stream");
				return -1;
			}
			in->z.next_in = in->in;
			in->z.avail_in = (uInt)n;
		}
		if (in->z_done) {
			/* another gzip member follows (gzip -c a b), or bytes that are not one */
			if (in->z.next_in[0] != 0x1f || inflateReset(&in->z) != Z_OK) {
				archive_set_error(a, EINVAL, "bytes after the gzip stream");
				return -1;
			}
			in->z_done = 0;
		}
		in->z.next_out = in->out;
		in->z.avail_out = sizeof(in->out);
		zr = inflate(&in->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			in->z_done = 1;
		else if (zr != Z_OK && !(zr == Z_BUF_ERROR && in->z.avail_in == 0)) {
			archive_set_error(a, EINVAL, "not a valid gzip stream (%s)",
					  in->z.msg ? in->z.msg : "inflate failed");
			return -1;
		}
		if (in->z.avail_out < sizeof(in->out))
			return (la_ssize_t)(sizeof(in->out) - in->z.avail_out);
	}
}

static int inner_close(struct archive *a, void *ctx)
{
	struct inner *in = ctx;

	(void)a;
	if (in->z_ready)
		inflateEnd(&in->z);
	free(in);
	return ARCHIVE_OK;
}

/* A tar member of the ar archive @outer (control.tar.*, data.tar.*), read as it streams.
 * @return the archive, or NULL with @err set. */
static struct archive *open_inner(const struct deb_package *d, struct archive *outer,
				  const char *member, struct dt_err *err)
{
	struct archive *a = archive_read_new();
	struct inner *in = calloc(1, sizeof(*in));
	size_t len = strlen(member);

	if (!a || !in) {
		archive_read_free(a);
		free(in);
		dt_oom(err);
		return NULL;
	}
	in->outer = outer;
	in->gz = len > 3 && strcmp(member + len - 3, ".gz") == 0;
	if (in->gz) {
		if (inflateInit2(&in->z, 16 + MAX_WBITS) != Z_OK) {
			archive_read_free(a);
			free(in);
			dt_err_set(err, DT_ELIB, "'%s': %s: cannot set up zlib", d->file, member);
			return NULL;
		}
		in->z_ready = 1;
	}
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_all(a);
	/* the close callback frees @in, also when the open fails */
	if (archive_read_open(a, in, NULL, inner_read, inner_close) != ARCHIVE_OK) {
		dt_err_set(err, DT_EINPUT, "'%s': %s: %s", d->file, member,
			   la_err(a, "not a tar archive"));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* A package name in the characters Debian policy 5.6.1 allows (dpkg also wants two or more):
 * it becomes a file name (status.d/NAME) and
 * a field of the lock. */
static int valid_package(const char *s)
{
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '+' ||
		      *c == '-' || *c == '.'))
			return 0;
	return 1;
}

/* [epoch:]upstream[-revision] in the characters policy 5.6.12 allows. */
static int valid_version(const char *s)
{
	if (!(s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr(".+~:-", *c)))
			return 0;
	return 1;
}

/* "./usr/bin/x" -> "/usr/bin/x"; NULL for the root itself. @return 0, or -1 with @why. */
static int norm_name(const char *name, char **out, const char **why)
{
	size_t len = strlen(name), o = 0;
	char *p;
	const char *s = name;

	*out = NULL;
	if (len > 4095) {
		*why = "is longer than 4095 bytes";
		return -1;
	}
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c < 0x20 || *c == 0x7f) {
			*why = "has a control character in its name";
			return -1;
		}
	if (name[0] == '/') {
		*why = "is an absolute path";
		return -1;
	}
	if (!(p = malloc(len + 2)))
		return -2;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* "" or "." component */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			free(p);
			*why = "leaves the package root ('..')";
			return -1;
		} else if (n > 255) {
			free(p);
			*why = "has a component longer than 255 bytes";
			return -1;
		} else {
			p[o++] = '/';
			memcpy(p + o, s, n);
			o += n;
		}
		s += n;
		if (*s == '/')
			s++;
	}
	p[o] = '\0';
	if (o == 0) {
		free(p);
		return 0;
	}
	*out = p;
	return 0;
}

static struct deb_member *find_entry(struct deb_package *d, const char *path)
{
	for (size_t i = d->nentries; i-- > 0;)
		if (strcmp(d->entries[i].path, path) == 0)
			return &d->entries[i];
	return NULL;
}

/* A member below one of the package's own symlinks would be written through it. */
static const char *below_symlink(struct deb_package *d, const char *path)
{
	for (size_t i = 0; i < d->nentries; i++) {
		const struct deb_member *e = &d->entries[i];
		size_t n = strlen(e->path);
		if (e->type == DEB_SYMLINK && strncmp(path, e->path, n) == 0 && path[n] == '/')
			return e->path;
	}
	return NULL;
}

/* Reads the content of the regular member @ae (named @name) into @e, within the limits. */
static int read_content(struct deb_package *d, struct archive *a, const char *member,
			const char *name, struct archive_entry *ae, uint64_t *total,
			struct deb_member *e, struct dt_err *err)
{
	la_int64_t size = archive_entry_size(ae);
	uint64_t got = 0;

	if (archive_entry_sparse_count(ae) > 0)
		return dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' is a sparse file (dpkg "
				  "knows none; refused)", d->file, member, name);
	if (size < 0)
		return dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' has no size", d->file,
				  member, name);
	if ((uint64_t)size > DEB_MAX_MEMBER)
		return dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' is %llu bytes, over the "
				  "limit of %llu for one member", d->file, member, name,
				  (unsigned long long)size, (unsigned long long)DEB_MAX_MEMBER);
	if (*total + (uint64_t)size > DEB_MAX_CONTENT)
		return dt_err_set(err, DT_EINPUT, "'%s': %s: the members taken add up to over the "
				  "limit of %llu bytes (at '%s')", d->file, member,
				  (unsigned long long)DEB_MAX_CONTENT, name);
	e->size = (uint64_t)size;
	*total += e->size;
	if (size > 0 && !(e->data = malloc((size_t)size)))
		return dt_oom(err);
	while (got < e->size) {
		la_ssize_t k = archive_read_data(a, e->data + got, (size_t)(e->size - got));
		if (k <= 0)
			return dt_err_set(err, DT_EINPUT, "'%s': %s member '%s': %s", d->file,
					  member, name, k < 0 ? la_err(a, "cannot read") : "truncated");
		got += (uint64_t)k;
	}
	dt_sha256(e->data, (size_t)e->size, e->sha256);
	return 0;
}

/* Reads the data.tar member @member of @outer. Hardlinks whose first name the filter left
 * out become regular members with that name in @pending, counted in *@npending. */
static int read_data_tar(struct deb_package *d, struct archive *outer, const char *member,
			 deb_filter_fn filter, void *ctx, struct dt_strv *dropped,
			 size_t *npending, struct dt_err *err)
{
	struct archive *a = open_inner(d, outer, member, err);
	struct archive_entry *ae;
	uint64_t total = 0;
	size_t cap = 0;
	int rc = 0, r;

	if (!a)
		return -err->code;
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae), *why = NULL, *via;
		struct deb_member *e;
		mode_t type = archive_entry_filetype(ae);
		const char *hl = archive_entry_hardlink(ae);
		char *path = NULL;
		int n;
		if (!name) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': %s: a member has no name", d->file, member);
			goto out;
		}
		if ((n = norm_name(name, &path, &why)) < 0) {
			rc = n == -2 ? dt_oom(err) : dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' %s",
							     d->file, member, name, why);
			goto out;
		}
		if (!path)
			continue; /* "./" */
		if ((via = below_symlink(d, path))) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' would be written "
					"through the symlink '%s'", d->file, member, name, via);
			free(path);
			goto out;
		}
		if (!hl && type != AE_IFDIR && type != AE_IFREG && type != AE_IFLNK) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' is a device, fifo or "
					"socket, which distill does not pack", d->file, member, name);
			free(path);
			goto out;
		}
		{
			struct deb_member *old = find_entry(d, path);
			if (old && !(old->type == DEB_DIR && type == AE_IFDIR && !hl)) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' is there twice",
						d->file, member, name);
				free(path);
				goto out;
			}
			if (old) {
				free(path);
				continue;
			}
		}
		if (type != AE_IFDIR && filter && !filter(ctx, path)) {
			/* a hardlink kept later may need this file's content */
			if (type == AE_IFREG && !hl && dt_strv_push(dropped, path) < 0)
				rc = dt_oom(err);
			free(path);
			if (rc < 0)
				goto out;
			continue;
		}
		if (d->nentries == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct deb_member *v = realloc(d->entries, nc * sizeof(*v));
			if (!v) {
				free(path);
				rc = dt_oom(err);
				goto out;
			}
			d->entries = v;
			cap = nc;
		}
		e = &d->entries[d->nentries++];
		memset(e, 0, sizeof(*e));
		e->path = path;
		e->mode = (uint32_t)archive_entry_perm(ae) & 07777;
		e->uid = (uint32_t)archive_entry_uid(ae);
		e->gid = (uint32_t)archive_entry_gid(ae);
		if (hl) {
			char *target = NULL;
			struct deb_member *t;
			if (norm_name(hl, &target, &why) == 0 && target && !find_entry(d, target) &&
			    dt_strv_has(dropped, target)) {
				/* its first name was filtered out: it becomes that file, whose
				 * content a second pass reads (read_pending) */
				e->type = DEB_REG;
				e->pending = target;
				(*npending)++;
				continue;
			}
			if (!target || !(t = find_entry(d, target)) || t->type != DEB_REG) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' is a hardlink to "
						"'%s', which is not an earlier file of the package",
						d->file, member, name, hl);
				free(target);
				goto out;
			}
			e->type = DEB_HARDLINK;
			e->link = target;
		} else if (type == AE_IFDIR) {
			e->type = DEB_DIR;
		} else if (type == AE_IFLNK) {
			const char *l = archive_entry_symlink(ae);
			e->type = DEB_SYMLINK;
			if (!l || !*l) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': %s member '%s' is a symlink "
						"without a target", d->file, member, name);
				goto out;
			}
			if (!(e->link = strdup(l))) {
				rc = dt_oom(err);
				goto out;
			}
		} else {
			e->type = DEB_REG;
			if ((rc = read_content(d, a, member, name, ae, &total, e, err)) < 0)
				goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = dt_err_set(err, DT_EINPUT, "'%s': %s: %s", d->file, member,
				la_err(a, "cannot read"));
out:
	archive_read_free(a);
	return rc;
}

static int read_control_tar(struct deb_package *d, struct archive *outer, const char *member,
			    struct dt_err *err)
{
	struct archive *a = open_inner(d, outer, member, err);
	struct archive_entry *ae;
	int rc = 0, r;

	if (!a)
		return -err->code;
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);
		la_int64_t size = archive_entry_size(ae);
		size_t got = 0;
		if (!name || (strcmp(name, "./control") && strcmp(name, "control")))
			continue;
		if (size < 0 || size > (1 << 20)) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': control file too large", d->file);
			goto out;
		}
		free(d->control);
		if (!(d->control = malloc((size_t)size + 2))) {
			rc = dt_oom(err);
			goto out;
		}
		while (got < (size_t)size) {
			la_ssize_t k = archive_read_data(a, d->control + got, (size_t)size - got);
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		if (got == 0 || d->control[got - 1] != '\n')
			d->control[got++] = '\n';
		d->control[got] = '\0';
		if (strlen(d->control) != got) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': control file holds a NUL byte", d->file);
			goto out;
		}
		/* one stanza: it becomes status.d/<package>, where a second one would be a
		 * forged package to scanners */
		while (got > 1 && d->control[got - 2] == '\n')
			d->control[--got] = '\0';
		for (const char *l = d->control; *l; l = strchr(l, '\n') + 1)
			if (l[strspn(l, " \t")] == '\n') {
				rc = dt_err_set(err, DT_EINPUT, "'%s': control file holds more than "
						"one stanza (a blank line)", d->file);
				goto out;
			}
	}
	if (r != ARCHIVE_EOF)
		rc = dt_err_set(err, DT_EINPUT, "'%s': %s: %s", d->file, member,
				la_err(a, "cannot read"));
out:
	archive_read_free(a);
	return rc;
}

/* The content of the hardlinks kept without their first name (read_data_tar): the data.tar
 * member @member of the package in @buf read again, each pending member given the content
 * of the file it names. */
static int read_pending(struct deb_package *d, const void *buf, size_t len, const char *member,
			struct dt_err *err)
{
	struct archive *outer = archive_read_new(), *a = NULL;
	struct archive_entry *ae;
	uint64_t total = 0;
	int rc = 0, r;

	if (!outer)
		return dt_oom(err);
	for (size_t i = 0; i < d->nentries; i++)
		total += d->entries[i].size;
	archive_read_support_format_ar(outer);
	if (archive_read_open_memory(outer, buf, len) != ARCHIVE_OK) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': %s", d->file, la_err(outer, "cannot read"));
		goto out;
	}
	while ((r = archive_read_next_header(outer, &ae)) == ARCHIVE_OK)
		if (archive_entry_pathname(ae) && strcmp(archive_entry_pathname(ae), member) == 0)
			break;
	if (r != ARCHIVE_OK || !(a = open_inner(d, outer, member, err))) {
		rc = r != ARCHIVE_OK ? dt_err_set(err, DT_EINPUT, "'%s': %s vanished", d->file, member)
				     : -err->code;
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK && rc == 0) {
		const char *name = archive_entry_pathname(ae), *why;
		struct deb_member *first = NULL;
		char *path = NULL;
		if (!name || archive_entry_filetype(ae) != AE_IFREG || archive_entry_hardlink(ae) ||
		    norm_name(name, &path, &why) != 0 || !path) {
			free(path);
			continue;
		}
		for (size_t i = 0; i < d->nentries && rc == 0; i++) {
			struct deb_member *e = &d->entries[i];
			if (!e->pending || strcmp(e->pending, path) != 0)
				continue;
			if (!first) {
				rc = read_content(d, a, member, name, ae, &total, e, err);
				first = e;
			} else if ((total += first->size) > DEB_MAX_CONTENT) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': %s: the members taken add up "
						"to over the limit of %llu bytes (at '%s')", d->file,
						member, (unsigned long long)DEB_MAX_CONTENT, name);
			} else if (first->size && !(e->data = malloc((size_t)first->size))) {
				rc = dt_oom(err);
			} else {
				if (first->size)
					memcpy(e->data, first->data, (size_t)first->size);
				e->size = first->size;
				memcpy(e->sha256, first->sha256, DT_SHA256_LEN);
			}
			free(e->pending);
			e->pending = NULL;
		}
		free(path);
	}
	for (size_t i = 0; i < d->nentries && rc == 0; i++)
		if (d->entries[i].pending)
			rc = dt_err_set(err, DT_EINPUT, "'%s': %s member '%s': its file '%s' vanished",
					d->file, member, d->entries[i].path, d->entries[i].pending);
out:
	if (a)
		archive_read_free(a);
	archive_read_free(outer);
	return rc;
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int read_deb(const char *name, const void *buf, size_t len, int want_data,
		    deb_filter_fn filter, void *ctx, struct deb_package **out, struct dt_err *err)
{
	struct deb_package *d = calloc(1, sizeof(*d));
	struct archive *a = NULL;
	struct archive_entry *ae;
	int rc = 0, r, seen_binary = 0, seen_data = 0, seen_control = 0;
	struct dt_strv dropped = { 0 };
	size_t npending = 0;
	char *data_member = NULL;

	*out = NULL;
	if (!d || !(d->file = strdup(name))) {
		deb_package_free(d);
		return dt_oom(err);
	}
	dt_sha256(buf, len, d->sha256);
	d->file_size = len;
	if (!(a = archive_read_new())) {
		rc = dt_oom(err);
		goto out;
	}
	archive_read_support_format_ar(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': not a Debian package (%s)", name,
				la_err(a, "not an ar archive"));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *m = archive_entry_pathname(ae);
		if (!m)
			continue;
		if (strcmp(m, "debian-binary") == 0) {
			char v[8] = "";
			la_ssize_t k = archive_read_data(a, v, sizeof(v) - 1);
			if (k < 4 || v[0] != '2' || v[1] != '.') {
				rc = dt_err_set(err, DT_EINPUT, "'%s': unsupported debian-binary "
						"version", name);
				goto out;
			}
			seen_binary = 1;
		} else if (starts(m, "control.tar")) {
			if (seen_control++) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': two control.tar members", name);
				goto out;
			}
			if (!seen_binary) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': not a Debian package (no "
						"debian-binary member first)", name);
				goto out;
			}
			if ((rc = read_control_tar(d, a, m, err)) < 0)
				goto out;
		} else if (starts(m, "data.tar")) {
			if (seen_data++) {
				rc = dt_err_set(err, DT_EINPUT, "'%s': two data.tar members", name);
				goto out;
			}
			if (want_data &&
			    ((rc = read_data_tar(d, a, m, filter, ctx, &dropped, &npending, err)) < 0 ||
			     !(data_member = strdup(m)))) {
				rc = rc < 0 ? rc : dt_oom(err);
				goto out;
			}
			if (!want_data)
				break;
		}
	}
	if (r != ARCHIVE_EOF && r != ARCHIVE_OK) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': %s", name,
				la_err(a, "cannot read"));
		goto out;
	}
	if (!seen_binary || !d->control || (want_data && !seen_data)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': not a Debian package (no %s member)", name,
				!seen_binary ? "debian-binary" : !d->control ? "control" : "data.tar");
		goto out;
	}
	d->package = deb_field(d->control, "Package");
	d->version = deb_field(d->control, "Version");
	d->architecture = deb_field(d->control, "Architecture");
	if (!d->package || !d->version || !d->architecture) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': control has no %s field", name,
				!d->package ? "Package" : !d->version ? "Version" : "Architecture");
		goto out;
	}
	if (!valid_package(d->package)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': bad package name '%s' (Debian policy 5.6.1: "
				"[a-z0-9][a-z0-9+.-]*)", name, d->package);
		goto out;
	}
	if (!valid_version(d->version)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': bad version '%s' (Debian policy 5.6.12: "
				"[A-Za-z0-9.+~:-], starting with a digit)", name, d->version);
		goto out;
	}
	for (const char *c = d->architecture; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-')) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': bad architecture '%s'", name,
					d->architecture);
			goto out;
		}
	if (npending)
		rc = read_pending(d, buf, len, data_member, err);
out:
	archive_read_free(a);
	dt_strv_release(&dropped);
	free(data_member);
	if (rc < 0) {
		deb_package_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int deb_package_read_mem(const char *name, const void *buf, size_t len, deb_filter_fn filter,
		    void *ctx, struct deb_package **out, struct dt_err *err)
{
	return read_deb(name, buf, len, 1, filter, ctx, out, err);
}

static int read_path(const char *path, int want_data, deb_filter_fn filter, void *ctx,
		     struct deb_package **out, struct dt_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = dt_read_file(AT_FDCWD, path, DEB_MAX_FILE, &buf, &len, err);

	if (rc == 0)
		rc = read_deb(path, buf, len, want_data, filter, ctx, out, err);
	free(buf);
	return rc;
}

int deb_package_read(const char *path, deb_filter_fn filter, void *ctx, struct deb_package **out,
		struct dt_err *err)
{
	return read_path(path, 1, filter, ctx, out, err);
}

int deb_package_read_control(const char *path, struct deb_package **out, struct dt_err *err)
{
	return read_path(path, 0, NULL, NULL, out, err);
}
