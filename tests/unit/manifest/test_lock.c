/* SPDX-License-Identifier: MIT */
/* Unit tests of manifest/lock: the exact bytes written, byte-identical round trips, every
 * parse error message, and the words of each drift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "manifest/drift.h"
#include "manifest/lock.h"

#define HA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HC "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* Designated initializers of the char * fields from literals. */
#define S(x) ((char *)(uintptr_t)(x))
#define LIBZ "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"

/* Added out of order on purpose: the lock sorts. */
static struct mf_lock *sample(void)
{
	struct mf_lock *l = mf_lock_new();
	struct dt_err err;
	struct mf_lock_file link = {
		.path = S("/usr/lib/x86_64-linux-gnu/libz.so.1"), .type = MF_LOCK_SYMLINK,
		.mode = 0777, .link = S("libz.so.1.2.13"),
		.source = S("host:/usr/lib/x86_64-linux-gnu/libz.so.1"),
	};
	struct mf_lock_file lib = {
		.path = S(LIBZ), .type = MF_LOCK_REG, .mode = 0644, .size = 121280,
		.sha256 = HC, .source = S("host:" LIBZ), .package = S("zlib1g"),
		.package_version = S("1:1.2.13.dfsg-1"),
	};
	struct mf_lock_file etc = {
		.path = S("/etc"), .type = MF_LOCK_DIR, .mode = 0755,
		.source = S("distill"),
	};
	struct mf_lock_file app = {
		.path = S("/usr/bin/curl"), .type = MF_LOCK_REG, .mode = 04755, .uid = 0,
		.gid = 65532, .size = UINT64_C(9007199254740992), .sha256 = HA,
		.source = S("host:/usr/bin/curl"), .layer = MF_LAYER_APP,
	};
	struct mf_lock_file hard = {
		.path = S("/usr/bin/curl2"), .type = MF_LOCK_HARDLINK, .mode = 0755,
		.link = S("/usr/bin/curl"), .source = S("host:/usr/bin/curl2"),
		.layer = MF_LAYER_APP,
	};
	struct mf_lock_deb zlib = {
		.name = S("zlib1g"), .version = S("1:1.2.13.dfsg-1"),
		.architecture = S("amd64"), .file = S("zlib1g_1.2.13.dfsg-1_amd64.deb"),
		.sha256 = HB, .size = 12345,
	};
	struct mf_lock_deb base = {
		.name = S("base-files"), .version = S("12.4"),
		.architecture = S("amd64"), .file = S("base-files_12.4_amd64.deb"),
		.sha256 = HA, .size = 70000,
	};

	assert_non_null(l);
	assert_non_null(l->spec_file = strdup("curl.yaml"));
	assert_non_null(l->platform = strdup("linux/amd64"));
	memcpy(l->spec_sha256, HA, 65);
	assert_int_equal(mf_lock_add_file(l, &link, &err), 0);
	assert_int_equal(mf_lock_add_file(l, &lib, &err), 0);
	assert_int_equal(mf_lock_add_file(l, &app, &err), 0);
	assert_int_equal(mf_lock_add_file(l, &etc, &err), 0);
	assert_int_equal(mf_lock_add_file(l, &hard, &err), 0);
	assert_int_equal(mf_lock_add_deb(l, &zlib, &err), 0);
	assert_int_equal(mf_lock_add_deb(l, &base, &err), 0);
	return l;
}

#define DEPS(rels) \
	"{\"debs\":[],\"depends\":" rels ",\"files\":[],\"lockVersion\":1,\"platform\":" \
	"\"linux/amd64\",\"spec\":{\"file\":\"curl.yaml\",\"sha256\":\"" HA "\"}}"
#define REL(how, extra) \
	"{\"by\":\"libc6 2.36-9\",\"field\":\"Depends\",\"how\":\"" how "\"," \
	"\"package\":\"zlib1g\",\"relation\":\"libc6 (>= 2.14)\"" extra "}"

static const char sample_text[] =
	"{\n"
	"  \"debs\": [\n"
	"    {\n"
	"      \"architecture\": \"amd64\",\n"
	"      \"file\": \"base-files_12.4_amd64.deb\",\n"
	"      \"name\": \"base-files\",\n"
	"      \"sha256\": \"" HA "\",\n"
	"      \"size\": 70000,\n"
	"      \"version\": \"12.4\"\n"
	"    },\n"
	"    {\n"
	"      \"architecture\": \"amd64\",\n"
	"      \"file\": \"zlib1g_1.2.13.dfsg-1_amd64.deb\",\n"
	"      \"name\": \"zlib1g\",\n"
	"      \"sha256\": \"" HB "\",\n"
	"      \"size\": 12345,\n"
	"      \"version\": \"1:1.2.13.dfsg-1\"\n"
	"    }\n"
	"  ],\n"
	"  \"files\": [\n"
	"    {\n"
	"      \"gid\": 0,\n"
	"      \"layer\": \"base\",\n"
	"      \"mode\": \"0755\",\n"
	"      \"path\": \"/etc\",\n"
	"      \"source\": \"distill\",\n"
	"      \"type\": \"dir\",\n"
	"      \"uid\": 0\n"
	"    },\n"
	"    {\n"
	"      \"gid\": 65532,\n"
	"      \"layer\": \"app\",\n"
	"      \"mode\": \"4755\",\n"
	"      \"path\": \"/usr/bin/curl\",\n"
	"      \"sha256\": \"" HA "\",\n"
	"      \"size\": 9007199254740992,\n"
	"      \"source\": \"host:/usr/bin/curl\",\n"
	"      \"type\": \"file\",\n"
	"      \"uid\": 0\n"
	"    },\n"
	"    {\n"
	"      \"gid\": 0,\n"
	"      \"layer\": \"app\",\n"
	"      \"link\": \"/usr/bin/curl\",\n"
	"      \"mode\": \"0755\",\n"
	"      \"path\": \"/usr/bin/curl2\",\n"
	"      \"source\": \"host:/usr/bin/curl2\",\n"
	"      \"type\": \"hardlink\",\n"
	"      \"uid\": 0\n"
	"    },\n"
	"    {\n"
	"      \"gid\": 0,\n"
	"      \"layer\": \"base\",\n"
	"      \"link\": \"libz.so.1.2.13\",\n"
	"      \"mode\": \"0777\",\n"
	"      \"path\": \"/usr/lib/x86_64-linux-gnu/libz.so.1\",\n"
	"      \"source\": \"host:/usr/lib/x86_64-linux-gnu/libz.so.1\",\n"
	"      \"type\": \"symlink\",\n"
	"      \"uid\": 0\n"
	"    },\n"
	"    {\n"
	"      \"gid\": 0,\n"
	"      \"layer\": \"base\",\n"
	"      \"mode\": \"0644\",\n"
	"      \"package\": \"zlib1g\",\n"
	"      \"package_version\": \"1:1.2.13.dfsg-1\",\n"
	"      \"path\": \"" LIBZ "\",\n"
	"      \"sha256\": \"" HC "\",\n"
	"      \"size\": 121280,\n"
	"      \"source\": \"host:" LIBZ "\",\n"
	"      \"type\": \"file\",\n"
	"      \"uid\": 0\n"
	"    }\n"
	"  ],\n"
	"  \"lockVersion\": 1,\n"
	"  \"platform\": \"linux/amd64\",\n"
	"  \"spec\": {\n"
	"    \"file\": \"curl.yaml\",\n"
	"    \"sha256\": \"" HA "\"\n"
	"  }\n"
	"}\n";

static char *dump(struct mf_lock *l)
{
	struct dt_err err;
	char *s = NULL;

	if (mf_lock_dump(l, &s, &err) < 0)
		fail_msg("%s", err.msg);
	return s;
}

static struct mf_lock *parse(const char *text)
{
	struct mf_lock *l = NULL;
	struct dt_err err;

	if (mf_lock_parse("t.lock.json", text, strlen(text), &l, &err) < 0)
		fail_msg("%s", err.msg);
	return l;
}

static void test_dump_exact(void **state)
{
	struct mf_lock *l = sample();
	char *s = dump(l);
	(void)state;

	assert_string_equal(s, sample_text);
	/* Sorted in place: files by path, debs by name. */
	assert_string_equal(l->files[0].path, "/etc");
	assert_string_equal(l->files[4].path, LIBZ);
	assert_string_equal(l->debs[0].name, "base-files");
	assert_string_equal(mf_lock_type_name(MF_LOCK_HARDLINK), "hardlink");
	free(s);
	mf_lock_free(l);
	mf_lock_free(NULL);
}

static void test_round_trip(void **state)
{
	struct mf_lock *l = parse(sample_text), *l2;
	char *s = dump(l), *s2;
	(void)state;

	assert_string_equal(s, sample_text);
	assert_int_equal(l->nfiles, 5);
	assert_int_equal(l->ndebs, 2);
	assert_int_equal(l->version, MF_LOCK_VERSION);
	assert_int_equal(l->files[1].mode, 04755);
	assert_int_equal(l->files[1].gid, 65532);
	assert_true(l->files[1].size == UINT64_C(9007199254740992));
	assert_int_equal(l->files[1].layer, MF_LAYER_APP);
	assert_null(l->files[0].link);
	assert_null(l->files[0].package);
	assert_string_equal(l->files[0].sha256, "");
	assert_string_equal(l->files[4].package_version, "1:1.2.13.dfsg-1");
	l2 = parse(s);
	s2 = dump(l2);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	mf_lock_free(l);
	mf_lock_free(l2);
}

/* "depends" is written only when a package has dependencies, in the order followed, and
 * survives a round trip. */
static void test_depends(void **state)
{
	static const char text[] = DEPS("[" REL("root", "") "," REL("deb", "") "]");
	struct mf_lock *l = parse(text), *plain = sample();
	char *s, *s2;
	(void)state;

	assert_int_equal(l->nrels, 2);
	assert_string_equal(l->rels[0].how, "root");
	assert_string_equal(l->rels[1].how, "deb");
	assert_string_equal(l->rels[1].relation, "libc6 (>= 2.14)");
	s = dump(l);
	assert_non_null(strstr(s, "\"depends\": [\n    {\n      \"by\": \"libc6 2.36-9\""));
	assert_true(strstr(s, "\"how\": \"root\"") < strstr(s, "\"how\": \"deb\""));
	mf_lock_free(l);
	l = parse(s);
	s2 = dump(l);
	assert_string_equal(s, s2);
	free(s2);
	s2 = dump(plain);
	assert_null(strstr(s2, "depends"));
	free(s);
	free(s2);
	mf_lock_free(l);
	mf_lock_free(plain);
}

/* "installed": the .debs of the root's packages, with where to get them and their status
 * stanza; written only when pinned (an empty list too), round-tripped, and validated. */
#define INST(extra) \
	"{\"architecture\":\"amd64\",\"file\":\"z_1_amd64.deb\"," \
	"\"filename\":\"pool/main/z/z_1_amd64.deb\",\"name\":\"z\"," \
	"\"repository\":\"http://deb.debian.org/debian\",\"sha256\":\"" HA "\",\"size\":5," \
	"\"status\":\"Package: z\\nStatus: install ok installed\\nVersion: 1\\n\",\"version\":\"1\"" \
	extra "}"
#define INSTALLED(list) \
	"{\"debs\":[],\"files\":[],\"installed\":" list ",\"lockVersion\":1,\"platform\":" \
	"\"linux/amd64\",\"spec\":{\"file\":\"curl.yaml\",\"sha256\":\"" HA "\"}}"

static void test_installed(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ INSTALLED("[" INST(",\"x\":1") "]"), "unknown key \"x\"" },
		{ INSTALLED("{}"), "installed: expected an array" },
		{ INSTALLED("[" "{\"architecture\":\"amd64\",\"file\":\"z_1_amd64.deb\",\"name\":\"z\","
			    "\"sha256\":\"" HA "\",\"size\":5,\"version\":\"1\"}" "]"),
		  "missing key \"repository\"" },
	};
	struct mf_lock *l = parse(INSTALLED("[" INST("") "]")), *l2;
	char *s, *s2;
	struct dt_err err;
	(void)state;

	assert_int_equal(l->ninstalled, 1);
	assert_true(l->pinned);
	assert_string_equal(l->installed[0].repository, "http://deb.debian.org/debian");
	assert_string_equal(l->installed[0].filename, "pool/main/z/z_1_amd64.deb");
	assert_string_equal(l->installed[0].status, "Package: z\nStatus: install ok installed\n"
			    "Version: 1\n");
	s = dump(l);
	assert_non_null(strstr(s, "\"installed\": [\n    {\n      \"architecture\""));
	l2 = parse(s);
	s2 = dump(l2);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	mf_lock_free(l2);
	/* pinned with nothing to pin: an empty list, which says it was looked for */
	for (size_t i = 0; i < l->ninstalled; i++) {
		free(l->installed[i].name); free(l->installed[i].version);
		free(l->installed[i].architecture); free(l->installed[i].file);
		free(l->installed[i].repository); free(l->installed[i].filename);
		free(l->installed[i].status);
	}
	l->ninstalled = 0;
	s = dump(l);
	assert_non_null(strstr(s, "\"installed\": []"));
	free(s);
	mf_lock_free(l);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct mf_lock *x = NULL;
		dt_err_clear(&err);
		assert_true(mf_lock_parse("t.lock.json", bad[i].text, strlen(bad[i].text), &x, &err) < 0);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
	}
	/* what becomes a URL or a stanza of the image is validated */
	{
		static const char *const fields[][2] = {
			{ "\"filename\":\"pool/main/z/z_1_amd64.deb\"", "\"filename\":\"../z_1_amd64.deb\"" },
			{ "\"filename\":\"pool/main/z/z_1_amd64.deb\"", "\"filename\":\"pool/other.deb\"" },
			{ "\"repository\":\"http://deb.debian.org/debian\"", "\"repository\":\"file:///srv\"" },
			{ "\"repository\":\"http://deb.debian.org/debian\"", "\"repository\":\"http://a b\"" },
			{ "Status: install ok installed", "Status: x\\n\\nPackage: evil" },
			{ "Package: z", "Package: y" },
		};
		for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
			char text[4096], *at;
			struct mf_lock *x = NULL;
			snprintf(text, sizeof(text), "%s", INSTALLED("[" INST("") "]"));
			at = strstr(text, fields[i][0]);
			assert_non_null(at);
			{
				char rest[4096];
				snprintf(rest, sizeof(rest), "%s", at + strlen(fields[i][0]));
				snprintf(at, sizeof(text) - (size_t)(at - text), "%s%s", fields[i][1], rest);
			}
			dt_err_clear(&err);
			if (mf_lock_parse("t.lock.json", text, strlen(text), &x, &err) == 0)
				fail_msg("case %zu accepted: %s", i, fields[i][1]);
		}
	}
}

/* Many entries, in reverse: growth of the arrays, sorting, and a reordered input document. */
static void test_many(void **state)
{
	struct mf_lock *l = mf_lock_new(), *l2;
	struct dt_err err;
	char *s, *s2, path[64];
	(void)state;

	l->spec_file = strdup("a.yml");
	l->platform = strdup("linux/arm64/v8");
	memcpy(l->spec_sha256, HB, 65);
	for (int i = 999; i >= 0; i--) {
		struct mf_lock_file f = { .path = path, .type = MF_LOCK_DIR, .mode = 0700,
					  .uid = (uint32_t)i, .gid = 4294967295u,
					  .source = S("distill") };
		snprintf(path, sizeof(path), "/d%04d", i);
		assert_int_equal(mf_lock_add_file(l, &f, &err), 0);
	}
	s = dump(l);
	assert_string_equal(l->files[0].path, "/d0000");
	assert_string_equal(l->files[999].path, "/d0999");
	l2 = parse(s);
	s2 = dump(l2);
	assert_string_equal(s, s2);
	assert_int_equal(l2->files[999].gid, 4294967295u);
	free(s);
	free(s2);
	mf_lock_free(l);
	mf_lock_free(l2);

	/* Unsorted and oddly spaced input parses into the sorted lock. */
	l = parse("{\"spec\":{\"sha256\":\"" HA "\",\"file\":\"x.yaml\"},\"lockVersion\":1,"
		  "\"platform\":\"linux/amd64\",\"debs\":[],\"files\":[\n"
		  "{\"path\":\"/b\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,"
		  "\"layer\":\"base\",\"source\":\"distill\"},"
		  "{\"path\":\"/a\",\"type\":\"file\",\"mode\":\"0644\",\"uid\":0,\"gid\":0,"
		  "\"layer\":\"base\",\"source\":\"distill\",\"size\":0,\"sha256\":\"" HB "\"}]}");
	assert_string_equal(l->files[0].path, "/a");
	assert_int_equal(l->files[0].size, 0);
	mf_lock_free(l);
}

static void test_sort_duplicate(void **state)
{
	struct mf_lock *l = sample();
	struct mf_lock_file etc = { .path = S("/etc"), .type = MF_LOCK_DIR, .mode = 0755,
				    .source = S("host:/etc") };
	struct dt_err err;
	char *s = NULL;
	(void)state;

	assert_int_equal(mf_lock_add_file(l, &etc, &err), 0);
	assert_int_equal(mf_lock_sort(l, &err), -DT_EINPUT);
	assert_string_equal(err.msg, "'/etc' is twice in the lock");
	assert_int_equal(mf_lock_dump(l, &s, &err), -DT_EINPUT);
	assert_null(s);
	mf_lock_free(l);
}

/* What cannot be read back is not written. */
static void test_dump_refuses(void **state)
{
	struct mf_lock_file rel = { .path = S("etc"), .type = MF_LOCK_DIR, .mode = 0755,
				    .source = S("distill") };
	struct mf_lock_file linkdir = { .path = S("/x"), .type = MF_LOCK_DIR, .mode = 0755,
					.source = S("distill"), .link = S("y") };
	struct mf_lock_file big = { .path = S("/big"), .type = MF_LOCK_REG, .mode = 0644,
				    .size = UINT64_C(9007199254740993), .sha256 = HA,
				    .source = S("distill") };
	struct mf_lock_file latin1 = { .path = S("/caf\xe9"), .type = MF_LOCK_DIR,
				       .mode = 0755, .source = S("distill") };
	const struct { const struct mf_lock_file *f; const char *msg; } cases[] = {
		{ &rel, "cannot write the lock: 'etc': path: expected an absolute path" },
		{ &linkdir, "cannot write the lock: '/x': link: only symlinks and hardlinks "
			    "have one" },
		{ &big, "cannot write the lock: '/big': size: expected an integer from 0 to 2^53" },
		/* a byte that is not UTF-8 is shown as \xHH in a message (it could be a C1
		 * control to a terminal) */
		{ &latin1, "cannot write the lock: '/caf\\xe9': path: not valid UTF-8" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mf_lock *l = sample();
		struct dt_err err;
		char *s = NULL;
		assert_int_equal(mf_lock_add_file(l, cases[i].f, &err), 0);
		assert_int_equal(mf_lock_dump(l, &s, &err), -DT_EINPUT);
		assert_null(s);
		assert_string_equal(err.msg, cases[i].msg);
		mf_lock_free(l);
	}
}

#define TOP(debs, files) \
	"{\"debs\":[" debs "],\"files\":[" files "],\"lockVersion\":1,\"platform\":" \
	"\"linux/amd64\",\"spec\":{\"file\":\"curl.yaml\",\"sha256\":\"" HA "\"}}"
#define DIR_(path) \
	"{\"gid\":0,\"layer\":\"base\",\"mode\":\"0755\",\"path\":\"" path "\"," \
	"\"source\":\"distill\",\"type\":\"dir\",\"uid\":0}"
#define FILE_(extra) \
	"{\"gid\":0,\"layer\":\"base\",\"mode\":\"0644\",\"path\":\"/f\"," \
	"\"source\":\"distill\",\"type\":\"file\",\"uid\":0" extra "}"
#define OKF ",\"sha256\":\"" HA "\",\"size\":1"
#define DEB(extra) \
	"{\"architecture\":\"amd64\",\"file\":\"z.deb\",\"name\":\"z\",\"version\":\"1\"" extra "}"

static void test_parse_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "{\"lockVersion\": 1,\n  \"x\": }", "'t.lock.json': line 2, column 8: "
		  "unexpected token near '}'" },
		{ "[]", "'t.lock.json': expected a JSON object at the top level" },
		{ "{}", "'t.lock.json': missing key \"lockVersion\"" },
		{ "{\"lockVersion\":\"1\"}", "'t.lock.json': lockVersion: expected an integer" },
		{ "{\"lockVersion\":2,\"new\":0}", "'t.lock.json': lockVersion 2 is not supported "
		  "by this distill (1)" },
		{ "{\"lockVersion\":1,\"lockVersion\":1}", "'t.lock.json': line 1, column 30: "
		  "duplicate object key near '\"lockVersion\"'" },
		{ "{\"lockVersion\":1,\"extra\":0}", "'t.lock.json': unknown key \"extra\"" },
		{ "{\"lockVersion\":1}", "'t.lock.json': missing key \"platform\"" },
		{ "{\"lockVersion\":1,\"platform\":\"\"}", "'t.lock.json': platform: expected a "
		  "non-empty string" },
		{ "{\"lockVersion\":1,\"platform\":\"p\"}", "'t.lock.json': missing key \"spec\"" },
		{ "{\"lockVersion\":1,\"platform\":\"p\",\"spec\":{\"file\":\"a/b.yaml\",\"sha256\":"
		  "\"" HA "\"}}", "'t.lock.json': spec: file: expected the base name of the spec" },
		{ "{\"lockVersion\":1,\"platform\":\"p\",\"spec\":{\"file\":\"b.yaml\",\"sha256\":"
		  "\"" HA "\"}}", "'t.lock.json': missing key \"debs\"" },
		{ "{\"lockVersion\":1,\"platform\":\"p\",\"spec\":{\"file\":\"b.yaml\",\"sha256\":"
		  "\"" HA "\"},\"debs\":{},\"files\":[]}", "'t.lock.json': debs: expected an array" },
		{ TOP("", "1"), "'t.lock.json': files[0]: expected an object" },
		{ TOP("", DIR_("/a") "," DIR_("/b") "," DIR_("/a")),
		  "'t.lock.json': files[2] (/a): duplicate path (also files[0])" },
		{ TOP("", DIR_("a")), "'t.lock.json': files[0] (a): path: expected an absolute path" },
		{ TOP("", "{\"type\":\"dir\"}"), "'t.lock.json': files[0]: missing key \"path\"" },
		{ TOP("", FILE_(OKF ",\"owner\":0")), "'t.lock.json': files[0] (/f): unknown key "
		  "\"owner\"" },
		{ TOP("", FILE_(",\"sha256\":\"" HA "\"")), "'t.lock.json': files[0] (/f): missing "
		  "key \"size\" (a regular file has one)" },
		{ TOP("", FILE_(",\"size\":1")), "'t.lock.json': files[0] (/f): missing key "
		  "\"sha256\" (a regular file has one)" },
		{ TOP("", FILE_(",\"size\":1,\"sha256\":\"" HA "0\"")), "'t.lock.json': files[0] "
		  "(/f): sha256: expected 64 lowercase hex digits" },
		{ TOP("", FILE_(",\"size\":1,\"sha256\":\"AAAAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				"aaaaaaaaaaaaaaaaaaaaaaaa\"")),
		  "'t.lock.json': files[0] (/f): sha256: expected 64 lowercase hex digits" },
		{ TOP("", FILE_(",\"size\":-1,\"sha256\":\"" HA "\"")), "'t.lock.json': files[0] "
		  "(/f): size: expected an integer from 0 to 9007199254740992" },
		{ TOP("", FILE_(",\"size\":9007199254740993,\"sha256\":\"" HA "\"")),
		  "'t.lock.json': files[0] (/f): size: expected an integer from 0 to "
		  "9007199254740992" },
		{ TOP("", FILE_(",\"size\":1.0,\"sha256\":\"" HA "\"")), "'t.lock.json': files[0] "
		  "(/f): size: expected an integer from 0 to 9007199254740992" },
		{ TOP("", FILE_(OKF ",\"link\":\"x\"")), "'t.lock.json': files[0] (/f): link: only "
		  "symlinks and hardlinks have one" },
		{ TOP("", FILE_(OKF ",\"package\":\"zlib1g\"")), "'t.lock.json': files[0] (/f): "
		  "missing key \"package_version\" (it goes with \"package\")" },
		{ TOP("", FILE_(OKF ",\"package_version\":\"1\"")), "'t.lock.json': files[0] (/f): "
		  "missing key \"package\" (it goes with \"package_version\")" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":\"644\",\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"dir\",\"uid\":0}"), "'t.lock.json': files[0] "
		  "(/f): mode: expected an octal string like \"0644\"" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":\"0648\",\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"dir\",\"uid\":0}"), "'t.lock.json': files[0] "
		  "(/f): mode: expected an octal string like \"0644\"" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":420,\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"dir\",\"uid\":0}"), "'t.lock.json': files[0] "
		  "(/f): mode: expected a non-empty string" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":\"0755\",\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"fifo\",\"uid\":0}"), "'t.lock.json': files[0] "
		  "(/f): type: expected \"dir\", \"file\", \"symlink\" or \"hardlink\"" },
		{ TOP("", "{\"gid\":0,\"layer\":\"top\",\"mode\":\"0755\",\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"dir\",\"uid\":0}"), "'t.lock.json': files[0] "
		  "(/f): layer: expected \"base\" or \"app\"" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":\"0755\",\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"dir\",\"uid\":4294967296}"),
		  "'t.lock.json': files[0] (/f): uid: expected an integer from 0 to 4294967295" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":\"0755\",\"path\":\"/f\","
		  "\"type\":\"dir\",\"uid\":0}"), "'t.lock.json': files[0] (/f): missing key "
		  "\"source\"" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":\"0755\",\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"dir\",\"uid\":0,\"size\":0}"),
		  "'t.lock.json': files[0] (/f): size: only regular files have one" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":\"0755\",\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"dir\",\"uid\":0,\"sha256\":\"" HA "\"}"),
		  "'t.lock.json': files[0] (/f): sha256: only regular files have one" },
		{ TOP("", "{\"gid\":0,\"layer\":\"base\",\"mode\":\"0777\",\"path\":\"/f\","
		  "\"source\":\"distill\",\"type\":\"symlink\",\"uid\":0}"),
		  "'t.lock.json': files[0] (/f): missing key \"link\" (a symlink has one)" },
		{ TOP(DEB(",\"sha256\":\"" HA "\""), ""), "'t.lock.json': debs[0] (z.deb): missing "
		  "key \"size\"" },
		{ TOP(DEB(",\"sha256\":\"" HA "\",\"size\":1,\"extra\":1"), ""), "'t.lock.json': "
		  "debs[0] (z.deb): unknown key \"extra\"" },
		{ TOP(DEB(",\"sha256\":\"\",\"size\":1"), ""), "'t.lock.json': debs[0] (z.deb): "
		  "sha256: expected a non-empty string" },
		{ TOP("[]", ""), "'t.lock.json': debs[0]: expected an object" },
		{ DEPS("{}"), "'t.lock.json': depends: expected an array" },
		{ DEPS("[1]"), "'t.lock.json': depends[0]: expected an object" },
		{ DEPS("[" REL("image", ",\"x\":1") "]"), "'t.lock.json': depends[0]: unknown key \"x\"" },
		{ DEPS("[" REL("pulled", "") "]"), "'t.lock.json': depends[0]: how: expected "
		  "\"image\", \"deb\", \"essential\" or \"root\"" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mf_lock *l = (struct mf_lock *)1;
		struct dt_err err;
		dt_err_clear(&err);
		assert_int_equal(mf_lock_parse("t.lock.json", cases[i].text, strlen(cases[i].text),
					       &l, &err), -DT_EINPUT);
		assert_null(l);
		if (strcmp(err.msg, cases[i].msg) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, cases[i].msg);
	}
}

static void test_load(void **state)
{
	char dir[] = "/tmp/distill-lock.XXXXXX", path[64];
	struct mf_lock *l = NULL;
	struct dt_err err;
	FILE *f;
	(void)state;

	assert_int_equal(mf_lock_load("/nonexistent/curl.lock.json", &l, &err), -DT_ESYS);
	assert_string_equal(err.msg, "cannot read '/nonexistent/curl.lock.json': No such file or "
				     "directory");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/curl.lock.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(sample_text, f);
	fclose(f);
	assert_int_equal(mf_lock_load(path, &l, &err), 0);
	assert_int_equal(l->nfiles, 5);
	mf_lock_free(l);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"lockVersion\": 7}", f);
	fclose(f);
	assert_int_equal(mf_lock_load(path, &l, &err), -DT_EINPUT);
	assert_non_null(strstr(err.msg, "curl.lock.json': lockVersion 7 is not supported by this "
					"distill (1)"));
	unlink(path);
	rmdir(dir);
}

static struct mf_lock *copy(const char *text)
{
	return parse(text);
}

static struct mf_lock_file *file(struct mf_lock *l, const char *path)
{
	for (size_t i = 0; i < l->nfiles; i++)
		if (strcmp(l->files[i].path, path) == 0)
			return &l->files[i];
	fail_msg("no %s", path);
	return NULL;
}

static void set(char **p, const char *s)
{
	free(*p);
	*p = s ? strdup(s) : NULL;
}

static void expect_drift(struct mf_lock *locked, struct mf_lock *found, const char *const *want,
			 size_t n)
{
	struct mf_drift_list d = { 0 };
	struct dt_err err;

	assert_int_equal(mf_lock_sort(found, &err), 0);
	assert_int_equal(mf_lock_compare(locked, found, &d, &err), 0);
	for (size_t i = 0; i < d.n && i < n; i++)
		if (strcmp(d.v[i].message, want[i]) != 0)
			fail_msg("drift %zu:\n got  %s\n want %s", i, d.v[i].message, want[i]);
	if (d.n != n)
		fail_msg("%zu drifts, want %zu (first: %s)", d.n, n, d.n ? d.v[0].message : "-");
	mf_drift_list_release(&d);
}

static void test_compare(void **state)
{
	struct mf_lock *locked = copy(sample_text), *found = copy(sample_text);
	struct mf_lock_file extra = { .path = S("/usr/bin/extra"), .type = MF_LOCK_REG,
				      .mode = 0755, .sha256 = HB, .size = 3,
				      .source = S("host:/usr/bin/extra") };
	struct mf_lock_deb libc = { .name = S("libc6"), .version = S("2.36-9"),
				    .architecture = S("amd64"),
				    .file = S("libc6_2.36-9_amd64.deb"), .sha256 = HA,
				    .size = 1 };
	struct mf_drift_list d = { 0 };
	struct dt_err err;
	struct mf_lock_file *f;
	(void)state;

	expect_drift(locked, found, NULL, 0);

	/* Content of a package's file, then with the package's version too. */
	memcpy(file(found, LIBZ)->sha256, HB, 65);
	{
		const char *const want[] = { LIBZ " (zlib1g 1:1.2.13.dfsg-1): sha256 locked " HC
					     ", found " HB };
		expect_drift(locked, found, want, 1);
	}
	set(&file(found, LIBZ)->package_version, "1:1.2.13.dfsg-2");
	file(found, LIBZ)->size = 121281;
	{
		const char *const want[] = { LIBZ " (zlib1g 1:1.2.13.dfsg-1 -> 1:1.2.13.dfsg-2): "
					     "size locked 121280, found 121281; sha256 locked " HC
					     ", found " HB };
		expect_drift(locked, found, want, 1);
	}
	mf_lock_free(found);

	/* Every other kind, in order: spec, platform, debs, then files by path. */
	found = copy(sample_text);
	memcpy(found->spec_sha256, HB, 65);
	set(&found->platform, "linux/arm64");
	memcpy(found->debs[1].sha256, HA, 65);                             /* zlib1g */
	set(&found->debs[0].version, "12.5");                              /* base-files */
	set(&found->debs[0].file, "base-files_12.5_amd64.deb");
	assert_int_equal(mf_lock_add_deb(found, &libc, &err), 0);
	assert_int_equal(mf_lock_add_file(found, &extra, &err), 0);
	file(found, "/etc")->mode = 0700;
	f = file(found, "/usr/bin/curl");
	f->gid = 0;
	f->layer = MF_LAYER_BASE;
	set(&file(found, "/usr/bin/curl2")->link, "/usr/bin/curl3");
	f = file(found, "/usr/lib/x86_64-linux-gnu/libz.so.1");
	set(&f->source, "deb:zlib1g@1:1.2.13.dfsg-1:/usr/lib/x86_64-linux-gnu/libz.so.1");
	set(&f->package, "zlib1g");
	set(&f->package_version, "1:1.2.13.dfsg-1");
	f = file(found, LIBZ);
	f->type = MF_LOCK_SYMLINK;
	f->size = 0;
	f->sha256[0] = '\0';
	set(&f->link, "libz.so.1.3");
	{
		const char *const want[] = {
			"spec 'curl.yaml' changed since the lock was written: sha256 locked " HA
			", found " HB,
			"platform locked linux/amd64, found linux/arm64",
			"base-files_12.4_amd64.deb: version locked 12.4, found 12.5; file locked "
			"base-files_12.4_amd64.deb, found base-files_12.5_amd64.deb",
			"libc6_2.36-9_amd64.deb: not in the lock (found libc6 2.36-9 amd64)",
			"zlib1g_1.2.13.dfsg-1_amd64.deb: sha256 locked " HB ", found " HA,
			"/etc: mode locked 0755, found 0700",
			"/usr/bin/curl: uid:gid locked 0:65532, found 0:0; layer locked app, found base",
			"/usr/bin/curl2: link locked /usr/bin/curl, found /usr/bin/curl3",
			"/usr/bin/extra: not in the lock (found, from host:/usr/bin/extra)",
			"/usr/lib/x86_64-linux-gnu/libz.so.1: source locked "
			"host:/usr/lib/x86_64-linux-gnu/libz.so.1, found "
			"deb:zlib1g@1:1.2.13.dfsg-1:/usr/lib/x86_64-linux-gnu/libz.so.1; package "
			"locked none, found zlib1g 1:1.2.13.dfsg-1",
			LIBZ " (zlib1g 1:1.2.13.dfsg-1): type locked file, found symlink to "
			"libz.so.1.3",
		};
		expect_drift(locked, found, want, sizeof(want) / sizeof(want[0]));
	}
	/* The paths drifts are about. */
	assert_int_equal(mf_lock_compare(locked, found, &d, &err), 0);
	assert_string_equal(d.v[0].path, "spec");
	assert_string_equal(d.v[1].path, "platform");
	assert_string_equal(d.v[2].path, "base-files_12.4_amd64.deb");
	assert_string_equal(d.v[3].path, "libc6_2.36-9_amd64.deb");
	assert_string_equal(d.v[5].path, "/etc");
	mf_drift_list_release(&d);
	mf_drift_list_release(&d);
	mf_lock_free(found);

	/* Removed paths and debs, another spec file, package changes. */
	found = copy(sample_text);
	set(&found->spec_file, "curl2.yaml");
	for (size_t i = 0; i < found->nfiles; i++)
		if (strcmp(found->files[i].path, "/etc") == 0)
			set(&found->files[i].path, "/etc2");
	found->ndebs = 1; /* zlib1g removed: free its strings first */
	free(found->debs[1].name);
	free(found->debs[1].version);
	free(found->debs[1].architecture);
	free(found->debs[1].file);
	set(&file(found, LIBZ)->package, "libz");
	set(&file(found, "/usr/bin/curl")->package, "curl");
	set(&file(found, "/usr/bin/curl")->package_version, "8.0");
	{
		const char *const want[] = {
			"spec locked 'curl.yaml', found 'curl2.yaml'",
			"zlib1g_1.2.13.dfsg-1_amd64.deb: in the lock, not found",
			"/etc: in the lock, not found",
			"/etc2: not in the lock (found, from distill)",
			"/usr/bin/curl: package locked none, found curl 8.0",
			LIBZ ": package locked zlib1g 1:1.2.13.dfsg-1, found libz 1:1.2.13.dfsg-1",
		};
		expect_drift(locked, found, want, sizeof(want) / sizeof(want[0]));
	}
	mf_lock_free(found);

	/* Only a package's version: said once, in words. */
	found = copy(sample_text);
	set(&file(found, LIBZ)->package_version, "1:1.2.13.dfsg-1+b1");
	{
		const char *const want[] = {
			LIBZ " (zlib1g 1:1.2.13.dfsg-1 -> 1:1.2.13.dfsg-1+b1): package version "
			"locked 1:1.2.13.dfsg-1, found 1:1.2.13.dfsg-1+b1",
		};
		expect_drift(locked, found, want, 1);
	}
	mf_lock_free(found);
	mf_lock_free(locked);
	mf_drift_list_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_exact),
		cmocka_unit_test(test_round_trip), cmocka_unit_test(test_depends),
		cmocka_unit_test(test_installed),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_sort_duplicate),
		cmocka_unit_test(test_dump_refuses),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
