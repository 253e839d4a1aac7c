# SPDX-License-Identifier: MIT
# A signed apt repository and a sysroot that installed from it, built by the test with
# Debian's own tools (dpkg-deb, dpkg-scanpackages, gpg): source it after lib.sh.
#   make_key NAME             a signing key in $W/gnupg-NAME: $W/NAME.gpg and $W/NAME.asc
#   make_deb NAME VERSION     $W/debs/NAME_VERSION_amd64.deb holding /usr/share/NAME/NAME.txt
#                             and a program /usr/bin/NAME that prints "NAME VERSION",
#                             with its md5sums
#   make_repo DIR KEY DEB...  a repository in DIR: pool/, dists/stable/main/binary-amd64/
#                             Packages(.gz), Release and InRelease signed by KEY
#   make_libc_deb             $W/debs/libc-test_1.0_amd64.deb: ld.so and libc, for make_root
#   make_ca_deb               $W/debs/ca-certificates_1.0_all.deb: three CA certificates; a
#                             root with it gets its bundle from update-ca-certificates
#   make_root ROOT URI KEY DIR DEB...   a merged-/usr sysroot with the DEBs installed (libc-test
#                             among them for the programs to start; dpkg status and
#                             file lists and md5sums), a deb822 source for URI (Signed-By KEY) and apt's
#                             lists of the repository DIR, the Packages stored as apt does
#                             on this machine (.lz4)
command -v dpkg-scanpackages >/dev/null && command -v gpg >/dev/null && command -v lz4 >/dev/null ||
    { echo "skipped: needs dpkg-dev, gnupg and lz4 (scripts/setup.sh installs them)"; exit 0; }

make_key() {
    local h="$W/gnupg-$1"
    mkdir -p -m 700 "$h"
    GNUPGHOME=$h gpg --batch -q --pinentry-mode loopback --passphrase '' \
        --quick-gen-key "distill test $1 <$1@example.invalid>" ed25519 sign never 2>/dev/null ||
        fail "gpg: cannot make key $1"
    GNUPGHOME=$h gpg --batch -q --export > "$W/$1.gpg"
    GNUPGHOME=$h gpg --batch -q --armor --export > "$W/$1.asc"
}

make_deb() {
    local n=$1 v=$2 d="$W/pkgsrc/$1-$2"
    mkdir -p "$d/DEBIAN" "$d/usr/share/$n" "$W/debs"
    printf '%s %s\n' "$n" "$v" > "$d/usr/share/$n/$n.txt"
    mkdir -p "$d/usr/bin"
    printf '#include <stdio.h>\nint main(void) { puts("%s %s"); return 0; }\n' "$n" "$v" > "$W/app.c"
    gcc -O2 -o "$d/usr/bin/$n" "$W/app.c" || fail "gcc $n"
    (cd "$d" && find usr -type f | LC_ALL=C sort | xargs md5sum) > "$d/DEBIAN/md5sums"
    printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: distill tests <t@example.invalid>\nDescription: a test package\n' \
        "$n" "$v" > "$d/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip --build "$d" "$W/debs/${n}_${v}_amd64.deb" >/dev/null ||
        fail "dpkg-deb $n"
}

# make_libc_deb: $W/debs/libc-test_1.0_amd64.deb, the machine's ld.so and libc.so.6 as a
# package lays them out before merged /usr (/lib/..., /lib64/...)
make_libc_deb() {
    local d="$W/pkgsrc/libc-test"
    mkdir -p "$d/DEBIAN" "$d/lib/x86_64-linux-gnu" "$d/lib64" "$W/debs"
    cp -L /lib/x86_64-linux-gnu/libc.so.6 "$d/lib/x86_64-linux-gnu/libc.so.6"
    cp -L /lib64/ld-linux-x86-64.so.2 "$d/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    ln -sf /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$d/lib64/ld-linux-x86-64.so.2"
    (cd "$d" && find lib -type f | LC_ALL=C sort | xargs md5sum) > "$d/DEBIAN/md5sums"
    printf 'Package: libc-test\nVersion: 1.0\nArchitecture: amd64\nMaintainer: distill tests <t@example.invalid>\nDescription: ld.so and libc for the tests\n' \
        > "$d/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip --build "$d" "$W/debs/libc-test_1.0_amd64.deb" >/dev/null ||
        fail "dpkg-deb libc-test"
}

# make_ca_deb: $W/debs/ca-certificates_1.0_all.deb with three of the machine's certificates
# (one without its final newline, which update-ca-certificates adds)
make_ca_deb() {
    local d="$W/pkgsrc/ca-certificates" c i=0
    mkdir -p "$d/DEBIAN" "$d/usr/share/ca-certificates/mozilla" "$W/debs"
    for c in $(ls /usr/share/ca-certificates/mozilla/ | LC_ALL=C sort | head -3); do
        i=$((i + 1))
        if [ $i = 2 ]; then
            printf '%s' "$(cat "/usr/share/ca-certificates/mozilla/$c")" > "$d/usr/share/ca-certificates/mozilla/$c"
        else
            cp "/usr/share/ca-certificates/mozilla/$c" "$d/usr/share/ca-certificates/mozilla/"
        fi
    done
    (cd "$d" && find usr -type f | LC_ALL=C sort | xargs md5sum) > "$d/DEBIAN/md5sums"
    printf 'Package: ca-certificates\nVersion: 1.0\nArchitecture: all\nMaintainer: distill tests <t@example.invalid>\nDescription: three CA certificates\n' \
        > "$d/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip --build "$d" "$W/debs/ca-certificates_1.0_all.deb" >/dev/null ||
        fail "dpkg-deb ca-certificates"
}

make_repo() {
    local dir=$1 key=$2 b
    shift 2
    mkdir -p "$dir/dists/stable/main/binary-amd64"
    for deb; do
        b=$(basename "$deb")
        mkdir -p "$dir/pool/main/${b:0:1}/${b%%_*}"
        cp "$deb" "$dir/pool/main/${b:0:1}/${b%%_*}/"
    done
    (cd "$dir" && dpkg-scanpackages --arch amd64 pool 2>/dev/null > dists/stable/main/binary-amd64/Packages) ||
        fail "dpkg-scanpackages"
    gzip -9nkf "$dir/dists/stable/main/binary-amd64/Packages"
    python3 - "$dir/dists/stable" <<'PY'
import hashlib, os, sys
d = sys.argv[1]
out = ["Origin: distill-test", "Label: distill-test", "Suite: stable", "Codename: stable",
       "Date: Thu, 01 Jan 2026 00:00:00 UTC", "Architectures: amd64", "Components: main",
       "SHA256:"]
for p in ("main/binary-amd64/Packages", "main/binary-amd64/Packages.gz"):
    b = open(os.path.join(d, p), "rb").read()
    out.append(" %s %d %s" % (hashlib.sha256(b).hexdigest(), len(b), p))
open(os.path.join(d, "Release"), "w").write("\n".join(out) + "\n")
PY
    rm -f "$dir/dists/stable/InRelease"
    GNUPGHOME="$W/gnupg-$key" gpg --batch -q --clearsign -o "$dir/dists/stable/InRelease" \
        "$dir/dists/stable/Release" || fail "gpg --clearsign"
}

# apt's list name of URI + "/" + REST (deb_apt_list_name; plain URIs only)
list_name() {
    local u=${1#*://}
    printf '%s' "$u/$2" | sed 's/_/%5f/g; s,/,_,g'
}

make_root() {
    local root=$1 uri=$2 key=$3 dir=$4 deb n L
    shift 4
    mkdir -p "$root/var/lib/dpkg/info" "$root/etc/apt/sources.list.d" "$root/etc/apt/keyrings" \
        "$root/var/lib/apt/lists" "$root/usr/lib" "$root/usr/lib64" "$root/usr/bin"
    # merged /usr, as Debian installs it: these symlinks are no package's
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    ln -s usr/bin "$root/bin"
    : > "$root/var/lib/dpkg/status"
    for deb; do
        n=$(dpkg-deb -f "$deb" Package)
        dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$root" || fail "unpack $deb"
        { printf 'Package: %s\nStatus: install ok installed\n' "$n"
          dpkg-deb -f "$deb" Maintainer Architecture Version Description; echo; } \
            >> "$root/var/lib/dpkg/status"
        dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's,^\./,/,; s,/$,,; s,^$,/.,' \
            > "$root/var/lib/dpkg/info/$n.list"
        dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums > "$root/var/lib/dpkg/info/$n.md5sums"
    done
    if [ -d "$root/usr/share/ca-certificates" ]; then
        # what ca-certificates' postinst does: the default configuration (every certificate),
        # then the machine's own update-ca-certificates, pointed at the sysroot
        (cd "$root/usr/share/ca-certificates" && find . -type f -name '*.crt' -printf '%P\n' | LC_ALL=C sort) \
            > "$root/etc/ca-certificates.conf"
        mkdir -p "$root/etc/ssl/certs" "$W/ca-hooks"
        update-ca-certificates --certsconf "$root/etc/ca-certificates.conf" \
            --certsdir "$root/usr/share/ca-certificates" --localcertsdir "$root/usr/local/share/ca-certificates" \
            --etccertsdir "$root/etc/ssl/certs" --hooksdir "$W/ca-hooks" >/dev/null 2>&1 ||
            fail "update-ca-certificates in $root"
    fi
    cp "$W/$key.gpg" "$root/etc/apt/keyrings/$key.gpg"
    printf 'Types: deb\nURIs: %s\nSuites: stable\nComponents: main\nSigned-By: /etc/apt/keyrings/%s.gpg\n' \
        "$uri" "$key" > "$root/etc/apt/sources.list.d/test.sources"
    cp "$dir/dists/stable/InRelease" "$root/var/lib/apt/lists/$(list_name "$uri" dists/stable/InRelease)"
    lz4 -q -c "$dir/dists/stable/main/binary-amd64/Packages" \
        > "$root/var/lib/apt/lists/$(list_name "$uri" dists/stable/main/binary-amd64/Packages).lz4"
}
