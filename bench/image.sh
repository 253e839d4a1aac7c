#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/image.sh: distill build vs the same image made by hand with umoci (init, new,
# unpack, copy the same files into the bundle, repack), for the curl image of specs/ and a
# large image (a directory over 300 MB: /usr/lib/llvm-14 by default, BIG_DIR= to change).
# Both sides write gzip layers. Prints wall time, peak RSS and the ratio against the goals
# (3x on curl, 4x on the large one). Never part of the test suite. Needs root and umoci.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/lib.sh"
BIG_DIR=${BIG_DIR:-/usr/lib/llvm-14}
command -v umoci >/dev/null || { echo "needs umoci (scripts/setup.sh)"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000

measure() { # LABEL CMD...: runs CMD under /usr/bin/time; prints "seconds peak-KiB"
    local label=$1; shift
    /usr/bin/time -f '%e %M' -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err"; echo "$label failed"; exit 1; }
    cat "$W/time"
}

# umoci by hand: a layout, an empty image, unpack, the files copied in, repack.
umoci_image() { # LIST OUTDIR: LIST holds the absolute paths to copy (files, symlinks, dirs)
    local list=$1 out=$2
    umoci init --layout "$out"
    umoci new --image "$out:img"
    umoci unpack --image "$out:img" "$out.bundle"
    sed 's|^/||' "$list" | (cd / && xargs -d '\n' cp -P -a --parents -t "$out.bundle/rootfs")
    umoci repack --image "$out:img" "$out.bundle"
}
export -f umoci_image

run() { # NAME SPEC GOAL
    local name=$1 spec=$2 goal=$3 d u
    "$DISTILL" lock -q "$spec"
    # the same paths distill packs, for umoci
    python3 -c 'import json,sys; [print(f["path"]) for f in json.load(open(sys.argv[1]))["files"] if f["source"].startswith("host:") and f["type"] != "dir"]' \
        "${spec%.yaml}.lock.json" > "$W/$name.list"
    d=$(measure "distill" "$DISTILL" build -q --no-cache "$spec" -o "$W/$name-distill.oci") # warms the page cache
    rm -rf "$W/$name-distill.oci"
    d=$(measure "distill" "$DISTILL" build -q --no-cache "$spec" -o "$W/$name-distill.oci")
    u=$(measure "umoci" bash -c 'umoci_image "$0" "$1"' "$W/$name.list" "$W/$name-umoci")
    local bytes; bytes=$(du -sb "$W/$name-umoci.bundle/rootfs" | cut -f1)
    python3 - "$name" "$bytes" "$goal" $d $u <<'PY'
import sys
name, size, goal = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
dt, dk, ut, uk = float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
ratio = ut / dt if dt else float("inf")
print(f"{name:6} {size/1048576:8.1f} MiB   distill {dt:6.2f} s {dk/1024:6.0f} MiB   "
      f"umoci {ut:6.2f} s {uk/1024:6.0f} MiB   {ratio:5.1f}x (goal {goal:.0f}x: {'PASS' if ratio >= goal else 'MISS'})")
PY
}

cp "$here/specs/curl.yaml" "$W/curl.yaml"
cat > "$W/big.yaml" <<Y
name: bench/big:1
platform: linux/amd64
files:
  - {src: $BIG_DIR, dst: $BIG_DIR}
Y
echo "image  content      distill (time, peak RSS)   umoci by hand (time, peak RSS)   ratio"
run curl "$W/curl.yaml" 3
run big "$W/big.yaml" 4
