#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# .deb files that try to leave the image (".." members, absolute members, a symlink pointing
# out and a file written through it, a hardlink to an outside path, a newline in a name, a
# component over 255 bytes, a path over 4095) are rejected with a one-line message naming the
# package and the member; nothing outside the image changes. A normal
# package's absolute symlink is kept as a symlink, never followed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

export TARGET="$W/outside"
mkdir -p "$TARGET"
echo original > "$TARGET/x"
snapshot() { (cd "$W" && find outside -printf '%p %y %s %T@\n' | sort; cat outside/x); }
before=$(snapshot)

mkdir -p "$W/p/debs"
for kind in dotdot absolute symlink hardlink newline longname longpath; do
    python3 "$here/hostile_deb.py" "$W/p/debs/evil-$kind""_1.0_all.deb" "evil-$kind" $kind
    cat > "$W/p/$kind.yaml" <<Y
name: example/evil:$kind
platform: linux/amd64
debs: ./debs
packages: [evil-$kind]
Y
    for fmt in oci rootfs; do
        if "$DISTILL" build -q --no-lock "$W/p/$kind.yaml" --format $fmt -o "$W/out-$kind-$fmt" 2> "$W/err"; then
            fail "$kind: build accepted a hostile package"
        fi
        grep -q "evil-$kind" "$W/err" || { cat "$W/err"; fail "$kind: message does not name the package"; }
        [ "$(wc -l < "$W/err")" = 1 ] || { cat "$W/err"; fail "$kind: the message is not one line"; }
        [ ! -e "$W/out-$kind-$fmt" ] || fail "$kind: output left behind"
    done
    if "$DISTILL" lock -q "$W/p/$kind.yaml" 2>/dev/null; then fail "$kind: lock accepted it"; fi
    [ "$(snapshot)" = "$before" ] || fail "$kind: something outside the image changed"
    echo "ok   $kind: rejected: $(head -1 "$W/err")"
done

# a normal package with an absolute symlink: kept as is, its target not read
make_deb "$W/p/debs" distill-good 1.0 "fine"
d=$(mktemp -d "$W/deb.XXXXXX")
mkdir -p "$d/DEBIAN" "$d/usr/bin"
printf 'Package: distill-links\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: links\n' > "$d/DEBIAN/control"
ln -s "$TARGET/x" "$d/usr/bin/outside-link"
dpkg-deb --build --root-owner-group "$d" "$W/p/debs/distill-links_1.0_all.deb" >/dev/null
cat > "$W/p/good.yaml" <<Y
name: example/good:1
platform: linux/amd64
base: scratch
debs: ./debs
packages: [distill-links, distill-good]
Y
"$DISTILL" build -q --no-lock "$W/p/good.yaml" --format rootfs -o "$W/good.tar" || fail "good package"
tar -tvf "$W/good.tar" > "$W/good.list"   # (no grep -q in a pipe: SIGPIPE under pipefail)
grep -q "usr/bin/outside-link -> $TARGET/x" "$W/good.list" || fail "absolute symlink not kept"
grep -q "usr/share/distill-good/data.txt" "$W/good.list" || fail "content missing"
[ "$(snapshot)" = "$before" ] || fail "the good package changed something outside"
echo "ok   absolute symlinks in packages are kept, not followed"
