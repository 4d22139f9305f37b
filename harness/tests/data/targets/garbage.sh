#!/bin/sh
# A target whose output cannot all be parsed: the first probe gets a
# proper verdict, then a line that is no verdict; every other probe is an
# error naming the target and the line.  Its receiving server (serve, for
# xmpp-in) fails to start: those cells are errors quoting it.
case $1 in
probe) echo "garbage 1.0" ;;
setup|teardown) : ;;
serve)	# xmpp-in: a receiving server that fails to start
	echo "garbage: cannot bind 127.0.0.5:5269: address in use"
	exit 1 ;;
run)
	first=$(head -1 "$2" | cut -d' ' -f1)
	echo "# $first a log line for the first probe"
	echo "$first no-connect it did not try"
	echo "this is not a verdict line"
	;;
esac
