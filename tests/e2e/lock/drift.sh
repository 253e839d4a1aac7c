#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Drift from the lock: one changed byte in a library, in a .deb, or in the spec makes
# `distill build` fail with a message naming the file and both sha256 (nothing is written),
# and `distill lock --check` exit 1 naming it; unchanged inputs pass both.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

make_app "$W/p" world
make_deb "$W/p/debs" distill-data 1.0 "hello from a package"
cat >> "$W/p/app.yaml" <<'Y'
debs: ./debs
packages:
  - name: distill-data
    paths: [/usr/share/distill-data]
Y
# inputs are read without touching their access times (O_NOATIME): an old atime, which
# relatime would update on the first read, stays through lock, lock --check and build
inputs=("$W/p/app" "$W/p/lib/libhello.so.1" "$W/p/debs"/*.deb)
touch -a -d '2001-02-03 04:05:06' "${inputs[@]}"
atimes=$(stat -c '%X %n' "${inputs[@]}")
"$DISTILL" lock -q "$W/p/app.yaml" || fail "lock"
"$DISTILL" lock --check -q "$W/p/app.yaml" || fail "lock --check on a fresh lock"
"$DISTILL" build -q "$W/p/app.yaml" -o "$W/ok.oci" || fail "build on a fresh lock"
[ "$(stat -c '%X %n' "${inputs[@]}")" = "$atimes" ] ||
    { stat -c '%X %n' "${inputs[@]}"; fail "lock or build changed an input's access time"; }
grep -q '"name": "distill-data"' "$W/p/app.lock.json" || fail "the .deb is not in the lock"
grep -q '"path": "/app/lib/libhello.so.1"' "$W/p/app.lock.json" || fail "the library is not in the lock"

expect_drift() { # WHAT PATTERN...: build and lock --check both fail naming every PATTERN
    local what=$1; shift
    if "$DISTILL" build -q "$W/p/app.yaml" -o "$W/out.oci" 2> "$W/err"; then fail "$what: build passed"; fi
    [ ! -e "$W/out.oci" ] || fail "$what: build left output"
    ls -a "$W" | grep -q '^\.out\.oci\.distill' && fail "$what: build left a temporary"
    for p in "$@"; do grep -qF -- "$p" "$W/err" || { cat "$W/err"; fail "$what: message lacks '$p'"; }; done
    if "$DISTILL" lock --check -q "$W/p/app.yaml" 2> "$W/err2"; then fail "$what: lock --check passed"; fi
    for p in "$@"; do grep -qF -- "$p" "$W/err2" || { cat "$W/err2"; fail "$what: lock --check lacks '$p'"; }; done
    echo "ok   drift: $what: $(grep -m1 'drift:' "$W/err")"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# a library: one byte flipped
cp "$W/p/lib/libhello.so.1" "$W/lib.orig"
old=$(sha "$W/p/lib/libhello.so.1")
size=$(stat -c %s "$W/p/lib/libhello.so.1")
printf 'X' | dd of="$W/p/lib/libhello.so.1" bs=1 seek=$((size - 1)) conv=notrunc status=none
new=$(sha "$W/p/lib/libhello.so.1")
expect_drift "library" "/app/lib/libhello.so.1" "$old" "$new"
cp "$W/lib.orig" "$W/p/lib/libhello.so.1"

# a .deb: same name and version, one byte of content changed
cp "$W/p/debs/distill-data_1.0_all.deb" "$W/deb.orig"
old=$(sha "$W/p/debs/distill-data_1.0_all.deb")
make_deb "$W/p/debs" distill-data 1.0 "hello from a packagf"
new=$(sha "$W/p/debs/distill-data_1.0_all.deb")
expect_drift ".deb" "distill-data_1.0_all.deb" "$old" "$new"
cp "$W/deb.orig" "$W/p/debs/distill-data_1.0_all.deb"

# the spec: a comment added
cp "$W/p/app.yaml" "$W/spec.orig"
old=$(sha "$W/p/app.yaml")
echo "# a comment" >> "$W/p/app.yaml"
new=$(sha "$W/p/app.yaml")
expect_drift "spec" "app.yaml" "$old" "$new"
cp "$W/spec.orig" "$W/p/app.yaml"

# an existing output is left untouched by a refused build
"$DISTILL" build -q "$W/p/app.yaml" -o "$W/keep.tar" --format oci-archive || fail "build archive"
before=$(sha "$W/keep.tar")
printf 'X' | dd of="$W/p/lib/libhello.so.1" bs=1 seek=$((size - 1)) conv=notrunc status=none
if "$DISTILL" build -q "$W/p/app.yaml" -o "$W/keep.tar" --format oci-archive 2>/dev/null; then fail "drifted build passed"; fi
[ "$(sha "$W/keep.tar")" = "$before" ] || fail "a refused build changed the existing output"
cp "$W/lib.orig" "$W/p/lib/libhello.so.1"
"$DISTILL" lock --check -q "$W/p/app.yaml" || fail "restored inputs still drift"
echo "ok   restored inputs pass lock --check; a refused build leaves the old output"
