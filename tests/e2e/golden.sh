#!/usr/bin/env bash
# golden.sh COMMAND NAME: runs the case tests/e2e/COMMAND/cases/NAME.sh in a fresh directory
# and compares its stdout, stderr and exit status with tests/e2e/COMMAND/golden/NAME.{out,err,rc}.
# UPDATE_GOLDEN=1 rewrites them.
set -uo pipefail
cmd=$1 name=$2
here=$(cd "$(dirname "$0")/$cmd" && pwd)
: "${DISTILL:?set DISTILL to the distill binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/run"
# Same environment for every case: the goldens must not depend on the caller's.
( cd "$work/run" && env -i PATH="$PATH" HOME="$work" LC_ALL=C.UTF-8 TZ=UTC \
    DISTILL="$DISTILL" TESTS="$here/../.." ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" bash -e "$here/cases/$name.sh" \
    >"$work/out" 2>"$work/err"; echo $? >"$work/rc" )
# Temporary paths vary per run.
sed -i "s|$work|\$WORK|g" "$work/out" "$work/err"

g="$here/golden/$name"
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$work/out" "$g.out"; cp "$work/err" "$g.err"; cp "$work/rc" "$g.rc"
    echo "updated $g.{out,err,rc}"
    exit 0
fi
fail=0
for k in out err rc; do
    if ! diff -u --label "$cmd/golden/$name.$k" --label "actual" "$g.$k" "$work/$k"; then
        fail=1
    fi
done
exit $fail
