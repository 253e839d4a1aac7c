# SPDX-License-Identifier: MIT
# Shared helpers of the repro tests: a work dir, the fixture tree, digests, verdicts.
set -euo pipefail
: "${DISTILL:?set DISTILL to the distill binary}"
: "${TESTS:?set TESTS to the tests directory}"
# shellcheck source=../lib/mktree.sh
source "$TESTS/lib/mktree.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/distill-repro.XXXXXX")
trap 'chmod -R u+rwX "$W" 2>/dev/null; rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
FAILED=0

ext_of() { case $1 in none) echo tar ;; gzip) echo tar.gz ;; zstd) echo tar.zst ;; esac; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# same NAME REF FILE: records whether FILE's bytes equal REF's.
same() {
    local got; got=$(sha "$3")
    if [ "$got" = "$2" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1: $got != $2"
        FAILED=1
    fi
}

finish() {
    if [ "$FAILED" != 0 ]; then echo "some checks failed"; exit 1; fi
    echo "all checks passed"
}
