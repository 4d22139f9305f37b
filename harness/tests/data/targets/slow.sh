#!/bin/sh
# A target whose batch runs until it is stopped: lab-faults.sh signals
# danelab while it runs.  It says where it is by writing
# $DANELAB_TEST_MARKER.
case $1 in
probe) echo "slow 1.0" ;;
setup|teardown) : ;;
run)
	echo running > "${DANELAB_TEST_MARKER:-/dev/null}"
	sleep 600 ;;
esac
