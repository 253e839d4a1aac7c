#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One fixture per loader rule, built with cc. Each is also run for real, so glibc's ld.so
# itself shows the expected outcome, and distill deps must agree with it.
set -euo pipefail
: "${DISTILL:?set DISTILL to the distill binary}"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-fixtures.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
FAILED=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; FAILED=1; }

# lib DIR NAME VALUE DEP [ldflags...]: DIR/NAME.so (soname NAME.so) whose NAME_v() returns
# VALUE, or DEP_v() when VALUE is 0; DEP (or -) is referenced so it becomes a DT_NEEDED.
lib() {
    local dir=$1 name=$2 val=$3 dep=$4; shift 4
    mkdir -p "$dir"
    if [ "$dep" = - ]; then
        echo "int ${name}_v(void) { return $val; }"
    else
        echo "int ${dep}_v(void); int ${name}_v(void) { return $val ? $val : ${dep}_v(); }"
    fi > "$W/$name.$val.c"
    cc -shared -fPIC -o "$dir/$name.so" -Wl,-soname,"$name.so" "$W/$name.$val.c" -Wl,--no-as-needed "$@"
}
# exe OUT CODE [cc args...]
exe() { local out=$1 code=$2; shift 2; echo "$code" > "$W/$(basename "$out").c"; cc -o "$out" "$W/$(basename "$out").c" -Wl,--no-as-needed "$@"; }
found() { "$DISTILL" deps --runtime off --json --allow-missing "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for o in d["inputs"][0]["objects"][1:]:
    print(o["path"])
for m in d["missing"]:
    print("missing " + m.split(" ")[0])'; }
# chroot_check NAME EXE: EXE runs in a chroot holding exactly distill's list, and fails in one
# without the run-time loads (as root only).
chroot_check() {
    local name=$1 exe=$2 mode rc
    [ "$(id -u)" = 0 ] || return 0
    for mode in auto off; do
        rm -rf "$W/cr" && mkdir -p "$W/cr"
        # copied, not tarred: chroot_e2e.sh hardlinks the same host files meanwhile, and GNU
        # tar fails on the ctime that changes
        "$DISTILL" deps --runtime $mode "$exe" | sed 's|^/||' |
            (cd / && xargs -d '\n' cp -P --parents -t "$W/cr")
        set +e; chroot "$W/cr" "$exe" 2>/dev/null; rc=$?; set -e
        if [ $mode = auto ]; then
            [ $rc = 0 ] && ok "$name: runs in a chroot of distill's list" || bad "$name: chroot exit $rc"
        else
            [ $rc != 0 ] && ok "$name: fails without its run-time loads" || bad "$name: ran without its run-time loads"
        fi
    done
}
expect() { # NAME FILE EXPECTED-LINES (sorted, relative to $W)
    local got; got=$(found "$2" | sed "s|$W/||" | grep -v -e '^/' | sort || true)
    if [ "$got" = "$3" ]; then ok "$1"; else bad "$1: got [$got] want [$3]"; fi
}

# 1. RUNPATH of the executable does not serve a library's needs.
lib r1 libb 1 -
lib r1 liba 1 libb -L r1 -lb
exe app1 'int liba_v(void); int main(void){return liba_v()-1;}' -L r1 -la -Wl,--enable-new-dtags,-rpath,'$ORIGIN/r1'
if ./app1 2>/dev/null; then bad "runpath-exe-only: ld.so ran it"; else ok "runpath-exe-only: ld.so fails, libb.so is not found"; fi
expect "runpath-exe-only" app1 "$(printf 'missing libb.so\nr1/liba.so')"

# 2. RPATH is inherited along the chain (the library has none of its own).
lib r2 libd 2 -
lib r2 libc1 2 libd -L r2 -ld
exe app2 'int libc1_v(void); int main(void){return libc1_v()-2;}' -L r2 -lc1 -Wl,--disable-new-dtags,-rpath,'$ORIGIN/r2'
./app2 && ok "rpath-inherited: ld.so runs it" || bad "rpath-inherited: ld.so failed"
expect "rpath-inherited" app2 "$(printf 'r2/libc1.so\nr2/libd.so')"

# 3. A library's RUNPATH disables the RPATHs of its loaders: libd from y/, not x/.
lib x libd 3 -
lib y libd 4 -
lib x libm1 0 libd -L y -ld -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../y'
exe app3 'int libm1_v(void); int main(void){return libm1_v();}' -L x -lm1 -Wl,--disable-new-dtags,-rpath,'$ORIGIN/x'
# app3 needs only libm1 (libd through it); libd_v comes from y (4), not x (3)
set +e; ./app3; rc=$?; set -e
[ $rc = 4 ] && ok "runpath-over-rpath: ld.so took y/libd.so" || bad "runpath-over-rpath: ld.so exit $rc"
# found at the path the search made (as ld.so --list prints it), unnormalized
expect "runpath-over-rpath" app3 "$(printf 'x/../y/libd.so\nx/libm1.so')"

# 4. $ORIGIN of a library found through a symlink is the symlink's directory.
mkdir -p link/dep && ln -s ../real/libo.so link/libo.so
lib link/dep libdep 5 -
lib real libo 5 libdep -L link/dep -ldep -Wl,--enable-new-dtags,-rpath,'$ORIGIN/dep'
exe app4 'int libo_v(void); int main(void){return libo_v()-5;}' -L link -lo -Wl,--enable-new-dtags,-rpath,'$ORIGIN/link'
./app4 && ok "origin-through-symlink: ld.so runs it" || bad "origin-through-symlink: ld.so failed"
expect "origin-through-symlink" app4 "$(printf 'link/dep/libdep.so\nlink/libo.so')"

# 5. The same soname in two RUNPATH dirs: breadth-first, the executable's own need wins.
lib d1 libs 1 -
lib d2 libs 2 -
lib d1 libp 6 libs -L d2 -ls -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../d2'
exe app5 'int libs_v(void); int libp_v(void); int main(void){return libp_v() == 6 ? libs_v() : 99;}' -L d1 -lp -ls -Wl,--enable-new-dtags,-rpath,'$ORIGIN/d1'
set +e; ./app5; rc=$?; set -e
[ $rc = 1 ] && ok "breadth-first: ld.so took d1/libs.so" || bad "breadth-first: ld.so exit $rc"
expect "breadth-first" app5 "$(printf 'd1/libp.so\nd1/libs.so')"

# 6. A wrong-class candidate first in the path is skipped.
mkdir -p w32 w64
python3 -c 'import sys; h = bytearray(4096); h[:7] = b"\x7fELF\x01\x01\x01"; h[16:18] = (3).to_bytes(2, "little"); h[18:20] = (3).to_bytes(2, "little"); h[20:24] = (1).to_bytes(4, "little"); h[40:42] = (52).to_bytes(2, "little"); open(sys.argv[1], "wb").write(bytes(h))' w32/libw.so
lib w64 libw 7 -
exe app6 'int libw_v(void); int main(void){return libw_v()-7;}' -L w64 -lw -Wl,--enable-new-dtags,-rpath,'$ORIGIN/w32:$ORIGIN/w64'
./app6 && ok "wrong-class-skipped: ld.so runs it" || bad "wrong-class-skipped: ld.so failed"
expect "wrong-class-skipped" app6 "w64/libw.so"

# 7. DF_1_NODEFLIB: no default directories, and no cache entries inside them.
exe app7 '#include <zlib.h>
int main(void){return zlibVersion()[0] ? 0 : 1;}' -lz -Wl,-z,nodefaultlib
if ./app7 2>/dev/null; then bad "nodeflib: ld.so ran it"; else ok "nodeflib: ld.so fails to find libz"; fi
# ld.so stops at the first failure (libz); the same rule hides libc.so.6 from app7 too.
expect "nodeflib" app7 "$(printf 'missing libc.so.6\nmissing libz.so.1')"

# 8. A symlink loop in the search path is an error naming the file, not a crash.
lib loop libl 8 -
exe app8 'int libl_v(void); int main(void){return libl_v()-8;}' -L loop -ll -Wl,--enable-new-dtags,-rpath,'$ORIGIN/loop'
rm loop/libl.so && ln -s libl2.so loop/libl.so && ln -s libl.so loop/libl2.so
if ./app8 2>/dev/null; then bad "symlink-loop: ld.so ran it"; else ok "symlink-loop: ld.so fails"; fi
if "$DISTILL" deps app8 >/dev/null 2>"$W/err"; then bad "symlink-loop: distill accepted it"
elif grep -q "too many levels of symbolic links" "$W/err"; then ok "symlink-loop: $(cat "$W/err")"
else bad "symlink-loop: unclear error: $(cat "$W/err")"; fi

# 9. No section headers: ld.so and distill read program headers only.
lib nsh libn 9 -
exe app9 'int libn_v(void); int main(void){return libn_v()-9;}' -L nsh -ln -Wl,--enable-new-dtags,-rpath,'$ORIGIN/nsh'
python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[0x28:0x30] = bytes(8); b[0x3c:0x40] = bytes(4)   # e_shoff, e_shnum, e_shstrndx
open(sys.argv[1], "wb").write(b)' app9
./app9 && ok "no-section-headers: ld.so runs it" || bad "no-section-headers: ld.so failed"
expect "no-section-headers" app9 "nsh/libn.so"

# 10. pthread_cancel: glibc loads libgcc_s.so.1 at run time; distill adds it, and the
#     program runs in a chroot holding exactly distill's list.
exe app10 '#include <pthread.h>
#include <unistd.h>
static void *loop(void *a){ for (;;) pause(); return a; }
int main(void){ pthread_t t; pthread_create(&t, 0, loop, 0); pthread_cancel(t); pthread_join(t, 0); return 0; }' -pthread
"$DISTILL" deps --runtime list app10 2>"$W/err" >/dev/null
grep -q "libgcc_s.so.1 (glibc loads it for unwinding: .*pthread_cancel" "$W/err" && ok "runtime-libgcc_s: listed with its reason" || bad "runtime-libgcc_s: $(cat "$W/err")"
"$DISTILL" deps app10 | grep -q 'libgcc_s.so.1$' && ok "runtime-libgcc_s: added by default" || bad "runtime-libgcc_s: not added"
chroot_check "runtime-libgcc_s" "$W/app10"

# 11. $LIB and $PLATFORM (and their ${} forms) expand as glibc 2.36 expands them: $PLATFORM is
#     "x86_64" on a baseline CPU and "haswell" (or "xeon_phi") on newer ones, such as many of
#     the machines this runs on. The image's CPU is unknown: distill resolves for the baseline
#     and copies what the other values find too.
lib "lib/x86_64-linux-gnu" libe 11 -
lib x86_64 libf 11 -
lib haswell libf 11 -
exe app11 'int libe_v(void); int libf_v(void); int main(void){return libe_v()+libf_v()-22;}' -L lib/x86_64-linux-gnu -L x86_64 -le -lf -Wl,--enable-new-dtags,-rpath,'$ORIGIN/$LIB:${ORIGIN}/${PLATFORM}'
./app11 && ok "lib-and-platform: ld.so runs it" || bad "lib-and-platform: ld.so failed"
expect "lib-and-platform" app11 "$(printf 'lib/x86_64-linux-gnu/libe.so\nx86_64/libf.so')"
"$DISTILL" deps app11 | grep -qx "$W/haswell/libf.so" && ok "lib-and-platform: haswell/'s copy is copied too" || bad "lib-and-platform: haswell/libf.so missing"

# 12. glibc-hwcaps: ld.so on this CPU takes the x86-64-v2 build; the image's CPU is unknown,
#     so distill also copies the baseline.
lib hw libh 12 -
lib hw/glibc-hwcaps/x86-64-v2 libh 32 -
exe app12 'int libh_v(void); int main(void){return libh_v();}' -L hw -lh -Wl,--enable-new-dtags,-rpath,'$ORIGIN/hw'
set +e; ./app12; rc=$?; set -e
[ $rc = 32 ] && ok "hwcaps: ld.so took glibc-hwcaps/x86-64-v2" || bad "hwcaps: ld.so exit $rc"
expect "hwcaps" app12 "hw/glibc-hwcaps/x86-64-v2/libh.so"
"$DISTILL" deps app12 | grep -qx "$W/hw/libh.so" && ok "hwcaps: the baseline is copied too" || bad "hwcaps: baseline missing"

# 13. A sysroot whose symlinks are absolute: they resolve inside it, never on the host, and
#     the program runs in a chroot of exactly distill's list.
S=$W/sysroot
exe app13 'int main(void){return 0;}'
mkdir -p "$S/usr/lib/x86_64-linux-gnu" "$S/bin"
cp app13 "$S/bin/app"
cp -L /lib64/ld-linux-x86-64.so.2 "$S/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
cp -L /lib/x86_64-linux-gnu/libc.so.6 "$S/usr/lib/x86_64-linux-gnu/libc.so.6.real"
ln -s /usr/lib/x86_64-linux-gnu/libc.so.6.real "$S/usr/lib/x86_64-linux-gnu/libc.so.6"
ln -s usr/lib "$S/lib"
mkdir -p "$S/lib64-real" && ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$S/lib64-real/ld-linux-x86-64.so.2"
ln -s /lib64-real "$S/lib64"
want=$(printf '%s\n' /bin/app /lib /lib64 /lib64-real/ld-linux-x86-64.so.2 \
    /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /usr/lib/x86_64-linux-gnu/libc.so.6 \
    /usr/lib/x86_64-linux-gnu/libc.so.6.real)
got=$("$DISTILL" deps --root "$S" /bin/app)
[ "$got" = "$want" ] && ok "sysroot-absolute-links: the chain stays inside the sysroot" || bad "sysroot-absolute-links: got [$got]"
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$W/sysroot-image"
    "$DISTILL" deps --root "$S" /bin/app | sed 's|^/||' | tar -C "$S" --no-recursion -cf - -T - | tar -C "$W/sysroot-image" -xf -
    chroot "$W/sysroot-image" /bin/app && ok "sysroot-absolute-links: runs in a chroot of the list" || bad "sysroot-absolute-links: fails in the chroot"
fi

# 14. NSS: a module the root's nsswitch.conf names (beyond files and dns) is a run-time load.
mkdir -p "$S/etc"
printf 'passwd: files fake\ngroup: files [NOTFOUND=return] fake\nhosts: files dns\n' > "$S/etc/nsswitch.conf"
lib "$S/usr/lib/x86_64-linux-gnu" libnss_fake 14 -
mv "$S/usr/lib/x86_64-linux-gnu/libnss_fake.so" "$S/usr/lib/x86_64-linux-gnu/libnss_fake.so.2"
"$DISTILL" deps --root "$S" /bin/app | grep -qx /usr/lib/x86_64-linux-gnu/libnss_fake.so.2 \
    && ok "nss: libnss_fake.so.2 added" || bad "nss: libnss_fake.so.2 not added"
"$DISTILL" deps --root "$S" --runtime list /bin/app 2>&1 >/dev/null | grep -q "uses 'fake' for passwd group" \
    && ok "nss: reported with the databases using it" || bad "nss: no reason"

# 15. iconv_open: the gconv modules come along; the program converts in a chroot of the
#     list, and fails without them.
exe app15 '#include <iconv.h>
#include <string.h>
int main(void){ iconv_t cd = iconv_open("ISO-8859-15", "UTF-8"); char in[] = "\xe2\x82\xac", out[8], *ip = in, *op = out; size_t il = 3, ol = 8;
if (cd == (iconv_t)-1 || iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) return 1; return (unsigned char)out[0] == 0xa4 ? 0 : 2; }'
./app15 && ok "gconv: the program converts on the host" || bad "gconv: fails on the host"
chroot_check "gconv" "$W/app15"

# 16. .note.dlopen (freedesktop dlopen metadata): the program dlopen()s libplug.so through
#     its RUNPATH; the note names it, so distill adds it, and the program runs in a chroot.
lib plug libplug 16 -
cat > "$W/app16.c" <<'C'
#include <dlfcn.h>
#define JSON "[{\"feature\":\"plugin\",\"priority\":\"required\",\"soname\":[\"libplug.so\"]}]"
__attribute__((used, section(".note.dlopen"), aligned(4))) static const struct {
	unsigned namesz, descsz, type; char name[4]; char desc[(sizeof(JSON) + 3) & ~3u];
} note = { 4, sizeof(JSON), 0x407c0c0a, "FDO", JSON };
int main(void) { void *h = dlopen("libplug.so", RTLD_NOW); int (*f)(void);
	if (!h || !(f = (int (*)(void))dlsym(h, "libplug_v"))) return 1; return f() - 16; }
C
# An absolute RUNPATH: in a chroot without /proc, glibc cannot compute the executable's
# $ORIGIN (it reads /proc/self/exe) and would drop a $ORIGIN entry.
cc -o app16 "$W/app16.c" -Wl,--enable-new-dtags,-rpath,"$W/plug"
./app16 && ok "dlopen-note: the program loads its plugin" || bad "dlopen-note: fails on the host"
"$DISTILL" deps app16 | grep -qx "$W/plug/libplug.so" && ok "dlopen-note: libplug.so added" || bad "dlopen-note: not added"
"$DISTILL" deps --runtime list app16 2>&1 >/dev/null | grep -q "feature 'plugin' (required)" \
    && ok "dlopen-note: reported with its feature" || bad "dlopen-note: not reported"
chroot_check "dlopen-note" "$W/app16"

# 17. --library-path stands for the target's LD_LIBRARY_PATH (searched after RPATH, before
#     RUNPATH); ld.so with LD_LIBRARY_PATH agrees.
lib lp libk 17 -
exe app17 'int libk_v(void); int main(void){return libk_v()-17;}' -L lp -lk
if ./app17 2>/dev/null; then bad "library-path: ran without LD_LIBRARY_PATH"; fi
LD_LIBRARY_PATH=$W/lp ./app17 && ok "library-path: ld.so runs it with LD_LIBRARY_PATH" || bad "library-path: ld.so failed"
got=$("$DISTILL" deps --runtime off --json --library-path "$W/lp" app17 | python3 -c 'import json,sys; d=json.load(sys.stdin); print([(n["name"], n["found_by"]) for n in d["inputs"][0]["objects"][0]["needs"] if n["name"] == "libk.so"])')
[ "$got" = "[('libk.so', 'library-path')]" ] && ok "library-path: found by --library-path" || bad "library-path: $got"

# 18. A script: the script and its #! interpreter's closure.
printf '#!/bin/sh\necho hi\n' > script18 && chmod +x script18
"$DISTILL" deps "$W/script18" > "$W/l18"
grep -qx "$W/script18" "$W/l18" && grep -q 'libc.so.6$' "$W/l18" && grep -qx /bin "$W/l18" \
    && ok "script: listed with /bin/sh's closure" || bad "script: $(tr '\n' ' ' < "$W/l18")"

# 19. No ld.so.cache in the root: /etc/ld.so.conf and its include globs (sorted, relative to
#     the including file) give the directories; ldconfig builds the same answer into a cache.
R=$W/conf-root
mkdir -p "$R/etc/ld.so.conf.d" "$R/bin"
cp -a "$S/usr" "$S/lib" "$S/lib64" "$S/lib64-real" "$R/"
rm -f "$R/usr/lib/x86_64-linux-gnu/libnss_fake.so.2"
lib "$R/opt/b" libq 2 -
lib "$R/opt/a" libq 1 -
exe app19 'int libq_v(void); int main(void){return libq_v();}' -L "$R/opt/a" -lq
cp app19 "$R/bin/app"
printf '# comment\ninclude ld.so.conf.d/*.conf\n' > "$R/etc/ld.so.conf"
echo /opt/b > "$R/etc/ld.so.conf.d/b.conf"
echo /opt/a > "$R/etc/ld.so.conf.d/a.conf"
got=$("$DISTILL" deps --root "$R" --tree /bin/app | grep 'libq.so')
[ "$got" = "  libq.so => /opt/a/libq.so [ld.so.conf]" ] && ok "ld.so.conf: include globs, sorted" || bad "ld.so.conf: $got"
ldconfig -r "$R"
got=$("$DISTILL" deps --root "$R" --tree /bin/app | grep 'libq.so')
[ "$got" = "  libq.so => /opt/a/libq.so [ld.so.cache]" ] && ok "ld.so.conf: ldconfig's cache agrees" || bad "ld.so.conf with cache: $got"
if [ "$(id -u)" = 0 ]; then
    set +e; chroot "$R" /bin/app; rc=$?; set -e
    [ $rc = 1 ] && ok "ld.so.conf: ld.so in the root loads /opt/a/libq.so" || bad "ld.so.conf: chroot exit $rc"
fi

[ "$FAILED" = 0 ] && echo "all checks passed" || { echo "some checks failed"; exit 1; }
