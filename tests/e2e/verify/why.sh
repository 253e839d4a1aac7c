#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Why is each file here: `distill inspect IMAGE --why PATH --lock LOCK` names, for every path
# of the curl image, a chain that ends at a spec entry or a rule of the skeleton; the chain
# of a library goes through its loaders to the binary (the symlink, DT_NEEDED of libcurl,
# DT_NEEDED of curl, binaries[0]); a package's files name the package and the clause that
# pulled it; `distill deps --why` gives the same chain for a closure; a lock that is not the
# image's is refused, and so is a path the image lacks.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$W"
ML=/usr/lib/x86_64-linux-gnu

cp "$repo/specs/curl.yaml" curl.yaml
lock_build curl.yaml curl.oci
"$DISTILL" inspect --json curl.oci > inspect.json
python3 - "$DISTILL" <<'PY' || fail "a path without a chain to a spec entry or rule"
import json, subprocess, sys
distill = sys.argv[1]
files = [f["path"] for f in json.load(open("inspect.json"))["files"]]
ends = ("binaries[", "files[", "packages[", "users[", "skeleton (", "certificates: true")
args = [distill, "inspect", "curl.oci", "--lock", "curl.lock.json", "--json"]
for p in files:
    args += ["--why", p]
out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)["why"]
assert [w["path"] for w in out] == ["/" + p.lstrip("/") for p in files]
for w in out:
    chain = w["chain"]
    assert chain[0] == w["path"], w
    assert chain[-1].startswith(ends), w
print(f"     every one of {len(files)} paths has a chain to a spec entry or a rule")
PY
out=$("$DISTILL" inspect curl.oci --why $ML/libnghttp2.so.14 --lock curl.lock.json)
lib=$(readlink -f $ML/libnghttp2.so.14) curl=$(readlink -f $ML/libcurl.so.4)
[ "$out" = "$ML/libnghttp2.so.14 <- symlink to $lib <- DT_NEEDED of $curl <- DT_NEEDED of /usr/bin/curl <- binaries[0] /usr/bin/curl" ] ||
    fail "libnghttp2's chain: $out"
echo "ok   inspect --why: $out"
[ "$("$DISTILL" deps --why $ML/libnghttp2.so.14 /usr/bin/curl)" = "$ML/libnghttp2.so.14 <- symlink to $lib <- DT_NEEDED of $curl <- DT_NEEDED of /usr/bin/curl <- input" ] ||
    fail "deps --why"
out=$("$DISTILL" inspect curl.oci --why /etc/passwd --lock curl.lock.json)
[ "$out" = "/etc/passwd <- skeleton (base: distroless)" ] || fail "passwd: $out"
echo "ok   deps --why, and the skeleton's files"

# refusals: another lock, a path the image lacks, --why without --lock
printf 'name: t/x:1\nbinaries: [/usr/bin/jq]\n' > jq.yaml
"$DISTILL" lock -q jq.yaml
if "$DISTILL" inspect curl.oci --why /usr/bin/curl --lock jq.lock.json 2> err; then fail "another lock accepted"; fi
grep -qF "'jq.lock.json' is not the lock curl.oci was built from" err || fail "another lock: $(cat err)"
if "$DISTILL" inspect curl.oci --why /usr/bin/jq --lock curl.lock.json 2> err; then fail "a missing path accepted"; fi
grep -qF "'/usr/bin/jq' is not in curl.oci" err || fail "missing path: $(cat err)"
rc=0; "$DISTILL" inspect curl.oci --why /usr/bin/curl 2> err || rc=$?
[ $rc = 2 ] || fail "--why without --lock: exit $rc"
echo "ok   another lock, a missing path and --why without --lock are refused"

# a package pulled by a dependency names the clause and the spec entry
mkdir -p debs
for p in "top:Depends: low (>= 1)" "low:"; do
    n=${p%%:*} f=${p#*:} d=$(mktemp -d "$W/deb.XXXXXX")
    mkdir -p "$d/DEBIAN" "$d/usr/share/$n"
    printf 'Package: %s\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.invalid>\n%sDescription: t\n' \
        "$n" "${f:+$f
}" > "$d/DEBIAN/control"
    echo "$n" > "$d/usr/share/$n/data"
    dpkg-deb --build --root-owner-group "$d" "debs/${n}_1_all.deb" >/dev/null
done
printf 'name: t/p:1\nplatform: linux/amd64\ndebs: ./debs\npackages: [top]\n' > p.yaml
lock_build p.yaml p.oci
[ "$("$DISTILL" inspect p.oci --why /usr/share/low/data --lock p.lock.json)" = \
  "/usr/share/low/data <- Depends of top (packages[0]): low (>= 1)" ] || fail "a pulled package's file"
[ "$("$DISTILL" inspect p.oci --why /usr/share/top/data --lock p.lock.json)" = \
  "/usr/share/top/data <- packages[0] top" ] || fail "a spec package's file"
echo "ok   packages: the spec entry, and the clause that pulled a dependency"
