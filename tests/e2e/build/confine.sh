#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every path stays inside its root, and odd names survive exactly:
#  1. a sysroot whose library symlinks are absolute, climb with extra "..", or go through a
#     directory symlink: the image holds the sysroot's files (never the host's, checked by
#     sha256) and runs under podman;
#  2. a sysroot symlink whose target exists only on the host, and a symlink loop: the build
#     fails naming the library, nothing is written;
#  3. between lock and build a symlink becomes a directory, and a directory becomes a symlink
#     to /etc: the build refuses naming the path, nothing is written; without a lock the
#     symlink is packed as a symlink and nothing of /etc is read;
#  4. names with a newline, control characters, an escape sequence, a backslash: packed
#     byte for byte, locked, and shown escaped on one line when they drift;
#  5. image paths with a component over 255 bytes or over 4095 bytes in all: refused by line;
#  6. a tree nested 4096 deep (paths over 8 KiB) with 128 descriptors: locked, built, packed
#     (CONFINE_DEPTH sets the depth; the light variant, DISTILL_TEST_LIGHT=1, nests 2100:
#     paths still pass PATH_MAX).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
ok() { echo "ok   $*"; }

# ---- 1. a sysroot of escaping symlinks ----
mkdir -p "$W/sr"
cat > "$W/sr/app.c" <<'C'
#include <stdio.h>
#include <zlib.h>
int main(void) { printf("zlib %s\n", zlibVersion()); return 0; }
C
gcc -O2 -o "$W/sr/app" "$W/sr/app.c" -lz
make_sysroot() {
    local S=$1 L=$1/usr/lib/x86_64-linux-gnu
    mkdir -p "$L" "$S/usr/bin" "$S/lib64-real"
    cp "$W/sr/app" "$S/usr/bin/app"
    cp -L /lib64/ld-linux-x86-64.so.2 "$L/ld-linux-x86-64.so.2"
    cp -L /lib/x86_64-linux-gnu/libc.so.6 "$L/libc.so.6.real"
    # climbs far above the root: ".." stops at the sysroot, as in a chroot
    ln -s ../../../../../../../../usr/lib/x86_64-linux-gnu/libc.so.6.real "$L/libc.so.6"
    # the sysroot's own zlib differs from the host's by a trailing marker
    { cat /lib/x86_64-linux-gnu/libz.so.1; printf 'distill-sysroot-marker'; } > "$L/libz.so.1.sysroot"
    ln -s /usr/lib/x86_64-linux-gnu/libz.so.1.sysroot "$L/libz.so.1"
    ln -s usr/lib "$S/lib"
    ln -s /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$S/lib64-real/ld-linux-x86-64.so.2"
    ln -s /lib64-real "$S/lib64"
    cat > "$S/../$(basename "$S").yaml" <<Y
name: example/sysroot:1
root: ./$(basename "$S")
binaries:
  - /usr/bin/app
config:
  entrypoint: [/usr/bin/app]
Y
}
make_sysroot "$W/sr/root"
"$DISTILL" build -q --no-lock "$W/sr/root.yaml" -o "$W/sr/img" || fail "sysroot: build"
"$DISTILL" build -q --no-lock "$W/sr/root.yaml" --format rootfs -o "$W/sr/rootfs.tar" || fail "sysroot: rootfs"
"$DISTILL" deps --root "$W/sr/root" /usr/bin/app > "$W/sr/deps"
python3 - "$W/sr/rootfs.tar" "$W/sr/root" "$W/sr/deps" <<'PY' || fail "sysroot: the image is not the sysroot's"
import hashlib, os, sys, tarfile
tar, root, deps = sys.argv[1:]
sha = lambda b: hashlib.sha256(b).hexdigest()
from_root = set()
with tarfile.open(tar) as t:
    for m in t.getmembers():
        p = os.path.join(root, m.name)
        if not os.path.lexists(p):
            continue  # the distroless skeleton (etc/passwd, ...)
        from_root.add("/" + m.name)
        if m.isfile():
            assert not os.path.islink(p), m.name
            assert sha(t.extractfile(m).read()) == sha(open(p, "rb").read()), f"{m.name}: not the sysroot's bytes"
        elif m.issym():
            assert m.linkname == os.readlink(p), f"{m.name}: link {m.linkname}"
want = {l.strip() for l in open(deps)} | {"/usr", "/usr/bin", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/lib64-real"}
assert from_root == want, sorted(from_root ^ want)
host = sha(open("/lib/x86_64-linux-gnu/libz.so.1", "rb").read())
with tarfile.open(tar) as t:
    z = t.extractfile("usr/lib/x86_64-linux-gnu/libz.so.1.sysroot").read()
assert z.endswith(b"distill-sysroot-marker") and sha(z) != host
PY
ok "sysroot: every file is the sysroot's (absolute, climbing and directory symlinks), exactly distill deps' list"
if command -v podman >/dev/null && command -v skopeo >/dev/null && [ "$(id -u)" = 0 ]; then
    img=$(pull_oci "$W/sr/img")
    got=$(prun "$img" 2>/dev/null) || fail "sysroot: podman run"
    [ "$got" = "$("$W/sr/app")" ] || fail "sysroot: the container printed '$got'"
    ok "sysroot: the image runs under podman ($got)"
else
    echo "skip sysroot: podman run (needs podman, skopeo and root)"
fi

# ---- 2. a symlink to a host-only file, a symlink loop ----
hostz=$(readlink -f /lib/x86_64-linux-gnu/libz.so.1)
make_sysroot "$W/sr/hostonly"
ln -sfn "$hostz" "$W/sr/hostonly/usr/lib/x86_64-linux-gnu/libz.so.1"
[ ! -e "$W/sr/hostonly$hostz" ] || fail "hostonly: the target exists in the sysroot"
make_sysroot "$W/sr/loop"
ln -sfn libz.so.1.b "$W/sr/loop/usr/lib/x86_64-linux-gnu/libz.so.1"
ln -sfn /usr/lib/x86_64-linux-gnu/libz.so.1 "$W/sr/loop/usr/lib/x86_64-linux-gnu/libz.so.1.b"
for s in hostonly loop; do
    if "$DISTILL" build -q --no-lock "$W/sr/$s.yaml" -o "$W/sr/out-$s" 2> "$W/err"; then
        fail "$s: the build took a library from outside the sysroot"
    fi
    grep -q "libz.so.1" "$W/err" || { cat "$W/err"; fail "$s: the message does not name libz.so.1"; }
    [ ! -e "$W/sr/out-$s" ] || fail "$s: output left behind"
    ok "$s: refused: $(head -1 "$W/err")"
done

# ---- 3. swapped between lock and build ----
P=$W/proj
mkdir -p "$P/tree/sub"
echo data > "$P/tree/data.txt"
ln -s data.txt "$P/tree/link"
echo inner > "$P/tree/sub/file"
cat > "$P/files.yaml" <<'Y'
name: example/files:1
base: scratch
platform: linux/amd64
files:
  - src: ./tree
    dst: /data
Y
"$DISTILL" lock -q "$P/files.yaml" || fail "files: lock"
rm "$P/tree/link" && mkdir "$P/tree/link" && echo y > "$P/tree/link/y"
if "$DISTILL" build -q "$P/files.yaml" -o "$W/out-swap1" 2> "$W/err"; then
    fail "symlink -> directory: the build accepted the drift"
fi
grep -q "/data/link" "$W/err" || { cat "$W/err"; fail "symlink -> directory: /data/link not named"; }
[ ! -e "$W/out-swap1" ] || fail "symlink -> directory: output left behind"
ok "a symlink became a directory after lock: refused ($(grep -m1 /data/link "$W/err"))"
rm -r "$P/tree/link" && ln -s data.txt "$P/tree/link"
"$DISTILL" lock --check -q "$P/files.yaml" || fail "files: restored tree drifts"
rm -r "$P/tree/sub" && ln -s /etc "$P/tree/sub"
if "$DISTILL" build -q "$P/files.yaml" -o "$W/out-swap2" 2> "$W/err"; then
    fail "directory -> symlink: the build accepted the drift"
fi
grep -q "/data/sub" "$W/err" || { cat "$W/err"; fail "directory -> symlink: /data/sub not named"; }
[ ! -e "$W/out-swap2" ] || fail "directory -> symlink: output left behind"
ok "a directory became a symlink to /etc after lock: refused"
"$DISTILL" build -q --no-lock "$P/files.yaml" --format rootfs -o "$W/swap.tar" || fail "files: --no-lock"
tar -tvf "$W/swap.tar" > "$W/swap.list"
grep -q "data/sub -> /etc$" "$W/swap.list" || { cat "$W/swap.list"; fail "data/sub not kept as a symlink"; }
! grep -q "data/sub/" "$W/swap.list" || fail "something below the symlink was packed"
ok "without a lock the symlink to /etc is packed as a symlink, nothing below it read"

# ---- 4. names with control characters ----
N=$W/names
mkdir -p "$N/tree"
python3 - "$N/tree" <<'PY'
import os, sys
for n in ["a\nb", "\x01ctl", "esc\x1b[2J", "tab\tx", "back\\slash", "del\x7f", "sp ace", "caf\u00e9"]:
    open(os.path.join(sys.argv[1], n), "w").write(repr(n))
PY
cat > "$N/names.yaml" <<'Y'
name: example/names:1
base: scratch
platform: linux/amd64
files:
  - src: ./tree
    dst: /n
Y
"$DISTILL" lock -q --strict "$N/names.yaml" || fail "names: lock"  # content pinned: its drift is named below
"$DISTILL" lock --check -q "$N/names.yaml" || fail "names: the lock does not read back"
"$DISTILL" build -q "$N/names.yaml" --format rootfs -o "$W/names.tar" || fail "names: build"
python3 - "$W/names.tar" <<'PY' || fail "names: not packed byte for byte"
import sys, tarfile
want = ["a\nb", "\x01ctl", "esc\x1b[2J", "tab\tx", "back\\slash", "del\x7f", "sp ace", "caf\u00e9"]
with tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as t:
    got = {m.name[2:]: t.extractfile(m).read().decode() for m in t.getmembers() if m.name.startswith("n/")}
assert got == {n: repr(n) for n in want}, got
PY
echo changed > "$N/tree/a"$'\n'"b"
echo changed > "$N/tree/esc"$'\e'"[2J"
if "$DISTILL" build -q "$N/names.yaml" -o "$W/out-names" 2> "$W/err"; then
    fail "names: drift accepted"
fi
! grep -q $'\e' "$W/err" || fail "names: an escape character reached the terminal"
grep -qF '/n/a\nb' "$W/err" || { cat "$W/err"; fail "names: a\\nb not shown escaped"; }
grep -qF '/n/esc\x1b[2J' "$W/err" || { cat "$W/err"; fail "names: esc\\x1b[2J not shown escaped"; }
[ "$(grep -c '^distill' "$W/err")" = "$(wc -l < "$W/err")" ] || { cat "$W/err"; fail "names: a message spans lines"; }
ok "names with newline, control characters and escapes: packed exactly, drift shown one per line ($(grep -m1 -F 'a\nb' "$W/err"))"

# ---- 5. over-long image paths ----
long=$(printf 'x%.0s' $(seq 256))
printf 'name: example/long:1\nbase: scratch\nplatform: linux/amd64\nfiles:\n  - src: ./tree\n    dst: /%s\n' "$long" > "$N/long1.yaml"
printf 'name: example/long:1\nbase: scratch\nplatform: linux/amd64\nfiles:\n  - src: ./tree\n    dst: %s\n' \
    "$(printf '/%.200s' $(for i in $(seq 21); do echo "$long"; done))" > "$N/long2.yaml"
for c in "long1:path component longer than 255 bytes" "long2:path longer than 4095 bytes"; do
    f=${c%%:*} msg=${c#*:}
    set +e; "$DISTILL" build -q --no-lock "$N/$f.yaml" -o "$W/out-$f" 2> "$W/err"; rc=$?; set -e
    [ $rc = 1 ] || fail "$f: exit $rc"
    grep -q "$f.yaml:6: files\[0\].dst: $msg" "$W/err" || { cat "$W/err"; fail "$f: message"; }
    [ ! -e "$W/out-$f" ] || fail "$f: output left behind"
done
ok "a component over 255 bytes and a path over 4095 bytes are refused by file:line"

# ---- 6. a tree nested 4096 deep ----
if [ -n "${DISTILL_TEST_LIGHT:-}" ]; then depth=${CONFINE_DEPTH:-2100}; else depth=${CONFINE_DEPTH:-4096}; fi
D=$W/deep
python3 "$repo/tests/lib/trees.py" deep "$D/tree" "$depth"
printf 'name: example/deep:1\nbase: scratch\nplatform: linux/amd64\nfiles:\n  - src: ./tree\n    dst: /deep\n' > "$D/deep.yaml"
(
    ulimit -n 128
    "$DISTILL" lock -q "$D/deep.yaml" &&
    "$DISTILL" build -q "$D/deep.yaml" --format rootfs -o "$W/deep.tar" &&
    "$DISTILL" tar -q "$D/tree" -o "$W/deep-tree.tar"
) || fail "deep: lock, build or tar with 128 descriptors"
python3 - "$W/deep.tar" "$W/deep-tree.tar" "$depth" <<'PY' || fail "deep: not packed whole"
import sys, tarfile
depth = int(sys.argv[3])
for tar, prefix in ((sys.argv[1], "deep/"), (sys.argv[2], "")):
    with tarfile.open(tar) as t:
        ms = [m for m in t.getmembers() if m.name.startswith(prefix)]
        f = [m for m in ms if m.name.endswith("/f")]
        assert len(f) == 1 and f[0].name == prefix + "d/" * depth + "f", tar
        assert t.extractfile(f[0]).read() == b"deep\n"
        assert sum(m.isdir() for m in ms) == depth, tar
PY
ok "a tree nested $depth deep ($((depth * 2)) byte paths) locks, builds and tars with 128 descriptors"
