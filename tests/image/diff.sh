#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# distill diff: a corpus of image and tarball pairs that differ in one thing each
# (diff_corpus.py) must be reported as exactly that one line; identical pairs as identical;
# each --ignore class hides exactly its class. Then images made by other tools: umoci layers
# and podman's docker-archive and oci-archive of a distill image; and the errors (exit 2).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# A small image to start from: the skeleton and an app layer with a few files.
mkdir -p "$W/src/data/sub"
for n in a b c; do echo "file $n" > "$W/src/data/$n.txt"; done
echo deeper > "$W/src/data/sub/d.txt"
printf 'name: t/diff:1\nplatform: linux/amd64\nfiles:\n  - {src: ./data, dst: /srv/data}\n' > "$W/src/s.yaml"
"$DISTILL" build -q --no-lock "$W/src/s.yaml" -o "$W/base.oci"
python3 "$here/diff_corpus.py" "$W/base.oci" "$W/c" > /dev/null

# check.py CASES: runs every case strictly and under every --ignore class.
python3 - "$W/c/cases.json" <<'PY'
import json, os, re, subprocess, sys
distill = os.environ["DISTILL"]
CLASSES = ["timestamps", "order", "owners", "compression", "history"]
cases, bad = json.load(open(sys.argv[1])), []

def run(*args):
    p = subprocess.run([distill, "diff", *args], capture_output=True, text=True)
    lines = [l[2:] for l in p.stdout.splitlines() if l.startswith("  ")]
    return p.returncode, lines, p.stdout, p.stderr

for c in cases:
    rc, lines, out, err = run(c["a"], c["b"])
    want = c["lines"]
    ok = rc == (1 if want else 0) and len(lines) == len(want) and all(
        any(re.fullmatch(w, l) for l in lines) for w in want)
    if not want:
        ok = ok and out.splitlines()[-1] == "identical"
    if not ok:
        bad.append(f"{c['name']}: exit {rc}, got {lines}, want {want}\n{err}")
        continue
    for cls in CLASSES:
        rc2, lines2, out2, _ = run("--ignore", cls, c["a"], c["b"])
        if want and cls in c["classes"]:
            good = rc2 == 0 and re.fullmatch(r"identical \(1 more ignored: [a-z,]+\)", out2.splitlines()[-1])
        else:
            good = rc2 == rc and lines2 == lines
        if not good:
            bad.append(f"{c['name']} --ignore {cls}: exit {rc2}, {out2.splitlines()[-1:]} {lines2}")
    # the JSON report says the same
    p = subprocess.run([distill, "diff", "--json", c["a"], c["b"]], capture_output=True, text=True)
    d = json.loads(p.stdout)
    if d["total"] != len(want) or d["identical"] != (not want) or \
            [x["text"] for x in d["differences"]] != lines:
        bad.append(f"{c['name']}: --json disagrees: {d['total']} {d['identical']}")
print(f"{len(cases) - len({b.split(':')[0] for b in bad})}/{len(cases)} diff cases pass")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

# Errors: exit 2 with a message naming the input.
expect_error() { # PATTERN ARGS...
    local pat=$1; shift
    set +e; "$DISTILL" diff "$@" > /dev/null 2> "$W/err"; local rc=$?; set -e
    [ "$rc" = 2 ] || fail "diff $*: exit $rc, not 2"
    grep -qF -- "$pat" "$W/err" || { cat "$W/err"; fail "diff $*: no '$pat'"; }
}
expect_error "cannot read '$W/nothing'" "$W/base.oci" "$W/nothing"
mkdir -p "$W/plain"
expect_error "not an OCI layout" "$W/base.oci" "$W/plain"
expect_error "one is an image, the other a plain tarball" "$W/base.oci" "$W/c/t.tar"
"$DISTILL" build -q --no-lock "$W/src/s.yaml" -o "$W/two.oci" --tag one
"$DISTILL" build -q --no-lock "$W/src/s.yaml" -o "$W/two.oci" --tag two --source-date-epoch 1700000000
expect_error "holds 2 images (t/diff:one, t/diff:two); pick one with --ref" "$W/two.oci" "$W/base.oci"
"$DISTILL" diff --ref t/diff:one "$W/two.oci" "$W/two.oci" > "$W/out" || fail "--ref one"
set +e; "$DISTILL" diff --ref-a t/diff:one --ref-b t/diff:two "$W/two.oci" "$W/two.oci" > "$W/out"; rc=$?; set -e
[ "$rc" = 1 ] && grep -qF "created: 1970-01-01T00:00:00Z -> 2023-11-14T22:13:20Z" "$W/out" || { cat "$W/out"; fail "--ref-a/--ref-b"; }

# Images made by other tools.
if command -v umoci >/dev/null; then
    # umoci: an image of one layer, then a second layer adding one file.
    L="$W/umoci"
    umoci init --layout "$L" && umoci new --image "$L:t1"
    umoci unpack --rootless --image "$L:t1" "$W/b1" > /dev/null
    echo one > "$W/b1/rootfs/one.txt"
    umoci repack --image "$L:t1" "$W/b1" > /dev/null
    umoci unpack --rootless --image "$L:t1" "$W/b2" > /dev/null
    echo two > "$W/b2/rootfs/two.txt"
    umoci repack --image "$L:t2" "$W/b2" > /dev/null
    "$DISTILL" diff --ref t1 "$L" "$L" > "$W/out" || fail "umoci image vs itself"
    set +e; "$DISTILL" diff --ref-a t1 --ref-b t2 "$L" "$L" > "$W/out"; rc=$?; set -e
    [ "$rc" = 1 ] || { cat "$W/out"; fail "umoci t1 vs t2: exit $rc"; }
    # t2 = t1 + one layer holding two.txt, a history entry and a new created time
    grep -qF "  layers: count 1 -> 2" "$W/out" || { cat "$W/out"; fail "umoci: layer count"; }
    grep -qE "^  layer 2: added \(sha256:[0-9a-f]{12}\)$" "$W/out" || { cat "$W/out"; fail "umoci: layer 2"; }
    grep -qE '^  history\[1\]: \+ \{.*"created_by":"umoci' "$W/out" || { cat "$W/out"; fail "umoci: history"; }
    "$DISTILL" inspect --ref t2 "$L" > "$W/out"
    grep -qE " one.txt$" "$W/out" && grep -qE " two.txt$" "$W/out" || { cat "$W/out"; fail "umoci: inspect"; }
fi
if command -v podman >/dev/null && command -v skopeo >/dev/null && [ "$(id -u)" = 0 ]; then
    name=$(pull_oci "$W/base.oci")
    podman save -q --format docker-archive -o "$W/saved.tar" "$name" 2>/dev/null
    podman save -q --format oci-archive -o "$W/saved-oci.tar" "$name" 2>/dev/null
    # docker-archive: the same config, layers as plain tar: named as compression only
    set +e; "$DISTILL" diff "$W/base.oci" "$W/saved.tar" > "$W/out"; rc=$?; set -e
    [ "$rc" = 1 ] || { cat "$W/out"; fail "podman docker-archive: exit $rc"; }
    grep '^  ' "$W/out" | grep -vE '^  layer [0-9]+: same tar, compression gzip -> none$' > "$W/other" || true
    [ ! -s "$W/other" ] || { cat "$W/out"; fail "podman docker-archive: more than compression"; }
    "$DISTILL" diff --ignore compression "$W/base.oci" "$W/saved.tar" > /dev/null ||
        fail "podman docker-archive is not the same image up to compression"
    "$DISTILL" diff "$W/saved.tar" "$W/saved.tar" > /dev/null || fail "docker-archive vs itself"
    # oci-archive: podman recompresses (gzip header MTIME and OS of Go's gzip) and writes its
    # own index: the same image up to compression and the index
    set +e; "$DISTILL" diff "$W/base.oci" "$W/saved-oci.tar" > "$W/out"; rc=$?; set -e
    [ "$rc" = 1 ] || { cat "$W/out"; fail "podman oci-archive: exit $rc"; }
    grep '^  ' "$W/out" | grep -vE '^  (layer [0-9]+: same tar, |index\.)' > "$W/other" || true
    [ ! -s "$W/other" ] || { cat "$W/out"; fail "podman oci-archive: more than compression and index"; }
    "$DISTILL" inspect "$W/saved.tar" > "$W/out" && grep -q "srv/data/sub/d.txt" "$W/out" || fail "inspect docker-archive"
fi
echo "ok: diff"
