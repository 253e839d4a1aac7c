/* SPDX-License-Identifier: MIT */
/* Image and tarball comparison, level by level (see diff.h). */
#include "verify/diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/jdiff.h"
#include "manifest/oci.h"

static const struct {
	const char *name;
	unsigned bit;
} classes[] = {
	{ "timestamps", VF_DIFF_TIMESTAMPS }, { "order", VF_DIFF_ORDER },
	{ "owners", VF_DIFF_OWNERS },         { "compression", VF_DIFF_COMPRESSION },
	{ "history", VF_DIFF_HISTORY },
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

int vf_diff_parse_ignore(const char *list, unsigned *mask, struct dt_err *err)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ","), i;
		for (i = 0; i < NCLASSES; i++)
			if (strlen(classes[i].name) == len && strncmp(classes[i].name, p, len) == 0)
				break;
		if (i == NCLASSES)
			return dt_err_set(err, DT_EINPUT, "--ignore: unknown class '%.*s' (classes: "
					  "timestamps, order, owners, compression, history)",
					  (int)len, p);
		*mask |= classes[i].bit;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

const char *vf_diff_class_names(unsigned mask, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; i < NCLASSES; i++)
		if (mask & classes[i].bit)
			snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", buf[0] ? "," : "",
				 classes[i].name);
	return buf;
}

void vf_diff_release(struct vf_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].section);
		free(d->v[i].subject);
		free(d->v[i].field);
		free(d->v[i].what);
		free(d->v[i].a);
		free(d->v[i].b);
	}
	free(d->v);
	vf_source_free(d->a);
	vf_source_free(d->b);
	memset(d, 0, sizeof(*d));
}

struct run {
	struct vf_diff *d;
	uint64_t total; /* size of the layer being read, for progress */
	char layer[32];  /* "layer N", the section of a layer's differences */
	const struct vf_diff_opts *o;
	const char *section;
	struct dt_err *err;
};

/* Differences found so far, shown or hidden. */
static size_t found(const struct run *r)
{
	return r->d->n + r->d->more + r->d->hidden;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Records one difference; hidden (only counted) when one of its classes is ignored. */
static int add(struct run *r, const char *subject, const char *field, const char *a,
	       const char *b, unsigned cls, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static int add(struct run *r, const char *subject, const char *field, const char *a,
	       const char *b, unsigned cls, const char *fmt, ...)
{
	struct vf_diff *d = r->d;
	struct vf_diff_item *it;
	char what[2048];
	va_list ap;

	if (cls & r->o->ignore) {
		d->hidden++;
		d->hidden_classes |= cls & r->o->ignore;
		return 0;
	}
	if (d->n >= VF_DIFF_MAX_SHOWN) {
		d->more++; /* counted, not kept: a hostile pair must not exhaust memory */
		return 0;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 32;
		void *v = realloc(d->v, nc * sizeof(*d->v));
		if (!v)
			return dt_oom(r->err);
		d->v = v;
		d->cap = nc;
	}
	it = &d->v[d->n];
	memset(it, 0, sizeof(*it));
	it->classes = cls;
	it->section = strdup(r->section);
	it->subject = strdup(subject);
	it->field = strdup(field);
	it->what = strdup(what);
	it->a = dup_or_null(a);
	it->b = dup_or_null(b);
	d->n++;
	if (!it->section || !it->subject || !it->field || !it->what || (a && !it->a) ||
	    (b && !it->b))
		return dt_oom(r->err);
	return 0;
}

/* ---- documents ---- */

static unsigned json_classes(const char *section, const char *path)
{
	unsigned c = 0;

	if (strstr(path, MF_OCI_CREATED))
		c |= VF_DIFF_TIMESTAMPS;
	if (strcmp(section, "config") == 0) {
		if (strncmp(path, "history", 7) == 0) {
			c |= VF_DIFF_HISTORY;
			if (strlen(path) > 8 && strcmp(path + strlen(path) - 8, ".created") == 0)
				c |= VF_DIFF_TIMESTAMPS;
		}
		if (strcmp(path, "created") == 0)
			c |= VF_DIFF_TIMESTAMPS;
	}
	return c;
}

static int json_emit(void *ctx, const char *path, const char *what, const char *a,
		     const char *b, struct dt_err *err)
{
	struct run *r = ctx;
	const char *field = a && b ? "value" : a ? "-" : "+";

	(void)err;
	return add(r, path, field, a, b, json_classes(r->section, path), "%s: %s", path, what);
}

static int compare_doc(struct run *r, const char *section, json_t *a, json_t *b,
		       const char *root)
{
	r->section = section;
	return mf_jdiff(a, b, root, json_emit, r, r->err);
}

/* A copy of @doc without the fields a deeper level explains. */
static json_t *reduced_index(const json_t *index, const json_t *desc)
{
	json_t *c = json_deep_copy(index), *d = json_deep_copy(desc), *arr = json_array();

	if (!c || !d || !arr) {
		json_decref(c);
		json_decref(d);
		json_decref(arr);
		return NULL;
	}
	json_object_del(d, "digest");
	json_object_del(d, "size");
	json_array_append_new(arr, d);
	json_object_set_new(c, "manifests", arr);
	return c;
}

static json_t *reduced_manifest(const json_t *m, int drop_layers)
{
	json_t *c = json_deep_copy(m), *l;
	size_t i;

	if (!c)
		return NULL;
	json_object_del(json_object_get(c, "config"), "digest");
	json_object_del(json_object_get(c, "config"), "size");
	if (drop_layers) {
		json_object_del(c, "layers");
		return c;
	}
	json_array_foreach(json_object_get(c, "layers"), i, l) {
		json_object_del(l, "digest");
		json_object_del(l, "size");
		json_object_del(l, "mediaType");
	}
	return c;
}

static json_t *reduced_config(const json_t *cfg)
{
	json_t *c = json_deep_copy(cfg);
	if (c)
		json_object_del(json_object_get(c, "rootfs"), "diff_ids");
	return c;
}

static int compare_reduced(struct run *r, const char *section, json_t *a, json_t *b,
			   const char *root)
{
	int rc = a && b ? compare_doc(r, section, a, b, root) : dt_oom(r->err);
	json_decref(a);
	json_decref(b);
	return rc;
}

/* ---- entries ---- */

/* An entry of a stream, by name: what the two sides are merged on. */
struct named {
	const char *name;
	size_t i;
};

static int by_name(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->i > b->i) - (a->i < b->i);
}

static struct named *sorted(const struct vf_stream *s)
{
	struct named *v = malloc((s->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		v[i] = (struct named){ vf_stream_name_at(s, i), i };
	qsort(v, s->n, sizeof(*v), by_name);
	return v;
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

static void describe(const struct vf_stream_entry *e, char *buf, size_t cap)
{
	if (e->type == AE_IFREG && !e->hardlink)
		snprintf(buf, cap, "file, %" PRIu64 " bytes", e->size);
	else if (e->link)
		snprintf(buf, cap, "%s to %s", vf_stream_type_name(e), e->link);
	else
		snprintf(buf, cap, "%s", vf_stream_type_name(e));
}

static void time_text(int has, int64_t s, long ns, char *buf, size_t cap)
{
	if (!has)
		snprintf(buf, cap, "(none)");
	else if (ns)
		snprintf(buf, cap, "%" PRId64 ".%09ld", s, ns);
	else
		snprintf(buf, cap, "%" PRId64, s);
}

/* Compares two xattr texts ("name=hex\n" sorted). */
static int compare_xattrs(struct run *r, const char *name, const char *xa, const char *xb)
{
	const char *pa = xa ? xa : "", *pb = xb ? xb : "";
	int rc = 0;

	while ((*pa || *pb) && rc == 0) {
		size_t la = strcspn(pa, "\n"), lb = strcspn(pb, "\n");
		size_t ka = strcspn(pa, "="), kb = strcspn(pb, "=");
		char na[512], nb[512], va[1024], vb[1024];
		int c;
		snprintf(na, sizeof(na), "%.*s", (int)(ka < la ? ka : la), pa);
		snprintf(nb, sizeof(nb), "%.*s", (int)(kb < lb ? kb : lb), pb);
		snprintf(va, sizeof(va), "%.*s", (int)(ka < la ? la - ka - 1 : 0), pa + ka + 1);
		snprintf(vb, sizeof(vb), "%.*s", (int)(kb < lb ? lb - kb - 1 : 0), pb + kb + 1);
		c = !*pa ? 1 : !*pb ? -1 : strcmp(na, nb);
		if (c < 0) {
			rc = add(r, name, "xattr", va, NULL, 0, "%s: xattr %s: - %s", name, na, va);
		} else if (c > 0) {
			rc = add(r, name, "xattr", NULL, vb, 0, "%s: xattr %s: + %s", name, nb, vb);
		} else if (strcmp(va, vb) != 0) {
			rc = add(r, name, "xattr", va, vb, 0, "%s: xattr %s: %s -> %s", name, na, va,
				 vb);
		}
		if (c <= 0)
			pa += la + (pa[la] == '\n');
		if (c >= 0)
			pb += lb + (pb[lb] == '\n');
	}
	return rc;
}

#define NUM(field, cls, label, fmtspec)                                                    \
	do {                                                                               \
		if (rc == 0 && a->field != b->field) {                                     \
			char x[32], y[32];                                                 \
			snprintf(x, sizeof(x), fmtspec, a->field);                         \
			snprintf(y, sizeof(y), fmtspec, b->field);                         \
			rc = add(r, n, label, x, y, cls, "%s: " label " %s -> %s", n, x, y); \
		}                                                                          \
	} while (0)

#define STR(field, cls, label)                                                             \
	do {                                                                               \
		if (rc == 0 && strcmp(or_none(a->field), or_none(b->field)) != 0)          \
			rc = add(r, n, label, a->field, b->field, cls, "%s: " label " %s -> %s", \
				 n, or_none(a->field), or_none(b->field));                 \
	} while (0)

static int compare_entry(struct run *r, const struct vf_stream_entry *a,
			 const struct vf_stream_entry *b)
{
	const char *n = a->name;
	size_t before = found(r);
	int rc = 0;

	if (a->type != b->type || a->hardlink != b->hardlink) {
		char x[4200], y[4200];
		describe(a, x, sizeof(x));
		describe(b, y, sizeof(y));
		return add(r, n, "type", x, y, 0, "%s: type %s -> %s", n, x, y);
	}
	if (rc == 0 && strcmp(or_none(a->link), or_none(b->link)) != 0)
		rc = add(r, n, "link", a->link, b->link, 0, "%s: %s target %s -> %s", n,
			 a->hardlink ? "hardlink" : "link", or_none(a->link), or_none(b->link));
	NUM(mode, 0, "mode", "%04" PRIo32);
	NUM(uid, VF_DIFF_OWNERS, "uid", "%" PRId64);
	NUM(gid, VF_DIFF_OWNERS, "gid", "%" PRId64);
	STR(uname, VF_DIFF_OWNERS, "user name");
	STR(gname, VF_DIFF_OWNERS, "group name");
	if (rc == 0 && (a->mtime != b->mtime || a->mtime_ns != b->mtime_ns)) {
		char x[48], y[48];
		time_text(1, a->mtime, a->mtime_ns, x, sizeof(x));
		time_text(1, b->mtime, b->mtime_ns, y, sizeof(y));
		rc = add(r, n, "mtime", x, y, VF_DIFF_TIMESTAMPS, "%s: mtime %s -> %s", n, x, y);
	}
#define TIME(t)                                                                            \
	if (rc == 0 && (a->has_##t != b->has_##t || a->t != b->t)) {                       \
		char x[48], y[48];                                                         \
		time_text(a->has_##t, a->t, 0, x, sizeof(x));                              \
		time_text(b->has_##t, b->t, 0, y, sizeof(y));                              \
		rc = add(r, n, #t, x, y, VF_DIFF_TIMESTAMPS, "%s: " #t " %s -> %s", n, x, y); \
	}
	TIME(atime)
	TIME(ctime)
	TIME(birthtime)
#undef TIME
	if (rc == 0 && (a->size != b->size || memcmp(a->sha256, b->sha256, 32) != 0)) {
		char x[128], y[128], ha[65], hb[65];
		dt_hex(a->sha256, DT_SHA256_LEN, ha);
		dt_hex(b->sha256, DT_SHA256_LEN, hb);
		snprintf(x, sizeof(x), "%" PRIu64 " bytes sha256:%.12s", a->size, ha);
		snprintf(y, sizeof(y), "%" PRIu64 " bytes sha256:%.12s", b->size, hb);
		rc = add(r, n, "content", x, y, 0, "%s: content %s -> %s", n, x, y);
	}
	if (rc == 0 && (a->rdev_major != b->rdev_major || a->rdev_minor != b->rdev_minor)) {
		char x[48], y[48];
		snprintf(x, sizeof(x), "%" PRIu64 ":%" PRIu64, a->rdev_major, a->rdev_minor);
		snprintf(y, sizeof(y), "%" PRIu64 ":%" PRIu64, b->rdev_major, b->rdev_minor);
		rc = add(r, n, "device", x, y, 0, "%s: device %s -> %s", n, x, y);
	}
	if (rc == 0 && strcmp(or_none(a->xattrs), or_none(b->xattrs)) != 0)
		rc = compare_xattrs(r, n, a->xattrs, b->xattrs);
	STR(fflags, 0, "file flags");
	/* the header itself, when nothing else about the entry explains a change in it */
	if (rc == 0 && found(r) == before) {
		const char *ka = vf_stream_header_kind(a), *kb = vf_stream_header_kind(b);
		char x[32], y[32];
		if (ka && kb && strcmp(ka, kb) != 0)
			rc = add(r, n, "header", ka, kb, 0, "%s: tar header %s -> %s", n, ka, kb);
		else if (ka && kb && a->header_bytes != b->header_bytes) {
			snprintf(x, sizeof(x), "%" PRIu64, a->header_bytes);
			snprintf(y, sizeof(y), "%" PRIu64, b->header_bytes);
			rc = add(r, n, "header", x, y, 0, "%s: tar header %s -> %s bytes (%s)", n,
				 x, y, ka);
		}
	}
	if (rc == 0 && a->sparse != b->sparse)
		rc = add(r, n, "sparse", a->sparse ? "yes" : "no", b->sparse ? "yes" : "no", 0,
			 "%s: sparse %s -> %s", n, a->sparse ? "yes" : "no",
			 b->sparse ? "yes" : "no");
	return rc;
}

struct pair {
	size_t pa, pb;
	const char *name;
};

static int by_pa(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;
	return (a->pa > b->pa) - (a->pa < b->pa);
}

/* Entries out of their old relative order: those off one longest increasing run of
 * positions, so that one moved entry is named once, not every entry after it. */
static int compare_order(struct run *r, struct pair *p, size_t n)
{
	size_t *tail, *prev, len = 0;
	char *keep;
	int rc = 0;

	if (n < 2)
		return 0;
	qsort(p, n, sizeof(*p), by_pa);
	tail = malloc(n * sizeof(*tail));
	prev = malloc(n * sizeof(*prev));
	keep = calloc(n, 1);
	if (!tail || !prev || !keep) {
		rc = dt_oom(r->err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = len;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (p[tail[mid]].pb < p[i].pb)
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo ? tail[lo - 1] : (size_t)-1;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	for (size_t i = len ? tail[len - 1] : (size_t)-1; i != (size_t)-1; i = prev[i])
		keep[i] = 1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char x[32], y[32];
		if (keep[i])
			continue;
		snprintf(x, sizeof(x), "%zu", p[i].pa + 1);
		snprintf(y, sizeof(y), "%zu", p[i].pb + 1);
		rc = add(r, p[i].name, "position", x, y, VF_DIFF_ORDER, "%s: position %s -> %s",
			 p[i].name, x, y);
	}
out:
	free(tail);
	free(prev);
	free(keep);
	return rc;
}

static int compare_entries(struct run *r, const struct vf_stream *sa, const struct vf_stream *sb)
{
	struct named *va = sorted(sa), *vb = sorted(sb);
	struct pair *pairs = malloc((sa->n + 1) * sizeof(*pairs));
	size_t i = 0, j = 0, np = 0;
	int rc = 0;

	if (!va || !vb || !pairs) {
		rc = dt_oom(r->err);
		goto out;
	}
	while ((i < sa->n || j < sb->n) && rc == 0) {
		int c = i == sa->n ? 1 : j == sb->n ? -1 : strcmp(va[i].name, vb[j].name);
		struct vf_stream_entry ea, eb;
		char what[4200];
		if (c < 0) {
			vf_stream_entry_at(sa, va[i].i, &ea);
			describe(&ea, what, sizeof(what));
			rc = add(r, ea.name, "-", what, NULL, 0, "%s: removed (%s)", ea.name, what);
			i++;
		} else if (c > 0) {
			vf_stream_entry_at(sb, vb[j].i, &eb);
			describe(&eb, what, sizeof(what));
			rc = add(r, eb.name, "+", NULL, what, 0, "%s: added (%s)", eb.name, what);
			j++;
		} else {
			vf_stream_entry_at(sa, va[i].i, &ea);
			vf_stream_entry_at(sb, vb[j].i, &eb);
			pairs[np++] = (struct pair){ ea.pos, eb.pos, ea.name };
			rc = compare_entry(r, &ea, &eb);
			i++;
			j++;
		}
	}
	if (rc == 0)
		rc = compare_order(r, pairs, np);
out:
	free(va);
	free(vb);
	free(pairs);
	return rc;
}

/* ---- layers ---- */

static int compare_compression(struct run *r, const char *subj, const struct vf_stream *a,
			       const struct vf_stream *b, int same_tar)
{
	const char *pre = same_tar ? "same tar, " : "";
	const unsigned C = VF_DIFF_COMPRESSION;
	char x[64], y[64];
	int rc = 0;

	if (a->comp != b->comp)
		return add(r, subj, "compression", dt_compression_name(a->comp),
			   dt_compression_name(b->comp), C, "%s: %scompression %s -> %s", subj, pre,
			   dt_compression_name(a->comp), dt_compression_name(b->comp));
#define HDR(cond, label, fa, fb, cls)                                                      \
	if (rc == 0 && (cond)) {                                                           \
		snprintf(x, sizeof(x), "%s", fa);                                          \
		snprintf(y, sizeof(y), "%s", fb);                                          \
		rc = add(r, subj, label, x, y, cls, "%s: %s" label " %s -> %s", subj, pre, x, y); \
	}
#define U(v) (snprintf(ubuf[ui ^= 1], 32, "%" PRIu64, (uint64_t)(v)), ubuf[ui])
	char ubuf[2][32];
	int ui = 0;
	if (a->comp == DT_COMP_GZIP) {
		HDR(a->gz_mtime != b->gz_mtime, "gzip header MTIME", U(a->gz_mtime), U(b->gz_mtime),
		    C | VF_DIFF_TIMESTAMPS)
		HDR(a->gz_xfl != b->gz_xfl, "gzip header XFL", U(a->gz_xfl), U(b->gz_xfl), C)
		HDR(a->gz_os != b->gz_os, "gzip header OS", U(a->gz_os), U(b->gz_os), C)
		HDR(a->gz_flags != b->gz_flags, "gzip header FLG", U(a->gz_flags), U(b->gz_flags), C)
		HDR(strcmp(or_none(a->gz_name), or_none(b->gz_name)) != 0, "gzip header FNAME",
		    or_none(a->gz_name), or_none(b->gz_name), C)
		HDR(strcmp(or_none(a->gz_comment), or_none(b->gz_comment)) != 0,
		    "gzip header FCOMMENT", or_none(a->gz_comment), or_none(b->gz_comment), C)
		HDR(a->gz_members != b->gz_members, "gzip members", U(a->gz_members),
		    U(b->gz_members), C)
	} else if (a->comp == DT_COMP_ZSTD) {
		HDR(a->zs_window != b->zs_window, "zstd window size", U(a->zs_window),
		    U(b->zs_window), C)
		HDR(a->zs_checksum != b->zs_checksum, "zstd checksum flag", U(a->zs_checksum),
		    U(b->zs_checksum), C)
		HDR(a->zs_has_size != b->zs_has_size, "zstd content size flag", U(a->zs_has_size),
		    U(b->zs_has_size), C)
		HDR(a->zs_dict != b->zs_dict, "zstd dictionary id", U(a->zs_dict), U(b->zs_dict), C)
		HDR(a->zs_frames != b->zs_frames, "zstd frames", U(a->zs_frames), U(b->zs_frames), C)
	}
#undef HDR
#undef U
	return rc;
}

static void scan_progress(void *ctx, const char *label, uint64_t done, uint64_t total)
{
	struct run *r = ctx;

	(void)label;
	(void)total;
	if (r->o->progress)
		r->o->progress(r->o->progress_ctx, r->section, done, r->total);
}

/* One side's layer read in a thread of its own, while the other side is read in the
 * caller's: the two streams are independent (own file, decompressor, hashes). */
struct side {
	const struct vf_source *s;
	size_t i;
	struct vf_stream *out;
	struct run *r;         /* for progress; NULL: none (the thread's side) */
	int entries;           /* keep the entry lists */
	struct dt_err err;
	int rc;
};

static void *read_side(void *arg)
{
	struct side *sd = arg;
	char name[4200];
	/* unchecked: check_claims() reports a blob that is not what its descriptor says */
	struct vf_stream_opts so = { .name = name, .entries = sd->entries, .unchecked = 1 };

	if (sd->r) {
		so.progress = scan_progress;
		so.progress_ctx = sd->r;
		sd->r->total = sd->s->layers[sd->i].size;
	}
	if (sd->s->kind == VF_SOURCE_TARBALL)
		snprintf(name, sizeof(name), "'%s'", sd->s->path);
	else
		snprintf(name, sizeof(name), "'%s': layer %zu", sd->s->path, sd->i + 1);
	dt_err_clear(&sd->err);
	sd->rc = vf_source_read(sd->s, sd->i, &so, sd->out, &sd->err);
	return NULL;
}

/* Reads layer @i of both sides at once (two threads; one when a thread cannot start); each
 * side's result in @rc[0..1] and @err[0..1]. */
static void scan_both(struct run *r, size_t i, struct vf_stream *sa, struct vf_stream *sb,
		      int entries, int rc[2], struct dt_err err[2])
{
	struct side a = { r->d->a, i, sa, NULL, entries, { 0 }, 0 };
	struct side b = { r->d->b, i, sb, r, entries, { 0 }, 0 };
	pthread_t t;
	int threaded = pthread_create(&t, NULL, read_side, &a) == 0;

	if (!threaded)
		read_side(&a);
	read_side(&b);
	if (threaded)
		pthread_join(t, NULL);
	rc[0] = a.rc;
	rc[1] = b.rc;
	err[0] = a.err;
	err[1] = b.err;
}

/* A side whose read failed: when its stored bytes are not what its descriptor says, that is
 * the difference found (@return 1); else the read's error is the command's (@return < 0). */
static int blame_side(struct run *r, const char *subj, const struct vf_source *s, size_t i,
		      int rc, const struct dt_err *e)
{
	const struct vf_source_layer *l = &s->layers[i];
	char digest[DT_DIGEST_LEN], why[512];
	struct dt_err e2 = { 0 };
	uint64_t size;

	if (vf_source_blob_hash(s, i, digest, &size, &e2) == 0 &&
	    vf_source_layer_mismatch(s, i, digest, size, why, sizeof(why))) {
		rc = add(r, subj, "digest", l->digest, digest, 0, "%s: in '%s', %s",
			 subj, s->path, why);
		return rc < 0 ? rc : 1;
	}
	if (r->err)
		*r->err = *e;
	return rc;
}

/* Blob digests, sizes and config diff_ids that do not match the bytes: named, never
 * trusted. */
static int check_claims(struct run *r, const char *subj, const struct vf_source *s,
			size_t i, const struct vf_stream *sc)
{
	const struct vf_source_layer *l = &s->layers[i];
	char x[24], y[24], why[512];
	int rc = 0;

	if (vf_source_layer_mismatch(s, i, sc->digest, sc->size, why, sizeof(why)))
		rc = add(r, subj, "digest", l->digest, sc->digest, 0, "%s: in '%s', %s", subj,
			 s->path, why);
	if (rc == 0 && l->diff_id && strcmp(l->diff_id, sc->diff_id) != 0)
		rc = add(r, subj, "diff_id", l->diff_id, sc->diff_id, 0,
			 "%s: in '%s', the tar hashes to %s, not the config's diff_id %s", subj,
			 s->path, dt_digest_short(sc->diff_id, y), dt_digest_short(l->diff_id, x));
	return rc;
}

static int compare_layer(struct run *r, size_t i)
{
	const struct vf_source *A = r->d->a, *B = r->d->b;
	const struct vf_source_layer *la = &A->layers[i], *lb = &B->layers[i];
	const char *subj = r->layer;
	struct vf_stream sa, sb;
	size_t before;
	int rc, same_tar, same_name, rcs[2];
	struct dt_err errs[2];

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	if (A->kind == VF_SOURCE_TARBALL)
		snprintf(r->layer, sizeof(r->layer), "tarball");
	else
		snprintf(r->layer, sizeof(r->layer), "layer %zu", i + 1);
	r->section = r->layer;
	/* Blobs named alike are still read, hashed and checked (a name proves nothing); only
	 * their entry lists are left unkept, and made when the bytes turn out to differ. */
	same_name = la->digest && lb->digest && strcmp(la->digest, lb->digest) == 0;
	scan_both(r, i, &sa, &sb, !same_name, rcs, errs);
	r->section = r->layer;
	if (rcs[0] < 0 || rcs[1] < 0) {
		int ba = rcs[0] < 0 ? blame_side(r, subj, A, i, rcs[0], &errs[0]) : 0;
		int bb = ba >= 0 && rcs[1] < 0 ? blame_side(r, subj, B, i, rcs[1], &errs[1]) : 0;
		rc = ba < 0 ? ba : bb < 0 ? bb : 0;
		goto out;
	}
	if ((rc = check_claims(r, subj, A, i, &sa)) < 0 ||
	    (rc = check_claims(r, subj, B, i, &sb)) < 0)
		goto out;
	if (same_name && strcmp(sa.digest, sb.digest) == 0) {
		if (la->media_type && lb->media_type && strcmp(la->media_type, lb->media_type))
			rc = add(r, subj, "mediaType", la->media_type, lb->media_type, 0,
				 "%s: same blob, media type %s -> %s", subj, la->media_type,
				 lb->media_type);
		goto out;
	}
	if (same_name) {
		vf_stream_release(&sa);
		vf_stream_release(&sb);
		scan_both(r, i, &sa, &sb, 1, rcs, errs);
		r->section = r->layer;
		if (rcs[0] < 0 || rcs[1] < 0) {
			rc = rcs[0] < 0 ? rcs[0] : rcs[1];
			if (r->err)
				*r->err = errs[rcs[0] < 0 ? 0 : 1];
			goto out;
		}
	}
	if (strcmp(sa.digest, sb.digest) == 0)
		goto out; /* the same bytes (a docker-archive names no digests) */
	same_tar = strcmp(sa.diff_id, sb.diff_id) == 0;
	before = found(r);
	if ((rc = compare_compression(r, subj, &sa, &sb, same_tar)) < 0)
		goto out;
	if (same_tar) {
		if (found(r) == before)
			rc = add(r, subj, "compression", sa.digest, sb.digest, VF_DIFF_COMPRESSION,
				 "%s: same tar, %s stream differs (another compressor, level or "
				 "version)", subj, dt_compression_name(sa.comp));
		goto out;
	}
	before = found(r);
	if ((rc = compare_entries(r, &sa, &sb)) < 0)
		goto out;
	if (found(r) == before)
		rc = add(r, subj, "tar", sa.diff_id, sb.diff_id, 0,
			 "%s: the tars differ in bytes no entry shows (header encoding, padding or "
			 "end-of-archive blocks)", subj);
out:
	vf_stream_release(&sa);
	vf_stream_release(&sb);
	return rc;
}

static int compare_layers(struct run *r)
{
	const struct vf_source *A = r->d->a, *B = r->d->b;
	size_t n = A->nlayers < B->nlayers ? A->nlayers : B->nlayers;
	int rc = 0;

	if (A->nlayers != B->nlayers) {
		char x[32], y[32];
		r->section = "layers";
		snprintf(x, sizeof(x), "%zu", A->nlayers);
		snprintf(y, sizeof(y), "%zu", B->nlayers);
		rc = add(r, "layers", "count", x, y, 0, "layers: count %s -> %s", x, y);
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = compare_layer(r, i);
	for (size_t i = n; i < A->nlayers && rc == 0; i++) {
		char subj[32], x[24];
		snprintf(subj, sizeof(subj), "layer %zu", i + 1);
		r->section = "layers";
		rc = add(r, subj, "-", A->layers[i].digest, NULL, 0, "%s: removed (%s)", subj,
			 dt_digest_short(A->layers[i].digest, x));
	}
	for (size_t i = n; i < B->nlayers && rc == 0; i++) {
		char subj[32], x[24];
		snprintf(subj, sizeof(subj), "layer %zu", i + 1);
		r->section = "layers";
		rc = add(r, subj, "+", NULL, B->layers[i].digest, 0, "%s: added (%s)", subj,
			 dt_digest_short(B->layers[i].digest, x));
	}
	return rc;
}

int vf_diff_run(const char *a, const char *b, const struct vf_diff_opts *o, struct vf_diff *d,
		struct dt_err *err)
{
	struct run r = { .d = d, .o = o, .section = "", .err = err };
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = vf_source_open(a, o->ref_a, &d->a, err)) < 0 ||
	    (rc = vf_source_open(b, o->ref_b, &d->b, err)) < 0)
		return rc;
	if ((d->a->kind == VF_SOURCE_TARBALL) != (d->b->kind == VF_SOURCE_TARBALL))
		return dt_err_set(err, DT_EINPUT, "cannot compare %s '%s' with %s '%s': one is an "
				  "image, the other a plain tarball",
				  vf_source_kind_name(d->a->kind), a,
				  vf_source_kind_name(d->b->kind), b);
	if (d->a->kind == VF_SOURCE_TARBALL)
		return compare_layer(&r, 0);
	if (d->a->index && d->b->index && !o->skip_index &&
	    (rc = compare_reduced(&r, "index", reduced_index(d->a->index, d->a->desc),
				  reduced_index(d->b->index, d->b->desc), "index")) < 0)
		return rc;
	if (d->a->manifest && d->b->manifest) {
		int drop = d->a->nlayers != d->b->nlayers;
		if ((rc = compare_reduced(&r, "manifest", reduced_manifest(d->a->manifest, drop),
					  reduced_manifest(d->b->manifest, drop), "manifest")) < 0)
			return rc;
	}
	if ((rc = compare_reduced(&r, "config", reduced_config(d->a->config),
				  reduced_config(d->b->config), "")) < 0)
		return rc;
	if ((rc = compare_layers(&r)) < 0)
		return rc;
	if (found(&r) == 0 && d->a->manifest_digest && d->b->manifest_digest &&
	    strcmp(d->a->manifest_digest, d->b->manifest_digest) != 0) {
		char x[24], y[24];
		r.section = "manifest";
		if (strcmp(d->a->config_digest, d->b->config_digest) != 0)
			rc = add(&r, "config", "bytes", d->a->config_digest, d->b->config_digest, 0,
				 "config: same fields, other bytes (JSON encoding) %s -> %s",
				 dt_digest_short(d->a->config_digest, x),
				 dt_digest_short(d->b->config_digest, y));
		else
			rc = add(&r, "manifest", "bytes", d->a->manifest_digest,
				 d->b->manifest_digest, 0,
				 "manifest: same fields, other bytes (JSON encoding) %s -> %s",
				 dt_digest_short(d->a->manifest_digest, x),
				 dt_digest_short(d->b->manifest_digest, y));
	}
	return rc;
}
