/* SPDX-License-Identifier: MIT */
/* `distill inspect`: platform, config, layers and the file list of an image or tarball. */
#include <archive_entry.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/json.h"
#include "cli/cli.h"
#include "verify/source.h"

static const char inspect_usage[] =
	"usage: distill inspect [options] IMAGE\n"
	"\n"
	"Shows an image's platform, config and layers (digest, size, compression, diff_id,\n"
	"entries) and its file list as a container sees it (layers applied in order,\n"
	"whiteouts honoured) with type, mode, owner, size and, where the image carries\n"
	"/var/lib/dpkg/status.d entries with md5sums, the owning Debian package. IMAGE is an\n"
	"OCI layout directory, an OCI archive, a docker-archive or a tarball.\n"
	"\n"
	"      --ref REF              the image to show when an index holds several\n"
	"      --tree                 the files as a tree\n"
	"      --json                 everything as JSON on stdout\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 shown, 1 error, 2 usage.\n";

enum { OPT_REF = 256, OPT_TREE, OPT_JSON };

static const struct option inspect_options[] = {
	{ "ref", required_argument, NULL, OPT_REF },
	{ "tree", no_argument, NULL, OPT_TREE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define STATUS_DIR "var/lib/dpkg/status.d/"
#define MAX_STATUS (16u << 20) /* bytes of status.d kept in memory */

struct file {
	struct vf_stream_entry e;  /* name without "./", "/" or a trailing "/" */
	size_t layer;
	const char *pkg;           /* in the owners table, or NULL */
};

struct status_file {
	char *name; /* below STATUS_DIR */
	char *text;
	size_t len;
};

struct owner {
	char *path, *pkg;
};

struct inspect {
	struct vf_source *src;
	struct vf_stream *layers;
	struct file *files;
	size_t nfiles, cap;
	struct status_file *status;
	size_t nstatus, status_bytes;
	size_t cur_layer, last_layer, last_pos; /* which entry the last status chunk was of */
	int have_last;
	struct owner *owners;
	size_t nowners;
};

static void human(uint64_t n, char *buf, size_t cap)
{
	if (n < 1024)
		snprintf(buf, cap, "%" PRIu64 " B", n);
	else if (n < (1u << 20))
		snprintf(buf, cap, "%.1f KiB", (double)n / 1024.0);
	else if (n < (1u << 30))
		snprintf(buf, cap, "%.1f MiB", (double)n / 1048576.0);
	else
		snprintf(buf, cap, "%.2f GiB", (double)n / 1073741824.0);
}

static char *norm(const char *name)
{
	size_t len;
	char *p;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	if (!(p = strdup(name)))
		return NULL;
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		p[--len] = '\0';
	return p;
}

/* Keeps the content of status.d files as the layers stream by. */
static int keep_status(void *ctx, const struct vf_stream_entry *e, const void *buf, size_t len,
		       struct dt_err *err)
{
	struct inspect *in = ctx;
	const char *n = e->name;
	struct status_file *sf;

	while (n[0] == '.' && n[1] == '/')
		n += 2;
	while (n[0] == '/')
		n++;
	if (strncmp(n, STATUS_DIR, strlen(STATUS_DIR)) != 0 || e->type != AE_IFREG)
		return 0;
	n += strlen(STATUS_DIR);
	if (in->status_bytes + len > MAX_STATUS)
		return 0; /* beyond what anyone ships: owners stay unknown */
	sf = in->have_last && in->last_layer == in->cur_layer && in->last_pos == e->pos
		     ? &in->status[in->nstatus - 1] : NULL;
	if (!sf) {
		void *v = realloc(in->status, (in->nstatus + 1) * sizeof(*in->status));
		if (!v)
			return dt_oom(err);
		in->status = v;
		sf = &in->status[in->nstatus++];
		memset(sf, 0, sizeof(*sf));
		if (!(sf->name = strdup(n)))
			return dt_oom(err);
		in->have_last = 1;
		in->last_layer = in->cur_layer;
		in->last_pos = e->pos;
	}
	{
		char *t = realloc(sf->text, sf->len + len + 1);
		if (!t)
			return dt_oom(err);
		memcpy(t + sf->len, buf, len);
		sf->len += len;
		t[sf->len] = '\0';
		sf->text = t;
	}
	in->status_bytes += len;
	return 0;
}

static int by_name_layer(const void *x, const void *y)
{
	const struct file *a = x, *b = y;
	int c = strcmp(a->e.name, b->e.name);
	if (c)
		return c;
	return (a->layer > b->layer) - (a->layer < b->layer);
}

/* Is @name at or below @dir ("" is the root)? */
static int below(const char *name, const char *dir)
{
	size_t n = strlen(dir);
	return n == 0 || (strncmp(name, dir, n) == 0 && (name[n] == '\0' || name[n] == '/'));
}

/* The files a container sees: the last layer's entry for each path, whiteouts applied. */
static int merge(struct inspect *in)
{
	struct wh {
		char *dir;   /* what is hidden: a path, or a directory's content (opaque) */
		size_t layer;
		int opaque;
	} *wh = NULL;
	size_t nwh = 0, out = 0;

	for (size_t i = 0; i < in->nfiles; i++) {
		struct file *f = &in->files[i];
		const char *base = strrchr(f->e.name, '/');
		base = base ? base + 1 : f->e.name;
		if (strncmp(base, ".wh.", 4) != 0)
			continue;
		void *v = realloc(wh, (nwh + 1) * sizeof(*wh));
		if (!v)
			return -1;
		wh = v;
		wh[nwh].layer = f->layer;
		wh[nwh].opaque = strcmp(base, ".wh..wh..opq") == 0;
		if (!(wh[nwh].dir = strdup(f->e.name)))
			return -1;
		if (wh[nwh].opaque) {
			size_t dl = (size_t)(base - f->e.name);
			wh[nwh].dir[dl ? dl - 1 : 0] = '\0';
		} else {
			size_t dl = (size_t)(base - f->e.name);
			memmove(wh[nwh].dir + dl, wh[nwh].dir + dl + 4, strlen(base + 4) + 1);
		}
		nwh++;
	}
	if (in->nfiles)
		qsort(in->files, in->nfiles, sizeof(*in->files), by_name_layer);
	for (size_t i = 0; i < in->nfiles; i++) {
		struct file *f = &in->files[i];
		const char *base = strrchr(f->e.name, '/');
		int hidden = i + 1 < in->nfiles && strcmp(in->files[i + 1].e.name, f->e.name) == 0;
		base = base ? base + 1 : f->e.name;
		hidden = hidden || strncmp(base, ".wh.", 4) == 0;
		for (size_t k = 0; k < nwh && !hidden; k++)
			if (wh[k].layer > f->layer && below(f->e.name, wh[k].dir) &&
			    (!wh[k].opaque || strcmp(f->e.name, wh[k].dir) != 0))
				hidden = 1;
		if (hidden)
			vf_stream_entry_release(&f->e);
		else
			in->files[out++] = *f;
	}
	in->nfiles = out;
	for (size_t k = 0; k < nwh; k++)
		free(wh[k].dir);
	free(wh);
	return 0;
}

static int by_path(const void *x, const void *y)
{
	return strcmp(((const struct owner *)x)->path, ((const struct owner *)y)->path);
}

/* Owners from status.d/<pkg>.md5sums ("md5  path" lines). */
static int owners(struct inspect *in)
{
	size_t cap = 0;

	for (size_t i = 0; i < in->nstatus; i++) {
		struct status_file *sf = &in->status[i];
		size_t nl = strlen(sf->name);
		char *line, *save = NULL;
		if (nl <= 8 || strcmp(sf->name + nl - 8, ".md5sums") != 0)
			continue;
		sf->name[nl - 8] = '\0'; /* the package */
		for (line = strtok_r(sf->text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *p = strstr(line, "  ");
			if (!p)
				continue;
			if (in->nowners == cap) {
				size_t nc = cap ? 2 * cap : 256;
				void *v = realloc(in->owners, nc * sizeof(*in->owners));
				if (!v)
					return -1;
				in->owners = v;
				cap = nc;
			}
			in->owners[in->nowners].path = norm(p + 2);
			in->owners[in->nowners].pkg = sf->name;
			if (!in->owners[in->nowners].path)
				return -1;
			in->nowners++;
		}
	}
	if (in->nowners == 0)
		return 0;
	qsort(in->owners, in->nowners, sizeof(*in->owners), by_path);
	for (size_t i = 0; i < in->nfiles; i++) {
		struct owner key = { in->files[i].e.name, NULL };
		struct owner *o = bsearch(&key, in->owners, in->nowners, sizeof(key), by_path);
		in->files[i].pkg = o ? o->pkg : NULL;
	}
	return 0;
}

/* The Version: of a package's status.d stanza, into @buf. */
static const char *version_of(const struct inspect *in, const char *pkg, char *buf, size_t cap)
{
	for (size_t i = 0; i < in->nstatus; i++) {
		const char *t = in->status[i].text, *v;
		if (strcmp(in->status[i].name, pkg) != 0 || !t)
			continue;
		if ((v = strstr(t, "\nVersion: ")) || (strncmp(t, "Version: ", 9) == 0 && (v = t - 1)))
			snprintf(buf, cap, "%.*s", (int)strcspn(v + 10, "\n"), v + 10);
		else
			break;
		return buf;
	}
	return NULL;
}

static int load(struct inspect *in, const char *path, const char *ref, struct dt_err *err)
{
	int rc;

	if ((rc = vf_source_open(path, ref, &in->src, err)) < 0)
		return rc;
	if (!(in->layers = calloc(in->src->nlayers + 1, sizeof(*in->layers))))
		return dt_oom(err);
	for (size_t i = 0; i < in->src->nlayers; i++) {
		char name[4200];
		struct vf_stream_opts o = { .name = name, .entries = 1, .data = keep_status,
					    .data_ctx = in };
		struct vf_stream *s = &in->layers[i];
		in->cur_layer = i;
		snprintf(name, sizeof(name), in->src->kind == VF_SOURCE_TARBALL ? "'%s'"
					     : "'%s': layer %zu", path, i + 1);
		if ((rc = vf_source_read(in->src, i, &o, s, err)) < 0)
			return rc;
		if (in->nfiles + s->n > in->cap) {
			size_t nc = (in->nfiles + s->n) * 2;
			void *v = realloc(in->files, nc * sizeof(*in->files));
			if (!v)
				return dt_oom(err);
			in->files = v;
			in->cap = nc;
		}
		for (size_t k = 0; k < s->n; k++) {
			struct file *f = &in->files[in->nfiles];
			char *n = norm(s->v[k].name);
			if (!n)
				return dt_oom(err);
			if (!*n) { /* the root itself */
				free(n);
				continue;
			}
			f->e = s->v[k];
			free(f->e.name);
			f->e.name = n;
			f->layer = i;
			f->pkg = NULL;
			memset(&s->v[k], 0, sizeof(s->v[k]));
			in->nfiles++;
		}
	}
	if (merge(in) < 0 || owners(in) < 0)
		return dt_oom(err);
	return 0;
}

static void release(struct inspect *in)
{
	for (size_t i = 0; i < in->nfiles; i++)
		vf_stream_entry_release(&in->files[i].e);
	free(in->files);
	for (size_t i = 0; in->src && in->layers && i < in->src->nlayers; i++)
		vf_stream_release(&in->layers[i]);
	free(in->layers);
	for (size_t i = 0; i < in->nstatus; i++) {
		free(in->status[i].name);
		free(in->status[i].text);
	}
	free(in->status);
	for (size_t i = 0; i < in->nowners; i++)
		free(in->owners[i].path);
	free(in->owners);
	vf_source_free(in->src);
}

static void mode_text(const struct vf_stream_entry *e, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	char t = e->hardlink ? 'h' : e->type == AE_IFDIR ? 'd' : e->type == AE_IFLNK ? 'l'
		 : e->type == AE_IFCHR ? 'c' : e->type == AE_IFBLK ? 'b'
		 : e->type == AE_IFIFO ? 'p' : e->type == AE_IFSOCK ? 's' : '-';
	out[0] = t;
	for (int i = 0; i < 9; i++)
		out[1 + i] = (e->mode & (0400u >> i)) ? rwx[i] : '-';
	if (e->mode & 04000)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (e->mode & 02000)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (e->mode & 01000)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = '\0';
}

static json_t *config_section(const struct vf_source *s)
{
	return s->config ? json_object_get(s->config, "config") : NULL;
}

static void print_list(const char *label, json_t *arr)
{
	size_t i;
	json_t *v;
	if (!json_array_size(arr))
		return;
	json_array_foreach(arr, i, v)
		printf("%-11s %s\n", i ? "" : label,
		       json_string_value(v) ? cli_vis(json_string_value(v)) : "?");
}

static void print_text(const struct inspect *in, int tree)
{
	const struct vf_source *s = in->src;
	json_t *cfg = config_section(s);
	char a[32], b[32];

	printf("%-11s %s (%s%s%s)\n", "image", cli_vis(s->path), vf_source_kind_name(s->kind),
	       s->ref ? ", " : "", s->ref ? cli_vis(s->ref) : "");
	if (s->manifest_digest)
		printf("%-11s %s\n", "manifest", s->manifest_digest);
	if (s->config) {
		const char *os = json_string_value(json_object_get(s->config, "os"));
		const char *arch = json_string_value(json_object_get(s->config, "architecture"));
		const char *var = json_string_value(json_object_get(s->config, "variant"));
		const char *created = json_string_value(json_object_get(s->config, "created"));
		const char *user = json_string_value(json_object_get(cfg, "User"));
		const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
		const char *k;
		json_t *v;
		size_t i = 0;
		printf("%-11s %s\n", "config", s->config_digest);
		printf("%-11s %s/%s%s%s\n", "platform", os ? cli_vis(os) : "?",
		       arch ? cli_vis(arch) : "?", var ? "/" : "", var ? cli_vis(var) : "");
		if (created)
			printf("%-11s %s\n", "created", cli_vis(created));
		printf("%-11s %s\n", "user", user && *user ? cli_vis(user) : "(root)");
		print_list("entrypoint", json_object_get(cfg, "Entrypoint"));
		print_list("cmd", json_object_get(cfg, "Cmd"));
		print_list("env", json_object_get(cfg, "Env"));
		if (wd && *wd)
			printf("%-11s %s\n", "workdir", cli_vis(wd));
		json_object_foreach(json_object_get(cfg, "Labels"), k, v)
			printf("%-11s %s=%s\n", i++ ? "" : "labels", cli_vis(k),
			       json_string_value(v) ? cli_vis(json_string_value(v)) : "");
	}
	printf("layers\n");
	for (size_t i = 0; i < s->nlayers; i++) {
		const struct vf_stream *l = &in->layers[i];
		char d[24], u[24];
		human(l->size, a, sizeof(a));
		human(l->usize, b, sizeof(b));
		printf("  %zu  %s  %s  %s  (diff_id %s, %s, %zu entries)\n", i + 1,
		       dt_digest_short(l->digest, d), a, dt_compression_name(l->comp),
		       dt_digest_short(l->diff_id, u), b, l->n);
	}
	printf("files (%zu)\n", in->nfiles);
	for (size_t i = 0; i < in->nfiles; i++) {
		const struct file *f = &in->files[i];
		char m[11], ver[128];
		const char *v = f->pkg ? version_of(in, f->pkg, ver, sizeof(ver)) : NULL;
		int depth = 0;
		const char *base = f->e.name;
		mode_text(&f->e, m);
		if (tree) {
			for (const char *c = f->e.name; *c; c++)
				if (*c == '/') {
					depth++;
					base = c + 1;
				}
			printf("  %*s%s%s", depth * 2, "", cli_vis(base), f->e.type == AE_IFDIR ? "/" : "");
		} else {
			printf("  %s %5" PRId64 ":%-5" PRId64 " %10" PRIu64 "  %s%s", m, f->e.uid,
			       f->e.gid, f->e.size, cli_vis(f->e.name), f->e.type == AE_IFDIR ? "/" : "");
		}
		if (f->e.link)
			printf(" %s %s", f->e.hardlink ? "=>" : "->", cli_vis(f->e.link));
		if (f->pkg)
			printf("  [%s%s%s]", cli_vis(f->pkg), v ? " " : "", v ? cli_vis(v) : "");
		putchar('\n');
	}
}

static json_t *to_json(const struct inspect *in)
{
	const struct vf_source *s = in->src;
	json_t *layers = json_array(), *files = json_array(), *doc;

	for (size_t i = 0; i < s->nlayers; i++) {
		const struct vf_stream *l = &in->layers[i];
		json_array_append_new(layers, json_pack("{s:s, s:I, s:s?, s:s, s:s, s:I, s:I}",
							"digest", l->digest, "size",
							(json_int_t)l->size, "mediaType",
							s->layers[i].media_type, "compression",
							dt_compression_name(l->comp), "diff_id",
							l->diff_id, "uncompressed_size",
							(json_int_t)l->usize, "entries",
							(json_int_t)l->n));
	}
	for (size_t i = 0; i < in->nfiles; i++) {
		const struct file *f = &in->files[i];
		char hex[65], ver[128];
		dt_hex(f->e.sha256, DT_SHA256_LEN, hex);
		json_array_append_new(
			files, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s?, s:s?, s:I, s:s?, s:s?}",
					 "path", f->e.name, "type", vf_stream_type_name(&f->e),
					 "mode", (json_int_t)f->e.mode, "uid", (json_int_t)f->e.uid,
					 "gid", (json_int_t)f->e.gid, "size", (json_int_t)f->e.size,
					 "link", f->e.link, "sha256",
					 f->e.type == AE_IFREG && !f->e.hardlink ? hex : NULL,
					 "layer", (json_int_t)(f->layer + 1), "package", f->pkg,
					 "version",
					 f->pkg ? version_of(in, f->pkg, ver, sizeof(ver)) : NULL));
	}
	doc = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:o, s:o}", "path", s->path, "kind",
			vf_source_kind_name(s->kind), "ref", s->ref, "manifest",
			s->manifest_digest, "config_digest", s->config_digest, "layers", layers,
			"files", files);
	if (doc && s->config) {
		json_t *plat = json_pack("{s:O?, s:O?}", "os", json_object_get(s->config, "os"),
					 "architecture",
					 json_object_get(s->config, "architecture"));
		if (json_object_get(s->config, "variant"))
			json_object_set(plat, "variant", json_object_get(s->config, "variant"));
		json_object_set_new(doc, "platform", plat);
		json_object_set(doc, "created", json_object_get(s->config, "created")
							? json_object_get(s->config, "created")
							: json_null());
		json_object_set(doc, "config", config_section(s) ? config_section(s)
								: json_object());
	}
	return doc;
}

int cmd_inspect(int argc, char **argv)
{
	const char *ref = NULL;
	int json = 0, tree = 0, c, rc = CLI_ERROR;
	struct inspect in = { 0 };
	struct dt_err err;

	dt_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", inspect_options, NULL)) != -1) {
		switch (c) {
		case OPT_REF: ref = optarg; break;
		case OPT_TREE: tree = 1; break;
		case OPT_JSON: json = 1; break;
		case 'h': fputs(inspect_usage, stdout); return CLI_OK;
		case ':': return cli_usage_error("inspect", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("inspect", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("inspect", "needs one IMAGE");
	if (json && tree)
		return cli_usage_error("inspect", "--json and --tree do not go together");
	if (load(&in, argv[optind], ref, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (json) {
		json_t *doc = to_json(&in);
		char *s = NULL;
		if (!doc || mf_json_dump(doc, MF_JSON_PRETTY, &s, &err) < 0) {
			cli_error("cannot write the JSON report");
			json_decref(doc);
			goto out;
		}
		fputs(s, stdout);
		free(s);
		json_decref(doc);
	} else {
		print_text(&in, tree);
	}
	rc = CLI_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write: standard output failed");
		rc = CLI_ERROR;
	}
out:
	release(&in);
	return rc;
}
