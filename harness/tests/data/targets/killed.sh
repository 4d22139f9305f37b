#!/bin/sh
# A target killed with SIGKILL in the middle of each batch: the probe it
# answered keeps its verdict, every other one is an error saying so.
case $1 in
probe) echo "killed 1.0" ;;
setup|teardown) : ;;
run)
	first=$(head -1 "$2" | cut -d' ' -f1)
	echo "$first skip answered before the kill"
	kill -KILL $$ ;;
esac
