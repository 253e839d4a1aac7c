#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Drift from the lock: one changed byte in a pinned library, in a .deb, or in the spec makes
# `distill build` fail with a message naming the file and both sha256 (nothing is written),
# and `distill lock --check` exit 1 naming it; unchanged inputs pass both. The project's own
# files are pinned by path, not content (the app changes every commit): a rebuilt app
# builds against the committed lock, unless the lock is --strict or the entry says
# pin: content; a project binary that now needs another library is drift all the same.
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
"$DISTILL" lock "${LOCK_LIGHT[@]}" -q "$W/p/app.yaml" || fail "lock"
"$DISTILL" lock "${LOCK_LIGHT[@]}" --check -q "$W/p/app.yaml" || fail "lock --check on a fresh lock"
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
    if "$DISTILL" lock "${LOCK_LIGHT[@]}" --check -q "$W/p/app.yaml" 2> "$W/err2"; then fail "$what: lock --check passed"; fi
    for p in "$@"; do grep -qF -- "$p" "$W/err2" || { cat "$W/err2"; fail "$what: lock --check lacks '$p'"; }; done
    echo "ok   drift: $what: $(grep -m1 'drift:' "$W/err")"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# the project's library, one byte flipped: pinned by path, so the build goes on with it
python3 - "$W/p/app.lock.json" <<'PY' || fail "project files are not pinned by path"
import json, sys
files = {f["path"]: f for f in json.load(open(sys.argv[1]))["files"]}
for p in ("/app/app", "/app/lib/libhello.so.1", "/etc/app/app.conf"):
    assert files[p].get("pin") == "path" and "sha256" not in files[p] and "size" not in files[p], files[p]
assert "sha256" in files["/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"]
PY
cp "$W/p/lib/libhello.so.1" "$W/lib.orig"
old=$(sha "$W/p/lib/libhello.so.1")
size=$(stat -c %s "$W/p/lib/libhello.so.1")
printf 'X' | dd of="$W/p/lib/libhello.so.1" bs=1 seek=$((size - 1)) conv=notrunc status=none
new=$(sha "$W/p/lib/libhello.so.1")
"$DISTILL" lock "${LOCK_LIGHT[@]}" --check -q "$W/p/app.yaml" || fail "a changed project file is drift by default"
"$DISTILL" build -q "$W/p/app.yaml" -o "$W/proj.oci" || fail "build with a changed project file"
"$DISTILL" inspect --json "$W/proj.oci" > "$W/proj.json"   # (no grep -q in a pipe: SIGPIPE under pipefail)
grep -q "$new" "$W/proj.json" || fail "the image lacks the new library bytes"
rm -rf "$W/proj.oci"
echo "ok   a changed project file builds against the committed lock (pinned by path)"
# ... but with lock --strict (or pin: content) it is drift
"$DISTILL" lock "${LOCK_LIGHT[@]}" -q --strict "$W/p/app.yaml" -o "$W/strict.lock.json"
cp "$W/lib.orig" "$W/p/lib/libhello.so.1"
"$DISTILL" lock "${LOCK_LIGHT[@]}" -q --strict "$W/p/app.yaml"
grep -q '"pin"' "$W/p/app.lock.json" && fail "lock --strict pins by path"
printf 'X' | dd of="$W/p/lib/libhello.so.1" bs=1 seek=$((size - 1)) conv=notrunc status=none
expect_drift "library (lock --strict)" "/app/lib/libhello.so.1" "$old" "$new"
cp "$W/lib.orig" "$W/p/lib/libhello.so.1"
cp "$W/p/app.yaml" "$W/spec.plain"
sed -i 's|    dst: /app/app|    dst: /app/app\n    pin: content|' "$W/p/app.yaml"
"$DISTILL" lock "${LOCK_LIGHT[@]}" -q "$W/p/app.yaml"
cp "$W/p/app" "$W/app.orig"
old=$(sha "$W/p/app")
printf 'X' >> "$W/p/app"
expect_drift "binary (pin: content)" "/app/app" "$old" "$(sha "$W/p/app")"
cp "$W/app.orig" "$W/p/app"
cp "$W/spec.plain" "$W/p/app.yaml"
# a project binary that now needs a library the lock lacks: drift, by path
"$DISTILL" lock "${LOCK_LIGHT[@]}" -q "$W/p/app.yaml"
cc -o "$W/p/app" "$W/p/src/app.c" -L"$W/p/lib" -l:libhello.so.1 -lz -Wl,--no-as-needed -lm -Wl,-rpath,'$ORIGIN/lib'
expect_drift "a new library need" "libm.so.6" "not in the lock"
cp "$W/app.orig" "$W/p/app"
"$DISTILL" lock "${LOCK_LIGHT[@]}" -q --strict "$W/p/app.yaml"

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
"$DISTILL" lock "${LOCK_LIGHT[@]}" --check -q "$W/p/app.yaml" || fail "restored inputs still drift"
echo "ok   restored inputs pass lock --check; a refused build leaves the old output"
