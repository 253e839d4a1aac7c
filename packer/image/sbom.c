/* SPDX-License-Identifier: MIT */
/* What an SBOM says of a planned image, read from the plan before it is written: its
 * packages from the status.d stanzas the plan carries (Maintainer as supplier, licenses from
 * machine-readable /usr/share/doc/<pkg>/copyright), every regular file with its sha256 and
 * owner, and what each ELF file needs, as ld.so resolves it in the plan laid out; and the
 * SBOMs and provenance attached to an image as OCI 1.1 artifacts. */
#include "packer/image/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "debian/copyright.h"
#include "debian/status.h"
#include "deps/resolve.h"
#include "manifest/dlopen_note.h"
#include "packer/image/planner.h"

/* The content of a plan file (in memory, or in its root), at most @max bytes; NULL when it
 * cannot be read. */
static char *plan_content(const struct pk_image *img, const struct pk_plan_entry *e,
			  size_t max, size_t *len)
{
	char *buf = NULL;
	struct dt_err err;
	struct stat st;
	int rootfd, fd;

	if (e->type != PK_PLAN_REG || e->size > max)
		return NULL;
	if (e->data || e->size == 0) {
		if (!(buf = malloc(e->size + 1)))
			return NULL;
		if (e->size)
			memcpy(buf, e->data, e->size);
		buf[e->size] = '\0';
		*len = e->size;
		return buf;
	}
	if (e->root < 0 || e->root >= img->nroots || !e->src)
		return NULL;
	if ((rootfd = open(img->roots[e->root], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	fd = dt_open_regular_beneath(rootfd, e->src, &st);
	close(rootfd);
	if (fd < 0)
		return NULL;
	dt_err_clear(&err);
	if (dt_read_fd(fd, e->src, max, &buf, len, &err) < 0)
		buf = NULL;
	close(fd);
	return buf;
}

/* The license expression of package @pkg: its copyright file in the plan, else in the
 * spec's root (where its dpkg database is). NULL: NOASSERTION. */
static char *license_of(const struct pk_image *img, const char *pkg)
{
	char path[600], *text = NULL, *lic = NULL;
	const struct pk_plan_entry *e;
	size_t len = 0;

	snprintf(path, sizeof(path), "/usr/share/doc/%s/copyright", pkg);
	if ((e = pk_plan_find_in(img, img->n, path)) && e->type == PK_PLAN_REG) {
		text = plan_content(img, e, DEB_COPYRIGHT_MAX, &len);
	} else if (img->nroots > 0) {
		int rootfd = open(img->roots[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
		struct stat st;
		struct dt_err err;
		if (rootfd >= 0) {
			if ((fd = dt_open_regular_beneath(rootfd, path + 1, &st)) >= 0) {
				dt_err_clear(&err);
				if (dt_read_fd(fd, path, DEB_COPYRIGHT_MAX, &text, &len, &err) < 0)
					text = NULL;
				close(fd);
			}
			close(rootfd);
		}
	}
	if (text)
		lic = deb_copyright_license(text, len);
	free(text);
	return lic;
}

/* The packages: one status.d stanza each. */
static int add_packages(const struct pk_image *img, struct mf_sbom *s, struct dt_err *err)
{
	const size_t plen = strlen(DEB_STATUS_D);
	int rc = 0;

	for (size_t i = 0; i < img->n && rc >= 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		char *stanza, *name, *version, *arch, *maint, *lic;
		size_t len = 0, nl = strlen(e->path);
		if (e->type != PK_PLAN_REG || strncmp(e->path, DEB_STATUS_D, plen) != 0 ||
		    strchr(e->path + plen, '/') ||
		    (nl > 8 && strcmp(e->path + nl - 8, ".md5sums") == 0))
			continue;
		if (!(stanza = plan_content(img, e, 1u << 20, &len)))
			return dt_err_set(err, DT_EINPUT, "cannot read '%s' of the plan", e->path);
		name = deb_field(stanza, "Package");
		version = deb_field(stanza, "Version");
		arch = deb_field(stanza, "Architecture");
		maint = deb_field(stanza, "Maintainer");
		lic = name ? license_of(img, name) : NULL;
		rc = mf_sbom_add_pkg(s, e->path, name, version, arch, maint, lic, err);
		free(stanza);
		free(name);
		free(version);
		free(arch);
		free(maint);
		free(lic);
	}
	/* owners without a stanza (none is written for them) */
	for (size_t i = 0; i < img->n && rc >= 0; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		if (e->type == PK_PLAN_REG && e->pkg && mf_sbom_find_pkg(s, e->pkg) < 0)
			rc = mf_sbom_add_pkg(s, e->path, e->pkg,
					     e->pkg_version ? e->pkg_version : "0", "unknown",
					     NULL, NULL, err);
	}
	return rc < 0 ? rc : 0;
}

/* The OS of the image: its /etc/os-release and /etc/debian_version in the plan (the
 * skeleton's, from the root's). */
static int add_os(const struct pk_image *img, struct mf_sbom *s, struct dt_err *err)
{
	const struct pk_plan_entry *e = pk_plan_find_in(img, img->n, "/etc/os-release");
	const struct pk_plan_entry *d = pk_plan_find_in(img, img->n, "/etc/debian_version");
	char *osr = NULL, *dv = NULL;
	size_t len = 0;
	int rc;

	if (!e || !(osr = plan_content(img, e, 1u << 16, &len)))
		return 0;
	if (d)
		dv = plan_content(img, d, 256, &len);
	rc = mf_sbom_set_os_from(s, osr, dv, err);
	free(osr);
	free(dv);
	return rc;
}

/* What each ELF file of the plan needs, resolved by ld.so's rules in the plan laid out. */
static int add_deps(const struct pk_image *img, struct mf_sbom *s, struct dt_err *err)
{
	struct deps_opts o = { .runtime = DEPS_RUNTIME_OFF, .dlopen_parse = mf_dlopen_note_parse };
	struct pk_plan_layout lo;
	struct deps_result *r = NULL;
	int rc;

	if ((rc = pk_plan_lay_out(img, NULL, &lo, err)) < 0)
		return rc;
	o.root = lo.dir;
	o.content = pk_plan_content;
	o.content_ctx = &lo;
	/* one at a time: a file that is not loadable ELF (the start-up check names it) adds
	 * nothing, the others still count */
	for (size_t k = 0; k < lo.elf.n && rc == 0; k++) {
		const char *in = lo.elf.v[k];
		struct dt_err e2;
		dt_err_clear(&e2);
		if (deps_resolve(&o, &in, 1, &r, &e2) < 0) {
			if (e2.code == DT_ENOMEM)
				rc = dt_oom(err);
			continue;
		}
		for (size_t p = 0; p < r->nprocs && rc == 0; p++) {
			const struct deps_process *pr = &r->procs[p];
			for (size_t j = 0; j < pr->nobjs && rc == 0; j++) {
				const struct deps_obj *ob = &pr->objs[j];
				int a = mf_sbom_find_file(s, ob->real ? ob->real : ob->path);
				for (size_t q = 0; a >= 0 && q < ob->nneeds && rc == 0; q++) {
					int b;
					if (ob->needs[q].obj < 0)
						continue;
					b = mf_sbom_find_file(s, pr->objs[ob->needs[q].obj].real);
					if (b >= 0 && b != a)
						rc = mf_sbom_add_dep(s, (size_t)a, (size_t)b, err);
				}
			}
		}
		deps_result_free(r);
		r = NULL;
	}
	pk_plan_layout_release(&lo);
	return rc;
}

int pk_sbom_model(const struct pk_image *img, struct mf_sbom *s, struct dt_err *err)
{
	int rc;

	mf_sbom_init(s);
	s->epoch = img->epoch;
	if ((rc = add_packages(img, s, err)) < 0 || (rc = add_os(img, s, err)) < 0)
		goto out;
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		int k = -1;
		if (e->type != PK_PLAN_REG)
			continue;
		if (e->pkg && (k = mf_sbom_find_pkg(s, e->pkg)) < 0)
			continue;
		if ((rc = mf_sbom_add_file(s, e->path, e->sha256, k < 0 ? MF_SBOM_PROJECT : (size_t)k,
					   err)) < 0)
			goto out;
	}
	if ((rc = mf_sbom_sort(s, err)) < 0 || (rc = add_deps(img, s, err)) < 0 ||
	    (rc = mf_sbom_sort(s, err)) < 0)
		goto out;
	return 0;
out:
	mf_sbom_release(s);
	return rc < 0 ? rc : -DT_EINPUT;
}

/* ---- provenance ---- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int prov_model(const struct pk_image *img, const struct pk_build_opts *o,
		      struct mf_provenance *p, struct dt_err *err)
{
	char *text = NULL, digest[DT_DIGEST_LEN], num[32];
	size_t len = 0;
	int rc;

	mf_provenance_init(p);
	p->epoch = img->epoch;
	if ((rc = dt_read_file(AT_FDCWD, img->spec->file, 16u << 20, &text, &len, err)) < 0)
		return rc;
	dt_sha256_digest(text, len, digest);
	free(text);
	if ((rc = mf_provenance_add_material(p, base_name(img->spec->file), NULL, digest,
					     err)) < 0)
		return rc;
	if (o->lock_digest &&
	    (rc = mf_provenance_add_material(p, o->lock_name ? base_name(o->lock_name) : "lock",
					     NULL, o->lock_digest, err)) < 0)
		return rc;
	for (size_t i = 0; i < img->ndebs; i++) {
		const struct pk_plan_deb *d = &img->debs[i];
		struct mf_sbom_pkg k = { d->name, d->version, d->architecture, NULL, NULL };
		char *purl = mf_sbom_purl(&k);
		dt_digest_of_raw(d->sha256, digest);
		rc = purl ? mf_provenance_add_material(p, d->file, purl, digest, err) : dt_oom(err);
		free(purl);
		if (rc < 0)
			return rc;
	}
	snprintf(num, sizeof(num), "%lld", (long long)img->epoch);
	if ((rc = mf_provenance_add_param(p, "spec", base_name(img->spec->file), err)) < 0 ||
	    (rc = mf_provenance_add_param(p, "format", pk_image_format_name(o->format), err)) < 0 ||
	    (rc = mf_provenance_add_param(p, "compression", dt_compression_name(o->compression),
					  err)) < 0 ||
	    (rc = mf_provenance_add_param(p, "source_date_epoch", num, err)) < 0)
		return rc;
	snprintf(num, sizeof(num), "%d", o->level);
	if ((rc = mf_provenance_add_param(p, "level", num, err)) < 0 ||
	    (o->tag && (rc = mf_provenance_add_param(p, "tag", o->tag, err)) < 0) ||
	    (rc = mf_provenance_add_param(p, "lock", o->lock_digest ? "checked" : "none",
					  err)) < 0 ||
	    (rc = mf_provenance_add_param(p, "sbom", o->sbom ? "true" : "false", err)) < 0)
		return rc;
	return 0;
}

/* ---- attached artifacts ---- */

int pk_artifacts_prepare(const struct pk_image *img, const struct pk_build_opts *o,
			 struct pk_docs *d, struct dt_err *err)
{
	int rc;

	if (!o->sbom && !o->provenance)
		return 0;
	if (!(d->sbom = calloc(1, sizeof(*d->sbom))) || !(d->prov = calloc(1, sizeof(*d->prov))))
		return dt_oom(err);
	if (o->sbom && (rc = pk_sbom_model(img, d->sbom, err)) < 0) {
		free(d->sbom);
		d->sbom = NULL;
		return rc;
	}
	if (o->provenance && (rc = prov_model(img, o, d->prov, err)) < 0)
		return rc;
	return 0;
}

/* One artifact: the document blob, then its manifest (subject: the image). */
static int artifact(const struct pk_blob_sink *sink, const char *type, const char *text,
		    const struct pk_build_result *res, const struct pk_docs *d,
		    struct pk_build_result *out, struct dt_err *err)
{
	struct mf_oci_desc layer = { type, NULL, strlen(text) };
	struct mf_oci_desc subject = { MF_OCI_MANIFEST_TYPE, res->manifest, strlen(d->manifest) };
	char digest[DT_DIGEST_LEN], *man = NULL;
	size_t k = out->nartifacts;
	int rc;

	if (k >= PK_IMAGE_MAX_ARTIFACTS)
		return dt_err_set(err, DT_EINPUT, "too many artifacts");
	/* the empty config is a blob too ("{}"), which registries and copies expect */
	if ((rc = sink->text(sink->ctx, "{}", digest, err)) < 0 ||
	    (rc = sink->text(sink->ctx, text, digest, err)) < 0)
		return rc;
	layer.digest = digest;
	if ((rc = mf_oci_artifact_json(type, &layer, &subject, &man, err)) < 0)
		return rc;
	rc = sink->text(sink->ctx, man, out->artifacts[k].digest, err);
	if (rc == 0) {
		snprintf(out->artifacts[k].type, sizeof(out->artifacts[k].type), "%s", type);
		memcpy(out->artifacts[k].blob, digest, DT_DIGEST_LEN);
		out->artifacts[k].size = strlen(man);
		out->nartifacts++;
	}
	free(man);
	return rc;
}

int pk_artifacts_write(const struct pk_image *img, const struct pk_build_opts *o,
		       struct pk_build_result *res, const struct pk_blob_sink *sink,
		       struct pk_docs *d, struct dt_err *err)
{
	static const enum mf_sbom_format formats[] = { MF_SBOM_SPDX, MF_SBOM_CYCLONEDX };
	char *text = NULL;
	int rc = 0;

	res->nartifacts = 0;
	if (d->sbom && o->sbom) {
		if (!(d->sbom->name = strdup(res->name)))
			return dt_oom(err);
		memcpy(d->sbom->manifest, res->manifest, DT_DIGEST_LEN);
		for (int i = 0; i < 2 && rc == 0; i++) {
			if ((rc = mf_sbom_json(d->sbom, formats[i], &text, err)) == 0)
				rc = artifact(sink, mf_sbom_media_type(formats[i]), text, res, d, res,
					      err);
			free(text);
			text = NULL;
		}
	}
	if (rc == 0 && d->prov && o->provenance) {
		if (!(d->prov->subject = strdup(res->name)))
			return dt_oom(err);
		memcpy(d->prov->manifest, res->manifest, DT_DIGEST_LEN);
		if ((rc = mf_provenance_json(d->prov, &text, err)) == 0)
			rc = artifact(sink, MF_INTOTO_TYPE, text, res, d, res, err);
		free(text);
	}
	(void)img;
	return rc;
}

/* ---- an SBOM alone ---- */

static int null_layer(void *ctx, const struct pk_tree *t, const struct pk_tar_opts *lo,
		      struct pk_tar_result *r, struct dt_err *err)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC), rc;

	(void)ctx;
	if (fd < 0)
		return dt_err_sys(err, errno, "cannot open '/dev/null'");
	rc = pk_tar_write(t, fd, "/dev/null", lo, r, err);
	close(fd);
	return rc;
}

static int null_text(void *ctx, const char *text, char *digest, struct dt_err *err)
{
	(void)ctx;
	(void)err;
	dt_sha256_digest(text, strlen(text), digest);
	return 0;
}

int pk_image_sbom(struct pk_image *img, const struct pk_build_opts *o, enum mf_sbom_format f,
		  char **out, struct dt_err *err)
{
	struct pk_blob_sink sink = { .layer = null_layer, .text = null_text };
	struct pk_build_opts bo = *o;
	struct pk_build_result res;
	struct pk_docs d = { 0 };
	struct mf_sbom s;
	int rc;

	*out = NULL;
	bo.sbom = bo.provenance = 0;
	if ((rc = pk_sbom_model(img, &s, err)) < 0)
		return rc;
	memset(&res, 0, sizeof(res));
	pk_image_name(img, o->tag, res.name, sizeof(res.name));
	if ((rc = pk_write_blobs(img, &bo, &res, &sink, &d, err)) == 0 &&
	    (s.name = strdup(res.name))) {
		memcpy(s.manifest, res.manifest, DT_DIGEST_LEN);
		rc = mf_sbom_json(&s, f, out, err);
	} else if (rc == 0) {
		rc = dt_oom(err);
	}
	mf_sbom_release(&s);
	pk_docs_release(&d);
	return rc;
}
