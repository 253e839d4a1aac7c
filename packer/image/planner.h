/* SPDX-License-Identifier: MIT */
/* Internal to the image planner: the steps pk_image_plan (plan.c) runs, one file each, and
 * the helpers they share. Each step adds entries to the plan; merge.c then makes each path
 * one entry. */
#ifndef DISTILL_PACKER_IMAGE_PLANNER_H
#define DISTILL_PACKER_IMAGE_PLANNER_H

#include "deps/check.h"
#include "debian/dpkg.h"
#include "deps/root.h"
#include "packer/image/plan.h"

/* The nsswitch.conf of the distroless skeleton (the closures' NSS modules follow it). */
/* The image's PATH when the spec sets none. */
#define PK_DEFAULT_PATH "PATH=" DEPS_CHECK_DEFAULT_PATH

#define PK_NSSWITCH_CONF                                                                   \
	"passwd: files\ngroup: files\nshadow: files\ngshadow: files\n"                     \
	"hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"           \
	"ethers: files\nrpc: files\n"
#define PK_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define PK_DEBIAN_VERSION "/etc/debian_version"

/* skeleton.c: passwd, group, nsswitch.conf, os-release, debian_version, /tmp and the
 * homes, and the CA bundle, read from @root. */
int pk_plan_skeleton(struct pk_image *img, const struct deps_root *root,
		      const struct pk_plan_opts *o, struct dt_err *err);

/* closure.c: the spec's binaries and their shared-library closures; sets the platform from
 * the binaries' ELF machine. */
int pk_plan_closure(struct pk_image *img, const struct pk_plan_opts *o, struct dt_err *err);

/* hostfiles.c: the spec's files (directories walked whole). */
int pk_plan_files(struct pk_image *img, struct dt_err *err);
/* Each Python source that a timestamp-based .pyc of the plan records keeps the mtime the
 * .pyc records, so that the bytecode is valid in the image (bytecode.c). On the merged,
 * sorted plan; a .pyc that cannot be read leaves its source as it is. */
void pk_plan_bytecode(struct pk_image *img);
/* Warns of each script of binaries whose interpreter reads a library tree of its own
 * (/usr/lib/python3.N, /usr/share/perl) that the finished plan lacks. */
int pk_plan_script_trees(struct pk_image *img, const struct pk_plan_opts *o,
			 struct dt_err *err);
/* The shared-library closures of the ELF files that files entries brought (unless an entry
 * says closure: false), resolved inside the root: what the image already has, or what the
 * entries themselves place, is not added again; a library outside the system directories is
 * left for the start-up check to name. */
int pk_plan_files_closure(struct pk_image *img, const struct pk_plan_opts *o,
			  struct dt_err *err);

/* check.c: the plan (merged: sorted, one entry per path) laid out for reading in a new
 * temporary directory below @tmpdir (NULL: $TMPDIR, else /tmp): its directories,
 * symlinks and hard links, its executable scripts' heads, the ELF files it holds in
 * memory, and every other file as an empty placeholder with the image's exec bit. A host
 * ELF file stays a placeholder too: it is read where it is, through pk_plan_content (a
 * hard link would change the input's ctime, and a copy costs its bytes). The image paths
 * of the ELF files and scripts are listed, in the plan's order. */
struct pk_plan_layout {
	char dir[4200];
	int temp;                 /* its dt_temp registration */
	struct dt_strv elf, scripts;
	const struct pk_image *img;
	int roots[2];             /* the plan's content roots, opened as needed */
};
/* deps_content_fn for a layout @ctx: the host file the plan takes image path @real from,
 * opened beneath its root; -1 for anything else (the tree's own file is read). */
int pk_plan_content(void *ctx, const char *real);
int pk_plan_lay_out(const struct pk_image *img, const char *tmpdir, struct pk_plan_layout *lo,
		    struct dt_err *err);
/* Removes the directory and frees the lists; harmless twice. */
void pk_plan_layout_release(struct pk_plan_layout *lo);

/* closure.c: the shared-library closures of the ELF files of the image (unless their entry
 * says closure: false), on the merged plan: the packages' files, and what the binaries'
 * and the files' closures (resolved in the root, where those files lie) left out, such as
 * a file from outside a sysroot. Each is resolved inside the image as it stands (laid out
 * by pk_plan_lay_out); what the image lacks is looked for in the root
 * (deps_find_library) and added with its symlinks, round after round until nothing more
 * is found. What is nowhere is left for the start-up check to name. The plan is merged
 * again when anything was added. */
int pk_plan_image_closure(struct pk_image *img, const struct pk_plan_opts *o,
			     struct dt_err *err);

/* hostfiles.c: adds the file, symlink or (empty) directory at @rel (relative, no symlinks in
 * its parents) of content root @root as image path @path, its content hashed. */
int pk_plan_add_host(struct pk_image *img, int root, const char *rel, const char *path,
		     enum pk_plan_layer layer, enum pk_plan_prio prio, const char *source,
		     struct dt_err *err);

/* hostfiles.c: "host:./rel" for paths below the spec's directory (locks carry no host
 * paths of the project), else "host:PATH". */
void pk_plan_host_source(const struct pk_image *img, const char *path, char *buf, size_t len);

/* hostfiles.c: whether @path lies in the spec's directory (a project file, with root "/"). */
/* hostfiles.c: whether a host path is the system's (/usr, /lib*, /bin, /sbin, /etc, /opt,
 * /var), never the project's own. */
int pk_plan_system_path(const char *path);

int pk_plan_in_project(const struct pk_image *img, const char *path);

/* packages.c: the spec's packages, read out of their .debs, and the packages their Depends
 * and Pre-Depends pull from the same directory (unless an entry says depends: false):
 * each clause is met by a package already taken, else by an Essential package (never
 * pulled), else by the first alternative with a .deb there (its highest version that
 * satisfies the relation; a virtual name by its providers, in name order), else by a
 * package installed in the root (@db), whose files the closures take as they need them;
 * else it is an error naming the package, the clause and what the directory offers.
 * Every clause is recorded in img->rels. */
int pk_plan_packages(struct pk_image *img, const struct deb_dpkg *db,
		     const struct pk_plan_opts *o, struct dt_err *err);

/* Whether image path @path matches glob @pat (fnmatch, FNM_PATHNAME), or lies below a
 * directory that does. */
int pk_plan_glob_match(const char *pat, const char *path);

/* packages.c: owning packages from @db (host files) or the .debs, and
 * /var/lib/dpkg/status.d/<package> and <package>.md5sums for each. */
int pk_plan_owners(struct pk_image *img, const struct deps_root *root, const struct deb_dpkg *db,
		   struct dt_err *err);
/* hostfiles.c: the md5 of the host file of @e, read now (img->md5_stated left it out).
 * @return 0, or a negative code with @err naming it. */
int pk_plan_md5(const struct pk_image *img, struct pk_plan_entry *e, struct dt_err *err);

/* config.c: the config's numeric user and its environment. */
int pk_plan_config(struct pk_image *img, struct dt_err *err);
/* config.c: the platform from the spec, checked against the binaries'. */
int pk_plan_platform(struct pk_image *img, struct dt_err *err);

/* merge.c: sorts the plan by path and makes each path one entry: directories merge (the
 * first source wins; a symlink wins over a directory, as dpkg keeps /lib -> usr/lib),
 * identical files merge, anything else is an error naming both sources. */
int pk_plan_dedupe(struct pk_image *img, struct dt_err *err);
/* merge.c: moves paths below a symlink of the image to where it leads (as dpkg writes
 * through /lib -> usr/lib), until nothing moves. */
int pk_plan_through_symlinks(struct pk_image *img, struct dt_err *err);
/* merge.c: every parent directory, explicitly, in the lowest layer of its children. */
int pk_plan_parents(struct pk_image *img, struct dt_err *err);
/* merge.c: each entry's parent index (the plan is complete and sorted). */
void pk_plan_index_parents(struct pk_image *img);
/* The entry at @path among the first @n entries of the plan, which are sorted by path (as
 * after pk_plan_dedupe), or NULL. */
struct pk_plan_entry *pk_plan_find_in(const struct pk_image *img, size_t n, const char *path);

/* merge.c: @link (a symlink at @at) and @rest joined into a normalized absolute path: ".."
 * stops at the image root, an absolute target restarts there. malloc'd, or NULL. */
char *pk_plan_join_link(const char *at, const char *link, const char *rest);

/* plan.c: a warning through @o->warn, if any. */
void pk_plan_warn(const struct pk_plan_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
