/* SPDX-License-Identifier: MIT */
/* Unit tests of image planning with packages (.debs that dpkg-deb builds once for the
 * group), paths moved through the image's symlinks (merged /usr), and two sources of one
 * path: merged when identical, a clash naming both when not, the same plan whatever the
 * order of the spec's entries. The skeleton, files, config and parents are in test_plan.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/digest.h"
#include "manifest/spec.h"
#include "packer/image/image.h"
#include "packer/image/plan.h"
#include "testlib.h"

static const char tpkg_control[] = "Package: tpkg\nVersion: 1.2-3\nArchitecture: amd64\n"
				   "Maintainer: T <t@example.invalid>\n"
				   "Description: test package\n more text\n";
static const char tpkg2_control[] = "Package: tpkg\nVersion: 2.0-1\nArchitecture: amd64\n"
				    "Maintainer: T <t@example.invalid>\n"
				    "Description: test package\n more text\n";

/* The .debs, built once for the group: debs/ holds tpkg 1.2-3, mlink, pkgb and pkgc;
 * debs2/ both versions of tpkg. */
static char debroot[4096], debs[4200], debs2[4200];
/* Per test: the spec's root and directory, and everything planned there (freed by the
 * teardown even when an assertion fails). */
static struct tl_project pj = { .name = "test/app:1.0" };

static int group_setup(void **state)
{
	char deb[4300];
	(void)state;
	snprintf(debroot, sizeof(debroot), "%s", tl_tmpdir());
	snprintf(debs, sizeof(debs), "%s/debs", debroot);
	snprintf(debs2, sizeof(debs2), "%s/debs2", debroot);
	tl_deb_build(debroot, "t", tpkg_control,
		     "mkdir -p usr/bin usr/lib/tpkg usr/share/doc/tpkg usr/share/man/man1 etc;"
		     "printf '#!/bin/sh\\necho tool\\n' > usr/bin/tool; chmod 0755 usr/bin/tool;"
		     "ln usr/bin/tool usr/bin/tool2; ln -s tool usr/bin/tool-link;"
		     "printf 'x\\n' > usr/bin/suid; chmod 4755 usr/bin/suid;"
		     "printf 'lib\\n' > usr/lib/tpkg/libt.so.1;"
		     "printf 'Copyright: none\\n' > usr/share/doc/tpkg/copyright;"
		     "printf 'readme\\n' > usr/share/doc/tpkg/README;"
		     "printf 'man\\n' > usr/share/man/man1/tool.1;"
		     "printf 'conf\\n' > etc/tpkg.conf",
		     "debs/tpkg_1.2-3_amd64.deb");
	/* the same tree as another version, beside a copy of the first */
	tl_deb_build(debroot, "t", tpkg2_control, NULL, "debs2/tpkg_2.0-1_amd64.deb");
	snprintf(deb, sizeof(deb), "%s/tpkg_1.2-3_amd64.deb", debs);
	tl_copy(deb, debs2, "tpkg_1.2-3_amd64.deb", (size_t)-1, 0644);
	tl_deb_build(debroot, "m", "Package: mlink\nVersion: 1\nArchitecture: all\n"
		     "Maintainer: T <t@example.invalid>\nDescription: merged usr\n",
		     "mkdir -p usr/lib/x86_64-linux-gnu; ln -s usr/lib lib",
		     "debs/mlink_1_all.deb");
	tl_deb_build(debroot, "b", "Package: pkgb\nVersion: 1\nArchitecture: all\n"
		     "Maintainer: T <t@example.invalid>\nDescription: below lib\n",
		     "mkdir -p lib/pkgb; printf 'pkgb data\\n' > lib/pkgb/data",
		     "debs/pkgb_1_all.deb");
	tl_deb_build(debroot, "c", "Package: pkgc\nVersion: 1\nArchitecture: all\n"
		     "Maintainer: T <t@example.invalid>\nDescription: a symlink below lib\n",
		     "mkdir -p lib/pkgc; printf 'c\\n' > lib/pkgc/libc.so.1;"
		     "ln -s libc.so.1 lib/pkgc/libc.so", "debs/pkgc_1_all.deb");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tl_rmtree(debroot);
	return 0;
}

/* The plan of @body in the project's root with the .debs of @dir: it must succeed and pass
 * tl_check_plan. */
static struct pk_image *plan_debs(const char *body, const char *dir)
{
	struct pk_image *img;
	struct dt_err err;

	if (tl_plan(&pj, pj.root, body, dir, &img, &err) < 0)
		fail_msg("%s", err.msg);
	tl_check_plan(img);
	return img;
}

/* ---- clashes and merging ---- */

/* Two sources of one path that differ name both; the order of two files entries of the
 * same kind is not the plan's to promise, so either is accepted. */
static void expect_clash(const char *msg, const char *path, const char *a, const char *b)
{
	char one[8192], two[8192];

	snprintf(one, sizeof(one), "app.yaml: '%s' comes from both %s and %s, which differ", path,
		 a, b);
	snprintf(two, sizeof(two), "app.yaml: '%s' comes from both %s and %s, which differ", path,
		 b, a);
	if (strcmp(msg, one) != 0 && strcmp(msg, two) != 0)
		fail_msg("error '%s', expected '%s'", msg, one);
}

static void test_clash(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	char msg[8192];
	(void)state;
	tl_write(pj.proj, "a/x.conf", "one\n", (size_t)-1, 0644);
	tl_write(pj.proj, "b/x.conf", "two\n", (size_t)-1, 0644);
	tl_write(pj.proj, "c/x.conf", "one\n", (size_t)-1, 0755);
	tl_symlink(pj.proj, "l1/x.conf", "a");
	tl_symlink(pj.proj, "l2/x.conf", "b");
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./a/x.conf, dst: /etc/x.conf}\n"
				 "  - {src: ./b/x.conf, dst: /etc/x.conf}\n", NULL, &img, &err),
			 -DT_EINPUT);
	expect_clash(err.msg, "/etc/x.conf", tl_host(&pj, "a/x.conf"), tl_host(&pj, "b/x.conf"));
	/* symlinks with other targets, and a symlink against a file */
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./l1, dst: /etc}\n  - {src: ./l2, dst: /etc}\n",
				 NULL, &img, &err), -DT_EINPUT);
	expect_clash(err.msg, "/etc/x.conf", tl_host(&pj, "l1/x.conf"), tl_host(&pj, "l2/x.conf"));
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./a, dst: /etc}\n  - {src: ./l1, dst: /etc}\n",
				 NULL, &img, &err), -DT_EINPUT);
	expect_clash(err.msg, "/etc/x.conf", tl_host(&pj, "a/x.conf"), tl_host(&pj, "l1/x.conf"));
	/* against the skeleton: distill's comes first */
	snprintf(msg, sizeof(msg), "app.yaml: '/etc/passwd' comes from both distill and %s, "
		 "which differ", tl_host(&pj, "a/x.conf"));
	tl_plan_fails(&pj, "platform: linux/amd64\nfiles:\n"
		      "  - {src: ./a/x.conf, dst: /etc/passwd}\n", msg);
	/* identical content merges: the first source and the lowest layer win (the mode
	 * is the first's: identical means the same type and bytes) */
	tl_write(pj.proj, "nss", "passwd: files\ngroup: files\nshadow: files\ngshadow: files\n"
		 "hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"
		 "ethers: files\nrpc: files\n", (size_t)-1, 0644);
	img = tl_plan_ok(&pj, "platform: linux/amd64\nfiles:\n"
			 "  - {src: ./nss, dst: /etc/nsswitch.conf}\n"
			 "  - {src: ./a/x.conf, dst: /x.conf}\n"
			 "  - {src: ./c/x.conf, dst: /x.conf}\n");
	assert_string_equal(tl_get(img, "/etc/nsswitch.conf")->source, "distill");
	assert_int_equal(tl_get(img, "/etc/nsswitch.conf")->layer, PK_LAYER_BASE);
	assert_non_null(tl_get(img, "/etc/nsswitch.conf")->data);
	assert_string_equal(tl_get(img, "/x.conf")->source, tl_host(&pj, "a/x.conf"));
	tl_expect_meta(tl_get(img, "/x.conf"), PK_PLAN_REG, 0644, 0, 0, PK_LAYER_APP);
}

/* The regression: an identical path merged earlier in the same dedupe pass (whose entry
 * was released), then a differing one: the error comes back cleanly, and freeing the
 * plan frees each entry once (this used to abort on a double free). */
static void test_clash_after_merge(void **state)
{
	static const char *const names[] = { "d1", "d2" };
	struct pk_image *img;
	struct dt_err err;
	(void)state;
	for (int i = 0; i < 2; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "%s/0dir/same", names[i]);
		tl_write(pj.proj, rel, "same\n", (size_t)-1, 0644);
		snprintf(rel, sizeof(rel), "%s/a.txt", names[i]);
		tl_write(pj.proj, rel, "identical\n", (size_t)-1, 0644);
		snprintf(rel, sizeof(rel), "%s/al", names[i]);
		tl_symlink(pj.proj, rel, "a.txt");
		snprintf(rel, sizeof(rel), "%s/b.txt", names[i]);
		tl_write(pj.proj, rel, i ? "second\n" : "first\n", (size_t)-1, 0644);
		snprintf(rel, sizeof(rel), "%s/c.txt", names[i]);
		tl_write(pj.proj, rel, "after\n", (size_t)-1, 0644);
	}
	for (int round = 0; round < 3; round++) {
		assert_int_equal(tl_plan(&pj, pj.root, round == 2
					 ? "platform: linux/amd64\nfiles:\n"
					   "  - {src: ./d2, dst: /opt}\n  - {src: ./d1, dst: /opt}\n"
					 : "platform: linux/amd64\nfiles:\n"
					   "  - {src: ./d1, dst: /opt}\n  - {src: ./d2, dst: /opt}\n",
					 NULL, &img, &err), -DT_EINPUT);
		expect_clash(err.msg, "/opt/b.txt", tl_host(&pj, "d1/b.txt"),
			     tl_host(&pj, "d2/b.txt"));
	}
	/* the same after the moves through the image's symlinks: e2's files land through
	 * /opt/lnk -> real (which won over e2's directory) on e1's */
	tl_write(pj.proj, "e1/a.txt", "identical\n", (size_t)-1, 0644);
	tl_write(pj.proj, "e1/b.txt", "first\n", (size_t)-1, 0644);
	tl_write(pj.proj, "e2/a.txt", "identical\n", (size_t)-1, 0644);
	tl_write(pj.proj, "e2/b.txt", "second\n", (size_t)-1, 0644);
	tl_mkdir(pj.proj, "e3/real", 0755);
	tl_symlink(pj.proj, "e3/lnk", "real");
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nfiles:\n"
				 "  - {src: ./e1, dst: /opt/real}\n  - {src: ./e3, dst: /opt}\n"
				 "  - {src: ./e2, dst: /opt/lnk}\n", NULL, &img, &err), -DT_EINPUT);
	expect_clash(err.msg, "/opt/real/b.txt", tl_host(&pj, "e1/b.txt"),
		     tl_host(&pj, "e2/b.txt"));
}

/* ---- many overlapping files entries in every order ---- */

/* The "files:" key with one {src, dst} per pair. */
static void add_files(struct dt_buf *y, const char *const *pairs, size_t n)
{
	dt_buf_add(y, "files:\n");
	for (size_t i = 0; i < n; i++)
		dt_buf_add(y, "  - {src: %s, dst: %s}\n", pairs[2 * i], pairs[2 * i + 1]);
}


static void make_overlap(void)
{
	static const char *const files[][2] = {
		{ "p/d0/common/a", "A\n" }, { "p/d0/common/sub/b", "B\n" }, { "p/d0/only0", "0\n" },
		{ "p/d1/common/a", "A\n" }, { "p/d1/common/sub/b", "B\n" }, { "p/d1/only1", "1\n" },
		{ "p/d2/common/a", "A\n" }, { "p/d2/common/c", "C\n" }, { "p/d2/only2", "2\n" },
		{ "p/d3/common/sub/b", "B\n" }, { "p/d3/common/sub/deep/e", "E\n" },
		{ "p/d3/common/a", "A\n" },
		{ "p/bad/common/a", "A\n" }, { "p/bad/common/sub/b", "not B\n" },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		tl_write(pj.proj, files[i][0], files[i][1], (size_t)-1,
			 strcmp(files[i][0], "p/d2/common/c") == 0 ? 0755 : 0644);
	tl_mkdir(pj.proj, "p/d0/common/sub/deeper", 0755);
	tl_symlink(pj.proj, "p/d0/link", "common/a");
	tl_symlink(pj.proj, "p/d1/link", "common/a");
	tl_symlink(pj.proj, "p/d3/common/sub/up", "../a");
	tl_symlink(pj.proj, "p/d1/common/sub/up", "../a");
}

/* What of a plan must not depend on the order of the spec's entries: all but the source of
 * a merged path (the first one's), which must still be one of the candidates. */
static char *signature(const struct pk_image *img)
{
	struct dt_buf b = { 0 };
	char hex[2 * DT_SHA256_LEN + 1];
	char prefix[PATH_MAX + 64];

	snprintf(prefix, sizeof(prefix), "host:%s/p/", pj.rproj);
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		dt_hex(e->sha256, DT_SHA256_LEN, hex);
		dt_buf_add(&b, "%s %d %o %u:%u %llu %s %s %d %zu\n", e->path, e->type, e->mode,
			   e->uid, e->gid, (unsigned long long)e->size,
			   e->type == PK_PLAN_REG ? hex : "-", e->link ? e->link : "-", e->layer,
			   e->parent);
		if (strcmp(e->source, "distill") != 0 && strncmp(e->source, prefix,
								  strlen(prefix)) != 0)
			fail_msg("'%s' from '%s'", e->path, e->source);
	}
	assert_false(b.oom);
	return dt_buf_detach(&b, NULL);
}

static int next_perm(int *v, int n)
{
	int i = n - 2, j = n - 1;

	while (i >= 0 && v[i] >= v[i + 1])
		i--;
	if (i < 0)
		return 0;
	while (v[j] <= v[i])
		j--;
	{
		int t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	for (int a = i + 1, z = n - 1; a < z; a++, z--) {
		int t = v[a];
		v[a] = v[z];
		v[z] = t;
	}
	return 1;
}

static const char *const overlap[][2] = {
	{ "./p/d0", "/opt" }, { "./p/d1", "/opt" }, { "./p/d2", "/opt" },
	{ "./p/d3/common", "/opt/common" }, { "./p/d0/common/sub", "/opt/common/sub" },
	{ "./p/bad", "/opt" },
};

static int plan_order(const int *order, int n, int bad_at, struct pk_image **img,
		      struct dt_err *err)
{
	const char *pairs[14];
	struct dt_buf y = { 0 };
	int k = 0, rc;

	for (int i = 0; i <= n; i++) {
		if (i == bad_at) {
			pairs[2 * k] = overlap[5][0];
			pairs[2 * k++ + 1] = overlap[5][1];
		}
		if (i < n) {
			pairs[2 * k] = overlap[order[i]][0];
			pairs[2 * k++ + 1] = overlap[order[i]][1];
		}
	}
	dt_buf_add(&y, "platform: linux/amd64\nbase: scratch\n");
	add_files(&y, pairs, (size_t)k);
	assert_false(y.oom);
	rc = tl_plan(&pj, pj.root, y.s, NULL, img, err);
	dt_buf_release(&y);
	return rc;
}

/* The last plan's memory (@planned: it made an image), freed now: a property run plans
 * hundreds of times. */
static void drop_last(int planned)
{
	if (planned)
		pk_image_free(pj.imgs[--pj.nimgs]);
	mf_spec_free(pj.specs[--pj.nspecs]);
}

static void test_overlap_orders(void **state)
{
	int order[5] = { 0, 1, 2, 3, 4 }, perms = 0;
	char *first = NULL, *first_err = NULL;
	char bad_src[PATH_MAX + 64];
	(void)state;
	make_overlap();
	snprintf(bad_src, sizeof(bad_src), "%s", tl_host(&pj, "p/bad/common/sub/b"));
	do {
		struct pk_image *img;
		struct dt_err err;
		char *sig;
		if (plan_order(order, 5, -1, &img, &err) < 0)
			fail_msg("order %d: %s", perms, err.msg);
		tl_check_plan(img);
		sig = signature(img);
		if (!first)
			first = sig;
		else if (strcmp(first, sig) != 0)
			fail_msg("order %d gives another plan:\n%s\nthan:\n%s", perms, sig, first);
		else
			free(sig);
		drop_last(1);
		/* with one differing source somewhere in the list: always the same clash,
		 * naming the differing source, and the same message for the same order */
		for (int again = 0; again < (perms % 40 == 0 ? 2 : 1); again++) {
			assert_int_equal(plan_order(order, 5, perms % 6, &img, &err), -DT_EINPUT);
			if (!strstr(err.msg, "app.yaml: '/opt/common/sub/b' comes from both ") ||
			    !strstr(err.msg, bad_src) || !strstr(err.msg, ", which differ"))
				fail_msg("order %d: %s", perms, err.msg);
			if (again == 0) {
				free(first_err);
				first_err = strdup(err.msg);
			} else {
				assert_string_equal(first_err, err.msg);
			}
			drop_last(0);
		}
		perms++;
	} while (next_perm(order, 5));
	assert_int_equal(perms, 120);
	assert_non_null(strstr(first, "/opt/common/sub/deep/e 1 644 0:0 2 "));
	assert_non_null(strstr(first, "/opt/common/sub/up 2 777 0:0 0 - ../a 1 "));
	assert_non_null(strstr(first, "/opt/link 2 777 0:0 0 - common/a 1 "));
	free(first);
	free(first_err);
}

/* ---- paths below symlinks of the image ---- */

static void test_through_symlinks(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	(void)state;
	tl_mkdir(pj.proj, "tree2/usr/lib", 0755);
	tl_write(pj.proj, "tree2/usr/lib/old", "old\n", (size_t)-1, 0644);
	tl_symlink(pj.proj, "tree2/lib", "usr/lib");
	tl_symlink(pj.proj, "tree2/lib64", "lib");
	tl_symlink(pj.proj, "tree2/abs", "/x/usr/lib");
	tl_symlink(pj.proj, "tree2/up", "../../../x/usr/./lib");
	tl_write(pj.proj, "libfoo.so", "foo\n", (size_t)-1, 0644);
	img = tl_plan_ok(&pj, "platform: linux/amd64\nbase: scratch\nfiles:\n"
			 "  - {src: ./tree2, dst: /x}\n"
			 "  - {src: ./libfoo.so, dst: /x/lib/one/libfoo.so}\n"
			 "  - {src: ./libfoo.so, dst: /x/lib64/two.so}\n"
			 "  - {src: ./libfoo.so, dst: /x/abs/three.so}\n"
			 "  - {src: ./libfoo.so, dst: /x/up/four.so}\n");
	{
		static const char *const paths[] = {
			"/x", "/x/abs", "/x/lib", "/x/lib64", "/x/up", "/x/usr", "/x/usr/lib",
			"/x/usr/lib/four.so", "/x/usr/lib/old", "/x/usr/lib/one",
			"/x/usr/lib/one/libfoo.so", "/x/usr/lib/three.so", "/x/usr/lib/two.so",
		};
		tl_expect_paths(img, paths, sizeof(paths) / sizeof(paths[0]));
	}
	assert_int_equal(tl_get(img, "/x/lib")->type, PK_PLAN_SYMLINK);
	assert_string_equal(tl_get(img, "/x/usr/lib/one/libfoo.so")->source,
			    tl_host(&pj, "libfoo.so"));
	tl_expect_content(tl_get(img, "/x/usr/lib/two.so"), "foo\n", 0);
	assert_string_equal(tl_get(img, "/x/usr/lib/one")->source, "distill");

	/* a loop of symlinks stops */
	tl_symlink(pj.proj, "loop/a", "b");
	tl_symlink(pj.proj, "loop/b", "a");
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./loop, dst: /l}\n  - {src: ./libfoo.so, dst: /l/a/f}\n",
				 NULL, &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, "'/l/a/f': too many levels of symlinks in the image");
}

/* A package's /lib -> usr/lib (merged /usr): a file of the spec and a package's file
 * under /lib land under /usr/lib, and the md5sums name them there. */
static void test_merged_usr_package(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	const struct pk_plan_entry *e;
	(void)state;
	tl_write(pj.proj, "libapp.so.1", "app\n", (size_t)-1, 0644);
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nbase: scratch\n"
				 "packages: [mlink, pkgb]\nfiles:\n"
				 "  - {src: ./libapp.so.1, dst: /lib/x86_64-linux-gnu/libapp.so.1}\n",
				 debs, &img, &err), 0);
	tl_check_plan(img);
	assert_null(tl_find(img, "/lib/x86_64-linux-gnu/libapp.so.1"));
	assert_null(tl_find(img, "/lib/pkgb/data"));
	e = tl_get(img, "/lib");
	assert_int_equal(e->type, PK_PLAN_SYMLINK);
	assert_string_equal(e->link, "usr/lib");
	assert_string_equal(e->pkg, "mlink");
	e = tl_get(img, "/usr/lib/x86_64-linux-gnu/libapp.so.1");
	assert_string_equal(e->source, tl_host(&pj, "libapp.so.1"));
	assert_int_equal(e->layer, PK_LAYER_APP);
	e = tl_get(img, "/usr/lib/x86_64-linux-gnu");
	assert_string_equal(e->source, "deb:mlink@1:/usr/lib/x86_64-linux-gnu");
	assert_int_equal(e->layer, PK_LAYER_BASE);
	e = tl_get(img, "/usr/lib/pkgb/data");
	tl_expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	assert_string_equal(e->source, "deb:pkgb@1:/lib/pkgb/data");
	assert_string_equal(e->pkg, "pkgb");
	tl_expect_content(e, "pkgb data\n", 1);
	tl_expect_content(tl_get(img, "/var/lib/dpkg/status.d/pkgb.md5sums"),
			  "5a0cb1902fbf3a80133f03ca67979897  usr/lib/pkgb/data\n", 1);
	tl_expect_content(tl_get(img, "/var/lib/dpkg/status.d/mlink"),
			  "Package: mlink\nVersion: 1\nArchitecture: all\n"
			  "Maintainer: T <t@example.invalid>\nDescription: merged usr\n", 1);
	/* mlink has no regular file: no md5sums */
	assert_null(tl_find(img, "/var/lib/dpkg/status.d/mlink.md5sums"));
}

/* Symlinks below a symlink of the image move through it like the files beside them: a
 * package's /lib/pkgc/libc.so -> libc.so.1 with /lib -> usr/lib (docs/image.md's libz.so.1
 * example is such a symlink), and the same from the spec's files. */
static void test_symlink_below_symlink(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	const struct pk_plan_entry *e;
	(void)state;
	img = plan_debs("platform: linux/amd64\nbase: scratch\npackages: [mlink, pkgc]\n", debs);
	assert_null(tl_find(img, "/lib/pkgc/libc.so"));
	e = tl_get(img, "/usr/lib/pkgc/libc.so");
	assert_int_equal(e->type, PK_PLAN_SYMLINK);
	assert_string_equal(e->link, "libc.so.1");
	assert_string_equal(e->pkg, "pkgc");
	tl_expect_content(tl_get(img, "/usr/lib/pkgc/libc.so.1"), "c\n", 1);

	tl_symlink(pj.proj, "t/lib", "usr/lib");
	tl_mkdir(pj.proj, "t/usr/lib", 0755);
	tl_write(pj.proj, "o/lib/so.1", "so\n", (size_t)-1, 0644);
	tl_symlink(pj.proj, "o/lib/so", "so.1");
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./t, dst: /x}\n  - {src: ./o, dst: /x}\n", NULL, &img,
				 &err), 0);
	tl_check_plan(img);
	assert_string_equal(tl_get(img, "/x/usr/lib/so")->link, "so.1");
	assert_null(tl_find(img, "/x/lib/so"));
}

/* ---- packages ---- */

static void test_packages_globs(void **state)
{
	static const char *const paths[] = {
		"/usr", "/usr/bin", "/usr/bin/suid", "/usr/bin/tool", "/usr/bin/tool-link",
		"/usr/bin/tool2", "/usr/share", "/usr/share/doc", "/usr/share/doc/tpkg",
		"/usr/share/doc/tpkg/copyright", "/var", "/var/lib", "/var/lib/dpkg",
		"/var/lib/dpkg/status.d", "/var/lib/dpkg/status.d/tpkg",
		"/var/lib/dpkg/status.d/tpkg.md5sums",
	};
	struct pk_image *img;
	struct dt_err err;
	const struct pk_plan_entry *e;
	(void)state;
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nbase: scratch\npackages:\n"
				 "  - name: tpkg\n    paths: [\"/usr/bin/*\", /usr/share/doc]\n"
				 "    exclude: [\"/usr/share/doc/*/README\"]\n", debs, &img, &err), 0);
	tl_check_plan(img);
	tl_expect_paths(img, paths, sizeof(paths) / sizeof(paths[0]));
	e = tl_get(img, "/usr/bin/tool");
	tl_expect_meta(e, PK_PLAN_REG, 0755, 0, 0, PK_LAYER_BASE);
	tl_expect_content(e, "#!/bin/sh\necho tool\n", 1);
	assert_string_equal(e->source, "deb:tpkg@1.2-3:/usr/bin/tool");
	assert_string_equal(e->pkg, "tpkg");
	assert_string_equal(e->pkg_version, "1.2-3");
	/* setuid is dropped */
	tl_expect_meta(tl_get(img, "/usr/bin/suid"), PK_PLAN_REG, 0755, 0, 0, PK_LAYER_BASE);
	e = tl_get(img, "/usr/bin/tool-link");
	tl_expect_meta(e, PK_PLAN_SYMLINK, 0777, 0, 0, PK_LAYER_BASE);
	assert_string_equal(e->link, "tool");
	assert_string_equal(e->pkg, "tpkg");
	e = tl_get(img, "/usr/bin/tool2");
	assert_int_equal(e->type, PK_PLAN_HARDLINK);
	assert_string_equal(e->link, "/usr/bin/tool");
	assert_string_equal(e->pkg, "tpkg");
	/* the directories the globs name come from the package; the others are distill's */
	assert_string_equal(tl_get(img, "/usr/bin")->source, "distill");
	assert_null(tl_get(img, "/usr/bin")->pkg);
	e = tl_get(img, "/usr/share/doc/tpkg");
	assert_string_equal(e->source, "deb:tpkg@1.2-3:/usr/share/doc/tpkg");
	assert_string_equal(e->pkg, "tpkg");
	tl_expect_meta(e, PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	tl_expect_content(tl_get(img, "/usr/share/doc/tpkg/copyright"), "Copyright: none\n", 1);
	/* status.d: the control stanza, and md5sums of its regular files in path order */
	e = tl_get(img, "/var/lib/dpkg/status.d/tpkg");
	tl_expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	tl_expect_content(e, tpkg_control, 1);
	assert_string_equal(e->source, "distill");
	tl_expect_content(tl_get(img, "/var/lib/dpkg/status.d/tpkg.md5sums"),
			  "401b30e3b8b5d629635a5c613cdb7919  usr/bin/suid\n"
			  "96ea3542c66f3a9889d2395ed319505b  usr/bin/tool\n"
			  "304d4407a81fe073d927b095a5d74ce8  usr/share/doc/tpkg/copyright\n", 1);
	/* the .deb itself */
	assert_int_equal(img->ndebs, 1);
	assert_string_equal(img->debs[0].name, "tpkg");
	assert_string_equal(img->debs[0].version, "1.2-3");
	assert_string_equal(img->debs[0].architecture, "amd64");
	assert_string_equal(img->debs[0].file, "tpkg_1.2-3_amd64.deb");
	assert_string_equal(img->debs[0].control, tpkg_control);
	{
		char path[4300];
		unsigned char md[DT_SHA256_LEN];
		size_t len;
		snprintf(path, sizeof(path), "%s/tpkg_1.2-3_amd64.deb", debs);
		len = tl_sha256_file(path, md);
		assert_memory_equal(img->debs[0].sha256, md, DT_SHA256_LEN);
		assert_int_equal(img->debs[0].size, len);
	}
}

static void test_packages_whole(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	size_t owned = 0;
	(void)state;
	/* pinned by version, from the directory given to the planner over the spec's */
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\ndebs: ./nowhere\n"
				 "packages: [tpkg=2.0-1]\n", debs2, &img, &err), 0);
	tl_check_plan(img);
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		if (strncmp(e->path, "/usr/", 5) && strcmp(e->path, "/usr") &&
		    strcmp(e->path, "/etc/tpkg.conf"))
			continue;
		assert_non_null(e->pkg);
		assert_string_equal(e->pkg, "tpkg");
		assert_string_equal(e->pkg_version, "2.0-1");
		assert_int_equal(e->layer, PK_LAYER_BASE);
		owned++;
	}
	/* /usr, bin, tool, tool2, tool-link, suid, lib, lib/tpkg, libt.so.1, share, doc,
	 * doc/tpkg, copyright, README, man, man1, tool.1, and /etc/tpkg.conf */
	assert_int_equal(owned, 18);
	tl_expect_content(tl_get(img, "/usr/share/doc/tpkg/README"), "readme\n", 1);
	assert_string_equal(tl_get(img, "/usr")->source, "deb:tpkg@2.0-1:/usr");
	/* the skeleton makes no /etc of its own (only the parent of its files): the
	 * package's comes first */
	assert_string_equal(tl_get(img, "/etc")->source, "deb:tpkg@2.0-1:/etc");
	tl_expect_meta(tl_get(img, "/etc"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	/* but the skeleton's /tmp keeps its mode */
	tl_expect_meta(tl_get(img, "/tmp"), PK_PLAN_DIR, 01777, 0, 0, PK_LAYER_BASE);
	assert_non_null(strstr((const char *)tl_get(img, "/var/lib/dpkg/status.d/tpkg")->data,
			       "Version: 2.0-1\n"));
	assert_int_equal(img->ndebs, 1);
	assert_string_equal(img->debs[0].file, "tpkg_2.0-1_amd64.deb");
}

static void test_packages_errors(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	char msg[8192];
	(void)state;
	tl_plan_fails(&pj, "platform: linux/amd64\npackages:\n  - tpkg\n",
		      "app.yaml:5: packages: no directory of .deb files (set debs in the spec, or "
		      "--debs DIR)");
	snprintf(msg, sizeof(msg), "app.yaml:5: packages: no .deb of 'nope' in '%s'", debs);
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\npackages:\n  - nope\n", debs,
				 &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
	snprintf(msg, sizeof(msg), "app.yaml:5: packages: no .deb of 'tpkg' version 9 in '%s'",
		 debs);
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\npackages:\n  - tpkg=9\n",
				 debs, &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
	snprintf(msg, sizeof(msg), "app.yaml:5: packages: 'tpkg' has several .debs in '%s' "
		 "(1.2-3, 2.0-1): pin one with version", debs2);
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\npackages:\n  - tpkg\n",
				 debs2, &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
}

/* A path glob that takes a hardlink but not the file it links to. */
static void test_packages_hardlink_filtered(void **state)
{
	struct pk_image *img;
	(void)state;
	img = plan_debs("platform: linux/amd64\nbase: scratch\npackages:\n"
			"  - {name: tpkg, paths: [/usr/bin/tool2]}\n", debs);
	assert_null(tl_find(img, "/usr/bin/tool"));
	assert_int_equal(tl_get(img, "/usr/bin/tool2")->type, PK_PLAN_REG);
	tl_expect_content(tl_get(img, "/usr/bin/tool2"), "#!/bin/sh\necho tool\n", 1);
}

#define TEST(f) cmocka_unit_test_prestate_setup_teardown(f, tl_project_setup, \
							 tl_project_teardown, &pj)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_clash),
		TEST(test_clash_after_merge),
		TEST(test_overlap_orders),
		TEST(test_through_symlinks),
		TEST(test_merged_usr_package),
		TEST(test_symlink_below_symlink),
		TEST(test_packages_globs),
		TEST(test_packages_whole),
		TEST(test_packages_errors),
		TEST(test_packages_hardlink_filtered),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
