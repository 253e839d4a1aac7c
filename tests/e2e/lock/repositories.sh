#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# repositories: in the spec: the lock pins the installed packages' .debs from a repository
# the spec names, not from the root's apt sources (here the root has none), its indexes
# downloaded from 127.0.0.1 (tests/lib/httpd.py, stopped at the end) and verified as apt
# verifies them. Checked:
#  1. every installed package is pinned to the spec's repository, by the sha256 and pool
#     file of its Packages entry; fetch and build --inputs debs then give the host build's
#     digest; a second lock downloads the Packages file no more (it is in the cache);
#  2. each an error naming the spec entry and writing no lock: an InRelease signed by
#     another key, a 404, a redirect to another host, a Packages file whose bytes are not
#     the signed Release's, a keyring that does not exist, a spec entry without a keyring;
#  3. packages: that no debs directory holds come from the repository too, with what their
#     Depends pull: the lock pins each .deb with its repository and pool file, the build
#     reads them from the cache (an empty one is named with distill fetch), and a cache
#     filled by distill fetch from the lock alone gives the same image;
#  4. no temporary lists tree is left behind.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$tests/e2e/lock/aptrepo.sh"
ok() { echo "ok   $*"; }

start_httpd "$W/srv"
URI=http://127.0.0.1:$PORT/repo
count() { curl -s "http://127.0.0.1:$PORT/count"; }
export TMPDIR=$W/tmp
mkdir -p "$TMPDIR"

make_key good
make_key other
make_libc_deb
make_deb greet 1.0-1
make_deb greet-doc 1.0-1
make_repo "$W/srv/repo" good "$W/debs/libc-test_1.0_amd64.deb" "$W/debs/greet_1.0-1_amd64.deb" "$W/debs/greet-doc_1.0-1_amd64.deb"
make_root "$W/root" "$URI" good "$W/srv/repo" "$W/debs/libc-test_1.0_amd64.deb" "$W/debs/greet_1.0-1_amd64.deb" "$W/debs/greet-doc_1.0-1_amd64.deb"
# the root has no apt sources and no lists of its own: only the spec names a repository
rm -rf "$W/root/etc/apt/sources.list.d" "$W/root/var/lib/apt/lists"
spec() { # URL KEYRING
    cat > "$W/app.yaml" <<Y
name: example/repos:1
root: ./root
base: scratch
binaries:
  - /usr/bin/greet
repositories:
  - url: $1
    suite: stable
    components: [main]
    keyring: $2
Y
}
spec "$URI" ./good.gpg
L=$W/app.lock.json

# ---- 1. pinned from the spec's repository ----
"$DISTILL" lock -q --hermetic --cache "$W/c" "$W/app.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock"; }
python3 - "$L" "$URI" "$W/debs" <<'PY' || fail "installed: not the repository's"
import hashlib, json, os, sys
l = json.load(open(sys.argv[1]))
got = {d["name"]: d for d in l["installed"]}
assert sorted(got) == ["greet", "libc-test"], got
for n, f in (("greet", "greet_1.0-1_amd64.deb"), ("libc-test", "libc-test_1.0_amd64.deb")):
    b = open(os.path.join(sys.argv[3], f), "rb").read()
    d = got[n]
    assert d["repository"] == sys.argv[2], d
    assert d["sha256"] == hashlib.sha256(b).hexdigest() and d["size"] == len(b), d
    assert d["filename"].startswith("pool/main/") and d["filename"].endswith(f), d
PY
n=$(count)
"$DISTILL" lock -q --hermetic --cache "$W/c" "$W/app.yaml" || fail "lock again"
[ "$(( $(count) - n ))" = 1 ] || fail "the second lock asked for $(( $(count) - n )) files, not the InRelease alone"
"$DISTILL" fetch -q --cache "$W/c" "$W/app.yaml" || fail "fetch"
"$DISTILL" build -q "$W/app.yaml" -o "$W/img-host" || fail "build from the root"
"$DISTILL" build -q --inputs debs --cache "$W/c" "$W/app.yaml" -o "$W/img-debs" || fail "build --inputs debs"
diff -r "$W/img-host" "$W/img-debs" >/dev/null || fail "--inputs debs: another image than from the root"
ok "pinned from the spec's repository; fetched and built from .debs: the same image"

# ---- 1b. an alternative that is not its best candidate is named, and kept ----
mkdir -p "$W/root/etc/alternatives" "$W/root/var/lib/dpkg/alternatives"
ln -s /usr/bin/greet "$W/root/etc/alternatives/hi"
ln -s /etc/alternatives/hi "$W/root/usr/bin/hi"
printf 'manual\n/usr/bin/hi\nhi.1.gz\n/usr/share/man/man1/hi.1.gz\n\n/usr/bin/greet\n10\n\n/usr/bin/greet-doc\n50\n/usr/share/man/man1/greet-doc.1.gz\n\n' \
    > "$W/root/var/lib/dpkg/alternatives/hi"
sed 's|  - /usr/bin/greet$|  - /usr/bin/hi\n  - /usr/bin/greet-doc|' "$W/app.yaml" > "$W/alt.yaml"
"$DISTILL" lock --cache "$W/c" "$W/alt.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock of an alternative"; }
grep -F "warning: '/etc/alternatives/hi' -> '/usr/bin/greet' is this machine's manual choice (update-alternatives' priorities give '/usr/bin/greet-doc', 50, among what the image holds): the image keeps the machine's link" "$W/err" >/dev/null ||
    { cat "$W/err"; fail "a manual alternative: not named"; }
[ "$(jq -r '.files[] | select(.path == "/etc/alternatives/hi") | .link' "$W/alt.lock.json")" = /usr/bin/greet ] ||
    fail "the alternative's link is not the machine's"
"$DISTILL" lock --cache "$W/c" "$W/app.yaml" 2> "$W/err" || fail "lock without the alternative"
if grep -F "alternatives" "$W/err"; then fail "an alternative named for an image without it"; fi
ok "an alternative that is a manual choice is named, and kept as the machine has it"

# ---- 2. refused, naming the spec entry, no lock written ----
refused() { # WHAT WANT
    rm -f "$L"
    if "$DISTILL" lock -q --hermetic --cache "$W/c2" "$W/app.yaml" 2> "$W/err"; then fail "$1: locked"; fi
    grep -F -- "$2" "$W/err" >/dev/null || { cat "$W/err"; fail "$1: no '$2'"; }
    grep -F "app.yaml:7: repositories[0]" "$W/err" >/dev/null || { cat "$W/err"; fail "$1: the spec entry is not named"; }
    [ ! -e "$L" ] || fail "$1: a lock was written"
    ok "refused: $1"
}
spec "$URI" ./other.gpg
refused "an InRelease signed by another key" "/repo/dists/stable/InRelease': the signature does not verify"
grep -F "(the keyring '$W/other.gpg' lacks the key that signed it: name the repository's own keyring)" "$W/err" >/dev/null ||
    fail "another key: the keyring not named"
spec "http://127.0.0.1:$PORT/404/repo" ./good.gpg
refused "a 404" "/404/repo/dists/stable/InRelease: HTTP 404"
spec "http://127.0.0.1:$PORT/redirect-other/repo" ./good.gpg
refused "a redirect to another host" "redirect to another host 'http://localhost:$PORT/repo/dists/stable/InRelease' refused"
spec "$URI" ./good.gpg
cp "$W/srv/repo/dists/stable/main/binary-amd64/Packages.gz" "$W/Packages.gz.orig"
printf '\n' | gzip -9n >> "$W/srv/repo/dists/stable/main/binary-amd64/Packages.gz"
refused "a Packages file that is not the signed Release's" "main/binary-amd64/Packages.gz: size $(stat -c %s "$W/srv/repo/dists/stable/main/binary-amd64/Packages.gz") is not the $(stat -c %s "$W/Packages.gz.orig") the signed Release pins"
cp "$W/Packages.gz.orig" "$W/srv/repo/dists/stable/main/binary-amd64/Packages.gz"
spec "$URI" ./missing.gpg
refused "a keyring that does not exist" "missing.gpg"
printf 'name: example/repos:1\nroot: ./root\nbase: scratch\nbinaries: [/usr/bin/greet]\nrepositories:\n  - {url: %s, suite: stable}\n' "$URI" > "$W/app.yaml"
if "$DISTILL" lock -q "$W/app.yaml" 2> "$W/err"; then fail "a repository without a keyring: locked"; fi
grep -F "repositories[0]: needs url, suite and keyring" "$W/err" >/dev/null || { cat "$W/err"; fail "no keyring: not said"; }
ok "refused: a repository without a keyring"

# ---- 3. packages: from the repository, with their dependencies ----
make_deb greet-extra 1.0-1
d=$W/pkgsrc/hello-2.0
mkdir -p "$d/DEBIAN" "$d/usr/share/hello"
echo hello > "$d/usr/share/hello/hello.txt"
printf 'Package: hello\nVersion: 2.0\nArchitecture: all\nDepends: greet-extra (>= 1.0)\nMaintainer: t <t@example.invalid>\nDescription: d\n' > "$d/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip --build "$d" "$W/debs/hello_2.0_all.deb" >/dev/null || fail "dpkg-deb hello"
make_repo "$W/srv/repo" good "$W/debs/libc-test_1.0_amd64.deb" "$W/debs/greet_1.0-1_amd64.deb" "$W/debs/greet-doc_1.0-1_amd64.deb" "$W/debs/greet-extra_1.0-1_amd64.deb" "$W/debs/hello_2.0_all.deb"
cat > "$W/pkgs.yaml" <<Y
name: example/pkgs:1
root: ./root
base: scratch
binaries:
  - /usr/bin/greet
packages:
  - name: hello
repositories:
  - url: $URI
    suite: stable
    keyring: ./good.gpg
Y
"$DISTILL" lock -q --cache "$W/c4" "$W/pkgs.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock of packages from the repository"; }
python3 - "$W/pkgs.lock.json" "$URI" "$W/debs" <<'PY' || fail "debs: not pinned from the repository"
import hashlib, json, os, sys
l = json.load(open(sys.argv[1]))
got = {d["name"]: d for d in l["debs"]}
assert sorted(got) == ["greet-extra", "hello"], got
for n, f in (("hello", "hello_2.0_all.deb"), ("greet-extra", "greet-extra_1.0-1_amd64.deb")):
    d = got[n]
    b = open(os.path.join(sys.argv[3], f), "rb").read()
    assert d["repository"] == sys.argv[2] and d["file"] == f, d
    assert d["filename"].endswith("/" + f) and d["sha256"] == hashlib.sha256(b).hexdigest(), d
assert {(r["package"], r["how"], r["by"]) for r in l["depends"]} == {("hello", "deb", "greet-extra 1.0-1")}, l["depends"]
PY
"$DISTILL" build -q --cache "$W/c4" "$W/pkgs.yaml" -o "$W/pkgs.tar" --format rootfs || fail "build of packages from the repository"
tar -tf "$W/pkgs.tar" > "$W/pkgs.list"
grep -qx 'usr/share/hello/hello.txt' "$W/pkgs.list" && grep -qx 'usr/share/greet-extra/greet-extra.txt' "$W/pkgs.list" ||
    fail "the image lacks the packages' files"
if "$DISTILL" build -q --cache "$W/c5" "$W/pkgs.yaml" -o "$W/pkgs2.tar" --format rootfs 2> "$W/err"; then fail "built with an empty cache"; fi
grep -F "which the lock pins from $URI, is not in the cache '$W/c5': run distill fetch --cache '$W/c5' $W/pkgs.yaml" "$W/err" >/dev/null ||
    { cat "$W/err"; fail "an empty cache: distill fetch not named"; }
[ ! -e "$W/pkgs2.tar" ] || fail "an empty cache: a rootfs was written"
"$DISTILL" fetch -q --cache "$W/c5" "$W/pkgs.lock.json" || fail "fetch of the packages' .debs"
"$DISTILL" build -q --cache "$W/c5" "$W/pkgs.yaml" -o "$W/pkgs2.tar" --format rootfs || fail "build from the fetched cache"
cmp -s "$W/pkgs.tar" "$W/pkgs2.tar" || fail "the cache distill fetch filled gives another rootfs"
ok "packages: fetched from the repository with their Depends, pinned, fetched again and built the same"

# ---- 4. nothing left behind ----
[ -z "$(ls -A "$TMPDIR")" ] || fail "left in TMPDIR: $(ls "$TMPDIR")"
echo "PASS lock.repositories"
