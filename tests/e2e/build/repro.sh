#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rebuilds of one image under every variation of ../shared/determinism.md give the same
# index, manifest, config and layer digests, for gzip and zstd; changing only the app's
# binary changes only the app layer (the base layer is reused byte for byte).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

make_app "$W/p" world
"$DISTILL" lock -q "$W/p/app.yaml" || fail "lock"
export SOURCE_DATE_EPOCH=1700000000

build() { # OUT [distill build options]: prints the digests of the image written to OUT
    local out=$1; shift
    "$DISTILL" build -q --no-cache "$W/p/app.yaml" -o "$out" "$@" || fail "build $out"
    digests "$out"
}

for comp in gzip zstd; do
    ref=$(build "$W/ref-$comp" --compression $comp)
    n=0
    check() { # NAME: compares the digests on stdin with the reference
        local got; got=$(cat)
        [ "$got" = "$ref" ] || { diff <(echo "$ref") <(echo "$got") >&2; fail "$comp: $1 changed the image"; }
        n=$((n + 1))
    }
    check "umask 077" < <((umask 077; build "$W/v-umask-$comp" --compression $comp))
    check "umask 002" < <((umask 002; build "$W/v-umask2-$comp" --compression $comp))
    check "TZ" < <(TZ=Pacific/Kiritimati build "$W/v-tz-$comp" --compression $comp)
    check "locale tr_TR" < <(LC_ALL=tr_TR.UTF-8 build "$W/v-tr-$comp" --compression $comp)
    check "locale C" < <(LC_ALL=C build "$W/v-c-$comp" --compression $comp)
    check "cwd" < <((cd / && build "$W/v-cwd-$comp" --compression $comp))
    check "output path" < <(mkdir -p "$W/deeper/out/path"; build "$W/deeper/out/path/img-$comp" --compression $comp)
    check "environment" < <(HOME=/nonexistent PATH=/usr/bin:/bin USER=nobody HOSTNAME=elsewhere build "$W/v-env-$comp" --compression $comp)
    if command -v faketime >/dev/null; then
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
            faketime '2031-02-03 04:05:06' "$DISTILL" build -q "$W/p/app.yaml" -o "$W/v-clock-$comp" --compression $comp ||
            fail "build under faketime"
        check "clock" < <(digests "$W/v-clock-$comp")
    fi
    if command -v taskset >/dev/null; then
        taskset -c 0 "$DISTILL" build -q "$W/p/app.yaml" -o "$W/v-cpu-$comp" --compression $comp || fail "taskset"
        check "one CPU" < <(digests "$W/v-cpu-$comp")
    fi
    # input metadata: new mtimes (with nanoseconds) and modes on the project's files
    touch -d '2030-01-01 00:00:00.123456789' "$W/p/app" "$W/p/conf/app.conf" "$W/p/lib/libhello.so.1"
    chmod 0600 "$W/p/conf/app.conf"
    check "input mtimes and modes" < <(build "$W/v-mtime-$comp" --compression $comp)
    chmod 0644 "$W/p/conf/app.conf"
    # the same directory made in another order (other inode and dirent order)
    mv "$W/p/conf" "$W/p/conf.old"; mkdir "$W/p/conf"
    for f in $(ls "$W/p/conf.old" | sort -r); do cp "$W/p/conf.old/$f" "$W/p/conf/"; done
    rm -rf "$W/p/conf.old"
    check "directory order" < <(build "$W/v-order-$comp" --compression $comp)
    echo "ok   $comp: $n rebuilds under different conditions gave identical digests"
done

# SOURCE_DATE_EPOCH changes the timestamps (so the digests), and nothing else varies with it
a=$(SOURCE_DATE_EPOCH=1 build "$W/e1"); b=$(SOURCE_DATE_EPOCH=1 build "$W/e1b")
[ "$a" = "$b" ] || fail "two builds at SOURCE_DATE_EPOCH=1 differ"
[ "$a" != "$(build "$W/e2")" ] || fail "SOURCE_DATE_EPOCH did not reach the image"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["created"]=="1970-01-01T00:00:01Z", c["created"]' \
    "$W/e1/blobs/sha256/$(digests "$W/e1" | sed -n 's/^config sha256://p')" || fail "created"
echo "ok   SOURCE_DATE_EPOCH sets created and every mtime"

# change the app only: the base layer is the same blob, the app layer differs
before=$(build "$W/app-v1")
make_app "$W/p2" "other world"
cp "$W/p2/app" "$W/p/app"
"$DISTILL" lock -q "$W/p/app.yaml" || fail "relock"
after=$(build "$W/app-v2")
b1=$(grep '^layer' <<<"$before" | sed -n 1p); b2=$(grep '^layer' <<<"$after" | sed -n 1p)
a1=$(grep '^layer' <<<"$before" | sed -n 2p); a2=$(grep '^layer' <<<"$after" | sed -n 2p)
[ "$b1" = "$b2" ] || fail "base layer changed with the app: $b1 vs $b2"
[ "$a1" != "$a2" ] || fail "app layer did not change"
[ "$(grep -c '^layer' <<<"$after")" = 2 ] || fail "want 2 layers"
echo "ok   a new app binary changes only the app layer"
