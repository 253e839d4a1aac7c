/* SPDX-License-Identifier: MIT */
/* The licenses of a package from its /usr/share/doc/<pkg>/copyright when that file is
 * machine-readable (DEP-5, copyright-format 1.0), as an SPDX license expression. */
#ifndef DISTILL_DEBIAN_COPYRIGHT_H
#define DISTILL_DEBIAN_COPYRIGHT_H

#include <stddef.h>

#define DEB_COPYRIGHT_MAX (4u << 20) /* larger copyright files are not read */

/* The license expression of the @len bytes of @text (untrusted): the distinct License
 * short names of its Files paragraphs, each as its SPDX identifier (GPL-2+ ->
 * GPL-2.0-or-later, Expat -> MIT, ...; others as LicenseRef-NAME), joined with AND, sorted;
 * a paragraph's "A or B" kept as (A OR B). @return a malloc'd expression, or NULL when the
 * file is not machine-readable, names no license, or is out of bounds (NOASSERTION). */
char *deb_copyright_license(const char *text, size_t len);

#endif
