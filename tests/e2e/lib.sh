# SPDX-License-Identifier: MIT
# Shared by the image tests: a work directory, podman with the limits these machines need,
# and helpers to lock and build a spec. Source it; DISTILL must name the binary.
: "${DISTILL:?set DISTILL to the distill binary}"
here=$(cd "$(dirname "$0")" && pwd)                      # the test's own directory
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tests="$repo/tests"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-image.XXXXXX")
trap 'cleanup_images; rm -rf "$W"' EXIT
LOADED_IMAGES=()
fail() { echo "FAIL: $*" >&2; exit 1; }
# The light variant (DISTILL_TEST_LIGHT=1: the memcheck twins) locks without the .deb pins,
# whose apt indexes (tens of MB) memcheck reads for many seconds per lock; lock.apt and
# fetch.fetch check the pins under memcheck on indexes of their own.
LOCK_LIGHT=()
[ "${DISTILL_TEST_LIGHT:-0}" != 1 ] || LOCK_LIGHT=(--no-pin-debs)

need_podman() {
    command -v podman >/dev/null && command -v skopeo >/dev/null && command -v umoci >/dev/null ||
        { echo "skipped: needs podman, skopeo and umoci (scripts/setup.sh installs them)"; exit 0; }
    [ "$(id -u)" = 0 ] || { echo "skipped: needs root for podman storage"; exit 0; }
}

prun() {
    podman --runtime runc run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
}

# pull_oci DIR: copies the OCI layout's single image into podman's storage; prints its name.
pull_oci() {
    local name="localhost/distill-test/img-$$-$RANDOM:latest"
    skopeo copy -q "oci:$1" "containers-storage:$name" >&2 || fail "skopeo copy oci:$1 to podman"
    LOADED_IMAGES+=("$name")
    echo "$name"
}

# start_httpd DIR: tests/lib/httpd.py serving DIR on 127.0.0.1, stopped on exit; sets PORT
# and HPID.
start_httpd() {
    mkdir -p "$1"
    python3 "$tests/lib/httpd.py" "$W/port" "$1" &
    HPID=$!
    trap 'kill $HPID 2>/dev/null; wait $HPID 2>/dev/null || true; cleanup_images; rm -rf "$W"' EXIT
    for _ in $(seq 300); do [ -s "$W/port" ] && break; kill -0 $HPID || fail "httpd died"; sleep 0.1; done
    [ -s "$W/port" ] || fail "httpd did not start"
    PORT=$(cat "$W/port")
}

cleanup_images() {
    local i
    for i in "${LOADED_IMAGES[@]}"; do podman rmi -f "$i" >/dev/null 2>&1 || true; done
    return 0
}

# lock_build SPEC OUT [build options...]: locks SPEC (beside it) and builds OUT.
lock_build() {
    local spec=$1 out=$2; shift 2
    "$DISTILL" lock -q "${LOCK_LIGHT[@]}" "$spec" || fail "distill lock $spec"
    "$DISTILL" build -q "$spec" -o "$out" "$@" || fail "distill build $spec"
}

# digests OCI_DIR: index, manifest, config and layer digests, one per line.
digests() {
    python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
idx = open(f"{d}/index.json", "rb").read()
import hashlib
print("index", hashlib.sha256(idx).hexdigest())
for m in json.loads(idx)["manifests"]:
    print("manifest", m["digest"])
    man = json.load(open(f"{d}/blobs/sha256/{m['digest'][7:]}"))
    print("config", man["config"]["digest"])
    for l in man["layers"]:
        print("layer", l["digest"], l["mediaType"])
PY
}

# valid_layout DIR [REF...]: every blob the index reaches exists and hashes to its digest,
# skopeo reads each REF (a tag, as oci:DIR:TAG names it).
valid_layout() {
    local d=$1; shift
    python3 - "$d" <<'PY' || return 1
import hashlib, json, os, sys
d = sys.argv[1]
def blob(dg):
    p = os.path.join(d, "blobs", "sha256", dg.split(":")[1])
    b = open(p, "rb").read()
    assert "sha256:" + hashlib.sha256(b).hexdigest() == dg, p + " does not match its digest"
    return b
assert json.load(open(os.path.join(d, "oci-layout")))["imageLayoutVersion"]
for m in json.load(open(os.path.join(d, "index.json")))["manifests"]:
    man = json.loads(blob(m["digest"]))
    blob(man["config"]["digest"])
    for l in man["layers"]:
        blob(l["digest"])
PY
    for ref in "$@"; do skopeo inspect -n "oci:$d:$ref" >/dev/null || return 1; done
}

# make_app DIR MESSAGE: a small project: DIR/app (C, linked with DIR/lib/libhello.so.1 through
# RPATH $ORIGIN/lib, and with zlib from the system), DIR/conf/app.conf, and DIR/app.yaml.
make_app() {
    local d=$1 msg=$2
    mkdir -p "$d/lib" "$d/conf" "$d/src"
    cat > "$d/src/hello.c" <<'C'
#include <stdio.h>
void hello(const char *who) { printf("hello, %s\n", who); }
C
    cat > "$d/src/app.c" <<C
#include <stdio.h>
#include <zlib.h>
void hello(const char *who);
int main(void) { hello("$msg"); printf("zlib %s\n", zlibVersion()); return 0; }
C
    cc -shared -fPIC -Wl,-soname,libhello.so.1 -o "$d/lib/libhello.so.1" "$d/src/hello.c"
    cc -o "$d/app" "$d/src/app.c" -L"$d/lib" -l:libhello.so.1 -lz -Wl,-rpath,'$ORIGIN/lib'
    echo "greeting = $msg" > "$d/conf/app.conf"
    cat > "$d/app.yaml" <<'Y'
name: example/app:1.0
binaries:
  - path: ./app
    dst: /app/app
files:
  - src: ./conf
    dst: /etc/app
config:
  entrypoint: [/app/app]
  env: {GREETING: hello}
annotations:
  org.opencontainers.image.source: https://example.invalid/app
Y
}

# make_deb OUTDIR NAME VERSION TEXT: a .deb holding /usr/share/NAME/data.txt = TEXT and
# /usr/share/doc/NAME/README, built with dpkg-deb.
make_deb() {
    local out=$1 name=$2 ver=$3 text=$4 d
    d=$(mktemp -d "$W/deb.XXXXXX")
    mkdir -p "$d/DEBIAN" "$d/usr/share/$name" "$d/usr/share/doc/$name"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: distill tests <t@example.invalid>\nDescription: test data for distill\n' \
        "$name" "$ver" > "$d/DEBIAN/control"
    printf '%s\n' "$text" > "$d/usr/share/$name/data.txt"
    echo "docs" > "$d/usr/share/doc/$name/README"
    mkdir -p "$out"
    dpkg-deb --build --root-owner-group -Zgzip "$d" "$out/${name}_${ver}_all.deb" >/dev/null ||
        fail "dpkg-deb $name"
    rm -rf "$d"
}

# deb_build DIR NAME VERSION ARCH FIELDS [SRC=DST...]: DIR/NAME_VERSION_ARCH.deb (dpkg-deb)
# with those control fields, a README in its doc directory, and those files.
deb_build() {
    local out=$1 name=$2 ver=$3 arch=$4 fields=$5 d f; shift 5
    d=$(mktemp -d "$W/deb.XXXXXX")
    mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$name"
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: distill tests <t@example.invalid>\n%sDescription: test package\n' \
        "$name" "$ver" "$arch" "$fields" > "$d/DEBIAN/control"
    echo "$name $ver" > "$d/usr/share/doc/$name/README"
    for f in "$@"; do
        mkdir -p "$d$(dirname "${f#*=}")"
        cp -P "${f%%=*}" "$d${f#*=}"
    done
    dpkg-deb --build --root-owner-group -Zgzip "$d" "$out/${name}_${ver}_$arch.deb" >/dev/null ||
        fail "dpkg-deb $name"
    rm -rf "$d"
}
