/* SPDX-License-Identifier: MIT */
/* The distroless skeleton: passwd and group (the distroless users and the spec's), the
 * homes, nsswitch.conf, os-release and debian_version (what scanners identify a Debian
 * system by), /tmp, and the CA bundle when the spec asks for it, made from ca-certificates'
 * certificates. */
#include "packer/image/planner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/digest.h"

/* The os-release of the root, renamed "Distroless"; a minimal one when it has none. */
static int os_release(const struct deps_root *root, struct dt_buf *out, struct dt_err *err)
{
	static const char *const keep[] = { "NAME=", "VERSION_ID=", "VERSION=",
					    "VERSION_CODENAME=", "ID=", "HOME_URL=",
					    "SUPPORT_URL=", "BUG_REPORT_URL=" };
	char *text = NULL;
	size_t len;
	int rc;

	dt_buf_add(out, "PRETTY_NAME=\"Distroless\"\n");
	if ((rc = deps_root_read(root, "/etc/os-release", 1u << 16, &text, &len, err)) != 0)
		return rc < 0 ? rc : 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strncmp(l, keep[i], strlen(keep[i])) == 0)
				dt_buf_add(out, "%s\n", l);
	free(text);
	return 0;
}

/* A file of the root as the host file it is (so that its owning package, if any, gets its
 * status.d entry). A missing file is passed over, or, when @what names the spec key that
 * needs it, an error. */
static int root_file(struct pk_image *img, const struct deps_root *root, const char *path,
		     const char *what, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	char *real = NULL, source[4200];
	int rc = deps_root_resolve(root, path, NULL, &real, err);

	if (rc == 1 && what)
		return dt_err_set(err, DT_EINPUT, "%s: %s, but '%s%s' does not exist", s->file,
				  what, strcmp(s->root, "/") ? s->root : "", path);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	snprintf(source, sizeof(source), "host:%s", real);
	rc = pk_plan_add_host(img, 0, real + 1, path, PK_LAYER_BASE, PK_PRIO_SKELETON, source,
			      err);
	free(real);
	return rc;
}

#define CA_DIR "/usr/share/ca-certificates/"
#define CA_LIST "/var/lib/dpkg/info/ca-certificates.list"
#define CA_MAX_CERTS 4096
#define CA_MAX_BYTES ((size_t)1 << 24)

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* /etc/ssl/certs/ca-certificates.crt as update-ca-certificates makes it with the configuration
 * ca-certificates' postinst writes by default: every certificate the package ships under
 * /usr/share/ca-certificates (its dpkg file list names them), in bytewise order of path, each
 * with a newline added where its last line lacks one. The machine's own configuration (local
 * certificates, deselections) is the machine's, not the image's: when the root's bundle is not
 * this one, a warning says so. The same code makes it from a root and from the staging tree
 * of a build from .debs, so that both give the same bytes. */
static int ca_bundle(struct pk_image *img, const struct deps_root *root,
		     const struct pk_plan_opts *o, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	char *list = NULL, **certs = NULL, *host = NULL;
	size_t n = 0, len, hlen;
	struct dt_buf b = { 0 };
	unsigned char made[DT_SHA256_LEN], had[DT_SHA256_LEN];
	int rc = deps_root_read(root, CA_LIST, (size_t)1 << 22, &list, &len, err);

	if (rc == 1)
		return dt_err_set(err, DT_EINPUT, "%s: certificates: true, but the root '%s' has no "
				  "ca-certificates package (%s): install ca-certificates there", s->file,
				  s->root, CA_LIST);
	if (rc < 0)
		return rc;
	if (!(certs = calloc(CA_MAX_CERTS, sizeof(*certs)))) {
		rc = dt_oom(err);
		goto out;
	}
	for (char *save = NULL, *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t ln = strlen(l);
		if (strncmp(l, CA_DIR, strlen(CA_DIR)) != 0 || ln < strlen(CA_DIR) + 5 ||
		    strcmp(l + ln - 4, ".crt") != 0 || strstr(l, "/../"))
			continue;
		if (n == CA_MAX_CERTS) {
			rc = dt_err_set(err, DT_EINPUT, "'%s%s': more than %d certificates",
					strcmp(s->root, "/") ? s->root : "", CA_LIST, CA_MAX_CERTS);
			goto out;
		}
		certs[n++] = l;
	}
	qsort(certs, n, sizeof(*certs), path_cmp);
	for (size_t i = 0; i < n; i++) {
		char *data = NULL;
		size_t dlen = 0;
		if ((rc = deps_root_read(root, certs[i], (size_t)1 << 20, &data, &dlen, err)) == 1)
			rc = dt_err_set(err, DT_EINPUT, "certificates: true: '%s%s', which "
					"ca-certificates lists, does not exist",
					strcmp(s->root, "/") ? s->root : "", certs[i]);
		if (rc != 0)
			goto out;
		dt_buf_addn(&b, data, dlen);
		if (dlen && data[dlen - 1] != '\n')
			dt_buf_addn(&b, "\n", 1);
		free(data);
		if (b.len > CA_MAX_BYTES) {
			rc = dt_err_set(err, DT_EINPUT, "certificates: true: the certificates of "
					"ca-certificates come to more than %zu bytes", CA_MAX_BYTES);
			goto out;
		}
	}
	if (b.oom) {
		rc = dt_oom(err);
		goto out;
	}
	if ((rc = pk_plan_add_text(img, PK_CA_BUNDLE, b.s ? b.s : "", b.len, 0644, PK_LAYER_BASE,
				   err)) < 0)
		goto out;
	if ((rc = deps_root_read(root, PK_CA_BUNDLE, CA_MAX_BYTES * 2, &host, &hlen, err)) < 0) {
		dt_err_clear(err);
		rc = 0; /* only for the warning */
	} else if (rc == 0) {
		dt_sha256(b.s ? b.s : "", b.len, made);
		dt_sha256(host, hlen, had);
		if (memcmp(made, had, sizeof(made)) != 0)
			pk_plan_warn(o, "certificates: true: the image's %s holds the %zu certificates "
				     "of ca-certificates; the root's own differs (local certificates in "
				     "/usr/local/share/ca-certificates or deselections in "
				     "/etc/ca-certificates.conf are the machine's): give a bundle of "
				     "your own under files: to ship those", PK_CA_BUNDLE, n);
	}
	rc = 0;
out:
	dt_buf_release(&b);
	free(host);
	free(certs);
	free(list);
	return rc;
}

int pk_plan_skeleton(struct pk_image *img, const struct deps_root *root,
		      const struct pk_plan_opts *o, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	const struct mf_builtin_user *def = MF_DISTROLESS_DEFAULT;
	struct dt_buf pw = { 0 }, gr = { 0 }, osr = { 0 };
	int rc = pk_plan_why(img, NULL, s->base == MF_BASE_DISTROLESS ? "skeleton (base: distroless)"
						: "skeleton (users, groups)");

	if (rc < 0)
		return dt_oom(err);
	for (size_t i = 0; s->base == MF_BASE_DISTROLESS && i < MF_DISTROLESS_NUSERS; i++) {
		const struct mf_builtin_user *u = &mf_distroless_users[i];
		dt_buf_add(&pw, "%s:x:%u:%u:%s:%s:/sbin/nologin\n", u->name, u->id, u->id, u->name,
			   u->home);
		dt_buf_add(&gr, "%s:x:%u:\n", u->name, u->id);
	}
	for (size_t i = 0; i < s->nusers && rc == 0; i++) {
		const struct mf_user *u = &s->users[i];
		char home[4200];
		if (u->home)
			snprintf(home, sizeof(home), "%s", u->home);
		else
			snprintf(home, sizeof(home), "/home/%s", u->name);
		dt_buf_add(&pw, "%s:x:%u:%u:%s:%s:%s\n", u->name, u->uid, u->gid, u->name, home,
			   u->shell ? u->shell : "/sbin/nologin");
		rc = pk_plan_why(img, NULL, "users[%zu] %s (its home)", i, u->name) < 0
			     ? dt_oom(err)
			     : pk_plan_add_dir(img, home, 0700, u->uid, u->gid, PK_LAYER_BASE,
					       PK_PRIO_SKELETON, err);
	}
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct mf_group *g = &s->groups[i];
		dt_buf_add(&gr, "%s:x:%u:", g->name, g->gid);
		for (size_t j = 0; j < g->nmembers; j++)
			dt_buf_add(&gr, "%s%s", j ? "," : "", g->members[j]);
		dt_buf_add(&gr, "\n");
	}
	/* a user whose gid names no group gets one of its own name (the spec checked that
	 * the name is free), once per gid */
	for (size_t i = 0; i < s->nusers; i++) {
		const struct mf_user *u = &s->users[i];
		int made = 0;
		if (mf_spec_group_of(s, u->gid))
			continue;
		for (size_t j = 0; j < i && !made; j++)
			made = s->users[j].gid == u->gid;
		if (made)
			continue;
		dt_buf_add(&gr, "%s:x:%u:\n", u->name, u->gid);
		pk_plan_warn(o, "users: %s: gid %u names no group; /etc/group gets group '%s' (%u)",
			     u->name, u->gid, u->name, u->gid);
	}
	if (rc == 0 && (pw.oom || gr.oom))
		rc = dt_oom(err);
	if (rc == 0 && pk_plan_why(img, NULL, s->base == MF_BASE_DISTROLESS
					      ? "skeleton (base: distroless)"
					      : "skeleton (users, groups)") < 0)
		rc = dt_oom(err);
	if (rc == 0 && pw.s)
		rc = pk_plan_add_text(img, "/etc/passwd", pw.s, pw.len, 0644, PK_LAYER_BASE, err);
	if (rc == 0 && gr.s)
		rc = pk_plan_add_text(img, "/etc/group", gr.s, gr.len, 0644, PK_LAYER_BASE, err);
	if (rc == 0 && s->base == MF_BASE_DISTROLESS) {
		if ((rc = pk_plan_add_text(img, "/etc/nsswitch.conf", PK_NSSWITCH_CONF,
					   strlen(PK_NSSWITCH_CONF), 0644, PK_LAYER_BASE, err)) < 0 ||
		    (rc = os_release(root, &osr, err)) < 0 ||
		    (rc = osr.oom ? dt_oom(err) : 0) < 0 ||
		    (rc = pk_plan_add_text(img, "/etc/os-release", osr.s, osr.len, 0644,
					   PK_LAYER_BASE, err)) < 0 ||
		    (rc = pk_plan_add_dir(img, "/tmp", 01777, 0, 0, PK_LAYER_BASE, PK_PRIO_SKELETON,
					  err)) < 0 ||
		    (rc = pk_plan_add_dir(img, "/root", 0700, 0, 0, PK_LAYER_BASE, PK_PRIO_SKELETON,
					  err)) < 0 ||
		    (rc = pk_plan_add_dir(img, def->home, 0700, def->id, def->id, PK_LAYER_BASE,
					  PK_PRIO_SKELETON, err)) < 0)
			goto out;
	}
	/* the Debian release, from the root's base-files, as distroless images carry it:
	 * scanners name the OS by it (the os-release above is the same root's) */
	if (rc == 0 && s->base == MF_BASE_DISTROLESS)
		rc = root_file(img, root, PK_DEBIAN_VERSION, NULL, err);
	if (rc == 0 && s->certificates)
		rc = pk_plan_why(img, NULL, "certificates: true") < 0
			     ? dt_oom(err)
			     : ca_bundle(img, root, o, err);
out:
	dt_buf_release(&pw);
	dt_buf_release(&gr);
	dt_buf_release(&osr);
	return rc;
}
