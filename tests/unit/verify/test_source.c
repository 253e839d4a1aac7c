/* SPDX-License-Identifier: MIT */
/* Unit tests of verify/source: OCI layouts, OCI archives, docker-archives and plain tarballs
 * (plain, gzip, zstd) told apart by their contents, --ref by ref.name and RepoTag with the
 * exact errors, each layer's descriptor fields, and layers streamed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive_entry.h>

#include "common/digest.h"
#include "manifest/oci.h"
#include "manifest/spec.h"
#include "packer/archive/tar.h"
#include "packer/archive/tree.h"
#include "packer/image/image.h"
#include "testlib.h"
#include "verify/source.h"

#define EPOCH 1700000000

static const char spec_yaml[] = "name: test/img:1\nplatform: linux/amd64\nbase: scratch\n"
				"files:\n  - {src: ./files, dst: /app}\n";

/* The test image (its one layer: app/etc/hello) built in @d as @name, in the format @f with
 * layers compressed with @c, tagged @tag (NULL: the spec's, 1). @return its path (@out). */
static char *build_hello(const char *d, const char *name, enum pk_image_format f,
			 enum dt_compression c, const char *tag, char out[4096],
			 struct pk_build_result *res)
{
	tl_write(d, "files/etc/hello", "hello\n", (size_t)-1, 0644);
	tl_build(d, spec_yaml, EPOCH, tl_path(out, d, name), f, c, tag, res);
	return out;
}

/* One entry of a tar made with the tar engine: content in memory, metadata fixed. */
struct ent {
	const char *path;
	enum pk_type type;
	const char *data; /* regular files: the content; symlinks: the target */
};

static void add(struct pk_tree *t, const struct ent *x)
{
	tl_tree_put(t, x->path, x->type,
		    x->type == PK_DIR ? 0755 : x->type == PK_SYMLINK ? 0777 : 0644, 0, EPOCH,
		    x->data, (size_t)-1);
}

/* Writes @n entries as the tar @path, compressed with @c. */
static void write_tar(const char *path, const struct ent *v, size_t n, enum dt_compression c,
		      struct pk_tar_result *res)
{
	struct pk_tree *t = pk_tree_new();

	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		add(t, &v[i]);
	tl_tar_write(t, path, EPOCH, c, res);
}

/* Tars the directory @dir as it is (an OCI layout becomes an OCI archive). */
static void tar_dir(const char *dir, const char *path)
{
	struct pk_scan_opts so = { 0 };
	struct pk_tree *t = pk_tree_new();
	struct dt_err err;

	assert_non_null(t);
	assert_int_equal(pk_tree_add_dir(t, dir, &so, &err), 0);
	tl_tar_write(t, path, EPOCH, DT_COMP_NONE, NULL);
}

/* vf_source_open(@path, @ref) fails with exactly @msg, where "@P" stands for @path. */
static void open_fails(const char *path, const char *ref, const char *msg)
{
	static struct vf_source dummy;
	struct vf_source *s = &dummy; /* open must clear it */
	char want[8192];
	size_t w = 0;
	struct dt_err err;

	for (const char *m = msg; *m && w + strlen(path) + 2 < sizeof(want); m++) {
		if (m[0] == '@' && m[1] == 'P') {
			w += (size_t)sprintf(want + w, "%s", path);
			m++;
		} else {
			want[w++] = *m;
		}
	}
	want[w] = '\0';
	dt_err_clear(&err);
	assert_true(vf_source_open(path, ref, &s, &err) < 0);
	assert_null(s);
	assert_int_not_equal(err.code, DT_OK);
	assert_string_equal(err.msg, want);
}

/* The layer of the test image: app/, app/etc/, app/etc/hello ("hello\n"). */
static void check_app_layer(const struct vf_stream *st)
{
	struct vf_stream_entry v[3];

	assert_int_equal(st->n, 3);
	for (size_t i = 0; i < 3; i++)
		vf_stream_entry_at(st, i, &v[i]);
	assert_string_equal(v[0].name, "app/");
	assert_int_equal(v[0].type, AE_IFDIR);
	assert_string_equal(v[1].name, "app/etc/");
	assert_string_equal(v[2].name, "app/etc/hello");
	assert_int_equal(v[2].type, AE_IFREG);
	assert_int_equal(v[2].size, 6);
	assert_int_equal(v[2].mtime, EPOCH);
	tl_expect_sha256(v[2].sha256, "hello\n", 6);
}

static int has(const struct vf_source *s, const char *member)
{
	for (size_t i = 0; i < s->nmembers; i++)
		if (strcmp(s->members[i], member) == 0)
			return 1;
	return 0;
}

static void test_layout(void **state)
{
	const char *d = tl_tmpdir();
	char out[4096];
	struct pk_build_result res;
	struct vf_source *s;
	struct vf_stream st;
	(void)state;

	s = tl_source_open(build_hello(d, "layout", PK_FORMAT_OCI, DT_COMP_GZIP, NULL, out, &res),
			   NULL);
	assert_int_equal(s->kind, VF_SOURCE_LAYOUT);
	assert_string_equal(vf_source_kind_name(s->kind), "OCI layout");
	assert_string_equal(s->path, out);
	assert_string_equal(s->ref, "test/img:1");
	assert_non_null(s->index);
	assert_non_null(s->desc);
	assert_string_equal(json_string_value(json_object_get(s->desc, "digest")), res.manifest);
	assert_string_equal(s->manifest_digest, res.manifest);
	assert_string_equal(json_string_value(json_object_get(s->manifest, "mediaType")),
			    MF_OCI_MANIFEST_TYPE);
	assert_string_equal(s->config_digest, res.config);
	assert_string_equal(json_string_value(json_object_get(s->config, "architecture")), "amd64");
	assert_null(s->docker);
	assert_int_equal(res.nlayers, 1);
	assert_int_equal(s->nlayers, 1);
	assert_string_equal(s->layers[0].digest, res.layers[0]);
	assert_int_equal(s->layers[0].size, res.layer_sizes[0]);
	assert_string_equal(s->layers[0].media_type, MF_OCI_LAYER_TYPE "+gzip");
	assert_string_equal(s->layers[0].diff_id, res.diff_ids[0]);
	assert_null(s->layers[0].member);
	assert_int_equal(s->nmembers, 0);

	tl_read_layer(s, 0, &st);
	assert_int_equal(st.comp, DT_COMP_GZIP);
	assert_string_equal(st.digest, res.layers[0]);
	assert_string_equal(st.diff_id, res.diff_ids[0]);
	assert_int_equal(st.size, res.layer_sizes[0]);
	check_app_layer(&st);
	vf_stream_release(&st);
	vf_source_free(s);

	/* the only image, asked for by name */
	s = tl_source_open(out, "test/img:1");
	assert_string_equal(s->ref, "test/img:1");
	vf_source_free(s);
	open_fails(out, "test/img:2", "'@P': no image named 'test/img:2' (it has: test/img:1)");
	tl_rmtree(d);
}

static void test_oci_archive(void **state)
{
	const char *d = tl_tmpdir();
	char out[4096];
	struct pk_build_result res;
	struct vf_source *s;
	struct vf_stream st;
	(void)state;

	/* a .tar name, as a plain tarball's: the contents decide */
	s = tl_source_open(build_hello(d, "image.tar", PK_FORMAT_OCI_ARCHIVE, DT_COMP_ZSTD, NULL,
				       out, &res), NULL);
	assert_int_equal(s->kind, VF_SOURCE_OCI_ARCHIVE);
	assert_string_equal(vf_source_kind_name(s->kind), "OCI archive");
	assert_string_equal(s->ref, "test/img:1");
	assert_string_equal(s->manifest_digest, res.manifest);
	assert_string_equal(s->config_digest, res.config);
	assert_true(has(s, "oci-layout"));
	assert_true(has(s, "index.json"));
	{
		char blob[512];
		snprintf(blob, sizeof(blob), "blobs/sha256/%.64s", res.layers[0] + 7);
		assert_true(has(s, blob));
	}
	assert_int_equal(s->nlayers, 1);
	assert_string_equal(s->layers[0].digest, res.layers[0]);
	assert_int_equal(s->layers[0].size, res.layer_sizes[0]);
	assert_string_equal(s->layers[0].media_type, MF_OCI_LAYER_TYPE "+zstd");
	assert_string_equal(s->layers[0].diff_id, res.diff_ids[0]);

	tl_read_layer(s, 0, &st);
	assert_int_equal(st.comp, DT_COMP_ZSTD);
	assert_string_equal(st.digest, res.layers[0]);
	assert_string_equal(st.diff_id, res.diff_ids[0]);
	check_app_layer(&st);
	vf_stream_release(&st);
	vf_source_free(s);
	tl_rmtree(d);
}

static void test_docker_archive(void **state)
{
	const char *d = tl_tmpdir();
	char out[4096], member[512];
	struct pk_build_result res;
	struct vf_source *s;
	struct vf_stream st;
	(void)state;

	s = tl_source_open(build_hello(d, "docker.tar", PK_FORMAT_DOCKER_ARCHIVE, DT_COMP_NONE,
				       NULL, out, &res), NULL);
	assert_int_equal(s->kind, VF_SOURCE_DOCKER_ARCHIVE);
	assert_string_equal(vf_source_kind_name(s->kind), "docker-archive");
	assert_string_equal(s->ref, "test/img:1");
	assert_null(s->index);
	assert_null(s->manifest);
	assert_null(s->manifest_digest);
	assert_non_null(s->docker);
	assert_true(has(s, "manifest.json"));
	assert_string_equal(s->config_digest, res.config);
	assert_int_equal(s->nlayers, 1);
	assert_null(s->layers[0].digest);
	assert_null(s->layers[0].media_type);
	assert_int_equal(s->layers[0].size, 0);
	assert_string_equal(s->layers[0].diff_id, res.diff_ids[0]);
	snprintf(member, sizeof(member), "blobs/sha256/%.64s", res.diff_ids[0] + 7);
	assert_string_equal(s->layers[0].member, member);

	tl_read_layer(s, 0, &st);
	assert_int_equal(st.comp, DT_COMP_NONE);
	assert_string_equal(st.diff_id, res.diff_ids[0]);
	assert_string_equal(st.digest, res.diff_ids[0]);
	check_app_layer(&st);
	vf_stream_release(&st);
	vf_source_free(s);

	s = tl_source_open(out, "test/img:1");
	assert_string_equal(s->ref, "test/img:1");
	vf_source_free(s);
	open_fails(out, "x", "'@P': no image named 'x' (it has: test/img:1)");
	tl_rmtree(d);
}

static const struct ent tree_entries[] = {
	{ "etc", PK_DIR, NULL },
	{ "etc/conf", PK_REG, "old\n" },
	{ "etc/link", PK_SYMLINK, "conf" },
	{ "bin/run", PK_REG, "#!/bin/sh\n" }, /* its parent is added by normalize */
};

static void test_tarballs(void **state)
{
	static const enum dt_compression comp[] = { DT_COMP_NONE, DT_COMP_GZIP, DT_COMP_ZSTD };
	static const char *const names[] = { "t.tar", "t.tar.gz", "t.tar.zst" };
	const char *d = tl_tmpdir();
	char diff_id[DT_DIGEST_LEN] = "";
	(void)state;

	for (int k = 0; k < 3; k++) {
		char path[4096];
		struct pk_tar_result res;
		struct vf_source *s;
		struct vf_stream st;
		struct dt_err err;
		tl_path(path, d, names[k]);
		write_tar(path, tree_entries, 4, comp[k], &res);
		s = tl_source_open(path, NULL);
		assert_int_equal(s->kind, VF_SOURCE_TARBALL);
		assert_string_equal(vf_source_kind_name(s->kind), "tarball");
		assert_null(s->ref);
		assert_null(s->index);
		assert_null(s->manifest);
		assert_null(s->config);
		assert_int_equal(s->nlayers, 1);
		assert_null(s->layers[0].digest);
		assert_null(s->layers[0].media_type);
		assert_null(s->layers[0].diff_id);
		assert_null(s->layers[0].member);
		/* the first member that no image archive has ends the listing */
		assert_int_equal(s->nmembers, 1);
		assert_string_equal(s->members[0], "bin/");

		tl_read_layer(s, 0, &st);
		assert_int_equal(st.comp, comp[k]);
		assert_string_equal(st.digest, res.digest);
		assert_string_equal(st.diff_id, res.diff_id);
		assert_int_equal(st.size, res.blob_size);
		assert_int_equal(st.usize, res.tar_size);
		if (k == 0)
			strcpy(diff_id, st.diff_id);
		else
			assert_string_equal(st.diff_id, diff_id); /* the same tar each time */
		assert_int_equal(st.n, 5);
		assert_string_equal(vf_stream_name_at(&st, 0), "bin/");
		assert_string_equal(vf_stream_name_at(&st, 1), "bin/run");
		assert_string_equal(vf_stream_name_at(&st, 2), "etc/");
		assert_string_equal(vf_stream_name_at(&st, 3), "etc/conf");
		assert_string_equal(vf_stream_name_at(&st, 4), "etc/link");
		{
			struct vf_stream_entry link;
			vf_stream_entry_at(&st, 4, &link);
			assert_string_equal(link.link, "conf");
		}
		vf_stream_release(&st);

		/* a tarball has one layer */
		assert_true(vf_source_read(s, 1, &(struct vf_stream_opts){ .name = "x" }, &st,
					   &err) < 0);
		vf_stream_release(&st);
		{
			char want[4200];
			snprintf(want, sizeof(want), "'%s' has no layer 2", path);
			assert_string_equal(err.msg, want);
		}
		vf_source_free(s);
		open_fails(path, "test/img:1",
			   "'@P' is a tarball, not an image: --ref does not apply");
	}
	tl_rmtree(d);
}

/* Names an image archive holds, but then a name none does: a plain tarball. */
static void test_webroot_tarball(void **state)
{
	static const struct ent web[] = {
		{ "index.json", PK_REG, "{\"manifests\":[]}" },
		{ "oci-layout", PK_REG, "{\"imageLayoutVersion\":\"1.0.0\"}" },
		{ "manifest.json", PK_REG, "[]" },
		{ "site/a.html", PK_REG, "<p>\n" },
	};
	const char *d = tl_tmpdir();
	char path[4096];
	struct pk_tar_result res;
	struct vf_source *s;
	(void)state;

	write_tar(tl_path(path, d, "web.tar"), web, 4, DT_COMP_GZIP, &res);
	s = tl_source_open(path, NULL);
	assert_int_equal(s->kind, VF_SOURCE_TARBALL);
	assert_int_equal(s->nmembers, 4);
	assert_string_equal(s->members[0], "index.json");
	assert_string_equal(s->members[3], "site/");
	vf_source_free(s);
	tl_rmtree(d);
}

/* Two images in one layout (two tags), and that layout as an OCI archive. */
static void test_refs_oci(void **state)
{
	const char *d = tl_tmpdir();
	char layout[4096], archive[4096];
	struct pk_build_result r1, r2;
	(void)state;

	build_hello(d, "layout", PK_FORMAT_OCI, DT_COMP_GZIP, NULL, layout, &r1);
	build_hello(d, "layout", PK_FORMAT_OCI, DT_COMP_ZSTD, "two", layout, &r2);
	assert_string_not_equal(r1.manifest, r2.manifest);
	tar_dir(layout, tl_path(archive, d, "two.tar"));
	for (int k = 0; k < 2; k++) {
		const char *p = k ? archive : layout;
		struct vf_source *s;
		open_fails(p, NULL, "'@P' holds 2 images (test/img:1, test/img:two); pick one "
		           "with --ref");
		open_fails(p, "x", "'@P': no image named 'x' (it has: test/img:1, test/img:two)");
		open_fails(p, "test/img", "'@P': no image named 'test/img' (it has: test/img:1, "
			   "test/img:two)");
		s = tl_source_open(p, "test/img:two");
		assert_int_equal(s->kind, k ? VF_SOURCE_OCI_ARCHIVE : VF_SOURCE_LAYOUT);
		assert_string_equal(s->ref, "test/img:two");
		assert_string_equal(s->manifest_digest, r2.manifest);
		assert_string_equal(s->layers[0].digest, r2.layers[0]);
		assert_string_equal(s->layers[0].media_type, MF_OCI_LAYER_TYPE "+zstd");
		vf_source_free(s);
		s = tl_source_open(p, "test/img:1");
		assert_string_equal(s->manifest_digest, r1.manifest);
		assert_string_equal(s->layers[0].digest, r1.layers[0]);
		vf_source_free(s);
	}
	tl_rmtree(d);
}

/* A docker-archive of two images, written by hand; the second one's layer is a symlink
 * to the first one's (as `docker save` dedupes them). */
static void test_refs_docker(void **state)
{
	static const char h1[] = "1111111111111111111111111111111111111111111111111111111111111111";
	static const char h2[] = "2222222222222222222222222222222222222222222222222222222222222222";
	const char *d = tl_tmpdir();
	char path[4096], layer[4096], manifest[2048], cfg1[512], cfg2[512], p1[128], p2[128];
	char l1[128], l2[128], d1[128], d2[128], link[128];
	struct pk_tar_result lr;
	char *layer_bytes;
	size_t layer_len;
	struct vf_source *s;
	struct vf_stream st;
	(void)state;

	write_tar(tl_path(layer, d, "layer.tar"), tree_entries, 4, DT_COMP_NONE, &lr);
	layer_bytes = tl_read(layer, &layer_len);
	snprintf(cfg1, sizeof(cfg1), "{\"rootfs\":{\"diff_ids\":[\"%s\"],\"type\":\"layers\"}}",
		 lr.diff_id);
	snprintf(cfg2, sizeof(cfg2), "{\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[\"%s\"]}}",
		 lr.diff_id);
	snprintf(p1, sizeof(p1), "%s.json", h1);
	snprintf(p2, sizeof(p2), "%s.json", h2);
	snprintf(l1, sizeof(l1), "%s/layer.tar", h1);
	snprintf(l2, sizeof(l2), "%s/layer.tar", h2);
	snprintf(d1, sizeof(d1), "%s", h1);
	snprintf(d2, sizeof(d2), "%s", h2);
	snprintf(link, sizeof(link), "../%s/layer.tar", h1);
	snprintf(manifest, sizeof(manifest),
		 "[{\"Config\":\"%s\",\"RepoTags\":[\"a:1\"],\"Layers\":[\"%s\"]},"
		 "{\"Config\":\"%s\",\"RepoTags\":[\"b:2\",\"b:latest\"],\"Layers\":[\"%s\"]}]",
		 p1, l1, p2, l2);
	{
		struct pk_tree *t = pk_tree_new();
		struct ent v[] = {
			{ "manifest.json", PK_REG, manifest }, { p1, PK_REG, cfg1 },
			{ p2, PK_REG, cfg2 }, { d1, PK_DIR, NULL }, { d2, PK_DIR, NULL },
			{ l2, PK_SYMLINK, link },
		};
		assert_non_null(t);
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			add(t, &v[i]);
		/* the layer's bytes, binary: not through add() */
		tl_tree_put(t, l1, PK_REG, 0644, 0, EPOCH, layer_bytes, layer_len);
		free(layer_bytes);
		tl_tar_write(t, tl_path(path, d, "two.docker"), EPOCH, DT_COMP_NONE, NULL);
	}
	open_fails(path, NULL, "'@P' holds 2 images (a:1, b:2, b:latest); pick one with --ref");
	open_fails(path, "c:3", "'@P': no image named 'c:3' (it has: a:1, b:2, b:latest)");

	s = tl_source_open(path, "b:latest");
	assert_int_equal(s->kind, VF_SOURCE_DOCKER_ARCHIVE);
	assert_string_equal(s->ref, "b:latest");
	assert_string_equal(json_string_value(json_object_get(s->config, "os")), "linux");
	{
		char want[DT_DIGEST_LEN];
		dt_sha256_digest(cfg2, strlen(cfg2), want);
		assert_string_equal(s->config_digest, want);
	}
	assert_int_equal(s->nlayers, 1);
	assert_string_equal(s->layers[0].member, l2);
	assert_string_equal(s->layers[0].diff_id, lr.diff_id);
	tl_read_layer(s, 0, &st); /* through the symlink */
	assert_string_equal(st.diff_id, lr.diff_id);
	assert_int_equal(st.n, 5);
	vf_stream_release(&st);
	vf_source_free(s);

	s = tl_source_open(path, "a:1");
	assert_string_equal(s->ref, "a:1");
	assert_string_equal(s->layers[0].member, l1);
	tl_read_layer(s, 0, &st);
	assert_string_equal(st.digest, lr.digest);
	vf_stream_release(&st);
	vf_source_free(s);
	tl_rmtree(d);
}

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_errors(void **state)
{
	const char *d = tl_tmpdir();
	char p[4096];
	(void)state;

	open_fails(tl_path(p, d, "missing"), NULL, "cannot read '@P': No such file or directory");
	tl_mkdir(d, "dir", 0755);
	open_fails(tl_path(p, d, "dir"), NULL,
		   "'@P' is a directory but not an OCI layout (no oci-layout file)");
	tl_write(d, "junk", "not a tar archive, not an image either", (size_t)-1, 0644);
	open_fails(tl_path(p, d, "junk"), NULL,
		   "'@P' is not an image or a tarball (Unrecognized archive format)");
	tl_write(d, "empty.tar", "", 0, 0644);
	open_fails(tl_path(p, d, "empty.tar"), NULL,
		   "'@P' is not an image or a tarball (Unrecognized archive format)");
	/* a layout whose index lists nothing, then one whose manifest digest is malformed */
	tl_write(d, "empty/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", (size_t)-1, 0644);
	tl_write(d, "empty/index.json", "{\"schemaVersion\":2,\"manifests\":[]}", (size_t)-1,
		 0644);
	open_fails(tl_path(p, d, "empty"), NULL, "'@P': the index lists no manifests");
	tl_write(d, "empty/index.json", "{\"manifests\":[{\"digest\":\"sha256:abc\"}]}",
		 (size_t)-1, 0644);
	open_fails(p, NULL, "the manifest: '@P': unsupported or malformed digest 'sha256:abc'");
	/* a well-formed digest whose blob is missing */
	tl_write(d, "empty/index.json", "{\"manifests\":[{\"digest\":\"sha256:" HEX64 "\"}]}",
		 (size_t)-1, 0644);
	open_fails(p, NULL, "the manifest: cannot read '@P/blobs/sha256/" HEX64 "': No such file "
		   "or directory");
	tl_write(d, "empty/index.json", "{\"manifests\":[", (size_t)-1, 0644);
	open_fails(p, NULL, "'@P': index.json is not valid JSON (line 1: ']' expected near "
		   "end of file)");
	tl_rmtree(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_oci_archive),
		cmocka_unit_test(test_docker_archive),
		cmocka_unit_test(test_tarballs),
		cmocka_unit_test(test_webroot_tarball),
		cmocka_unit_test(test_refs_oci),
		cmocka_unit_test(test_refs_docker),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
