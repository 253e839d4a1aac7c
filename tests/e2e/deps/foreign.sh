#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Other architectures on this amd64 host: a merged-/usr sysroot per architecture made from
# Debian's cross libcs (libc6-<arch>-cross); for every library in it, distill deps --root
# must find the objects that architecture's own ld.so reports when run under qemu-user
# (`qemu-<arch> -L SYSROOT ld.so --list LIB`), and every object must be of that machine.
set -uo pipefail
: "${DISTILL:?set DISTILL to the distill binary}"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-foreign.XXXXXX")
trap 'rm -rf "$W"' EXIT
FAILED=0 total=0 agree=0

# arch | cross lib dir | multiarch | interpreter | qemu | machine name in --json
for spec in "arm64|/usr/aarch64-linux-gnu/lib|aarch64-linux-gnu|/lib/ld-linux-aarch64.so.1|qemu-aarch64|aarch64" \
            "armhf|/usr/arm-linux-gnueabihf/lib|arm-linux-gnueabihf|/lib/ld-linux-armhf.so.3|qemu-arm|arm" \
            "riscv64|/usr/riscv64-linux-gnu/lib|riscv64-linux-gnu|/lib/ld-linux-riscv64-lp64d.so.1|qemu-riscv64|riscv64" \
            "i386|/usr/i686-linux-gnu/lib|i386-linux-gnu|/lib/ld-linux.so.2|qemu-i386|i386"; do
    IFS='|' read -r arch src ma interp qemu mach <<< "$spec"
    if [ ! -d "$src" ] || ! command -v "$qemu" >/dev/null; then
        echo "FAIL $arch: $src or $qemu missing (scripts/setup.sh installs them)"; FAILED=1; continue
    fi
    S=$W/$arch
    mkdir -p "$S/usr/lib/$ma" "$S/etc"
    cp -a "$src/." "$S/usr/lib/$ma/"
    ln -s usr/lib "$S/lib"
    ln -s "$ma/$(basename "$interp")" "$S/usr/lib/$(basename "$interp")"
    # The sysroot's own cache: without one, qemu -L would fall back to the host's.
    echo "/usr/lib/$ma" > "$S/etc/ld.so.conf"
    ldconfig -r "$S" 2>/dev/null || { echo "FAIL $arch: ldconfig -r failed"; FAILED=1; }
    n=0 ok=0
    for lib in "$S/usr/lib/$ma"/*.so*; do
        [ -f "$lib" ] && [ ! -L "$lib" ] || continue
        g=/usr/lib/$ma/$(basename "$lib")
        [ "$g" = "/usr/lib/$ma/$(basename "$interp")" ] && continue
        want=$("$qemu" -L "$S" "$S$interp" --list "$g" 2>/dev/null | sed -n 's/^\t[^ ]* => \([^ ]*\) (0x.*/\1/p; s/^\t\([^ ]*\) => not found/missing:\1/p' |
            sed "s|^$S||" | grep -vx "$interp" | sort)
        got=$("$DISTILL" deps --root "$S" --runtime off --json --allow-missing "$g" | python3 -c '
import json, sys
d = json.load(sys.stdin); interp = sys.argv[1]; mach = sys.argv[2]
for o in d["inputs"][0]["objects"]:
    if o["machine"] != mach:
        print("WRONG-MACHINE:" + o["path"] + ":" + str(o["machine"]))
for o in d["inputs"][0]["objects"][1:]:
    if o["path"] != interp:
        print(o["path"])
for m in d["missing"]:
    print("missing:" + m.split(" ")[0])' "$interp" "$mach" | sort)
        n=$((n + 1))
        if [ "$got" = "$want" ]; then ok=$((ok + 1))
        else echo "FAIL $arch $g: distill [$(echo $got)] ld.so [$(echo $want)]"; FAILED=1; fi
    done
    echo "$arch: $ok/$n libraries agree with $qemu + ld.so --list"
    total=$((total + n)); agree=$((agree + ok))
    [ "$n" -gt 5 ] || { echo "FAIL $arch: too few libraries compared ($n)"; FAILED=1; }
done
echo "foreign architectures: $agree/$total agree"
exit $FAILED
