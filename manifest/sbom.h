/* SPDX-License-Identifier: MIT */
/* Software bills of materials and build provenance, as documents: SPDX 2.3 JSON and
 * CycloneDX 1.6 JSON (or the same as 1.5) from one neutral description of an image (its packages, the files
 * each contributed, what each file needs), and an in-toto statement with a SLSA v1
 * provenance predicate. Serial numbers and namespaces are derived from the image's manifest
 * digest, timestamps from SOURCE_DATE_EPOCH: the same description gives the same bytes. */
#ifndef DISTILL_MANIFEST_SBOM_H
#define DISTILL_MANIFEST_SBOM_H

#include <stddef.h>
#include <stdint.h>

#include "common/digest.h"
#include "common/err.h"

#define MF_SBOM_SPDX_TYPE "application/spdx+json"
#define MF_SBOM_CYCLONEDX_TYPE "application/vnd.cyclonedx+json"
#define MF_INTOTO_TYPE "application/vnd.in-toto+json"

enum mf_sbom_format {
	MF_SBOM_SPDX,         /* "spdx-json": SPDX 2.3 */
	MF_SBOM_CYCLONEDX,    /* "cyclonedx-json": CycloneDX 1.6 */
	MF_SBOM_CYCLONEDX15,  /* "cyclonedx-1.5-json": the same as CycloneDX 1.5 (tools as the
			       * array), for readers that know no 1.6 (trivy up to 0.49) */
};

/* "spdx-json", "cyclonedx-json", "cyclonedx-1.5-json". @return 0, or -1 when unknown. */
int mf_sbom_format_parse(const char *name, enum mf_sbom_format *out);
const char *mf_sbom_format_name(enum mf_sbom_format f);
/* The media type (and OCI artifactType) of a format. */
const char *mf_sbom_media_type(enum mf_sbom_format f);

#define MF_SBOM_PROJECT ((size_t)-1) /* a file of the project itself, not of a package */

struct mf_sbom_pkg {
	char *name, *version, *arch; /* a Debian package: checked (Debian's charsets) */
	char *supplier;              /* its Maintainer, "Name <email>", or NULL */
	char *license;               /* an SPDX license expression, or NULL (NOASSERTION) */
};

struct mf_sbom_file {
	char *path;                  /* absolute image path, any bytes */
	unsigned char sha256[DT_SHA256_LEN];
	size_t pkg;                  /* index in pkgs, or MF_SBOM_PROJECT */
};

/* File @file (index in files) needs the library @lib (index in files), as the closure says. */
struct mf_sbom_dep {
	size_t file, lib;
};

struct mf_sbom {
	char *name;                        /* the image: "repository:tag" */
	char manifest[DT_DIGEST_LEN];      /* its manifest digest, "sha256:..." */
	int64_t epoch;                     /* SOURCE_DATE_EPOCH: the documents' time */
	char *os_name, *os_version;        /* the OS ("debian", "12.11"): NULL when unknown */
	struct mf_sbom_pkg *pkgs;
	size_t npkgs, cap_pkgs;
	struct mf_sbom_file *files;
	size_t nfiles, cap_files;
	struct mf_sbom_dep *deps;
	size_t ndeps, cap_deps;
};

void mf_sbom_init(struct mf_sbom *s);
void mf_sbom_release(struct mf_sbom *s);

/* Sets the operating system the packages belong to: @name an os-release ID ("debian"),
 * @version its version ("12.11") or NULL. The documents then carry it as an OS package
 * (SPDX, purpose OPERATING-SYSTEM) or component (CycloneDX, operating-system) that the
 * packages are related to, as scanners (trivy) expect. Outside os-release's charsets
 * (ID: [a-z0-9._-], VERSION_ID: [A-Za-z0-9._~-]) is -DT_EINPUT naming @what.
 * @return 0, or a negative code with @err set. */
int mf_sbom_set_os(struct mf_sbom *s, const char *what, const char *name, const char *version,
		   struct dt_err *err);

/* The OS of an image from its /etc/os-release text (ID, VERSION_ID) and, for Debian, its
 * /etc/debian_version text when it is a point release ("12.11", not "trixie/sid"); either
 * may be NULL. None without an os-release ID. @return as mf_sbom_set_os. */
int mf_sbom_set_os_from(struct mf_sbom *s, const char *os_release, const char *debian_version,
			struct dt_err *err);

/* Adds a package (the strings are copied; @supplier and @license may be NULL). A name,
 * version or architecture outside Debian's charsets, or a supplier or license with control
 * characters, is -DT_EINPUT naming @what (where it was read). @return its index (>= 0), or
 * a negative code with @err set. */
int mf_sbom_add_pkg(struct mf_sbom *s, const char *what, const char *name, const char *version,
		    const char *arch, const char *supplier, const char *license,
		    struct dt_err *err);
/* The index of the package @name, or -1. */
int mf_sbom_find_pkg(const struct mf_sbom *s, const char *name);
/* Adds a file of package @pkg (or MF_SBOM_PROJECT). @return its index, or -DT_ENOMEM. */
int mf_sbom_add_file(struct mf_sbom *s, const char *path, const unsigned char *sha256,
		     size_t pkg, struct dt_err *err);
/* The index of the file at @path (the files sorted by path: see mf_sbom_sort), or -1. */
int mf_sbom_find_file(const struct mf_sbom *s, const char *path);
/* Sorts packages by name and files by path (strcmp), remapping what points to them, and
 * drops duplicate dependencies: call once everything is added, before the writers. */
int mf_sbom_sort(struct mf_sbom *s, struct dt_err *err);
/* @return 0, or -DT_ENOMEM. */
int mf_sbom_add_dep(struct mf_sbom *s, size_t file, size_t lib, struct dt_err *err);

/* Writes @s as @f (indented JSON with a final newline) into *@out (free() it).
 * @return 0, or a negative code with @err set. */
int mf_sbom_json(const struct mf_sbom *s, enum mf_sbom_format f, char **out,
		 struct dt_err *err);

/* The package URL of a Debian package: "pkg:deb/debian/NAME@VERSION?arch=ARCH", the
 * version percent-encoded. NULL when out of memory. */
char *mf_sbom_purl(const struct mf_sbom_pkg *p);

/* ---- provenance ---- */

struct mf_prov_material {
	char *name;                        /* "app.yaml", "app.lock", "zlib1g_1.2_amd64.deb" */
	char *uri;                         /* a purl for a .deb, or NULL */
	char sha256[DT_DIGEST_LEN];        /* "sha256:..." */
};

struct mf_prov_param {
	char *key, *value;
};

struct mf_provenance {
	char *subject;                     /* the image name */
	char manifest[DT_DIGEST_LEN];      /* the image manifest digest */
	int64_t epoch;
	struct mf_prov_material *materials; /* sorted by the writer */
	size_t nmaterials, cap_materials;
	struct mf_prov_param *params;      /* the build's parameters, sorted by key */
	size_t nparams, cap_params;
};

void mf_provenance_init(struct mf_provenance *p);
void mf_provenance_release(struct mf_provenance *p);
/* @uri may be NULL. @return 0, or -DT_ENOMEM. */
int mf_provenance_add_material(struct mf_provenance *p, const char *name, const char *uri,
			       const char *sha256, struct dt_err *err);
int mf_provenance_add_param(struct mf_provenance *p, const char *key, const char *value,
			    struct dt_err *err);
/* An in-toto Statement v1 whose predicate is SLSA provenance v1 (builder distill and its
 * version, the materials as resolvedDependencies, the parameters as externalParameters),
 * indented JSON with a final newline, into *@out. @return 0, or a negative code. */
int mf_provenance_json(const struct mf_provenance *p, char **out, struct dt_err *err);

#endif
