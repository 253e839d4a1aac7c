# Every way of asking for help, and the version's first line.
"$DISTILL" --help
echo "--- help tar"
"$DISTILL" help tar
echo "--- tar --help"
"$DISTILL" tar --help | head -3
echo "--- version"
"$DISTILL" --version | head -1
"$DISTILL" --version | sed -n 2p | grep -o '^libarchive [0-9.]*, zstd [0-9.]*' | sed 's/[0-9.]*$/N/; s/[0-9][0-9.]*,/N,/'
