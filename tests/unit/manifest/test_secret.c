/* SPDX-License-Identifier: MIT */
/* Unit tests of manifest/secret: every rule with positive and negative samples (a public
 * key, a certificate, a template .env, near-miss tokens), the text/binary bounds, the
 * findings list, and allow_secrets in the spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "manifest/secret.h"
#include "manifest/spec.h"

static struct mf_secrets *rules;

static int setup(void **state)
{
	struct dt_err err;
	(void)state;
	return mf_secrets_new(&rules, &err);
}

static int teardown(void **state)
{
	(void)state;
	mf_secrets_free(rules);
	return 0;
}

/* The rule @path with @text trips (NULL: none), the hit's why holding @why when given. */
static void expect_type(const char *path, enum mf_secret_type type, const char *text,
			const char *rule, const char *why)
{
	struct mf_secret_hit hit;
	int got = mf_secret_check(rules, path, type, text, text ? strlen(text) : 0, &hit);

	if (!rule) {
		if (got)
			fail_msg("%s: unexpected rule %s (%s)", path, hit.rule, hit.why);
		return;
	}
	if (!got)
		fail_msg("%s: rule %s did not trip", path, rule);
	if (strcmp(hit.rule, rule) != 0)
		fail_msg("%s: rule %s, not %s (%s)", path, hit.rule, rule, hit.why);
	{ /* every rule's name is one the docs list */
		size_t i;
		for (i = 0; mf_secret_rules[i] && strcmp(mf_secret_rules[i], rule) != 0; i++)
			;
		assert_non_null(mf_secret_rules[i]);
	}
	if (why && !strstr(hit.why, why))
		fail_msg("%s: '%s' lacks '%s'", path, hit.why, why);
}

static void expect(const char *path, const char *text, const char *rule)
{
	expect_type(path, MF_SECRET_REG, text, rule, NULL);
}

#define RSA_KEY "-----BEGIN RSA PRIV" "ATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
#define CERT "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----\n"

static void test_private_keys(void **state)
{
	static const char *const kinds[] = { "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", "" };
	char buf[256];
	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(buf, sizeof(buf), "# key\n-----BEGIN %sPRIVATE KEY-----\nAAAA\n", kinds[i]);
		expect_type("/app/key.pem", MF_SECRET_REG, buf, "private-key", "line 2: a private key");
	}
	expect_type("/app/x.asc", MF_SECRET_REG, "-----BEGIN PGP PRIV" "ATE KEY BLOCK-----\n\nlQ\n",
		    "pgp-private-key", "line 1");
	expect("/app/x.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", "private-key");
	/* public material is not secret */
	expect("/etc/ssl/certs/ca.pem", CERT, NULL);
	expect("/app/pub.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ\n", NULL);
	expect("/app/pub.pem", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n", NULL);
	expect("/app/rsa.pem", "-----BEGIN RSA PUBLIC KEY-----\nMIIB\n", NULL);
	/* a header must be whole */
	expect("/app/doc.txt", "the header -----BEGIN PRIVATE KEY is what PEM writes\n", NULL);
	expect("/app/doc.txt", "-----BEGIN FOO PRIVATE KEY-----\n", NULL);
}

static void test_private_key_in_binary(void **state)
{
	unsigned char *b = calloc(1, 3 * MF_SECRET_HEAD);
	struct mf_secret_hit hit;
	const char *k = RSA_KEY;
	(void)state;
	assert_non_null(b);
	/* a binary file: a key in its head is found ... */
	memcpy(b + 100, k, strlen(k));
	assert_int_equal(mf_secret_want(b, MF_SECRET_HEAD), MF_SECRET_HEAD);
	assert_int_equal(mf_secret_check(rules, "/app/bin", MF_SECRET_REG, b, MF_SECRET_HEAD, &hit), 1);
	assert_string_equal(hit.rule, "private-key");
	/* ... beyond it not: a binary file is read no further */
	memset(b + 100, 0, strlen(k));
	memcpy(b + 2 * MF_SECRET_HEAD, k, strlen(k));
	assert_int_equal(mf_secret_check(rules, "/app/bin", MF_SECRET_REG, b, 3 * MF_SECRET_HEAD,
					 &hit), 0);
	/* tokens are looked for in text files only */
	memcpy(b + 100, "AKI" "AABCDEFGHIJKLMNOP ", 21);
	assert_int_equal(mf_secret_check(rules, "/app/bin", MF_SECRET_REG, b, MF_SECRET_HEAD, &hit), 0);
	/* a text file is read to MF_SECRET_TEXT_MAX */
	memset(b, 'a', 3 * MF_SECRET_HEAD);
	assert_int_equal(mf_secret_want(b, MF_SECRET_HEAD), MF_SECRET_TEXT_MAX);
	memcpy(b + 2 * MF_SECRET_HEAD, "\nAKI" "AABCDEFGHIJKLMNOP\n", 22);
	assert_int_equal(mf_secret_check(rules, "/app/big.txt", MF_SECRET_REG, b, 3 * MF_SECRET_HEAD,
					 &hit), 1);
	assert_string_equal(hit.rule, "aws-access-key");
	assert_non_null(strstr(hit.why, "line 2"));
	free(b);
}

static void test_ssh_keys(void **state)
{
	(void)state;
	expect("/home/u/.ssh/id_rsa", RSA_KEY, "ssh-key");
	expect("/home/u/.ssh/id_ed25519",
	       "-----BEGIN OPENSSH PRIV" "ATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n", "ssh-key");
	expect("/home/u/.ssh/identity", "SSH PRIVATE KEY FILE FORMAT 1.1\n", "ssh-key");
	/* by name only when the content agrees */
	expect("/home/u/.ssh/id_rsa.pub", "ssh-rsa AAAAB3NzaC1yc2E user@host\n", NULL);
	expect("/home/u/.ssh/id_ed25519", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 user@host\n", NULL);
	expect("/home/u/.ssh/id_rsa", NULL, NULL);
	expect("/home/u/.ssh/authorized_keys", "ssh-ed25519 AAAAC3Nza u@h\n", NULL);
}

static void test_names(void **state)
{
	(void)state;
	/* .env files, not their templates, not a directory (a virtualenv) */
	expect("/app/.env", "A=1\n", "dotenv");
	expect("/app/.env", NULL, "dotenv");
	expect("/app/.env.production", "A=1\n", "dotenv");
	expect("/app/.env.local", "", "dotenv");
	expect("/app/.env.example", "A=changeme\n", NULL);
	expect("/app/.env.sample", "A=\n", NULL);
	expect("/app/.env.template", "A=\n", NULL);
	expect("/app/.envrc", "use nix\n", NULL);
	expect("/app/x.env", "A=1\n", NULL);
	expect_type("/app/.env", MF_SECRET_DIR, NULL, NULL, NULL);
	expect_type("/app/.env", MF_SECRET_OTHER, NULL, NULL, NULL);
	/* a template still has its content checked */
	expect("/app/.env.example", "AWS_ACCESS_KEY_ID=AKI" "AABCDEFGHIJKLMNOP\n", "aws-access-key");
	/* cloud credentials */
	expect("/root/.aws/credentials", "[default]\naws_secret_access_key = x\n", "aws-credentials");
	expect("/root/.aws/config", "[default]\nregion = eu-west-1\n", NULL);
	expect("/app/credentials", "x\n", NULL);
	expect("/app/my.aws/credentials", "x\n", NULL);
	/* shell histories */
	expect("/root/.bash_history", "ls\n", "shell-history");
	expect("/home/u/.zsh_history", "", "shell-history");
	expect("/home/u/.python_history", "1+1\n", "shell-history");
	expect("/home/u/.psql_history", "select 1;\n", "shell-history");
	expect("/home/u/.mysql_history", "show tables;\n", "shell-history");
	expect("/usr/share/doc/bash_history.txt", "x\n", NULL);
}

static void test_registry_and_netrc(void **state)
{
	(void)state;
	expect("/root/.docker/config.json",
	       "{\"auths\": {\"registry.example\": {\"auth\": \"dXNlcjpwYXNz\"}}}", "docker-config");
	expect("/run/containers/0/containers/auth.json",
	       "{\"auths\": {\"quay.io\": {\"auth\": \"dXNlcjpwYXNz\"}}}", "docker-config");
	expect("/root/.docker/config.json",
	       "{\"auths\": {\"r\": {\"identitytoken\": \"tok\"}}}", "docker-config");
	expect("/root/.dockercfg", "{\"r\": {\"auth\": \"dXNlcjpwYXNz\", \"email\": \"\"}}",
	       "docker-config");
	/* helpers and empty auths hold no secret; nor does another config.json */
	expect("/root/.docker/config.json", "{\"credsStore\": \"desktop\", \"auths\": {\"r\": {}}}",
	       NULL);
	expect("/root/.docker/config.json", "{\"auths\": {\"r\": {\"auth\": \"\"}}}", NULL);
	expect("/root/.docker/config.json", "{\"auths\": [1, 2]}", NULL);
	expect("/root/.docker/config.json", "not json", NULL);
	expect("/app/config.json", "{\"auths\": {\"r\": {\"auth\": \"dXNlcjpwYXNz\"}}}", NULL);
	/* .netrc with a password */
	expect("/root/.netrc", "machine example.com\n  login u\n  password hunter2\n", "netrc");
	expect("/root/_netrc", "machine h login u password p", "netrc");
	expect("/root/.netrc", "machine example.com login anonymous\n", NULL);
	expect("/root/.netrc", "machine h login u password", NULL);
	expect("/root/.netrc", "machine h login passwords x\n", NULL);
}

static void test_git(void **state)
{
	struct mf_secret_hit hit;
	(void)state;
	expect_type("/app/.git", MF_SECRET_DIR, NULL, "git", NULL);
	expect_type("/app/src/.git", MF_SECRET_DIR, NULL, "git", NULL);
	/* below it: the hit names the directory */
	assert_int_equal(mf_secret_check(rules, "/app/.git/config", MF_SECRET_REG, "x", 1, &hit), 1);
	assert_string_equal(hit.rule, "git");
	assert_int_equal(hit.path_len, strlen("/app/.git"));
	expect_type("/app/.git/objects", MF_SECRET_DIR, NULL, "git", NULL);
	/* a gitlink file, .github, .gitignore and foo.git are not */
	expect("/app/.git", "gitdir: ../.git/worktrees/x\n", NULL);
	expect_type("/app/.github", MF_SECRET_DIR, NULL, NULL, NULL);
	expect("/app/.github/workflows/ci.yml", "on: push\n", NULL);
	expect("/app/.gitignore", "build/\n", NULL);
	expect_type("/srv/repo.git", MF_SECRET_DIR, NULL, NULL, NULL);
	expect("/srv/repo.git/HEAD", "ref: refs/heads/main\n", NULL);
	expect_type("/usr/share/git-core/templates", MF_SECRET_DIR, NULL, NULL, NULL);
}

static void test_tokens(void **state)
{
	char buf[256];
	(void)state;
	expect("/app/settings.py", "KEY = 'AKI" "AIOSFODNN7EXAMPLE'\n", "aws-access-key");
	expect("/app/s.py", "k=ASI" "AIOSFODNN7EXAMPLE\n", "aws-access-key");
	expect("/app/s.py", "k=AKIAIOSFODNN7EXAMPL\n", NULL);        /* 15 characters */
	expect("/app/s.py", "k=AKI" "AIOSFODNN7EXAMPLE1\n", NULL);      /* a longer word */
	expect("/app/s.py", "k=XAKI" "AIOSFODNN7EXAMPLE\n", NULL);      /* inside a word */
	expect("/app/s.py", "k=AKIAiosfodnn7example\n", NULL);       /* lowercase */
	expect("/app/ci.sh", "TOKEN=gh" "p_0123456789abcdefghijABCDEFGHIJ012345\n", "github-token");
	expect("/app/ci.sh", "TOKEN=gh" "o_0123456789abcdefghijABCDEFGHIJ012345\n", "github-token");
	expect("/app/ci.sh", "TOKEN=gh" "s_0123456789abcdefghijABCDEFGHIJ012345\n", "github-token");
	expect("/app/ci.sh", "TOKEN=gh" "p_0123456789abcdefghij\n", NULL);
	expect("/app/ci.sh", "ghp_ is the prefix of a classic token\n", NULL);
	snprintf(buf, sizeof(buf), "t: github_pat_%s_%s\n", "11ABCDEFG0123456789abc",
		 "defghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	expect("/app/ci.yml", buf, "github-token");
	expect("/app/ci.yml", "t: github_pat_short\n", NULL);
	expect("/app/bot.js", "slack('xo" "xb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx')\n",
	       "slack-token");
	expect("/app/bot.js", "hugs xoxo-and kisses; xoxp- alone\n", NULL);
	expect("/app/maps.js", "key=AI" "zaSyA0123456789abcdefghijklmnopqrstuv\n", "google-api-key");
	expect("/app/maps.js", "key=AIzaSyA0123\n", NULL);
	/* the message never holds the secret */
	{
		struct mf_secret_hit hit;
		const char *t = "x AKI" "AIOSFODNN7EXAMPLE\n";
		assert_int_equal(mf_secret_check(rules, "/a", MF_SECRET_REG, t, strlen(t), &hit), 1);
		assert_null(strstr(hit.why, "IOSFODNN7"));
	}
	/* the first secret of the file is the one named */
	expect_type("/app/two.txt", MF_SECRET_REG,
		    "one\ngh" "p_0123456789abcdefghijABCDEFGHIJ012345\n" RSA_KEY, "github-token",
		    "line 2");
	expect_type("/app/two.txt", MF_SECRET_REG,
		    RSA_KEY "gh" "p_0123456789abcdefghijABCDEFGHIJ012345\n", "private-key", "line 1");
	/* ordinary text */
	expect("/usr/lib/python3.11/ssl.py", "PEM_HEADER = \"-----BEGIN CERTIFICATE-----\"\n", NULL);
	expect("/app/README", "", NULL);
}

static void test_list(void **state)
{
	struct mf_secret_list l = { 0 };
	struct mf_secret_hit hit;
	struct dt_err err;
	static const char *const paths[] = { "/b/.env", "/a/.git", "/a/.git/HEAD",
					     "/a/.git/objects/x", "/a/.bash_history" };
	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		enum mf_secret_type t = i == 1 ? MF_SECRET_DIR : MF_SECRET_REG;
		assert_int_equal(mf_secret_check(rules, paths[i], t, "x", 1, &hit), 1);
		assert_int_equal(mf_secret_list_add(&l, paths[i], &hit, &err), 0);
	}
	mf_secret_list_finish(&l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].path, "/a/.bash_history");
	assert_string_equal(l.v[1].path, "/a/.git");
	assert_string_equal(l.v[1].rule, "git");
	assert_string_equal(l.v[2].path, "/b/.env");
	mf_secret_list_release(&l);
}

static void test_spec_allow(void **state)
{
	struct mf_spec *s = NULL;
	struct dt_err err;
	const char *ok = "name: a\nallow_secrets: [/app/.env, \"/app/keys/*.pem\"]\n";
	const char *bad = "name: a\nallow_secrets: [app/.env]\n";
	(void)state;
	assert_int_equal(mf_spec_parse("t.yaml", "/proj", ok, strlen(ok), &s, &err), 0);
	assert_int_equal(s->nallow_secrets, 2);
	assert_string_equal(s->allow_secrets[1], "/app/keys/*.pem");
	mf_spec_free(s);
	dt_err_clear(&err);
	assert_int_equal(mf_spec_parse("t.yaml", "/proj", bad, strlen(bad), &s, &err), -DT_EINPUT);
	assert_non_null(strstr(err.msg, "allow_secrets"));
	assert_non_null(strstr(err.msg, "must be an absolute path"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_keys), cmocka_unit_test(test_private_key_in_binary),
		cmocka_unit_test(test_ssh_keys), cmocka_unit_test(test_names),
		cmocka_unit_test(test_registry_and_netrc), cmocka_unit_test(test_git),
		cmocka_unit_test(test_tokens), cmocka_unit_test(test_list),
		cmocka_unit_test(test_spec_allow),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
