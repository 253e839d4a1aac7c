/* SPDX-License-Identifier: MIT */
/* The tree model: scanning host directories and normalizing entries (see tree.h). */
#include "packer/archive/tree.h"

#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct pk_root {
	int fd;      /* O_PATH directory */
	char *name;  /* as given, without trailing slashes, for messages */
};

struct pk_tree {
	struct pk_entry *v;
	size_t n, cap;
	struct pk_root *roots;
	size_t nroots;
};

struct pk_tree *pk_tree_new(void)
{
	return calloc(1, sizeof(struct pk_tree));
}

static void entry_release(struct pk_entry *e)
{
	free(e->path);
	free(e->link);
	free(e->src);
	free(e->data);
}

void pk_tree_free(struct pk_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		entry_release(&t->v[i]);
	for (size_t i = 0; i < t->nroots; i++) {
		if (t->roots[i].fd >= 0)
			close(t->roots[i].fd);
		free(t->roots[i].name);
	}
	free(t->roots);
	free(t->v);
	free(t);
}

size_t pk_tree_count(const struct pk_tree *t)
{
	return t->n;
}

const struct pk_entry *pk_tree_entry(const struct pk_tree *t, size_t i)
{
	return &t->v[i];
}

uint64_t pk_tree_content_bytes(const struct pk_tree *t)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].type == PK_REG)
			sum += t->v[i].size;
	return sum;
}

void pk_tree_source_name(const struct pk_tree *t, const struct pk_entry *e, char *buf,
			 size_t len)
{
	if (e->root < 0)
		snprintf(buf, len, "%s", e->path);
	else if (e->src)
		snprintf(buf, len, "%s%s%s", t->roots[e->root].name,
			 strcmp(t->roots[e->root].name, "/") ? "/" : "", e->src);
	else
		snprintf(buf, len, "%s/%s", t->roots[e->root].name, e->path + e->src_off);
}

int pk_path_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

	while (*p && *p == *q)
		p++, q++;
	if (*p == *q)
		return 0;
	/* End of string, then "/", then every other byte: a per-directory bytewise order. */
	{
		int x = *p == '\0' ? 0 : *p == '/' ? 1 : *p + 2;
		int y = *q == '\0' ? 0 : *q == '/' ? 1 : *q + 2;
		return x - y;
	}
}

static struct pk_entry *tree_push(struct pk_tree *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct pk_entry *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	return &t->v[t->n++];
}

/* ---- scanning ---- */

struct fill {
	struct pk_tree *t;
	const struct pk_scan_opts *o;
	int root;
	size_t rel_off;
};

/* Each entry of a scanned directory, with its host metadata until pk_tree_normalize. */
static int fill_one(void *ctx, const struct pk_scan_item *it, struct dt_err *err)
{
	struct fill *f = ctx;
	const struct stat *st = it->st;
	struct pk_entry *e;

	if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
		return pk_scan_not_packed(f->o, f->t->roots[f->root].name, it, err);
	if (!(e = tree_push(f->t)))
		return dt_oom(err);
	e->root = f->root;
	e->src_off = f->rel_off;
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime = st->st_mtim.tv_sec;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->nlink = (uint32_t)st->st_nlink;
	e->type = S_ISREG(st->st_mode) ? PK_REG : S_ISLNK(st->st_mode) ? PK_SYMLINK : PK_DIR;
	if (e->type == PK_REG)
		e->size = (uint64_t)st->st_size;
	if (!(e->path = strdup(it->path)) || (it->link && !(e->link = strdup(it->link))))
		return dt_oom(err);
	return 0;
}

static int root_push(struct pk_tree *t, const char *dir, struct dt_err *err);

int pk_tree_add_dir(struct pk_tree *t, const char *dir, const struct pk_scan_opts *opts,
		    struct dt_err *err)
{
	const char *prefix = opts->prefix ? opts->prefix : "";
	size_t plen = strlen(prefix);
	struct fill f = { .t = t, .o = opts, .rel_off = plen };
	int rc;

	if ((rc = root_push(t, dir, err)) < 0)
		return rc;
	f.root = rc;
	if (plen > 1) {
		/* The prefix directory itself, even when DIR is empty (made by distill: its
		 * mtime becomes the epoch). */
		struct pk_entry *e = tree_push(t);
		if (!e || !(e->path = strndup(prefix, plen - 1)))
			return dt_oom(err);
		e->type = PK_DIR;
		e->root = -1;
		e->mode = 0755;
		e->mtime = INT64_MAX;
	}
	return pk_scan(t->roots[f.root].fd, t->roots[f.root].name, opts, fill_one, &f, err);
}

static int root_push(struct pk_tree *t, const char *dir, struct dt_err *err)
{
	struct pk_root *roots = realloc(t->roots, (t->nroots + 1) * sizeof(*roots)), *r;
	size_t dlen = strlen(dir);

	if (!roots)
		return dt_oom(err);
	t->roots = roots;
	r = &t->roots[t->nroots];
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	r->fd = -1;
	if (!(r->name = strndup(dir, dlen)))
		return dt_oom(err);
	t->nroots++;
	r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0)
		return dt_err_sys(err, errno, "cannot open directory '%s'", r->name);
	return (int)(t->nroots - 1);
}

int pk_tree_add_root(struct pk_tree *t, const char *dir, struct dt_err *err)
{
	return root_push(t, dir, err);
}

int pk_tree_add(struct pk_tree *t, const struct pk_entry *e, unsigned char *data,
		struct dt_err *err)
{
	struct pk_entry *n = tree_push(t);

	if (!n) {
		free(data);
		return dt_oom(err);
	}
	*n = *e;
	n->path = NULL;
	n->link = NULL;
	n->src = NULL;
	n->data = data;
	if (!(n->path = strdup(e->path)) || (e->link && !(n->link = strdup(e->link))) ||
	    (e->src && !(n->src = strdup(e->src)))) {
		entry_release(n);
		t->n--;
		return dt_oom(err);
	}
	return 0;
}

/* ---- normalizing ---- */

static int entry_cmp(const void *a, const void *b)
{
	const struct pk_entry *x = a, *y = b;
	int c = pk_path_cmp(x->path, y->path);
	if (c)
		return c;
	/* Equal paths: keep the order of the DIRs, so the first one wins. */
	return (x->root > y->root) - (x->root < y->root);
}

static uint32_t norm_mode(const struct pk_entry *e, const struct pk_norm *n)
{
	uint32_t mode;

	if (e->type == PK_SYMLINK)
		return 0777;
	if (n->keep_modes)
		mode = e->mode & 0777;
	else if (e->type == PK_DIR)
		mode = 0755;
	else
		mode = (e->mode & 0111) ? 0755 : 0644;
	if (n->keep_special)
		mode |= e->mode & 07000;
	return mode;
}

static const struct pk_entry *tree_find(const struct pk_tree *t, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = pk_path_cmp(t->v[mid].path, path);
		if (c == 0)
			return &t->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Adds the missing parents of every entry as directories distill makes itself. */
static int add_parents(struct pk_tree *t, const struct pk_norm *norm, struct dt_err *err)
{
	size_t sorted = t->n;

	for (size_t i = 0; i < sorted; i++) {
		char *parent = strdup(t->v[i].path), *slash;
		if (!parent)
			return dt_oom(err);
		while ((slash = strrchr(parent, '/'))) {
			const struct pk_entry *p;
			struct pk_entry *e;
			*slash = '\0';
			if ((p = tree_find(t, sorted, parent))) {
				if (p->type != PK_DIR) {
					int rc = dt_err_set(err, DT_EINPUT,
						"'%s' is not a directory, but '%s' is inside it",
						parent, t->v[i].path);
					free(parent);
					return rc;
				}
				break;
			}
			/* Not among the sorted entries: add it (duplicates merge later). */
			if (!(e = tree_push(t)) || !(e->path = strdup(parent))) {
				free(parent);
				return dt_oom(err);
			}
			e->type = PK_DIR;
			e->root = -1;
			e->mode = 0755;
			e->uid = norm->uid;
			e->gid = norm->gid;
			e->mtime = norm->epoch;
		}
		free(parent);
	}
	return 0;
}

/* Removes repeated paths: directories merge (the first wins), anything else is an error. */
static int merge_duplicates(struct pk_tree *t, struct dt_err *err)
{
	size_t w = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (w > 0 && strcmp(t->v[w - 1].path, t->v[i].path) == 0) {
			struct pk_entry *a = &t->v[w - 1], *b = &t->v[i];
			if (a->type != PK_DIR || b->type != PK_DIR) {
				char an[4200], bn[4200];
				pk_tree_source_name(t, a, an, sizeof(an));
				pk_tree_source_name(t, b, bn, sizeof(bn));
				dt_err_set(err, DT_EINPUT, "'%s' comes from both '%s' and '%s'",
					   a->path, an, bn);
				/* Keep the tree consistent (each entry once) for pk_tree_free. */
				memmove(&t->v[w], &t->v[i], (t->n - i) * sizeof(t->v[0]));
				t->n = w + (t->n - i);
				return -DT_EINPUT;
			}
			entry_release(b);
			continue;
		}
		t->v[w++] = t->v[i];
	}
	t->n = w;
	return 0;
}

static int inode_cmp(const void *a, const void *b)
{
	const struct pk_entry *const *x = a, *const *y = b;
	if ((*x)->dev != (*y)->dev)
		return (*x)->dev < (*y)->dev ? -1 : 1;
	if ((*x)->ino != (*y)->ino)
		return (*x)->ino < (*y)->ino ? -1 : 1;
	return (*x < *y) ? -1 : (*x > *y); /* position in the sorted tree */
}

/* The first name of a multiply-linked file in archive order keeps the content. */
static int link_hardlinks(struct pk_tree *t, struct dt_err *err)
{
	struct pk_entry **v;
	size_t m = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].type == PK_REG && t->v[i].nlink > 1 && t->v[i].root >= 0)
			m++;
	if (m < 2)
		return 0;
	if (!(v = malloc(m * sizeof(*v))))
		return dt_oom(err);
	m = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].type == PK_REG && t->v[i].nlink > 1 && t->v[i].root >= 0)
			v[m++] = &t->v[i];
	qsort(v, m, sizeof(*v), inode_cmp);
	for (size_t i = 1, first = 0; i < m; i++) {
		if (v[i]->dev != v[first]->dev || v[i]->ino != v[first]->ino) {
			first = i;
			continue;
		}
		if (!(v[i]->link = strdup(v[first]->path))) {
			free(v);
			return dt_oom(err);
		}
		v[i]->type = PK_HARDLINK;
		v[i]->size = 0;
	}
	free(v);
	return 0;
}

int pk_tree_normalize(struct pk_tree *t, const struct pk_norm *norm, struct dt_err *err)
{
	int rc;

	for (size_t i = 0; i < t->n; i++) {
		struct pk_entry *e = &t->v[i];
		if (e->fixed)
			continue;
		e->mode = norm_mode(e, norm);
		e->uid = norm->uid;
		e->gid = norm->gid;
		if (norm->mtime == PK_MTIME_SET || e->mtime > norm->epoch)
			e->mtime = norm->epoch;
		if (e->mtime < 0)
			e->mtime = 0; /* pre-1970 files are clamped to the epoch origin */
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(t->v[0]), entry_cmp);
	if ((rc = merge_duplicates(t, err)) < 0)
		return rc;
	if ((rc = add_parents(t, norm, err)) < 0)
		return rc;
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(t->v[0]), entry_cmp);
	if ((rc = merge_duplicates(t, err)) < 0)
		return rc;
	return link_hardlinks(t, err);
}

/* ---- reading content ---- */

int pk_tree_open(const struct pk_tree *t, const struct pk_entry *e, struct dt_err *err)
{
	char name[4200];
	struct stat st;
	int fd;

	pk_tree_source_name(t, e, name, sizeof(name));
	if (e->root < 0)
		return dt_err_set(err, DT_EINPUT, "'%s' has no content source", e->path);
	/* O_NOATIME: reading an input does not write to its inode */
	fd = dt_open_beneath(t->roots[e->root].fd, e->src ? e->src : e->path + e->src_off,
			     O_RDONLY | O_NOATIME);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP || errno == EXDEV)
			return dt_err_set(err, DT_ECHANGED,
				"'%s' vanished or was replaced while distill was reading it", name);
		return dt_err_sys(err, errno, "cannot open '%s'", name);
	}
	if (fstat(fd, &st) < 0) {
		int rc = dt_err_sys(err, errno, "cannot stat '%s'", name);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_dev != e->dev ||
	    (uint64_t)st.st_ino != e->ino || (uint64_t)st.st_size != e->size) {
		close(fd);
		return dt_err_set(err, DT_ECHANGED,
				  "'%s' changed while distill was reading it", name);
	}
	return fd;
}
