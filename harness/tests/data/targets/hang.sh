#!/bin/sh
# A target whose run never ends: killed at its deadline, its cells errors.
case $1 in
probe) echo "hang 1.0" ;;
setup|teardown) : ;;
run) sleep 600 ;;
esac
