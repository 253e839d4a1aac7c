/* SPDX-License-Identifier: MIT */
/* Unit tests of manifest/oci: layer media types and compressions both ways, the exact
 * compact bytes (sorted keys) of config, manifest, index and docker manifest.json, the
 * names an index gives an image (the tag, and the full name docker completes), and the
 * merge of an image into an existing index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "manifest/oci.h"
#include "manifest/spec.h"

#define MT MF_OCI_MANIFEST_TYPE
#define IT MF_OCI_INDEX_TYPE

static void test_media_types(void **state)
{
	static const struct {
		const char *type;
		enum dt_compression c;
	} known[] = {
		{ "application/vnd.oci.image.layer.v1.tar", DT_COMP_NONE },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", DT_COMP_GZIP },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", DT_COMP_ZSTD },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", DT_COMP_NONE },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", DT_COMP_GZIP },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", DT_COMP_ZSTD },
		{ "application/vnd.docker.image.rootfs.diff.tar", DT_COMP_NONE },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", DT_COMP_GZIP },
		{ "application/vnd.docker.image.rootfs.diff.tar.zstd", DT_COMP_ZSTD },
	};
	static const char *const unknown[] = {
		"application/vnd.oci.image.layer.v1.tar+xz",
		"application/vnd.oci.image.layer.v1.tar+gzip ",
		"application/vnd.oci.image.layer.v1.tar.gzip",
		"APPLICATION/VND.OCI.IMAGE.LAYER.V1.TAR",
		"application/vnd.oci.image.config.v1+json",
		MT,
		"",
	};
	enum dt_compression c;
	(void)state;

	assert_string_equal(mf_oci_layer_media_type(DT_COMP_NONE), MF_OCI_LAYER_TYPE);
	assert_string_equal(mf_oci_layer_media_type(DT_COMP_GZIP),
			    "application/vnd.oci.image.layer.v1.tar+gzip");
	assert_string_equal(mf_oci_layer_media_type(DT_COMP_ZSTD),
			    "application/vnd.oci.image.layer.v1.tar+zstd");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		c = (enum dt_compression)-1;
		assert_int_equal(mf_oci_layer_compression(known[i].type, &c), 0);
		assert_int_equal(c, known[i].c);
	}
	/* and back: what distill writes reads as what it was written with */
	for (int k = DT_COMP_NONE; k <= DT_COMP_ZSTD; k++) {
		assert_int_equal(mf_oci_layer_compression(
					 mf_oci_layer_media_type((enum dt_compression)k), &c), 0);
		assert_int_equal(c, k);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		c = DT_COMP_ZSTD;
		assert_int_equal(mf_oci_layer_compression(unknown[i], &c), -1);
		assert_int_equal(c, DT_COMP_ZSTD); /* untouched */
	}
	assert_int_equal(mf_oci_layer_compression(NULL, &c), -1);
}

static void test_config_json(void **state)
{
	static const char *const entry[] = { "/app/run", "-v" }, *const cmd[] = { "--serve" };
	static const char *const env[] = { "PATH=/bin", "A=1" };
	static const char *const ports[] = { "8080/tcp", "53/udp" }, *const vols[] = { "/data" };
	static const char *const ids[] = { "sha256:aaaa", "sha256:bbbb" };
	static const char *const hist[] = { "base", "app" };
	char k1[] = "z", v1[] = "1", k2[] = "a", v2[] = "2", k3[] = "\xc3\xa9", v3[] = "\xc3\xbc";
	struct mf_kv labels[] = { { k1, v1 }, { k2, v2 }, { k3, v3 } };
	struct mf_oci_config c = {
		.os = "linux", .arch = "arm64", .variant = "v8", .created = "2024-01-01T00:00:00Z",
		.user = "1000:1000", .workdir = "/app", .stop_signal = "SIGTERM",
		.entrypoint = entry, .nentrypoint = 2, .cmd = cmd, .ncmd = 1, .env = env,
		.nenv = 2, .labels = labels, .nlabels = 3, .ports = ports, .nports = 2,
		.volumes = vols, .nvolumes = 1, .diff_ids = ids, .nlayers = 2, .history = hist,
	};
	struct mf_oci_config min = { .os = "linux", .arch = "amd64",
				     .created = "1970-01-01T00:00:00Z" };
	struct dt_err err;
	char *out = NULL;
	(void)state;

	assert_int_equal(mf_oci_config_json(&c, &out, &err), 0);
	/* keys sorted bytewise at every level, lists in the order given, "/" and UTF-8 as is */
	assert_string_equal(out,
		"{\"architecture\":\"arm64\",\"config\":{\"Cmd\":[\"--serve\"],"
		"\"Entrypoint\":[\"/app/run\",\"-v\"],\"Env\":[\"PATH=/bin\",\"A=1\"],"
		"\"ExposedPorts\":{\"53/udp\":{},\"8080/tcp\":{}},"
		"\"Labels\":{\"a\":\"2\",\"z\":\"1\",\"\xc3\xa9\":\"\xc3\xbc\"},"
		"\"StopSignal\":\"SIGTERM\",\"User\":\"1000:1000\",\"Volumes\":{\"/data\":{}},"
		"\"WorkingDir\":\"/app\"},\"created\":\"2024-01-01T00:00:00Z\","
		"\"history\":[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"base\"},"
		"{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"app\"}],\"os\":\"linux\","
		"\"rootfs\":{\"diff_ids\":[\"sha256:aaaa\",\"sha256:bbbb\"],\"type\":\"layers\"},"
		"\"variant\":\"v8\"}");
	free(out);
	out = NULL;
	/* nothing optional: no fields for them, empty lists where the spec wants them */
	assert_int_equal(mf_oci_config_json(&min, &out, &err), 0);
	assert_string_equal(out, "{\"architecture\":\"amd64\",\"config\":{},"
			    "\"created\":\"1970-01-01T00:00:00Z\",\"history\":[],\"os\":\"linux\","
			    "\"rootfs\":{\"diff_ids\":[],\"type\":\"layers\"}}");
	free(out);
}

/* The config of a scratch image `distill build` wrote at epoch 1700000000: its digest is
 * the image's config digest. */
static void test_config_digest(void **state)
{
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
	static const char *const ids[] = {
		"sha256:f3a4dc6d597fa75ab3b6605997a116724e7430e24c7929d424c5b39a5198d6f9" };
	static const char *const hist[] = { "distill: app (binaries and files)" };
	struct mf_oci_config c = { .os = "linux", .arch = "amd64",
				   .created = "2023-11-14T22:13:20Z", .env = env, .nenv = 1,
				   .diff_ids = ids, .nlayers = 1, .history = hist };
	char digest[DT_DIGEST_LEN], *out = NULL;
	struct dt_err err;
	(void)state;

	assert_int_equal(mf_oci_config_json(&c, &out, &err), 0);
	assert_int_equal(strlen(out), 367);
	dt_sha256_digest(out, strlen(out), digest);
	assert_string_equal(digest,
		"sha256:082083cedfae3eb28fe97f1cb2e5e5a1abd02f147745a5957be0572b6cc26aca");
	free(out);
}

static void test_manifest_json(void **state)
{
	static const struct mf_oci_desc cfg = {
		MF_OCI_CONFIG_TYPE,
		"sha256:082083cedfae3eb28fe97f1cb2e5e5a1abd02f147745a5957be0572b6cc26aca", 367 };
	static const struct mf_oci_desc layers[] = { {
		MF_OCI_LAYER_TYPE "+gzip",
		"sha256:6e6758b3ae3ec1ccbf907aa1a150b5700f07c8324c9dd354df6a692a3fa5ad53", 140 } };
	static const struct mf_oci_desc two[] = { { MF_OCI_LAYER_TYPE, "sha256:l1", 0 },
						  { MF_OCI_LAYER_TYPE "+zstd", "sha256:l2",
						    UINT64_C(5000000000) } };
	char k1[] = "dev.distill.lock.digest", v1[] = "sha256:1b2c", k2[] = MF_OCI_CREATED,
	     v2[] = "2023-11-14T22:13:20Z";
	struct mf_kv ann[] = { { k1, v1 }, { k2, v2 } };
	char digest[DT_DIGEST_LEN], *out = NULL;
	struct dt_err err;
	(void)state;

	assert_int_equal(mf_oci_manifest_json(&cfg, layers, 1, ann, 2, &out, &err), 0);
	assert_string_equal(out,
		"{\"annotations\":{\"dev.distill.lock.digest\":\"sha256:1b2c\","
		"\"org.opencontainers.image.created\":\"2023-11-14T22:13:20Z\"},"
		"\"config\":{\"digest\":\"sha256:082083cedfae3eb28fe97f1cb2e5e5a1abd02f147745a5957"
		"be0572b6cc26aca\",\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		"\"size\":367},\"layers\":[{\"digest\":\"sha256:6e6758b3ae3ec1ccbf907aa1a150b5700f"
		"07c8324c9dd354df6a692a3fa5ad53\",\"mediaType\":\"application/vnd.oci.image.layer."
		"v1.tar+gzip\",\"size\":140}],\"mediaType\":\"application/vnd.oci.image.manifest."
		"v1+json\",\"schemaVersion\":2}");
	/* its digest, pinned: the same values must always give the same bytes */
	dt_sha256_digest(out, strlen(out), digest);
	assert_string_equal(digest,
		"sha256:d23182fc7455d3fee63252520556a6c3190434ba127345ebed97eb787214b79b");
	free(out);
	out = NULL;
	/* no annotations: no field; sizes beyond 32 bits */
	assert_int_equal(mf_oci_manifest_json(&cfg, two, 2, NULL, 0, &out, &err), 0);
	assert_string_equal(out,
		"{\"config\":{\"digest\":\"sha256:082083cedfae3eb28fe97f1cb2e5e5a1abd02f147745a595"
		"7be0572b6cc26aca\",\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		"\"size\":367},\"layers\":[{\"digest\":\"sha256:l1\",\"mediaType\":"
		"\"application/vnd.oci.image.layer.v1.tar\",\"size\":0},{\"digest\":\"sha256:l2\","
		"\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
		"\"size\":5000000000}],"
		"\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"schemaVersion\":2}");
	free(out);
	out = NULL;
	assert_int_equal(mf_oci_manifest_json(&cfg, NULL, 0, NULL, 0, &out, &err), 0);
	assert_non_null(strstr(out, "\"layers\":[],"));
	free(out);
}

#define E1 "{\"annotations\":{\"io.containerd.image.name\":\"docker.io/test/img:1\"," \
	   "\"org.opencontainers.image.ref.name\":\"1\"}," \
	   "\"digest\":\"sha256:m1\",\"mediaType\":\"" MT "\",\"platform\":" \
	   "{\"architecture\":\"amd64\",\"os\":\"linux\"},\"size\":524}"
#define E2 "{\"digest\":\"sha256:m2\",\"mediaType\":\"" MT "\",\"platform\":" \
	   "{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"},\"size\":10}"
#define INDEX(ms) "{\"manifests\":[" ms "],\"mediaType\":\"" IT "\",\"schemaVersion\":2}"

static const struct mf_oci_index_entry e1 = { { MT, "sha256:m1", 524 }, "linux", "amd64", NULL,
					      "1", NULL, NULL, "docker.io/test/img:1" };
static const struct mf_oci_index_entry e2 = { { MT, "sha256:m2", 10 }, "linux", "arm64", "v8",
					      NULL, NULL, NULL, NULL };

static void test_names(void **state)
{
	static const struct {
		const char *name, *tag, *full;
	} v[] = {
		{ "distill/curl:bookworm", "bookworm", "docker.io/distill/curl:bookworm" },
		{ "app:1.0", "1.0", "docker.io/library/app:1.0" },
		{ "a/b/c:x", "x", "docker.io/a/b/c:x" },
		{ "registry.example/team/app:2", "2", "registry.example/team/app:2" },
		{ "localhost/app:latest", "latest", "localhost/app:latest" },
		{ "localhostx/app:1", "1", "docker.io/localhostx/app:1" },
		{ "docker.io/app:1", "1", "docker.io/library/app:1" },
		{ "index.docker.io/team/app:1", "1", "docker.io/team/app:1" },
		{ "host:5000/app:1", "1", "host:5000/app:1" },
		{ "app", NULL, "docker.io/library/app" },
	};
	char buf[64];
	(void)state;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *t = mf_oci_name_tag(v[i].name);
		if (v[i].tag)
			assert_string_equal(t, v[i].tag);
		else
			assert_null(t);
		assert_int_equal(mf_oci_full_name(v[i].name, buf, sizeof(buf)), 0);
		assert_string_equal(buf, v[i].full);
	}
	/* and back, as docker shows them */
	assert_string_equal(mf_oci_familiar_name("docker.io/distill/curl:bookworm"),
			    "distill/curl:bookworm");
	assert_string_equal(mf_oci_familiar_name("docker.io/library/app:1.0"), "app:1.0");
	assert_string_equal(mf_oci_familiar_name("docker.io/library/a/b:1"), "library/a/b:1");
	assert_string_equal(mf_oci_familiar_name("registry.example/team/app:2"),
			    "registry.example/team/app:2");
	assert_string_equal(mf_oci_familiar_name("bookworm"), "bookworm");
	/* too long for the buffer: refused, never cut */
	assert_int_equal(mf_oci_full_name("distill/curl:bookworm", buf, 31), -1);
	assert_int_equal(mf_oci_full_name("distill/curl:bookworm", buf, 32), 0);
}

static void test_index_json(void **state)
{
	const struct mf_oci_index_entry v[] = { e1, e2 };
	struct dt_err err;
	char *out = NULL;
	(void)state;

	assert_int_equal(mf_oci_index_json(v, 2, &out, &err), 0);
	assert_string_equal(out, INDEX(E1 "," E2));
	free(out);
	out = NULL;
	assert_int_equal(mf_oci_index_json(v, 0, &out, &err), 0);
	assert_string_equal(out, INDEX(""));
	free(out);
}

static void test_index_merge(void **state)
{
	/* in a file laid out by someone else: an older distill's entry of the same name (the
	 * full name as ref.name), one without a ref.name (with a field distill does not know),
	 * another repository's image of the same tag (replaced, as skopeo replaces it), an
	 * entry of the same full name under another tag (replaced), and another tag */
	static const char old[] =
		"{ \"schemaVersion\": 2, \"manifests\": [\n"
		"  {\"mediaType\": \"" MT "\", \"digest\": \"sha256:old\", \"size\": 1,\n"
		"   \"annotations\": {\"org.opencontainers.image.ref.name\": \"test/img:1\"}},\n"
		"  {\"x-extra\": true, \"digest\": \"sha256:m0\", \"size\": 2},\n"
		"  {\"digest\": \"sha256:o\", \"size\": 4, \"annotations\": {\"org.opencontainers."
		"image.ref.name\": \"1\", \"io.containerd.image.name\": \"docker.io/other:1\"}},\n"
		"  {\"digest\": \"sha256:s\", \"size\": 5, \"annotations\": {\"org.opencontainers."
		"image.ref.name\": \"x\", \"io.containerd.image.name\": \"docker.io/test/img:1\"}},\n"
		"  {\"digest\": \"sha256:b\", \"size\": 3, \"annotations\": {\"org.opencontainers."
		"image.ref.name\": \"2\", \"z\": \"y\"}}\n] }\n";
	struct dt_err err;
	char *out = NULL;
	(void)state;

	assert_int_equal(mf_oci_index_merge("index.json", old, "test/img:1", &e1, 1, &out, &err), 0);
	assert_string_equal(out, INDEX(
		"{\"digest\":\"sha256:m0\",\"size\":2,\"x-extra\":true},"
		"{\"annotations\":{\"org.opencontainers.image.ref.name\":\"2\",\"z\":\"y\"},"
		"\"digest\":\"sha256:b\",\"size\":3}," E1));
	free(out);
	out = NULL;
	/* nothing dropped: every entry kept, the new one last */
	assert_int_equal(mf_oci_index_merge("index.json", INDEX(E1), NULL, &e2, 1, &out, &err), 0);
	assert_string_equal(out, INDEX(E1 "," E2));
	free(out);
	out = NULL;
	/* a name no entry has: the same */
	assert_int_equal(mf_oci_index_merge("index.json", INDEX(E1), "c:1", &e2, 1, &out, &err), 0);
	assert_string_equal(out, INDEX(E1 "," E2));
	free(out);
	out = NULL;
	/* the same image again replaces itself */
	assert_int_equal(mf_oci_index_merge("index.json", INDEX(E1 "," E2), "test/img:1", &e1,
					    1, &out, &err), 0);
	assert_string_equal(out, INDEX(E2 "," E1));
	free(out);
	out = NULL;
	assert_int_equal(mf_oci_index_merge("index.json", INDEX(""), "test/img:1", &e1, 1, &out,
					    &err), 0);
	assert_string_equal(out, INDEX(E1));
	free(out);
}

static void test_index_merge_refused(void **state)
{
	static const char *const bad[] = {
		"", "not json", "[]", "{}", "{\"manifests\":{}}", "{\"manifests\":\"x\"}",
		"{\"manifests\":[", "\"manifests\"",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dt_err err;
		char *out = NULL;
		dt_err_clear(&err);
		assert_int_equal(mf_oci_index_merge("out/index.json", bad[i], "test/img:1", &e1, 1,
						    &out, &err), -DT_EINPUT);
		assert_null(out);
		assert_string_equal(err.msg, "'out/index.json' is not an OCI image index");
	}
}

static void test_docker_manifest_json(void **state)
{
	static const char *const layers[] = {
		"blobs/sha256/f3a4dc6d597fa75ab3b6605997a116724e7430e24c7929d424c5b39a5198d6f9",
		"blobs/sha256/x" };
	struct dt_err err;
	char *out = NULL;
	(void)state;

	assert_int_equal(mf_docker_manifest_json("blobs/sha256/082083cedfae3eb28fe97f1cb2e5e5a1a"
						 "bd02f147745a5957be0572b6cc26aca", "test/img:1",
						 layers, 2, &out, &err), 0);
	assert_string_equal(out,
		"[{\"Config\":\"blobs/sha256/082083cedfae3eb28fe97f1cb2e5e5a1abd02f147745a5957be057"
		"2b6cc26aca\",\"Layers\":[\"blobs/sha256/f3a4dc6d597fa75ab3b6605997a116724e7430e24"
		"c7929d424c5b39a5198d6f9\",\"blobs/sha256/x\"],\"RepoTags\":[\"test/img:1\"]}]");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_config_json),
		cmocka_unit_test(test_config_digest),
		cmocka_unit_test(test_manifest_json),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_index_json),
		cmocka_unit_test(test_index_merge),
		cmocka_unit_test(test_index_merge_refused),
		cmocka_unit_test(test_docker_manifest_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
