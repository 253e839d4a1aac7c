/* SPDX-License-Identifier: MIT */
/* Digests through OpenSSL's EVP interface (SHA-256 for content and OCI digests, MD5 for
 * dpkg's md5sums), lowercase hex, base64 decoding, and OCI digest strings ("sha256:<hex>").
 * The one copy of each: nothing else in distill calls EVP or writes hex. */
#ifndef DISTILL_COMMON_DIGEST_H
#define DISTILL_COMMON_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* "sha256:" + 64 hex digits + NUL */
#define DT_DIGEST_LEN 72
#define DT_SHA256_LEN 32
#define DT_MD5_LEN 16

enum dt_hash_alg {
	DT_HASH_SHA256,
	DT_HASH_MD5,
};

struct dt_hash;

/* A streaming hash. @return a new context, or NULL with @err set. */
struct dt_hash *dt_hash_new(enum dt_hash_alg alg, struct dt_err *err);
void dt_hash_update(struct dt_hash *h, const void *buf, size_t len);
/* Finishes @h: the raw digest (32 bytes for SHA-256, 16 for MD5) into @md. */
void dt_hash_final(struct dt_hash *h, unsigned char *md);
/* Finishes a SHA-256 @h: "sha256:<hex>" into @out (DT_DIGEST_LEN bytes). */
void dt_hash_digest(struct dt_hash *h, char *out);
/* Starts @h again, as new (cheaper than a new one for many small inputs). */
void dt_hash_reset(struct dt_hash *h);
/* NULL is a no-op. */
void dt_hash_free(struct dt_hash *h);

/* The raw digest of @len bytes of @buf (never fails). */
void dt_sha256(const void *buf, size_t len, unsigned char md[DT_SHA256_LEN]);
void dt_md5(const void *buf, size_t len, unsigned char md[DT_MD5_LEN]);
/* "sha256:<hex>" of @len bytes of @buf into @out (DT_DIGEST_LEN bytes). */
void dt_sha256_digest(const void *buf, size_t len, char *out);

/* Reads @fd from where it is to its end: the "sha256:<hex>" of those bytes into @digest
 * (DT_DIGEST_LEN bytes) and their count into *@size. @name names @fd in errors.
 * @return 0, or a negative code with @err set. */
int dt_digest_fd(int fd, const char *name, char *digest, uint64_t *size, struct dt_err *err);

/* @n bytes as lowercase hex into @out (2 * @n + 1 bytes, NUL-terminated). */
void dt_hex(const unsigned char *bytes, size_t n, char *out);
/* The @n bytes that the 2 * @n hex digits (either case) at @hex stand for, into @out.
 * @return 0, or -1 when one of them is not a hex digit (@out then undefined). */
int dt_unhex(const char *hex, size_t n, unsigned char *out);
/* "sha256:" and the hex of a raw SHA-256 into @out (DT_DIGEST_LEN bytes). */
void dt_digest_of_raw(const unsigned char md[DT_SHA256_LEN], char *out);
/* Decodes the base64 text @text (@len bytes; line breaks allowed, as in PEM and OpenPGP
 * armor) and appends the bytes to @out. @return 0, or -1 when it is not base64 (or out of
 * memory). */
int dt_base64_decode(const char *text, size_t len, struct dt_buf *out);

/* Whether the first @n bytes of @s are lowercase hex digits (a shorter @s is not). */
int dt_is_hex(const char *s, size_t n);

/* A short form of a digest for messages: "sha256:" and 12 hex digits ("(none)" for NULL). */
const char *dt_digest_short(const char *digest, char buf[24]);

#endif
