#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Signals: a build, a tarball or a verify stopped by SIGINT, SIGTERM or SIGHUP (Ctrl-C, a CI
# timeout, a closed terminal) at random points dies of that signal with its output absent (or
# the previous one untouched) or complete, and leaves no temporary behind; verify stops its
# build first. A signal ignored on entry (nohup) stays ignored.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v skopeo >/dev/null || { echo "skipped: needs skopeo"; exit 0; }
# 30 stops per kind of output; 6 in the light variant (DISTILL_TEST_LIGHT=1, under memcheck)
if [ -n "${DISTILL_TEST_LIGHT:-}" ]; then STOPS=${STOPS:-6}; else STOPS=${STOPS:-30}; fi
spec="$repo/specs/jq.yaml"
lock="$W/jq.lock.json"
"$DISTILL" lock -q "$spec" -o "$lock"
tree="$W/tree"
mkdir "$tree"
cp -r /usr/share/zoneinfo "$tree/"
SIGS=(TERM INT HUP)

# start SIG CMD...: CMD in the background with SIG at its default action (a script's
# background jobs ignore SIGINT), $pid the distill process itself.
start() {
    local sig=$1; shift
    env --default-signal="$sig" "$@" & pid=$!
}

# stop SIG MS: sends SIG to $pid after MS milliseconds; $rc is its exit status, which must be
# 0 (done before the signal) or death by SIG.
stop() {
    local sig=$1 ms=$2 want
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -s "$sig" "$pid" 2>/dev/null || true
    # under memcheck (tests/valgrind/suite.sh) a process stopped mid-work holds memory that
    # only its registers pointed to: not a leak
    [ -z "${DISTILL_VG_LOGS:-}" ] || touch "$DISTILL_VG_LOGS/stopped.$pid"
    rc=0
    wait "$pid" || rc=$?
    want=$((128 + $(kill -l "$sig")))
    [ "$rc" = 0 ] || [ "$rc" = "$want" ] || fail "SIG$sig after ${ms}ms: exit $rc, not 0 or $want"
}

# no_temps DIR WHAT: nothing of distill's temporaries in DIR (or below it).
no_temps() {
    local left
    left=$(find "$1" -name '.*.distill-*' -o -name '.*.tmp-*' -o -name '.tmp-*' -o -name 'distill-verify-*')
    [ -z "$left" ] || fail "$2 left temporaries: $left"
}

# ms_of CMD...: how long CMD takes, in milliseconds.
ms_of() {
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 + 20 ))
}

# delay I SPAN: one random point in slice I of STOPS equal slices of [0, SPAN].
delay() { echo $(( ($1 - 1) * $2 / STOPS + RANDOM % ($2 / STOPS + 1) )); }

build=("$DISTILL" build -q --lock "$lock" "$spec")
RANDOM=7
stopped=0 done=0
count() { if [ "$rc" = 0 ]; then done=$((done + 1)); else stopped=$((stopped + 1)); fi; }

# 1. A new OCI layout, an oci-archive, a docker-archive.
for fmt in oci oci-archive docker-archive; do
    span=$(( $(ms_of "${build[@]}" --format "$fmt" -o "$W/timed.$fmt") * 5 / 4 ))
    rm -rf "$W/timed.$fmt"
    for i in $(seq 1 "$STOPS"); do
        sig=${SIGS[i % 3]} ms=$(delay "$i" "$span") out="$W/out/s$i.$fmt"
        mkdir -p "$W/out"
        start "$sig" "${build[@]}" --format "$fmt" -o "$out"
        stop "$sig" "$ms"
        count
        no_temps "$W/out" "$fmt: SIG$sig after ${ms}ms"
        if [ -e "$out" ]; then
            if [ "$fmt" = oci ]; then valid_layout "$out" distill/jq:bookworm
            else skopeo inspect -n "$fmt:$out" >/dev/null; fi ||
                fail "$fmt: SIG$sig after ${ms}ms: $out is not valid"
        else
            [ "$rc" != 0 ] || fail "$fmt: exit 0 and no $out"
        fi
        rm -rf "$W/out"
    done
done

# 2. An existing OCI layout: still valid, holding the image or not, no temporary blob or index.
"${build[@]}" -o "$W/old.oci" --tag old
span=$(( $(ms_of "${build[@]}" -o "$W/old.oci" --tag timed) * 5 / 4 ))
for i in $(seq 1 "$STOPS"); do
    sig=${SIGS[i % 3]} ms=$(delay "$i" "$span")
    start "$sig" "${build[@]}" -o "$W/old.oci" --tag "new$i"
    stop "$sig" "$ms"
    count
    no_temps "$W/old.oci" "a build into an existing layout (SIG$sig after ${ms}ms)"
    valid_layout "$W/old.oci" distill/jq:old || fail "SIG$sig after ${ms}ms: the existing layout is broken"
    [ "$rc" != 0 ] || valid_layout "$W/old.oci" "distill/jq:new$i" || fail "exit 0 and no image new$i"
done

# 3. distill tar, zstd.
span=$(( $(ms_of "$DISTILL" tar -q -o "$W/timed.tar.zst" "$tree") * 5 / 4 ))
for i in $(seq 1 "$STOPS"); do
    sig=${SIGS[i % 3]} ms=$(delay "$i" "$span")
    mkdir -p "$W/out"
    start "$sig" "$DISTILL" tar -q -o "$W/out/t.tar.zst" "$tree"
    stop "$sig" "$ms"
    count
    no_temps "$W/out" "distill tar (SIG$sig after ${ms}ms)"
    # a signal after the rename (while distill exits; under ASan its exit takes long) kills it
    # with the tarball complete: absent or byte-identical, never partial
    if [ -e "$W/out/t.tar.zst" ]; then
        cmp -s "$W/out/t.tar.zst" "$W/timed.tar.zst" ||
            fail "distill tar: SIG$sig after ${ms}ms (exit $rc) left another tarball"
    else
        [ "$rc" != 0 ] || fail "distill tar: exit 0 and no t.tar.zst"
    fi
    rm -rf "$W/out"
done

# 4. distill verify, signalled alone (as a CI timeout does): its build is stopped and reaped,
# its runs removed.
mkdir "$W/vtmp"
span=$(( $(ms_of env TMPDIR="$W/vtmp" "$DISTILL" verify -q --lock "$lock" "$spec") * 5 / 4 ))
for i in $(seq 1 "$STOPS"); do
    sig=${SIGS[i % 3]} ms=$(delay "$i" "$span")
    start "$sig" env TMPDIR="$W/vtmp" "$DISTILL" verify -q --lock "$lock" "$spec"
    stop "$sig" "$ms"
    count
    [ -z "$(ls -A "$W/vtmp")" ] || fail "verify (SIG$sig after ${ms}ms) left $(ls -A "$W/vtmp")"
    ! pgrep -f -- "$W/vtmp/" >/dev/null || fail "verify (SIG$sig after ${ms}ms) left its build running"
done
echo "SIGTERM/SIGINT/SIGHUP x$((STOPS * 6)): $stopped stopped, $done done before the signal; no temporary left"
[ "$stopped" -gt 0 ] && [ "$done" -gt 0 ] || fail "the signals did not land both before and after the end"

# 5. Ignored on entry (nohup): the signal changes nothing.
(trap '' HUP; exec "${build[@]}" -o "$W/nohup.oci") & pid=$!
sleep 0.05
kill -s HUP "$pid" 2>/dev/null || true
wait "$pid" || fail "a build with SIGHUP ignored died of it"
valid_layout "$W/nohup.oci" distill/jq:bookworm || fail "a build with SIGHUP ignored is not valid"
echo "ok: signals"
