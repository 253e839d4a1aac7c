/* SPDX-License-Identifier: MIT */
/* Debian packages read straight out of the .deb with libarchive (ar, then control.tar.* and
 * data.tar.*), never extracted to disk and never running maintainer scripts. Every member
 * path is checked: ".." components, absolute paths after "./" is removed, and entries below a
 * symlink of the same package are rejected, so a package cannot write outside its image. */
#ifndef DISTILL_DEBIAN_DEB_H
#define DISTILL_DEBIAN_DEB_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum deb_member_type {
	DEB_DIR,
	DEB_REG,
	DEB_SYMLINK,
	DEB_HARDLINK, /* link = the earlier member's path */
};

struct deb_member {
	char *path;               /* image path: absolute, normalized ("/usr/bin/x") */
	enum deb_member_type type;
	uint32_t mode;            /* permission and special bits as the package has them */
	uint32_t uid, gid;
	char *link;               /* symlink target as stored, or the hardlink's first path */
	unsigned char *data;      /* content of DEB_REG (malloc'd), NULL when size is 0 */
	uint64_t size;
	unsigned char sha256[32]; /* of data */
	char *pending;            /* internal to deb.c */
};

struct deb_package {
	char *file;               /* the .deb's path as given, for messages */
	unsigned char sha256[32]; /* of the whole .deb file */
	uint64_t file_size;
	char *package, *version, *architecture; /* from control */
	char *control;            /* the control stanza (the "control" member's text, with a
				   * final newline), for /var/lib/dpkg/status.d */
	struct deb_member *entries; /* in the order of data.tar, directories included */
	size_t nentries;
};

/* Decides which data members are kept: called with the image path of each member.
 * @return nonzero to keep it. NULL keeps everything. Directories are always kept. A kept
 * hardlink whose first name is left out becomes a regular file with its content. */
typedef int (*deb_filter_fn)(void *ctx, const char *path);

/* Reads the .deb at @path (control fields, and the content of the kept members).
 * Limits: members above 1 GiB and packages above 4 GiB of content are errors.
 * @return 0 and *@out (free with deb_package_free), or a negative code with @err naming the
 * file and the member ("'x.deb': data.tar member '../etc/passwd' leaves the package root"). */
int deb_package_read(const char *path, deb_filter_fn filter, void *ctx, struct deb_package **out,
		struct dt_err *err);

/* Reads only the control fields and the file's sha256 (no data members kept).
 * @return as deb_package_read. */
int deb_package_read_control(const char *path, struct deb_package **out, struct dt_err *err);

/* The same, from memory (fuzzing, tests); @name is used in messages. */
int deb_package_read_mem(const char *name, const void *buf, size_t len, deb_filter_fn filter,
		    void *ctx, struct deb_package **out, struct dt_err *err);

void deb_package_free(struct deb_package *d);

#endif
