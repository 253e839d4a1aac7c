#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The start-up check (distill check, and distill build before it writes anything): every
# image of specs/ passes; a missing library, a library of another machine, a missing
# interpreter, a dangling symlink on a library path, a symbol version the library does not
# define, a symbol no loaded object exports (--symbols) and a script whose interpreter is
# missing, and an entrypoint (or cmd) the image does not hold or cannot execute, are each
# named exactly, and the build leaves nothing; check.allow and --no-check
# let a build through. The verdict agrees with running the image's programs in a chroot.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$W"

run() { # CODE CMD...: exit status CODE; stdout in out, stderr in err
    local want=$1 rc=0; shift
    "$@" > out 2> err || rc=$?
    [ "$rc" = "$want" ] || { cat out err >&2; fail "exit $rc, not $want: $*"; }
}
lines() { # FILE LINE...: FILE holds exactly these lines
    local f=$1; shift
    printf '%s\n' "$@" > want
    diff -u want "$f" >&2 || fail "$f is not as expected"
}

# 1. Every example spec's image can start (as built, and as distill check reads it back).
for spec in "$repo"/specs/*.yaml; do
    n=$(basename "$spec" .yaml)
    cp "$spec" "$n.yaml"
    lock_build "$n.yaml" "$n.oci"
    run 0 "$DISTILL" check -q "$n.oci"
    [ ! -s out ] || fail "$n: check -q printed $(cat out)"
    run 0 "$DISTILL" check -q --symbols "$n.oci"   # every symbol bound at start-up too
done
run 0 "$DISTILL" check curl.oci
grep -qE '^[0-9]+ ELF files and scripts checked: every one can start$' out || fail "check curl: $(cat out)"

# 2. Broken images, made with files: (closure: false) from this machine's jq.
JQ=/usr/bin/jq
LIB=/usr/lib/x86_64-linux-gnu
ONIG=$(readlink -f $LIB/libonig.so.5)
JQLIB=$(readlink -f $LIB/libjq.so.1)
mk() { # NAME FILES...: a scratch spec NAME.yaml taking each "SRC DST" pair as it is (no closure)
    local n=$1; shift
    { printf 'name: t/%s:1\nplatform: linux/amd64\nbase: scratch\nfiles:\n' "$n"
      while [ $# -gt 0 ]; do printf '  - {src: %s, dst: %s, closure: false}\n' "$1" "$2"; shift 2; done; } > "$n.yaml"
}
closure=($JQ $JQ $JQLIB $LIB/libjq.so.1 $ONIG $LIB/libonig.so.5
         /usr/lib/x86_64-linux-gnu/libc.so.6 $LIB/libc.so.6 /usr/lib/x86_64-linux-gnu/libm.so.6 $LIB/libm.so.6
         /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2)
# the whole closure: it starts
mk ok "${closure[@]}"
run 0 "$DISTILL" build -q --no-lock ok.yaml -o ok.oci
# files entries bring their ELF files' closure (unless closure: false): jq alone, from files
printf 'name: t/jqfiles:1\nplatform: linux/amd64\nbase: scratch\nfiles:\n  - {src: /usr/bin/jq, dst: /usr/bin/jq}\n' > jqfiles.yaml
run 0 "$DISTILL" build -q --no-lock --format rootfs jqfiles.yaml -o jqfiles.tar
tar -tf jqfiles.tar | grep -v -e '/$' -e '^var/lib/dpkg/status.d/' | sort > got
printf '%s\n' lib lib64 usr/lib64/ld-linux-x86-64.so.2 usr/bin/jq usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
    usr/lib/x86_64-linux-gnu/libc.so.6 usr/lib/x86_64-linux-gnu/libjq.so.1 \
    "usr/lib/x86_64-linux-gnu/$(basename "$JQLIB")" usr/lib/x86_64-linux-gnu/libm.so.6 \
    usr/lib/x86_64-linux-gnu/libonig.so.5 "usr/lib/x86_64-linux-gnu/$(basename "$ONIG")" | sort -u > want
diff -u want got >&2 || fail "the closure of a files entry"
# binaries take directories (every ELF file and script below, dst where the directory goes)
# and globs (each match at its own path)
printf 'name: t/globs:1\nbinaries:\n  - "/usr/bin/j?"\n  - {path: /usr/lib/git-core, dst: /opt/git-core}\n' > globs.yaml
run 0 "$DISTILL" build -q --no-lock --format rootfs globs.yaml -o globs.tar
tar -tf globs.tar > got
for p in usr/bin/jq opt/git-core/git-remote-http usr/lib/x86_64-linux-gnu/libcurl-gnutls.so.4 usr/bin/perl; do
    grep -qxF "$p" got || fail "binaries directory and glob: $p is not in the image"
done
! grep -q '^usr/lib/git-core' got || fail "binaries directory: files left at their host path"
grep -qF "globs.yaml:4: binaries: '/usr/lib/git-core/" err && grep -qF "runs /usr/bin/perl, whose library tree /usr/lib/x86_64-linux-gnu/perl-base is not in the image" err ||
    { cat err; fail "the warning of a script's missing library tree"; }
[ "$(grep -c 'library tree' err)" = 1 ] || fail "the library tree warning is not given once"
printf 'name: t/globs:1\nbinaries:\n  - "/usr/bin/no-such-*"\n' > noglob.yaml
run 1 "$DISTILL" build -q --no-lock noglob.yaml -o noglob.oci
lines err "distill: noglob.yaml:3: binaries[0]: '/usr/bin/no-such-*' matches nothing in '/'"
printf 'name: t/globs:1\nbinaries:\n  - {path: "/usr/bin/j?", dst: /a}\n' > globdst.yaml
run 1 "$DISTILL" build -q --no-lock globdst.yaml -o globdst.oci
lines err "distill: globdst.yaml:3: binaries[0]: a glob takes no dst: its files keep their paths"
# a missing library: libonig left out
mk nolib $JQ $JQ $JQLIB $LIB/libjq.so.1 $LIB/libc.so.6 $LIB/libc.so.6 $LIB/libm.so.6 $LIB/libm.so.6 \
    /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
run 1 "$DISTILL" build -q --no-lock nolib.yaml -o nolib.oci
lines err "distill: $LIB/libjq.so.1: needs libonig.so.5: not in the image" \
    "distill: build refused: 1 problem of the start-up check (of 5 ELF files and scripts); nothing was written (allow them with check.allow in the spec, or build with --no-check)"
[ ! -e nolib.oci ] || fail "a refused build left its output"
run 0 "$DISTILL" build -q --no-lock --no-check nolib.yaml -o nolib.oci
# the program the image runs: an entrypoint it does not hold, a cmd found on PATH or not,
# a file that is there but not executable
{ cat ok.yaml; printf 'config:\n  entrypoint: [/usr/bin/busybox]\n'; } > noentry.yaml
run 1 "$DISTILL" build -q --no-lock noentry.yaml -o noentry.oci
lines err "distill: entrypoint: needs /usr/bin/busybox: not in the image" \
    "distill: build refused: 1 problem of the start-up check (of 6 ELF files and scripts); nothing was written (allow them with check.allow in the spec, or build with --no-check)"
[ ! -e noentry.oci ] || fail "an image without its entrypoint was written"
run 0 "$DISTILL" build -q --no-lock --no-check noentry.yaml -o noentry.oci
run 1 "$DISTILL" check noentry.oci
lines out "entrypoint: needs /usr/bin/busybox: not in the image" \
    "6 ELF files and scripts checked: some cannot start"
{ cat ok.yaml; printf 'config:\n  cmd: [jq, --version]\n'; } > cmdpath.yaml
run 0 "$DISTILL" build -q --no-lock cmdpath.yaml -o cmdpath.oci
{ cat ok.yaml; printf 'config:\n  env: {PATH: /nowhere}\n  cmd: [jq]\n'; } > cmdnopath.yaml
run 1 "$DISTILL" build -q --no-lock cmdnopath.yaml -o cmdnopath.oci
grep -qx "distill: cmd: needs jq: not in the image" err || { cat err; fail "a cmd not on PATH: not named"; }
{ cat ok.yaml; printf '  - {src: /etc/hostname, dst: /app/run, closure: false, mode: "0644"}\nconfig:\n  entrypoint: [/app/run]\n'; } > noexec.yaml
run 1 "$DISTILL" build -q --no-lock noexec.yaml -o noexec.oci
grep -qx "distill: entrypoint: needs /app/run: not an executable file in the image" err || { cat err; fail "a file that is not executable: not named"; }
run 1 "$DISTILL" check nolib.oci
lines out "$LIB/libjq.so.1: needs libonig.so.5: not in the image" \
    "5 ELF files and scripts checked: some cannot start"
run 0 "$DISTILL" check --allow "$LIB/libjq.so.1: libonig.so.*" nolib.oci
lines out "5 ELF files and scripts checked: every one can start (1 problem allowed)"
run 1 "$DISTILL" check --json nolib.oci
python3 - out <<'PY' || fail "check --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and d["checked"] == 5, d
assert d["problems"] == [{"file": "/usr/lib/x86_64-linux-gnu/libjq.so.1", "need": "libonig.so.5",
                          "why": "not in the image"}], d["problems"]
PY
# the spec names the exception: the build goes through, saying so
{ cat nolib.yaml; printf 'check:\n  allow: ["%s: libonig.so.5"]\n' "$LIB/libjq.so.1"; } > allowed.yaml
run 0 "$DISTILL" build -q --no-lock allowed.yaml -o allowed.oci
lines err "distill: allowed: $LIB/libjq.so.1: needs libonig.so.5: not in the image"
# a library of another machine under the name jq needs: ld.so passes it over
mk foreign $JQ $JQ $JQLIB $LIB/libjq.so.1 /usr/aarch64-linux-gnu/lib/libc.so.6 $LIB/libonig.so.5 \
    $LIB/libc.so.6 $LIB/libc.so.6 $LIB/libm.so.6 $LIB/libm.so.6 \
    /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
if [ -f /usr/aarch64-linux-gnu/lib/libc.so.6 ]; then
    run 1 "$DISTILL" build -q --no-lock foreign.yaml -o foreign.oci
    grep -qxF "distill: $LIB/libjq.so.1: needs libonig.so.5: not in the image" err || { cat err; fail "foreign library"; }
else
    echo "skipped: the foreign library case needs libc6-arm64-cross (scripts/setup.sh installs it)"
fi
# a missing interpreter
mk nointerp "${closure[@]:0:10}"
run 1 "$DISTILL" build -q --no-lock nointerp.yaml -o nointerp.oci
grep -qxF "distill: $JQ: needs /lib64/ld-linux-x86-64.so.2: the interpreter is not in the image" err ||
    { cat err; fail "missing interpreter"; }
# a dangling symlink on a library path
mkdir -p dangle && ln -sf libonig.so.5.9.9 dangle/libonig.so.5
mk dangling $JQ $JQ $JQLIB $LIB/libjq.so.1 ./dangle $LIB "${closure[@]:6}"
run 1 "$DISTILL" build -q --no-lock dangling.yaml -o dangling.oci
grep -qxF "distill: $LIB/libjq.so.1: needs libonig.so.5: not in the image" err || { cat err; fail "dangling symlink"; }
# a script whose interpreter is not in the image
printf '#!/usr/bin/python3\nprint(1)\n' > s.py && chmod +x s.py
# (in a PATH directory: a script is checked where the image runs it; /app is not in the PATH,
# so the same script there is only a file)
mk script ./s.py /usr/local/bin/s.py ./s.py /app/s.py
run 1 "$DISTILL" build -q --no-lock script.yaml -o script.oci
grep -qxF "distill: /usr/local/bin/s.py: needs /usr/bin/python3: the interpreter is not in the image" err ||
    { cat err; fail "script interpreter"; }
! grep -qF "/app/s.py" err || fail "a script outside the PATH was checked"

# a missing symbol version: the app was linked against libgreet with GREET_2.0, the image
# has the older libgreet that defines GREET_1.0 only
mkdir -p greet1 greet2
printf '#include <stdio.h>\nvoid greet(void) { puts("hello"); }\n#ifdef V2\nvoid greet2(void) { puts("hello 2"); }\n#endif\n' > greet.c
printf 'GREET_1.0 { global: greet; local: *; };\n' > v1.map
printf 'GREET_1.0 { global: greet; local: *; };\nGREET_2.0 { global: greet2; } GREET_1.0;\n' > v2.map
gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -Wl,--version-script=v1.map -o greet1/libgreet.so.1 greet.c
gcc -DV2 -shared -fPIC -Wl,-soname,libgreet.so.1 -Wl,--version-script=v2.map -o greet2/libgreet.so.1 greet.c
printf 'void greet2(void);\nint main(void) { greet2(); return 0; }\n' > app.c
gcc -o greetapp app.c greet2/libgreet.so.1 -Wl,-rpath,/app  # not $ORIGIN: a chroot has no /proc/self/exe
mk greetold ./greetapp /app/app ./greet1/libgreet.so.1 /app/libgreet.so.1 "${closure[@]:6}"
mk greetnew ./greetapp /app/app ./greet2/libgreet.so.1 /app/libgreet.so.1 "${closure[@]:6}"
run 0 "$DISTILL" build -q --no-lock greetnew.yaml -o greetnew.oci
run 1 "$DISTILL" build -q --no-lock greetold.yaml -o greetold.oci
lines err "distill: /app/app: needs GREET_2.0 from libgreet.so.1: /app/libgreet.so.1 defines GREET_1.0 only" \
    "distill: build refused: 1 problem of the start-up check (of 5 ELF files and scripts); nothing was written (allow them with check.allow in the spec, or build with --no-check)"

# a missing symbol (--symbols, check.symbols): the app was linked against a libsym that
# has sym_b; the image has one without it and without versions, so only the symbols tell
mkdir -p sym1 sym2
printf 'int sym_a(void) { return 1; }\n#ifdef V2\nint sym_b(void) { return 2; }\n#endif\n' > sym.c
gcc -shared -fPIC -Wl,-soname,libsym.so.1 -o sym1/libsym.so.1 sym.c
gcc -DV2 -shared -fPIC -Wl,-soname,libsym.so.1 -o sym2/libsym.so.1 sym.c
printf '#include <stdio.h>\nint sym_a(void);\nint sym_b(void);\nint main(int c, char **v) { (void)v; printf("%%d\\n", c > 5 ? sym_b() : sym_a()); return 0; }\n' > symapp.c
gcc -o symapp symapp.c sym2/libsym.so.1 -Wl,-rpath,/app
mk symold ./symapp /app/app ./sym1/libsym.so.1 /app/libsym.so.1 "${closure[@]:6}"
run 0 "$DISTILL" build -q --no-lock symold.yaml -o symold.oci   # no version to tell it by
run 0 "$DISTILL" check -q symold.oci
run 1 "$DISTILL" check -q --symbols symold.oci
lines out "/app/app: needs symbol sym_b: no object that the process loads at start-up exports it" \
    "5 ELF files and scripts checked: some cannot start"
# versioned needs are matched by version (jq's memcpy@GLIBC_2.14 and the rest)
run 0 "$DISTILL" check -q --symbols ok.oci
run 1 "$DISTILL" check --symbols --json symold.oci
python3 -c 'import json,sys; d=json.load(open("out")); assert d["problems"]==[{"file":"/app/app","need":"symbol sym_b","why":"no object that the process loads at start-up exports it"}], d' ||
    fail "check --symbols --json"
rm -rf symold.oci
run 1 "$DISTILL" build -q --no-lock --symbols symold.yaml -o symold.oci
lines err "distill: /app/app: needs symbol sym_b: no object that the process loads at start-up exports it" \
    "distill: build refused: 1 problem of the start-up check (of 5 ELF files and scripts); nothing was written (allow them with check.allow in the spec, or build with --no-check)"
[ ! -e symold.oci ] || fail "--symbols: a refused build left its output"
{ cat symold.yaml; printf 'check:\n  symbols: true\n'; } > symspec.yaml
run 1 "$DISTILL" build -q --no-lock symspec.yaml -o symspec.oci
grep -qF "/app/app: needs symbol sym_b" err || fail "check.symbols: $(cat err)"

# 3. The verdict agrees with running the programs in a chroot of the image (as root).
if [ "$(id -u)" = 0 ]; then
    for n in ok nolib greetnew greetold symold; do
        "$DISTILL" build -q --no-lock --no-check --format rootfs "$n.yaml" -o "$n.rootfs.tar"
        mkdir "$n.root" && tar -C "$n.root" -xf "$n.rootfs.tar"
    done
    chroot ok.root /usr/bin/jq -n 1+1 > out 2> err || fail "jq does not run in the image check passes: $(cat err)"
    [ "$(cat out)" = 2 ] || fail "jq in the chroot: $(cat out)"
    if chroot nolib.root /usr/bin/jq -n 1 > out 2> err; then fail "jq ran without libonig"; fi
    grep -qF "libonig.so.5: cannot open shared object file" err || fail "the loader's verdict: $(cat err)"
    chroot greetnew.root /app/app > out 2> err || fail "the app with its libgreet: $(cat err)"
    [ "$(cat out)" = "hello 2" ] || fail "greetapp: $(cat out)"
    if chroot greetold.root /app/app > out 2> err; then fail "the app ran with the old libgreet"; fi
    grep -qF "version \`GREET_2.0' not found" err || fail "the loader's verdict on versions: $(cat err)"
    # lazily bound, the app starts; bound at start-up, as --symbols checks, it does not
    chroot symold.root /app/app > out 2> err || fail "the app with the old libsym, lazily bound: $(cat err)"
    [ "$(cat out)" = 1 ] || fail "symapp: $(cat out)"
    if LD_BIND_NOW=1 chroot symold.root /app/app > out 2> err; then fail "the app started with LD_BIND_NOW and sym_b missing"; fi
    grep -qF "undefined symbol: sym_b" err || fail "the loader's verdict on symbols: $(cat err)"
    curl_root=$(mktemp -d "$W/curlroot.XXXX")
    "$DISTILL" build -q --lock curl.lock.json --format rootfs curl.yaml -o curl.rootfs.tar
    tar -C "$curl_root" -xf curl.rootfs.tar
    chroot "$curl_root" /usr/bin/curl --version > out || fail "curl in a chroot of its image"
    grep -q '^curl [0-9]' out || fail "curl --version: $(cat out)"
else
    echo "skipped: the chroot comparison needs root"
fi
echo "ok: check"
