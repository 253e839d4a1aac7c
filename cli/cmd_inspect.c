/* SPDX-License-Identifier: MIT */
/* `distill inspect`: platform, config, layers and the file list of an image or tarball. */
#include <archive_entry.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "manifest/json.h"
#include "manifest/lock.h"
#include "cli/cli.h"
#include "verify/view.h"

static const char inspect_usage[] =
	"usage: distill inspect [options] IMAGE\n"
	"\n"
	"Shows an image's platform, config and layers (digest, size, compression, diff_id,\n"
	"entries) and its file list as a container sees it (layers applied in order,\n"
	"whiteouts honoured) with type, mode, owner, size and, where the image carries\n"
	"/var/lib/dpkg/status.d entries with md5sums, the owning Debian package. IMAGE is an\n"
	"OCI layout directory, an OCI archive, a docker-archive or a tarball. The OCI 1.1\n"
	"artifacts about the image (SBOMs, provenance: 'distill build --sbom') are listed.\n"
	"\n"
	"      --ref REF              the image to show when an index holds several\n"
	"      --tree                 the files as a tree\n"
	"      --json                 everything as JSON on stdout\n"
	"      --why PATH --lock LOCK the chain that brought PATH into the image, from LOCK,\n"
	"                             the lock the image was built from (checked by the\n"
	"                             image's dev.distill.lock.digest): 'A <- DT_NEEDED of B\n"
	"                             <- binaries[0] B', ending at a spec entry or a rule;\n"
	"                             repeatable (a line each; --json: {\"why\": [{\"path\",\n"
	"                             \"chain\"}]})\n"
	"      --secrets              only the files that look like secrets (private keys,\n"
	"                             .env, credentials, .git, histories, tokens: the build's\n"
	"                             rules, on every file; see docs/security.md); exit 0\n"
	"                             none, 1 some found, 2 error or usage\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 shown, 1 error, 2 usage.\n";

enum { OPT_REF = 256, OPT_TREE, OPT_JSON, OPT_WHY, OPT_LOCK, OPT_SECRETS };

static const struct option inspect_options[] = {
	{ "ref", required_argument, NULL, OPT_REF },
	{ "tree", no_argument, NULL, OPT_TREE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "why", required_argument, NULL, OPT_WHY },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "secrets", no_argument, NULL, OPT_SECRETS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

static void print_text(const struct vf_view *in, int tree, const struct vf_artifact *art,
		       size_t nart)
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
		dt_human_bytes(l->size, a, sizeof(a));
		dt_human_bytes(l->usize, b, sizeof(b));
		printf("  %zu  %s  %s  %s  (diff_id %s, %s, %zu entries)\n", i + 1,
		       dt_digest_short(l->digest, d), a, dt_compression_name(l->comp),
		       dt_digest_short(l->diff_id, u), b, l->n);
	}
	if (nart)
		printf("artifacts\n");
	for (size_t i = 0; i < nart; i++) {
		char d[24];
		printf("  %s  %s\n", dt_digest_short(art[i].digest, d), cli_vis(art[i].type));
	}
	printf("files (%zu)\n", in->nfiles);
	for (size_t i = 0; i < in->nfiles; i++) {
		const struct vf_view_file *f = &in->files[i];
		struct vf_stream_entry e;
		char m[11];
		const char *v = f->version;
		int depth = 0;
		const char *base = f->name;
		vf_view_entry(in, f, &e);
		mode_text(&e, m);
		if (tree) {
			for (const char *c = e.name; *c; c++)
				if (*c == '/') {
					depth++;
					base = c + 1;
				}
			printf("  %*s%s%s", depth * 2, "", cli_vis(base), e.type == AE_IFDIR ? "/" : "");
		} else {
			printf("  %s %5" PRId64 ":%-5" PRId64 " %10" PRIu64 "  %s%s", m, e.uid,
			       e.gid, e.size, cli_vis(e.name), e.type == AE_IFDIR ? "/" : "");
		}
		if (e.link)
			printf(" %s %s", e.hardlink ? "=>" : "->", cli_vis(e.link));
		if (f->pkg)
			printf("  [%s%s%s]", cli_vis(f->pkg), v ? " " : "", v ? cli_vis(v) : "");
		putchar('\n');
	}
}

static json_t *to_json(const struct vf_view *in)
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
		const struct vf_view_file *f = &in->files[i];
		struct vf_stream_entry e;
		char hex[65];
		vf_view_entry(in, f, &e);
		dt_hex(e.sha256, DT_SHA256_LEN, hex);
		json_array_append_new(
			files, json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:o?, s:s?, s:I, s:o?, s:o?}",
					 "path", mf_json_text(e.name), "type", vf_stream_type_name(&e),
					 "mode", (json_int_t)e.mode, "uid", (json_int_t)e.uid,
					 "gid", (json_int_t)e.gid, "size", (json_int_t)e.size,
					 "link", mf_json_text(e.link), "sha256",
					 e.type == AE_IFREG && !e.hardlink ? hex : NULL,
					 "layer", (json_int_t)(f->layer + 1), "package", mf_json_text(f->pkg),
					 "version", mf_json_text(f->pkg ? f->version : NULL)));
	}
	doc = json_pack("{s:o, s:s, s:o?, s:s?, s:s?, s:o, s:o}", "path", mf_json_text(s->path),
			"kind", vf_source_kind_name(s->kind), "ref", mf_json_text(s->ref), "manifest",
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

/* --why PATH...: the chains from @lock, which must be the image's. */
static int print_why(const struct vf_view *in, const char *image, const char *lockfile,
		     const char *const *paths, size_t npaths, int json)
{
	json_t *ann = in->src->manifest ? json_object_get(in->src->manifest, "annotations") : NULL;
	const char *want = json_string_value(json_object_get(ann, "dev.distill.lock.digest"));
	json_t *all = json ? json_array() : NULL;
	struct mf_lock *l = NULL;
	struct dt_err err;
	int rc = CLI_ERROR;

	dt_err_clear(&err);
	if (mf_lock_load(lockfile, &l, &err) < 0) {
		json_decref(all);
		return cli_fail(&err);
	}
	if (!want || strcmp(want, l->digest) != 0) {
		cli_error("'%s' is not the lock %s was built from (it names %s)", cli_vis(lockfile),
			  cli_vis(image), want ? cli_vis(want) : "no lock: no dev.distill.lock.digest");
		goto out;
	}
	for (size_t p = 0; p < npaths; p++) {
		const char *name = paths[p];
		struct dt_strv chain = { 0 };
		char abs[4200];
		int found = 0;
		while (*name == '/')
			name++;
		snprintf(abs, sizeof(abs), "/%s", name);
		for (size_t i = 0; i < in->nfiles && !found; i++)
			found = strcmp(in->files[i].name, name) == 0;
		if (!found) {
			cli_error("'%s' is not in %s", cli_vis(abs), cli_vis(image));
			goto out;
		}
		if (mf_lock_why_chain(l, abs, &chain, &err) < 0) {
			dt_strv_release(&chain);
			rc = cli_fail(&err);
			goto out;
		}
		if (json) {
			json_t *steps = json_array();
			for (size_t i = 0; steps && i < chain.n; i++)
				json_array_append_new(steps, mf_json_text(chain.v[i]));
			json_array_append_new(all, json_pack("{s:o, s:o}", "path", mf_json_text(abs),
							     "chain", steps));
		} else {
			for (size_t i = 0; i < chain.n; i++)
				printf("%s%s", i ? " <- " : "", cli_vis(chain.v[i]));
			printf("\n");
		}
		dt_strv_release(&chain);
	}
	if (json) {
		int r = cli_print_json(stdout, json_pack("{s:o}", "why", all));
		all = NULL;
		if (r < 0)
			goto out;
	}
	rc = CLI_OK;
out:
	json_decref(all);
	mf_lock_free(l);
	return rc;
}

int cmd_inspect(int argc, char **argv)
{
	const char *ref = NULL, *lock = NULL, **why = NULL;
	size_t nwhy = 0;
	int json = 0, tree = 0, secrets = 0, c, rc = CLI_ERROR;
	struct vf_view *in = NULL;
	struct vf_artifact *art = NULL;
	size_t nart = 0;
	struct dt_err err;

	dt_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", inspect_options, NULL)) != -1) {
		switch (c) {
		case OPT_REF: ref = optarg; break;
		case OPT_TREE: tree = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_WHY: {
			const char **v = realloc(why, (nwhy + 1) * sizeof(*why));
			if (!v) {
				free(why);
				cli_error("out of memory");
				return CLI_ERROR;
			}
			why = v;
			why[nwhy++] = optarg;
			break;
		}
		case OPT_LOCK: lock = optarg; break;
		case OPT_SECRETS: secrets = 1; break;
		case 'h': fputs(inspect_usage, stdout); rc = CLI_OK; goto out;
		case ':':
			rc = cli_usage_error("inspect", "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			rc = cli_usage_error("inspect", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 1)
		rc = cli_usage_error("inspect", "needs one IMAGE");
	else if (json && tree)
		rc = cli_usage_error("inspect", "--json and --tree do not go together");
	else if (!why != !lock)
		rc = cli_usage_error("inspect", "--why PATH needs the image's lock: --lock FILE");
	else if (secrets && (tree || why))
		rc = cli_usage_error("inspect", "--secrets goes with neither --tree nor --why");
	if (rc == CLI_USAGE)
		goto out;
	if (secrets) {
		rc = cli_inspect_secrets(argv[optind], ref, json);
		goto out;
	}
	if (vf_view_open(argv[optind], ref, &in, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (vf_source_artifacts(in->src, &art, &nart, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (why) {
		if ((rc = print_why(in, argv[optind], lock, why, nwhy, json)) != CLI_OK)
			goto out;
	} else if (json) {
		json_t *doc = to_json(in), *arts = json_array();
		for (size_t i = 0; arts && i < nart; i++)
			json_array_append_new(arts, json_pack("{s:o, s:s, s:s}", "artifactType",
							      mf_json_text(art[i].type), "manifest",
							      art[i].digest, "document", art[i].blob));
		if (doc && nart)
			json_object_set_new(doc, "artifacts", arts);
		else
			json_decref(arts);
		if (cli_print_json(stdout, doc) < 0)
			goto out;
	} else {
		print_text(in, tree, art, nart);
	}
	rc = CLI_OK;
	if (cli_stdout_ok() < 0)
		rc = CLI_ERROR;
out:
	free(why);
	vf_artifacts_free(art, nart);
	vf_view_free(in);
	return rc;
}
