#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make.sh CORPUS: writes small image archives (an OCI archive, a docker-archive, an OCI
# archive whose index holds two images) into CORPUS, made with Python's tarfile and json.
set -eu
python3 - "$1" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
out = sys.argv[1]

def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def d(b): return "sha256:" + hashlib.sha256(b).hexdigest()
layer = tar_of([("etc/hello", b"hello\n"), ("bin/x", b"\x7fELF")])
glayer = gzip.compress(layer, mtime=0)
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
                     "config": {"Env": ["PATH=/bin"], "User": "65532"},
                     "rootfs": {"type": "layers", "diff_ids": [d(layer)]},
                     "history": [{"created_by": "seed"}]}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d(config), "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d(glayer), "size": len(glayer)}]}).encode()
def index(refs):
    return json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d(manifest), "size": len(manifest),
         "annotations": {"org.opencontainers.image.ref.name": r}} for r in refs]}).encode()
blobs = [("blobs/sha256/" + d(b)[7:], b) for b in (config, manifest, glayer)]
for name, refs in (("seed-oci.tar", ["a"]), ("seed-oci-two.tar", ["a", "b"])):
    open(f"{out}/{name}", "wb").write(tar_of([("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index(refs))] + blobs))
dm = json.dumps([{"Config": d(config)[7:] + ".json", "RepoTags": ["seed:1"], "Layers": [d(layer)[7:] + ".tar"]}]).encode()
open(f"{out}/seed-docker.tar", "wb").write(tar_of([(d(config)[7:] + ".json", config), (d(layer)[7:] + ".tar", layer), ("manifest.json", dm)]))
PY
