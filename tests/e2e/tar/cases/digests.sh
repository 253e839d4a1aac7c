# Pins the exact bytes of a small tree for none, gzip and zstd: any change to the format,
# the normalization or the compressors shows up here as a changed digest.
mkdir -p t/bin t/etc t/empty t/share/doc
printf '#!/bin/sh\necho hi\n' > t/bin/hi; chmod 755 t/bin/hi
printf 'a=1\n' > t/etc/conf
ln -s ../etc/conf t/bin/conf
ln t/etc/conf t/etc/conf.bak
seq 1 2000 > t/share/doc/numbers
find t -exec touch -h -d @1600000000 {} +
export SOURCE_DATE_EPOCH=1700000000
for f in a.tar a.tar.gz a.tar.zst; do
    "$DISTILL" tar t -o "$f" --json
done
"$DISTILL" tar t -o - --compression gzip --level 9 --json 2>&1 >/dev/null
tar --numeric-owner --full-time -tvf a.tar | sed 's/  */ /g'
