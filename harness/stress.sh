#!/bin/sh
# harness/stress.sh - `make stress`: is every verdict a function of the
# target's behaviour alone, whatever the machine's load?
#
# The main job once on the machine as it is (the reference run), then
# STRESS_RUNS times under a CPU hog of 2x the online CPUs (busy shell
# loops), then STRESS_REF_RUNS runs of `--target ref` under the same hog.
# Every run is compared with the reference run cell by cell (target,
# scenario, protocol, policy): a cell whose verdict differs is a *flip*.
# Prints each run's time and verdict counts, every flip, and the total;
# exits 1 when anything flipped (or a run could not be made).  Not part
# of run-tests.sh: with the defaults it takes about five times the main
# job.
#
#   STRESS_ARGS      options of the main job's runs (e.g. "--target
#                    postfix --filter ^wrong-"); default: the whole job
#   STRESS_REF_ARGS  options of ref's runs besides --target ref
#   STRESS_RUNS      loaded runs of the main job (default 3)
#   STRESS_REF_RUNS  loaded runs of ref alone (default 20)
#   STRESS_OUT       where the reports go (default: a new /tmp directory)
#   STRESS_DIR       the lab's run directory (default /run/danelab/stress)
set -u
cd "$(dirname "$0")/.." || exit 2
DL=./danelab
ARGS=${STRESS_ARGS:-}
REF_ARGS=${STRESS_REF_ARGS:-}
RUNS=${STRESS_RUNS:-3}
REF_RUNS=${STRESS_REF_RUNS:-20}
OUT=${STRESS_OUT:-$(mktemp -d /tmp/danelab-stress.XXXXXX)}
LAB=${STRESS_DIR:-/run/danelab/stress}
CPUS=$(getconf _NPROCESSORS_ONLN)
HOGS=
mkdir -p "$OUT" || exit 2

hog_stop() {
	# shellcheck disable=SC2086
	[ -n "$HOGS" ] && kill $HOGS 2>/dev/null
	HOGS=
}
trap 'hog_stop' EXIT
trap 'hog_stop; exit 130' INT
trap 'hog_stop; exit 143' TERM

hog_start() {	# 2 busy loops per CPU, ended by pid
	i=0
	while [ $i -lt $((2 * CPUS)) ]; do
		sh -c 'while :; do :; done' &
		HOGS="$HOGS $!"
		i=$((i + 1))
	done
}

# one NAME [ARGS] - one run into $OUT/NAME; prints time and counts
one() {
	name=$1
	shift
	start=$(date +%s)
	$DL run -q --dir "$LAB" --out "$OUT/$name" "$@" >"$OUT/$name.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	load=$(cut -d' ' -f1 /proc/loadavg)
	if [ ! -s "$OUT/$name/results.json" ]; then
		echo "$name: no report (exit $rc):"
		tail -5 "$OUT/$name.log"
		return 1
	fi
	printf '%-10s %5d s  load %5s  exit %d  %s\n' "$name" "$secs" "$load" "$rc" \
		"$(tail -1 "$OUT/$name.log" | sed 's/ in [0-9.]* s;.*//')"
}

# flips REF NAME - NAME against REF (harness/compare.sh --verdicts): every
# verdict flip (or cell in one run only), printed, one line each;
# intermittent deviations into NAME.intermittent, not counted; cells
# whose verdict stayed but outcome changed into NAME.outcomes
flips() {
	sh harness/compare.sh --verdicts "$OUT/$1/results.json" \
	    "$OUT/$2/results.json" >"$OUT/$2.compare"
	grep -v '^intermittent \|^[0-9]* differences$' "$OUT/$2.compare" | sed "s/^/$2 /"
	grep '^intermittent ' "$OUT/$2.compare" | sed "s/^/$2 /" >"$OUT/$2.intermittent"
	sh harness/compare.sh "$OUT/$1/results.json" "$OUT/$2/results.json" |
	    grep '^OUTCOME ' | sed "s/^/$2 /" >"$OUT/$2.outcomes"
}

echo "danelab stress: $CPUS CPUs, reports in $OUT"
echo "reference run (load as it is: $(cut -d' ' -f1-3 /proc/loadavg))"
# shellcheck disable=SC2086
one quiet $ARGS || exit 1
# shellcheck disable=SC2086
one ref-quiet --target ref $REF_ARGS || exit 1

hog_start
echo "CPU hog: $((2 * CPUS)) busy loops"
total=0 failed=0
k=1
while [ $k -le "$RUNS" ]; do
	# shellcheck disable=SC2086
	one "load$k" $ARGS || failed=1
	: >"$OUT/load$k.flips"
	[ -s "$OUT/load$k/results.json" ] && flips quiet "load$k" | tee "$OUT/load$k.flips"
	total=$((total + $(wc -l <"$OUT/load$k.flips")))
	k=$((k + 1))
done
k=1
while [ $k -le "$REF_RUNS" ]; do
	# shellcheck disable=SC2086
	one "ref$k" --target ref $REF_ARGS || failed=1
	: >"$OUT/ref$k.flips"
	[ -s "$OUT/ref$k/results.json" ] && flips ref-quiet "ref$k" | tee "$OUT/ref$k.flips"
	total=$((total + $(wc -l <"$OUT/ref$k.flips")))
	k=$((k + 1))
done
hog_stop
echo "verdict flips: $total (loaded runs of the main job: $RUNS; of ref: $REF_RUNS)"
inter=$(cat "$OUT"/*.intermittent 2>/dev/null | wc -l)
[ "$inter" -eq 0 ] || echo "not counted: $inter changes of cells that baselines list as intermittent deviations (the target's own nondeterminism; $OUT/*.intermittent)"
outc=$(cat "$OUT"/*.outcomes 2>/dev/null | wc -l)
[ "$outc" -eq 0 ] || echo "also: $outc cells with the same verdict but another observed outcome ($OUT/*.outcomes)"
[ "$total" -eq 0 ] && [ "$failed" -eq 0 ]
