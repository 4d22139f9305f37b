#!/bin/sh
# harness/bench.sh - `make bench`: figures, not pass/fail.  Needs root.
#  1. lab bring-up (zones built and signed, NSD and Unbound answering)
#     and peak memory for 10, 100 and 1000 child zones;
#  2. `danelab run --target ref` over the whole catalogue, and over a
#     generated catalogue ten times larger (every scenario copied ten
#     times under new ids): wall time and peak memory.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/danelab-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "== lab bring-up"
for n in 10 100 1000; do
	./danelab bench --quiet --no-scenarios --dir "$tmp/lab$n" --zones "$n"
done

# timed LABEL CMD... - wall time and peak RSS (GNU time) of one command
timed() {
	label=$1
	shift
	/usr/bin/time -f "$label: wall %e s, peak rss %M kB, exit %x" "$@" \
		>"$tmp/out" 2>"$tmp/err" || true
	grep -h "cells:" "$tmp/out" | sed 's/^/  /'
	tail -1 "$tmp/err"
}

echo "== danelab run --target ref"
timed "catalogue" ./danelab run -q --target ref --out "$tmp/r1"
mkdir -p "$tmp/x10"
for i in 1 2 3 4 5 6 7 8 9 10; do
	mkdir -p "$tmp/x10/c$i"
	find scenarios -name '*.scn' | while read -r f; do
		sed "s/^scenario[[:space:]]\{1,\}\([^[:space:]]*\)/scenario \1-c$i/" \
			"$f" >"$tmp/x10/c$i/$(echo "$f" | tr / _)"
	done
done
timed "catalogue x10" ./danelab run -q --target ref --scenarios "$tmp/x10" --out "$tmp/r10"
