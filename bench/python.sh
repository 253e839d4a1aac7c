#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/python.sh: the cost of Python imports in the image of specs/apps/python.yaml against
# the same imports on the host (goal: at most 1.3x). Each side runs the same program, which
# times its own imports with time.perf_counter (so container start-up is not counted), in
# fresh processes, interleaved host/image, RUNS times each (default 11); prints the medians
# and their ratio, and whether `python3 -v` in the image reports stale bytecode. Never part
# of the test suite. Needs root, podman and skopeo.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/lib.sh"
RUNS=${RUNS:-11}
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-bench.XXXXXX")
IMG="localhost/distill-bench/python:$$"
trap 'podman rmi -f "$IMG" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
cp -r "$here/specs/apps" "$W/apps"
"$DISTILL" lock -q "$W/apps/python.yaml"
"$DISTILL" build -q --no-cache "$W/apps/python.yaml" -o "$W/python.oci"
skopeo copy -q "oci:$W/python.oci" "containers-storage:$IMG" 2>/dev/null
prog='import time
t = time.perf_counter()
import json, http.server, urllib.request, email.parser, decimal, sqlite3, ssl, asyncio, yaml
print(f"{(time.perf_counter() - t) * 1000:.2f}")'
pod() { podman --runtime runc run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    --entrypoint /usr/bin/python3 "$IMG" "$@"; }
# the host's own bytecode, as it is (run once so that any missing .pyc of the host is written)
/usr/bin/python3 -c "$prog" >/dev/null
pod -c "$prog" >/dev/null 2>&1
: > "$W/host"; : > "$W/image"
for i in $(seq "$RUNS"); do
    /usr/bin/python3 -c "$prog" >> "$W/host"
    pod -c "$prog" >> "$W/image" 2>/dev/null
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
h=$(median "$W/host"); m=$(median "$W/image")
pod -v -c 'import json, http.server, urllib.request, email.parser, decimal, sqlite3, ssl, asyncio, yaml' > "$W/v" 2>&1
grep -q 'matches /usr/lib/python3.11/json/__init__.py' "$W/v" || { echo "python -v printed nothing useful:"; cat "$W/v"; exit 1; }
stale=$(grep -ci 'bytecode is stale' "$W/v" || true)
awk -v h="$h" -v m="$m" -v s="$stale" -v n="$RUNS" 'BEGIN {
    printf "python imports, median of %d interleaved runs:\n  host   %8.2f ms\n  image  %8.2f ms\n", n, h, m
    r = m / h
    printf "  ratio  %8.2fx (goal <= 1.30x: %s)\n  stale bytecode in the image: %d module(s)\n", r, r <= 1.3 ? "PASS" : "MISS", s
}'
