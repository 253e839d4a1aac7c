/* SPDX-License-Identifier: MIT */
/* ld.so.cache and ld.so.conf reading, and the per-architecture loader conventions. */
#include "deps/ldso.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLAG_ELF_LIBC6 0x0003
static const struct deps_abi abis[] = {
	{ EM_X86_64, ELFCLASS64, "lib/x86_64-linux-gnu", "x86_64", "/lib64/ld-linux-x86-64.so.2",
	  { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib", NULL },
	  FLAG_ELF_LIBC6 | 0x0300, { "x86-64-v4", "x86-64-v3", "x86-64-v2", NULL },
	  { "tls/x86_64/x86_64", "tls/x86_64", "tls", "x86_64/x86_64", "x86_64", NULL },
	  { "haswell", "xeon_phi", NULL } },
	{ EM_AARCH64, ELFCLASS64, "lib/aarch64-linux-gnu", "aarch64", "/lib/ld-linux-aarch64.so.1",
	  { "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib", NULL },
	  FLAG_ELF_LIBC6 | 0x0a00, { NULL }, { "tls/aarch64", "tls", "aarch64", NULL }, { NULL } },
	{ EM_ARM, ELFCLASS32, "lib/arm-linux-gnueabihf", "v7l", "/lib/ld-linux-armhf.so.3",
	  { "/lib/arm-linux-gnueabihf", "/usr/lib/arm-linux-gnueabihf", "/lib", "/usr/lib", NULL },
	  FLAG_ELF_LIBC6 | 0x0900, { NULL }, { "tls/v7l", "tls", "v7l", NULL }, { NULL } },
	{ EM_RISCV, ELFCLASS64, "lib/riscv64-linux-gnu", "riscv64", "/lib/ld-linux-riscv64-lp64d.so.1",
	  { "/lib/riscv64-linux-gnu", "/usr/lib/riscv64-linux-gnu", "/lib", "/usr/lib", NULL },
	  FLAG_ELF_LIBC6 | 0x1000, { NULL }, { "tls", NULL }, { NULL } },
	{ EM_386, ELFCLASS32, "lib/i386-linux-gnu", "i686", "/lib/ld-linux.so.2",
	  { "/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib", NULL },
	  FLAG_ELF_LIBC6, { NULL }, { "tls/i686", "tls", "i686", NULL }, { NULL } },
	{ EM_PPC64, ELFCLASS64, "lib/powerpc64le-linux-gnu", "power8", "/lib64/ld64.so.2",
	  { "/lib/powerpc64le-linux-gnu", "/usr/lib/powerpc64le-linux-gnu", "/lib", "/usr/lib", NULL },
	  FLAG_ELF_LIBC6 | 0x0500, { "power10", "power9", NULL }, { "tls", NULL }, { NULL } },
	{ EM_S390, ELFCLASS64, "lib/s390x-linux-gnu", "z900", "/lib/ld64.so.1",
	  { "/lib/s390x-linux-gnu", "/usr/lib/s390x-linux-gnu", "/lib", "/usr/lib", NULL },
	  FLAG_ELF_LIBC6 | 0x0400, { "z16", "z15", "z14", "z13", NULL }, { "tls", NULL }, { NULL } },
};

const struct deps_abi *deps_abi_find(uint16_t machine, int elf_class)
{
	for (size_t i = 0; i < sizeof(abis) / sizeof(abis[0]); i++)
		if (abis[i].machine == machine && abis[i].elf_class == elf_class)
			return &abis[i];
	return NULL;
}

/* A whole file of the root, or -ENOENT when it is absent. */
static int slurp(const struct deps_root *r, const char *path, char **buf, size_t *len,
		 struct dt_err *err)
{
	int rc = deps_root_read(r, path, 256u << 20, buf, len, err);

	return rc == 1 ? -ENOENT : rc;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v; /* the cache is in the target's byte order; we read little-endian targets */
}

static int order_cmp(const void *a, const void *b, void *ctx)
{
	const struct dt_strv *keys = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int d = strcmp(keys->v[x], keys->v[y]);
	return d ? d : (x > y) - (x < y);
}

static int parse_cache(struct deps_ldconf *c, const char *buf, size_t len,
		       const struct deps_abi *abi, struct dt_err *err)
{
	static const char old_magic[] = "ld.so-1.7.0", new_magic[] = "glibc-ld.so.cache1.1";
	const unsigned char *base = (const unsigned char *)buf;
	size_t off = 0, hdr = 48, ent = 24;
	uint32_t nlibs;

	if (len >= sizeof(old_magic) - 1 && memcmp(buf, old_magic, sizeof(old_magic) - 1) == 0) {
		/* old format first: skip it; the new one follows, 8-byte aligned */
		if (len < 16)
			goto bad;
		nlibs = rd32(base + 12);
		if (nlibs > (len - 16) / 12)
			goto bad;
		off = (16 + (size_t)nlibs * 12 + 7) & ~(size_t)7;
	}
	if (len - off < hdr || memcmp(buf + off, new_magic, sizeof(new_magic) - 1) != 0)
		goto bad;
	nlibs = rd32(base + off + 20);
	if (nlibs > (len - off - hdr) / ent)
		goto bad;
	for (uint32_t i = 0; i < nlibs; i++) {
		const unsigned char *e = base + off + hdr + (size_t)i * ent;
		int32_t flags = (int32_t)rd32(e);
		uint32_t key = rd32(e + 4), value = rd32(e + 8);
		uint64_t hwcap;
		memcpy(&hwcap, e + 16, 8);
		if (flags != abi->cache_flags || hwcap != 0)
			continue; /* other ABIs; hwcaps variants are added from their dirs */
		if (key >= len - off || value >= len - off ||
		    !memchr(buf + off + key, '\0', len - off - key) ||
		    !memchr(buf + off + value, '\0', len - off - value))
			goto bad;
		if (dt_strv_push(&c->cache_keys, buf + off + key) < 0 ||
		    dt_strv_push(&c->cache_paths, buf + off + value) < 0)
			return dt_oom(err);
	}
	c->have_cache = 1;
	/* ld.so takes the first entry of a key in cache order: index by (key, position). */
	if (c->cache_keys.n) {
		if (!(c->cache_order = malloc(c->cache_keys.n * sizeof(size_t))))
			return dt_oom(err);
		for (size_t i = 0; i < c->cache_keys.n; i++)
			c->cache_order[i] = i;
		qsort_r(c->cache_order, c->cache_keys.n, sizeof(size_t), order_cmp, &c->cache_keys);
	}
	return 0;
bad:
	return dt_err_set(err, DT_EINPUT, "'/etc/ld.so.cache': not a glibc ld.so cache");
}

static int parse_conf(struct deps_ldconf *c, const struct deps_root *r, const char *path,
		      int depth, struct dt_err *err);

/* "include GLOB": relative to the including file's directory, matches sorted. */
static int conf_include(struct deps_ldconf *c, const struct deps_root *r, const char *from,
			const char *pattern, int depth, struct dt_err *err)
{
	char full[8300], dir[8300], *slash, *real = NULL;
	struct dt_strv names = { 0 };
	glob_t g;
	int rc = 0;

	if (pattern[0] == '/')
		snprintf(full, sizeof(full), "%s", pattern);
	else {
		snprintf(dir, sizeof(dir), "%s", from);
		slash = strrchr(dir, '/');
		*(slash ? slash : dir) = '\0';
		if ((size_t)snprintf(full, sizeof(full), "%.4096s/%.4096s", dir, pattern) >= sizeof(full))
			return dt_err_set(err, DT_EINPUT, "'%s': include path too long", from);
	}
	/* Glob only the last component, inside the root's resolved directory. */
	snprintf(dir, sizeof(dir), "%s", full);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if ((rc = deps_root_resolve(r, dir[0] ? dir : "/", NULL, &real, err)) != 0)
		return rc > 0 ? 0 : rc;
	{
		char *pat = NULL;
		int fd = openat(r->fd, real[1] ? real + 1 : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* glob() through the directory's fd: the pattern cannot leave the root. */
		if (fd >= 0 && asprintf(&pat, "/proc/self/fd/%d/%s", fd, slash + 1) >= 0 &&
		    glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
				char *p = NULL;
				if (asprintf(&p, "%s/%s", dir, strrchr(g.gl_pathv[i], '/') + 1) < 0 ||
				    dt_strv_push(&names, p) < 0)
					rc = dt_oom(err);
				free(p);
			}
			globfree(&g);
		}
		free(pat);
		if (fd >= 0)
			close(fd);
	}
	free(real);
	for (size_t i = 0; i < names.n && rc == 0; i++)
		rc = parse_conf(c, r, names.v[i], depth + 1, err);
	dt_strv_release(&names);
	return rc;
}

static int parse_conf(struct deps_ldconf *c, const struct deps_root *r, const char *path,
		      int depth, struct dt_err *err)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int rc;

	if (depth > 16)
		return dt_err_set(err, DT_EINPUT, "'%s': includes nest too deeply", path);
	if ((rc = slurp(r, path, &buf, &len, err)) < 0)
		return rc == -ENOENT ? 0 : rc;
	for (line = strtok_r(buf, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *p = line, *end;
		if (hash)
			*hash = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (!*p)
			continue;
		if (strncmp(p, "include", 7) == 0 && (p[7] == ' ' || p[7] == '\t')) {
			p += 8;
			while (*p == ' ' || *p == '\t')
				p++;
			rc = conf_include(c, r, path, p, depth, err);
		} else if (strncmp(p, "hwcap", 5) == 0 && (p[5] == ' ' || p[5] == '\t')) {
			continue; /* obsolete, ignored by ldconfig too */
		} else if (p[0] == '/' && !dt_strv_has(&c->conf_dirs, p)) {
			if (dt_strv_push(&c->conf_dirs, p) < 0)
				rc = dt_oom(err);
		}
	}
	free(buf);
	return rc;
}

int deps_ldconf_load(struct deps_ldconf *c, const struct deps_root *r,
		     const struct deps_abi *abi, struct dt_err *err)
{
	char *buf;
	size_t len;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = slurp(r, "/etc/ld.so.cache", &buf, &len, err);
	if (rc == 0) {
		rc = parse_cache(c, buf, len, abi, err);
		free(buf);
	} else if (rc == -ENOENT) {
		rc = parse_conf(c, r, "/etc/ld.so.conf", 0, err);
	}
	if (rc < 0)
		deps_ldconf_release(c); /* what was read before the error */
	return rc;
}

void deps_ldconf_release(struct deps_ldconf *c)
{
	dt_strv_release(&c->cache_keys);
	dt_strv_release(&c->cache_paths);
	free(c->cache_order);
	c->cache_order = NULL;
	dt_strv_release(&c->conf_dirs);
}

const char *deps_ldconf_cache_lookup(const struct deps_ldconf *c, const char *name)
{
	size_t lo = 0, hi = c->cache_keys.n;

	if (!c->cache_order)
		return NULL;
	while (lo < hi) { /* the first index whose key is >= name */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(c->cache_keys.v[c->cache_order[mid]], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->cache_keys.n && strcmp(c->cache_keys.v[c->cache_order[lo]], name) == 0)
		return c->cache_paths.v[c->cache_order[lo]];
	return NULL;
}

/* Whether the space-separated @list holds the word @w. */
static int has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	if (n == 0)
		return 1; /* strstr finds "" everywhere, past the end too */
	for (const char *p = list; (p = strstr(p, w)); p++)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

int deps_nsswitch_services(const struct deps_root *r, const char *text,
			   struct dt_strv *services, struct dt_strv *dbs, struct dt_err *err)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int rc = 0;

	if (text) {
		if (!(buf = strdup(text)))
			return dt_oom(err);
	} else if ((rc = slurp(r, "/etc/nsswitch.conf", &buf, &len, err)) < 0) {
		return rc == -ENOENT ? 0 : rc;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *colon, *p;
		if (hash)
			*hash = '\0';
		if (!(colon = strchr(line, ':')))
			continue;
		*colon = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		line[strcspn(line, " \t")] = '\0';
		if (!*line)
			continue; /* ": files" names no database (glibc skips it too) */
		/* as glibc's nss_action_parse: a service name ends at a blank or "[", and a
		 * bracketed action list ("[NOTFOUND=return]", blanks allowed) follows it */
		for (p = colon + 1; *p;) {
			size_t n, i;
			if (*p == ' ' || *p == '\t') {
				p++;
				continue;
			}
			if (*p == '[') {
				p += strcspn(p, "]");
				p += *p == ']';
				continue;
			}
			n = strcspn(p, " \t[");
			if ((n == 5 && strncmp(p, "files", 5) == 0) ||
			    (n == 3 && strncmp(p, "dns", 3) == 0)) {
				p += n;
				continue; /* built into glibc */
			}
			for (i = 0; i < services->n && (strlen(services->v[i]) != n ||
							  strncmp(services->v[i], p, n) != 0); i++)
				;
			if (i == services->n) {
				char *name = strndup(p, n);
				int bad = !name || dt_strv_push(services, name) < 0 ||
					  dt_strv_push(dbs, line) < 0;
				free(name);
				if (bad)
					goto oom;
			} else if (!has_word(dbs->v[i], line)) {
				char *more = NULL;
				if (asprintf(&more, "%s %s", dbs->v[i], line) < 0)
					goto oom;
				free(dbs->v[i]);
				dbs->v[i] = more;
			}
			p += n;
		}
	}
	free(buf);
	return 0;
oom:
	free(buf);
	return dt_oom(err);
}
