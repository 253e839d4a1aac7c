/* SPDX-License-Identifier: MIT */
/* Unit tests of packer/tree and packer/layer: order, normalization, parents, hardlinks,
 * duplicates across DIRs, and inputs that change while they are packed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "packer/archive/tar.h"
#include "packer/archive/tree.h"

static char root[64];

static void put(const char *rel, const char *data, mode_t mode, time_t mtime)
{
	char p[256];
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_non_null(f = fopen(p, "w"));
	fputs(data, f);
	fclose(f);
	chmod(p, mode);
	utimes(p, tv);
}

static int setup(void **state)
{
	char p[256];
	(void)state;
	strcpy(root, "/tmp/distill-unit-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/d", root);
	mkdir(p, 0700);
	put("d/f", "content\n", 04600, 1800000000);
	put("x", "#!/bin/sh\n", 0700, 1600000000);
	snprintf(p, sizeof(p), "%s/l", root);
	symlink("d/f", p);
	{
		char a[256], b[256];
		snprintf(a, sizeof(a), "%s/d/f", root);
		snprintf(b, sizeof(b), "%s/d/h", root);
		link(a, b);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_order(void **state)
{
	const char *v[] = { "sub-a", "sub/x", "sub", "a", "B", "sub.b", "sub/x/y", "é", "z" };
	const char *want[] = { "B", "a", "sub", "sub/x", "sub/x/y", "sub-a", "sub.b", "z", "é" };
	(void)state;
	for (size_t i = 0; i < 9; i++)
		for (size_t j = i + 1; j < 9; j++)
			if (pk_path_cmp(v[i], v[j]) > 0) {
				const char *t = v[i];
				v[i] = v[j];
				v[j] = t;
			}
	for (size_t i = 0; i < 9; i++)
		assert_string_equal(v[i], want[i]);
	assert_int_equal(pk_path_cmp("a", "a"), 0);
}

static struct pk_tree *scan(const char *prefix, const struct pk_norm *n)
{
	struct pk_scan_opts so = { .prefix = prefix };
	struct pk_tree *t = pk_tree_new();
	struct dt_err err;
	assert_int_equal(pk_tree_add_dir(t, root, &so, &err), 0);
	assert_int_equal(pk_tree_normalize(t, n, &err), 0);
	return t;
}

static void test_normalize(void **state)
{
	struct pk_norm n = { .epoch = 1700000000, .uid = 7, .gid = 8 };
	static const struct { const char *path; enum pk_type type; uint32_t mode; int64_t mtime;
			      const char *link; } want[] = {
		{ "p", PK_DIR, 0755, 1700000000, NULL },
		{ "p/q", PK_DIR, 0755, 1700000000, NULL },
		{ "p/q/d", PK_DIR, 0755, -1, NULL },
		{ "p/q/d/f", PK_REG, 0644, 1700000000, NULL },
		{ "p/q/d/h", PK_HARDLINK, 0644, 1700000000, "p/q/d/f" },
		{ "p/q/l", PK_SYMLINK, 0777, -1, "d/f" },
		{ "p/q/x", PK_REG, 0755, 1600000000, NULL },
	};
	struct pk_tree *t = scan("p/q/", &n);
	(void)state;
	assert_int_equal(pk_tree_count(t), 7);
	for (size_t i = 0; i < 7; i++) {
		const struct pk_entry *e = pk_tree_entry(t, i);
		assert_string_equal(e->path, want[i].path);
		assert_int_equal(e->type, want[i].type);
		assert_int_equal(e->mode, want[i].mode);
		assert_int_equal(e->uid, 7);
		assert_int_equal(e->gid, 8);
		if (want[i].mtime >= 0)
			assert_int_equal(e->mtime, want[i].mtime);
		assert_true(e->mtime <= 1700000000);
		if (want[i].link)
			assert_string_equal(e->link, want[i].link);
	}
	assert_int_equal(pk_tree_content_bytes(t), 8 + 10);
	pk_tree_free(t);

	n.keep_modes = 1;
	n.keep_special = 1;
	n.mtime = PK_MTIME_SET;
	t = scan(NULL, &n);
	assert_string_equal(pk_tree_entry(t, 0)->path, "d");
	assert_int_equal(pk_tree_entry(t, 0)->mode, 0700);
	assert_int_equal(pk_tree_entry(t, 1)->mode, 04600);
	assert_int_equal(pk_tree_entry(t, 4)->mode, 0700);
	for (size_t i = 0; i < pk_tree_count(t); i++)
		assert_int_equal(pk_tree_entry(t, i)->mtime, 1700000000);
	pk_tree_free(t);
}

static void test_duplicates(void **state)
{
	struct pk_scan_opts so = { 0 };
	struct pk_norm n = { 0 };
	struct pk_tree *t = pk_tree_new();
	struct dt_err err;
	(void)state;
	/* The same DIR twice: directories merge, files clash; freeing must stay safe. */
	assert_int_equal(pk_tree_add_dir(t, root, &so, &err), 0);
	assert_int_equal(pk_tree_add_dir(t, root, &so, &err), 0);
	assert_int_equal(pk_tree_normalize(t, &n, &err), -DT_EINPUT);
	assert_non_null(strstr(err.msg, "comes from both"));
	pk_tree_free(t);
}

static void test_missing_dir(void **state)
{
	struct pk_scan_opts so = { 0 };
	struct pk_tree *t = pk_tree_new();
	struct dt_err err;
	(void)state;
	assert_int_equal(pk_tree_add_dir(t, "/nonexistent/distill", &so, &err), -DT_ESYS);
	assert_string_equal(err.msg,
		"cannot open directory '/nonexistent/distill': No such file or directory");
	pk_tree_free(t);
}

static void test_layer_changed(void **state)
{
	struct pk_norm n = { .epoch = 1700000000 };
	struct pk_tar_opts lo = { .compression = DT_COMP_NONE };
	struct pk_tar_result r;
	struct pk_tree *t = scan(NULL, &n);
	struct dt_err err;
	char tmp[] = "/tmp/distill-unit-out-XXXXXX";
	int fd = mkstemp(tmp);
	(void)state;
	unlink(tmp);
	assert_int_equal(pk_tar_write(t, fd, "out", &lo, &r, &err), 0);
	assert_string_equal(r.diff_id, r.digest);
	assert_int_equal(r.tar_size % 512, 0);
	assert_int_equal(r.entries, 5);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)r.tar_size);

	put("d/f", "content, longer now\n", 0600, 1800000000); /* after the scan */
	assert_int_equal(pk_tar_write(t, fd, "out", &lo, &r, &err), -DT_ECHANGED);
	assert_non_null(strstr(err.msg, "/d/f' changed while distill was reading it"));
	close(fd);
	pk_tree_free(t);
}

static void remove_x(void *ctx, const char *label, uint64_t done, uint64_t total)
{
	char p[256];
	(void)label, (void)done, (void)total;
	snprintf(p, sizeof(p), "%s/x", (const char *)ctx);
	unlink(p);
}

/* A file that vanishes after the scan, while earlier content is being written. x is made
 * larger than the files read ahead of the writer (32 KiB), which are read by then. */
static void test_layer_vanished(void **state)
{
	struct pk_norm n = { .epoch = 1700000000 };
	struct pk_tar_opts lo = { .compression = DT_COMP_ZSTD, .level = 3,
				    .progress = remove_x, .progress_ctx = root };
	struct pk_tar_result r;
	struct pk_tree *t;
	struct dt_err err;
	char *big = malloc(40001);
	int fd = open("/dev/null", O_WRONLY);
	(void)state;
	assert_non_null(big);
	memset(big, 'x', 40000);
	big[40000] = '\0';
	put("x", big, 0700, 1600000000);
	free(big);
	t = scan(NULL, &n);
	assert_int_equal(pk_tar_write(t, fd, "out", &lo, &r, &err), -DT_ECHANGED);
	assert_non_null(strstr(err.msg, "/x' vanished or was replaced while distill was reading it"));
	close(fd);
	pk_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test_setup_teardown(test_normalize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test_setup_teardown(test_layer_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_vanished, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
