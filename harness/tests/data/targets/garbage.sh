#!/bin/sh
# A target whose output cannot all be parsed: the first probe gets a
# proper verdict, then a line that is no verdict; every other probe is an
# error naming the target and the line.
case $1 in
probe) echo "garbage 1.0" ;;
setup|teardown) : ;;
run)
	first=$(head -1 "$2" | cut -d' ' -f1)
	echo "# $first a log line for the first probe"
	echo "$first no-connect it did not try"
	echo "this is not a verdict line"
	;;
esac
