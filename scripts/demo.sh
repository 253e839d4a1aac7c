#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo: makes a distroless image of this machine's curl from specs/curl.yaml, twice,
# under different umask, timezone, locale, working directory, CPU count and output path;
# shows that both have the same digests, and runs both with podman as the nonroot user; then
# distill verify rebuilds it three more times and against the first, distill diff explains a
# rebuild with another SOURCE_DATE_EPOCH, and distill inspect shows the owning packages;
# last, jq's image is locked --hermetic, its .debs fetched, and built from them alone with
# the digest of the build from the host's files.
set -eu
DISTILL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/distill-demo.XXXXXX")
ids=""
cleanup() { [ -z "$ids" ] || podman rmi -f $ids >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
export SOURCE_DATE_EPOCH=1700000000
cp "$repo/specs/curl.yaml" "$work/curl.yaml"

echo "== distill demo: a distroless curl image from specs/curl.yaml, built twice"
echo
echo "-- distill lock: pin every input (sha256, mode, owner, Debian package)"
"$DISTILL" lock "$work/curl.yaml"
echo
echo "-- build 1: umask 022, TZ=UTC, LC_ALL=C.UTF-8"
(umask 022; cd "$work" && TZ=UTC LC_ALL=C.UTF-8 "$DISTILL" build curl.yaml -o one.oci)
echo
echo "-- build 2: umask 077, TZ=Asia/Kolkata, LC_ALL=tr_TR.UTF-8, one CPU, another cwd and path"
mkdir -p "$work/elsewhere/deeper"
(umask 077; cd "$work/elsewhere" && TZ=Asia/Kolkata LC_ALL=tr_TR.UTF-8 \
    taskset -c 0 "$DISTILL" build ../curl.yaml -o deeper/two.oci)
echo
a=$(sha256sum "$work/one.oci/index.json" | cut -d' ' -f1)
b=$(sha256sum "$work/elsewhere/deeper/two.oci/index.json" | cut -d' ' -f1)
if diff -r "$work/one.oci" "$work/elsewhere/deeper/two.oci" >/dev/null; then
    echo "identical: index.json sha256:$a in both, and every blob the same bytes"
else
    echo "DIFFERENT (index sha256:$a vs sha256:$b): this is a bug, please report it"; exit 1
fi
echo
if command -v podman >/dev/null && [ "$(id -u)" = 0 ]; then
    for img in one.oci elsewhere/deeper/two.oci; do
        id="localhost/distill-demo/curl-$(basename "$img" .oci):latest"
        skopeo copy -q "oci:$work/$img" "containers-storage:$id"
        ids="$ids $id"
        echo "-- podman run $img (image $id, user $(podman image inspect --format '{{.Config.User}}' "$id"))"
        podman --runtime runc run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
            "$id" --version | head -2
    done
else
    echo "(podman runs need root and podman: skipped)"
fi
echo
echo "-- the image's files: $(tar -tzf "$work/one.oci/blobs/sha256/$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:]; print(json.load(open(sys.argv[1]+"/blobs/sha256/"+m))["layers"][0]["digest"][7:])' "$work/one.oci")" | wc -l) paths in the base layer"
echo
echo "-- distill verify: three more rebuilds, each a fresh process under other conditions"
"$DISTILL" verify "$work/curl.yaml" --runs 3 2>&1
echo
echo "-- distill verify --against: the rebuilder's check of a published image"
"$DISTILL" verify "$work/curl.yaml" --against "$work/one.oci" 2>&1
echo
echo "-- distill diff: the same spec built with another SOURCE_DATE_EPOCH, explained"
"$DISTILL" build -q "$work/curl.yaml" -o "$work/later.oci" --source-date-epoch 1732000000
"$DISTILL" diff "$work/one.oci" "$work/later.oci" > "$work/diff.txt" || true
head -8 "$work/diff.txt"; echo "  ..."; tail -1 "$work/diff.txt"
"$DISTILL" diff --ignore timestamps "$work/one.oci" "$work/later.oci" | tail -1
echo
echo "-- distill inspect: files and their Debian packages"
"$DISTILL" inspect "$work/one.oci" | grep -m 6 '\[' || true
echo
echo "-- hermetic: jq's image rebuilt from the .debs its lock pins, none of the machine's files"
cp "$repo/specs/jq.yaml" "$work/jq.yaml"
if "$DISTILL" lock -q --hermetic "$work/jq.yaml" 2> "$work/hermetic.err"; then
    jq_debs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["installed"]))' "$work/jq.lock.json")
    echo "locked: $jq_debs .deb files pinned from the apt sources (name, version, sha256, URL)"
    "$DISTILL" fetch --cache "$work/cache" "$work/jq.yaml"
    "$DISTILL" build -q "$work/jq.yaml" -o "$work/jq-host.oci"
    "$DISTILL" build -q --inputs debs --cache "$work/cache" "$work/jq.yaml" -o "$work/jq-debs.oci"
    h=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/jq-host.oci/index.json")
    d=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/jq-debs.oci/index.json")
    if [ "$h" = "$d" ]; then
        echo "identical: $h from the host's files and from the .debs"
    else
        echo "DIFFERENT ($h vs $d): this is a bug, please report it"; exit 1
    fi
else
    sed 's/^/  /' "$work/hermetic.err" | head -4
    echo "(the apt sources do not offer what is installed here: the hermetic step is skipped)"
fi
