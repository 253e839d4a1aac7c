/* SPDX-License-Identifier: MIT */
/* The indexes of the spec's repositories (update.h): the InRelease downloaded and verified,
 * then the Packages files it vouches for fetched through the cache by their hash. */
#include "debian/update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "deps/root.h"

#define KEYRING_MAX ((size_t)16 << 20)
#define INRELEASE_MAX ((size_t)64 << 20)
#define MAX_LISTS 256

/* Writes @len bytes to DIR-relative @path, made with its parents. */
static int put_file(int dfd, const char *path, const void *buf, size_t len, struct dt_err *err,
		    const char *dir)
{
	if (dt_write_file_at(dfd, path, buf, len, 0644, 0) < 0)
		return dt_err_sys(err, errno, "cannot write '%s/%s'", dir, path);
	return 0;
}

/* One Packages file to fetch: where it goes (its list name in DIR/lists). */
struct list {
	char name[4200];
	char what[800];
	const char *where;     /* the source's, for messages */
	char *url;
};

/* The Packages of @comp for @arch in the signed @release: the .xz, .gz or plain entry.
 * @return 0 with the item filled, 1 when the Release lists none, or a negative code. */
static int pick(const struct deb_apt_source *s, const char *release, const char *comp,
		const char *arch, int by_hash, struct deb_fetch_item *it, struct list *l,
		struct dt_err *err)
{
	static const char *const sufs[] = { ".xz", ".gz", "" };
	char rel[600], rest[700];
	int rc = 1;

	for (size_t k = 0; k < sizeof(sufs) / sizeof(*sufs) && rc == 1; k++) {
		char *url = NULL;
		snprintf(rel, sizeof(rel), "%s/binary-%s/Packages%s", comp, arch, sufs[k]);
		if ((rc = deb_apt_release_hash(s->where, release, rel, it->sha256, &it->size, err)) != 0)
			continue;
		snprintf(rest, sizeof(rest), "dists/%s/%s", s->suite, rel);
		if (deb_apt_list_name(s->uri, rest, l->name, sizeof(l->name)) < 0)
			return dt_err_set(err, DT_EINPUT, "%s: URI too long", s->where);
		if (by_hash)
			rc = asprintf(&url, "%s/dists/%s/%s/binary-%s/by-hash/SHA256/%s", s->uri,
				      s->suite, comp, arch, it->sha256);
		else
			rc = asprintf(&url, "%s/%s", s->uri, rest);
		if (rc < 0)
			return dt_oom(err);
		it->url = l->url = url;
		l->where = s->where;
		snprintf(l->what, sizeof(l->what), "%s %s %s", s->suite, comp, rel);
		it->name = l->what;
		it->pinned_by = "the signed Release";
		return 0;
	}
	return rc;
}

/* Whether the Architectures field of @release names "all". */
static int lists_all(const char *release)
{
	const char *a = strstr(release, "\nArchitectures:");
	size_t n;

	if (!a)
		return 0;
	a += strlen("\nArchitectures:");
	n = strcspn(a, "\n");
	for (size_t i = 0; i < n;) {
		size_t w;
		i += strspn(a + i, " \t");
		w = strcspn(a + i, " \t\n");
		if (w == 3 && strncmp(a + i, "all", 3) == 0)
			return 1;
		i += w ? w : 1;
	}
	return 0;
}

int deb_apt_update(const char *dir, struct deb_apt_sources *s, const struct deb_apt_update_opts *o,
		   struct dt_err *err)
{
	struct deb_fetch_item items[MAX_LISTS];
	struct list *lists = NULL;
	struct deps_root root = { 0 };
	struct deb_apt_opts ao = { .arch = o->arch, .gpgv = o->gpgv, .lists = "/lists" };
	size_t n = 0;
	int dfd = -1, rc = 0, have_root = 0;

	memset(items, 0, sizeof(items));
	if (!(lists = calloc(MAX_LISTS, sizeof(*lists))))
		return dt_oom(err);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dt_err_sys(err, errno, "cannot open '%s'", dir);
		goto out;
	}
	if ((rc = deps_root_open(&root, dir, err)) < 0)
		goto out;
	have_root = 1;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		struct deb_apt_source *src = &s->v[i];
		char path[4300], name[4200], rest[600], shown[4900], keyring[4200];
		char *buf = NULL, *url = NULL, *release = NULL;
		size_t len = 0;
		int by_hash, all;

		/* the keyring, where the index's verification reads it */
		if (!src->signed_by || src->signed_by[0] != '/' || strchr(src->signed_by, ' ')) {
			rc = dt_err_set(err, DT_EINPUT, "%s: a keyring file is needed", src->where);
			break;
		}
		snprintf(keyring, sizeof(keyring), "%s", src->signed_by);
		if ((rc = dt_read_file(AT_FDCWD, src->signed_by, KEYRING_MAX, &buf, &len, err)) < 0) {
			dt_err_prefix(err, "%s: keyring", src->where);
			break;
		}
		snprintf(path, sizeof(path), "keyrings/%zu.gpg", i);
		rc = put_file(dfd, path, buf, len, err, dir);
		free(buf);
		buf = NULL;
		free(src->signed_by);
		if (!(src->signed_by = malloc(strlen(path) + 2))) {
			rc = dt_oom(err);
			break;
		}
		sprintf(src->signed_by, "/%s", path);
		if (rc < 0)
			break;
		/* the InRelease, then its signature checked before anything it names is fetched */
		snprintf(rest, sizeof(rest), "dists/%s/InRelease", src->suite);
		if (deb_apt_list_name(src->uri, rest, name, sizeof(name)) < 0 ||
		    asprintf(&url, "%s/%s", src->uri, rest) < 0) {
			rc = dt_err_set(err, DT_EINPUT, "%s: URI too long", src->where);
			break;
		}
		rc = deb_fetch_url(url, INRELEASE_MAX, o->fetch, &buf, &len, err);
		free(url);
		if (rc < 0) {
			dt_err_prefix(err, "%s", src->where);
			break;
		}
		snprintf(path, sizeof(path), "lists/%s", name);
		rc = put_file(dfd, path, buf, len, err, dir);
		free(buf);
		ao.shown = shown;
		snprintf(shown, sizeof(shown), "%s/%s", src->uri, rest);
		if (rc == 0 && (rc = deb_apt_release_verify(&root, "/lists", src, &ao, &release,
							    err)) < 0) {
			char msg[sizeof(err->msg)];
			snprintf(msg, sizeof(msg), "%s", err->msg);
			dt_err_set(err, -rc, "%s: %s (the keyring '%s'%s)", src->where, msg, keyring,
				   strstr(msg, "No public key") ? " lacks the key that signed it: "
				   "name the repository's own keyring" : "");
		}
		if (rc < 0)
			break;
		by_hash = strstr(release, "\nAcquire-By-Hash: yes") != NULL;
		/* binary-all as apt takes it: where the Release's Architectures name "all", and
		 * not where it says each architecture's Packages hold those too (Debian's) */
		all = lists_all(release) && !strstr(release, "\nNo-Support-for-Architecture-all: Packages");
		for (size_t c = 0; c < src->ncomponents && rc == 0; c++) {
			const char *arch[2] = { o->arch, "all" };
			for (int a = 0; a < 1 + all && rc == 0; a++) {
				if (n == MAX_LISTS) {
					rc = dt_err_set(err, DT_EINPUT, "%s: more than %d Packages "
							"files", src->where, MAX_LISTS);
					break;
				}
				rc = pick(src, release, src->components[c], arch[a], by_hash, &items[n],
					  &lists[n], err);
				if (rc == 0)
					n++;
				else if (rc == 1 && a == 0)
					rc = dt_err_set(err, DT_EINPUT, "%s: the signed Release of "
							"'%s %s' lists no Packages of %s for %s",
							src->where, src->uri, src->suite,
							src->components[c], arch[a]);
				else if (rc == 1)
					rc = 0; /* no binary-all */
			}
		}
		free(release);
	}
	if (rc == 0 && n) {
		rc = deb_fetch(o->cache, items, n, o->fetch, err);
		for (size_t i = 0; i < n && rc == 1; i++)
			if (items[i].state == DEB_FETCH_FAILED) {
				*err = items[i].err;
				dt_err_prefix(err, "%s", lists[i].where);
				rc = -(err->code ? err->code : DT_EINPUT);
			}
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[4300], blob[4300], *buf = NULL;
		size_t len = 0;
		dt_cache_blob_path(o->cache, items[i].sha256, blob, sizeof(blob));
		if ((rc = dt_read_file(AT_FDCWD, blob, (size_t)items[i].size + 1, &buf, &len, err)) < 0)
			break;
		snprintf(path, sizeof(path), "lists/%s", lists[i].name);
		rc = put_file(dfd, path, buf, len, err, dir);
		free(buf);
	}
out:
	for (size_t i = 0; lists && i < n; i++)
		free(lists[i].url);
	if (have_root)
		deps_root_release(&root);
	if (dfd >= 0)
		close(dfd);
	free(lists);
	return rc;
}
