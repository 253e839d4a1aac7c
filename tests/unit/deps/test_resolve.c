/* SPDX-License-Identifier: MIT */
/* Unit tests of deps/resolve and deps/runtime: closures in a sysroot made of this machine's
 * loader, libc and a program, and of programs built here with cc (RUNPATH and RPATH with
 * $ORIGIN, a missing library, the loader needed by name, run-time loads in each mode). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deps/resolve.h"
#include "testlib.h"

#define MULTI "/usr/lib/x86_64-linux-gnu"

/* Programs and libraries built once, and two sysroots holding them: one without an
 * ld.so.cache (built-in directories), one with a copy of this machine's cache. */
struct fixture {
	const char *work;
	const char *root;
	const char *cached;
};

/* Copies the host file @from to @root/@rel. */
static void copy(const char *from, const char *root, const char *rel)
{
	tl_copy(from, root, rel, (size_t)-1, 0755);
}

/* A merged-/usr root: /lib -> usr/lib, /lib64/ld-linux-x86-64.so.2 -> /lib/... (absolute,
 * so it must restart at the root), the host's loader, libc and libgcc_s, and the builds. */
static void make_root(const char *r, const char *w)
{
	char p[4096];

	copy("/lib/x86_64-linux-gnu/libc.so.6", r, "usr/lib/x86_64-linux-gnu/libc.so.6");
	copy("/lib64/ld-linux-x86-64.so.2", r, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	copy("/lib/x86_64-linux-gnu/libgcc_s.so.1", r, "usr/lib/x86_64-linux-gnu/libgcc_s.so.1");
	tl_symlink(r, "lib", "usr/lib");
	tl_symlink(r, "lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	copy(tl_host_program(), r, "usr/bin/true");
	copy(tl_path(p, w, "cancel"), r, "usr/bin/cancel");
	copy(tl_path(p, w, "gone"), r, "usr/bin/gone");
	copy(tl_path(p, w, "libplain.so"), r, "usr/lib/x86_64-linux-gnu/libplain.so");
	copy(tl_path(p, w, "prog"), r, "opt/app/bin/prog");
	copy(tl_path(p, w, "rprog"), r, "opt/app/bin/rprog");
	copy(tl_path(p, w, "libx.so"), r, "opt/app/lib/libx.so");
	copy(tl_path(p, w, "liby.so"), r, "opt/app/lib/liby.so");
	tl_symlink(r, "usr/bin/app", "/opt/app/bin/prog");
	tl_write(r, "etc/text", "not a program\n", (size_t)-1, 0755);
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *w;

	assert_non_null(f);
	w = f->work = tl_tmpdir();
	tl_write(w, "y.c", "int y_v(void) { return 2; }\n", (size_t)-1, 0644);
	tl_write(w, "x.c", "int y_v(void);\nint x_v(void) { return y_v(); }\n", (size_t)-1, 0644);
	tl_write(w, "prog.c", "int x_v(void);\nint main(void) { return x_v() - 2; }\n",
		 (size_t)-1, 0644);
	tl_write(w, "plain.c", "int plain_v(void) { return 3; }\n", (size_t)-1, 0644);
	tl_write(w, "gone.c", "int gone_v(void);\nint main(void) { return gone_v(); }\n",
		 (size_t)-1, 0644);
	tl_write(w, "cancel.c",
		 "#include <pthread.h>\n"
		 "int main(int argc, char **argv)\n{\n\t(void)argv;\n"
		 "\tif (argc > 99)\n\t\tpthread_cancel(pthread_self());\n\treturn 0;\n}\n",
		 (size_t)-1, 0644);
	tl_cc(w, "-shared -fPIC -o liby.so -Wl,-soname,liby.so y.c");
	tl_cc(w, "-shared -fPIC -o libx.so -Wl,-soname,libx.so x.c -Wl,--no-as-needed -L. -ly");
	/* RUNPATH serves the program's own needs only; RPATH is inherited by libx */
	tl_cc(w, "-o prog prog.c -Wl,--no-as-needed -L. -lx -Wl,-rpath-link,. "
		 "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'");
	tl_cc(w, "-o rprog prog.c -Wl,--no-as-needed -L. -lx -Wl,-rpath-link,. "
		 "-Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'");
	/* a library with no PT_INTERP that needs the loader by name */
	tl_cc(w, "-shared -fPIC -o libplain.so plain.c -Wl,--no-as-needed "
		 "/lib64/ld-linux-x86-64.so.2");
	tl_cc(w, "-shared -fPIC -o libgone.so.1 -Wl,-soname,libgone.so.1 y.c -Dy_v=gone_v");
	tl_cc(w, "-o gone gone.c -Wl,--no-as-needed ./libgone.so.1");
	tl_cc(w, "-o cancel cancel.c -pthread");

	f->root = tl_tmpdir();
	make_root(f->root, w);
	f->cached = tl_tmpdir();
	make_root(f->cached, w);
	tl_copy("/etc/ld.so.cache", f->cached, "etc/ld.so.cache", (size_t)-1, 0644);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	tl_rmtree(f->work);
	tl_rmtree(f->root);
	tl_rmtree(f->cached);
	free(f);
	return 0;
}

/* Resolves @n inputs in @root with @mode (and @nsswitch text); asserts success. */
static struct deps_result *resolve(const char *root, const char *const *inputs, size_t n,
				   enum deps_runtime_mode mode, const char *nsswitch)
{
	struct deps_opts o = { .root = root, .runtime = mode, .nsswitch = nsswitch };
	struct deps_result *r = NULL;
	struct dt_err err;

	dt_err_clear(&err);
	if (deps_resolve(&o, inputs, n, &r, &err) < 0)
		fail_msg("deps_resolve: %s", err.msg);
	assert_non_null(r);
	return r;
}

static void assert_strv(const struct dt_strv *s, const char *const *want, size_t n)
{
	for (size_t i = 0; i < s->n && i < n; i++)
		assert_string_equal(s->v[i], want[i]);
	assert_int_equal(s->n, n);
}

static int obj_index(const struct deps_process *p, const char *path)
{
	for (size_t i = 0; i < p->nobjs; i++)
		if (strcmp(p->objs[i].path, path) == 0)
			return (int)i;
	fail_msg("no object '%s'", path);
	return -1;
}

static const struct deps_need *need(const struct deps_obj *o, const char *name)
{
	for (size_t i = 0; i < o->nneeds; i++)
		if (strcmp(o->needs[i].name, name) == 0)
			return &o->needs[i];
	fail_msg("'%s' does not need '%s'", o->path, name);
	return NULL;
}

static int has(const struct dt_strv *s, const char *str)
{
	return dt_strv_has(s, str);
}

static const char *const base_files[] = {
	"/lib", "/lib64/ld-linux-x86-64.so.2", "/usr/bin/true",
	MULTI "/ld-linux-x86-64.so.2", MULTI "/libc.so.6",
};

/* The program's own closure in a root without a cache: loader, libc, symlinks. */
static void test_program(void **state)
{
	struct fixture *f = *state;
	const char *in[] = { "/usr/bin/true" };
	struct deps_result *r;
	const struct deps_process *p;
	const struct deps_obj *o;
	r = resolve(f->root, in, 1, DEPS_RUNTIME_AUTO, NULL);
	assert_int_equal(r->nprocs, 1);
	p = &r->procs[0];
	assert_string_equal(p->input, "/usr/bin/true");
	/* the input needs exactly libc (else this test's expectations do not apply) */
	assert_int_equal(p->objs[0].elf->nneeded, 1);
	assert_int_equal(p->nobjs, 3);
	assert_string_equal(p->objs[0].path, "/usr/bin/true");
	assert_string_equal(p->objs[0].real, "/usr/bin/true");
	assert_int_equal(p->objs[0].loader, -1);
	/* PT_INTERP second, found through the absolute symlink inside the root */
	assert_string_equal(p->objs[1].path, "/lib64/ld-linux-x86-64.so.2");
	assert_string_equal(p->objs[1].real, MULTI "/ld-linux-x86-64.so.2");
	assert_int_equal(p->objs[1].loader, -1);
	assert_int_equal(p->objs[1].nneeds, 0);
	/* libc from the first built-in directory, through /lib -> usr/lib */
	o = &p->objs[2];
	assert_string_equal(o->path, "/lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(o->real, MULTI "/libc.so.6");
	assert_int_equal(o->loader, 0);
	assert_true(has(&o->names, "libc.so.6"));
	assert_int_equal(o->variants.n, 0);
	assert_int_equal(need(&p->objs[0], "libc.so.6")->obj, 2);
	assert_int_equal(need(&p->objs[0], "libc.so.6")->how, DEPS_HOW_DEFAULT);
	/* libc's need of the loader: its soname is already loaded */
	assert_int_equal(need(o, "ld-linux-x86-64.so.2")->obj, 1);
	assert_int_equal(need(o, "ld-linux-x86-64.so.2")->how, DEPS_HOW_LOADED);
	assert_strv(&r->files, base_files, 5);
	assert_int_equal(r->missing.n, 0);
	assert_int_equal(p->nruntime, 0); /* no nsswitch.conf in the root, no unwinding */
	assert_string_equal(deps_how_name(DEPS_HOW_DEFAULT), "default");
	deps_result_free(r);
}

/* With the root's ld.so.cache (this machine's), libc comes from the cache. */
static void test_program_cache(void **state)
{
	struct fixture *f = *state;
	const char *in[] = { "/usr/bin/true" };
	struct deps_result *r = resolve(f->cached, in, 1, DEPS_RUNTIME_OFF, NULL);
	const struct deps_process *p = &r->procs[0];
	const struct deps_need *nd = need(&p->objs[0], "libc.so.6");
	assert_int_equal(nd->how, DEPS_HOW_CACHE);
	assert_int_equal(nd->obj, 2);
	assert_true(strcmp(p->objs[2].path, "/lib/x86_64-linux-gnu/libc.so.6") == 0 ||
		    strcmp(p->objs[2].path, MULTI "/libc.so.6") == 0);
	assert_string_equal(p->objs[2].real, MULTI "/libc.so.6");
	assert_strv(&r->files, base_files, 5);
	assert_int_equal(r->missing.n, 0);
	deps_result_free(r);
}

/* A library given as input has no PT_INTERP: the loader it needs by name is the ABI's. */
static void test_loader_by_name(void **state)
{
	static const char *const files[] = {
		"/lib", "/lib64/ld-linux-x86-64.so.2", MULTI "/ld-linux-x86-64.so.2",
		MULTI "/libc.so.6", MULTI "/libplain.so",
	};
	struct fixture *f = *state;
	const char *in[] = { MULTI "/libplain.so" };
	struct deps_result *r = resolve(f->root, in, 1, DEPS_RUNTIME_OFF, NULL);
	const struct deps_process *p = &r->procs[0];
	const struct deps_need *nd;
	assert_null(p->objs[0].elf->interp);
	nd = need(&p->objs[0], "ld-linux-x86-64.so.2");
	assert_int_equal(nd->how, DEPS_HOW_INTERP);
	assert_int_equal(nd->obj, obj_index(p, "/lib64/ld-linux-x86-64.so.2"));
	nd = need(&p->objs[0], "libc.so.6");
	assert_int_equal(nd->how, DEPS_HOW_DEFAULT);
	assert_int_equal(nd->obj, obj_index(p, "/lib/x86_64-linux-gnu/libc.so.6"));
	assert_int_equal(p->nobjs, 3);
	assert_strv(&r->files, files, 5);
	deps_result_free(r);
}

/* RUNPATH with $ORIGIN serves the program's needs but not libx's: liby is missing, which is
 * listed, not an error. */
static void test_runpath_origin(void **state)
{
	static const char *const files[] = {
		"/lib", "/lib64/ld-linux-x86-64.so.2", "/opt/app/bin/prog", "/opt/app/lib/libx.so",
		MULTI "/ld-linux-x86-64.so.2", MULTI "/libc.so.6",
	};
	static const char *const missing[] = {
		"liby.so (needed by /opt/app/bin/../lib/libx.so)",
	};
	struct fixture *f = *state;
	const char *in[] = { "/opt/app/bin/prog" };
	struct deps_result *r = resolve(f->root, in, 1, DEPS_RUNTIME_OFF, NULL);
	const struct deps_process *p = &r->procs[0];
	const struct deps_need *nd;
	int x;
	assert_string_equal(p->objs[0].elf->runpath, "$ORIGIN/../lib");
	/* found at the path the search made, unnormalized, as ld.so --list shows it */
	x = obj_index(p, "/opt/app/bin/../lib/libx.so");
	assert_string_equal(p->objs[x].real, "/opt/app/lib/libx.so");
	nd = need(&p->objs[0], "libx.so");
	assert_int_equal(nd->how, DEPS_HOW_RUNPATH);
	assert_int_equal(nd->obj, x);
	/* libc: not in $ORIGIN/../lib, then the built-in directories */
	assert_int_equal(need(&p->objs[0], "libc.so.6")->how, DEPS_HOW_DEFAULT);
	nd = need(&p->objs[x], "liby.so");
	assert_int_equal(nd->how, DEPS_HOW_MISSING);
	assert_int_equal(nd->obj, -1);
	assert_strv(&r->missing, missing, 1);
	assert_strv(&r->files, files, 6);
	deps_result_free(r);
}

/* The executable's $ORIGIN is its real path's directory, and the symlink is listed; RPATH
 * (not RUNPATH) is inherited by the libraries it loads. */
static void test_rpath_and_symlinked_input(void **state)
{
	static const char *const files[] = {
		"/lib", "/lib64/ld-linux-x86-64.so.2", "/opt/app/bin/prog", "/opt/app/bin/rprog",
		"/opt/app/lib/libx.so", "/opt/app/lib/liby.so", "/usr/bin/app",
		MULTI "/ld-linux-x86-64.so.2", MULTI "/libc.so.6",
	};
	struct fixture *f = *state;
	const char *in[] = { "/usr/bin/app", "/opt/app/bin/rprog" };
	struct deps_result *r = resolve(f->root, in, 2, DEPS_RUNTIME_OFF, NULL);
	const struct deps_process *p;
	int x, y;
	assert_int_equal(r->nprocs, 2);
	p = &r->procs[0];
	assert_string_equal(p->input, "/usr/bin/app");
	assert_string_equal(p->objs[0].real, "/opt/app/bin/prog");
	x = obj_index(p, "/opt/app/bin/../lib/libx.so");
	assert_int_equal(need(&p->objs[0], "libx.so")->how, DEPS_HOW_RUNPATH);
	assert_int_equal(need(&p->objs[x], "liby.so")->obj, -1);

	/* the second input is its own process: prog's RUNPATH gave it nothing */
	p = &r->procs[1];
	assert_string_equal(p->input, "/opt/app/bin/rprog");
	assert_null(p->objs[0].elf->runpath);
	x = obj_index(p, "/opt/app/bin/../lib/libx.so");
	y = obj_index(p, "/opt/app/bin/../lib/liby.so");
	assert_int_equal(need(&p->objs[0], "libx.so")->how, DEPS_HOW_RPATH);
	assert_int_equal(need(&p->objs[x], "liby.so")->how, DEPS_HOW_RPATH);
	assert_int_equal(need(&p->objs[x], "liby.so")->obj, y);
	/* the files parsed once are shared by both processes */
	x = obj_index(&r->procs[0], "/lib/x86_64-linux-gnu/libc.so.6");
	y = obj_index(p, "/lib/x86_64-linux-gnu/libc.so.6");
	assert_ptr_equal(r->procs[0].objs[x].elf, p->objs[y].elf);
	assert_strv(&r->files, files, 9);
	assert_int_equal(r->missing.n, 1);
	assert_string_equal(r->missing.v[0], "liby.so (needed by /opt/app/bin/../lib/libx.so)");
	deps_result_free(r);
}

/* An RPATH is inherited along the chain of the objects whose needs loaded each other (glibc's
 * l_loader): liby, needed by libx but found through the program's RPATH, finds libdtz
 * through libx's RPATH, as ld.so itself does when the program runs. */
static void test_rpath_chain(void **state)
{
	struct fixture *f = *state;
	struct deps_result *r;
	const struct deps_process *p;
	const struct deps_need *nd;
	char d[4096], app[4096], want[8192];
	const char *in[] = { app };
	int x, y;

	tl_mkdir(f->work, "chain", 0755);
	tl_path(d, f->work, "chain");
	tl_write(d, "z.c", "int z_v(void) { return 0; }\n", (size_t)-1, 0644);
	tl_write(d, "y.c", "int z_v(void);\nint y_v(void) { return z_v(); }\n", (size_t)-1, 0644);
	tl_write(d, "x.c", "int y_v(void);\nint x_v(void) { return y_v(); }\n", (size_t)-1, 0644);
	tl_write(d, "app.c", "int x_v(void);\nint main(void) { return x_v(); }\n", (size_t)-1,
		 0644);
	tl_mkdir(d, "bin", 0755);
	tl_mkdir(d, "lib", 0755);
	tl_mkdir(d, "xlib", 0755);
	tl_cc(d, "-shared -fPIC -o xlib/libdtz.so -Wl,-soname,libdtz.so z.c");
	tl_cc(d, "-shared -fPIC -o lib/liby.so -Wl,-soname,liby.so y.c -Wl,--no-as-needed "
		 "-Lxlib -ldtz");
	tl_cc(d, "-shared -fPIC -o lib/libx.so -Wl,-soname,libx.so x.c -Wl,--no-as-needed "
		 "-Llib -ly -Wl,-rpath-link,xlib -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../xlib'");
	tl_cc(d, "-o bin/app app.c -Wl,--no-as-needed -Llib -lx -Wl,-rpath-link,lib:xlib "
		 "-Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'");
	tl_path(app, d, "bin/app");
	assert_int_equal(system(app), 0); /* ld.so finds all three */

	r = resolve("/", in, 1, DEPS_RUNTIME_OFF, NULL);
	p = &r->procs[0];
	snprintf(want, sizeof(want), "%s/bin/../lib/libx.so", d);
	x = obj_index(p, want);
	snprintf(want, sizeof(want), "%s/bin/../lib/liby.so", d);
	y = obj_index(p, want);
	assert_int_equal(p->objs[y].loader, x); /* its requester, whose RPATH it inherits */
	nd = need(&p->objs[y], "libdtz.so");
	assert_int_equal(nd->how, DEPS_HOW_RPATH);
	snprintf(want, sizeof(want), "%s/bin/../lib/../xlib/libdtz.so", d);
	assert_int_equal(nd->obj, obj_index(p, want));
	assert_int_equal(r->missing.n, 0);
	deps_result_free(r);
}

static void test_missing(void **state)
{
	static const char *const missing[] = { "libgone.so.1 (needed by /usr/bin/gone)" };
	struct fixture *f = *state;
	const char *in[] = { "/usr/bin/gone" };
	struct deps_result *r = resolve(f->cached, in, 1, DEPS_RUNTIME_AUTO, NULL);
	const struct deps_process *p = &r->procs[0];
	const struct deps_need *nd = need(&p->objs[0], "libgone.so.1");
	assert_int_equal(nd->obj, -1);
	assert_int_equal(nd->how, DEPS_HOW_MISSING);
	assert_strv(&r->missing, missing, 1);
	assert_false(has(&r->files, "/usr/bin/libgone.so.1"));
	assert_true(has(&r->files, "/usr/bin/gone"));
	assert_true(has(&r->files, MULTI "/libc.so.6"));
	deps_result_free(r);
}

/* pthread_cancel makes glibc load libgcc_s.so.1: listed (list), added (auto), or neither. */
static void test_runtime_modes(void **state)
{
	static const char *const reason =
		"glibc loads it for unwinding: /usr/bin/cancel imports pthread_cancel";
	struct fixture *f = *state;
	const char *in[] = { "/usr/bin/cancel" };
	struct deps_result *r;
	const struct deps_process *p;

	r = resolve(f->root, in, 1, DEPS_RUNTIME_LIST, "passwd: files systemd\n");
	p = &r->procs[0];
	assert_true(p->objs[0].elf->imports & DEPS_IMPORT_PTHREAD_CANCEL);
	assert_int_equal(p->nruntime, 2);
	assert_string_equal(p->runtime[0].name, "libgcc_s.so.1");
	assert_null(p->runtime[0].path);
	assert_string_equal(p->runtime[0].reason, reason);
	assert_string_equal(p->runtime[1].name, "libnss_systemd.so.2");
	assert_null(p->runtime[1].path);
	assert_string_equal(p->runtime[1].reason,
			    "the image's nsswitch.conf uses 'systemd' for passwd");
	assert_int_equal(p->nobjs, 3);
	assert_false(has(&r->files, MULTI "/libgcc_s.so.1"));
	assert_int_equal(r->files.n, 5);
	assert_int_equal(r->missing.n, 0);
	deps_result_free(r);

	r = resolve(f->root, in, 1, DEPS_RUNTIME_AUTO, NULL);
	p = &r->procs[0];
	assert_int_equal(p->nruntime, 1);
	assert_string_equal(p->runtime[0].name, "libgcc_s.so.1");
	assert_string_equal(p->runtime[0].path, "/lib/x86_64-linux-gnu/libgcc_s.so.1");
	assert_string_equal(p->runtime[0].reason, reason);
	assert_int_equal(p->nobjs, 4);
	assert_true(has(&r->files, MULTI "/libgcc_s.so.1"));
	assert_int_equal(r->files.n, 6);
	deps_result_free(r);

	r = resolve(f->root, in, 1, DEPS_RUNTIME_OFF, "passwd: files systemd\n");
	p = &r->procs[0];
	assert_int_equal(p->nruntime, 0);
	assert_int_equal(p->nobjs, 3);
	assert_false(has(&r->files, MULTI "/libgcc_s.so.1"));
	assert_int_equal(r->files.n, 5);
	deps_result_free(r);
}

static void expect_error(const char *root, const char *const *in, size_t n, int code,
			 const char *msg)
{
	struct deps_opts o = { .root = root, .runtime = DEPS_RUNTIME_AUTO };
	struct deps_result dummy, *r = &dummy; /* must be reset to NULL */
	struct dt_err err;

	assert_int_equal(deps_resolve(&o, in, n, &r, &err), -code);
	assert_null(r);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
}

static void test_bad_inputs(void **state)
{
	struct fixture *f = *state;
	const char *rel[] = { "x" }, *late[] = { "/usr/bin/true", "x" };
	const char *absent[] = { "/usr/bin/absent" }, *text[] = { "/etc/text" };
	char want[4200];
	expect_error(f->root, rel, 1, DT_EINPUT, "'x': inputs are absolute paths inside the root");
	/* after another input was resolved: nothing of it is returned (or leaked) */
	expect_error(f->root, late, 2, DT_EINPUT,
		     "'x': inputs are absolute paths inside the root");
	snprintf(want, sizeof(want), "cannot open '%s/usr/bin/absent': no such file", f->root);
	expect_error(f->root, absent, 1, DT_EINPUT, want);
	expect_error(f->root, text, 1, DT_EINPUT, "'/etc/text': not an ELF file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program),
		cmocka_unit_test(test_program_cache),
		cmocka_unit_test(test_loader_by_name),
		cmocka_unit_test(test_runpath_origin),
		cmocka_unit_test(test_rpath_and_symlinked_input),
		cmocka_unit_test(test_rpath_chain),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_runtime_modes),
		cmocka_unit_test(test_bad_inputs),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
