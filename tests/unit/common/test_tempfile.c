/* SPDX-License-Identifier: MIT */
/* Unit tests of common/tempfile: what a signal removes, what it leaves, and the exit it gives. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/tempfile.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/distill-tempfile-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int exists(const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", root, name);
	return lstat(p, &st) == 0;
}

static void put(const char *name, const char *text)
{
	char p[PATH_MAX];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", root, name);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

/* Starts @body in a child with the handlers installed. @return its pid, once @body is done. */
static pid_t start_child(void (*body)(int rootfd))
{
	int pipefd[2];
	char c;
	pid_t pid;

	alarm(30); /* a child that is never stopped fails the test, not hangs it */
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rootfd = open(root, O_RDONLY | O_DIRECTORY);
		close(pipefd[0]);
		dt_temp_on_signals();
		body(rootfd);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	return pid;
}

/* Runs @body in a child, then stops it with @sig. @return the child's wait status. */
static int in_child(void (*body)(int rootfd), int sig)
{
	pid_t pid = start_child(body);
	int st;

	kill(pid, sig);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	alarm(0);
	return st;
}

/* A registered file; one made by dt_temp_mkstemp then renamed (as a commit does before it
 * drops the handle); a registered directory with a file; a file registered then dropped. */
static void make_temps(int rootfd)
{
	char tmpl[PATH_MAX], to[PATH_MAX + 8];
	int h, fd;

	if ((fd = dt_temp_openat(rootfd, "file-temp", O_WRONLY | O_EXCL, 0644, &h)) < 0 || h <= 0)
		_exit(4);
	close(fd);
	snprintf(tmpl, sizeof(tmpl), "%s/.out.tmp-XXXXXX", root);
	snprintf(to, sizeof(to), "%s/committed", root);
	if ((fd = dt_temp_mkstemp(tmpl, O_CLOEXEC, &h)) < 0 || h <= 0 || rename(tmpl, to) < 0)
		_exit(5);
	close(fd);
	snprintf(tmpl, sizeof(tmpl), "%s/.img.distill-XXXXXX", root);
	if (!dt_temp_mkdtemp(tmpl, &h) || h <= 0)
		_exit(6);
	snprintf(to, sizeof(to), "%s/blob", tmpl);
	put(to + strlen(root) + 1, "blob\n");
	if ((fd = dt_temp_openat(rootfd, "dropped", O_WRONLY | O_EXCL, 0644, &h)) < 0)
		_exit(7);
	close(fd);
	dt_temp_drop(h);
	dt_temp_drop(0); /* a zeroed handle: nothing */
}

static void test_signal_removes_registered(void **state)
{
	DIR *d;
	int st, n = 0;
	(void)state;

	st = in_child(make_temps, SIGTERM);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	assert_false(exists("file-temp"));
	assert_true(exists("committed"));
	assert_true(exists("dropped"));
	/* nothing else: the directory and the temporary name of "committed" are gone */
	assert_non_null(d = opendir(root));
	for (struct dirent *de; (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	assert_int_equal(n, 2);
}

/* A tree of files, directories and a symlink to a file outside it: the tree goes, the
 * symlink's target stays. */
static void make_tree(int rootfd)
{
	char p[PATH_MAX];
	int h;

	for (int i = 0; i < 300; i++) { /* more entries than one getdents64 buffer */
		snprintf(p, sizeof(p), "%s/t/blobs/sha256/%040d", root, i);
		FILE *f = fopen(p, "w");
		if (!f)
			_exit(4);
		fclose(f);
	}
	snprintf(p, sizeof(p), "%s/keep", root);
	if (symlinkat(p, rootfd, "t/link-out") < 0 || symlinkat("..", rootfd, "t/blobs/up") < 0)
		_exit(5);
	h = dt_temp_add(rootfd, "t", 1);
	if (h <= 0)
		_exit(6);
}

static void test_signal_removes_tree(void **state)
{
	int st, rfd = open(root, O_RDONLY | O_DIRECTORY);
	(void)state;

	put("keep", "kept\n");
	assert_int_equal(mkdirat(rfd, "t", 0755), 0);
	assert_int_equal(mkdirat(rfd, "t/blobs", 0755), 0);
	assert_int_equal(mkdirat(rfd, "t/blobs/sha256", 0755), 0);
	close(rfd);
	st = in_child(make_tree, SIGINT);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGINT);
	assert_false(exists("t"));
	assert_true(exists("keep"));
}

/* Called directly (a failed build's cleanup): the same removal, a symlink's target kept. */
static void test_remove_tree(void **state)
{
	char p[PATH_MAX];
	int rfd = open(root, O_RDONLY | O_DIRECTORY);
	(void)state;

	put("keep", "kept\n");
	assert_int_equal(mkdirat(rfd, "t", 0755), 0);
	assert_int_equal(mkdirat(rfd, "t/blobs", 0700), 0);
	put("t/blobs/b", "blob\n");
	snprintf(p, sizeof(p), "%s/keep", root);
	assert_int_equal(symlinkat(p, rfd, "t/blobs/link-out"), 0);
	assert_int_equal(symlinkat("..", rfd, "t/up"), 0);
	dt_temp_remove_tree(rfd, "t");
	close(rfd);
	assert_false(exists("t"));
	assert_true(exists("keep"));
}

/* A child process made with dt_temp_fork is stopped and reaped before the removal. */
static void make_child(int rootfd)
{
	pid_t pid = dt_temp_fork();
	char text[32];

	(void)rootfd;
	if (pid == 0)
		for (;;)
			pause();
	snprintf(text, sizeof(text), "%d\n", (int)pid);
	put("child.pid", text);
}

static void test_signal_stops_child(void **state)
{
	char p[PATH_MAX];
	FILE *f;
	int st, pid = 0, alive;
	(void)state;

	st = in_child(make_child, SIGHUP);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGHUP);
	snprintf(p, sizeof(p), "%s/child.pid", root);
	assert_non_null(f = fopen(p, "r"));
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	assert_true(pid > 0);
	/* reaped by its parent before that one died: gone, not a zombie of init (if it is
	 * still there, it is stopped here so that the failure does not hang the test) */
	alive = kill(pid, 0) == 0;
	if (alive)
		kill(pid, SIGKILL);
	assert_false(alive);
}

static void register_one(int rootfd)
{
	int fd, h;

	if ((fd = dt_temp_openat(rootfd, "file-temp", O_WRONLY | O_EXCL, 0644, &h)) < 0 || h <= 0)
		_exit(4);
	close(fd);
}

/* A signal ignored on entry stays ignored: SIGHUP does nothing, SIGTERM stops the child. */
static void test_ignored_signal_stays_ignored(void **state)
{
	pid_t pid;
	int st;
	(void)state;

	signal(SIGHUP, SIG_IGN);
	pid = start_child(register_one);
	signal(SIGHUP, SIG_DFL);
	kill(pid, SIGHUP);
	usleep(100 * 1000);
	assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
	assert_true(exists("file-temp"));
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	alarm(0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	assert_false(exists("file-temp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signal_removes_registered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_removes_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_stops_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignored_signal_stays_ignored, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
