/* SPDX-License-Identifier: MIT */
/* libFuzzer target: what deps/ldso.c reads from a root that may be an untrusted sysroot:
 * /etc/ld.so.cache, /etc/ld.so.conf with its include globs, and /etc/nsswitch.conf. The
 * first byte picks the file, the rest is its content, written into a scratch root. Every
 * call must return an error or a result, never crash, loop or leak. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps/ldso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static int put(const char *rel, const uint8_t *data, size_t size)
{
	char path[128];
	int fd;
	ssize_t w = 0;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -1;
	if (size)
		w = write(fd, data, size);
	close(fd);
	return w == (ssize_t)size ? 0 : -1;
}

/* A root with an ld.so.conf.d the fuzzed ld.so.conf can include (one file includes the
 * other, and itself). */
static int setup(void)
{
	char dir[128];
	static const char a[] = "/usr/local/lib\ninclude ld.so.conf.d/*.conf\n";
	static const char b[] = "/opt/lib # comment\n\ninclude /etc/ld.so.conf\n";

	strcpy(root, "/tmp/distill-fuzz-ldso.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(dir, sizeof(dir), "%s/etc", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/etc/ld.so.conf.d", root);
	mkdir(dir, 0755);
	return put("etc/ld.so.conf.d/a.conf", (const uint8_t *)a, sizeof(a) - 1) |
	       put("etc/ld.so.conf.d/b.conf", (const uint8_t *)b, sizeof(b) - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const struct deps_abi *abi = deps_abi_find(62 /* EM_X86_64 */, 2 /* ELFCLASS64 */);
	struct deps_root r = { 0 };
	struct deps_ldconf c;
	struct dt_err err;
	char path[128];

	if (!ready && setup() < 0)
		abort();
	ready = 1;
	if (size < 1 || !abi)
		return 0;
	snprintf(path, sizeof(path), "%s/etc/ld.so.cache", root);
	unlink(path);
	if (deps_root_open(&r, root, &err) < 0)
		abort();
	switch (data[0] % 3) {
	case 0: /* the cache */
		if (put("etc/ld.so.cache", data + 1, size - 1) == 0 &&
		    deps_ldconf_load(&c, &r, abi, &err) == 0) {
			(void)deps_ldconf_cache_lookup(&c, "libc.so.6");
			(void)deps_ldconf_cache_lookup(&c, "");
			deps_ldconf_release(&c);
		}
		break;
	case 1: /* ld.so.conf, no cache */
		if (put("etc/ld.so.conf", data + 1, size - 1) == 0 &&
		    deps_ldconf_load(&c, &r, abi, &err) == 0)
			deps_ldconf_release(&c);
		break;
	default: { /* nsswitch.conf, as text */
		char *text = malloc(size);
		struct dt_strv services = { 0 }, dbs = { 0 };
		if (!text)
			break;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		(void)deps_nsswitch_services(&r, text, &services, &dbs, &err);
		dt_strv_release(&services);
		dt_strv_release(&dbs);
		free(text);
		break;
	}
	}
	deps_root_release(&r);
	return 0;
}
