/* SPDX-License-Identifier: MIT */
/* Unit tests of the image-spec parser: every field of a full spec, the defaults, and the
 * errors (file, line and key named). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "manifest/spec.h"

static struct mf_spec *parse_ok(const char *yaml)
{
	struct mf_spec *s = NULL;
	struct dt_err err;
	int rc = mf_spec_parse("t.yaml", "/proj", yaml, strlen(yaml), &s, &err);
	if (rc != 0)
		fail_msg("unexpected error: %s", err.msg);
	return s;
}

static void expect_error(const char *yaml, const char *msg)
{
	struct mf_spec *s = NULL;
	struct dt_err err;

	dt_err_clear(&err);
	assert_int_equal(mf_spec_parse("t.yaml", "/proj", yaml, strlen(yaml), &s, &err),
			 -DT_EINPUT);
	assert_null(s);
	if (!strstr(err.msg, msg))
		fail_msg("error '%s' lacks '%s'", err.msg, msg);
}

static void test_full(void **state)
{
	struct mf_spec *s;
	(void)state;
	s = parse_ok("name: example/app:1.0\nplatform: linux/arm64/v8\ncertificates: true\n"
		     "runtime: off\ndebs: ./debs\n"
		     "binaries:\n  - /usr/bin/curl\n  - {path: ./build/app, dst: /app//bin/}\n"
		     "files:\n  - {src: conf, dst: /etc/app, mode: \"0640\", uid: 0, gid: 1000}\n"
		     "packages:\n  - tzdata=2024a-0\n  - name: libssl3\n    paths: [/usr/lib/*/libssl*]\n"
		     "users:\n  - {name: app, uid: 1000, gid: 1000}\n"
		     "groups:\n  - {name: app, gid: 1000, members: [app]}\n"
		     "config:\n  entrypoint: /app/bin\n  env: {TZ: UTC, A: b}\n"
		     "  exposed_ports: [8080, 53/udp]\n  volumes: [/data]\n  labels: {k: v}\n"
		     "annotations: {a: b}\n");
	assert_string_equal(s->name, "example/app:1.0");
	assert_string_equal(s->platform, "linux/arm64/v8");
	assert_string_equal(s->root, "/");
	assert_int_equal(s->certificates, 1);
	assert_int_equal(s->runtime, MF_RUNTIME_OFF);
	assert_string_equal(s->debs, "/proj/debs");
	assert_int_equal(s->nbinaries, 2);
	assert_string_equal(s->binaries[0].path, "/usr/bin/curl");
	assert_null(s->binaries[0].dst);
	assert_string_equal(s->binaries[1].path, "/proj/build/app");
	assert_string_equal(s->binaries[1].dst, "/app/bin");
	assert_int_equal(s->binaries[1].line, 8);
	assert_string_equal(s->files[0].src, "/proj/conf");
	assert_int_equal(s->files[0].mode, 0640);
	assert_int_equal(s->files[0].gid, 1000);
	assert_string_equal(s->packages[0].name, "tzdata");
	assert_string_equal(s->packages[0].version, "2024a-0");
	assert_int_equal(s->packages[1].npaths, 1);
	assert_int_equal(s->users[0].uid, 1000);
	assert_string_equal(s->groups[0].members[0], "app");
	assert_int_equal(s->config.nentrypoint, 1);
	assert_string_equal(s->config.env[0], "TZ=UTC");
	assert_string_equal(s->config.env[1], "A=b");
	assert_string_equal(s->config.exposed_ports[0], "8080/tcp");
	assert_string_equal(s->config.exposed_ports[1], "53/udp");
	assert_string_equal(s->config.user, "nonroot");
	assert_string_equal(s->config.workdir, "/home/nonroot");
	mf_spec_free(s);
}

static void test_defaults(void **state)
{
	struct mf_spec *s;
	(void)state;
	s = parse_ok("name: app\nbase: scratch\n");
	assert_string_equal(s->name, "app:latest");
	assert_int_equal(s->base, MF_BASE_SCRATCH);
	assert_null(s->config.user);
	assert_null(s->config.workdir);
	mf_spec_free(s);
}

static void test_sha256(void **state)
{
	struct mf_spec *s;
	unsigned char expect[32];
	(void)state;
	s = parse_ok("name: a\n");
	memcpy(expect, s->sha256, 32);
	mf_spec_free(s);
	s = parse_ok("name: a\n");
	assert_memory_equal(expect, s->sha256, 32);
	mf_spec_free(s);
	/* a comment is a change of the spec */
	s = parse_ok("name: a\n# comment\n");
	assert_memory_not_equal(expect, s->sha256, 32);
	mf_spec_free(s);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("base: scratch\n", "t.yaml:1: name: missing");
	expect_error("name: a\nbogus: 1\n", "t.yaml:2: bogus: unknown key");
	expect_error("name: a\nname: b\n", "t.yaml:2: name: duplicate key");
	expect_error("name: a\nconfig:\n  user: [x]\n", "t.yaml:3: config.user: expected a string");
	expect_error("name: a\nbinaries:\n  - /x\n  - {path: /y, dst: rel}\n",
		     "t.yaml:4: binaries[1].dst: must be an absolute path");
	expect_error("name: a\nfiles:\n  - {src: x, dst: /a/../b}\n", "'.' and '..'");
	expect_error("name: a\nfiles:\n  - {src: x, dst: /a, mode: \"0999\"}\n", "octal mode");
	expect_error("name: a\ncertificates: yes\n", "expected true or false");
	expect_error("name: a\nconfig:\n  exposed_ports: [70000]\n", "PORT");
	expect_error("name: a\nx: &a 1\ny: *a\n", "aliases are not allowed");
	expect_error("name: a\n  - :\n", "invalid YAML");
	expect_error("name: Upper\n", "not a valid repository");
	expect_error("name: a\nusers:\n  - {name: nonroot, uid: 5, gid: 5}\n", "clashes");
	expect_error("name: a\nroot: /srv/sysroot\nbinaries: [{path: ./app, dst: /app}]\n",
		     "needs root: /");
	/* a relative binary says nothing of where it goes in the image */
	expect_error("name: a\nbinaries: [./build/app]\n",
		     "t.yaml:2: binaries[0]: 'build/app' is a path relative to the spec: say where "
		     "it goes in the image with dst (e.g. dst: /app/app)");
	expect_error("name: a\nbinaries:\n  - {path: ../stage/app}\n", "with dst");
	/* fields that become lines of /etc/passwd and /etc/group */
	expect_error("name: a\ngroups:\n  - {name: g, gid: 5, members: [\"c\\nroot2:x:0:\"]}\n",
		     "member 1: 'c\\nroot2:x:0:' is not a valid user name");
	expect_error("name: a\ngroups:\n  - {name: g, gid: 5, members: [a, \"b,c\"]}\n",
		     "member 2: 'b,c' is not a valid user name");
	expect_error("name: a\nusers:\n  - {name: u, uid: 5, gid: 5, home: \"/h:0\"}\n",
		     "'/h:0' has a ':', which separates /etc/passwd fields");
	expect_error("name: a\nusers:\n  - {name: u, uid: 5, gid: 5, shell: \"/bin/sh:x\"}\n",
		     "users[0].shell: '/bin/sh:x' has a ':'");
	/* special bits only when asked for */
	expect_error("name: a\nfiles:\n  - {src: x, dst: /a, mode: \"4755\"}\n",
		     "t.yaml:3: files[0]: mode 4755 sets setuid, setgid or sticky bits: add "
		     "'special: true' to keep them");
	expect_error("name: a\nfiles:\n  - {src: x, dst: /a, mode: \"1777\"}\n", "special: true");
	/* a user whose gid names no group, while a group of the user's name has another gid */
	expect_error("name: a\nusers:\n  - {name: app, uid: 1000, gid: 1001}\n"
		     "groups:\n  - {name: app, gid: 1000}\n",
		     "users[0]: gid 1001 names no group, and group 'app' has gid 1000");
}

/* The workdir is config.user's home; special bits pass with special: true. */
static void test_users(void **state)
{
	struct mf_spec *s;
	(void)state;

	s = parse_ok("name: a\nusers:\n  - {name: app, uid: 1000, gid: 1000}\n"
		     "groups:\n  - {name: app, gid: 1000}\nconfig:\n  user: app\n");
	assert_string_equal(s->config.workdir, "/home/app");
	assert_string_equal(mf_spec_group_of(s, 1000), "app");
	assert_string_equal(mf_spec_group_of(s, 65532), "nonroot");
	assert_null(mf_spec_group_of(s, 7));
	mf_spec_free(s);
	s = parse_ok("name: a\nusers:\n  - {name: app, uid: 1000, gid: 1000, home: /srv/app}\n"
		     "config:\n  user: app\n");
	assert_string_equal(s->config.workdir, "/srv/app");
	mf_spec_free(s);
	/* an explicit workdir stays; nonroot keeps its home */
	s = parse_ok("name: a\nusers:\n  - {name: app, uid: 1000, gid: 1000}\n"
		     "config:\n  user: app\n  workdir: /data\n");
	assert_string_equal(s->config.workdir, "/data");
	mf_spec_free(s);
	s = parse_ok("name: a\n");
	assert_string_equal(s->config.workdir, "/home/nonroot");
	mf_spec_free(s);
	s = parse_ok("name: a\nfiles:\n  - {src: x, dst: /a, mode: \"4755\", special: true}\n");
	assert_int_equal(s->files[0].mode, 04755);
	assert_true(s->files[0].special);
	assert_true(s->files[0].closure); /* on by default */
	mf_spec_free(s);
	/* files: closure off, exclude globs (absolute, or a name at any depth) */
	s = parse_ok("name: a\nfiles:\n  - {src: x, dst: /a, closure: false, "
		     "exclude: [/a/test, \"*.a\", __pycache__]}\n");
	assert_false(s->files[0].closure);
	assert_int_equal(s->files[0].nexcludes, 3);
	assert_string_equal(s->files[0].excludes[1], "*.a");
	mf_spec_free(s);
	expect_error("name: a\nfiles:\n  - {src: x, dst: /a, exclude: [a/b]}\n",
		     "glob 'a/b' must be an absolute path, or a name without '/'");
	expect_error("name: a\nfiles:\n  - {src: x, dst: /a, closure: maybe}\n", "closure");
	/* check.allow */
	s = parse_ok("name: a\ncheck:\n  allow: [\"/usr/lib/*/libx.so: liby.so.1\"]\n");
	assert_int_equal(s->ncheck_allow, 1);
	mf_spec_free(s);
}

/* repositories: url, suite and keyring required; components default to main; the keyring
 * is a path on this machine, relative to the spec. */
static void test_repositories(void **state)
{
	struct mf_spec *s;
	(void)state;
	s = parse_ok("name: a\nrepositories:\n"
		     "  - {url: https://snapshot.debian.org/archive/debian/20250520T000000Z,\n"
		     "     suite: bookworm, keyring: keys/debian.gpg}\n"
		     "  - {url: http://r/x, suite: s, components: [main, contrib],\n"
		     "     keyring: /k.asc}\n");
	assert_int_equal(s->nrepositories, 2);
	assert_string_equal(s->repositories[0].url,
			    "https://snapshot.debian.org/archive/debian/20250520T000000Z");
	assert_string_equal(s->repositories[0].suite, "bookworm");
	assert_int_equal(s->repositories[0].ncomponents, 1);
	assert_string_equal(s->repositories[0].components[0], "main");
	assert_string_equal(s->repositories[0].keyring, "/proj/keys/debian.gpg");
	assert_int_equal(s->repositories[0].line, 3);
	assert_int_equal(s->repositories[1].ncomponents, 2);
	assert_string_equal(s->repositories[1].components[1], "contrib");
	assert_string_equal(s->repositories[1].keyring, "/k.asc");
	mf_spec_free(s);
	expect_error("name: a\nrepositories:\n  - {url: http://r/x, suite: s}\n",
		     "t.yaml:3: repositories[0]: needs url, suite and keyring");
	expect_error("name: a\nrepositories:\n  - {url: ftp://r/x, suite: s, keyring: k}\n",
		     "repositories[0].url: 'ftp://r/x' is not an http:// or https:// URL");
	expect_error("name: a\nrepositories:\n  - {url: http://r, suite: s, keyring: k, x: 1}\n",
		     "repositories[0].x: unknown key");
}

static void test_depth(void **state)
{
	char buf[4096] = "name: a\nannotations: ";
	(void)state;
	for (int i = 0; i < 100; i++)
		strcat(buf, "[");
	for (int i = 0; i < 100; i++)
		strcat(buf, "]");
	strcat(buf, "\n");
	expect_error(buf, "nested deeper");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_repositories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
