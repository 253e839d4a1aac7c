#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every output format loads in the real tools: podman load takes the docker-archive and the
# OCI archive; skopeo copies the OCI layout to an OCI archive and back with every digest
# kept; the rootfs tarball holds exactly the files of the unpacked image; a second tag built
# into the same layout sits beside the first in index.json.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_podman

cp "$repo/specs/jq.yaml" "$W/jq.yaml"
"$DISTILL" lock -q "${LOCK_LIGHT[@]}" "$W/jq.yaml"
for f in oci oci-archive docker-archive rootfs; do
    "$DISTILL" build -q "$W/jq.yaml" --format $f -o "$W/jq.$f" || fail "build --format $f"
done

run_jq() { # IMAGE-ID
    local out
    out=$(echo '{"x":41}' | prun -i "$1" '.x+1') || fail "podman run $1"
    [ "$out" = 42 ] || fail "jq in $1 printed '$out'"
}

# docker-archive and oci-archive through podman load
for f in docker-archive oci-archive; do
    out=$(podman load -i "$W/jq.$f" 2>&1) || fail "podman load $f: $out"
    name=$(sed -n 's/^Loaded image: //p' <<<"$out" | head -1)
    [ -n "$name" ] || fail "podman load $f named no image: $out"
    LOADED_IMAGES+=("$name")
    run_jq "$name"
    echo "ok   podman load + run: $f ($name)"
done

# skopeo: layout -> archive -> layout keeps the manifest, config and layer digests
skopeo copy -q "oci:$W/jq.oci" "oci-archive:$W/copy.tar" || fail "skopeo copy to oci-archive"
skopeo copy -q "oci-archive:$W/copy.tar" "oci:$W/back.oci" || fail "skopeo copy back"
a=$(digests "$W/jq.oci" | grep -v '^index'); b=$(digests "$W/back.oci" | grep -v '^index')
[ "$a" = "$b" ] || fail "digests changed through skopeo copy: $a vs $b"
echo "ok   skopeo copy oci -> oci-archive -> oci keeps every digest"
# distill's own oci-archive holds the same image as its layout
mkdir "$W/unar" && tar -xf "$W/jq.oci-archive" -C "$W/unar"
[ "$(digests "$W/jq.oci")" = "$(digests "$W/unar")" ] || fail "oci-archive differs from oci layout"
echo "ok   oci-archive == oci layout"

# rootfs: the same files, modes and owners as the unpacked image
ref=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$W/jq.oci/index.json")
umoci unpack --image "$W/jq.oci:$ref" "$W/bundle" >/dev/null || fail "umoci unpack"
(cd "$W/bundle/rootfs" && find . -mindepth 1 -printf '%P %y %m %U:%G\n' | sort) > "$W/unpacked"
mkdir "$W/rootfs" && tar -xpf "$W/jq.rootfs" -C "$W/rootfs" --numeric-owner
(cd "$W/rootfs" && find . -mindepth 1 -printf '%P %y %m %U:%G\n' | sort) > "$W/fromtar"
diff "$W/unpacked" "$W/fromtar" || fail "rootfs tarball differs from the unpacked image"
echo "ok   rootfs tarball == unpacked image ($(wc -l < "$W/fromtar") paths)"

# a second tag into the same layout: both listed, both readable
"$DISTILL" build -q "$W/jq.yaml" -o "$W/jq.oci" --tag second || fail "build into existing layout"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["manifests"]))' "$W/jq.oci/index.json")
[ "$n" = 2 ] || fail "index.json lists $n images, want 2"
skopeo inspect --raw "oci:$W/jq.oci:second" >/dev/null || fail "skopeo inspect second tag"
skopeo inspect --raw "oci:$W/jq.oci:$ref" >/dev/null || fail "skopeo inspect first tag"
echo "ok   two tags in one layout"
