#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A round trip through a real registry: Debian's docker-registry, served by this test on
# 127.0.0.1 (a port of its own choosing, storage in the work directory), takes a distill
# image pushed with `skopeo copy oci:DIR:TAG docker://...` (and its oci-archive under another
# tag); the registry serves the same manifest digest; `skopeo copy` back down to an OCI layout and to an oci-archive keeps the
# manifest, config and every layer digest and byte; and `distill verify --against` each
# pulled copy passes. The registry is stopped on exit.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
command -v skopeo >/dev/null || fail "skopeo is missing (scripts/setup.sh installs it)"
command -v docker-registry >/dev/null ||
    fail "docker-registry is missing (scripts/setup.sh installs it)"

REG_PID=""
stop_registry() {
    [ -n "$REG_PID" ] || return 0
    kill "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true
    REG_PID=""
}
trap 'stop_registry; rm -rf "$W"' EXIT

mkdir -p "$W/registry"
cat > "$W/registry/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $W/registry/data
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: distill-test-only
EOF
docker-registry serve "$W/registry/config.yml" > "$W/registry/log" 2>&1 &
REG_PID=$!
# it listens on a free port and says which (at most 30 s)
ADDR=""
for _ in $(seq 1 300); do
    ADDR=$(sed -n 's/.*msg="listening on \(127\.0\.0\.1:[0-9][0-9]*\)".*/\1/p' "$W/registry/log" | head -1)
    [ -n "$ADDR" ] && break
    kill -0 "$REG_PID" 2>/dev/null || { cat "$W/registry/log" >&2; fail "docker-registry exited"; }
    sleep 0.1
done
[ -n "$ADDR" ] || { cat "$W/registry/log" >&2; fail "docker-registry never listened"; }
code=""
for _ in $(seq 1 300); do # until /v2/ answers
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/v2/" || true)
    [ "$code" = 200 ] && break
    sleep 0.1
done
[ "$code" = 200 ] || fail "http://$ADDR/v2/ answers '$code'"
echo "ok   docker-registry on $ADDR"

cp "$repo/specs/curl.yaml" "$W/curl.yaml"
lock_build "$W/curl.yaml" "$W/curl.oci"
tag=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$W/curl.oci/index.json")
[ "$tag" = bookworm ] || fail "ref.name '$tag', want the tag bookworm"
DEST=docker://$ADDR/distill/curl:bookworm

skopeo copy -q --dest-tls-verify=false "oci:$W/curl.oci:bookworm" "$DEST" || fail "skopeo copy up"
want=$(digests "$W/curl.oci" | sed -n 's/^manifest //p')
got=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "$DEST") || fail "skopeo inspect $DEST"
[ "$got" = "$want" ] || fail "the registry serves $got, distill built $want"
echo "ok   pushed: the registry serves manifest $got"
# the oci-archive of the same spec, pushed under another tag: the same manifest
"$DISTILL" build -q "$W/curl.yaml" -o "$W/curl.tar" --format oci-archive || fail "build oci-archive"
skopeo copy -q --dest-tls-verify=false "oci-archive:$W/curl.tar" "docker://$ADDR/distill/curl:archive" ||
    fail "skopeo copy the oci-archive up"
got=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$ADDR/distill/curl:archive") ||
    fail "skopeo inspect :archive"
[ "$got" = "$want" ] || fail "the oci-archive pushed is $got, the layout's $want"
echo "ok   pushed from the oci-archive: the same manifest"

skopeo copy -q --src-tls-verify=false "$DEST" "oci:$W/pulled.oci:bookworm" || fail "skopeo copy down"
skopeo copy -q --src-tls-verify=false "$DEST" "oci-archive:$W/pulled.tar:bookworm" ||
    fail "skopeo copy down to an oci-archive"
mkdir "$W/unpacked" && tar -xf "$W/pulled.tar" -C "$W/unpacked"
a=$(digests "$W/curl.oci" | grep -v '^index')
for copy in pulled.oci unpacked; do
    b=$(digests "$W/$copy" | grep -v '^index')
    [ "$a" = "$b" ] || fail "$copy: digests changed through the registry: $a vs $b"
    valid_layout "$W/$copy" || fail "$copy: a blob does not hash to its digest"
    for f in "$W/curl.oci"/blobs/sha256/*; do
        cmp -s "$f" "$W/$copy/blobs/sha256/$(basename "$f")" || fail "$copy: $(basename "$f") differs"
    done
done
echo "ok   pulled (OCI layout and oci-archive): manifest, config and $(grep -c '^layer' <<<"$a") layers unchanged, byte for byte"

for copy in pulled.oci pulled.tar; do
    out=$("$DISTILL" verify "$W/curl.yaml" --against "$W/$copy" 2>&1) ||
        fail "distill verify --against $copy: $out"
    grep -qF "rebuilds $W/$copy bit for bit (manifest $want)" <<<"$out" ||
        fail "distill verify --against $copy: $out"
done
echo "ok   distill verify --against the pulled copies"
stop_registry
