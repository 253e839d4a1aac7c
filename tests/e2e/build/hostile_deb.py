#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# hostile_deb.py OUT.deb NAME KIND: writes a .deb (ar: debian-binary, control.tar.gz,
# data.tar.gz) whose data member tries to leave the package root. KIND:
#   dotdot    ./../../TARGET/pwned            (".." components)
#   absolute  /TARGET/pwned                   (an absolute member name)
#   symlink   ./evil -> TARGET, ./evil/pwned  (a file written through its own symlink)
#   hardlink  ./evil hardlinked to /TARGET/x  (a hardlink to a path outside)
#   newline   ./usr/share/a<LF>b               (a control character in a name)
#   longname  ./usr/share/<300 bytes>          (a component over 255 bytes)
#   longpath  ./usr/share/<200 bytes>/... 4200 bytes in all (a path over 4095 bytes)
# TARGET is the environment variable TARGET (an absolute directory).
import io, os, sys, tarfile, time

out, name, kind = sys.argv[1:4]
target = os.environ["TARGET"].strip("/")

def tar_gz(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as t:
        for info, data in members:
            info.mtime = 0
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()

def member(name, type=tarfile.REGTYPE, data=None, link=""):
    i = tarfile.TarInfo(name)
    i.type = type
    i.mode = 0o755 if type == tarfile.DIRTYPE else 0o644
    i.linkname = link
    i.size = len(data) if data is not None else 0
    return i, data

control = (f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
           "Maintainer: t <t@example.invalid>\nDescription: hostile\n").encode()
ctl = tar_gz([member("./", tarfile.DIRTYPE), member("./control", data=control)])
payload = b"pwned\n"
data = [member("./", tarfile.DIRTYPE), member("./usr/", tarfile.DIRTYPE),
        member("./usr/share/", tarfile.DIRTYPE)]
if kind == "dotdot":
    data.append(member("./../../../../../../" + target + "/pwned", data=payload))
elif kind == "absolute":
    data.append(member("/" + target + "/pwned", data=payload))
elif kind == "symlink":
    data.append(member("./usr/share/evil", tarfile.SYMTYPE, link="/" + target))
    data.append(member("./usr/share/evil/pwned", data=payload))
elif kind == "hardlink":
    data.append(member("./usr/share/evil", tarfile.LNKTYPE, link="/" + target + "/x"))
elif kind == "newline":
    data.append(member("./usr/share/a\nb", data=payload))
elif kind == "longname":
    data.append(member("./usr/share/" + "n" * 300, data=payload))
elif kind == "longpath":
    data.append(member("./usr/share/" + "/".join(["p" * 200] * 21), data=payload))
else:
    sys.exit(f"unknown kind {kind}")
dat = tar_gz(data)

def ar_member(name, body):
    hdr = f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(body):<10}`\n".encode()
    return hdr + body + (b"\n" if len(body) % 2 else b"")

with open(out, "wb") as f:
    f.write(b"!<arch>\n")
    f.write(ar_member("debian-binary", b"2.0\n"))
    f.write(ar_member("control.tar.gz", ctl))
    f.write(ar_member("data.tar.gz", dat))
