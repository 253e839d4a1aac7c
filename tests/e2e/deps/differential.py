#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Differential test: for every dynamic ELF under the given directories of this machine, the
# set of objects distill resolves must equal the set glibc's own loader reports
# (`ld.so --list FILE`, run only on the machine's own files). A disagreement fails unless
# tests/deps/exceptions.txt lists the file with its reason. Prints the agreement.
import json, os, re, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

DISTILL = os.environ["DISTILL"]
LDSO = "/lib64/ld-linux-x86-64.so.2"
here = os.path.dirname(os.path.abspath(__file__))
dirs = sys.argv[1:] or ["/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"]

exceptions = {}
with open(os.path.join(here, "exceptions.txt")) as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            path, _, reason = line.partition("\t")
            exceptions[path] = reason.strip()

def elf_files():
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in sorted(names):
                p = os.path.join(root, n)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    with open(p, "rb") as f:
                        head = f.read(20)
                except OSError:
                    continue
                # 64-bit little-endian x86-64 ELF only (what this loader can list)
                if head[:4] == b"\x7fELF" and head[4] == 2 and head[18:20] == b"\x3e\x00":
                    yield p

LINE = re.compile(r"^\t(?:(\S+) => )?(\S+)(?: \(0x[0-9a-f]+\))?$")

def ldso(path):
    r = subprocess.run([LDSO, "--list", path], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    if r.returncode != 0:
        return None  # static, not loadable here: ld.so says why on stderr
    found = set()
    for line in r.stdout.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        name, where = m.group(1), m.group(2)
        if where == "not":  # "name => not found"
            found.add("missing:" + name)
        elif not where.startswith("linux-vdso") and where.startswith("/"):
            found.add(where)
    return found

def distill(path):
    r = subprocess.run([DISTILL, "deps", "--runtime", "off", "--json", "--allow-missing", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "error: " + r.stderr.strip()
    d = json.loads(r.stdout)
    found = set()
    for proc in d["inputs"]:
        for o in proc["objects"][1:]:
            found.add(o["path"])
    for m in d["missing"]:
        found.add("missing:" + m.split(" ")[0])
    return found

def check(path):
    want = ldso(path)
    if want is None:
        return path, "skip", None
    got = distill(path)
    if got == want:
        return path, "agree", None
    return path, "disagree", (got, want)

files = list(elf_files())
# The light variant (DISTILL_TEST_LIGHT=1: under memcheck, where each run costs about a second)
# takes every 16th file, and every file exceptions.txt names.
if os.environ.get("DISTILL_TEST_LIGHT"):
    files = [p for i, p in enumerate(files) if i % 16 == 0 or p in exceptions]
agree = skipped = excused = 0
failures = []
with ThreadPoolExecutor(max_workers=2) as pool:
    for path, verdict, detail in pool.map(check, files):
        if verdict == "skip":
            skipped += 1
        elif verdict == "agree":
            agree += 1
        elif path in exceptions:
            excused += 1
        else:
            failures.append((path, detail))

total = agree + excused + len(failures)
print(f"{len(files)} ELF files, {skipped} not dynamic (ld.so --list refuses them)")
print(f"agreement: {agree}/{total} ({100.0 * agree / max(total, 1):.2f}%), "
      f"{excused} listed in exceptions.txt, {len(failures)} unexplained")
for path, (got, want) in failures[:30]:
    if isinstance(got, str):
        print(f"DISAGREE {path}: {got}")
    else:
        print(f"DISAGREE {path}: distill only {sorted(got - want)}, ld.so only {sorted(want - got)}")
sys.exit(1 if failures else 0)
