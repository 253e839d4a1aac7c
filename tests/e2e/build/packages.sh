#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# packages: with their dependencies and their closures. .debs built here with dpkg-deb:
# greet (a C program in /usr/bin) Depends on libgreet1 (>= 1.1) (the directory has 1.0 and
# 1.2: the highest that satisfies it is pulled), on "greet-conf-old | greet-conf" (a
# virtual package that greet-conf-default Provides), on zlib1g (not in the directory:
# installed in the root, so the closure takes libz.so.1 from it, not the whole package) and
# on dash (Essential: never pulled). greet-doc is in the directory and nothing needs it.
# The lock records how each clause was met; the image holds exactly the expected files and
# podman runs greet as nonroot, its libraries found. depends: false leaves libgreet out and
# the start-up check refuses the build by name; a clause nothing satisfies, and a version
# nothing offers, are errors naming the package, the clause and what the directory has.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

P=$W/p
mkdir -p "$P/debs" "$W/src"
cat > "$W/src/greet.c" <<'C'
#include <stdio.h>
#include <zlib.h>
const char *greet_word(void);
int main(void) { printf("%s from libgreet, zlib %s\n", greet_word(), zlibVersion()); return 0; }
C
deb() { deb_build "$P/debs" "$@"; }
ML=usr/lib/x86_64-linux-gnu
for v in 1.0 1.2; do
    echo "const char *greet_word(void) { return \"hello $v\"; }" > "$W/src/greet$v.c"
    gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -o "$W/src/libgreet.so.$v" "$W/src/greet$v.c"
    ln -sf "libgreet.so.$v" "$W/src/libgreet.so.1"
    deb libgreet1 "$v" amd64 "" "$W/src/libgreet.so.$v=/$ML/libgreet.so.$v" \
        "$W/src/libgreet.so.1=/$ML/libgreet.so.1"
done
gcc -o "$W/src/greet" "$W/src/greet.c" -L"$W/src" -l:libgreet.so.1 -lz
echo "greeting = loud" > "$W/src/greet.conf"
deb greet 2.0 amd64 "Depends: libgreet1 (>= 1.1), greet-conf-old | greet-conf, zlib1g (>= 1:1.2), dash
" "$W/src/greet=/usr/bin/greet"
deb greet-conf-default 1 all "Provides: greet-conf
" "$W/src/greet.conf=/etc/greet.conf"
deb greet-doc 1 all ""
cat > "$P/greet.yaml" <<'Y'
name: example/greet:2.0
debs: ./debs
packages: [greet]
config:
  entrypoint: [/usr/bin/greet]
Y

"$DISTILL" lock -q "$P/greet.yaml" || fail "lock"
"$DISTILL" build -q "$P/greet.yaml" -o "$W/greet.oci" || fail "build"
# what was followed, and why
python3 - "$P/greet.lock.json" "$(dpkg-query -W -f='${Version}' zlib1g)" "$(dpkg-query -W -f='${Version}' dash)" <<'PY' || fail "lock: depends"
import json, sys
lock = json.load(open(sys.argv[1]))
got = [(r["package"], r["field"], r["relation"], r["how"], r["by"]) for r in lock["depends"]]
want = [
    ("greet", "Depends", "libgreet1 (>= 1.1)", "deb", "libgreet1 1.2"),
    ("greet", "Depends", "greet-conf-old | greet-conf", "deb", "greet-conf-default 1"),
    ("greet", "Depends", "zlib1g (>= 1:1.2)", "root", "zlib1g " + sys.argv[2]),
    ("greet", "Depends", "dash", "essential", "dash " + sys.argv[3]),
]
assert got == want, got
debs = sorted((d["name"], d["version"]) for d in lock["debs"])
assert debs == [("greet", "2.0"), ("greet-conf-default", "1"), ("libgreet1", "1.2")], debs
owners = {f["path"]: f.get("package") for f in lock["files"]}
assert owners["/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"] == "zlib1g", owners
assert not any(p.startswith("/usr/share/doc/zlib1g") for p in owners), "zlib1g pulled whole"
PY
echo "ok   the lock records each clause: pulled, provided, left to the root, essential"

# exactly these files: the three packages, libz and libc from the root, the skeleton
ref=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$W/greet.oci/index.json")
umoci unpack --image "$W/greet.oci:$ref" "$W/greet.bundle" >/dev/null 2>&1 || fail "umoci unpack"
(cd "$W/greet.bundle/rootfs" && find . -type f -o -type l | sed 's|^\.||' | sort) > "$W/files"
[ -z "${KEEP:-}" ] || cp "$W/files" /tmp/greet.files
for f in /usr/bin/greet /$ML/libgreet.so.1 /$ML/libgreet.so.1.2 /etc/greet.conf \
    /usr/share/doc/greet/README /usr/share/doc/libgreet1/README \
    /usr/share/doc/greet-conf-default/README /$ML/libz.so.1 /$ML/libc.so.6 \
    /usr/lib64/ld-linux-x86-64.so.2 /lib64 /var/lib/dpkg/status.d/greet /var/lib/dpkg/status.d/libgreet1 \
    /var/lib/dpkg/status.d/zlib1g /var/lib/dpkg/status.d/libc6; do
    grep -qx -- "$f" "$W/files" || fail "image lacks $f"
done
for f in /$ML/libgreet.so.1.0 /usr/share/doc/greet-doc/README /usr/share/doc/zlib1g/copyright \
    /usr/bin/dash /bin/dash; do
    ! grep -qx -- "$f" "$W/files" || fail "image has $f, which nothing needs"
done
echo "ok   the image holds the pulled packages and the root's libz, nothing of greet-doc or dash"
"$DISTILL" check -q "$W/greet.oci" || fail "distill check"

if command -v podman >/dev/null && [ "$(id -u)" = 0 ]; then
    ID=$(pull_oci "$W/greet.oci")
    out=$(prun --user 65532 "$ID") || fail "podman run greet"
    [ "$out" = "hello 1.2 from libgreet, zlib $(python3 -c 'import zlib; print(zlib.ZLIB_RUNTIME_VERSION)')" ] ||
        fail "greet said: $out"
    echo "ok   podman runs greet as nonroot: $out"
fi

# depends: false: libgreet1 is not pulled, and the check names what greet lacks
sed 's/packages: \[greet\]/packages: [{name: greet, depends: false}]/' "$P/greet.yaml" > "$P/nodeps.yaml"
if "$DISTILL" build -q --no-lock "$P/nodeps.yaml" -o "$W/nodeps.oci" 2> "$W/err"; then
    fail "depends: false built an image that cannot start"
fi
grep -q "/usr/bin/greet: needs libgreet.so.1: not in the image" "$W/err" || { cat "$W/err"; fail "depends: false: message"; }
[ ! -e "$W/nodeps.oci" ] || fail "depends: false: output left behind"
echo "ok   depends: false: $(grep -m1 'needs libgreet' "$W/err")"

# a clause nothing satisfies; a version the directory does not offer
deb broken 1 all "Depends: libgreet1 (>= 3) | nothing-here
"
printf 'name: example/broken:1\nplatform: linux/amd64\ndebs: ./debs\npackages: [broken]\n' > "$P/broken.yaml"
if "$DISTILL" lock -q "$P/broken.yaml" 2> "$W/err"; then fail "an unsatisfiable Depends was locked"; fi
grep -q "broken 1 Depends: libgreet1 (>= 3) | nothing-here: no .deb in '$P/debs' satisfies it (it has libgreet1 1.0 (amd64), libgreet1 1.2 (amd64))" "$W/err" ||
    { cat "$W/err"; fail "unsatisfiable: message"; }
[ ! -e "$P/broken.lock.json" ] || fail "unsatisfiable: a lock was written"
echo "ok   unsatisfiable: $(cat "$W/err")"
