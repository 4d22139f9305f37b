# harness/tests/lab-faults.sh - faults during a run, sourced by lab.sh
# (POSIX sh; uses t, nothing_left, netns_of, run_fake, $DL, $TMP, $TOP):
# SIGINT or SIGTERM while the lab starts, during an adapter's batch and
# while the reports are written; a target killed mid-batch; a full disk
# under --out.  Each waits for a marker, not for a fixed time.

FAKES=$TOP/harness/tests/data/targets

# wait_for COMMAND... - until COMMAND succeeds, up to 20 s
wait_for() {
	i=0
	while ! "$@" && [ $i -lt 400 ]; do
		sleep 0.05; i=$((i + 1))
	done
	"$@"
}

# stage_of OUT - the staging directory of a report beside OUT, if any
stage_of() { ls -d "$(dirname "$1")/.$(basename "$1").tmp."* 2>/dev/null; }

# staged OUT FILE - is FILE written in OUT's staging directory?
staged() { sd=$(stage_of "$1") && [ -n "$sd" ] && [ -s "$sd/$2" ]; }

# stopped_clean RC SIGNAL LOG NS LABDIR OUT - a run stopped by SIGNAL
# exited 128+n saying so, and left no process, mount, namespace, run
# directory or report (nor its stage, nor latest)
stopped_clean() {
	rc=$1 sig=$2 log=$3 ns=$4 labdir=$5 out=$6
	cat "$log"
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	[ "$rc" -eq "$want" ] || { echo "exit $rc, wanted $want"; return 1; }
	grep -q "stopped by SIG$sig" "$log" || { echo "no word of SIG$sig"; return 1; }
	[ -n "$ns" ] || { echo "no lab namespace was seen"; return 1; }
	nothing_left "$ns" "$TMP/mounts.before" || return 1
	[ ! -e "$labdir" ] || { echo "run directory $labdir left"; ls -la "$labdir"; return 1; }
	[ ! -e "$out" ] || { echo "report $out left"; return 1; }
	[ -z "$(stage_of "$out")" ] || { echo "staging directory left"; return 1; }
	[ ! -e "$(dirname "$out")/latest" ] || { echo "latest left"; return 1; }
}

# next_run_works LABDIR - the same lab directory serves a normal run
next_run_works() {
	"$DL" run -q --target ref --filter '^grid-ee-s1-m1$' --dir "$1" \
		--out "$TMP/f-next" >"$TMP/f-next.out" 2>&1
	rc=$?
	rm -rf "$1" "$TMP/f-next" "$TMP/latest"
	[ $rc -eq 0 ] || { cat "$TMP/f-next.out"; echo "the next run: exit $rc"; return 1; }
}

# test_stop_start SIG - SIG while the lab's daemons start
test_stop_start() {
	lab=$TMP/f-start-lab out=$TMP/f-start/out
	printf '#!/bin/sh\necho $$ > %s/f-nsd.started\nexec sleep 30\n' "$TMP" >"$TMP/f-nsd"
	chmod +x "$TMP/f-nsd"
	rm -f "$TMP/f-nsd.started"
	DANELAB_NSD_BIN=$TMP/f-nsd "$DL" run -q --target ref \
		--filter '^grid-ee-s1-m1$' --dir "$lab" --out "$out" >"$TMP/f-start.out" 2>&1 &
	pid=$!
	wait_for test -s "$TMP/f-nsd.started" || echo "the fake nsd never started"
	ns=$(netns_of "$(pgrep -P $pid | head -1)")
	kill -"$1" $pid
	wait $pid
	stopped_clean $? "$1" "$TMP/f-start.out" "$ns" "$lab" "$out" &&
		next_run_works "$lab"
}

# test_stop_batch SIG - SIG while an adapter's batch runs
test_stop_batch() {
	lab=$TMP/f-batch-lab out=$TMP/f-batch/out
	rm -f "$TMP/f-slow.marker"
	DANELAB_TEST_MARKER=$TMP/f-slow.marker DANELAB_TARGETS_DIR=$FAKES \
		"$DL" run -q --target slow --filter '^grid-ee-s1-m1$|^tlsa-denied-nxdomain$' \
		--dir "$lab" --out "$out" >"$TMP/f-batch.out" 2>&1 &
	pid=$!
	wait_for test -s "$TMP/f-slow.marker" || echo "the slow adapter never ran"
	ns=$(netns_of "$(keeper "$lab")")
	kill -"$1" $pid
	wait $pid
	rc=$?
	[ -z "$(pgrep -f "$FAKES/slow.sh")" ] || { echo "the adapter still runs"; return 1; }
	stopped_clean $rc "$1" "$TMP/f-batch.out" "$ns" "$lab" "$out" &&
		next_run_works "$lab"
}

# test_stop_report - SIGTERM while the reports are written: the page's
# template is a FIFO, so writing blocks there until the signal is sent
test_stop_report() {
	lab=$TMP/f-report-lab out=$TMP/f-report/out data=$TMP/f-data
	mkdir -p "$data/reports"
	for e in "$TOP"/*; do
		[ "$e" = "$TOP/reports" ] || ln -sf "$e" "$data/"
	done
	for e in "$TOP"/reports/*; do
		ln -sf "$e" "$data/reports/"
	done
	rm -f "$data/reports/index.html.in"
	mkfifo "$data/reports/index.html.in"
	DANELAB_DATADIR=$data "$DL" run -q --target ref --filter '^grid-ee-s1-m1$' \
		--dir "$lab" --out "$out" >"$TMP/f-report.out" 2>&1 &
	pid=$!
	wait_for staged "$out" summary.md || echo "no report was being written"
	ns=$(netns_of "$(keeper "$lab")")
	kill -TERM $pid
	# Let the writer go on: it must notice the stop before renaming.
	timeout 10 sh -c 'cat "$1" >"$2"' - "$TOP/reports/index.html.in" \
		"$data/reports/index.html.in"
	wait $pid
	rc=$?
	rm -rf "$data"
	stopped_clean $rc TERM "$TMP/f-report.out" "$ns" "$lab" "$out" &&
		next_run_works "$lab"
}

# test_target_killed - an adapter killed with SIGKILL mid-batch: what it
# answered stands, every other cell is an error saying so
test_target_killed() {
	run_fake killed "$TMP/f-killed"
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	f=$TMP/f-killed/results.json
	n=$(grep -c '"verdict": "error", "reason": "target killed gave no verdict for this probe (killed by SIGKILL)' "$f")
	[ "$n" -eq 2 ] || { echo "$n errors saying SIGKILL, wanted 2"; return 1; }
	n=$(grep -c '"verdict": "skip", "reason": "killed: answered before the kill"' "$f")
	[ "$n" -eq 4 ] || { echo "$n answered cells, wanted 4"; return 1; }
	! grep -q '"verdict": "\(pass\|fail\|xpass\|xfail\)"' "$f" ||
		{ echo "a cell passed or failed"; return 1; }
}

# test_full_disk - a full file system under --out (64 KiB tmpfs in a
# mount namespace of its own): exit 3 naming the path and the error,
# no report, no stage, no latest
test_full_disk() {
	d=$TMP/f-full lab=$TMP/f-full-lab
	mkdir -p "$d"
	unshare -m sh -c '
		mount -t tmpfs -o size=64k danelab-full "$1" || exit 99
		dd if=/dev/zero of="$1/filler" bs=4k count=14 2>/dev/null
		"$2" run -q --target ref --filter "^grid-ee-s1-m1\$" \
			--dir "$3" --out "$1/out" >"$4.out" 2>&1
		rc=$?
		ls -A "$1" >"$4.ls"
		exit $rc' - "$d" "$DL" "$lab" "$TMP/f-full"
	rc=$?
	cat "$TMP/f-full.out"
	[ -z "$(pgrep -f "$lab/")" ] || { echo "daemons left"; return 1; }
	rm -rf "$lab"
	[ $rc -eq 3 ] || { echo "exit $rc, wanted 3"; return 1; }
	grep -q "cannot write $d/.*: No space left on device" "$TMP/f-full.out" ||
		{ echo "no message naming the path and the error"; return 1; }
	grep -q "no report written into $d/out" "$TMP/f-full.out" || return 1
	[ "$(cat "$TMP/f-full.ls")" = filler ] ||
		{ echo "left on the full disk:"; cat "$TMP/f-full.ls"; return 1; }
}

lab_faults_tests() {
	t "SIGTERM while the lab starts: exit 143, nothing left, the next run works" \
		test_stop_start TERM
	t "SIGINT during an adapter's batch: exit 130, nothing left, the next run works" \
		test_stop_batch INT
	t "SIGTERM during an adapter's batch: exit 143, nothing left, the next run works" \
		test_stop_batch TERM
	t "SIGTERM while the reports are written: exit 143, no report, nothing left" \
		test_stop_report
	t "a target killed with SIGKILL mid-batch: its other cells are errors saying so" \
		test_target_killed
	t "a full disk under --out: exit 3 naming path and error, no report left" \
		test_full_disk
}
