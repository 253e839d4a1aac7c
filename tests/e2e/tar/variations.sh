#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The same tree packed under every variation of shared/determinism.md "How to test it" that
# applies to `distill tar` gives byte-identical output, for none, gzip and zstd.
source "$TESTS/e2e/tar/lib.sh"

(umask 022; mktree "$W/base" forward)
(umask 077; mktree "$W/umask077" forward)
(umask 002; mktree "$W/umask002" forward)
(umask 022; mktree "$W/reverse" reverse)
(umask 022; MKTREE_NS=1 mktree "$W/nanos" forward)
(umask 022; mktree "$W/owners" forward)
if [ "$(id -u)" = 0 ]; then
    chown -R -h 1234:5678 "$W/owners"
    chown -h 4321:65534 "$W/owners/bin/app"
fi
# Every mtime after SOURCE_DATE_EPOCH, so clamping makes them all equal to it...
(umask 022; mktree "$W/future" forward); find "$W/future" -exec touch -h -d @1900000000 {} +
(umask 022; mktree "$W/future2" forward); find "$W/future2" -exec touch -h -d @2000000000.5 {} +
mkdir -p "$W/out" "$W/elsewhere/deeper"

has() { command -v "$1" >/dev/null 2>&1; }
have_locale() { locale -a 2>/dev/null | grep -qix "$1"; }

for comp in none gzip zstd; do
    e=$(ext_of "$comp")
    ( cd "$W" && "$DISTILL" tar base -o "out/ref.$e" -q )
    ref=$(sha "$W/out/ref.$e")
    echo "== $comp: $ref"
    run() { # NAME TREE [env/command prefix...]: pack TREE to out/NAME.EXT and compare
        local name=$1 tree=$2; shift 2
        ( cd "$W" && "$@" "$DISTILL" tar "$tree" -o "out/$name.$e" -q )
        same "$comp $name" "$ref" "$W/out/$name.$e"
    }
    run umask077-at-creation umask077 env
    run umask002-at-creation umask002 env
    run umask077-at-pack base sh -c 'umask 077; exec "$@"' sh
    run umask002-at-pack base sh -c 'umask 002; exec "$@"' sh
    run created-in-reverse-order reverse env
    run mtime-nanoseconds nanos env
    run owners owners env
    run tz-chatham base env TZ=Pacific/Chatham
    run tz-utc base env TZ=UTC
    run lc-c base env LC_ALL=C
    run lc-posix base env LC_ALL=POSIX LANG=
    if have_locale tr_TR.utf8; then run lc-tr_TR base env LC_ALL=tr_TR.UTF-8; else echo "FAIL no tr_TR.UTF-8 locale (scripts/setup.sh makes it)"; FAILED=1; fi
    if have_locale en_US.utf8; then run lang-en_US base env LANG=en_US.UTF-8; fi
    run environment base env -i PATH="$PATH" HOME=/nonexistent USER=nobody HOSTNAME=other SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH
    if has taskset; then run one-cpu base taskset -c 0; fi
    # faketime preloads a library; ASan builds must be told that is fine.
    if has faketime; then run clock-2031 base env ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" faketime -f '2031-05-05 12:00:00'; fi

    # cwd and path spelling: from elsewhere, with an absolute path and a trailing slash
    ( cd "$W/elsewhere/deeper" && "$DISTILL" tar "$W/base/" -o "$W/out/cwd.$e" -q )
    same "$comp cwd-and-absolute-path" "$ref" "$W/out/cwd.$e"
    ( cd "$W/base" && "$DISTILL" tar . -o "$W/out/dot.$e" -q )
    same "$comp dot" "$ref" "$W/out/dot.$e"
    # output: regular file via stdout, and a pipe
    ( cd "$W" && "$DISTILL" tar base -o - -q --compression "$comp" > "out/stdout.$e" )
    same "$comp stdout-to-file" "$ref" "$W/out/stdout.$e"
    ( cd "$W" && "$DISTILL" tar base -o - -q --compression "$comp" | cat > "out/pipe.$e" )
    same "$comp stdout-to-pipe" "$ref" "$W/out/pipe.$e"

    # ...and two trees whose mtimes are all after the epoch pack identically.
    ( cd "$W" && "$DISTILL" tar future -o "out/future.$e" -q )
    ( cd "$W" && "$DISTILL" tar future2 -o "out/future2.$e" -q )
    same "$comp clamped-future-mtimes" "$(sha "$W/out/future.$e")" "$W/out/future2.$e"
done
finish
