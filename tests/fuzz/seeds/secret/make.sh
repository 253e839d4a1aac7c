#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seeds for fuzz_secret, written into $1: the first byte picks the path (fuzz_secret.c's
# table), the rest is content. Tokens are assembled here so that no file holds one whole.
set -euo pipefail
o=$1
seed() { printf "\\$(printf '%03o' "$1")" > "$o/secret-$2"; printf '%s' "$3" >> "$o/secret-$2"; }
seed 0 docker '{"auths": {"registry.example": {"auth": "dTpw"}, "x": {"identitytoken": "t"}}}'
seed 1 dockercfg '{"r": {"auth": "dTpw", "email": ""}}'
seed 3 netrc $'machine h\n login u\n password p\nmacdef init\n'
seed 4 idrsa "-----BEGIN RSA PRIV""ATE KEY-----"$'\nMIIE\n'
seed 7 pem "x -----BEGIN OPENSSH PRIV""ATE KEY----- -----BEGIN PGP PRIV""ATE KEY BLOCK-----"
seed 7 tokens "AKI""AQWERTYUIOPASDFGH gh""p_0123456789abcdefghijABCDEFGHIJ012345 xo""xb-12345678-abcdefgh AI""zaSyA0123456789abcdefghijklmnopqrstuv"
seed 7 ppk "PuTTY-User-Key-File-3: ssh-ed25519"
