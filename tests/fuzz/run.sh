#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh FUZZER SECONDS SEED...: runs a libFuzzer target for a bounded time on a corpus made
# at test time from the SEED files (real files of this machine, never committed blobs) plus
# the regression inputs in tests/fuzz/regressions/<target>/. Prints executions and time.
set -euo pipefail
fuzzer=$1 secs=$2; shift 2
name=$(basename "$fuzzer")
[ -x "$fuzzer" ] || { echo "FAIL: no fuzz target at $fuzzer"; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-fuzz.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/corpus"
# A SEED is a file, a directory of files, or a *.sh script that writes seeds into the
# directory it is given (e.g. .deb files made with dpkg-deb).
for s in "$@"; do
    if [ -d "$s" ]; then
        for f in "$s"/*; do
            case $f in *.sh) bash "$f" "$W/corpus" ;; *) [ -f "$f" ] && cp "$f" "$W/corpus/" ;; esac
        done
    elif [ -f "$s" ]; then cp "$s" "$W/corpus/"; fi
done
if [ -d "$here/regressions/$name" ]; then cp "$here/regressions/$name"/* "$W/corpus/" 2>/dev/null || true; fi
cd "$W"
rc=0
"$fuzzer" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$W/" corpus > "$W/log" 2>&1 || rc=$?
grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|Done|ERROR|SUMMARY' "$W/log" || true
# A problem met while reading the seeds leaves no artifact: the exit status and the log tell.
if [ $rc != 0 ] || grep -q 'ERROR: ' "$W/log"; then
    grep -B2 -A30 -m1 'ERROR: ' "$W/log" || tail -30 "$W/log"
    echo "FAIL: $name exited $rc"
    if ls "$W"/crash-* "$W"/leak-* "$W"/timeout-* >/dev/null 2>&1; then
        mkdir -p "$here/found"; cp "$W"/crash-* "$W"/leak-* "$W"/timeout-* "$here/found/" 2>/dev/null || true
    fi
    exit 1
fi
if ls "$W"/crash-* "$W"/leak-* "$W"/timeout-* >/dev/null 2>&1; then
    echo "FAIL: $name found a problem; keep the input as a regression:"; ls "$W"/crash-* "$W"/leak-* "$W"/timeout-* 2>/dev/null
    mkdir -p "$here/found"; cp "$W"/crash-* "$W"/leak-* "$W"/timeout-* "$here/found/" 2>/dev/null || true
    exit 1
fi
echo "ok   $name: no crash in $secs s"
