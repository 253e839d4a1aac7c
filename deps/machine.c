/* SPDX-License-Identifier: MIT */
/* The table of supported ELF machines and its lookups. */
#include "deps/machine.h"

#include <elf.h>
#include <stddef.h>
#include <string.h>

static const struct deps_machine machines[] = {
	{ EM_X86_64, ELFCLASS64, "x86_64", "amd64", NULL, "x86_64-linux-gnu", "amd64" },
	{ EM_AARCH64, ELFCLASS64, "aarch64", "arm64", "v8", "aarch64-linux-gnu", "arm64" },
	{ EM_ARM, ELFCLASS32, "arm", "arm", "v7", "arm-linux-gnueabihf", "armhf" },
	{ EM_RISCV, ELFCLASS64, "riscv64", "riscv64", NULL, "riscv64-linux-gnu", "riscv64" },
	{ EM_386, ELFCLASS32, "i386", "386", NULL, "i386-linux-gnu", "i386" },
	{ EM_PPC64, ELFCLASS64, "ppc64le", "ppc64le", NULL, "powerpc64le-linux-gnu", "ppc64el" },
	{ EM_S390, ELFCLASS64, "s390x", "s390x", NULL, "s390x-linux-gnu", "s390x" },
};

const struct deps_machine *deps_machine_find(uint16_t e_machine, int elf_class)
{
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++)
		if (machines[i].e_machine == e_machine && machines[i].elf_class == elf_class)
			return &machines[i];
	return NULL;
}

const struct deps_machine *deps_machine_by_oci(const char *oci_arch)
{
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++)
		if (strcmp(machines[i].oci_arch, oci_arch) == 0)
			return &machines[i];
	return NULL;
}
