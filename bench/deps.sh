#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/deps.sh: every dynamic ELF of /usr/bin and /usr/sbin resolved by distill in one
# process, vs `ld.so --list` once per file, vs lddtree (pax-utils) once per file. Prints
# times and ratios. Goal: distill at least 10x faster than ld.so --list over the set.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/lib.sh"
LDSO=/lib64/ld-linux-x86-64.so.2
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

for f in /usr/bin/* /usr/sbin/*; do
    [ -f "$f" ] && [ ! -L "$f" ] && "$LDSO" --verify "$f" >/dev/null 2>&1 && echo "$f"
done > "$W/files" || true
n=$(wc -l < "$W/files")
echo "input: $n dynamic ELF files of /usr/bin and /usr/sbin, $(nproc) CPUs"
# t CMD...: best wall time of three runs, after one untimed run that warms the page cache
# (inputs and every library both tools read).
t() {
    local best="" s e d
    "$@" > /dev/null 2>&1 || true
    for _ in 1 2 3; do
        s=$(date +%s.%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s.%N)
        d=$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.3f", e-s}')
        if [ -z "$best" ] || awk -v a="$d" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$d; fi
    done
    echo "$best"
}
td=$(t xargs -a "$W/files" "$DISTILL" deps --runtime off --allow-missing)
tl=$(t bash -c 'while read -r f; do '"$LDSO"' --list "$f"; done < '"$W/files")
printf '%-34s %8s s\n' "distill deps, one process" "$td" "ld.so --list, once per file" "$tl"
awk -v a="$tl" -v b="$td" 'BEGIN{r=a/b; printf "distill is %.1fx faster than ld.so --list (goal >= 10x): %s\n", r, (r >= 10) ? "PASS" : "MISS"}'
if command -v lddtree >/dev/null; then
    s0=$(date +%s.%N); bash -c 'while read -r f; do lddtree "$f"; done < '"$W/files" >/dev/null 2>&1 || true
    tt=$(awk -v s="$s0" -v e="$(date +%s.%N)" 'BEGIN{printf "%.3f", e-s}')   # one run: it is slow
    printf '%-34s %8s s\n' "lddtree, once per file" "$tt"
    awk -v a="$tt" -v b="$td" 'BEGIN{printf "distill is %.1fx faster than lddtree\n", a/b}'
else
    echo "lddtree: not installed (apt-get install pax-utils)"
fi
