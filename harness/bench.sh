#!/bin/sh
# harness/bench.sh - `make bench`: lab bring-up (zones built and signed,
# NSD and Unbound answering) and peak memory for 10, 100 and 1000 child
# zones.  Needs root.  Prints one line of figures per size.
set -eu
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/danelab-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for n in 10 100 1000; do
	./danelab bench --quiet --dir "$dir/lab$n" --zones "$n"
done
