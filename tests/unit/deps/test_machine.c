/* SPDX-License-Identifier: MIT */
/* Unit tests of deps/machine: ELF machine to OCI platform. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>

#include "deps/machine.h"

static void test_find(void **state)
{
	const struct deps_machine *m;
	(void)state;
	m = deps_machine_find(EM_X86_64, ELFCLASS64);
	assert_non_null(m);
	assert_string_equal(m->oci_arch, "amd64");
	m = deps_machine_find(EM_AARCH64, ELFCLASS64);
	assert_string_equal(m->oci_arch, "arm64");
	assert_string_equal(m->oci_variant, "v8");
	m = deps_machine_find(EM_386, ELFCLASS32);
	assert_string_equal(m->oci_arch, "386");
	assert_null(deps_machine_find(EM_X86_64, ELFCLASS32)); /* x32 is not supported */
	assert_null(deps_machine_find(EM_SPARC, ELFCLASS32));
	assert_string_equal(deps_machine_by_oci("riscv64")->name, "riscv64");
	assert_null(deps_machine_by_oci("mips"));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_find) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
