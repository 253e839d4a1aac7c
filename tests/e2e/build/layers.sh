#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# layers: packages. An image of greet (a .deb built here) over libgreet1 (another .deb)
# and the libraries it takes from the root, laid out one package per layer within the
# budget, the app last. A security update of libgreet1 (1.0 -> 1.1: relocked, rebuilt)
# changes exactly one layer digest, libgreet1's, and every other layer keeps its digest.
# The same image as layers: two holds the same files (umoci unpack, diff -r) and runs in
# podman; a budget of 3 merges the smaller packages into the first layer.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_podman

P=$W/p
mkdir -p "$P/debs" "$W/src"
cat > "$W/src/greet.c" <<'C'
#include <stdio.h>
const char *greet_word(void);
int main(void) { printf("%s from libgreet\n", greet_word()); return 0; }
C
ML=usr/lib/x86_64-linux-gnu
libgreet() { # VERSION: libgreet1_VERSION in the debs directory, alone
    rm -f "$P"/debs/libgreet1_*.deb
    echo "const char *greet_word(void) { return \"hello $1\"; }" > "$W/src/g.c"
    gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -o "$W/src/libgreet.so.1" "$W/src/g.c"
    deb_build "$P/debs" libgreet1 "$1" amd64 "" "$W/src/libgreet.so.1=/$ML/libgreet.so.1"
}
libgreet 1.0
gcc -o "$W/src/greet" "$W/src/greet.c" -L"$W/src" -l:libgreet.so.1
deb_build "$P/debs" greet 2.0 amd64 "Depends: libgreet1 (>= 1.0)
" "$W/src/greet=/usr/bin/greet"
mkdir -p "$P/app"
echo "app data" > "$P/app/motd"
spec() { # LAYERS: the spec with that layers: value
    cat > "$P/greet.yaml" <<Y
name: example/greet:2.0
debs: ./debs
packages: [greet]
files:
  - {src: ./app/motd, dst: /app/motd}
layers: $1
config:
  entrypoint: [/usr/bin/greet]
Y
}
layers_of() { # OCI: the layer digests, one per line
    python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/index.json"))["manifests"][0]["digest"].split(":")[1]
man = json.load(open(d + "/blobs/sha256/" + m))
cfg = json.load(open(d + "/blobs/sha256/" + man["config"]["digest"].split(":")[1]))
for l, h in zip(man["layers"], cfg["history"]):
    print(l["digest"], h["created_by"])
PY
}

spec "{by: packages, max: 8}"
lock_build "$P/greet.yaml" "$W/v1.oci" --no-cache
layers_of "$W/v1.oci" > "$W/v1.txt"
cat "$W/v1.txt"
n=$(wc -l < "$W/v1.txt")
[ "$n" -ge 4 ] || fail "layers: packages gave $n layers"
grep -q ' distill: package libgreet1$' "$W/v1.txt" || fail "no layer of its own for libgreet1"
grep -q ' distill: package greet$' "$W/v1.txt" || fail "no layer of its own for greet"
[[ "$(tail -n1 "$W/v1.txt")" == *" distill: app "* ]] || fail "the app's layer is not the last"
img=$(pull_oci "$W/v1.oci")
[ "$(prun "$img")" = "hello 1.0 from libgreet" ] || fail "greet did not run from layers: packages"

# the update: one package's files change; the lock is made again, and so is the image
libgreet 1.1
lock_build "$P/greet.yaml" "$W/v2.oci" --no-cache
layers_of "$W/v2.oci" > "$W/v2.txt"
[ "$(wc -l < "$W/v2.txt")" = "$n" ] || fail "the update changed the number of layers"
changed=$(diff <(cut -d' ' -f1 "$W/v1.txt") <(cut -d' ' -f1 "$W/v2.txt") | grep -c '^>' || true)
[ "$changed" = 1 ] || { diff "$W/v1.txt" "$W/v2.txt" || true; fail "$changed layers changed, not 1"; }
diff "$W/v1.txt" "$W/v2.txt" > "$W/changed.txt" || true
grep -q '^> .* distill: package libgreet1$' "$W/changed.txt" ||
    fail "the layer that changed is not libgreet1's: $(cat "$W/changed.txt")"
img=$(pull_oci "$W/v2.oci")
[ "$(prun "$img")" = "hello 1.1 from libgreet" ] || fail "greet did not run after the update"
echo "ok: a library update changed one layer of $n: libgreet1's"

# with the layer cache: the rebuild after the update takes every other layer from it
spec "{by: packages, max: 8}"
libgreet 1.0
"$DISTILL" lock -q "$P/greet.yaml"
"$DISTILL" build -q "$P/greet.yaml" -o "$W/c1.oci" --cache "$W/cache"
libgreet 1.1
"$DISTILL" lock -q "$P/greet.yaml"
"$DISTILL" build --json "$P/greet.yaml" -o "$W/c2.oci" --cache "$W/cache" > "$W/c2.json"
layers_of "$W/c2.oci" | cmp - "$W/v2.txt" || fail "the cached rebuild differs from --no-cache"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["layers_cached"] != len(d["layers"]) - 1)' \
    "$W/c2.json" || fail "the cached rebuild did not take all but one layer from the cache: $(cat "$W/c2.json")"
echo "ok: the cached rebuild compressed one layer"

# the same files as layers: two
spec two
lock_build "$P/greet.yaml" "$W/two.oci" --no-cache
[ "$(layers_of "$W/two.oci" | wc -l)" = 2 ] || fail "layers: two is not two layers"
umoci unpack --rootless --image "$W/two.oci:2.0" "$W/u-two" >/dev/null 2>&1 || fail "umoci unpack two"
umoci unpack --rootless --image "$W/v2.oci:2.0" "$W/u-pk" >/dev/null 2>&1 || fail "umoci unpack packages"
diff -r --no-dereference "$W/u-two/rootfs" "$W/u-pk/rootfs" || fail "layers: packages holds other files than layers: two"
echo "ok: the same files as layers: two"

# a budget of 3: the first layer, the largest package, the app
spec "{by: packages, max: 3}"
lock_build "$P/greet.yaml" "$W/b3.oci" --no-cache
layers_of "$W/b3.oci" > "$W/b3.txt"
[ "$(wc -l < "$W/b3.txt")" = 3 ] || { cat "$W/b3.txt"; fail "max: 3 gave another number of layers"; }
[[ "$(head -n1 "$W/b3.txt")" == *"and the smaller packages"* ]] || fail "max: 3 did not merge the rest"
img=$(pull_oci "$W/b3.oci")
[ "$(prun "$img")" = "hello 1.1 from libgreet" ] || fail "greet did not run from 3 layers"
echo "ok: max: 3 merges the smaller packages"

# the spec's errors
spec "{by: packages, max: 2}"
if "$DISTILL" lock -q "$P/greet.yaml" 2> "$W/err"; then fail "max: 2 was taken"; fi
grep -q 'expected 3 to 32 layers' "$W/err" || fail "max: 2: $(cat "$W/err")"
spec "three"
if "$DISTILL" lock -q "$P/greet.yaml" 2> "$W/err"; then fail "layers: three was taken"; fi
grep -q 'expected two or packages' "$W/err" || fail "layers: three: $(cat "$W/err")"
echo "ok: layers: packages"
