#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The compressed streams: gzip members have MTIME 0, no file name, OS 3 and decode with
# gzip; zstd frames carry a checksum, no content size and no dictionary id and decode with
# zstd -d; the reported digests are those of the tar and of the file; the tar has no padding
# beyond the end-of-archive blocks.
source "$TESTS/e2e/tar/lib.sh"
(umask 022; mktree "$W/t" forward)
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; FAILED=1; }
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

"$DISTILL" tar "$W/t" -o "$W/a.tar" --json > "$W/a.json"
"$DISTILL" tar "$W/t" -o "$W/a.tar.gz" --json > "$W/g.json"
"$DISTILL" tar "$W/t" -o "$W/a.tar.zst" --json > "$W/z.json"
tarsha=$(sha "$W/a.tar")
size=$(stat -c %s "$W/a.tar")
[ $((size % 512)) = 0 ] && [ "$(tail -c 1024 "$W/a.tar" | tr -d '\0' | wc -c)" = 0 ] \
    && ok "tar ends with exactly the end-of-archive blocks ($size bytes)" || bad "tar padding"
[ "$(json "$W/a.json" "d['tar']['sha256']")" = "$tarsha" ] && ok "reported tar sha256" || bad "tar sha256"
[ "$(json "$W/a.json" "d['tar']['size']")" = "$size" ] && ok "reported tar size" || bad "tar size"

# gzip: every member header is 1f8b 08 00 00000000 00 03
hdr=$(head -c 10 "$W/a.tar.gz" | xxd -p)
[ "$hdr" = "1f8b0800000000000003" ] && ok "gzip header: MTIME 0, no FNAME, OS 3" || bad "gzip header $hdr"
gzip -t "$W/a.tar.gz" && ok "gzip -t" || bad "gzip -t"
[ "$(gzip -dc "$W/a.tar.gz" | sha256sum | cut -d' ' -f1)" = "$tarsha" ] && ok "gzip -d gives the tar" || bad "gzip -d"
[ "$(json "$W/g.json" "d['compressed']['sha256']")" = "$(sha "$W/a.tar.gz")" ] && ok "reported gzip sha256" || bad "gzip sha256"
[ "$(json "$W/g.json" "d['tar']['sha256']")" = "$tarsha" ] && ok "gzip run reports the tar sha256" || bad "gzip tar sha256"
members=$(python3 -c '
import sys, zlib
data = open(sys.argv[1], "rb").read(); n = 0
while data:
    assert data[:10] == bytes.fromhex("1f8b0800000000000003"), data[:10].hex()
    d = zlib.decompressobj(31); d.decompress(data); data = d.unused_data; n += 1
print(n)' "$W/a.tar.gz")
[ "$members" -ge 3 ] && ok "gzip: $members members, every header fixed" || bad "gzip members $members"

# zstd: magic, then a frame header descriptor with checksum, no content size, no dict id
fhd=$(head -c 5 "$W/a.tar.zst" | xxd -p)
[ "${fhd:0:8}" = "28b52ffd" ] && [ $((0x${fhd:8:2} & 0xc3)) = 0 ] && [ $((0x${fhd:8:2} & 0x04)) = 4 ] \
    && ok "zstd frame header $fhd: checksum, no content size, no dictionary id" || bad "zstd header $fhd"
zstd -tq "$W/a.tar.zst" && ok "zstd -t" || bad "zstd -t"
[ "$(zstd -dcq "$W/a.tar.zst" | sha256sum | cut -d' ' -f1)" = "$tarsha" ] && ok "zstd -d gives the tar" || bad "zstd -d"
[ "$(json "$W/z.json" "d['compressed']['sha256']")" = "$(sha "$W/a.tar.zst")" ] && ok "reported zstd sha256" || bad "zstd sha256"

# Levels change the bytes but not the tar; the default level is the documented one.
"$DISTILL" tar "$W/t" -o "$W/l3.tar.zst" -q --level 3
"$DISTILL" tar "$W/t" -o "$W/l19.tar.zst" -q --level 19
[ "$(sha "$W/l3.tar.zst")" = "$(sha "$W/a.tar.zst")" ] && ok "zstd default level is 3" || bad "zstd default level"
[ "$(sha "$W/l19.tar.zst")" != "$(sha "$W/a.tar.zst")" ] && [ "$(zstd -dcq "$W/l19.tar.zst" | sha256sum | cut -d' ' -f1)" = "$tarsha" ] \
    && ok "zstd level 19 differs and decodes to the same tar" || bad "zstd level 19"
"$DISTILL" tar "$W/t" -o "$W/l6.tar.gz" -q --level 6
[ "$(sha "$W/l6.tar.gz")" = "$(sha "$W/a.tar.gz")" ] && ok "gzip default level is 6" || bad "gzip default level"
finish
