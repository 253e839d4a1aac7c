#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seeds for fuzz_relation: the Depends, Pre-Depends and Provides fields of this machine's
# installed packages, one field per file (real text, never committed blobs).
set -euo pipefail
out=$1 n=0
dpkg-query -W -f='${Depends}\n${Pre-Depends}\n${Provides}\n' 2>/dev/null | grep -v '^$' |
    sort -u | head -200 | while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" > "$out/relation-$n"
done
printf 'a (>= 1:2.0~rc1-3) | b:any (<< 2), c [amd64] <!nocheck>' > "$out/relation-syntax"
