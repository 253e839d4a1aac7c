/* SPDX-License-Identifier: MIT */
/* Unit tests of debian/apt: sources in one-line and deb822 form (options, several URIs and
 * suites, disabled paragraphs, deb-src skipped) and refused (trusted=yes, flat
 * repositories, other schemes, no components); apt's list file names; the SHA256 entries
 * of a Release; Packages stanzas parsed, validated (Filename with "..", a short SHA256, a
 * bad name) and looked up by name, version and architecture, the first source winning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debian/apt.h"

static void test_one_line(void **state)
{
	struct deb_apt_sources s = { 0 };
	struct dt_err err;
	const char *text =
		"# a comment\n"
		"deb http://deb.debian.org/debian bookworm main contrib\n"
		"deb-src http://deb.debian.org/debian bookworm main\n"
		"deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://r.example/apt/ stable main # tail\n"
		"deb [ trusted=no ] http://x.example/d sid main\n"
		"\n";
	(void)state;
	assert_int_equal(deb_apt_sources_parse("sources.list", text, 0, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0].uri, "http://deb.debian.org/debian");
	assert_string_equal(s.v[0].suite, "bookworm");
	assert_int_equal(s.v[0].ncomponents, 2);
	assert_string_equal(s.v[0].components[1], "contrib");
	assert_null(s.v[0].signed_by);
	assert_string_equal(s.v[0].where, "sources.list:2");
	assert_string_equal(s.v[1].uri, "https://r.example/apt"); /* the final '/' goes */
	assert_string_equal(s.v[1].signed_by, "/usr/share/keyrings/k.gpg");
	assert_string_equal(s.v[1].where, "sources.list:4");
	assert_string_equal(s.v[2].suite, "sid");
	deb_apt_sources_release(&s);
}

static void test_deb822(void **state)
{
	struct deb_apt_sources s = { 0 };
	struct dt_err err;
	const char *text =
		"Types: deb\n"
		"# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
		"URIs: http://deb.debian.org/debian\n"
		"Suites: bookworm bookworm-updates\n"
		"Components: main\n"
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
		"\n"
		"Types: deb-src\n"
		"URIs: http://deb.debian.org/debian\n"
		"Suites: bookworm\n"
		"Components: main\n"
		"\n"
		"Enabled: no\n"
		"Types: deb\n"
		"URIs: http://off.example/debian\n"
		"Suites: x\n"
		"Components: main\n"
		"\n\n"
		"Types: deb deb-src\n"
		"URIs: http://a.example/d http://b.example/d\n"
		"Suites: s\n"
		"Components: main\n"
		"  non-free\n"
		"Signed-By:\n"
		" -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
		" .\n"
		" mQINBF\n"
		" -----END PGP PUBLIC KEY BLOCK-----\n";
	(void)state;
	assert_int_equal(deb_apt_sources_parse("d.sources", text, 1, &s, &err), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.v[0].suite, "bookworm");
	assert_string_equal(s.v[1].suite, "bookworm-updates");
	assert_string_equal(s.v[1].where, "d.sources:1");
	assert_string_equal(s.v[2].uri, "http://a.example/d");
	assert_string_equal(s.v[3].uri, "http://b.example/d");
	assert_int_equal(s.v[3].ncomponents, 2);
	assert_string_equal(s.v[3].components[1], "non-free");
	assert_non_null(strstr(s.v[3].signed_by, "BEGIN PGP PUBLIC KEY BLOCK"));
	assert_string_equal(s.v[3].where, "d.sources:20");
	deb_apt_sources_release(&s);
}

static void test_refused(void **state)
{
	static const struct { const char *text; int deb822; const char *says; } bad[] = {
		{ "deb [trusted=yes] http://x/d s main\n", 0, "trusted=yes" },
		{ "deb http://x/d s\n", 0, "no components" },
		{ "deb http://x/d ./\n", 0, "flat repositories" },
		{ "deb http://x/d sub/ \n", 0, "flat repositories" },
		{ "deb ftp://x/d s main\n", 0, "only http and https" },
		{ "deb file:/srv/d s main\n", 0, "only http and https" },
		{ "deb http://x/d\n", 0, "a URI and a suite" },
		{ "deb [arch=amd64 http://x/d s main\n", 0, "closing ']'" },
		{ "rpm http://x/d s main\n", 0, "expected deb" },
		{ "deb http://x/d ../s main\n", 0, "not a valid suite" },
		{ "Types: deb\nURIs: http://x/d\nSuites: s\nComponents: main\nTrusted: yes\n", 1,
		  "Trusted: yes" },
		{ "Types: deb\nURIs: http://x/d\nComponents: main\n", 1, "needs Types, URIs" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct deb_apt_sources s = { 0 };
		struct dt_err err;
		dt_err_clear(&err);
		assert_true(deb_apt_sources_parse("f", bad[i].text, bad[i].deb822, &s, &err) < 0);
		if (!strstr(err.msg, bad[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].says);
		deb_apt_sources_release(&s);
	}
}

static void test_list_name(void **state)
{
	char out[512];
	(void)state;
	assert_int_equal(deb_apt_list_name("http://deb.debian.org/debian", "dists/bookworm/InRelease",
					   out, sizeof(out)), 0);
	assert_string_equal(out, "deb.debian.org_debian_dists_bookworm_InRelease");
	assert_int_equal(deb_apt_list_name("http://deb.debian.org/debian-security",
					   "dists/bookworm-security/main/binary-amd64/Packages",
					   out, sizeof(out)), 0);
	assert_string_equal(out, "deb.debian.org_debian-security_dists_bookworm-security_main_"
			    "binary-amd64_Packages");
	assert_int_equal(deb_apt_list_name("https://u:pw@127.0.0.1:8080/my_repo",
					   "dists/s/InRelease", out, sizeof(out)), 0);
	assert_string_equal(out, "127.0.0.1:8080_my%5frepo_dists_s_InRelease");
	assert_int_equal(deb_apt_list_name("http://h/d", "dists/s/InRelease", out, 8), -1);
}

static void test_release_hash(void **state)
{
	const char *rel =
		"Origin: Debian\n"
		"MD5Sum:\n"
		" 0123456789abcdef0123456789abcdef 100 main/binary-amd64/Packages\n"
		"SHA256:\n"
		" 1111111111111111111111111111111111111111111111111111111111111111 5 main/binary-amd64/Packages.gz\n"
		" 2222222222222222222222222222222222222222222222222222222222222222 12345 main/binary-amd64/Packages\n"
		"Other: x\n"
		" 3333333333333333333333333333333333333333333333333333333333333333 9 main/binary-all/Packages\n";
	char sha[65];
	uint64_t size = 0;
	struct dt_err err;
	(void)state;
	assert_int_equal(deb_apt_release_hash("R", rel, "main/binary-amd64/Packages", sha, &size,
					      &err), 0);
	assert_string_equal(sha, "2222222222222222222222222222222222222222222222222222222222222222");
	assert_int_equal(size, 12345);
	/* not under SHA256: absent */
	assert_int_equal(deb_apt_release_hash("R", rel, "main/binary-all/Packages", sha, &size,
					      &err), 1);
	assert_true(deb_apt_release_hash("R", "SHA256:\n xyz 1 main/binary-amd64/Packages\n",
					 "main/binary-amd64/Packages", sha, &size, &err) < 0);
	assert_non_null(strstr(err.msg, "malformed"));
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_packages(void **state)
{
	struct deb_apt_sources s = { 0 };
	struct deb_apt_index *idx;
	struct dt_buf offers = { 0 };
	struct dt_err err;
	const char *one =
		"Package: libc6\n"
		"Source: glibc\n"
		"Version: 2.36-9+deb12u13\n"
		"Architecture: amd64\n"
		"Description: GNU C Library\n"
		" continued\n"
		"Filename: pool/main/g/glibc/libc6_2.36-9+deb12u13_amd64.deb\n"
		"Size: 2757936\n"
		"SHA256: " SHA_A "\n"
		"\n"
		"Package: tzdata\n"
		"Version: 2025b-0+deb12u2\n"
		"Architecture: all\n"
		"Filename: pool/main/t/tzdata/tzdata_2025b-0+deb12u2_all.deb\n"
		"Size: 10\n"
		"SHA256: " SHA_B "\n";
	const char *two =
		"Package: libc6\n"
		"Version: 2.36-9+deb12u13\n"
		"Architecture: amd64\n"
		"Filename: pool/updates/libc6_2.36-9+deb12u13_amd64.deb\n"
		"Size: 2757936\n"
		"SHA256: " SHA_A "\n"
		"\n"
		"Package: libc6\n"
		"Version: 2.36-9+deb12u14\n"
		"Architecture: amd64\n"
		"Filename: pool/updates/libc6_2.36-9+deb12u14_amd64.deb\n"
		"Size: 1\n"
		"SHA256: " SHA_B "\n\n";
	const char *const comps[] = { "main" };
	const struct deb_apt_pkg *p;
	(void)state;
	assert_int_equal(deb_apt_sources_add(&s, "http://a/debian", "bookworm", comps, 1, NULL,
					     "t:1", &err), 0);
	assert_int_equal(deb_apt_sources_add(&s, "http://b/security", "bookworm-security", comps,
					     1, NULL, "t:2", &err), 0);
	assert_non_null(idx = deb_apt_index_new(&s));
	/* the second source first: the lookup still prefers the first */
	assert_int_equal(deb_apt_packages_parse(idx, "two", two, strlen(two), 1, &err), 0);
	assert_int_equal(deb_apt_packages_parse(idx, "one", one, strlen(one), 0, &err), 0);
	deb_apt_index_sort(idx);
	assert_int_equal(deb_apt_count(idx), 4);
	assert_non_null(p = deb_apt_find(idx, "libc6", "2.36-9+deb12u13", "amd64"));
	assert_int_equal(p->source, 0);
	assert_string_equal(p->filename, "pool/main/g/glibc/libc6_2.36-9+deb12u13_amd64.deb");
	assert_int_equal(p->size, 2757936);
	assert_string_equal(p->sha256, SHA_A);
	assert_string_equal(deb_apt_pkg_source(idx, p)->uri, "http://a/debian");
	assert_non_null(p = deb_apt_find(idx, "libc6", "2.36-9+deb12u14", "amd64"));
	assert_int_equal(p->source, 1);
	assert_null(deb_apt_find(idx, "libc6", "2.36-9+deb12u14", "arm64"));
	assert_null(deb_apt_find(idx, "libc6", "2.36-9", "amd64"));
	/* an Architecture: all package serves any architecture */
	assert_non_null(deb_apt_find(idx, "tzdata", "2025b-0+deb12u2", "arm64"));
	deb_apt_offers(idx, "libc6", &offers);
	assert_string_equal(offers.s, "2.36-9+deb12u13 (http://a/debian bookworm), "
			    "2.36-9+deb12u13 (http://b/security bookworm-security), "
			    "2.36-9+deb12u14 (http://b/security bookworm-security)");
	dt_buf_reset(&offers);
	deb_apt_offers(idx, "nothere", &offers);
	assert_string_equal(offers.s, "nothing");
	dt_buf_release(&offers);
	deb_apt_index_free(idx);
	deb_apt_sources_release(&s);
}

static void test_packages_refused(void **state)
{
	static const struct { const char *stanza; const char *says; } bad[] = {
		{ "Package: x1\nVersion: 1\nArchitecture: amd64\nFilename: pool/../../etc/x.deb\n"
		  "Size: 1\nSHA256: " SHA_A "\n", "Filename" },
		{ "Package: x1\nVersion: 1\nArchitecture: amd64\nFilename: /pool/x.deb\n"
		  "Size: 1\nSHA256: " SHA_A "\n", "Filename" },
		{ "Package: x1\nVersion: 1\nArchitecture: amd64\nFilename: pool/x.tar\n"
		  "Size: 1\nSHA256: " SHA_A "\n", "Filename" },
		{ "Package: x1\nVersion: 1\nArchitecture: amd64\nFilename: pool/x.deb\n"
		  "Size: 1\nSHA256: abc\n", "SHA256" },
		{ "Package: X_1\nVersion: 1\nArchitecture: amd64\nFilename: pool/x.deb\n"
		  "Size: 1\nSHA256: " SHA_A "\n", "Package" },
		{ "Package: x1\nVersion: 1 2\nArchitecture: amd64\nFilename: pool/x.deb\n"
		  "Size: 1\nSHA256: " SHA_A "\n", "Version" },
		{ "Package: x1\nVersion: 1\nArchitecture: amd64\nFilename: pool/x.deb\n"
		  "Size: -1\nSHA256: " SHA_A "\n", "Size" },
		{ "Package: x1\nVersion: 1\nArchitecture: amd64\nSize: 1\nSHA256: " SHA_A "\n",
		  "no Filename" },
		{ "Version: 1\n", "without Package" },
	};
	struct deb_apt_sources s = { 0 };
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct deb_apt_index *idx = deb_apt_index_new(&s);
		struct dt_err err;
		assert_non_null(idx);
		dt_err_clear(&err);
		assert_true(deb_apt_packages_parse(idx, "P", bad[i].stanza, strlen(bad[i].stanza),
						   0, &err) < 0);
		if (!strstr(err.msg, bad[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].says);
		deb_apt_index_free(idx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),     cmocka_unit_test(test_deb822),
		cmocka_unit_test(test_refused),      cmocka_unit_test(test_list_name),
		cmocka_unit_test(test_release_hash), cmocka_unit_test(test_packages),
		cmocka_unit_test(test_packages_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
