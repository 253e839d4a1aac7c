/* SPDX-License-Identifier: MIT */
/* Unit tests of packer/archive/scan: the walk's order and paths, symlinks, excludes, the
 * visitor's return codes, entries not packed, trees deeper than the descriptors kept open,
 * and directories that vanish or move while they are walked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "packer/archive/scan.h"
#include "testlib.h"

/* What the visitor saw and what it does. */
struct visit {
	struct dt_strv seen;      /* "rel", "rel/" for a directory, "rel -> target" */
	const char *prefix;       /* expected before every rel in path */
	const char *skip;         /* a directory whose subtree the visitor skips (returns 1) */
	const char *stop;         /* the entry at which it stops the walk with stop_code */
	int stop_code;
	const char *at;           /* the entry at which it calls act(), before returning */
	void (*act)(struct visit *v);
	const char *dir;          /* the walked directory */
	const struct pk_scan_opts *opts; /* for pk_scan_not_packed */
	int max_fd;               /* the highest descriptor free during the walk */
};

static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static int visitor(void *ctx, const struct pk_scan_item *it, struct dt_err *err)
{
	struct visit *v = ctx;
	const char *slash = strrchr(it->rel, '/');
	char want[8192], rec[8192];
	struct stat st;
	int fd;

	/* path is the prefix and rel, name the last component, dirfd holds it */
	snprintf(want, sizeof(want), "%s%s", v->prefix ? v->prefix : "", it->rel);
	assert_string_equal(it->path, want);
	assert_string_equal(it->name, slash ? slash + 1 : it->rel);
	assert_int_equal(fstatat(it->dirfd, it->name, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_ino, it->st->st_ino);
	assert_int_equal(st.st_mode, it->st->st_mode);
	if (S_ISLNK(it->st->st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(it->dirfd, it->name, target, sizeof(target) - 1);
		assert_true(n >= 0);
		target[n] = '\0';
		assert_non_null(it->link);
		assert_string_equal(it->link, target);
		snprintf(rec, sizeof(rec), "%s -> %s", it->rel, it->link);
	} else {
		assert_null(it->link);
		snprintf(rec, sizeof(rec), "%s%s", it->rel, S_ISDIR(it->st->st_mode) ? "/" : "");
	}
	assert_int_equal(dt_strv_push(&v->seen, rec), 0);
	if ((fd = lowest_free_fd()) > v->max_fd)
		v->max_fd = fd;
	if (v->at && strcmp(it->rel, v->at) == 0)
		v->act(v);
	if (v->skip && strcmp(it->rel, v->skip) == 0)
		return 1;
	if (v->stop && strcmp(it->rel, v->stop) == 0)
		return dt_err_set(err, v->stop_code, "stopped at '%s'", it->rel);
	if (v->opts && !S_ISDIR(it->st->st_mode) && !S_ISREG(it->st->st_mode) &&
	    !S_ISLNK(it->st->st_mode))
		return pk_scan_not_packed(v->opts, "in", it, err);
	return 0;
}

/* Walks @dir with @o (excludes, prefix...) into @v. @return pk_scan's code. */
static int walk(const char *dir, const struct pk_scan_opts *o, struct visit *v, struct dt_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	assert_true(fd >= 0);
	v->dir = dir;
	v->prefix = o->prefix;
	dt_err_clear(err);
	rc = pk_scan(fd, "in", o, visitor, v, err);
	close(fd);
	return rc;
}

static void assert_seen(const struct visit *v, const char *const *want, size_t n)
{
	for (size_t i = 0; i < v->seen.n && i < n; i++)
		assert_string_equal(v->seen.v[i], want[i]);
	assert_int_equal(v->seen.n, n);
}

/* A tree made in an order that is neither sorted nor its reverse. */
static void make_order_tree(const char *d)
{
	tl_write(d, "z", "z", (size_t)-1, 0644);
	tl_write(d, "b/y", "y", (size_t)-1, 0644);
	tl_write(d, "\xc3\xa9", "e", (size_t)-1, 0644);
	tl_write(d, "b/a", "a", (size_t)-1, 0644);
	tl_symlink(d, "l", "b");                      /* to a directory: not followed */
	tl_write(d, "a", "a", (size_t)-1, 0600);
	tl_write(d, "b/sub/k", "k", (size_t)-1, 0644);
	tl_mkdir(d, "b-c", 0700);
	tl_write(d, "B", "B", (size_t)-1, 0644);
	tl_symlink(d, "b/dangling", "/nonexistent/x");
	tl_write(d, "b.d", "d", (size_t)-1, 0644);
}

static const char *const order_want[] = {
	"B", "a", "b/", "b/a", "b/dangling -> /nonexistent/x", "b/sub/", "b/sub/k", "b/y",
	"b-c/", "b.d", "l -> b", "z", "\xc3\xa9",
};

static void test_order(void **state)
{
	const char *d = tl_tmpdir();
	struct pk_scan_opts o = { 0 };
	struct visit v = { 0 };
	struct dt_err err;
	int base;
	(void)state;
	make_order_tree(d);
	base = lowest_free_fd();
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_seen(&v, order_want, sizeof(order_want) / sizeof(order_want[0]));
	assert_int_equal(lowest_free_fd(), base); /* nothing left open */
	dt_strv_release(&v.seen);

	/* the same walk with a prefix: path is "p/q/" + rel, rel unchanged */
	o.prefix = "p/q/";
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_seen(&v, order_want, sizeof(order_want) / sizeof(order_want[0]));
	dt_strv_release(&v.seen);
	o.prefix = "";
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_seen(&v, order_want, sizeof(order_want) / sizeof(order_want[0]));
	dt_strv_release(&v.seen);
	tl_rmtree(d);
}

static void test_empty(void **state)
{
	const char *d = tl_tmpdir();
	struct pk_scan_opts o = { .prefix = "x/" };
	struct visit v = { 0 };
	struct dt_err err;
	(void)state;
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_int_equal(v.seen.n, 0);
	tl_rmtree(d);
}

static void test_excludes(void **state)
{
	static const char *const ex[] = { "*.o", "b/y", "skip", "c/*/f", "d2/keep2" };
	static const char *const want[] = {
		"b/", "b/keep", "c/", "c/d/", "c/d/e/", "c/d/e/f", "c/f", "d2/", "keep", "keep2",
		"y",
	};
	const char *d = tl_tmpdir();
	struct pk_scan_opts o = { .excludes = ex, .nexcludes = 5 };
	struct visit v = { 0 };
	struct dt_err err;
	(void)state;
	tl_write(d, "keep", "", (size_t)-1, 0644);
	tl_write(d, "keep2", "", (size_t)-1, 0644);  /* "d2/keep2" names only d2's */
	tl_write(d, "d2/keep2", "", (size_t)-1, 0644);
	tl_write(d, "x.o", "", (size_t)-1, 0644);    /* base name globs apply at any depth */
	tl_write(d, "b/z.o", "", (size_t)-1, 0644);
	tl_write(d, "b/y", "", (size_t)-1, 0644);    /* a glob with "/": the relative path */
	tl_write(d, "y", "", (size_t)-1, 0644);      /* ... so a top-level "y" stays */
	tl_write(d, "b/keep", "", (size_t)-1, 0644);
	tl_write(d, "skip/inner", "", (size_t)-1, 0644); /* a matched directory: all of it */
	tl_write(d, "skip/deeper/x", "", (size_t)-1, 0644);
	tl_write(d, "c/d/f", "", (size_t)-1, 0644);  /* "c/STAR/f": the star stops at "/" */
	tl_write(d, "c/d/e/f", "", (size_t)-1, 0644);
	tl_write(d, "c/f", "", (size_t)-1, 0644);
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_seen(&v, want, sizeof(want) / sizeof(want[0]));
	dt_strv_release(&v.seen);
	tl_rmtree(d);
}

static void test_visitor_codes(void **state)
{
	static const char *const skipped[] = { "a", "b/", "c/", "c/x", "d" };
	static const char *const stopped[] = { "a", "b/", "b/x", "c/", "c/x" };
	const char *d = tl_tmpdir();
	struct pk_scan_opts o = { 0 };
	struct visit v = { .skip = "b" };
	struct dt_err err;
	int base;
	(void)state;
	tl_write(d, "a", "", (size_t)-1, 0644);
	tl_write(d, "b/x", "", (size_t)-1, 0644);
	tl_write(d, "c/x", "", (size_t)-1, 0644);
	tl_write(d, "d", "", (size_t)-1, 0644);
	base = lowest_free_fd();

	/* 1 skips the directory's subtree, and the walk goes on after it */
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_seen(&v, skipped, 5);
	dt_strv_release(&v.seen);

	/* a negative code stops the walk there and is returned with the visitor's message */
	v = (struct visit){ .stop = "c/x", .stop_code = DT_EINPUT };
	assert_int_equal(walk(d, &o, &v, &err), -DT_EINPUT);
	assert_int_equal(err.code, DT_EINPUT);
	assert_string_equal(err.msg, "stopped at 'c/x'");
	assert_seen(&v, stopped, 5);
	dt_strv_release(&v.seen);
	v = (struct visit){ .stop = "b", .stop_code = DT_ELIB };
	assert_int_equal(walk(d, &o, &v, &err), -DT_ELIB);
	assert_string_equal(err.msg, "stopped at 'b'");
	assert_seen(&v, stopped, 2); /* not into b */
	dt_strv_release(&v.seen);
	assert_int_equal(lowest_free_fd(), base);
	tl_rmtree(d);
}

struct warnings {
	struct dt_strv msgs;
};

static void on_warn(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	assert_int_equal(dt_strv_push(&w->msgs, msg), 0);
}

/* A unix socket at @dir/@rel, bound from inside @dir (so that a long $TMPDIR fits). */
static void make_socket(const char *dir, const char *rel)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(s >= 0);
	assert_true(cwd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", rel);
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(bind(s, (const struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	close(s);
}

static void test_not_packed(void **state)
{
	static const char *const all[] = { "d/", "d/f", "r", "s" };
	const char *d = tl_tmpdir();
	struct warnings w = { 0 };
	struct pk_scan_opts o = { .warn = on_warn, .warn_ctx = &w };
	struct visit v = { .opts = &o };
	struct dt_err err;
	char p[4096];
	(void)state;
	tl_mkdir(d, "d", 0755);
	assert_int_equal(mkfifo(tl_path(p, d, "d/f"), 0644), 0);
	tl_write(d, "r", "r", (size_t)-1, 0644);
	make_socket(d, "s");

	/* a warning each, through the callback, and the walk goes on */
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_seen(&v, all, 4);
	assert_int_equal(w.msgs.n, 2);
	assert_string_equal(w.msgs.v[0], "fifo 'in/d/f' is not packed");
	assert_string_equal(w.msgs.v[1], "socket 'in/s' is not packed");
	dt_strv_release(&v.seen);
	dt_strv_release(&w.msgs);

	/* no callback: nothing said, nothing fails */
	o.warn = NULL;
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_int_equal(v.seen.n, 4);
	dt_strv_release(&v.seen);

	/* strict: the first one is an error and stops the walk; no warning */
	o.warn = on_warn;
	o.strict = 1;
	assert_int_equal(walk(d, &o, &v, &err), -DT_EINPUT);
	assert_string_equal(err.msg, "fifo 'in/d/f' is not packed (--strict)");
	assert_seen(&v, all, 2);
	assert_int_equal(w.msgs.n, 0);
	dt_strv_release(&v.seen);

	/* a character device, where this machine lets us make one */
	if (mknod(tl_path(p, d, "c"), S_IFCHR | 0600, makedev(1, 3)) == 0) {
		o.strict = 0;
		assert_int_equal(walk(d, &o, &v, &err), 0);
		assert_int_equal(w.msgs.n, 3);
		assert_string_equal(w.msgs.v[0], "character device 'in/c' is not packed");
		dt_strv_release(&v.seen);
		dt_strv_release(&w.msgs);
	}
	tl_rmtree(d);
}

#define DEEP 300

/* @dir + "/d" @k times (+ "/" @leaf). */
static char *deep_path(char *buf, const char *dir, int k, const char *leaf)
{
	size_t n = (size_t)snprintf(buf, 4096, "%s", dir);
	for (int i = 0; i < k; i++)
		n += (size_t)snprintf(buf + n, 4096 - n, "/d");
	if (leaf)
		snprintf(buf + n, 4096 - n, "/%s", leaf);
	return buf;
}

/* rel of level @k ("d/d/d" for 3) + @leaf ("" or "/z"). */
static char *deep_rel(char *buf, int k, const char *leaf)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < k; i++)
		n += (size_t)snprintf(buf + n, 4096 - n, "%sd", i ? "/" : "");
	snprintf(buf + n, 4096 - n, "%s", leaf);
	return buf;
}

/* A chain of @depth directories "d", each level but the last with a file "z" beside the next
 * "d", and a file "end" at the bottom. */
static void make_deep(const char *dir, int depth)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	for (int k = 0; k <= depth; k++) {
		const char *file = k < depth ? "z" : "end";
		int f = openat(fd, file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), sub;
		assert_true(f >= 0);
		close(f);
		if (k == depth)
			break;
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		sub = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(sub >= 0);
		close(fd);
		fd = sub;
	}
	close(fd);
}

/* Removes what make_deep made (tl_rmtree stops at a bounded depth). */
static void remove_deep(const char *dir, int depth)
{
	char p[4096];

	for (int k = depth; k >= 0; k--) {
		unlink(deep_path(p, dir, k, "z"));
		unlink(deep_path(p, dir, k, "end"));
		if (k > 0)
			assert_int_equal(rmdir(deep_path(p, dir, k, NULL)), 0);
	}
}

static void test_deep(void **state)
{
	const char *d = tl_tmpdir();
	struct pk_scan_opts o = { .prefix = "top/" };
	struct visit v = { 0 };
	struct dt_err err;
	char want[4096];
	size_t i = 0;
	int base;
	(void)state;
	make_deep(d, DEEP);
	base = lowest_free_fd();
	assert_int_equal(walk(d, &o, &v, &err), 0);
	assert_int_equal(v.seen.n, 2 * DEEP + 1);
	/* down the chain, the file at the bottom, then each level's "z" on the way back up:
	 * every level was reopened correctly */
	for (int k = 1; k <= DEEP; k++)
		assert_string_equal(v.seen.v[i++], deep_rel(want, k, "/"));
	assert_string_equal(v.seen.v[i++], deep_rel(want, DEEP, "/end"));
	for (int k = DEEP - 1; k >= 1; k--)
		assert_string_equal(v.seen.v[i++], deep_rel(want, k, "/z"));
	assert_string_equal(v.seen.v[i++], "z");
	/* a bounded number of descriptors (64 levels kept, a few more), not one per level */
	assert_true(v.max_fd - base < 64 + 8);
	assert_int_equal(lowest_free_fd(), base);
	dt_strv_release(&v.seen);
	remove_deep(d, DEEP);
	tl_rmtree(d);
}

/* Moves level 70 of the deep chain to the top while its children are walked: its ".." is
 * then no longer the directory the walk came from. */
static void move_level(struct visit *v)
{
	char from[4096], to[4096];

	assert_int_equal(rename(deep_path(from, v->dir, 70, NULL), tl_path(to, v->dir, "moved")),
			 0);
}

static void test_moved(void **state)
{
	const char *d = tl_tmpdir();
	struct pk_scan_opts o = { 0 };
	struct visit v = { .act = move_level };
	struct dt_err err;
	char at[4096], want[8192], p[4096];
	int base;
	(void)state;
	make_deep(d, 70);
	v.at = deep_rel(at, 70, "/end");
	base = lowest_free_fd();
	assert_int_equal(walk(d, &o, &v, &err), -DT_ECHANGED);
	snprintf(want, sizeof(want), "directory 'in/%s' moved while distill was reading it",
		 deep_rel(p, 70, ""));
	assert_string_equal(err.msg, want);
	assert_int_equal(lowest_free_fd(), base);
	dt_strv_release(&v.seen);
	assert_int_equal(unlink(tl_path(p, d, "moved/end")), 0);
	assert_int_equal(rmdir(tl_path(p, d, "moved")), 0);
	remove_deep(d, 69);
	tl_rmtree(d);
}

static void remove_b(struct visit *v)
{
	char p[4096];
	tl_rmtree(tl_path(p, v->dir, "b"));
}

static void replace_b(struct visit *v)
{
	char p[4096], q[4096];
	assert_int_equal(rename(tl_path(p, v->dir, "b"), tl_path(q, v->dir, "old")), 0);
	assert_int_equal(symlink("old", p), 0);
}

static void test_vanished(void **state)
{
	static const char *const upto_b[] = { "a", "b/" };
	const char *d = tl_tmpdir();
	struct pk_scan_opts o = { 0 };
	struct visit v = { .at = "b", .act = remove_b };
	struct dt_err err;
	int base;
	(void)state;
	tl_write(d, "a", "", (size_t)-1, 0644);
	tl_write(d, "b/x", "", (size_t)-1, 0644);
	tl_write(d, "c", "", (size_t)-1, 0644);
	base = lowest_free_fd();

	/* removed once it was met, before the walk goes into it */
	assert_int_equal(walk(d, &o, &v, &err), -DT_ECHANGED);
	assert_int_equal(err.code, DT_ECHANGED);
	assert_string_equal(err.msg,
		"directory 'in/b' vanished or was replaced while distill was reading it");
	assert_seen(&v, upto_b, 2);
	dt_strv_release(&v.seen);

	/* removed after the names were read, before it was met */
	tl_write(d, "b/x", "", (size_t)-1, 0644);
	v = (struct visit){ .at = "a", .act = remove_b };
	assert_int_equal(walk(d, &o, &v, &err), -DT_ECHANGED);
	assert_string_equal(err.msg, "'in/b' vanished while distill was reading it");
	assert_seen(&v, upto_b, 1);
	dt_strv_release(&v.seen);

	/* replaced by a symlink once met: not followed */
	tl_write(d, "b/x", "", (size_t)-1, 0644);
	v = (struct visit){ .at = "b", .act = replace_b };
	assert_int_equal(walk(d, &o, &v, &err), -DT_ECHANGED);
	assert_string_equal(err.msg,
		"directory 'in/b' vanished or was replaced while distill was reading it");
	assert_int_equal(lowest_free_fd(), base);
	dt_strv_release(&v.seen);
	tl_rmtree(d);
}

static void test_not_a_directory(void **state)
{
	struct pk_scan_opts o = { 0 };
	struct dt_err err;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct visit v = { 0 };
	(void)state;
	assert_int_equal(pk_scan(fd, "/dev/null", &o, visitor, &v, &err), -DT_ESYS);
	assert_string_equal(err.msg, "cannot open directory '/dev/null': Not a directory");
	assert_int_equal(v.seen.n, 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_excludes),
		cmocka_unit_test(test_visitor_codes),
		cmocka_unit_test(test_not_packed),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_moved),
		cmocka_unit_test(test_vanished),
		cmocka_unit_test(test_not_a_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
