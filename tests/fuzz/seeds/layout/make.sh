#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make.sh CORPUS: recipes for fuzz_layout: four bytes choosing each file's kind and the
# descriptors' lies, then a small plain tar (see fuzz_layout.c).
set -eu
out=$1 d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/t/etc"
echo hello > "$d/t/etc/a.txt"
tar --format=pax -C "$d" -cf "$d/layer.tar" t
n=0
# honest; a layer that is a symlink to /dev/zero; a FIFO; sizes off; a wrong digest; a
# wrong diff_id; blobs/ a symlink; index.json a FIFO
for r in '\x00\x00\x00\x00' '\x01\x00\x00\x00' '\x04\x00\x00\x00' '\x00\x00\x01\x00' \
         '\x00\x00\x00\x01' '\x00\x00\x00\x02' '\x00\x00\x00\x04' '\x00\x40\x00\x00' \
         '\x40\x00\x00\x00' '\x00\x04\x00\x00'; do
    { printf "$r"; cat "$d/layer.tar"; } > "$out/recipe-$n"
    n=$((n + 1))
done
