/* SPDX-License-Identifier: MIT */
/* The lockfile: sorted, stable JSON pinning every input of an image (each image path with
 * its type, mode, owner, size, sha256, link target, source and owning Debian package; each
 * .deb by name, version, architecture and sha256; the spec's own sha256). Its comparison is
 * drift.h's. See docs/lock.md. */
#ifndef DISTILL_MANIFEST_LOCK_H
#define DISTILL_MANIFEST_LOCK_H

#include <stddef.h>
#include <stdint.h>

#include "common/digest.h"
#include "common/buf.h"
#include "common/err.h"

#define MF_LOCK_VERSION 1

enum mf_lock_type {
	MF_LOCK_DIR,
	MF_LOCK_REG,
	MF_LOCK_SYMLINK,
	MF_LOCK_HARDLINK,
};

enum mf_lock_layer {
	MF_LAYER_BASE, /* skeleton, packages, shared libraries */
	MF_LAYER_APP,  /* the spec's binaries and files */
};

struct mf_lock_file {
	char *path;            /* absolute image path */
	enum mf_lock_type type;
	uint32_t mode;         /* 07777 bits */
	uint32_t uid, gid;
	uint64_t size;         /* regular files, else 0 */
	char sha256[65];       /* lowercase hex of regular files' content, else "" */
	char *link;            /* symlink target or hardlink's first path, else NULL */
	char *source;          /* "host:/usr/lib/x", "deb:libc6@2.36-9:/lib/x", or "distill"
				* for files distill writes (passwd, group, ...) */
	char *package;         /* owning Debian package, or NULL */
	char *package_version; /* its version, or NULL */
	char *why;             /* why it is in the image ("DT_NEEDED", "binaries[0] /usr/bin/curl",
				* "files[2] /usr/lib/python3.11", "skeleton (base: distroless)"),
				* or NULL; a record, not an input: never drift */
	char *why_of;          /* whom that reason is for: the source ("host:/usr/bin/curl") or
				* image path of another entry, whose why goes on the chain; or NULL */
	enum mf_lock_layer layer;
	int unpinned;          /* a project file pinned by path ("pin": "path"): no size or
				* sha256, and its content is never drift */
};

struct mf_lock_deb {
	char *name, *version, *architecture;
	char *file;            /* base name of the .deb */
	char sha256[65];
	uint64_t size;
	/* where to get it: "installed" entries, and "debs" entries fetched from a repository
	 * (a package of the spec's the debs directory did not have), else NULL */
	char *repository;      /* the repository's base URL: "http://deb.debian.org/debian" */
	char *filename;        /* its pool path there: "pool/main/g/glibc/libc6_..._amd64.deb" */
	char *status;          /* its stanza of the root's dpkg status ("Package: x\n...\n"),
				* which status.d carries; installed entries only */
};

/* How one clause of a package's Depends or Pre-Depends was met when the lock was made:
 * what was followed, and why (written in the order followed; "depends" in the lock). */
struct mf_lock_rel {
	char *package;         /* whose field */
	char *field;           /* "Depends" or "Pre-Depends" */
	char *relation;        /* "libc6 (>= 2.34)", "libssl3 | libssl1.1" */
	char *how;             /* "image", "deb", "essential" or "root" (see docs/lock.md) */
	char *by;              /* "libc6 2.36-9+deb12u4": the package that meets it */
};

struct mf_lock {
	int version;           /* MF_LOCK_VERSION */
	char digest[DT_DIGEST_LEN]; /* "sha256:..." of the bytes it was parsed from, else "" */
	char *spec_file;       /* base name of the spec */
	char spec_sha256[65];
	char *platform;        /* "linux/amd64" */
	struct mf_lock_file *files; /* sorted by path (strcmp) */
	size_t nfiles;
	struct mf_lock_deb *debs;   /* sorted by name */
	size_t ndebs;
	/* the .deb of each installed package that files of the root come from ("installed"),
	 * pinned from the root's apt indexes; sorted by name */
	struct mf_lock_deb *installed;
	size_t ninstalled;
	int pinned;            /* installed was looked for (a lock read from a file with the
				* key, or made with pinning): only then is it compared */
	struct mf_lock_rel *rels;   /* in the order followed */
	size_t nrels;
};

/* An empty lock (version set), or NULL when out of memory. */
struct mf_lock *mf_lock_new(void);
void mf_lock_free(struct mf_lock *l);

/* Appends a copy of @f / @d (strings duplicated). @return 0 or -DT_ENOMEM. */
int mf_lock_add_file(struct mf_lock *l, const struct mf_lock_file *f, struct dt_err *err);
int mf_lock_add_deb(struct mf_lock *l, const struct mf_lock_deb *d, struct dt_err *err);
int mf_lock_add_rel(struct mf_lock *l, const struct mf_lock_rel *r, struct dt_err *err);
/* The installed entry of package @name at @version, or NULL. */
const struct mf_lock_deb *mf_lock_installed(const struct mf_lock *l, const char *name,
					    const char *version);

/* Appends a copy of @d to installed and sets pinned. @return 0 or -DT_ENOMEM. */
int mf_lock_add_installed(struct mf_lock *l, const struct mf_lock_deb *d, struct dt_err *err);

/* Why the image path @path is in the image, from the files' why and why_of records: one
 * step per entry, from @path to a spec entry or a skeleton rule, each "<why> <path>"
 * ("DT_NEEDED of /usr/bin/curl", "symlink to /usr/lib/x/libz.so.1.2.13"), the first being
 * @path itself and the last the reason with nothing after it ("binaries[0] /usr/bin/curl").
 * At most 64 steps; a loop ends the chain. @return 0 and @chain, -DT_EINPUT when @path is
 * not in the lock (or has no why: a lock from before whys), or -DT_ENOMEM. */
int mf_lock_why_chain(const struct mf_lock *l, const char *path, struct dt_strv *chain,
		      struct dt_err *err);

/* Sorts files by path and debs by name. Two files with the same path are an error. */
int mf_lock_sort(struct mf_lock *l, struct dt_err *err);

/* Reads a lockfile (its digest too). Unknown keys, wrong types, bad hex, an unknown
 * lockVersion are errors naming @path and the entry; a missing file is -DT_ESYS with
 * err->sys_errno ENOENT. @return 0 and *@out, or a negative code with @err set. */
int mf_lock_load(const char *path, struct mf_lock **out, struct dt_err *err);
int mf_lock_parse(const char *name, const void *buf, size_t len, struct mf_lock **out,
		  struct dt_err *err);

/* Serializes @l (sorted first) as indented JSON with sorted keys and a final newline.
 * @return 0 and *@out (free() it), or a negative code with @err set. */
int mf_lock_dump(struct mf_lock *l, char **out, struct dt_err *err);

const char *mf_lock_type_name(enum mf_lock_type t); /* "dir", "file", "symlink", "hardlink" */
const char *mf_lock_layer_name(enum mf_lock_layer l); /* "base", "app" */

#endif
