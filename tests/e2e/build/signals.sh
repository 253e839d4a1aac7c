#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Signals: a build, a tarball or a verify stopped by SIGINT, SIGTERM or SIGHUP (Ctrl-C, a CI
# timeout, a closed terminal) at each step of its work dies of that signal with its output
# absent (or the previous one untouched) or complete, and leaves no temporary behind; a
# signal that lands on a compressor thread is handled as one on the main thread; verify stops
# its build first. A signal ignored on entry (nohup) stays ignored. The signals are raised by
# distill's fault points (DISTILL_TEST_FAULT, common/fault.h) at exact steps, whatever the
# machine's speed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
command -v skopeo >/dev/null || { echo "skipped: needs skopeo"; exit 0; }
spec="$repo/specs/jq.yaml"
lock="$W/jq.lock.json"
"$DISTILL" lock -q "$spec" -o "$lock"
tree="$W/tree"
mkdir "$tree"
cp -r /usr/share/zoneinfo "$tree/"
SIGS=(TERM INT HUP)
build=("$DISTILL" build -q --lock "$lock" "$spec")

# at SIG POINT:N CMD...: CMD with SIG at its default action, raised at POINT:N; $rc is its
# exit status, which must be 0 (it ended before the point) or death by SIG.
at() {
    local sig=$1 point=$2 want; shift 2
    rc=0
    # in a subshell whose stderr is closed: bash's own "Terminated" notice goes there too
    (
        DISTILL_TEST_FAULT="$point:$sig" env --default-signal="$sig" "$@" & pid=$!
        st=0
        wait "$pid" || st=$?
        # under memcheck (tests/valgrind/suite.sh) a process stopped mid-work holds memory
        # that only its registers pointed to: not a leak
        [ "$st" = 0 ] || [ -z "${DISTILL_VG_LOGS:-}" ] || touch "$DISTILL_VG_LOGS/stopped.$pid"
        exit "$st"
    ) 2>/dev/null || rc=$?
    want=$((128 + $(kill -l "$sig")))
    [ "$rc" = 0 ] || [ "$rc" = "$want" ] || fail "SIG$sig at $point: exit $rc, not 0 or $want"
}

# no_temps DIR WHAT: nothing of distill's temporaries in DIR (or below it).
no_temps() {
    local left
    left=$(find "$1" -name '.*.distill-*' -o -name '.*.tmp-*' -o -name '.tmp-*' -o -name 'distill-verify-*')
    [ -z "$left" ] || fail "$2 left temporaries: $left"
}

# points: the writes 1, 2, 4, 8, ... up to the build's end (every one in the light variant
# but the steps doubled), the commit and the point after it, a gzip member on a worker
# thread. Each step gets the next signal of SIGS.
stopped=0 done=0 k=0
count() { if [ "$rc" = 0 ]; then done=$((done + 1)); else stopped=$((stopped + 1)); fi; }
sweep() { # KIND: calls step POINT for each point; stops the writes at the first exit 0
    local n=1
    while :; do
        step "write:$n"
        [ "$rc" != 0 ] || break
        if [ -n "${DISTILL_TEST_LIGHT:-}" ] || [ "$n" -ge 4 ]; then n=$((n * 2)); else n=$((n + 1)); fi
    done
    step commit:1
    step committed:1
    step member:1
}

# 1. A new OCI layout, an oci-archive, a docker-archive (gzip layers but the docker one).
for fmt in oci oci-archive docker-archive; do
    step() {
        local sig=${SIGS[k++ % 3]} out="$W/out/s.$fmt"
        mkdir -p "$W/out"
        at "$sig" "$1" "${build[@]}" --format "$fmt" -o "$out"
        count
        no_temps "$W/out" "$fmt: SIG$sig at $1"
        if [ -e "$out" ]; then
            if [ "$fmt" = oci ]; then valid_layout "$out" bookworm
            else skopeo inspect -n "$fmt:$out" >/dev/null; fi ||
                fail "$fmt: SIG$sig at $1: $out is not valid"
        else
            [ "$rc" != 0 ] || fail "$fmt: exit 0 and no $out"
        fi
        rm -rf "$W/out"
    }
    sweep
done

# 2. An existing OCI layout: still valid, holding the image or not, no temporary blob or index.
"${build[@]}" -o "$W/old.oci" --tag old
step() {
    local sig=${SIGS[k++ % 3]} tag="new$k"
    at "$sig" "$1" "${build[@]}" -o "$W/old.oci" --tag "$tag"
    count
    no_temps "$W/old.oci" "a build into an existing layout (SIG$sig at $1)"
    valid_layout "$W/old.oci" old || fail "SIG$sig at $1: the existing layout is broken"
    [ "$rc" != 0 ] || valid_layout "$W/old.oci" "$tag" || fail "exit 0 and no image $tag"
}
sweep

# 3. distill tar, zstd: absent, or byte-identical to an uninterrupted run, never partial.
"$DISTILL" tar -q -o "$W/ref.tar.zst" "$tree"
step() {
    local sig=${SIGS[k++ % 3]}
    mkdir -p "$W/out"
    at "$sig" "$1" "$DISTILL" tar -q -o "$W/out/t.tar.zst" "$tree"
    count
    no_temps "$W/out" "distill tar (SIG$sig at $1)"
    if [ -e "$W/out/t.tar.zst" ]; then
        cmp -s "$W/out/t.tar.zst" "$W/ref.tar.zst" ||
            fail "distill tar: SIG$sig at $1 (exit $rc) left another tarball"
    else
        [ "$rc" != 0 ] || fail "distill tar: exit 0 and no t.tar.zst"
    fi
    rm -rf "$W/out"
}
sweep

# 4. distill verify, signalled alone (as a CI timeout does) while its first or second build
# runs: that build is stopped and reaped, the runs removed.
mkdir "$W/vtmp"
for point in child:1 child:2; do
    for sig in "${SIGS[@]}"; do
        at "$sig" "$point" env TMPDIR="$W/vtmp" "$DISTILL" verify -q --lock "$lock" "$spec"
        [ "$rc" != 0 ] || fail "verify (SIG$sig at $point) was not stopped"
        stopped=$((stopped + 1))
        [ -z "$(ls -A "$W/vtmp")" ] || fail "verify (SIG$sig at $point) left $(ls -A "$W/vtmp")"
        ! pgrep -f -- "$W/vtmp/" >/dev/null || fail "verify (SIG$sig at $point) left its build running"
    done
done
echo "SIGTERM/SIGINT/SIGHUP at $((stopped + done)) steps: $stopped stopped, $done done before the signal; no temporary left"
[ "$stopped" -gt 0 ] && [ "$done" -gt 0 ] || fail "the signals did not land both before and after the end"

# 5. Ignored on entry (nohup): the signal changes nothing.
(trap '' HUP; DISTILL_TEST_FAULT=write:3:HUP exec "${build[@]}" -o "$W/nohup.oci") ||
    fail "a build with SIGHUP ignored died of it"
valid_layout "$W/nohup.oci" bookworm || fail "a build with SIGHUP ignored is not valid"
echo "ok: signals"
