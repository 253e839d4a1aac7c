#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Large test trees, made by descriptor (paths may exceed PATH_MAX):
#   trees.py deep DIR DEPTH   DIR/d/d/.../d/f (DEPTH directories), f holding "deep\n"
#   trees.py wide DIR FILES   FILES files, 1000 per directory: DIR/d0000/f0000 holds "0\n", ...
import os, sys

kind, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(root, exist_ok=True)
if kind == "deep":
    fd = os.open(root, os.O_RDONLY)
    for _ in range(n):
        os.mkdir("d", dir_fd=fd)
        sub = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = sub
    f = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(f, b"deep\n")
    os.close(f)
    os.close(fd)
elif kind == "wide":
    for d in range((n + 999) // 1000):
        dd = os.path.join(root, "d%04d" % d)
        os.mkdir(dd)
        for i in range(min(1000, n - d * 1000)):
            f = os.open(os.path.join(dd, "f%04d" % i), os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(f, b"%d\n" % (d * 1000 + i))
            os.close(f)
else:
    sys.exit(f"unknown kind {kind}")
