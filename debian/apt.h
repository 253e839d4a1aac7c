/* SPDX-License-Identifier: MIT */
/* apt's view of a root: its sources (/etc/apt/sources.list and sources.list.d, one-line and
 * deb822 forms) and the indexes apt fetched for them (/var/lib/apt/lists), verified as apt
 * verifies them: the InRelease (or Release and Release.gpg) signature checked by gpgv
 * against the keyring the source names (Signed-By, else /etc/apt/trusted.gpg and
 * trusted.gpg.d), then each Packages file's size and SHA256 checked against the signed
 * Release, whatever compression apt stored it under (.lz4, .gz, .xz, .zst, .bz2 or none).
 * Only gpgv's output (the signed text) is parsed, never the file around it. Nothing is
 * downloaded here: the indexes are what apt last fetched (Valid-Until is not checked:
 * the lock records what was resolved, and a rebuild needs no index). */
#ifndef DISTILL_DEBIAN_APT_H
#define DISTILL_DEBIAN_APT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "deps/root.h"

struct deb_apt_source {
	char *uri;            /* base URL without a final '/': "http://deb.debian.org/debian" */
	char *suite;          /* "bookworm" */
	char **components;    /* "main", ... */
	size_t ncomponents;
	char *signed_by;      /* keyring paths (inside the root) separated by ' ', an inline
			       * armored key block, or NULL for the trusted keyrings */
	char *where;          /* "/etc/apt/sources.list.d/debian.sources:1", for messages */
};

struct deb_apt_sources {
	struct deb_apt_source *v;
	size_t n, cap;
};

/* Reads the apt sources of @root: /etc/apt/sources.list, then sources.list.d/ *.list and
 * *.sources in name order, as apt does. Only "deb" entries are kept (not deb-src);
 * disabled deb822 paragraphs (Enabled: no) are skipped. A source marked trusted=yes, a
 * flat repository (a suite ending in '/') or a URI that is not http(s) is an error naming
 * its file and line. @return 0 (no sources is not an error: @out is empty), or a negative
 * code with @err set. */
int deb_apt_sources_read(const struct deps_root *root, struct deb_apt_sources *out,
			 struct dt_err *err);

/* Parses @text of the file @name: deb822 when @deb822, else one-line entries. Appends to
 * @out. @return as deb_apt_sources_read. */
int deb_apt_sources_parse(const char *name, const char *text, int deb822,
			  struct deb_apt_sources *out, struct dt_err *err);

/* Adds a source given by the spec (its @where names the spec entry). Validated as a parsed
 * one. @return 0, or a negative code with @err set. */
int deb_apt_sources_add(struct deb_apt_sources *s, const char *uri, const char *suite,
			const char *const *components, size_t ncomponents,
			const char *signed_by, const char *where, struct dt_err *err);

void deb_apt_sources_release(struct deb_apt_sources *s);

/* apt's name for the list file of @uri + "/" + @rest ("dists/bookworm/InRelease") in
 * /var/lib/apt/lists: the scheme and any user:password dropped, apt's special characters
 * quoted as %xx, '/' written as '_' ("deb.debian.org_debian_dists_bookworm_InRelease").
 * @return 0, or -1 when it does not fit in @n bytes. */
int deb_apt_list_name(const char *uri, const char *rest, char *out, size_t n);

/* One package offered by an index. */
struct deb_apt_pkg {
	char *name, *version, *architecture; /* owned by the index */
	char *filename;        /* pool path, relative to the repository: "pool/main/g/glibc/x.deb" */
	uint64_t size;
	char sha256[65];
	size_t source;         /* index into the sources the index was opened with */
};

struct deb_apt_index;

struct deb_apt_opts {
	const char *arch;      /* "amd64": binary-<arch> (and binary-all where the Release has it) */
	const char *lists;     /* the lists directory inside the root; NULL: /var/lib/apt/lists */
	const char *gpgv;      /* the gpgv program; NULL: "gpgv" looked up on PATH */
	const char *shown;     /* deb_apt_release_verify: how messages name the InRelease (its
				* URL), or NULL: its path in the root */
	int skip_unfetched;    /* a source apt has fetched no index of (no InRelease or Release,
				* or no Packages for the architecture) is left out and listed by
				* deb_apt_skipped, not an error; a bad signature or hash still is */
};

/* Opens and verifies the indexes of every source of @s in @root. A source whose InRelease
 * is missing, whose signature does not verify against its keyring, or whose Packages file
 * is missing or differs from the signed Release is an error naming the file ("run apt-get
 * update" where that is the fix). The index keeps a pointer to @s, which must outlive it.
 * @return 0 and *@out, or a negative code with @err set. */
int deb_apt_index_open(const struct deps_root *root, const struct deb_apt_sources *s,
		       const struct deb_apt_opts *o, struct deb_apt_index **out,
		       struct dt_err *err);
void deb_apt_index_free(struct deb_apt_index *idx);

/* The signed text of the Release of source @s, as deb_apt_index_open verifies it: the
 * InRelease (or Release and Release.gpg) under @lists in @root, its signature checked by gpgv
 * against the source's keyring. A missing index is an error here. @return 0 and *@text
 * (malloc'd), or a negative code with @err set. */
int deb_apt_release_verify(const struct deps_root *root, const char *lists,
			   const struct deb_apt_source *s, const struct deb_apt_opts *o, char **text,
			   struct dt_err *err);

/* The package @name at @version for @arch (or "all"), offered by the first source (in the
 * order of the sources) that has it. NULL when none does. */
const struct deb_apt_pkg *deb_apt_find(const struct deb_apt_index *idx, const char *name,
				       const char *version, const char *arch);

/* The package @name in its highest version for which deb_rel_holds(@op, @version, ...)
 * (enum deb_rel_op; 0: any), for @arch or "all", from the first source that has that
 * version. NULL when none is. Virtual packages (Provides) are not looked at. */
const struct deb_apt_pkg *deb_apt_best(const struct deb_apt_index *idx, const char *name,
				       int op, const char *version, const char *arch);

/* Appends to @out the versions of @name the index offers, each once, with where they are
 * offered ("12.4+deb12u15 (http://deb.debian.org/debian bookworm)"), separated by ", ";
 * "nothing" when none. */
void deb_apt_offers(const struct deb_apt_index *idx, const char *name, struct dt_buf *out);

/* The source @p comes from. */
const struct deb_apt_source *deb_apt_pkg_source(const struct deb_apt_index *idx,
						const struct deb_apt_pkg *p);

/* The sources left out by skip_unfetched, each "URI SUITE[ COMPONENT]: what is missing". */
const struct dt_strv *deb_apt_skipped(const struct deb_apt_index *idx);

/* How many packages the index holds (all sources). */
size_t deb_apt_count(const struct deb_apt_index *idx);

/* Parsing alone (tests, fuzzing): the SHA256 entry of @path ("main/binary-amd64/Packages")
 * in the Release text @text: @return 0 with @sha256 and *@size, 1 when absent, or -DT_EINPUT
 * for a malformed entry. */
int deb_apt_release_hash(const char *name, const char *text, const char *path,
			 char sha256[65], uint64_t *size, struct dt_err *err);

/* Parses the Packages text @text (@len bytes, NUL-terminated) of the file @name into @idx
 * as offered by source @source. Each stanza's Package, Version, Architecture, Filename,
 * Size and SHA256 are validated (names and versions as Debian policy has them, Filename a
 * relative path without "..", 64 hex digits); a stanza that breaks them is an error naming
 * @name and the package. @return 0, or a negative code with @err set. */
int deb_apt_packages_parse(struct deb_apt_index *idx, const char *name, const char *text,
			   size_t len, size_t source, struct dt_err *err);

/* An empty index over @s (for deb_apt_packages_parse), or NULL when out of memory. */
struct deb_apt_index *deb_apt_index_new(const struct deb_apt_sources *s);

/* Sorts what deb_apt_packages_parse added, for deb_apt_find; deb_apt_index_open does it. */
void deb_apt_index_sort(struct deb_apt_index *idx);

#endif
