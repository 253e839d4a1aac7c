/* SPDX-License-Identifier: MIT */
/* The secret rules (see secret.h): names decide most of them; content is read only in a
 * bounded prefix, and token patterns are looked for by their literal prefix (memmem) before
 * a POSIX regex confirms the candidate in a short window, so that the cost stays linear. */
#include "manifest/secret.h"

#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

const char *const mf_secret_rules[] = {
	"private-key", "pgp-private-key", "ssh-key", "dotenv", "aws-credentials",
	"docker-config", "netrc", "git", "shell-history", "aws-access-key", "github-token",
	"slack-token", "google-api-key", NULL,
};

/* A pattern found in content: @literal first, then @re (anchored) at the candidate, which
 * must not continue a word (@word: the token's own characters). */
struct pattern {
	const char *rule;
	const char *literal;
	const char *re;
	const char *what;   /* for the message */
	int text_only;      /* only in text files (else also in a binary file's head) */
	const char *word;   /* characters a token is made of (the byte before must not be one),
			     * or NULL */
};

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

static const struct pattern patterns[] = {
	{ "private-key", "-----BEGIN ",
	  "^-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----", "a private key", 0,
	  NULL },
	{ "pgp-private-key", "-----BEGIN ", "^-----BEGIN PGP PRIVATE KEY BLOCK-----",
	  "a PGP private key block", 0, NULL },
	{ "private-key", "PuTTY-User-Key-File-", "^PuTTY-User-Key-File-[0-9]+: ",
	  "a PuTTY private key", 0, NULL },
	{ "aws-access-key", "AKIA", "^AKIA[0-9A-Z]{16}([^0-9A-Za-z]|$)",
	  "an AWS access key id (AKIA...)", 1, UPPER LOWER DIGIT },
	{ "aws-access-key", "ASIA", "^ASIA[0-9A-Z]{16}([^0-9A-Za-z]|$)",
	  "an AWS temporary access key id (ASIA...)", 1, UPPER LOWER DIGIT },
	{ "github-token", "ghp_", "^ghp_[0-9A-Za-z]{36}([^0-9A-Za-z_]|$)",
	  "a GitHub personal access token (ghp_...)", 1, UPPER LOWER DIGIT "_" },
	{ "github-token", "gho_", "^gho_[0-9A-Za-z]{36}([^0-9A-Za-z_]|$)",
	  "a GitHub OAuth token (gho_...)", 1, UPPER LOWER DIGIT "_" },
	{ "github-token", "ghu_", "^ghu_[0-9A-Za-z]{36}([^0-9A-Za-z_]|$)",
	  "a GitHub user-to-server token (ghu_...)", 1, UPPER LOWER DIGIT "_" },
	{ "github-token", "ghs_", "^ghs_[0-9A-Za-z]{36}([^0-9A-Za-z_]|$)",
	  "a GitHub server-to-server token (ghs_...)", 1, UPPER LOWER DIGIT "_" },
	{ "github-token", "ghr_", "^ghr_[0-9A-Za-z]{36}([^0-9A-Za-z_]|$)",
	  "a GitHub refresh token (ghr_...)", 1, UPPER LOWER DIGIT "_" },
	{ "github-token", "github_pat_",
	  "^github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59}([^0-9A-Za-z_]|$)",
	  "a GitHub fine-grained token (github_pat_...)", 1, UPPER LOWER DIGIT "_" },
	{ "slack-token", "xox", "^xox[baprs]-[0-9]{8,}-[0-9A-Za-z-]{8,}",
	  "a Slack token (xox?-...)", 1, UPPER LOWER DIGIT "-" },
	{ "google-api-key", "AIza", "^AIza[0-9A-Za-z_-]{35}([^0-9A-Za-z_-]|$)",
	  "a Google API key (AIza...)", 1, UPPER LOWER DIGIT "_-" },
};
#define NPATTERNS (sizeof(patterns) / sizeof(patterns[0]))

/* the window a regex sees: longer than any token and its next byte */
#define WINDOW 160

struct mf_secrets {
	regex_t re[NPATTERNS];
	size_t nre;
};

int mf_secrets_new(struct mf_secrets **out, struct dt_err *err)
{
	struct mf_secrets *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return dt_oom(err);
	for (size_t i = 0; i < NPATTERNS; i++) {
		int rc = regcomp(&s->re[i], patterns[i].re, REG_EXTENDED);
		if (rc != 0) {
			char msg[128];
			regerror(rc, &s->re[i], msg, sizeof(msg));
			mf_secrets_free(s);
			return dt_err_set(err, DT_ELIB, "cannot compile the secret pattern '%s': %s",
					  patterns[i].re, msg);
		}
		s->nre++;
	}
	*out = s;
	return 0;
}

void mf_secrets_free(struct mf_secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nre; i++)
		regfree(&s->re[i]);
	free(s);
}

static int is_text(const void *buf, size_t len)
{
	return memchr(buf, '\0', len < MF_SECRET_HEAD ? len : MF_SECRET_HEAD) == NULL;
}

size_t mf_secret_want(const void *head, size_t len)
{
	return is_text(head, len) ? MF_SECRET_TEXT_MAX : MF_SECRET_HEAD;
}

static int hit_set(struct mf_secret_hit *hit, const char *rule, size_t path_len,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int hit_set(struct mf_secret_hit *hit, const char *rule, size_t path_len,
		   const char *fmt, ...)
{
	va_list ap;

	hit->rule = rule;
	hit->path_len = path_len;
	va_start(ap, fmt);
	vsnprintf(hit->why, sizeof(hit->why), fmt, ap);
	va_end(ap);
	return 1;
}

static size_t line_of(const unsigned char *b, size_t off)
{
	size_t line = 1;
	for (const unsigned char *p = b; (p = memchr(p, '\n', (size_t)(b + off - p))); p++)
		line++;
	return line;
}

/* The first pattern of the content, its rule in *@hit. @text: the buffer is text (else only
 * patterns that are not text_only, in the head). */
static int scan(const struct mf_secrets *s, const unsigned char *b, size_t len, int text,
		struct mf_secret_hit *hit)
{
	size_t best_off = (size_t)-1, best = 0, shown = 0;
	char header[WINDOW + 1] = "";

	if (!text && len > MF_SECRET_HEAD)
		len = MF_SECRET_HEAD;
	for (size_t i = 0; i < NPATTERNS; i++) {
		const struct pattern *p = &patterns[i];
		size_t ll = strlen(p->literal), off = 0;
		if (p->text_only && !text)
			continue;
		while (off < len && off < best_off) {
			const unsigned char *at = memmem(b + off, len - off, p->literal, ll);
			char win[WINDOW + 1];
			regmatch_t m[1];
			size_t pos, w = 0;
			if (!at)
				break;
			pos = (size_t)(at - b);
			off = pos + 1;
			if (pos >= best_off)
				break;
			if (p->word && pos > 0 && b[pos - 1] && strchr(p->word, b[pos - 1]))
				continue;
			while (w < WINDOW && pos + w < len && b[pos + w] && b[pos + w] != '\n') {
				win[w] = (char)b[pos + w];
				w++;
			}
			win[w] = '\0';
			if (regexec(&s->re[i], win, 1, m, 0) == 0) {
				best_off = pos;
				best = i;
				/* a key's header is no secret and says which kind it is */
				shown = p->text_only ? 0 : (size_t)m[0].rm_eo;
				memcpy(header, win, shown);
				header[shown] = '\0';
				break;
			}
		}
	}
	if (best_off == (size_t)-1)
		return 0;
	return hit_set(hit, patterns[best].rule, 0, "line %zu: %s%s%s%s", line_of(b, best_off),
		       patterns[best].what, shown ? " (" : "", header, shown ? ")" : "");
}

static const char *base_of(const char *path, size_t *dir_len)
{
	const char *slash = strrchr(path, '/');
	*dir_len = slash ? (size_t)(slash - path) : 0;
	return slash ? slash + 1 : path;
}

/* Whether the directory part of @path (its first @dir_len bytes) ends with the component
 * @name. */
static int parent_is(const char *path, size_t dir_len, const char *name)
{
	size_t n = strlen(name);
	return dir_len >= n && memcmp(path + dir_len - n, name, n) == 0 &&
	       (dir_len == n || path[dir_len - n - 1] == '/');
}

/* The end of the first ".git" component of @path that is a directory (a component with
 * something below it, or the last one when @type is a directory), or 0. */
static size_t git_dir(const char *path, enum mf_secret_type type)
{
	for (const char *c = path; (c = strstr(c, ".git")); c++) {
		if (c != path && c[-1] != '/')
			continue;
		if (c[4] == '/' && c[5])
			return (size_t)(c - path) + 4;
		if ((c[4] == '\0' || (c[4] == '/' && !c[5])) && type == MF_SECRET_DIR)
			return (size_t)(c - path) + 4;
	}
	return 0;
}

static const char *const histories[] = {
	".bash_history", ".zsh_history", ".sh_history", ".ash_history", ".ksh_history",
	".history", ".histfile", "fish_history", ".python_history", ".psql_history",
	".mysql_history", ".sqlite_history", ".node_repl_history", ".rediscli_history",
	".irb_history", ".pry_history", ".lesshst", ".mongo_history", ".dbshell", NULL,
};

static const char *const ssh_names[] = {
	"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk",
	"identity", NULL,
};

/* Templates meant to be committed: not .env files (their content is still checked). */
static const char *const env_templates[] = { ".example", ".sample", ".template", NULL };

static int in_list(const char *s, const char *const *v)
{
	for (; *v; v++)
		if (strcmp(s, *v) == 0)
			return 1;
	return 0;
}

/* An auths map (config.json) or the old .dockercfg map: an entry with an auth or an
 * identity token. */
static int docker_auths(json_t *auths)
{
	const char *k;
	json_t *v;

	if (!json_is_object(auths))
		return 0;
	json_object_foreach(auths, k, v) {
		const json_t *a = json_object_get(v, "auth");
		const json_t *t = json_object_get(v, "identitytoken");
		if ((json_is_string(a) && json_string_length(a)) ||
		    (json_is_string(t) && json_string_length(t)))
			return 1;
	}
	return 0;
}

static int docker_config(const unsigned char *b, size_t len, int old)
{
	json_error_t je;
	json_t *doc = len ? json_loadb((const char *)b, len, JSON_DISABLE_EOF_CHECK, &je) : NULL;
	int found = doc && docker_auths(old ? doc : json_object_get(doc, "auths"));

	json_decref(doc);
	return found;
}

/* A "password" token followed by another, as ftp and curl read .netrc. */
static int netrc_password(const unsigned char *b, size_t len)
{
	size_t i = 0;
	int want = 0;

	while (i < len) {
		size_t start;
		while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
			i++;
		start = i;
		while (i < len && !(b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
			i++;
		if (i == start)
			break;
		if (want)
			return 1;
		want = i - start == 8 && memcmp(b + start, "password", 8) == 0;
	}
	return 0;
}

int mf_secret_check(const struct mf_secrets *s, const char *path, enum mf_secret_type type,
		    const void *buf, size_t len, struct mf_secret_hit *hit)
{
	const unsigned char *b = buf;
	size_t dir_len, git;
	const char *base = base_of(path, &dir_len);
	int text = len > 0 && is_text(b, len);

	if (!b)
		len = 0;
	if (len > MF_SECRET_TEXT_MAX)
		len = MF_SECRET_TEXT_MAX;
	if ((git = git_dir(path, type)))
		return hit_set(hit, "git", git, "a .git directory (the repository's history, "
			       "remotes and possibly credentials)");
	if (type != MF_SECRET_REG)
		return 0;
	if (in_list(base, ssh_names) && len) {
		struct mf_secret_hit h;
		if ((len >= 32 && memcmp(b, "SSH PRIVATE KEY FILE FORMAT 1.1\n", 32) == 0) ||
		    (scan(s, b, len, text, &h) && (strcmp(h.rule, "private-key") == 0 ||
						   strcmp(h.rule, "pgp-private-key") == 0)))
			return hit_set(hit, "ssh-key", 0, "an SSH private key");
	}
	if (strcmp(base, ".env") == 0 ||
	    (strncmp(base, ".env.", 5) == 0 && base[5] && !in_list(base + 4, env_templates)))
		return hit_set(hit, "dotenv", 0, "a .env file (environment settings, often "
			       "credentials)");
	if (strcmp(base, "credentials") == 0 && parent_is(path, dir_len, ".aws"))
		return hit_set(hit, "aws-credentials", 0, "an AWS credentials file");
	if (text && ((strcmp(base, "config.json") == 0 && parent_is(path, dir_len, ".docker")) ||
		     (strcmp(base, "auth.json") == 0 && parent_is(path, dir_len, "containers"))) &&
	    docker_config(b, len, 0))
		return hit_set(hit, "docker-config", 0, "a registry credentials file with auths");
	if (text && strcmp(base, ".dockercfg") == 0 && docker_config(b, len, 1))
		return hit_set(hit, "docker-config", 0, "a registry credentials file with auths");
	if (text && (strcmp(base, ".netrc") == 0 || strcmp(base, "_netrc") == 0) &&
	    netrc_password(b, len))
		return hit_set(hit, "netrc", 0, "a .netrc with a password");
	if (in_list(base, histories))
		return hit_set(hit, "shell-history", 0, "a shell or REPL history");
	return len ? scan(s, b, len, text, hit) : 0;
}

int mf_secret_list_add(struct mf_secret_list *l, const char *path,
		       const struct mf_secret_hit *hit, struct dt_err *err)
{
	size_t plen = hit->path_len ? hit->path_len : strlen(path);
	struct mf_secret_found *f, *t;

	if (l->n && hit->path_len && strncmp(l->v[l->n - 1].path, path, plen) == 0 &&
	    l->v[l->n - 1].path[plen] == '\0')
		return 0; /* below the .git just found */
	if (!(t = dt_grow(l->v, &l->cap, l->n, sizeof(*l->v))))
		return dt_oom(err);
	l->v = t;
	f = &l->v[l->n];
	memset(f, 0, sizeof(*f));
	f->rule = hit->rule;
	if (!(f->path = strndup(path, plen)) || !(f->why = strdup(hit->why))) {
		free(f->path);
		free(f->why);
		return dt_oom(err);
	}
	l->n++;
	return 0;
}

static int found_cmp(const void *a, const void *b)
{
	const struct mf_secret_found *x = a, *y = b;
	/* two findings of one path are the same .git directory's */
	return strcmp(x->path, y->path);
}

void mf_secret_list_finish(struct mf_secret_list *l)
{
	size_t k = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), found_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (k && strcmp(l->v[k - 1].path, l->v[i].path) == 0) {
			free(l->v[i].path);
			free(l->v[i].why);
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

void mf_secret_list_release(struct mf_secret_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].why);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
