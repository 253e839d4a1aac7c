#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# suite.sh SCRIPT [ARGS...]: runs one of the suite's tests (bash, or python3 for .py) with
# DISTILL replaced by distill under valgrind memcheck (a wrapper script, so tests that clear
# the environment keep it). The test must pass, and memcheck must report nothing for any distill process
# it started: no error, no definite or indirect leak. Expected failures of distill (exit 1
# or 2) stay what they are; memcheck's findings go to one log per process, checked here.
# A test that stops a process with a signal marks it (touch $DISTILL_VG_LOGS/stopped.PID):
# memory that only its registers pointed to when it died is not a leak; its errors still count.
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
DISTILL="$W/distill" DISTILL_VG_LOGS="$W/logs" "$run" "$@"
rc=$?
n=$(find "$W/logs" -name 'vg.*' | wc -l)
bad=0
for f in "$W"/logs/vg.*; do
    # memcheck's reports are "==PID==" lines; "--PID--" lines are valgrind's own notes
    # (valgrind 3.19 does not know openat2, which distill then does without)
    if [ -e "$W/logs/stopped.${f##*.}" ]; then
        # records are separated by an empty "==PID== " line; leak records are dropped
        report=$(grep '^==' "$f" | awk '
            /^==[0-9]+== *$/ { if (rec !~ /lost in loss record/) printf "%s", rec; rec = ""; next }
            { rec = rec $0 "\n" }
            END { if (rec !~ /lost in loss record/) printf "%s", rec }')
    else
        report=$(grep '^==' "$f" || true)
    fi
    [ -n "$report" ] || continue
    bad=1
    echo "memcheck ($f):"
    printf '%s\n' "$report"
done
[ "$n" -gt 0 ] || { echo "FAIL: no distill process ran under valgrind"; exit 1; }
[ $rc = 0 ] || { echo "FAIL: the test failed under valgrind (exit $rc)"; exit 1; }
[ $bad = 0 ] || { echo "FAIL: memcheck reported errors or leaks"; exit 1; }
echo "ok: $n distill processes under memcheck, nothing reported"
