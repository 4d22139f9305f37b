#!/bin/sh
# A target that is not installed: every cell must be a skip with this
# reason, never a pass and never an abort (harness/tests/lab.sh).
case $1 in
probe) echo "absent-mta not installed (apt-get install absent-mta)"; exit 3 ;;
*) echo "absent: $1 must not be called"; exit 1 ;;
esac
