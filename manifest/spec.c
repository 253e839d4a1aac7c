/* SPDX-License-Identifier: MIT */
/* The image spec: strict YAML parsing with libyaml's document API (see spec.h). */
#include "manifest/spec.h"
#include "common/digest.h"
#include "common/fs.h"
#include "manifest/yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- binaries ---- */

static int bin_path(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_binary *b = o;

	b->relative = n->type == YAML_SCALAR_NODE && mf_yaml_scalar(n)[0] != '/';
	return mf_yaml_host(p, n, &b->path);
}

static int bin_dst(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_path(p, n, &((struct mf_binary *)o)->dst, 0);
}

/* pin: content | path: what the lock pins of the entry's project files. */
static int pin(struct mf_yaml *p, const yaml_node_t *n, int *out)
{
	char *v = NULL;
	int rc = mf_yaml_str(p, n, &v);

	if (rc == 0 && strcmp(v, "content") && strcmp(v, "path"))
		rc = mf_yaml_fail(p, n, "'%s': expected content or path", v);
	if (rc == 0)
		*out = strcmp(v, "content") == 0;
	free(v);
	return rc;
}

static int bin_pin(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return pin(p, n, &((struct mf_binary *)o)->pin_content);
}

static int binary(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = { { "path", bin_path }, { "dst", bin_dst },
						  { "pin", bin_pin }, { NULL, NULL } };
	struct mf_binary *b = o;
	int rc;

	b->line = mf_yaml_line(n);
	if (n->type == YAML_SCALAR_NODE)
		rc = bin_path(p, n, o);
	else if ((rc = mf_yaml_mapping(p, n, f, o)) == 0 && !b->path)
		rc = mf_yaml_fail(p, n, "needs a path");
	/* a host path relative to the spec says nothing about where the file goes in the
	 * image: its absolute form would leak the build machine's layout */
	if (rc == 0 && b->relative && !b->dst) {
		const char *base = strrchr(b->path, '/'), *shown = b->path;
		size_t dl = strlen(p->dir);
		if (strncmp(shown, p->dir, dl) == 0 && shown[dl] == '/')
			shown += dl + 1;
		rc = mf_yaml_fail(p, n, "'%s' is a path relative to the spec: say where it goes "
				  "in the image with dst (e.g. dst: /app/%s)", shown,
				  base ? base + 1 : b->path);
	}
	return rc;
}

/* ---- files ---- */

static int file_src(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_host(p, n, &((struct mf_file *)o)->src);
}

static int file_dst(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_path(p, n, &((struct mf_file *)o)->dst, 0);
}

static int file_mode(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_mode(p, n, &((struct mf_file *)o)->mode);
}

static int file_uid(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	uint64_t v = 0;
	int rc = mf_yaml_uint(p, n, 0xfffffffeu, &v);
	((struct mf_file *)o)->uid = (int64_t)v;
	return rc;
}

static int file_gid(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	uint64_t v = 0;
	int rc = mf_yaml_uint(p, n, 0xfffffffeu, &v);
	((struct mf_file *)o)->gid = (int64_t)v;
	return rc;
}

static int file_special(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_bool(p, n, &((struct mf_file *)o)->special);
}

static int file_closure(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_bool(p, n, &((struct mf_file *)o)->closure);
}

/* Absolute globs, or names without a '/' ("*.a", "__pycache__") that match a component at
 * any depth. */
static int file_exclude(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_file *fl = o;
	int rc = mf_yaml_strv(p, n, &fl->excludes, &fl->nexcludes);
	for (size_t i = 0; rc == 0 && i < fl->nexcludes; i++)
		if (fl->excludes[i][0] != '/' && strchr(fl->excludes[i], '/'))
			return mf_yaml_fail(p, n, "glob '%s' must be an absolute path, or a name "
					    "without '/'", fl->excludes[i]);
	return rc;
}

static int file_pin(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return pin(p, n, &((struct mf_file *)o)->pin_content);
}

static int file(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = { { "src", file_src }, { "dst", file_dst },
					  { "pin", file_pin },
					  { "mode", file_mode }, { "uid", file_uid },
					  { "gid", file_gid }, { "special", file_special },
					  { "closure", file_closure },
					  { "exclude", file_exclude }, { NULL, NULL } };
	struct mf_file *fl = o;
	int rc;

	fl->mode = fl->uid = fl->gid = -1;
	fl->closure = 1;
	fl->line = mf_yaml_line(n);
	if ((rc = mf_yaml_mapping(p, n, f, o)) < 0)
		return rc;
	if (!fl->src || !fl->dst)
		return mf_yaml_fail(p, n, "needs src and dst");
	if (fl->mode > 0 && (fl->mode & 07000) && !fl->special)
		return mf_yaml_fail(p, n, "mode %04o sets setuid, setgid or sticky bits: add "
				    "'special: true' to keep them", (unsigned)fl->mode);
	return 0;
}

/* ---- packages ---- */

static int valid_pkg(const char *s)
{
	if (!*s)
		return 0;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '+' ||
		      *c == '-' || *c == '.'))
			return 0;
	return 1;
}

static int pkg_name(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_package *pk = o;
	int rc = mf_yaml_str(p, n, &pk->name);
	if (rc == 0 && !valid_pkg(pk->name))
		return mf_yaml_fail(p, n, "'%s' is not a Debian package name", pk->name);
	return rc;
}

static int pkg_version(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_str(p, n, &((struct mf_package *)o)->version);
}

static int globs(struct mf_yaml *p, const yaml_node_t *n, char ***v, size_t *count)
{
	int rc = mf_yaml_strv(p, n, v, count);
	for (size_t i = 0; rc == 0 && i < *count; i++)
		if ((*v)[i][0] != '/')
			return mf_yaml_fail(p, n, "glob '%s' must be an absolute path", (*v)[i]);
	return rc;
}

static int pkg_paths(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_package *pk = o;
	return globs(p, n, &pk->paths, &pk->npaths);
}

static int pkg_exclude(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_package *pk = o;
	return globs(p, n, &pk->excludes, &pk->nexcludes);
}

static int pkg_depends(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_bool(p, n, &((struct mf_package *)o)->depends);
}

static int pkg_closure(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_bool(p, n, &((struct mf_package *)o)->closure);
}

static int package(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = { { "name", pkg_name }, { "version", pkg_version },
					  { "paths", pkg_paths }, { "exclude", pkg_exclude },
					  { "depends", pkg_depends }, { "closure", pkg_closure },
					  { NULL, NULL } };
	struct mf_package *pk = o;
	int rc;

	pk->line = mf_yaml_line(n);
	pk->depends = pk->closure = 1;
	if (n->type == YAML_SCALAR_NODE) {
		char *eq;
		if ((rc = mf_yaml_str(p, n, &pk->name)) < 0)
			return rc;
		if ((eq = strchr(pk->name, '='))) {
			*eq = '\0';
			if (!(pk->version = strdup(eq + 1)))
				return dt_oom(p->err);
		}
		if (!valid_pkg(pk->name))
			return mf_yaml_fail(p, n, "'%s' is not a Debian package name", pk->name);
		return 0;
	}
	if ((rc = mf_yaml_mapping(p, n, f, o)) < 0)
		return rc;
	return pk->name ? 0 : mf_yaml_fail(p, n, "needs a name");
}

/* ---- users and groups ---- */

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int user_name(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_user *u = o;
	int rc = mf_yaml_str(p, n, &u->name);
	if (rc == 0 && !valid_name(u->name))
		return mf_yaml_fail(p, n, "'%s' is not a valid user name", u->name);
	return rc;
}

static int user_uid(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	uint64_t v = 0;
	int rc = mf_yaml_uint(p, n, 0xfffffffeu, &v);
	((struct mf_user *)o)->uid = (uint32_t)v;
	return rc;
}

static int user_gid(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	uint64_t v = 0;
	int rc = mf_yaml_uint(p, n, 0xfffffffeu, &v);
	((struct mf_user *)o)->gid = (uint32_t)v;
	return rc;
}

/* A path that becomes a field of /etc/passwd: no ':' (control characters are refused by
 * mf_yaml_path already). */
static int passwd_path(struct mf_yaml *p, const yaml_node_t *n, char **out)
{
	int rc = mf_yaml_path(p, n, out, 0);

	if (rc == 0 && strchr(*out, ':'))
		return mf_yaml_fail(p, n, "'%s' has a ':', which separates /etc/passwd fields",
				    *out);
	return rc;
}

static int user_home(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return passwd_path(p, n, &((struct mf_user *)o)->home);
}

static int user_shell(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return passwd_path(p, n, &((struct mf_user *)o)->shell);
}

static int user(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = { { "name", user_name }, { "uid", user_uid },
					  { "gid", user_gid }, { "home", user_home },
					  { "shell", user_shell }, { NULL, NULL } };
	struct mf_user *u = o;
	int rc;

	u->line = mf_yaml_line(n);
	u->uid = u->gid = UINT32_MAX;
	if ((rc = mf_yaml_mapping(p, n, f, o)) < 0)
		return rc;
	if (!u->name || u->uid == UINT32_MAX || u->gid == UINT32_MAX)
		return mf_yaml_fail(p, n, "needs name, uid and gid");
	return 0;
}

static int group_name(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_group *g = o;
	int rc = mf_yaml_str(p, n, &g->name);
	if (rc == 0 && !valid_name(g->name))
		return mf_yaml_fail(p, n, "'%s' is not a valid group name", g->name);
	return rc;
}

static int group_gid(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	uint64_t v = 0;
	int rc = mf_yaml_uint(p, n, 0xfffffffeu, &v);
	((struct mf_group *)o)->gid = (uint32_t)v;
	return rc;
}

static int group_members(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_group *g = o;
	int rc = mf_yaml_strv(p, n, &g->members, &g->nmembers);

	for (size_t i = 0; rc == 0 && i < g->nmembers; i++)
		if (!valid_name(g->members[i]))
			return mf_yaml_fail(p, n, "member %zu: '%s' is not a valid user name",
					    i + 1, g->members[i]);
	return rc;
}

static int group(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = { { "name", group_name }, { "gid", group_gid },
					  { "members", group_members }, { NULL, NULL } };
	struct mf_group *g = o;
	int rc;

	g->line = mf_yaml_line(n);
	g->gid = UINT32_MAX;
	if ((rc = mf_yaml_mapping(p, n, f, o)) < 0)
		return rc;
	if (!g->name || g->gid == UINT32_MAX)
		return mf_yaml_fail(p, n, "needs name and gid");
	return 0;
}

/* ---- repositories ---- */

static int repo_url(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_repository *r = o;
	int rc = mf_yaml_str(p, n, &r->url);

	if (rc == 0 && strncmp(r->url, "http://", 7) != 0 && strncmp(r->url, "https://", 8) != 0)
		return mf_yaml_fail(p, n, "'%s' is not an http:// or https:// URL", r->url);
	return rc;
}

static int repo_suite(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_str(p, n, &((struct mf_repository *)o)->suite);
}

static int repo_components(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_repository *r = o;
	return mf_yaml_strv(p, n, &r->components, &r->ncomponents);
}

static int repo_keyring(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_host(p, n, &((struct mf_repository *)o)->keyring);
}

static int repository(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = { { "url", repo_url }, { "suite", repo_suite },
					  { "components", repo_components },
					  { "keyring", repo_keyring }, { NULL, NULL } };
	struct mf_repository *r = o;
	int rc;

	r->line = mf_yaml_line(n);
	if ((rc = mf_yaml_mapping(p, n, f, o)) < 0)
		return rc;
	if (!r->url || !r->suite || !r->keyring)
		return mf_yaml_fail(p, n, "needs url, suite and keyring");
	if (!r->ncomponents) {
		if (!(r->components = calloc(1, sizeof(*r->components))) ||
		    !(r->components[0] = strdup("main")))
			return dt_oom(p->err);
		r->ncomponents = 1;
	}
	return 0;
}

/* ---- config ---- */

#define CFG(o) (&((struct mf_spec *)(o))->config)

static int cfg_entrypoint(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_strv(p, n, &CFG(o)->entrypoint, &CFG(o)->nentrypoint);
}

static int cfg_cmd(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_strv(p, n, &CFG(o)->cmd, &CFG(o)->ncmd);
}

static int cfg_env(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_config *c = CFG(o);
	int rc;

	if (n->type == YAML_MAPPING_NODE) {
		struct mf_kv *kv = NULL;
		size_t count = 0;
		rc = mf_yaml_kv(p, n, &kv, &count);
		if (rc == 0 && !(c->env = calloc(count + 1, sizeof(char *))))
			rc = dt_oom(p->err);
		for (size_t i = 0; rc == 0 && i < count; i++) {
			if (!*kv[i].key || strchr(kv[i].key, '='))
				rc = mf_yaml_fail(p, n, "bad variable name '%s'", kv[i].key);
			else if (asprintf(&c->env[i], "%s=%s", kv[i].key, kv[i].value) < 0)
				rc = dt_oom(p->err);
			else
				c->nenv = i + 1;
		}
		for (size_t i = 0; kv && i < count; i++) {
			free(kv[i].key);
			free(kv[i].value);
		}
		free(kv);
		return rc;
	}
	if ((rc = mf_yaml_strv(p, n, &c->env, &c->nenv)) < 0)
		return rc;
	for (size_t i = 0; i < c->nenv; i++)
		if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
			return mf_yaml_fail(p, n, "'%s' is not KEY=VALUE", c->env[i]);
	return 0;
}

static int cfg_user(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_str(p, n, &CFG(o)->user);
}

static int cfg_workdir(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_path(p, n, &CFG(o)->workdir, 1);
}

static int cfg_labels(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_kv(p, n, &CFG(o)->labels, &CFG(o)->nlabels);
}

static int cfg_ports(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_config *c = CFG(o);
	int rc;

	if ((rc = mf_yaml_strv(p, n, &c->exposed_ports, &c->nexposed_ports)) < 0)
		return rc;
	for (size_t i = 0; i < c->nexposed_ports; i++) {
		char *port = c->exposed_ports[i], *slash = strchr(port, '/'), *end, *norm;
		const char *proto = slash ? slash + 1 : "tcp";
		unsigned long v = strtoul(port, &end, 10);
		if (port[0] < '0' || port[0] > '9' || end != (slash ? slash : port + strlen(port)) ||
		    v < 1 || v > 65535 ||
		    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
			return mf_yaml_fail(p, n, "'%s' is not PORT[/tcp|udp|sctp]", port);
		if (asprintf(&norm, "%lu/%s", v, proto) < 0)
			return dt_oom(p->err);
		free(port);
		c->exposed_ports[i] = norm;
	}
	return 0;
}

static int cfg_volumes(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_config *c = CFG(o);
	size_t base = strlen(p->key), k = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return mf_yaml_fail(p, n, "expected a list of paths");
	c->nvolumes = 0;
	if (!(c->volumes = calloc((size_t)(n->data.sequence.items.top -
					    n->data.sequence.items.start) + 1, sizeof(char *))))
		return dt_oom(p->err);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, k++) {
		int rc;
		snprintf(p->key + base, sizeof(p->key) - base, "[%zu]", k);
		c->nvolumes = k + 1;
		if ((rc = mf_yaml_path(p, mf_yaml_node(p, *it), &c->volumes[k], 0)) < 0)
			return rc;
	}
	p->key[base] = '\0';
	return 0;
}

static int cfg_stop(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_str(p, n, &CFG(o)->stop_signal);
}

/* ---- top level ---- */

#define SPEC(o) ((struct mf_spec *)(o))

static int top_name(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_spec *s = SPEC(o);
	const char *colon, *slash;
	int rc = mf_yaml_str(p, n, &s->name);

	if (rc < 0)
		return rc;
	slash = strrchr(s->name, '/');
	colon = strrchr(slash ? slash : s->name, ':');
	for (const char *c = s->name; *c && c != colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '_' || *c == '/' || *c == '-'))
			return mf_yaml_fail(p, n, "'%s' is not a valid repository[:tag] (lowercase letters, "
				    "digits, '._/-')", s->name);
	if (s->name[0] == '\0' || colon == s->name)
		return mf_yaml_fail(p, n, "empty repository");
	if (colon) {
		size_t tl = strlen(colon + 1);
		if (tl == 0 || tl > 128 || colon[1] == '.' || colon[1] == '-')
			return mf_yaml_fail(p, n, "'%s' has a bad tag", s->name);
		for (const char *c = colon + 1; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-'))
				return mf_yaml_fail(p, n, "'%s' has a bad tag", s->name);
	} else {
		char *full;
		if (asprintf(&full, "%s:latest", s->name) < 0)
			return dt_oom(p->err);
		free(s->name);
		s->name = full;
	}
	return 0;
}

static int top_platform(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	struct mf_spec *s = SPEC(o);
	int rc = mf_yaml_str(p, n, &s->platform);
	const char *a;

	if (rc == 0 && (!(a = strchr(s->platform, '/')) || a == s->platform || !a[1]))
		return mf_yaml_fail(p, n, "expected os/arch[/variant], like linux/amd64");
	return rc;
}

static int top_root(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_host(p, n, &SPEC(o)->root);
}

static int top_base(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	if (n->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(n), "distroless") == 0)
		SPEC(o)->base = MF_BASE_DISTROLESS;
	else if (n->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(n), "scratch") == 0)
		SPEC(o)->base = MF_BASE_SCRATCH;
	else
		return mf_yaml_fail(p, n, "expected distroless or scratch");
	return 0;
}

static int top_certs(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_bool(p, n, &SPEC(o)->certificates);
}

static int top_runtime(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	if (n->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(n), "auto") == 0)
		SPEC(o)->runtime = MF_RUNTIME_AUTO;
	else if (n->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(n), "off") == 0)
		SPEC(o)->runtime = MF_RUNTIME_OFF;
	else
		return mf_yaml_fail(p, n, "expected auto or off");
	return 0;
}

static int top_inputs(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	if (n->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(n), "host") == 0)
		SPEC(o)->inputs_debs = 0;
	else if (n->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(n), "debs") == 0)
		SPEC(o)->inputs_debs = 1;
	else
		return mf_yaml_fail(p, n, "expected host or debs");
	return 0;
}

static int layers_by(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	if (n->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(n), "two") == 0)
		SPEC(o)->layers_packages = 0;
	else if (n->type == YAML_SCALAR_NODE && strcmp(mf_yaml_scalar(n), "packages") == 0)
		SPEC(o)->layers_packages = 1;
	else
		return mf_yaml_fail(p, n, "expected two or packages");
	return 0;
}

static int layers_max(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	uint64_t v;
	int rc = mf_yaml_uint(p, n, MF_LAYERS_MAX, &v);

	if (rc == 0 && v < 3)
		return mf_yaml_fail(p, n, "expected 3 to %d layers", MF_LAYERS_MAX);
	SPEC(o)->layers_max = (unsigned)v;
	return rc;
}

/* layers: two | packages | {by: two|packages, max: N} */
static int top_layers(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = { { "by", layers_by }, { "max", layers_max },
						  { NULL, NULL } };
	if (n->type == YAML_SCALAR_NODE)
		return layers_by(p, n, o);
	return mf_yaml_mapping(p, n, f, o);
}

static int top_debs(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_host(p, n, &SPEC(o)->debs);
}

static int top_binaries(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_sequence(p, n, sizeof(struct mf_binary), (void **)&SPEC(o)->binaries,
			&SPEC(o)->nbinaries, binary);
}

static int top_repositories(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_sequence(p, n, sizeof(struct mf_repository), (void **)&SPEC(o)->repositories,
			&SPEC(o)->nrepositories, repository);
}

static int top_files(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_sequence(p, n, sizeof(struct mf_file), (void **)&SPEC(o)->files, &SPEC(o)->nfiles,
			file);
}

static int top_packages(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_sequence(p, n, sizeof(struct mf_package), (void **)&SPEC(o)->packages,
			&SPEC(o)->npackages, package);
}

static int top_users(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_sequence(p, n, sizeof(struct mf_user), (void **)&SPEC(o)->users, &SPEC(o)->nusers,
			user);
}

static int top_groups(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_sequence(p, n, sizeof(struct mf_group), (void **)&SPEC(o)->groups,
			&SPEC(o)->ngroups, group);
}

static int top_config(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = {
		{ "entrypoint", cfg_entrypoint }, { "cmd", cfg_cmd }, { "env", cfg_env },
		{ "user", cfg_user }, { "workdir", cfg_workdir }, { "labels", cfg_labels },
		{ "exposed_ports", cfg_ports }, { "volumes", cfg_volumes },
		{ "stop_signal", cfg_stop }, { NULL, NULL } };
	return mf_yaml_mapping(p, n, f, o);
}

static int top_annotations(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_kv(p, n, &SPEC(o)->annotations, &SPEC(o)->nannotations);
}

static int check_allow(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_strv(p, n, &SPEC(o)->check_allow, &SPEC(o)->ncheck_allow);
}

static int top_sbom(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_bool(p, n, &SPEC(o)->sbom);
}

static int check_symbols(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return mf_yaml_bool(p, n, &SPEC(o)->check_symbols);
}

static int top_check(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	static const struct mf_yaml_field f[] = { { "allow", check_allow },
						  { "symbols", check_symbols }, { NULL, NULL } };
	return mf_yaml_mapping(p, n, f, o);
}

static int top_allow_secrets(struct mf_yaml *p, const yaml_node_t *n, void *o)
{
	return globs(p, n, &SPEC(o)->allow_secrets, &SPEC(o)->nallow_secrets);
}

static const struct mf_yaml_field top_fields[] = {
	{ "name", top_name }, { "platform", top_platform }, { "root", top_root },
	{ "base", top_base }, { "certificates", top_certs }, { "runtime", top_runtime },
	{ "debs", top_debs }, { "binaries", top_binaries }, { "files", top_files },
	{ "packages", top_packages }, { "users", top_users }, { "groups", top_groups },
	{ "config", top_config }, { "annotations", top_annotations }, { "check", top_check },
	{ "allow_secrets", top_allow_secrets }, { "sbom", top_sbom }, { "inputs", top_inputs },
	{ "repositories", top_repositories }, { "layers", top_layers },
	{ NULL, NULL },
};

/* Aliases are refused, depth and size are bounded. */
static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void free_kv(struct mf_kv *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

void mf_spec_free(struct mf_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->binaries && i < s->nbinaries; i++) {
		free(s->binaries[i].path);
		free(s->binaries[i].dst);
	}
	free(s->binaries);
	for (size_t i = 0; s->files && i < s->nfiles; i++) {
		free(s->files[i].src);
		free(s->files[i].dst);
		free_strv(s->files[i].excludes, s->files[i].nexcludes);
	}
	free(s->files);
	for (size_t i = 0; s->packages && i < s->npackages; i++) {
		free(s->packages[i].name);
		free(s->packages[i].version);
		free_strv(s->packages[i].paths, s->packages[i].npaths);
		free_strv(s->packages[i].excludes, s->packages[i].nexcludes);
	}
	free(s->packages);
	for (size_t i = 0; s->users && i < s->nusers; i++) {
		free(s->users[i].name);
		free(s->users[i].home);
		free(s->users[i].shell);
	}
	free(s->users);
	for (size_t i = 0; s->repositories && i < s->nrepositories; i++) {
		free(s->repositories[i].url);
		free(s->repositories[i].suite);
		free(s->repositories[i].keyring);
		free_strv(s->repositories[i].components, s->repositories[i].ncomponents);
	}
	free(s->repositories);
	for (size_t i = 0; s->groups && i < s->ngroups; i++) {
		free(s->groups[i].name);
		free_strv(s->groups[i].members, s->groups[i].nmembers);
	}
	free(s->groups);
	free_strv(s->config.entrypoint, s->config.nentrypoint);
	free_strv(s->config.cmd, s->config.ncmd);
	free_strv(s->config.env, s->config.nenv);
	free(s->config.user);
	free(s->config.workdir);
	free_kv(s->config.labels, s->config.nlabels);
	free_strv(s->config.exposed_ports, s->config.nexposed_ports);
	free_strv(s->config.volumes, s->config.nvolumes);
	free(s->config.stop_signal);
	free_kv(s->annotations, s->nannotations);
	free_strv(s->check_allow, s->ncheck_allow);
	free_strv(s->allow_secrets, s->nallow_secrets);
	free(s->file);
	free(s->dir);
	free(s->name);
	free(s->platform);
	free(s->root);
	free(s->debs);
	free(s);
}

const struct mf_builtin_user mf_distroless_users[MF_DISTROLESS_NUSERS] = {
	{ "root", 0, "/root" },
	{ "nobody", 65534, "/nonexistent" },
	{ "nonroot", 65532, "/home/nonroot" },
};

const char *mf_spec_group_of(const struct mf_spec *s, uint32_t gid)
{
	for (size_t j = 0; j < s->ngroups; j++)
		if (s->groups[j].gid == gid)
			return s->groups[j].name;
	for (size_t j = 0; s->base == MF_BASE_DISTROLESS && j < MF_DISTROLESS_NUSERS; j++)
		if (mf_distroless_users[j].id == gid)
			return mf_distroless_users[j].name;
	return NULL;
}

/* Checks that need the whole document, and defaults. */
static int finish(struct mf_yaml *p, struct mf_spec *s, const yaml_node_t *rootn)
{
	const struct mf_builtin_user *builtin = mf_distroless_users, *def = MF_DISTROLESS_DEFAULT;

	snprintf(p->key, sizeof(p->key), "name");
	if (!s->name)
		return mf_yaml_fail(p, rootn, "missing (repository[:tag])");
	if (!s->root && !(s->root = strdup("/")))
		return dt_oom(p->err);
	for (size_t i = 0; i < s->nbinaries; i++) {
		snprintf(p->key, sizeof(p->key), "binaries[%zu]", i);
		if (strcmp(s->root, "/") != 0 && strncmp(s->binaries[i].path, s->dir,
							    strlen(s->dir)) == 0)
			return dt_err_set(p->err, DT_EINPUT, "%s:%d: binaries[%zu]: a path relative "
					  "to the spec needs root: /", s->file, s->binaries[i].line, i);
	}
	if (s->base == MF_BASE_DISTROLESS) {
		for (size_t i = 0; i < s->nusers; i++)
			for (size_t j = 0; j < MF_DISTROLESS_NUSERS; j++)
				if (strcmp(s->users[i].name, builtin[j].name) == 0 ||
				    s->users[i].uid == builtin[j].id)
					return dt_err_set(p->err, DT_EINPUT, "%s:%d: users[%zu]: "
							  "clashes with the distroless user '%s' (%u)",
							  s->file, s->users[i].line, i,
							  builtin[j].name, builtin[j].id);
		for (size_t i = 0; i < s->ngroups; i++)
			for (size_t j = 0; j < MF_DISTROLESS_NUSERS; j++)
				if (strcmp(s->groups[i].name, builtin[j].name) == 0 ||
				    s->groups[i].gid == builtin[j].id)
					return dt_err_set(p->err, DT_EINPUT, "%s:%d: groups[%zu]: "
							  "clashes with the distroless group '%s' (%u)",
							  s->file, s->groups[i].line, i,
							  builtin[j].name, builtin[j].id);
		if (!s->config.user && !(s->config.user = strdup(def->name)))
			return dt_oom(p->err);
		if (!s->config.workdir && strcmp(s->config.user, def->name) == 0 &&
		    !(s->config.workdir = strdup(def->home)))
			return dt_oom(p->err);
	}
	for (size_t i = 0; i < s->nusers; i++) {
		const struct mf_user *u = &s->users[i];
		/* a gid that names no group gets one of the user's name (the skeleton makes it
		 * and says so), unless a group of that name has another gid */
		if (!mf_spec_group_of(s, u->gid))
			for (size_t j = 0; j < s->ngroups; j++)
				if (strcmp(s->groups[j].name, u->name) == 0)
					return dt_err_set(p->err, DT_EINPUT, "%s:%d: users[%zu]: gid %u "
							  "names no group, and group '%s' has gid %u",
							  s->file, u->line, i, u->gid, u->name,
							  s->groups[j].gid);
		/* the workdir of a spec's own user is its home (made 0700 and owned by it) */
		if (!s->config.workdir && s->config.user && strcmp(s->config.user, u->name) == 0) {
			if (u->home)
				s->config.workdir = strdup(u->home);
			else if (asprintf(&s->config.workdir, "/home/%s", u->name) < 0)
				s->config.workdir = NULL;
			if (!s->config.workdir)
				return dt_oom(p->err);
		}
	}
	return 0;
}

int mf_spec_parse(const char *name, const char *dir, const void *buf, size_t len,
		  struct mf_spec **out, struct dt_err *err)
{
	struct mf_spec *s = calloc(1, sizeof(*s));
	struct mf_yaml p = { .err = err };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *rootn;
	int rc;

	*out = NULL;
	if (!s || !(s->file = strdup(name)) || !(s->dir = strdup(dir))) {
		mf_spec_free(s);
		return dt_oom(err);
	}
	p.file = s->file;
	p.dir = s->dir;
	dt_sha256(buf, len, s->sha256);
	if ((rc = mf_yaml_no_aliases(&p, buf, len)) < 0) {
		mf_spec_free(s);
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		mf_spec_free(s);
		return dt_oom(err);
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = dt_err_set(err, DT_EINPUT, "%s:%d: invalid YAML: %s", name,
				(int)parser.problem_mark.line + 1,
				parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		mf_spec_free(s);
		return rc;
	}
	p.doc = &doc;
	rootn = yaml_document_get_root_node(&doc);
	if (!rootn) {
		rc = dt_err_set(err, DT_EINPUT, "%s: empty spec (name is missing)", name);
	} else if ((rc = mf_yaml_check_tree(&p, rootn, 0)) == 0) {
		rc = mf_yaml_mapping(&p, rootn, top_fields, s);
		if (rc == 0)
			rc = finish(&p, s, rootn);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc < 0) {
		mf_spec_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int mf_spec_load(const char *path, struct mf_spec **out, struct dt_err *err)
{
	char *buf = NULL, *copy = NULL, *dir = NULL, *slash;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = dt_read_file(AT_FDCWD, path, 16u << 20, &buf, &len, err)) < 0)
		return rc;
	if (!(copy = strdup(path))) {
		free(buf);
		return dt_oom(err);
	}
	slash = strrchr(copy, '/');
	if (slash == copy)
		copy[1] = '\0';
	else if (slash)
		*slash = '\0';
	dir = realpath(slash ? copy : ".", NULL);
	if (!dir)
		rc = dt_err_sys(err, errno, "cannot resolve the directory of '%s'", path);
	else
		rc = mf_spec_parse(path, dir, buf, len, out, err);
	free(dir);
	free(copy);
	free(buf);
	return rc;
}
