#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The hostile corpus (issue 16): one case per class of input that once fooled, hung or
# escaped distill, each with its exact exit status and message. The cases are made here
# (hostile.py and the shell), from one small image built by the test. Under ASan+UBSan the
# same script runs against the sanitized binary (make test-asan).
#   1 digests are checked, not trusted     4 images are opened beneath their root
#   2 bounded work from tiny inputs        5 no forged lines in written files
#   3 what is already there is checked     6 the smaller ones
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
H="$here/hostile.py"
cd "$W"

# run CODE CMD...: runs CMD (a hang ends after 60 s and fails), its exit status must be
# CODE; its stderr is left in $W/err, its stdout in $W/out.
run() {
    local want=$1 rc=0; shift
    timeout 60 "$@" > "$W/out" 2> "$W/err" || rc=$?
    [ "$rc" != 124 ] || fail "hung: $*"
    [ "$rc" = "$want" ] || { cat "$W/err" >&2; fail "exit $rc, not $want: $*"; }
}
# expect CODE MESSAGE CMD...: as run, and stderr is exactly the line MESSAGE.
expect() {
    local want=$1 msg=$2; shift 2
    run "$want" "$@"
    [ "$(cat "$W/err")" = "$msg" ] ||
        { printf 'got:  %s\nwant: %s\n' "$(cat "$W/err")" "$msg" >&2; fail "message of: $*"; }
}
# report TEXT: the difference report (stdout) holds the line TEXT.
report() { grep -qxF -- "$1" "$W/out" || { cat "$W/out" >&2; fail "report lacks: $1"; }; }
short() { echo "sha256:${1:0:12}"; }
hashof() { sha256sum "$1" | cut -c1-64; }
# sizeof N: a size as distill's messages give it ("100 bytes", "1.3 KiB (1370 bytes)")
sizeof() {
    if [ "$1" -lt 1024 ]; then echo "$1 bytes"
    else python3 -c 'import sys; n = int(sys.argv[1]); print(f"{n / 1024:.1f} KiB ({n} bytes)")' "$1"; fi
}

# The genuine image: a spec of files only (no lock needed), as a layout and as archives.
mkdir data && echo hello > data/a
printf 'name: t/h:1\nplatform: linux/amd64\nfiles:\n  - {src: ./data, dst: /data}\n' > s.yaml
"$DISTILL" build -q --no-lock s.yaml -o pub.oci
"$DISTILL" build -q --no-lock s.yaml -o pub.oci.tar --format oci-archive
"$DISTILL" build -q --no-lock s.yaml -o pub.docker.tar --format docker-archive
man=$(python3 -c 'import json,sys; print(json.load(open("pub.oci/index.json"))["manifests"][0]["digest"][7:])')
L=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' "pub.oci/blobs/sha256/$man")
size=$(stat -c %s "pub.oci/blobs/sha256/$L")
run 0 "$DISTILL" verify -q --no-lock s.yaml --against pub.oci
run 0 "$DISTILL" verify -q --no-lock s.yaml --against pub.oci.tar
run 0 "$DISTILL" diff -q pub.oci pub.oci.tar

# tamper CASE: x.oci is pub.oci changed by CASE.
tamper() {
    rm -rf x.oci && cp -a pub.oci x.oci
    local b="x.oci/blobs/sha256/$L"
    case $1 in
        garbage)  head -c "$size" /dev/zero | tr '\0' x > "$b" ;;
        truncate) truncate -s 100 "$b" ;;
        pad)      printf 'pad' >> "$b" ;;
        shadow)   rm "$b"; ln -s /etc/shadow "$b" ;;
        fifo)     rm "$b"; mkfifo "$b" ;;
        zero)     rm "$b"; ln -s /dev/zero "$b" ;;
        diffid)   python3 "$H" diff-id x.oci ;;
        index-fifo)   rm x.oci/index.json; mkfifo x.oci/index.json ;;
        index-zero)   rm x.oci/index.json; ln -s /dev/zero x.oci/index.json ;;
        index-shadow) rm x.oci/index.json; ln -s /etc/shadow x.oci/index.json ;;
    esac
}

# ---- 1. Digests are checked, not trusted: inspect refuses, diff and verify name it ----
tamper garbage
g=$(hashof "x.oci/blobs/sha256/$L")
why="blob $(short "$L") has $(short "$g") ($(sizeof "$size"))"
expect 1 "distill: 'x.oci': layer 1: $why" "$DISTILL" inspect x.oci
run 1 "$DISTILL" diff pub.oci x.oci
report "  layer 1: in 'x.oci', $why"
run 1 "$DISTILL" verify -q --no-lock s.yaml --against x.oci
report "    layer 1: in '$W/x.oci', $why"

tamper truncate
t=$(hashof "x.oci/blobs/sha256/$L")
why="blob $(short "$L") has $(short "$t") (100 bytes, its descriptor says $(sizeof "$size"))"
expect 1 "distill: 'x.oci': layer 1: $why" "$DISTILL" inspect x.oci
run 1 "$DISTILL" diff pub.oci x.oci
report "  layer 1: in 'x.oci', $why"
run 1 "$DISTILL" verify -q --no-lock s.yaml --against x.oci
report "    layer 1: in '$W/x.oci', $why"

tamper pad
p=$(hashof "x.oci/blobs/sha256/$L")
why="blob $(short "$L") has $(short "$p") ($(sizeof $((size + 3))), its descriptor says $(sizeof "$size"))"
expect 1 "distill: 'x.oci': layer 1: $why" "$DISTILL" inspect x.oci
run 1 "$DISTILL" verify -q --no-lock s.yaml --against x.oci
report "    layer 1: in '$W/x.oci', $why"

# a config whose diff_id is not the layer's, the documents above it re-digested to agree
tamper diffid
diffid=$(python3 -c 'import hashlib; print(hashlib.sha256(b"not the layer").hexdigest())')
tar_id=$(gzip -dc "pub.oci/blobs/sha256/$L" | sha256sum | cut -c1-64)
why="the tar hashes to $(short "$tar_id"), not the config's diff_id $(short "$diffid")"
expect 1 "distill: 'x.oci': layer 1: $why" "$DISTILL" inspect x.oci
run 1 "$DISTILL" diff pub.oci x.oci
report "  layer 1: in 'x.oci', $why"
run 1 "$DISTILL" verify -q --no-lock s.yaml --against x.oci
report "    layer 1: in '$W/x.oci', $why"

# an OCI archive whose layer member holds other bytes of the same size
python3 - pub.oci.tar x.oci.tar "$L" <<'PY'
import sys, tarfile
src, dst, layer = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
with tarfile.open(src) as t:
    m = t.getmember("blobs/sha256/" + layer)
data[m.offset_data:m.offset_data + m.size] = b"x" * m.size
open(dst, "wb").write(data)
PY
why="blob $(short "$L") has $(short "$g") ($(sizeof "$size"))"
expect 1 "distill: 'x.oci.tar': layer 1: $why" "$DISTILL" inspect x.oci.tar
run 1 "$DISTILL" verify -q --no-lock s.yaml --against x.oci.tar
report "    layer 1: in '$W/x.oci.tar', $why"

# a docker-archive whose layer member holds another tar (it names no digests: the config's
# diff_id is what the bytes must match)
python3 - pub.docker.tar x.docker.tar <<'PY'
import io, json, sys, tarfile
src, dst = sys.argv[1:3]
with tarfile.open(src) as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
layer = json.loads(next(d for m, d in members if m.name == "manifest.json"))[0]["Layers"][0]
other = io.BytesIO()
with tarfile.open(fileobj=other, mode="w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("data/a"); i.size = 6
    t.addfile(i, io.BytesIO(b"HELLO\n"))
with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as t:
    for m, d in members:
        if m.name == layer:
            d = other.getvalue(); m.size = len(d)
        t.addfile(m, io.BytesIO(d) if d is not None else None)
PY
run 1 "$DISTILL" inspect x.docker.tar
grep -qE "^distill: 'x.docker.tar': layer 1: the tar hashes to sha256:[0-9a-f]{12}, not the config's diff_id sha256:${tar_id:0:12}\$" err ||
    { cat err; fail "inspect of a tampered docker-archive"; }
run 1 "$DISTILL" verify -q --no-lock s.yaml --against x.docker.tar
grep -qE "^    layer 1: in '$W/x.docker.tar', the tar hashes to sha256:[0-9a-f]{12}, not the config's diff_id sha256:${tar_id:0:12}\$" out ||
    { cat out err; fail "verify --against a tampered docker-archive"; }

# ---- 4. Images are opened beneath their root, as regular files only ----
for c in shadow zero; do
    tamper $c
    m="'x.oci/blobs/sha256/$L' is or passes through a symlink: a layout's files must be its own"
    expect 1 "distill: $m" "$DISTILL" inspect x.oci
    expect 2 "distill: $m" "$DISTILL" diff pub.oci x.oci
    run 2 "$DISTILL" verify -q --no-lock s.yaml --against x.oci
    grep -qxF "distill: '$W/${m#\'}" err || { cat err; fail "verify --against a blob symlinked to $c"; }
done
tamper fifo
expect 1 "distill: 'x.oci/blobs/sha256/$L' is not a regular file" "$DISTILL" inspect x.oci
run 2 "$DISTILL" verify -q --no-lock s.yaml --against x.oci
grep -qxF "distill: '$W/x.oci/blobs/sha256/$L' is not a regular file" err || fail "verify: fifo blob"
for c in zero shadow; do
    tamper index-$c
    expect 1 "distill: 'x.oci/index.json' is or passes through a symlink: a layout's files must be its own" \
        "$DISTILL" inspect x.oci
done
tamper index-fifo
expect 1 "distill: 'x.oci/index.json' is not a regular file" "$DISTILL" inspect x.oci

# ---- 2. Bounded work: refused at the header, before any work ----
python3 "$H" sparse-bomb bomb.tar.gz
[ "$(stat -c %s bomb.tar.gz)" -lt 400 ] || fail "the sparse bomb is not tiny"
bomb="'bomb' (1000000000000000000 bytes) takes its files past 64.00 GiB, the limit on the content of one tar (holes included)"
expect 1 "distill: 'bomb.tar.gz': $bomb" "$DISTILL" inspect bomb.tar.gz
expect 2 "distill: 'bomb.tar.gz': $bomb" "$DISTILL" diff bomb.tar.gz bomb.tar.gz
python3 "$H" layout bomb.oci bomb.tar.gz
expect 1 "distill: 'bomb.oci': layer 1: $bomb" "$DISTILL" inspect bomb.oci
run 2 "$DISTILL" verify -q --no-lock s.yaml --against bomb.oci
grep -qF "layer 1: $bomb" err || { cat err; fail "verify --against the sparse bomb"; }

# ---- 3. What is already there is checked before it is reused ----
# rebuild INTO: builds s.yaml into the layout INTO; it must then match pub.oci.
rebuilt() { run 0 "$DISTILL" diff -q pub.oci y.oci; cmp -s "pub.oci/blobs/sha256/$L" "y.oci/blobs/sha256/$L" || fail "blob not repaired"; }
for c in truncate garbage fifo shadow; do
    tamper $c && rm -rf y.oci && mv x.oci y.oci
    cp /etc/passwd passwd.before
    run 0 "$DISTILL" build -q --no-lock s.yaml -o y.oci
    rebuilt
    [ -f "y.oci/blobs/sha256/$L" ] && [ ! -L "y.oci/blobs/sha256/$L" ] || fail "$c: blob not a file"
done
rm -rf y.oci && cp -a pub.oci y.oci && rm "y.oci/blobs/sha256/$L" && mkdir "y.oci/blobs/sha256/$L"
expect 1 "distill: 'y.oci/blobs/sha256/$L' is a directory where a blob belongs" \
    "$DISTILL" build -q --no-lock s.yaml -o y.oci
rm -rf y.oci elsewhere && cp -a pub.oci y.oci && mkdir elsewhere && mv y.oci/blobs elsewhere/ &&
    ln -s "$W/elsewhere/blobs" y.oci/blobs
rm -f elsewhere/blobs/sha256/*
expect 1 "distill: 'y.oci/blobs' is a symlink: a layout's blobs must be its own (it is not followed)" \
    "$DISTILL" build -q --no-lock s.yaml -o y.oci
[ -z "$(ls elsewhere/blobs/sha256)" ] || fail "blobs written through a symlink"
rm -rf y.oci elsewhere && cp -a pub.oci y.oci && mkdir elsewhere && mv y.oci/blobs/sha256 elsewhere/ &&
    ln -s "$W/elsewhere/sha256" y.oci/blobs/sha256 && rm -f elsewhere/sha256/*
expect 1 "distill: 'y.oci/blobs/sha256' is a symlink: a layout's blobs must be its own (it is not followed)" \
    "$DISTILL" build -q --no-lock s.yaml -o y.oci
[ -z "$(ls elsewhere/sha256)" ] || fail "blobs written through a symlink"
mkfifo fifo
rm -rf y.oci && cp -a pub.oci y.oci && rm y.oci/index.json && ln -s "$W/fifo" y.oci/index.json
expect 1 "distill: 'y.oci/index.json' is a symlink: a layout's files must be its own (it is not followed)" \
    "$DISTILL" build -q --no-lock s.yaml -o y.oci
rm -rf y.oci && cp -a pub.oci y.oci && rm y.oci/index.json && mkfifo y.oci/index.json
expect 1 "distill: 'y.oci/index.json' is not a regular file" "$DISTILL" build -q --no-lock s.yaml -o y.oci

# ---- 5. No forged lines ----
printf 'name: t/g:1\nplatform: linux/amd64\ngroups:\n  - {name: g, gid: 5, members: ["c\\nroot2:x:0:evil"]}\n' > g.yaml
expect 1 "distill: g.yaml:4: groups[0].members: member 1: 'c\\nroot2:x:0:evil' is not a valid user name" \
    "$DISTILL" build -q --no-lock g.yaml -o g.oci
printf 'name: t/u:1\nplatform: linux/amd64\nusers:\n  - {name: u, uid: 5, gid: 5, shell: "/bin/sh:0:0"}\n' > u.yaml
expect 1 "distill: u.yaml:4: users[0].shell: '/bin/sh:0:0' has a ':', which separates /etc/passwd fields" \
    "$DISTILL" build -q --no-lock u.yaml -o u.oci
printf 'name: t/m:1\nplatform: linux/amd64\nfiles:\n  - {src: ./data/a, dst: /a, mode: "7777"}\n' > m.yaml
expect 1 "distill: m.yaml:4: files[0]: mode 7777 sets setuid, setgid or sticky bits: add 'special: true' to keep them" \
    "$DISTILL" build -q --no-lock m.yaml -o m.oci
printf 'name: t/m:1\nplatform: linux/amd64\nfiles:\n  - {src: ./data/a, dst: /a, mode: "4755", special: true}\n' > m2.yaml
run 0 "$DISTILL" build -q --no-lock m2.yaml -o m2.oci
run 0 "$DISTILL" inspect m2.oci
grep -qE '^  -rwsr-xr-x +0:0 +6  a$' out || { cat out; fail "special: true did not keep setuid"; }
[ ! -e g.oci ] && [ ! -e u.oci ] && [ ! -e m.oci ] || fail "a refused spec left an output"

# .deb files: a second stanza, a bad CRC, a sparse member
mkdir debs
pkg() { printf 'name: t/d:1\nplatform: linux/amd64\ndebs: ./debs\npackages: [hello-%s]\n' "$1" > "d-$1.yaml"; }
for k in stanza crc sparse; do python3 "$H" deb $k "debs/hello-${k}_1.0_all.deb" "hello-$k"; pkg $k; done
expect 1 "distill: '$W/debs/hello-stanza_1.0_all.deb': control file holds more than one stanza (a blank line)" \
    "$DISTILL" lock -q d-stanza.yaml -o d.lock.json
run 1 "$DISTILL" build -q --no-lock d-crc.yaml -o d.oci
grep -qxF "distill: '$W/debs/hello-crc_1.0_all.deb': data.tar.gz: not a valid gzip stream (incorrect data check)" err ||
    { cat err; fail "bad CRC accepted"; }
run 1 "$DISTILL" build -q --no-lock d-sparse.yaml -o d.oci
grep -qF "hello-sparse_1.0_all.deb': data.tar.gz member './usr/share/doc/hello-sparse/sparse' is a sparse file (dpkg knows none; refused)" err ||
    { cat err; fail "sparse .deb member"; }
[ ! -e d.oci ] && [ ! -e d.lock.json ] || fail "a refused .deb left an output"

# ---- 6. The smaller ones ----
# names that are not UTF-8 and C1 controls: \xHH in text reports, kept (escaped) in --json
python3 - <<'PY'
import io, tarfile
for n, c in (("n1.tar", b"1\n"), ("n2.tar", b"2\n")):
    with tarfile.open(n, "w", format=tarfile.PAX_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as t:
        for name in (b"caf\xe9", b"a\x9bb"):
            i = tarfile.TarInfo(name.decode("utf-8", "surrogateescape"))
            i.size, i.mtime = len(c), 0
            t.addfile(i, io.BytesIO(c))
PY
run 1 "$DISTILL" diff n1.tar n2.tar
report '  caf\xe9: content 2 bytes sha256:4355a46b19d3 -> 2 bytes sha256:53c234e5e847'
report '  a\x9bb: content 2 bytes sha256:4355a46b19d3 -> 2 bytes sha256:53c234e5e847'
! LC_ALL=C grep -q $'\x9b' out || fail "a C1 byte printed raw"
run 1 "$DISTILL" diff --json n1.tar n2.tar
python3 - "$W/out" <<'PY' || fail "diff --json of names that are not UTF-8"
import json, sys
d = json.load(open(sys.argv[1]))
paths = sorted(x["path"] for x in d["differences"])
assert d["total"] == 2 and paths == ["a\\x9bb", "caf\\xe9"], (d["total"], paths)
PY
# a pax path over 1 MiB: refused by name, never shown as its 100-byte ustar name
python3 "$H" pax-path long.tar
expect 1 "distill: 'long.tar' is not an image or a tarball (Special header too large)" \
    "$DISTILL" inspect long.tar
# outputs that make no sense are usage errors, before any work
expect 2 "distill build: an OCI layout is a directory and cannot go to standard output: use --format oci-archive, docker-archive or rootfs with -o -
Try 'distill build --help'." "$DISTILL" build -q --no-lock s.yaml -o -
[ ! -e ./- ] || fail "a directory named '-'"
expect 2 "distill build: -o wants a path, not ''
Try 'distill build --help'." "$DISTILL" build -q --no-lock s.yaml -o ''
cp s.yaml l.yaml
expect 2 "distill lock: -o 'l.yaml' is the spec itself
Try 'distill lock --help'." "$DISTILL" lock -q l.yaml -o l.yaml
cmp -s s.yaml l.yaml || fail "lock overwrote its spec"
run 0 "$DISTILL" lock -q l.yaml
cp l.lock.json lock.before
expect 2 "distill build: -o 'l.lock.json' is the lockfile
Try 'distill build --help'." "$DISTILL" build -q l.yaml -o l.lock.json
cmp -s l.lock.json lock.before || fail "build overwrote the lock"
# a FIFO given as a binary is refused, not waited on
printf 'name: t/f:1\nplatform: linux/amd64\nbinaries: [{path: ./fifo, dst: /fifo}]\n' > f.yaml
expect 1 "distill: f.yaml: binaries: '$W/fifo' is not a regular file" "$DISTILL" lock -q f.yaml -o f.lock.json
expect 1 "distill: '$W/fifo' is not a regular file" "$DISTILL" deps "$W/fifo"
# two data.tar members in one .deb
python3 "$H" deb twodata "debs/hello-two_1.0_all.deb" hello-two && pkg two
expect 1 "distill: '$W/debs/hello-two_1.0_all.deb': two data.tar members" \
    "$DISTILL" build -q --no-lock d-two.yaml -o d.oci
# a docker-archive member that is a link loop is named as one
python3 "$H" docker-loop pub.docker.tar loop.tar
expect 1 "distill: 'loop.tar': member 'blobs/sha256/$(gzip -dc "pub.oci/blobs/sha256/$L" | sha256sum | cut -c1-64)' is a link loop (or links more than 4 deep)" \
    "$DISTILL" inspect loop.tar
# a closed pipe ends quietly, as cat does (SIGPIPE), with nothing on stderr
python3 "$H" entries many.tar.gz 20000
set +o pipefail
"$DISTILL" inspect many.tar.gz 2> err | head -1 > out
set -o pipefail
[ "$(cat out)" = "image       many.tar.gz (tarball)" ] && [ ! -s err ] || { cat err; fail "inspect | head"; }
# verify --keep over a file where a run directory belongs names it
mkdir keep && touch keep/run-1
run 2 "$DISTILL" verify -q --no-lock --keep keep s.yaml
grep -qxF "distill: cannot build in '$W/keep/run-1': not a directory" err || { cat err; fail "verify --keep over a file"; }

echo "hostile corpus: all cases behave as expected"
