/* SPDX-License-Identifier: MIT */
/* The image spec: a YAML file (libyaml) naming what goes into an image and how it runs.
 * Parsing is strict: an unknown key, a wrong type or a bad value is an error naming the
 * spec file, the line and the key. See docs/spec.md for the format. */
#ifndef DISTILL_MANIFEST_SPEC_H
#define DISTILL_MANIFEST_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum mf_base {
	MF_BASE_DISTROLESS, /* passwd/group, nsswitch.conf, os-release, /tmp, /home/nonroot */
	MF_BASE_SCRATCH,    /* nothing but what the spec names */
};

enum mf_runtime {
	MF_RUNTIME_AUTO, /* add run-time loads (libgcc_s, NSS modules, gconv, .note.dlopen) */
	MF_RUNTIME_OFF,  /* only DT_NEEDED closures */
};

/* A "name: value" pair, in the order the spec gives (users of maps sort them). */
struct mf_kv {
	char *key;
	char *value;
};

/* An ELF whose shared-library closure is added. */
struct mf_binary {
	char *path; /* absolute, inside the root (a relative spec path is made absolute against
		     * the spec's directory, and is then only valid with root "/") */
	char *dst;  /* image path (absolute), or NULL: the same as path (only for an absolute
		     * path in the spec: a relative one needs dst) */
	int relative; /* the spec wrote the path relative to its directory */
	int pin_content; /* `pin: content`: the lock pins the content of its project files too */
	int line;   /* where the entry starts in the spec, for messages */
};

/* A host file or directory copied into the image. */
struct mf_file {
	char *src;      /* host path: absolute, or made absolute against the spec's directory */
	char *dst;      /* absolute image path */
	int64_t mode;   /* 0..07777, or -1: 0644/0755 by the execute bit (dirs 0755) */
	int64_t uid;    /* -1: 0 */
	int64_t gid;    /* -1: 0 */
	int special;    /* mode may set setuid, setgid and sticky bits (`special: true`) */
	int closure;    /* its ELF files bring their shared-library closure (default 1;
			 * `closure: false`) */
	int pin_content; /* `pin: content`: the lock pins the content of its project files */
	char **excludes; /* globs of image paths to leave out (and what is below them) */
	size_t nexcludes;
	int line;
};

/* A Debian package taken from a .deb in the debs directory. */
struct mf_package {
	char *name;
	char *version;  /* NULL: the only <name>_*.deb in the directory */
	char **paths;   /* fnmatch globs on absolute image paths ("/usr/lib/ * /libz.so*");
			 * none: the whole package */
	size_t npaths;
	char **excludes; /* globs of paths to leave out */
	size_t nexcludes;
	int depends;     /* its Depends and Pre-Depends are followed (default 1) */
	int closure;     /* its ELF files get their shared-library closure (default 1) */
	int line;
};

/* The users of the distroless base, each with a group of the same name and id, in the order
 * /etc/passwd and /etc/group list them; the last one (nonroot) is the default config.user.
 * The one table of them: the spec checks clashes with it, the skeleton writes it, the
 * config resolves names by it. */
struct mf_builtin_user {
	const char *name;
	uint32_t id;      /* uid and gid */
	const char *home;
};
#define MF_DISTROLESS_NUSERS 3
extern const struct mf_builtin_user mf_distroless_users[MF_DISTROLESS_NUSERS];
#define MF_DISTROLESS_DEFAULT (&mf_distroless_users[MF_DISTROLESS_NUSERS - 1])

struct mf_user {
	char *name;
	uint32_t uid, gid;
	char *home;     /* default "/home/<name>" (made, mode 0700, owned by uid:gid) */
	char *shell;    /* default "/sbin/nologin" */
	int line;
};

struct mf_group {
	char *name;
	uint32_t gid;
	char **members;
	size_t nmembers;
	int line;
};

struct mf_config {
	char **entrypoint; size_t nentrypoint;
	char **cmd; size_t ncmd;
	char **env; size_t nenv;            /* "KEY=VALUE"; a map in YAML is also accepted */
	char *user;                         /* default "nonroot" (distroless) or NULL (scratch) */
	char *workdir;                      /* default "/home/nonroot" when user is nonroot */
	struct mf_kv *labels; size_t nlabels;
	char **exposed_ports; size_t nexposed_ports; /* "8080/tcp"; a bare number means tcp */
	char **volumes; size_t nvolumes;
	char *stop_signal;
};

/* repositories[]: an apt repository the lock pins .debs from, in place of the root's apt
 * sources (a snapshot of the archive, say); its indexes are downloaded and verified as apt
 * does, against @keyring. */
struct mf_repository {
	char *url;             /* "https://snapshot.debian.org/archive/debian/20250520T000000Z" */
	char *suite;           /* "bookworm" */
	char **components; size_t ncomponents; /* default "main" */
	char *keyring;         /* an OpenPGP keyring on this machine (absolute), binary or armored */
	int line;
};

struct mf_spec {
	char *file;            /* the spec's path as given, for messages */
	char *dir;             /* the spec's directory (absolute) */
	unsigned char sha256[32]; /* of the spec's bytes */
	char *name;            /* "repository:tag" (":latest" added when no tag) */
	char *platform;        /* "linux/amd64" or NULL: from the binaries' ELF machine */
	char *root;            /* default "/" */
	enum mf_base base;
	int certificates;      /* copy the root's /etc/ssl/certs/ca-certificates.crt */
	enum mf_runtime runtime;
	char *debs;            /* directory of .deb files (absolute), or NULL */
	struct mf_binary *binaries; size_t nbinaries;
	struct mf_file *files; size_t nfiles;
	struct mf_package *packages; size_t npackages;
	struct mf_user *users; size_t nusers;
	struct mf_group *groups; size_t ngroups;
	struct mf_config config;
	struct mf_kv *annotations; size_t nannotations;
	/* check.allow: start-up problems allowed ("FILE" or "FILE: NEED" fnmatch patterns) */
	char **check_allow; size_t ncheck_allow;
	int check_symbols;     /* check.symbols: the check resolves every symbol too */
	/* allow_secrets: image paths (absolute fnmatch globs) the secret rules let through */
	char **allow_secrets; size_t nallow_secrets;
	int sbom;              /* sbom: true: SBOMs attached to oci images (build --sbom) */
	int inputs_debs;       /* inputs: debs: build from the lock's .debs (build --inputs) */
	/* layers: two (0: base and app) or packages (1: by owning package, at most
	 * layers_max layers, the app's last) */
	int layers_packages;
	unsigned layers_max;   /* MF_LAYERS_MAX_DEFAULT unless said; 3..MF_LAYERS_MAX */
	struct mf_repository *repositories; size_t nrepositories;
	/* not from the YAML: set by a caller that reads root from elsewhere (build --inputs
	 * debs: a staging tree made from the lock's .debs that stands for root), else NULL */
	const char *read_root;
};

/* The directory root is read from: read_root, else root. */
static inline const char *mf_spec_read_root(const struct mf_spec *s)
{
	return s->read_root ? s->read_root : s->root;
}

/* What goes before a path inside root to name it on this machine: "" when it is read
 * from "/", else the directory (read_root or root). */
static inline const char *mf_spec_prefix(const struct mf_spec *s)
{
	const char *r = mf_spec_read_root(s);
	return r[0] == '/' && r[1] == '\0' ? "" : r;
}

/* The name of the group with @gid in the image @s makes (its groups, and distroless's), or
 * NULL when none has it. */
const char *mf_spec_group_of(const struct mf_spec *s, uint32_t gid);

/* Parses the spec file @path.
 * @return 0 and *@out (free with mf_spec_free), or a negative code with @err naming the file,
 * the line and the key ("spec.yaml:12: config.user: expected a string"). */
int mf_spec_load(const char *path, struct mf_spec **out, struct dt_err *err);

/* Parses @len bytes of YAML as if read from @name, whose directory is @dir (absolute).
 * @return as mf_spec_load. */
int mf_spec_parse(const char *name, const char *dir, const void *buf, size_t len,
		  struct mf_spec **out, struct dt_err *err);

void mf_spec_free(struct mf_spec *s);

#define MF_LAYERS_MAX_DEFAULT 8
#define MF_LAYERS_MAX 32

#endif
