/* SPDX-License-Identifier: MIT */
/* The SBOM description of an image from its layers (see sbom.h). */
#include "verify/sbom.h"

#include <archive_entry.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "debian/copyright.h"
#include "debian/status.h"
#include "manifest/oci.h"

static int add_packages(const struct vf_view *v, struct mf_sbom *s, struct dt_err *err)
{
	const char *text, *pkg;
	int rc = 0;

	for (size_t i = 0; rc >= 0 && (text = vf_view_stanza(v, i, &pkg)); i++) {
		char *name, *version, *arch, *maint, *lic = NULL, doc[4200];
		const char *cr;
		if (!pkg)
			continue;
		name = deb_field(text, "Package");
		version = deb_field(text, "Version");
		arch = deb_field(text, "Architecture");
		maint = deb_field(text, "Maintainer");
		snprintf(doc, sizeof(doc), "usr/share/doc/%s/copyright", pkg);
		if ((cr = vf_view_kept(v, doc)))
			lic = deb_copyright_license(cr, strlen(cr));
		if (mf_sbom_find_pkg(s, name ? name : pkg) < 0)
			rc = mf_sbom_add_pkg(s, DEB_STATUS_D, name ? name : pkg, version, arch, maint,
					     lic, err);
		free(name);
		free(version);
		free(arch);
		free(maint);
		free(lic);
	}
	return rc < 0 ? rc : 0;
}

/* The image's name as the index gives it. */
static int image_name(const struct vf_view *v, struct mf_sbom *s, struct dt_err *err)
{
	const struct vf_source *src = v->src;
	json_t *ann = src->desc ? json_object_get(src->desc, "annotations") : NULL;
	const char *full = json_string_value(json_object_get(ann, MF_OCI_IMAGE_NAME));
	const char *name = full ? mf_oci_familiar_name(full) : src->ref ? src->ref : src->path;

	return (s->name = strdup(name)) ? 0 : dt_oom(err);
}

int vf_sbom_model(const struct vf_view *v, int64_t epoch, struct mf_sbom *s, struct dt_err *err)
{
	int rc;

	mf_sbom_init(s);
	s->epoch = epoch;
	if (!v->src->manifest_digest || strlen(v->src->manifest_digest) >= sizeof(s->manifest)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s' has no image manifest to name in an SBOM",
				v->src->path);
		goto out;
	}
	snprintf(s->manifest, sizeof(s->manifest), "%s", v->src->manifest_digest);
	if ((rc = image_name(v, s, err)) < 0 || (rc = add_packages(v, s, err)) < 0 ||
	    (rc = mf_sbom_set_os_from(s, vf_view_kept(v, "etc/os-release"),
				      vf_view_kept(v, "etc/debian_version"), err)) < 0)
		goto out;
	for (size_t i = 0; i < v->nfiles; i++) {
		const struct vf_view_file *f = &v->files[i];
		struct vf_stream_entry e;
		char path[4200];
		int k = -1;
		if (f->type != AE_IFREG)
			continue;
		if (f->pkg && (k = mf_sbom_find_pkg(s, f->pkg)) < 0)
			continue;
		vf_view_entry(v, f, &e);
		if (e.hardlink)
			continue; /* its first name has the content, as in a plan */
		if (e.size == 0)
			dt_sha256("", 0, e.sha256); /* the stream hashes no empty content */
		snprintf(path, sizeof(path), "/%s", f->name);
		if ((rc = mf_sbom_add_file(s, path, e.sha256, k < 0 ? MF_SBOM_PROJECT : (size_t)k,
					   err)) < 0)
			goto out;
	}
	if ((rc = mf_sbom_sort(s, err)) < 0)
		goto out;
	return 0;
out:
	mf_sbom_release(s);
	return rc < 0 ? rc : -DT_EINPUT;
}
