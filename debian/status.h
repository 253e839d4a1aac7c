/* SPDX-License-Identifier: MIT */
/* /var/lib/dpkg/status.d, as distroless images carry it: one file per package holding its
 * status stanza (status.d/<pkg>), and the md5sums of the files it owns
 * (status.d/<pkg>.md5sums, "<md5>  <path>" lines, paths without the leading "/"). Written
 * by the image builder, read back by `distill inspect`; and the fields of a stanza. */
#ifndef DISTILL_DEBIAN_STATUS_H
#define DISTILL_DEBIAN_STATUS_H

#include <stddef.h>

#include "common/buf.h"
#include "common/digest.h"

#define DEB_STATUS_D "/var/lib/dpkg/status.d/"

/* Appends the md5sums line of the image path @path ("/usr/bin/x"). */
void deb_status_md5sums_add(struct dt_buf *b, const unsigned char md5[DT_MD5_LEN],
			    const char *path);

/* Receives the path of one md5sums line ("usr/bin/x": no leading "./" or "/", no trailing
 * "/"). @return 0 to go on, or a negative value to stop. */
typedef int (*deb_md5sums_fn)(void *ctx, const char *path);

/* Calls @fn for each line of the md5sums text @text (modified: its lines are cut; a line
 * without "  " is skipped). @return 0, or @fn's negative value. */
int deb_status_md5sums_parse(char *text, deb_md5sums_fn fn, void *ctx);

/* The value of the field @name ("Version") of a control or status stanza (field names are
 * case-blind, as Debian policy has them): its first line, trimmed; malloc'd, or NULL when
 * absent, empty or out of memory. */
char *deb_field(const char *stanza, const char *name);

#endif
