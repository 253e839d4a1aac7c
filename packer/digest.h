/* SPDX-License-Identifier: MIT */
/* SHA-256 through OpenSSL's EVP interface, and lowercase-hex digest strings. */
#ifndef DISTILL_PACKER_DIGEST_H
#define DISTILL_PACKER_DIGEST_H

#include <stddef.h>

#include "common/err.h"

/* "sha256:" + 64 hex digits + NUL */
#define PK_DIGEST_LEN 72

struct pk_sha256;

/* @return a new context, or NULL with @err set. */
struct pk_sha256 *pk_sha256_new(struct dt_err *err);
void pk_sha256_update(struct pk_sha256 *h, const void *buf, size_t len);
/* Writes "sha256:<hex>" into @out (PK_DIGEST_LEN bytes); the context is finished. */
void pk_sha256_final(struct pk_sha256 *h, char *out);
void pk_sha256_free(struct pk_sha256 *h);

#endif
