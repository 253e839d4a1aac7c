# Input and output errors: one line naming the path, exit 1, and no OUT or temporary left.
mkdir -p in/sub out
echo data > in/sub/file
t() { echo "\$ distill $*"; "$DISTILL" "$@" && echo "exit 0" || echo "exit $?"; echo "out: $(ls -A out | tr '\n' ' ')"; }
t tar missing -o out/a.tar
t tar in/sub/file -o out/a.tar
t tar in -o /nonexistent/dir/a.tar
mkdir out/isdir
t tar in -o out/isdir
rmdir out/isdir
mkfifo in/pipe
t tar in -o out/strict.tar --strict
t tar in -o out/warned.tar -q
rm out/warned.tar in/pipe
mkdir in2 && echo other > in2/sub
t tar in in2 -o out/clash.tar
ln -s file in/sub/link && mkdir -p in3/sub && echo x > in3/sub/link
t tar in in3 -o out/clash2.tar
# An unreadable file (run as an unprivileged user when we are root, since root reads all).
chmod 000 in/sub/file
chmod 777 out
if [ "$(id -u)" = 0 ]; then
    chmod 755 . in in/sub
    echo "\$ distill tar in -o out/perm.tar (as nobody)"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$DISTILL" tar in -o out/perm.tar && echo "exit 0" || echo "exit $?"
    echo "out: $(ls -A out | tr '\n' ' ')"
else
    t tar in -o out/perm.tar
fi
chmod 644 in/sub/file
# A bad SOURCE_DATE_EPOCH from the environment is an input error (exit 1).
echo "\$ SOURCE_DATE_EPOCH=soon distill tar in -o out/a.tar"
SOURCE_DATE_EPOCH=soon "$DISTILL" tar in -o out/a.tar && echo "exit 0" || echo "exit $?"
echo "out: $(ls -A out | tr '\n' ' ')"
# A failed run leaves a previous OUT untouched.
"$DISTILL" tar in -o out/keep.tar -q
before=$(sha256sum out/keep.tar)
t tar in missing -o out/keep.tar
[ "$(sha256sum out/keep.tar)" = "$before" ] && echo "previous out/keep.tar untouched"
