/* SPDX-License-Identifier: MIT */
/* Drift: the comparison of a locked and a freshly computed lock, each difference in words
 * (see drift.h). */
#include "manifest/drift.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* One part of a message: "; " between parts. */
static void sb_part(struct dt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_part(struct dt_buf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->len)
		dt_buf_addn(b, "; ", 2);
	va_start(ap, fmt);
	dt_buf_vadd(b, fmt, ap);
	va_end(ap);
}

struct cmp {
	struct mf_drift_list *out;
	struct dt_buf subject, parts;
	int oom;
};

/* Adds a drift about @path: "subject: parts", or "subject" alone. */
static void drift(struct cmp *c, const char *path)
{
	struct mf_drift *v, *d;
	size_t slen = c->subject.len, plen = c->parts.len;
	char *msg;

	if (c->subject.oom || c->parts.oom) {
		c->oom = 1;
		return;
	}
	if (c->oom || !(v = dt_grow(c->out->v, &c->out->cap, c->out->n, sizeof(*v)))) {
		c->oom = 1;
		return;
	}
	c->out->v = v;
	if (!(msg = malloc(slen + plen + 3))) {
		c->oom = 1;
		return;
	}
	memcpy(msg, c->subject.s, slen);
	if (plen) {
		memcpy(msg + slen, ": ", 2);
		memcpy(msg + slen + 2, c->parts.s, plen);
		slen += 2;
	}
	msg[slen + plen] = '\0';
	d = &v[c->out->n];
	if (!(d->path = strdup(path))) {
		free(msg);
		c->oom = 1;
		return;
	}
	d->message = msg;
	c->out->n++;
}

static void begin(struct cmp *c)
{
	dt_buf_reset(&c->subject);
	dt_buf_reset(&c->parts);
}

static void cmp_str(struct cmp *c, const char *what, const char *a, const char *b)
{
	if (strcmp(nz(a), nz(b)) != 0)
		sb_part(&c->parts, "%s locked %s, found %s", what, a ? a : "none", b ? b : "none");
}

static void cmp_u64(struct cmp *c, const char *what, uint64_t a, uint64_t b)
{
	if (a != b)
		sb_part(&c->parts, "%s locked %llu, found %llu", what, (unsigned long long)a,
			(unsigned long long)b);
}

static void compare_spec(struct cmp *c, const struct mf_lock *a, const struct mf_lock *b)
{
	int same_file = strcmp(nz(a->spec_file), nz(b->spec_file)) == 0;

	begin(c);
	if (same_file && strcmp(a->spec_sha256, b->spec_sha256) == 0)
		return;
	if (same_file)
		dt_buf_add(&c->subject, "spec '%s' changed since the lock was written", nz(a->spec_file));
	else
		dt_buf_add(&c->subject, "spec locked '%s', found '%s'", nz(a->spec_file),
		       nz(b->spec_file));
	cmp_str(c, "sha256", a->spec_sha256, b->spec_sha256);
	drift(c, "spec");
}

static void compare_platform(struct cmp *c, const struct mf_lock *a, const struct mf_lock *b)
{
	begin(c);
	if (strcmp(nz(a->platform), nz(b->platform)) == 0)
		return;
	dt_buf_add(&c->subject, "platform locked %s, found %s", nz(a->platform), nz(b->platform));
	drift(c, "platform");
}

static void deb_pair(struct cmp *c, const struct mf_lock_deb *a, const struct mf_lock_deb *b)
{
	begin(c);
	dt_buf_add(&c->subject, "%s", nz(a->file));
	cmp_str(c, "version", a->version, b->version);
	cmp_str(c, "architecture", a->architecture, b->architecture);
	cmp_str(c, "file", a->file, b->file);
	cmp_u64(c, "size", a->size, b->size);
	cmp_str(c, "sha256", a->sha256, b->sha256);
	cmp_str(c, "repository", a->repository, b->repository);
	cmp_str(c, "filename", a->filename, b->filename);
	if (c->parts.len)
		drift(c, nz(a->file));
}

/* The .debs of one name (a[0..na), b[0..nb)): paired by architecture and version first,
 * then by architecture, then in order; the rest were added or removed. */
static void deb_group(struct cmp *c, const struct mf_lock_deb *a, size_t na,
		      const struct mf_lock_deb *b, size_t nb)
{
	unsigned char *used = calloc(na + nb + 1, 1), *ua, *ub;

	if (!used) {
		c->oom = 1;
		return;
	}
	ua = used;
	ub = used + na;
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < na; i++)
			for (size_t j = 0; !ua[i] && j < nb; j++) {
				if (ub[j] || (pass < 2 && strcmp(nz(a[i].architecture),
								 nz(b[j].architecture))) ||
				    (pass < 1 && strcmp(nz(a[i].version), nz(b[j].version))))
					continue;
				ua[i] = ub[j] = 1;
				deb_pair(c, &a[i], &b[j]);
			}
	for (size_t i = 0; i < na; i++)
		if (!ua[i]) {
			begin(c);
			dt_buf_add(&c->subject, "%s: in the lock, not found", nz(a[i].file));
			drift(c, nz(a[i].file));
		}
	for (size_t j = 0; j < nb; j++)
		if (!ub[j]) {
			begin(c);
			dt_buf_add(&c->subject, "%s: not in the lock (found %s %s %s)", nz(b[j].file),
			       nz(b[j].name), nz(b[j].version), nz(b[j].architecture));
			drift(c, nz(b[j].file));
		}
	free(used);
}

static void compare_deb_lists(struct cmp *c, const struct mf_lock_deb *ad, size_t an,
			      const struct mf_lock_deb *bd, size_t bn)
{
	size_t i = 0, j = 0;
	struct { const struct mf_lock_deb *debs; size_t ndebs; } A = { ad, an }, B = { bd, bn },
		*a = &A, *b = &B;

	while (i < a->ndebs || j < b->ndebs) {
		const char *name;
		size_t i2 = i, j2 = j;
		if (i < a->ndebs && j < b->ndebs)
			name = strcmp(nz(a->debs[i].name), nz(b->debs[j].name)) <= 0
			       ? nz(a->debs[i].name) : nz(b->debs[j].name);
		else
			name = i < a->ndebs ? nz(a->debs[i].name) : nz(b->debs[j].name);
		while (i2 < a->ndebs && strcmp(nz(a->debs[i2].name), name) == 0)
			i2++;
		while (j2 < b->ndebs && strcmp(nz(b->debs[j2].name), name) == 0)
			j2++;
		deb_group(c, a->debs + i, i2 - i, b->debs + j, j2 - j);
		i = i2;
		j = j2;
	}
}

static void file_pair(struct cmp *c, const struct mf_lock_file *a, const struct mf_lock_file *b)
{
	int same_pkg = a->package && b->package && strcmp(a->package, b->package) == 0;
	int same_version = strcmp(nz(a->package_version), nz(b->package_version)) == 0;

	begin(c);
	dt_buf_add(&c->subject, "%s", a->path);
	if (same_pkg && same_version)
		dt_buf_add(&c->subject, " (%s %s)", a->package, nz(a->package_version));
	else if (same_pkg)
		dt_buf_add(&c->subject, " (%s %s -> %s)", a->package, nz(a->package_version),
		       nz(b->package_version));
	if (a->type != b->type)
		sb_part(&c->parts, "type locked %s%s%s, found %s%s%s", mf_lock_type_name(a->type),
			a->link ? " to " : "", nz(a->link), mf_lock_type_name(b->type),
			b->link ? " to " : "", nz(b->link));
	if (a->mode != b->mode)
		sb_part(&c->parts, "mode locked %04o, found %04o", (unsigned)a->mode,
			(unsigned)b->mode);
	if (a->uid != b->uid || a->gid != b->gid)
		sb_part(&c->parts, "uid:gid locked %u:%u, found %u:%u", (unsigned)a->uid,
			(unsigned)a->gid, (unsigned)b->uid, (unsigned)b->gid);
	if (a->type == b->type) {
		/* Another type already says the content differs; a project file pinned by path
		 * (the locked side says so) may change its content. */
		if (!a->unpinned && !b->unpinned) {
			cmp_u64(c, "size", a->size, b->size);
			if (a->type == MF_LOCK_REG)
				cmp_str(c, "sha256", a->sha256, b->sha256);
		}
		cmp_str(c, "link", a->link, b->link);
	}
	if (a->layer != b->layer)
		sb_part(&c->parts, "layer locked %s, found %s", mf_lock_layer_name(a->layer),
			mf_lock_layer_name(b->layer));
	cmp_str(c, "source", a->source, b->source);
	if (!same_pkg && strcmp(nz(a->package), nz(b->package)) != 0)
		sb_part(&c->parts, "package locked %s%s%s, found %s%s%s",
			a->package ? a->package : "none", a->package ? " " : "",
			nz(a->package_version), b->package ? b->package : "none",
			b->package ? " " : "", nz(b->package_version));
	else if (!same_version && c->parts.len == 0)
		sb_part(&c->parts, "package version locked %s, found %s", nz(a->package_version),
			nz(b->package_version));
	if (c->parts.len)
		drift(c, a->path);
}

static void compare_files(struct cmp *c, const struct mf_lock *a, const struct mf_lock *b)
{
	size_t i = 0, j = 0;

	while ((i < a->nfiles || j < b->nfiles) && !c->oom) {
		int d = i == a->nfiles ? 1 : j == b->nfiles ? -1
			: strcmp(nz(a->files[i].path), nz(b->files[j].path));
		begin(c);
		if (d < 0) {
			dt_buf_add(&c->subject, "%s: in the lock, not found", nz(a->files[i].path));
			drift(c, nz(a->files[i].path));
			i++;
		} else if (d > 0) {
			dt_buf_add(&c->subject, "%s: not in the lock (found, from %s)",
			       nz(b->files[j].path), nz(b->files[j].source));
			drift(c, nz(b->files[j].path));
			j++;
		} else {
			file_pair(c, &a->files[i++], &b->files[j++]);
		}
	}
}

int mf_lock_compare(const struct mf_lock *locked, const struct mf_lock *found,
		    struct mf_drift_list *out, struct dt_err *err)
{
	struct cmp c = { .out = out };

	out->v = NULL;
	out->n = out->cap = 0;
	compare_spec(&c, locked, found);
	compare_platform(&c, locked, found);
	compare_deb_lists(&c, locked->debs, locked->ndebs, found->debs, found->ndebs);
	/* the installed packages' .debs: when both sides looked for them (a build from the
	 * host does not: it reads the host's files, each pinned by its own sha256) */
	if (locked->pinned && found->pinned)
		compare_deb_lists(&c, locked->installed, locked->ninstalled, found->installed,
				  found->ninstalled);
	compare_files(&c, locked, found);
	dt_buf_release(&c.subject);
	dt_buf_release(&c.parts);
	if (c.oom) {
		mf_drift_list_release(out);
		return dt_oom(err);
	}
	return 0;
}

void mf_drift_list_release(struct mf_drift_list *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].message);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
