/* SPDX-License-Identifier: MIT */
/* Unit tests of image planning (packer/image/plan.c and its steps): synthetic specs over a
 * temporary root and project, planned with pk_image_plan and inspected through plan.h. */
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

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The .debs, built once for the group. */
static char debroot[4096], debs[4200], debs2[4200];
/* Per test: the spec's root and directory (and its realpath, as sources name it). */
static char tmp[4096], root[4200], proj[4200], rproj[PATH_MAX];
/* Everything planned in a test, freed by teardown even when an assertion fails. */
static struct mf_spec *specs[1024];
static struct pk_image *imgs[1024];
static size_t nspecs, nimgs;

static int group_setup(void **state)
{
	char cmd[16384];
	(void)state;
	snprintf(debroot, sizeof(debroot), "%s", tl_tmpdir());
	snprintf(debs, sizeof(debs), "%s/debs", debroot);
	snprintf(debs2, sizeof(debs2), "%s/debs2", debroot);
	snprintf(cmd, sizeof(cmd),
		 "set -e; umask 022; cd %s; mkdir -p debs debs2;"
		 "mkdir -p t/DEBIAN t/usr/bin t/usr/lib/tpkg t/usr/share/doc/tpkg "
		 "t/usr/share/man/man1 t/etc;"
		 "printf 'Package: tpkg\\nVersion: 1.2-3\\nArchitecture: amd64\\n"
		 "Maintainer: T <t@example.invalid>\\nDescription: test package\\n more text\\n'"
		 " > t/DEBIAN/control;"
		 "printf '#!/bin/sh\\necho tool\\n' > t/usr/bin/tool; chmod 0755 t/usr/bin/tool;"
		 "ln t/usr/bin/tool t/usr/bin/tool2; ln -s tool t/usr/bin/tool-link;"
		 "printf 'x\\n' > t/usr/bin/suid; chmod 4755 t/usr/bin/suid;"
		 "printf 'lib\\n' > t/usr/lib/tpkg/libt.so.1;"
		 "printf 'Copyright: none\\n' > t/usr/share/doc/tpkg/copyright;"
		 "printf 'readme\\n' > t/usr/share/doc/tpkg/README;"
		 "printf 'man\\n' > t/usr/share/man/man1/tool.1; printf 'conf\\n' > t/etc/tpkg.conf;"
		 "dpkg-deb --build --root-owner-group t debs/tpkg_1.2-3_amd64.deb >/dev/null;"
		 "cp debs/tpkg_1.2-3_amd64.deb debs2/;"
		 "sed -i s/1.2-3/2.0-1/ t/DEBIAN/control;"
		 "dpkg-deb --build --root-owner-group t debs2/tpkg_2.0-1_amd64.deb >/dev/null;"
		 "mkdir -p m/DEBIAN m/usr/lib/x86_64-linux-gnu; ln -s usr/lib m/lib;"
		 "printf 'Package: mlink\\nVersion: 1\\nArchitecture: all\\n"
		 "Maintainer: T <t@example.invalid>\\nDescription: merged usr\\n' > m/DEBIAN/control;"
		 "dpkg-deb --build --root-owner-group m debs/mlink_1_all.deb >/dev/null;"
		 "mkdir -p b/DEBIAN b/lib/pkgb; printf 'pkgb data\\n' > b/lib/pkgb/data;"
		 "printf 'Package: pkgb\\nVersion: 1\\nArchitecture: all\\n"
		 "Maintainer: T <t@example.invalid>\\nDescription: below lib\\n' > b/DEBIAN/control;"
		 "dpkg-deb --build --root-owner-group b debs/pkgb_1_all.deb >/dev/null;"
		 "mkdir -p c/DEBIAN c/lib/pkgc; printf 'c\\n' > c/lib/pkgc/libc.so.1;"
		 "ln -s libc.so.1 c/lib/pkgc/libc.so;"
		 "printf 'Package: pkgc\\nVersion: 1\\nArchitecture: all\\n"
		 "Maintainer: T <t@example.invalid>\\nDescription: a symlink below lib\\n'"
		 " > c/DEBIAN/control;"
		 "dpkg-deb --build --root-owner-group c debs/pkgc_1_all.deb >/dev/null",
		 debroot);
	return system(cmd) == 0 ? 0 : -1;
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
	snprintf(tmp, sizeof(tmp), "%s", tl_tmpdir());
	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(proj, sizeof(proj), "%s/proj", tmp);
	tl_mkdir(tmp, "root", 0755);
	tl_mkdir(tmp, "proj", 0755);
	assert_non_null(realpath(proj, rproj));
	nspecs = nimgs = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < nimgs; i++)
		pk_image_free(imgs[i]);
	for (size_t i = 0; i < nspecs; i++)
		mf_spec_free(specs[i]);
	nspecs = nimgs = 0;
	tl_rmtree(tmp);
	return 0;
}

/* ---- planning ---- */

/* Plans "name: test/app:1.0", "root: @in" and @body as app.yaml in the project. @return
 * pk_image_plan's code; the image in *@out (freed by teardown). */
static int plan_in(const char *in, const char *body, const char *debs_dir,
		   struct pk_image **out, struct dt_err *err)
{
	struct pk_plan_opts o = { .debs = debs_dir, .epoch = 1700000000 };
	struct dt_buf y = { 0 };
	struct mf_spec *s = NULL;
	struct dt_err perr;
	int rc;

	dt_buf_add(&y, "name: test/app:1.0\nroot: %s\n%s", in, body);
	assert_false(y.oom);
	rc = mf_spec_parse("app.yaml", proj, y.s, y.len, &s, &perr);
	dt_buf_release(&y);
	if (rc < 0)
		fail_msg("spec: %s", perr.msg);
	assert_true(nspecs < 1024 && nimgs < 1024);
	specs[nspecs++] = s;
	dt_err_clear(err);
	*out = NULL;
	rc = pk_image_plan(s, &o, out, err);
	if (rc == 0) {
		assert_non_null(*out);
		imgs[nimgs++] = *out;
	} else {
		assert_true(rc < 0);
		assert_null(*out);
		assert_int_equal(err->code, -rc);
	}
	return rc;
}

static void check_plan(const struct pk_image *img);

static struct pk_image *plan_ok(const char *body)
{
	struct pk_image *img;
	struct dt_err err;

	if (plan_in(root, body, NULL, &img, &err) < 0)
		fail_msg("plan: %s", err.msg);
	check_plan(img);
	return img;
}

/* Plans @body expecting the error @msg, exactly. */
static void plan_fails(const char *body, const char *msg)
{
	struct pk_image *img;
	struct dt_err err;

	assert_int_equal(plan_in(root, body, NULL, &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
}

/* ---- looking at a plan ---- */

static const struct pk_plan_entry *find(const struct pk_image *img, const char *path)
{
	for (size_t i = 0; i < img->n; i++)
		if (strcmp(img->v[i].path, path) == 0)
			return &img->v[i];
	return NULL;
}

static const struct pk_plan_entry *get(const struct pk_image *img, const char *path)
{
	const struct pk_plan_entry *e = find(img, path);

	if (!e)
		fail_msg("'%s' is not in the plan", path);
	return e;
}

/* The invariants of every plan: sorted, unique, absolute paths; every parent a directory
 * of the plan, in a layer as low, at the entry's parent index; in-memory content hashed. */
static void check_plan(const struct pk_image *img)
{
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		const char *slash = strrchr(e->path, '/');
		assert_true(e->path[0] == '/' && e->path[1] != '\0');
		assert_null(strstr(e->path, "//"));
		assert_true(slash[1] != '\0');
		if (i > 0 && strcmp(img->v[i - 1].path, e->path) >= 0)
			fail_msg("not sorted: '%s' before '%s'", img->v[i - 1].path, e->path);
		if (slash == e->path) {
			assert_true(e->parent == PK_PLAN_NO_PARENT);
		} else {
			const struct pk_plan_entry *p;
			size_t len = (size_t)(slash - e->path);
			if (e->parent == PK_PLAN_NO_PARENT || e->parent >= i)
				fail_msg("'%s' has no parent index", e->path);
			p = &img->v[e->parent];
			if (strlen(p->path) != len || strncmp(p->path, e->path, len) != 0)
				fail_msg("parent of '%s' is '%s'", e->path, p->path);
			assert_int_equal(p->type, PK_PLAN_DIR);
			assert_true(p->layer <= e->layer);
		}
		if (e->type == PK_PLAN_REG && e->data) {
			unsigned char md[DT_SHA256_LEN];
			dt_sha256(e->data, e->size, md);
			assert_memory_equal(md, e->sha256, DT_SHA256_LEN);
		}
		if (e->type == PK_PLAN_SYMLINK || e->type == PK_PLAN_HARDLINK)
			assert_non_null(e->link);
	}
}

static void expect_paths(const struct pk_image *img, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n && i < img->n; i++)
		assert_string_equal(img->v[i].path, want[i]);
	assert_int_equal(img->n, n);
}

static void expect_meta(const struct pk_plan_entry *e, enum pk_plan_type type, uint32_t mode,
			uint32_t uid, uint32_t gid, enum pk_plan_layer layer)
{
	if (e->type != type || e->mode != mode || e->uid != uid || e->gid != gid ||
	    e->layer != layer)
		fail_msg("'%s': type %d mode %o %u:%u layer %d, expected %d %o %u:%u %d", e->path,
			 e->type, e->mode, e->uid, e->gid, e->layer, type, mode, uid, gid, layer);
}

/* A regular file whose content is @text (in memory when @mem, else read from its root). */
static void expect_content(const struct pk_plan_entry *e, const char *text, int mem)
{
	unsigned char md[DT_SHA256_LEN];

	assert_int_equal(e->type, PK_PLAN_REG);
	assert_int_equal(e->size, strlen(text));
	dt_sha256(text, strlen(text), md);
	assert_memory_equal(e->sha256, md, DT_SHA256_LEN);
	if (mem) {
		assert_non_null(e->data);
		assert_memory_equal(e->data, text, strlen(text));
	} else {
		assert_null(e->data);
	}
}

/* "host:<the project's realpath>/@rel" */
static const char *host(const char *rel)
{
	static char buf[4][2 * PATH_MAX];
	static unsigned k;
	char *b = buf[k++ % 4];

	snprintf(b, sizeof(buf[0]), "host:%s/%s", rproj, rel);
	return b;
}

/* The "files:" key with one {src, dst} per pair. */
static void add_files(struct dt_buf *y, const char *const *pairs, size_t n)
{
	dt_buf_add(y, "files:\n");
	for (size_t i = 0; i < n; i++)
		dt_buf_add(y, "  - {src: %s, dst: %s}\n", pairs[2 * i], pairs[2 * i + 1]);
}

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
	tl_write(root, "etc/os-release", os_release, (size_t)-1, 0644);
	img = plan_ok("platform: linux/amd64\n"
		      "users:\n  - {name: app, uid: 1000, gid: 1000}\n"
		      "  - {name: svc, uid: 1001, gid: 1000, home: /srv/svc, shell: /bin/sh}\n"
		      "groups:\n  - {name: app, gid: 1000, members: [app, svc]}\n"
		      "  - {name: empty, gid: 1002}\n");
	expect_paths(img, paths, sizeof(paths) / sizeof(paths[0]));
	expect_content(get(img, "/etc/passwd"),
		       "root:x:0:0:root:/root:/sbin/nologin\n"
		       "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
		       "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
		       "app:x:1000:1000:app:/home/app:/sbin/nologin\n"
		       "svc:x:1001:1000:svc:/srv/svc:/bin/sh\n", 1);
	expect_content(get(img, "/etc/group"),
		       "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\napp:x:1000:app,svc\n"
		       "empty:x:1002:\n", 1);
	expect_content(get(img, "/etc/nsswitch.conf"),
		       "passwd: files\ngroup: files\nshadow: files\ngshadow: files\n"
		       "hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"
		       "ethers: files\nrpc: files\n", 1);
	expect_content(get(img, "/etc/os-release"),
		       "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
		       "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"
		       "HOME_URL=\"https://www.debian.org/\"\n"
		       "SUPPORT_URL=\"https://www.debian.org/support\"\n"
		       "BUG_REPORT_URL=\"https://bugs.debian.org/\"\n", 1);
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		assert_string_equal(e->source, "distill");
		assert_null(e->pkg);
		assert_int_equal(e->layer, PK_LAYER_BASE);
		if (e->type == PK_PLAN_REG)
			expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	}
	expect_meta(get(img, "/etc"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	expect_meta(get(img, "/home"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	expect_meta(get(img, "/srv"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	expect_meta(get(img, "/tmp"), PK_PLAN_DIR, 01777, 0, 0, PK_LAYER_BASE);
	expect_meta(get(img, "/root"), PK_PLAN_DIR, 0700, 0, 0, PK_LAYER_BASE);
	expect_meta(get(img, "/home/nonroot"), PK_PLAN_DIR, 0700, 65532, 65532, PK_LAYER_BASE);
	expect_meta(get(img, "/home/app"), PK_PLAN_DIR, 0700, 1000, 1000, PK_LAYER_BASE);
	expect_meta(get(img, "/srv/svc"), PK_PLAN_DIR, 0700, 1001, 1000, PK_LAYER_BASE);
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
	img = plan_ok("platform: linux/amd64\n");
	expect_content(get(img, "/etc/os-release"), "PRETTY_NAME=\"Distroless\"\n", 1);
	snprintf(other, sizeof(other), "%s/root2", tmp);
	tl_write(tmp, "root2/usr/lib/os-release", "ID=debian\nNAME=X\nPRETTY_NAME=Y\n",
		 (size_t)-1, 0644);
	tl_symlink(tmp, "root2/etc/os-release", "../usr/lib/os-release");
	assert_int_equal(plan_in(other, "platform: linux/amd64\n", NULL, &img, &err), 0);
	expect_content(get(img, "/etc/os-release"),
		       "PRETTY_NAME=\"Distroless\"\nID=debian\nNAME=X\n", 1);
	/* only the root's: the spec's directory or the host play no part */
	assert_null(find(img, "/usr/lib/os-release"));
}

static void test_scratch(void **state)
{
	struct pk_image *img;
	(void)state;
	tl_write(root, "etc/os-release", os_release, (size_t)-1, 0644);
	img = plan_ok("platform: linux/amd64\nbase: scratch\n");
	assert_int_equal(img->n, 0);
	assert_null(img->user);
	assert_int_equal(img->nenv, 1);
	assert_string_equal(img->env[0], DEFAULT_PATH);
	assert_int_equal(pk_image_bytes(img), 0);

	/* the spec's users still get passwd lines and homes, but nothing of distroless */
	img = plan_ok("platform: linux/amd64\nbase: scratch\n"
		      "users:\n  - {name: app, uid: 1000, gid: 1000}\n"
		      "config: {user: app}\n");
	{
		static const char *const paths[] = { "/etc", "/etc/passwd", "/home", "/home/app" };
		expect_paths(img, paths, 4);
	}
	expect_content(get(img, "/etc/passwd"), "app:x:1000:1000:app:/home/app:/sbin/nologin\n",
		       1);
	assert_string_equal(img->user, "1000");
	img = plan_ok("platform: linux/amd64\nbase: scratch\n"
		      "groups:\n  - {name: g, gid: 7, members: [a]}\n");
	{
		static const char *const paths[] = { "/etc", "/etc/group" };
		expect_paths(img, paths, 2);
	}
	expect_content(get(img, "/etc/group"), "g:x:7:a\n", 1);
	/* nonroot is distroless's */
	plan_fails("platform: linux/amd64\nbase: scratch\nconfig: {user: nonroot}\n",
		   "app.yaml: config.user: no user or group 'nonroot' in the image");
}

/* ---- files ---- */

/* proj/tree: the names sort "a" < "a-b" < "a.txt" < "a/x" by strcmp, to try the parent
 * index on siblings that sort between a directory and its children. */
static void make_tree(void)
{
	tl_write(proj, "tree/a/x", "ax\n", (size_t)-1, 0600);
	tl_write(proj, "tree/a-b", "ab\n", (size_t)-1, 0640);
	tl_write(proj, "tree/a.txt", "a\n", (size_t)-1, 0644);
	tl_write(proj, "tree/bin/run", "#!/bin/sh\n", (size_t)-1, 0700);
	tl_write(proj, "tree/bin/grp", "g\n", (size_t)-1, 0610);
	tl_write(proj, "tree/sub/deep/f", "deep\n", (size_t)-1, 0600);
	tl_mkdir(proj, "tree/empty", 0700);
	tl_mkdir(proj, "tree/sub", 0711);
	tl_symlink(proj, "tree/link", "a.txt");
	tl_symlink(proj, "tree/dirlink", "sub");
	tl_symlink(proj, "tree/dangling", "/nonexistent/target");
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
	img = plan_ok("platform: linux/amd64\nbase: scratch\n"
		      "files:\n  - {src: ./tree, dst: /opt/t}\n");
	expect_paths(img, tree_paths, NTREE);
	/* /opt is distill's parent; everything below comes from the tree */
	expect_meta(get(img, "/opt"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	assert_string_equal(get(img, "/opt")->source, "distill");
	for (size_t i = 1; i < img->n; i++) {
		char rel[256];
		e = &img->v[i];
		snprintf(rel, sizeof(rel), "tree%s", e->path + strlen("/opt/t"));
		assert_string_equal(e->source, host(rel));
		assert_null(e->pkg);
	}
	assert_string_equal(get(img, "/opt/t")->source, host("tree"));
	assert_string_equal(get(img, "/opt/t/sub/deep/f")->source, host("tree/sub/deep/f"));
	/* host modes: directories 0755 (whatever the host's), files 0755 with an execute bit,
	 * else 0644, symlinks 0777; owner 0:0 */
	expect_meta(get(img, "/opt/t"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/empty"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/sub"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/a/x"), PK_PLAN_REG, 0644, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/a-b"), PK_PLAN_REG, 0644, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/bin/run"), PK_PLAN_REG, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/bin/grp"), PK_PLAN_REG, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/sub/deep/f"), PK_PLAN_REG, 0644, 0, 0, PK_LAYER_APP);
	expect_content(get(img, "/opt/t/a.txt"), "a\n", 0);
	expect_content(get(img, "/opt/t/bin/run"), "#!/bin/sh\n", 0);
	expect_content(get(img, "/opt/t/sub/deep/f"), "deep\n", 0);
	/* content is read later from root "/" (the host) at the path inside it */
	e = get(img, "/opt/t/sub/deep/f");
	assert_int_equal(img->nroots, 2);
	assert_string_equal(img->roots[0], root);
	assert_string_equal(img->roots[1], "/");
	assert_int_equal(e->root, 1);
	snprintf(src, sizeof(src), "%s/tree/sub/deep/f", rproj + 1);
	assert_string_equal(e->src, src);
	/* symlinks are kept, never followed (nothing of sub appears below dirlink) */
	e = get(img, "/opt/t/link");
	expect_meta(e, PK_PLAN_SYMLINK, 0777, 0, 0, PK_LAYER_APP);
	assert_string_equal(e->link, "a.txt");
	assert_false(e->link_to_dir);
	e = get(img, "/opt/t/dirlink");
	expect_meta(e, PK_PLAN_SYMLINK, 0777, 0, 0, PK_LAYER_APP);
	assert_string_equal(e->link, "sub");
	assert_true(e->link_to_dir);
	e = get(img, "/opt/t/dangling");
	expect_meta(e, PK_PLAN_SYMLINK, 0777, 0, 0, PK_LAYER_APP);
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
	if (strcmp(proj, rproj) != 0)
		skip(); /* a TMPDIR through a symlink is not the project's path as given */
	make_tree();
	assert_int_equal(plan_in("/", "platform: linux/amd64\nbase: scratch\n"
				 "files:\n  - {src: ./tree/sub, dst: /s}\n", NULL, &img, &err), 0);
	check_plan(img);
	assert_int_equal(img->nroots, 1);
	assert_string_equal(img->roots[0], "/");
	assert_string_equal(get(img, "/s")->source, "host:./tree/sub");
	assert_string_equal(get(img, "/s/deep/f")->source, "host:./tree/sub/deep/f");
	assert_int_equal(get(img, "/s/deep/f")->root, 0);
	assert_null(get(img, "/s/deep/f")->pkg);
	assert_int_equal(img->n, 3);
}

/* mode applies to the regular files the entry brought; uid and gid to all it brought; the
 * parents distill adds and other entries keep theirs. */
static void test_files_overrides(void **state)
{
	struct pk_image *img;
	(void)state;
	make_tree();
	img = plan_ok("platform: linux/amd64\nbase: scratch\n"
		      "files:\n  - {src: ./tree, dst: /opt/t, mode: \"0600\", uid: 5, gid: 6}\n"
		      "  - {src: ./tree/a.txt, dst: /etc/app.conf, mode: \"4750\", gid: 9}\n"
		      "  - {src: ./tree/bin/run, dst: /usr/bin/run}\n");
	expect_meta(get(img, "/opt"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t"), PK_PLAN_DIR, 0755, 5, 6, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/sub/deep"), PK_PLAN_DIR, 0755, 5, 6, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/a.txt"), PK_PLAN_REG, 0600, 5, 6, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/bin/run"), PK_PLAN_REG, 0600, 5, 6, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/sub/deep/f"), PK_PLAN_REG, 0600, 5, 6, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/link"), PK_PLAN_SYMLINK, 0777, 5, 6, PK_LAYER_APP);
	expect_meta(get(img, "/opt/t/dirlink"), PK_PLAN_SYMLINK, 0777, 5, 6, PK_LAYER_APP);
	expect_meta(get(img, "/etc"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/etc/app.conf"), PK_PLAN_REG, 04750, 0, 9, PK_LAYER_APP);
	assert_string_equal(get(img, "/etc/app.conf")->source, host("tree/a.txt"));
	expect_content(get(img, "/etc/app.conf"), "a\n", 0);
	expect_meta(get(img, "/usr/bin/run"), PK_PLAN_REG, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/usr"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
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
		 "No such file or directory", proj);
	assert_int_equal(plan_in(root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./missing, dst: /x}\n", NULL, &img, &err), -DT_ESYS);
	assert_string_equal(err.msg, msg);
	/* a file where another entry needs a directory */
	snprintf(msg, sizeof(msg), "app.yaml: '/x/a.txt' is not a directory (%s), but "
		 "'/x/a.txt/y' is inside it", host("tree/a.txt"));
	plan_fails("platform: linux/amd64\nbase: scratch\nfiles:\n"
		   "  - {src: ./tree/a.txt, dst: /x/a.txt}\n  - {src: ./tree/a-b, dst: /x/a.txt/y}\n",
		   msg);
}

/* ---- platform and config ---- */

static void test_platform(void **state)
{
	struct pk_image *img;
	(void)state;
	plan_fails("base: scratch\n", "app.yaml: platform: cannot tell the platform without "
		   "binaries; set it (e.g. linux/amd64)");
	/* the same for distroless, with files */
	make_tree();
	plan_fails("files:\n  - {src: ./tree, dst: /t}\n", "app.yaml: platform: cannot tell the "
		   "platform without binaries; set it (e.g. linux/amd64)");
	img = plan_ok("platform: linux/arm64/v8\nbase: scratch\n");
	assert_string_equal(img->os, "linux");
	assert_string_equal(img->arch, "arm64");
	assert_string_equal(img->variant, "v8");
	img = plan_ok("platform: freebsd/riscv64\nbase: scratch\n");
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
		img = plan_ok(body);
		assert_string_equal(img->user, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "%sconfig: {user: \"%s\"}\n", users, bad[i]);
		snprintf(msg, sizeof(msg),
			 "app.yaml: config.user: no user or group '%s' in the image", bad[i]);
		plan_fails(body, msg);
	}
}

static void test_config_env(void **state)
{
	static const char ca[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	struct pk_image *img;
	const struct pk_plan_entry *e;
	char msg[8192];
	(void)state;
	img = plan_ok("platform: linux/amd64\nconfig:\n  env: {TZ: UTC, A: b}\n");
	assert_int_equal(img->nenv, 3);
	assert_string_equal(img->env[0], DEFAULT_PATH);
	assert_string_equal(img->env[1], "TZ=UTC");
	assert_string_equal(img->env[2], "A=b");
	img = plan_ok("platform: linux/amd64\nconfig:\n  env: [\"PATH=/app\", \"X=1\"]\n");
	assert_int_equal(img->nenv, 2);
	assert_string_equal(img->env[0], "PATH=/app");
	assert_string_equal(img->env[1], "X=1");

	snprintf(msg, sizeof(msg), "app.yaml: certificates: true, but "
		 "'%s/etc/ssl/certs/ca-certificates.crt' does not exist", root);
	plan_fails("platform: linux/amd64\ncertificates: true\n", msg);
	tl_write(root, "etc/ssl/certs/ca-certificates.crt", ca, (size_t)-1, 0600);
	img = plan_ok("platform: linux/amd64\ncertificates: true\nconfig:\n  env: {TZ: UTC}\n");
	assert_int_equal(img->nenv, 3);
	assert_string_equal(img->env[0], DEFAULT_PATH);
	assert_string_equal(img->env[1], "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt");
	assert_string_equal(img->env[2], "TZ=UTC");
	e = get(img, "/etc/ssl/certs/ca-certificates.crt");
	expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	expect_content(e, ca, 0);
	assert_string_equal(e->source, "host:/etc/ssl/certs/ca-certificates.crt");
	assert_int_equal(e->root, 0);
	assert_string_equal(e->src, "etc/ssl/certs/ca-certificates.crt");
	expect_meta(get(img, "/etc/ssl"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	/* the spec's own SSL_CERT_FILE and PATH win */
	img = plan_ok("platform: linux/amd64\ncertificates: true\nconfig:\n"
		      "  env: [\"SSL_CERT_FILE=/x.pem\", \"PATH=/bin\"]\n");
	assert_int_equal(img->nenv, 2);
	assert_string_equal(img->env[0], "SSL_CERT_FILE=/x.pem");
	assert_string_equal(img->env[1], "PATH=/bin");
}

/* ---- parents, clashes and merging ---- */

/* Every parent is there, in the lowest layer of its children: /srv holds a base home and
 * app files; /srv/data only app files. */
static void test_parents(void **state)
{
	struct pk_image *img;
	(void)state;
	make_tree();
	img = plan_ok("platform: linux/amd64\nbase: scratch\n"
		      "users:\n  - {name: app, uid: 1000, gid: 1000, home: /srv/home/app}\n"
		      "files:\n  - {src: ./tree/a.txt, dst: /srv/data/deep/er/a.txt}\n"
		      "  - {src: ./tree/sub, dst: /srv/home/app/sub, uid: 3}\n");
	{
		static const char *const paths[] = {
			"/etc", "/etc/passwd", "/srv", "/srv/data", "/srv/data/deep",
			"/srv/data/deep/er", "/srv/data/deep/er/a.txt", "/srv/home", "/srv/home/app",
			"/srv/home/app/sub", "/srv/home/app/sub/deep", "/srv/home/app/sub/deep/f",
		};
		expect_paths(img, paths, sizeof(paths) / sizeof(paths[0]));
	}
	expect_meta(get(img, "/srv"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	expect_meta(get(img, "/srv/home"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	expect_meta(get(img, "/srv/home/app"), PK_PLAN_DIR, 0700, 1000, 1000, PK_LAYER_BASE);
	expect_meta(get(img, "/srv/home/app/sub"), PK_PLAN_DIR, 0755, 3, 0, PK_LAYER_APP);
	expect_meta(get(img, "/srv/data"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	expect_meta(get(img, "/srv/data/deep/er"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_APP);
	assert_string_equal(get(img, "/srv/data/deep")->source, "distill");
	assert_int_equal(get(img, "/srv/data/deep/er/a.txt")->parent, 5);
	assert_int_equal(get(img, "/srv/data")->parent, 2);
	assert_int_equal(get(img, "/srv/home/app/sub/deep/f")->parent, 10);
	assert_int_equal(get(img, "/srv")->parent, PK_PLAN_NO_PARENT);
	assert_int_equal(get(img, "/etc")->parent, PK_PLAN_NO_PARENT);
	assert_int_equal(get(img, "/etc/passwd")->parent, 0);
}

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
	tl_write(proj, "a/x.conf", "one\n", (size_t)-1, 0644);
	tl_write(proj, "b/x.conf", "two\n", (size_t)-1, 0644);
	tl_write(proj, "c/x.conf", "one\n", (size_t)-1, 0755);
	tl_symlink(proj, "l1/x.conf", "a");
	tl_symlink(proj, "l2/x.conf", "b");
	assert_int_equal(plan_in(root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./a/x.conf, dst: /etc/x.conf}\n"
				 "  - {src: ./b/x.conf, dst: /etc/x.conf}\n", NULL, &img, &err),
			 -DT_EINPUT);
	expect_clash(err.msg, "/etc/x.conf", host("a/x.conf"), host("b/x.conf"));
	/* symlinks with other targets, and a symlink against a file */
	assert_int_equal(plan_in(root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./l1, dst: /etc}\n  - {src: ./l2, dst: /etc}\n",
				 NULL, &img, &err), -DT_EINPUT);
	expect_clash(err.msg, "/etc/x.conf", host("l1/x.conf"), host("l2/x.conf"));
	assert_int_equal(plan_in(root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./a, dst: /etc}\n  - {src: ./l1, dst: /etc}\n",
				 NULL, &img, &err), -DT_EINPUT);
	expect_clash(err.msg, "/etc/x.conf", host("a/x.conf"), host("l1/x.conf"));
	/* against the skeleton: distill's comes first */
	snprintf(msg, sizeof(msg), "app.yaml: '/etc/passwd' comes from both distill and %s, "
		 "which differ", host("a/x.conf"));
	plan_fails("platform: linux/amd64\nfiles:\n  - {src: ./a/x.conf, dst: /etc/passwd}\n",
		   msg);
	/* identical content merges: the first source and the lowest layer win (the mode
	 * is the first's: identical means the same type and bytes) */
	tl_write(proj, "nss", "passwd: files\ngroup: files\nshadow: files\ngshadow: files\n"
		 "hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"
		 "ethers: files\nrpc: files\n", (size_t)-1, 0644);
	img = plan_ok("platform: linux/amd64\nfiles:\n  - {src: ./nss, dst: /etc/nsswitch.conf}\n"
		      "  - {src: ./a/x.conf, dst: /x.conf}\n  - {src: ./c/x.conf, dst: /x.conf}\n");
	assert_string_equal(get(img, "/etc/nsswitch.conf")->source, "distill");
	assert_int_equal(get(img, "/etc/nsswitch.conf")->layer, PK_LAYER_BASE);
	assert_non_null(get(img, "/etc/nsswitch.conf")->data);
	assert_string_equal(get(img, "/x.conf")->source, host("a/x.conf"));
	expect_meta(get(img, "/x.conf"), PK_PLAN_REG, 0644, 0, 0, PK_LAYER_APP);
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
		tl_write(proj, rel, "same\n", (size_t)-1, 0644);
		snprintf(rel, sizeof(rel), "%s/a.txt", names[i]);
		tl_write(proj, rel, "identical\n", (size_t)-1, 0644);
		snprintf(rel, sizeof(rel), "%s/al", names[i]);
		tl_symlink(proj, rel, "a.txt");
		snprintf(rel, sizeof(rel), "%s/b.txt", names[i]);
		tl_write(proj, rel, i ? "second\n" : "first\n", (size_t)-1, 0644);
		snprintf(rel, sizeof(rel), "%s/c.txt", names[i]);
		tl_write(proj, rel, "after\n", (size_t)-1, 0644);
	}
	for (int round = 0; round < 3; round++) {
		assert_int_equal(plan_in(root, round == 2
					 ? "platform: linux/amd64\nfiles:\n"
					   "  - {src: ./d2, dst: /opt}\n  - {src: ./d1, dst: /opt}\n"
					 : "platform: linux/amd64\nfiles:\n"
					   "  - {src: ./d1, dst: /opt}\n  - {src: ./d2, dst: /opt}\n",
					 NULL, &img, &err), -DT_EINPUT);
		expect_clash(err.msg, "/opt/b.txt", host("d1/b.txt"), host("d2/b.txt"));
	}
	/* the same after the moves through the image's symlinks: e2's files land through
	 * /opt/lnk -> real (which won over e2's directory) on e1's */
	tl_write(proj, "e1/a.txt", "identical\n", (size_t)-1, 0644);
	tl_write(proj, "e1/b.txt", "first\n", (size_t)-1, 0644);
	tl_write(proj, "e2/a.txt", "identical\n", (size_t)-1, 0644);
	tl_write(proj, "e2/b.txt", "second\n", (size_t)-1, 0644);
	tl_mkdir(proj, "e3/real", 0755);
	tl_symlink(proj, "e3/lnk", "real");
	assert_int_equal(plan_in(root, "platform: linux/amd64\nfiles:\n"
				 "  - {src: ./e1, dst: /opt/real}\n  - {src: ./e3, dst: /opt}\n"
				 "  - {src: ./e2, dst: /opt/lnk}\n", NULL, &img, &err), -DT_EINPUT);
	expect_clash(err.msg, "/opt/real/b.txt", host("e1/b.txt"), host("e2/b.txt"));
}

/* ---- many overlapping files entries in every order ---- */

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
		tl_write(proj, files[i][0], files[i][1], (size_t)-1,
			 strcmp(files[i][0], "p/d2/common/c") == 0 ? 0755 : 0644);
	tl_mkdir(proj, "p/d0/common/sub/deeper", 0755);
	tl_symlink(proj, "p/d0/link", "common/a");
	tl_symlink(proj, "p/d1/link", "common/a");
	tl_symlink(proj, "p/d3/common/sub/up", "../a");
	tl_symlink(proj, "p/d1/common/sub/up", "../a");
}

/* What of a plan must not depend on the order of the spec's entries: all but the source of
 * a merged path (the first one's), which must still be one of the candidates. */
static char *signature(const struct pk_image *img)
{
	struct dt_buf b = { 0 };
	char hex[2 * DT_SHA256_LEN + 1];
	char prefix[PATH_MAX + 64];

	snprintf(prefix, sizeof(prefix), "host:%s/p/", rproj);
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
	rc = plan_in(root, y.s, NULL, img, err);
	dt_buf_release(&y);
	return rc;
}

/* The last plan's memory (@planned: it made an image), freed now: a property run plans
 * hundreds of times. */
static void drop_last(int planned)
{
	if (planned)
		pk_image_free(imgs[--nimgs]);
	mf_spec_free(specs[--nspecs]);
}

static void test_overlap_orders(void **state)
{
	int order[5] = { 0, 1, 2, 3, 4 }, perms = 0;
	char *first = NULL, *first_err = NULL;
	char bad_src[PATH_MAX + 64];
	(void)state;
	make_overlap();
	snprintf(bad_src, sizeof(bad_src), "%s", host("p/bad/common/sub/b"));
	do {
		struct pk_image *img;
		struct dt_err err;
		char *sig;
		if (plan_order(order, 5, -1, &img, &err) < 0)
			fail_msg("order %d: %s", perms, err.msg);
		check_plan(img);
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
	tl_mkdir(proj, "tree2/usr/lib", 0755);
	tl_write(proj, "tree2/usr/lib/old", "old\n", (size_t)-1, 0644);
	tl_symlink(proj, "tree2/lib", "usr/lib");
	tl_symlink(proj, "tree2/lib64", "lib");
	tl_symlink(proj, "tree2/abs", "/x/usr/lib");
	tl_symlink(proj, "tree2/up", "../../../x/usr/./lib");
	tl_write(proj, "libfoo.so", "foo\n", (size_t)-1, 0644);
	img = plan_ok("platform: linux/amd64\nbase: scratch\nfiles:\n"
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
		expect_paths(img, paths, sizeof(paths) / sizeof(paths[0]));
	}
	assert_int_equal(get(img, "/x/lib")->type, PK_PLAN_SYMLINK);
	assert_string_equal(get(img, "/x/usr/lib/one/libfoo.so")->source, host("libfoo.so"));
	expect_content(get(img, "/x/usr/lib/two.so"), "foo\n", 0);
	assert_string_equal(get(img, "/x/usr/lib/one")->source, "distill");

	/* a loop of symlinks stops */
	tl_symlink(proj, "loop/a", "b");
	tl_symlink(proj, "loop/b", "a");
	assert_int_equal(plan_in(root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
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
	tl_write(proj, "libapp.so.1", "app\n", (size_t)-1, 0644);
	assert_int_equal(plan_in(root, "platform: linux/amd64\nbase: scratch\n"
				 "packages: [mlink, pkgb]\nfiles:\n"
				 "  - {src: ./libapp.so.1, dst: /lib/x86_64-linux-gnu/libapp.so.1}\n",
				 debs, &img, &err), 0);
	check_plan(img);
	assert_null(find(img, "/lib/x86_64-linux-gnu/libapp.so.1"));
	assert_null(find(img, "/lib/pkgb/data"));
	e = get(img, "/lib");
	assert_int_equal(e->type, PK_PLAN_SYMLINK);
	assert_string_equal(e->link, "usr/lib");
	assert_string_equal(e->pkg, "mlink");
	e = get(img, "/usr/lib/x86_64-linux-gnu/libapp.so.1");
	assert_string_equal(e->source, host("libapp.so.1"));
	assert_int_equal(e->layer, PK_LAYER_APP);
	e = get(img, "/usr/lib/x86_64-linux-gnu");
	assert_string_equal(e->source, "deb:mlink@1:/usr/lib/x86_64-linux-gnu");
	assert_int_equal(e->layer, PK_LAYER_BASE);
	e = get(img, "/usr/lib/pkgb/data");
	expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	assert_string_equal(e->source, "deb:pkgb@1:/lib/pkgb/data");
	assert_string_equal(e->pkg, "pkgb");
	expect_content(e, "pkgb data\n", 1);
	expect_content(get(img, "/var/lib/dpkg/status.d/pkgb.md5sums"),
		       "5a0cb1902fbf3a80133f03ca67979897  usr/lib/pkgb/data\n", 1);
	expect_content(get(img, "/var/lib/dpkg/status.d/mlink"),
		       "Package: mlink\nVersion: 1\nArchitecture: all\n"
		       "Maintainer: T <t@example.invalid>\nDescription: merged usr\n", 1);
	/* mlink has no regular file: no md5sums */
	assert_null(find(img, "/var/lib/dpkg/status.d/mlink.md5sums"));
}

/* Symlinks below a symlink of the image move through it like the files beside them: a
 * package's /lib/pkgc/libc.so -> libc.so.1 with /lib -> usr/lib (docs/image.md's libz.so.1
 * example is such a symlink), and the same from the spec's files. */
static void test_symlink_below_symlink(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	const struct pk_plan_entry *e;
	int rc;
	(void)state;
	rc = plan_in(root, "platform: linux/amd64\nbase: scratch\npackages: [mlink, pkgc]\n",
		     debs, &img, &err);
	if (rc < 0)
		fail_msg("%s", err.msg);
	check_plan(img);
	assert_null(find(img, "/lib/pkgc/libc.so"));
	e = get(img, "/usr/lib/pkgc/libc.so");
	assert_int_equal(e->type, PK_PLAN_SYMLINK);
	assert_string_equal(e->link, "libc.so.1");
	assert_string_equal(e->pkg, "pkgc");
	expect_content(get(img, "/usr/lib/pkgc/libc.so.1"), "c\n", 1);

	tl_symlink(proj, "t/lib", "usr/lib");
	tl_mkdir(proj, "t/usr/lib", 0755);
	tl_write(proj, "o/lib/so.1", "so\n", (size_t)-1, 0644);
	tl_symlink(proj, "o/lib/so", "so.1");
	assert_int_equal(plan_in(root, "platform: linux/amd64\nbase: scratch\nfiles:\n"
				 "  - {src: ./t, dst: /x}\n  - {src: ./o, dst: /x}\n", NULL, &img,
				 &err), 0);
	check_plan(img);
	assert_string_equal(get(img, "/x/usr/lib/so")->link, "so.1");
	assert_null(find(img, "/x/lib/so"));
}

/* ---- packages ---- */

static const char tpkg_control[] = "Package: tpkg\nVersion: 1.2-3\nArchitecture: amd64\n"
				   "Maintainer: T <t@example.invalid>\n"
				   "Description: test package\n more text\n";

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
	assert_int_equal(plan_in(root, "platform: linux/amd64\nbase: scratch\npackages:\n"
				 "  - name: tpkg\n    paths: [\"/usr/bin/*\", /usr/share/doc]\n"
				 "    exclude: [\"/usr/share/doc/*/README\"]\n", debs, &img, &err), 0);
	check_plan(img);
	expect_paths(img, paths, sizeof(paths) / sizeof(paths[0]));
	e = get(img, "/usr/bin/tool");
	expect_meta(e, PK_PLAN_REG, 0755, 0, 0, PK_LAYER_BASE);
	expect_content(e, "#!/bin/sh\necho tool\n", 1);
	assert_string_equal(e->source, "deb:tpkg@1.2-3:/usr/bin/tool");
	assert_string_equal(e->pkg, "tpkg");
	assert_string_equal(e->pkg_version, "1.2-3");
	/* setuid is dropped */
	expect_meta(get(img, "/usr/bin/suid"), PK_PLAN_REG, 0755, 0, 0, PK_LAYER_BASE);
	e = get(img, "/usr/bin/tool-link");
	expect_meta(e, PK_PLAN_SYMLINK, 0777, 0, 0, PK_LAYER_BASE);
	assert_string_equal(e->link, "tool");
	assert_string_equal(e->pkg, "tpkg");
	e = get(img, "/usr/bin/tool2");
	assert_int_equal(e->type, PK_PLAN_HARDLINK);
	assert_string_equal(e->link, "/usr/bin/tool");
	assert_string_equal(e->pkg, "tpkg");
	/* the directories the globs name come from the package; the others are distill's */
	assert_string_equal(get(img, "/usr/bin")->source, "distill");
	assert_null(get(img, "/usr/bin")->pkg);
	e = get(img, "/usr/share/doc/tpkg");
	assert_string_equal(e->source, "deb:tpkg@1.2-3:/usr/share/doc/tpkg");
	assert_string_equal(e->pkg, "tpkg");
	expect_meta(e, PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	expect_content(get(img, "/usr/share/doc/tpkg/copyright"), "Copyright: none\n", 1);
	/* status.d: the control stanza, and md5sums of its regular files in path order */
	e = get(img, "/var/lib/dpkg/status.d/tpkg");
	expect_meta(e, PK_PLAN_REG, 0644, 0, 0, PK_LAYER_BASE);
	expect_content(e, tpkg_control, 1);
	assert_string_equal(e->source, "distill");
	expect_content(get(img, "/var/lib/dpkg/status.d/tpkg.md5sums"),
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
		size_t len;
		char *deb;
		unsigned char md[DT_SHA256_LEN];
		snprintf(path, sizeof(path), "%s/tpkg_1.2-3_amd64.deb", debs);
		deb = tl_read(path, &len);
		dt_sha256(deb, len, md);
		free(deb);
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
	assert_int_equal(plan_in(root, "platform: linux/amd64\ndebs: ./nowhere\n"
				 "packages: [tpkg=2.0-1]\n", debs2, &img, &err), 0);
	check_plan(img);
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
	expect_content(get(img, "/usr/share/doc/tpkg/README"), "readme\n", 1);
	assert_string_equal(get(img, "/usr")->source, "deb:tpkg@2.0-1:/usr");
	/* the skeleton makes no /etc of its own (only the parent of its files): the
	 * package's comes first */
	assert_string_equal(get(img, "/etc")->source, "deb:tpkg@2.0-1:/etc");
	expect_meta(get(img, "/etc"), PK_PLAN_DIR, 0755, 0, 0, PK_LAYER_BASE);
	/* but the skeleton's /tmp keeps its mode */
	expect_meta(get(img, "/tmp"), PK_PLAN_DIR, 01777, 0, 0, PK_LAYER_BASE);
	assert_non_null(strstr((const char *)get(img, "/var/lib/dpkg/status.d/tpkg")->data,
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
	plan_fails("platform: linux/amd64\npackages:\n  - tpkg\n",
		   "app.yaml:5: packages: no directory of .deb files (set debs in the spec, or "
		   "--debs DIR)");
	snprintf(msg, sizeof(msg), "app.yaml:5: packages: no .deb of 'nope' in '%s'", debs);
	assert_int_equal(plan_in(root, "platform: linux/amd64\npackages:\n  - nope\n", debs,
				 &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
	snprintf(msg, sizeof(msg), "app.yaml:5: packages: no .deb of 'tpkg' version 9 in '%s'",
		 debs);
	assert_int_equal(plan_in(root, "platform: linux/amd64\npackages:\n  - tpkg=9\n", debs,
				 &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
	snprintf(msg, sizeof(msg), "app.yaml:5: packages: 'tpkg' has several .debs in '%s' "
		 "(1.2-3, 2.0-1): pin one with version", debs2);
	assert_int_equal(plan_in(root, "platform: linux/amd64\npackages:\n  - tpkg\n", debs2,
				 &img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, msg);
}

/* A path glob that takes a hardlink but not the file it links to. */
static void test_packages_hardlink_filtered(void **state)
{
	struct pk_image *img;
	struct dt_err err;
	int rc;
	(void)state;
	rc = plan_in(root, "platform: linux/amd64\nbase: scratch\npackages:\n"
		     "  - {name: tpkg, paths: [/usr/bin/tool2]}\n", debs, &img, &err);
	if (rc < 0)
		fail_msg("%s", err.msg);
	check_plan(img);
	assert_null(find(img, "/usr/bin/tool"));
	assert_int_equal(get(img, "/usr/bin/tool2")->type, PK_PLAN_REG);
	expect_content(get(img, "/usr/bin/tool2"), "#!/bin/sh\necho tool\n", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_skeleton_distroless, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skeleton_os_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_project_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clash_after_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_through_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_usr_package, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_below_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packages_globs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packages_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packages_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packages_hardlink_filtered, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
