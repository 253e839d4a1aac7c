#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/diff.sh: distill diff vs diffoscope on the same pair of images of a few hundred MB
# (the files of BIG_DIR, /usr/lib/llvm-14 by default, plus a small directory) that differ in
# a handful of entries: 3 contents, 1 mode, 1 added, 1 removed. The pair is given to both
# tools as rootfs tarballs (.tar.gz of the whole filesystem): diffoscope does not look inside
# the blobs of two OCI archives (their names are digests, so it sees only added and removed
# files), so the archives are timed for distill alone. Prints wall time, peak RSS and the
# ratio against the goals (>= 10x faster than diffoscope, distill under 64 MiB), and checks
# that both tools name the changes. Never part of the test suite.
# Needs diffoscope (Debian package diffoscope-minimal; scripts/setup.sh installs it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/lib.sh"
BIG_DIR=${BIG_DIR:-/usr/lib/llvm-14}
TIMEOUT=${TIMEOUT:-1200}
command -v diffoscope >/dev/null || { echo "needs diffoscope (apt-get install diffoscope-minimal)"; exit 1; }
[ -d "$BIG_DIR" ] || { echo "no $BIG_DIR: set BIG_DIR to a directory of a few hundred MB"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000

# Two small directories that differ in six entries.
for side in a b; do
    mkdir -p "$W/$side/small"
    for i in $(seq 1 20); do seq 1 "$((i * 100))" > "$W/$side/small/f$i.txt"; done
    chmod 644 "$W/$side/small/"*
    cat > "$W/$side/spec.yaml" <<Y
name: bench/diff:$side
platform: linux/amd64
files:
  - {src: $BIG_DIR, dst: /big}
  - {src: ./small, dst: /small}
Y
done
echo changed >> "$W/b/small/f1.txt"; echo changed >> "$W/b/small/f2.txt"; echo changed >> "$W/b/small/f3.txt"
chmod 755 "$W/b/small/f4.txt"
echo new > "$W/b/small/added.txt"
rm "$W/b/small/f5.txt"
for side in a b; do
    "$DISTILL" build -q --no-cache --no-lock "$W/$side/spec.yaml" -o "$W/$side.tar" --format oci-archive
    "$DISTILL" build -q --no-cache --no-lock "$W/$side/spec.yaml" -o "$W/$side.tar.gz" --format rootfs
done
size=$(du -sb "$BIG_DIR" | cut -f1)

measure() { # OUT CMD...: wall seconds and peak KiB of CMD into OUT.time; its stdout in OUT
    local out=$1; shift
    /usr/bin/time -f '%e %M' -o "$out.time" "$@" > "$out" 2> "$out.err" || true
}
"$DISTILL" diff -q "$W/a.tar" "$W/b.tar" || true      # warms the page cache
measure "$W/distill-oci.out" "$DISTILL" diff "$W/a.tar" "$W/b.tar"
measure "$W/distill.out" "$DISTILL" diff "$W/a.tar.gz" "$W/b.tar.gz"
for p in "small/f1.txt: content" "small/f2.txt: content" "small/f3.txt: content" \
         "small/f4.txt: mode 0644 -> 0755" "small/added.txt: added" "small/f5.txt: removed"; do
    for o in distill distill-oci; do
        grep -qF "$p" "$W/$o.out" || { cat "$W/$o.out"; echo "distill diff missed '$p'"; exit 1; }
    done
done
lines=$(grep -c '^  ' "$W/distill.out")
measure "$W/diffoscope.out" timeout "$TIMEOUT" diffoscope --no-progress --text - "$W/a.tar.gz" "$W/b.tar.gz"
grep -q "small/f1.txt" "$W/diffoscope.out" || { tail -5 "$W/diffoscope.out.err"; echo "diffoscope did not report the change (see above)"; }
python3 - "$size" "$lines" "$W/distill.out.time" "$W/diffoscope.out.time" "$TIMEOUT" "$W/distill-oci.out.time" <<'PY'
import sys
size, lines = int(sys.argv[1]), int(sys.argv[2])
dt, dk = open(sys.argv[3]).read().split()[-2:]  # after "Command exited with ..." if any
ot, ok = open(sys.argv[4]).read().split()[-2:]
dt, dk, ot, ok = float(dt), int(dk), float(ot), int(ok)
bound = ">=" if ot >= float(sys.argv[5]) - 1 else ""
ratio = ot / dt if dt else float("inf")
at, ak = open(sys.argv[6]).read().split()[-2:]
print(f"pair: 2 images of {size / 1048576:.0f} MiB of files, {lines} differences named")
print(f"distill diff, rootfs .tar.gz  {dt:8.2f} s  {dk / 1024:7.1f} MiB peak RSS")
print(f"diffoscope,   rootfs .tar.gz  {bound}{ot:7.2f} s  {ok / 1024:7.1f} MiB peak RSS")
print(f"distill diff, OCI archives    {float(at):8.2f} s  {int(ak) / 1024:7.1f} MiB peak RSS")
print(f"ratio {bound}{ratio:.1f}x (goal 10x: {'PASS' if ratio >= 10 else 'MISS'}); "
      f"distill peak RSS {dk / 1024:.1f} MiB (goal < 64 MiB: {'PASS' if dk < 64 * 1024 else 'MISS'})")
PY
