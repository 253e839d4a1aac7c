#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The specs of specs/ rebuilt from .debs alone. Each is locked --hermetic against this
# machine's configured apt sources (real Debian packages, their InRelease checked with the
# machine's keyrings), its .debs fetched from those repositories into a cache, and built
# twice: from the host's files, and with --inputs debs from the cache: the same manifest
# digest. Then one of them is built inside distill's own image (specs/apps/distill.yaml)
# under podman with --network none, the spec, lock and cache mounted and none of its
# packages installed there: the same digest again. A package no debs directory holds
# (busybox-static) comes from the apt sources, runs under podman, and gives the same digest
# from a cache that distill fetch filled. Refused, naming what is wrong and
# writing nothing: a tampered .deb in the cache, a lock edited to another sha256, a cache
# entry replaced by a symlink.
# Debian publishes new versions: a spec whose installed packages the sources no longer offer
# is skipped, saying which (scripts/setup.sh brings them up to date). The CA bundle is made
# from ca-certificates' certificates in both builds: where this machine has certificates of
# its own (/usr/local/share/ca-certificates), the build from the host says that it left them
# out, and the two images are still the same.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_podman
ok() { echo "ok   $*"; }
digest() { jq -r '.manifests[0].digest' "$1/index.json"; }
C=$W/cache
local_cas=$(find -L /usr/local/share/ca-certificates -name '*.crt' 2>/dev/null | wc -l)
built=()
for spec in "$repo"/specs/*.yaml; do
    n=$(basename "$spec" .yaml)
    cp "$spec" "$W/$n.yaml"
    if ! "$DISTILL" lock -q --hermetic "$W/$n.yaml" 2> "$W/$n.err"; then
        if grep -q 'no apt source of the root offers' "$W/$n.err"; then
            echo "skip $n: $(grep -m1 'offered' "$W/$n.err" | sed 's/^distill: *//') ($(grep -c ': offered' "$W/$n.err") packages; scripts/setup.sh upgrades them)"
            continue
        fi
        cat "$W/$n.err"
        fail "$n: lock --hermetic"
    fi
    "$DISTILL" fetch -q --cache "$C" "$W/$n.yaml" || fail "$n: fetch"
    "$DISTILL" build -q "$W/$n.yaml" -o "$W/$n.host" 2> "$W/$n.err" || { cat "$W/$n.err"; fail "$n: build from the host"; }
    if grep -q '^certificates: true' "$W/$n.yaml" && [ "$local_cas" -gt 0 ]; then
        grep -q "the root's own differs (local certificates" "$W/$n.err" ||
            { cat "$W/$n.err"; fail "$n: the machine's $local_cas own CA certificates left out without a word"; }
    fi
    "$DISTILL" build -q --inputs debs --cache "$C" "$W/$n.yaml" -o "$W/$n.debs" 2> "$W/$n.err" ||
        { cat "$W/$n.err"; fail "$n: build --inputs debs"; }
    [ "$(digest "$W/$n.host")" = "$(digest "$W/$n.debs")" ] ||
        fail "$n: --inputs debs gives $(digest "$W/$n.debs"), the host's files $(digest "$W/$n.host")"
    ok "$n: the same manifest digest from the cache's .debs as from the host ($(digest "$W/$n.host"))"
    built+=("$n")
done
[ ${#built[@]} -gt 0 ] || { echo "skipped: no spec of specs/ has every package offered by the apt sources"; exit 0; }

# ---- inside distill's own image: no package of the spec installed, no network ----
n=${built[0]}
cp -r "$repo/specs/apps" "$W/apps"
cp "$DISTILL" "$W/apps/distill/distill"
"$DISTILL" lock -q "$W/apps/distill.yaml" 2>/dev/null || fail "lock the distill image"
"$DISTILL" build -q "$W/apps/distill.yaml" -o "$W/distill.oci" || fail "build the distill image"
DI=$(pull_oci "$W/distill.oci")
mkdir -p "$W/ctr"
cp "$W/$n.yaml" "$W/$n.lock.json" "$W/ctr/"
prun --user 0 -e ASAN_OPTIONS=detect_leaks=0 -v "$W/ctr:/work" -v "$C:/cache" "$DI" \
    build -q --inputs debs --cache /cache /work/$n.yaml -o /work/$n.oci 2> "$W/ctr.err" ||
    { cat "$W/ctr.err"; fail "$n: build --inputs debs inside distill's image"; }
[ "$(digest "$W/ctr/$n.oci")" = "$(digest "$W/$n.host")" ] ||
    fail "$n: inside distill's image: $(digest "$W/ctr/$n.oci"), not $(digest "$W/$n.host")"
prun --user 0 -e ASAN_OPTIONS=detect_leaks=0 -v "$W/ctr:/work" -v "$C:/cache" "$DI" \
    verify -q --inputs debs --cache /cache --against /work/$n.oci /work/$n.yaml 2> "$W/ctr.err" ||
    { cat "$W/ctr.err"; fail "$n: verify --inputs debs inside distill's image"; }
ok "$n: built and verified inside distill's own image with --network none: the same digest"

# ---- packages: from the machine's apt sources, no debs directory ----
# busybox-static, a real Debian package not installed here: locked at the version the
# sources offer now, fetched into the cache, built, and run under podman; then a new cache
# filled by distill fetch from the lock alone gives the same digest
if dpkg -s busybox-static >/dev/null 2>&1; then
    echo "skip packages: busybox-static is installed on this machine"
else
    printf 'name: distill-test/busybox:1\nplatform: linux/amd64\npackages: [busybox-static]\nconfig:\n  entrypoint: [/bin/busybox]\n' > "$W/bb.yaml"
    "$DISTILL" lock -q --cache "$W/cbb" "$W/bb.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock of busybox-static from the apt sources"; }
    [ "$(jq -r '.debs[] | select(.name == "busybox-static") | .repository' "$W/bb.lock.json")" != null ] ||
        fail "busybox-static is not pinned with its repository"
    "$DISTILL" build -q --cache "$W/cbb" "$W/bb.yaml" -o "$W/bb.oci" || fail "build of busybox-static"
    BB=$(pull_oci "$W/bb.oci")
    [ "$(prun "$BB" sh -c 'echo $((6*7))')" = 42 ] || fail "busybox from the repository does not run"
    "$DISTILL" fetch -q --cache "$W/cbb2" "$W/bb.lock.json" || fail "fetch of busybox-static"
    "$DISTILL" build -q --cache "$W/cbb2" "$W/bb.yaml" -o "$W/bb2.oci" || fail "build from the fetched cache"
    [ "$(digest "$W/bb2.oci")" = "$(digest "$W/bb.oci")" ] || fail "busybox: another digest from a fetched cache"
    ok "packages: busybox-static from the apt sources, run under podman; the same digest from a fetched cache"
fi

# ---- refused: each names it and writes nothing ----
refused() { # WHAT WANT [build args...]
    local what=$1 want=$2
    shift 2
    rm -rf "$W/out"
    if "$DISTILL" build -q --inputs debs "$@" "$W/$n.yaml" -o "$W/out" 2> "$W/err"; then fail "$what: accepted"; fi
    grep -F -- "$want" "$W/err" >/dev/null || { cat "$W/err"; fail "$what: no '$want'"; }
    [ ! -e "$W/out" ] || fail "$what: an image was written"
    ok "refused: $what"
}
pkg=$(jq -r '.installed[0].name' "$W/$n.lock.json")
sha=$(jq -r '.installed[0].sha256' "$W/$n.lock.json")
cp -a "$C" "$W/c-tampered"
chmod u+w "$W/c-tampered/blobs/sha256/$sha"
printf 'x' >> "$W/c-tampered/blobs/sha256/$sha"
refused "a tampered .deb in the cache" "$pkg $(jq -r '.installed[0].version' "$W/$n.lock.json") $(jq -r '.installed[0].architecture' "$W/$n.lock.json") (its cache entry was not that .deb: removed)" --cache "$W/c-tampered"
[ ! -e "$W/c-tampered/blobs/sha256/$sha" ] || fail "the tampered entry was kept"
jq ".installed[0].sha256 = \"$(printf '%064d' 0)\"" "$W/$n.lock.json" > "$W/edited.lock.json"
refused "a lock edited to another sha256" "missing: $pkg " --cache "$C" --lock "$W/edited.lock.json"
cp -a "$C" "$W/c-link"
mv "$W/c-link/blobs/sha256/$sha" "$W/elsewhere.deb"
ln -s "$W/elsewhere.deb" "$W/c-link/blobs/sha256/$sha"
refused "a cache entry replaced by a symlink" "missing: $pkg " --cache "$W/c-link"
echo "PASS build.hermetic (${built[*]})"
