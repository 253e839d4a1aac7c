/* SPDX-License-Identifier: MIT */
/* Debian package relationships (Policy 7.1): the Depends, Pre-Depends and Provides fields
 * of a control stanza ("libc6 (>= 2.34), libssl3 | libssl1.1, mail-transport-agent"), and
 * the comparison of version strings (Policy 5.6.12: epoch, upstream version, revision, each
 * compared as dpkg does, '~' before everything, even the end). The text comes from .deb
 * files that are not trusted: every name and version is checked, and a field holds at most
 * DEB_REL_MAX relations. */
#ifndef DISTILL_DEBIAN_RELATION_H
#define DISTILL_DEBIAN_RELATION_H

#include <stddef.h>

#include "common/err.h"

#define DEB_REL_MAX 4096 /* relations in one field, alternatives counted */

enum deb_rel_op {
	DEB_REL_ANY, /* no version given */
	DEB_REL_LT,  /* << */
	DEB_REL_LE,  /* <= (and the obsolete <) */
	DEB_REL_EQ,  /* = */
	DEB_REL_GE,  /* >= (and the obsolete >) */
	DEB_REL_GT,  /* >> */
};

struct deb_rel {
	char *name;          /* "libc6" */
	char *arch;          /* the ":any" / ":amd64" qualifier without its colon, or NULL */
	enum deb_rel_op op;
	char *version;       /* NULL with DEB_REL_ANY */
};

/* One clause: alternatives separated by '|', the first one preferred. */
struct deb_rel_clause {
	struct deb_rel *alts;
	size_t nalts;
};

struct deb_relations {
	struct deb_rel_clause *v;
	size_t n;
};

/* Parses the value of a relationship field (continuation lines joined or not: newlines
 * are spaces) into @out (deb_relations_release() it, also after an error). Architecture
 * restrictions ("[amd64]") and build profiles ("<!nocheck>") are skipped, as they only
 * appear in source packages. @return 0, or -DT_EINPUT with @err saying what is wrong
 * ("relation 3: 'Foo' is not a package name"); the caller adds the file and field. */
int deb_relations_parse(const char *text, struct deb_relations *out, struct dt_err *err);
void deb_relations_release(struct deb_relations *r);

/* Whether @s is a valid package name: [a-z0-9][a-z0-9+.-]+ (one character is accepted). */
int deb_name_valid(const char *s);

/* Whether @v is a valid version: [epoch:]upstream[-revision], the epoch digits, the
 * upstream version starting with a digit, only [A-Za-z0-9.+~-] (and ':' after an epoch).
 */
int deb_version_valid(const char *v);

/* Compares two valid versions as dpkg does. @return <0, 0 or >0. */
int deb_version_cmp(const char *a, const char *b);

/* Whether the version @have satisfies @op @want (DEB_REL_ANY: any version, even none; a
 * versioned relation needs a @have). */
int deb_rel_holds(enum deb_rel_op op, const char *want, const char *have);

/* "=", ">=", ... ("" for DEB_REL_ANY). */
const char *deb_rel_op_name(enum deb_rel_op op);

/* Writes the clause as Debian writes it ("libssl3 (>= 3.0.0) | libssl1.1") into @buf,
 * truncated to @size. */
void deb_rel_clause_format(const struct deb_rel_clause *c, char *buf, size_t size);

/* The value of the field @name of a control stanza with its continuation lines joined by
 * spaces (deb_field gives the first line only); malloc'd, or NULL when absent or out of
 * memory (*@oom says which, when not NULL). */
char *deb_field_folded(const char *stanza, const char *name, int *oom);

#endif
