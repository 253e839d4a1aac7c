#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SOURCE_DATE_EPOCH changes only the timestamps it should: with clamping, only entries newer
# than the epoch; with --mtime set, every mtime and nothing else. Unset, the default is 0.
source "$TESTS/e2e/tar/lib.sh"
(umask 022; mktree "$W/t" forward)
fields() { # python's tarfile reads none and gzip; zstd is decoded first
    case $1 in
        *.zst) zstd -dcq "$1" > "$W/fields.tar"; python3 "$TESTS/lib/tarfields.py" "$W/fields.tar" ;;
        *) python3 "$TESTS/lib/tarfields.py" "$1" ;;
    esac
}
check() { # NAME EXPECTED-DIFF-COMMAND...: the diff of two listings, after sed, must be empty
    if [ -z "$2" ]; then echo "ok   $1"; else echo "FAIL $1:"; echo "$2"; FAILED=1; fi
}

for comp in none gzip zstd; do
    e=$(ext_of "$comp")
    SOURCE_DATE_EPOCH=1700000000 "$DISTILL" tar "$W/t" -o "$W/a.$e" -q
    SOURCE_DATE_EPOCH=1750000000 "$DISTILL" tar "$W/t" -o "$W/b.$e" -q
    "$DISTILL" tar "$W/t" -o "$W/c.$e" -q --source-date-epoch 1750000000
    same "$comp option-equals-env" "$(sha "$W/b.$e")" "$W/c.$e"
    fields "$W/a.$e" > "$W/a.txt"; fields "$W/b.$e" > "$W/b.txt"
    # Only etc/conf (mtime 1800000000, newer than both epochs) and its hardlink change.
    d=$(diff "$W/a.txt" "$W/b.txt" | grep '^[<>]' | cut -f1,8 | sort | tr '\n' ' ' || true)
    want="< etc/conf	mtime=1700000000 < etc/conf-hard	mtime=1700000000 > etc/conf	mtime=1750000000 > etc/conf-hard	mtime=1750000000 "
    check "$comp clamp changes only etc/conf" "$([ "$d" = "$want" ] || echo "got: $d")"
    # Every other field is identical.
    check "$comp clamp leaves other fields" \
        "$(diff <(cut -f1-7,9- "$W/a.txt") <(cut -f1-7,9- "$W/b.txt"))"

    SOURCE_DATE_EPOCH=1650000000 "$DISTILL" tar "$W/t" -o "$W/s.$e" -q --mtime set
    fields "$W/s.$e" > "$W/s.txt"
    check "$comp set makes every mtime the epoch" \
        "$(cut -f8 "$W/s.txt" | sort -u | grep -vx 'mtime=1650000000' || true)"
    check "$comp set leaves other fields" \
        "$(diff <(cut -f1-7,9- "$W/a.txt") <(cut -f1-7,9- "$W/s.txt"))"

    env -u SOURCE_DATE_EPOCH "$DISTILL" tar "$W/t" -o "$W/u.$e" -q
    check "$comp unset means 0" \
        "$(fields "$W/u.$e" | cut -f8 | sort -u | grep -vx 'mtime=0' || true)"
done

# A malformed SOURCE_DATE_EPOCH is an error that leaves nothing behind.
for bad in "" "12a" "-5" "1.5" " 17" "99999999999999999999"; do
    if SOURCE_DATE_EPOCH="$bad" "$DISTILL" tar "$W/t" -o "$W/bad.tar" -q 2>"$W/err"; then
        echo "FAIL SOURCE_DATE_EPOCH='$bad' accepted"; FAILED=1
    elif [ -e "$W/bad.tar" ] || ! grep -q SOURCE_DATE_EPOCH "$W/err"; then
        echo "FAIL SOURCE_DATE_EPOCH='$bad': output left or unclear error: $(cat "$W/err")"; FAILED=1
    else
        echo "ok   SOURCE_DATE_EPOCH='$bad' rejected: $(cat "$W/err")"
    fi
done
finish
