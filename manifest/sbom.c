/* SPDX-License-Identifier: MIT */
/* SPDX 2.3 and CycloneDX 1.6 (or 1.5) from one description of an image, and SLSA v1 provenance in an
 * in-toto statement (see sbom.h). Every string is checked where it is added; jansson
 * escapes, the one JSON policy (json.h) orders the keys. */
#include "manifest/sbom.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/epoch.h"
#include "manifest/json.h"

static const char *const format_names[] = { "spdx-json", "cyclonedx-json",
					     "cyclonedx-1.5-json" };

int mf_sbom_format_parse(const char *name, enum mf_sbom_format *out)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum mf_sbom_format)i;
			return 0;
		}
	return -1;
}

const char *mf_sbom_format_name(enum mf_sbom_format f)
{
	return (unsigned)f < 3 ? format_names[f] : format_names[0];
}

const char *mf_sbom_media_type(enum mf_sbom_format f)
{
	return f == MF_SBOM_SPDX ? MF_SBOM_SPDX_TYPE : MF_SBOM_CYCLONEDX_TYPE;
}

void mf_sbom_init(struct mf_sbom *s)
{
	memset(s, 0, sizeof(*s));
}

void mf_sbom_release(struct mf_sbom *s)
{
	for (size_t i = 0; i < s->npkgs; i++) {
		free(s->pkgs[i].name);
		free(s->pkgs[i].version);
		free(s->pkgs[i].arch);
		free(s->pkgs[i].supplier);
		free(s->pkgs[i].license);
	}
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i].path);
	free(s->pkgs);
	free(s->files);
	free(s->deps);
	free(s->name);
	free(s->os_name);
	free(s->os_version);
	mf_sbom_init(s);
}

/* Whether @s is non-empty and each byte is in @set (or alphanumeric, with @alnum). */
static int in_set(const char *s, const char *set, int lower_only)
{
	if (!s || !*s || strlen(s) > 512)
		return 0;
	for (; *s; s++) {
		int ok = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			 (!lower_only && *s >= 'A' && *s <= 'Z') || strchr(set, *s);
		if (!ok)
			return 0;
	}
	return 1;
}

/* Text for a document: at most 4 KiB, valid UTF-8 (jansson checks that), no control
 * characters. */
static int plain_text(const char *s)
{
	json_t *j;

	if (!s || strlen(s) > 4096)
		return 0;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	if (!(j = json_string(s)))
		return 0;
	json_decref(j);
	return 1;
}

int mf_sbom_set_os(struct mf_sbom *s, const char *what, const char *name, const char *version,
		   struct dt_err *err)
{
	char *n, *v = NULL;

	if (!in_set(name, "._-", 1))
		return dt_err_set(err, DT_EINPUT, "%s: '%s' is not an os-release ID", what,
				  name ? name : "");
	if (version && !in_set(version, "._~-", 0))
		return dt_err_set(err, DT_EINPUT, "%s: '%s' is not an os-release VERSION_ID",
				  what, version);
	if (!(n = strdup(name)) || (version && !(v = strdup(version)))) {
		free(n);
		return dt_oom(err);
	}
	free(s->os_name);
	free(s->os_version);
	s->os_name = n;
	s->os_version = v;
	return 0;
}

/* The value of os-release's @key= in @text, unquoted, into @out; empty when absent. */
static void os_release_value(const char *text, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	out[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *v = l + kl + 1, *end = strchr(l, '\n');
		size_t vl;
		if (strncmp(l, key, kl) != 0 || l[kl] != '=')
			continue;
		vl = end ? (size_t)(end - v) : strlen(v);
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v++;
			vl -= 2;
		}
		snprintf(out, n, "%.*s", (int)(vl < n ? vl : n - 1), v);
	}
}

int mf_sbom_set_os_from(struct mf_sbom *s, const char *os_release, const char *debian_version,
			struct dt_err *err)
{
	char id[128], version[128];
	int rc;

	if (!os_release)
		return 0;
	os_release_value(os_release, "ID", id, sizeof(id));
	os_release_value(os_release, "VERSION_ID", version, sizeof(version));
	if (!id[0])
		return 0;
	if (strcmp(id, "debian") == 0 && debian_version) {
		size_t n = strcspn(debian_version, "\n");
		if (n > 0 && n < sizeof(version) && strspn(debian_version, "0123456789.") == n)
			snprintf(version, sizeof(version), "%.*s", (int)n, debian_version);
	}
	rc = mf_sbom_set_os(s, "/etc/os-release", id, version[0] ? version : NULL, err);
	return rc < 0 ? rc : 0;
}

int mf_sbom_find_pkg(const struct mf_sbom *s, const char *name)
{
	for (size_t i = 0; i < s->npkgs; i++)
		if (strcmp(s->pkgs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int mf_sbom_add_pkg(struct mf_sbom *s, const char *what, const char *name, const char *version,
		    const char *arch, const char *supplier, const char *license,
		    struct dt_err *err)
{
	struct mf_sbom_pkg *p;
	int i;

	if (!in_set(name, "+.-", 1))
		return dt_err_set(err, DT_EINPUT, "%s: '%s' is not a Debian package name", what,
				  name ? name : "");
	if (!in_set(version, ".+~:-", 0))
		return dt_err_set(err, DT_EINPUT, "%s: package %s: '%s' is not a Debian version",
				  what, name, version ? version : "");
	if (!in_set(arch, "-", 1))
		return dt_err_set(err, DT_EINPUT, "%s: package %s: '%s' is not an architecture",
				  what, name, arch ? arch : "");
	if (supplier && !plain_text(supplier))
		return dt_err_set(err, DT_EINPUT, "%s: package %s: its Maintainer is not plain "
				  "UTF-8 text", what, name);
	if (license && !in_set(license, ".+-:() ", 0))
		return dt_err_set(err, DT_EINPUT, "%s: package %s: '%s' is not a license "
				  "expression", what, name, license);
	if ((i = mf_sbom_find_pkg(s, name)) >= 0)
		return i;
	if (!(p = dt_grow(s->pkgs, &s->cap_pkgs, s->npkgs, sizeof(*s->pkgs))))
		return dt_oom(err);
	s->pkgs = p;
	p = &s->pkgs[s->npkgs];
	memset(p, 0, sizeof(*p));
	if (!(p->name = strdup(name)) || !(p->version = strdup(version)) ||
	    !(p->arch = strdup(arch)) || (supplier && !(p->supplier = strdup(supplier))) ||
	    (license && !(p->license = strdup(license)))) {
		free(p->name);
		free(p->version);
		free(p->arch);
		free(p->supplier);
		return dt_oom(err);
	}
	return (int)s->npkgs++;
}

int mf_sbom_add_file(struct mf_sbom *s, const char *path, const unsigned char *sha256,
		     size_t pkg, struct dt_err *err)
{
	struct mf_sbom_file *f;

	if (!(f = dt_grow(s->files, &s->cap_files, s->nfiles, sizeof(*s->files))))
		return dt_oom(err);
	s->files = f;
	f = &s->files[s->nfiles];
	if (!(f->path = strdup(path)))
		return dt_oom(err);
	memcpy(f->sha256, sha256, DT_SHA256_LEN);
	f->pkg = pkg;
	return (int)s->nfiles++;
}

int mf_sbom_find_file(const struct mf_sbom *s, const char *path)
{
	size_t lo = 0, hi = s->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->files[mid].path, path);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int mf_sbom_add_dep(struct mf_sbom *s, size_t file, size_t lib, struct dt_err *err)
{
	struct mf_sbom_dep *d;

	if (!(d = dt_grow(s->deps, &s->cap_deps, s->ndeps, sizeof(*s->deps))))
		return dt_oom(err);
	s->deps = d;
	s->deps[s->ndeps++] = (struct mf_sbom_dep){ file, lib };
	return 0;
}

/* qsort through an index array: @base is what the indices point into */
static const struct mf_sbom *sort_ctx;

static int pkg_idx_cmp(const void *a, const void *b)
{
	return strcmp(sort_ctx->pkgs[*(const size_t *)a].name,
		      sort_ctx->pkgs[*(const size_t *)b].name);
}

static int file_idx_cmp(const void *a, const void *b)
{
	return strcmp(sort_ctx->files[*(const size_t *)a].path,
		      sort_ctx->files[*(const size_t *)b].path);
}

static int dep_cmp(const void *a, const void *b)
{
	const struct mf_sbom_dep *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->lib < y->lib ? -1 : x->lib > y->lib;
}

int mf_sbom_sort(struct mf_sbom *s, struct dt_err *err)
{
	size_t n = s->npkgs > s->nfiles ? s->npkgs : s->nfiles;
	size_t *order = calloc(n + 1, sizeof(*order)), *rank = calloc(n + 1, sizeof(*rank));
	struct mf_sbom_pkg *pk = calloc(s->npkgs + 1, sizeof(*pk));
	struct mf_sbom_file *fl = calloc(s->nfiles + 1, sizeof(*fl));
	size_t m = 0;

	if (!order || !rank || !pk || !fl) {
		free(order);
		free(rank);
		free(pk);
		free(fl);
		return dt_oom(err);
	}
	sort_ctx = s;
	for (size_t i = 0; i < s->npkgs; i++)
		order[i] = i;
	qsort(order, s->npkgs, sizeof(*order), pkg_idx_cmp);
	for (size_t i = 0; i < s->npkgs; i++) {
		pk[i] = s->pkgs[order[i]];
		rank[order[i]] = i;
	}
	if (s->npkgs) /* s->pkgs may be NULL then */
		memcpy(s->pkgs, pk, s->npkgs * sizeof(*pk));
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].pkg != MF_SBOM_PROJECT)
			s->files[i].pkg = rank[s->files[i].pkg];
	for (size_t i = 0; i < s->nfiles; i++)
		order[i] = i;
	qsort(order, s->nfiles, sizeof(*order), file_idx_cmp);
	for (size_t i = 0; i < s->nfiles; i++) {
		fl[i] = s->files[order[i]];
		rank[order[i]] = i;
	}
	if (s->nfiles)
		memcpy(s->files, fl, s->nfiles * sizeof(*fl));
	for (size_t i = 0; i < s->ndeps; i++) {
		s->deps[i].file = rank[s->deps[i].file];
		s->deps[i].lib = rank[s->deps[i].lib];
	}
	if (s->ndeps > 1)
		qsort(s->deps, s->ndeps, sizeof(*s->deps), dep_cmp);
	for (size_t i = 0; i < s->ndeps; i++)
		if (s->deps[i].file != s->deps[i].lib &&
		    (m == 0 || dep_cmp(&s->deps[m - 1], &s->deps[i]) != 0))
			s->deps[m++] = s->deps[i];
	s->ndeps = m;
	sort_ctx = NULL;
	free(order);
	free(rank);
	free(pk);
	free(fl);
	return 0;
}

/* ---- shared pieces ---- */

static char *pct_encode(const char *s)
{
	struct dt_buf b = { 0 };

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_' || c == '~')
			dt_buf_addn(&b, s, 1);
		else
			dt_buf_add(&b, "%%%02X", c);
	}
	if (b.oom) {
		dt_buf_release(&b);
		return NULL;
	}
	return dt_buf_detach(&b, NULL);
}

char *mf_sbom_purl(const struct mf_sbom_pkg *p)
{
	char *v = pct_encode(p->version), *out = NULL;

	if (v && asprintf(&out, "pkg:deb/debian/%s@%s?arch=%s", p->name, v, p->arch) < 0)
		out = NULL;
	free(v);
	return out;
}

/* The image's package URL: pkg:oci/NAME@DIGEST?repository_url=REPO&tag=TAG. */
static char *image_purl(const struct mf_sbom *s)
{
	const char *name = s->name ? s->name : "image", *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	size_t repo_len = colon ? (size_t)(colon - name) : strlen(name);
	const char *base = slash ? slash + 1 : name;
	size_t base_len = colon ? (size_t)(colon - base) : strlen(base);
	char *repo = strndup(name, repo_len), *bn = strndup(base, base_len), *rq = NULL;
	char *d = pct_encode(s->manifest), *tag = colon ? pct_encode(colon + 1) : NULL;
	char *out = NULL;

	if (repo && (rq = pct_encode(repo)) && bn && d && (!colon || tag)) {
		for (char *c = bn; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if (asprintf(&out, "pkg:oci/%s@%s?repository_url=%s%s%s", bn, d, rq,
			     tag ? "&tag=" : "", tag ? tag : "") < 0)
			out = NULL;
	}
	free(repo);
	free(bn);
	free(rq);
	free(d);
	free(tag);
	return out;
}

/* "Name <email>" into the name and the email (either may come back empty). */
static void split_maintainer(const char *m, char *name, size_t nlen, char *email, size_t elen)
{
	const char *lt = strchr(m, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t n = lt && gt ? (size_t)(lt - m) : strlen(m);

	while (n && m[n - 1] == ' ')
		n--;
	snprintf(name, nlen, "%.*s", (int)n, m);
	if (lt && gt)
		snprintf(email, elen, "%.*s", (int)(gt - lt - 1), lt + 1);
	else
		email[0] = '\0';
}

static int add(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

static int push(json_t *a, json_t *v)
{
	return v ? json_array_append_new(a, v) : -1;
}

static int finish(json_t *doc, int bad, char **out, struct dt_err *err)
{
	int rc;

	if (!doc || bad) {
		json_decref(doc);
		return dt_oom(err);
	}
	rc = mf_json_dump(doc, MF_JSON_PRETTY, out, err);
	json_decref(doc);
	return rc;
}

/* The raw bytes of a checked "sha256:<hex>" digest. */
static void digest_raw(const char *digest, unsigned char raw[DT_SHA256_LEN])
{
	for (int i = 0; i < DT_SHA256_LEN; i++) {
		unsigned hi = 0, lo = 0;
		sscanf(digest + 7 + 2 * i, "%1x%1x", &hi, &lo);
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
}

/* The hex of sha256(@tag + the manifest digest), for identifiers of this document. */
static void derived(const struct mf_sbom *s, const char *tag, unsigned char md[DT_SHA256_LEN])
{
	struct dt_buf b = { 0 };

	dt_buf_add(&b, "distill %s %s %s", tag, s->manifest, s->name ? s->name : "");
	dt_sha256(b.s ? b.s : "", b.len, md);
	dt_buf_release(&b);
}

/* ---- SPDX 2.3 ---- */

static json_t *spdx_checksum(const unsigned char sha[DT_SHA256_LEN])
{
	char hex[2 * DT_SHA256_LEN + 1];

	dt_hex(sha, DT_SHA256_LEN, hex);
	return json_pack("[{s:s, s:s}]", "algorithm", "SHA256", "checksumValue", hex);
}

static json_t *spdx_rel(const char *a, const char *type, const char *b)
{
	return json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType", type,
			 "relatedSpdxElement", b);
}

static json_t *spdx_purl(const char *purl)
{
	return purl ? json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER",
				"referenceType", "purl", "referenceLocator", purl)
		    : NULL;
}

static json_t *spdx_package(const char *id, const char *name, const char *version,
			    const char *supplier, const char *license, const char *purpose)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "SPDXID", id,
			 "name", name, "versionInfo", version, "downloadLocation", "NOASSERTION",
			 "filesAnalyzed", 0, "licenseConcluded", "NOASSERTION", "licenseDeclared",
			 license ? license : "NOASSERTION", "copyrightText", "NOASSERTION",
			 "supplier", supplier, "primaryPackagePurpose", purpose);
}

static int spdx_json(const struct mf_sbom *s, char **out, struct dt_err *err)
{
	json_t *doc = json_object(), *pkgs = json_array(), *files = json_array();
	json_t *rels = json_array(), *p;
	char created[32], ns[160], hex[2 * DT_SHA256_LEN + 1], id[64], tool[64];
	unsigned char md[DT_SHA256_LEN];
	char *ipurl = image_purl(s);
	int bad = !doc || !pkgs || !files || !rels || !ipurl, project = 0;

	if (dt_epoch_rfc3339(s->epoch, created, err) < 0) {
		json_decref(doc);
		json_decref(pkgs);
		json_decref(files);
		json_decref(rels);
		free(ipurl);
		return -err->code;
	}
	derived(s, "spdx", md);
	dt_hex(md, DT_SHA256_LEN, hex);
	snprintf(ns, sizeof(ns), "https://distill.invalid/spdx/%s", hex);
	snprintf(tool, sizeof(tool), "Tool: distill-%s", DISTILL_VERSION);
	for (size_t i = 0; i < s->nfiles; i++)
		project |= s->files[i].pkg == MF_SBOM_PROJECT;

	/* the image, the root */
	p = spdx_package("SPDXRef-Image", s->name ? s->name : "image", s->manifest,
			 "NOASSERTION", NULL, "CONTAINER");
	if (p) {
		unsigned char raw[DT_SHA256_LEN];
		digest_raw(s->manifest, raw);
		bad |= add(p, "checksums", spdx_checksum(raw));
		bad |= add(p, "externalRefs", spdx_purl(ipurl));
	}
	bad |= push(pkgs, p);
	bad |= push(rels, spdx_rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"));
	/* the OS, as trivy writes it (and reads it: by this SPDXID's prefix in older
	 * versions, by the purpose in newer ones); it contains the Debian packages */
	if (s->os_name) {
		p = spdx_package("SPDXRef-OperatingSystem", s->os_name, "", "NOASSERTION", NULL,
				 "OPERATING-SYSTEM");
		if (p && s->os_version)
			bad |= add(p, "versionInfo", json_string(s->os_version));
		else if (p)
			json_object_del(p, "versionInfo");
		bad |= push(pkgs, p);
		bad |= push(rels, spdx_rel("SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem"));
	}
	for (size_t i = 0; i < s->npkgs; i++) {
		const struct mf_sbom_pkg *k = &s->pkgs[i];
		char sup[8300] = "NOASSERTION", nm[4097], em[4097];
		char *purl = mf_sbom_purl(k);
		if (k->supplier) {
			split_maintainer(k->supplier, nm, sizeof(nm), em, sizeof(em));
			if (*nm)
				snprintf(sup, sizeof(sup), "Organization: %s%s%s%s", nm,
					 *em ? " (" : "", em, *em ? ")" : "");
		}
		snprintf(id, sizeof(id), "SPDXRef-Package-%zu", i + 1);
		p = spdx_package(id, k->name, k->version, sup, k->license, "LIBRARY");
		if (p) {
			bad |= add(p, "externalRefs", spdx_purl(purl));
			bad |= add(p, "comment", json_pack("s+", "architecture: ", k->arch));
		}
		free(purl);
		bad |= push(pkgs, p);
		bad |= push(rels, spdx_rel(s->os_name ? "SPDXRef-OperatingSystem" : "SPDXRef-Image",
					   "CONTAINS", id));
	}
	if (project) {
		char *pname = NULL;
		if (asprintf(&pname, "%s (project files)", s->name ? s->name : "image") < 0)
			pname = NULL;
		bad |= !pname;
		bad |= push(pkgs, pname ? spdx_package("SPDXRef-Project", pname, s->manifest,
						       "NOASSERTION", NULL, "APPLICATION")
					: NULL);
		free(pname);
		bad |= push(rels, spdx_rel("SPDXRef-Image", "CONTAINS", "SPDXRef-Project"));
	}
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct mf_sbom_file *f = &s->files[i];
		char pk[64];
		char *fname = NULL;
		if (asprintf(&fname, ".%s", f->path) < 0)
			fname = NULL;
		snprintf(id, sizeof(id), "SPDXRef-File-%zu", i + 1);
		bad |= !fname;
		bad |= push(files, json_pack("{s:s, s:o, s:o, s:s, s:s}", "SPDXID", id, "fileName",
					     mf_json_text(fname ? fname : "."), "checksums",
					     spdx_checksum(f->sha256), "licenseConcluded",
					     "NOASSERTION", "copyrightText", "NOASSERTION"));
		free(fname);
		if (f->pkg == MF_SBOM_PROJECT)
			snprintf(pk, sizeof(pk), "SPDXRef-Project");
		else
			snprintf(pk, sizeof(pk), "SPDXRef-Package-%zu", f->pkg + 1);
		bad |= push(rels, spdx_rel(pk, "CONTAINS", id));
	}
	for (size_t i = 0; i < s->ndeps; i++) {
		char a[64], b[64];
		snprintf(a, sizeof(a), "SPDXRef-File-%zu", s->deps[i].file + 1);
		snprintf(b, sizeof(b), "SPDXRef-File-%zu", s->deps[i].lib + 1);
		bad |= push(rels, spdx_rel(a, "DEPENDS_ON", b));
	}
	if (!bad) {
		bad |= add(doc, "spdxVersion", json_string("SPDX-2.3"));
		bad |= add(doc, "dataLicense", json_string("CC0-1.0"));
		bad |= add(doc, "SPDXID", json_string("SPDXRef-DOCUMENT"));
		bad |= add(doc, "name", mf_json_text(s->name ? s->name : "image"));
		bad |= add(doc, "documentNamespace", json_string(ns));
		bad |= add(doc, "creationInfo", json_pack("{s:s, s:[s]}", "created", created,
							  "creators", tool));
		bad |= add(doc, "packages", json_incref(pkgs));
		bad |= add(doc, "files", json_incref(files));
		bad |= add(doc, "relationships", json_incref(rels));
	}
	json_decref(pkgs);
	json_decref(files);
	json_decref(rels);
	free(ipurl);
	return finish(doc, bad, out, err);
}

/* ---- CycloneDX 1.6 (and 1.5) ---- */

static json_t *cdx_hash(const unsigned char sha[DT_SHA256_LEN])
{
	char hex[2 * DT_SHA256_LEN + 1];

	dt_hex(sha, DT_SHA256_LEN, hex);
	return json_pack("[{s:s, s:s}]", "alg", "SHA-256", "content", hex);
}

static json_t *cdx_file_ref(const struct mf_sbom_file *f)
{
	char *r = NULL;
	json_t *v;

	if (asprintf(&r, "file:%s", f->path) < 0)
		return NULL;
	v = mf_json_text(r);
	free(r);
	return v;
}

static int cdx_json(const struct mf_sbom *s, int v15, char **out, struct dt_err *err)
{
	json_t *doc = json_object(), *comps = json_array(), *deps = json_array(), *image_deps;
	json_t *pkg_refs;
	json_t **nested = calloc(s->npkgs + 2, sizeof(*nested)), *c;
	char created[32], serial[64], hex[2 * DT_SHA256_LEN + 1];
	unsigned char md[DT_SHA256_LEN], raw[DT_SHA256_LEN];
	char *ipurl = image_purl(s);
	int bad = !doc || !comps || !deps || !nested || !ipurl, project = 0;
	size_t np = s->npkgs; /* nested[np]: the project's files */

	image_deps = json_array();
	pkg_refs = json_array();
	bad |= !image_deps || !pkg_refs;
	if (dt_epoch_rfc3339(s->epoch, created, err) < 0) {
		bad = 1;
		created[0] = '\0';
	}
	/* a version 5 (name-based) UUID from the manifest digest */
	derived(s, "cyclonedx", md);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	dt_hex(md, 16, hex);
	snprintf(serial, sizeof(serial), "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
		 hex + 12, hex + 16, hex + 20);
	for (size_t i = 0; i < s->nfiles; i++)
		project |= s->files[i].pkg == MF_SBOM_PROJECT;
	for (size_t i = 0; i <= np && nested; i++)
		bad |= !(nested[i] = json_array());
	for (size_t i = 0; !bad && i < s->nfiles; i++) {
		const struct mf_sbom_file *f = &s->files[i];
		size_t k = f->pkg == MF_SBOM_PROJECT ? np : f->pkg;
		bad |= push(nested[k], json_pack("{s:s, s:o, s:o, s:o}", "type", "file", "bom-ref",
						 cdx_file_ref(f), "name", mf_json_text(f->path),
						 "hashes", cdx_hash(f->sha256)));
	}
	for (size_t i = 0; !bad && i < s->npkgs; i++) {
		const struct mf_sbom_pkg *k = &s->pkgs[i];
		char *purl = mf_sbom_purl(k);
		c = purl ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "type", "library",
				     "bom-ref", purl, "name", k->name, "version", k->version,
				     "purl", purl, "properties", "name", "distill:architecture",
				     "value", k->arch)
			 : NULL;
		if (c && k->supplier) {
			char nm[4096], em[4096];
			split_maintainer(k->supplier, nm, sizeof(nm), em, sizeof(em));
			json_t *sup = json_pack("{s:s}", "name", *nm ? nm : k->supplier);
			if (sup && *em)
				bad |= add(sup, "contact", json_pack("[{s:s}]", "email", em));
			bad |= add(c, "supplier", sup);
		}
		if (c && k->license)
			bad |= add(c, "licenses", json_pack("[{s:s}]", "expression", k->license));
		if (c && json_array_size(nested[i]))
			bad |= add(c, "components", json_incref(nested[i]));
		bad |= push(comps, c);
		bad |= push(pkg_refs, purl ? json_string(purl) : NULL);
		free(purl);
	}
	if (!bad && project) {
		char *pname = NULL;
		if (asprintf(&pname, "%s (project files)", s->name ? s->name : "image") < 0)
			pname = NULL;
		c = pname ? json_pack("{s:s, s:s, s:o, s:s}", "type", "application", "bom-ref",
				      "project", "name", mf_json_text(pname), "version", s->manifest)
			  : NULL;
		free(pname);
		if (c)
			bad |= add(c, "components", json_incref(nested[np]));
		bad |= push(comps, c);
	}
	if (!bad && s->os_name) {
		/* the OS, as trivy writes it: a component the image depends on, which depends
		 * on the Debian packages */
		c = json_pack("{s:s, s:s, s:s}", "type", "operating-system", "bom-ref", "os",
			      "name", s->os_name);
		if (c && s->os_version)
			bad |= add(c, "version", json_string(s->os_version));
		bad |= push(comps, c);
		bad |= push(deps, json_pack("{s:s, s:O}", "ref", "os", "dependsOn", pkg_refs));
		bad |= push(image_deps, json_string("os"));
	} else if (!bad) {
		bad |= json_array_extend(image_deps, pkg_refs);
	}
	if (!bad && project)
		bad |= push(image_deps, json_string("project"));
	bad |= push(deps, json_pack("{s:s, s:O}", "ref", "image", "dependsOn", image_deps));
	for (size_t i = 0; !bad && i < s->ndeps;) {
		size_t j = i;
		json_t *on = json_array();
		for (; j < s->ndeps && s->deps[j].file == s->deps[i].file; j++)
			bad |= push(on, cdx_file_ref(&s->files[s->deps[j].lib]));
		bad |= push(deps, json_pack("{s:o, s:o}", "ref", cdx_file_ref(&s->files[s->deps[i].file]),
					    "dependsOn", on));
		i = j;
	}
	digest_raw(s->manifest, raw);
	if (!bad) {
		/* 1.6 lists the tool as a component; the 1.5 rendering keeps the (deprecated,
		 * still valid) tools array, which the cyclonedx-go of older readers (the trivy
		 * of docs/sbom.md) needs as much as it needs specVersion 1.5 */
		json_t *tools = v15 ? json_pack("[{s:s, s:s, s:s}]", "vendor", "distill", "name",
						"distill", "version", DISTILL_VERSION)
				    : json_pack("{s:[{s:s, s:s, s:s}]}", "components", "type",
						"application", "name", "distill", "version",
						DISTILL_VERSION);
		json_t *meta = json_pack(
			"{s:s, s:o, s:{s:s, s:s, s:o, s:s, s:o, s:s}}",
			"timestamp", created, "tools", tools, "component", "type", "container",
			"bom-ref", "image", "name", mf_json_text(s->name ? s->name : "image"),
			"version", s->manifest, "hashes", cdx_hash(raw), "purl", ipurl);
		bad |= add(doc, "bomFormat", json_string("CycloneDX"));
		bad |= add(doc, "specVersion", json_string(v15 ? "1.5" : "1.6"));
		bad |= add(doc, "serialNumber", json_string(serial));
		bad |= add(doc, "version", json_integer(1));
		bad |= add(doc, "metadata", meta);
		bad |= add(doc, "components", json_incref(comps));
		bad |= add(doc, "dependencies", json_incref(deps));
	}
	for (size_t i = 0; nested && i <= np; i++)
		json_decref(nested[i]);
	free(nested);
	json_decref(comps);
	json_decref(deps);
	json_decref(image_deps);
	json_decref(pkg_refs);
	free(ipurl);
	if (!created[0]) {
		json_decref(doc);
		return -err->code;
	}
	return finish(doc, bad, out, err);
}

int mf_sbom_json(const struct mf_sbom *s, enum mf_sbom_format f, char **out,
		 struct dt_err *err)
{
	*out = NULL;
	if (strncmp(s->manifest, "sha256:", 7) != 0 || !dt_is_hex(s->manifest + 7, 64))
		return dt_err_set(err, DT_EINPUT, "the SBOM has no image manifest digest");
	return f == MF_SBOM_SPDX ? spdx_json(s, out, err) : cdx_json(s, f == MF_SBOM_CYCLONEDX15, out, err);
}

/* ---- provenance ---- */

void mf_provenance_init(struct mf_provenance *p)
{
	memset(p, 0, sizeof(*p));
}

void mf_provenance_release(struct mf_provenance *p)
{
	for (size_t i = 0; i < p->nmaterials; i++) {
		free(p->materials[i].name);
		free(p->materials[i].uri);
	}
	for (size_t i = 0; i < p->nparams; i++) {
		free(p->params[i].key);
		free(p->params[i].value);
	}
	free(p->materials);
	free(p->params);
	free(p->subject);
	mf_provenance_init(p);
}

int mf_provenance_add_material(struct mf_provenance *p, const char *name, const char *uri,
			       const char *sha256, struct dt_err *err)
{
	struct mf_prov_material *m;

	if (!plain_text(name) || (uri && !plain_text(uri)) || strncmp(sha256, "sha256:", 7) ||
	    !dt_is_hex(sha256 + 7, 64))
		return dt_err_set(err, DT_EINPUT, "provenance: material '%s' is not plain text "
				  "with a sha256 digest", name);
	if (!(m = dt_grow(p->materials, &p->cap_materials, p->nmaterials, sizeof(*m))))
		return dt_oom(err);
	p->materials = m;
	m = &p->materials[p->nmaterials];
	memset(m, 0, sizeof(*m));
	if (!(m->name = strdup(name)) || (uri && !(m->uri = strdup(uri)))) {
		free(m->name);
		return dt_oom(err);
	}
	snprintf(m->sha256, sizeof(m->sha256), "%s", sha256);
	p->nmaterials++;
	return 0;
}

int mf_provenance_add_param(struct mf_provenance *p, const char *key, const char *value,
			    struct dt_err *err)
{
	struct mf_prov_param *v;

	if (!plain_text(key) || !plain_text(value))
		return dt_err_set(err, DT_EINPUT, "provenance: parameter '%s' is not plain text",
				  key);
	if (!(v = dt_grow(p->params, &p->cap_params, p->nparams, sizeof(*v))))
		return dt_oom(err);
	p->params = v;
	v = &p->params[p->nparams];
	if (!(v->key = strdup(key)) || !(v->value = strdup(value))) {
		free(v->key);
		return dt_oom(err);
	}
	p->nparams++;
	return 0;
}

static int material_cmp(const void *a, const void *b)
{
	const struct mf_prov_material *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->sha256, y->sha256);
}

int mf_provenance_json(const struct mf_provenance *p, char **out, struct dt_err *err)
{
	json_t *doc = NULL, *mats = json_array(), *params = json_object();
	struct mf_prov_material *sorted = NULL;
	char created[32], name[1024];
	int bad = !mats || !params;

	*out = NULL;
	if (strncmp(p->manifest, "sha256:", 7) != 0 || !dt_is_hex(p->manifest + 7, 64)) {
		json_decref(mats);
		json_decref(params);
		return dt_err_set(err, DT_EINPUT, "the provenance has no image manifest digest");
	}
	if (dt_epoch_rfc3339(p->epoch, created, err) < 0) {
		json_decref(mats);
		json_decref(params);
		return -err->code;
	}
	if (p->nmaterials && !(sorted = malloc(p->nmaterials * sizeof(*sorted))))
		bad = 1;
	if (sorted) {
		memcpy(sorted, p->materials, p->nmaterials * sizeof(*sorted));
		qsort(sorted, p->nmaterials, sizeof(*sorted), material_cmp);
	}
	for (size_t i = 0; !bad && i < p->nmaterials; i++) {
		json_t *m = json_pack("{s:s, s:{s:s}}", "name", sorted[i].name, "digest", "sha256",
				      sorted[i].sha256 + 7);
		if (m && sorted[i].uri)
			bad |= add(m, "uri", json_string(sorted[i].uri));
		bad |= push(mats, m);
	}
	for (size_t i = 0; !bad && i < p->nparams; i++)
		bad |= add(params, p->params[i].key, json_string(p->params[i].value));
	free(sorted);
	/* the subject's name is the image reference; without a manifest digest no statement */
	snprintf(name, sizeof(name), "%s", p->subject ? p->subject : "image");
	if (!bad)
		doc = json_pack("{s:s, s:[{s:o, s:{s:s}}], s:s, s:{s:{s:s, s:O, s:{}, s:O}, "
				"s:{s:{s:s, s:{s:s}}, s:{s:s, s:s}}}}",
				"_type", "https://in-toto.io/Statement/v1",
				"subject", "name", mf_json_text(name), "digest", "sha256",
				p->manifest + 7,
				"predicateType", "https://slsa.dev/provenance/v1",
				"predicate", "buildDefinition",
				"buildType", "https://distill.invalid/build/v1",
				"externalParameters", params, "internalParameters",
				"resolvedDependencies", mats,
				"runDetails", "builder", "id", "https://distill.invalid/distill",
				"version", "distill", DISTILL_VERSION,
				"metadata", "startedOn", created, "finishedOn", created);
	json_decref(mats);
	json_decref(params);
	return finish(doc, bad, out, err);
}
