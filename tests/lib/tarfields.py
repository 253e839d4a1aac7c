#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tarfields.py ARCHIVE: prints one line per member with every header field that matters
# (name, type, mode, uid, gid, uname, gname, mtime, size, link, pax headers, content sha256),
# in archive order, so two archives can be compared field by field with diff.
import hashlib, sys, tarfile

with tarfile.open(sys.argv[1], "r:*") as t:
    for m in t:
        digest = ""
        if m.isreg():
            digest = hashlib.sha256(t.extractfile(m).read()).hexdigest()[:16]
        pax = ",".join(f"{k}={v}" for k, v in sorted(m.pax_headers.items()) if k not in ("path", "linkpath"))
        print(f"{m.name}\ttype={m.type.decode()}\tmode={m.mode:o}\tuid={m.uid}\tgid={m.gid}"
              f"\tuname={m.uname}\tgname={m.gname}\tmtime={m.mtime}\tsize={m.size}"
              f"\tlink={m.linkname}\tpax={pax}\tsha={digest}")
