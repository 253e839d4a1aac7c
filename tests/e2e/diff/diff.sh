#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# distill diff, end to end.
#  1. diff_corpus.py writes pairs of hand-built OCI layouts, archives and plain tarballs that
#     differ in exactly one thing each. For every pair: `distill diff A B` exits 1 and prints
#     exactly the expected difference lines (nothing else), under the expected section
#     headers, with the right header and summary lines; identical pairs exit 0 and end with
#     "identical". Every --ignore class hides exactly its class: the case's own class gives
#     exit 0 and "identical (N more ignored: CLASS)", any other class changes nothing. --json
#     says the same as the text, -q prints nothing and exits the same.
#  2. Errors exit 2 with a message naming the problem; --ref picks one image of two.
#  3. Images made by other tools: umoci (init, new, unpack, repack) and podman save
#     (docker-archive, oci-archive) of a distill image: exactly what those tools change.
# DISTILL_TEST_LIGHT=1 (tests/valgrind/suite.sh sets it) keeps every case but runs one
# --ignore class per case, in turn, and -q on every sixth.
# Prints "diff: N/M corpus cases passed; N/M checks passed"; on any failure, shows each failing
# check with its expected and actual lines, lists them, and exits 1.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
trap 'cleanup_images; rm -rf "$W" || true' EXIT   # lib.sh's, made unable to fail

passed=0
failures=()
pass() { passed=$((passed + 1)); }
flunk() { # NAME [FILE]: records a failed check; FILE says why
    failures+=("$1")
    echo "FAIL: $1" >&2
    if [ -n "${2:-}" ]; then sed 's/^/    /' "$2" >&2 || true; fi
}
# run_diff OUT ARGS...: distill diff ARGS; stdout in OUT, stderr in OUT.err, exit status in rc
run_diff() {
    local out=$1; shift
    rc=0
    "$DISTILL" diff "$@" > "$out" 2> "$out.err" || rc=$?
}
# expect_lines NAME RC OUT EXPECTED: exit RC, and the two-space-indented lines of OUT are
# exactly the lines of the file EXPECTED (in any order)
expect_lines() {
    local name=$1 want=$2 out=$3 exp=$4
    { grep '^  ' "$out" || true; } | sed 's/^  //' | sort > "$out.got"
    sort "$exp" > "$out.want"
    if [ "$rc" = "$want" ] && cmp -s "$out.want" "$out.got"; then
        pass
    else
        { echo "exit $rc (want $want); expected lines:"; sed 's/^/  /' "$out.want"
          echo "actual output:"; cat "$out" "$out.err"; } > "$out.why"
        flunk "$name" "$out.why"
    fi
}
# expect_last NAME RC OUT LINE: exit RC and OUT's last line is LINE
expect_last() {
    local last
    last=$(tail -n 1 "$3")
    if [ "$rc" = "$2" ] && [ "$last" = "$4" ]; then
        pass
    else
        { echo "exit $rc (want $2), last line '$last' (want '$4'):"; cat "$3" "$3.err"; } > "$3.why"
        flunk "$1" "$3.why"
    fi
}
# expect_error NAME MESSAGE ARGS...: distill diff ARGS exits 2 and says MESSAGE on stderr
expect_error() {
    local name=$1 msg=$2; shift 2
    run_diff "$W/err" "$@"
    if [ "$rc" = 2 ] && grep -qF -- "$msg" "$W/err.err" && [ ! -s "$W/err" ]; then
        pass
    else
        { echo "exit $rc (want 2), want '$msg' on stderr; got:"; cat "$W/err.err" "$W/err"; } > "$W/err.why"
        flunk "$name" "$W/err.why"
    fi
}

# ---- 1. the corpus ----
python3 "$here/diff_corpus.py" "$W/c" > /dev/null
CASES=$W/c/cases.json
python3 - "$CASES" "$W/results" <<'PY' || flunk "corpus checker crashed"
import json, os, re, subprocess, sys

distill = os.environ["DISTILL"]
CLASSES = ["timestamps", "order", "owners", "compression", "history"]  # the report's order
doc = json.load(open(sys.argv[1]))
res = open(sys.argv[2], "w")


def run(*args):
    p = subprocess.run([distill, "diff", *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def indented(out):
    return [l[2:] for l in out.splitlines() if l.startswith("  ")]


def summary(n, hidden=0, classes=()):
    s = "identical" if n == 0 else f"{n} difference{'' if n == 1 else 's'}"
    return s + (f" ({hidden} more ignored: {','.join(classes)})" if hidden else "")


def structure(out, head):
    """Problems with the report's shape: the two header lines, "NAME (count)" sections each
    followed by exactly count indented lines, then the summary. Returns (problems, sections)."""
    lines, probs, sections = out.splitlines(), [], {}
    if lines[:2] != head:
        probs.append(f"header {lines[:2]}, want {head}")
    body = lines[2:-1]
    i = 0
    while i < len(body):
        m = re.fullmatch(r"(\S.*) \(([0-9]+)\)", body[i])
        if not m:
            probs.append(f"not a section header: {body[i]!r}")
            break
        n = int(m.group(2))
        items = body[i + 1:i + 1 + n]
        if len(items) != n or not all(re.match(r"  \S", l) for l in items):
            probs.append(f"section {m.group(1)} ({n}) is followed by {items}")
        sections[m.group(1)] = sections.get(m.group(1), 0) + n
        i += 1 + n
    return probs, sections


def fail(name, text):
    global case_ok
    case_ok = False
    res.write(f"FAIL {name}\n{text}")


def shown(out):
    return "".join(f"  | {l}\n" for l in out.splitlines())


# The light variant (DISTILL_TEST_LIGHT=1, under memcheck) runs each case plain, then either
# --json (even cases) or one of the six --ignore runs (odd cases, the runs taking turns), and
# -q on every sixth case.
light = bool(os.environ.get("DISTILL_TEST_LIGHT"))
for idx, c in enumerate(doc["cases"]):
    case_ok = True
    want = c["lines"]
    cls_of = dict(zip(want, c["line_classes"]))
    for alt in c["alt"]:  # an alternative line has the classes of the line it stands for
        cls_of.update(zip(alt, c["line_classes"]))
    rc, out, err = run(c["a"], c["b"])
    got = indented(out)
    accepted = [sorted(want)] + [sorted(x) for x in c["alt"]]
    why = []
    if rc != (1 if want else 0):
        why.append(f"exit {rc}, want {1 if want else 0}")
    if sorted(got) not in accepted:
        why.append("lines differ")
    if out and sorted(got) in accepted:
        probs, sections = structure(out, c["head"])
        why += probs
        if sections != c["sections"]:
            why.append(f"sections {sections}, want {c['sections']}")
        if out.splitlines()[-1] != summary(len(want)):
            why.append(f"last line {out.splitlines()[-1]!r}, want {summary(len(want))!r}")
    if why:
        fail(c["name"], f"  {'; '.join(why)}\n  expected: {want}"
             + (f" or {c['alt']}" if c["alt"] else "") + f"\n  actual:   {got}\n"
             + shown(out + err))
        res.write(f"CASE BAD {c['name']}\n")
        continue
    res.write(f"PASS {c['name']}\n")

    # each class alone, then all of them at once: the lines of an ignored class go, and are
    # counted in the last line; the others stay, in the same order
    variants = CLASSES + [",".join(CLASSES)]
    for ign in ([] if idx % 2 == 0 else [variants[idx // 2 % len(variants)]]) if light else variants:
        name = f"{c['name']} --ignore {ign}"
        ignored = set(ign.split(","))
        keep = [l for l in got if not ignored & set(cls_of[l])]
        gone = [l for l in got if ignored & set(cls_of[l])]
        classes = [k for k in CLASSES if any(k in cls_of[l] for l in gone) and k in ignored]
        last = summary(len(keep), len(gone), classes)
        rc2, out2, err2 = run("--ignore", ign, c["a"], c["b"])
        lines2 = out2.splitlines()
        if rc2 == (1 if keep else 0) and indented(out2) == keep and lines2 and lines2[-1] == last:
            res.write(f"PASS {name}\n")
        else:
            fail(name, f"  expected: exit {1 if keep else 0}, {keep}, last line {last!r}\n"
                 f"  actual:   exit {rc2}\n" + shown(out2 + err2))

    # --json: the same differences, with their classes and sections
    if light and idx % 2:
        res.write(f"CASE {'OK' if case_ok else 'BAD'} {c['name']}\n")
        continue
    rc3, out3, err3 = run("--json", c["a"], c["b"])
    try:
        j = json.loads(out3)
        texts = [d["text"] for d in j["differences"]]
        bad = []
        if rc3 != rc:
            bad.append(f"exit {rc3}, want {rc}")
        if j["identical"] != (not want) or j["total"] != len(got):
            bad.append(f"identical {j['identical']}, total {j['total']}")
        if texts != got:
            bad.append(f"texts {texts}")
        elif [sorted(d["classes"]) for d in j["differences"]] != [cls_of[l] for l in got]:
            bad.append(f"classes {[d['classes'] for d in j['differences']]}")
        secs = {}
        for d in j["differences"]:
            secs[d["section"]] = secs.get(d["section"], 0) + 1
        if secs != c["sections"] or j["counts"] != c["sections"]:
            bad.append(f"sections {secs}, counts {j['counts']}")
        if j["a"]["path"] != c["a"] or j["b"]["path"] != c["b"]:
            bad.append("paths")
    except (ValueError, KeyError, TypeError) as e:
        bad = [f"not the JSON report: {e}: {out3[:300]!r} {err3[:300]!r}"]
    if bad:
        fail(f"{c['name']} --json", f"  {'; '.join(bad)}\n")
    else:
        res.write(f"PASS {c['name']} --json\n")

    # -q: nothing on stdout, the same exit status
    if not light or idx % 6 == 0:
        rc4, out4, _ = run("-q", c["a"], c["b"])
        if rc4 == rc and out4 == "":
            res.write(f"PASS {c['name']} -q\n")
        else:
            fail(f"{c['name']} -q", f"  exit {rc4} (want {rc}), stdout {out4[:200]!r}\n")
    res.write(f"CASE {'OK' if case_ok else 'BAD'} {c['name']}\n")
PY
ncorpus=$(grep -c '^PASS ' "$W/results" || true)
passed=$((passed + ncorpus))
while IFS= read -r l; do failures+=("${l#FAIL }"); done < <(grep '^FAIL ' "$W/results" || true)
grep -v -e '^PASS ' -e '^CASE ' "$W/results" >&2 || true
cases_ok=$(grep -c '^CASE OK ' "$W/results" || true)
cases_all=$(grep -c '^CASE ' "$W/results" || true)

BASE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base"])' "$CASES")
TAR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tarball"])' "$CASES")
TWO=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["two_images"])' "$CASES")

# ---- 2. errors, and --ref ----
expect_error "missing path" "cannot read '$W/nothing': No such file or directory" "$BASE" "$W/nothing"
mkdir -p "$W/plain"
expect_error "directory without oci-layout" \
    "'$W/plain' is a directory but not an OCI layout (no oci-layout file)" "$BASE" "$W/plain"
expect_error "image vs tarball" "one is an image, the other a plain tarball" "$BASE" "$TAR"
expect_error "tarball vs image" "one is an image, the other a plain tarball" "$TAR" "$BASE"
expect_error "not a tar at all" "'$CASES' is not an image or a tarball" "$CASES" "$TAR"
expect_error "two images, no --ref" \
    "'$TWO' holds 2 images (example/diff:1, example/diff:2); pick one with --ref" "$TWO" "$BASE"
expect_error "--ref naming no image" \
    "'$TWO': no image named 'nope' (it has: example/diff:1, example/diff:2)" --ref nope "$TWO" "$BASE"
expect_error "--ref on tarballs" "is a tarball, not an image: --ref does not apply" --ref x "$TAR" "$TAR"
expect_error "one path only" "needs two images or tarballs, A and B" "$BASE"
expect_error "unknown ignore class" "--ignore: unknown class 'bogus'" --ignore bogus "$BASE" "$BASE"
# --ref picks example/diff:1 on both sides: the base image, identical
run_diff "$W/out" --ref example/diff:1 "$TWO" "$BASE"
expect_last "--ref example/diff:1" 0 "$W/out" identical
# --ref-a example/diff:2 (base + TZ=UTC) against the base: its name and its env var
printf '%s\n' 'index.manifests[0].annotations["org.opencontainers.image.ref.name"]: example/diff:2 -> example/diff:1' \
    'config.Env: - TZ=UTC' > "$W/want"
run_diff "$W/out" --ref-a example/diff:2 "$TWO" "$BASE"
expect_lines "--ref-a example/diff:2" 1 "$W/out" "$W/want"
# the same as JSON: two differences, one in each of two sections, as the text says
run_diff "$W/json" --json --ref-a example/diff:2 "$TWO" "$BASE"
if [ "$rc" = 1 ] && python3 - "$W/json" "$W/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
text = [l[2:] for l in open(sys.argv[2]).read().splitlines() if l.startswith("  ")]
assert d["identical"] is False and d["total"] == len(text) == 2, d
assert [x["text"] for x in d["differences"]] == text, d
assert d["counts"] == {"index": 1, "config": 1} and d["a"]["ref"] == "example/diff:2", d
assert [x["field"] for x in d["differences"]] == ["value", "-"], d
assert d["differences"][1]["a"] == "TZ=UTC" and d["differences"][1]["b"] is None, d
PY
then pass; else flunk "--json --ref-a example/diff:2" "$W/json"; fi

# ---- 3a. umoci ----
if command -v umoci >/dev/null; then
    L=$W/umoci
    # t: `umoci new` makes an image with no layer; t2: t unpacked, one file added, repacked
    umoci init --layout "$L"
    umoci new --image "$L:t"
    umoci unpack --rootless --image "$L:t" "$W/bundle" > /dev/null
    echo hello > "$W/bundle/rootfs/added.txt"
    umoci repack --image "$L:t2" "$W/bundle" > /dev/null
    # Expected, t -> t2:
    #  - the index entries differ in their ref.name (t, t2), the two images being compared
    #  - t's config has no history; repack adds [{"created": <now>, "created_by": "umoci
    #    repack"}] (config "created" stays as `umoci new` set it)
    #  - t has no layer, t2 one: the count, and layer 1 named by digest (an added layer is
    #    not opened: its file is not named entry by entry)
    python3 - "$L" t2 > "$W/want" <<'PY'
import json, sys
L, ref = sys.argv[1], sys.argv[2]
blob = lambda d: json.load(open(f"{L}/blobs/sha256/{d[7:]}"))
desc = next(m for m in json.load(open(f"{L}/index.json"))["manifests"]
            if m["annotations"]["org.opencontainers.image.ref.name"] == ref)
man = blob(desc["digest"])
hist = blob(man["config"]["digest"])["history"]
assert [h["created_by"] for h in hist] == ["umoci repack"], hist
print('index.manifests[0].annotations["org.opencontainers.image.ref.name"]: t -> t2')
print("history: + " + json.dumps(hist, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
print("layers: count 0 -> 1")
print(f"layer 1: added ({man['layers'][0]['digest'][:19]})")
PY
    run_diff "$W/out" --ref-a t --ref-b t2 "$L" "$L"
    expect_lines "umoci: new vs repacked with a file" 1 "$W/out" "$W/want"
    run_diff "$W/out" --ref t2 "$L" "$L"
    expect_last "umoci: an image vs itself" 0 "$W/out" identical

    # t1 and t3: t unpacked twice; one.txt, or one.txt and two.txt, added; times fixed, so
    # that the layers differ only by two.txt. Expected, t1 -> t3:
    #  - the ref.names (t1, t3)
    #  - history[0].created: each repack stamps the time it ran
    #  - two.txt: added, in layer 1 (both images have one layer: it is compared entry by entry)
    for n in 1 3; do
        umoci unpack --rootless --image "$L:t" "$W/b$n" > /dev/null
        echo one > "$W/b$n/rootfs/one.txt"
        [ "$n" = 1 ] || echo two > "$W/b$n/rootfs/two.txt"
        touch -d @1700000000 "$W/b$n/rootfs/"*.txt "$W/b$n/rootfs"
        umoci repack --image "$L:t$n" "$W/b$n" > /dev/null
    done
    python3 - "$L" > "$W/want" <<'PY'
import json, sys
L = sys.argv[1]
blob = lambda d: json.load(open(f"{L}/blobs/sha256/{d[7:]}"))
created = {}
for m in json.load(open(f"{L}/index.json"))["manifests"]:
    ref = m["annotations"]["org.opencontainers.image.ref.name"]
    if ref in ("t1", "t3"):
        created[ref] = blob(blob(m["digest"])["config"]["digest"])["history"][0]["created"]
print('index.manifests[0].annotations["org.opencontainers.image.ref.name"]: t1 -> t3')
if created["t1"] != created["t3"]:
    print(f"history[0].created: {created['t1']} -> {created['t3']}")
print("two.txt: added (file, 4 bytes)")
PY
    run_diff "$W/out" --ref-a t1 --ref-b t3 "$L" "$L"
    expect_lines "umoci: one layer vs one layer with a file more" 1 "$W/out" "$W/want"
    grep -v '^history' "$W/want" > "$W/want2" || true
    run_diff "$W/out" --ignore history --ref-a t1 --ref-b t3 "$L" "$L"
    expect_lines "umoci: --ignore history" 1 "$W/out" "$W/want2"
else
    echo "skipped: umoci checks (no umoci)"
fi

# ---- 3b. podman save of a distill image ----
if command -v podman >/dev/null && command -v skopeo >/dev/null && [ "$(id -u)" = 0 ]; then
    mkdir -p "$W/p/data/sub"
    for n in a b c; do echo "file $n" > "$W/p/data/$n.txt"; done
    echo deeper > "$W/p/data/sub/d.txt"
    printf 'name: t/diff:1\nplatform: linux/amd64\nfiles:\n  - {src: ./data, dst: /srv/data}\n' > "$W/p/s.yaml"
    "$DISTILL" build -q --no-lock "$W/p/s.yaml" --format oci -o "$W/pod.oci"
    name="localhost/difftest-$$:1"
    skopeo copy -q "oci:$W/pod.oci:1" "containers-storage:$name" 2> "$W/podman.log" ||
        { cat "$W/podman.log" >&2; fail "skopeo copy to podman"; }
    LOADED_IMAGES+=("$name")   # removed by lib.sh's exit trap
    podman save -q --format docker-archive -o "$W/saved.tar" "$name" 2>> "$W/podman.log"
    podman save -q --format oci-archive -o "$W/saved-oci.tar" "$name" 2>> "$W/podman.log"
    nl=$(python3 -c 'import json,sys; d=sys.argv[1]; i=json.load(open(d+"/index.json")); m=json.load(open(d+"/blobs/sha256/"+i["manifests"][0]["digest"][7:])); print(len(m["layers"]))' "$W/pod.oci")

    # docker-archive: podman keeps the config's bytes and stores each layer's tar
    # uncompressed; a docker-archive has no manifest or index to compare. So: each layer, the
    # same tar, gzip -> none; nothing else.
    for i in $(seq 1 "$nl"); do echo "layer $i: same tar, compression gzip -> none"; done > "$W/want"
    run_diff "$W/out" "$W/pod.oci" "$W/saved.tar"
    expect_lines "podman docker-archive" 1 "$W/out" "$W/want"
    if [ "$(sed -n 2p "$W/out")" = "+++ $W/saved.tar (docker-archive, $name)" ]; then pass; else
        flunk "podman docker-archive: header names the kind and tag" "$W/out"; fi
    run_diff "$W/out" --ignore compression "$W/pod.oci" "$W/saved.tar"
    expect_last "podman docker-archive --ignore compression" 0 "$W/out" \
        "identical ($nl more ignored: compression)"
    run_diff "$W/out" "$W/saved.tar" "$W/saved.tar"
    expect_last "podman docker-archive vs itself" 0 "$W/out" identical

    # oci-archive: podman writes its own index.json, without the index's mediaType and the
    # descriptor's platform, naming the image by its podman name (as ref.name, without
    # io.containerd.image.name); it recompresses every layer
    # (the same tars) with Go's gzip writer, whose header differs from distill's: on this
    # machine MTIME 0 -> 2288912640 (Go's zero time.Time, -62135596800, cut to 32 bits) and
    # OS 3 -> 255. The layer lines are worked out here from the two gzip headers, field by
    # field in distill's order, so a podman that writes another header stays exact.
    python3 - "$W/pod.oci" "$W/saved-oci.tar" "$name" > "$W/want" <<'PY'
import hashlib, io, json, struct, sys, tarfile, zlib
d, arc, name = sys.argv[1:]
t = tarfile.open(arc)
A = lambda dg: open(f"{d}/blobs/sha256/{dg[7:]}", "rb").read()
B = lambda dg: t.extractfile(f"blobs/sha256/{dg[7:]}").read()
ia, ib = json.loads(open(f"{d}/index.json").read()), json.loads(t.extractfile("index.json").read())
da, db = ia["manifests"][0], ib["manifests"][0]
assert "mediaType" in ia and "mediaType" not in ib and "platform" in da and "platform" not in db
def shown(v):  # as distill diff shows a string: bare unless it reads as a number
    try:
        float(v)
        return json.dumps(v)
    except ValueError:
        return v
aa, ab = da["annotations"], db["annotations"]
for k in sorted(set(aa) | set(ab)):
    key = f'index.manifests[0].annotations["{k}"]'
    if k not in ab:
        print(f"{key}: - {shown(aa[k])}")
    elif k not in aa:
        print(f"{key}: + {shown(ab[k])}")
    elif aa[k] != ab[k]:
        print(f"{key}: {shown(aa[k])} -> {shown(ab[k])}")
print("index.manifests[0].platform: - " + json.dumps(da["platform"], sort_keys=True, separators=(",", ":")))
print(f"index.mediaType: - {ia['mediaType']}")
la, lb = json.loads(A(da["digest"]))["layers"], json.loads(B(db["digest"]))["layers"]
assert len(la) == len(lb)


def header(b):
    flg, mtime, xfl, os_ = b[3], struct.unpack("<I", b[4:8])[0], b[8], b[9]
    fname = b[10:b.index(b"\0", 10)].decode() if flg & 8 and not flg & 4 else None
    members, rest, tar = 0, b, b""
    while rest:
        z = zlib.decompressobj(31)
        tar += z.decompress(rest)
        members, rest = members + 1, z.unused_data
    return [("MTIME", mtime), ("XFL", xfl), ("OS", os_), ("FLG", flg),
            ("FNAME", fname or "(none)"), ("members", members)], hashlib.sha256(tar).digest()


for i, (x, y) in enumerate(zip(la, lb), 1):
    a, b = A(x["digest"]), B(y["digest"])
    if a == b:
        continue
    (ha, ta), (hb, tb) = header(a), header(b)
    assert ta == tb, f"layer {i}: podman changed the tar"
    lines = [f"layer {i}: same tar, gzip {'header ' if k != 'members' else ''}{k} {u} -> {v}"
             for (k, u), (_, v) in zip(ha, hb) if u != v]
    print("\n".join(lines) or f"layer {i}: same tar, gzip stream differs (another compressor, level or version)")
PY
    run_diff "$W/out" "$W/pod.oci" "$W/saved-oci.tar"
    expect_lines "podman oci-archive" 1 "$W/out" "$W/want"
    grep '^index' "$W/want" > "$W/want2" || true
    run_diff "$W/out" --ignore compression "$W/pod.oci" "$W/saved-oci.tar"
    expect_lines "podman oci-archive --ignore compression" 1 "$W/out" "$W/want2"
    run_diff "$W/out" "$W/saved-oci.tar" "$W/saved-oci.tar"
    expect_last "podman oci-archive vs itself" 0 "$W/out" identical
    # podman's two archives of one image: the same config and tars, gzip in one only
    for i in $(seq 1 "$nl"); do echo "layer $i: same tar, compression none -> gzip"; done > "$W/want"
    run_diff "$W/out" "$W/saved.tar" "$W/saved-oci.tar"
    expect_lines "podman docker-archive vs oci-archive" 1 "$W/out" "$W/want"
else
    echo "skipped: podman checks (needs podman, skopeo and root)"
fi

echo "diff: $cases_ok/$cases_all corpus cases passed; $passed/$((passed + ${#failures[@]})) checks passed"
if [ ${#failures[@]} -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "ok: diff"
