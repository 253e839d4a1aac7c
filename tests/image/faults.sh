#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Faults and atomic outputs: a build killed with SIGKILL at random points leaves its output
# absent (or the previous one untouched) or complete and valid, never half-written; a
# file-size limit (EFBIG, as a full disk gives ENOSPC) is a clear error with no output; two
# builds into one OCI layout at once both land in its index.json; a file whose size lies
# (/proc) is refused by name.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v skopeo >/dev/null || { echo "skipped: needs skopeo"; exit 0; }
# 100 kills; 12 in the light variant (DISTILL_TEST_LIGHT=1: under memcheck, a build takes seconds)
if [ -n "${DISTILL_TEST_LIGHT:-}" ]; then KILLS=${KILLS:-12}; else KILLS=${KILLS:-100}; fi
spec="$repo/specs/jq.yaml"
"$DISTILL" lock -q "$spec" -o "$W/jq.lock.json"
build() { "$DISTILL" build -q --lock "$W/jq.lock.json" "$spec" "$@"; }
# build_bg ARGS...: the same in the background, $pid the distill process itself (a function
# sent to the background is a subshell: killing it would leave distill running).
build_bg() { "$DISTILL" build -q --lock "$W/jq.lock.json" "$spec" "$@" & pid=$!; }

# 1. SIGKILL at random points.
build -o "$W/ref.oci"                      # how long a build takes, in ms
t0=$(date +%s%N); build -o "$W/timed.oci"; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 + 20 ))
build -o "$W/old.oci" --tag old            # an existing layout that must stay valid
old_index=$(sha256sum < "$W/old.oci/index.json")
# One random point in each of KILLS equal slices of [0, 1.5 x the build's time]: the first
# kills land early, the last third after the rename, whatever KILLS is (a build slowed by a
# busy machine, under memcheck above all, still ends before some of them).
RANDOM=42
span=$(( ms * 3 / 2 ))
complete=0 absent=0
for i in $(seq 1 "$KILLS"); do
    delay=$(( (i - 1) * span / KILLS + RANDOM % (span / KILLS + 1) ))
    out="$W/k$i.oci"
    case $(( i % 3 )) in
    0) build_bg -o "$out" ;;
    1) build_bg -o "$W/old.oci" --tag "new$i" ;;
    2) build_bg -o "$W/k$i.tar" --format oci-archive ;;
    esac
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    case $(( i % 3 )) in
    0) if [ -e "$out" ]; then valid_layout "$out" distill/jq:bookworm || fail "kill $i after ${delay}ms: $out is not valid"
           complete=$((complete + 1)); rm -rf "$out"; else absent=$((absent + 1)); fi ;;
    1) valid_layout "$W/old.oci" distill/jq:old || fail "kill $i after ${delay}ms: the existing layout is broken"
       if [ "$(sha256sum < "$W/old.oci/index.json")" != "$old_index" ]; then
           valid_layout "$W/old.oci" distill/jq:old "distill/jq:new$i" || fail "kill $i: new index without a valid image"
           complete=$((complete + 1)); old_index=$(sha256sum < "$W/old.oci/index.json")
       else absent=$((absent + 1)); fi ;;
    2) if [ -e "$W/k$i.tar" ]; then skopeo inspect -n "oci-archive:$W/k$i.tar" >/dev/null ||
           fail "kill $i after ${delay}ms: k$i.tar is not valid"; complete=$((complete + 1)); rm -f "$W/k$i.tar"
       else absent=$((absent + 1)); fi ;;
    esac
done
echo "kill -9 x$KILLS (0-${span} ms, a build takes ${ms}): $complete complete and valid, $absent absent or untouched"
[ "$complete" -gt 0 ] && [ "$absent" -gt 0 ] || fail "the kills did not land on both sides of the rename"

# 2. A file-size limit mid-write: a clear error, no output, nothing half-written.
for fmt in oci oci-archive docker-archive; do
    if (ulimit -f 200; build -o "$W/big.$fmt" --format "$fmt") 2> "$W/err"; then
        fail "$fmt: a build over the file-size limit succeeded"
    fi
    grep -q "File too large" "$W/err" || { cat "$W/err"; fail "$fmt: no clear error"; }
    [ ! -e "$W/big.$fmt" ] || fail "$fmt: output left behind"
    ls -A "$W" | grep -F ".big.$fmt" > "$W/tmps" || true
    [ ! -s "$W/tmps" ] || { cat "$W/tmps"; fail "$fmt: temporary left behind"; }
done

# 3. Two builds into one layout at once, new or existing: both images in index.json.
for round in 1 2 3 4 5; do
    rm -rf "$W/both.oci"
    [ "$round" -gt 3 ] && build -o "$W/both.oci" --tag first
    build -o "$W/both.oci" --tag "a$round" & p1=$!
    build -o "$W/both.oci" --tag "b$round" & p2=$!
    wait "$p1" || fail "round $round: build a failed"
    wait "$p2" || fail "round $round: build b failed"
    valid_layout "$W/both.oci" "distill/jq:a$round" "distill/jq:b$round" || fail "round $round: index.json lacks an image"
done
# 4. A file whose size lies (/proc says 0 and has content): refused by name, not packed empty.
printf 'name: t/proc:1\nplatform: linux/amd64\nfiles:\n  - {src: /proc/self/environ, dst: /env}\n' > "$W/proc.yaml"
if "$DISTILL" build -q --no-lock "$W/proc.yaml" -o "$W/proc.oci" 2> "$W/err"; then
    fail "a /proc file was packed"
fi
grep -q "environ': its size is 0 bytes but [0-9]* were read" "$W/err" || { cat "$W/err"; fail "no clear error for /proc"; }
[ ! -e "$W/proc.oci" ] || fail "output left after the /proc refusal"
echo "ok: faults"
