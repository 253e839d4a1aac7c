# --exclude, --prefix, --owner, --mtime, several DIRs, and the text summary.
mkdir -p a/keep a/skip a/logs b/keep
echo 1 > a/keep/one; echo 2 > a/skip/two; echo 3 > a/logs/x.log; echo 4 > a/top.log
echo 5 > b/keep/five; echo 6 > b/extra
find a b -exec touch -h -d @1600000000 {} +
list() { tar --numeric-owner --full-time -tvf "$1" | sed 's/  */ /g'; }
export SOURCE_DATE_EPOCH=1700000000
echo "--- exclude (base name glob, path glob)"
"$DISTILL" tar a -o x1.tar --exclude '*.log' --exclude 'skip' -q && list x1.tar
"$DISTILL" tar a -o x2.tar --exclude 'logs/*' -q && list x2.tar
echo "--- prefix, owner, mtime set"
"$DISTILL" tar a -o x3.tar --prefix opt/app --owner 65532:65532 --mtime set -q && list x3.tar
echo "--- two DIRs merge"
"$DISTILL" tar a b -o x4.tar -q && list x4.tar
echo "--- summary"
"$DISTILL" tar a -o x5.tar.zst
