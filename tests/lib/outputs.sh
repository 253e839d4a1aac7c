#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# outputs.sh DISTILL WORKDIR: runs DISTILL over every spec in specs/ (lock; build in every
# format and compression), over the tar fixtures of tests/lib/mktree.sh, and through diff,
# inspect and deps, and prints one "name sha256" line per output. Two binaries that print
# the same lines make the same bytes: a restructuring is checked by running this before and
# after (`diff <(outputs.sh old W1) <(outputs.sh new W2)`).
set -euo pipefail
DISTILL=$(realpath "$1")
W=$(realpath -m "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
rm -rf "$W"
mkdir -p "$W/specs"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C.UTF-8 TZ=UTC
cp "$repo"/specs/*.yaml "$W/specs/"
sum() { printf '%s %s\n' "$1" "$(sha256sum < "$2" | cut -c1-64)"; }
tree_sum() { # every file of an OCI layout, by its path
    (cd "$2" && find . -type f | LC_ALL=C sort | while read -r f; do
        printf '%s:%s %s\n' "$1" "$f" "$(sha256sum < "$f" | cut -c1-64)"; done)
}

for spec in "$W"/specs/*.yaml; do
    n=$(basename "$spec" .yaml)
    "$DISTILL" lock -q "$spec"
    sum "$n.lock" "$W/specs/$n.lock.json"
    for c in gzip zstd none; do
        "$DISTILL" build -q "$spec" -o "$W/$n.$c.oci" --compression "$c"
        tree_sum "$n.$c.oci" "$W/$n.$c.oci"
        "$DISTILL" build -q "$spec" -o "$W/$n.$c.oci.tar" --format oci-archive --compression "$c"
        sum "$n.$c.oci-archive" "$W/$n.$c.oci.tar"
        "$DISTILL" build -q "$spec" -o "$W/$n.$c.rootfs" --format rootfs --compression "$c"
        sum "$n.$c.rootfs" "$W/$n.$c.rootfs"
    done
    "$DISTILL" build -q "$spec" -o "$W/$n.docker.tar" --format docker-archive
    sum "$n.docker-archive" "$W/$n.docker.tar"
    "$DISTILL" build -q "$spec" -o "$W/$n.json.oci" --json > "$W/$n.build.json"
    sed "s|$W|W|g" "$W/$n.build.json" > "$W/$n.build.json.n"
    sum "$n.build-json" "$W/$n.build.json.n"
    "$DISTILL" build -q "$spec" -o "$W/$n.l9.oci" --compression zstd --level 9 --tag v9
    tree_sum "$n.l9.oci" "$W/$n.l9.oci"
    "$DISTILL" inspect "$W/$n.gzip.oci" | sed "s|$W|W|g" > "$W/$n.inspect"
    sum "$n.inspect" "$W/$n.inspect"
    "$DISTILL" inspect --json "$W/$n.docker.tar" | sed "s|$W|W|g" > "$W/$n.inspect.json"
    sum "$n.inspect-json" "$W/$n.inspect.json"
    "$DISTILL" inspect --tree "$W/$n.zstd.oci.tar" | sed "s|$W|W|g" > "$W/$n.inspect.tree"
    sum "$n.inspect-tree" "$W/$n.inspect.tree"
    "$DISTILL" lock --check --json "$spec" | sed "s|$W|W|g" > "$W/$n.check.json"
    sum "$n.lock-check" "$W/$n.check.json"
done

# A layout holding several images, then another build replacing one of them.
"$DISTILL" build -q "$W/specs/jq.yaml" -o "$W/multi.oci"
"$DISTILL" build -q "$W/specs/xz.yaml" -o "$W/multi.oci"
"$DISTILL" build -q "$W/specs/jq.yaml" -o "$W/multi.oci" --tag other
"$DISTILL" build -q "$W/specs/jq.yaml" -o "$W/multi.oci" --compression zstd
tree_sum multi.oci "$W/multi.oci"

# diff: every pair of kinds, text and JSON.
d() { # name A B [options]
    local name=$1 a=$2 b=$3; shift 3
    "$DISTILL" diff "$@" "$a" "$b" 2>&1 | sed "s|$W|W|g" > "$W/$name.diff" || true
    sum "$name.diff" "$W/$name.diff"
    "$DISTILL" diff --json "$@" "$a" "$b" 2>&1 | sed "s|$W|W|g" > "$W/$name.diff.json" || true
    sum "$name.diff-json" "$W/$name.diff.json"
}
d gz-zst "$W/curl.gzip.oci" "$W/curl.zstd.oci"
d gz-none "$W/curl.gzip.oci" "$W/curl.none.oci.tar"
d oci-docker "$W/curl.none.oci" "$W/curl.docker.tar"
d curl-jq "$W/curl.gzip.oci" "$W/jq.gzip.oci"
d curl-jq-ign "$W/curl.gzip.oci" "$W/jq.gzip.oci" --ignore timestamps,order,owners,compression,history
d rootfs "$W/curl.gzip.rootfs" "$W/jq.zstd.rootfs"
d multi "$W/multi.oci" "$W/jq.gzip.oci" --ref-a distill/jq:other
SOURCE_DATE_EPOCH=1 "$DISTILL" build -q "$W/specs/jq.yaml" -o "$W/jq.e1.oci"
d epoch "$W/jq.gzip.oci" "$W/jq.e1.oci"

# tar: the edge-case tree, every compression and option.
# shellcheck source=mktree.sh
. "$here/mktree.sh"
MKTREE_NS=1 mktree "$W/tree" forward >/dev/null
for c in none gzip zstd; do
    "$DISTILL" tar -q "$W/tree" -o "$W/t.$c" --compression "$c"
    sum "tar.$c" "$W/t.$c"
done
"$DISTILL" tar -q "$W/tree" -o "$W/t.opts.tar.zst" --level 11 --mtime set --owner 7:8 \
    --keep-modes --exclude '*.txt' --exclude 'a/b' --prefix opt/app/
sum tar.options "$W/t.opts.tar.zst"
"$DISTILL" tar "$W/tree" -o - --compression gzip --json 2>"$W/t.json" | sha256sum | sed 's/ .*//;s/^/tar.stdout /'
sum tar.json "$W/t.json"
d tar-diff "$W/t.none" "$W/t.opts.tar.zst"

# deps: text, tree and JSON.
for b in /usr/bin/curl /usr/bin/cppcheck /usr/bin/python3; do
    [ -e "$b" ] || continue
    n=$(basename "$b")
    "$DISTILL" deps "$b" > "$W/$n.deps"; sum "deps.$n" "$W/$n.deps"
    "$DISTILL" deps --tree "$b" > "$W/$n.deps.tree"; sum "deps-tree.$n" "$W/$n.deps.tree"
    "$DISTILL" deps --json "$b" > "$W/$n.deps.json"; sum "deps-json.$n" "$W/$n.deps.json"
done
