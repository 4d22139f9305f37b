#!/bin/sh
# harness/postfix-bench.sh [FILTER]: what batching buys the Postfix
# adapter.  Runs the catalogue's cells (default: all; FILTER is danelab
# run's --filter regex) against the postfix target twice:
#   batch    one private Postfix instance, one batch of messages per
#            protocol and policy (the adapter's normal mode);
#   restart  DANELAB_POSTFIX_RESTART_EACH=1: the adapter stops and starts
#            its Postfix around every SMTP probe and delivers one message
#            at a time.
# Both are whole `danelab run`s (lab bring-up included), so the figures
# are what a user waits.  Prints both wall times and the ratio.
set -u
cd "$(dirname "$0")/.." || exit 2
filter=${1:-.}
out=${DANELAB_BENCH_OUT:-/tmp/danelab-postfix-bench.$$}
mkdir -p "$out" || exit 2
make -s || exit 2

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
cells() { tail -n 1 "$1"; }

smtp=$(./danelab list --filter "$filter" | awk '$2 == "smtp"' | wc -l)
echo "postfix bench: filter '$filter', $smtp smtp cells (both policies); reports under $out"

t0=$(now)
./danelab run --target postfix --filter "$filter" --out "$out/batch" > "$out/batch.log" 2>&1
rc1=$?
t1=$(now)
# A generous per-probe deadline: the run verb's budget is deadline x
# (1 + probes/16), and one restart per probe is slow.
DANELAB_POSTFIX_RESTART_EACH=1 ./danelab run --target postfix --filter "$filter" \
	--deadline 60000 --out "$out/restart" > "$out/restart.log" 2>&1
rc2=$?
t2=$(now)

b=$(ms "$t0" "$t1")
r=$(ms "$t1" "$t2")
printf 'batch   (one instance, one batch):  %6d.%03d s  exit %d  %s\n' $((b / 1000)) $((b % 1000)) "$rc1" "$(cells "$out/batch.log")"
printf 'restart (one restart per probe):    %6d.%03d s  exit %d  %s\n' $((r / 1000)) $((r % 1000)) "$rc2" "$(cells "$out/restart.log")"
if [ "$b" -gt 0 ]; then
	printf 'speed-up: %d.%01dx\n' $((r / b)) $(((r * 10 / b) % 10))
fi
