# distill deps: usage errors (exit 2), bad input (exit 1, naming the file), missing libraries.
t() { echo "\$ distill $*"; "$DISTILL" "$@" && echo "exit 0" || echo "exit $?"; }
echo 'just text' > notelf
printf '#!/nonexistent/interp\n' > script
t deps
t deps --runtime sometimes /bin/sh
t deps --tree --json /bin/sh
t deps /nonexistent/file
t deps notelf
t deps --root /nonexistent /bin/sh
t deps script
# A static binary needs nothing but itself.
echo 'int main(void){return 0;}' > s.c && cc -static -o static s.c 2>/dev/null && t deps static | sed "s|$PWD|.|"
