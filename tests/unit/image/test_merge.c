/* SPDX-License-Identifier: MIT */
/* Unit tests of packer/image/merge.c on plans built by hand: symlink joins, one entry per
 * path (which source wins, and the clash error leaving every entry freeable once), moves
 * through the image's symlinks, parents and their indices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "manifest/spec.h"
#include "packer/image/plan.h"
#include "packer/image/planner.h"
#include "testlib.h"

static struct mf_spec *spec;
static struct pk_image *img;

static int setup(void **state)
{
	(void)state;
	spec = tl_spec_parse("m.yaml", "/proj",
			     "name: t/m\nplatform: linux/amd64\nbase: scratch\n");
	if (!(img = calloc(1, sizeof(*img))))
		return -1;
	img->spec = spec;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pk_image_free(img);
	mf_spec_free(spec);
	img = NULL;
	spec = NULL;
	return 0;
}

static struct pk_plan_entry *push(const char *path, enum pk_plan_type type,
				  enum pk_plan_layer layer, enum pk_plan_prio prio,
				  const char *source, const char *link)
{
	struct pk_plan_entry *e = pk_plan_push(img, path, type, layer, prio, source);

	assert_non_null(e);
	e->mode = type == PK_PLAN_DIR ? 0755 : type == PK_PLAN_SYMLINK ? 0777 : 0644;
	if (link)
		assert_non_null(e->link = strdup(link));
	return e;
}

static void text(const char *path, const char *content, enum pk_plan_layer layer,
		 enum pk_plan_prio prio, const char *source)
{
	struct pk_plan_entry *e = push(path, PK_PLAN_REG, layer, prio, source, NULL);

	assert_non_null(e->data = (unsigned char *)strdup(content));
	e->size = strlen(content);
	dt_sha256(content, e->size, e->sha256);
}

static void test_join_link(void **state)
{
	static const char *const cases[][4] = {
		{ "/lib", "usr/lib", "x86_64-linux-gnu/libz.so.1",
		  "/usr/lib/x86_64-linux-gnu/libz.so.1" },
		{ "/usr/lib64", "../lib", "ld.so", "/lib/ld.so" },
		{ "/usr/lib64", "lib", "ld.so", "/usr/lib/ld.so" },
		{ "/a/b", "/abs/./dir/", "r", "/abs/dir/r" },
		{ "/a", "../../../x", "y", "/x/y" },
		{ "/a/b/c", "..", "", "/a" },
		{ "/top", ".", "", "/" },
		{ "/top", "..", "", "/" },
		{ "/x/lib", "./usr//lib/", "", "/x/usr/lib" },
		{ "/x/lib", "/", "f", "/f" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = pk_plan_join_link(cases[i][0], cases[i][1], cases[i][2]), buf[256];
		assert_non_null(got);
		snprintf(buf, sizeof(buf), "%s", got);
		free(got);
		if (strcmp(buf, cases[i][3]) != 0)
			fail_msg("%s -> %s + %s: '%s', expected '%s'", cases[i][0], cases[i][1],
				 cases[i][2], buf, cases[i][3]);
	}
}

/* The lowest prio wins a merge, whatever the order pushed; the lowest layer is kept; a
 * symlink wins over a directory, from either side. */
static void test_dedupe_wins(void **state)
{
	static const char *const paths[] = { "/d", "/f", "/l", "/l2", "/s" };
	struct dt_err err;
	(void)state;
	text("/f", "same", PK_LAYER_APP, PK_PRIO_PACKAGE, "deb:p@1:/f");
	text("/f", "same", PK_LAYER_APP, PK_PRIO_FILES, "host:/a");
	text("/f", "same", PK_LAYER_BASE, PK_PRIO_CLOSURE, "host:/b");
	push("/d", PK_PLAN_DIR, PK_LAYER_APP, PK_PRIO_PARENT, "distill", NULL);
	push("/d", PK_PLAN_DIR, PK_LAYER_BASE, PK_PRIO_FILES, "host:/d", NULL)->uid = 7;
	push("/l", PK_PLAN_DIR, PK_LAYER_APP, PK_PRIO_SKELETON, "distill", NULL);
	push("/l", PK_PLAN_SYMLINK, PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:m@1:/l", "usr/l");
	push("/l2", PK_PLAN_SYMLINK, PK_LAYER_APP, PK_PRIO_FILES, "host:/l2", "x");
	push("/l2", PK_PLAN_DIR, PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:m@1:/l2", NULL);
	push("/s", PK_PLAN_SYMLINK, PK_LAYER_APP, PK_PRIO_FILES, "host:/s1", "t");
	push("/s", PK_PLAN_SYMLINK, PK_LAYER_APP, PK_PRIO_PACKAGE, "host:/s2", "t");
	assert_int_equal(pk_plan_dedupe(img, &err), 0);
	tl_expect_paths(img, paths, 5);
	assert_string_equal(tl_get(img, "/f")->source, "host:/a");
	assert_int_equal(tl_get(img, "/f")->layer, PK_LAYER_BASE);
	assert_memory_equal(tl_get(img, "/f")->data, "same", 4);
	assert_string_equal(tl_get(img, "/d")->source, "host:/d");
	assert_int_equal(tl_get(img, "/d")->uid, 7);
	assert_int_equal(tl_get(img, "/l")->type, PK_PLAN_SYMLINK);
	assert_string_equal(tl_get(img, "/l")->source, "deb:m@1:/l");
	assert_int_equal(tl_get(img, "/l")->layer, PK_LAYER_BASE);
	assert_int_equal(tl_get(img, "/l2")->type, PK_PLAN_SYMLINK);
	assert_string_equal(tl_get(img, "/l2")->link, "x");
	assert_int_equal(tl_get(img, "/l2")->layer, PK_LAYER_BASE);
	assert_string_equal(tl_get(img, "/s")->source, "host:/s1");
}

/* A clash after merges in the same pass: the error names both sources, and the plan still
 * holds each remaining entry once (teardown frees it; ASan and valgrind see to the rest). */
static void test_dedupe_clash_cleanup(void **state)
{
	static const char *const left[] = { "/a", "/b", "/c", "/c", "/d", "/d" };
	struct dt_err err;
	(void)state;
	text("/d", "after", PK_LAYER_APP, PK_PRIO_FILES, "host:/1/d");
	text("/c", "two", PK_LAYER_APP, PK_PRIO_PACKAGE, "host:/2/c");
	text("/a", "x", PK_LAYER_APP, PK_PRIO_FILES, "host:/1/a");
	push("/b", PK_PLAN_SYMLINK, PK_LAYER_APP, PK_PRIO_PACKAGE, "host:/2/b", "a");
	text("/c", "one", PK_LAYER_APP, PK_PRIO_FILES, "host:/1/c");
	text("/a", "x", PK_LAYER_BASE, PK_PRIO_CLOSURE, "host:/2/a");
	push("/b", PK_PLAN_DIR, PK_LAYER_APP, PK_PRIO_FILES, "host:/1/b", NULL);
	text("/d", "after", PK_LAYER_APP, PK_PRIO_FILES, "host:/2/d");
	for (int pass = 0; pass < 2; pass++) {
		dt_err_clear(&err);
		assert_int_equal(pk_plan_dedupe(img, &err), -DT_EINPUT);
		assert_string_equal(err.msg, "m.yaml: '/c' comes from both host:/1/c and host:/2/c, "
				    "which differ");
		tl_expect_paths(img, left, 6);
		assert_string_equal(tl_get(img, "/a")->source, "host:/1/a");
		assert_int_equal(tl_get(img, "/a")->layer, PK_LAYER_BASE);
		assert_int_equal(tl_get(img, "/b")->type, PK_PLAN_SYMLINK);
		for (size_t i = 0; i < img->n; i++)
			for (size_t j = i + 1; j < img->n; j++) {
				assert_ptr_not_equal(img->v[i].path, img->v[j].path);
				assert_ptr_not_equal(img->v[i].source, img->v[j].source);
				if (img->v[i].data)
					assert_ptr_not_equal(img->v[i].data, img->v[j].data);
			}
	}
}

/* Entries below a symlink move, chains and absolute targets included; the symlinks stay. */
static void test_through_symlinks(void **state)
{
	static const char *const paths[] = { "/abs", "/lib", "/lib64", "/usr/lib/a",
					      "/usr/lib/b", "/usr/lib/c/d" };
	struct dt_err err;
	(void)state;
	push("/lib", PK_PLAN_SYMLINK, PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:m@1:/lib", "usr/lib");
	push("/lib64", PK_PLAN_SYMLINK, PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:m@1:/lib64", "lib");
	push("/abs", PK_PLAN_SYMLINK, PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:m@1:/abs",
	     "/lib64/../lib64");
	text("/lib/a", "a", PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:p@1:/lib/a");
	text("/lib64/b", "b", PK_LAYER_APP, PK_PRIO_FILES, "host:/b");
	text("/abs/c/d", "d", PK_LAYER_APP, PK_PRIO_FILES, "host:/d");
	text("/usr/lib/a", "a", PK_LAYER_APP, PK_PRIO_FILES, "host:/a");
	assert_int_equal(pk_plan_dedupe(img, &err), 0);
	assert_int_equal(pk_plan_through_symlinks(img, &err), 0);
	tl_expect_paths(img, paths, 6);
	/* /lib/a met the identical /usr/lib/a of the files: merged, the higher prio's
	 * source (files), the lower layer (the package's) */
	assert_string_equal(tl_get(img, "/usr/lib/a")->source, "host:/a");
	assert_int_equal(tl_get(img, "/usr/lib/a")->layer, PK_LAYER_BASE);
	assert_string_equal(tl_get(img, "/usr/lib/c/d")->source, "host:/d");
}

/* A symlink below a symlink of the image moves like a file (as dpkg writes it through
 * /lib -> usr/lib). */
static void test_symlink_through_symlink(void **state)
{
	struct dt_err err;
	(void)state;
	push("/lib", PK_PLAN_SYMLINK, PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:m@1:/lib", "usr/lib");
	push("/lib/x/libz.so.1", PK_PLAN_SYMLINK, PK_LAYER_BASE, PK_PRIO_PACKAGE,
	     "deb:z@1:/lib/x/libz.so.1", "libz.so.1.2.13");
	text("/lib/x/libz.so.1.2.13", "z", PK_LAYER_BASE, PK_PRIO_PACKAGE,
	     "deb:z@1:/lib/x/libz.so.1.2.13");
	assert_int_equal(pk_plan_dedupe(img, &err), 0);
	assert_int_equal(pk_plan_through_symlinks(img, &err), 0);
	tl_get(img, "/usr/lib/x/libz.so.1.2.13");
	assert_int_equal(pk_plan_parents(img, &err), 0);
}

static void test_parents(void **state)
{
	static const char *const paths[] = { "/usr", "/usr/lib", "/usr/lib/x", "/usr/lib/x/f",
					     "/usr/lib/y", "/usr/share", "/usr/share/g" };
	static const size_t parents[] = { PK_PLAN_NO_PARENT, 0, 1, 2, 1, 0, 5 };
	static const enum pk_plan_layer layers[] = { PK_LAYER_BASE, PK_LAYER_BASE, PK_LAYER_APP,
						     PK_LAYER_APP, PK_LAYER_BASE, PK_LAYER_BASE,
						     PK_LAYER_BASE };
	struct dt_err err;
	(void)state;
	text("/usr/lib/x/f", "f", PK_LAYER_APP, PK_PRIO_FILES, "host:/f");
	text("/usr/share/g", "g", PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:p@1:/usr/share/g");
	text("/usr/lib/y", "y", PK_LAYER_BASE, PK_PRIO_PACKAGE, "deb:p@1:/usr/lib/y");
	assert_int_equal(pk_plan_dedupe(img, &err), 0);
	assert_int_equal(pk_plan_parents(img, &err), 0);
	pk_plan_index_parents(img);
	tl_expect_paths(img, paths, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(img->v[i].parent, parents[i]);
		assert_int_equal(img->v[i].layer, layers[i]);
		if (i == 0 || i == 1 || i == 2 || i == 5) {
			assert_int_equal(img->v[i].type, PK_PLAN_DIR);
			assert_int_equal(img->v[i].mode, 0755);
			assert_string_equal(img->v[i].source, "distill");
		}
	}
	/* a file in the way */
	text("/usr/lib/y/z", "z", PK_LAYER_APP, PK_PRIO_FILES, "host:/z");
	assert_int_equal(pk_plan_dedupe(img, &err), 0);
	assert_int_equal(pk_plan_parents(img, &err), -DT_EINPUT);
	assert_string_equal(err.msg, "m.yaml: '/usr/lib/y' is not a directory "
			    "(deb:p@1:/usr/lib/y), but '/usr/lib/y/z' is inside it");
}

/* A tree 2000 levels deep gets every parent, each indexed. */
static void test_parents_deep(void **state)
{
	char path[4200];
	struct dt_err err;
	size_t len = 0;
	(void)state;
	for (int i = 0; i < 2000; i++) {
		path[len++] = '/';
		path[len++] = (char)('a' + i % 26);
	}
	path[len] = '\0';
	text(path, "deep", PK_LAYER_APP, PK_PRIO_FILES, "host:/deep");
	text("/a/zz", "z", PK_LAYER_BASE, PK_PRIO_FILES, "host:/z");
	assert_int_equal(pk_plan_dedupe(img, &err), 0);
	assert_int_equal(pk_plan_parents(img, &err), 0);
	pk_plan_index_parents(img);
	assert_int_equal(img->n, 2001);
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		size_t plen = (size_t)(strrchr(e->path, '/') - e->path);
		if (plen == 0) {
			assert_string_equal(e->path, "/a");
			assert_int_equal(e->parent, PK_PLAN_NO_PARENT);
			assert_int_equal(e->layer, PK_LAYER_BASE);
			continue;
		}
		assert_true(e->parent < i);
		assert_int_equal(strlen(img->v[e->parent].path), plen);
		assert_memory_equal(img->v[e->parent].path, e->path, plen);
		/* /a holds the base /a/zz: base; every deeper directory only the app file */
		assert_int_equal(e->layer, strcmp(e->path, "/a/zz") == 0 ? PK_LAYER_BASE
								       : PK_LAYER_APP);
	}
}

/* A property: many sources of a few paths (files of two contents, directories, symlinks; every
 * priority and layer), pushed in random orders, merge without a crash or a leak (ASan and
 * valgrind run this), into one entry per path or a clash error; and the outcome (what each
 * path holds) does not depend on the order pushed. */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

struct src {
	const char *path;
	enum pk_plan_type type;
	enum pk_plan_layer layer;
	enum pk_plan_prio prio;
	char source[32], text[8];
};

static void push_src(const struct src *c)
{
	if (c->type == PK_PLAN_REG)
		text(c->path, c->text, c->layer, c->prio, c->source);
	else
		push(c->path, c->type, c->layer, c->prio, c->source,
		     c->type == PK_PLAN_SYMLINK ? c->text : NULL);
}

/* The plan after a merge, as text: each entry's path, type, layer and content or target
 * (not its source: of equal sources, the first made is kept, by design). */
static void outcome(char *buf, size_t cap)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < img->n && off < cap; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		off += (size_t)snprintf(buf + off, cap - off, "%s %d %d %.*s%s\n", e->path,
					(int)e->type, (int)e->layer, e->data ? (int)e->size : 0,
					e->data ? (const char *)e->data : "", e->link ? e->link : "");
	}
}

static void test_dedupe_random(void **state)
{
	static const char *const paths[] = { "/a", "/b", "/c/d", "/c" };
	static const enum pk_plan_prio prios[] = { PK_PRIO_SKELETON, PK_PRIO_FILES, PK_PRIO_CLOSURE,
						   PK_PRIO_PACKAGE, PK_PRIO_PARENT };
	uint32_t seed = 12345;
	(void)state;

	for (int round = 0; round < 300; round++) {
		struct src c[12];
		size_t n = 2 + rnd(&seed) % 10, perm[12];
		char first[8192], again[8192];
		int rc1 = 0, rc2 = 0;
		for (size_t i = 0; i < n; i++) {
			uint32_t r = rnd(&seed);
			c[i].path = paths[r % 4];
			c[i].type = (r >> 3) % 5 == 0 ? PK_PLAN_DIR
				    : (r >> 3) % 5 == 1 ? PK_PLAN_SYMLINK : PK_PLAN_REG;
			c[i].layer = (r >> 6) & 1 ? PK_LAYER_APP : PK_LAYER_BASE;
			c[i].prio = prios[(r >> 7) % 5];
			/* distinct sources, so the outcome names which one won */
			snprintf(c[i].source, sizeof(c[i].source), "host:/s%zu", i);
			snprintf(c[i].text, sizeof(c[i].text), "%s", (r >> 10) % 3 ? "same" : "other");
		}
		for (size_t i = 0; i < n; i++)
			perm[i] = i;
		for (int order = 0; order < 2; order++) {
			struct dt_err err;
			int rc;
			assert_int_equal(setup(NULL), 0);
			for (size_t i = 0; i < n; i++)
				push_src(&c[perm[i]]);
			rc = pk_plan_dedupe(img, &err);
			assert_true(rc == 0 || rc == -DT_EINPUT);
			if (rc == 0)
				for (size_t i = 1; i < img->n; i++)
					assert_true(strcmp(img->v[i - 1].path, img->v[i].path) < 0);
			outcome(order ? again : first, sizeof(first));
			if (order == 0)
				rc1 = rc;
			else
				rc2 = rc;
			teardown(NULL);
			/* the same sources in another order */
			for (size_t i = n - 1; i > 0; i--) {
				size_t j = rnd(&seed) % (i + 1), t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
		}
		assert_int_equal(rc1, rc2);
		if (rc1 == 0 && strcmp(first, again) != 0)
			fail_msg("round %d: the outcome depends on the order:\n%s--\n%s", round, first,
				 again);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_link),
		cmocka_unit_test_setup_teardown(test_dedupe_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedupe_clash_cleanup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_through_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_through_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parents_deep, setup, teardown),
		cmocka_unit_test(test_dedupe_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
