/* SPDX-License-Identifier: MIT */
/* `distill tar`: packs directories into a bit-for-bit reproducible tarball. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/epoch.h"
#include "manifest/json.h"
#include "cli/cli.h"
#include "packer/archive/compress.h"
#include "packer/archive/tar.h"
#include "common/outfile.h"
#include "packer/archive/tree.h"

static const char tar_usage[] =
	"usage: distill tar [options] DIR... -o OUT\n"
	"\n"
	"Packs the contents of each DIR (merged at the archive root) into a tarball whose bytes\n"
	"depend only on the files' names, contents, types and the options below.\n"
	"\n"
	"  -o, --output OUT           write to OUT ('-' for standard output)\n"
	"      --compression ALG      none, gzip or zstd (default: from OUT's suffix:\n"
	"                             .tar, .tar.gz/.tgz, .tar.zst/.tzst; else none)\n"
	"      --level N              gzip 1-12 (default 6), zstd 1-19 (default 3)\n"
	"      --source-date-epoch N  seconds since 1970 (default: $SOURCE_DATE_EPOCH, else 0)\n"
	"      --mtime clamp|set      clamp: min(file mtime, epoch) (default); set: epoch\n"
	"      --owner UID:GID        owner of every entry (default 0:0)\n"
	"      --keep-modes           keep permission bits (default: dirs and executables\n"
	"                             0755, other files 0644, symlinks 0777)\n"
	"      --keep-special         keep setuid, setgid and sticky bits (default: dropped)\n"
	"      --exclude GLOB         leave out matching paths (repeatable); a GLOB with '/'\n"
	"                             matches the path below DIR, else the base name\n"
	"      --prefix DIR/          put every entry under DIR/ inside the archive\n"
	"      --strict               fail on sockets, fifos and devices instead of skipping\n"
	"      --json                 print the summary as JSON (stdout; stderr when OUT is -)\n"
	"  -q, --quiet                no summary and no progress bar\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 written, 1 error (nothing is left at OUT), 2 usage.\n"
	"See docs/tar.md for the normalization rules.\n";

enum {
	OPT_COMPRESSION = 256, OPT_LEVEL, OPT_SDE, OPT_MTIME, OPT_OWNER, OPT_KEEP_MODES,
	OPT_KEEP_SPECIAL, OPT_EXCLUDE, OPT_PREFIX, OPT_STRICT, OPT_JSON,
};

static const struct option tar_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "compression", required_argument, NULL, OPT_COMPRESSION },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "source-date-epoch", required_argument, NULL, OPT_SDE },
	{ "mtime", required_argument, NULL, OPT_MTIME },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "keep-modes", no_argument, NULL, OPT_KEEP_MODES },
	{ "keep-special", no_argument, NULL, OPT_KEEP_SPECIAL },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct tar_args {
	const char *out;
	int have_comp;
	enum dt_compression comp;
	int level; /* -1: the default */
	const char *sde;
	struct pk_norm norm;
	const char **excludes;
	size_t nexcludes;
	char *prefix;
	int strict, json, quiet;
};

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xfffffffeUL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_owner(const char *s, uint32_t *uid, uint32_t *gid)
{
	const char *colon = strchr(s, ':');
	char ubuf[16];

	if (!colon || (size_t)(colon - s) >= sizeof(ubuf) || colon == s)
		return -1;
	memcpy(ubuf, s, (size_t)(colon - s));
	ubuf[colon - s] = '\0';
	return parse_u32(ubuf, uid) < 0 || parse_u32(colon + 1, gid) < 0 ? -1 : 0;
}

/* "a/b", "a/b/" and "./a/b" -> "a/b/"; rejects absolute paths, "." and ".." components. */
static char *parse_prefix(const char *s)
{
	size_t n;
	char *p, *comp, *save = NULL, *copy;

	while (s[0] == '.' && s[1] == '/')
		s += 2;
	if (!*s || *s == '/')
		return NULL;
	if (!(copy = strdup(s)))
		return NULL;
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save))
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			free(copy);
			return NULL;
		}
	free(copy);
	if (strstr(s, "//"))
		return NULL;
	n = strlen(s);
	if (!(p = malloc(n + 2)))
		return NULL;
	memcpy(p, s, n + 1);
	if (p[n - 1] != '/') {
		p[n] = '/';
		p[n + 1] = '\0';
	}
	return p;
}

static int parse_args(int argc, char **argv, struct tar_args *a)
{
	int c;

	a->level = -1;
	a->norm.mtime = PK_MTIME_CLAMP;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", tar_options, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case OPT_COMPRESSION:
			if (cli_opt_compression("tar", optarg, &a->comp))
				return CLI_USAGE;
			a->have_comp = 1;
			break;
		case OPT_LEVEL:
			if (cli_opt_level("tar", optarg, &a->level))
				return CLI_USAGE;
			break;
		case OPT_SDE:
			a->sde = optarg;
			break;
		case OPT_MTIME:
			if (strcmp(optarg, "clamp") == 0)
				a->norm.mtime = PK_MTIME_CLAMP;
			else if (strcmp(optarg, "set") == 0)
				a->norm.mtime = PK_MTIME_SET;
			else
				return cli_usage_error("tar", "--mtime wants clamp or set, not '%s'", optarg);
			break;
		case OPT_OWNER:
			if (parse_owner(optarg, &a->norm.uid, &a->norm.gid) < 0)
				return cli_usage_error("tar", "--owner wants UID:GID (numbers), not '%s'", optarg);
			break;
		case OPT_KEEP_MODES:
			a->norm.keep_modes = 1;
			break;
		case OPT_KEEP_SPECIAL:
			a->norm.keep_special = 1;
			break;
		case OPT_EXCLUDE: {
			const char **v = realloc(a->excludes, (a->nexcludes + 1) * sizeof(*v));
			if (!v)
				return cli_usage_error("tar", "out of memory");
			a->excludes = v;
			a->excludes[a->nexcludes++] = optarg;
			break;
		}
		case OPT_PREFIX:
			free(a->prefix);
			if (!(a->prefix = parse_prefix(optarg)))
				return cli_usage_error("tar", "--prefix wants a relative directory without '.' or '..', not '%s'", optarg);
			break;
		case OPT_STRICT:
			a->strict = 1;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'h':
			fputs(tar_usage, stdout);
			return -1;
		case ':':
			return cli_usage_error("tar", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("tar", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("tar", "no DIR to pack");
	if (!a->out)
		return cli_usage_error("tar", "no output: use -o OUT ('-' for standard output)");
	return 0;
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	cli_warn("%s", msg);
}

static int print_summary(const struct tar_args *a, const struct pk_tar_result *r)
{
	FILE *f = strcmp(a->out, "-") == 0 ? stderr : stdout;

	if (a->json) {
		json_t *doc = json_pack("{s:s, s:s, s:i, s:I, s:I, s:{s:s, s:I}, s:{s:s, s:I}}",
			"output", a->out, "compression", dt_compression_name(a->comp),
			"level", a->level, "entries", (json_int_t)r->entries,
			"source_date_epoch", (json_int_t)a->norm.epoch,
			"tar", "sha256", r->diff_id + 7, "size", (json_int_t)r->tar_size,
			"compressed", "sha256", r->digest + 7, "size", (json_int_t)r->blob_size);
		return cli_print_json(f, doc) < 0 ? CLI_ERROR : CLI_OK;
	}
	if (a->quiet)
		return CLI_OK;
	fprintf(stderr, "distill: wrote %s: %zu entries\n", a->out, r->entries);
	fprintf(stderr, "  tar   %s  %llu bytes\n", r->diff_id, (unsigned long long)r->tar_size);
	if (a->comp != DT_COMP_NONE)
		fprintf(stderr, "  %-5s %s  %llu bytes\n", dt_compression_name(a->comp), r->digest,
			(unsigned long long)r->blob_size);
	return CLI_OK;
}

int cmd_tar(int argc, char **argv)
{
	struct tar_args a = { 0 };
	struct pk_tree *tree = NULL;
	struct dt_outfile of = { .fd = -1 };
	struct pk_tar_result res;
	struct cli_progress prog;
	struct dt_err err;
	int rc, opened = 0;

	dt_err_clear(&err);
	rc = parse_args(argc, argv, &a);
	if (rc != 0) {
		rc = rc < 0 ? CLI_OK : rc; /* -1: --help */
		goto out;
	}

	/* Compression: the flag, else the suffix; both must agree. */
	{
		enum dt_compression by_suffix;
		int known = strcmp(a.out, "-") != 0 && dt_compression_from_suffix(a.out, &by_suffix);
		if (a.have_comp && known && by_suffix != a.comp) {
			rc = cli_usage_error("tar", "--compression %s does not match the name '%s'",
					     dt_compression_name(a.comp), a.out);
			goto out;
		}
		if (!a.have_comp)
			a.comp = known ? by_suffix : DT_COMP_NONE;
	}
	if ((rc = cli_level_for("tar", a.comp, &a.level)) != 0 ||
	    (rc = cli_opt_epoch("tar", a.sde, &a.norm.epoch)) != 0)
		goto out;

	if (!(tree = pk_tree_new())) {
		cli_error("out of memory");
		rc = CLI_ERROR;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		struct pk_scan_opts so = {
			.prefix = a.prefix, .excludes = a.excludes, .nexcludes = a.nexcludes,
			.strict = a.strict, .warn = warn_cb,
		};
		if (pk_tree_add_dir(tree, argv[i], &so, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
	}
	if (pk_tree_normalize(tree, &a.norm, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}

	if (dt_outfile_open(&of, a.out, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	opened = 1;
	if (isatty(of.fd)) {
		cli_error("refusing to write an archive to a terminal; redirect it or use -o FILE");
		rc = CLI_ERROR;
		goto out;
	}
	cli_progress_init(&prog, "distill tar", a.quiet);
	{
		struct pk_tar_opts lo = {
			.compression = a.comp, .level = a.level,
			.progress = cli_progress_cb, .progress_ctx = &prog,
		};
		rc = pk_tar_write(tree, of.fd, a.out, &lo, &res, &err);
	}
	cli_progress_end(&prog);
	if (rc < 0 || dt_outfile_commit(&of, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	rc = print_summary(&a, &res);
out:
	if (opened)
		dt_outfile_release(&of);
	pk_tree_free(tree);
	free(a.excludes);
	free(a.prefix);
	return rc;
}
