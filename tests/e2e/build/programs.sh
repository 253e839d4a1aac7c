#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real Debian programs in distroless images, from the specs in specs/: each image is locked
# and built, `skopeo inspect` accepts it, `umoci unpack` unpacks it and holds exactly the
# expected files (expect.py), and `podman run` runs the program as nonroot doing real work.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_podman

check_image() { # NAME: lock, build, inspect, unpack, compare; leaves $W/NAME.oci
    local n=$1
    cp "$repo/specs/$n.yaml" "$W/$n.yaml"
    lock_build "$W/$n.yaml" "$W/$n.oci"
    skopeo inspect --raw "oci:$W/$n.oci" >/dev/null || fail "$n: skopeo inspect --raw"
    skopeo inspect "oci:$W/$n.oci" > "$W/$n.inspect" || fail "$n: skopeo inspect"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["Os"]=="linux" and d["Architecture"]=="amd64", d' "$W/$n.inspect" || fail "$n: platform"
    local ref
    ref=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$W/$n.oci/index.json")
    umoci unpack --image "$W/$n.oci:$ref" "$W/$n.bundle" >/dev/null || fail "$n: umoci unpack"
    python3 "$here/expect.py" "$W/$n.yaml" "$W/$n.bundle/rootfs" || fail "$n: file list"
    ID=$(pull_oci "$W/$n.oci")
    [ "$(podman image inspect --format '{{.Config.User}}' "$ID")" = 65532 ] || fail "$n: not nonroot"
}

check_image curl
out=$(prun "$ID") || fail "curl --version"
grep -q '^curl [0-9]' <<<"$out" || fail "curl: $out"
# reads a file of the image through file:// (no network needed)
out=$(prun "$ID" -s file:///etc/passwd) || fail "curl file://"
grep -q '^nonroot:x:65532:65532' <<<"$out" || fail "curl file:// read: $out"
echo "ok   curl"

check_image jq
out=$(echo '{"a":[1,2,{"b":"x"}]}' | prun -i "$ID" -c '.a[2].b, (.a|length)')
[ "$out" = $'"x"\n3' ] || fail "jq: $out"
echo "ok   jq"

check_image sqlite3
out=$(prun "$ID" :memory: "create table t(x); insert into t values (6),(7); select x*(select max(x) from t) from t where x=6;")
[ "$out" = 42 ] || fail "sqlite3: $out"
echo "ok   sqlite3"

head -c 200000 /usr/bin/xz > "$W/sample"
check_image xz
prun -i "$ID" -c < "$W/sample" > "$W/sample.xz"
prun -i "$ID" -dc < "$W/sample.xz" | cmp - "$W/sample" || fail "xz round trip"
xz -dc < "$W/sample.xz" | cmp - "$W/sample" || fail "xz: host cannot read the image's output"
echo "ok   xz"

check_image zstd
prun -i "$ID" -c < "$W/sample" > "$W/sample.zst"
prun -i "$ID" -dc < "$W/sample.zst" | cmp - "$W/sample" || fail "zstd round trip"
echo "ok   zstd"

check_image openssl
out=$(prun -i "$ID" dgst -sha256 -r < "$W/sample" | cut -d' ' -f1)
[ "$out" = "$(sha256sum < "$W/sample" | cut -d' ' -f1)" ] || fail "openssl dgst: $out"
echo "ok   openssl"

check_image cppcheck
mkdir -p "$W/src"
printf 'int main(void) {\n    int a[10];\n    a[10] = 0;\n    return a[0];\n}\n' > "$W/src/bug.c"
chmod -R a+rX "$W/src"
out=$(prun -v "$W/src:/src:ro" "$ID" --quiet /src/bug.c 2>&1 || true)
grep -q "arrayIndexOutOfBounds\|out of bounds" <<<"$out" || fail "cppcheck found nothing: $out"
echo "ok   cppcheck"

# A project-built program with its own library under RUNPATH $ORIGIN/../lib, placed from a
# spec in another directory (deploy/ beside stage/): the library follows the binary to its
# dst, no host path appears in the image, and the program runs as the spec's own user,
# whose home is the workdir.
mkdir -p "$W/proj/stage/bin" "$W/proj/stage/lib" "$W/proj/deploy" "$W/proj/src"
printf '#include <stdio.h>\nvoid hello(void) { puts("hello from libhello"); }\n' > "$W/proj/src/h.c"
printf '#include <stdio.h>\n#include <unistd.h>\nvoid hello(void);\nint main(void) { char d[256]; hello(); printf("%%s %%d\\n", getcwd(d, sizeof(d)), (int)getuid()); return 0; }\n' > "$W/proj/src/a.c"
cc -shared -fPIC -Wl,-soname,libhello.so.1 -o "$W/proj/stage/lib/libhello.so.1" "$W/proj/src/h.c"
cc -o "$W/proj/stage/bin/app" "$W/proj/src/a.c" -L"$W/proj/stage/lib" -l:libhello.so.1 \
    -Wl,-rpath,'$ORIGIN/../lib' -Wl,--enable-new-dtags
cat > "$W/proj/deploy/app.yaml" <<'Y'
name: example/proj:1
binaries:
  - {path: ../stage/bin/app, dst: /app/bin/app}
users:
  - {name: app, uid: 1000, gid: 1000}
groups:
  - {name: app, gid: 1000}
config:
  user: app
  entrypoint: [/app/bin/app]
Y
(cd / && "$DISTILL" lock -q "$W/proj/deploy/app.yaml" && "$DISTILL" build -q "$W/proj/deploy/app.yaml" -o "$W/proj.oci") ||
    fail "project: build from another directory"
"$DISTILL" inspect "$W/proj.oci" > "$W/proj.files"
grep -qE '^  -rwxr-xr-x +0:0 +[0-9]+  app/lib/libhello.so.1$' "$W/proj.files" || { cat "$W/proj.files"; fail "project: library not beside its binary"; }
sed -n '/^files/,$p' "$W/proj.files" > "$W/proj.list"
! grep -qF "$W" "$W/proj.list" "$W/proj/deploy/app.lock.json" || fail "project: a host path in the image or its lock"
# exactly the expected files: the skeleton, /home/app, the binary and its library under
# /app, the closure of libc from this machine
ref=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$W/proj.oci/index.json")
umoci unpack --image "$W/proj.oci:$ref" "$W/proj.bundle" >/dev/null || fail "project: umoci unpack"
python3 "$here/expect.py" "$W/proj/deploy/app.yaml" "$W/proj.bundle/rootfs" || fail "project: file list"
ID=$(pull_oci "$W/proj.oci")
out=$(prun "$ID") || fail "project: run"
[ "$out" = $'hello from libhello\n/home/app 1000' ] || fail "project: $out"
echo "ok   project program from another directory"
