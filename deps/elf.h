/* SPDX-License-Identifier: MIT */
/* Reads what the dynamic loader reads from an ELF file, through libelf and the program
 * headers only (as ld.so does, so files without section headers work): class, machine,
 * PT_INTERP, and from PT_DYNAMIC the needed names, soname, RPATH, RUNPATH and flags. The
 * dynamic symbol table adds the imports that imply run-time loads. Never executes anything. */
#ifndef DISTILL_DEPS_ELF_H
#define DISTILL_DEPS_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Imported symbols that make glibc load something no DT_NEEDED shows. */
enum {
	DEPS_IMPORT_PTHREAD_CANCEL = 1 << 0, /* libgcc_s.so.1 (unwinding) */
	DEPS_IMPORT_PTHREAD_EXIT = 1 << 1,   /* libgcc_s.so.1 */
	DEPS_IMPORT_BACKTRACE = 1 << 2,      /* libgcc_s.so.1 */
	DEPS_IMPORT_ICONV_OPEN = 1 << 3,     /* gconv modules */
};

/* One version a file needs from a library (DT_VERNEED): "GLIBC_2.34" from "libc.so.6". */
struct deps_verneed {
	char *file;           /* vn_file: the soname it was linked against */
	char *version;        /* vna_name */
	int weak;             /* VER_FLG_WEAK: ld.so does not insist */
};

/* An undefined symbol: its name and, when versioned, the version it needs. */
struct deps_symref {
	char *name;
	char *version;        /* or NULL */
};

struct deps_elf {
	int elf_class;        /* ELFCLASS32 or ELFCLASS64 */
	int data;             /* ELFDATA2LSB or ELFDATA2MSB */
	uint16_t machine;     /* EM_* */
	uint16_t type;        /* ET_EXEC, ET_DYN, ... */
	char *interp;         /* PT_INTERP, or NULL */
	int dynamic;          /* has PT_DYNAMIC */
	char *soname;         /* DT_SONAME, or NULL */
	char **needed;        /* DT_NEEDED, in file order */
	size_t nneeded;
	char *rpath;          /* DT_RPATH, or NULL */
	char *runpath;        /* DT_RUNPATH, or NULL */
	uint64_t flags_1;     /* DT_FLAGS_1 (DF_1_NODEFLIB, DF_1_PIE, ...) */
	unsigned imports;     /* DEPS_IMPORT_* */
	char **dlopen_notes;  /* payloads (JSON text) of "FDO" .note.dlopen notes, unparsed */
	size_t ndlopen_notes;
	/* With DEPS_ELF_VERSIONS only: */
	struct deps_verneed *verneed; /* DT_VERNEED, in file order */
	size_t nverneed;
	char **verdef;        /* DT_VERDEF's version names, the base (the file's own name) left
			       * out */
	size_t nverdef;
	int has_verdef;       /* has DT_VERDEF at all (ld.so checks nothing against a library
			       * without one) */
	/* With DEPS_ELF_SYMBOLS only (from the section headers: .dynsym and the GNU version
	 * sections; a file without them has none): */
	struct deps_symref *undef; /* undefined non-weak symbols it references */
	size_t nundef;
	char **defs;          /* the symbols it exports: "name", and "name@VERSION" for a
			       * versioned one; sorted (strcmp), each once */
	size_t ndefs;
};


/* The freedesktop dlopen-metadata note: owner "FDO", this type, a JSON payload. */
#define DEPS_NOTE_FDO_DLOPEN 0x407c0c0au

/* What deps_elf_read reads beyond the headers and the dynamic section. */
enum {
	DEPS_ELF_IMPORTS = 1 << 0, /* scan .dynsym for the DEPS_IMPORT_* symbols (costly on big
				    * files; only run-time load detection needs it) */
	DEPS_ELF_VERSIONS = 1 << 1, /* DT_VERNEED and DT_VERDEF (the start-up check) */
	DEPS_ELF_SYMBOLS = 1 << 2,  /* undef and defs (the start-up check's --symbols) */
};

/* Reads the ELF file open on @fd; @name is used in errors ("'name': not an ELF file").
 * @return 0 and *@out (free with deps_elf_free), -DT_EINPUT when the file is not ELF
 * (err->sys_errno is ENOEXEC then) or is malformed, or another negative code. */
int deps_elf_read(int fd, const char *name, unsigned flags, struct deps_elf **out,
		  struct dt_err *err);

void deps_elf_free(struct deps_elf *e);

#endif
