#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make.sh DIR: seeds for fuzz_ldso from this machine: its ld.so.cache (prefix byte 0),
# ld.so.conf and the files it includes (1), nsswitch.conf (2).
set -euo pipefail
out=$1
seed() { { printf "\\x$(printf %02x "$1")"; cat "$2"; } > "$out/ldso-$3"; }
[ -f /etc/ld.so.cache ] && seed 0 /etc/ld.so.cache cache
[ -f /etc/ld.so.conf ] && seed 1 /etc/ld.so.conf conf
for f in /etc/ld.so.conf.d/*.conf; do [ -f "$f" ] && seed 1 "$f" "conf-$(basename "$f")"; done
[ -f /etc/nsswitch.conf ] && seed 2 /etc/nsswitch.conf nsswitch
printf '\x02passwd: files systemd [NOTFOUND=return] ldap\ngroup: compat\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n' > "$out/ldso-nss2"
exit 0
