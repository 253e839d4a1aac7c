#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/tar.sh [DIR]: distill tar vs the best GNU tar pipeline that gives a normalized archive
# and both digests (tar and compressed), for zstd -3 and gzip -6. Each tool runs twice and
# must give the same digests; prints wall time, throughput, peak RSS, sizes and ratios
# against the goals. Never part of the test suite. DISTILL=path overrides the binary.
# Exit 1 only if a tool failed or a run was not deterministic (a MISSed goal exits 0).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(cd "${1:-/usr/lib/x86_64-linux-gnu}" && pwd)
. "$here/bench/lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

# Warm the page cache. Piped through cat: GNU tar skips reading file contents when the
# archive is literally /dev/null.
tar -cf - -C "$DIR" . | cat > /dev/null
bytes=$(du -sb "$DIR" | cut -f1)      # apparent size of the input, for MB/s
echo "input: $DIR, $((bytes / 1048576)) MiB (du -sb), $(nproc) CPUs, $(zstd --version | grep -o 'v[0-9.]*')"

# The GNU side: tar | tee >(sha256sum) | COMPRESSOR | tee OUT | sha256sum. Run by bash -c
# under /usr/bin/time, so %M is the peak RSS of the largest single process of the pipeline
# (not their sum); wall time covers the whole pipeline including the tar digest.
GNU_PIPE='set -euo pipefail
tar --format=posix --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf - . |
  tee >(sha256sum > "$3.tarsum") | $2 | tee "$3" | sha256sum > "$3.sum"
wait   # bash >= 5.1 also waits for the process substitution'

declare -A SECS RSS TSUM CSUM SIZE DET
FAIL=0
# run NAME KIND OUT ARGS...: runs one tool twice; keeps the faster run's time and RSS.
run() {
    local name=$1 kind=$2 out=$3; shift 3
    local i t sums=()
    for i in 1 2; do
        rm -f "$out" "$out.sum" "$out.tarsum"
        if [ "$kind" = distill ]; then
            /usr/bin/time -f '%e %M' -o "$W/time" "$DISTILL" tar "$DIR" -o "$out" -q --json "$@" \
                > "$W/json" 2> "$W/err" || { echo "$name: distill failed:"; cat "$W/err" "$W/time"; exit 1; }
            sums[i]=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["tar"]["sha256"], d["compressed"]["sha256"], d["compressed"]["size"])' "$W/json")
        else
            /usr/bin/time -f '%e %M' -o "$W/time" bash -c "$GNU_PIPE" _ "$DIR" "$*" "$out" \
                2> "$W/err" || { echo "$name: pipeline failed:"; cat "$W/err" "$W/time"; exit 1; }
            sums[i]="$(cut -d' ' -f1 "$out.tarsum") $(cut -d' ' -f1 "$out.sum") $(stat -c %s "$out")"
        fi
        t=$(tail -n1 "$W/time")
        if [ "$i" = 1 ] || awk -v a="${t% *}" -v b="${SECS[$name]}" 'BEGIN{exit !(a < b)}'; then
            SECS[$name]=$(awk -v s="${t% *}" 'BEGIN{print (s < 0.01) ? 0.01 : s}'); RSS[$name]=${t#* }
        fi
    done
    read -r TSUM[$name] CSUM[$name] SIZE[$name] <<< "${sums[1]}"
    if [ "${sums[1]}" = "${sums[2]}" ] && [ -n "${SIZE[$name]}" ]; then DET[$name]=yes; else
        DET[$name]=no; FAIL=1; printf '%s: runs differ (tar sha256, compressed sha256, size):\n  %s\n  %s\n' \
            "$name" "${sums[1]}" "${sums[2]}"
    fi
    rm -f "$out"    # keep at most one archive on disk
}

run distill-zstd distill "$W/X.tar.zst" --compression zstd --level 3
run gnu-zstd gnu "$W/X.gnu.tar.zst" zstd -3 -T2 -q -c
run distill-gzip distill "$W/X.tar.gz" --compression gzip --level 6
run gnu-gzip gnu "$W/X.gnu.tar.gz" gzip -6 -n -c

mbs() { awk -v b="$bytes" -v s="${SECS[$1]}" 'BEGIN{printf "%.1f", b / s / 1e6}'; }
echo
echo "best of 2 runs; MB/s of the input's apparent size; peak RSS = largest single process"
printf '%-14s %9s %9s %14s %17s  %s\n' tool seconds MB/s "peak RSS MiB" "compressed bytes" DETERMINISTIC
for n in distill-zstd gnu-zstd distill-gzip gnu-gzip; do
    printf '%-14s %9.2f %9s %14.1f %17s  %s\n' "$n" "${SECS[$n]}" "$(mbs "$n")" \
        "$(awk -v k="${RSS[$n]}" 'BEGIN{print k / 1024}')" "${SIZE[$n]}" "${DET[$n]}"
done
echo
verdict() { if awk "BEGIN{exit !($1)}"; then echo PASS; else echo MISS; fi; }
zr=$(awk -v a="${SECS[gnu-zstd]}" -v b="${SECS[distill-zstd]}" 'BEGIN{printf "%.2f", a / b}')
gr=$(awk -v a="${SECS[gnu-gzip]}" -v b="${SECS[distill-gzip]}" 'BEGIN{printf "%.2f", a / b}')
zrss=$(awk -v k="${RSS[distill-zstd]}" 'BEGIN{printf "%.1f", k / 1024}')
gd=$(awk -v a="${SIZE[distill-gzip]}" -v b="${SIZE[gnu-gzip]}" 'BEGIN{printf "%+.2f", (a - b) * 100 / b}')
zd=$(awk -v a="${SIZE[distill-zstd]}" -v b="${SIZE[gnu-zstd]}" 'BEGIN{printf "%+.2f", (a - b) * 100 / b}')
printf '%-50s %-22s %s\n' "zstd throughput, distill / GNU pipeline" "${zr}x (goal >= 3x)" "$(verdict "$zr >= 3")"
printf '%-50s %-22s %s\n' "zstd peak RSS, distill" "$zrss MiB (goal < 96)" "$(verdict "$zrss < 96")"
printf '%-50s %-22s %s\n' "gzip throughput, distill / GNU pipeline (gzip -6)" "${gr}x (goal >= 4x)" "$(verdict "$gr >= 4")"
# "within 3%": no more than 3% larger than gzip -6 (smaller is fine).
printf '%-50s %-22s %s\n' "gzip size, distill vs gzip -6" "${gd}% (goal <= +3%)" "$(verdict "$gd <= 3")"
printf '%-50s %s\n' "zstd size, distill vs zstd -3 (no goal)" "${zd}%"
[ "$FAIL" = 0 ] || { echo "a run was not deterministic"; exit 1; }
