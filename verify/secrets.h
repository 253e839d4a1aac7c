/* SPDX-License-Identifier: MIT */
/* `distill inspect --secrets`: the secret rules of manifest/secret.h on every file of an
 * image as a container sees it (its layers merged, whiteouts applied: verify/view.h). */
#ifndef DISTILL_VERIFY_SECRETS_H
#define DISTILL_VERIFY_SECRETS_H

#include <stddef.h>

#include "common/err.h"
#include "manifest/secret.h"

/* Checks the image at @path (@ref: which image of an index, or NULL) into @out (sorted by
 * path; mf_secret_list_release() it). Each regular file's first MF_SECRET_HEAD bytes, and
 * of a text file its first MF_SECRET_TEXT_MAX, are kept while its layer streams; a
 * hardlink is judged by its name alone (its target by its own). The number of files
 * judged goes to *@nfiles. @return 0, or a negative code with @err set. */
int vf_secrets_image(const char *path, const char *ref, struct mf_secret_list *out,
		     size_t *nfiles, struct dt_err *err);

#endif
