# Faults and atomic outputs: a build killed with SIGKILL at each step of its work (after the
# Nth write of its output, at the rename that commits it and just after) leaves its output
# absent (or the previous one untouched) or complete and valid, never half-written; a
# file-size limit (EFBIG, as a full disk gives ENOSPC) is a clear error with no output; two
# builds into one OCI layout at once both land in its index.json; a file whose size lies
# (/proc) is refused by name. The kills are made by distill's fault points
# (DISTILL_TEST_FAULT, common/fault.h): exact steps, whatever the machine's speed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
command -v skopeo >/dev/null || { echo "skipped: needs skopeo"; exit 0; }
spec="$repo/specs/jq.yaml"
"$DISTILL" lock -q "$spec" -o "$W/jq.lock.json"
# --no-cache: every build writes every layer, which is what the faults land on (the cache's own
# faults are build.cache's)
build() { "$DISTILL" build -q --no-cache --lock "$W/jq.lock.json" "$spec" "$@"; }

# 1. SIGKILL at every step: after write 1, 2, ... 8, then every 1.5 times as many (1, 2, 4,
# 8, ... in the light variant) until a build ends before its kill; at the commit points.
build -o "$W/old.oci" --tag old            # an existing layout that must stay valid
old_index=$(sha256sum < "$W/old.oci/index.json")
complete=0 absent=0 kills=0
# check KIND OUT TAG WHAT RC: the state a kill (or the end) left
check() {
    local kind=$1 out=$2 tag=$3 what=$4 rc=$5
    [ "$rc" = 0 ] || [ "$rc" = 137 ] || fail "$kind at $what: exit $rc, not 0 or 137"
    case $kind in
    new) if [ -e "$out" ]; then valid_layout "$out" bookworm || fail "$kind at $what: $out is not valid"
             complete=$((complete + 1)); rm -rf "$out"
         else [ "$rc" != 0 ] || fail "$kind at $what: exit 0 and no $out"; absent=$((absent + 1)); fi ;;
    existing) valid_layout "$W/old.oci" old || fail "$kind at $what: the existing layout is broken"
         if [ "$(sha256sum < "$W/old.oci/index.json")" != "$old_index" ]; then
             valid_layout "$W/old.oci" old "$tag" || fail "$kind at $what: new index without a valid image"
             complete=$((complete + 1)); old_index=$(sha256sum < "$W/old.oci/index.json")
         else [ "$rc" != 0 ] || fail "$kind at $what: exit 0 and the index unchanged"; absent=$((absent + 1)); fi ;;
    *) if [ -e "$out" ]; then skopeo inspect -n "$kind:$out" >/dev/null || fail "$kind at $what: $out is not valid"
           complete=$((complete + 1)); rm -f "$out"
       else [ "$rc" != 0 ] || fail "$kind at $what: exit 0 and no $out"; absent=$((absent + 1)); fi ;;
    esac
}
# kill_at KIND POINT:N: one build of KIND killed at POINT:N; $rc its exit status
kill_at() {
    local kind=$1 at=$2 out tag="k$kills" fmt rc=0
    case $kind in new) out="$W/k.oci" fmt=oci ;; existing) out="$W/old.oci" fmt=oci ;;
                  *) out="$W/k.$kind" fmt=$kind ;; esac
    if [ "$kind" = existing ]; then
        DISTILL_TEST_FAULT="$at:KILL" build -o "$out" --format "$fmt" --tag "$tag" 2>/dev/null || rc=$?
    else
        DISTILL_TEST_FAULT="$at:KILL" build -o "$out" --format "$fmt" 2>/dev/null || rc=$?
    fi
    kills=$((kills + 1))
    check "$kind" "$out" "$tag" "$at" "$rc"
    last_rc=$rc
}
for kind in new existing oci-archive docker-archive; do
    n=1
    while :; do
        kill_at "$kind" "write:$n"
        [ "$last_rc" != 0 ] || break          # the build ended before its Nth write
        if [ -n "${DISTILL_TEST_LIGHT:-}" ]; then n=$((n * 2))
        elif [ "$n" -lt 8 ]; then n=$((n + 1)); else n=$((n + n / 2)); fi
    done
    kill_at "$kind" commit:1
    kill_at "$kind" committed:1
done
kill_at new blob:1
kill_at existing blob:1
echo "kill -9 x$kills (every write step, the commits): $complete complete and valid, $absent absent or untouched"
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
    valid_layout "$W/both.oci" "a$round" "b$round" || fail "round $round: index.json lacks an image"
done
# 4. A file whose size lies (/proc says 0 and has content): refused by name, not packed empty.
printf 'name: t/proc:1\nplatform: linux/amd64\nfiles:\n  - {src: /proc/self/environ, dst: /env}\n' > "$W/proc.yaml"
if "$DISTILL" build -q --no-lock "$W/proc.yaml" -o "$W/proc.oci" 2> "$W/err"; then
    fail "a /proc file was packed"
fi
grep -q "environ': its size is 0 bytes but [0-9]* were read" "$W/err" || { cat "$W/err"; fail "no clear error for /proc"; }
[ ! -e "$W/proc.oci" ] || fail "output left after the /proc refusal"
echo "ok: faults"
