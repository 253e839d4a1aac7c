#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make.sh CORPUS: writes small .deb seeds (gzip, xz, zstd data members) into CORPUS.
set -eu
out=$1 d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/DEBIAN" "$d/usr/share/seed" "$d/usr/bin"
printf 'Package: seed\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: seed\n' > "$d/DEBIAN/control"
echo hello > "$d/usr/share/seed/a.txt"
ln -s ../share/seed/a.txt "$d/usr/bin/link"
ln "$d/usr/share/seed/a.txt" "$d/usr/share/seed/hard.txt"
for z in gzip xz zstd; do
    dpkg-deb --build --root-owner-group -Z$z "$d" "$out/seed-$z.deb" >/dev/null 2>&1 || true
done
