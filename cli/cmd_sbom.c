/* SPDX-License-Identifier: MIT */
/* `distill sbom`: the SPDX 2.3 or CycloneDX 1.6 SBOM of a spec's image, or the one attached
 * to an image. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/fs.h"
#include "common/outfile.h"
#include "verify/sbom.h"
#include "verify/source.h"

static const char sbom_usage[] =
	"usage: distill sbom [options] SPEC|IMAGE\n"
	"\n"
	"Writes the software bill of materials of an image: its packages (name, version,\n"
	"architecture, purl, supplier from the Maintainer, license from a machine-readable\n"
	"debian/copyright, else NOASSERTION) with the files each contributed and their\n"
	"sha256, the project's own files as their own component, the image itself as the root\n"
	"with its manifest digest, and what each ELF file needs as ld.so resolves it. The same\n"
	"inputs give the same bytes: identifiers come from the manifest digest, the time from\n"
	"SOURCE_DATE_EPOCH.\n"
	"\n"
	"SPEC (a .yaml file) is planned as 'distill build' would, and its image's manifest\n"
	"digest computed without writing it: the SBOM is the one 'distill build --sbom' with\n"
	"the same options attaches. IMAGE (an OCI layout or archive built with --sbom) gives\n"
	"the SBOM attached to it, its digest checked.\n"
	"\n"
	"      --format FMT           spdx-json (default), cyclonedx-json (1.6) or\n"
	"                             cyclonedx-1.5-json (the same as 1.5, for older readers)\n"
	"  -o, --output FILE          where to write it (default: standard output)\n"
	"      --ref REF              the image, when an index holds several\n"
	"      --debs DIR             SPEC: directory of .deb files (overrides the spec's)\n"
	"      --compression ALG      SPEC: the layers' compression of the build (gzip)\n"
	"      --level N              SPEC: its level\n"
	"      --tag TAG              SPEC: the tag of the build\n"
	"      --source-date-epoch N  SPEC: seconds since 1970 (default: $SOURCE_DATE_EPOCH,\n"
	"                             else 0)\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 written, 1 error, 2 usage. See docs/sbom.md.\n";

enum { OPT_FORMAT = 256, OPT_REF, OPT_DEBS, OPT_COMPRESSION, OPT_LEVEL, OPT_TAG, OPT_SDE };

static const struct option sbom_options[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "debs", required_argument, NULL, OPT_DEBS },
	{ "compression", required_argument, NULL, OPT_COMPRESSION },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "source-date-epoch", required_argument, NULL, OPT_SDE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int is_spec(const char *path)
{
	struct stat st;
	size_t n = strlen(path);

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       ((n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
		(n > 4 && strcmp(path + n - 4, ".yml") == 0));
}

/* The SBOM attached to the image at @path. */
/* The SBOM attached to the image (@f's, as built), else one made from what the image
 * carries (verify/sbom.h). @return 0 and *@text, or a negative code. */
static int from_image(const char *path, const char *ref, enum mf_sbom_format f, int64_t epoch,
		      char **text, struct dt_err *err)
{
	struct vf_source *s = NULL;
	struct vf_artifact *a = NULL;
	struct vf_view *v = NULL;
	struct mf_sbom m;
	size_t n = 0, len, i = 0;
	int rc;

	*text = NULL;
	if ((rc = vf_source_open(path, ref, &s, err)) < 0)
		return rc;
	if ((rc = vf_source_artifacts(s, &a, &n, err)) == 0) {
		/* the 1.5 rendering is never attached */
		for (i = 0; i < n && (f == MF_SBOM_CYCLONEDX15 ||
				      strcmp(a[i].type, mf_sbom_media_type(f)) != 0); i++)
			;
		if (i < n)
			rc = vf_source_artifact_read(s, &a[i], text, &len, err);
	}
	vf_artifacts_free(a, n);
	vf_source_free(s);
	if (rc < 0 || *text)
		return rc;
	if ((rc = vf_view_open(path, ref, &v, err)) < 0)
		return rc;
	if ((rc = vf_sbom_model(v, epoch, &m, err)) == 0) {
		rc = mf_sbom_json(&m, f, text, err);
		mf_sbom_release(&m);
	}
	vf_view_free(v);
	return rc;
}

int cmd_sbom(int argc, char **argv)
{
	const char *out = "-", *ref = NULL, *debs = NULL, *sde = NULL, *tag = NULL;
	struct pk_build_opts bo = { .format = PK_FORMAT_OCI, .compression = DT_COMP_GZIP };
	enum mf_sbom_format f = MF_SBOM_SPDX;
	struct mf_spec *spec = NULL;
	struct pk_image *img = NULL;
	struct mf_lock *locked = NULL;
	struct dt_outfile of = { .fd = -1 };
	char *text = NULL;
	int64_t epoch;
	struct dt_err err;
	int c, level = -1, rc = CLI_ERROR;

	dt_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", sbom_options, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (mf_sbom_format_parse(optarg, &f) < 0)
				return cli_usage_error("sbom", "unknown format '%s' (want spdx-json, "
						       "cyclonedx-json or cyclonedx-1.5-json)", optarg);
			break;
		case 'o': out = optarg; break;
		case OPT_REF: ref = optarg; break;
		case OPT_DEBS: debs = optarg; break;
		case OPT_COMPRESSION:
			if (cli_opt_compression("sbom", optarg, &bo.compression))
				return CLI_USAGE;
			break;
		case OPT_LEVEL:
			if (cli_opt_level("sbom", optarg, &level))
				return CLI_USAGE;
			break;
		case OPT_TAG: tag = optarg; break;
		case OPT_SDE: sde = optarg; break;
		case 'h': fputs(sbom_usage, stdout); return CLI_OK;
		case ':': return cli_usage_error("sbom", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("sbom", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("sbom", "needs one SPEC or IMAGE");
	if (!*out)
		return cli_usage_error("sbom", "-o wants a path, not ''");
	bo.level = level;
	if (cli_level_for("sbom", bo.compression, &bo.level))
		return CLI_USAGE;
	if ((rc = cli_opt_epoch("sbom", sde, &epoch)) != 0)
		return rc;
	rc = CLI_ERROR;
	if (is_spec(argv[optind])) {
		/* the lockfile beside the spec, when there is one, is in the manifest's
		 * annotations as a build has it (its drift is 'distill lock --check''s) */
		char *lock_path = cli_lock_path(argv[optind]);
		if (lock_path && access(lock_path, F_OK) == 0 &&
		    mf_lock_load(lock_path, &locked, &err) < 0) {
			free(lock_path);
			rc = cli_fail(&err);
			goto out;
		}
		free(lock_path);
		bo.lock_digest = locked ? locked->digest : NULL;
		bo.tag = tag;
		if (cli_plan(argv[optind], debs, epoch,
			     locked ? &(struct cli_offers){ .lock = locked } : NULL, &spec, &img,
			     &err) < 0 ||
		    pk_image_sbom(img, &bo, f, &text, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
	} else if (from_image(argv[optind], ref, f, epoch, &text, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (dt_outfile_open(&of, out, &err) < 0 ||
	    (dt_write_all(of.fd, text, strlen(text)) < 0 &&
	     dt_err_sys(&err, errno, "cannot write '%s'", out) < 0) ||
	    dt_outfile_commit(&of, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	rc = CLI_OK;
out:
	dt_outfile_release(&of);
	free(text);
	pk_image_free(img);
	mf_spec_free(spec);
	mf_lock_free(locked);
	return rc;
}
