#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make.sh CORPUS: writes small tar seeds (ustar, pax, gnu; plain, gzip, zstd) into CORPUS.
set -eu
out=$1 d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/t/etc" "$d/t/bin"
echo hello > "$d/t/etc/a.txt"
ln -s ../etc/a.txt "$d/t/bin/link"
ln "$d/t/etc/a.txt" "$d/t/etc/hard.txt"
head -c 3000 /usr/bin/true > "$d/t/bin/bytes"
for f in ustar pax gnu; do
    tar --format=$f -C "$d" -cf "$out/seed-$f.tar" t
done
gzip -9 -n -c "$out/seed-pax.tar" > "$out/seed-pax.tar.gz"
zstd -q -c "$out/seed-pax.tar" > "$out/seed-pax.tar.zst" 2>/dev/null || true
