# OUT that is a device or a fifo is written in place, never replaced by a rename.
mkdir t && echo x > t/f
"$DISTILL" tar t -o /dev/null -q && echo "exit $?"
[ -c /dev/null ] && echo "/dev/null is still a character device"
mkfifo fifo
cat fifo > from-fifo.tar &
"$DISTILL" tar t -o fifo -q && echo "exit $?"
wait
[ -p fifo ] && echo "fifo is still a fifo"
tar -tf from-fifo.tar
"$DISTILL" tar t -o direct.tar -q
cmp from-fifo.tar direct.tar && echo "same bytes through the fifo"
