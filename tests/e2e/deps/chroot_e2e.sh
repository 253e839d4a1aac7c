#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end: for every ELF in /usr/bin whose `--version` exits 0 on this machine, an empty
# root holding exactly distill's list (with run-time loads) runs `--version` too. Prints the
# pass rate; a failure must be explained in e2e_exceptions.txt (non-ELF data the program
# needs). Needs root (chroot); files are hardlinked, not copied.
set -uo pipefail
: "${DISTILL:?set DISTILL to the distill binary}"
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "skipped: needs root for chroot"; exit 0; }
W=$(mktemp -d /var/tmp/distill-e2e.XXXXXX)   # same filesystem as /usr: hardlinks work
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/scratch"
declare -A excused
while IFS=$'\t' read -r path reason; do
    [ -n "$path" ] && [ "${path:0:1}" != "#" ] && excused[$path]=$reason
done < "$here/e2e_exceptions.txt"

# The light variant (DISTILL_TEST_LIGHT=1: under memcheck) takes every 8th program.
step=1; [ -n "${DISTILL_TEST_LIGHT:-}" ] && step=8
pass=0 fail=0 tried=0 ex=0 data=0 i=0
for f in /usr/bin/*; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    i=$((i + 1)); [ $(( (i - 1) % step )) = 0 ] || continue
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = "177ELF" ] || continue
    # In a scratch directory: some programs write files into their cwd.
    (cd "$W/scratch" && timeout 5 "$f" --version </dev/null >/dev/null 2>&1) || continue
    tried=$((tried + 1))
    root=$W/root; rm -rf "$root"; mkdir -p "$root"
    if ! "$DISTILL" deps "$f" > "$W/list" 2>"$W/err"; then
        echo "FAIL $f: distill deps: $(head -1 "$W/err")"; fail=$((fail + 1)); continue
    fi
    # One cp per program: hardlinks (symlinks kept as symlinks), parents made as needed.
    sed 's|^/||' "$W/list" | (cd / && xargs -d '\n' cp -P -l --parents -t "$root")
    timeout 60 chroot "$root" "$f" --version </dev/null >/dev/null 2>"$W/err"
    rc=$?
    msg=$(tr -d '\033' < "$W/err" | head -1 | cut -c1-160)
    if [ $rc = 0 ]; then
        pass=$((pass + 1))
    elif [ -n "${excused[$f]:-}" ]; then
        ex=$((ex + 1)); echo "explained $f: ${excused[$f]}"
    elif { [ $rc -lt 124 ] || [ $rc = 128 ]; } && [ -n "$msg" ] && ! grep -qE 'error while loading shared libraries|cannot open shared object|symbol lookup error|version .GLIBC' "$W/err"; then
        data=$((data + 1)); echo "explained $f: needs non-ELF data: $msg"
    else
        fail=$((fail + 1)); echo "FAIL $f (exit $rc): $msg"
    fi
done
echo "$tried programs with a working --version: $pass run from distill's list alone ($((100 * pass / (tried ? tried : 1)))%), $data need non-ELF data, $ex listed in e2e_exceptions.txt, $fail unexplained"
[ "$fail" = 0 ]
