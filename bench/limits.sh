#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/limits.sh: distill at the sizes issue 6 names, with wall time and peak RSS of each
# command and, where one exists, of the baseline tool doing the same job:
#   files   a tree of FILES entries (default 1,000,000) -> distill tar (vs GNU tar --sort=name),
#           RUNS interleaved pairs (default 3), medians compared
#   deep    directories nested 4096 deep (paths over 8 KiB), with 128 descriptors
#   sparse  one sparse file of SPARSE_GIB GiB (default 10) -> distill tar, zstd
#   lock    a spec whose files are LOCK_FILES files (default 100,000): lock, lock --check, build
#   graph   an executable needing OBJS shared objects (default 3,000), RUNPATH $ORIGIN ->
#           distill deps (vs glibc's own ld.so --list, which must agree)
#   bombs   hostile images of issue 16: a 221-byte gzip of a sparse file declaring 10^18
#           bytes (inspect, diff, verify --against: refused in under a second), a layer of
#           ENTRIES empty files (default 2,000,000: inspect and diff under 256 MiB), and
#           LAYERS one-file layers (default 10,000) as an OCI archive against the same
#           image as a layout (within 2x)
# ONLY="bombs graph" runs those cases alone.
# Each command must succeed; its output is checked (entry counts, the graph's closure).
# Never part of the test suite; needs about 12 GiB of free space in TMPDIR for the sparse
# case (the tar of zeros is compressed, the input is sparse). DISTILL=path overrides the
# binary; without it the build in build/ is brought up to date first.
# Exit 1 if a command fails or its output is wrong.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
FILES=${FILES:-1000000} SPARSE_GIB=${SPARSE_GIB:-10} LOCK_FILES=${LOCK_FILES:-100000}
OBJS=${OBJS:-3000} ENTRIES=${ENTRIES:-2000000} LAYERS=${LAYERS:-10000}
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
. "$here/bench/lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-limits.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo "distill: $DISTILL ($("$DISTILL" --version | head -1)), $(nproc) CPUs, $W"

ROWS=()
# measure LABEL CMD...: runs CMD under /usr/bin/time; adds a row; fails the script if CMD does
# (with FAILS=1: if CMD does not fail).
measure() {
    local label=$1 rc=0; shift
    /usr/bin/time -f '%e %M' -o "$W/time" "$@" > "$W/out" 2> "$W/err" || rc=$?
    if { [ -z "${FAILS:-}" ] && [ $rc != 0 ]; } || { [ -n "${FAILS:-}" ] && [ $rc = 0 ]; }; then
        echo "FAIL $label (exit $rc): $*"; cat "$W/err" | head -5; exit 1
    fi
    local t; t=$(tail -n1 "$W/time")
    ROWS+=("$(printf '%-44s %9.2f %10.1f' "$label" "${t% *}" "$(awk -v k="${t#* }" 'BEGIN{print k / 1024}')")")
    echo "${ROWS[-1]}"
    LAST_S=${t% *} LAST_MIB=$(awk -v k="${t#* }" 'BEGIN{printf "%.1f", k / 1024}')
}
# goal TEXT COND: prints PASS or MISS for an awk condition on LAST_S and LAST_MIB.
goal() { awk -v s="$LAST_S" -v m="$LAST_MIB" "BEGIN{exit !($2)}" && echo "  PASS $1" || echo "  MISS $1"; }
check() { if [ "$2" = "$3" ]; then echo "  ok   $1"; else echo "  FAIL $1: got $2, want $3"; exit 1; fi; }

# ---- files: a tree of FILES entries ----
if want files; then
python3 "$here/tests/lib/trees.py" wide "$W/files" "$FILES"
entries=$((FILES + (FILES + 999) / 1000))
echo "files: $FILES files in $(((FILES + 999) / 1000)) directories ($entries entries)"
# RUNS interleaved pairs (default 3); the medians are compared (goal: distill 1.5x faster)
ds=() gs=()
for ((r = 0; r < ${RUNS:-3}; r++)); do
    measure "files: distill tar (zstd)" "$DISTILL" tar "$W/files" -o "$W/files.tar.zst" --compression zstd --json
    ds+=("$LAST_S")
    if [ $r = 0 ]; then
        check "entries in the archive" "$(zstd -dcq "$W/files.tar.zst" | tar -tf - | wc -l)" "$entries"
    fi
    rm -f "$W/files.tar.zst"
    measure "files: GNU tar --sort=name | zstd -3" bash -c 'tar --sort=name --format=posix -C "$1" -cf - . | zstd -3 -q -c > "$2"' _ "$W/files" "$W/files.gnu.tar.zst"
    gs+=("$LAST_S")
    rm -f "$W/files.gnu.tar.zst"
done
med() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
awk -v d="$(med "${ds[@]}")" -v g="$(med "${gs[@]}")" 'BEGIN{r = g / d; printf "  %s medians: distill %.2f s, GNU tar | zstd %.2f s: %.2fx faster (goal 1.5x)\n", (r >= 1.5 ? "PASS" : "MISS"), d, g, r}'
fi

# ---- deep: 4096 nested directories ----
if want deep; then
python3 "$here/tests/lib/trees.py" deep "$W/deep" 4096
measure "deep: distill tar, 4096 levels, ulimit -n 128" bash -c 'ulimit -n 128; exec "$0" tar "$1" -o "$2"' "$DISTILL" "$W/deep" "$W/deep.tar"
check "entries in the archive" "$(tar -tf "$W/deep.tar" | wc -l)" 4097
fi

# ---- sparse: one big sparse file ----
if want sparse; then
mkdir -p "$W/sparse"
truncate -s "${SPARSE_GIB}G" "$W/sparse/big"
printf 'end' >> "$W/sparse/big"
measure "sparse: distill tar, ${SPARSE_GIB} GiB sparse file (zstd)" "$DISTILL" tar "$W/sparse" -o "$W/sparse.tar.zst" --compression zstd
goal "under 3 s" 's < 3'
check "size in the archive" "$(zstd -dcq "$W/sparse.tar.zst" | tar -tvf - big | awk '{print $3}')" "$((SPARSE_GIB * 1073741824 + 3))"
rm -f "$W/sparse.tar.zst" "$W/sparse/big"
fi

# ---- lock: a spec of LOCK_FILES files ----
if want lock; then
mkdir -p "$W/lock"
python3 "$here/tests/lib/trees.py" wide "$W/lock/tree" "$LOCK_FILES"
printf 'name: example/many:1\nbase: scratch\nplatform: linux/amd64\nfiles:\n  - src: ./tree\n    dst: /data\n' > "$W/lock/many.yaml"
measure "lock: distill lock, $LOCK_FILES files" "$DISTILL" lock "$W/lock/many.yaml"
goal "under 64 MiB" 'm < 64'
measure "lock: distill lock --check" "$DISTILL" lock --check "$W/lock/many.yaml"
measure "lock: distill build (checks the lock)" "$DISTILL" build --no-cache "$W/lock/many.yaml" -o "$W/lock/img" --json
check "lock size" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["files"]) >= int(sys.argv[2]))' "$W/lock/many.lock.json" "$LOCK_FILES")" True
rm -rf "$W/lock/img"
fi

# ---- graph: OBJS shared objects ----
if want graph; then
mkdir -p "$W/graph/lib"
echo 'int x;' > "$W/graph/e.c"
gcc -c -fPIC -o "$W/graph/e.o" "$W/graph/e.c"
# object i needs 2i+1 and 2i+2 (a shared binary tree) and i+1: every object reachable from 0
for ((i = OBJS - 1; i >= 0; i--)); do
    needs=()
    for j in $((2 * i + 1)) $((2 * i + 2)) $((i + 1)); do [ $j -lt "$OBJS" ] && needs+=("-lo$j"); done
    ld -shared -o "$W/graph/lib/libo$i.so" -soname "libo$i.so" "$W/graph/e.o" -L"$W/graph/lib" \
        --no-as-needed "${needs[@]}" -rpath '$ORIGIN' --enable-new-dtags
done
echo 'int main(void){return 0;}' > "$W/graph/m.c"
gcc -o "$W/graph/lib/app" "$W/graph/m.c" -L"$W/graph/lib" -Wl,--no-as-needed -lo0 -Wl,-rpath,'$ORIGIN' -Wl,--enable-new-dtags
measure "graph: distill deps, $OBJS objects" "$DISTILL" deps "$W/graph/lib/app"
sort "$W/out" | grep '/libo' > "$W/graph/distill.list" || true
measure "graph: ld.so --list (glibc)" /lib64/ld-linux-x86-64.so.2 --list "$W/graph/lib/app"
grep -o '/[^ ]*/libo[0-9]*\.so' "$W/out" | sort > "$W/graph/ldso.list" || true
check "objects found by distill" "$(wc -l < "$W/graph/distill.list")" "$OBJS"
check "distill's closure equals ld.so's" "$(cmp -s "$W/graph/distill.list" "$W/graph/ldso.list" && echo same || echo differ)" same
fi

# ---- bombs: hostile images (issue 16) ----
if want bombs; then
H="$here/tests/e2e/verify/hostile.py"
mkdir -p "$W/bombs/data" && echo x > "$W/bombs/data/a"
printf 'name: t/b:1\nplatform: linux/amd64\nfiles:\n  - {src: ./data, dst: /data}\n' > "$W/bombs/s.yaml"
python3 "$H" sparse-bomb "$W/bombs/sparse.tar.gz"
python3 "$H" layout "$W/bombs/sparse.oci" "$W/bombs/sparse.tar.gz"
echo "bombs: a $(stat -c %s "$W/bombs/sparse.tar.gz")-byte gzip of a sparse file of 10^18 bytes"
FAILS=1 measure "bombs: inspect, the sparse bomb" "$DISTILL" inspect "$W/bombs/sparse.oci"
goal "refused in under a second" 's < 1'
FAILS=1 measure "bombs: diff, the sparse bomb against itself" "$DISTILL" diff "$W/bombs/sparse.oci" "$W/bombs/sparse.oci"
goal "refused in under a second" 's < 1'
FAILS=1 measure "bombs: verify --against the sparse bomb" "$DISTILL" verify -q --no-lock "$W/bombs/s.yaml" --against "$W/bombs/sparse.oci"
goal "refused in under a second (a build included)" 's < 1'
python3 "$H" entries "$W/bombs/entries.tar.gz" "$ENTRIES"
python3 "$H" layout "$W/bombs/entries.oci" "$W/bombs/entries.tar.gz"
python3 "$H" entries "$W/bombs/entries2.tar.gz" "$ENTRIES" g
python3 "$H" layout "$W/bombs/entries2.oci" "$W/bombs/entries2.tar.gz"
echo "bombs: $ENTRIES empty files, $(stat -c %s "$W/bombs/entries.tar.gz") bytes of gzip"
measure "bombs: inspect, $ENTRIES entries" "$DISTILL" inspect "$W/bombs/entries.oci"
check "files listed" "$(grep -c '^  -rw' "$W/out")" "$ENTRIES"
goal "under 256 MiB" 'm < 256'
FAILS=1 measure "bombs: diff, two layers of $ENTRIES entries" "$DISTILL" diff "$W/bombs/entries.oci" "$W/bombs/entries2.oci"
check "differences" "$(tail -1 "$W/out")" "$((2 * ENTRIES)) differences"
goal "under 256 MiB" 'm < 256'
rm -rf "$W/bombs/entries"*
python3 "$H" layers "$W/bombs/layers.oci" "$LAYERS"
python3 "$H" layers "$W/bombs/layers.tar" "$LAYERS" archive
echo "bombs: $LAYERS layers, as a layout and as an OCI archive of $(stat -c %s "$W/bombs/layers.tar") bytes"
measure "bombs: inspect, $LAYERS layers, layout" "$DISTILL" inspect "$W/bombs/layers.oci"
tl=$LAST_S
measure "bombs: inspect, $LAYERS layers, OCI archive" "$DISTILL" inspect "$W/bombs/layers.tar"
awk -v a="$LAST_S" -v l="$tl" 'BEGIN{r = a / (l > 0.01 ? l : 0.01); printf "  %s the archive takes %.2fx the layout'"'"'s time (goal within 2x)\n", r <= 2 ? "PASS" : "MISS", r}'
check "layers listed" "$(grep -c '^  [0-9]* *sha256:' "$W/out")" "$LAYERS"
fi

echo
printf '%-44s %9s %10s\n' case seconds "peak MiB"
printf '%s\n' "${ROWS[@]}"
