/* SPDX-License-Identifier: MIT */
/* Planning an image: every path with its metadata, source, owning package and content hash
 * (see image.h); the lock is the plan written down. */
#include "packer/image/image.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "deps/machine.h"
#include "deps/resolve.h"
#include "manifest/dlopen_note.h"
#include "debian/dpkg.h"
#include "debian/deb.h"
#include "packer/image/plan.h"

/* Which source of a path wins when two give it (lower first). */
enum { PRIO_SKELETON, PRIO_FILES, PRIO_BINARY, PRIO_CLOSURE, PRIO_PACKAGE, PRIO_PARENT };

#define NSSWITCH_CONF                                                                      \
	"passwd: files\ngroup: files\nshadow: files\ngshadow: files\n"                     \
	"hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"           \
	"ethers: files\nrpc: files\n"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

int pk_image_format_parse(const char *name, enum pk_image_format *out)
{
	static const char *const names[] = { "oci", "oci-archive", "docker-archive", "rootfs" };

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum pk_image_format)i;
			return 0;
		}
	return -1;
}

static void entry_release(struct img_entry *e)
{
	free(e->path);
	free(e->link);
	free(e->src);
	free(e->data);
	free(e->source);
	free(e->pkg);
	free(e->pkg_version);
}

void pk_image_free(struct pk_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->n; i++)
		entry_release(&img->v[i]);
	free(img->v);
	for (size_t i = 0; i < img->ndebs; i++) {
		free(img->debs[i].name);
		free(img->debs[i].version);
		free(img->debs[i].architecture);
		free(img->debs[i].file);
	}
	free(img->debs);
	for (int i = 0; i < img->nroots; i++)
		free(img->roots[i]);
	for (size_t i = 0; i < img->nenv; i++)
		free(img->env[i]);
	free(img->env);
	free(img->user);
	free(img->os);
	free(img->arch);
	free(img->variant);
	free(img);
}

size_t pk_image_count(const struct pk_image *img)
{
	return img->n;
}

uint64_t pk_image_bytes(const struct pk_image *img)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < img->n; i++)
		if (img->v[i].type == MF_LOCK_REG)
			sum += img->v[i].size;
	return sum;
}

/* A new zeroed entry at the end (valid until the next push). */
static struct img_entry *push(struct pk_image *img, const char *path, enum mf_lock_type type,
			      enum mf_lock_layer layer, int prio, const char *source)
{
	struct img_entry *e;

	if (img->n == img->cap) {
		size_t cap = img->cap ? img->cap * 2 : 256;
		struct img_entry *v = realloc(img->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		img->v = v;
		img->cap = cap;
	}
	e = &img->v[img->n];
	memset(e, 0, sizeof(*e));
	e->root = -1;
	e->type = type;
	e->layer = layer;
	e->prio = prio;
	if (!(e->path = strdup(path)) || !(e->source = strdup(source))) {
		entry_release(e);
		return NULL;
	}
	img->n++;
	return e;
}

static int add_dir(struct pk_image *img, const char *path, uint32_t mode, uint32_t uid,
		   uint32_t gid, enum mf_lock_layer layer, int prio, struct dt_err *err)
{
	struct img_entry *e = push(img, path, MF_LOCK_DIR, layer, prio, "distill");

	if (!e)
		return dt_oom(err);
	e->mode = mode;
	e->uid = uid;
	e->gid = gid;
	return 0;
}

/* A file distill writes itself, from @len bytes of @text. */
static int add_text(struct pk_image *img, const char *path, const char *text, size_t len,
		    uint32_t mode, enum mf_lock_layer layer, struct dt_err *err)
{
	struct img_entry *e = push(img, path, MF_LOCK_REG, layer, PRIO_SKELETON, "distill");

	if (!e || (len && !(e->data = malloc(len))))
		return dt_oom(err);
	memcpy(e->data, text, len);
	e->size = len;
	e->mode = mode;
	dt_sha256(text, len, e->sha256);
	return 0;
}

/* ---- host files ---- */


/* SHA-256 (and MD5, for dpkg's md5sums) of a file in one read; the bytes read go to
 * *@len. */
static int hash_fd(int fd, const char *name, unsigned char *out, unsigned char *md5,
		   uint64_t *len, struct dt_err *err)
{
	struct dt_hash *c = dt_hash_new(DT_HASH_SHA256, err), *m = c ? dt_hash_new(DT_HASH_MD5, err) : NULL;
	char buf[1 << 16];
	int rc = 0;

	if (!c || !m) {
		dt_hash_free(c);
		return -DT_ELIB;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dt_err_sys(err, errno, "cannot read '%s'", name);
			break;
		}
		if (n == 0)
			break;
		dt_hash_update(c, buf, (size_t)n);
		dt_hash_update(m, buf, (size_t)n);
		*len += (uint64_t)n;
	}
	if (rc == 0) {
		dt_hash_final(c, out);
		dt_hash_final(m, md5);
	}
	dt_hash_free(c);
	dt_hash_free(m);
	return rc;
}

static uint32_t host_mode(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return 0755;
	if (S_ISLNK(st->st_mode))
		return 0777;
	return (st->st_mode & 0111) ? 0755 : 0644;
}

/* Adds the file, symlink or (empty) directory at @rel (relative, no symlinks in its parents)
 * of content root @root as image path @path. @shown names it in messages. */
static int add_host(struct pk_image *img, int root, const char *rel, const char *path,
		    enum mf_lock_layer layer, int prio, const char *source, struct dt_err *err)
{
	char shown[4200], *parent = strdup(rel), *slash;
	const char *leaf = rel;
	struct img_entry *e = NULL;
	struct stat st;
	int dfd, fd, rc = 0;

	snprintf(shown, sizeof(shown), "%s%s%s", img->roots[root],
		 strcmp(img->roots[root], "/") ? "/" : "", rel);
	if (!parent)
		return dt_oom(err);
	dfd = open(img->roots[root], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0 && (slash = strrchr(parent, '/'))) {
		int sub;
		*slash = '\0';
		leaf = rel + (slash - parent) + 1;
		sub = dt_open_beneath(dfd, parent, O_PATH | O_DIRECTORY);
		close(dfd);
		dfd = sub;
	}
	free(parent);
	if (dfd < 0)
		return dt_err_sys(err, errno, "cannot open the directory of '%s'", shown);
	if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = dt_err_sys(err, errno, "cannot stat '%s'", shown);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		e = push(img, path, MF_LOCK_DIR, layer, prio, source);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4097];
		ssize_t n = readlinkat(dfd, leaf, target, sizeof(target) - 1);
		if (n < 0) {
			rc = dt_err_sys(err, errno, "cannot read symlink '%s'", shown);
			goto out;
		}
		target[n] = '\0';
		struct stat to;
		if (!(e = push(img, path, MF_LOCK_SYMLINK, layer, prio, source)) ||
		    !(e->link = strdup(target)))
			goto nomem;
		e->link_to_dir = fstatat(dfd, leaf, &to, 0) == 0 && S_ISDIR(to.st_mode);
	} else if (S_ISREG(st.st_mode)) {
		if (!(e = push(img, path, MF_LOCK_REG, layer, prio, source)) ||
		    !(e->src = strdup(rel)))
			goto nomem;
		e->root = root;
		e->size = (uint64_t)st.st_size;
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		if ((fd = dt_open_beneath(dfd, leaf, O_RDONLY | O_NOATIME)) < 0) {
			rc = dt_err_sys(err, errno, "cannot open '%s'", shown);
			goto out;
		}
		{
			uint64_t got = 0;
			rc = hash_fd(fd, shown, e->sha256, e->md5, &got, err);
			/* a /proc or /sys file says size 0 and has content: refused, not packed
			 * empty; any other mismatch is a file that changed while read */
			if (rc == 0 && got != e->size)
				rc = dt_err_set(err, DT_ECHANGED,
						"'%s': its size is %" PRIu64 " bytes but %" PRIu64
						" were read: it changed while distill was reading it, "
						"or it is not an ordinary file (/proc, /sys)",
						shown, e->size, got);
		}
		e->has_md5 = rc == 0;
		close(fd);
		if (rc < 0)
			goto out;
	} else {
		rc = dt_err_set(err, DT_EINPUT, "'%s' is not a regular file, directory or symlink",
				shown);
		goto out;
	}
	if (!e)
		goto nomem;
	e->root = root; /* also for directories and symlinks: whose dpkg database owns them */
	e->mode = host_mode(&st);
	goto out;
nomem:
	rc = dt_oom(err);
out:
	close(dfd);
	return rc;
}

/* ---- skeleton ---- */

static int str_append(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int str_append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *more = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	{
		char *b = realloc(*buf, *len + (size_t)n + 1);
		if (!b) {
			free(more);
			return -1;
		}
		memcpy(b + *len, more, (size_t)n + 1);
		*buf = b;
		*len += (size_t)n;
	}
	free(more);
	return 0;
}

/* The os-release of the root, renamed "Distroless"; a minimal one when it has none. */
static int os_release(struct pk_image *img, const struct deps_root *root, char **out,
		      size_t *len, struct dt_err *err)
{
	static const char *const keep[] = { "NAME=", "VERSION_ID=", "VERSION=",
					    "VERSION_CODENAME=", "ID=", "HOME_URL=",
					    "SUPPORT_URL=", "BUG_REPORT_URL=" };
	char *real = NULL, buf[8192];
	ssize_t n = 0;
	int rc, fd;

	(void)img;
	*out = NULL;
	*len = 0;
	if (str_append(out, len, "PRETTY_NAME=\"Distroless\"\n") < 0)
		return dt_oom(err);
	rc = deps_root_resolve(root, "/etc/os-release", NULL, &real, err);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return 0;
	fd = deps_root_open_file(root, real);
	free(real);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strncmp(l, keep[i], strlen(keep[i])) == 0 &&
			    str_append(out, len, "%s\n", l) < 0)
				return dt_oom(err);
	return 0;
}

static int skeleton(struct pk_image *img, const struct deps_root *root, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	char *pw = NULL, *gr = NULL, *osr = NULL;
	size_t pwl = 0, grl = 0, osl = 0;
	int rc = -DT_ENOMEM;

	for (size_t i = 0; s->base == MF_BASE_DISTROLESS && i < MF_DISTROLESS_NUSERS; i++) {
		const struct mf_builtin_user *u = &mf_distroless_users[i];
		if (str_append(&pw, &pwl, "%s:x:%u:%u:%s:%s:/sbin/nologin\n", u->name, u->id,
			       u->id, u->name, u->home) < 0 ||
		    str_append(&gr, &grl, "%s:x:%u:\n", u->name, u->id) < 0)
			goto out;
	}
	for (size_t i = 0; i < s->nusers; i++) {
		const struct mf_user *u = &s->users[i];
		char home[4200];
		snprintf(home, sizeof(home), "%s", u->home ? u->home : "");
		if (!u->home)
			snprintf(home, sizeof(home), "/home/%s", u->name);
		if (str_append(&pw, &pwl, "%s:x:%u:%u:%s:%s:%s\n", u->name, u->uid, u->gid, u->name,
			       home, u->shell ? u->shell : "/sbin/nologin") < 0)
			goto out;
		if ((rc = add_dir(img, home, 0700, u->uid, u->gid, MF_LAYER_BASE, PRIO_SKELETON,
				  err)) < 0)
			goto out;
		rc = -DT_ENOMEM;
	}
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct mf_group *g = &s->groups[i];
		if (str_append(&gr, &grl, "%s:x:%u:", g->name, g->gid) < 0)
			goto out;
		for (size_t j = 0; j < g->nmembers; j++)
			if (str_append(&gr, &grl, "%s%s", j ? "," : "", g->members[j]) < 0)
				goto out;
		if (str_append(&gr, &grl, "\n") < 0)
			goto out;
	}
	if (pw && (rc = add_text(img, "/etc/passwd", pw, pwl, 0644, MF_LAYER_BASE, err)) < 0)
		goto out;
	if (gr && (rc = add_text(img, "/etc/group", gr, grl, 0644, MF_LAYER_BASE, err)) < 0)
		goto out;
	rc = 0;
	if (s->base == MF_BASE_DISTROLESS) {
		if ((rc = add_text(img, "/etc/nsswitch.conf", NSSWITCH_CONF, strlen(NSSWITCH_CONF),
				   0644, MF_LAYER_BASE, err)) < 0 ||
		    (rc = os_release(img, root, &osr, &osl, err)) < 0 ||
		    (rc = add_text(img, "/etc/os-release", osr, osl, 0644, MF_LAYER_BASE, err)) < 0 ||
		    (rc = add_dir(img, "/tmp", 01777, 0, 0, MF_LAYER_BASE, PRIO_SKELETON, err)) < 0 ||
		    (rc = add_dir(img, "/root", 0700, 0, 0, MF_LAYER_BASE, PRIO_SKELETON, err)) < 0 ||
		    (rc = add_dir(img, MF_DISTROLESS_DEFAULT->home, 0700, MF_DISTROLESS_DEFAULT->id,
				  MF_DISTROLESS_DEFAULT->id, MF_LAYER_BASE, PRIO_SKELETON, err)) < 0)
			goto out;
	}
	if (s->certificates) {
		char *real = NULL, source[4200];
		rc = deps_root_resolve(root, CA_BUNDLE, NULL, &real, err);
		if (rc == 1)
			rc = dt_err_set(err, DT_EINPUT,
					"%s: certificates: true, but '%s%s' does not exist", s->file,
					strcmp(s->root, "/") ? s->root : "", CA_BUNDLE);
		if (rc < 0)
			goto out;
		snprintf(source, sizeof(source), "host:%s", real);
		rc = add_host(img, 0, real + 1, CA_BUNDLE, MF_LAYER_BASE, PRIO_SKELETON, source,
			      err);
		free(real);
	}
out:
	free(pw);
	free(gr);
	free(osr);
	return rc;
}

/* ---- binaries and their closures ---- */

/* "host:./rel" for paths below the spec's directory, so locks do not carry host paths. */
static void host_source(const struct pk_image *img, const char *path, char *buf, size_t len)
{
	const char *dir = img->spec->dir;
	size_t dl = strlen(dir);

	if (strcmp(img->spec->root, "/") == 0 && strncmp(path, dir, dl) == 0 && path[dl] == '/')
		snprintf(buf, len, "host:./%s", path + dl + 1);
	else
		snprintf(buf, len, "host:%s", path);
}

static int set_platform(struct pk_image *img, const struct deps_elf *elf, const char *input,
			struct dt_err *err)
{
	const struct deps_machine *m = deps_machine_find(elf->machine, elf->elf_class);

	if (!m)
		return dt_err_set(err, DT_EINPUT, "%s: '%s': unsupported ELF machine %u",
				  img->spec->file, input, elf->machine);
	if (img->arch) {
		if (strcmp(img->arch, m->oci_arch) != 0)
			return dt_err_set(err, DT_EINPUT,
					  "%s: '%s' is %s, but the image is %s/%s", img->spec->file,
					  input, m->oci_arch, img->os, img->arch);
		return 0;
	}
	if (!(img->os = strdup("linux")) || !(img->arch = strdup(m->oci_arch)) ||
	    (m->oci_variant && !(img->variant = strdup(m->oci_variant))))
		return dt_oom(err);
	return 0;
}

static void warn_msg(const struct pk_plan_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn_msg(const struct pk_plan_opts *o, const char *fmt, ...)
{
	char msg[8400];
	va_list ap;

	if (!o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->warn_ctx, msg);
}

static char *join_link(const char *at, const char *link, const char *rest);

/* Whether @path lies in the spec's directory (a project file, with root "/"). */
static int in_project(const struct pk_image *img, const char *path)
{
	size_t dl = strlen(img->spec->dir);

	return strcmp(img->spec->root, "/") == 0 && strncmp(path, img->spec->dir, dl) == 0 &&
	       (path[dl] == '/' || img->spec->dir[dl - 1] == '/');
}

/* @path relative to the directory of @from ("../lib/x"); malloc'd, or NULL. */
static char *relative_to(const char *from, const char *path)
{
	size_t common = 0, ups = 0;
	char *out;

	for (size_t i = 0; from[i] && from[i] == path[i]; i++)
		if (from[i] == '/')
			common = i + 1;
	for (const char *p = from + common; *p; p++)
		ups += *p == '/';
	if (!(out = malloc(ups * 3 + strlen(path + common) + 1)))
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < ups; i++)
		strcat(out, "../");
	strcat(out, path + common);
	return out;
}

static int closure(struct pk_image *img, const struct pk_plan_opts *po, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	struct deps_opts o = { .root = s->root, .dlopen_parse = mf_dlopen_note_parse };
	struct deps_result *r = NULL;
	const char **inputs;
	char source[4200];
	int rc;

	if (s->nbinaries == 0)
		return 0;
	o.runtime = s->runtime == MF_RUNTIME_AUTO ? DEPS_RUNTIME_AUTO : DEPS_RUNTIME_OFF;
	o.nsswitch = s->base == MF_BASE_DISTROLESS ? NSSWITCH_CONF : "";
	if (!(inputs = calloc(s->nbinaries, sizeof(*inputs))))
		return dt_oom(err);
	for (size_t i = 0; i < s->nbinaries; i++)
		inputs[i] = s->binaries[i].path;
	rc = deps_resolve(&o, inputs, s->nbinaries, &r, err);
	free(inputs);
	if (rc < 0) {
		dt_err_prefix(err, "%s: binaries", s->file);
		return rc;
	}
	if (r->missing.n) {
		rc = dt_err_set(err, DT_EINPUT, "%s: binaries: %zu shared librar%s not found in '%s': %s%s",
				s->file, r->missing.n, r->missing.n == 1 ? "y" : "ies", s->root,
				r->missing.v[0], r->missing.n > 1 ? ", ..." : "");
		goto out;
	}
	for (size_t p = 0; p < r->nprocs; p++) {
		const struct deps_obj *in = &r->procs[p].objs[0];
		if ((rc = set_platform(img, in->elf, r->procs[p].input, err)) < 0)
			goto out;
		for (size_t i = 0; i < r->procs[p].nruntime; i++)
			if (!r->procs[p].runtime[i].path)
				warn_msg(po, "%s: run-time load not found: %s (%s)", s->file,
					 r->procs[p].runtime[i].name, r->procs[p].runtime[i].reason);
	}
	for (size_t i = 0; i < r->files.n; i++) {
		const char *path = r->files.v[i];
		char mapped[8400];
		const char *dst = path;
		enum mf_lock_layer layer = MF_LAYER_BASE;
		int prio = PRIO_CLOSURE;
		int best = 0;
		for (size_t b = 0; b < r->nprocs; b++) {
			const char *real = r->procs[b].objs[0].real, *bdst = s->binaries[b].dst;
			/* The binaries themselves (their real files) make the app layer. */
			if (strcmp(real, path) == 0) {
				layer = MF_LAYER_APP;
				prio = PRIO_BINARY;
				if (bdst)
					dst = bdst;
				break;
			}
			/* A project binary placed elsewhere takes the project's files it loads
			 * along, at the same place relative to it ($ORIGIN keeps working). */
			if (bdst && !best && in_project(img, real) && in_project(img, path)) {
				char *rel = relative_to(real, path), *np;
				if (!rel || !(np = join_link(bdst, rel, ""))) {
					free(rel);
					rc = dt_oom(err);
					goto out;
				}
				snprintf(mapped, sizeof(mapped), "%s", np);
				free(np);
				free(rel);
				dst = mapped;
				best = 1;
				layer = MF_LAYER_APP;
			}
		}
		host_source(img, path, source, sizeof(source));
		if ((rc = add_host(img, 0, path + 1, dst, layer, prio, source, err)) < 0)
			goto out;
	}
out:
	deps_result_free(r);
	return rc;
}

/* ---- declared files ---- */

static int add_file_tree(struct pk_image *img, const struct mf_file *f, const char *real,
			 const char *dst, struct dt_err *err);

static int apply_file_opts(struct pk_image *img, size_t from, const struct mf_file *f)
{
	for (size_t i = from; i < img->n; i++) {
		struct img_entry *e = &img->v[i];
		if (f->mode >= 0 && e->type == MF_LOCK_REG)
			e->mode = (uint32_t)f->mode;
		if (f->uid >= 0)
			e->uid = (uint32_t)f->uid;
		if (f->gid >= 0)
			e->gid = (uint32_t)f->gid;
	}
	return 0;
}

static int files(struct pk_image *img, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;

	for (size_t i = 0; i < s->nfiles; i++) {
		const struct mf_file *f = &s->files[i];
		char *real = realpath(f->src, NULL);
		size_t from = img->n;
		int rc;
		if (!real)
			return dt_err_sys(err, errno, "%s:%d: files[%zu]: cannot use '%s'", s->file,
					  f->line, i, f->src);
		rc = add_file_tree(img, f, real, f->dst, err);
		free(real);
		if (rc < 0)
			return rc;
		apply_file_opts(img, from, f);
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @real: an absolute host path without symlinks in it (its last component may be one). */
static int add_file_tree(struct pk_image *img, const struct mf_file *f, const char *real,
			 const char *dst, struct dt_err *err)
{
	char *source = malloc(PATH_MAX + 16); /* on the heap: this recurses */
	struct stat st;
	DIR *d;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc, root = -1, fd = -1, dir = -1;

	if (!source)
		return dt_oom(err);
	host_source(img, real, source, PATH_MAX + 16);
	rc = add_host(img, img->nroots - 1, real + 1, dst, MF_LAYER_APP, PRIO_FILES, source, err);
	free(source);
	if (rc < 0)
		return rc;
	/* by descriptor, beneath the root: a tree may be deeper than PATH_MAX */
	if ((root = open(img->roots[img->nroots - 1], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (fd = dt_open_beneath(root, real + 1, O_PATH)) < 0 || fstat(fd, &st) < 0) {
		rc = dt_err_sys(err, errno, "cannot read directory '%s'", real);
		goto closefds;
	}
	if (!S_ISDIR(st.st_mode))
		goto closefds;
	if ((dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(d = fdopendir(dir))) {
		rc = dt_err_sys(err, errno, "cannot read directory '%s'", real);
		if (dir >= 0)
			close(dir);
		goto closefds;
	}
	close(fd);
	close(root);
	fd = root = -1;
	for (struct dirent *de; (de = readdir(d));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*v));
			if (!v)
				goto nomem;
			names = v;
		}
		if (!(names[n] = strdup(de->d_name)))
			goto nomem;
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *sub = NULL, *subdst = NULL;
		if (asprintf(&sub, "%s/%s", real, names[i]) < 0 ||
		    asprintf(&subdst, "%s/%s", dst, names[i]) < 0) {
			free(sub);
			rc = dt_oom(err);
			break;
		}
		rc = add_file_tree(img, f, sub, subdst, err);
		free(sub);
		free(subdst);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
closefds:
	if (fd >= 0)
		close(fd);
	if (root >= 0)
		close(root);
	return rc;
nomem:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return dt_oom(err);
}

/* ---- packages ---- */

struct deb_filter {
	const struct mf_package *p;
};

static int glob_match(const char *pat, const char *path)
{
	char buf[4200];
	char *slash;

	if (fnmatch(pat, path, FNM_PATHNAME) == 0)
		return 1;
	/* A pattern naming a directory takes its whole subtree. */
	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/')) && slash != buf) {
		*slash = '\0';
		if (fnmatch(pat, buf, FNM_PATHNAME) == 0)
			return 1;
	}
	return 0;
}

static int deb_keep(void *ctx, const char *path)
{
	const struct mf_package *p = ((struct deb_filter *)ctx)->p;
	int keep = p->npaths == 0;

	for (size_t i = 0; !keep && i < p->npaths; i++)
		keep = glob_match(p->paths[i], path);
	for (size_t i = 0; keep && i < p->nexcludes; i++)
		keep = !glob_match(p->excludes[i], path);
	return keep;
}

/* The .deb of @p in @dir: "<name>_*.deb" files whose control names the package. */
static int find_deb(const char *dir, const struct mf_spec *s, const struct mf_package *p,
		    char **out, struct dt_err *err)
{
	size_t nl = strlen(p->name), found = 0;
	char versions[2048] = "";
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	if (!d)
		return dt_err_sys(err, errno, "%s:%d: packages: cannot read directory '%s'", s->file,
				  p->line, dir);
	for (struct dirent *de; (de = readdir(d));) {
		size_t l = strlen(de->d_name);
		char **v;
		if (strncmp(de->d_name, p->name, nl) != 0 || de->d_name[nl] != '_' || l < 4 ||
		    strcmp(de->d_name + l - 4, ".deb") != 0)
			continue;
		if (!(v = realloc(names, (n + 1) * sizeof(*v))) || !(v[n] = strdup(de->d_name))) {
			if (v)
				names = v;
			closedir(d);
			rc = dt_oom(err);
			goto out;
		}
		names = v;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct deb_package *deb = NULL;
		char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			rc = dt_oom(err);
			goto out;
		}
		if ((rc = deb_package_read_control(path, &deb, err)) < 0) {
			free(path);
			goto out;
		}
		if (strcmp(deb->package, p->name) == 0 &&
		    (!p->version || strcmp(deb->version, p->version) == 0)) {
			found++;
			snprintf(versions + strlen(versions), sizeof(versions) - strlen(versions),
				 "%s%s", found > 1 ? ", " : "", deb->version);
			free(*out);
			*out = path;
			path = NULL;
		}
		free(path);
		deb_package_free(deb);
	}
	if (found == 0)
		rc = dt_err_set(err, DT_EINPUT, "%s:%d: packages: no .deb of '%s'%s%s in '%s'",
				s->file, p->line, p->name, p->version ? " version " : "",
				p->version ? p->version : "", dir);
	else if (found > 1)
		rc = dt_err_set(err, DT_EINPUT,
				"%s:%d: packages: '%s' has several .debs in '%s' (%s): pin one "
				"with version", s->file, p->line, p->name, dir, versions);
out:
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int add_deb(struct pk_image *img, struct deb_package *deb, const char *file,
		   const struct mf_package *p, struct dt_err *err)
{
	struct mf_lock_deb *ld;
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	if (!(ld = realloc(img->debs, (img->ndebs + 1) * sizeof(*ld))))
		return dt_oom(err);
	img->debs = ld;
	ld = &img->debs[img->ndebs++];
	memset(ld, 0, sizeof(*ld));
	if (!(ld->name = strdup(deb->package)) || !(ld->version = strdup(deb->version)) ||
	    !(ld->architecture = strdup(deb->architecture)) || !(ld->file = strdup(base)))
		return dt_oom(err);
	dt_hex(deb->sha256, DT_SHA256_LEN, ld->sha256);
	ld->size = deb->file_size;
	for (size_t i = 0; i < deb->nentries; i++) {
		struct deb_member *de = &deb->entries[i];
		static const enum mf_lock_type types[] = { MF_LOCK_DIR, MF_LOCK_REG, MF_LOCK_SYMLINK,
							   MF_LOCK_HARDLINK };
		char source[8400];
		struct img_entry *e;
		/* With path globs, only the directories they name; parents are added anyway. */
		if (de->type == DEB_DIR && p->npaths && !deb_keep(&(struct deb_filter){ p },
								   de->path))
			continue;
		snprintf(source, sizeof(source), "deb:%s@%s:%s", deb->package, deb->version,
			 de->path);
		if (!(e = push(img, de->path, types[de->type], MF_LAYER_BASE, PRIO_PACKAGE, source)))
			return dt_oom(err);
		e->mode = de->mode & 0777; /* setuid, setgid and sticky bits are dropped */
		e->uid = de->uid;
		e->gid = de->gid;
		if (de->link && !(e->link = strdup(de->link)))
			return dt_oom(err);
		if (!(e->pkg = strdup(deb->package)) || !(e->pkg_version = strdup(deb->version)))
			return dt_oom(err);
		if (de->type == DEB_REG) {
			e->size = de->size;
			e->data = de->data;
			de->data = NULL;
			memcpy(e->sha256, de->sha256, 32);
		}
	}
	return 0;
}

/* status.d stanzas of the packages read from .debs, by name. */
struct stanzas {
	char **name, **text;
	size_t n;
};

static int packages(struct pk_image *img, const struct pk_plan_opts *o, struct stanzas *st,
		    struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	const char *dir = o->debs ? o->debs : s->debs;

	if (s->npackages && !dir)
		return dt_err_set(err, DT_EINPUT,
				  "%s:%d: packages: no directory of .deb files (set debs in the "
				  "spec, or --debs DIR)", s->file, s->packages[0].line);
	for (size_t i = 0; i < s->npackages; i++) {
		const struct mf_package *p = &s->packages[i];
		struct deb_filter f = { p };
		struct deb_package *deb = NULL;
		char *file = NULL, **nv, **tv;
		int rc;
		if ((rc = find_deb(dir, s, p, &file, err)) < 0)
			return rc;
		rc = deb_package_read(file, deb_keep, &f, &deb, err);
		if (rc == 0)
			rc = add_deb(img, deb, file, p, err);
		if (rc == 0) {
			if (!(nv = realloc(st->name, (st->n + 1) * sizeof(*nv))))
				rc = dt_oom(err);
			else if (st->name = nv, !(tv = realloc(st->text, (st->n + 1) * sizeof(*tv))))
				rc = dt_oom(err);
			else {
				st->text = tv;
				st->name[st->n] = strdup(deb->package);
				st->text[st->n] = strdup(deb->control);
				st->n++;
				if (!st->name[st->n - 1] || !st->text[st->n - 1])
					rc = dt_oom(err);
			}
		}
		free(file);
		deb_package_free(deb);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- merging ---- */

static int entry_cmp(const void *a, const void *b)
{
	const struct img_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return (x->prio > y->prio) - (x->prio < y->prio);
}

/* The entry at @path among the first @n entries (sorted by path). */
static struct img_entry *find_in(const struct pk_image *img, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(img->v[mid].path, path);
		if (c == 0)
			return &img->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct img_entry *img_find(const struct pk_image *img, const char *path)
{
	return find_in(img, img->n, path);
}

/* Joins @link (a symlink at @at) and @rest into a normalized absolute path: ".." stops at
 * the image root, an absolute target restarts there. */
static char *join_link(const char *at, const char *link, const char *rest)
{
	char *buf, *out, *save = NULL, *tok;
	size_t len = strlen(at) + strlen(link) + strlen(rest) + 4;

	if (!(buf = malloc(len)) || !(out = malloc(len))) {
		free(buf);
		return NULL;
	}
	if (link[0] == '/') {
		snprintf(buf, len, "%s/%s", link, rest);
	} else {
		const char *slash = strrchr(at, '/');
		snprintf(buf, len, "%.*s/%s/%s", (int)(slash - at), at, link, rest);
	}
	out[0] = '\0';
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			char *s = strrchr(out, '/');
			if (s)
				*s = '\0';
			continue;
		}
		strcat(out, "/");
		strcat(out, tok);
	}
	free(buf);
	if (!out[0])
		strcpy(out, "/");
	return out;
}

struct link_ref {
	char *path, *link;
};

static int link_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct link_ref *)a)->path, ((const struct link_ref *)b)->path);
}

/* Paths below a symlink of the image are moved to where the symlink leads, as dpkg writes
 * through /lib -> usr/lib on a merged-/usr system. */
static int through_symlinks(struct pk_image *img, int *moved, struct dt_err *err)
{
	struct link_ref *links = NULL;
	size_t nl = 0;
	int rc = 0;

	*moved = 0;
	for (size_t i = 0; i < img->n; i++)
		nl += img->v[i].type == MF_LOCK_SYMLINK;
	if (nl == 0)
		return 0;
	if (!(links = calloc(nl, sizeof(*links))))
		return dt_oom(err);
	nl = 0;
	for (size_t i = 0; i < img->n; i++)
		if (img->v[i].type == MF_LOCK_SYMLINK) {
			links[nl].path = img->v[i].path;
			links[nl++].link = img->v[i].link;
		}
	if (nl > 1)
		qsort(links, nl, sizeof(*links), link_ref_cmp);
	/* Moving only entries that are not symlinks keeps @links valid. */
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		struct img_entry *e = &img->v[i];
		if (e->type == MF_LOCK_SYMLINK)
			continue;
		for (int hops = 0;; hops++) {
			char *p = strdup(e->path), *slash, *np;
			struct link_ref key, *l = NULL;
			if (!p) {
				rc = dt_oom(err);
				break;
			}
			for (slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
				*slash = '\0';
				key.path = p;
				l = bsearch(&key, links, nl, sizeof(*links), link_ref_cmp);
				if (l)
					break;
				*slash = '/';
			}
			if (!l) {
				free(p);
				break;
			}
			if (hops >= 40) {
				free(p);
				rc = dt_err_set(err, DT_EINPUT,
						"'%s': too many levels of symlinks in the image",
						e->path);
				break;
			}
			np = join_link(p, l->link, slash + 1);
			free(p);
			if (!np) {
				rc = dt_oom(err);
				break;
			}
			free(e->path);
			e->path = np;
			*moved = 1;
		}
	}
	free(links);
	return rc;
}

static int same_content(const struct img_entry *a, const struct img_entry *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == MF_LOCK_SYMLINK || a->type == MF_LOCK_HARDLINK)
		return strcmp(a->link, b->link) == 0;
	if (a->type == MF_LOCK_REG)
		return a->size == b->size && memcmp(a->sha256, b->sha256, 32) == 0;
	return 1;
}

/* One entry per path: directories merge (the first source wins; a symlink wins over a
 * directory, as dpkg keeps /lib -> usr/lib), identical files merge, anything else is an
 * error naming both sources. Needs img->v sorted. */
static int dedupe(struct pk_image *img, struct dt_err *err)
{
	size_t w = 0;

	for (size_t i = 0; i < img->n; i++) {
		struct img_entry *a = w ? &img->v[w - 1] : NULL, *b = &img->v[i];
		if (a && strcmp(a->path, b->path) == 0) {
			if (a->type == MF_LOCK_DIR && b->type == MF_LOCK_SYMLINK) {
				struct img_entry t = *a;
				*a = *b;
				*b = t;
			} else if (!(a->type == MF_LOCK_SYMLINK && b->type == MF_LOCK_DIR) &&
				   !same_content(a, b)) {
				return dt_err_set(err, DT_EINPUT,
						  "%s: '%s' comes from both %s and %s, which differ",
						  img->spec->file, a->path, a->source, b->source);
			}
			if (b->layer < a->layer)
				a->layer = b->layer;
			entry_release(b);
			continue;
		}
		img->v[w++] = *b;
	}
	img->n = w;
	return 0;
}

static void sort_entries(struct pk_image *img)
{
	if (img->n > 1)
		qsort(img->v, img->n, sizeof(img->v[0]), entry_cmp);
}

/* Every parent directory, explicitly; its layer is the lowest of its children's. The
 * entries are sorted on entry; directories added here go after them. A climb stops at a
 * parent that is already in a layer as low: that parent's own parents were (or, for an
 * entry still ahead in the loop, will be) made at least as low, so a tree nested
 * thousands deep costs one step per entry, not one per level. */
static int parents(struct pk_image *img, struct dt_err *err)
{
	size_t n = img->n;

	for (size_t i = 0; i < n; i++) {
		char *p = strdup(img->v[i].path), *slash;
		enum mf_lock_layer layer = img->v[i].layer;
		if (!p)
			return dt_oom(err);
		while ((slash = strrchr(p, '/')) && slash != p) {
			struct img_entry *x;
			*slash = '\0';
			if ((x = find_in(img, n, p))) {
				if (x->type != MF_LOCK_DIR) {
					int rc = dt_err_set(err, DT_EINPUT,
						"%s: '%s' is not a directory (%s), but '%s' is inside it",
						img->spec->file, p, x->source, img->v[i].path);
					free(p);
					return rc;
				}
				if (x->layer <= layer)
					break;
				x->layer = layer;
				continue;
			}
			if (add_dir(img, p, 0755, 0, 0, layer, PRIO_PARENT, err) < 0) {
				free(p);
				return -DT_ENOMEM;
			}
		}
		free(p);
	}
	sort_entries(img);
	return dedupe(img, err);
}

/* /var/lib/dpkg/status.d/<package>.md5sums: "md5  path" for each regular file the package
 * owns in the image (among the first @n entries, sorted by path), as distroless images
 * carry them, so that scanners and `distill inspect` can tell the owner of a file. */
static int md5sums(struct pk_image *img, size_t n, const char *pkg, enum mf_lock_layer layer,
		   struct dt_err *err)
{
	char *text = NULL, path[4200];
	size_t len = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		struct img_entry *e = &img->v[i];
		char hex[33];
		if (e->type != MF_LOCK_REG || !e->pkg || strcmp(e->pkg, pkg) != 0)
			continue;
		if (!e->has_md5 && e->data) {
			dt_md5(e->data, e->size, e->md5);
			e->has_md5 = 1;
		}
		if (!e->has_md5)
			continue;
		dt_hex(e->md5, DT_MD5_LEN, hex);
		if (str_append(&text, &len, "%s  %s\n", hex, e->path + 1) < 0)
			rc = dt_oom(err);
	}
	if (rc == 0 && len) {
		snprintf(path, sizeof(path), "/var/lib/dpkg/status.d/%s.md5sums", pkg);
		rc = add_text(img, path, text, len, 0644, layer, err);
	}
	free(text);
	return rc;
}

/* Owning packages, and /var/lib/dpkg/status.d/<package> for each. */
static int owners(struct pk_image *img, const struct deb_dpkg *db, const struct stanzas *st,
		  struct dt_err *err)
{
	struct { const char *name, *text; enum mf_lock_layer layer; } *pk = NULL;
	size_t npk = 0, n = img->n;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct img_entry *e = &img->v[i];
		const char *name = e->pkg, *text = NULL;
		size_t j;
		if (e->type == MF_LOCK_DIR || e->link_to_dir || strcmp(e->source, "distill") == 0)
			continue;
		if (!name && e->root == 0 && db) {
			const struct deb_dpkg_pkg *p = deb_dpkg_owner(db, strchr(e->source, ':') + 1);
			if (!p)
				continue;
			if (!(e->pkg = strdup(p->name)) || !(e->pkg_version = strdup(p->version)))
				goto nomem;
			name = p->name;
			text = p->stanza;
		}
		if (!name)
			continue;
		for (j = 0; j < npk && strcmp(pk[j].name, name) != 0; j++)
			;
		if (j == npk) {
			void *v = realloc(pk, (npk + 1) * sizeof(*pk));
			if (!v)
				goto nomem;
			pk = v;
			pk[npk].name = name;
			pk[npk].text = text;
			pk[npk].layer = e->layer;
			for (size_t k = 0; !text && k < st->n; k++)
				if (strcmp(st->name[k], name) == 0)
					pk[npk].text = st->text[k];
			npk++;
		} else if (e->layer < pk[j].layer) {
			pk[j].layer = e->layer;
		}
	}
	for (size_t j = 0; j < npk && rc == 0; j++) {
		char path[4200];
		if (!pk[j].text)
			continue;
		snprintf(path, sizeof(path), "/var/lib/dpkg/status.d/%s", pk[j].name);
		rc = add_text(img, path, pk[j].text, strlen(pk[j].text), 0644, pk[j].layer, err);
		if (rc == 0)
			rc = md5sums(img, n, pk[j].name, pk[j].layer, err);
	}
	free(pk);
	return rc;
nomem:
	free(pk);
	return dt_oom(err);
}

/* ---- config ---- */

static int lookup_id(const struct mf_spec *s, const char *name, int group, uint32_t *id)
{
	char *end;
	unsigned long v = strtoul(name, &end, 10);

	if (*name && !*end && v < 0xffffffffUL) {
		*id = (uint32_t)v;
		return 0;
	}
	if (s->base == MF_BASE_DISTROLESS)
		for (size_t i = 0; i < MF_DISTROLESS_NUSERS; i++)
			if (strcmp(mf_distroless_users[i].name, name) == 0) {
				*id = mf_distroless_users[i].id;
				return 0;
			}
	for (size_t i = 0; !group && i < s->nusers; i++)
		if (strcmp(s->users[i].name, name) == 0) {
			*id = s->users[i].uid;
			return 0;
		}
	for (size_t i = 0; group && i < s->ngroups; i++)
		if (strcmp(s->groups[i].name, name) == 0) {
			*id = s->groups[i].gid;
			return 0;
		}
	return -1;
}

static int config(struct pk_image *img, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	const struct mf_config *c = &s->config;
	int has_path = 0, has_ssl = 0;

	if (c->user) {
		char user[512], *colon;
		uint32_t uid, gid;
		snprintf(user, sizeof(user), "%s", c->user);
		if ((colon = strchr(user, ':')))
			*colon++ = '\0';
		if (lookup_id(s, user, 0, &uid) < 0 || (colon && lookup_id(s, colon, 1, &gid) < 0))
			return dt_err_set(err, DT_EINPUT, "%s: config.user: no user or group '%s' in "
					  "the image", s->file, c->user);
		if ((colon ? asprintf(&img->user, "%u:%u", uid, gid)
			   : asprintf(&img->user, "%u", uid)) < 0)
			return dt_oom(err);
	}
	if (!(img->env = calloc(c->nenv + 2, sizeof(*img->env))))
		return dt_oom(err);
	for (size_t i = 0; i < c->nenv; i++) {
		has_path |= strncmp(c->env[i], "PATH=", 5) == 0;
		has_ssl |= strncmp(c->env[i], "SSL_CERT_FILE=", 14) == 0;
	}
	if (!has_path && !(img->env[img->nenv++] = strdup(DEFAULT_PATH)))
		return dt_oom(err);
	if (s->certificates && !has_ssl &&
	    !(img->env[img->nenv++] = strdup("SSL_CERT_FILE=" CA_BUNDLE)))
		return dt_oom(err);
	for (size_t i = 0; i < c->nenv; i++) {
		char **v = realloc(img->env, (img->nenv + 1) * sizeof(*v));
		if (!v)
			return dt_oom(err);
		img->env = v;
		if (!(img->env[img->nenv++] = strdup(c->env[i])))
			return dt_oom(err);
	}
	return 0;
}

static int platform(struct pk_image *img, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	char buf[256], *arch, *variant;

	if (!s->platform) {
		if (!img->arch)
			return dt_err_set(err, DT_EINPUT, "%s: platform: cannot tell the platform "
					  "without binaries; set it (e.g. linux/amd64)", s->file);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s->platform);
	if (!(arch = strchr(buf, '/')))
		return dt_err_set(err, DT_EINPUT, "%s: platform: '%s' is not os/arch[/variant]",
				  s->file, s->platform);
	*arch++ = '\0';
	if ((variant = strchr(arch, '/')))
		*variant++ = '\0';
	if (img->arch && strcmp(img->arch, arch) != 0)
		return dt_err_set(err, DT_EINPUT, "%s: platform: '%s', but the binaries are %s",
				  s->file, s->platform, img->arch);
	free(img->os);
	free(img->arch);
	free(img->variant);
	img->variant = NULL;
	if (!(img->os = strdup(buf)) || !(img->arch = strdup(arch)) ||
	    (variant && !(img->variant = strdup(variant))))
		return dt_oom(err);
	return 0;
}

int pk_image_plan(const struct mf_spec *spec, const struct pk_plan_opts *o,
		  struct pk_image **out, struct dt_err *err)
{
	struct pk_image *img = calloc(1, sizeof(*img));
	struct deps_root root = { .fd = -1 };
	struct deb_dpkg *db = NULL;
	struct stanzas st = { 0 };
	int rc, moved;

	*out = NULL;
	if (!img)
		return dt_oom(err);
	img->spec = spec;
	img->epoch = o->epoch;
	if (!(img->roots[img->nroots++] = strdup(spec->root)))
		goto nomem;
	if (strcmp(spec->root, "/") != 0 && !(img->roots[img->nroots++] = strdup("/")))
		goto nomem;
	if ((rc = deps_root_open(&root, spec->root, err)) < 0)
		goto out;
	if ((rc = deb_dpkg_open(&root, &db, err)) < 0 || (rc = skeleton(img, &root, err)) < 0 ||
	    (rc = closure(img, o, err)) < 0 || (rc = files(img, err)) < 0 ||
	    (rc = packages(img, o, &st, err)) < 0)
		goto out;
	sort_entries(img);
	if ((rc = dedupe(img, err)) < 0)
		goto out;
	do {
		if ((rc = through_symlinks(img, &moved, err)) < 0)
			goto out;
		sort_entries(img);
		if ((rc = dedupe(img, err)) < 0)
			goto out;
	} while (moved);
	if ((rc = parents(img, err)) < 0 || (rc = owners(img, db, &st, err)) < 0)
		goto out;
	sort_entries(img);
	if ((rc = dedupe(img, err)) < 0 || (rc = parents(img, err)) < 0 ||
	    (rc = config(img, err)) < 0 || (rc = platform(img, err)) < 0)
		goto out;
	*out = img;
	img = NULL;
	goto out;
nomem:
	rc = dt_oom(err);
out:
	for (size_t i = 0; i < st.n; i++) {
		free(st.name[i]);
		free(st.text[i]);
	}
	free(st.name);
	free(st.text);
	deb_dpkg_free(db);
	deps_root_release(&root);
	pk_image_free(img);
	return rc;
}

int pk_image_lock(const struct pk_image *img, struct mf_lock **out, struct dt_err *err)
{
	struct mf_lock *l = mf_lock_new();
	const char *base = strrchr(img->spec->file, '/');
	char platform[256];
	int rc = 0;

	*out = NULL;
	if (!l)
		return dt_oom(err);
	snprintf(platform, sizeof(platform), "%s/%s%s%s", img->os, img->arch,
		 img->variant ? "/" : "", img->variant ? img->variant : "");
	if (!(l->spec_file = strdup(base ? base + 1 : img->spec->file)) ||
	    !(l->platform = strdup(platform))) {
		mf_lock_free(l);
		return dt_oom(err);
	}
	dt_hex(img->spec->sha256, DT_SHA256_LEN, l->spec_sha256);
	for (size_t i = 0; i < img->n && rc == 0; i++) {
		const struct img_entry *e = &img->v[i];
		struct mf_lock_file f = {
			.path = e->path, .type = e->type, .mode = e->mode, .uid = e->uid,
			.gid = e->gid, .size = e->size, .link = e->link, .source = e->source,
			.package = e->pkg, .package_version = e->pkg_version, .layer = e->layer,
		};
		if (e->type == MF_LOCK_REG)
			dt_hex(e->sha256, DT_SHA256_LEN, f.sha256);
		rc = mf_lock_add_file(l, &f, err);
	}
	for (size_t i = 0; i < img->ndebs && rc == 0; i++)
		rc = mf_lock_add_deb(l, &img->debs[i], err);
	if (rc == 0)
		rc = mf_lock_sort(l, err);
	if (rc < 0) {
		mf_lock_free(l);
		return rc;
	}
	*out = l;
	return 0;
}
