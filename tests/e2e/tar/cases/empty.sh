# An empty directory packs into an archive with no entries, and with --prefix just the prefix.
mkdir empty
"$DISTILL" tar empty -o e.tar --json
tar -tvf e.tar | wc -l
"$DISTILL" tar empty -o p.tar --prefix opt/app -q
tar --numeric-owner -tvf p.tar | sed 's/  */ /g'
