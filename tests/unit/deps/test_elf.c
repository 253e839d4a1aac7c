/* SPDX-License-Identifier: MIT */
/* Unit tests of deps/elf: this machine's own program, libc and loader, programs built here
 * with cc (RUNPATH, RPATH, imports, notes, static), and files that are not ELF or are
 * malformed copies, which must give an error naming them and never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps/elf.h"
#include "testlib.h"

#define LOADER "/lib64/ld-linux-x86-64.so.2"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

/* Reads @path with deps_elf_read, naming it @name. @return its code. */
static int read_elf(const char *path, const char *name, unsigned flags, struct deps_elf **e,
		    struct dt_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	assert_true(fd >= 0);
	dt_err_clear(err);
	rc = deps_elf_read(fd, name, flags, e, err);
	close(fd);
	return rc;
}

static int has_needed(const struct deps_elf *e, const char *name)
{
	for (size_t i = 0; i < e->nneeded; i++)
		if (strcmp(e->needed[i], name) == 0)
			return 1;
	return 0;
}

static void test_program(void **state)
{
	struct deps_elf *e = NULL;
	struct dt_err err;
	(void)state;
	assert_int_equal(read_elf(tl_host_program(), "prog", DEPS_ELF_IMPORTS, &e, &err), 0);
	assert_int_equal(e->elf_class, ELFCLASS64);
	assert_int_equal(e->data, ELFDATA2LSB);
	assert_int_equal(e->machine, EM_X86_64);
	assert_int_equal(e->type, ET_DYN); /* Debian builds PIE */
	assert_true(e->flags_1 & DF_1_PIE);
	assert_true(e->dynamic);
	assert_string_equal(e->interp, LOADER);
	assert_true(has_needed(e, "libc.so.6"));
	assert_null(e->soname);
	assert_null(e->rpath);
	assert_null(e->runpath);
	deps_elf_free(e);
}

static void test_libc_and_loader(void **state)
{
	struct deps_elf *e = NULL;
	struct dt_err err;
	(void)state;
	assert_int_equal(read_elf(LIBC, "libc", DEPS_ELF_IMPORTS, &e, &err), 0);
	assert_int_equal(e->machine, EM_X86_64);
	assert_int_equal(e->type, ET_DYN);
	assert_string_equal(e->soname, "libc.so.6");
	assert_true(has_needed(e, "ld-linux-x86-64.so.2"));
	assert_string_equal(e->interp, LOADER); /* glibc's libc.so.6 runs as a program too */
	assert_int_equal(e->imports, 0);        /* it defines these symbols, never imports them */
	deps_elf_free(e);

	assert_int_equal(read_elf(LOADER, "ld.so", 0, &e, &err), 0);
	assert_int_equal(e->elf_class, ELFCLASS64);
	assert_int_equal(e->type, ET_DYN);
	assert_string_equal(e->soname, "ld-linux-x86-64.so.2");
	assert_null(e->interp);
	assert_true(e->dynamic);
	assert_int_equal(e->nneeded, 0);
	assert_null(e->needed);
	deps_elf_free(e);
}

static int has_verneed(const struct deps_elf *e, const char *file, const char *version)
{
	for (size_t i = 0; i < e->nverneed; i++)
		if (strcmp(e->verneed[i].file, file) == 0 &&
		    strcmp(e->verneed[i].version, version) == 0)
			return 1;
	return 0;
}

static int has_verdef(const struct deps_elf *e, const char *version)
{
	for (size_t i = 0; i < e->nverdef; i++)
		if (strcmp(e->verdef[i], version) == 0)
			return 1;
	return 0;
}

/* DT_VERNEED and DT_VERDEF, with DEPS_ELF_VERSIONS only: the program needs GLIBC_2.2.5 from
 * libc.so.6 (every x86-64 program does), libc defines GLIBC_2.2.5 and GLIBC_2.34, its base
 * entry (its own name) left out. */
static void test_versions(void **state)
{
	struct deps_elf *e = NULL;
	struct dt_err err;
	(void)state;
	assert_int_equal(read_elf(tl_host_program(), "prog", 0, &e, &err), 0);
	assert_int_equal(e->nverneed, 0); /* not asked for */
	deps_elf_free(e);
	assert_int_equal(read_elf(tl_host_program(), "prog", DEPS_ELF_VERSIONS, &e, &err), 0);
	assert_true(has_verneed(e, "libc.so.6", "GLIBC_2.2.5"));
	for (size_t i = 0; i < e->nverneed; i++)
		assert_false(e->verneed[i].weak);
	deps_elf_free(e);
	assert_int_equal(read_elf(LIBC, "libc", DEPS_ELF_VERSIONS, &e, &err), 0);
	assert_true(e->has_verdef);
	assert_true(has_verdef(e, "GLIBC_2.2.5"));
	assert_true(has_verdef(e, "GLIBC_2.34"));
	assert_false(has_verdef(e, "libc.so.6"));
	assert_true(has_verneed(e, "ld-linux-x86-64.so.2", "GLIBC_PRIVATE"));
	deps_elf_free(e);
}

static const char prog_c[] =
	"#include <execinfo.h>\n#include <iconv.h>\n#include <pthread.h>\n"
	"int main(int argc, char **argv)\n{\n\tvoid *bt[4];\n\t(void)argv;\n"
	"\tif (argc > 99) {\n\t\tpthread_cancel(pthread_self());\n"
	"\t\ticonv_open(\"UTF-8\", \"LATIN1\");\n\t\tbacktrace(bt, 4);\n"
	"\t\tpthread_exit(0);\n\t}\n\treturn 0;\n}\n";

/* One FDO dlopen note (owner "FDO", type 0x407c0c0a) with a JSON payload. */
static const char note_c[] =
	"__asm__(\".pushsection .note.dlopen,\\\"a\\\",%note\\n.balign 4\\n.long 4\\n"
	".long 2f-1f\\n.long 0x407c0c0a\\n.asciz \\\"FDO\\\"\\n"
	"1: .asciz \\\"[{\\\\\\\"soname\\\\\\\":[\\\\\\\"libz.so.1\\\\\\\"]}]\\\"\\n"
	"2: .balign 4\\n.popsection\\n\");\n"
	"int note_v(void) { return 1; }\n";

static void test_built(void **state)
{
	const char *d = tl_tmpdir();
	struct deps_elf *e = NULL;
	struct dt_err err;
	char p[4096];
	(void)state;
	tl_write(d, "prog.c", prog_c, (size_t)-1, 0644);
	tl_write(d, "note.c", note_c, (size_t)-1, 0644);
	tl_write(d, "lib.c", "int lib_v(void) { return 1; }\n", (size_t)-1, 0644);
	tl_cc(d, "-shared -fPIC -o libt.so -Wl,-soname,libt.so.1 -Wl,-z,nodefaultlib lib.c");
	tl_cc(d, "-o runpath prog.c -Wl,--no-as-needed -L. -lt "
		 "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib:/opt/x'");
	tl_cc(d, "-no-pie -o rpath prog.c -Wl,--disable-new-dtags,-rpath,/opt/r");
	tl_cc(d, "-shared -fPIC -o libnote.so note.c");
	tl_cc(d, "-static -o static lib.c -Dlib_v=main");

	/* a library: its soname and DT_FLAGS_1 */
	assert_int_equal(read_elf(tl_path(p, d, "libt.so"), "libt.so", 0, &e, &err), 0);
	assert_int_equal(e->type, ET_DYN);
	assert_string_equal(e->soname, "libt.so.1");
	assert_true(e->flags_1 & DF_1_NODEFLIB);
	assert_null(e->interp);
	deps_elf_free(e);

	/* RUNPATH, needed names in link order, and the imports that imply run-time loads */
	assert_int_equal(read_elf(tl_path(p, d, "runpath"), "runpath", DEPS_ELF_IMPORTS, &e,
				  &err), 0);
	assert_string_equal(e->runpath, "$ORIGIN/../lib:/opt/x");
	assert_null(e->rpath);
	assert_int_equal(e->nneeded, 2);
	assert_string_equal(e->needed[0], "libt.so.1");
	assert_string_equal(e->needed[1], "libc.so.6");
	assert_int_equal(e->imports, DEPS_IMPORT_PTHREAD_CANCEL | DEPS_IMPORT_PTHREAD_EXIT |
				     DEPS_IMPORT_BACKTRACE | DEPS_IMPORT_ICONV_OPEN);
	deps_elf_free(e);
	/* without DEPS_ELF_IMPORTS the symbol table is not read */
	assert_int_equal(read_elf(tl_path(p, d, "runpath"), "runpath", 0, &e, &err), 0);
	assert_int_equal(e->imports, 0);
	deps_elf_free(e);

	/* RPATH, in a position-dependent executable */
	assert_int_equal(read_elf(tl_path(p, d, "rpath"), "rpath", 0, &e, &err), 0);
	assert_int_equal(e->type, ET_EXEC);
	assert_string_equal(e->rpath, "/opt/r");
	assert_null(e->runpath);
	assert_string_equal(e->interp, LOADER);
	deps_elf_free(e);

	/* the payload of a .note.dlopen note, unparsed */
	assert_int_equal(read_elf(tl_path(p, d, "libnote.so"), "libnote.so", 0, &e, &err), 0);
	assert_int_equal(e->ndlopen_notes, 1);
	assert_string_equal(e->dlopen_notes[0], "[{\"soname\":[\"libz.so.1\"]}]");
	deps_elf_free(e);

	/* static: no interpreter, no dynamic section */
	assert_int_equal(read_elf(tl_path(p, d, "static"), "static", DEPS_ELF_IMPORTS, &e, &err),
			 0);
	assert_int_equal(e->type, ET_EXEC);
	assert_null(e->interp);
	assert_false(e->dynamic);
	assert_int_equal(e->nneeded, 0);
	deps_elf_free(e);
	tl_rmtree(d);
}

static void test_not_elf(void **state)
{
	const char *d = tl_tmpdir();
	struct deps_elf *e = NULL;
	struct dt_err err;
	char p[4096];
	(void)state;
	tl_write(d, "text", "#!/bin/sh\necho this is not an ELF file\n", (size_t)-1, 0755);
	tl_write(d, "empty", "", 0, 0644);
	tl_write(d, "magic", "\x7f" "ELF", 4, 0644); /* the magic and nothing more */
	assert_int_equal(read_elf(tl_path(p, d, "text"), "text", 0, &e, &err), -DT_EINPUT);
	assert_null(e);
	assert_int_equal(err.code, DT_EINPUT);
	assert_int_equal(err.sys_errno, ENOEXEC);
	assert_string_equal(err.msg, "'text': not an ELF file");
	assert_int_equal(read_elf(tl_path(p, d, "empty"), "empty", 0, &e, &err), -DT_EINPUT);
	assert_int_equal(err.sys_errno, ENOEXEC);
	assert_string_equal(err.msg, "'empty': not an ELF file");
	assert_int_equal(read_elf(tl_path(p, d, "magic"), "magic", 0, &e, &err), -DT_EINPUT);
	assert_null(e);
	assert_int_equal(err.sys_errno, ENOEXEC);
	assert_string_equal(err.msg, "'magic': not an ELF file");
	tl_rmtree(d);
}

/* A 32-bit header with no program headers: its class and machine, nothing to load. */
static void test_elf32(void **state)
{
	const char *d = tl_tmpdir();
	unsigned char h[4096] = { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, EV_CURRENT };
	struct deps_elf *e = NULL;
	struct dt_err err;
	char p[4096];
	(void)state;
	h[16] = ET_DYN;
	h[18] = EM_386;
	h[20] = EV_CURRENT;
	h[40] = sizeof(Elf32_Ehdr);
	tl_write(d, "w32", h, sizeof(h), 0644);
	assert_int_equal(read_elf(tl_path(p, d, "w32"), "w32", DEPS_ELF_IMPORTS, &e, &err), 0);
	assert_int_equal(e->elf_class, ELFCLASS32);
	assert_int_equal(e->machine, EM_386);
	assert_int_equal(e->type, ET_DYN);
	assert_false(e->dynamic);
	assert_null(e->interp);
	deps_elf_free(e);
	tl_rmtree(d);
}

/* A copy of this machine's program in @d/@name, truncated to @len bytes when not 0. */
static void copy_program(const char *d, const char *name, size_t len)
{
	tl_copy(tl_host_program(), d, name, len ? len : (size_t)-1, 0755);
}

static int open_rw(const char *d, const char *name)
{
	char p[4096];
	int fd = open(tl_path(p, d, name), O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* The index of the first program header of @type in the file @fd, and the header. */
static int find_phdr(int fd, uint32_t type, Elf64_Phdr *ph)
{
	Elf64_Ehdr eh;

	assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	for (int i = 0; i < eh.e_phnum; i++) {
		off_t off = (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize);
		assert_int_equal(pread(fd, ph, sizeof(*ph), off), sizeof(*ph));
		if (ph->p_type == type)
			return i;
	}
	fail_msg("no program header of type %u", type);
	return -1;
}

static void write_phdr(int fd, int i, const Elf64_Phdr *ph)
{
	Elf64_Ehdr eh;
	off_t off;

	assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	off = (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize);
	assert_int_equal(pwrite(fd, ph, sizeof(*ph), off), sizeof(*ph));
}

/* Sets the value of the first dynamic entry of @tag in the file @fd. */
static void patch_dyn(int fd, int64_t tag, uint64_t val)
{
	Elf64_Phdr ph;
	Elf64_Dyn dy;

	find_phdr(fd, PT_DYNAMIC, &ph);
	for (uint64_t off = ph.p_offset; off < ph.p_offset + ph.p_filesz; off += sizeof(dy)) {
		assert_int_equal(pread(fd, &dy, sizeof(dy), (off_t)off), sizeof(dy));
		if (dy.d_tag == tag) {
			dy.d_un.d_val = val;
			assert_int_equal(pwrite(fd, &dy, sizeof(dy), (off_t)off), sizeof(dy));
			return;
		}
	}
	fail_msg("no dynamic entry %ld", (long)tag);
}

static void expect_malformed(const char *d, const char *name, const char *what)
{
	struct deps_elf *e = NULL;
	struct dt_err err;
	char p[4096], want[1024];

	snprintf(want, sizeof(want), "'%s': malformed ELF file: %s", name, what);
	assert_int_equal(read_elf(tl_path(p, d, name), name, DEPS_ELF_IMPORTS, &e, &err),
			 -DT_EINPUT);
	assert_null(e);
	assert_int_equal(err.code, DT_EINPUT);
	assert_string_equal(err.msg, want);
}

static void test_malformed(void **state)
{
	const char *d = tl_tmpdir();
	Elf64_Phdr ph;
	struct stat st;
	int fd, i;
	(void)state;

	/* the ELF header alone: its program headers lie past the end */
	copy_program(d, "header-only", sizeof(Elf64_Ehdr));
	expect_malformed(d, "header-only", "cannot read the program header count");

	/* PT_DYNAMIC past the end of the file, or longer than the file */
	copy_program(d, "dyn-outside", 0);
	fd = open_rw(d, "dyn-outside");
	assert_int_equal(fstat(fd, &st), 0);
	i = find_phdr(fd, PT_DYNAMIC, &ph);
	ph.p_offset = (uint64_t)st.st_size + 4096;
	write_phdr(fd, i, &ph);
	close(fd);
	expect_malformed(d, "dyn-outside", "PT_DYNAMIC lies outside the file");
	copy_program(d, "dyn-long", 0);
	fd = open_rw(d, "dyn-long");
	i = find_phdr(fd, PT_DYNAMIC, &ph);
	ph.p_filesz = UINT64_MAX - 8; /* offset + size wraps around */
	write_phdr(fd, i, &ph);
	close(fd);
	expect_malformed(d, "dyn-long", "PT_DYNAMIC lies outside the file");
	copy_program(d, "dyn-small", 0);
	fd = open_rw(d, "dyn-small");
	i = find_phdr(fd, PT_DYNAMIC, &ph);
	ph.p_filesz = 8;
	write_phdr(fd, i, &ph);
	close(fd);
	expect_malformed(d, "dyn-small", "PT_DYNAMIC is too small");

	/* PT_INTERP past the end */
	copy_program(d, "interp-outside", 0);
	fd = open_rw(d, "interp-outside");
	i = find_phdr(fd, PT_INTERP, &ph);
	ph.p_offset = 1u << 30;
	write_phdr(fd, i, &ph);
	close(fd);
	expect_malformed(d, "interp-outside", "PT_INTERP is not a string inside the file");

	/* the string table outside every PT_LOAD, a name outside the string table */
	copy_program(d, "strtab-outside", 0);
	fd = open_rw(d, "strtab-outside");
	patch_dyn(fd, DT_STRTAB, UINT64_C(1) << 50);
	close(fd);
	expect_malformed(d, "strtab-outside", "DT_STRTAB lies outside the file");
	copy_program(d, "needed-outside", 0);
	fd = open_rw(d, "needed-outside");
	patch_dyn(fd, DT_NEEDED, 0xffffffffu);
	close(fd);
	expect_malformed(d, "needed-outside", "DT_NEEDED points outside DT_STRTAB");
	tl_rmtree(d);
}

/* Every truncation of the program, a page at a time: a result or an error naming the file,
 * never a crash or an out-of-bounds read (the sanitizers and valgrind watch). */
static void test_truncated(void **state)
{
	const char *d = tl_tmpdir();
	size_t len;
	char *buf = tl_read(tl_host_program(), &len), p[4096];
	(void)state;
	for (size_t n = 1; n < len; n += n < 256 ? 17 : 1024) {
		struct deps_elf *e = NULL;
		struct dt_err err;
		int rc;
		tl_write(d, "cut", buf, n, 0644);
		rc = read_elf(tl_path(p, d, "cut"), "cut", DEPS_ELF_IMPORTS, &e, &err);
		if (rc == 0) {
			assert_int_equal(e->machine, EM_X86_64);
			deps_elf_free(e);
			continue;
		}
		assert_int_equal(rc, -DT_EINPUT);
		assert_null(e);
		assert_true(strncmp(err.msg, "'cut': ", 7) == 0);
	}
	free(buf);
	tl_rmtree(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program),
		cmocka_unit_test(test_libc_and_loader),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_built),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_elf32),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
