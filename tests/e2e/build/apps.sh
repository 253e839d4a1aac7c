#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Whole applications from specs/apps/: each is locked and built (the build's start-up check
# passes), `distill check` passes on the image, `umoci unpack` holds exactly the expected
# files (expect.py: closures of binaries, scripts' interpreters and files trees, excludes),
# and podman runs it as nonroot doing real work: a Python web service with a C extension
# serving and fetching over loopback, a Perl script, git (init, commit, log, ls-remote over
# http reaching a refused connection), nginx serving a page on 8080, a Rust program, distill
# itself (its version, its closure, a tarball equal to the host's) and a static program on
# base: scratch. For python, git and nginx, the loader in a chroot of the
# image lists every ELF file of it without a miss, as distill check says.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_podman
CONTAINERS=()
trap 'for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done; cleanup_images; rm -rf "$W"' EXIT

cp -r "$repo/specs/apps" "$W/apps"
A=$W/apps

# loader_agrees NAME: the loader's own verdict on every ELF file of the unpacked image, in a
# chroot of it (`ld.so --list FILE`: every DT_NEEDED found, every version defined), agrees
# with distill check's: all can start.
loader_agrees() {
    local n=$1 root=$W/$1.bundle/rootfs f p out count=0
    while IFS= read -r f; do
        [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = 177ELF ] || continue
        p=${f#"$root"}
        case $p in */ld-linux-x86-64.so.2) continue ;; esac
        count=$((count + 1))
        out=$(chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "$p" 2>&1) || fail "$n: the loader refuses $p: $out"
        ! grep -q 'not found' <<<"$out" || fail "$n: the loader misses something for $p: $out"
    done < <(find "$root" -type f)
    [ "$count" -gt 0 ] || fail "$n: no ELF file in the image"
    echo "     $n: the loader lists all $count ELF files in a chroot of the image"
}

app() { # NAME: lock, build, check, unpack, compare; sets ID to the image in podman
    local n=$1 ref
    lock_build "$A/$n.yaml" "$W/$n.oci"
    "$DISTILL" check -q "$W/$n.oci" || fail "$n: distill check"
    "$DISTILL" check -q --symbols "$W/$n.oci" || fail "$n: distill check --symbols"
    ref=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$W/$n.oci/index.json")
    umoci unpack --image "$W/$n.oci:$ref" "$W/$n.bundle" >/dev/null || fail "$n: umoci unpack"
    python3 "$here/expect.py" "$A/$n.yaml" "$W/$n.bundle/rootfs" || fail "$n: file list"
    ID=$(pull_oci "$W/$n.oci")
}

# Python: the service answers over loopback inside the container, libyaml's C extension
# loaded; every stdlib extension module imports; no bytecode is stale.
app python
PY=$ID
out=$(prun "$PY") || fail "python: run"
[ "$out" = '200 {"doc": {"items": [1, 2, 3], "service": "distill"}, "libyaml": true, "path": "/hello"}' ] ||
    fail "python: $out"
mods=$(cd "$W/python.bundle/rootfs/usr/lib/python3.11/lib-dynload" && ls *.cpython-311-x86_64-linux-gnu.so | sed 's/\..*//' | tr '\n' ' ')
out=$(prun --entrypoint /usr/bin/python3 "$PY" -c "import importlib, sys
bad = []
for m in sys.argv[1].split():
    try: importlib.import_module(m)
    except Exception as e: bad.append(f'{m}: {e}')
print('\n'.join(bad) or 'all imported')" "$mods") || fail "python: imports"
[ "$out" = "all imported" ] || fail "python: extension modules that do not import: $out"
prun --entrypoint /usr/bin/python3 "$PY" -v -c 'import json, http.server, urllib.request, email.parser, yaml' > "$W/py.v" 2>&1 ||
    fail "python -v"
! grep -i 'bytecode is stale' "$W/py.v" || fail "python: stale bytecode in the image"
grep -q 'matches /usr/lib/python3.11/json/__init__.py' "$W/py.v" || fail "python: the stdlib bytecode was not used"
loader_agrees python
echo "ok   python"

app perl
out=$(echo "the cat sat on a mat" | prun -i "$ID") || fail "perl: run"
[ "$out" = "1=1 2=1 3=4 total=6" ] || fail "perl: $out"
echo "ok   perl"

app git
mkdir "$W/repo" && chown 65532:65532 "$W/repo"
prun -v "$W/repo:/work" "$ID" -C /work init -q || fail "git init"
prun -v "$W/repo:/work" "$ID" -C /work commit -q --allow-empty -m "first commit" || fail "git commit"
out=$(prun -v "$W/repo:/work" "$ID" -C /work log --format=%s) || fail "git log"
[ "$out" = "first commit" ] || fail "git log: $out"
# git-remote-http loads libcurl-gnutls: it reaches the (refused) connection
out=$(prun "$ID" ls-remote http://127.0.0.1:9/x 2>&1 || true)
grep -qF "Failed to connect to 127.0.0.1 port 9" <<<"$out" || fail "git ls-remote over http: $out"
loader_agrees git
echo "ok   git"

# nginx as nonroot on 8080; the python image, in its network namespace, fetches the page and
# the echo module's answer
app nginx
c=$(podman --runtime runc run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$ID") ||
    fail "nginx: start"
CONTAINERS+=("$c")
fetch='import sys, time, urllib.request as u
for i in range(300):  # until it listens (at most 30 s)
    try: r = u.urlopen("http://127.0.0.1:8080" + sys.argv[1]); break
    except OSError: time.sleep(0.1)
print(r.read().decode().strip())'
pjoin() { podman --runtime runc run --rm --network "container:$c" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"; }
out=$(pjoin --entrypoint /usr/bin/python3 "$PY" -c "$fetch" /) || fail "nginx: fetch"
grep -qF "served by nginx from a distill image" <<<"$out" || fail "nginx: page: $out"
out=$(pjoin --entrypoint /usr/bin/python3 "$PY" -c "$fetch" /echo) || fail "nginx: echo"
[ "$out" = "echo module loaded" ] || fail "nginx: /echo: $out"
[ "$(podman top "$c" user | sed -n 2p | tr -d ' ')" = nonroot ] || fail "nginx: not nonroot"
loader_agrees nginx
echo "ok   nginx"

if command -v cargo >/dev/null; then
    (cd "$A/rust" && cargo build -q --release --offline) || fail "rust: cargo build"
    app rust
    out=$(echo "a b a c a b" | prun -i "$ID") || fail "rust: run"
    [ "$out" = $'a 3\nb 2\nc 1' ] || fail "rust: $out"
    echo "ok   rust"
else
    echo "skipped: rust needs cargo (scripts/setup.sh installs it)"
fi

# distill itself (the binary under test), in its own image: it reports its version, lists
# its own closure inside the image, and packs a tree reproducibly there as on the host.
cp "$DISTILL" "$A/distill/distill"
app distill
DI=$ID
out=$(prun -e ASAN_OPTIONS=detect_leaks=0 "$DI" --version | head -1) || fail "distill: --version"
[ "$out" = "$("$DISTILL" --version | head -1)" ] || fail "distill: --version says '$out'"
prun -e ASAN_OPTIONS=detect_leaks=0 "$DI" deps /usr/bin/distill > "$W/di.deps" || fail "distill: deps in the image"
grep -q '/libarchive.so.13$' "$W/di.deps" || fail "distill: deps in the image lists no libarchive"
mkdir -p "$W/ditree/d" && printf 'x\n' > "$W/ditree/d/f"
prun -e ASAN_OPTIONS=detect_leaks=0 -v "$W/ditree:/work" -w /work --user 0 "$DI" tar -q -o /work/in.tar /work/d ||
    fail "distill: tar in the image"
"$DISTILL" tar -q -o "$W/ditree/host.tar" "$W/ditree/d" || fail "distill: tar on the host"
cmp -s "$W/ditree/in.tar" "$W/ditree/host.tar" || fail "distill: the image's tar differs from the host's"
echo "ok   distill"

cc -static -O2 -o "$A/static/hello" "$A/static/hello.c"
app static
out=$(prun "$ID" ab cde) || fail "static: run"
[ "$out" = "static uid=65532 len=5" ] || fail "static: $out"
echo "ok   static"
