/* SPDX-License-Identifier: MIT */
/* Unit tests of image writing (packer/image/write.c, layout.c, archive.c, lockview.c): a
 * small synthetic image written in every format and compression, read back by verify/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive_entry.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/digest.h"
#include "manifest/lock.h"
#include "manifest/spec.h"
#include "packer/image/image.h"
#include "packer/image/plan.h"
#include "verify/source.h"
#include "verify/stream.h"
#include "testlib.h"

#define EPOCH 1700000000
#define CREATED "2023-11-14T22:13:20Z"
#define NAME "example/app:1.0"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char spec_body[] =
	"platform: linux/amd64\nbase: scratch\n"
	"users:\n  - {name: app, uid: 1000, gid: 1000}\n"
	"files:\n  - {src: ./app, dst: /app}\n"
	"  - {src: ./conf.txt, dst: /etc/app/conf.txt, mode: \"0640\", gid: 1000}\n"
	"config:\n  entrypoint: [/app/bin/run]\n  env: {TZ: UTC}\n  user: app\n";

static char debroot[4096];
static unsigned char big[300000];
/* Per test: the spec's root, and its directory holding the app's files; the plans made
 * there (freed by teardown even when an assertion fails). */
static struct tl_project pj = { .name = NAME };

static int group_setup(void **state)
{
	uint32_t x = 12345;
	(void)state;
	for (size_t i = 0; i < sizeof(big); i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (unsigned char)(x >> 16);
	}
	snprintf(debroot, sizeof(debroot), "%s", tl_tmpdir());
	tl_deb_build(debroot, "w", "Package: wpkg\nVersion: 1.0\nArchitecture: amd64\n"
		     "Maintainer: T <t@example.invalid>\nDescription: w\n",
		     "mkdir -p usr/share/wpkg; printf 'wpkg data\\n' > usr/share/wpkg/data",
		     "debs/wpkg_1.0_amd64.deb");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tl_rmtree(debroot);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	tl_project_open(&pj);
	tl_write(pj.proj, "app/bin/run", "#!/bin/sh\necho hi\n", (size_t)-1, 0700);
	tl_write(pj.proj, "app/data/big.bin", big, sizeof(big), 0644);
	tl_write(pj.proj, "app/data/empty", "", 0, 0600);
	tl_symlink(pj.proj, "app/lnk", "bin/run");
	tl_write(pj.proj, "conf.txt", "key=value\n", (size_t)-1, 0644);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_project_close(&pj);
	return 0;
}

/* ---- planning and writing ---- */

/* The plan of @body (with name and root), at @epoch; freed by teardown. */
static struct pk_image *plan_body(const char *body, const char *debs, int64_t epoch)
{
	struct pk_image *img;
	struct dt_err err;

	pj.epoch = epoch;
	if (tl_plan(&pj, pj.root, body, debs, &img, &err) < 0)
		fail_msg("plan: %s", err.msg);
	return img;
}

static struct pk_image *plan(void)
{
	return plan_body(spec_body, NULL, EPOCH);
}

static void sha256_file(const char *path, char digest[DT_DIGEST_LEN])
{
	unsigned char md[DT_SHA256_LEN];

	tl_sha256_file(path, md);
	dt_digest_of_raw(md, digest);
}

/* ---- what the image holds ---- */

#define BASE 1
#define APP 2

struct want {
	const char *path;
	int layers;           /* BASE and/or APP: the layers whose tar holds it */
	uint32_t type, mode, uid, gid;
	const char *text;     /* regular files: content (NULL: big) */
	const char *link;
};

static const struct want want[] = {
	{ "etc", BASE | APP, AE_IFDIR, 0755, 0, 0, NULL, NULL },
	{ "etc/group", BASE, AE_IFREG, 0644, 0, 0, "app:x:1000:\n", NULL },
	{ "etc/passwd", BASE, AE_IFREG, 0644, 0, 0,
	  "app:x:1000:1000:app:/home/app:/sbin/nologin\n", NULL },
	{ "home", BASE, AE_IFDIR, 0755, 0, 0, NULL, NULL },
	{ "home/app", BASE, AE_IFDIR, 0700, 1000, 1000, NULL, NULL },
	{ "app", APP, AE_IFDIR, 0755, 0, 0, NULL, NULL },
	{ "app/bin", APP, AE_IFDIR, 0755, 0, 0, NULL, NULL },
	{ "app/bin/run", APP, AE_IFREG, 0755, 0, 0, "#!/bin/sh\necho hi\n", NULL },
	{ "app/data", APP, AE_IFDIR, 0755, 0, 0, NULL, NULL },
	{ "app/data/big.bin", APP, AE_IFREG, 0644, 0, 0, NULL, NULL },
	{ "app/data/empty", APP, AE_IFREG, 0644, 0, 0, "", NULL },
	{ "app/lnk", APP, AE_IFLNK, 0777, 0, 0, NULL, "bin/run" },
	{ "etc/app", APP, AE_IFDIR, 0755, 0, 0, NULL, NULL },
	{ "etc/app/conf.txt", APP, AE_IFREG, 0640, 0, 1000, "key=value\n", NULL },
};
#define NWANT (sizeof(want) / sizeof(want[0]))

/* The entry name without a trailing "/" (and without "./"). */
static void entry_name(const char *name, char *buf, size_t len)
{
	size_t n;

	if (strncmp(name, "./", 2) == 0)
		name += 2;
	snprintf(buf, len, "%s", name);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

/* The entries of one tar: exactly those of @want in the layers @mask, each with its type,
 * mode, owner, mtime (the epoch), size, content and link, parents before children. */
static void check_entries(const struct vf_stream *st, int mask, int64_t epoch)
{
	size_t expected = 0;

	for (size_t i = 0; i < NWANT; i++)
		expected += (want[i].layers & mask) != 0;
	for (size_t i = 0; i < st->n; i++) {
		struct vf_stream_entry got, *e = &got;
		const struct want *w = NULL;
		char name[4096];
		vf_stream_entry_at(st, i, &got);
		entry_name(e->name, name, sizeof(name));
		for (size_t j = 0; j < NWANT && !w; j++)
			if (strcmp(want[j].path, name) == 0 && (want[j].layers & mask))
				w = &want[j];
		if (!w)
			fail_msg("unexpected entry '%s'", e->name);
		if (e->type != w->type || e->mode != w->mode || e->uid != w->uid ||
		    e->gid != w->gid)
			fail_msg("'%s': type %o mode %o %lld:%lld", name, e->type, e->mode,
				 (long long)e->uid, (long long)e->gid);
		assert_int_equal(e->mtime, epoch);
		assert_int_equal(e->mtime_ns, 0);
		assert_false(e->hardlink);
		if (w->type == AE_IFREG) {
			const void *data = w->text ? (const void *)w->text : (const void *)big;
			size_t len = w->text ? strlen(w->text) : sizeof(big);
			assert_int_equal(e->size, len);
			tl_expect_sha256(e->sha256, data, len);
		} else {
			assert_int_equal(e->size, 0);
		}
		if (w->link)
			assert_string_equal(e->link, w->link);
		else
			assert_null(e->link);
		/* each once, its parent before it */
		for (size_t j = 0; j < i; j++) {
			char other[4096];
			entry_name(vf_stream_name_at(st, j), other, sizeof(other));
			assert_string_not_equal(other, name);
		}
		if (strchr(name, '/')) {
			int seen = 0;
			size_t plen = (size_t)(strrchr(name, '/') - name);
			for (size_t j = 0; j < i && !seen; j++) {
				char other[4096];
				entry_name(vf_stream_name_at(st, j), other, sizeof(other));
				seen = strlen(other) == plen && strncmp(other, name, plen) == 0;
			}
			if (!seen)
				fail_msg("'%s' comes before its parent", name);
		}
	}
	assert_int_equal(st->n, expected);
}

static const char *const media_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
};

/* The config document: platform, created, user, env, entrypoint, diff_ids. */
static void check_config(const struct vf_source *s, const struct pk_build_result *res)
{
	json_t *c = s->config, *cfg = json_object_get(c, "config");
	json_t *env = json_object_get(cfg, "Env"), *ids;

	assert_string_equal(json_string_value(json_object_get(c, "architecture")), "amd64");
	assert_string_equal(json_string_value(json_object_get(c, "os")), "linux");
	assert_string_equal(json_string_value(json_object_get(c, "created")), CREATED);
	assert_string_equal(json_string_value(json_object_get(cfg, "User")), "1000");
	assert_int_equal(json_array_size(env), 2);
	assert_string_equal(json_string_value(json_array_get(env, 0)), DEFAULT_PATH);
	assert_string_equal(json_string_value(json_array_get(env, 1)), "TZ=UTC");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Entrypoint"),
							      0)), "/app/bin/run");
	ids = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	assert_int_equal(json_array_size(ids), res->nlayers);
	for (size_t i = 0; i < res->nlayers; i++)
		assert_string_equal(json_string_value(json_array_get(ids, i)), res->diff_ids[i]);
	assert_string_equal(s->config_digest, res->config);
}

/* The image at @out (picked by @ref) read back: its layers and documents agree with @res
 * and hold @want. */
static void check_image(const char *out, const char *ref, enum pk_image_format f,
			enum dt_compression c, const struct pk_build_result *res)
{
	static const enum vf_source_kind kinds[] = { VF_SOURCE_LAYOUT, VF_SOURCE_OCI_ARCHIVE,
						     VF_SOURCE_DOCKER_ARCHIVE, VF_SOURCE_TARBALL };
	enum dt_compression stored = f == PK_FORMAT_DOCKER_ARCHIVE ? DT_COMP_NONE : c;
	struct vf_source *s = tl_source_open(out, ref);

	assert_int_equal(s->kind, kinds[f]);
	if (f != PK_FORMAT_OCI) {
		char digest[DT_DIGEST_LEN];
		sha256_file(out, digest);
		assert_string_equal(res->output, digest);
	} else {
		assert_string_equal(res->output, "");
	}
	if (f == PK_FORMAT_ROOTFS) {
		struct vf_stream st;
		assert_int_equal(res->nlayers, 1);
		tl_read_layer(s, 0, &st);
		assert_int_equal(st.comp, c);
		assert_string_equal(st.digest, res->output);
		assert_string_equal(st.diff_id, res->diff_ids[0]);
		assert_string_equal(res->layers[0], res->output);
		assert_int_equal(st.size, res->layer_sizes[0]);
		check_entries(&st, BASE | APP, EPOCH);
		vf_stream_release(&st);
		vf_source_free(s);
		return;
	}
	assert_string_equal(s->ref, res->name);
	assert_int_equal(s->nlayers, 2);
	assert_int_equal(res->nlayers, 2);
	for (size_t i = 0; i < 2; i++) {
		struct vf_stream st;
		tl_read_layer(s, i, &st);
		assert_int_equal(st.comp, stored);
		assert_string_equal(st.digest, res->layers[i]);
		assert_string_equal(st.diff_id, res->diff_ids[i]);
		assert_int_equal(st.size, res->layer_sizes[i]);
		assert_string_equal(s->layers[i].diff_id, res->diff_ids[i]);
		if (stored == DT_COMP_NONE)
			assert_string_equal(res->layers[i], res->diff_ids[i]);
		else
			assert_string_not_equal(res->layers[i], res->diff_ids[i]);
		if (f != PK_FORMAT_DOCKER_ARCHIVE) {
			assert_string_equal(s->layers[i].digest, res->layers[i]);
			assert_int_equal(s->layers[i].size, res->layer_sizes[i]);
			assert_string_equal(s->layers[i].media_type, media_types[c]);
		}
		check_entries(&st, i == 0 ? BASE : APP, EPOCH);
		vf_stream_release(&st);
	}
	check_config(s, res);
	if (f == PK_FORMAT_DOCKER_ARCHIVE) {
		json_t *d = s->docker, *layers = json_object_get(d, "Layers");
		char name[DT_DIGEST_LEN + 32];
		snprintf(name, sizeof(name), "blobs/sha256/%s", res->config + 7);
		assert_string_equal(json_string_value(json_object_get(d, "Config")), name);
		assert_int_equal(json_array_size(json_object_get(d, "RepoTags")), 1);
		assert_string_equal(json_string_value(json_array_get(json_object_get(d, "RepoTags"),
								      0)), res->name);
		assert_int_equal(json_array_size(layers), 2);
		for (size_t i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "blobs/sha256/%s", res->layers[i] + 7);
			assert_string_equal(json_string_value(json_array_get(layers, i)), name);
		}
	} else {
		json_t *ann = json_object_get(s->manifest, "annotations");
		json_t *names = json_object_get(s->desc, "annotations");
		char full[600];
		assert_string_equal(s->manifest_digest, res->manifest);
		/* the index names the image (its tag, its full name); the manifest does not */
		assert_null(json_object_get(ann, "org.opencontainers.image.ref.name"));
		assert_null(json_object_get(ann, "io.containerd.image.name"));
		assert_int_equal(json_object_size(names), 2);
		assert_string_equal(json_string_value(json_object_get(
			names, "org.opencontainers.image.ref.name")), strrchr(res->name, ':') + 1);
		snprintf(full, sizeof(full), "docker.io/%s", res->name);
		assert_string_equal(res->full_name, full);
		assert_string_equal(json_string_value(json_object_get(
			names, "io.containerd.image.name")), full);
		assert_string_equal(json_string_value(json_object_get(
			ann, "org.opencontainers.image.created")), CREATED);
		assert_null(json_object_get(ann, "dev.distill.lock.digest"));
	}
	vf_source_free(s);
}

static int hex_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The members an archive must hold, in the order the tar engine writes them (bytewise per
 * directory, parents first): the blobs of @res, @docs (the manifest too for oci). */
static void check_members(const char *out, enum pk_image_format f,
			  const struct pk_build_result *res)
{
	const char *hex[4];
	struct vf_source *s;
	size_t nh = 0, k = 0;
	char want_m[8][DT_DIGEST_LEN + 32];

	hex[nh++] = res->config + 7;
	hex[nh++] = res->layers[0] + 7;
	hex[nh++] = res->layers[1] + 7;
	if (f == PK_FORMAT_OCI_ARCHIVE)
		hex[nh++] = res->manifest + 7;
	qsort(hex, nh, sizeof(hex[0]), hex_cmp);
	snprintf(want_m[k++], sizeof(want_m[0]), "blobs");
	snprintf(want_m[k++], sizeof(want_m[0]), "blobs/sha256");
	for (size_t i = 0; i < nh; i++)
		snprintf(want_m[k++], sizeof(want_m[0]), "blobs/sha256/%s", hex[i]);
	if (f == PK_FORMAT_OCI_ARCHIVE) {
		snprintf(want_m[k++], sizeof(want_m[0]), "index.json");
		snprintf(want_m[k++], sizeof(want_m[0]), "oci-layout");
	} else {
		snprintf(want_m[k++], sizeof(want_m[0]), "manifest.json");
	}
	s = tl_source_open(out, NULL);
	for (size_t i = 0; i < s->nmembers && i < k; i++) {
		char name[4096];
		entry_name(s->members[i], name, sizeof(name));
		assert_string_equal(name, want_m[i]);
	}
	assert_int_equal(s->nmembers, k);
	vf_source_free(s);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every blob of the layout @out hashes to its name; their names, sorted, into @names. */
static size_t check_blobs(const char *out, char names[][72], size_t cap)
{
	char dir[4300];
	struct dirent *de;
	DIR *d;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/blobs/sha256", out);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d))) {
		char path[4600], digest[DT_DIGEST_LEN];
		if (de->d_name[0] == '.') {
			assert_true(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."));
			continue;
		}
		assert_true(n < cap);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		sha256_file(path, digest);
		assert_string_equal(digest + 7, de->d_name);
		assert_int_equal(strlen(de->d_name), 64);
		memcpy(names[n++], de->d_name, 65);
	}
	closedir(d);
	qsort(names, n, 72, name_cmp);
	return n;
}

/* Nothing in @dir but @n names (temporaries and partial outputs are gone). */
static void expect_dir(const char *dir, const char *const *names, size_t n)
{
	struct dirent *de;
	DIR *d;
	size_t seen = 0;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d))) {
		int known = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(de->d_name, names[i]) == 0;
		if (!known)
			fail_msg("'%s/%s' was left", dir, de->d_name);
		seen += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	}
	closedir(d);
	assert_int_equal(seen, n);
}

static void expect_same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = tl_read(a, &la), *y = tl_read(b, &lb);

	assert_int_equal(la, lb);
	assert_memory_equal(x, y, la);
	free(x);
	free(y);
}

/* ---- the tests ---- */

static const char *const suffix[4][3] = {
	{ ".oci", ".oci", ".oci" },
	{ ".oci.tar", ".oci.tar", ".oci.tar" },
	{ ".docker.tar", ".docker.tar", ".docker.tar" },
	{ ".tar", ".tar.gz", ".tar.zst" },
};

/* Every format and compression, written twice from two plans of the same spec: read back,
 * checked against the spec, and the same bytes. */
static void test_formats(void **state)
{
	(void)state;
	for (int f = PK_FORMAT_OCI; f <= PK_FORMAT_ROOTFS; f++)
		for (int c = DT_COMP_NONE; c <= DT_COMP_ZSTD; c++) {
			struct pk_build_result r1, r2;
			char o1[4400], o2[4400];
			snprintf(o1, sizeof(o1), "%s/one-%d%s", pj.tmp, c, suffix[f][c]);
			snprintf(o2, sizeof(o2), "%s/two-%d%s", pj.tmp, c, suffix[f][c]);
			tl_image_write(plan(), o1, (enum pk_image_format)f, (enum dt_compression)c,
				       NULL, &r1);
			tl_image_write(plan(), o2, (enum pk_image_format)f, (enum dt_compression)c,
				       NULL, &r2);
			assert_string_equal(r1.name, NAME);
			check_image(o1, NULL, (enum pk_image_format)f, (enum dt_compression)c, &r1);
			assert_memory_equal(&r1, &r2, sizeof(r1));
			if (f == PK_FORMAT_OCI) {
				char n1[8][72] = { { 0 } }, n2[8][72] = { { 0 } };
				char p1[4500], p2[4500];
				size_t k = check_blobs(o1, n1, 8);
				assert_int_equal(k, 4);
				assert_int_equal(check_blobs(o2, n2, 8), 4);
				assert_memory_equal(n1, n2, sizeof(n1[0]) * 4);
				{
					const char *hex[4] = { r1.config + 7, r1.manifest + 7,
							       r1.layers[0] + 7, r1.layers[1] + 7 };
					qsort(hex, 4, sizeof(hex[0]), hex_cmp);
					for (size_t i = 0; i < 4; i++)
						assert_string_equal(n1[i], hex[i]);
				}
				{
					static const char *const top[] = { "blobs", "index.json",
									   "oci-layout" };
					expect_dir(o1, top, 3);
				}
				snprintf(p1, sizeof(p1), "%s/index.json", o1);
				snprintf(p2, sizeof(p2), "%s/index.json", o2);
				expect_same_file(p1, p2);
				snprintf(p1, sizeof(p1), "%s/oci-layout", o1);
				{
					char *t = tl_read(p1, NULL);
					assert_string_equal(t, "{\"imageLayoutVersion\":\"1.0.0\"}");
					free(t);
				}
			} else {
				expect_same_file(o1, o2);
				if (f != PK_FORMAT_ROOTFS)
					check_members(o1, (enum pk_image_format)f, &r1);
			}
			tl_rmtree(o1);
			tl_rmtree(o2);
		}
	/* nothing left beside the outputs */
	{
		static const char *const left[] = { "root", "proj" };
		expect_dir(pj.tmp, left, 2);
	}
}

/* The epoch reaches every mtime and `created`; another epoch gives other digests. */
static void test_epoch(void **state)
{
	struct pk_build_result r1, r2;
	char o1[4400], o2[4400];
	struct vf_source *s = NULL;
	struct vf_stream st;
	struct dt_err err;
	(void)state;
	snprintf(o1, sizeof(o1), "%s/a.tar", pj.tmp);
	snprintf(o2, sizeof(o2), "%s/b.tar", pj.tmp);
	tl_image_write(plan_body(spec_body, NULL, 0), o1, PK_FORMAT_ROOTFS, DT_COMP_NONE, NULL,
		       &r1);
	tl_image_write(plan_body(spec_body, NULL, 86400), o2, PK_FORMAT_ROOTFS, DT_COMP_NONE, NULL,
		       &r2);
	assert_string_not_equal(r1.output, r2.output);
	assert_int_equal(vf_source_open(o2, NULL, &s, &err), 0);
	tl_read_layer(s, 0, &st);
	check_entries(&st, BASE | APP, 86400);
	vf_stream_release(&st);
	vf_source_free(s);
}

/* Images with other tags land in one layout; a tag written again is replaced. */
static void test_layout_tags(void **state)
{
	struct pk_build_result r1, r2, r3;
	char out[4400], path[4500];
	char names[16][72];
	struct vf_source *s = NULL;
	struct dt_err err;
	json_t *index, *m;
	json_error_t je;
	(void)state;
	snprintf(out, sizeof(out), "%s/img", pj.tmp);
	tl_image_write(plan(), out, PK_FORMAT_OCI, DT_COMP_GZIP, NULL, &r1);
	tl_image_write(plan(), out, PK_FORMAT_OCI, DT_COMP_GZIP, "2.0", &r2);
	assert_string_equal(r2.name, "example/app:2.0");
	/* the same layers, config and manifest: the tag is the index's */
	assert_string_equal(r1.layers[0], r2.layers[0]);
	assert_string_equal(r1.config, r2.config);
	assert_string_equal(r1.manifest, r2.manifest);
	check_image(out, NAME, PK_FORMAT_OCI, DT_COMP_GZIP, &r1);
	check_image(out, "example/app:2.0", PK_FORMAT_OCI, DT_COMP_GZIP, &r2);
	check_image(out, "2.0", PK_FORMAT_OCI, DT_COMP_GZIP, &r2);
	check_image(out, "docker.io/example/app:2.0", PK_FORMAT_OCI, DT_COMP_GZIP, &r2);
	assert_int_equal(check_blobs(out, names, 16), 4);
	assert_int_equal(vf_source_open(out, NULL, &s, &err), -DT_EINPUT);
	assert_null(s);
	snprintf(path, sizeof(path), "'%s' holds 2 images (%s, example/app:2.0); pick one with "
		 "--ref", out, NAME);
	assert_string_equal(err.msg, path);

	/* 2.0 again, from another image (another epoch, other layers): replaced */
	tl_image_write(plan_body(spec_body, NULL, 5), out, PK_FORMAT_OCI, DT_COMP_ZSTD, "2.0", &r3);
	assert_string_not_equal(r3.layers[0], r2.layers[0]);
	snprintf(path, sizeof(path), "%s/index.json", out);
	assert_non_null(index = json_load_file(path, 0, &je));
	m = json_object_get(index, "manifests");
	assert_int_equal(json_array_size(m), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *d = json_array_get(m, i);
		const char *ref = json_string_value(json_object_get(
			json_object_get(d, "annotations"), "org.opencontainers.image.ref.name"));
		const char *digest = json_string_value(json_object_get(d, "digest"));
		assert_non_null(ref);
		assert_string_equal(digest, strcmp(ref, "1.0") == 0 ? r1.manifest : r3.manifest);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(d, "platform"), "architecture")), "amd64");
	}
	json_decref(index);
	assert_int_equal(vf_source_open(out, "example/app:2.0", &s, &err), 0);
	assert_string_equal(s->manifest_digest, r3.manifest);
	assert_string_equal(s->layers[1].media_type, media_types[DT_COMP_ZSTD]);
	vf_source_free(s);
	check_image(out, NAME, PK_FORMAT_OCI, DT_COMP_GZIP, &r1);
	/* blobs are added, none removed: the 2 zstd layers, the config (another created) and
	 * the manifest of the new 2.0 */
	assert_int_equal(check_blobs(out, names, 16), 8);
}

/* An existing directory is written into only when it is empty or a layout. */
static void test_layout_existing(void **state)
{
	struct pk_build_opts o = { .format = PK_FORMAT_OCI };
	struct pk_build_result res;
	struct dt_err err;
	char out[4400], msg[4600];
	(void)state;
	snprintf(out, sizeof(out), "%s/busy", pj.tmp);
	tl_write(pj.tmp, "busy/keep.txt", "mine\n", (size_t)-1, 0644);
	assert_int_equal(pk_image_write(plan(), out, &o, &res, &err), -DT_EINPUT);
	snprintf(msg, sizeof(msg), "'%s' is neither empty nor an OCI image layout", out);
	assert_string_equal(err.msg, msg);
	{
		static const char *const mine[] = { "keep.txt" };
		static const char *const top[] = { "root", "proj", "busy" };
		expect_dir(out, mine, 1);
		expect_dir(pj.tmp, top, 3);
	}
	/* a file */
	snprintf(out, sizeof(out), "%s/busy/keep.txt", pj.tmp);
	assert_int_equal(pk_image_write(plan(), out, &o, &res, &err), -DT_EINPUT);
	snprintf(msg, sizeof(msg), "'%s' exists and is not a directory", out);
	assert_string_equal(err.msg, msg);
	/* an empty directory becomes the layout */
	snprintf(out, sizeof(out), "%s/empty", pj.tmp);
	tl_mkdir(pj.tmp, "empty", 0755);
	tl_image_write(plan(), out, PK_FORMAT_OCI, DT_COMP_NONE, NULL, &res);
	check_image(out, NULL, PK_FORMAT_OCI, DT_COMP_NONE, &res);
}

static const struct mf_lock_file *lock_file(const struct mf_lock *l, const char *path)
{
	for (size_t i = 0; i < l->nfiles; i++)
		if (strcmp(l->files[i].path, path) == 0)
			return &l->files[i];
	fail_msg("'%s' is not in the lock", path);
	return NULL;
}

static void sha_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[DT_SHA256_LEN];

	dt_sha256(data, len, md);
	dt_hex(md, DT_SHA256_LEN, hex);
}

/* A file that changed after planning fails the write, and nothing is left at OUT (an
 * existing layout keeps its index and loses the blobs this run added). */
static void test_changed_input(void **state)
{
	struct pk_build_result res;
	char out[4400], path[4500], names[16][72] = { { 0 } }, after[16][72] = { { 0 } };
	(void)state;
	for (int f = PK_FORMAT_OCI; f <= PK_FORMAT_ROOTFS; f++) {
		struct pk_build_opts o = { .format = (enum pk_image_format)f,
					   .compression = DT_COMP_GZIP, .level = 6 };
		struct pk_image *img = plan();
		struct dt_err err;
		snprintf(out, sizeof(out), "%s/out-%d", pj.tmp, f);
		tl_write(pj.proj, "app/bin/run", "#!/bin/sh\necho HI\n", (size_t)-1, 0755);
		assert_true(pk_image_write(img, out, &o, &res, &err) < 0);
		{
			char was[65], now[65], msg[512];
			sha_hex("#!/bin/sh\necho hi\n", 18, was);
			sha_hex("#!/bin/sh\necho HI\n", 18, now);
			snprintf(msg, sizeof(msg), "/app/bin/run: changed since it was locked: "
				 "sha256 locked %s, found %s", was, now);
			assert_string_equal(err.msg, msg);
		}
		{
			static const char *const top[] = { "root", "proj" };
			expect_dir(pj.tmp, top, 2);
		}
		tl_write(pj.proj, "app/bin/run", "#!/bin/sh\necho hi\n", (size_t)-1, 0755);
	}
	snprintf(out, sizeof(out), "%s/img", pj.tmp);
	tl_image_write(plan(), out, PK_FORMAT_OCI, DT_COMP_NONE, NULL, &res);
	snprintf(path, sizeof(path), "%s/index.json", out);
	{
		char *before = tl_read(path, NULL), *now;
		size_t n = check_blobs(out, names, 16);
		struct pk_build_opts o = { .format = PK_FORMAT_OCI, .compression = DT_COMP_ZSTD,
					   .level = 3, .tag = "2.0" };
		struct pk_image *img = plan();
		struct dt_err err;
		tl_write(pj.proj, "conf.txt", "key=VALUE\n", (size_t)-1, 0644);
		assert_true(pk_image_write(img, out, &o, &res, &err) < 0);
		now = tl_read(path, NULL);
		assert_string_equal(before, now);
		free(before);
		free(now);
		assert_int_equal(check_blobs(out, after, 16), n);
		assert_memory_equal(names, after, n * sizeof(names[0]));
		{
			static const char *const top[] = { "blobs", "index.json", "oci-layout" };
			expect_dir(out, top, 3);
		}
	}
}

static void test_lock(void **state)
{
	char debs[4200], path[4400], hex[65], source[PATH_MAX + 64];
	struct pk_image *img;
	struct mf_lock *l = NULL, *l2 = NULL;
	const struct mf_lock_file *f;
	struct dt_err err;
	struct dt_buf y = { 0 };
	char *dump = NULL, *dump2 = NULL;
	(void)state;
	snprintf(debs, sizeof(debs), "%s/debs", debroot);
	img = plan_body("platform: linux/amd64\nbase: scratch\npackages: [wpkg]\n"
			"users:\n  - {name: app, uid: 1000, gid: 1000}\n"
			"files:\n  - {src: ./app, dst: /app}\n", debs, EPOCH);
	assert_int_equal(pk_image_lock(img, &l, &err), 0);
	assert_string_equal(l->spec_file, "app.yaml");
	assert_string_equal(l->platform, "linux/amd64");
	dt_buf_add(&y, "name: %s\nroot: %s\nplatform: linux/amd64\nbase: scratch\n"
		   "packages: [wpkg]\nusers:\n  - {name: app, uid: 1000, gid: 1000}\n"
		   "files:\n  - {src: ./app, dst: /app}\n", NAME, pj.root);
	sha_hex(y.s, y.len, hex);
	dt_buf_release(&y);
	assert_string_equal(l->spec_sha256, hex);
	/* every path of the plan, in its order */
	assert_int_equal(l->nfiles, img->n);
	for (size_t i = 0; i < l->nfiles; i++)
		assert_string_equal(l->files[i].path, img->v[i].path);

	f = lock_file(l, "/etc/passwd");
	assert_int_equal(f->type, MF_LOCK_REG);
	assert_int_equal(f->mode, 0644);
	sha_hex("app:x:1000:1000:app:/home/app:/sbin/nologin\n", 44, hex);
	assert_string_equal(f->sha256, hex);
	assert_int_equal(f->size, 44);
	assert_string_equal(f->source, "distill");
	assert_null(f->package);
	assert_string_equal(mf_lock_layer_name(f->layer), "base");

	f = lock_file(l, "/home/app");
	assert_int_equal(f->type, MF_LOCK_DIR);
	assert_int_equal(f->mode, 0700);
	assert_int_equal(f->uid, 1000);
	assert_int_equal(f->gid, 1000);
	assert_string_equal(f->sha256, "");

	f = lock_file(l, "/app/bin/run");
	assert_int_equal(f->type, MF_LOCK_REG);
	assert_int_equal(f->mode, 0755);
	sha_hex("#!/bin/sh\necho hi\n", 18, hex);
	assert_string_equal(f->sha256, hex);
	snprintf(source, sizeof(source), "host:%s/app/bin/run", pj.rproj);
	assert_string_equal(f->source, source);
	assert_string_equal(mf_lock_layer_name(f->layer), "app");

	f = lock_file(l, "/app/data/big.bin");
	sha_hex(big, sizeof(big), hex);
	assert_string_equal(f->sha256, hex);
	assert_int_equal(f->size, sizeof(big));

	f = lock_file(l, "/app/lnk");
	assert_int_equal(f->type, MF_LOCK_SYMLINK);
	assert_string_equal(mf_lock_type_name(f->type), "symlink");
	assert_int_equal(f->mode, 0777);
	assert_string_equal(f->link, "bin/run");
	assert_string_equal(f->sha256, "");

	f = lock_file(l, "/usr/share/wpkg/data");
	assert_int_equal(f->type, MF_LOCK_REG);
	sha_hex("wpkg data\n", 10, hex);
	assert_string_equal(f->sha256, hex);
	assert_string_equal(f->source, "deb:wpkg@1.0:/usr/share/wpkg/data");
	assert_string_equal(f->package, "wpkg");
	assert_string_equal(f->package_version, "1.0");
	assert_string_equal(mf_lock_layer_name(f->layer), "base");

	f = lock_file(l, "/var/lib/dpkg/status.d/wpkg");
	assert_string_equal(f->source, "distill");
	assert_string_equal(mf_lock_layer_name(f->layer), "base");
	f = lock_file(l, "/var/lib/dpkg/status.d/wpkg.md5sums");
	assert_string_equal(mf_lock_layer_name(f->layer), "base");

	assert_int_equal(l->ndebs, 1);
	assert_string_equal(l->debs[0].name, "wpkg");
	assert_string_equal(l->debs[0].version, "1.0");
	assert_string_equal(l->debs[0].architecture, "amd64");
	assert_string_equal(l->debs[0].file, "wpkg_1.0_amd64.deb");
	snprintf(path, sizeof(path), "%s/wpkg_1.0_amd64.deb", debs);
	{
		unsigned char md[DT_SHA256_LEN];
		size_t len = tl_sha256_file(path, md);
		dt_hex(md, DT_SHA256_LEN, hex);
		assert_string_equal(l->debs[0].sha256, hex);
		assert_int_equal(l->debs[0].size, len);
	}
	/* the same plan locks to the same bytes */
	assert_int_equal(pk_image_lock(img, &l2, &err), 0);
	assert_int_equal(mf_lock_dump(l, &dump, &err), 0);
	assert_int_equal(mf_lock_dump(l2, &dump2, &err), 0);
	assert_string_equal(dump, dump2);
	free(dump);
	free(dump2);
	mf_lock_free(l);
	mf_lock_free(l2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
