#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# expect.py SPEC ROOTFS: checks that an unpacked image holds exactly what its spec asks for:
# the distroless skeleton (with the root's /etc/debian_version) and the spec's users' homes,
# the closure `distill deps` lists for the binaries (with the image's nsswitch.conf; a
# project library beside its binary's dst), the declared files, a /var/lib/dpkg/status.d entry (and .md5sums) per package that
# owns any of those files (from this machine's dpkg database), their parent directories, and
# nothing else. Prints the differences and exits 1 when there are any.
import fnmatch, os, re, subprocess, sys, tempfile

import yaml

spec_path, rootfs = sys.argv[1], sys.argv[2]
spec = yaml.safe_load(open(spec_path))
distill = os.environ["DISTILL"]

NSSWITCH = ("passwd: files\ngroup: files\nshadow: files\ngshadow: files\nhosts: files dns\n"
            "networks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n")

SYSTEM = ("/lib/", "/lib32/", "/lib64/", "/libx32/", "/usr/", "/bin/", "/sbin/", "/etc/", "/opt/",
          "/var/")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
spec_dir = os.path.dirname(os.path.abspath(spec_path))
runtime = {False: "off", True: "auto"}.get(spec.get("runtime"), spec.get("runtime", "auto"))


def glob_re(pat):
    """fnmatch with FNM_PATHNAME: * and ? stop at /."""
    out, i = "", 0
    while i < len(pat):
        c = pat[i]
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            j = pat.find("]", i + 2)
            if j < 0:
                out += re.escape(c)
            else:
                body = pat[i + 1:j]
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = j
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + r"\Z")


def excluded(f, path):
    """As distill: an absolute glob matches the path or a directory above it; a name without
    '/' matches any component below dst."""
    for pat in f.get("exclude", []):
        if pat.startswith("/"):
            r, q = glob_re(pat), path
            while q not in ("", "/"):
                if r.match(q):
                    return True
                q = os.path.dirname(q)
        else:
            if any(fnmatch.fnmatchcase(c, pat) for c in path[len(f["dst"]):].split("/") if c):
                return True
    return False


def host(p):
    return p if p.startswith("/") else os.path.normpath(os.path.join(spec_dir, p))


def deps(inputs):
    if not inputs:
        return []
    cmd = [distill, "deps", "--nsswitch", nss.name, "--runtime", runtime] + inputs
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()


def head(p, n=512):
    with open(p, "rb") as fh:
        return fh.read(n)


scratch = spec.get("base") == "scratch"
want = set() if scratch else {"/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
                              "/etc/os-release", "/etc/debian_version", "/tmp", "/root",
                              "/home/nonroot"}
for u in spec.get("users", []):  # the spec's users' homes
    want.add(u.get("home", "/home/" + u["name"]))
if spec.get("certificates") is True:
    want.add("/etc/ssl/certs/ca-certificates.crt")
owned = set()  # host paths whose owning package needs a status.d entry
if not scratch:  # base-files's
    owned.add(os.path.realpath("/etc/debian_version"))
path_var = DEFAULT_PATH
env = spec.get("config", {}).get("env", {})
for k, v in (env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)):
    if k == "PATH":
        path_var = v
with tempfile.NamedTemporaryFile("w", suffix=".conf") as nss:
    nss.write("" if scratch else NSSWITCH)
    nss.flush()
    # binaries: an ELF file goes to its dst with its closure; a #! script goes to its dst and
    # its interpreter (env's NAME found in the PATH) comes with its closure
    for b in spec.get("binaries", []):
        b = b if isinstance(b, dict) else {"path": b}
        p = host(b["path"])
        real = os.path.realpath(p)
        h = head(p)
        if h.startswith(b"#!"):
            words = h[2:].split(b"\n")[0].split()
            interp = words[0].decode()
            inputs = [interp]
            if os.path.basename(interp) == "env" and len(words) > 1:
                name = words[1].decode()
                inputs.append(next(d + "/" + name for d in path_var.split(":")
                                   if os.access(d + "/" + name, os.X_OK)))
            out = deps(inputs)
        else:
            out = [q for q in deps([p]) if q != real or "dst" not in b]
            owned.add(real)
        want.add(b.get("dst", p))
        for q in out:
            # a project library (outside the system directories, as its binary is) follows
            # the binary to its dst, at the same place relative to it
            if "dst" in b and not (q + "/").startswith(SYSTEM) and not real.startswith(SYSTEM):
                want.add(os.path.normpath(os.path.join(os.path.dirname(b["dst"]),
                                                       os.path.relpath(q, os.path.dirname(real)))))
                continue
            want.add(q)
            owned.add(q)
    srcs, elves = [], []
    for f in spec.get("files", []):
        src, dst = os.path.realpath(host(f["src"])), f["dst"]
        srcs.append(src)
        want.add(dst)
        owned.add(src)
        for top, dirs, names in os.walk(src):
            for n in list(dirs) + names:
                p = os.path.join(top, n)
                q = dst + p[len(src):]
                if excluded(f, q):
                    if n in dirs:
                        dirs.remove(n)
                    continue
                want.add(q)
                owned.add(p)
                if (f.get("closure", True) and os.path.isfile(p) and not os.path.islink(p)
                        and head(p, 4) == b"\x7fELF"):
                    elves.append(p)
    # the closure of the files' ELF files: what the entries place and what lies outside the
    # system directories are not added
    for q in deps(sorted(elves)):
        if any(q == s_ or q.startswith(s_ + "/") for s_ in srcs):
            continue
        if not (q + "/").startswith(SYSTEM):
            continue
        want.add(q)
        owned.add(q)

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
