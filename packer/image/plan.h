/* SPDX-License-Identifier: MIT */
/* Internal to packer/image/: the plan of an image, its own data type, which the planner
 * (plan.c and the files of planner.h) fills and the writers (writer.h) only read. Every
 * image path once, sorted by path (strcmp), with its parent's index. */
#ifndef DISTILL_PACKER_IMAGE_PLAN_H
#define DISTILL_PACKER_IMAGE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/digest.h"
#include "common/err.h"
#include "manifest/spec.h"
#include "packer/image/image.h"

enum pk_plan_type {
	PK_PLAN_DIR,
	PK_PLAN_REG,
	PK_PLAN_SYMLINK,
	PK_PLAN_HARDLINK, /* link = the first path of the file */
};

/* The layers of an image, base first. */
enum pk_plan_layer {
	PK_LAYER_BASE, /* skeleton, packages, shared libraries */
	PK_LAYER_APP,  /* the spec's binaries and files */
};
#define PK_LAYERS 2

/* Which source of a path wins when two give it (lower first). */
enum pk_plan_prio {
	PK_PRIO_SKELETON,
	PK_PRIO_FILES,
	PK_PRIO_BINARY,
	PK_PRIO_CLOSURE,
	PK_PRIO_PACKAGE,
	PK_PRIO_PARENT,
};

#define PK_PLAN_NO_PARENT ((size_t)-1)

struct pk_plan_entry {
	char *path;              /* absolute image path */
	enum pk_plan_type type;
	uint32_t mode, uid, gid;
	uint64_t size;
	char *link;
	int root;                /* content read from img->roots[root] at src, or -1; for
				  * directories and symlinks: whose dpkg database owns them */
	char *src;               /* inside that root, relative, without symlinks */
	unsigned char *data;     /* content in memory, or NULL */
	uint64_t dev, ino;
	unsigned char sha256[DT_SHA256_LEN];
	unsigned char md5[DT_MD5_LEN]; /* for status.d/<pkg>.md5sums; valid when has_md5 */
	int has_md5;
	int elf;                 /* a host file that starts with the ELF magic */
	int has_mtime;           /* mtime is kept (a Python source its .pyc records), instead
				  * of SOURCE_DATE_EPOCH */
	int64_t mtime;
	int closure;             /* its shared-library closure is planned (binaries, files
				  * entries without closure: false) */
	char *source;            /* "distill", "host:...", "deb:name@version:..." */
	char *pkg, *pkg_version; /* owning Debian package, or NULL */
	enum pk_plan_layer layer;
	int link_to_dir;         /* a symlink to a directory (not owned by one package) */
	enum pk_plan_prio prio;
	size_t seq;              /* the order entries were made in: of two sources of one path
				  * with the same prio, the first made wins */
	size_t parent;           /* index of the parent directory's entry, or PK_PLAN_NO_PARENT
				  * for a path at the top; set once the plan is complete */
	char *why;               /* why it is in the image: "binaries[0] /usr/bin/curl",
				  * "DT_NEEDED", "files[2] /usr/lib/python3.11", "skeleton", ... */
	char *why_of;            /* the image path that reason is for ("DT_NEEDED" of
				  * /usr/bin/curl), whose own why goes on the chain; or NULL */
	int pin_content;         /* its spec entry says pin: content */
};

/* A Debian package read from a .deb of the debs directory. */
struct pk_plan_deb {
	char *name, *version, *architecture;
	char *file;              /* base name of the .deb */
	char *repository, *filename; /* where it was fetched from (pk_offer), or NULL */
	unsigned char sha256[DT_SHA256_LEN];
	uint64_t size;
	char *control;           /* its control stanza, for status.d */
};

/* The image's Debian architecture ("amd64", "armhf"): from its binaries' machine, else the
 * spec's platform; NULL when neither gives a machine distill knows. */
const char *pk_plan_deb_arch(const struct pk_image *img);

/* How one clause of a package's Depends or Pre-Depends was met (recorded in the lock). */
struct pk_plan_rel {
	char *package;           /* whose field: "python3.11-minimal" */
	char *field;             /* "Depends", "Pre-Depends" */
	char *relation;          /* the clause as Debian writes it: "libc6 (>= 2.34)" */
	char *how;               /* "image": a package of the image has it; "deb": its .deb
				  * was pulled whole; "essential": not pulled (Essential: yes);
				  * "root": installed in the root, not pulled (the closure takes
				  * what the image's ELF files need of it) */
	char *by;                /* the package that meets it, "name version" */
};

struct pk_image {
	const struct mf_spec *spec;
	char *os, *arch, *variant;
	char *roots[2];          /* content roots: the spec's root, and "/" for host files */
	int nroots;
	struct pk_plan_entry *v;
	size_t n, cap, seq;
	struct pk_plan_deb *debs;
	size_t ndebs, debs_cap;
	struct pk_plan_rel *rels; /* in the order they were followed */
	size_t nrels;
	int64_t epoch;
	struct dt_statcache *hashes; /* pk_plan_opts.hashes */
	int md5_stated;              /* pk_plan_opts.md5_stated */
	/* the spec's binaries, directories and globs expanded to their files (pk_plan_closure) */
	struct mf_binary *bins;
	size_t nbins;
	/* the why, why_of and pin_content that pk_plan_push gives each new entry */
	char *why, *why_of;
	int pin_content;
	/* config */
	char *user;              /* numeric "uid[:gid]" */
	char **env;
	size_t nenv;
};

/* Sets the why (printf @fmt) and why_of (@of, or NULL) of the entries pushed from now on.
 * @return 0 or -DT_ENOMEM. */
int pk_plan_why(struct pk_image *img, const char *of, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A new zeroed entry at the end of the plan (valid until the next push), or NULL. */
struct pk_plan_entry *pk_plan_push(struct pk_image *img, const char *path,
				   enum pk_plan_type type, enum pk_plan_layer layer,
				   enum pk_plan_prio prio, const char *source);
/* A directory distill makes. @return 0, or -DT_ENOMEM. */
int pk_plan_add_dir(struct pk_image *img, const char *path, uint32_t mode, uint32_t uid,
		    uint32_t gid, enum pk_plan_layer layer, enum pk_plan_prio prio,
		    struct dt_err *err);
/* A file distill writes itself, from @len bytes of @text. @return 0, or -DT_ENOMEM. */
int pk_plan_add_text(struct pk_image *img, const char *path, const char *text, size_t len,
		     uint32_t mode, enum pk_plan_layer layer, struct dt_err *err);
void pk_plan_entry_release(struct pk_plan_entry *e);

#endif
