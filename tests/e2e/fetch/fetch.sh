#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# distill fetch: the .debs a lock pins, from a signed repository served on 127.0.0.1 by
# tests/lib/httpd.py (stopped at the end), into a content-addressed cache. Checked:
#  1. every .deb lands at blobs/sha256/<its sha256>, byte-identical to the repository's;
#     a second run downloads nothing (the server counts requests); --json lists each;
#  2. a corrupt blob in the cache is found, removed and downloaded again;
#  3. each a clear error naming the package and URL, nothing entering the cache: a 404, a
#     body with other bytes (both sha256s named), a redirect to another host; followed: a
#     redirect to the same host, a 500 once (retried), a truncated body (resumed); a server
#     that stalls mid-body is given up on after --timeout and named;
#  4. --debs DIR with --offline copies from the directory; --offline alone names what is
#     missing; a wrong file in --debs is refused with both sizes;
#  5. build --inputs debs from the cache gives the same image, byte for byte, as the build
#     from the root, with the root moved away, its CA bundle made as update-ca-certificates
#     made the root's; an empty cache names the missing .debs and
#     the fetch command, and writes nothing; verify --inputs debs rebuilds the published
#     image from the cache (relative --cache, perturbed runs).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$tests/e2e/lock/aptrepo.sh"
ok() { echo "ok   $*"; }

start_httpd "$W/srv"
URI=http://127.0.0.1:$PORT/repo
count() { curl -s "http://127.0.0.1:$PORT/count"; }

make_key good
make_libc_deb
make_ca_deb
make_deb greet 1.0-1
make_deb greet-doc 1.0-1
make_repo "$W/srv/repo" good "$W/debs/libc-test_1.0_amd64.deb" "$W/debs/ca-certificates_1.0_all.deb" "$W/debs/greet_1.0-1_amd64.deb" "$W/debs/greet-doc_1.0-1_amd64.deb"
make_root "$W/root" "$URI" good "$W/srv/repo" "$W/debs/libc-test_1.0_amd64.deb" "$W/debs/ca-certificates_1.0_all.deb" "$W/debs/greet_1.0-1_amd64.deb" "$W/debs/greet-doc_1.0-1_amd64.deb"
cat > "$W/app.yaml" <<Y
name: example/fetch:1
root: ./root
base: scratch
certificates: true
binaries:
  - /usr/bin/greet
  - /usr/bin/greet-doc
Y
"$DISTILL" lock -q "$W/app.yaml" || fail "lock"
L=$W/app.lock.json
blob() { echo "$1/blobs/sha256/$(sha256sum < "$2" | cut -c1-64)"; }

# ---- 1. fetched, then already there ----
"$DISTILL" fetch -q --cache "$W/c1" "$W/app.yaml" || fail "fetch"
for d in "$W"/debs/greet_1.0-1_amd64.deb "$W"/debs/greet-doc_1.0-1_amd64.deb; do
    cmp -s "$(blob "$W/c1" "$d")" "$d" || fail "$(basename "$d") is not in the cache by its sha256"
done
[ "$(ls "$W/c1/blobs/sha256" | wc -l)" = 4 ] || fail "the cache holds other than the four .debs"
n=$(count)
"$DISTILL" fetch --cache "$W/c1" "$W/app.yaml" 2> "$W/err" || fail "fetch again"
grep -F "4 .deb files in $W/c1: 0 fetched, 0 copied, 4 already there" "$W/err" >/dev/null || { cat "$W/err"; fail "summary"; }
[ "$(count)" = "$n" ] || fail "the second fetch made requests"
"$DISTILL" fetch --json --cache "$W/c1" "$L" > "$W/out.json" || fail "fetch --json LOCK"
python3 - "$W/out.json" "$URI" <<'PY' || fail "--json"
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["state"] for x in d["debs"]] == ["cached"] * 4, d
assert d["debs"][1]["url"] == sys.argv[2] + "/pool/main/g/greet/greet_1.0-1_amd64.deb", d
assert d["debs"][0]["path"].endswith("/blobs/sha256/" + d["debs"][0]["sha256"]), d
PY
ok "fetched into the cache by sha256; again: nothing downloaded"

# ---- 2. a corrupt blob ----
b=$(blob "$W/c1" "$W/debs/greet_1.0-1_amd64.deb")
chmod u+w "$b"; printf 'x' | dd of="$b" bs=1 seek=100 conv=notrunc 2>/dev/null
"$DISTILL" fetch -q --cache "$W/c1" "$L" || fail "fetch over a corrupt blob"
cmp -s "$b" "$W/debs/greet_1.0-1_amd64.deb" || fail "the corrupt blob was kept"
ok "a corrupt blob in the cache is found and fetched again"

# ---- 3. the server misbehaves ----
with_prefix() { # PREFIX: the lock with the repository under /PREFIX/
    python3 - "$L" "$1" "$PORT" > "$W/p.lock.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["installed"]:
    x["repository"] = "http://127.0.0.1:%s/%s/repo" % (sys.argv[3], sys.argv[2])
print(json.dumps(d, indent=2, sort_keys=True))
PY
}
bad() { # PREFIX WANT
    with_prefix "$1"
    rm -rf "$W/cb"
    if "$DISTILL" fetch -q --retries 1 ${TIMEOUT:-} --cache "$W/cb" "$W/p.lock.json" 2> "$W/err"; then fail "$1: accepted"; fi
    grep -F -- "greet 1.0-1 amd64" "$W/err" >/dev/null || { cat "$W/err"; fail "$1: package not named"; }
    grep -F -- "http://127.0.0.1:$PORT/$1/repo/pool/main/g/greet/greet_1.0-1_amd64.deb" "$W/err" >/dev/null ||
        { cat "$W/err"; fail "$1: URL not named"; }
    grep -F -- "$2" "$W/err" >/dev/null || { cat "$W/err"; fail "$1: no '$2'"; }
    [ -z "$(ls -A "$W/cb/blobs/sha256")" ] || fail "$1: something entered the cache"
    ok "refused: /$1/: $2"
}
good() { # PREFIX
    with_prefix "$1"
    rm -rf "$W/cg"
    "$DISTILL" fetch -q --cache "$W/cg" "$W/p.lock.json" 2> "$W/err" || { cat "$W/err"; fail "$1: failed"; }
    cmp -s "$(blob "$W/cg" "$W/debs/greet_1.0-1_amd64.deb")" "$W/debs/greet_1.0-1_amd64.deb" || fail "$1: wrong blob"
    ok "followed: /$1/"
}
bad 404 "HTTP 404"
bad wrong "$(sha256sum < "$W/debs/greet_1.0-1_amd64.deb" | cut -c1-12)"
bad redirect-other "another host"
# a server that hangs mid-body: given up on after --timeout (libcurl measures the speed
# over a few seconds), then named
TIMEOUT="--timeout 1 --retries 0" bad stall "too slow"
good redirect-same
good 500-once
good truncate

# ---- 4. a directory of .debs, offline ----
"$DISTILL" fetch -q --offline --debs "$W/debs" --cache "$W/c4" "$L" || fail "--offline --debs"
cmp -s "$(blob "$W/c4" "$W/debs/greet-doc_1.0-1_amd64.deb")" "$W/debs/greet-doc_1.0-1_amd64.deb" || fail "--debs: not copied"
if "$DISTILL" fetch -q --offline --cache "$W/c5" "$L" 2> "$W/err"; then fail "--offline with nothing"; fi
grep -F "greet 1.0-1 amd64" "$W/err" >/dev/null || { cat "$W/err"; fail "--offline: not named"; }
mkdir -p "$W/wrongdebs"
cp "$W/debs/greet-doc_1.0-1_amd64.deb" "$W/wrongdebs/greet_1.0-1_amd64.deb"
cp "$W/debs/greet-doc_1.0-1_amd64.deb" "$W/wrongdebs/"
if "$DISTILL" fetch -q --offline --debs "$W/wrongdebs" --cache "$W/c6" "$L" 2> "$W/err"; then fail "a wrong file in --debs"; fi
grep -F "'$W/wrongdebs/greet_1.0-1_amd64.deb': size $(stat -c %s "$W/debs/greet-doc_1.0-1_amd64.deb") is not the $(stat -c %s "$W/debs/greet_1.0-1_amd64.deb") the lock pins" "$W/err" >/dev/null ||
    { cat "$W/err"; fail "--debs wrong file: not named with both sizes"; }
ok "--debs DIR offline; missing and wrong files named"
# ---- 5. build --inputs debs: the same image with the root gone ----
"$DISTILL" build -q "$W/app.yaml" -o "$W/img-host" || fail "build from the root"
sed 's/^base: scratch$/base: scratch\ninputs: debs/' "$W/app.yaml" > "$W/spec-debs.yaml"
"$DISTILL" lock -q "$W/spec-debs.yaml" || fail "lock of a spec with inputs: debs"
mv "$W/root" "$W/root.gone"
"$DISTILL" build -q --cache "$W/c1" "$W/spec-debs.yaml" -o "$W/img-spec" || fail "build of a spec with inputs: debs"
"$DISTILL" build -q --inputs debs --cache "$W/c1" "$W/app.yaml" -o "$W/img-debs" 2> "$W/err" ||
    { cat "$W/err"; fail "build --inputs debs"; }
diff -r "$W/img-host" "$W/img-debs" >/dev/null || fail "--inputs debs: another image than from the root"
[ "$(jq -r '.manifests[0].digest' "$W/img-spec/index.json")" != "" ] || fail "inputs: debs: no image"
# the CA bundle, made by distill from ca-certificates' .deb, is the bundle the root's
# update-ca-certificates made (the build checked it against the lock's sha256 too)
"$DISTILL" build -q --inputs debs --cache "$W/c1" --format rootfs "$W/app.yaml" -o "$W/rootfs.tar" || fail "rootfs"
tar -xOf "$W/rootfs.tar" etc/ssl/certs/ca-certificates.crt | cmp -s - "$W/root.gone/etc/ssl/certs/ca-certificates.crt" ||
    fail "the CA bundle is not update-ca-certificates'"
[ "$(grep -c 'BEGIN CERTIFICATE' "$W/root.gone/etc/ssl/certs/ca-certificates.crt")" = 3 ] || fail "the test bundle has not three certificates"
[ -z "$(ls -A "${TMPDIR:-/tmp}" | grep '^distill-stage-' || true)" ] || fail "a staging tree was left behind"
if "$DISTILL" build -q --inputs debs --cache "$W/empty" "$W/app.yaml" -o "$W/img-x" 2> "$W/err"; then
    fail "--inputs debs with an empty cache"
fi
grep -F "4 .deb files the lock pins are not in the cache '$W/empty'" "$W/err" >/dev/null || { cat "$W/err"; fail "missing: count"; }
grep -F "run: distill fetch --cache '$W/empty' $W/app.yaml" "$W/err" >/dev/null || { cat "$W/err"; fail "missing: the fetch command"; }
[ ! -e "$W/img-x" ] || fail "an image was written without its .debs"
# a rebuilder without the root: verify rebuilds from the cache, twice, against the image
(cd "$W" && "$DISTILL" verify -q --inputs debs --cache c1 --runs 2 --against img-host app.yaml) 2> "$W/err" ||
    { cat "$W/err"; fail "verify --inputs debs --against the published image"; }
mv "$W/root.gone" "$W/root"
ok "build --inputs debs: the same bytes as from the root, with the root gone; missing .debs named with the fetch command"
echo "PASS fetch.fetch"
