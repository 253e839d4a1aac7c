# Usage errors exit 2 with one message and a hint; nothing is written.
mkdir d
t() { echo "\$ distill $*"; "$DISTILL" "$@" && echo "exit 0" || echo "exit $?"; }
t
t frobnicate
t --frob
t help nope
t tar
t tar d
t tar -o x.tar
t tar d -o x.tar --compression lzma
t tar d -o x.tar.gz --compression zstd
t tar d -o x.tar --level 5
t tar d -o x.tar.zst --level 20
t tar d -o x.tar.gz --level 0
t tar d -o x.tar --mtime later
t tar d -o x.tar --owner root
t tar d -o x.tar --owner 1:
t tar d -o x.tar --prefix /abs
t tar d -o x.tar --prefix a/../b
t tar d -o x.tar --source-date-epoch yesterday
t tar d -o x.tar --bogus
t tar d -o
ls -A
