#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# suite.sh SCRIPT [ARGS...]: runs one of the suite's tests (bash, or python3 for .py) with
# DISTILL replaced by distill under valgrind memcheck (a wrapper script, so tests that clear
# the environment keep it). The test must pass, and memcheck must report nothing for any distill process
# it started: no error, no definite or indirect leak. Expected failures of distill (exit 1
# or 2) stay what they are; memcheck's findings go to one log per process, checked here.
set -uo pipefail
: "${DISTILL:?}" "${VALGRIND:?}"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-vgsuite.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir "$W/logs"
chmod 755 "$W" && chmod 1777 "$W/logs"   # cases run distill as nobody too
cat > "$W/distill" <<SH
#!/bin/sh
exec "$VALGRIND" --quiet --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --log-file="$W/logs/vg.%p" "$DISTILL" "\$@"
SH
chmod +x "$W/distill"
case $1 in *.py) run=python3 ;; *) run=bash ;; esac
DISTILL="$W/distill" "$run" "$@"
rc=$?
n=$(ls "$W/logs" | wc -l)
bad=0
for f in "$W"/logs/vg.*; do
    # memcheck's reports are "==PID==" lines; "--PID--" lines are valgrind's own notes
    # (valgrind 3.19 does not know openat2, which distill then does without)
    grep -q '^==' "$f" || continue
    bad=1
    echo "memcheck ($f):"
    cat "$f"
done
[ "$n" -gt 0 ] || { echo "FAIL: no distill process ran under valgrind"; exit 1; }
[ $rc = 0 ] || { echo "FAIL: the test failed under valgrind (exit $rc)"; exit 1; }
[ $bad = 0 ] || { echo "FAIL: memcheck reported errors or leaks"; exit 1; }
echo "ok: $n distill processes under memcheck, nothing reported"
