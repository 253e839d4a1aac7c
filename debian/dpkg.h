/* SPDX-License-Identifier: MIT */
/* The dpkg database of a root (/var/lib/dpkg/status and info/<pkg>[:<arch>].list): which
 * installed package owns a path, and its status stanza, for the lock and for the image's
 * /var/lib/dpkg/status.d entries. Read through the confined root walk; a root without a dpkg
 * database is an empty database, not an error. */
#ifndef DISTILL_DEBIAN_DPKG_H
#define DISTILL_DEBIAN_DPKG_H

#include <stddef.h>

#include "common/err.h"
#include "deps/root.h"

struct deb_dpkg_pkg {
	char *name;         /* "libc6" */
	char *arch;         /* "amd64", "all" */
	char *version;      /* "2.36-9+deb12u4" */
	char *stanza;       /* the package's paragraph of the status file, final newline kept */
};

struct deb_dpkg;

/* Reads the database of @root: installed packages ("Status: install ok installed") and
 * their file lists. @return 0 and *@out (never NULL; empty when the root has none), or a
 * negative code with @err naming the file that could not be read or parsed. */
int deb_dpkg_open(const struct deps_root *root, struct deb_dpkg **out, struct dt_err *err);
void deb_dpkg_free(struct deb_dpkg *db);

/* The installed package that lists @path (absolute, inside the root). A path under a
 * merged-/usr alias is also tried under its other name: /usr/lib/x <-> /lib/x, likewise
 * bin, sbin, lib32, lib64, libx32. Directories are owned by many packages: for them the
 * first in name order is returned. @return the package, or NULL. */
const struct deb_dpkg_pkg *deb_dpkg_owner(const struct deb_dpkg *db, const char *path);

/* The installed package @name (any architecture; "name:arch" picks one). NULL when absent. */
const struct deb_dpkg_pkg *deb_dpkg_find(const struct deb_dpkg *db, const char *name);

size_t deb_dpkg_count(const struct deb_dpkg *db);

/* The md5sums dpkg keeps for the installed package @p (info/<name>[:<arch>].md5sums:
 * "<md5>  <path>" lines): *@text is malloc'd, or NULL when the package has none.
 * @return 0, or a negative code with @err naming the file. */
int deb_dpkg_md5sums_read(const struct deps_root *root, const struct deb_dpkg_pkg *p,
			  char **text, struct dt_err *err);

/* The md5 dpkg recorded for the absolute @path of package @p: from @md5sums (its text, or
 * NULL), else from the Conffiles of its status stanza (*@conffile then set). The path is
 * also tried under its merged-/usr alias, as deb_dpkg_owner does. @return 0 with @md5
 * (32 lowercase hex digits), or 1 when dpkg recorded none for it. */
int deb_dpkg_md5_of(const struct deb_dpkg_pkg *p, const char *md5sums, const char *path,
		    char md5[33], int *conffile);

/* One candidate of an alternative in update-alternatives' database. */
struct deb_alt_choice {
	char *path;            /* "/usr/bin/mawk" */
	long priority;
};

/* The database file of one alternative (/var/lib/dpkg/alternatives/NAME): its mode, its
 * master link and its candidates with their priorities (the slaves are read past). */
struct deb_alternative {
	int manual;            /* "manual": an administrator's choice, not the priorities' */
	char *link;            /* the master link: "/usr/bin/awk" */
	struct deb_alt_choice *v;
	size_t n;
};

/* Parses @text, the database file of alternative @name: "auto" or "manual", the link, the
 * slaves (name and link lines) up to an empty line, then each candidate (its path, its
 * priority, one line per slave) up to an empty line. At most 1024 slaves and candidates.
 * @return 0, or -DT_EINPUT naming @name and what is wrong (@out then holds nothing). */
int deb_alternative_parse(const char *name, const char *text, struct deb_alternative *out,
			  struct dt_err *err);
void deb_alternative_release(struct deb_alternative *a);

#endif
