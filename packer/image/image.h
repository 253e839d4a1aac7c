/* SPDX-License-Identifier: MIT */
/* Images: from a spec, the plan of every image path (skeleton, shared-library closures,
 * packages, the app's binaries and files) with its content hashed, the lock that pins it,
 * and the writers of the OCI layout, OCI archive, docker-archive and rootfs tarball. */
#ifndef DISTILL_PACKER_IMAGE_IMAGE_H
#define DISTILL_PACKER_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/compression.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/report.h"
#include "manifest/lock.h"
#include "manifest/sbom.h"
#include "manifest/spec.h"

struct dt_cache;
struct dt_statcache;

enum pk_image_format {
	PK_FORMAT_OCI,            /* OCI image layout directory */
	PK_FORMAT_OCI_ARCHIVE,    /* that layout as a tar file */
	PK_FORMAT_DOCKER_ARCHIVE, /* `docker save` form: manifest.json, config, layer tars */
	PK_FORMAT_ROOTFS,         /* one tarball of the whole filesystem */
};

/* "oci", "oci-archive", "docker-archive", "rootfs". @return 0, or -1 when unknown. */
int pk_image_format_parse(const char *name, enum pk_image_format *out);
const char *pk_image_format_name(enum pk_image_format f);

/* A .deb offered for a package of the spec's (or a dependency) that the debs directory
 * lacks: a file to read, and where the lock says it comes from. All malloc'd. */
struct pk_offer {
	char *path;               /* the .deb file (a cache blob) */
	char *file;               /* its base name: "libc6_2.36-9_amd64.deb" */
	char *repository;         /* base URL of its repository */
	char *filename;           /* its pool path there */
	char *offered;            /* when none fits: what is offered of the name, for messages
				   * ("1.2-1 (URL SUITE), ..."), or NULL */
};
void pk_offer_release(struct pk_offer *o);

/* Finds the .deb of package @name (not a virtual one) in its highest version for which
 * deb_rel_holds(@op, @version, ...) (@op 0: any) and whose architecture is @arch or all.
 * @return 1 with *@out filled, 0 when none is offered, or a negative code with @err set. */
typedef int (*pk_offer_fn)(void *ctx, const char *name, int op, const char *version,
			   const char *arch, struct pk_offer *out, struct dt_err *err);

struct pk_plan_opts {
	const char *debs;         /* directory of .deb files instead of the spec's, or NULL */
	/* packages: what the debs directory lacks, from elsewhere (at lock time the
	 * repositories, at build time what the lock pins from them), or NULL: none */
	pk_offer_fn offer;
	void *offer_ctx;
	int64_t epoch;            /* SOURCE_DATE_EPOCH: every mtime, `created` */
	dt_warn_fn warn;          /* run-time loads not added, ...; may be NULL */
	void *warn_ctx;
	/* the digests of files unchanged since they were hashed (common/statcache.h), or
	 * NULL: every file is read and hashed */
	struct dt_statcache *hashes;
	/* the md5 of a file the root's dpkg database lists is the one dpkg recorded (a build
	 * checked against a lock, which pins the file's sha256), not computed; else every
	 * file's md5 is computed (a lock compares it with dpkg's) */
	int md5_stated;
};

struct pk_image;

/* Gathers every path of the image the spec describes and hashes every file's content.
 * @return 0 and *@out (free with pk_image_free), or a negative code with @err naming the
 * spec, the input and what is wrong (a missing library, a clash between two sources, a
 * .deb that tries to leave the image). */
int pk_image_plan(const struct mf_spec *spec, const struct pk_plan_opts *o,
		  struct pk_image **out, struct dt_err *err);
void pk_image_free(struct pk_image *img);

/* The lock that pins the plan, every content included: what a build compares with the
 * lock on disk. @return 0 and *@out, or a negative code with @err set. */
int pk_image_lock(const struct pk_image *img, struct mf_lock **out, struct dt_err *err);

/* The lock as `distill lock` writes it: the project's own files (taken from the spec's
 * directory or beside it, owned by no package, whose entry does not say pin: content) are
 * pinned by path, mode and owner, not by content (the app changes every commit), unless
 * @strict. @return as pk_image_lock. */
int pk_image_lock_pins(const struct pk_image *img, int strict, struct mf_lock **out,
		       struct dt_err *err);

/* The CA bundle of Debian roots, which update-ca-certificates makes (no package owns it). */
#define PK_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct deb_fetch_opts;

struct pk_pin_opts {
	const char *gpgv;         /* the gpgv program, or NULL for gpgv on PATH */
	/* for the spec's repositories: the cache their Packages files are fetched through
	 * (NULL: the default cache, dt_cache_default_dir) and how (NULL: the defaults) */
	const char *cache_dir;
	const struct deb_fetch_opts *fetch;
};

struct deb_apt_sources;
struct deb_apt_index;

/* The index of the spec's repositories (repositories:): each one's InRelease and Packages
 * downloaded (deb_apt_update, the Packages through the cache @o->cache_dir) into a
 * temporary lists tree, verified, read, and the tree removed. @src receives the sources
 * (release with deb_apt_sources_release after the index is freed). @return 0 and *@idx, or
 * a negative code with @err set. */
int pk_spec_index(const struct mf_spec *s, const char *arch, const struct pk_pin_opts *o,
		  struct deb_apt_sources *src, struct deb_apt_index **idx, struct dt_err *err);

/* Offers (pk_offer_fn) for the spec's packages: that the debs directory lacks:
 * - at lock time, from the apt repositories: the spec's repositories:, else the root's
 *   apt sources (what apt fetched there); the .deb of the highest version offered is
 *   downloaded into the cache @o->cache_dir, checked by the Packages index's size and
 *   sha256, and read from there;
 * - at build time, from the lock: the debs entries it pinned from a repository, read from
 *   the cache @cache_dir (a missing one is an error naming `distill fetch`).
 * @return 0 and *@out, or a negative code with @err set. */
struct pk_offers;
int pk_offers_repos(const struct mf_spec *spec, const struct pk_pin_opts *o,
		    struct pk_offers **out, struct dt_err *err);
int pk_offers_lock(const struct mf_lock *lock, const char *cache_dir, const char *spec_file,
		   struct pk_offers **out, struct dt_err *err);
int pk_offer(void *offers, const char *name, int op, const char *version, const char *arch,
	     struct pk_offer *out, struct dt_err *err);
void pk_offers_free(struct pk_offers *of);

/* A package the indexes do not offer at its installed version. */
struct pk_pin_miss {
	char *package, *version;
	char *offers;             /* "12.4+deb12u15 (http://deb.debian.org/debian bookworm)" */
};

/* A host file whose content is not what its package installed (its md5 is not the one the
 * dpkg database records): an edited conffile, a diversion, a local change. */
struct pk_pin_changed {
	char *path;               /* in the root */
	char *package;
	char want[33], got[33];   /* md5: recorded by dpkg, of the file */
	int conffile;
};

struct pk_pin_result {
	size_t nsources;          /* apt sources of the root */
	size_t npackages;         /* installed packages the image takes files from */
	int no_sources;           /* there were packages to pin, and no sources to pin from */
	struct pk_pin_miss *miss; /* packages not pinned: no repository offers their version */
	size_t nmiss;
	struct pk_pin_changed *changed; /* host files whose bytes are not their package's */
	size_t nchanged;
	/* files of the root that no package owns and that are not the project's (nor the CA
	 * bundle, which a build from .debs makes): no .deb holds them */
	char **unowned;
	size_t nunowned;
	/* sources of the root apt has fetched no index of ("URI SUITE: no InRelease") */
	struct dt_strv unindexed;
	/* links of /etc/alternatives the image takes that are not what the priorities of
	 * update-alternatives give among the candidates the image holds (a manual choice),
	 * each in words */
	struct dt_strv alternatives;
};

/* Pins in @l's "installed" list the .deb of every installed package of the root that
 * owns a file of the plan, found at its installed version in the root's apt indexes,
 * verified as apt verifies them (debian/apt.h). Packages no index offers go to @res, and so
 * do files whose md5 is not the one dpkg recorded for them (the caller decides whether
 * either is an error). A root without apt sources pins nothing and
 * leaves @l unpinned. @return 0 and @res (release it), or a negative code with @err set
 * (an index that does not verify, a malformed source). */
int pk_image_pin_installed(const struct pk_image *img, struct mf_lock *l,
			   const struct pk_pin_opts *o, struct pk_pin_result *res,
			   struct dt_err *err);
void pk_pin_result_release(struct pk_pin_result *r);

/* Makes, in the empty directory @dir, the tree that stands for @spec's root in a build
 * from .debs (build --inputs debs), from @lock alone: every member of each .deb the lock's
 * "installed" pins, read from @cache (each checked by size and sha256 there, and again as
 * a package of that name and version); /var/lib/dpkg/status from the lock's stanzas and
 * info/PKG.list from the .debs; the root's symlinks that no package owns, as the lock has
 * them, and merged /usr where the lock shows no other layout (members are put through
 * /lib -> usr/lib); and, for a spec whose root
 * is "/", the project's files the lock names, copied from the project. A file of the root
 * that no package owns and that is not the project's, and a package of the image without
 * a pinned .deb, are errors. .debs missing from the cache are listed in @missing ("libc6
 * 2.36-9 amd64, ..."). The caller plans with spec->read_root = @dir, and the lock check
 * then compares every byte with the lock. @return 0, or a negative code with @err set. */
struct dt_cache;
int pk_stage_debs(const struct mf_spec *spec, const struct mf_lock *lock, struct dt_cache *cache,
		  const char *dir, struct dt_buf *missing, struct dt_err *err);

struct deps_check;

/* The start-up check of the plan (deps/check.h), before anything is written: every ELF file
 * and executable script of the image, as the plan lays it out, must be able to start in it.
 * The plan's ELF content is copied into a temporary directory below @tmpdir (NULL: $TMPDIR,
 * else /tmp), removed after. @flags: DEPS_CHECK_* (DEPS_CHECK_SYMBOLS). @return 0 and the
 * problems in *@out (deps_check_release() it), or a negative code with @err set. */
int pk_image_check(const struct pk_image *img, const char *tmpdir, unsigned flags,
		   struct deps_check *out, struct dt_err *err);

struct mf_secret_list;

/* The secret check of the plan (manifest/secret.h), before anything is written: every
 * file, directory and hardlink the user brought (files: entries, the spec's binaries, the
 * project's files; not packages' files nor the root's libraries), a bounded prefix of its
 * content read. Findings the spec's allow_secrets matches are marked allowed. @return 0
 * and the findings in *@out (mf_secret_list_release() it), or a negative code. */
int pk_image_secrets(const struct pk_image *img, struct mf_secret_list *out,
		     struct dt_err *err);

/* Number of paths and content bytes of the plan. */
size_t pk_image_count(const struct pk_image *img);
uint64_t pk_image_bytes(const struct pk_image *img);

struct pk_build_opts {
	enum pk_image_format format;
	enum dt_compression compression; /* layers (docker-archive: always none) */
	int level;
	const char *tag;          /* replaces the spec name's tag, or NULL */
	const char *lock_digest;  /* "sha256:..." of the lockfile, for the annotation; or NULL */
	const char *lock_name;    /* the lockfile's path (its base name is a provenance
				   * material), or NULL */
	int sbom;                 /* oci formats: SPDX and CycloneDX attached as artifacts */
	int provenance;           /* oci formats: SLSA provenance attached as an artifact */
	dt_progress_fn progress; /* may be NULL */
	void *progress_ctx;
	/* the layer cache (oci formats), or NULL: every layer compressed afresh. A layer whose
	 * cached blob cannot be used is built; one that cannot be cached (a full disk) is a
	 * warning, never a failed build. */
	struct dt_cache *cache;
	dt_warn_fn warn;          /* may be NULL */
	void *warn_ctx;
};

#define PK_IMAGE_MAX_LAYERS 32 /* MF_LAYERS_MAX */
#define PK_IMAGE_MAX_ARTIFACTS 3

/* An OCI 1.1 artifact attached to the image (its subject). */
struct pk_artifact {
	char type[64];                   /* artifactType: the document's media type */
	char digest[DT_DIGEST_LEN];      /* the artifact's manifest */
	uint64_t size;                   /* of that manifest */
	char blob[DT_DIGEST_LEN];        /* the document */
};

struct pk_build_result {
	struct pk_artifact artifacts[PK_IMAGE_MAX_ARTIFACTS]; /* SPDX, CycloneDX, provenance */
	size_t nartifacts;
	char name[512];                  /* repository:tag */
	char full_name[540];             /* as docker and containerd name it (docker.io/...) */
	char manifest[DT_DIGEST_LEN];    /* the image digest (oci formats) */
	size_t layers_cached;            /* of nlayers, how many came from the layer cache */
	char config[DT_DIGEST_LEN];
	char layers[PK_IMAGE_MAX_LAYERS][DT_DIGEST_LEN];
	char diff_ids[PK_IMAGE_MAX_LAYERS][DT_DIGEST_LEN];
	uint64_t layer_sizes[PK_IMAGE_MAX_LAYERS];
	size_t nlayers;
	char output[DT_DIGEST_LEN];      /* sha256 of the archive (archives and rootfs) */
};

/* Writes the image to @out. Every file's content is hashed again as it is written and must
 * equal the plan's (a file changed since it was planned is an error). An OCI layout gains
 * (or replaces, by tag or full name) one manifest; blobs are renamed into place, index.json
 * last. Archives are written under a temporary name and renamed. On error nothing is left at
 * @out (an existing layout keeps its previous index). A plan is written once: its
 * in-memory content moves into the layers. @return 0, or a negative code. */
int pk_image_write(struct pk_image *img, const char *out, const struct pk_build_opts *o,
		   struct pk_build_result *res, struct dt_err *err);

/* The SBOM of the image @img would be as built with @o (its manifest digest is computed,
 * nothing is written): the same bytes `distill build --sbom` attaches. The plan is written
 * once: @img cannot be written after. @return 0 and *@out (free() it), or a negative code. */
int pk_image_sbom(struct pk_image *img, const struct pk_build_opts *o, enum mf_sbom_format f,
		  char **out, struct dt_err *err);

#endif
