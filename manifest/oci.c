/* SPDX-License-Identifier: MIT */
/* OCI image documents (see oci.h). */
#include "manifest/oci.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/json.h"
#include "manifest/spec.h"

const char *mf_oci_layer_media_type(enum dt_compression c)
{
	return c == DT_COMP_GZIP ? MF_OCI_LAYER_TYPE "+gzip"
	     : c == DT_COMP_ZSTD ? MF_OCI_LAYER_TYPE "+zstd" : MF_OCI_LAYER_TYPE;
}

int mf_oci_layer_compression(const char *media_type, enum dt_compression *out)
{
	static const struct {
		const char *type;
		enum dt_compression c;
	} types[] = {
		{ MF_OCI_LAYER_TYPE, DT_COMP_NONE },
		{ MF_OCI_LAYER_TYPE "+gzip", DT_COMP_GZIP },
		{ MF_OCI_LAYER_TYPE "+zstd", DT_COMP_ZSTD },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", DT_COMP_NONE },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", DT_COMP_GZIP },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", DT_COMP_ZSTD },
		{ "application/vnd.docker.image.rootfs.diff.tar", DT_COMP_NONE },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", DT_COMP_GZIP },
		{ "application/vnd.docker.image.rootfs.diff.tar.zstd", DT_COMP_ZSTD },
	};

	for (size_t i = 0; media_type && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(media_type, types[i].type) == 0) {
			*out = types[i].c;
			return 0;
		}
	return -1;
}

const char *mf_oci_name_tag(const char *name)
{
	const char *slash = strrchr(name, '/'), *colon = strrchr(slash ? slash : name, ':');

	return colon ? colon + 1 : NULL;
}

int mf_oci_full_name(const char *name, char *buf, size_t len)
{
	const char *slash = strchr(name, '/'), *domain = "docker.io", *rest = name;
	size_t first = slash ? (size_t)(slash - name) : 0;
	int n;

	/* as docker's reference.ParseNormalizedNamed */
	if (slash && (memchr(name, '.', first) || memchr(name, ':', first) ||
		      (first == 9 && strncmp(name, "localhost", 9) == 0))) {
		if (!((first == 9 && strncmp(name, "docker.io", 9) == 0) ||
		      (first == 15 && strncmp(name, "index.docker.io", 15) == 0)))
			domain = NULL;
		rest = slash + 1;
	}
	if (domain)
		n = snprintf(buf, len, "%s/%s%s", domain, strchr(rest, '/') ? "" : "library/",
			     rest);
	else
		n = snprintf(buf, len, "%s", name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const char *mf_oci_familiar_name(const char *full)
{
	if (strncmp(full, "docker.io/", 10) != 0)
		return full;
	full += 10;
	if (strncmp(full, "library/", 8) == 0 && !strchr(full + 8, '/'))
		full += 8;
	return full;
}

static json_t *strv(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* {"a":{}, "b":{}}: the OCI form of a set. */
static json_t *set(const char *const *v, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++)
		if (json_object_set_new(o, v[i], json_object()) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *kv(const struct mf_kv *v, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++)
		if (json_object_set_new(o, v[i].key, json_string(v[i].value)) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *desc(const struct mf_oci_desc *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", d->digest,
			 "size", (json_int_t)d->size);
}

static int finish(json_t *doc, char **out, struct dt_err *err)
{
	int rc;

	if (!doc)
		return dt_err_set(err, DT_ENOMEM, "cannot build JSON document");
	rc = mf_json_dump(doc, MF_JSON_COMPACT, out, err);
	json_decref(doc);
	return rc;
}

/* Sets @key to @val unless @val is NULL; takes the reference. @return 0 or -1. */
static int put(json_t *o, const char *key, json_t *val)
{
	if (!val)
		return -1;
	return json_object_set_new(o, key, val);
}

int mf_oci_config_json(const struct mf_oci_config *c, char **out, struct dt_err *err)
{
	json_t *doc = json_object(), *cfg = json_object(), *hist = json_array();
	int bad = !doc || !cfg || !hist;

	if (!bad && c->user)
		bad |= put(cfg, "User", json_string(c->user));
	if (!bad && c->workdir)
		bad |= put(cfg, "WorkingDir", json_string(c->workdir));
	if (!bad && c->stop_signal)
		bad |= put(cfg, "StopSignal", json_string(c->stop_signal));
	if (!bad && c->nentrypoint)
		bad |= put(cfg, "Entrypoint", strv(c->entrypoint, c->nentrypoint));
	if (!bad && c->ncmd)
		bad |= put(cfg, "Cmd", strv(c->cmd, c->ncmd));
	if (!bad && c->nenv)
		bad |= put(cfg, "Env", strv(c->env, c->nenv));
	if (!bad && c->nlabels)
		bad |= put(cfg, "Labels", kv(c->labels, c->nlabels));
	if (!bad && c->nports)
		bad |= put(cfg, "ExposedPorts", set(c->ports, c->nports));
	if (!bad && c->nvolumes)
		bad |= put(cfg, "Volumes", set(c->volumes, c->nvolumes));
	for (size_t i = 0; !bad && i < c->nlayers; i++)
		bad |= json_array_append_new(hist, json_pack("{s:s, s:s}", "created", c->created,
							     "created_by", c->history[i])) < 0;
	if (!bad) {
		bad |= put(doc, "created", json_string(c->created));
		bad |= put(doc, "os", json_string(c->os));
		bad |= put(doc, "architecture", json_string(c->arch));
		if (c->variant)
			bad |= put(doc, "variant", json_string(c->variant));
		bad |= put(doc, "rootfs", json_pack("{s:s, s:o}", "type", "layers", "diff_ids",
						    strv(c->diff_ids, c->nlayers)));
		bad |= json_object_set(doc, "config", cfg) < 0;
		bad |= json_object_set(doc, "history", hist) < 0;
	}
	json_decref(cfg);
	json_decref(hist);
	if (bad) {
		json_decref(doc);
		doc = NULL;
	}
	return finish(doc, out, err);
}

int mf_oci_manifest_json(const struct mf_oci_desc *config, const struct mf_oci_desc *layers,
			 size_t nlayers, const struct mf_kv *annotations, size_t nannotations,
			 char **out, struct dt_err *err)
{
	json_t *doc = json_object(), *ls = json_array();
	int bad = !doc || !ls;

	for (size_t i = 0; !bad && i < nlayers; i++)
		bad |= json_array_append_new(ls, desc(&layers[i])) < 0;
	if (!bad) {
		bad |= put(doc, "schemaVersion", json_integer(2));
		bad |= put(doc, "mediaType", json_string(MF_OCI_MANIFEST_TYPE));
		bad |= put(doc, "config", desc(config));
		bad |= json_object_set(doc, "layers", ls) < 0;
		if (nannotations)
			bad |= put(doc, "annotations", kv(annotations, nannotations));
	}
	json_decref(ls);
	if (bad) {
		json_decref(doc);
		doc = NULL;
	}
	return finish(doc, out, err);
}

int mf_oci_artifact_json(const char *type, const struct mf_oci_desc *layer,
			 const struct mf_oci_desc *subject, char **out, struct dt_err *err)
{
	/* the empty descriptor of image-spec v1.1: the 2-byte blob "{}", its data inline */
	json_t *doc = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i, s:s}, s:[o], s:o}",
				"schemaVersion", 2, "mediaType", MF_OCI_MANIFEST_TYPE,
				"artifactType", type, "config", "mediaType", MF_OCI_EMPTY_TYPE,
				"digest", "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
				"size", 2, "data", "e30=", "layers", desc(layer),
				"subject", desc(subject));
	return finish(doc, out, err);
}

static json_t *index_entry(const struct mf_oci_index_entry *e)
{
	json_t *d = desc(&e->desc), *p;

	if (!d)
		return NULL;
	if (e->artifact_type) {
		if (put(d, "artifactType", json_string(e->artifact_type)) < 0 ||
		    (e->subject && put(d, "annotations", json_pack("{s:s}", MF_OCI_SUBJECT,
								   e->subject)) < 0)) {
			json_decref(d);
			return NULL;
		}
		return d;
	}
	p = json_pack("{s:s, s:s}", "os", e->os, "architecture", e->arch);
	if (!p || (e->variant && put(p, "variant", json_string(e->variant)) < 0) ||
	    put(d, "platform", p) < 0 ||
	    ((e->ref_name || e->image_name) && put(d, "annotations", json_object()) < 0) ||
	    (e->ref_name && put(json_object_get(d, "annotations"), MF_OCI_REF_NAME,
				json_string(e->ref_name)) < 0) ||
	    (e->image_name && put(json_object_get(d, "annotations"), MF_OCI_IMAGE_NAME,
				  json_string(e->image_name)) < 0)) {
		json_decref(d);
		return NULL;
	}
	return d;
}

static json_t *index_doc(json_t *manifests)
{
	json_t *doc = json_object();

	if (!doc || !manifests || put(doc, "schemaVersion", json_integer(2)) < 0 ||
	    put(doc, "mediaType", json_string(MF_OCI_INDEX_TYPE)) < 0 ||
	    json_object_set(doc, "manifests", manifests) < 0) {
		json_decref(doc);
		doc = NULL;
	}
	json_decref(manifests);
	return doc;
}

int mf_oci_index_json(const struct mf_oci_index_entry *v, size_t n, char **out,
		      struct dt_err *err)
{
	json_t *ms = json_array();

	for (size_t i = 0; ms && i < n; i++)
		if (json_array_append_new(ms, index_entry(&v[i])) < 0) {
			json_decref(ms);
			ms = NULL;
		}
	return finish(index_doc(ms), out, err);
}

/* Whether the index entry @m is the image @add replaces: its ref.name is @add's or @drop_ref
 * (the full name an older distill wrote there), or its io.containerd.image.name is @add's. */
static int replaced(const json_t *m, const struct mf_oci_index_entry *add, const char *drop_ref)
{
	const json_t *a = json_object_get(m, "annotations");
	const char *ref = json_string_value(json_object_get(a, MF_OCI_REF_NAME));
	const char *full = json_string_value(json_object_get(a, MF_OCI_IMAGE_NAME));

	if (json_object_get(m, "artifactType"))
		return 0;
	return (ref && ((add->ref_name && strcmp(ref, add->ref_name) == 0) ||
			(drop_ref && strcmp(ref, drop_ref) == 0))) ||
	       (full && add->image_name && strcmp(full, add->image_name) == 0);
}

int mf_oci_index_merge(const char *name, const char *old_index, const char *drop_ref,
		       const struct mf_oci_index_entry *add, size_t nadd, char **out,
		       struct dt_err *err)
{
	json_error_t jerr;
	json_t *old = json_loads(old_index, 0, &jerr), *ms, *keep = json_array();
	json_t *dropped = json_array();
	size_t i;
	json_t *m;
	int bad = !dropped;

	if (!old || !json_is_array(ms = json_object_get(old, "manifests"))) {
		json_decref(old);
		json_decref(keep);
		json_decref(dropped);
		return dt_err_set(err, DT_EINPUT, "'%s' is not an OCI image index", name);
	}
	/* the images replaced (add[0] is the image; the others its artifacts) */
	json_array_foreach(ms, i, m)
		if (nadd && replaced(m, &add[0], drop_ref) && dropped)
			json_array_append(dropped, json_object_get(m, "digest"));
	json_array_foreach(ms, i, m) {
		const char *subj = json_string_value(
			json_object_get(json_object_get(m, "annotations"), MF_OCI_SUBJECT));
		const char *dig = json_string_value(json_object_get(m, "digest"));
		size_t k;
		json_t *dg;
		int gone = nadd && replaced(m, &add[0], drop_ref);
		/* with the artifacts whose subject it was */
		json_array_foreach(dropped, k, dg)
			gone |= subj && json_string_value(dg) && strcmp(subj, json_string_value(dg)) == 0;
		for (size_t a = 0; a < nadd; a++) /* the same artifact again */
			gone |= add[a].artifact_type && dig && strcmp(dig, add[a].desc.digest) == 0;
		if (gone)
			continue;
		if (keep)
			json_array_append(keep, m);
	}
	json_decref(dropped);
	for (size_t a = 0; a < nadd && !bad; a++)
		bad |= !keep || json_array_append_new(keep, index_entry(&add[a])) < 0;
	/* the old index's other fields (its annotations, ...) stay as they are */
	bad = bad || !keep ||
	      json_object_set_new(old, "manifests", keep) < 0 ||
	      put(old, "schemaVersion", json_integer(2)) < 0 ||
	      put(old, "mediaType", json_string(MF_OCI_INDEX_TYPE)) < 0;
	if (bad) {
		json_decref(old);
		old = NULL;
	}
	return finish(old, out, err);
}

int mf_docker_manifest_json(const char *config_path, const char *repo_tag,
			    const char *const *layer_paths, size_t nlayers, char **out,
			    struct dt_err *err)
{
	json_t *doc = json_pack("[{s:s, s:[s], s:o}]", "Config", config_path, "RepoTags",
				repo_tag, "Layers", strv(layer_paths, nlayers));
	return finish(doc, out, err);
}
