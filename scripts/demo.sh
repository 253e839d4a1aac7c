#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo: packs a real directory (/usr/include) into a zstd tarball twice, under different
# umask, timezone, locale, working directory, CPU count and output kind, and shows that the
# two archives are the same bytes.
set -eu
DISTILL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=${DEMO_DIR:-/usr/include}
work=$(mktemp -d "${TMPDIR:-/tmp}/distill-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export SOURCE_DATE_EPOCH=1700000000

echo "== distill demo: packing $SRC ($(du -sh "$SRC" | cut -f1)) twice, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
echo
echo "-- run 1: umask 022, TZ=UTC, LC_ALL=C.UTF-8, output to a file"
(umask 022; cd "$work" && TZ=UTC LC_ALL=C.UTF-8 "$DISTILL" tar "$SRC" -o one.tar.zst)
echo
echo "-- run 2: umask 077, TZ=Asia/Kolkata, LC_ALL=tr_TR.UTF-8, one CPU, another cwd, through a pipe"
mkdir -p "$work/elsewhere"
(umask 077; cd "$work/elsewhere" && TZ=Asia/Kolkata LC_ALL=tr_TR.UTF-8 \
    taskset -c 0 "$DISTILL" tar "$SRC/" -o - --compression zstd | cat > ../two.tar.zst)
echo
a=$(sha256sum "$work/one.tar.zst" | cut -d' ' -f1)
b=$(sha256sum "$work/two.tar.zst" | cut -d' ' -f1)
echo "run 1: sha256:$a"
echo "run 2: sha256:$b"
if cmp -s "$work/one.tar.zst" "$work/two.tar.zst"; then
    echo "identical: the archive depends on the files, not on the machine"
else
    echo "DIFFERENT: this is a bug, please report it"; exit 1
fi
echo
echo "-- the first entries, as GNU tar lists them:"
zstd -dcq "$work/one.tar.zst" | tar --numeric-owner -tvf - | head -5
