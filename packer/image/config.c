/* SPDX-License-Identifier: MIT */
/* The image config the plan decides: the numeric user, the environment (PATH, and the CA
 * bundle's SSL_CERT_FILE), and the platform. */
#include "packer/image/planner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

int pk_plan_config(struct pk_image *img, struct dt_err *err)
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
	if (!has_path && !(img->env[img->nenv++] = strdup(PK_DEFAULT_PATH)))
		return dt_oom(err);
	if (s->certificates && !has_ssl &&
	    !(img->env[img->nenv++] = strdup("SSL_CERT_FILE=" PK_CA_BUNDLE)))
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

int pk_plan_platform(struct pk_image *img, struct dt_err *err)
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
