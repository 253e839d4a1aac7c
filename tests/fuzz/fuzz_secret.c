/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the secret rules (manifest/secret.c) on arbitrary content, under a path
 * the first byte picks (the rules that parse: .docker/config.json, .netrc, id_rsa, and any
 * text). They must decide without crashing, reading out of bounds or leaking, and decide
 * the same twice. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
	"/root/.docker/config.json", "/root/.dockercfg", "/etc/containers/auth.json",
	"/root/.netrc", "/root/.ssh/id_rsa", "/app/.env", "/app/.git/config", "/app/x.txt",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mf_secrets *rules;
	struct mf_secret_hit a, b;
	struct dt_err err;
	const char *path;
	int ra, rb;

	if (!rules && mf_secrets_new(&rules, &err) < 0)
		abort();
	if (size < 1)
		return 0;
	path = paths[data[0] % (sizeof(paths) / sizeof(paths[0]))];
	(void)mf_secret_want(data + 1, size - 1 < MF_SECRET_HEAD ? size - 1 : MF_SECRET_HEAD);
	ra = mf_secret_check(rules, path, MF_SECRET_REG, data + 1, size - 1, &a);
	rb = mf_secret_check(rules, path, MF_SECRET_REG, data + 1, size - 1, &b);
	if (ra != rb || (ra && (strcmp(a.rule, b.rule) != 0 || strcmp(a.why, b.why) != 0)))
		abort();
	return 0;
}
