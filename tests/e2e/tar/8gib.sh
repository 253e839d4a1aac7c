#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A file over 8 GiB (sparse input) round-trips: its size needs a pax header, GNU tar and
# bsdtar list it with the right size, and the extracted bytes equal the input's.
source "$TESTS/e2e/tar/lib.sh"
mkdir -p "$W/big"
truncate -s $((8 * 1024 * 1024 * 1024)) "$W/big/huge"
printf 'tail' >> "$W/big/huge"
want=$((8 * 1024 * 1024 * 1024 + 4))
echo small > "$W/big/small"
"$DISTILL" tar "$W/big" -o "$W/big.tar.zst" --json > "$W/j.json"
cat "$W/j.json"
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: $2 != $3"; FAILED=1; fi; }
check "GNU tar size" "$(zstd -dcq "$W/big.tar.zst" | tar -tvf - huge | awk '{print $3}')" "$want"
check "bsdtar size" "$(bsdtar -tvf "$W/big.tar.zst" huge | awk '{print $5}')" "$want"
check "content" "$(zstd -dcq "$W/big.tar.zst" | tar -xOf - huge | sha256sum | cut -d' ' -f1)" \
    "$(sha "$W/big/huge")"
check "small file after it" "$(zstd -dcq "$W/big.tar.zst" | tar -xOf - small)" "small"
finish
