/* SPDX-License-Identifier: MIT */
/* `distill deps`: the files ld.so would open for ELF files, found without running them. */
#include <elf.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deps/machine.h"
#include "deps/resolve.h"
#include "manifest/dlopen_note.h"
#include "manifest/json.h"
#include "cli/cli.h"
#include "common/fs.h"

static const char deps_usage[] =
	"usage: distill deps [options] ELF...\n"
	"\n"
	"Lists the files the dynamic loader (glibc 2.36 ld.so) would open to run each ELF,\n"
	"without running it: the interpreter, every needed library and the symlinks on the\n"
	"way to each, one path per line, sorted.\n"
	"\n"
	"      --root DIR             resolve inside DIR (a sysroot; default /); ELF paths are\n"
	"                             inside the root\n"
	"      --library-path P       LD_LIBRARY_PATH of the target (colon-separated)\n"
	"      --nsswitch FILE        the nsswitch.conf the target runs with (a host file),\n"
	"                             instead of the root's /etc/nsswitch.conf\n"
	"      --runtime MODE         loads no DT_NEEDED shows (libgcc_s for pthread_cancel):\n"
	"                             auto: add them (default), list: only report, off: ignore\n"
	"      --tree                 print the loading tree instead\n"
	"      --json                 print objects, needs, search steps, run-time loads as JSON\n"
	"      --allow-missing        exit 0 even when a library cannot be found\n"
	"      --why PATH             print the chain that brings PATH in ('PATH <- DT_NEEDED\n"
	"                             of LIB <- DT_NEEDED of ELF <- input'), not the list\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 resolved, 1 error or a library missing (as ld.so would fail), 2 usage.\n"
	"See docs/deps.md for the rules.\n";

enum { OPT_ROOT = 256, OPT_LIBPATH, OPT_RUNTIME, OPT_TREE, OPT_JSON, OPT_ALLOW_MISSING,
       OPT_NSSWITCH, OPT_WHY };

static const struct option deps_options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "library-path", required_argument, NULL, OPT_LIBPATH },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "tree", no_argument, NULL, OPT_TREE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "allow-missing", no_argument, NULL, OPT_ALLOW_MISSING },
	{ "nsswitch", required_argument, NULL, OPT_NSSWITCH },
	{ "why", required_argument, NULL, OPT_WHY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_tree(const struct deps_process *p, size_t idx, int depth, char *seen)
{
	const struct deps_obj *o = &p->objs[idx];

	seen[idx] = 1;
	for (size_t k = 0; k < o->nneeds; k++) {
		const struct deps_need *n = &o->needs[k];
		printf("%*s%s => %s [%s]%s\n", 2 * (depth + 1), "", cli_vis(n->name),
		       n->obj >= 0 ? cli_vis(p->objs[n->obj].path) : "not found", deps_how_name(n->how),
		       n->obj >= 0 && seen[n->obj] && n->how != DEPS_HOW_LOADED ? " (see above)" : "");
		if (n->obj >= 0 && !seen[n->obj])
			print_tree(p, (size_t)n->obj, depth + 1, seen);
	}
}

static json_t *obj_json(const struct deps_process *p, const struct deps_obj *o)
{
	const struct deps_machine *m = deps_machine_find(o->elf->machine, o->elf->elf_class);
	json_t *needs = json_array(), *variants = json_array();

	for (size_t k = 0; k < o->nneeds; k++)
		json_array_append_new(needs, json_pack("{s:o, s:o?, s:s}", "name",
			mf_json_text(o->needs[k].name), "path",
			mf_json_text(o->needs[k].obj >= 0 ? p->objs[o->needs[k].obj].path : NULL),
			"found_by", deps_how_name(o->needs[k].how)));
	for (size_t k = 0; k < o->variants.n; k++)
		json_array_append_new(variants, mf_json_text(o->variants.v[k]));
	return json_pack("{s:o, s:o, s:o?, s:s?, s:o?, s:o?, s:o?, s:o, s:o, s:b}",
		"path", mf_json_text(o->path), "real_path", mf_json_text(o->real),
		"soname", mf_json_text(o->elf->soname), "machine", m ? m->name : NULL,
		"interpreter", mf_json_text(o->elf->interp), "rpath", mf_json_text(o->elf->rpath),
		"runpath", mf_json_text(o->elf->runpath), "needs", needs,
		"hwcaps_variants", variants, "nodeflib", (o->elf->flags_1 & DF_1_NODEFLIB) != 0);
}

static int print_json(const struct deps_result *r)
{
	json_t *doc = json_object(), *inputs = json_array(), *files = json_array(),
	       *missing = json_array();

	for (size_t i = 0; i < r->nprocs; i++) {
		const struct deps_process *p = &r->procs[i];
		json_t *objs = json_array(), *rt = json_array();
		for (size_t k = 0; k < p->nobjs; k++)
			json_array_append_new(objs, obj_json(p, &p->objs[k]));
		for (size_t k = 0; k < p->nruntime; k++)
			json_array_append_new(rt, json_pack("{s:o, s:o?, s:o}", "name",
				mf_json_text(p->runtime[k].name), "path",
				mf_json_text(p->runtime[k].path), "reason",
				mf_json_text(p->runtime[k].reason)));
		json_array_append_new(inputs, json_pack("{s:o, s:o, s:o}", "input",
							mf_json_text(p->input), "objects", objs,
							"runtime", rt));
	}
	for (size_t i = 0; i < r->files.n; i++)
		json_array_append_new(files, mf_json_text(r->files.v[i]));
	for (size_t i = 0; i < r->missing.n; i++)
		json_array_append_new(missing, mf_json_text(r->missing.v[i]));
	json_object_set_new(doc, "inputs", inputs);
	json_object_set_new(doc, "files", files);
	json_object_set_new(doc, "missing", missing);
	return cli_print_json(stdout, doc) < 0 ? CLI_ERROR : CLI_OK;
}

/* --why PATH: each step's deps_why, from PATH to an input. */
static int print_why(const struct deps_result *r, const char *path)
{
	const char *at = path;
	int listed = 0;

	for (size_t i = 0; i < r->files.n && !listed; i++)
		listed = strcmp(r->files.v[i], path) == 0;
	if (!listed) {
		cli_error("'%s' is not in the closure", cli_vis(path));
		return CLI_ERROR;
	}
	printf("%s", cli_vis(path));
	for (int steps = 0; at && steps < 64; steps++) {
		char how[8400];
		const char *of = NULL;
		deps_why(r, at, how, sizeof(how), &of);
		if (!of) {
			printf(" <- %s\n", strcmp(how, "input") == 0 ? "input" : cli_vis(how));
			return CLI_OK;
		}
		if (strcmp(how, "symlink") == 0)
			printf(" <- symlink to %s", cli_vis(of));
		else
			printf(" <- %s of %s", cli_vis(how), cli_vis(of));
		at = strcmp(of, at) ? of : NULL;
	}
	printf("\n");
	return CLI_OK;
}

int cmd_deps(int argc, char **argv)
{
	struct deps_opts o = { .root = "/", .runtime = DEPS_RUNTIME_AUTO,
			       .dlopen_parse = mf_dlopen_note_parse };
	struct deps_result *r = NULL;
	struct dt_err err;
	char **inputs = NULL, *nss = NULL;
	const char *why = NULL;
	int c, tree = 0, json = 0, allow_missing = 0, rc = CLI_OK, n = 0;

	dt_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", deps_options, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT: o.root = optarg; break;
		case OPT_LIBPATH: o.library_path = optarg; break;
		case OPT_RUNTIME:
			if (strcmp(optarg, "auto") == 0)
				o.runtime = DEPS_RUNTIME_AUTO;
			else if (strcmp(optarg, "list") == 0)
				o.runtime = DEPS_RUNTIME_LIST;
			else if (strcmp(optarg, "off") == 0)
				o.runtime = DEPS_RUNTIME_OFF;
			else
				return cli_usage_error("deps", "--runtime wants auto, list or off, not '%s'", optarg);
			break;
		case OPT_TREE: tree = 1; break;
		case OPT_WHY: why = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_ALLOW_MISSING: allow_missing = 1; break;
		case OPT_NSSWITCH: {
			size_t len = 0;
			struct dt_err e;
			dt_err_clear(&e);
			free(nss);
			nss = NULL;
			/* an empty file is an nsswitch.conf too (no NSS module is loaded) */
			if (dt_read_file(AT_FDCWD, optarg, 1 << 20, &nss, &len, &e) < 0) {
				cli_fail(&e);
				return CLI_ERROR;
			}
			o.nsswitch = nss;
			break;
		}
		case 'h': fputs(deps_usage, stdout); return CLI_OK;
		case ':': return cli_usage_error("deps", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("deps", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc || (tree && json) ||
	    !(inputs = calloc((size_t)(argc - optind), sizeof(char *)))) {
		free(nss);
		return cli_usage_error("deps", optind >= argc ? "no ELF file given"
					       : tree && json ? "--tree and --json exclude each other"
					       : "out of memory");
	}
	for (int i = optind; i < argc; i++) {
		/* With the host as root, a relative path is relative to the working directory. */
		if (argv[i][0] != '/' && strcmp(o.root, "/") == 0) {
			char *cwd = getcwd(NULL, 0);
			if (!cwd || asprintf(&inputs[n], "%s/%s", cwd, argv[i]) < 0)
				inputs[n] = NULL;
			free(cwd);
		} else {
			inputs[n] = strdup(argv[i]);
		}
		if (!inputs[n++]) {
			rc = cli_usage_error("deps", "out of memory");
			goto out;
		}
	}
	if (deps_resolve(&o, (const char *const *)inputs, (size_t)n, &r, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (why) {
		rc = print_why(r, why);
	} else if (json) {
		rc = print_json(r);
	} else if (tree) {
		for (size_t i = 0; i < r->nprocs; i++) {
			const struct deps_process *p = &r->procs[i];
			char *seen = calloc(p->nobjs ? p->nobjs : 1, 1);
			printf("%s\n", cli_vis(p->input));
			if (p->nobjs > 1 && p->objs[1].loader < 0)
				printf("  %s [interpreter]\n", cli_vis(p->objs[1].path));
			if (seen && p->nobjs)
				print_tree(p, 0, 0, seen);
			for (size_t k = 0; k < p->nruntime; k++)
				printf("  %s => %s [runtime: %s]\n", cli_vis(p->runtime[k].name),
				       p->runtime[k].path ? cli_vis(p->runtime[k].path) : "not found",
				       cli_vis(p->runtime[k].reason));
			free(seen);
		}
	} else {
		for (size_t i = 0; i < r->files.n; i++)
			printf("%s\n", cli_vis(r->files.v[i]));
		for (size_t i = 0; i < r->nprocs && o.runtime == DEPS_RUNTIME_LIST; i++)
			for (size_t k = 0; k < r->procs[i].nruntime; k++)
				fprintf(stderr, "distill: run-time load not added: %s (%s)\n",
					cli_vis(r->procs[i].runtime[k].name),
					cli_vis(r->procs[i].runtime[k].reason));
	}
	for (size_t i = 0; i < r->missing.n; i++)
		cli_error("not found: %s", r->missing.v[i]);
	if (r->missing.n && !allow_missing && rc == CLI_OK)
		rc = CLI_ERROR;
out:
	for (int i = 0; i < n; i++)
		free(inputs[i]);
	free(inputs);
	free(nss);
	deps_result_free(r);
	return rc;
}
