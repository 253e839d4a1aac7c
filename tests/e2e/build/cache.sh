#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The layer cache of `distill build`: every build through the cache is byte for byte the
# build made with --no-cache, whatever state the cache is in. An unchanged layer is reused
# (its blob hard-linked from the cache, not compressed again); a truncated or altered blob, a
# record of another layer or a damaged record is thrown away and rebuilt whole; two builds
# filling one empty cache at once both succeed; a full disk under the cache is a warning,
# not a failure, and leaves no half-written blob; DISTILL_CACHE_MAX evicts what was not used
# (and keeps what was); --no-cache writes nothing into the cache; the cache directory comes
# from --cache, else $DISTILL_CACHE, else $XDG_CACHE_HOME/distill, else ~/.cache/distill.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
spec="$repo/specs/jq.yaml"
lock="$W/jq.lock.json"
"$DISTILL" lock -q "${LOCK_LIGHT[@]}" "$spec" -o "$lock" || fail "distill lock $spec"
export SOURCE_DATE_EPOCH=1700000000
# every cache of this test is a directory of $W (the same filesystem as the outputs, so that
# blobs are hard-linked), never the one of the environment
unset XDG_CACHE_HOME DISTILL_CACHE_MAX
export DISTILL_CACHE="$W/env-cache"

# build OUT [options]: builds the spec into OUT, its --json summary in OUT.json
build() {
    local out=$1; shift
    "$DISTILL" build -q --json --lock "$lock" "$spec" -o "$out" "$@" > "$out.json" ||
        fail "distill build -o $out $*"
}
# json FILE KEY: a top-level string of a --json summary
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# layer_digests FILE: the layer digests of a --json summary, one per line (hex only)
layer_digests() {
    python3 -c 'import json,sys; [print(l["digest"][7:]) for l in json.load(open(sys.argv[1]))["layers"]]' "$1"
}
# cached OUT N WHAT: the build of OUT took N layers from the cache (layers_cached of --json)
cached() {
    local got
    got=$(json "$1.json" layers_cached) || fail "$3: no layers_cached in $1.json"
    [ "$got" = "$2" ] || fail "$3: $got layers taken from the cache, not $2"
}
# same OUT REF WHAT: OUT is byte for byte REF: the same manifest digest in the --json
# summaries, the same index.json, every blob of REF equal in OUT, and every blob OUT's index
# reaches there and hashing to its digest (one python3 for it all: this test makes many)
same() {
    python3 - "$1" "$2" "$3" <<'PY' || exit 1
import hashlib, json, os, sys
out, ref, what = sys.argv[1:]
def err(msg):
    print(f"FAIL: {what}: {msg}", file=sys.stderr); sys.exit(1)
m, r = (json.load(open(d + ".json"))["manifest"] for d in (out, ref))
if m != r:
    err(f"manifest {m}, not {r} as with --no-cache")
def blob(d, dg):
    p = os.path.join(d, "blobs", "sha256", dg.split(":")[1])
    if not os.path.isfile(p):
        err(f"{p} is missing")
    b = open(p, "rb").read()
    if "sha256:" + hashlib.sha256(b).hexdigest() != dg:
        err(f"{p} does not match its digest")
    return b
idx = open(os.path.join(out, "index.json"), "rb").read()
if idx != open(os.path.join(ref, "index.json"), "rb").read():
    err("index.json differs from --no-cache")
if not json.load(open(os.path.join(out, "oci-layout")))["imageLayoutVersion"]:
    err("no oci-layout")
for e in json.loads(idx)["manifests"]:
    man = json.loads(blob(out, e["digest"]))
    for dg in [man["config"]["digest"]] + [l["digest"] for l in man["layers"]]:
        blob(out, dg)
for b in os.listdir(os.path.join(ref, "blobs", "sha256")):
    if blob(out, "sha256:" + b) != open(os.path.join(ref, "blobs", "sha256", b), "rb").read():
        err(f"blob {b} differs from --no-cache")
PY
}
# whole DIR: every blob of the cache DIR hashes to its name, no temporary is left in DIR/tmp,
# every layer record names itself and a whole blob of the cache
whole() {
    local c=$1 what=$2 f k
    for f in "$c"/blobs/sha256/*; do
        [ -e "$f" ] || continue
        [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || fail "$what: cache blob $f is not whole"
    done
    [ -z "$(ls -A "$c/tmp" 2>/dev/null)" ] || { ls -la "$c/tmp" >&2; fail "$what: temporaries left in $c/tmp"; }
    for f in "$c"/layers/*; do
        [ -e "$f" ] || continue
        k=$(sed -n 's/^key //p' "$f")
        [ "$k" = "$(basename "$f")" ] || fail "$what: record $f names key '$k'"
        d=$(sed -n 's/^digest sha256://p' "$f")
        [ -f "$c/blobs/sha256/$d" ] || fail "$what: record $f names blob $d, not in the cache"
    done
}
# record_of DIR DIGEST: the layer record of DIR whose digest is DIGEST
record_of() { grep -l "^digest sha256:$2\$" "$1"/layers/* | head -n1; }
count() { find "$1" -type f | wc -l; }

# The references: --no-cache, gzip and zstd.
build "$W/ref" --no-cache
build "$W/ref-zstd" --no-cache --compression zstd
[ "$(stat -c %h "$W/ref/blobs/sha256/$(layer_digests "$W/ref.json" | head -n1)")" = 1 ] ||
    fail "a --no-cache build hard-linked a blob"
mapfile -t layers < <(layer_digests "$W/ref.json")
[ "${#layers[@]}" -ge 2 ] || fail "want at least 2 layers in $spec, got ${#layers[@]}"
# the big layer: the largest blob; the small: the smallest
big=$(for l in "${layers[@]}"; do echo "$(stat -c %s "$W/ref/blobs/sha256/$l") $l"; done | sort -n | tail -n1 | cut -d' ' -f2)
small=$(for l in "${layers[@]}"; do echo "$(stat -c %s "$W/ref/blobs/sha256/$l") $l"; done | sort -n | head -n1 | cut -d' ' -f2)
[ "$big" != "$small" ] || fail "no big and small layer"

# 7. --no-cache writes nothing in the cache, the one of --cache or of $DISTILL_CACHE.
build "$W/nc1" --no-cache --cache "$W/nocache"
same "$W/nc1" "$W/ref" "--no-cache --cache"
cached "$W/nc1" 0 "--no-cache --cache"
build "$W/nc2" --no-cache
same "$W/nc2" "$W/ref" "--no-cache with DISTILL_CACHE"
for c in "$W/nocache" "$W/env-cache"; do
    [ ! -e "$c" ] || [ -z "$(find "$c" -type f)" ] || { find "$c" -type f >&2; fail "--no-cache wrote into $c"; }
done
echo "ok   --no-cache writes nothing into the cache"

# 1. A first build fills the cache (a blob and a record for each layer); a second reuses it:
# its blobs are the cache's own files (hard links), which were not written again.
C="$W/cache"
build "$W/c1" --cache "$C"
same "$W/c1" "$W/ref" "first cached build"
cached "$W/c1" 0 "first cached build"
whole "$C" "first cached build"
for l in "${layers[@]}"; do
    [ -f "$C/blobs/sha256/$l" ] || fail "the cache holds no blob for layer $l"
    r=$(record_of "$C" "$l") || fail "the cache holds no record for layer $l"
    grep -qx "distill-layer 1" "$r" || fail "record $r: no format line"
    grep -qx "compression gzip 6" "$r" || fail "record $r: not gzip 6"
done
[ "$(ls "$C/layers" | wc -l)" = "${#layers[@]}" ] || fail "want ${#layers[@]} layer records, got $(ls "$C/layers")"
ino=$(stat -c %i "$C/blobs/sha256/$big")
build "$W/c2" --cache "$C"
same "$W/c2" "$W/ref" "second cached build"
cached "$W/c2" "${#layers[@]}" "second cached build"
[ "$(stat -c %i "$C/blobs/sha256/$big")" = "$ino" ] || fail "the second build wrote the cached blob again"
[ "$(stat -c %i "$W/c2/blobs/sha256/$big")" = "$ino" ] ||
    fail "the second build's big layer is not the cache's blob (inode $(stat -c %i "$W/c2/blobs/sha256/$big"), cache $ino)"
echo "ok   a second build reuses the cached layers (the same inode), identical to --no-cache"

# 2. A truncated blob (size wrong), then a blob of the right size with other bytes (hash
# wrong): rebuilt, identical, and the cache's blob whole again.
truncate -s $(($(stat -c %s "$C/blobs/sha256/$big") / 2)) "$C/blobs/sha256/$big"
build "$W/c3" --cache "$C"
same "$W/c3" "$W/ref" "truncated cache blob"
cached "$W/c3" $((${#layers[@]} - 1)) "truncated cache blob"
whole "$C" "after a truncated blob"
[ -f "$C/blobs/sha256/$big" ] || fail "the truncated blob was not cached again"
[ "$(stat -c %i "$W/c3/blobs/sha256/$big")" != "$ino" ] || fail "the truncated blob was reused"
printf 'X' | dd of="$C/blobs/sha256/$small" bs=1 seek=100 conv=notrunc status=none
[ "$(sha256sum < "$C/blobs/sha256/$small" | cut -d' ' -f1)" != "$small" ] || printf 'Y' |
    dd of="$C/blobs/sha256/$small" bs=1 seek=100 conv=notrunc status=none
build "$W/c4" --cache "$C"
same "$W/c4" "$W/ref" "altered cache blob"
cached "$W/c4" $((${#layers[@]} - 1)) "altered cache blob"
whole "$C" "after an altered blob"
[ -f "$C/blobs/sha256/$small" ] || fail "the altered blob was not cached again"
echo "ok   a truncated or altered cache blob is rebuilt: identical, and whole again in the cache"

# 3. The record of one layer under the key of the other; then a damaged record: rebuilt,
# identical, and the record right again.
rb=$(record_of "$C" "$big"); rs=$(record_of "$C" "$small")
cp "$rb" "$W/rb.orig"; cp "$rs" "$W/rs.orig"
cp "$rb" "$rs"
build "$W/c5" --cache "$C"
same "$W/c5" "$W/ref" "a record of another layer"
cached "$W/c5" $((${#layers[@]} - 1)) "a record of another layer"
whole "$C" "after a record of another layer"
cmp -s "$rs" "$W/rs.orig" || { diff "$W/rs.orig" "$rs" >&2; fail "record $rs not rewritten right"; }
cmp -s "$rb" "$W/rb.orig" || fail "record $rb changed"
head -c 40 "$W/rb.orig" > "$rb"
build "$W/c6" --cache "$C"
same "$W/c6" "$W/ref" "a damaged record"
cached "$W/c6" $((${#layers[@]} - 1)) "a damaged record"
cmp -s "$rb" "$W/rb.orig" || { diff "$W/rb.orig" "$rb" >&2; fail "damaged record $rb not rewritten right"; }
printf 'distill-layer 1\nkey %s\ncompression gzip 6\ndigest sha256:%s\n' "$(basename "$rb")" "$big" > "$rb"
build "$W/c7" --cache "$C"
same "$W/c7" "$W/ref" "a record cut short"
cached "$W/c7" $((${#layers[@]} - 1)) "a record cut short"
cmp -s "$rb" "$W/rb.orig" || fail "record $rb cut short not rewritten right"
rm "$C/blobs/sha256/$big"                   # a record whose blob is gone
build "$W/c8" --cache "$C"
same "$W/c8" "$W/ref" "a record without its blob"
cached "$W/c8" $((${#layers[@]} - 1)) "a record without its blob"
whole "$C" "after a missing blob"
[ -f "$C/blobs/sha256/$big" ] || fail "the missing blob was not cached again"
echo "ok   a record of another layer, damaged or without its blob is rebuilt: identical, right again"

# 4. Two builds filling one new empty cache at once, five times; then a third from it.
for round in 1 2 3 4 5; do
    P="$W/par$round"
    build "$W/p$round-a" --cache "$P" & p1=$!
    build "$W/p$round-b" --cache "$P" & p2=$!
    wait "$p1" || fail "round $round: build a failed"
    wait "$p2" || fail "round $round: build b failed"
    same "$W/p$round-a" "$W/ref" "round $round: concurrent build a"
    same "$W/p$round-b" "$W/ref" "round $round: concurrent build b"
    whole "$P" "round $round: after two builds at once"
    [ "$(ls "$P/layers" | wc -l)" = "${#layers[@]}" ] || fail "round $round: want ${#layers[@]} records"
    ino=$(stat -c %i "$P/blobs/sha256/$big")
    build "$W/p$round-c" --cache "$P"
    same "$W/p$round-c" "$W/ref" "round $round: the build after"
    cached "$W/p$round-c" "${#layers[@]}" "round $round: the build after"
    [ "$(stat -c %i "$W/p$round-c/blobs/sha256/$big")" = "$ino" ] || fail "round $round: the third build did not reuse"
done
echo "ok   two builds filling one empty cache at once: both identical; a third reuses it"

# 5. A full disk under the cache: a warning, the build goes on, no half-written blob.
mounted=
if [ "$(id -u)" = 0 ] && mkdir -p "$W/small" && mount -t tmpfs -o size=300k tmpfs "$W/small" 2>/dev/null; then
    mounted="$W/small"
    trap 'umount "$mounted" 2>/dev/null || true; cleanup_images; rm -rf "$W"' EXIT
    [ "$(stat -c %s "$W/ref/blobs/sha256/$big")" -gt 307200 ] || fail "the big layer fits in 300k"
    for n in 1 2; do
        rc=0
        "$DISTILL" build -q --json --lock "$lock" "$spec" -o "$W/full$n" --cache "$W/small/c" \
            > "$W/full$n.json" 2> "$W/full$n.err" || rc=$?
        [ "$rc" = 0 ] || { cat "$W/full$n.err" >&2; fail "full cache, build $n: exit $rc"; }
        grep -q "warning: layer cache" "$W/full$n.err" ||
            { cat "$W/full$n.err" >&2; fail "full cache, build $n: no warning about the layer cache"; }
        same "$W/full$n" "$W/ref" "full cache, build $n"
        cached "$W/full$n" $(( n == 1 ? 0 : ${#layers[@]} - 1 )) "full cache, build $n"
        whole "$W/small/c" "full cache, build $n"
        [ ! -e "$W/small/c/blobs/sha256/$big" ] || fail "full cache: the big blob is in a 300k cache"
    done
    umount "$mounted"; mounted=
    echo "ok   a full disk under the cache: a warning, an identical image, no half-written blob"
else
    echo "skipped: a full disk under the cache (needs root and mount -t tmpfs)"
fi

# 6. DISTILL_CACHE_MAX: entries unused for two hours are evicted, those the build used kept.
E="$W/evict"
build "$W/e-zstd" --cache "$E" --compression zstd
same "$W/e-zstd" "$W/ref-zstd" "zstd through the cache"
build "$W/e1" --cache "$E"
same "$W/e1" "$W/ref" "gzip beside zstd"
mapfile -t zlayers < <(layer_digests "$W/ref-zstd.json")
find "$E" -type f -exec touch -d '-2 hours' {} +
before_n=$(count "$E"); before_b=$(du -sb "$E" | cut -f1)
DISTILL_CACHE_MAX=1 build "$W/e2" --cache "$E"
same "$W/e2" "$W/ref" "a build under DISTILL_CACHE_MAX=1"
cached "$W/e2" "${#layers[@]}" "a build under DISTILL_CACHE_MAX=1"
after_n=$(count "$E"); after_b=$(du -sb "$E" | cut -f1)
[ "$after_n" -lt "$before_n" ] && [ "$after_b" -lt "$before_b" ] ||
    fail "DISTILL_CACHE_MAX=1 evicted nothing: $before_n files $before_b bytes, then $after_n files $after_b bytes"
for l in "${zlayers[@]}"; do
    [ ! -e "$E/blobs/sha256/$l" ] || fail "the unused zstd blob $l was not evicted"
    ! grep -qs "^digest sha256:$l\$" "$E"/layers/* || fail "the record of the unused zstd layer $l was not evicted"
done
whole "$E" "after eviction"
for l in "${layers[@]}"; do
    [ -f "$E/blobs/sha256/$l" ] || fail "the blob $l the build just used was evicted"
    record_of "$E" "$l" > /dev/null || fail "the record of layer $l the build just used was evicted"
done
# what was evicted is built again, identical
build "$W/e3" --cache "$E" --compression zstd
same "$W/e3" "$W/ref-zstd" "zstd after its eviction"
cached "$W/e3" 0 "zstd after its eviction"
whole "$E" "zstd after its eviction"
echo "ok   DISTILL_CACHE_MAX=1: $before_n files ($before_b bytes) to $after_n ($after_b), the used ones kept"

# 8. Where the cache is: --cache, else $DISTILL_CACHE, else $XDG_CACHE_HOME/distill, else
# ~/.cache/distill.
has_layers() { [ -n "$(ls -A "$1/layers" 2>/dev/null)" ]; }
build "$W/w1" --cache "$W/where-opt"
has_layers "$W/where-opt" || fail "--cache: no layers in it"
! has_layers "$W/env-cache" || fail "--cache: layers cached in \$DISTILL_CACHE as well"
XDG_CACHE_HOME="$W/xdg" build "$W/w2"
has_layers "$W/env-cache" || fail "\$DISTILL_CACHE: no layers in it"
[ ! -e "$W/xdg" ] || fail "\$DISTILL_CACHE set: \$XDG_CACHE_HOME was written"
(unset DISTILL_CACHE; XDG_CACHE_HOME="$W/xdg" HOME="$W/home" build "$W/w3")
has_layers "$W/xdg/distill" || fail "\$XDG_CACHE_HOME: no layers in \$XDG_CACHE_HOME/distill"
[ ! -e "$W/home" ] || fail "\$XDG_CACHE_HOME set: \$HOME was written"
(unset DISTILL_CACHE XDG_CACHE_HOME; HOME="$W/home" build "$W/w4")
has_layers "$W/home/.cache/distill" || fail "\$HOME: no layers in ~/.cache/distill"
for n in 1 2 3 4; do same "$W/w$n" "$W/ref" "cache location $n"; done
echo "ok   the cache is --cache, else \$DISTILL_CACHE, else \$XDG_CACHE_HOME/distill, else ~/.cache/distill"
echo "ok: cache"
