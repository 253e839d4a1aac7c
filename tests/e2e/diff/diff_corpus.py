#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# diff_corpus.py OUT: writes under OUT pairs of inputs for `distill diff` that differ in
# exactly one thing each, and OUT/cases.json describing them.
#
# Every image is built here by hand, byte by byte (no distill, no other image tool): an OCI
# layout (oci-layout, index.json with one manifest named by ref.name, blobs/sha256/...), a
# config with created, config.Env, history and rootfs.diff_ids, and two layers of a few
# entries each, as tar (ustar headers, pax where an entry needs one) compressed with gzip
# (header MTIME 0, XFL 0, OS 3, no FNAME, one member). A case copies that description,
# changes one thing, and builds the copy. Plain tarballs are built from the second layer's
# entries the same way.
#
# cases.json: {"cases": [CASE...], "two_images": PATH, "base": PATH, "tarball": PATH}
# CASE: name       what differs
#       a, b       the two paths, in the order given to `distill diff A B`
#       head       the report's first two lines, exactly ("--- A (OCI layout, REF, manifest
#                  sha256:<12 hex>)", "+++ B (...)")
#       lines      the exact difference lines (without their two-space indent); [] when
#                  the pair must be reported identical
#       alt        other line sets that are just as right (only where the contract leaves a
#                  choice: which of two swapped entries is the one that moved)
#       sections   {"section": count} of the report's section headers
#       classes    the ignore classes of the difference ([] when no class hides it); a
#                  gzip header MTIME is both compression and timestamps
#       line_classes  the classes of each line (parallel to lines; the same as classes
#                  but in the few cases that change two things of different classes)
# Standard library only; zstd through the zstd command line.
import copy, hashlib, io, json, os, re, shutil, struct, subprocess, sys, tarfile, zlib

OUT = sys.argv[1]
REF = "example/diff:1"
T0 = 1700000000                       # every entry's mtime
CREATED = "2023-11-14T22:13:20Z"      # config created, history[].created, annotation
INDEX_T = "application/vnd.oci.image.index.v1+json"
MANIFEST_T = "application/vnd.oci.image.manifest.v1+json"
CONFIG_T = "application/vnd.oci.image.config.v1+json"
GZIP_T = "application/vnd.oci.image.layer.v1.tar+gzip"
ZSTD_T = "application/vnd.oci.image.layer.v1.tar+zstd"


def entry(name, kind="file", data=b"", mode=None, link=None, pax=None):
    return {"name": name, "kind": kind, "data": data, "link": link,
            "mode": mode if mode is not None else (0o755 if kind == "dir" else 0o644),
            "uid": 0, "gid": 0, "uname": "root", "gname": "root", "mtime": T0,
            "pax": dict(pax or {})}


# Layer 1: a small skeleton; layer 2: the application's files (the cases change these).
SKELETON = [entry("etc/", "dir"), entry("etc/hostname", data=b"distill\n"),
            entry("usr/", "dir"), entry("usr/bin/", "dir"),
            entry("usr/bin/tool", data=b"#!/bin/sh\necho tool\n", mode=0o755)]
APP = [entry("app/", "dir"),
       entry("app/a.txt", data=b"alpha\n"),
       entry("app/b.txt", data=b"bravo\n", pax={"SCHILY.xattr.user.origin": "base"}),
       entry("app/c.txt", data=b"charlie\n"),
       entry("app/link", "symlink", link="a.txt"),
       entry("app/run.sh", data=b"#!/bin/sh\nexec /usr/bin/tool\n", mode=0o755)]
CONFIG = {"created": CREATED, "architecture": "amd64", "os": "linux",
          "config": {"Env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], "Cmd": ["/app/run.sh"],
                     "WorkingDir": "/app"},
          "rootfs": {"type": "layers", "diff_ids": []},
          "history": [{"created": CREATED, "created_by": "skeleton"},
                      {"created": CREATED, "created_by": "app files"}]}
ANNOTATIONS = {"org.opencontainers.image.created": CREATED}


def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE,
                       "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}[e["kind"]]
            ti.mode, ti.uid, ti.gid, ti.mtime = e["mode"], e["uid"], e["gid"], e["mtime"]
            ti.uname, ti.gname = e["uname"], e["gname"]
            ti.linkname = e["link"] or ""
            ti.pax_headers = dict(e["pax"])
            ti.size = len(e["data"]) if e["kind"] == "file" else 0
            t.addfile(ti, io.BytesIO(e["data"]) if e["kind"] == "file" else None)
    return buf.getvalue()


def gz(data, mtime=0, xfl=0, os_=3, fname=None, flush=False, members=1):
    """A gzip stream written field by field (RFC 1952), so each header field is ours."""
    if members > 1:
        half = len(data) // 2
        return gz(data[:half], mtime, xfl, os_, fname) + gz(data[half:], mtime, xfl, os_, fname)
    hdr = b"\x1f\x8b\x08" + bytes([0x08 if fname else 0]) + struct.pack("<I", mtime)
    hdr += bytes([xfl, os_]) + (fname.encode() + b"\0" if fname else b"")
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    if flush:  # the same data and header, other deflate bytes: a full flush half way
        body = c.compress(data[:len(data) // 2]) + c.flush(zlib.Z_FULL_FLUSH)
        body += c.compress(data[len(data) // 2:]) + c.flush()
    else:
        body = c.compress(data) + c.flush()
    return hdr + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xffffffff)


def zst(data):
    return subprocess.run(["zstd", "-q", "-3", "-c"], input=data, capture_output=True,
                          check=True).stdout


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha12(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()[:12]


def dumps(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def base():
    """The description an image is built from; a case edits a deep copy."""
    return {"layers": [copy.deepcopy(SKELETON), copy.deepcopy(APP)], "comp": [{}, {}],
            "config": copy.deepcopy(CONFIG), "annotations": dict(ANNOTATIONS), "ref": REF,
            "config_bytes": None, "manifest_bytes": None}


def compress(tar, how):
    if how.get("zstd"):
        return zst(tar), ZSTD_T
    if how.get("none"):
        return tar, None
    return gz(tar, **how), GZIP_T


def put(layout, data):
    with open(os.path.join(layout, "blobs", "sha256", sha(data)[7:]), "wb") as f:
        f.write(data)
    return {"digest": sha(data), "size": len(data)}


def blobs_of(img):
    """(config bytes, [(layer blob, media type, tar)], manifest bytes) of a description."""
    tars = [tar_bytes(l) for l in img["layers"]]
    cfg = copy.deepcopy(img["config"])
    cfg["rootfs"]["diff_ids"] = [sha(t) for t in tars]
    cfg_bytes = img["config_bytes"](cfg) if img["config_bytes"] else dumps(cfg)
    layers = [compress(t, how) + (t,) for t, how in zip(tars, img["comp"])]
    man = {"schemaVersion": 2, "mediaType": MANIFEST_T,
           "config": {"mediaType": CONFIG_T, "digest": sha(cfg_bytes), "size": len(cfg_bytes)},
           "layers": [{"mediaType": mt, "digest": sha(b), "size": len(b)}
                      for b, mt, _ in layers],
           "annotations": img["annotations"]}
    return cfg_bytes, layers, (img["manifest_bytes"] or dumps)(man)


def layout(name, imgs):
    """An OCI layout holding the images @imgs (one index entry each)."""
    path = os.path.join(OUT, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.join(path, "blobs", "sha256"))
    descs = []
    for img in imgs:
        cfg_bytes, layers, man = blobs_of(img)
        put(path, cfg_bytes)
        for b, _, _ in layers:
            put(path, b)
        d = put(path, man)
        descs.append({"mediaType": MANIFEST_T, "digest": d["digest"], "size": d["size"],
                      "annotations": {"org.opencontainers.image.ref.name": img["ref"]}})
        HEAD[path] = f"OCI layout, {img['ref']}, manifest {d['digest'][:19]}"
    with open(os.path.join(path, "index.json"), "wb") as f:
        f.write(dumps({"schemaVersion": 2, "mediaType": INDEX_T, "manifests": descs}))
    with open(os.path.join(path, "oci-layout"), "wb") as f:
        f.write(dumps({"imageLayoutVersion": "1.0.0"}))
    return path


def tar_dir(src, dst):
    """An archive (uncompressed tar) of directory @src's files, sorted, owned by root."""
    with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for n in sorted(dirs) + sorted(files):
                p = os.path.join(root, n)
                ti = t.gettarinfo(p, os.path.relpath(p, src))
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = "root"
                ti.mtime = 0
                if ti.isfile():
                    with open(p, "rb") as f:
                        t.addfile(ti, f)
                else:
                    t.addfile(ti)
    return dst


def docker_archive(name, img):
    """A docker-archive (as `docker save`): manifest.json, the config, uncompressed layers."""
    path = os.path.join(OUT, name)
    HEAD[path] = f"docker-archive, {REF}"
    cfg_bytes, layers, _ = blobs_of(img)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        def add(n, data):
            ti = tarfile.TarInfo(n)
            ti.size, ti.mode = len(data), 0o644
            t.addfile(ti, io.BytesIO(data))
        cfg_name = sha(cfg_bytes)[7:] + ".json"
        names = [sha(tar)[7:] + "/layer.tar" for _, _, tar in layers]
        for (_, _, tar), n in zip(layers, names):
            add(n, tar)
        add(cfg_name, cfg_bytes)
        add("manifest.json", dumps([{"Config": cfg_name, "RepoTags": [REF], "Layers": names}]))
    return path


cases = []
HEAD = {}  # path -> what the report's header line says of it, between the parentheses


def case(name, a, b, lines, classes=(), sections=None, alt=(), line_classes=None):
    if sections is None:
        sections = {"layer 2": len(lines)} if lines else {}
    head = [f"--- {a} ({HEAD.get(a, 'tarball')})", f"+++ {b} ({HEAD.get(b, 'tarball')})"]
    line_classes = [sorted(c) for c in line_classes or [classes] * len(lines)]
    cases.append({"name": name, "a": a, "b": b, "head": head, "lines": list(lines),
                  "alt": [list(x) for x in alt], "sections": sections,
                  "classes": sorted({k for c in line_classes for k in c}),
                  "line_classes": line_classes})


def edited(change):
    """A description changed by @change(img), which edits it in place."""
    img = base()
    change(img)
    return img


def app(img, name):
    """Entry @name of the app layer of @img."""
    return next(e for e in img["layers"][1] if e["name"] == name)


def image_case(name, change, lines, classes=(), **kw):
    case(name, BASE, layout(re.sub(r"[^a-z0-9]+", "-", name.lower()), [edited(change)]), lines,
         classes, **kw)


os.makedirs(OUT, exist_ok=True)
BASE = layout("base", [base()])
A = app(base(), "app/a.txt")
POS = {e["name"]: i + 1 for i, e in enumerate(APP)}  # 1-based positions in the app layer

# ---- identical pairs ----
case("identical: the same layout twice", BASE, BASE, [])
case("identical: two layouts generated separately", BASE, layout("base-copy", [base()]), [])
BASE_ARCHIVE = tar_dir(BASE, os.path.join(OUT, "base.oci.tar"))
HEAD[BASE_ARCHIVE] = HEAD[BASE].replace("OCI layout", "OCI archive")
case("identical: layout vs OCI archive of it", BASE, BASE_ARCHIVE, [])

# ---- entries of layer 2 ----
image_case("mtime", lambda i: app(i, "app/a.txt").update(mtime=T0 + 1),
           [f"app/a.txt: mtime {T0} -> {T0 + 1}"], ["timestamps"])
image_case("mode", lambda i: app(i, "app/a.txt").update(mode=0o600),
           ["app/a.txt: mode 0644 -> 0600"])
image_case("uid", lambda i: app(i, "app/a.txt").update(uid=1000),
           ["app/a.txt: uid 0 -> 1000"], ["owners"])
image_case("gid", lambda i: app(i, "app/a.txt").update(gid=50),
           ["app/a.txt: gid 0 -> 50"], ["owners"])
image_case("user name", lambda i: app(i, "app/a.txt").update(uname="app"),
           ["app/a.txt: user name root -> app"], ["owners"])
image_case("group name", lambda i: app(i, "app/a.txt").update(gname="staff"),
           ["app/a.txt: group name root -> staff"], ["owners"])
NEW = b"alpha, changed\n"
image_case("content", lambda i: app(i, "app/a.txt").update(data=NEW),
           [f"app/a.txt: content {len(A['data'])} bytes {sha12(A['data'])} -> "
            f"{len(NEW)} bytes {sha12(NEW)}"])


def swap(img):  # app/a.txt and app/b.txt, adjacent, trade places
    l = img["layers"][1]
    i, j = POS["app/a.txt"] - 1, POS["app/b.txt"] - 1
    l[i], l[j] = l[j], l[i]


# Either of two swapped neighbours is "the one that moved": one line, naming either.
SWAP_A = f"app/a.txt: position {POS['app/a.txt']} -> {POS['app/b.txt']}"
SWAP_B = f"app/b.txt: position {POS['app/b.txt']} -> {POS['app/a.txt']}"
image_case("two adjacent entries swapped", swap, [SWAP_A], ["order"], alt=[[SWAP_B]])


def swap_after(img):  # app/c.txt and app/link, both after app/b.txt (the one pax entry)
    l = img["layers"][1]
    i, j = POS["app/c.txt"] - 1, POS["app/link"] - 1
    l[i], l[j] = l[j], l[i]


image_case("two adjacent entries swapped after a pax entry", swap_after,
           [f"app/c.txt: position {POS['app/c.txt']} -> {POS['app/link']}"], ["order"],
           alt=[[f"app/link: position {POS['app/link']} -> {POS['app/c.txt']}"]])


def move_last(img):  # app/a.txt moves to the end: every other entry keeps its order
    l = img["layers"][1]
    l.append(l.pop(POS["app/a.txt"] - 1))


image_case("one entry moved to the end", move_last,
           [f"app/a.txt: position {POS['app/a.txt']} -> {len(APP)}"], ["order"])
image_case("an extra file at the end",
           lambda i: i["layers"][1].append(entry("app/extra.txt", data=b"new\n")),
           ["app/extra.txt: added (file, 4 bytes)"])
# inserted in the middle: the entries after it shift, but keep their order: no position line
image_case("an extra file in the middle",
           lambda i: i["layers"][1].insert(POS["app/a.txt"], entry("app/aa.txt", data=b"new\n")),
           ["app/aa.txt: added (file, 4 bytes)"])
image_case("a file removed",
           lambda i: i["layers"][1].remove(app(i, "app/c.txt")),
           ["app/c.txt: removed (file, 8 bytes)"])
image_case("a symlink's target", lambda i: app(i, "app/link").update(link="b.txt"),
           ["app/link: link target a.txt -> b.txt"])
image_case("a file turned into a symlink",
           lambda i: app(i, "app/c.txt").update(kind="symlink", data=b"", link="a.txt"),
           ["app/c.txt: type file, 8 bytes -> symlink to a.txt"])
image_case("an xattr added", lambda i: app(i, "app/b.txt")["pax"].update(
           {"SCHILY.xattr.user.k": "abc"}), ["app/b.txt: xattr user.k: + 616263"])
# a pax header that restates the name: the same entry, written as pax instead of ustar; for
# app/a.txt (before any pax entry) and app/c.txt (after app/b.txt's pax header: an entry's
# header is its own, whatever the entries before it were written as)
image_case("tar header ustar -> pax, first pax entry", lambda i: app(i, "app/a.txt")["pax"].update(
           {"path": "app/a.txt"}), ["app/a.txt: tar header ustar -> pax"])
image_case("tar header ustar -> pax", lambda i: app(i, "app/c.txt")["pax"].update(
           {"path": "app/c.txt"}), ["app/c.txt: tar header ustar -> pax"])

# ---- layer 2's compression: the same tar ----
image_case("gzip header MTIME", lambda i: i["comp"][1].update(mtime=1732000000),
           ["layer 2: same tar, gzip header MTIME 0 -> 1732000000"],
           ["compression", "timestamps"])
image_case("gzip header XFL", lambda i: i["comp"][1].update(xfl=2),
           ["layer 2: same tar, gzip header XFL 0 -> 2"], ["compression"])
image_case("gzip header OS", lambda i: i["comp"][1].update(os_=255),
           ["layer 2: same tar, gzip header OS 3 -> 255"], ["compression"])
image_case("gzip header FNAME", lambda i: i["comp"][1].update(fname="layer.tar"),
           ["layer 2: same tar, gzip header FLG 0 -> 8",
            "layer 2: same tar, gzip header FNAME (none) -> layer.tar"], ["compression"])
image_case("gzip stream, same header", lambda i: i["comp"][1].update(flush=True),
           ["layer 2: same tar, gzip stream differs (another compressor, level or version)"],
           ["compression"])
image_case("gzip members", lambda i: i["comp"][1].update(members=2),
           ["layer 2: same tar, gzip members 1 -> 2"], ["compression"])
image_case("zstd vs gzip", lambda i: i["comp"][1].update(zstd=True),
           ["layer 2: same tar, compression gzip -> zstd"], ["compression"])

# ---- config, manifest, index: field by field ----
image_case("a config env var added", lambda i: i["config"]["config"]["Env"].append("TZ=UTC"),
           ["config.Env: + TZ=UTC"], sections={"config": 1})
image_case("a config env var removed", lambda i: i["config"]["config"]["Env"].remove("LANG=C.UTF-8"),
           ["config.Env: - LANG=C.UTF-8"], sections={"config": 1})
image_case("config created", lambda i: i["config"].update(created="2024-01-01T00:00:00Z"),
           [f"created: {CREATED} -> 2024-01-01T00:00:00Z"], ["timestamps"],
           sections={"config": 1})
image_case("a history entry added", lambda i: i["config"]["history"].append(
           {"created": CREATED, "created_by": "ENV TZ=UTC", "empty_layer": True}),
           [f'history[2]: + {{"created":"{CREATED}","created_by":"ENV TZ=UTC","empty_layer":true}}'],
           ["history"], sections={"config": 1})
image_case("history created_by", lambda i: i["config"]["history"][1].update(created_by="app v2"),
           ["history[1].created_by: app files -> app v2"], ["history"], sections={"config": 1})
image_case("history created", lambda i: i["config"]["history"][0].update(
           created="2024-01-01T00:00:00Z"),
           [f"history[0].created: {CREATED} -> 2024-01-01T00:00:00Z"], ["history", "timestamps"],
           sections={"config": 1})
image_case("a manifest annotation added", lambda i: i["annotations"].update(
           {"org.example.note": "hello"}),
           ['manifest.annotations["org.example.note"]: + hello'], sections={"manifest": 1})
image_case("the created annotation", lambda i: i["annotations"].update(
           {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}),
           [f'manifest.annotations["org.opencontainers.image.created"]: {CREATED} -> '
            '2024-01-01T00:00:00Z'], ["timestamps"], sections={"manifest": 1})
image_case("the ref name", lambda i: i.update(ref="example/diff:2"),
           ['index.manifests[0].annotations["org.opencontainers.image.ref.name"]: '
            'example/diff:1 -> example/diff:2'], sections={"index": 1})
# the same config fields in other JSON bytes (indented): named once, as bytes
RE = edited(lambda i: i.update(config_bytes=lambda c: json.dumps(c, indent=1).encode()))
RE_CFG = blobs_of(RE)[0]
image_case("config re-encoded", lambda i: i.update(config_bytes=RE["config_bytes"]),
           [f"config: same fields, other bytes (JSON encoding) {sha12(blobs_of(base())[0])} -> "
            f"{sha12(RE_CFG)}"], sections={"manifest": 1})
# docker-archive of the same image: the same config, layers stored uncompressed
case("docker-archive of the same image", BASE, docker_archive("base.docker.tar", base()),
     ["layer 1: same tar, compression gzip -> none", "layer 2: same tar, compression gzip -> none"],
     ["compression"], sections={"layer 1": 1, "layer 2": 1})
MAN_RE = edited(lambda i: i.update(manifest_bytes=lambda m: json.dumps(m, indent=1).encode()))
case("manifest re-encoded", BASE, layout("manifest-re-encoded", [MAN_RE]),
     [f"manifest: same fields, other bytes (JSON encoding) {sha12(blobs_of(base())[2])} -> "
      f"{sha12(blobs_of(MAN_RE)[2])}"], sections={"manifest": 1})
image_case("a hardlink added", lambda i: i["layers"][1].append(
           entry("app/hard", "hardlink", link="app/a.txt")),
           ["app/hard: added (hardlink to app/a.txt)"])
# two changes of different classes: each --ignore hides its own line only
image_case("mtime and mode of one file", lambda i: app(i, "app/a.txt").update(mtime=T0 + 1, mode=0o600),
           ["app/a.txt: mode 0644 -> 0600", f"app/a.txt: mtime {T0} -> {T0 + 1}"],
           line_classes=[[], ["timestamps"]])
# other tars and another compression: the compression line says no "same tar"
image_case("uid and zstd", lambda i: (app(i, "app/a.txt").update(uid=1000), i["comp"][1].update(zstd=True)),
           ["layer 2: compression gzip -> zstd", "app/a.txt: uid 0 -> 1000"],
           line_classes=[["compression"], ["owners"]])


# ---- plain tarballs: the app layer's entries ----
def tarball(name, entries=None, **how):
    data = tar_bytes(entries if entries is not None else APP)
    if how.pop("zstd", False):
        data = zst(data)
    elif how.pop("gzip", False):
        data = gz(data, **how)
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def app_edit(change):
    img = edited(change)
    return img["layers"][1]


T = tarball("t.tar")
TG = tarball("t.tar.gz", gzip=True)
TZ = tarball("t.tar.zst", zstd=True)
TS = {"tarball": 1}
case("tar identical: the same file twice", T, T, [])
case("tar identical: generated separately", T, tarball("t-copy.tar"), [])
case("tar.zst identical: the same file twice", TZ, TZ, [])
case("tar mtime", T, tarball("t-mtime.tar", app_edit(lambda i: app(i, "app/a.txt").update(mtime=T0 + 1))),
     [f"app/a.txt: mtime {T0} -> {T0 + 1}"], ["timestamps"], sections=TS)
case("tar mode", T, tarball("t-mode.tar", app_edit(lambda i: app(i, "app/a.txt").update(mode=0o600))),
     ["app/a.txt: mode 0644 -> 0600"], sections=TS)
case("tar uid", T, tarball("t-uid.tar", app_edit(lambda i: app(i, "app/a.txt").update(uid=1000))),
     ["app/a.txt: uid 0 -> 1000"], ["owners"], sections=TS)
case("tar content", T, tarball("t-content.tar", app_edit(lambda i: app(i, "app/a.txt").update(data=NEW))),
     [f"app/a.txt: content {len(A['data'])} bytes {sha12(A['data'])} -> "
      f"{len(NEW)} bytes {sha12(NEW)}"], sections=TS)
case("tar swap", T, tarball("t-swap.tar", app_edit(swap)), [SWAP_A], ["order"],
     sections=TS, alt=[[SWAP_B]])
case("tar extra", T, tarball("t-extra.tar", app_edit(
     lambda i: i["layers"][1].append(entry("app/extra.txt", data=b"new\n")))),
     ["app/extra.txt: added (file, 4 bytes)"], sections=TS)
case("tar.gz header MTIME", TG, tarball("t-mtime.tar.gz", gzip=True, mtime=1732000000),
     ["tarball: same tar, gzip header MTIME 0 -> 1732000000"], ["compression", "timestamps"],
     sections=TS)
case("tar vs tar.gz", T, TG, ["tarball: same tar, compression none -> gzip"], ["compression"],
     sections=TS)
case("tar vs tar.zst", T, TZ, ["tarball: same tar, compression none -> zstd"], ["compression"],
     sections=TS)
case("tar.gz vs tar.zst", TG, TZ, ["tarball: same tar, compression gzip -> zstd"],
     ["compression"], sections=TS)
# a web root: manifest.json (a web app manifest) first, then a file no image archive holds:
# a plain tarball, whatever its first member is called
WEB = [entry("manifest.json", data=b'{"name": "app"}\n'), entry("index.html", data=b"<p>1</p>\n")]
WEB2 = copy.deepcopy(WEB)
WEB2[1]["data"] = b"<p>2</p>\n"
case("tarball whose first file is manifest.json", tarball("web1.tar", WEB), tarball("web2.tar", WEB2),
     [f"index.html: content 9 bytes {sha12(WEB[1]['data'])} -> 9 bytes {sha12(WEB2[1]['data'])}"],
     sections=TS)

# An index of two images (example/diff:1 = base, example/diff:2 = base + TZ=UTC), for --ref.
two = base()
two_b = edited(lambda i: (i["config"]["config"]["Env"].append("TZ=UTC"), i.update(ref="example/diff:2")))
TWO = layout("two", [two, two_b])

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump({"cases": cases, "base": BASE, "tarball": T, "two_images": TWO}, f, indent=1)
print(f"{len(cases)} cases in {OUT}")
