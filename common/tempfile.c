/* SPDX-License-Identifier: MIT */
/* Temporaries removed on SIGINT, SIGTERM and SIGHUP (see tempfile.h; as git's tempfile.c). */
#include "common/tempfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/vfs.h>

/* A slot is filled, then marked used; unmarked, then emptied: the handler, which only runs
 * on the registering thread, sees either nothing or a complete entry. */
struct slot {
	char *volatile name;
	volatile int dirfd;
	volatile int is_dir;
	volatile sig_atomic_t used;
};

static struct slot slots[DT_TEMP_SLOTS];
#define DT_TEMP_CHILDREN 64
static volatile pid_t children[DT_TEMP_CHILDREN]; /* 0: a free slot */
static pthread_t owner;
static const int handled[] = { SIGHUP, SIGINT, SIGTERM };

int dt_temp_add(int dirfd, const char *name, int is_dir)
{
	for (int i = 0; i < DT_TEMP_SLOTS; i++) {
		char *copy;
		if (slots[i].used)
			continue;
		if (!(copy = strdup(name)))
			return 0;
		slots[i].name = copy;
		slots[i].dirfd = dirfd;
		slots[i].is_dir = is_dir;
		slots[i].used = 1;
		return i + 1;
	}
	return 0;
}

/* Blocks the handled signals in this thread, saving the mask in @old. */
static void block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&set, handled[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

int dt_temp_mkstemp(char *tmpl, int flags, int *h)
{
	sigset_t old;
	int fd, e;

	block(&old);
	fd = mkostemp(tmpl, flags);
	e = errno;
	*h = fd >= 0 ? dt_temp_add(AT_FDCWD, tmpl, 0) : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return fd;
}

char *dt_temp_mkdtemp(char *tmpl, int *h)
{
	sigset_t old;
	char *r;
	int e;

	block(&old);
	r = mkdtemp(tmpl);
	e = errno;
	*h = r ? dt_temp_add(AT_FDCWD, tmpl, 1) : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}

int dt_temp_openat(int dirfd, const char *name, int flags, mode_t mode, int *h)
{
	sigset_t old;
	int fd, e;

	block(&old);
	fd = openat(dirfd, name, flags | O_CREAT, mode);
	e = errno;
	*h = fd >= 0 ? dt_temp_add(dirfd, name, 0) : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return fd;
}

int dt_temp_anon(const char *dir)
{
	sigset_t old;
	char *tmpl = NULL;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), e;

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if (asprintf(&tmpl, "%s/.distill-anon-XXXXXX", dir) < 0) {
		errno = ENOMEM;
		return -1;
	}
	block(&old);
	fd = mkostemp(tmpl, O_CLOEXEC);
	e = errno;
	if (fd >= 0)
		unlink(tmpl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(tmpl);
	errno = e;
	return fd;
}

void dt_temp_drop(int h)
{
	char *name;

	if (h < 1 || h > DT_TEMP_SLOTS || !slots[--h].used)
		return;
	slots[h].used = 0;
	name = slots[h].name;
	slots[h].name = NULL;
	free(name);
}

pid_t dt_temp_fork(void)
{
	sigset_t old;
	pid_t pid;
	int n;

	block(&old);
	for (n = 0; n < DT_TEMP_CHILDREN && children[n]; n++)
		;
	if (n == DT_TEMP_CHILDREN) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = EAGAIN;
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < DT_TEMP_SLOTS; i++)
			slots[i].used = 0;
		for (int i = 0; i < DT_TEMP_CHILDREN; i++)
			children[i] = 0;
	} else if (pid > 0) {
		children[n] = pid;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid;
}

void dt_temp_child_done(pid_t pid)
{
	for (int i = 0; i < DT_TEMP_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

/* dt_temp_remove_tree's walk: a directory deeper than RM_DEPTH is moved up to the top of
 * the tree (renamed beside what is left there) and removed from there, so that no more than
 * RM_DEPTH descriptors are open and the recursion stays shallow however deep the tree. */
#define RM_DEPTH 32

struct rm_walk {
	int topfd;         /* the tree's top directory, or -1 */
	unsigned moved;    /* directories moved up so far (their names) */
};

/* Removes @name in @dirfd, @depth levels down. @return 1 when it is gone (or moved up to be
 * removed later), 0 when it could not be. */
static int remove_at(struct rm_walk *w, int dirfd, const char *name, int depth)
{
	union {
		struct dirent64 de;
		char bytes[2048];
	} buf;
	ssize_t n = 0;
	int fd, progress;

	if (unlinkat(dirfd, name, 0) == 0)
		return 1;
	if (errno != EISDIR)
		return 0;
	if (depth >= RM_DEPTH && w->topfd >= 0) {
		/* ".distill-rm-N", without stdio: this also runs in a signal handler */
		char up[32] = ".distill-rm-", digits[12];
		size_t k = 0, len = strlen(up);
		unsigned v = w->moved++;
		do
			digits[k++] = (char)('0' + v % 10);
		while ((v /= 10) && k < sizeof(digits));
		while (k)
			up[len++] = digits[--k];
		up[len] = '\0';
		return renameat(dirfd, name, w->topfd, up) == 0;
	}
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	/* entries removed while the directory is read may hide others, and directories moved up
	 * from below appear at the top: read it again while that removes something (an entry
	 * that cannot be removed does not make it read again) */
	do {
		progress = 0;
		lseek(fd, 0, SEEK_SET);
		while ((n = getdents64(fd, buf.bytes, sizeof(buf.bytes))) > 0) {
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(void *)(buf.bytes + off);
				off += de->d_reclen;
				if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
					continue;
				progress |= remove_at(w, fd, de->d_name, depth + 1);
			}
		}
	} while (progress);
	close(fd);
	return unlinkat(dirfd, name, AT_REMOVEDIR) == 0;
}

void dt_temp_remove_tree(int dirfd, const char *name)
{
	struct rm_walk w = { .topfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
								 O_CLOEXEC) };

	remove_at(&w, dirfd, name, 0);
	if (w.topfd >= 0)
		close(w.topfd);
}

static void on_signal(int sig)
{
	int saved = errno;

	if (!pthread_equal(pthread_self(), owner)) {
		/* a worker thread: the owner, which creates the temporaries, cleans up */
		pthread_kill(owner, sig);
		errno = saved;
		return;
	}
	for (int i = 0; i < DT_TEMP_CHILDREN; i++)
		if (children[i] > 0)
			kill(children[i], sig);
	for (int i = 0; i < DT_TEMP_CHILDREN; i++)
		if (children[i] > 0)
			while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
				;
	for (int i = 0; i < DT_TEMP_SLOTS; i++)
		if (slots[i].used && slots[i].name && slots[i].is_dir)
			dt_temp_remove_tree(slots[i].dirfd, slots[i].name);
		else if (slots[i].used && slots[i].name)
			unlinkat(slots[i].dirfd, slots[i].name, 0);
	/* blocked until this handler returns, then the default action: the process stops */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

void dt_temp_on_signals(void)
{
	struct sigaction sa, old;

	owner = pthread_self();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&sa.sa_mask, handled[i]);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		/* a signal ignored on entry (nohup, a background job of a script) stays ignored */
		if (sigaction(handled[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(handled[i], &sa, NULL);
	}
}

const char *dt_temp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && t[0] == '/' ? t : "/tmp";
}

const char *dt_temp_tree_base(void)
{
	const char *t = getenv("TMPDIR");
	struct statfs fs;

	if (t && t[0] == '/')
		return t;
	if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
	    access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}
