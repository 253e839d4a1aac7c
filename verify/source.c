/* SPDX-License-Identifier: MIT */
/* Images and tarballs opened for reading (see source.h): kind detection, documents and layer
 * streams, each checked against its descriptor; the files and archive members they come
 * from are opened by blob.c. */
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
#include "verify/blob.h"

/* index.json, manifests and configs larger than this are refused. */
#define SRC_MAX_DOC (16u << 20)

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
	vf_archive_free(s->archive, s->nmembers);
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

/* Reads a whole document blob (at most SRC_MAX_DOC bytes, @expect when >= 0) into *@text
 * (NUL-terminated, its length in *@tlen) when @text, else parses it as JSON into *@out. With
 * @digest, its bytes must hash to it; its sha256 goes to *@sha when asked. */
static int read_blob(const struct vf_source *s, const char *digest, int64_t expect,
		     const char *member, const char *what, json_t **out, char **sha,
		     char **text, size_t *tlen, struct dt_err *err)
{
	struct vf_blob b;
	char *buf = NULL, found[DT_DIGEST_LEN];
	size_t len = 0, cap = 0;
	json_error_t je;
	int rc;

	if (out)
		*out = NULL;
	if (expect > (int64_t)SRC_MAX_DOC)
		return dt_err_set(err, DT_EINPUT, "'%s': %s is over %u MiB", s->path, what,
				  SRC_MAX_DOC >> 20);
	if ((rc = vf_blob_open(s, digest, member, expect, what, &b, err)) < 0) {
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
			if (!(nb = realloc(buf, cap + 1))) {
				rc = dt_oom(err);
				goto out;
			}
			buf = nb;
		}
		n = vf_blob_pull(&b, buf + len, cap - len, err);
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
	if (text) {
		if (!buf && !(buf = malloc(1))) {
			rc = dt_oom(err);
			goto out;
		}
		buf[len] = '\0';
		*text = buf;
		*tlen = len;
		buf = NULL;
	} else if (!(*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)))
		rc = dt_err_set(err, DT_EINPUT, "'%s': %s is not valid JSON (line %d: %s)",
				s->path, what, je.line, je.text);
out:
	vf_blob_close(&b);
	free(buf);
	return rc;
}

static int read_doc(const struct vf_source *s, const char *digest, int64_t expect,
		    const char *member, const char *what, json_t **out, char **sha,
		    struct dt_err *err)
{
	return read_blob(s, digest, expect, member, what, out, sha, NULL, NULL, err);
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

static const char *annotation(const json_t *desc, const char *key)
{
	return json_string_value(json_object_get(json_object_get(desc, "annotations"), key));
}

/* The name an index entry gives its image: its full name (io.containerd.image.name) as
 * docker shows it ("distill/jq:1"), else its ref.name. */
static const char *name_of(const json_t *desc)
{
	const char *full = annotation(desc, MF_OCI_IMAGE_NAME);

	return full ? mf_oci_familiar_name(full) : annotation(desc, MF_OCI_REF_NAME);
}

/* Whether the index entry @desc is the image a user names @ref: its ref.name (a tag, or
 * the full name an older distill wrote there), or its full name as written or as docker
 * completes @ref ("distill/jq:1" is "docker.io/distill/jq:1"). */
static int named(const json_t *desc, const char *ref)
{
	const char *r = annotation(desc, MF_OCI_REF_NAME), *full = annotation(desc, MF_OCI_IMAGE_NAME);
	char norm[1100];

	if ((r && strcmp(r, ref) == 0) || (full && strcmp(full, ref) == 0))
		return 1;
	return full && mf_oci_full_name(ref, norm, sizeof(norm)) == 0 && strcmp(full, norm) == 0;
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
	/* artifacts (SBOMs, provenance: an artifactType) are about an image, not images */
	json_array_foreach(m, i, d)
		if (json_object_get(d, "artifactType"))
			n--;
	if (!ref && n == 1) {
		json_array_foreach(m, i, d)
			if (!json_object_get(d, "artifactType")) {
				*desc = d;
				return 0;
			}
	}
	json_array_foreach(m, i, d) {
		const char *r = name_of(d);
		if (json_object_get(d, "artifactType"))
			continue;
		if (ref && named(d, ref)) {
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
	if ((rc = str_dup(&s->ref, name_of(desc), err)) < 0 ||
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

/* The artifact manifests of the index whose subject is the chosen image. */
int vf_source_artifacts(const struct vf_source *s, struct vf_artifact **out, size_t *n,
			struct dt_err *err)
{
	json_t *m = json_object_get(s->index, "manifests"), *d;
	size_t i;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!s->manifest_digest)
		return 0;
	json_array_foreach(m, i, d) {
		const char *type = json_string_value(json_object_get(d, "artifactType"));
		const char *dg = json_string_value(json_object_get(d, "digest"));
		json_t *man = NULL, *subj, *layer;
		struct vf_artifact *a;
		int64_t size;
		char what[64];
		if (!type || !dg)
			continue;
		snprintf(what, sizeof(what), "artifact %zu of the index", i + 1);
		if ((rc = desc_size(s, d, what, &size, err)) < 0 ||
		    (rc = read_doc(s, dg, size, NULL, what, &man, NULL, err)) < 0)
			break;
		subj = json_object_get(man, "subject");
		layer = json_array_get(json_object_get(man, "layers"), 0);
		if (!json_string_value(json_object_get(subj, "digest")) ||
		    strcmp(json_string_value(json_object_get(subj, "digest")), s->manifest_digest) ||
		    !json_string_value(json_object_get(layer, "digest"))) {
			json_decref(man);
			continue;
		}
		if (!(a = realloc(*out, (*n + 1) * sizeof(**out)))) {
			json_decref(man);
			rc = dt_oom(err);
			break;
		}
		*out = a;
		a = &a[(*n)++];
		memset(a, 0, sizeof(*a));
		if ((rc = str_dup(&a->type, type, err)) < 0 || (rc = str_dup(&a->digest, dg, err)) < 0 ||
		    (rc = str_dup(&a->blob, json_string_value(json_object_get(layer, "digest")),
				  err)) < 0 ||
		    (rc = str_dup(&a->media_type,
				  json_string_value(json_object_get(layer, "mediaType")), err)) < 0) {
			json_decref(man);
			break;
		}
		a->blob_size = json_is_integer(json_object_get(layer, "size"))
				       ? (int64_t)json_integer_value(json_object_get(layer, "size"))
				       : -1;
		json_decref(man);
	}
	if (rc < 0) {
		vf_artifacts_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void vf_artifacts_free(struct vf_artifact *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].digest);
		free(v[i].blob);
		free(v[i].media_type);
	}
	free(v);
}

int vf_source_artifact_read(const struct vf_source *s, const struct vf_artifact *a, char **text,
			    size_t *len, struct dt_err *err)
{
	return read_blob(s, a->blob, a->blob_size, NULL, "an artifact's document", NULL, NULL,
			 text, len, err);
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
		if ((rc = image = vf_archive_index(s, err)) < 0)
			goto fail;
		if (image && vf_archive_has(s, "oci-layout") && vf_archive_has(s, "index.json")) {
			s->kind = VF_SOURCE_OCI_ARCHIVE;
			rc = open_oci(s, ref, err);
		} else if (image && vf_archive_has(s, "manifest.json")) {
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
	struct vf_blob b;
	char what[32], *buf = NULL;
	int rc;

	*size = 0;
	if (i >= s->nlayers)
		return dt_err_set(err, DT_EINPUT, "'%s' has no layer %zu", s->path, i + 1);
	snprintf(what, sizeof(what), "layer %zu", i + 1);
	if ((rc = vf_blob_open(s, s->layers[i].digest, s->layers[i].member, -1, what, &b, err)) < 0)
		return rc;
	if (!(h = dt_hash_new(DT_HASH_SHA256, err)) || !(buf = malloc(1 << 16))) {
		rc = h ? dt_oom(err) : -DT_ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = vf_blob_pull(&b, buf, 1 << 16, err);
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
	vf_blob_close(&b);
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
	struct vf_blob b;
	char what[512], x[24], y[24];
	int rc;

	memset(out, 0, sizeof(*out));
	if (i >= s->nlayers)
		return dt_err_set(err, DT_EINPUT, "'%s' has no layer %zu", s->path, i + 1);
	l = &s->layers[i];
	snprintf(what, sizeof(what), "layer %zu", i + 1);
	rc = vf_blob_open(s, l->digest, l->member, !o->unchecked && l->has_size ? (int64_t)l->size : -1,
		       what, &b, err);
	if (rc == -DT_EMISMATCH)
		return blame_blob(s, i, rc, err);
	if (rc < 0)
		return rc;
	rc = vf_stream_read(vf_blob_pull, &b, o, out, err);
	vf_blob_close(&b);
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
