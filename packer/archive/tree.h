/* SPDX-License-Identifier: MIT */
/* The filesystem tree model every archive is written from: entries scanned from host
 * directories, then normalized (modes, owners, mtimes, order, parents, hardlinks) so that
 * the tree, not the host, decides every byte of the archive. */
#ifndef DISTILL_PACKER_ARCHIVE_TREE_H
#define DISTILL_PACKER_ARCHIVE_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/report.h"
#include "packer/archive/scan.h"

enum pk_type {
	PK_DIR,
	PK_REG,
	PK_SYMLINK,
	PK_HARDLINK, /* a regular file's second and later names; link = the first name */
};

struct pk_entry {
	char *path;      /* archive path: relative, no leading "/" or "./", no trailing "/" */
	char *link;      /* symlink target, or the hardlink's first path; else NULL */
	enum pk_type type;
	uint32_t mode;   /* permission and special bits (07777); normalized by pk_tree_normalize */
	uint32_t uid, gid;
	int64_t mtime;   /* whole seconds */
	uint64_t size;   /* content bytes of PK_REG, else 0 */
	/* where the content comes from: host root @root, at path + src_off inside it */
	int root;        /* index of the scanned DIR, or -1 for an entry distill made */
	size_t src_off;
	uint64_t dev, ino;
	uint32_t nlink;
	/* Entries added with pk_tree_add (images): */
	char *src;            /* content path inside root @root (no symlinks), instead of
			       * path + src_off; or NULL */
	unsigned char *data;  /* content held in memory (owned by the tree), or NULL */
	int from_fd;          /* the content is read from @fd, from offset 0 (the descriptor
			       * stays the caller's, open until the tree is written) */
	int fd;
	int fixed;            /* mode, owner and mtime are final: normalize keeps them */
	int has_sha256;       /* the content must hash to @sha256 when it is written */
	unsigned char sha256[32];
};

enum pk_mtime_mode {
	PK_MTIME_CLAMP, /* min(file mtime, epoch) */
	PK_MTIME_SET,   /* epoch for every entry */
};

/* The normalization policy. */
struct pk_norm {
	int64_t epoch;            /* SOURCE_DATE_EPOCH */
	enum pk_mtime_mode mtime;
	uint32_t uid, gid;        /* owner of every entry */
	int keep_modes;           /* keep permission bits (0777) instead of 0755/0644 */
	int keep_special;         /* keep setuid, setgid and sticky bits */
};

struct pk_tree;

/* @return an empty tree, or NULL when out of memory. */
struct pk_tree *pk_tree_new(void);
void pk_tree_free(struct pk_tree *t);

/* Reads the directory @dir (not following symlinks, confined to @dir) into the tree.
 * Entries keep their host metadata until pk_tree_normalize.
 * @return 0, or a negative code with @err naming the path. */
int pk_tree_add_dir(struct pk_tree *t, const char *dir, const struct pk_scan_opts *opts,
		    struct dt_err *err);

/* Registers @dir as a content root for pk_tree_add. Not scanned.
 * @return its index (>= 0), or a negative code with @err naming @dir. */
int pk_tree_add_root(struct pk_tree *t, const char *dir, struct dt_err *err);

/* Adds a copy of @e, made by the caller (path, type, mode, uid, gid, mtime, link, size,
 * fixed, has_sha256/sha256; root and src for content read from a root, with dev and ino
 * checked when it is opened). @data, when not NULL, is the content (@e->size bytes): the
 * tree takes ownership of it, also on failure. Paths are not checked here: the caller
 * confines them. @return 0, or -DT_ENOMEM with @err set. */
int pk_tree_add(struct pk_tree *t, const struct pk_entry *e, unsigned char *data,
		struct dt_err *err);

/* Applies @norm, sorts (per directory, bytewise: "sub", "sub/x", "sub-a"), adds every
 * missing parent directory, merges directories present in several DIRs (the first one's
 * metadata wins) and turns the second and later names of a hardlinked file into PK_HARDLINK.
 * A non-directory path present twice is an error.
 * @return 0, or a negative code with @err set. */
int pk_tree_normalize(struct pk_tree *t, const struct pk_norm *norm, struct dt_err *err);

size_t pk_tree_count(const struct pk_tree *t);
const struct pk_entry *pk_tree_entry(const struct pk_tree *t, size_t i);

/* Sum of the sizes of the PK_REG entries. */
uint64_t pk_tree_content_bytes(const struct pk_tree *t);

/* Opens the content of a PK_REG entry for reading, confined to its root, and checks that it
 * is still the file that was scanned (same inode and size).
 * @return an fd, or a negative code with @err set. */
int pk_tree_open(const struct pk_tree *t, const struct pk_entry *e, struct dt_err *err);

/* Writes the host path of @e ("DIR/rel") into @buf for messages. */
void pk_tree_source_name(const struct pk_tree *t, const struct pk_entry *e, char *buf,
			 size_t len);

/* The component-wise bytewise order of archive paths. */
int pk_path_cmp(const char *a, const char *b);

#endif
