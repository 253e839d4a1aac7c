/* SPDX-License-Identifier: MIT */
/* The secret rules: which files of an image look like secrets (private keys, .env files,
 * cloud and registry credentials, .git directories, shell histories, token patterns), each
 * rule with a stable name. One engine for both sides: the build checks the plan's files
 * (packer/image/secrets.c), `distill inspect --secrets` an image's (verify/secrets.c).
 * It judges a path and a bounded prefix of its content; it reads nothing itself. See
 * docs/security.md for the rules. */
#ifndef DISTILL_MANIFEST_SECRET_H
#define DISTILL_MANIFEST_SECRET_H

#include <stddef.h>

#include "common/err.h"

/* A file whose first MF_SECRET_HEAD bytes (or all of it, when shorter) hold no NUL is
 * text; its first MF_SECRET_TEXT_MAX bytes are checked. Of any other file, only its name
 * and its first MF_SECRET_HEAD bytes (for private key headers) are. */
#define MF_SECRET_HEAD 8192
#define MF_SECRET_TEXT_MAX (4u << 20)

enum mf_secret_type {
	MF_SECRET_REG,   /* a regular file (or a hardlink: give its content, or none) */
	MF_SECRET_DIR,
	MF_SECRET_OTHER, /* symlinks, devices: only what lies below a .git is named */
};

/* What a rule found. */
struct mf_secret_hit {
	const char *rule;  /* the rule's stable name: "private-key", "dotenv", ... */
	size_t path_len;   /* the hit names the first path_len bytes of the path (a .git
			    * directory, for what is below it) */
	char why[256];     /* what it found, never the secret itself ("line 3: an AWS access
			    * key id (AKIA...)") */
};

struct mf_secrets;

/* The rules, compiled. @return 0 and *@out (mf_secrets_free() it), or a negative code. */
int mf_secrets_new(struct mf_secrets **out, struct dt_err *err);
void mf_secrets_free(struct mf_secrets *s);

/* How many bytes of a regular file the rules want, given its first @len bytes (@len =
 * min(size, MF_SECRET_HEAD)): MF_SECRET_TEXT_MAX for text, else MF_SECRET_HEAD. */
size_t mf_secret_want(const void *head, size_t len);

/* Checks the entry at image path @path (absolute) of type @type, with the first @len bytes
 * of its content in @buf (as much as mf_secret_want() asks, or less when the file is
 * shorter; NULL and 0 for no content). @return 1 and *@hit when a rule matches, else 0. */
int mf_secret_check(const struct mf_secrets *s, const char *path, enum mf_secret_type type,
		    const void *buf, size_t len, struct mf_secret_hit *hit);

/* The rules' names, NULL-terminated, in the order docs/security.md lists them. */
extern const char *const mf_secret_rules[];

/* Findings, one per path. */
struct mf_secret_found {
	char *path;
	const char *rule;
	char *why;
	int allowed;       /* set by the caller (allow_secrets) */
};

struct mf_secret_list {
	struct mf_secret_found *v;
	size_t n, cap;
};

/* Adds @hit for @path (its first hit->path_len bytes). @return 0, or -DT_ENOMEM. */
int mf_secret_list_add(struct mf_secret_list *l, const char *path,
		       const struct mf_secret_hit *hit, struct dt_err *err);
/* Sorts by path (strcmp) and keeps the first finding of each path. */
void mf_secret_list_finish(struct mf_secret_list *l);
void mf_secret_list_release(struct mf_secret_list *l);

#endif
