#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# diff_corpus.py BASE_OCI OUT: writes pairs of images and tarballs that differ in exactly one
# thing each, and OUT/cases.json: for each case the two paths, the exact lines `distill diff`
# must print (regular expressions), and the --ignore classes that hide it. Every image is
# re-written here from BASE_OCI's image (layers re-tarred by Python, gzip with MTIME 0), so
# the pair's two sides differ only in what the case changes.
import copy, gzip, hashlib, io, json, os, re, shutil, subprocess, sys, tarfile

base, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def blob(layout, digest):
    return open(os.path.join(layout, "blobs", "sha256", digest.split(":")[1]), "rb").read()


idx = json.load(open(os.path.join(base, "index.json")))
REF = idx["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
MAN = json.loads(blob(base, idx["manifests"][0]["digest"]))
CFG = json.loads(blob(base, MAN["config"]["digest"]))


def read_members(data):
    """(TarInfo, bytes) of every member of a (gzip) tar."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    t = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    return [(m, t.extractfile(m).read() if m.isfile() else b"") for m in t.getmembers()]


LAYERS = [read_members(blob(base, l["digest"])) for l in MAN["layers"]]


def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for m, data in members:
            m = copy.copy(m)
            m.size = len(data) if m.isfile() else 0
            t.addfile(m, io.BytesIO(data) if m.isfile() else None)
    return buf.getvalue()


def gz(data, mtime=0):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=mtime, compresslevel=6) as g:
        g.write(data)
    return buf.getvalue()


def zst(data):
    return subprocess.run(["zstd", "-q", "-3", "-c"], input=data, capture_output=True,
                          check=True).stdout


def put(layout, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    p = os.path.join(layout, "blobs", "sha256", d[7:])
    with open(p, "wb") as f:
        f.write(data)
    return {"digest": d, "size": len(data)}


def dumps(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def image(name, layers=None, config=None, annotations=None, gzip_mtime=0, comp=None):
    """An OCI layout from edited copies of the base image's layers and documents."""
    layout = os.path.join(out, name)
    shutil.rmtree(layout, ignore_errors=True)
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    layers = layers if layers is not None else LAYERS
    cfg = copy.deepcopy(config if config is not None else CFG)
    descs, diff_ids = [], []
    for i, members in enumerate(layers):
        tar = tar_bytes(members)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        last = i == len(layers) - 1
        if last and comp == "zstd":
            d = put(layout, zst(tar))
            d["mediaType"] = "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            d = put(layout, gz(tar, gzip_mtime if last else 0))
            d["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
        descs.append(d)
    cfg["rootfs"]["diff_ids"] = diff_ids
    c = put(layout, dumps(cfg))
    c["mediaType"] = "application/vnd.oci.image.config.v1+json"
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": c, "layers": descs}
    man["annotations"] = dict(MAN.get("annotations", {}), **(annotations or {}))
    m = put(layout, dumps(man))
    m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    m["annotations"] = {"org.opencontainers.image.ref.name": REF}
    with open(os.path.join(layout, "index.json"), "wb") as f:
        f.write(dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": [m]}))
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    return layout


def edit(layer, name, **changes):
    """A copy of LAYERS with member @name of @layer changed (attributes, or data=...)."""
    layers = [list(l) for l in LAYERS]
    for i, (m, data) in enumerate(layers[layer]):
        if m.name == name:
            m = copy.copy(m)
            data = changes.pop("data", data)
            for k, v in changes.items():
                setattr(m, k, v)
            layers[layer][i] = (m, data)
            return layers
    raise SystemExit(f"no member {name} in layer {layer + 1}")


def sha12(data):
    return hashlib.sha256(data).hexdigest()[:12]


# The app layer (the last one) holds the files of the spec's data directory.
APP = len(LAYERS) - 1
files = [(m, d) for m, d in LAYERS[APP] if m.isfile()]
(f1, d1), (f2, d2) = files[0], files[1]
L = f"layer {APP + 1}"
cases = []


def case(name, a, b, lines, classes=()):
    cases.append({"name": name, "a": a, "b": b, "lines": lines, "classes": list(classes)})


A = image("base")
case("identical copies", A, image("base-copy"), [])
case("same path twice", A, A, [])
case("mtime", A, image("mtime", edit(APP, f1.name, mtime=f1.mtime + 1)),
     [re.escape(f"{f1.name}: mtime {f1.mtime} -> {f1.mtime + 1}")], ["timestamps"])
case("mode", A, image("mode", edit(APP, f1.name, mode=0o600)),
     [re.escape(f"{f1.name}: mode {f1.mode:04o} -> 0600")])
case("uid", A, image("uid", edit(APP, f1.name, uid=1000)),
     [re.escape(f"{f1.name}: uid {f1.uid} -> 1000")], ["owners"])
new = d1 + b"changed\n"
case("content", A, image("content", edit(APP, f1.name, data=new)),
     [re.escape(f"{f1.name}: content {len(d1)} bytes sha256:{sha12(d1)} -> "
                f"{len(new)} bytes sha256:{sha12(new)}")])
swapped = [list(l) for l in LAYERS]
i1 = next(i for i, (m, _) in enumerate(swapped[APP]) if m.name == f1.name)
i2 = next(i for i, (m, _) in enumerate(swapped[APP]) if m.name == f2.name)
swapped[APP][i1], swapped[APP][i2] = swapped[APP][i2], swapped[APP][i1]
case("two entries swapped", A, image("swap", swapped),
     [f"({re.escape(f1.name)}|{re.escape(f2.name)}): position [0-9]+ -> [0-9]+"], ["order"])
extra = [list(l) for l in LAYERS]
ti = tarfile.TarInfo(f1.name.rsplit("/", 1)[0] + "/extra.txt")
ti.mode, ti.mtime, ti.size = 0o644, f1.mtime, 4
extra[APP].append((ti, b"new\n"))
case("an extra file", A, image("extra", extra), [re.escape(f"{ti.name}: added (file, 4 bytes)")])
case("gzip header MTIME", A, image("gzmtime", gzip_mtime=1732000000),
     [re.escape(f"{L}: same tar, gzip header MTIME 0 -> 1732000000")],
     ["compression", "timestamps"])
case("zstd vs gzip", A, image("zstd", comp="zstd"),
     [re.escape(f"{L}: same tar, compression gzip -> zstd")], ["compression"])
env = copy.deepcopy(CFG)
env["config"].setdefault("Env", []).append("TZ=UTC")
case("a config env var", A, image("env", config=env), [re.escape("config.Env: + TZ=UTC")])
hist = copy.deepcopy(CFG)
hist.setdefault("history", []).append({"created_by": "distill test", "empty_layer": True})
n = len(hist["history"]) - 1
case("a history entry", A, image("history", config=hist),
     [re.escape(f'history[{n}]: + {{"created_by":"distill test","empty_layer":true}}')],
     ["history"])
case("an annotation", A, image("annotation", annotations={"org.example.note": "x"}),
     [re.escape('manifest.annotations["org.example.note"]: + x')])


# Tarballs: one plain tar of the app layer's members, and single-change copies.
def tarball(name, members, comp=None, mtime=0):
    data = tar_bytes(members)
    p = os.path.join(out, name)
    with open(p, "wb") as f:
        f.write(gz(data, mtime) if comp == "gzip" else zst(data) if comp == "zstd" else data)
    return p


T = tarball("t.tar", LAYERS[APP])
case("tar identical", T, tarball("t-copy.tar", LAYERS[APP]), [])
case("tar mtime", T, tarball("t-mtime.tar", edit(APP, f1.name, mtime=f1.mtime + 1)[APP]),
     [re.escape(f"{f1.name}: mtime {f1.mtime} -> {f1.mtime + 1}")], ["timestamps"])
case("tar mode", T, tarball("t-mode.tar", edit(APP, f1.name, mode=0o600)[APP]),
     [re.escape(f"{f1.name}: mode {f1.mode:04o} -> 0600")])
case("tar uid", T, tarball("t-uid.tar", edit(APP, f1.name, uid=1000)[APP]),
     [re.escape(f"{f1.name}: uid {f1.uid} -> 1000")], ["owners"])
case("tar content", T, tarball("t-content.tar", edit(APP, f1.name, data=new)[APP]),
     [re.escape(f"{f1.name}: content {len(d1)} bytes sha256:{sha12(d1)} -> "
                f"{len(new)} bytes sha256:{sha12(new)}")])
case("tar swap", T, tarball("t-swap.tar", swapped[APP]),
     [f"({re.escape(f1.name)}|{re.escape(f2.name)}): position [0-9]+ -> [0-9]+"], ["order"])
case("tar extra", T, tarball("t-extra.tar", extra[APP]),
     [re.escape(f"{ti.name}: added (file, 4 bytes)")])
TG = tarball("t.tar.gz", LAYERS[APP], "gzip")
case("tar.gz header MTIME", TG, tarball("t-mtime.tar.gz", LAYERS[APP], "gzip", 1732000000),
     [re.escape("tarball: same tar, gzip header MTIME 0 -> 1732000000")],
     ["compression", "timestamps"])
TZ = tarball("t.tar.zst", LAYERS[APP], "zstd")
case("tar vs tar.zst", T, TZ, [re.escape("tarball: same tar, compression none -> zstd")],
     ["compression"])
case("tar.gz vs tar.zst", TG, TZ, [re.escape("tarball: same tar, compression gzip -> zstd")],
     ["compression"])

json.dump(cases, open(os.path.join(out, "cases.json"), "w"), indent=1)
print(f"{len(cases)} cases in {out}")
