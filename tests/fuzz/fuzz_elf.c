/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the ELF reader (deps/elf.c) on arbitrary bytes. It must return an
 * error or a result, never crash, read out of bounds or leak. */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "deps/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deps_elf *e = NULL;
	struct dt_err err;
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0 &&
	    deps_elf_read(fd, "input", DEPS_ELF_IMPORTS | DEPS_ELF_VERSIONS, &e, &err) == 0) {
		/* Touch every string, so a bad one shows up under ASan. */
		volatile size_t sum = 0;
		for (size_t i = 0; i < e->nneeded; i++)
			sum += e->needed[i][0];
		if (e->interp)
			sum += e->interp[0];
		if (e->soname)
			sum += e->soname[0];
		for (size_t i = 0; i < e->nverneed; i++)
			sum += e->verneed[i].file[0] + e->verneed[i].version[0];
		for (size_t i = 0; i < e->nverdef; i++)
			sum += e->verdef[i][0];
		(void)sum;
	}
	deps_elf_free(e);
	close(fd);
	return 0;
}
