#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The lock pins the .debs behind a root's installed packages from its verified apt indexes.
# A repository is built and signed here (dpkg-scanpackages, gpg), and a sysroot installs
# two of its packages; apt's lists of it are stored as apt stores them (InRelease, an .lz4
# Packages). Checked:
#  1. the lock's "installed" has each package with the .deb's real sha256 and size, the
#     source's URI and the pool path; lock --check finds no drift; build accepts the lock;
#  2. a package at a version the repository does not offer: a warning naming it, the
#     installed version and what is offered; with --hermetic an error, and no lock written;
#  3. the same with an armored Signed-By keyring, an inline key block, and with no Signed-By
#     (trusted.gpg.d);
#  4. refused, naming the file: a Packages list changed by one byte, an InRelease signed by
#     a key the source does not name, an InRelease whose signed text was edited, a source
#     marked trusted=yes; a list or InRelease apt has not fetched: a warning and no pins, an
#     error with --hermetic ("run apt-get update");
#  5. a file changed since dpkg installed it: a warning with both md5s, an error with --hermetic;
#  6. a file of the root that no package owns: a warning, an error with --hermetic;
#  7. --no-pin-debs writes no "installed".
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/aptrepo.sh"
ok() { echo "ok   $*"; }
inst() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d.get('installed'), sort_keys=True))" "$1"; }

URI=http://127.0.0.1:9/repo
make_key good
make_key other
make_libc_deb
make_deb greet 1.0-1
make_deb greet-doc 1.0-1
make_deb greet-doc 1.0-2
make_repo "$W/repo" good "$W/debs/libc-test_1.0_amd64.deb" "$W/debs/greet_1.0-1_amd64.deb" "$W/debs/greet-doc_1.0-1_amd64.deb"
fresh_root() { # ROOT: the sysroot with greet and greet-doc 1.0-1 installed
    rm -rf "$1"
    make_root "$1" "$URI" good "$W/repo" "$W/debs/libc-test_1.0_amd64.deb" "$W/debs/greet_1.0-1_amd64.deb" "$W/debs/greet-doc_1.0-1_amd64.deb"
}
spec() { # NAME ROOTDIR
    cat > "$W/$1.yaml" <<Y
name: example/apt:1
root: ./$2
base: scratch
binaries:
  - /usr/bin/greet
  - /usr/bin/greet-doc
config:
  entrypoint: [/usr/bin/greet]
Y
}

# ---- 1. pinned from the signed index ----
fresh_root "$W/r1"
spec s1 r1
"$DISTILL" lock -q "$W/s1.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock"; }
[ ! -s "$W/err" ] || { cat "$W/err"; fail "lock printed something"; }
got=$(inst "$W/s1.lock.json")
want=$(python3 - "$W" "$URI" <<'PY'
import hashlib, json, os, sys
w, uri = sys.argv[1], sys.argv[2]
# each package's stanza of the root's dpkg status, as status.d carries it
stanzas = {p.split("\n")[0][9:]: p.strip("\n") + "\n"
           for p in open(os.path.join(w, "r1/var/lib/dpkg/status")).read().split("\n\n") if p.strip()}
out = []
for n, v in (("greet", "1.0-1"), ("greet-doc", "1.0-1"), ("libc-test", "1.0")):
    f = "%s_%s_amd64.deb" % (n, v)
    b = open(os.path.join(w, "debs", f), "rb").read()
    out.append({"architecture": "amd64", "file": f, "filename": "pool/main/%s/%s/%s" % (n[0], n, f),
                "name": n, "repository": uri, "sha256": hashlib.sha256(b).hexdigest(),
                "size": len(b), "status": stanzas[n], "version": v})
print(json.dumps(out, sort_keys=True))
PY
)
[ "$got" = "$want" ] || fail "installed: got $got, want $want"
"$DISTILL" lock -q --check "$W/s1.yaml" || fail "lock --check after lock"
"$DISTILL" build -q "$W/s1.yaml" -o "$W/img1" || fail "build with the pinned lock"
ok "installed packages pinned to their .debs: name, version, size, sha256, repository, pool path"

# ---- 2. a version the repository does not offer ----
rm -rf "$W/r2"
# greet-doc 1.0-2 installed in the root; the index offers 1.0-1 only
make_root "$W/r2" "$URI" good "$W/repo" "$W/debs/libc-test_1.0_amd64.deb" "$W/debs/greet_1.0-1_amd64.deb" "$W/debs/greet-doc_1.0-2_amd64.deb"
spec s2 r2
"$DISTILL" lock "$W/s2.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock with an unoffered version"; }
grep -F 'warning: 1 of 3 installed packages are at versions no apt source of the root offers' "$W/err" >/dev/null ||
    { cat "$W/err"; fail "no warning for greet-doc 1.0-2"; }
grep -F "greet-doc 1.0-2: offered 1.0-1 ($URI stable)" "$W/err" >/dev/null || { cat "$W/err"; fail "offers not named"; }
grep -F 'apt-get install --only-upgrade greet-doc' "$W/err" >/dev/null || { cat "$W/err"; fail "no fix named"; }
[ "$(python3 -c "import json,sys; print([d['name'] for d in json.load(open(sys.argv[1]))['installed']])" "$W/s2.lock.json")" = "['greet', 'libc-test']" ] ||
    fail "only greet and libc-test are pinned"
rm -f "$W/s2.lock.json"
if "$DISTILL" lock -q --hermetic "$W/s2.yaml" 2> "$W/err"; then fail "--hermetic accepted an unoffered version"; fi
grep -F 'greet-doc 1.0-2: offered 1.0-1' "$W/err" >/dev/null || { cat "$W/err"; fail "--hermetic: not named"; }
[ ! -e "$W/s2.lock.json" ] || fail "--hermetic wrote a lock"
ok "an unoffered version: a warning naming it and the offers; with --hermetic an error, no lock"

# ---- 3. armored Signed-By, and the trusted keyrings ----
fresh_root "$W/r3"
cp "$W/good.asc" "$W/r3/etc/apt/keyrings/good.asc"
sed -i 's,Signed-By: .*,Signed-By: /etc/apt/keyrings/good.asc,' "$W/r3/etc/apt/sources.list.d/test.sources"
spec s3 r3
"$DISTILL" lock -q "$W/s3.yaml" || fail "lock with an armored Signed-By"
[ "$(inst "$W/s3.lock.json")" = "$want" ] || fail "armored keyring: other pins"
# the key inline in the deb822 source, its empty lines written " ."
fresh_root "$W/r3"
{ sed '/^Signed-By/d' "$W/r3/etc/apt/sources.list.d/test.sources"; echo "Signed-By:"
  sed 's/^$/./; s/^/ /' "$W/good.asc"; } > "$W/inline.sources"
mv "$W/inline.sources" "$W/r3/etc/apt/sources.list.d/test.sources"
"$DISTILL" lock -q "$W/s3.yaml" || fail "lock with an inline Signed-By key"
[ "$(inst "$W/s3.lock.json")" = "$want" ] || fail "inline keyring: other pins"
fresh_root "$W/r4"
mkdir -p "$W/r4/etc/apt/trusted.gpg.d"
cp "$W/good.asc" "$W/r4/etc/apt/trusted.gpg.d/good.asc"
sed -i '/^Signed-By/d' "$W/r4/etc/apt/sources.list.d/test.sources"
spec s4 r4
"$DISTILL" lock -q "$W/s4.yaml" || fail "lock with trusted.gpg.d"
[ "$(inst "$W/s4.lock.json")" = "$want" ] || fail "trusted.gpg.d: other pins"
# the only trusted key is another one: refused
cp "$W/other.asc" "$W/r4/etc/apt/trusted.gpg.d/good.asc"
if "$DISTILL" lock -q -o "$W/x.json" "$W/s4.yaml" 2> "$W/err"; then fail "trusted.gpg.d: a key that did not sign"; fi
grep -F 'the signature does not verify' "$W/err" >/dev/null || { cat "$W/err"; fail "wrong trusted key: message"; }
ok "an armored Signed-By keyring, an inline one, and trusted.gpg.d without Signed-By"

# ---- 4. refused ----
refused() { # NAME WANT: lock of $W/r5 fails saying WANT, writes nothing
    local h=()
    case $1 in --hermetic*) h=(--hermetic) ;; esac
    if "$DISTILL" lock -q "${h[@]}" -o "$W/r5.lock.json" "$W/s5.yaml" 2> "$W/err"; then fail "$1: accepted"; fi
    grep -F -- "$2" "$W/err" >/dev/null || { cat "$W/err"; fail "$1: no '$2'"; }
    [ ! -e "$W/r5.lock.json" ] || fail "$1: a lock was written"
    ok "refused: $1"; [ -z "${SHOW:-}" ] || cat "$W/err"
}
spec s5 r5
lists=$W/r5/var/lib/apt/lists
pk=$(list_name "$URI" dists/stable/main/binary-amd64/Packages).lz4
ir=$(list_name "$URI" dists/stable/InRelease)
fresh_root "$W/r5"
lz4 -q -d -c "$lists/$pk" | sed 's/^Size: /Size: 1/' | lz4 -q -c > "$W/p.lz4"
mv "$W/p.lz4" "$lists/$pk"
refused "a Packages list changed" "is not the signed Release's"
fresh_root "$W/r5"
cp "$W/repo/dists/stable/Release" "$W/Release"
GNUPGHOME="$W/gnupg-other" gpg --batch -q --clearsign -o "$lists/$ir.new" "$W/Release"
mv "$lists/$ir.new" "$lists/$ir"
refused "an InRelease signed by another key" "the signature does not verify"
fresh_root "$W/r5"
sed -i 's/^Suite: stable/Suite: edited/' "$lists/$ir"
refused "an InRelease whose signed text was edited" "the signature does not verify"
# what apt has not fetched (a sysroot made by debootstrap, say): a warning, and no pins;
# with --hermetic an error
for gone in "$pk" "$ir"; do
    fresh_root "$W/r5"
    rm "$lists/$gone"
    "$DISTILL" lock -q -o "$W/r5.lock.json" "$W/s5.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock without $gone"; }
    grep -F "warning: apt source $URI stable" "$W/err" >/dev/null && grep -F "(run apt-get update there)" "$W/err" >/dev/null ||
        { cat "$W/err"; fail "no warning for the missing $gone"; }
    [ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['installed']))" "$W/r5.lock.json")" = 0 ] ||
        fail "pins without $gone"
    rm -f "$W/r5.lock.json"
    refused "--hermetic without $gone" "run apt-get update there"
done
fresh_root "$W/r5"
printf 'Trusted: yes\n' >> "$W/r5/etc/apt/sources.list.d/test.sources"
refused "a source marked trusted" "distill uses only signed indexes"

# ---- 5. a file that is not what its package installed ----
fresh_root "$W/r6"
printf 'x' >> "$W/r6/usr/bin/greet-doc"
spec s6 r6
"$DISTILL" lock -q "$W/s6.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock with a changed file"; }
got=$(md5sum < "$W/r6/usr/bin/greet-doc" | cut -d' ' -f1)
rec=$(cut -d' ' -f1 "$W/r6/var/lib/dpkg/info/greet-doc.md5sums")
grep -F "warning: '/usr/bin/greet-doc' is not what package greet-doc installed (a changed or diverted file): md5 $got, dpkg recorded $rec" "$W/err" >/dev/null ||
    { cat "$W/err"; fail "the changed file is not named with both md5s"; }
if "$DISTILL" lock -q --hermetic -o "$W/x.json" "$W/s6.yaml" 2> "$W/err"; then fail "--hermetic took a changed file"; fi
grep -F "'/usr/bin/greet-doc' is not what package greet-doc installed" "$W/err" >/dev/null || { cat "$W/err"; fail "--hermetic: changed file"; }
[ ! -e "$W/x.json" ] || fail "--hermetic wrote a lock with a changed file"
ok "a file changed since its package installed it: named with both md5s; refused by --hermetic"

# ---- 6. a file no package owns ----
fresh_root "$W/r7"
cp "$W/r7/usr/bin/greet" "$W/r7/usr/bin/stray"
spec s7 r7
sed -i 's,^  - /usr/bin/greet-doc$,  - /usr/bin/greet-doc\n  - /usr/bin/stray,' "$W/s7.yaml"
"$DISTILL" lock -q "$W/s7.yaml" 2> "$W/err" || { cat "$W/err"; fail "lock with an unowned file"; }
grep -F "warning: '/usr/bin/stray' is a file of the root that no package owns" "$W/err" >/dev/null ||
    { cat "$W/err"; fail "the unowned file is not named"; }
if "$DISTILL" lock -q --hermetic -o "$W/x.json" "$W/s7.yaml" 2> "$W/err"; then fail "--hermetic took an unowned file"; fi
ok "a file no package owns: named at lock time; refused by --hermetic"

# ---- 7. --no-pin-debs ----
"$DISTILL" lock -q --no-pin-debs -o "$W/np.json" "$W/s1.yaml" || fail "--no-pin-debs"
[ "$(inst "$W/np.json")" = null ] || fail "--no-pin-debs wrote installed"
ok "--no-pin-debs pins files only"
echo "PASS lock.apt"
