/* SPDX-License-Identifier: MIT */
/* Internal to packer/image*.c: the plan of an image, shared by the planner and the writers. */
#ifndef DISTILL_PACKER_IMAGE_PLAN_H
#define DISTILL_PACKER_IMAGE_PLAN_H

#include "packer/image/image.h"

struct img_entry {
	char *path;              /* absolute image path */
	enum mf_lock_type type;
	uint32_t mode, uid, gid;
	uint64_t size;
	char *link;
	int root;                /* content read from img->roots[root] at src, or -1 */
	char *src;               /* inside that root, relative, without symlinks */
	unsigned char *data;     /* content in memory, or NULL */
	uint64_t dev, ino;
	unsigned char sha256[32];
	unsigned char md5[16];   /* for status.d/<pkg>.md5sums; valid when has_md5 */
	int has_md5;
	char *source;            /* for the lock: "distill", "host:...", "deb:name@version:..." */
	char *pkg, *pkg_version; /* owning Debian package, or NULL */
	enum mf_lock_layer layer;
	int link_to_dir;         /* a symlink to a directory (not owned by one package) */
	int prio;                /* which of two sources of one path wins (lower) */
};

struct pk_image {
	const struct mf_spec *spec;
	char *os, *arch, *variant;
	char *roots[2];          /* content roots: the spec's root, and "/" for host files */
	int nroots;
	struct img_entry *v;
	size_t n, cap;
	struct mf_lock_deb *debs;
	size_t ndebs;
	int64_t epoch;
	/* config */
	char *user;              /* numeric "uid[:gid]" */
	char **env;
	size_t nenv;
};

/* The entry at @path of a plan sorted by path (strcmp), or NULL. */
struct img_entry *img_find(const struct pk_image *img, const char *path);

#endif
