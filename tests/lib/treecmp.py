#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# treecmp.py A B: compares two directory trees: paths, types, modes, contents, link targets
# and hardlink groups. Prints every difference; exit 0 equal, 1 different.
import hashlib, os, stat, sys

def scan(root):
    entries, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                entries[rel] = ("symlink", os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                entries[rel] = ("dir", oct(stat.S_IMODE(st.st_mode)))
            else:
                with open(full, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                entries[rel] = ("file", oct(stat.S_IMODE(st.st_mode)), st.st_size, digest)
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
    groups = sorted(sorted(g) for g in inodes.values() if len(g) > 1)
    return entries, groups

def main():
    a, ga = scan(sys.argv[1])
    b, gb = scan(sys.argv[2])
    bad = 0
    for p in sorted(set(a) | set(b)):
        if a.get(p) != b.get(p):
            print(f"{p!r}: {a.get(p)} != {b.get(p)}")
            bad = 1
    if ga != gb:
        print(f"hardlink groups differ: {ga} != {gb}")
        bad = 1
    print(f"{len(a)} entries, {len(ga)} hardlink groups: {'same' if not bad else 'DIFFERENT'}")
    return bad

sys.exit(main())
