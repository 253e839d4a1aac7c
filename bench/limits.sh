#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/limits.sh: distill at the sizes issue 6 names, with wall time and peak RSS of each
# command and, where one exists, of the baseline tool doing the same job:
#   files   a tree of FILES entries (default 1,000,000) -> distill tar (vs GNU tar --sort=name)
#   deep    directories nested 4096 deep (paths over 8 KiB), with 128 descriptors
#   sparse  one sparse file of SPARSE_GIB GiB (default 10) -> distill tar, zstd
#   lock    a spec whose files are LOCK_FILES files (default 100,000): lock, lock --check, build
#   graph   an executable needing OBJS shared objects (default 3,000), RUNPATH $ORIGIN ->
#           distill deps (vs glibc's own ld.so --list, which must agree)
# Each command must succeed; its output is checked (entry counts, the graph's closure).
# Never part of the test suite; needs about 12 GiB of free space in TMPDIR for the sparse
# case (the tar of zeros is compressed, the input is sparse). DISTILL=path overrides the
# binary; without it the build in build/ is brought up to date first.
# Exit 1 if a command fails or its output is wrong.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
FILES=${FILES:-1000000} SPARSE_GIB=${SPARSE_GIB:-10} LOCK_FILES=${LOCK_FILES:-100000}
OBJS=${OBJS:-3000}
. "$here/bench/lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-limits.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo "distill: $DISTILL ($("$DISTILL" --version | head -1)), $(nproc) CPUs, $W"

ROWS=()
# measure LABEL CMD...: runs CMD under /usr/bin/time; adds a row; fails the script if CMD does.
measure() {
    local label=$1; shift
    if ! /usr/bin/time -f '%e %M' -o "$W/time" "$@" > "$W/out" 2> "$W/err"; then
        echo "FAIL $label: $*"; cat "$W/err" | head -5; exit 1
    fi
    local t; t=$(tail -n1 "$W/time")
    ROWS+=("$(printf '%-44s %9.2f %10.1f' "$label" "${t% *}" "$(awk -v k="${t#* }" 'BEGIN{print k / 1024}')")")
    echo "${ROWS[-1]}"
}
check() { if [ "$2" = "$3" ]; then echo "  ok   $1"; else echo "  FAIL $1: got $2, want $3"; exit 1; fi; }

# ---- files: a tree of FILES entries ----
python3 "$here/tests/lib/trees.py" wide "$W/files" "$FILES"
entries=$((FILES + (FILES + 999) / 1000))
echo "files: $FILES files in $(((FILES + 999) / 1000)) directories ($entries entries)"
measure "files: distill tar (zstd)" "$DISTILL" tar "$W/files" -o "$W/files.tar.zst" --compression zstd --json
check "entries in the archive" "$(zstd -dcq "$W/files.tar.zst" | tar -tf - | wc -l)" "$entries"
rm -f "$W/files.tar.zst"
measure "files: GNU tar --sort=name | zstd -3" bash -c 'tar --sort=name --format=posix -C "$1" -cf - . | zstd -3 -q -c > "$2"' _ "$W/files" "$W/files.gnu.tar.zst"
rm -f "$W/files.gnu.tar.zst"

# ---- deep: 4096 nested directories ----
python3 "$here/tests/lib/trees.py" deep "$W/deep" 4096
measure "deep: distill tar, 4096 levels, ulimit -n 128" bash -c 'ulimit -n 128; exec "$0" tar "$1" -o "$2"' "$DISTILL" "$W/deep" "$W/deep.tar"
check "entries in the archive" "$(tar -tf "$W/deep.tar" | wc -l)" 4097

# ---- sparse: one big sparse file ----
mkdir -p "$W/sparse"
truncate -s "${SPARSE_GIB}G" "$W/sparse/big"
printf 'end' >> "$W/sparse/big"
measure "sparse: distill tar, ${SPARSE_GIB} GiB sparse file (zstd)" "$DISTILL" tar "$W/sparse" -o "$W/sparse.tar.zst" --compression zstd
check "size in the archive" "$(zstd -dcq "$W/sparse.tar.zst" | tar -tvf - big | awk '{print $3}')" "$((SPARSE_GIB * 1073741824 + 3))"
rm -f "$W/sparse.tar.zst" "$W/sparse/big"

# ---- lock: a spec of LOCK_FILES files ----
mkdir -p "$W/lock"
python3 "$here/tests/lib/trees.py" wide "$W/lock/tree" "$LOCK_FILES"
printf 'name: example/many:1\nbase: scratch\nplatform: linux/amd64\nfiles:\n  - src: ./tree\n    dst: /data\n' > "$W/lock/many.yaml"
measure "lock: distill lock, $LOCK_FILES files" "$DISTILL" lock "$W/lock/many.yaml"
measure "lock: distill lock --check" "$DISTILL" lock --check "$W/lock/many.yaml"
measure "lock: distill build (checks the lock)" "$DISTILL" build "$W/lock/many.yaml" -o "$W/lock/img" --json
check "lock size" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["files"]) >= int(sys.argv[2]))' "$W/lock/many.lock.json" "$LOCK_FILES")" True
rm -rf "$W/lock/img"

# ---- graph: OBJS shared objects ----
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

echo
printf '%-44s %9s %10s\n' case seconds "peak MiB"
printf '%s\n' "${ROWS[@]}"
