#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rebuilds at the speed of the change (issue 19): a large image (llvm's opt, 0.3 MB, over
# libLLVM and the rest of its closure, over 150 MB) built first into a new layout, then
# rebuilt with `distill build` alone against the committed lock after a change to the app
# only (project files are pinned by path, so no relock), into the same layout; and the
# no-op rebuild of the curl image. Runs are interleaved (first, changed, no-op, N times)
# and the medians printed with the ratio and the goals (8x; under 0.15 s), PASS or MISS.
# Each first build starts from an empty cache (--cache in the work directory, never the
# user's), so it pays for filling it; the rebuilds use what it kept.
#   bash bench/rebuild.sh [N]        (default 5; DISTILL=path overrides the binary)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/lib.sh"
N=${1:-5}
OPT=${OPT:-/usr/lib/llvm-14/bin/opt}
[ -x "$OPT" ] || { echo "skipped: needs $OPT (apt-get install llvm-14)"; exit 0; }
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
mkdir app
cp "$OPT" app/opt
cat > opt.yaml <<Y
name: bench/opt:1
binaries:
  - {path: ./app/opt, dst: /app/opt}
config:
  entrypoint: [/app/opt]
Y
cp "$here/specs/curl.yaml" curl.yaml
"$DISTILL" lock -q --no-pin-debs opt.yaml
"$DISTILL" lock -q --no-pin-debs curl.yaml 2>/dev/null
"$DISTILL" build -q curl.yaml -o curl.oci --cache "$W/cache-curl" 2>/dev/null
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
first=() changed=() noop=()
for i in $(seq "$N"); do
    rm -rf opt.oci "$W/cache"          # a first build: a new layout, an empty cache
    first+=("$(ms "$DISTILL" build -q opt.yaml -o opt.oci --cache "$W/cache")")
    printf 'change %d\n' "$i" >> app/opt   # the app changes; its libraries do not
    changed+=("$(ms "$DISTILL" build -q opt.yaml -o opt.oci --cache "$W/cache")")
    noop+=("$(ms "$DISTILL" build -q curl.yaml -o curl.oci --cache "$W/cache-curl")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
f=$(median "${first[@]}") c=$(median "${changed[@]}") z=$(median "${noop[@]}")
size=$(du -sb opt.oci | cut -f1)
printf '| build | median of %d | runs (ms) |\n| --- | --- | --- |\n' "$N"
printf '| first build, opt over libLLVM (%s MB layout) | %d ms | %s |\n' $((size / 1000000)) "$f" "${first[*]}"
printf '| rebuild after an app-only change | %d ms | %s |\n' "$c" "${changed[*]}"
printf '| no-op rebuild, curl | %d ms | %s |\n' "$z" "${noop[*]}"
ratio=$(awk -v a="$f" -v b="$c" 'BEGIN {printf "%.2f", a / b}')
awk -v r="$ratio" 'BEGIN {exit !(r >= 8)}' && v=PASS || v=MISS
echo "- app-only rebuild: ${ratio}x faster than the first build (goal 8x): $v"
[ "$z" -lt 150 ] && v=PASS || v=MISS
echo "- no-op rebuild of curl: $z ms (goal under 150 ms): $v"
