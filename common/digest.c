/* SPDX-License-Identifier: MIT */
/* Digests (OpenSSL EVP), hex and OCI digest strings (see digest.h). */
#include "common/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

struct dt_hash {
	EVP_MD_CTX *ctx;
	enum dt_hash_alg alg;
};

static const EVP_MD *md_of(enum dt_hash_alg alg)
{
	return alg == DT_HASH_MD5 ? EVP_md5() : EVP_sha256();
}

struct dt_hash *dt_hash_new(enum dt_hash_alg alg, struct dt_err *err)
{
	struct dt_hash *h = calloc(1, sizeof(*h));

	if (!h || !(h->ctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex(h->ctx, md_of(alg), NULL) != 1) {
		dt_hash_free(h);
		dt_err_set(err, DT_ELIB, "cannot set up %s (OpenSSL)",
			   alg == DT_HASH_MD5 ? "MD5" : "SHA-256");
		return NULL;
	}
	h->alg = alg;
	return h;
}

void dt_hash_reset(struct dt_hash *h)
{
	EVP_DigestInit_ex(h->ctx, md_of(h->alg), NULL);
}

void dt_hash_update(struct dt_hash *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
}

void dt_hash_final(struct dt_hash *h, unsigned char *md)
{
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
}

void dt_hash_digest(struct dt_hash *h, char *out)
{
	unsigned char md[DT_SHA256_LEN];

	dt_hash_final(h, md);
	dt_digest_of_raw(md, out);
}

void dt_hash_free(struct dt_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void dt_sha256(const void *buf, size_t len, unsigned char md[DT_SHA256_LEN])
{
	EVP_Digest(len ? buf : "", len, md, NULL, EVP_sha256(), NULL);
}

void dt_md5(const void *buf, size_t len, unsigned char md[DT_MD5_LEN])
{
	EVP_Digest(len ? buf : "", len, md, NULL, EVP_md5(), NULL);
}

void dt_sha256_digest(const void *buf, size_t len, char *out)
{
	unsigned char md[DT_SHA256_LEN];

	dt_sha256(buf, len, md);
	dt_digest_of_raw(md, out);
}

int dt_digest_fd(int fd, const char *name, char *digest, uint64_t *size, struct dt_err *err)
{
	struct dt_hash *h = dt_hash_new(DT_HASH_SHA256, err);
	char *buf = malloc(1 << 16);
	int rc = 0;

	*size = 0;
	if (!h || !buf) {
		rc = h ? dt_oom(err) : -err->code;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 16);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dt_err_sys(err, errno, "cannot read '%s'", name);
			goto out;
		}
		if (n == 0)
			break;
		dt_hash_update(h, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	dt_hash_digest(h, digest);
out:
	dt_hash_free(h);
	free(buf);
	return rc;
}

void dt_hex(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int dt_unhex(const char *hex, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(hex[2 * i]), lo = hi < 0 ? -1 : nibble(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void dt_digest_of_raw(const unsigned char md[DT_SHA256_LEN], char *out)
{
	memcpy(out, "sha256:", 7);
	dt_hex(md, DT_SHA256_LEN, out + 7);
}

int dt_is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

const char *dt_digest_short(const char *digest, char buf[24])
{
	const char *c = digest ? strchr(digest, ':') : NULL;

	if (!digest)
		return "(none)";
	snprintf(buf, 24, "%.*s:%.12s", c ? (int)(c - digest) : 0, digest, c ? c + 1 : digest);
	return buf;
}

int dt_base64_decode(const char *text, size_t len, struct dt_buf *out)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	unsigned char bin[1024];
	int got = 0, rc = 0;

	if (!ctx)
		return -1;
	EVP_DecodeInit(ctx);
	while (len > 0 && rc == 0) {
		size_t chunk = len > 512 ? 512 : len; /* 512 characters decode to under 1024 bytes */
		if (EVP_DecodeUpdate(ctx, bin, &got, (const unsigned char *)text, (int)chunk) < 0)
			rc = -1;
		else
			dt_buf_addn(out, bin, (size_t)got);
		text += chunk;
		len -= chunk;
	}
	if (rc == 0 && EVP_DecodeFinal(ctx, bin, &got) < 0)
		rc = -1;
	else if (rc == 0)
		dt_buf_addn(out, bin, (size_t)got);
	EVP_ENCODE_CTX_free(ctx);
	return rc < 0 || out->oom ? -1 : 0;
}
