/* SPDX-License-Identifier: MIT */
/* The ELF reader of elf.h. Every offset and size from the file is checked against the file
 * before use; libelf's raw chunks do the reading. */
#include "deps/elf.h"

#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_NEEDED 4096
#define MAX_VERSIONS 65536 /* version needs or definitions of one file */

struct reader {
	Elf *elf;
	const char *name;
	uint64_t file_size;
	GElf_Phdr *ph;
	size_t nph;
	unsigned flags;
	struct dt_err *err;
};

static int bad(struct reader *r, const char *what)
{
	return dt_err_set(r->err, DT_EINPUT, "'%s': malformed ELF file: %s", r->name, what);
}

/* Maps a virtual address to a file offset through the PT_LOAD segments. */
static int vaddr_to_offset(const struct reader *r, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < r->nph; i++) {
		const GElf_Phdr *p = &r->ph[i];
		if (p->p_type == PT_LOAD && vaddr >= p->p_vaddr &&
		    vaddr - p->p_vaddr < p->p_filesz) {
			*off = p->p_offset + (vaddr - p->p_vaddr);
			return 0;
		}
	}
	return -1;
}

static int in_file(const struct reader *r, uint64_t off, uint64_t len)
{
	return off <= r->file_size && len <= r->file_size - off;
}

static char *dup_string(const char *tab, uint64_t tabsz, uint64_t off)
{
	if (off >= tabsz || !memchr(tab + off, '\0', tabsz - off))
		return NULL;
	return strdup(tab + off);
}

static void note_import(struct deps_elf *e, const char *sym)
{
	if (strcmp(sym, "pthread_cancel") == 0)
		e->imports |= DEPS_IMPORT_PTHREAD_CANCEL;
	else if (strcmp(sym, "pthread_exit") == 0)
		e->imports |= DEPS_IMPORT_PTHREAD_EXIT;
	else if (strcmp(sym, "backtrace") == 0)
		e->imports |= DEPS_IMPORT_BACKTRACE;
	else if (strcmp(sym, "iconv_open") == 0)
		e->imports |= DEPS_IMPORT_ICONV_OPEN;
}

/* Undefined symbols of .dynsym, when section headers exist (optional information). */
static void read_imports(struct reader *r, struct deps_elf *e)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(r->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0)
			continue;
		if (!in_file(r, sh.sh_offset, sh.sh_size) || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s;
			if (!gelf_getsym(d, (int)i, &sym))
				break;
			if (sym.st_shndx != SHN_UNDEF || sym.st_name == 0)
				continue;
			if ((s = elf_strptr(r->elf, sh.sh_link, sym.st_name)))
				note_import(e, s);
		}
	}
}

#define MAX_SYMBOLS (1u << 20) /* .dynsym entries of one file */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The data of the first section of @type, with its header; NULL when none. */
static Elf_Data *section(struct reader *r, Elf64_Word type, GElf_Shdr *sh, Elf_Scn **out)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(r->elf, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type == type && in_file(r, sh->sh_offset, sh->sh_size)) {
			*out = scn;
			return elf_getdata(scn, NULL);
		}
	return NULL;
}

/* Version index -> name, from .gnu.version_d (vd_ndx) and .gnu.version_r (vna_other). */
static int version_names(struct reader *r, const char **names, size_t max)
{
	GElf_Shdr sh;
	Elf_Scn *scn;
	Elf_Data *d;

	if ((d = section(r, SHT_GNU_verdef, &sh, &scn))) {
		size_t off = 0;
		for (size_t i = 0; i < MAX_VERSIONS; i++) {
			GElf_Verdef vd;
			GElf_Verdaux va;
			if (!gelf_getverdef(d, (int)off, &vd))
				break;
			if (vd.vd_cnt && vd.vd_ndx < max && gelf_getverdaux(d, (int)(off + vd.vd_aux), &va))
				names[vd.vd_ndx] = elf_strptr(r->elf, sh.sh_link, va.vda_name);
			if (!vd.vd_next)
				break;
			off += vd.vd_next;
		}
	}
	if ((d = section(r, SHT_GNU_verneed, &sh, &scn))) {
		size_t off = 0;
		for (size_t i = 0; i < MAX_VERSIONS; i++) {
			GElf_Verneed vn;
			size_t aoff;
			if (!gelf_getverneed(d, (int)off, &vn))
				break;
			aoff = off + vn.vn_aux;
			for (size_t j = 0; j < vn.vn_cnt; j++) {
				GElf_Vernaux va;
				if (!gelf_getvernaux(d, (int)aoff, &va))
					break;
				if (va.vna_other < max)
					names[va.vna_other] = elf_strptr(r->elf, sh.sh_link, va.vna_name);
				if (!va.vna_next)
					break;
				aoff += va.vna_next;
			}
			if (!vn.vn_next)
				break;
			off += vn.vn_next;
		}
	}
	return 0;
}

/* .dynsym: what the file references undefined (not weak), and what it exports. */
static int read_symbols(struct reader *r, struct deps_elf *e)
{
	GElf_Shdr sh, vsh;
	Elf_Scn *scn, *vscn;
	Elf_Data *d = section(r, SHT_DYNSYM, &sh, &scn), *vd;
	const char **vnames = NULL;
	size_t n, w = 0;
	int rc = 0;

	if (!d || sh.sh_entsize == 0)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	if (n > MAX_SYMBOLS)
		return bad(r, "too many dynamic symbols");
	vd = section(r, SHT_GNU_versym, &vsh, &vscn);
	if (vd && !(vnames = calloc(MAX_VERSIONS, sizeof(*vnames))))
		return dt_oom(r->err);
	if (vd)
		version_names(r, vnames, MAX_VERSIONS);
	for (size_t i = 1; i < n && rc == 0; i++) {
		GElf_Sym sym;
		GElf_Versym vs = 0;
		const char *name, *ver = NULL;
		int bind;
		if (!gelf_getsym(d, (int)i, &sym))
			break;
		if (sym.st_name == 0 || !(name = elf_strptr(r->elf, sh.sh_link, sym.st_name)) || !*name)
			continue;
		if (vd && gelf_getversym(vd, (int)i, &vs) && (vs & 0x7fff) > 1)
			ver = vnames[vs & 0x7fff];
		bind = GELF_ST_BIND(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF) {
			struct deps_symref *v;
			if (bind != STB_GLOBAL)
				continue; /* a weak reference may stay unresolved */
			if (!(v = realloc(e->undef, (e->nundef + 1) * sizeof(*v)))) {
				rc = dt_oom(r->err);
				break;
			}
			e->undef = v;
			v += e->nundef;
			v->version = NULL;
			if (!(v->name = strdup(name))) {
				rc = dt_oom(r->err);
				break;
			}
			e->nundef++;
			if (ver && !(v->version = strdup(ver)))
				rc = dt_oom(r->err);
			continue;
		}
		if ((bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) ||
		    GELF_ST_VISIBILITY(sym.st_other) == STV_HIDDEN ||
		    GELF_ST_VISIBILITY(sym.st_other) == STV_INTERNAL)
			continue;
		{
			char **v = realloc(e->defs, (e->ndefs + 2) * sizeof(*v));
			if (!v) {
				rc = dt_oom(r->err);
				break;
			}
			e->defs = v;
			if (!(v[e->ndefs] = strdup(name))) {
				rc = dt_oom(r->err);
				break;
			}
			e->ndefs++;
			if (ver && asprintf(&v[e->ndefs], "%s@%s", name, ver) < 0) {
				rc = dt_oom(r->err);
				break;
			}
			e->ndefs += ver != NULL;
		}
	}
	free(vnames);
	if (rc < 0)
		return rc;
	if (e->ndefs > 1)
		qsort(e->defs, e->ndefs, sizeof(*e->defs), str_cmp);
	for (size_t i = 0; i < e->ndefs; i++) {
		if (w && strcmp(e->defs[w - 1], e->defs[i]) == 0)
			free(e->defs[i]);
		else
			e->defs[w++] = e->defs[i];
	}
	e->ndefs = w;
	return 0;
}

/* The bytes from @vaddr to the end of its PT_LOAD segment's file image (at most 1 MiB). */
static const unsigned char *segment_bytes(struct reader *r, uint64_t vaddr, uint64_t *len)
{
	for (size_t i = 0; i < r->nph; i++) {
		const GElf_Phdr *p = &r->ph[i];
		Elf_Data *d;
		uint64_t off, n;
		if (p->p_type != PT_LOAD || vaddr < p->p_vaddr || vaddr - p->p_vaddr >= p->p_filesz)
			continue;
		off = p->p_offset + (vaddr - p->p_vaddr);
		n = p->p_filesz - (vaddr - p->p_vaddr);
		if (n > (1u << 20))
			n = 1u << 20;
		if (!in_file(r, off, n) ||
		    !(d = elf_getdata_rawchunk(r->elf, (int64_t)off, n, ELF_T_BYTE)))
			return NULL;
		*len = n;
		return d->d_buf;
	}
	return NULL;
}

static uint32_t get(const struct deps_elf *e, const unsigned char *p, int width)
{
	uint32_t v = 0;
	for (int i = 0; i < width; i++)
		v |= (uint32_t)p[e->data == ELFDATA2MSB ? width - 1 - i : i] << (8 * i);
	return v;
}

/* DT_VERNEED (Elf_Verneed and Elf_Vernaux records, the same 16 bytes in both classes):
 * every (file, version) the file needs. */
static int read_verneed(struct reader *r, struct deps_elf *e, uint64_t vaddr, uint64_t num,
			const char *tab, uint64_t tabsz)
{
	uint64_t len, pos = 0, total = 0;
	const unsigned char *b = segment_bytes(r, vaddr, &len);

	if (!b)
		return bad(r, "DT_VERNEED lies outside the file");
	for (uint64_t i = 0; i < num; i++) {
		uint32_t cnt, file, aux, next;
		uint64_t apos;
		char *fname;
		if (pos > len || len - pos < 16)
			return bad(r, "DT_VERNEED runs past its segment");
		cnt = get(e, b + pos + 2, 2);
		file = get(e, b + pos + 4, 4);
		aux = get(e, b + pos + 8, 4);
		next = get(e, b + pos + 12, 4);
		if (!(fname = dup_string(tab, tabsz, file)))
			return bad(r, "DT_VERNEED names a file outside DT_STRTAB");
		free(fname);
		apos = pos + aux;
		for (uint32_t j = 0; j < cnt; j++) {
			struct deps_verneed *v;
			uint32_t flags, name, anext;
			if (++total > MAX_VERSIONS)
				return bad(r, "too many version needs");
			if (apos > len || len - apos < 16)
				return bad(r, "a DT_VERNEED entry runs past its segment");
			flags = get(e, b + apos + 4, 2);
			name = get(e, b + apos + 8, 4);
			anext = get(e, b + apos + 12, 4);
			if (!(v = realloc(e->verneed, (e->nverneed + 1) * sizeof(*v))))
				return dt_oom(r->err);
			e->verneed = v;
			v += e->nverneed;
			memset(v, 0, sizeof(*v));
			v->weak = (flags & VER_FLG_WEAK) != 0;
			v->file = dup_string(tab, tabsz, file);
			v->version = dup_string(tab, tabsz, name);
			e->nverneed++;
			if (!v->file || !v->version)
				return bad(r, "a DT_VERNEED entry names a version outside DT_STRTAB");
			if (!anext)
				break;
			apos += anext;
		}
		if (!next)
			break;
		pos += next;
	}
	return 0;
}

/* DT_VERDEF (Elf_Verdef, 20 bytes; Elf_Verdaux, 8): the version names the file defines. */
static int read_verdef(struct reader *r, struct deps_elf *e, uint64_t vaddr, uint64_t num,
		       const char *tab, uint64_t tabsz)
{
	uint64_t len, pos = 0;
	const unsigned char *b = segment_bytes(r, vaddr, &len);

	if (!b)
		return bad(r, "DT_VERDEF lies outside the file");
	e->has_verdef = 1;
	for (uint64_t i = 0; i < num; i++) {
		uint32_t flags, cnt, aux, next;
		char **v;
		if (i >= MAX_VERSIONS)
			return bad(r, "too many version definitions");
		if (pos > len || len - pos < 20)
			return bad(r, "DT_VERDEF runs past its segment");
		flags = get(e, b + pos + 2, 2);
		cnt = get(e, b + pos + 6, 2);
		aux = get(e, b + pos + 12, 4);
		next = get(e, b + pos + 16, 4);
		if (!(flags & VER_FLG_BASE) && cnt > 0) {
			uint64_t apos = pos + aux;
			if (apos > len || len - apos < 8)
				return bad(r, "a DT_VERDEF entry runs past its segment");
			if (!(v = realloc(e->verdef, (e->nverdef + 1) * sizeof(*v))))
				return dt_oom(r->err);
			e->verdef = v;
			if (!(v[e->nverdef] = dup_string(tab, tabsz, get(e, b + apos, 4))))
				return bad(r, "a DT_VERDEF entry names a version outside DT_STRTAB");
			e->nverdef++;
		}
		if (!next)
			break;
		pos += next;
	}
	return 0;
}

static int read_dynamic(struct reader *r, struct deps_elf *e, const GElf_Phdr *dyn)
{
	uint64_t strtab = 0, strsz = 0, stroff, n;
	int have_strtab = 0;
	uint64_t needed_off[MAX_NEEDED];
	uint64_t soname = 0, rpath = 0, runpath = 0;
	int have_soname = 0, have_rpath = 0, have_runpath = 0;
	uint64_t verneed = 0, verneednum = 0, verdef = 0, verdefnum = 0;
	size_t nneeded = 0;
	int rc;
	Elf_Data *d, *sd;
	const char *tab;
	size_t entsz = gelf_fsize(r->elf, ELF_T_DYN, 1, EV_CURRENT);

	if (!in_file(r, dyn->p_offset, dyn->p_filesz))
		return bad(r, "PT_DYNAMIC lies outside the file");
	if (entsz == 0 || dyn->p_filesz < entsz)
		return bad(r, "PT_DYNAMIC is too small");
	d = elf_getdata_rawchunk(r->elf, (int64_t)dyn->p_offset, dyn->p_filesz, ELF_T_DYN);
	if (!d)
		return bad(r, "cannot read PT_DYNAMIC");
	n = dyn->p_filesz / entsz;
	for (uint64_t i = 0; i < n; i++) {
		GElf_Dyn dy;
		if (!gelf_getdyn(d, (int)i, &dy))
			return bad(r, "cannot read a dynamic entry");
		if (dy.d_tag == DT_NULL)
			break;
		switch (dy.d_tag) {
		case DT_STRTAB: strtab = dy.d_un.d_ptr; have_strtab = 1; break;
		case DT_STRSZ: strsz = dy.d_un.d_val; break;
		case DT_NEEDED:
			if (nneeded == MAX_NEEDED)
				return bad(r, "too many DT_NEEDED entries");
			needed_off[nneeded++] = dy.d_un.d_val;
			break;
		case DT_SONAME: soname = dy.d_un.d_val; have_soname = 1; break;
		case DT_RPATH: rpath = dy.d_un.d_val; have_rpath = 1; break;
		case DT_RUNPATH: runpath = dy.d_un.d_val; have_runpath = 1; break;
		case DT_FLAGS_1: e->flags_1 = dy.d_un.d_val; break;
		case DT_VERNEED: verneed = dy.d_un.d_ptr; break;
		case DT_VERNEEDNUM: verneednum = dy.d_un.d_val; break;
		case DT_VERDEF: verdef = dy.d_un.d_ptr; break;
		case DT_VERDEFNUM: verdefnum = dy.d_un.d_val; break;
		default: break;
		}
	}
	if (!(r->flags & DEPS_ELF_VERSIONS))
		verneednum = verdefnum = 0;
	if (!nneeded && !have_soname && !have_rpath && !have_runpath && !verneednum && !verdefnum)
		return 0;
	if (!have_strtab || strsz == 0)
		return bad(r, "dynamic section has names but no string table");
	if (vaddr_to_offset(r, strtab, &stroff) < 0 || !in_file(r, stroff, strsz))
		return bad(r, "DT_STRTAB lies outside the file");
	if (!(sd = elf_getdata_rawchunk(r->elf, (int64_t)stroff, strsz, ELF_T_BYTE)))
		return bad(r, "cannot read DT_STRTAB");
	tab = sd->d_buf;
	if (nneeded && !(e->needed = calloc(nneeded, sizeof(char *))))
		return dt_oom(r->err);
	for (size_t i = 0; i < nneeded; i++) {
		if (!(e->needed[i] = dup_string(tab, strsz, needed_off[i])))
			return bad(r, "DT_NEEDED points outside DT_STRTAB");
		e->nneeded++;
	}
	if (have_soname && !(e->soname = dup_string(tab, strsz, soname)))
		return bad(r, "DT_SONAME points outside DT_STRTAB");
	if (have_rpath && !(e->rpath = dup_string(tab, strsz, rpath)))
		return bad(r, "DT_RPATH points outside DT_STRTAB");
	if (have_runpath && !(e->runpath = dup_string(tab, strsz, runpath)))
		return bad(r, "DT_RUNPATH points outside DT_STRTAB");
	if (verneednum && (rc = read_verneed(r, e, verneed, verneednum, tab, strsz)) < 0)
		return rc;
	if (verdefnum && (rc = read_verdef(r, e, verdef, verdefnum, tab, strsz)) < 0)
		return rc;
	return 0;
}

/* FDO dlopen notes from a PT_NOTE segment; malformed notes end the walk of that segment. */
static int read_notes(struct reader *r, struct deps_elf *e, const GElf_Phdr *p)
{
	Elf_Data *d;
	size_t off = 0;

	if (!in_file(r, p->p_offset, p->p_filesz) || p->p_filesz == 0)
		return 0;
	if (!(d = elf_getdata_rawchunk(r->elf, (int64_t)p->p_offset, p->p_filesz, ELF_T_NHDR)))
		return 0;
	for (;;) {
		GElf_Nhdr nh;
		size_t name_off, desc_off, next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
		const char *base = d->d_buf;
		char **v;
		if (next == 0 || next <= off)
			break;
		off = next;
		if (nh.n_type != DEPS_NOTE_FDO_DLOPEN || nh.n_namesz != 4 ||
		    memcmp(base + name_off, "FDO", 4) != 0 || nh.n_descsz == 0)
			continue;
		if (e->ndlopen_notes >= 64)
			return bad(r, "too many .note.dlopen notes");
		if (!(v = realloc(e->dlopen_notes, (e->ndlopen_notes + 1) * sizeof(*v))))
			return dt_oom(r->err);
		e->dlopen_notes = v;
		if (!(v[e->ndlopen_notes] = strndup(base + desc_off, nh.n_descsz)))
			return dt_oom(r->err);
		e->ndlopen_notes++;
	}
	return 0;
}

int deps_elf_read(int fd, const char *name, unsigned flags, struct deps_elf **out,
		  struct dt_err *err)
{
	struct reader r = { .name = name, .flags = flags, .err = err };
	struct deps_elf *e = NULL;
	const GElf_Phdr *dyn = NULL;
	GElf_Ehdr eh;
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (fstat(fd, &st) < 0)
		return dt_err_sys(err, errno, "cannot stat '%s'", name);
	if (!S_ISREG(st.st_mode))
		return dt_err_set(err, DT_EINPUT, "'%s' is not a regular file", name);
	r.file_size = (uint64_t)st.st_size;
	elf_version(EV_CURRENT);
	if (!(r.elf = elf_begin(fd, ELF_C_READ_MMAP, NULL)))
		return dt_err_set(err, DT_EINPUT, "'%s': cannot read: %s", name, elf_errmsg(-1));
	if (elf_kind(r.elf) != ELF_K_ELF || !gelf_getehdr(r.elf, &eh)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': not an ELF file", name);
		err->sys_errno = ENOEXEC;
		goto out;
	}
	if (!(e = calloc(1, sizeof(*e)))) {
		rc = dt_oom(err);
		goto out;
	}
	e->elf_class = eh.e_ident[EI_CLASS];
	e->data = eh.e_ident[EI_DATA];
	e->machine = eh.e_machine;
	e->type = eh.e_type;
	if (elf_getphdrnum(r.elf, &r.nph) != 0) {
		rc = bad(&r, "cannot read the program header count");
		goto out;
	}
	if (r.nph > 65535) {
		rc = bad(&r, "too many program headers");
		goto out;
	}
	if (r.nph && !(r.ph = calloc(r.nph, sizeof(*r.ph)))) {
		rc = dt_oom(err);
		goto out;
	}
	for (size_t i = 0; i < r.nph; i++) {
		if (!gelf_getphdr(r.elf, (int)i, &r.ph[i])) {
			rc = bad(&r, "cannot read a program header");
			goto out;
		}
		if (r.ph[i].p_type == PT_DYNAMIC && !dyn)
			dyn = &r.ph[i];
		if (r.ph[i].p_type == PT_INTERP && !e->interp) {
			const GElf_Phdr *p = &r.ph[i];
			Elf_Data *d;
			if (!in_file(&r, p->p_offset, p->p_filesz) || p->p_filesz == 0 ||
			    !(d = elf_getdata_rawchunk(r.elf, (int64_t)p->p_offset, p->p_filesz,
							ELF_T_BYTE)) ||
			    !memchr(d->d_buf, '\0', p->p_filesz)) {
				rc = bad(&r, "PT_INTERP is not a string inside the file");
				goto out;
			}
			if (!(e->interp = strdup(d->d_buf))) {
				rc = dt_oom(err);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < r.nph; i++)
		if (r.ph[i].p_type == PT_NOTE && (rc = read_notes(&r, e, &r.ph[i])) < 0)
			goto out;
	if (dyn) {
		e->dynamic = 1;
		if ((rc = read_dynamic(&r, e, dyn)) < 0)
			goto out;
		if (flags & DEPS_ELF_IMPORTS)
			read_imports(&r, e);
		if ((flags & DEPS_ELF_SYMBOLS) && (rc = read_symbols(&r, e)) < 0)
			goto out;
	}
out:
	free(r.ph);
	elf_end(r.elf);
	if (rc < 0) {
		deps_elf_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void deps_elf_free(struct deps_elf *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nneeded; i++)
		free(e->needed[i]);
	free(e->needed);
	for (size_t i = 0; i < e->ndlopen_notes; i++)
		free(e->dlopen_notes[i]);
	free(e->dlopen_notes);
	for (size_t i = 0; i < e->nverneed; i++) {
		free(e->verneed[i].file);
		free(e->verneed[i].version);
	}
	free(e->verneed);
	for (size_t i = 0; i < e->nverdef; i++)
		free(e->verdef[i]);
	free(e->verdef);
	for (size_t i = 0; i < e->nundef; i++) {
		free(e->undef[i].name);
		free(e->undef[i].version);
	}
	free(e->undef);
	for (size_t i = 0; i < e->ndefs; i++)
		free(e->defs[i]);
	free(e->defs);
	free(e->interp);
	free(e->soname);
	free(e->rpath);
	free(e->runpath);
	free(e);
}
