/* SPDX-License-Identifier: MIT */
/* The spec's binaries and their shared-library closures, as `distill deps` computes them;
 * the platform comes from the binaries' ELF machine. */
#include "packer/image/planner.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "deps/machine.h"
#include "deps/resolve.h"
#include "manifest/dlopen_note.h"
#include "packer/archive/scan.h"

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

static int same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');

	return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

/* Whether @path is the project's own library of the binary whose process is @p, wherever the
 * spec is: it lies in a directory where that process found a library through an RPATH or
 * RUNPATH, and neither it nor the binary is in a system directory. Such a file follows the
 * binary to its dst, at the same place relative to it, so $ORIGIN keeps working. */
static int project_lib(const struct deps_process *p, const char *path)
{
	if (pk_plan_system_path(p->objs[0].real) || pk_plan_system_path(path))
		return 0;
	for (size_t k = 0; k < p->nobjs; k++)
		for (size_t j = 0; j < p->objs[k].nneeds; j++) {
			const struct deps_need *nd = &p->objs[k].needs[j];
			const struct deps_obj *o;
			if (nd->obj < 0 || (nd->how != DEPS_HOW_RPATH && nd->how != DEPS_HOW_RUNPATH))
				continue;
			o = &p->objs[nd->obj];
			if (same_dir(o->path, path) || same_dir(o->real, path))
				return 1;
		}
	return 0;
}


/* ---- binaries: directories and globs ---- */

struct bin_walk {
	struct pk_image *img;
	const struct mf_binary *b;
	const char *top;     /* the directory's path inside the root */
	size_t found;
	struct dt_err *err;
};

static int push_bin(struct pk_image *img, const struct mf_binary *b, const char *path,
		    const char *dst, struct dt_err *err)
{
	struct mf_binary *v = realloc(img->bins, (img->nbins + 1) * sizeof(*v));

	if (!v)
		return dt_oom(err);
	img->bins = v;
	v += img->nbins;
	*v = *b;
	v->dst = NULL;
	if (!(v->path = strdup(path)) || (dst && !(v->dst = strdup(dst)))) {
		free(v->path);
		return dt_oom(err);
	}
	img->nbins++;
	return 0;
}

/* A program in a directory: a regular file that is ELF, or an executable #! script. */
static int bin_one(void *ctx, const struct pk_scan_item *it, struct dt_err *err)
{
	struct bin_walk *w = ctx;
	char path[8400], dst[8400], head[4] = { 0 };
	int fd;
	ssize_t n;

	if (!S_ISREG(it->st->st_mode))
		return 0;
	if ((fd = dt_open_beneath(it->dirfd, it->name, O_RDONLY | O_NOATIME)) < 0)
		return dt_err_sys(err, errno, "cannot open '%s'", it->path);
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (!(n == 4 && memcmp(head, "\177ELF", 4) == 0) &&
	    !(n >= 2 && head[0] == '#' && head[1] == '!' && (it->st->st_mode & 0111)))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", w->top, it->rel);
	if (w->b->dst)
		snprintf(dst, sizeof(dst), "%s/%s", w->b->dst, it->rel);
	w->found++;
	return push_bin(w->img, w->b, path, w->b->dst ? dst : NULL, err);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct mf_binary *)a)->path, ((const struct mf_binary *)b)->path);
}

/* img->bins from the spec's binaries: a directory stands for every program below it (dst,
 * when given, is where the directory goes); a glob (*, ?, [) for the files it matches inside
 * the root, each at its own path, sorted bytewise. */
static int expand_binaries(struct pk_image *img, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	size_t rl = strlen(mf_spec_prefix(s));

	for (size_t i = 0; i < s->nbinaries; i++) {
		const struct mf_binary *b = &s->binaries[i];
		char host[8400];
		struct stat st;
		size_t from = img->nbins;
		int rc = 0;
		if (strpbrk(b->path, "*?[")) {
			glob_t g;
			int gr;
			if (b->dst)
				return dt_err_set(err, DT_EINPUT, "%s:%d: binaries[%zu]: a glob takes no "
						  "dst: its files keep their paths", s->file, b->line, i);
			snprintf(host, sizeof(host), "%s%s", mf_spec_prefix(s), b->path);
			gr = glob(host, GLOB_NOSORT | GLOB_ERR, NULL, &g);
			if (gr == GLOB_NOMATCH)
				return dt_err_set(err, DT_EINPUT, "%s:%d: binaries[%zu]: '%s' matches "
						  "nothing in '%s'", s->file, b->line, i, b->path,
						  s->root);
			if (gr != 0)
				return dt_err_sys(err, errno, "%s:%d: binaries[%zu]: cannot expand '%s'",
						  s->file, b->line, i, b->path);
			for (size_t k = 0; k < g.gl_pathc && rc == 0; k++)
				if (lstat(g.gl_pathv[k], &st) == 0 && !S_ISDIR(st.st_mode))
					rc = push_bin(img, b, g.gl_pathv[k] + rl, NULL, err);
			globfree(&g);
			if (rc < 0)
				return rc;
			if (img->nbins - from > 1)
				qsort(img->bins + from, img->nbins - from, sizeof(*img->bins), by_path);
			continue;
		}
		snprintf(host, sizeof(host), "%s%s", mf_spec_prefix(s), b->path);
		if (stat(host, &st) == 0 && S_ISDIR(st.st_mode)) {
			struct bin_walk w = { .img = img, .b = b, .top = b->path, .err = err };
			struct pk_scan_opts so = { 0 };
			int fd = dt_open_input(AT_FDCWD, host, O_RDONLY | O_DIRECTORY);
			if (fd < 0)
				return dt_err_sys(err, errno, "%s:%d: binaries[%zu]: cannot read '%s'",
						  s->file, b->line, i, b->path);
			rc = pk_scan(fd, host, &so, bin_one, &w, err);
			close(fd);
			if (rc < 0)
				return rc;
			if (!w.found)
				return dt_err_set(err, DT_EINPUT, "%s:%d: binaries[%zu]: '%s' holds no "
						  "ELF file or script", s->file, b->line, i, b->path);
			continue;
		}
		if ((rc = push_bin(img, b, b->path, b->dst, err)) < 0)
			return rc;
	}
	return 0;
}

/* A binary that is a #! script: its file (real path inside the root), its interpreter, and
 * for "#!/usr/bin/env NAME" the NAME found in the image's PATH. */
struct script {
	char *real;      /* NULL: not a script */
	char interp[256];
	char *found;     /* env's NAME in the PATH, inside the root; or NULL */
};

static void script_release(struct script *sc)
{
	free(sc->real);
	free(sc->found);
}

/* The first directory of the image's PATH (config.env, else the default) where the root
 * holds an executable @name. */
static char *in_path(const struct mf_spec *s, const char *name)
{
	const char *path = DEPS_CHECK_DEFAULT_PATH;
	size_t rl = strlen(mf_spec_prefix(s));

	for (size_t i = 0; i < s->config.nenv; i++)
		if (strncmp(s->config.env[i], "PATH=", 5) == 0)
			path = s->config.env[i] + 5;
	while (*path) {
		size_t len = strcspn(path, ":");
		char cand[4200];
		snprintf(cand, sizeof(cand), "%s%.*s/%s", mf_spec_prefix(s), (int)len, path, name);
		if (len && path[0] == '/' && access(cand, X_OK) == 0)
			return strdup(cand + rl);
		path += len + (path[len] == ':');
	}
	return NULL;
}

static int read_script(const struct mf_spec *s, const char *path, struct script *sc,
		       struct dt_err *err)
{
	char host[4200], head[512], *real;
	size_t rl = strlen(mf_spec_prefix(s));
	struct stat st;
	ssize_t n;
	int fd;

	memset(sc, 0, sizeof(*sc));
	snprintf(host, sizeof(host), "%s%s", mf_spec_prefix(s), path);
	/* as every input is read: without touching its access time, and only a regular file
	 * (a FIFO is never waited on) */
	if (stat(host, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (fd = dt_open_input(AT_FDCWD, host, O_RDONLY | O_NONBLOCK)) < 0)
		return 0; /* deps_resolve names it */
	n = pread(fd, head, sizeof(head) - 1, 0);
	close(fd);
	if (n < 0)
		n = 0;
	head[n] = '\0';
	if (n < 2 || head[0] != '#' || head[1] != '!' ||
	    sscanf(head + 2, " %255[^ \t\n]", sc->interp) != 1)
		return 0;
	if (!(real = realpath(host, NULL)))
		return dt_err_sys(err, errno, "%s: cannot use '%s'", s->file, path);
	if (rl && (strncmp(real, mf_spec_prefix(s), rl) != 0 || real[rl] != '/')) {
		free(real);
		return 0;
	}
	if (!(sc->real = strdup(real + rl))) {
		free(real);
		return dt_oom(err);
	}
	free(real);
	/* "#!/usr/bin/env python3": the interpreter env runs, found as the image finds it */
	if (strcmp(strrchr(sc->interp, '/') ? strrchr(sc->interp, '/') + 1 : sc->interp,
		   "env") == 0) {
		char name[256];
		if (sscanf(head + 2, " %*[^ \t\n] %255[^ \t\n]", name) == 1 && name[0] != '-' &&
		    !strchr(name, '/') && !strchr(name, '=')) {
			if (!(sc->found = in_path(s, name)))
				return dt_err_set(err, DT_EINPUT,
						  "%s: '%s' runs '%s' through env, and the image's "
						  "PATH finds no '%s' in '%s'",
						  s->file, path, name, name, s->root);
		}
	}
	return 0;
}

/* A script's interpreter that reads a library tree of its own (python's stdlib, perl's core
 * modules): the directory, when the root has it. */
static int data_tree(const struct pk_image *img, const char *interp, char *dir, size_t len)
{
	const struct mf_spec *s = img->spec;
	const struct deps_machine *m = img->arch ? deps_machine_by_oci(img->arch) : NULL;
	char host[4200], *real;
	const char *base;
	struct stat st;
	int ok = 0;

	snprintf(host, sizeof(host), "%s%s", mf_spec_prefix(s), interp);
	if (!(real = realpath(host, NULL)))
		return 0;
	base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
	if (strncmp(base, "python3.", 8) == 0)
		snprintf(dir, len, "/usr/lib/%s", base);
	else if (strncmp(base, "perl", 4) == 0) /* perl-base's core modules */
		snprintf(dir, len, "/usr/lib/%s/perl-base", m ? m->multiarch : "x86_64-linux-gnu");
	else
		dir[0] = '\0';
	free(real);
	if (dir[0]) {
		snprintf(host, sizeof(host), "%s%s", mf_spec_prefix(s), dir);
		ok = stat(host, &st) == 0 && S_ISDIR(st.st_mode);
	}
	return ok;
}

int pk_plan_script_trees(struct pk_image *img, const struct pk_plan_opts *po,
			 struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	struct dt_strv warned = { 0 }; /* each tree once */

	for (size_t b = 0; b < img->nbins; b++) {
		struct script sc;
		char dir[4200];
		size_t dl;
		int has = 0, rc = read_script(s, img->bins[b].path, &sc, err);
		if (rc < 0) {
			dt_strv_release(&warned);
			return rc;
		}
		if (sc.real && data_tree(img, sc.found ? sc.found : sc.interp, dir, sizeof(dir))) {
			const char *shown = img->bins[b].path;
			size_t sl = strlen(s->dir);
			if (strncmp(shown, s->dir, sl) == 0 && shown[sl] == '/')
				shown += sl + 1; /* as the spec wrote it */
			dl = strlen(dir);
			for (size_t i = 0; i < img->n && !has; i++)
				has = strncmp(img->v[i].path, dir, dl) == 0 && img->v[i].path[dl] == '/';
			if (!has && !dt_strv_has(&warned, dir)) {
				pk_plan_warn(po, "%s:%d: binaries: '%s' runs %s, whose library tree "
					     "%s is not in the image (add it under files, or the "
					     "package that has it, for more than the bare interpreter)",
					     s->file, img->bins[b].line, shown,
					     sc.found ? sc.found : sc.interp, dir);
				if (dt_strv_push(&warned, dir) < 0) {
					script_release(&sc);
					dt_strv_release(&warned);
					return dt_oom(err);
				}
			}
		}
		script_release(&sc);
	}
	dt_strv_release(&warned);
	return 0;
}

/* How the spec's closures are resolved: inside its root, with its run-time loads, for the
 * image's nsswitch.conf. */
static struct deps_opts closure_opts(const struct mf_spec *s)
{
	struct deps_opts o = { .root = mf_spec_read_root(s), .dlopen_parse = mf_dlopen_note_parse };

	o.runtime = s->runtime == MF_RUNTIME_AUTO ? DEPS_RUNTIME_AUTO : DEPS_RUNTIME_OFF;
	o.nsswitch = s->base == MF_BASE_DISTROLESS ? PK_NSSWITCH_CONF : "";
	return o;
}

/* The spec's entry that img->bins[@b] comes from: "binaries[2] /usr/lib/git-core/git-*". */
static void bin_entry(const struct pk_image *img, size_t b, char *buf, size_t len)
{
	const struct mf_spec *s = img->spec;

	for (size_t i = 0; i < s->nbinaries; i++)
		if (s->binaries[i].line == img->bins[b].line) {
			char src[4200]; /* as the lock names it: no host path of the project */
			pk_plan_host_source(img, s->binaries[i].path, src, sizeof(src));
			snprintf(buf, len, "binaries[%zu] %s", i, src + strlen("host:"));
			return;
		}
	snprintf(buf, len, "binaries");
}

/* The why of @path of the closure @r (a file of the binaries @sc with scripts, or one that
 * @is_bin itself): the spec's entry, or what deps_why says, its why_of in source form
 * ("host:/usr/bin/curl") as the lock names files. @return 0 or -DT_ENOMEM. */
static int closure_why(struct pk_image *img, const struct deps_result *r,
		       const struct script *sc, const char *path, int is_bin)
{
	char how[8400], src[4200];
	const char *of = NULL;

	for (size_t b = 0; b < img->nbins && b < r->nprocs; b++) {
		const char *real = sc[b].real ? sc[b].real : r->procs[b].objs[0].real;
		if (is_bin && strcmp(real, path) == 0) {
			bin_entry(img, b, how, sizeof(how));
			return pk_plan_why(img, NULL, "%s", how);
		}
		/* a script's interpreter, or what env finds in the PATH for it */
		if (sc[b].real && (strcmp(r->procs[b].objs[0].real, path) == 0 ||
				   (sc[b].found && strcmp(sc[b].found, path) == 0))) {
			pk_plan_host_source(img, sc[b].real, src, sizeof(src));
			return pk_plan_why(img, src, "%s", sc[b].found && strcmp(sc[b].found, path) == 0
								? "#! interpreter (through env and PATH)"
								: "#! interpreter");
		}
	}
	deps_why(r, path, how, sizeof(how), &of);
	if (of)
		pk_plan_host_source(img, of, src, sizeof(src));
	return pk_plan_why(img, of ? src : NULL, "%s", how);
}

int pk_plan_closure(struct pk_image *img, const struct pk_plan_opts *po, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	struct deps_opts o = closure_opts(s);
	struct deps_result *r = NULL;
	struct script *sc = NULL;
	const char **inputs = NULL;
	size_t ninputs;
	char source[4200];
	int rc = 0;

	if (s->nbinaries == 0)
		return 0;
	if ((rc = expand_binaries(img, err)) < 0)
		return rc;
	/* the binaries, then the interpreters that scripts' env finds */
	if (!(inputs = calloc(2 * img->nbins, sizeof(*inputs))) ||
	    !(sc = calloc(img->nbins, sizeof(*sc)))) {
		rc = dt_oom(err);
		goto out;
	}
	ninputs = img->nbins;
	for (size_t i = 0; i < img->nbins; i++) {
		inputs[i] = img->bins[i].path;
		if ((rc = read_script(s, img->bins[i].path, &sc[i], err)) < 0)
			goto out;
		if (sc[i].found)
			inputs[ninputs++] = sc[i].found;
	}
	if ((rc = deps_resolve(&o, inputs, ninputs, &r, err)) < 0) {
		dt_err_prefix(err, "%s: binaries", s->file);
		goto out;
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
				pk_plan_warn(po, "%s: run-time load not found: %s (%s)", s->file,
					 r->procs[p].runtime[i].name, r->procs[p].runtime[i].reason);
	}
	for (size_t i = 0; i < r->files.n; i++) {
		const char *path = r->files.v[i];
		char mapped[8400];
		const char *dst = path;
		enum pk_plan_layer layer = PK_LAYER_BASE;
		enum pk_plan_prio prio = PK_PRIO_CLOSURE;
		int best = 0, pin = 0;
		for (size_t b = 0; b < img->nbins && b < r->nprocs; b++) {
			const char *real = r->procs[b].objs[0].real, *bdst = img->bins[b].dst;
			/* A script goes to its dst; its interpreter (the process's input) stays
			 * where it is, with its closure. */
			if (sc[b].real) {
				if (strcmp(sc[b].real, path) == 0) {
					layer = PK_LAYER_APP;
					prio = PK_PRIO_BINARY;
					pin = img->bins[b].pin_content;
					if (bdst)
						dst = bdst;
					break;
				}
				continue;
			}
			/* The binaries themselves (their real files) make the app layer. */
			if (strcmp(real, path) == 0) {
				layer = PK_LAYER_APP;
				prio = PK_PRIO_BINARY;
				pin = img->bins[b].pin_content;
				if (bdst)
					dst = bdst;
				break;
			}
			/* A project binary placed elsewhere takes the project's files it loads
			 * along, at the same place relative to it ($ORIGIN keeps working). */
			if (bdst && !best &&
			    ((pk_plan_in_project(img, real) && pk_plan_in_project(img, path)) ||
			     project_lib(&r->procs[b], path))) {
				char *rel = relative_to(real, path), *np;
				if (!rel || !(np = pk_plan_join_link(bdst, rel, ""))) {
					free(rel);
					rc = dt_oom(err);
					goto out;
				}
				snprintf(mapped, sizeof(mapped), "%s", np);
				free(np);
				free(rel);
				dst = mapped;
				best = 1;
				layer = PK_LAYER_APP;
				pin = img->bins[b].pin_content;
			}
		}
		pk_plan_host_source(img, path, source, sizeof(source));
		if ((rc = closure_why(img, r, sc, path, prio == PK_PRIO_BINARY)) < 0) {
			rc = dt_oom(err);
			goto out;
		}
		img->pin_content = pin;
		rc = pk_plan_add_host(img, 0, path + 1, dst, layer, prio, source, err);
		img->pin_content = 0;
		if (rc < 0)
			goto out;
	}
out:
	deps_result_free(r);
	for (size_t i = 0; sc && i < img->nbins; i++)
		script_release(&sc[i]);
	free(sc);
	free(inputs);
	return rc;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Resolves @n @inputs, one at a time when one of them cannot be read as ELF (the start-up
 * check names it); *@out gets what resolved, or NULL. */
static int resolve_lenient(const struct deps_opts *o, const char **inputs, size_t n,
			   struct deps_result **out, size_t *unread, struct dt_err *err)
{
	struct dt_err e2;
	size_t k = 0;

	*out = NULL;
	*unread = 0;
	dt_err_clear(&e2);
	if (deps_resolve(o, inputs, n, out, &e2) == 0)
		return 0;
	if (e2.code == DT_ENOMEM)
		return dt_oom(err);
	for (size_t i = 0; i < n; i++) {
		struct deps_result *r = NULL;
		dt_err_clear(&e2);
		if (deps_resolve(o, &inputs[i], 1, &r, &e2) == 0) {
			deps_result_free(r);
			inputs[k++] = inputs[i];
		} else if (e2.code == DT_ENOMEM) {
			return dt_oom(err);
		} else {
			(*unread)++;
		}
	}
	if (k == 0)
		return 0;
	return deps_resolve(o, inputs, k, out, err);
}

int pk_plan_files_closure(struct pk_image *img, const struct pk_plan_opts *po,
			  struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	struct deps_opts o = closure_opts(s);
	struct deps_result *r = NULL;
	const char **inputs = NULL, **have = NULL;
	char **srcs = NULL, **bufs = NULL;
	size_t n = 0, nhave = img->n, rl = strlen(mf_spec_prefix(s)), unread;
	char source[4200];
	int rc = 0;

	if (!(inputs = calloc(img->n + 1, sizeof(*inputs))) ||
	    !(bufs = calloc(img->n + 1, sizeof(*bufs))) ||
	    !(have = calloc(img->n + 1, sizeof(*have))) ||
	    !(srcs = calloc(s->nfiles + 1, sizeof(*srcs)))) {
		rc = dt_oom(err);
		goto out;
	}
	/* the ELF files of files entries, as paths inside the root (a file from outside a
	 * sysroot has no closure there) */
	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		char *p;
		have[i] = e->path;
		if (e->type != PK_PLAN_REG || !e->elf || !e->closure || e->root < 0 || !e->src)
			continue;
		if (asprintf(&p, "%s/%s", strcmp(img->roots[e->root], "/") ? img->roots[e->root] : "",
			     e->src) < 0) {
			rc = dt_oom(err);
			goto out;
		}
		if (rl && (strncmp(p, mf_spec_prefix(s), rl) != 0 || p[rl] != '/')) {
			free(p);
			continue;
		}
		bufs[n] = p;
		inputs[n++] = p + rl;
	}
	if (n == 0)
		goto out;
	qsort(have, nhave, sizeof(*have), path_cmp);
	for (size_t i = 0; i < s->nfiles; i++)
		srcs[i] = realpath(s->files[i].src, NULL);
	if ((rc = resolve_lenient(&o, inputs, n, &r, &unread, err)) < 0) {
		dt_err_prefix(err, "%s: files", s->file);
		goto out;
	}
	if (unread)
		pk_plan_warn(po, "%s: files: %zu file%s with the ELF magic could not be read for "
			     "%s closure (the start-up check names what cannot start)", s->file,
			     unread, unread == 1 ? "" : "s", unread == 1 ? "its" : "their");
	for (size_t i = 0; r && i < r->files.n; i++) {
		const char *path = r->files.v[i];
		char host[8400];
		int inside = 0;
		/* what the files entries already place, and what the image has */
		snprintf(host, sizeof(host), "%s%s", mf_spec_prefix(s), path);
		for (size_t f = 0; f < s->nfiles && !inside; f++) {
			size_t l = srcs[f] ? strlen(srcs[f]) : 0;
			inside = l && strncmp(host, srcs[f], l) == 0 &&
				 (host[l] == '/' || host[l] == '\0');
		}
		if (inside || bsearch(&path, have, nhave, sizeof(*have), path_cmp))
			continue;
		/* a library outside the system directories would land at its build-machine
		 * path: left out, for the start-up check to name */
		snprintf(host, sizeof(host), "%s/", path); /* "/lib64" is a system path too */
		if (!pk_plan_system_path(host))
			continue;
		pk_plan_host_source(img, path, source, sizeof(source));
		{
			char how[8400], src[4200];
			const char *of = NULL;
			deps_why(r, path, how, sizeof(how), &of);
			if (of)
				pk_plan_host_source(img, of, src, sizeof(src));
			if (pk_plan_why(img, of ? src : NULL, "%s", how) < 0) {
				rc = dt_oom(err);
				goto out;
			}
		}
		if ((rc = pk_plan_add_host(img, 0, path + 1, path, PK_LAYER_BASE, PK_PRIO_CLOSURE,
					   source, err)) < 0)
			goto out;
	}
out:
	deps_result_free(r);
	for (size_t i = 0; bufs && bufs[i]; i++)
		free(bufs[i]);
	for (size_t i = 0; srcs && i < s->nfiles; i++)
		free(srcs[i]);
	free(srcs);
	free(bufs);
	free(inputs);
	free(have);
	return rc;
}

/* ---- every ELF file, in the image as planned: what it lacks, from the root ---- */

/* Adds the library at @path of the root (as found, with the symlinks on the way to it),
 * unless the plan has it (its first @sorted entries are sorted), @how it is needed by the
 * image path @of. @return 1 added, 0 not, or a negative code. */
static int add_from_root(struct pk_image *img, size_t sorted, const char *path,
			 const char *how, const char *of, struct dt_err *err)
{
	struct deps_root root = { .fd = -1 };
	struct dt_strv links = { 0 };
	char *real = NULL, source[4200];
	int rc, added = 0;

	if (pk_plan_why(img, of, "%s", how) < 0)
		return dt_oom(err);
	if ((rc = deps_root_open(&root, mf_spec_read_root(img->spec), err)) < 0)
		return rc;
	if ((rc = deps_root_resolve(&root, path, &links, &real, err)) != 0)
		goto out;
	for (size_t i = 0; i <= links.n && rc >= 0; i++) {
		const char *p = i < links.n ? links.v[i] : real;
		const struct pk_plan_entry *e = pk_plan_find_in(img, sorted, p);
		for (size_t k = sorted; k < img->n && !e; k++) /* added this round */
			if (strcmp(img->v[k].path, p) == 0)
				e = &img->v[k];
		/* a directory where the root has a symlink (a package's /lib beside the root's
		 * /lib -> usr/lib): the symlink goes in too, and the merge moves what is below
		 * it, as dpkg writes through the symlink on a merged-/usr system */
		if (e && !(e->type == PK_PLAN_DIR && i < links.n))
			continue;
		pk_plan_host_source(img, p, source, sizeof(source));
		rc = pk_plan_add_host(img, 0, p + 1, p, PK_LAYER_BASE, PK_PRIO_CLOSURE, source, err);
		added = 1;
	}
out:
	free(real);
	dt_strv_release(&links);
	deps_root_release(&root);
	return rc < 0 ? rc : added;
}

/* The names the ELF files @inputs (image paths) cannot find in the layout @lo: missing
 * DT_NEEDED and run-time loads (as "machine class name" triples in @names), missing
 * interpreters (paths, in @interps). Each file's machine must be the image's (it sets the
 * platform when no binary did). */
static int image_misses(struct pk_image *img, struct pk_plan_layout *lo,
			const struct dt_strv *inputs, struct dt_strv *names, struct dt_strv *interps,
			struct dt_err *err)
{
	struct deps_opts o = closure_opts(img->spec);
	struct deps_result *r = NULL;
	const char **v = calloc(inputs->n + 1, sizeof(*v));
	size_t unread;
	int rc;

	if (!v)
		return dt_oom(err);
	for (size_t i = 0; i < inputs->n; i++)
		v[i] = inputs->v[i];
	o.root = lo->dir;
	o.content = pk_plan_content;
	o.content_ctx = lo;
	rc = resolve_lenient(&o, v, inputs->n, &r, &unread, err);
	free(v);
	if (rc < 0 || !r)
		return rc;
	for (size_t p = 0; p < r->nprocs && rc == 0; p++) {
		const struct deps_process *pr = &r->procs[p];
		const struct deps_elf *top = pr->objs[0].elf;
		char key[600];
		/* the platform, when no binary set it: from the packages' ELF files */
		if ((rc = set_platform(img, top, pr->input, err)) < 0)
			break;
		if (top->interp) {
			int have = 0;
			for (size_t k = 0; k < pr->nobjs && !have; k++)
				have = dt_strv_has(&pr->objs[k].names, top->interp);
			snprintf(key, sizeof(key), "%s\t%s", top->interp, pr->input);
			if (!have && dt_strv_push(interps, key) < 0)
				rc = dt_oom(err);
		}
		for (size_t k = 0; k < pr->nobjs && rc == 0; k++)
			for (size_t j = 0; j < pr->objs[k].nneeds && rc == 0; j++) {
				const struct deps_need *nd = &pr->objs[k].needs[j];
				if (nd->obj >= 0 || strchr(nd->name, '/'))
					continue;
				snprintf(key, sizeof(key), "%u %d %s\t%s", top->machine, top->elf_class,
					 nd->name, pr->objs[k].path);
				if (!dt_strv_has(names, key) && dt_strv_push(names, key) < 0)
					rc = dt_oom(err);
			}
		for (size_t k = 0; k < pr->nruntime && rc == 0; k++) {
			if (pr->runtime[k].path || strchr(pr->runtime[k].name, '/'))
				continue;
			snprintf(key, sizeof(key), "%u %d %s\t%s", top->machine, top->elf_class,
				 pr->runtime[k].name, pr->input);
			if (!dt_strv_has(names, key) && dt_strv_push(names, key) < 0)
				rc = dt_oom(err);
		}
	}
	deps_result_free(r);
	return rc;
}

/* The #! interpreters, missing from the layout @lo, of the packages' scripts that the
 * image runs (in a PATH directory, or its entrypoint or cmd), appended to @interps. */
static int script_misses(const struct pk_image *img, struct pk_plan_layout *lo,
			 struct dt_strv *interps, struct dt_err *err)
{
	const struct mf_spec *s = img->spec;
	const char *pathvar = NULL, *argv0[2];
	struct deps_root root = { .fd = -1 };
	size_t nargv0 = 0;
	int rc;

	for (size_t i = 0; i < s->config.nenv; i++)
		if (strncmp(s->config.env[i], "PATH=", 5) == 0)
			pathvar = s->config.env[i] + 5;
	if (s->config.nentrypoint)
		argv0[nargv0++] = s->config.entrypoint[0];
	if (s->config.ncmd)
		argv0[nargv0++] = s->config.cmd[0];
	if ((rc = deps_root_open(&root, lo->dir, err)) < 0)
		return rc;
	for (size_t i = 0; i < lo->scripts.n && rc == 0; i++) {
		const struct pk_plan_entry *e = pk_plan_find_in(img, img->n, lo->scripts.v[i]);
		char interp[256], head[300], *real = NULL;
		size_t len;
		if (!e || !e->pkg || !e->data || !e->closure ||
		    !deps_check_runs(e->path, pathvar, argv0, nargv0))
			continue;
		len = e->size < sizeof(head) - 1 ? (size_t)e->size : sizeof(head) - 1;
		memcpy(head, e->data, len);
		head[len] = '\0';
		if (sscanf(head + 2, " %255[^ \t\n]", interp) != 1 || interp[0] != '/')
			continue;
		if ((rc = deps_root_resolve(&root, interp, NULL, &real, err)) == 1) {
			char key[4400];
			snprintf(key, sizeof(key), "%s\t%s", interp, e->path);
			rc = dt_strv_push(interps, key) < 0 ? dt_oom(err) : 0;
		}
		free(real);
	}
	deps_root_release(&root);
	return rc < 0 ? rc : 0;
}

int pk_plan_image_closure(struct pk_image *img, const struct pk_plan_opts *po,
			     struct dt_err *err)
{
	struct deps_opts o = closure_opts(img->spec);
	struct dt_strv inputs = { 0 };
	int rc = 0, scripts = 0;

	for (size_t i = 0; i < img->n; i++) {
		const struct pk_plan_entry *e = &img->v[i];
		if (e->type == PK_PLAN_REG && e->pkg && e->data && e->closure && !e->elf &&
		    e->size >= 2 && e->data[0] == '#' && e->data[1] == '!')
			scripts = 1;
		/* every ELF file with a closure: the packages' have had none yet; for the
		 * binaries' and the files', resolved in the root where they lie, this finds
		 * what the image still lacks (a file from outside a sysroot) */
		if (e->type == PK_PLAN_REG && e->elf && e->closure &&
		    dt_strv_push(&inputs, e->path) < 0) {
			dt_strv_release(&inputs);
			return dt_oom(err);
		}
	}
	/* each round adds what the last one found missing; what it adds may need more */
	for (int round = 0; (inputs.n || scripts) && round < 64 && rc == 0; round++) {
		struct pk_plan_layout lo;
		struct dt_strv names = { 0 }, interps = { 0 };
		int added = 0;
		if ((rc = pk_plan_lay_out(img, NULL, &lo, err)) < 0)
			break;
		size_t sorted = img->n;
		rc = image_misses(img, &lo, &inputs, &names, &interps, err);
		if (rc == 0)
			rc = script_misses(img, &lo, &interps, err);
		pk_plan_layout_release(&lo);
		/* an interpreter from the root is resolved in the image from the next round on */
		/* "INTERP\tNEEDER": an interpreter from the root is resolved in the image from
		 * the next round on */
		for (size_t i = 0; i < interps.n && rc >= 0; i++) {
			char *tab = strchr(interps.v[i], '\t');
			*tab = '\0';
			if ((rc = add_from_root(img, sorted, interps.v[i],
						tab[1] && pk_plan_find_in(img, sorted, tab + 1) &&
							pk_plan_find_in(img, sorted, tab + 1)->elf
						? "PT_INTERP" : "#! interpreter", tab + 1, err)) > 0) {
				added = 1;
				if (!dt_strv_has(&inputs, interps.v[i]) &&
				    dt_strv_push(&inputs, interps.v[i]) < 0)
					rc = dt_oom(err);
			}
		}
		/* "MACHINE CLASS NAME\tNEEDER" */
		for (size_t i = 0; i < names.n && rc >= 0; i++) {
			unsigned machine;
			int cls, off = 0;
			char *path = NULL, *tab = strchr(names.v[i], '\t');
			*tab = '\0';
			if (sscanf(names.v[i], "%u %d %n", &machine, &cls, &off) != 2 || !off)
				continue;
			if ((rc = deps_find_library(&o, (uint16_t)machine, cls, names.v[i] + off,
						    &path, err)) > 0 &&
			    (rc = add_from_root(img, sorted, path, "DT_NEEDED", tab + 1, err)) > 0)
				added = 1;
			free(path);
		}
		dt_strv_release(&names);
		dt_strv_release(&interps);
		if (rc < 0 || !added)
			break;
		rc = 0;
		if ((rc = pk_plan_dedupe(img, err)) < 0 || (rc = pk_plan_through_symlinks(img, err)) < 0 ||
		    (rc = pk_plan_parents(img, err)) < 0 || (rc = pk_plan_dedupe(img, err)) < 0)
			break;
	}
	(void)po;
	dt_strv_release(&inputs);
	return rc < 0 ? rc : 0;
}
