/* SPDX-License-Identifier: MIT */
/* SHA-256 (OpenSSL EVP) with digest strings in OCI form. */
#include "packer/digest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct pk_sha256 {
	EVP_MD_CTX *ctx;
};

struct pk_sha256 *pk_sha256_new(struct dt_err *err)
{
	struct pk_sha256 *h = calloc(1, sizeof(*h));

	if (!h || !(h->ctx = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		pk_sha256_free(h);
		dt_err_set(err, DT_ELIB, "cannot set up SHA-256 (OpenSSL)");
		return NULL;
	}
	return h;
}

void pk_sha256_update(struct pk_sha256 *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
}

void pk_sha256_final(struct pk_sha256 *h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
}

void pk_sha256_free(struct pk_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}
