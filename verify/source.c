/* SPDX-License-Identifier: MIT */
/* Images and tarballs opened for reading: kind detection, documents, layer streams. */
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

#include "manifest/oci.h"

/* index.json, manifests and configs larger than this are refused. */
#define SRC_MAX_DOC (16u << 20)

/* An open blob: a file of a layout or a tarball, or a member of an archive. */
struct blob {
	int fd;
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
	for (size_t i = 0; i < s->nmembers; i++)
		free(s->members[i]);
	free(s->members);
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

static struct archive *open_archive(const char *path, struct dt_err *err)
{
	struct archive *a = archive_read_new();

	if (!a) {
		dt_oom(err);
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		dt_err_set(err, DT_EINPUT, "'%s' is not an image or a tarball (%s)", path,
			   archive_error_string(a) ? archive_error_string(a) : "not a tar archive");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static int hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
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
	return n >= 64 && hex_run(name, 64) &&
	       (name[64] == '\0' || name[64] == '/' || !strcmp(name + 64, ".json") ||
		!strcmp(name + 64, ".tar"));
}

/* Lists an archive's members, as far as they could be an image archive's. @return 1 when
 * every member could be, 0 when one cannot (a plain tarball, whatever names came before
 * it: a web root may hold an index.json), or a negative code with @err set. */
static int list_members(struct vf_source *s, struct dt_err *err)
{
	struct archive *a = open_archive(s->path, err);
	struct archive_entry *ae;
	size_t cap = 0;
	int ar, rc = 1;

	if (!a)
		return -DT_EINPUT;
	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ae);
		if (s->nmembers == cap) {
			size_t nc = cap ? 2 * cap : 64;
			void *v = realloc(s->members, nc * sizeof(*s->members));
			if (!v) {
				rc = dt_oom(err);
				goto out;
			}
			s->members = v;
			cap = nc;
		}
		if (!(s->members[s->nmembers] = strdup(strip_dot(name ? name : "")))) {
			rc = dt_oom(err);
			goto out;
		}
		s->nmembers++;
		if (!image_member(s->members[s->nmembers - 1])) {
			rc = 0; /* a plain tarball: the rest need not be read */
			break;
		}
	}
	if (ar != ARCHIVE_EOF && ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
		rc = dt_err_set(err, DT_EINPUT, "'%s' is not an image or a tarball (%s)", s->path,
				archive_error_string(a) ? archive_error_string(a)
							: "not a tar archive");
	}
out:
	archive_read_free(a);
	return rc;
}

static int has_member(const struct vf_source *s, const char *name)
{
	for (size_t i = 0; i < s->nmembers; i++)
		if (strcmp(s->members[i], name) == 0)
			return 1;
	return 0;
}

/* Opens member @name of the archive, following one symlink or hardlink (docker-archive
 * dedupes layers with them). */
static int member_open(const struct vf_source *s, const char *name, struct blob *b,
		       struct dt_err *err)
{
	char target[4096];
	int hops = 0;

	snprintf(target, sizeof(target), "%s", strip_dot(name));
again:
	b->a = open_archive(s->path, err);
	if (!b->a)
		return -DT_EINPUT;
	for (;;) {
		struct archive_entry *ae;
		int ar = archive_read_next_header(b->a, &ae);
		const char *n, *link;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
			break;
		n = archive_entry_pathname(ae);
		if (!n || strcmp(strip_dot(n), target) != 0)
			continue;
		link = archive_entry_hardlink(ae);
		if (!link && archive_entry_filetype(ae) == AE_IFLNK)
			link = archive_entry_symlink(ae);
		if (!link)
			return 0;
		if (hops++ > 4) {
			archive_read_free(b->a);
			b->a = NULL;
			return dt_err_set(err, DT_EINPUT, "'%s': member '%s' is a link loop (or links "
					  "more than 4 deep)", s->path, name);
		}
		if (archive_entry_hardlink(ae) || link[0] == '/') {
			snprintf(target, sizeof(target), "%s", strip_dot(link));
		} else {
			/* relative to the member's directory; "../" climbs one level */
			char dir[4096];
			char *slash;
			snprintf(dir, sizeof(dir), "%s", target);
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
			snprintf(target, sizeof(target), "%s%s%s", dir, dir[0] ? "/" : "",
				 strip_dot(link));
		}
		archive_read_free(b->a);
		b->a = NULL;
		goto again;
	}
	archive_read_free(b->a);
	b->a = NULL;
	return dt_err_set(err, DT_EINPUT, "'%s': no member '%s'", s->path, name);
}

/* "sha256:<64 hex>" -> "blobs/sha256/<hex>". @return 0, or -DT_EINPUT. */
static int blob_path(const struct vf_source *s, const char *digest, char *out, size_t cap,
		     struct dt_err *err)
{
	const char *hex = digest && strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : NULL;
	size_t i = 0;

	for (; hex && hex[i]; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			break;
	if (!hex || i != 64 || hex[i])
		return dt_err_set(err, DT_EINPUT, "'%s': unsupported or malformed digest '%s'",
				  s->path, digest ? digest : "(none)");
	snprintf(out, cap, "blobs/sha256/%s", hex);
	return 0;
}

static int blob_open(const struct vf_source *s, const char *digest, const char *member,
		     struct blob *b, struct dt_err *err)
{
	char rel[128];
	int rc;

	b->fd = -1;
	b->a = NULL;
	if (s->kind == VF_SOURCE_TARBALL) {
		if ((b->fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0)
			return dt_err_sys(err, errno, "cannot read '%s'", s->path);
		return 0;
	}
	if (!member) {
		if ((rc = blob_path(s, digest, rel, sizeof(rel), err)) < 0)
			return rc;
		member = rel;
	}
	if (s->kind == VF_SOURCE_LAYOUT) {
		char *p = malloc(strlen(s->path) + strlen(member) + 2);
		if (!p)
			return dt_oom(err);
		sprintf(p, "%s/%s", s->path, member);
		b->fd = open(p, O_RDONLY | O_CLOEXEC);
		rc = b->fd < 0 ? dt_err_sys(err, errno, "cannot read '%s'", p) : 0;
		free(p);
		return rc;
	}
	return member_open(s, member, b, err);
}

static ssize_t blob_pull(void *ctx, void *buf, size_t cap, struct dt_err *err)
{
	struct blob *b = ctx;
	ssize_t n;

	if (b->a) {
		n = archive_read_data(b->a, buf, cap);
		if (n < 0)
			return dt_err_set(err, DT_EINPUT, "cannot read a member: %s",
					  archive_error_string(b->a) ? archive_error_string(b->a)
								     : "read error");
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
	if (b->fd >= 0)
		close(b->fd);
}

/* Reads a whole document blob and parses it as JSON; its sha256 goes to *@digest when
 * asked. */
static int read_doc(const struct vf_source *s, const char *digest, const char *member,
		    const char *what, json_t **out, char **sha, struct dt_err *err)
{
	struct blob b;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	json_error_t je;
	int rc;

	*out = NULL;
	if ((rc = blob_open(s, digest, member, &b, err)) < 0) {
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
	if (sha) {
		if (!(*sha = malloc(DT_DIGEST_LEN))) {
			rc = dt_oom(err);
			goto out;
		}
		dt_sha256_digest(buf, len, *sha);
	}
	if (!(*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)))
		rc = dt_err_set(err, DT_EINPUT, "'%s': %s is not valid JSON (line %d: %s)",
				s->path, what, je.line, je.text);
out:
	blob_close(&b);
	free(buf);
	return rc;
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
	size_t i;
	int rc;

	if ((rc = read_doc(s, NULL, "index.json", "index.json", &s->index, NULL, err)) < 0)
		return rc;
	if ((rc = choose(s, s->index, ref, &desc, err)) < 0)
		return rc;
	s->desc = desc;
	if ((rc = str_dup(&s->ref, ref_of(desc), err)) < 0 ||
	    (rc = str_dup(&s->manifest_digest, json_string_value(json_object_get(desc, "digest")),
			  err)) < 0)
		return rc;
	if ((rc = read_doc(s, s->manifest_digest, NULL, "the manifest", &s->manifest, NULL,
			   err)) < 0)
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
				  json_string_value(json_object_get(pick, "digest")), err)) < 0)
			return rc;
		s->manifest = NULL;
		rc = read_doc(s, s->manifest_digest, NULL, "the manifest", &s->manifest, NULL, err);
		json_decref(inner);
		if (rc < 0)
			return rc;
	}
	cfg = json_object_get(s->manifest, "config");
	layers = json_object_get(s->manifest, "layers");
	if (!json_is_object(cfg) || !json_is_array(layers))
		return dt_err_set(err, DT_EINPUT, "'%s': the manifest %s has no config or layers",
				  s->path, s->manifest_digest);
	if ((rc = read_doc(s, json_string_value(json_object_get(cfg, "digest")), NULL,
			   "the config", &s->config, &s->config_digest, err)) < 0)
		return rc;
	s->nlayers = json_array_size(layers);
	if (s->nlayers && !(s->layers = calloc(s->nlayers, sizeof(*s->layers))))
		return dt_oom(err);
	json_array_foreach(layers, i, l) {
		struct vf_source_layer *sl = &s->layers[i];
		if ((rc = str_dup(&sl->digest, json_string_value(json_object_get(l, "digest")),
				  err)) < 0 ||
		    (rc = str_dup(&sl->media_type,
				  json_string_value(json_object_get(l, "mediaType")), err)) < 0)
			return rc;
		sl->size = (uint64_t)json_integer_value(json_object_get(l, "size"));
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

	if ((rc = read_doc(s, NULL, "manifest.json", "manifest.json", &all, NULL, err)) < 0)
		return rc;
	if (!json_is_array(all) || json_array_size(all) == 0) {
		json_decref(all);
		return dt_err_set(err, DT_EINPUT, "'%s': manifest.json lists no images", s->path);
	}
	if (!ref && json_array_size(all) == 1) {
		e = json_array_get(all, 0);
	} else {
		json_t *img, *tag;
		size_t j;
		json_array_foreach(all, i, img) {
			json_array_foreach(json_object_get(img, "RepoTags"), j, tag)
				if (ref && json_string_value(tag) &&
				    strcmp(json_string_value(tag), ref) == 0)
					e = img;
		}
		if (!e) {
			json_decref(all);
			return dt_err_set(err, DT_EINPUT, ref ? "'%s': no image tagged '%s'"
							      : "'%s' holds several images; pick one "
								"with --ref%s",
					  s->path, ref ? ref : "");
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
	if ((rc = read_doc(s, NULL, json_string_value(json_object_get(e, "Config")),
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
	if (stat(path, &st) < 0) {
		rc = dt_err_sys(err, errno, "cannot read '%s'", path);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		char *p = malloc(strlen(path) + 16);
		int ok;
		if (!p) {
			rc = dt_oom(err);
			goto fail;
		}
		sprintf(p, "%s/oci-layout", path);
		ok = access(p, R_OK) == 0;
		free(p);
		if (!ok) {
			rc = dt_err_set(err, DT_EINPUT, "'%s' is a directory but not an OCI layout "
					"(no oci-layout file)", path);
			goto fail;
		}
		s->kind = VF_SOURCE_LAYOUT;
		rc = open_oci(s, ref, err);
	} else {
		int image;
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

int vf_source_read(const struct vf_source *s, size_t i, const struct vf_stream_opts *o,
		   struct vf_stream *out, struct dt_err *err)
{
	struct blob b;
	int rc;

	memset(out, 0, sizeof(*out));
	if (i >= s->nlayers)
		return dt_err_set(err, DT_EINPUT, "'%s' has no layer %zu", s->path, i + 1);
	if ((rc = blob_open(s, s->layers[i].digest, s->layers[i].member, &b, err)) < 0)
		return rc;
	rc = vf_stream_read(blob_pull, &b, o, out, err);
	blob_close(&b);
	return rc;
}
