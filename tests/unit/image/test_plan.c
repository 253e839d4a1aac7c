/* SPDX-License-Identifier: MIT */
/* Unit tests of image planning (packer/image/plan.c and its steps): synthetic specs over a
 * temporary root and project, planned with pk_image_plan and inspected through plan.h: the
 * skeleton, the spec's files, platform and config, and parent directories. Packages, moves
 * through the image's symlinks and clashes are in test_packages.c. */
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

#include "manifest/spec.h"
#include "packer/image/image.h"
#include "packer/image/plan.h"
#include "testlib.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Per test: the spec's root and directory, and everything planned there (freed by the
 * teardown even when an assertion fails). */
static struct tl_project pj = { .name = "test/app:1.0" };

/* ---- the skeleton ---- */

static const char os_release[] =
	"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	"NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\n"
	"VERSION_CODENAME=bookworm\nID=debian\nID_LIKE=other\nVARIANT_ID=x\n"
	"HOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\n"
	"BUG_REPORT_URL=\"https://bugs.debian.org/\"\nLOGO=debian\n";

static void test_skeleton_distroless(void **state)
{
	static const char *const paths[] = {
		"/etc", "/etc/group", "/etc/nsswitch.conf", "/etc/os-release", "/etc/passwd",
		"/home", "/home/app", "/home/nonroot", "/root", "/srv", "/srv/svc", "/tmp",
	};
	struct pk_image *img;
	(void)state;
	tl_write(pj.root, "etc/os-release", os_release, (size_t)-1, 0644);
	img = tl_plan_ok(&pj, "platform: linux/amd64\n"
			 "users:\n  - {name: app, uid: 1000, gid: 1000}\n"
			 "  - {name: svc, uid: 1001, gid: 1000, home: /srv/svc, shell: /bin/sh}\n"
			 "groups:\n  - {name: app, gid: 1000, members: [app, svc]}\n"
			 "  - {name: empty, gid: 1002}\n");
	tl_expect_paths(img, paths, sizeof(paths) / sizeof(paths[0]));
	tl_expect_content(tl_get(img, "/etc/passwd"),
			  "root:x:0:0:root:/root:/sbin/nologin\n"
			  "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
			  "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
			  "app:x:1000:1000:app:/home/app:/sbin/nologin\n"
			  "svc:x:1001:1000:svc:/srv/svc:/bin/sh\n", 1);
	tl_expect_content(tl_get(img, "/etc/group"),
			  "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\napp:x:1000:app,svc\n"
			  "empty:x:1002:\n", 1);
	tl_expect_content(tl_get(img, "/etc/nsswitch.conf"),
			  "passwd: files\ngroup: files\nshadow: files\ngshadow: files\n"
			  "hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"
			  "ethers: files\nrpc: files\n", 1);
	tl_expect_content(tl_get(img, "/etc/os-release"),
			  "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\n"
			  "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\n"
			  "VERSION_CODENAME=bookworm\nID=debian\n"
			  "HOME_URL=\"https://www.debian.org/\"\n"
			  "SUPPORT_URL=\"https://www.debian.org/support\"\n"
			  "BUG_REPORT_URL=\"https://bugs.debian.org/\"\n", 1);
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		assert_string_equal(e->source, "distill");
		assert_null(e->pkg);
		assert_int_equal(e->layer, PK_LAYER_BASE);
		if (e->type == PK_PLAN_REG)
			tl_expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	}
	tl_expect_meta(tl_get(img, "/etc"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/home"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/srv"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/tmp"), PK_PLAN_DIR, 01777, 0, 0, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/root"), PK_PLAN_DIR, 0700, 0, 0, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/home/nonroot"), PK_PLAN_DIR, 0700, 65532, 65532,
		       PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/home/app"), PK_PLAN_DIR, 0700, 1000, 1000, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/srv/svc"), PK_PLAN_DIR, 0700, 1001, 1000, PK_LAYER_BASE);
	/* distroless runs as nonroot by default */
	assert_string_equal(img->user, "65532");
	assert_int_equal(img->nenv, 1);
	assert_string_equal(img->env[0], DEFAULT_PATH);
	assert_string_equal(img->os, "linux");
	assert_string_equal(img->arch, "amd64");
	assert_null(img->variant);
	assert_int_equal(img->ndebs, 0);
	assert_int_equal(pk_image_count(img), sizeof(paths) / sizeof(paths[0]));
	{
		uint64_t sum = 0;
		for (size_t i = 0; i < img->n; i++)
			sum += img->v[i].type == PK_PLAN_REG ? img->v[i].size : 0;
		assert_true(sum > 0);
		assert_int_equal(pk_image_bytes(img), sum);
	}
}

/* A root without os-release gets the minimal one; one whose os-release is a symlink inside
 * it (as Debian's -> ../usr/lib/os-release) is read through it. */
static void test_skeleton_os_release(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	char other[4300];
	(void)state;
	img = tl_plan_ok(&pj, "platform: linux/amd64\n");
	tl_expect_content(tl_get(img, "/etc/os-release"), "PRETTY_NAME=\"Distroless\"\n", 1);
	snprintf(other, sizeof(other), "%s/root2", pj.tmp);
	tl_write(pj.tmp, "root2/usr/lib/os-release", "ID=debian\nNAME=X\nPRETTY_NAME=Y\n",
		 (size_t)-1, 0644);
	tl_symlink(pj.tmp, "root2/etc/os-release", "../usr/lib/os-release");
	assert_int_equal(tl_plan(&pj, other, "platform: linux/amd64\n", NULL, &img, &err), 0);
	tl_expect_content(tl_get(img, "/etc/os-release"),
			  "PRETTY_NAME=\"Distroless\"\nID=debian\nNAME=X\n", 1);
	/* only the root's: the spec's directory or the host play no part */
	assert_null(tl_find(img, "/usr/lib/os-release"));
}

/* The root's /etc/debian_version comes as the host file it is (base-files's, in the root's
 * dpkg database), so base-files gets its status.d stanza and md5sums like any package that
 * contributes a file; a root without one gets none, and base: scratch never does. */
static void test_skeleton_debian_version(void **state)
{
	static const char stanza[] =
		"Package: base-files\nEssential: yes\nStatus: install ok installed\n"
		"Priority: required\nSection: admin\nMaintainer: Santiago Vila <sanvila@debian.org>\n"
		"Architecture: amd64\nMultiArch: foreign\nVersion: 12.4+deb12u11\n"
		"Description: Debian base system miscellaneous files\n";
	const struct pk_plan_entry *e;
	struct pk_image *img;
	(void)state;
	tl_write(pj.root, "etc/os-release", os_release, (size_t)-1, 0644);
	tl_write(pj.root, "etc/debian_version", "12.11\n", (size_t)-1, 0600);
	tl_write(pj.root, "var/lib/dpkg/status", stanza, (size_t)-1, 0644);
	tl_write(pj.root, "var/lib/dpkg/info/base-files.list",
		 "/.\n/etc\n/etc/debian_version\n/usr/lib/os-release\n", (size_t)-1, 0644);
	img = tl_plan_ok(&pj, "platform: linux/amd64\n");
	e = tl_get(img, "/etc/debian_version");
	tl_expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	tl_expect_content(e, "12.11\n", 0);
	assert_string_equal(e->source, "host:/etc/debian_version");
	assert_string_equal(e->pkg, "base-files");
	assert_string_equal(e->pkg_version, "12.4+deb12u11");
	e = tl_get(img, "/var/lib/dpkg/status.d/base-files");
	tl_expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	tl_expect_content(e, stanza, 1);
	/* md5("12.11\n") */
	tl_expect_content(tl_get(img, "/var/lib/dpkg/status.d/base-files.md5sums"),
			  "8031d1483ffa9c819e6be94c6c77fd2a  etc/debian_version\n", 1);
	/* the os-release is distill's (renamed), no file of base-files */
	assert_string_equal(tl_get(img, "/etc/os-release")->source, "distill");
	img = tl_plan_ok(&pj, "platform: linux/amd64\nbase: scratch\n");
	assert_null(tl_find(img, "/etc/debian_version"));
	assert_null(tl_find(img, "/var/lib/dpkg/status.d/base-files"));
}

static void test_scratch(void **state)
{
	struct pk_image *img;
	(void)state;
	tl_write(pj.root, "etc/os-release", os_release, (size_t)-1, 0644);
	img = tl_plan_ok(&pj, "platform: linux/amd64\nbase: scratch\n");
	assert_int_equal(img->n, 0);
	assert_null(img->user);
	assert_int_equal(img->nenv, 1);
	assert_string_equal(img->env[0], DEFAULT_PATH);
	assert_int_equal(pk_image_bytes(img), 0);

	/* the spec's users still get passwd lines and homes, but nothing of distroless; a gid
	 * that names no group gets one of the user's name */
	img = tl_plan_ok(&pj, "platform: linux/amd64\nbase: scratch\n"
			 "users:\n  - {name: app, uid: 1000, gid: 1000}\n"
			 "config: {user: app}\n");
	{
		static const char *const paths[] = { "/etc", "/etc/group", "/etc/passwd", "/home",
						     "/home/app" };
		tl_expect_paths(img, paths, 5);
	}
	tl_expect_content(tl_get(img, "/etc/passwd"),
			  "app:x:1000:1000:app:/home/app:/sbin/nologin\n", 1);
	tl_expect_content(tl_get(img, "/etc/group"), "app:x:1000:\n", 1);
	assert_string_equal(img->user, "1000");
	img = tl_plan_ok(&pj, "platform: linux/amd64\nbase: scratch\n"
			 "groups:\n  - {name: g, gid: 7, members: [a]}\n");
	{
		static const char *const paths[] = { "/etc", "/etc/group" };
		tl_expect_paths(img, paths, 2);
	}
	tl_expect_content(tl_get(img, "/etc/group"), "g:x:7:a\n", 1);
	/* nonroot is distroless's */
	tl_plan_fails(&pj, "platform: linux/amd64\nbase: scratch\nconfig: {user: nonroot}\n",
		      "app.yaml: config.user: no user or group 'nonroot' in the image");
}

/* ---- files ---- */

/* proj/tree: the names sort "a" < "a-b" < "a.txt" < "a/x" by strcmp, to try the parent
 * index on siblings that sort between a directory and its children. */
static void make_tree(void)
{
	tl_write(pj.proj, "tree/a/x", "ax\n", (size_t)-1, 0600);
	tl_write(pj.proj, "tree/a-b", "ab\n", (size_t)-1, 0640);
	tl_write(pj.proj, "tree/a.txt", "a\n", (size_t)-1, 0644);
	tl_write(pj.proj, "tree/bin/run", "#!/bin/sh\n", (size_t)-1, 0700);
	tl_write(pj.proj, "tree/bin/grp", "g\n", (size_t)-1, 0610);
	tl_write(pj.proj, "tree/sub/deep/f", "deep\n", (size_t)-1, 0600);
	tl_mkdir(pj.proj, "tree/empty", 0700);
	tl_mkdir(pj.proj, "tree/sub", 0711);
	tl_symlink(pj.proj, "tree/link", "a.txt");
	tl_symlink(pj.proj, "tree/dirlink", "sub");
	tl_symlink(pj.proj, "tree/dangling", "/nonexistent/target");
}

static const char *const tree_paths[] = {
	"/opt", "/opt/t", "/opt/t/a", "/opt/t/a-b", "/opt/t/a.txt", "/opt/t/a/x", "/opt/t/bin",
	"/opt/t/bin/grp", "/opt/t/bin/run", "/opt/t/dangling", "/opt/t/dirlink", "/opt/t/empty",
	"/opt/t/link", "/opt/t/sub", "/opt/t/sub/deep", "/opt/t/sub/deep/f",
};
#define NTREE (sizeof(tree_paths) / sizeof(tree_paths[0]))

static void test_files_tree(void **state)
{
	struct pk_image *img;
	const struct pk_plan_entry *e;
	char src[PATH_MAX + 64];
	(void)state;
	make_tree();
	img = tl_plan_ok(&pj, "platform: linux/amd64\nbase: scratch\n"
			 "files:\n  - {src: ./tree, dst: /opt/t}\n");
	tl_expect_paths(img, tree_paths, NTREE);
	/* /opt is distill's parent; everything below comes from the tree */
	tl_expect_meta(tl_get(img, "/opt"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	assert_string_equal(tl_get(img, "/opt")->source, "distill");
	for (size_t i = 1; i < img->n; i++) {
		char rel[256];
		e = &img->v[i];
		snprintf(rel, sizeof(rel), "tree%s", e->path + strlen("/opt/t"));
		assert_string_equal(e->source, tl_host(&pj, rel));
		assert_null(e->pkg);
	}
	assert_string_equal(tl_get(img, "/opt/t")->source, tl_host(&pj, "tree"));
	assert_string_equal(tl_get(img, "/opt/t/sub/deep/f")->source,
			    tl_host(&pj, "tree/sub/deep/f"));
	/* host modes: directories 0755 (whatever the host's), files 0755 with an execute bit,
	 * else 0644, symlinks 0777; owner 0:0 */
	tl_expect_meta(tl_get(img, "/opt/t"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/empty"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/sub"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/a/x"), PK_PLAN_REG, 0644, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/a-b"), PK_PLAN_REG, 0644, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/bin/run"), PK_PLAN_REG, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/bin/grp"), PK_PLAN_REG, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/sub/deep/f"), PK_PLAN_REG, 0644, 0, 0, PK_LAYER_APP);
	tl_expect_content(tl_get(img, "/opt/t/a.txt"), "a\n", 0);
	tl_expect_content(tl_get(img, "/opt/t/bin/run"), "#!/bin/sh\n", 0);
	tl_expect_content(tl_get(img, "/opt/t/sub/deep/f"), "deep\n", 0);
	/* content is read later from root "/" (the host) at the path inside it */
	e = tl_get(img, "/opt/t/sub/deep/f");
	assert_int_equal(img->nroots, 2);
	assert_string_equal(img->roots[0], pj.root);
	assert_string_equal(img->roots[1], "/");
	assert_int_equal(e->root, 1);
	snprintf(src, sizeof(src), "%s/tree/sub/deep/f", pj.rproj + 1);
	assert_string_equal(e->src, src);
	/* symlinks are kept, never followed (nothing of sub appears below dirlink) */
	e = tl_get(img, "/opt/t/link");
	tl_expect_meta(e, PK_PLAN_SYMLINK, 0777, 0, 0, PK_LAYER_APP);
	assert_string_equal(e->link, "a.txt");
	assert_false(e->link_to_dir);
	e = tl_get(img, "/opt/t/dirlink");
	tl_expect_meta(e, PK_PLAN_SYMLINK, 0777, 0, 0, PK_LAYER_APP);
	assert_string_equal(e->link, "sub");
	assert_true(e->link_to_dir);
	e = tl_get(img, "/opt/t/dangling");
	tl_expect_meta(e, PK_PLAN_SYMLINK, 0777, 0, 0, PK_LAYER_APP);
	assert_string_equal(e->link, "/nonexistent/target");
	assert_int_equal(e->size, 0);
}

/* With root "/", the project's files are named relative to the spec's directory (a lock
 * carries no host path of the project), and the host is the one content root. */
static void test_files_project_source(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	(void)state;
	if (strcmp(pj.proj, pj.rproj) != 0)
		skip(); /* a TMPDIR through a symlink is not the project's path as given */
	make_tree();
	assert_int_equal(tl_plan(&pj, "/", "platform: linux/amd64\nbase: scratch\n"
				 "files:\n  - {src: ./tree/sub, dst: /s}\n", NULL, &img, &err), 0);
	tl_check_plan(img);
	assert_int_equal(img->nroots, 1);
	assert_string_equal(img->roots[0], "/");
	assert_string_equal(tl_get(img, "/s")->source, "host:./tree/sub");
	assert_string_equal(tl_get(img, "/s/deep/f")->source, "host:./tree/sub/deep/f");
	assert_int_equal(tl_get(img, "/s/deep/f")->root, 0);
	assert_null(tl_get(img, "/s/deep/f")->pkg);
	assert_int_equal(img->n, 3);
}

/* mode applies to the regular files the entry brought; uid and gid to all it brought; the
 * parents distill adds and other entries keep theirs. */
static void test_files_overrides(void **state)
{
	struct pk_image *img;
	(void)state;
	make_tree();
	img = tl_plan_ok(&pj, "platform: linux/amd64\nbase: scratch\n"
			 "files:\n  - {src: ./tree, dst: /opt/t, mode: \"0600\", uid: 5, gid: 6}\n"
			 "  - {src: ./tree/a.txt, dst: /etc/app.conf, mode: \"4750\", gid: 9, special: true}\n"
			 "  - {src: ./tree/bin/run, dst: /usr/bin/run}\n");
	tl_expect_meta(tl_get(img, "/opt"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t"), PK_PLAN_DIR, 0755, 5, 6, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/sub/deep"), PK_PLAN_DIR, 0755, 5, 6, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/a.txt"), PK_PLAN_REG, 0600, 5, 6, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/bin/run"), PK_PLAN_REG, 0600, 5, 6, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/sub/deep/f"), PK_PLAN_REG, 0600, 5, 6, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/link"), PK_PLAN_SYMLINK, 0777, 5, 6, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/opt/t/dirlink"), PK_PLAN_SYMLINK, 0777, 5, 6, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/etc"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/etc/app.conf"), PK_PLAN_REG, 04750, 0, 9, PK_LAYER_APP);
	assert_string_equal(tl_get(img, "/etc/app.conf")->source, tl_host(&pj, "tree/a.txt"));
	tl_expect_content(tl_get(img, "/etc/app.conf"), "a\n", 0);
	tl_expect_meta(tl_get(img, "/usr/bin/run"), PK_PLAN_REG, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/usr"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	assert_int_equal(img->n, NTREE + 5);
}

static void test_files_errors(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	char msg[8192];
	(void)state;
	make_tree();
	snprintf(msg, sizeof(msg), "app.yaml:6: files[0]: cannot use '%s/missing': "
		 "No such file or directory", pj.proj);
	assert_int_equal(tl_plan(&pj, pj.root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./missing, dst: /x}\n", NULL, &img, &err), -DT_ESYS);
	assert_string_equal(err.msg, msg);
	/* a file where another entry needs a directory */
	snprintf(msg, sizeof(msg), "app.yaml: '/x/a.txt' is not a directory (%s), but "
		 "'/x/a.txt/y' is inside it", tl_host(&pj, "tree/a.txt"));
	tl_plan_fails(&pj, "platform: linux/amd64\nbase: scratch\nfiles:\n"
		      "  - {src: ./tree/a.txt, dst: /x/a.txt}\n"
		      "  - {src: ./tree/a-b, dst: /x/a.txt/y}\n", msg);
}

/* ---- platform and config ---- */

static void test_platform(void **state)
{
	struct pk_image *img;
	(void)state;
	tl_plan_fails(&pj, "base: scratch\n", "app.yaml: platform: cannot tell the platform "
		      "without binaries; set it (e.g. linux/amd64)");
	/* the same for distroless, with files */
	make_tree();
	tl_plan_fails(&pj, "files:\n  - {src: ./tree, dst: /t}\n", "app.yaml: platform: cannot "
		      "tell the platform without binaries; set it (e.g. linux/amd64)");
	img = tl_plan_ok(&pj, "platform: linux/arm64/v8\nbase: scratch\n");
	assert_string_equal(img->os, "linux");
	assert_string_equal(img->arch, "arm64");
	assert_string_equal(img->variant, "v8");
	img = tl_plan_ok(&pj, "platform: freebsd/riscv64\nbase: scratch\n");
	assert_string_equal(img->os, "freebsd");
	assert_string_equal(img->arch, "riscv64");
	assert_null(img->variant);
}

static void test_config_user(void **state)
{
	static const struct {
		const char *user, *want;
	} ok[] = {
		{ "nonroot", "65532" }, { "root", "0" }, { "nobody", "65534" }, { "0", "0" },
		{ "1234", "1234" }, { "1234:99", "1234:99" }, { "app", "1000" },
		{ "app:staff", "1000:50" }, { "svc:app", "1001:1000" }, { "nonroot:nonroot",
		"65532:65532" }, { "root:staff", "0:50" }, { "app:0", "1000:0" },
	};
	static const char *const bad[] = { "ghost", "app:ghost", "ghost:staff", "staff",
					   "app:svc", "-1", "12x", "app:" };
	static const char users[] =
		"platform: linux/amd64\n"
		"users:\n  - {name: app, uid: 1000, gid: 1000}\n  - {name: svc, uid: 1001, gid: 7}\n"
		"groups:\n  - {name: staff, gid: 50}\n  - {name: app, gid: 1000}\n";
	char body[1024], msg[256];
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct pk_image *img;
		snprintf(body, sizeof(body), "%sconfig: {user: \"%s\"}\n", users, ok[i].user);
		img = tl_plan_ok(&pj, body);
		assert_string_equal(img->user, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "%sconfig: {user: \"%s\"}\n", users, bad[i]);
		snprintf(msg, sizeof(msg),
			 "app.yaml: config.user: no user or group '%s' in the image", bad[i]);
		tl_plan_fails(&pj, body, msg);
	}
}

static void test_config_env(void **state)
{
	static const char ca[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	struct pk_image *img;
	const struct pk_plan_entry *e;
	char msg[8192];
	(void)state;
	img = tl_plan_ok(&pj, "platform: linux/amd64\nconfig:\n  env: {TZ: UTC, A: b}\n");
	assert_int_equal(img->nenv, 3);
	assert_string_equal(img->env[0], DEFAULT_PATH);
	assert_string_equal(img->env[1], "TZ=UTC");
	assert_string_equal(img->env[2], "A=b");
	img = tl_plan_ok(&pj, "platform: linux/amd64\nconfig:\n  env: [\"PATH=/app\", \"X=1\"]\n");
	assert_int_equal(img->nenv, 2);
	assert_string_equal(img->env[0], "PATH=/app");
	assert_string_equal(img->env[1], "X=1");

	/* the bundle is made from ca-certificates' certificates, as update-ca-certificates
	 * makes it by default: in bytewise order of path, a missing final newline added, the
	 * root's own bundle (here with a local certificate) not taken */
	snprintf(msg, sizeof(msg), "app.yaml: certificates: true, but the root '%s' has no "
		 "ca-certificates package (/var/lib/dpkg/info/ca-certificates.list): install "
		 "ca-certificates there", pj.root);
	tl_plan_fails(&pj, "platform: linux/amd64\ncertificates: true\n", msg);
	tl_write(pj.root, "var/lib/dpkg/info/ca-certificates.list",
		 "/.\n/usr\n/usr/share/ca-certificates\n/usr/share/ca-certificates/mozilla\n"
		 "/usr/share/ca-certificates/mozilla/b.crt\n/usr/share/ca-certificates/mozilla/A.crt\n"
		 "/usr/share/ca-certificates/mozilla/c.pem\n/usr/sbin/update-ca-certificates\n",
		 (size_t)-1, 0644);
	snprintf(msg, sizeof(msg), "certificates: true: '%s/usr/share/ca-certificates/mozilla/A.crt', "
		 "which ca-certificates lists, does not exist", pj.root);
	tl_plan_fails(&pj, "platform: linux/amd64\ncertificates: true\n", msg);
	tl_write(pj.root, "usr/share/ca-certificates/mozilla/A.crt", ca, (size_t)-1, 0644);
	tl_write(pj.root, "usr/share/ca-certificates/mozilla/b.crt", "B", (size_t)-1, 0644);
	tl_write(pj.root, "usr/share/ca-certificates/mozilla/c.pem", "C\n", (size_t)-1, 0644);
	tl_write(pj.root, "etc/ssl/certs/ca-certificates.crt", "local\n", (size_t)-1, 0644);
	img = tl_plan_ok(&pj, "platform: linux/amd64\ncertificates: true\n"
			 "config:\n  env: {TZ: UTC}\n");
	assert_int_equal(img->nenv, 3);
	assert_string_equal(img->env[0], DEFAULT_PATH);
	assert_string_equal(img->env[1], "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt");
	assert_string_equal(img->env[2], "TZ=UTC");
	e = tl_get(img, "/etc/ssl/certs/ca-certificates.crt");
	tl_expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	snprintf(msg, sizeof(msg), "%sB\n", ca);
	tl_expect_content(e, msg, 1);
	assert_string_equal(e->source, "distill");
	assert_null(e->pkg);
	tl_expect_meta(tl_get(img, "/etc/ssl"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	/* the spec's own SSL_CERT_FILE and PATH win */
	img = tl_plan_ok(&pj, "platform: linux/amd64\ncertificates: true\nconfig:\n"
			 "  env: [\"SSL_CERT_FILE=/x.pem\", \"PATH=/bin\"]\n");
	assert_int_equal(img->nenv, 2);
	assert_string_equal(img->env[0], "SSL_CERT_FILE=/x.pem");
	assert_string_equal(img->env[1], "PATH=/bin");
}

/* ---- parents ---- */

/* Every parent is there, in the lowest layer of its children: /srv holds a base home and
 * app files; /srv/data only app files. */
static void test_parents(void **state)
{
	struct pk_image *img;
	(void)state;
	make_tree();
	img = tl_plan_ok(&pj, "platform: linux/amd64\nbase: scratch\n"
			 "users:\n  - {name: app, uid: 1000, gid: 1000, home: /srv/home/app}\n"
			 "files:\n  - {src: ./tree/a.txt, dst: /srv/data/deep/er/a.txt}\n"
			 "  - {src: ./tree/sub, dst: /srv/home/app/sub, uid: 3}\n");
	{
		static const char *const paths[] = {
			"/etc", "/etc/group", "/etc/passwd", "/srv", "/srv/data", "/srv/data/deep",
			"/srv/data/deep/er", "/srv/data/deep/er/a.txt", "/srv/home", "/srv/home/app",
			"/srv/home/app/sub", "/srv/home/app/sub/deep", "/srv/home/app/sub/deep/f",
		};
		tl_expect_paths(img, paths, sizeof(paths) / sizeof(paths[0]));
	}
	tl_expect_meta(tl_get(img, "/srv"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/srv/home"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/srv/home/app"), PK_PLAN_DIR, 0700, 1000, 1000, PK_LAYER_BASE);
	tl_expect_meta(tl_get(img, "/srv/home/app/sub"), PK_PLAN_DIR, 0755, 3, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/srv/data"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	tl_expect_meta(tl_get(img, "/srv/data/deep/er"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	assert_string_equal(tl_get(img, "/srv/data/deep")->source, "distill");
	assert_int_equal(tl_get(img, "/srv/data/deep/er/a.txt")->parent, 6);
	assert_int_equal(tl_get(img, "/srv/data")->parent, 3);
	assert_int_equal(tl_get(img, "/srv/home/app/sub/deep/f")->parent, 11);
	assert_int_equal(tl_get(img, "/srv")->parent, PK_PLAN_NO_PARENT);
	assert_int_equal(tl_get(img, "/etc")->parent, PK_PLAN_NO_PARENT);
	assert_int_equal(tl_get(img, "/etc/passwd")->parent, 0);
}

#define TEST(f) cmocka_unit_test_prestate_setup_teardown(f, tl_project_setup, \
							 tl_project_teardown, &pj)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_skeleton_distroless),
		TEST(test_skeleton_os_release),
		TEST(test_skeleton_debian_version),
		TEST(test_scratch),
		TEST(test_files_tree),
		TEST(test_files_project_source),
		TEST(test_files_overrides),
		TEST(test_files_errors),
		TEST(test_platform),
		TEST(test_config_user),
		TEST(test_config_env),
		TEST(test_parents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
