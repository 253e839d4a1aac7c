#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# GNU tar and bsdtar both list and extract distill's archives to exactly the input tree:
# contents, modes, symlinks, hardlinks, empty dirs, long and non-ASCII names, long targets.
source "$TESTS/e2e/tar/lib.sh"
(umask 022; mktree "$W/in" forward)
n_in=$(cd "$W/in" && find . -mindepth 1 | wc -l)

for comp in none gzip zstd; do
    e=$(ext_of "$comp")
    "$DISTILL" tar "$W/in" -o "$W/a.$e" -q
    case $comp in none) z=cat ;; gzip) z="gzip -dc" ;; zstd) z="zstd -dcq" ;; esac
    for tool in gnu bsd; do
        out="$W/x-$tool-$comp"; mkdir "$out"
        if [ $tool = gnu ]; then
            $z < "$W/a.$e" | tar -C "$out" -xpf -
            n=$($z < "$W/a.$e" | tar -tf - | wc -l)
        else
            bsdtar -C "$out" -xpf "$W/a.$e"
            n=$(bsdtar -tf "$W/a.$e" | wc -l)
        fi
        if [ "$n" != "$n_in" ]; then
            echo "FAIL $tool $comp lists $n entries, the tree has $n_in"; FAILED=1
        fi
        if python3 "$TESTS/lib/treecmp.py" "$W/in" "$out" > "$W/cmp.txt"; then
            echo "ok   $tool $comp: $(tail -1 "$W/cmp.txt")"
        else
            echo "FAIL $tool $comp extract differs:"; cat "$W/cmp.txt"; FAILED=1
        fi
    done
done

# --keep-modes and --keep-special round-trip odd modes; the default normalizes them.
mkdir -p "$W/modes/d"; echo s > "$W/modes/suid"; echo g > "$W/modes/odd"
chmod 4755 "$W/modes/suid"; chmod 0640 "$W/modes/odd"; chmod 1777 "$W/modes/d"
modes() { tar -tvf "$1" | awk '{print $1, $6}' | tr '\n' ' '; }
"$DISTILL" tar "$W/modes" -o "$W/m1.tar" -q
"$DISTILL" tar "$W/modes" -o "$W/m2.tar" -q --keep-modes
"$DISTILL" tar "$W/modes" -o "$W/m3.tar" -q --keep-modes --keep-special
for c in "m1|drwxr-xr-x d/ -rw-r--r-- odd -rwxr-xr-x suid " \
         "m2|drwxrwxrwx d/ -rw-r----- odd -rwxr-xr-x suid " \
         "m3|drwxrwxrwt d/ -rw-r----- odd -rwsr-xr-x suid "; do
    got=$(modes "$W/${c%%|*}.tar")
    if [ "$got" = "${c#*|}" ]; then echo "ok   modes ${c%%|*}: $got"
    else echo "FAIL modes ${c%%|*}: '$got' != '${c#*|}'"; FAILED=1; fi
done

# Reading the inputs writes nothing to them: an access time older than the modification
# time (which relatime would update on the first read) stays as it was.
mkdir -p "$W/atime" && echo a > "$W/atime/f"
touch -a -d '2001-02-03 04:05:06' "$W/atime/f"
before=$(stat -c %X "$W/atime/f")
"$DISTILL" tar "$W/atime" -o "$W/atime.tar" -q
after=$(stat -c %X "$W/atime/f")
if [ "$(id -u)" != 0 ] && [ "$(stat -c %u "$W/atime/f")" != "$(id -u)" ]; then
    echo "skip atime: not the owner"
elif [ "$before" = "$after" ]; then echo "ok   input access time kept ($before)"
else echo "FAIL input access time changed: $before -> $after"; FAILED=1; fi
finish
