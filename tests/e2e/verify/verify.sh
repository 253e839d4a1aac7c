#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# distill verify: every spec in specs/ rebuilds identically under perturbation (with its
# lock); injected nondeterminism (an input read through the working directory, an output
# written inside an input tree) fails with the right explanation; --against confirms a
# published image, names what differs from one built otherwise, and names drifted inputs.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
export TMPDIR="$W/tmp" # verify's own temporary directories, checked empty at the end
mkdir -p "$TMPDIR"

# has FILE TEXT...: FILE holds every TEXT (fixed strings).
has() {
    local f=$1; shift
    for t in "$@"; do grep -qF -- "$t" "$f" || { cat "$f" >&2; fail "$f lacks '$t'"; }; done
}

# 1. Every example spec, locked here, rebuilds bit for bit (three runs for one of them, all
# three at once; the others two at a time, the default on two processors).
for spec in "$repo"/specs/*.yaml; do
    n=$(basename "$spec" .yaml)
    "$DISTILL" lock -q "$spec" -o "$W/$n.lock.json" || fail "lock $n"
    runs=2 jobs=(); [ "$n" = curl ] && runs=3 jobs=(--jobs 3)
    "$DISTILL" verify --runs "$runs" "${jobs[@]}" --lock "$W/$n.lock.json" "$spec" > "$W/v.out" 2> "$W/v.err" ||
        { cat "$W/v.out" "$W/v.err" >&2; fail "verify $n"; }
    has "$W/v.out" "$runs runs, identical (manifest sha256:"
    [ "$(grep -c '^distill verify: building run' "$W/v.err")" = "$runs" ] || fail "$n: not $runs runs"
done

# 2. An input read through the working directory: each run reads another file.
mkdir -p "$W/cwd/keep/run-1" "$W/cwd/keep/run-2"
echo one > "$W/cwd/keep/run-1/input.txt"
echo two > "$W/cwd/keep/run-2/input.txt"
printf 'name: t/cwd:1\nplatform: linux/amd64\nfiles:\n  - {src: /proc/self/cwd/input.txt, dst: /etc/input.txt}\n' > "$W/cwd/s.yaml"
if "$DISTILL" verify --no-lock --keep "$W/cwd/keep" "$W/cwd/s.yaml" > "$W/v.out" 2> "$W/v.err"; then
    fail "verify passed with a working-directory input"
fi
has "$W/v.out" "run 2 (umask 077, TZ=Pacific/Kiritimati" "differs from run 1:" \
    "etc/input.txt: content 4 bytes sha256:2c8b08da5ce6 -> 4 bytes sha256:27dd8ed44a83" \
    "1 difference"
[ "$(grep -c '^    ' "$W/v.out")" = 1 ] || fail "more than the one input named"

# 3. The output inside an input tree: the second run (one at a time) packs the first run's image.
mkdir -p "$W/tree/data" && echo x > "$W/tree/data/a"
printf 'name: t/tree:1\nplatform: linux/amd64\nfiles:\n  - {src: ./data, dst: /data}\n' > "$W/tree/s.yaml"
if "$DISTILL" verify --jobs 1 --no-lock --keep "$W/tree/data/builds" "$W/tree/s.yaml" > "$W/v.out" 2> "$W/v.err"; then
    fail "verify passed with its output inside an input"
fi
has "$W/v.out" "data/builds/run-1/image/index.json: added (file," "data/builds/run-1/image/oci-layout: added (file, 30 bytes)"
grep '^    ' "$W/v.out" | grep -v ': added (' > "$W/other" || true
[ ! -s "$W/other" ] || { cat "$W/other"; fail "more than added files named"; }
# with a lock, the first run already refuses: the new directory is not in the lock
rm -rf "$W/tree/data/builds"
"$DISTILL" lock -q "$W/tree/s.yaml" || fail "lock tree"
if "$DISTILL" verify --keep "$W/tree/data/builds" "$W/tree/s.yaml" > "$W/v.out" 2> "$W/v.err"; then
    fail "verify passed with a lock and its output inside an input"
fi
has "$W/v.err" "drift: /data/builds" "run 1: the build failed (exit 1)"

# 4. --against: the rebuilder's check.
spec="$repo/specs/jq.yaml"
"$DISTILL" build -q --lock "$W/jq.lock.json" "$spec" -o "$W/pub.oci"
"$DISTILL" verify --lock "$W/jq.lock.json" "$spec" --against "$W/pub.oci" > "$W/v.out" 2> "$W/v.err" ||
    { cat "$W/v.out" "$W/v.err"; fail "verify --against its own build"; }
has "$W/v.out" "rebuilds $W/pub.oci bit for bit (manifest sha256:"
"$DISTILL" build -q --lock "$W/jq.lock.json" "$spec" -o "$W/pub.tar" --format oci-archive --compression zstd
"$DISTILL" verify --lock "$W/jq.lock.json" "$spec" --against "$W/pub.tar" > "$W/v.out" 2> "$W/v.err" ||
    { cat "$W/v.out" "$W/v.err"; fail "verify --against a zstd oci-archive"; }
# published with another SOURCE_DATE_EPOCH: named as timestamps, nothing else
"$DISTILL" build -q --lock "$W/jq.lock.json" "$spec" -o "$W/other.oci" --source-date-epoch 1700000000
if "$DISTILL" verify --lock "$W/jq.lock.json" "$spec" --against "$W/other.oci" > "$W/v.out" 2> "$W/v.err"; then
    fail "verify --against an image with other timestamps passed"
fi
has "$W/v.out" "differs from $W/other.oci" "created: 1970-01-01T00:00:00Z -> 2023-11-14T22:13:20Z" \
    "usr/bin/jq: mtime 0 -> 1700000000"
grep '^    ' "$W/v.out" | grep -v -e ': mtime 0 -> 1700000000$' -e 'created' > "$W/other" || true
[ ! -s "$W/other" ] || { cat "$W/other"; fail "more than timestamps named"; }
# --json of the same
if "$DISTILL" verify --json --lock "$W/jq.lock.json" "$spec" --against "$W/other.oci" > "$W/v.json" 2>/dev/null; then
    fail "verify --json passed"
fi
python3 - "$W/v.json" <<'PY' || fail "verify --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["reproducible"] is False and d["build_failed"] is False, d
assert d["diff"]["total"] > 0 and all("timestamps" in x["classes"] for x in d["diff"]["differences"]), d
PY
# an input that drifted from a strict lock: the rebuild is refused, naming it
make_app "$W/p" world
"$DISTILL" lock -q --strict "$W/p/app.yaml"
"$DISTILL" build -q "$W/p/app.yaml" -o "$W/app.oci"
make_app "$W/p" "world, again"
if "$DISTILL" verify "$W/p/app.yaml" --against "$W/app.oci" > "$W/v.out" 2> "$W/v.err"; then
    fail "verify --against passed after drift"
fi
has "$W/v.err" "drift: /app/" "sha256 locked" "cannot be rebuilt from this spec and lock"
# with the default lock the project's files are pinned by path: the rebuild goes on, and
# --against still compares every byte, naming the app that differs
make_app "$W/p" world
"$DISTILL" lock -q "$W/p/app.yaml"
"$DISTILL" build -q "$W/p/app.yaml" -o "$W/app2.oci"
make_app "$W/p" "world, again"
rc=0; "$DISTILL" verify "$W/p/app.yaml" --against "$W/app2.oci" > "$W/v.out" 2> "$W/v.err" || rc=$?
[ $rc = 1 ] || { cat "$W/v.out" "$W/v.err"; fail "verify --against a changed app: exit $rc"; }
has "$W/v.out" "app/app: content"

# 5. Every example spec's published image passes --against, as each format (the rebuild
# checks every blob it reads: a genuine image must not trip any of those checks).
for spec in "$repo"/specs/*.yaml; do
    n=$(basename "$spec" .yaml)
    case $n in
        jq) fmt=docker-archive ;; curl) fmt=oci-archive ;; *) fmt=oci ;;
    esac
    "$DISTILL" build -q --lock "$W/$n.lock.json" "$spec" -o "$W/$n.pub" --format "$fmt"
    "$DISTILL" verify -q --lock "$W/$n.lock.json" "$spec" --against "$W/$n.pub" > "$W/v.out" 2> "$W/v.err" ||
        { cat "$W/v.out" "$W/v.err"; fail "verify --against the published $n ($fmt)"; }
    rm -rf "$W/$n.pub"
done

# Nothing left behind in TMPDIR by the runs that were not kept.
ls -A "$TMPDIR" > "$W/left"
[ ! -s "$W/left" ] || { cat "$W/left"; fail "verify left temporary directories"; }
echo "ok: verify"
