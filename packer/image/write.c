/* SPDX-License-Identifier: MIT */
/* Writing a planned image: layer trees, blobs, config/manifest/index, and the OCI layout,
 * OCI archive, docker-archive and rootfs outputs (see image.h). */
#include "packer/image/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/epoch.h"
#include "common/fs.h"
#include "common/tempfile.h"
#include "manifest/oci.h"
#include "packer/image/plan.h"
#include "common/outfile.h"
#include "packer/archive/tree.h"

/* ---- layer trees ---- */

/* Moves entry @e of the plan into @t (its content too: a plan is written once). */
static int tree_put(struct pk_tree *t, struct img_entry *e, int64_t epoch, struct dt_err *err)
{
	static const enum pk_type types[] = { PK_DIR, PK_REG, PK_SYMLINK, PK_HARDLINK };
	struct pk_entry pe = {
		.path = e->path + 1, .type = types[e->type], .mode = e->mode, .uid = e->uid,
		.gid = e->gid, .mtime = epoch, .size = e->size, .root = -1, .dev = e->dev,
		.ino = e->ino, .nlink = 1, .fixed = 1,
	};
	unsigned char *data = NULL;

	if (e->type == MF_LOCK_SYMLINK)
		pe.link = e->link;
	if (e->type == MF_LOCK_HARDLINK)
		pe.link = e->link + (e->link[0] == '/');
	if (e->type == MF_LOCK_REG) {
		pe.has_sha256 = 1;
		memcpy(pe.sha256, e->sha256, 32);
		if (e->data) {
			data = e->data;
			e->data = NULL;
		} else if (e->size > 0) {
			pe.root = e->root;
			pe.src = e->src;
		}
	}
	return pk_tree_add(t, &pe, data, err);
}

/* The tree of @layer (or of every layer when @layer < 0), with the parent directories of
 * its entries as the plan has them. */
static int layer_tree(struct pk_image *img, int layer, struct pk_tree **out,
		      struct dt_err *err)
{
	struct pk_tree *t = pk_tree_new();
	struct pk_norm norm = { .epoch = img->epoch, .mtime = PK_MTIME_SET };
	char *added = calloc(img->n + 1, 1);
	int rc = 0;

	*out = NULL;
	if (!t || !added) {
		rc = dt_oom(err);
		goto out;
	}
	for (int i = 0; i < img->nroots; i++)
		if ((rc = pk_tree_add_root(t, img->roots[i], err)) < 0)
			goto out;
	for (size_t i = 0; i < img->n; i++) {
		struct img_entry *e = &img->v[i];
		char *p, *slash;
		if (layer >= 0 && (int)e->layer != layer)
			continue;
		if (!added[i]) {
			added[i] = 1;
			if ((rc = tree_put(t, e, img->epoch, err)) < 0)
				goto out;
		}
		if (layer < 0)
			continue;
		if (!(p = strdup(e->path))) {
			rc = dt_oom(err);
			goto out;
		}
		while ((slash = strrchr(p, '/')) && slash != p) {
			const struct img_entry *d;
			size_t j;
			*slash = '\0';
			if (!(d = img_find(img, p)))
				break; /* cannot happen: the plan has every parent */
			j = (size_t)(d - img->v);
			if (added[j])
				break;
			added[j] = 1;
			if ((rc = tree_put(t, &img->v[j], img->epoch, err)) < 0)
				break;
		}
		free(p);
		if (rc < 0)
			goto out;
	}
	if ((rc = pk_tree_normalize(t, &norm, err)) < 0)
		goto out;
	*out = t;
	t = NULL;
out:
	free(added);
	pk_tree_free(t);
	return rc;
}

/* ---- blobs ---- */

struct blobdir {
	int fd;                 /* blobs/sha256 */
	const char *name;       /* for messages: "OUT/blobs/sha256" */
	char **created;         /* blobs this run added, removed on failure */
	size_t ncreated;
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

/* Renames @tmp to the blob named by @digest (an existing blob of that name has the same
 * bytes: the temporary is dropped). */
static int blob_commit(struct blobdir *b, int fd, const char *tmp, const char *digest,
		       struct dt_err *err)
{
	const char *hex = digest + 7;
	struct stat st;

	if (fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;
		blob_tmp_remove(b, tmp);
		return dt_err_sys(err, e, "cannot write '%s/%s'", b->name, hex);
	}
	if (fstatat(b->fd, hex, &st, 0) == 0) {
		blob_tmp_remove(b, tmp);
		return 0;
	}
	if (renameat(b->fd, tmp, b->fd, hex) < 0) {
		int e = errno;
		blob_tmp_remove(b, tmp);
		return dt_err_sys(err, e, "cannot rename a blob into '%s/%s'", b->name, hex);
	}
	blob_tmp_gone(b);
	{
		char **v = realloc(b->created, (b->ncreated + 1) * sizeof(*v));
		if (!v || !(v[b->ncreated] = strdup(hex))) {
			if (v)
				b->created = v;
			return dt_oom(err);
		}
		b->created = v;
		b->ncreated++;
	}
	return 0;
}

static int blob_text(struct blobdir *b, const char *text, char *digest, struct dt_err *err)
{
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

static int blob_layer(struct blobdir *b, const struct pk_tree *t, const struct pk_tar_opts *lo,
		      struct pk_tar_result *res, struct dt_err *err)
{
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

static void blobs_rollback(struct blobdir *b)
{
	for (size_t i = 0; i < b->ncreated; i++)
		unlinkat(b->fd, b->created[i], 0);
}

static void blobs_release(struct blobdir *b)
{
	for (size_t i = 0; i < b->ncreated; i++)
		free(b->created[i]);
	free(b->created);
	if (b->fd >= 0)
		close(b->fd);
}

/* ---- the image documents ---- */

static const char *layer_media(enum dt_compression c)
{
	return c == DT_COMP_GZIP ? MF_OCI_LAYER_TYPE "+gzip"
	     : c == DT_COMP_ZSTD ? MF_OCI_LAYER_TYPE "+zstd" : MF_OCI_LAYER_TYPE;
}

/* "repository:tag" from the spec name and --tag. */
static void image_name(const struct pk_image *img, const char *tag, char *buf, size_t len)
{
	const char *name = img->spec->name, *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');

	if (tag)
		snprintf(buf, len, "%.*s:%s", (int)(colon ? (size_t)(colon - name) : strlen(name)),
			 name, tag);
	else
		snprintf(buf, len, "%s", name);
}

struct docs {
	char *config, *manifest;
	char config_digest[DT_DIGEST_LEN];
};

static void docs_release(struct docs *d)
{
	free(d->config);
	free(d->manifest);
}

static int make_docs(const struct pk_image *img, const struct pk_build_opts *o,
		     const struct pk_build_result *res, struct docs *d, struct dt_err *err)
{
	static const char *const history[] = {
		"distill: base (skeleton, packages, shared libraries)",
		"distill: app (binaries and files)",
	};
	const struct mf_config *c = &img->spec->config;
	const char *diff_ids[PK_IMAGE_MAX_LAYERS], *hist[PK_IMAGE_MAX_LAYERS];
	struct mf_oci_desc layers[PK_IMAGE_MAX_LAYERS], cfg;
	struct mf_kv *ann = NULL;
	size_t nann = 0;
	char created[32], name[sizeof(res->name)], lock[DT_DIGEST_LEN];
	char k_created[] = MF_OCI_CREATED, k_ref[] = MF_OCI_REF_NAME;
	char k_lock[] = "dev.distill.lock.digest";
	int rc;

	if ((rc = dt_epoch_rfc3339(img->epoch, created, err)) < 0)
		return rc;
	for (size_t i = 0; i < res->nlayers; i++) {
		diff_ids[i] = res->diff_ids[i];
		hist[i] = history[res->nlayers == 1 && img->n && img->v[0].layer == MF_LAYER_APP
				  ? 1 : i];
		layers[i] = (struct mf_oci_desc){ layer_media(o->format == PK_FORMAT_DOCKER_ARCHIVE
							      ? DT_COMP_NONE : o->compression),
						  res->layers[i], res->layer_sizes[i] };
	}
	{
		struct mf_oci_config oc = {
			.os = img->os, .arch = img->arch, .variant = img->variant,
			.created = created, .user = img->user, .workdir = c->workdir,
			.stop_signal = c->stop_signal,
			.entrypoint = (const char *const *)c->entrypoint, .nentrypoint = c->nentrypoint,
			.cmd = (const char *const *)c->cmd, .ncmd = c->ncmd,
			.env = (const char *const *)img->env, .nenv = img->nenv,
			.labels = c->labels, .nlabels = c->nlabels,
			.ports = (const char *const *)c->exposed_ports, .nports = c->nexposed_ports,
			.volumes = (const char *const *)c->volumes, .nvolumes = c->nvolumes,
			.diff_ids = diff_ids, .nlayers = res->nlayers, .history = hist,
		};
		if ((rc = mf_oci_config_json(&oc, &d->config, err)) < 0)
			return rc;
	}
	dt_sha256_digest(d->config, strlen(d->config), d->config_digest);
	cfg = (struct mf_oci_desc){ MF_OCI_CONFIG_TYPE, d->config_digest, strlen(d->config) };
	/* The spec's annotations, then distill's (which win). */
	if (!(ann = calloc(img->spec->nannotations + 3, sizeof(*ann))))
		return dt_oom(err);
	for (size_t i = 0; i < img->spec->nannotations; i++) {
		const char *k = img->spec->annotations[i].key;
		if (strcmp(k, MF_OCI_CREATED) && strcmp(k, MF_OCI_REF_NAME) &&
		    strcmp(k, "dev.distill.lock.digest"))
			ann[nann++] = img->spec->annotations[i];
	}
	snprintf(name, sizeof(name), "%s", res->name);
	snprintf(lock, sizeof(lock), "%s", o->lock_digest ? o->lock_digest : "");
	ann[nann++] = (struct mf_kv){ k_created, created };
	ann[nann++] = (struct mf_kv){ k_ref, name };
	if (o->lock_digest)
		ann[nann++] = (struct mf_kv){ k_lock, lock };
	rc = mf_oci_manifest_json(&cfg, layers, res->nlayers, ann, nann, &d->manifest, err);
	free(ann);
	return rc;
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

/* index.json of the layout @dfd, or NULL. */
static char *read_index(int dfd)
{
	struct dt_err ignored;
	char *buf = NULL;
	size_t len;

	return dt_read_file(dfd, "index.json", 64u << 20, &buf, &len, &ignored) < 0 ? NULL : buf;
}

/* ---- the writers ---- */

/* Writes every layer and the documents into the layout directory @dir (open as @dfd).
 * docker-archive keeps its own file names next to the blobs. */
static int write_layout(struct pk_image *img, int dfd, const char *dir,
			const struct pk_build_opts *o, struct pk_build_result *res,
			struct blobdir *b, struct docs *d, struct dt_err *err)
{
	struct pk_tar_opts lo = { .compression = o->compression, .level = o->level,
				    .progress = o->progress, .progress_ctx = o->progress_ctx };
	char bname[4200];
	int has[PK_IMAGE_MAX_LAYERS] = { 0 };
	int rc;

	if (o->format == PK_FORMAT_DOCKER_ARCHIVE) {
		lo.compression = DT_COMP_NONE;
		lo.level = 0;
	}
	for (size_t i = 0; i < img->n; i++)
		has[img->v[i].layer] = 1;
	snprintf(bname, sizeof(bname), "%s/blobs/sha256", dir);
	b->name = bname;
	if ((mkdirat(dfd, "blobs", 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(dfd, "blobs/sha256", 0755) < 0 && errno != EEXIST))
		return dt_err_sys(err, errno, "cannot create '%s'", bname);
	if ((b->fd = openat(dfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return dt_err_sys(err, errno, "cannot open '%s'", bname);
	res->nlayers = 0;
	for (int l = 0; l < PK_IMAGE_MAX_LAYERS; l++) {
		struct pk_tar_result lr;
		struct pk_tree *t = NULL;
		if (!has[l])
			continue;
		if ((rc = layer_tree(img, l, &t, err)) < 0)
			return rc;
		rc = blob_layer(b, t, &lo, &lr, err);
		pk_tree_free(t);
		if (rc < 0)
			return rc;
		memcpy(res->layers[res->nlayers], lr.digest, DT_DIGEST_LEN);
		memcpy(res->diff_ids[res->nlayers], lr.diff_id, DT_DIGEST_LEN);
		res->layer_sizes[res->nlayers++] = lr.blob_size;
	}
	if ((rc = make_docs(img, o, res, d, err)) < 0 ||
	    (rc = blob_text(b, d->config, res->config, err)) < 0 ||
	    (rc = blob_text(b, d->manifest, res->manifest, err)) < 0)
		return rc;
	return 0;
}

static int index_entry_for(const struct pk_image *img, const struct pk_build_result *res,
			   const struct docs *d, struct mf_oci_index_entry *e)
{
	*e = (struct mf_oci_index_entry){
		.desc = { MF_OCI_MANIFEST_TYPE, res->manifest, strlen(d->manifest) },
		.os = img->os, .arch = img->arch, .variant = img->variant, .ref_name = res->name,
	};
	return 0;
}

/* Moves the blobs of the complete layout @tmpdir into the layout @out that another build
 * made meanwhile, then adds the image @ie to its index.json (last, under the lock). */
static int adopt(const char *tmpdir, const char *out, const char *ref,
		 const struct mf_oci_index_entry *ie, struct dt_err *err)
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
	if ((mkdirat(ofd, "blobs", 0755) < 0 && errno != EEXIST) ||
	    (to = openat(ofd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (mkdirat(to, "sha256", 0755) < 0 && errno != EEXIST)) {
		rc = dt_err_sys(err, errno, "cannot make '%s/blobs/sha256'", out);
		goto out;
	}
	{
		int t = openat(to, "sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(to);
		to = t;
	}
	if (to < 0 || (from = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
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
	if (!(old = read_index(ofd))) {
		rc = dt_err_set(err, DT_EINPUT, "'%s' has no readable index.json", out);
		goto out;
	}
	if ((rc = mf_oci_index_merge(out, old, ref, ie, &index, err)) == 0)
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
static int write_oci(struct pk_image *img, const char *out, const struct pk_build_opts *o,
		     struct pk_build_result *res, struct dt_err *err)
{
	struct blobdir b = { .fd = -1 };
	struct docs d = { 0 };
	struct mf_oci_index_entry ie;
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
	if ((rc = write_layout(img, dfd, dir, o, res, &b, &d, err)) < 0)
		goto out;
	index_entry_for(img, res, &d, &ie);
	if (existing && (old = read_index(dfd)))
		rc = mf_oci_index_merge(out, old, res->name, &ie, &index, err);
	else
		rc = mf_oci_index_json(&ie, 1, &index, err);
	if (rc < 0 ||
	    (rc = write_file_at(dfd, dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}",
				err)) < 0 ||
	    (rc = write_file_at(dfd, dir, "index.json", index, err)) < 0)
		goto out;
	if (!existing) {
		fsync(dfd);
		if (rename(tmpdir, out) < 0) {
			/* another build made the layout meanwhile: add this image to it instead */
			raced = errno == ENOTEMPTY || errno == EEXIST;
			rc = raced ? adopt(tmpdir, out, res->name, &ie, err)
				   : dt_err_sys(err, errno, "cannot rename the image into '%s'", out);
			goto out;
		}
		free(tmpdir);
		tmpdir = NULL;
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
	docs_release(&d);
	free(index);
	free(old);
	return rc;
}

/* Packs directory @dir into the tarball @out (the outer tar follows the same rules as
 * layers: sorted, mtime = epoch, owner 0:0, modes 0644/0755). */
static int pack_dir(const char *dir, const char *out, int64_t epoch, char *digest,
		    struct dt_err *err)
{
	struct pk_scan_opts so = { .strict = 1 };
	struct pk_norm norm = { .epoch = epoch, .mtime = PK_MTIME_SET };
	struct pk_tar_opts lo = { .compression = DT_COMP_NONE };
	struct pk_tar_result lr;
	struct dt_outfile of = { .fd = -1 };
	struct pk_tree *t = pk_tree_new();
	int rc;

	if (!t)
		return dt_oom(err);
	if ((rc = pk_tree_add_dir(t, dir, &so, err)) < 0 ||
	    (rc = pk_tree_normalize(t, &norm, err)) < 0 ||
	    (rc = dt_outfile_open(&of, out, err)) < 0)
		goto out;
	if ((rc = pk_tar_write(t, of.fd, out, &lo, &lr, err)) < 0 ||
	    (rc = dt_outfile_commit(&of, err)) < 0)
		goto out;
	memcpy(digest, lr.digest, DT_DIGEST_LEN);
out:
	dt_outfile_release(&of);
	pk_tree_free(t);
	return rc;
}

static int write_archive(struct pk_image *img, const char *out, const struct pk_build_opts *o,
			 struct pk_build_result *res, struct dt_err *err)
{
	struct blobdir b = { .fd = -1 };
	struct docs d = { 0 };
	int dfd = -1, rc, temp = 0;
	char *tmpdir = temp_dir_beside(out, &temp, err), *text = NULL;

	if (!tmpdir)
		return -err->code;
	if ((dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open '%s'", tmpdir);
		goto out;
	}
	if ((rc = write_layout(img, dfd, tmpdir, o, res, &b, &d, err)) < 0)
		goto out;
	if (o->format == PK_FORMAT_OCI_ARCHIVE) {
		struct mf_oci_index_entry ie;
		index_entry_for(img, res, &d, &ie);
		if ((rc = mf_oci_index_json(&ie, 1, &text, err)) < 0 ||
		    (rc = write_file_at(dfd, tmpdir, "index.json", text, err)) < 0 ||
		    (rc = write_file_at(dfd, tmpdir, "oci-layout",
					"{\"imageLayoutVersion\":\"1.0.0\"}", err)) < 0)
			goto out;
	} else {
		/* docker-archive: the layer tars and the config under the names docker load
		 * reads from manifest.json; the manifest blob is not part of it. */
		char cfg[DT_DIGEST_LEN + 16], layers[PK_IMAGE_MAX_LAYERS][DT_DIGEST_LEN + 32];
		const char *lp[PK_IMAGE_MAX_LAYERS];
		unlinkat(b.fd, res->manifest + 7, 0);
		snprintf(cfg, sizeof(cfg), "blobs/sha256/%s", res->config + 7);
		for (size_t i = 0; i < res->nlayers; i++) {
			snprintf(layers[i], sizeof(layers[i]), "blobs/sha256/%s", res->layers[i] + 7);
			lp[i] = layers[i];
		}
		if ((rc = mf_docker_manifest_json(cfg, res->name, lp, res->nlayers, &text, err)) < 0 ||
		    (rc = write_file_at(dfd, tmpdir, "manifest.json", text, err)) < 0)
			goto out;
	}
	rc = pack_dir(tmpdir, out, img->epoch, res->output, err);
out:
	blobs_release(&b);
	if (dfd >= 0)
		close(dfd);
	dt_temp_remove_tree(AT_FDCWD, tmpdir);
	dt_temp_drop(temp);
	free(tmpdir);
	docs_release(&d);
	free(text);
	return rc;
}

static int write_rootfs(struct pk_image *img, const char *out, const struct pk_build_opts *o,
			struct pk_build_result *res, struct dt_err *err)
{
	struct pk_tar_opts lo = { .compression = o->compression, .level = o->level,
				    .progress = o->progress, .progress_ctx = o->progress_ctx };
	struct dt_outfile of = { .fd = -1 };
	struct pk_tar_result lr;
	struct pk_tree *t = NULL;
	int rc;

	if ((rc = layer_tree(img, -1, &t, err)) < 0 || (rc = dt_outfile_open(&of, out, err)) < 0 ||
	    (rc = pk_tar_write(t, of.fd, out, &lo, &lr, err)) < 0 ||
	    (rc = dt_outfile_commit(&of, err)) < 0)
		goto out;
	memcpy(res->output, lr.digest, DT_DIGEST_LEN);
	memcpy(res->diff_ids[0], lr.diff_id, DT_DIGEST_LEN);
	memcpy(res->layers[0], lr.digest, DT_DIGEST_LEN);
	res->layer_sizes[0] = lr.blob_size;
	res->nlayers = 1;
out:
	dt_outfile_release(&of);
	pk_tree_free(t);
	return rc;
}

int pk_image_write(struct pk_image *img, const char *out, const struct pk_build_opts *o,
		   struct pk_build_result *res, struct dt_err *err)
{
	memset(res, 0, sizeof(*res));
	image_name(img, o->tag, res->name, sizeof(res->name));
	switch (o->format) {
	case PK_FORMAT_OCI:
		return write_oci(img, out, o, res, err);
	case PK_FORMAT_OCI_ARCHIVE:
	case PK_FORMAT_DOCKER_ARCHIVE:
		return write_archive(img, out, o, res, err);
	case PK_FORMAT_ROOTFS:
		return write_rootfs(img, out, o, res, err);
	}
	return dt_err_set(err, DT_EINPUT, "unknown output format");
}
