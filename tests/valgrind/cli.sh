#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every distill command on small inputs: tar (none, gzip, zstd), deps, lock, build (oci,
# oci-archive, docker-archive), diff, inspect and verify (the builds verify starts run
# natively), each with its expected exit status. Run by valgrind/suite.sh, which puts
# $DISTILL under memcheck: any memcheck error or definite/indirect leak fails the test.
set -euo pipefail
: "${DISTILL:?}"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-valgrind.XXXXXX")
trap 'rm -rf "$W"' EXIT
expect() { # RC ARGS...
    local want=$1 got=0; shift
    "$DISTILL" "$@" > "$W/out" 2> "$W/err" || got=$?
    [ "$got" = "$want" ] || { cat "$W/err"; echo "FAIL: distill $*: exit $got, not $want"; exit 1; }
}
mkdir -p "$W/t/etc" && echo hi > "$W/t/etc/a" && ln -s a "$W/t/etc/l"
for f in t.tar t.tar.gz t.tar.zst; do expect 0 tar "$W/t" -o "$W/$f"; done
expect 0 deps /usr/bin/jq
expect 1 deps /nonexistent
spec=$(cd "$(dirname "$0")/../.." && pwd)/specs/jq.yaml
expect 0 lock "$spec" -o "$W/jq.lock.json"
expect 0 build --lock "$W/jq.lock.json" "$spec" -o "$W/a.oci"
expect 0 build --lock "$W/jq.lock.json" "$spec" -o "$W/b.tar" --format oci-archive --compression zstd
expect 0 build --lock "$W/jq.lock.json" "$spec" -o "$W/c.tar" --format docker-archive
expect 1 diff "$W/a.oci" "$W/b.tar"
expect 0 diff --ignore compression "$W/a.oci" "$W/c.tar"
expect 0 diff --json "$W/t.tar" "$W/t.tar"
expect 1 diff "$W/t.tar.gz" "$W/t.tar.zst"
expect 2 diff "$W/a.oci" "$W/t.tar"
expect 0 inspect "$W/a.oci"
expect 0 inspect --json "$W/c.tar"
expect 0 verify --lock "$W/jq.lock.json" "$spec" --against "$W/a.oci"
expect 2 build
echo "ok: valgrind"
