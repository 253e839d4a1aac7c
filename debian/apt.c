/* SPDX-License-Identifier: MIT */
/* apt's sources and verified indexes (see apt.h). */
#include "debian/apt.h"

#include <archive.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/fs.h"
#include "common/tempfile.h"
#include "debian/relation.h"

#define SOURCES_MAX (1u << 20)          /* one sources file */
#define RELEASE_MAX (64u << 20)         /* an InRelease, a keyring */
#define PACKAGES_MAX (1024ull << 20)    /* one uncompressed Packages file */
#define GPGV_OUT_MAX (1u << 20)         /* what gpgv says */

struct deb_apt_index {
	const struct deb_apt_sources *src;
	struct dt_strv skipped;
	struct deb_apt_pkg *v;
	size_t n, cap;
	struct dt_arena arena;
};

/* ---- sources ------------------------------------------------------------------------ */

static void source_release(struct deb_apt_source *s)
{
	free(s->uri);
	free(s->suite);
	for (size_t i = 0; i < s->ncomponents; i++)
		free(s->components[i]);
	free(s->components);
	free(s->signed_by);
	free(s->where);
}

void deb_apt_sources_release(struct deb_apt_sources *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		source_release(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* A word of a source's fields: printable, no quotes or spaces (it becomes part of a URL
 * and of a lock). */
static int word_ok(const char *w)
{
	if (!*w)
		return 0;
	for (const unsigned char *p = (const unsigned char *)w; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

int deb_apt_sources_add(struct deb_apt_sources *s, const char *uri, const char *suite,
			const char *const *components, size_t ncomponents,
			const char *signed_by, const char *where, struct dt_err *err)
{
	struct deb_apt_source *v, n = { 0 };
	size_t len;

	if (strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0)
		return dt_err_set(err, DT_EINPUT, "%s: '%s': only http and https repositories "
				  "are supported", where, uri);
	if (!word_ok(uri) || strchr(uri, '?') || strchr(uri, '#'))
		return dt_err_set(err, DT_EINPUT, "%s: '%s': not a plain repository URL", where,
				  uri);
	if (!word_ok(suite) || strstr(suite, ".."))
		return dt_err_set(err, DT_EINPUT, "%s: suite '%s' is not a valid suite", where,
				  suite);
	if (suite[strlen(suite) - 1] == '/')
		return dt_err_set(err, DT_EINPUT, "%s: '%s %s': flat repositories are not "
				  "supported (name a suite and components)", where, uri, suite);
	if (ncomponents == 0)
		return dt_err_set(err, DT_EINPUT, "%s: '%s %s': no components", where, uri, suite);
	for (size_t i = 0; i < ncomponents; i++)
		if (!word_ok(components[i]) || strstr(components[i], ".."))
			return dt_err_set(err, DT_EINPUT, "%s: component '%s' is not valid", where,
					  components[i]);
	if (!(v = dt_grow(s->v, &s->cap, s->n, sizeof(*s->v))))
		return dt_oom(err);
	s->v = v;
	len = strlen(uri);
	while (len > 0 && uri[len - 1] == '/')
		len--;
	if (!(n.uri = strndup(uri, len)) || !(n.suite = strdup(suite)) ||
	    !(n.where = strdup(where)) || (signed_by && !(n.signed_by = strdup(signed_by))) ||
	    !(n.components = calloc(ncomponents, sizeof(char *))))
		goto nomem;
	for (; n.ncomponents < ncomponents; n.ncomponents++)
		if (!(n.components[n.ncomponents] = strdup(components[n.ncomponents])))
			goto nomem;
	s->v[s->n++] = n;
	return 0;
nomem:
	source_release(&n);
	return dt_oom(err);
}

/* Splits @s at spaces and tabs into @w (pointers into @s, which is modified). */
static size_t split(char *s, char **w, size_t max)
{
	size_t n = 0;

	for (char *t = strtok_r(s, " \t", &s); t && n < max; t = strtok_r(NULL, " \t", &s))
		w[n++] = t;
	return n;
}

/* One-line form: deb [ opt=val ... ] uri suite [component...] */
static int parse_line(const char *where, char *line, struct deb_apt_sources *out,
		      struct dt_err *err)
{
	char *w[258], *signed_by = NULL;
	size_t n, i = 1;

	if ((n = split(line, w, 258)) == 0 || strcmp(w[0], "deb-src") == 0)
		return 0;
	if (strcmp(w[0], "deb") != 0)
		return dt_err_set(err, DT_EINPUT, "%s: '%s': expected deb or deb-src", where, w[0]);
	if (n > 256)
		return dt_err_set(err, DT_EINPUT, "%s: too many fields", where);
	if (i < n && w[i][0] == '[') {
		/* options: "[arch=amd64 signed-by=/k.gpg]", the brackets glued or spaced */
		int closed = 0;
		for (; i < n && !closed; i++) {
			char *o = w[i];
			size_t l;
			if (*o == '[')
				o++;
			l = strlen(o);
			if (l && o[l - 1] == ']') {
				o[--l] = '\0';
				closed = 1;
			}
			if (!*o)
				continue;
			if (strncmp(o, "signed-by=", 10) == 0)
				signed_by = o + 10;
			else if (strncmp(o, "trusted=", 8) == 0 && strcmp(o + 8, "no") != 0)
				return dt_err_set(err, DT_EINPUT, "%s: trusted=yes: distill uses only "
						  "signed indexes", where);
		}
		if (!closed)
			return dt_err_set(err, DT_EINPUT, "%s: options without a closing ']'", where);
	}
	if (n - i < 2)
		return dt_err_set(err, DT_EINPUT, "%s: expected a URI and a suite", where);
	return deb_apt_sources_add(out, w[i], w[i + 1], (const char *const *)&w[i + 2],
				   n - i - 2, signed_by, where, err);
}

/* The value of field @name of a deb822 paragraph @par (lines kept; continuation lines
 * joined with '\n'), or NULL. */
static char *par_field(const char *par, const char *name)
{
	size_t n = strlen(name);
	struct dt_buf b = { 0 };

	for (const char *l = par; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		const char *e;
		if (strncasecmp(l, name, n) != 0 || l[n] != ':')
			continue;
		l += n + 1;
		for (;;) {
			while (*l == ' ' || *l == '\t')
				l++;
			e = strchr(l, '\n');
			if (!e)
				e = l + strlen(l);
			if (b.len)
				dt_buf_addn(&b, "\n", 1);
			dt_buf_addn(&b, l, (size_t)(e - l));
			if (*e != '\n' || (e[1] != ' ' && e[1] != '\t'))
				break;
			l = e + 1;
		}
		while (b.len && (b.s[b.len - 1] == ' ' || b.s[b.len - 1] == '\r'))
			b.s[--b.len] = '\0';
		return dt_buf_detach(&b, NULL);
	}
	return NULL;
}

static int parse_paragraph(const char *where, const char *par, struct deb_apt_sources *out,
			   struct dt_err *err)
{
	char *types = par_field(par, "Types"), *uris = par_field(par, "URIs");
	char *suites = par_field(par, "Suites"), *comps = par_field(par, "Components");
	char *signed_by = par_field(par, "Signed-By"), *enabled = par_field(par, "Enabled");
	char *trusted = par_field(par, "Trusted");
	char *tw[16], *uw[64], *sw[64], *cw[256];
	size_t nt, nu, ns, nc = 0;
	int rc = 0, deb = 0;

	if (enabled && strcasecmp(enabled, "no") == 0)
		goto out;
	if (!types || !uris || !suites) {
		rc = dt_err_set(err, DT_EINPUT, "%s: a source needs Types, URIs and Suites", where);
		goto out;
	}
	if (trusted && strcasecmp(trusted, "no") != 0) {
		rc = dt_err_set(err, DT_EINPUT, "%s: Trusted: yes: distill uses only signed "
				"indexes", where);
		goto out;
	}
	for (char *p = types; *p; p++)
		if (*p == '\n')
			*p = ' ';
	nt = split(types, tw, 16);
	for (size_t i = 0; i < nt; i++)
		deb |= strcmp(tw[i], "deb") == 0;
	if (!deb)
		goto out;
	for (char *p = uris; *p; p++)
		if (*p == '\n')
			*p = ' ';
	for (char *p = suites; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (comps)
		for (char *p = comps; *p; p++)
			if (*p == '\n')
				*p = ' ';
	nu = split(uris, uw, 64);
	ns = split(suites, sw, 64);
	if (comps)
		nc = split(comps, cw, 256);
	/* a Signed-By of paths is one line; an inline key block has lines (kept as is) */
	for (size_t i = 0; i < nu && rc == 0; i++)
		for (size_t j = 0; j < ns && rc == 0; j++)
			rc = deb_apt_sources_add(out, uw[i], sw[j], (const char *const *)cw, nc,
						 signed_by, where, err);
out:
	free(types);
	free(uris);
	free(suites);
	free(comps);
	free(signed_by);
	free(enabled);
	free(trusted);
	return rc;
}

int deb_apt_sources_parse(const char *name, const char *text, int deb822,
			  struct deb_apt_sources *out, struct dt_err *err)
{
	struct dt_buf par = { 0 };
	char where[4400];
	int rc = 0;
	unsigned lineno = 0, start = 0;
	const char *l = text;

	while (rc == 0 && (*l || par.len)) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		int blank = 1;
		lineno++;
		for (size_t i = 0; i < len; i++)
			blank &= l[i] == ' ' || l[i] == '\t' || l[i] == '\r';
		if (!deb822) {
			char *line = strndup(l, len), *hash;
			if (!line) {
				rc = dt_oom(err);
				break;
			}
			if ((hash = strchr(line, '#')))
				*hash = '\0';
			snprintf(where, sizeof(where), "%s:%u", name, lineno);
			rc = parse_line(where, line, out, err);
			free(line);
		} else if (blank || !*l) {
			if (par.len) {
				snprintf(where, sizeof(where), "%s:%u", name, start);
				rc = par.oom ? dt_oom(err) : parse_paragraph(where, par.s, out, err);
				dt_buf_reset(&par);
			}
		} else if (l[0] != '#') {
			if (!par.len)
				start = lineno;
			dt_buf_addn(&par, l, len);
			dt_buf_addn(&par, "\n", 1);
		}
		if (!*l)
			break;
		l = e ? e + 1 : l + len;
	}
	dt_buf_release(&par);
	return rc;
}

static int read_sources_file(const struct deps_root *root, const char *path, int deb822,
			     struct deb_apt_sources *out, struct dt_err *err)
{
	char *text = NULL;
	size_t len;
	int rc = deps_root_read(root, path, SOURCES_MAX, &text, &len, err);

	if (rc == 0) {
		char shown[4200];
		deps_root_shown(root, path, shown, sizeof(shown));
		if (memchr(text, '\0', len))
			rc = dt_err_set(err, DT_EINPUT, "'%s': not a text file", shown);
		else
			rc = deb_apt_sources_parse(shown, text, deb822, out, err);
	}
	free(text);
	return rc < 0 ? rc : 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && strcmp(s + n - m, suf) == 0;
}

int deb_apt_sources_read(const struct deps_root *root, struct deb_apt_sources *out,
			 struct dt_err *err)
{
	struct dt_strv names = { 0 };
	int rc;

	if ((rc = read_sources_file(root, "/etc/apt/sources.list", 0, out, err)) < 0)
		return rc;
	if ((rc = deps_root_list(root, "/etc/apt/sources.list.d", &names, err)) < 0)
		return rc;
	for (size_t i = 0; i < names.n && rc >= 0; i++) {
		char path[4200];
		int deb822 = has_suffix(names.v[i], ".sources");
		if (!deb822 && !has_suffix(names.v[i], ".list"))
			continue; /* apt ignores other names (.save, .disabled, ...) */
		snprintf(path, sizeof(path), "/etc/apt/sources.list.d/%s", names.v[i]);
		rc = read_sources_file(root, path, deb822, out, err);
	}
	dt_strv_release(&names);
	return rc < 0 ? rc : 0;
}

int deb_apt_list_name(const char *uri, const char *rest, char *out, size_t n)
{
	static const char special[] = "\\|{}[]<>\"^~_=!@#$%^&*";
	const char *p = strstr(uri, "://"), *at;
	struct dt_buf b = { 0 };
	int rc = 0;

	p = p ? p + 3 : uri;
	/* user:password@ goes */
	at = strchr(p, '@');
	if (at && (!strchr(p, '/') || at < strchr(p, '/')))
		p = at + 1;
	for (int part = 0; part < 3; part++) {
		const char *s = part == 0 ? p : part == 1 ? "/" : rest;
		for (; *s; s++) {
			unsigned char c = (unsigned char)*s;
			if (c == '/')
				dt_buf_addn(&b, "_", 1);
			else if (c <= 0x20 || c >= 0x7f || strchr(special, c))
				dt_buf_add(&b, "%%%02x", c);
			else
				dt_buf_addn(&b, s, 1);
		}
	}
	if (b.oom || b.len + 1 > n)
		rc = -1;
	else
		memcpy(out, b.s, b.len + 1);
	dt_buf_release(&b);
	return rc;
}

/* ---- keyrings and gpgv -------------------------------------------------------------- */

/* An armored OpenPGP block ("-----BEGIN PGP PUBLIC KEY BLOCK-----") decoded to its binary
 * packets with OpenSSL's base64 decoder: gpgv reads binary keyrings only. The armor's
 * checksum line ("=XXXX") and headers are skipped. @return 0, or -1 when @text holds no
 * valid armored block. */
static int dearmor(const char *text, size_t len, struct dt_buf *out)
{
	static const char begin_s[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
	static const char end_s[] = "-----END PGP PUBLIC KEY BLOCK-----";
	const char *begin = memmem(text, len, begin_s, sizeof(begin_s) - 1);
	int found = 0;

	while (begin) {
		const char *end = memmem(begin, len - (size_t)(begin - text), end_s, sizeof(end_s) - 1);
		struct dt_buf body = { 0 };
		int in_body = 0, rc;
		if (!end)
			break;
		for (const char *p = memchr(begin, '\n', (size_t)(end - begin)); p && p < end;) {
			const char *e;
			size_t l;
			p++;
			e = memchr(p, '\n', (size_t)(end - p));
			l = e ? (size_t)(e - p) : (size_t)(end - p);
			while (l && (p[l - 1] == '\r' || p[l - 1] == ' '))
				l--;
			if (l == 1 && p[0] == '.')
				l = 0; /* deb822's empty line in a Signed-By block */
			/* headers ("Version: ...") end at the first empty line; a block without
			 * headers starts at once; "=XXXX" is the checksum */
			if (!in_body && !(l > 0 && memchr(p, ':', l)))
				in_body = 1;
			if (in_body && l > 0 && p[0] != '=')
				dt_buf_addn(&body, p, l);
			p = e;
		}
		rc = body.oom ? -1 : dt_base64_decode(body.s ? body.s : "", body.len, out);
		dt_buf_release(&body);
		if (rc < 0)
			return -1;
		found = 1;
		begin = memmem(end, len - (size_t)(end - text), begin_s, sizeof(begin_s) - 1);
	}
	return found && !out->oom ? 0 : -1;
}

/* Appends the key material of keyring file @path (inside the root; binary or armored) to
 * @ring. @return 0, 1 when it does not exist, or a negative code with @err set. */
static int add_keyring(const struct deps_root *root, const char *path, struct dt_buf *ring,
		       struct dt_err *err)
{
	char *text = NULL, shown[4200];
	size_t len;
	int rc = deps_root_read(root, path, RELEASE_MAX, &text, &len, err);

	if (rc != 0)
		return rc;
	deps_root_shown(root, path, shown, sizeof(shown));
	if (len > 0 && (unsigned char)text[0] & 0x80) {
		dt_buf_addn(ring, text, len); /* an OpenPGP packet: binary already */
	} else if (dearmor(text, len, ring) < 0) {
		rc = dt_err_set(err, DT_EINPUT, "keyring '%s': neither OpenPGP packets nor an "
				"armored public key block", shown);
	}
	free(text);
	return rc;
}

/* The keyring of source @s: its Signed-By (paths or an inline block), else the trusted
 * ones. @return 0 with @ring filled, or a negative code with @err set. */
static int source_keyring(const struct deps_root *root, const struct deb_apt_source *s,
			  struct dt_buf *ring, struct dt_err *err)
{
	int rc = 0;

	if (s->signed_by && strstr(s->signed_by, "-----BEGIN")) {
		if (dearmor(s->signed_by, strlen(s->signed_by), ring) < 0)
			return dt_err_set(err, DT_EINPUT, "%s: Signed-By: the inline key block "
					  "does not decode", s->where);
	} else if (s->signed_by) {
		char *copy = strdup(s->signed_by), *w[32];
		size_t n;
		if (!copy)
			return dt_oom(err);
		for (char *p = copy; *p; p++)
			if (*p == ',')
				*p = ' ';
		n = split(copy, w, 32);
		for (size_t i = 0; i < n && rc >= 0; i++) {
			if (w[i][0] != '/') {
				rc = dt_err_set(err, DT_EINPUT, "%s: Signed-By '%s': distill takes "
						"keyring paths, not fingerprints", s->where, w[i]);
				break;
			}
			if ((rc = add_keyring(root, w[i], ring, err)) == 1)
				rc = dt_err_set(err, DT_EINPUT, "%s: Signed-By '%s': no such keyring",
						s->where, w[i]);
		}
		free(copy);
	} else {
		struct dt_strv names = { 0 };
		if ((rc = add_keyring(root, "/etc/apt/trusted.gpg", ring, err)) < 0 ||
		    (rc = deps_root_list(root, "/etc/apt/trusted.gpg.d", &names, err)) < 0)
			return rc;
		rc = 0;
		for (size_t i = 0; i < names.n && rc >= 0; i++) {
			char path[4200];
			if (!has_suffix(names.v[i], ".gpg") && !has_suffix(names.v[i], ".asc"))
				continue;
			snprintf(path, sizeof(path), "/etc/apt/trusted.gpg.d/%s", names.v[i]);
			rc = add_keyring(root, path, ring, err);
		}
		dt_strv_release(&names);
	}
	if (rc >= 0 && ring->len == 0)
		rc = dt_err_set(err, DT_EINPUT, "%s: no keyring to check its signature with "
				"(Signed-By, /etc/apt/trusted.gpg.d)", s->where);
	return rc < 0 ? rc : (ring->oom ? dt_oom(err) : 0);
}

/* Writes @len bytes to a new file @name in the directory @dir. */
static int write_file(const char *dir, const char *name, const void *buf, size_t len,
		      struct dt_err *err)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return dt_err_sys(err, errno, "cannot write '%s'", path);
	if (dt_write_all(fd, buf, len) < 0) {
		int e = errno;
		close(fd);
		return dt_err_sys(err, e, "cannot write '%s'", path);
	}
	if (close(fd) < 0)
		return dt_err_sys(err, errno, "cannot write '%s'", path);
	return 0;
}

/* Runs gpgv on the files of @dir: "signed" (an InRelease, or with @detached a Release
 * whose signature is "sig"), with "keyring", writing the signed text to "out". Accepts as
 * apt does: a good signature by a key of the keyring, made with a strong digest, and no
 * bad one. @return 0, or a negative code with @err naming @shown. */
static int run_gpgv(const char *gpgv, const char *dir, int detached, const char *shown,
		    struct dt_err *err)
{
	char ring[4300], sig[4300], signed_[4300], out[4300], *said = NULL;
	const char *prog = gpgv ? gpgv : "gpgv";
	int pipefd[2], status = 0, rc = 0, valid = 0, weak = 0, bad = 0;
	size_t said_len = 0;
	pid_t pid;

	snprintf(ring, sizeof(ring), "%s/keyring", dir);
	snprintf(sig, sizeof(sig), "%s/sig", dir);
	snprintf(signed_, sizeof(signed_), "%s/signed", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return dt_err_sys(err, errno, "cannot run gpgv");
	if ((pid = dt_temp_fork()) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return dt_err_sys(err, errno, "cannot run gpgv");
	}
	if (pid == 0) {
		char progbuf[4096], a_status[] = "--status-fd", a_one[] = "1",
		     a_keyring[] = "--keyring", a_output[] = "--output", home[4300],
		     lc[] = "LC_ALL=C", path[] = "PATH=/usr/bin:/bin";
		char *argv[16], *envp[] = { home, lc, path, NULL };
		int a = 0;
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		snprintf(progbuf, sizeof(progbuf), "%s", prog);
		argv[a++] = progbuf;
		argv[a++] = a_status;
		argv[a++] = a_one;
		argv[a++] = a_keyring;
		argv[a++] = ring;
		if (!detached) {
			argv[a++] = a_output;
			argv[a++] = out;
		} else {
			argv[a++] = sig;
		}
		argv[a++] = signed_;
		argv[a] = NULL;
		/* a clean environment: no GNUPGHOME or options of the caller change the check */
		snprintf(home, sizeof(home), "GNUPGHOME=%s", dir);
		if (strchr(prog, '/'))
			execve(prog, argv, envp);
		else
			execvpe(prog, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	rc = dt_read_fd(pipefd[0], "gpgv", GPGV_OUT_MAX, &said, &said_len, err);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	dt_temp_child_done(pid);
	if (rc < 0)
		return rc;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		free(said);
		return dt_err_set(err, DT_EINPUT, "cannot check the signature of '%s': gpgv is "
				  "not installed (Debian package gpgv)", shown);
	}
	for (char *l = said; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "[GNUPG:] VALIDSIG ", 18) == 0) {
			/* fields: fpr date ts expire version reserved pubkey-algo hash-algo ... */
			char *w[12], line[512];
			size_t n, len = strcspn(l, "\n");
			snprintf(line, sizeof(line), "%.*s", (int)(len < 511 ? len : 511), l);
			n = split(line, w, 12);
			if (n >= 10) {
				int h = atoi(w[9]);
				if (h == 1 || h == 2 || h == 3)
					weak = 1; /* MD5, SHA-1, RIPEMD-160: apt refuses them */
				else
					valid = 1;
			}
		} else if (strncmp(l, "[GNUPG:] BADSIG ", 16) == 0 ||
			   strncmp(l, "[GNUPG:] REVKEYSIG ", 19) == 0 ||
			   strncmp(l, "[GNUPG:] EXPKEYSIG ", 19) == 0) {
			bad = 1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !valid || bad) {
		/* gpgv's own words, its status lines left out */
		struct dt_buf why = { 0 };
		for (char *l = said; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (strncmp(l, "gpgv: ", 6) == 0 && why.len < 400) {
				const char *m = l + 6 + strspn(l + 6, " \t");
				dt_buf_add(&why, "%s%.*s", why.len ? "; " : "", (int)strcspn(m, "\n"), m);
			}
		rc = dt_err_set(err, DT_EINPUT, "'%s': the signature does not verify%s%s%s",
				shown, weak && !valid ? " (a weak digest, which apt refuses)" : "",
				why.len ? ": " : "", why.len ? why.s : "");
		dt_buf_release(&why);
	}
	free(said);
	return rc;
}

/* Verifies the Release of source @s and returns its signed text in *@text. */
static int verified_release(const struct deps_root *root, const char *lists,
			    const struct deb_apt_source *s, const struct deb_apt_opts *o,
			    char **text, struct dt_err *err)
{
	char name[4200], path[8400], shown[8400], tmpl[4200];
	char *signed_ = NULL, *sigtext = NULL, *outp;
	size_t len = 0, siglen = 0, outlen;
	struct dt_buf ring = { 0 };
	int rc, detached = 0, h = 0, dirfd;
	char rest[4200];

	*text = NULL;
	snprintf(rest, sizeof(rest), "dists/%s/InRelease", s->suite);
	if (deb_apt_list_name(s->uri, rest, name, sizeof(name)) < 0)
		return dt_err_set(err, DT_EINPUT, "%s: URI too long", s->where);
	snprintf(path, sizeof(path), "%s/%s", lists, name);
	if (o->shown)
		snprintf(shown, sizeof(shown), "%s", o->shown);
	else
		deps_root_shown(root, path, shown, sizeof(shown));
	rc = deps_root_read(root, path, RELEASE_MAX, &signed_, &len, err);
	if (rc == 1) {
		/* no InRelease: Release and its detached Release.gpg */
		snprintf(rest, sizeof(rest), "dists/%s/Release", s->suite);
		deb_apt_list_name(s->uri, rest, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", lists, name);
		deps_root_shown(root, path, shown, sizeof(shown));
		if ((rc = deps_root_read(root, path, RELEASE_MAX, &signed_, &len, err)) == 0) {
			snprintf(path + strlen(path), sizeof(path) - strlen(path), ".gpg");
			rc = deps_root_read(root, path, RELEASE_MAX, &sigtext, &siglen, err);
			detached = 1;
		}
		if (rc == 1) {
			rc = dt_err_set(err, DT_EINPUT, "%s: '%s %s': no signed index in %s (run "
					"apt-get update in the root)", s->where, s->uri, s->suite, lists);
			if (o->skip_unfetched)
				rc = 1;
			goto out;
		}
	}
	if (rc < 0 || (rc = source_keyring(root, s, &ring, err)) < 0)
		goto out;
	snprintf(tmpl, sizeof(tmpl), "%s/distill-gpgv-XXXXXX", dt_temp_base());
	if (!dt_temp_mkdtemp(tmpl, &h)) {
		rc = dt_err_sys(err, errno, "cannot make a temporary directory for gpgv");
		goto out;
	}
	if ((rc = write_file(tmpl, "keyring", ring.s, ring.len, err)) < 0 ||
	    (rc = write_file(tmpl, "signed", signed_, len, err)) < 0 ||
	    (detached && (rc = write_file(tmpl, "sig", sigtext, siglen, err)) < 0) ||
	    (rc = run_gpgv(o->gpgv, tmpl, detached, shown, err)) < 0)
		goto out;
	if (detached) {
		*text = signed_;
		signed_ = NULL;
	} else if ((dirfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		rc = dt_read_file(dirfd, "out", RELEASE_MAX, &outp, &outlen, err);
		close(dirfd);
		if (rc == 0)
			*text = outp;
		else if (rc > 0)
			rc = dt_err_set(err, DT_EINPUT, "'%s': gpgv wrote no signed text", shown);
	} else {
		rc = dt_err_sys(err, errno, "cannot open '%s'", tmpl);
	}
	if (rc == 0 && *text && !**text)
		rc = dt_err_set(err, DT_EINPUT, "'%s': the signed text is empty", shown);
out:
	if (h) {
		dt_temp_remove_tree(AT_FDCWD, tmpl);
		dt_temp_drop(h);
	}
	dt_buf_release(&ring);
	free(signed_);
	free(sigtext);
	return rc < 0 ? rc : rc == 1 ? 1 : 0;
}

int deb_apt_release_verify(const struct deps_root *root, const char *lists,
			   const struct deb_apt_source *s, const struct deb_apt_opts *o, char **text,
			   struct dt_err *err)
{
	static const struct deb_apt_opts none;
	struct deb_apt_opts strict = o ? *o : none;
	int rc;

	strict.skip_unfetched = 0;
	rc = verified_release(root, lists, s, &strict, text, err);
	return rc > 0 ? -DT_EINPUT : rc;
}

/* ---- Release and Packages ----------------------------------------------------------- */

int deb_apt_release_hash(const char *name, const char *text, const char *path,
			 char sha256[65], uint64_t *size, struct dt_err *err)
{
	const char *l = text;
	int in = 0;

	for (; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (*l != ' ' && *l != '\t') {
			in = strncasecmp(l, "SHA256:", 7) == 0;
			continue;
		}
		if (!in)
			continue;
		{
			char line[4200], *w[4];
			size_t len = strcspn(l, "\n"), n;
			char *end;
			unsigned long long sz;
			if (len >= sizeof(line))
				return dt_err_set(err, DT_EINPUT, "'%s': SHA256: a line too long", name);
			memcpy(line, l, len);
			line[len] = '\0';
			n = split(line, w, 4);
			if (n != 3 || strcmp(w[2], path) != 0)
				continue;
			errno = 0;
			sz = strtoull(w[1], &end, 10);
			if (strlen(w[0]) != 64 || !dt_is_hex(w[0], 64) || *end || errno ||
			    !isdigit((unsigned char)w[1][0]))
				return dt_err_set(err, DT_EINPUT, "'%s': SHA256 entry of '%s' is "
						  "malformed", name, path);
			memcpy(sha256, w[0], 65);
			*size = sz;
			return 0;
		}
	}
	return 1;
}

struct deb_apt_index *deb_apt_index_new(const struct deb_apt_sources *s)
{
	struct deb_apt_index *idx = calloc(1, sizeof(*idx));

	if (idx)
		idx->src = s;
	return idx;
}

void deb_apt_index_free(struct deb_apt_index *idx)
{
	if (!idx)
		return;
	free(idx->v);
	dt_arena_release(&idx->arena);
	dt_strv_release(&idx->skipped);
	free(idx);
}

const struct dt_strv *deb_apt_skipped(const struct deb_apt_index *idx)
{
	return &idx->skipped;
}

size_t deb_apt_count(const struct deb_apt_index *idx)
{
	return idx ? idx->n : 0;
}

static int arch_ok(const char *s)
{
	if (!*s || strlen(s) > 32)
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

static int filename_ok(const char *s)
{
	if (!*s || *s == '/' || strlen(s) > 1024 || !has_suffix(s, ".deb"))
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"\\?#%", *p))
			return 0;
	for (const char *c = s; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
			return 0;
		else if (c[0] == '/' || (c[0] == '.' && (c[1] == '/' || c[1] == '\0')))
			return 0;
	return 1;
}

/* The first line of field @name in the stanza [@s, @e): pointer and length, or NULL. */
static const char *stanza_field(const char *s, const char *e, const char *name, size_t *len)
{
	size_t n = strlen(name);

	for (const char *l = s; l < e;) {
		const char *nl = memchr(l, '\n', (size_t)(e - l));
		if (!nl)
			nl = e;
		if ((size_t)(nl - l) > n && strncasecmp(l, name, n) == 0 && l[n] == ':') {
			const char *v = l + n + 1, *ve = nl;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
				ve--;
			*len = (size_t)(ve - v);
			return v;
		}
		l = nl + 1;
	}
	return NULL;
}

int deb_apt_packages_parse(struct deb_apt_index *idx, const char *name, const char *text,
			   size_t len, size_t source, struct dt_err *err)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *e = p, *v[6];
		static const char *const fields[] = { "Package", "Version", "Architecture",
						      "Filename", "Size", "SHA256" };
		size_t vl[6];
		char *s[6];
		struct deb_apt_pkg *pkg;
		char *num_end;
		unsigned long long size;

		/* a stanza ends at an empty line */
		while (e < end) {
			const char *nl = memchr(e, '\n', (size_t)(end - e));
			if (!nl) {
				e = end;
				break;
			}
			if (nl + 1 < end && (nl[1] == '\n' || (nl[1] == '\r' && nl + 2 < end &&
							     nl[2] == '\n'))) {
				e = nl + 1;
				break;
			}
			e = nl + 1;
		}
		if (e == p || (e - p == 1 && *p == '\n')) {
			p = e + 1;
			continue;
		}
		for (int i = 0; i < 6; i++)
			v[i] = stanza_field(p, e, fields[i], &vl[i]);
		if (!v[0]) {
			/* blank lines, or a stanza without a name: apt would refuse the file */
			const char *q = p;
			while (q < e && (*q == '\n' || *q == '\r' || *q == ' '))
				q++;
			if (q == e) {
				p = e + 1;
				continue;
			}
			return dt_err_set(err, DT_EINPUT, "'%s': a stanza without Package at byte "
					  "%zu", name, (size_t)(p - text));
		}
		for (int i = 0; i < 6; i++) {
			if (!v[i])
				return dt_err_set(err, DT_EINPUT, "'%s': package '%.*s' has no %s",
						  name, (int)(vl[0] > 64 ? 64 : vl[0]), v[0], fields[i]);
			if (!(s[i] = dt_arena_strndup(&idx->arena, v[i], vl[i])))
				return dt_oom(err);
		}
		errno = 0;
		size = strtoull(s[4], &num_end, 10);
		if (!deb_name_valid(s[0]) || !deb_version_valid(s[1]) || !arch_ok(s[2]) || !filename_ok(s[3]) ||
		    !isdigit((unsigned char)s[4][0]) || *num_end || errno || strlen(s[5]) != 64 ||
		    !dt_is_hex(s[5], 64)) {
			char vis[300];
			dt_vis(vis, strlen(s[0]) > 64 ? "(a long name)" : s[0]);
			return dt_err_set(err, DT_EINPUT, "'%s': package '%s': a malformed %s", name,
					  vis, !deb_name_valid(s[0]) ? "Package" : !deb_version_valid(s[1]) ? "Version"
					  : !arch_ok(s[2]) ? "Architecture" : !filename_ok(s[3])
					  ? "Filename" : strlen(s[5]) != 64 || !dt_is_hex(s[5], 64)
					  ? "SHA256" : "Size");
		}
		if (!(pkg = dt_grow(idx->v, &idx->cap, idx->n, sizeof(*idx->v))))
			return dt_oom(err);
		idx->v = pkg;
		pkg = &idx->v[idx->n++];
		pkg->name = s[0];
		pkg->version = s[1];
		pkg->architecture = s[2];
		pkg->filename = s[3];
		pkg->size = size;
		memcpy(pkg->sha256, s[5], 65);
		pkg->source = source;
		p = e + 1;
	}
	return 0;
}

static int pkg_cmp(const void *a, const void *b)
{
	const struct deb_apt_pkg *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (!c)
		c = strcmp(x->version, y->version);
	if (!c)
		c = strcmp(x->architecture, y->architecture);
	if (!c)
		c = x->source < y->source ? -1 : x->source > y->source;
	return c;
}

void deb_apt_index_sort(struct deb_apt_index *idx)
{
	if (idx->n > 1)
		qsort(idx->v, idx->n, sizeof(*idx->v), pkg_cmp);
}

/* The first entry named @name (sorted), or idx->n. */
static size_t first_of(const struct deb_apt_index *idx, const char *name)
{
	size_t lo = 0, hi = idx->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(idx->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct deb_apt_pkg *deb_apt_find(const struct deb_apt_index *idx, const char *name,
				       const char *version, const char *arch)
{
	const struct deb_apt_pkg *best = NULL;

	for (size_t i = first_of(idx, name); i < idx->n && strcmp(idx->v[i].name, name) == 0; i++) {
		const struct deb_apt_pkg *p = &idx->v[i];
		if (strcmp(p->version, version) != 0)
			continue;
		if (strcmp(p->architecture, arch) != 0 && strcmp(p->architecture, "all") != 0)
			continue;
		if (!best || p->source < best->source)
			best = p;
	}
	return best;
}

const struct deb_apt_pkg *deb_apt_best(const struct deb_apt_index *idx, const char *name,
				       int op, const char *version, const char *arch)
{
	const struct deb_apt_pkg *best = NULL;

	for (size_t i = first_of(idx, name); i < idx->n && strcmp(idx->v[i].name, name) == 0; i++) {
		const struct deb_apt_pkg *p = &idx->v[i];
		int c;
		if (strcmp(p->architecture, arch) != 0 && strcmp(p->architecture, "all") != 0)
			continue;
		if (!deb_rel_holds((enum deb_rel_op)op, version, p->version))
			continue;
		c = best ? deb_version_cmp(p->version, best->version) : 1;
		if (c > 0 || (c == 0 && p->source < best->source))
			best = p;
	}
	return best;
}

void deb_apt_offers(const struct deb_apt_index *idx, const char *name, struct dt_buf *out)
{
	size_t start = out->len, i0 = first_of(idx, name);

	for (size_t i = i0; i < idx->n && strcmp(idx->v[i].name, name) == 0; i++) {
		const struct deb_apt_pkg *p = &idx->v[i];
		const struct deb_apt_source *s = &idx->src->v[p->source];
		int seen = 0;
		for (size_t j = i0; j < i && !seen; j++)
			seen = strcmp(idx->v[j].version, p->version) == 0 &&
			       idx->v[j].source == p->source;
		if (!seen)
			dt_buf_add(out, "%s%s (%s %s)", out->len > start ? ", " : "", p->version,
				   s->uri, s->suite);
	}
	if (out->len == start)
		dt_buf_add(out, "nothing");
}

const struct deb_apt_source *deb_apt_pkg_source(const struct deb_apt_index *idx,
						const struct deb_apt_pkg *p)
{
	return &idx->src->v[p->source];
}

/* Reads the list file @path (any compression libarchive knows, or none) whole. */
static int read_list(const struct deps_root *root, const char *path, const char *shown,
		     struct dt_buf *out, struct dt_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	char *raw = NULL;
	size_t rawlen;
	int rc;

	if (!a)
		return dt_oom(err);
	if ((rc = deps_root_read(root, path, PACKAGES_MAX, &raw, &rawlen, err)) != 0) {
		archive_read_free(a);
		return rc;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	archive_read_support_format_empty(a);
	if (archive_read_open_memory(a, raw, rawlen) != ARCHIVE_OK) {
		rc = dt_err_set(err, DT_ELIB, "'%s': %s", shown, archive_error_string(a));
		goto out;
	}
	if ((rc = archive_read_next_header(a, &ent)) == ARCHIVE_EOF) {
		rc = 0; /* an empty file */
		goto out;
	}
	if (rc != ARCHIVE_OK) {
		rc = dt_err_set(err, DT_ELIB, "'%s': %s", shown, archive_error_string(a));
		goto out;
	}
	rc = 0;
	for (;;) {
		char buf[65536];
		la_ssize_t got = archive_read_data(a, buf, sizeof(buf));
		if (got == 0)
			break;
		if (got < 0) {
			rc = dt_err_set(err, DT_ELIB, "'%s': %s", shown, archive_error_string(a));
			goto out;
		}
		if (out->len + (size_t)got > PACKAGES_MAX) {
			rc = dt_err_set(err, DT_EINPUT, "'%s': larger than %llu bytes uncompressed",
					shown, PACKAGES_MAX);
			goto out;
		}
		dt_buf_addn(out, buf, (size_t)got);
	}
	if (out->oom)
		rc = dt_oom(err);
out:
	archive_read_free(a);
	free(raw);
	return rc;
}

/* Reads, checks against the Release and parses the Packages of @comp for @arch. @return 0,
 * 1 when apt has no list for it, or a negative code with @err set. */
static int load_packages(struct deb_apt_index *idx, const struct deps_root *root,
			 const char *lists, size_t si, const char *release, const char *comp,
			 const char *arch, struct dt_err *err)
{
	static const char *const sufs[] = { "", ".lz4", ".gz", ".xz", ".zst", ".bz2" };
	const struct deb_apt_source *s = &idx->src->v[si];
	char rel[512], rest[4200], name[4200], path[8400], shown[8400], want[65], got[65];
	uint64_t want_size = 0;
	struct dt_buf text = { 0 };
	unsigned char md[DT_SHA256_LEN];
	int rc = 1;

	snprintf(rel, sizeof(rel), "%s/binary-%s/Packages", comp, arch);
	snprintf(rest, sizeof(rest), "dists/%s/%s", s->suite, rel);
	if (deb_apt_list_name(s->uri, rest, name, sizeof(name)) < 0)
		return dt_err_set(err, DT_EINPUT, "%s: URI too long", s->where);
	for (size_t i = 0; i < sizeof(sufs) / sizeof(*sufs) && rc == 1; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", lists, name, sufs[i]);
		deps_root_shown(root, path, shown, sizeof(shown));
		rc = read_list(root, path, shown, &text, err);
	}
	if (rc != 0)
		goto out;
	if ((rc = deb_apt_release_hash(shown, release, rel, want, &want_size, err)) == 1) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': the signed Release of '%s %s' has no "
				"SHA256 of %s", shown, s->uri, s->suite, rel);
		goto out;
	}
	if (rc < 0)
		goto out;
	dt_sha256(text.s ? text.s : "", text.len, md);
	dt_hex(md, DT_SHA256_LEN, got);
	if (text.len != want_size || strcmp(got, want) != 0) {
		rc = dt_err_set(err, DT_EMISMATCH, "'%s': sha256 %s (%zu bytes) is not the signed "
				"Release's %s (%llu bytes): run apt-get update in the root", shown,
				got, text.len, want, (unsigned long long)want_size);
		goto out;
	}
	if (text.len && memchr(text.s, '\0', text.len)) {
		rc = dt_err_set(err, DT_EINPUT, "'%s': not a text file", shown);
		goto out;
	}
	rc = deb_apt_packages_parse(idx, shown, text.s ? text.s : "", text.len, si, err);
out:
	dt_buf_release(&text);
	return rc;
}

int deb_apt_index_open(const struct deps_root *root, const struct deb_apt_sources *s,
		       const struct deb_apt_opts *o, struct deb_apt_index **out,
		       struct dt_err *err)
{
	const char *lists = o->lists ? o->lists : "/var/lib/apt/lists";
	struct deb_apt_index *idx = deb_apt_index_new(s);
	int rc = 0;

	*out = NULL;
	if (!idx)
		return dt_oom(err);
	for (size_t i = 0; i < s->n && rc >= 0; i++) {
		char *release = NULL;
		if ((rc = verified_release(root, lists, &s->v[i], o, &release, err)) < 0)
			break;
		if (rc == 1) {
			char what[4400];
			snprintf(what, sizeof(what), "%s %s: no InRelease", s->v[i].uri, s->v[i].suite);
			if (dt_strv_push(&idx->skipped, what) < 0)
				rc = dt_oom(err);
			else
				rc = 0;
			continue;
		}
		for (size_t c = 0; c < s->v[i].ncomponents && rc >= 0; c++) {
			char rel[512], sha[65];
			uint64_t size;
			rc = load_packages(idx, root, lists, i, release, s->v[i].components[c],
					   o->arch, err);
			if (rc == 1) {
				char rest[600], name[4200], shown[4400];
				snprintf(rest, sizeof(rest), "dists/%s/%s/binary-%s/Packages",
					 s->v[i].suite, s->v[i].components[c], o->arch);
				deb_apt_list_name(s->v[i].uri, rest, name, sizeof(name));
				snprintf(rest, sizeof(rest), "%s/", lists);
				deps_root_shown(root, rest, shown, sizeof(shown));
				if (o->skip_unfetched) {
					char what[4400];
					snprintf(what, sizeof(what), "%s %s %s: no Packages for %s",
						 s->v[i].uri, s->v[i].suite, s->v[i].components[c],
						 o->arch);
					rc = dt_strv_push(&idx->skipped, what) < 0 ? dt_oom(err) : 0;
					continue;
				}
				rc = dt_err_set(err, DT_EINPUT, "%s: no index of '%s %s %s' for %s in "
						"%s (run apt-get update in the root): %s", s->v[i].where,
						s->v[i].uri, s->v[i].suite, s->v[i].components[c],
						o->arch, shown, name);
				break;
			}
			/* binary-all, where the Release has one and apt fetched it */
			snprintf(rel, sizeof(rel), "%s/binary-all/Packages", s->v[i].components[c]);
			if (rc >= 0 && deb_apt_release_hash("Release", release, rel, sha, &size,
							    NULL) == 0)
				rc = load_packages(idx, root, lists, i, release,
						   s->v[i].components[c], "all", err);
			if (rc == 1)
				rc = 0;
		}
		free(release);
	}
	if (rc < 0) {
		deb_apt_index_free(idx);
		return rc;
	}
	deb_apt_index_sort(idx);
	*out = idx;
	return 0;
}
