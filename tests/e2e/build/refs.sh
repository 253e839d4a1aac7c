#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every consumer finds a distill image by what a user types. The index names the image by
# its tag (org.opencontainers.image.ref.name, as the image-layout spec, skopeo's and
# umoci's oci: references read it) and by its full name (io.containerd.image.name, as
# docker save and ctr export write it, podman load and ctr import read it); the manifest
# names nothing. Checked with the real tools: skopeo (oci:DIR:TAG, oci-archive:FILE:TAG,
# docker-archive), umoci (ls, unpack --image DIR:TAG), podman load of the oci-archive and
# of the docker-archive, then podman run by the spec's name, containerd's ctr import of
# both archives, then ctr run by the full name, and distill's own --ref by the tag, the
# name and the full name. A second tag sits beside the first in one layout; an image of
# another name under the same tag replaces it, as skopeo would.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_podman
command -v containerd >/dev/null && command -v ctr >/dev/null ||
    fail "containerd and ctr are missing (scripts/setup.sh installs containerd)"

# containerd, on a socket of its own in the work directory, with a namespace of its own
CT=$W/containerd
NS=distill-test-$$
CTR=(ctr --address "$CT/c.sock" --namespace "$NS")
CTD_PID=""
stop_containerd() {
    local c m
    [ -n "$CTD_PID" ] || return 0
    # a container left by a failure: its task killed and removed (its shim exits)
    for c in $("${CTR[@]}" containers ls -q 2>/dev/null); do
        "${CTR[@]}" tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
        timeout 30 "${CTR[@]}" tasks rm -f "$c" >/dev/null 2>&1 || true
        "${CTR[@]}" containers rm "$c" >/dev/null 2>&1 || true
    done
    kill "$CTD_PID" 2>/dev/null || true
    wait "$CTD_PID" 2>/dev/null || true
    CTD_PID=""
    # no mount left below the work directory, nor the namespace's cgroups runc made
    while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v d="$CT/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r)
    find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -depth -type d \( -name "$NS" -o -path "*/$NS/*" \) \
        -exec rmdir {} \; 2>/dev/null || true
}
trap 'stop_containerd; cleanup_images; rm -rf "$W"' EXIT

# a name of its own: no other test loads images of that name into podman
REPO=distill-test/refs-$$
NAME=$REPO:t1
FULL=docker.io/$NAME
sed "s|^name: .*|name: $NAME|" "$repo/specs/jq.yaml" > "$W/jq.yaml"
"$DISTILL" lock -q "$W/jq.yaml" || fail "distill lock"
for f in oci oci-archive docker-archive; do
    "$DISTILL" build -q "$W/jq.yaml" --format $f -o "$W/jq.$f" || fail "build --format $f"
done
MANIFEST=$(digests "$W/jq.oci" | sed -n 's/^manifest //p')

run_jq() { # RUNNER...: jq in the image computes .x+1 of {"x":41}
    local out
    out=$(echo '{"x":41}' | "$@" '.x+1') || fail "$*: run"
    [ "$out" = 42 ] || fail "$*: printed '$out'"
}

# the documents: the index's two names, nothing in the manifest
python3 - "$W/jq.oci" "t1" "$FULL" <<'PY' || fail "index.json names"
import json, sys
d, tag, full = sys.argv[1:4]
m = json.load(open(f"{d}/index.json"))["manifests"]
assert len(m) == 1, m
want = {"org.opencontainers.image.ref.name": tag, "io.containerd.image.name": full}
assert m[0]["annotations"] == want, m[0]["annotations"]
man = json.load(open(f"{d}/blobs/sha256/{m[0]['digest'][7:]}"))
names = {"org.opencontainers.image.ref.name", "io.containerd.image.name"}
assert not names & set(man.get("annotations", {})), man["annotations"]
PY
echo "ok   index.json: ref.name t1, io.containerd.image.name $FULL; the manifest names nothing"

# skopeo: by the tag, in the layout and in the archive; the docker-archive by its RepoTag
for ref in "oci:$W/jq.oci:t1" "oci:$W/jq.oci" "oci-archive:$W/jq.oci-archive:t1" \
           "oci-archive:$W/jq.oci-archive"; do
    d=$(skopeo inspect --format '{{.Digest}}' "$ref") || fail "skopeo inspect $ref"
    [ "$d" = "$MANIFEST" ] || fail "skopeo inspect $ref: $d, want $MANIFEST"
done
skopeo inspect --raw "docker-archive:$W/jq.docker-archive:$NAME" >/dev/null ||
    fail "skopeo inspect docker-archive:...:$NAME"
! skopeo inspect --raw "oci:$W/jq.oci:$NAME" >/dev/null 2>&1 ||
    fail "skopeo finds the image by its full name as ref.name"
echo "ok   skopeo: oci:DIR:t1, oci-archive:FILE:t1, docker-archive:FILE:$NAME"

# umoci: the tag is what it lists and unpacks
[ "$(umoci ls --layout "$W/jq.oci")" = t1 ] || fail "umoci ls: $(umoci ls --layout "$W/jq.oci")"
umoci unpack --image "$W/jq.oci:t1" "$W/bundle" >/dev/null || fail "umoci unpack DIR:t1"
[ -x "$W/bundle/rootfs/usr/bin/jq" ] || fail "umoci unpack: no usr/bin/jq"
echo "ok   umoci: ls lists t1, unpack --image DIR:t1"

# podman load names the oci-archive by io.containerd.image.name and the docker-archive by
# its RepoTag (podman puts localhost/ before a name without a registry); podman run finds
# either by the spec's name
for f in oci-archive docker-archive; do
    out=$(podman load -i "$W/jq.$f" 2>&1) || fail "podman load $f: $out"
    loaded=$(sed -n 's/^Loaded image: //p' <<<"$out" | head -1)
    LOADED_IMAGES+=("$loaded")
    want=$FULL
    [ $f = oci-archive ] || want=localhost/$NAME
    [ "$loaded" = "$want" ] || fail "podman load $f: named '$loaded', want '$want'"
    run_jq prun -i "$NAME"
    podman rmi "$loaded" >/dev/null || fail "podman rmi $loaded"
    echo "ok   podman load -i $f: $loaded; podman run $NAME"
done

mkdir -p "$CT"
cat > "$CT/config.toml" <<EOF
version = 2
root = "$CT/root"
state = "$CT/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CT/c.sock"
[ttrpc]
  address = "$CT/c.sock.ttrpc"
EOF
containerd --config "$CT/config.toml" > "$CT/log" 2>&1 &
CTD_PID=$!
for _ in $(seq 1 300); do # until it answers (at most 30 s)
    "${CTR[@]}" version >/dev/null 2>&1 && break
    kill -0 "$CTD_PID" 2>/dev/null || { cat "$CT/log" >&2; fail "containerd exited"; }
    sleep 0.1
done
"${CTR[@]}" version >/dev/null 2>&1 || { cat "$CT/log" >&2; fail "containerd does not answer"; }
for f in oci-archive docker-archive; do
    "${CTR[@]}" images import "$W/jq.$f" >/dev/null || fail "ctr images import $f"
    names=$("${CTR[@]}" images ls -q)
    [ "$names" = "$FULL" ] || fail "ctr images import $f: named '$names', want '$FULL'"
    # ctr passes no end of input on: jq gets its input as an argument
    out=$(timeout 120 "${CTR[@]}" run --rm "$FULL" "refs-$$-$f" /usr/bin/jq -n '{"x":41} | .x+1' </dev/null) ||
        fail "ctr run $FULL: $out"
    [ "$out" = 42 ] || fail "ctr run $FULL: printed '$out'"
    "${CTR[@]}" images rm "$FULL" >/dev/null || fail "ctr images rm"
    echo "ok   ctr images import $f: $FULL; ctr run $FULL"
done
stop_containerd

# distill's own --ref: the tag, the name, the full name
for ref in t1 "$NAME" "$FULL"; do
    "$DISTILL" inspect --ref "$ref" "$W/jq.oci" >/dev/null || fail "distill inspect --ref $ref"
done
echo "ok   distill inspect --ref t1, $NAME, $FULL"

# a second tag beside the first; another name under the same tag replaces it
"$DISTILL" build -q "$W/jq.yaml" -o "$W/jq.oci" --tag t2 || fail "build --tag t2"
[ "$(umoci ls --layout "$W/jq.oci" | sort | tr '\n' ' ')" = "t1 t2 " ] ||
    fail "two tags: $(umoci ls --layout "$W/jq.oci")"
for t in t1 t2; do
    skopeo inspect --raw "oci:$W/jq.oci:$t" >/dev/null || fail "skopeo inspect oci:DIR:$t"
done
"$DISTILL" inspect --ref "$REPO:t2" "$W/jq.oci" >/dev/null || fail "distill inspect --ref $REPO:t2"
sed "s|^name: .*|name: distill-test/other-$$:t1|" "$W/jq.yaml" > "$W/other.yaml"
"$DISTILL" lock -q "$W/other.yaml" && "$DISTILL" build -q "$W/other.yaml" -o "$W/jq.oci" ||
    fail "build other:t1 into the layout"
python3 - "$W/jq.oci" "$$" <<'PY' || fail "the same tag of another name"
import json, sys
m = json.load(open(f"{sys.argv[1]}/index.json"))["manifests"]
names = sorted((e["annotations"]["org.opencontainers.image.ref.name"],
                e["annotations"]["io.containerd.image.name"]) for e in m)
pid = sys.argv[2]
assert names == [("t1", f"docker.io/distill-test/other-{pid}:t1"),
                 ("t2", f"docker.io/distill-test/refs-{pid}:t2")], names
PY
echo "ok   one layout: t1 and t2 side by side; another name's t1 replaces t1"
