#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/tar.sh [DIR]: distill tar vs the best GNU tar pipeline that gives a normalized archive
# and both digests, for zstd -3 and gzip -6. Checks both are deterministic (two runs each),
# prints wall time, throughput, peak RSS, sizes and ratios against the goals. Never part of
# the test suite. DISTILL=path overrides the binary.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-/usr/lib/x86_64-linux-gnu}
DISTILL=${DISTILL:-$here/build/distill}
[ -x "$DISTILL" ] || { cmake -S "$here" -B "$here/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build "$here/build" -j2 >/dev/null; }
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=0

GNU_TAR=(tar --format=posix --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner
         --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$DIR" -cf - .)
bytes=$(tar -cf - -C "$DIR" . | wc -c)   # also warms the page cache
echo "input: $DIR, $((bytes / 1048576)) MiB of tar, $(nproc) CPUs"
echo

# measure NAME CMD...: runs CMD twice; records seconds, peak RSS (KiB) and the digest line.
# %M is the largest single process of the command; for a pipeline that is its largest stage.
declare -A SECS RSS SUM
FAIL=0
measure() {
    local name=$1; shift
    local out1 out2 t
    for run in 1 2; do
        /usr/bin/time -f '%e %M' -o "$W/time" bash -c '"$@"' _ "$@" > "$W/sum$run"
        t=$(cat "$W/time")
        if [ $run = 1 ] || awk -v a="${t% *}" -v b="${SECS[$name]}" 'BEGIN{exit !(a<b)}'; then
            SECS[$name]=${t% *}; RSS[$name]=${t#* }
        fi
    done
    out1=$(cat "$W/sum1"); out2=$(cat "$W/sum2")
    SUM[$name]=$out1
    if [ "$out1" = "$out2" ]; then det=yes; else det=NO; FAIL=1; fi
    printf '%-14s %7.2f s %8.1f MB/s %7.1f MiB  deterministic: %s\n' "$name" "${SECS[$name]}" \
        "$(awk -v b="$bytes" -v s="${SECS[$name]}" 'BEGIN{print b/s/1e6}')" \
        "$(awk -v k="${RSS[$name]}" 'BEGIN{print k/1024}')" "$det"
}

# distill: one process, both digests and the size, output discarded like the pipeline's.
distill_run() { "$DISTILL" tar "$DIR" -o /dev/null -q --json "$@" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["tar"]["sha256"], d["compressed"]["sha256"], d["compressed"]["size"])'; }
# GNU: tar | tee >(sha256sum) | COMPRESSOR | tee >(wc -c) | sha256sum
gnu_run() { bash -c '"${@:2}" | tee >(sha256sum | cut -d" " -f1 > "$0/tarsum") | $1 |
    tee >(wc -c > "$0/size") | sha256sum | cut -d" " -f1 > "$0/blobsum"
    wait; sleep 0.1; echo "$(cat "$0/tarsum") $(cat "$0/blobsum") $(cat "$0/size")"' "$W" "$@"; }
export -f gnu_run distill_run; export DISTILL DIR W

printf '%-14s %9s %13s %11s\n' tool time throughput "peak RSS"
measure distill-zstd distill_run --compression zstd --level 3
measure gnu-zstd gnu_run "zstd -3 -T2 -q -c" "${GNU_TAR[@]}"
measure distill-gzip distill_run --compression gzip --level 6
measure gnu-gzip gnu_run "gzip -6 -n -c" "${GNU_TAR[@]}"
echo

ratio() { awk -v a="${SECS[$2]}" -v b="${SECS[$1]}" 'BEGIN{printf "%.2f", a/b}'; }
size() { echo "${SUM[$1]}" | awk '{print $3}'; }
zr=$(ratio distill-zstd gnu-zstd); gr=$(ratio distill-gzip gnu-gzip)
zrss=$(awk -v k="${RSS[distill-zstd]}" 'BEGIN{printf "%.1f", k/1024}')
gsize=$(awk -v a="$(size distill-gzip)" -v b="$(size gnu-gzip)" 'BEGIN{printf "%+.2f", (a-b)*100/b}')
verdict() { if awk "BEGIN{exit !($1)}"; then echo PASS; else echo MISS; fi; }
echo "zstd: distill is ${zr}x the GNU pipeline (goal >= 3x): $(verdict "$zr >= 3")"
echo "zstd: distill peak RSS ${zrss} MiB (goal < 96 MiB): $(verdict "$zrss < 96")"
echo "gzip: distill is ${gr}x the GNU pipeline with gzip -6 (goal >= 4x): $(verdict "$gr >= 4")"
echo "gzip: distill size $(size distill-gzip) vs gzip -6 $(size gnu-gzip): ${gsize}% (goal within 3%): $(verdict "${gsize#[+-]} <= 3")"
echo "zstd sizes: distill $(size distill-zstd), GNU $(size gnu-zstd)"
[ "$FAIL" = 0 ] || { echo "a run was not deterministic"; exit 1; }
