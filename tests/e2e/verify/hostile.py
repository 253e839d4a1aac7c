#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# hostile.py CASE OUT [ARGS]: writes one hostile input for the corpus of hostile.sh and the
# bombs of bench/limits.sh. Every case is made here, from nothing, by the standard library.
#   sparse-bomb OUT.tar.gz      a GNU sparse file (pax 1.0) declaring 10^18 bytes, 1 stored
#   pax-path OUT.tar            a file whose pax path is 1.5 MiB long
#   entries OUT.tar.gz N [P]    N empty files P000000000... (default P: f; headers made
#                               directly: fast for millions)
#   layout DIR LAYER...         an OCI layout of those layer files (gzip or plain tars)
#   layers DIR N [archive]      an OCI layout (or, with "archive", an OCI archive DIR) of N
#                               one-file gzip layers
#   diff-id DIR                 rewrites the layout DIR: its config's first diff_id changed,
#                               config, manifest and index re-digested to agree
#   deb KIND OUT.deb NAME       a .deb of package NAME: KIND ok, crc (data.tar.gz with a bad
#                               CRC-32), stanza (control with a second stanza), sparse (a
#                               sparse member), twodata (two data.tar.gz members)
#   docker-loop IN.tar OUT.tar  the docker-archive IN with its first layer a symlink loop
import gzip, hashlib, io, json, os, struct, sys, tarfile, zlib


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def tar_of(members, fmt=tarfile.PAX_FORMAT):
    """members: (TarInfo, bytes or None)"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in members:
            info.mtime = 0
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def reg(name, data=b"", mode=0o644, pax=None):
    i = tarfile.TarInfo(name)
    i.size = len(data)
    i.mode = mode
    if pax:
        i.pax_headers = pax
    return i, data


def sparse_bomb():
    size = 10**18
    smap = b"1\n%d\n1\n" % (size - 1)
    data = smap.ljust(512, b"\0") + b"x".ljust(512, b"\0")
    pax = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "bomb",
           "GNU.sparse.realsize": str(size)}
    return gz(tar_of([reg("GNUSparseFile.0/bomb", data, pax=pax)]))


def pax_path():
    comp = "d" * 200
    path = "/".join([comp] * (3 * 1024 * 1024 // 2 // 201)) + "/f"
    return tar_of([reg(path, b"long\n")])


def ustar_header(name, size=0, typeflag=b"0", mode=0o644):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"00000000000\0"
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[257:265] = b"ustar\x0000"
    chk = sum(h)
    h[148:156] = b"%06o\0 " % chk
    return bytes(h)


def entries(out, n, prefix="f"):
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    with open(out, "wb") as f:
        chunk = []
        for i in range(n):
            chunk.append(ustar_header(prefix.encode() + b"%09d" % i))
            if len(chunk) == 4096:
                f.write(z.compress(b"".join(chunk)))
                chunk = []
        chunk.append(b"\0" * 1024)
        f.write(z.compress(b"".join(chunk)))
        f.write(z.flush())


def uncompressed(blob):
    return gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob


def image_docs(layers):
    """layers: list of blob bytes. Returns (blobs dict digest->bytes, manifest digest, size)."""
    blobs = {}
    descs, diff_ids = [], []
    for b in layers:
        d = sha(b)
        blobs[d] = b
        mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if b[:2] == b"\x1f\x8b" else "")
        descs.append({"mediaType": mt, "digest": d, "size": len(b)})
        diff_ids.append(sha(uncompressed(b)))
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}},
                        sort_keys=True, separators=(",", ":")).encode()
    blobs[sha(config)] = config
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": sha(config), "size": len(config)},
                           "layers": descs}, sort_keys=True, separators=(",", ":")).encode()
    blobs[sha(manifest)] = manifest
    index = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                       "digest": sha(manifest), "size": len(manifest),
                                       "annotations": {"org.opencontainers.image.ref.name": "t"}}]},
                       sort_keys=True, separators=(",", ":")).encode()
    return blobs, index


def write_layout(d, layers):
    blobs, index = image_docs(layers)
    os.makedirs(d + "/blobs/sha256", exist_ok=True)
    for dg, b in blobs.items():
        with open(d + "/blobs/sha256/" + dg[7:], "wb") as f:
            f.write(b)
    with open(d + "/index.json", "wb") as f:
        f.write(index)
    with open(d + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


def write_oci_archive(out, layers):
    blobs, index = image_docs(layers)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            i = tarfile.TarInfo(name)
            i.size = len(data)
            i.mtime = 0
            t.addfile(i, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for dg, b in sorted(blobs.items()):
            add("blobs/sha256/" + dg[7:], b)


def one_file_layers(n):
    return [gz(tar_of([reg("f%05d" % i, b"%d\n" % i)])) for i in range(n)]


def diff_id(d):
    index = json.load(open(d + "/index.json"))
    mdesc = index["manifests"][0]
    mpath = d + "/blobs/sha256/" + mdesc["digest"][7:]
    manifest = json.load(open(mpath))
    cpath = d + "/blobs/sha256/" + manifest["config"]["digest"][7:]
    config = json.load(open(cpath))
    config["rootfs"]["diff_ids"][0] = sha(b"not the layer")
    cb = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    open(d + "/blobs/sha256/" + sha(cb)[7:], "wb").write(cb)
    manifest["config"]["digest"], manifest["config"]["size"] = sha(cb), len(cb)
    mb = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    open(d + "/blobs/sha256/" + sha(mb)[7:], "wb").write(mb)
    mdesc["digest"], mdesc["size"] = sha(mb), len(mb)
    open(d + "/index.json", "w").write(json.dumps(index, sort_keys=True, separators=(",", ":")))


def ar(members):
    out = [b"!<arch>\n"]
    for name, data in members:
        out.append(b"%-16s%-12d%-6d%-6d%-8o%-10d`\n" % (name, 0, 0, 0, 0o100644, len(data)))
        out.append(data + (b"\n" if len(data) % 2 else b""))
    return b"".join(out)


def deb(kind, name):
    control = (f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
               "Maintainer: t <t@example.invalid>\nDescription: hostile\n").encode()
    if kind == "stanza":
        control += b"\nPackage: libc6\nVersion: 99\nArchitecture: amd64\n"
    d = tarfile.TarInfo("./")
    d.type, d.mode = tarfile.DIRTYPE, 0o755
    ctl = gz(tar_of([(d, None), reg("./control", control)], tarfile.GNU_FORMAT))
    payload = [(d, None), reg("./usr/share/doc/%s/hello" % name, b"hello\n")]
    data = tar_of(payload, tarfile.GNU_FORMAT)
    if kind == "sparse":
        smap = b"1\n%d\n1\n" % (2**30 - 1)
        body = smap.ljust(512, b"\0") + b"x".ljust(512, b"\0")
        pax = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
               "GNU.sparse.name": "./usr/share/doc/%s/sparse" % name,
               "GNU.sparse.realsize": str(2**30)}
        data = tar_of([(d, None), reg("./GNUSparseFile.0/sparse", body, pax=pax)])
    data = gz(data)
    if kind == "crc":
        # the CRC-32 is the trailer's first 4 bytes: flip one bit of it
        data = data[:-8] + bytes([data[-8] ^ 1]) + data[-7:]
    members = [(b"debian-binary", b"2.0\n"), (b"control.tar.gz", ctl), (b"data.tar.gz", data)]
    if kind == "twodata":
        other = gz(tar_of([(d, None), reg("./etc/evil", b"second data.tar\n")], tarfile.GNU_FORMAT))
        members.append((b"data.tar.gz", other))
    return ar(members)


LOOP = "blobs/sha256/" + "0" * 64


def docker_loop(src, dst):
    """The first layer named by manifest.json becomes a symlink to a symlink back to it."""
    with tarfile.open(src) as t:
        members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
    manifest = json.loads(next(d for m, d in members if m.name == "manifest.json"))
    layer = manifest[0]["Layers"][0]
    out = []
    for m, d in members:
        if m.name == layer:
            m = tarfile.TarInfo(layer)
            m.type, m.linkname = tarfile.SYMTYPE, os.path.basename(LOOP)
            d = None
        out.append((m, d))
    loop = tarfile.TarInfo(LOOP)
    loop.type, loop.linkname = tarfile.SYMTYPE, os.path.basename(layer)
    out.append((loop, None))
    open(dst, "wb").write(tar_of(out))


def main(argv):
    case = argv[1]
    if case == "sparse-bomb":
        open(argv[2], "wb").write(sparse_bomb())
    elif case == "pax-path":
        open(argv[2], "wb").write(pax_path())
    elif case == "entries":
        entries(argv[2], int(argv[3]), argv[4] if len(argv) > 4 else "f")
    elif case == "layout":
        write_layout(argv[2], [open(p, "rb").read() for p in argv[3:]])
    elif case == "layers":
        layers = one_file_layers(int(argv[3]))
        if len(argv) > 4 and argv[4] == "archive":
            write_oci_archive(argv[2], layers)
        else:
            write_layout(argv[2], layers)
    elif case == "diff-id":
        diff_id(argv[2])
    elif case == "docker-loop":
        docker_loop(argv[2], argv[3])
    elif case == "deb":
        open(argv[3], "wb").write(deb(argv[2], argv[4]))
    else:
        sys.exit("hostile.py: unknown case " + case)


if __name__ == "__main__":
    main(sys.argv)
