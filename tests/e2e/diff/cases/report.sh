# distill diff / inspect / verify on small tarballs made here: the report's exact words,
# its JSON, --ignore, and the usage and input errors (exit 2).
mkdir -p a/etc a/bin b/etc b/bin
printf 'same\n' > a/etc/same; printf 'same\n' > b/etc/same
printf 'old\n' > a/etc/conf; printf 'new!\n' > b/etc/conf
printf '#!/bin/sh\n' > a/bin/run; printf '#!/bin/sh\n' > b/bin/run
chmod 755 a/bin/run; chmod 700 b/bin/run
printf 'x\n' > b/etc/extra
"$DISTILL" tar a -o a.tar --keep-modes --source-date-epoch 1700000000 --mtime set
"$DISTILL" tar b -o b.tar --keep-modes --source-date-epoch 1700000001 --mtime set
"$DISTILL" tar a -o a.tar.gz --keep-modes --source-date-epoch 1700000000 --mtime set
"$DISTILL" tar a -o a.tar.zst --keep-modes --source-date-epoch 1700000000 --mtime set
echo "--- a b"
"$DISTILL" diff a.tar b.tar || echo "exit $?"
echo "--- a b --ignore timestamps"
"$DISTILL" diff --ignore timestamps a.tar b.tar || echo "exit $?"
echo "--- a a"
"$DISTILL" diff a.tar a.tar && echo "exit 0"
echo "--- gzip zstd"
"$DISTILL" diff a.tar.gz a.tar.zst || echo "exit $?"
"$DISTILL" diff --ignore compression a.tar.gz a.tar.zst && echo "exit 0"
echo "--- json"
"$DISTILL" diff --json a.tar b.tar > d.json || echo "exit $?"
python3 -c 'import json,sys; d=json.load(open("d.json")); print(d["total"], d["identical"], sorted({x["field"] for x in d["differences"]}))'
echo "--- quiet"
"$DISTILL" diff -q a.tar b.tar || echo "exit $?"
echo "--- inspect"
"$DISTILL" inspect b.tar
"$DISTILL" inspect --tree b.tar
echo "--- errors"
"$DISTILL" diff a.tar || echo "exit $?"
"$DISTILL" diff --ignore colours a.tar b.tar || echo "exit $?"
"$DISTILL" diff a.tar missing.tar || echo "exit $?"
"$DISTILL" diff a b || echo "exit $?"
printf 'not a tar' > junk
"$DISTILL" diff a.tar junk || echo "exit $?"
"$DISTILL" inspect || echo "exit $?"
"$DISTILL" inspect --json --tree a.tar || echo "exit $?"
"$DISTILL" verify || echo "exit $?"
"$DISTILL" verify --runs 0 x.yaml || echo "exit $?"
"$DISTILL" verify --ref x x.yaml || echo "exit $?"
"$DISTILL" verify x.yaml || echo "exit $?"
