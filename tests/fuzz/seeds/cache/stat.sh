#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seeds of fuzz_cache: a stat cache record of three entries (first byte 0: the stat cache),
# laid out as common/statcache.c writes it, with its trailing sha256.
python3 - "$1/stat.bin" <<'PY'
import hashlib, struct, sys
ents = b"".join(struct.pack("<QQQqqqq", 2049, 100 + i, 10 * i, 1700000000, 5, 1700000000, 7)
                + bytes([i]) * 32 + bytes([i + 1]) * 16 + struct.pack("<II", i & 1, 0)
                for i in range(3))
body = b"distill-stat-v1\0" + struct.pack("<Q", 3) + ents
open(sys.argv[1], "wb").write(b"\0" + body + hashlib.sha256(body).digest())
PY
