/* SPDX-License-Identifier: MIT */
/* ELF machines distill knows: their names, OCI platform and glibc loader conventions. */
#ifndef DISTILL_DEPS_MACHINE_H
#define DISTILL_DEPS_MACHINE_H

#include <stdint.h>

struct deps_machine {
	uint16_t e_machine;   /* EM_* */
	int elf_class;        /* ELFCLASS32 or ELFCLASS64 */
	const char *name;     /* uname-style: x86_64, aarch64, ... */
	const char *oci_arch; /* OCI/Go GOARCH: amd64, arm64, ... */
	const char *oci_variant; /* "v7", "v8" or NULL */
	const char *multiarch;   /* Debian multiarch triplet: x86_64-linux-gnu */
	const char *deb_arch;    /* Debian architecture: amd64, armhf, i386, ppc64el, ... */
};

/* Looks up the machine of an ELF header's e_machine and class.
 * @return the entry, or NULL when distill does not support that machine. */
const struct deps_machine *deps_machine_find(uint16_t e_machine, int elf_class);

/* Looks up a machine by its OCI architecture name ("amd64", "arm64", ...).
 * @return the entry, or NULL. */
const struct deps_machine *deps_machine_by_oci(const char *oci_arch);

#endif
