#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# expect.py SPEC ROOTFS: checks that an unpacked image holds exactly what its spec asks for:
# the distroless skeleton, the closure `distill deps` lists for the binaries (with the
# image's nsswitch.conf), the declared files, a /var/lib/dpkg/status.d entry (and .md5sums) per package that
# owns any of those files (from this machine's dpkg database), their parent directories, and
# nothing else. Prints the differences and exits 1 when there are any.
import os, subprocess, sys, tempfile

import yaml

spec_path, rootfs = sys.argv[1], sys.argv[2]
spec = yaml.safe_load(open(spec_path))
distill = os.environ["DISTILL"]

NSSWITCH = ("passwd: files\ngroup: files\nshadow: files\ngshadow: files\nhosts: files dns\n"
            "networks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n")

want = {"/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/os-release", "/tmp", "/root",
        "/home/nonroot"}
if spec.get("certificates") is True:
    want.add("/etc/ssl/certs/ca-certificates.crt")
owned = set()  # host paths whose owning package needs a status.d entry
with tempfile.NamedTemporaryFile("w", suffix=".conf") as nss:
    nss.write(NSSWITCH)
    nss.flush()
    bins = spec.get("binaries", [])
    if bins:
        cmd = [distill, "deps", "--nsswitch", nss.name,
               "--runtime", {False: "off", True: "auto"}.get(spec.get("runtime"), spec.get("runtime", "auto"))] + bins
        for p in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split():
            want.add(p)
            owned.add(p)
if spec.get("certificates") is True:
    owned.add(os.path.realpath("/etc/ssl/certs/ca-certificates.crt"))
for f in spec.get("files", []):
    src, dst = os.path.realpath(f["src"]), f["dst"]
    want.add(dst)
    owned.add(src)
    for top, dirs, names in os.walk(src):
        for n in dirs + names:
            p = os.path.join(top, n)
            want.add(dst + p[len(src):])
            owned.add(p)

# Owners, from the dpkg file lists (merged /usr: /lib/x is also /usr/lib/x).
lists = {}
info = "/var/lib/dpkg/info"
for n in os.listdir(info):
    if n.endswith(".list"):
        pkg = n[:-5].split(":")[0]
        for line in open(os.path.join(info, n), errors="replace"):
            lists.setdefault(line.rstrip("\n"), set()).add(pkg)
def owner(p):
    for cand in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
        if cand in lists and not os.path.isdir(cand):
            return sorted(lists[cand])[0]
    return None
for p in owned:
    if os.path.islink(p) and os.path.isdir(p):
        continue
    if os.path.isdir(p) and not os.path.islink(p):
        continue
    o = owner(p)
    if o:
        want.add("/var/lib/dpkg/status.d/" + o)
        if os.path.isfile(p) and not os.path.islink(p):
            # "md5  path" of each regular file the package owns in the image
            want.add("/var/lib/dpkg/status.d/" + o + ".md5sums")

for p in list(want):
    while p != "/":
        p = os.path.dirname(p)
        if p != "/":
            want.add(p)

have = set()
for top, dirs, names in os.walk(rootfs):
    for n in dirs + names:
        have.add("/" + os.path.relpath(os.path.join(top, n), rootfs))
missing, extra = sorted(want - have), sorted(have - want)
for p in missing:
    print("missing:", p)
for p in extra:
    print("extra:  ", p)
print(f"{os.path.basename(spec_path)}: {len(have)} paths, {len(missing)} missing, {len(extra)} extra")
sys.exit(1 if missing or extra else 0)
