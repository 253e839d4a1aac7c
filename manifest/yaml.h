/* SPDX-License-Identifier: MIT */
/* Strict YAML reading for distill's documents (libyaml's document API): every value checked
 * for its type and range, mappings with known keys only, once each, and every error naming
 * the file, the line and the key path ("spec.yaml:12: config.user: expected a string").
 * Aliases, several documents, and more than MF_YAML_MAX_NODES nodes or MF_YAML_MAX_DEPTH
 * levels are refused before the document is loaded. */
#ifndef DISTILL_MANIFEST_YAML_H
#define DISTILL_MANIFEST_YAML_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "common/err.h"
#include "manifest/spec.h"

#define MF_YAML_MAX_NODES 100000
#define MF_YAML_MAX_DEPTH 64

struct mf_yaml {
	yaml_document_t *doc;
	const char *file;   /* the document's name, for messages */
	const char *dir;    /* relative host paths are made absolute against it */
	char key[512];      /* the key path of the node being read, for messages */
	struct dt_err *err;
};

/* Sets "FILE:LINE: KEY: message" (line of @n, or 1). @return -DT_EINPUT. */
int mf_yaml_fail(struct mf_yaml *p, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mf_yaml_line(const yaml_node_t *n);
yaml_node_t *mf_yaml_node(struct mf_yaml *p, int id);
const char *mf_yaml_scalar(const yaml_node_t *n);
int mf_yaml_plain(const yaml_node_t *n);

/* Each reads @n into *@out (replacing what it held). @return 0, or a negative code. */
int mf_yaml_str(struct mf_yaml *p, const yaml_node_t *n, char **out);       /* no NUL */
int mf_yaml_bool(struct mf_yaml *p, const yaml_node_t *n, int *out);        /* true/false */
int mf_yaml_uint(struct mf_yaml *p, const yaml_node_t *n, uint64_t max, uint64_t *out);
int mf_yaml_mode(struct mf_yaml *p, const yaml_node_t *n, int64_t *out);    /* octal */
/* A list of strings (a single string is a list of one). */
int mf_yaml_strv(struct mf_yaml *p, const yaml_node_t *n, char ***out, size_t *count);
/* A mapping of strings to strings, in document order. */
int mf_yaml_kv(struct mf_yaml *p, const yaml_node_t *n, struct mf_kv **out, size_t *count);
/* An absolute image path, normalized: no ".", "..", control characters, components over
 * 255 bytes or paths over 4095; "/" only with @allow_root. */
int mf_yaml_path(struct mf_yaml *p, const yaml_node_t *n, char **out, int allow_root);
/* A host path, made absolute against @p->dir. */
int mf_yaml_host(struct mf_yaml *p, const yaml_node_t *n, char **out);

typedef int (*mf_yaml_field_fn)(struct mf_yaml *p, const yaml_node_t *n, void *obj);
struct mf_yaml_field {
	const char *name;
	mf_yaml_field_fn fn;
};

/* Reads mapping @n: each key must be one of @fields (NULL-terminated), at most once. */
int mf_yaml_mapping(struct mf_yaml *p, const yaml_node_t *n, const struct mf_yaml_field *fields,
		    void *obj);
/* Reads each item of sequence @n with @item into a new array *@v of @size-byte elements,
 * "[i]" in the key path. */
int mf_yaml_sequence(struct mf_yaml *p, const yaml_node_t *n, size_t size, void **v,
		     size_t *count, int (*item)(struct mf_yaml *p, const yaml_node_t *n, void *obj));

/* The limits, on the loaded document (depth) and on its events before loading (aliases,
 * one document, depth, node count). @return 0, or -DT_EINPUT. */
int mf_yaml_check_tree(struct mf_yaml *p, const yaml_node_t *n, int depth);
int mf_yaml_no_aliases(struct mf_yaml *p, const void *buf, size_t len);

#endif
