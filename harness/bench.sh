#!/bin/sh
# harness/bench.sh - `make bench`: figures, not pass/fail.  Needs root.
#
#   sh harness/bench.sh [lab] [ref] [targets]     (default: all three)
#
#  lab      lab bring-up (zones built and signed, NSD and Unbound
#           answering) and peak memory for 10, 100 and 1000 child zones;
#  ref      `danelab run --target ref` over the whole catalogue, and over a
#           generated catalogue ten times larger (every scenario copied ten
#           times under new ids): wall time, CPU time (user and system,
#           the lab's daemons included) and peak memory; then what
#           creating 1,000 empty files costs where the reports go (a run
#           creates about 1,500), and the catalogue again with its lab and
#           reports on a tmpfs (/dev/shm), where that costs nothing;
#  targets  each real target over $BENCH_SCENARIOS (scenarios/smtp/grid.scn;
#           XMPP-only targets: $BENCH_XMPP_SCENARIOS, scenarios/xmpp/srv.scn)
#           in one run, side by side: its cells (skips left out), the run's
#           wall time, the
#           adapter's CPU (user+sys of every process it started, every verb)
#           and wall time per cell, the processes it started per cell
#           (procs: forks; execs: programs run), and
#           the floor: one bare `openssl s_client -brief` handshake (CPU and
#           wall), measured in the same run inside the lab, against an
#           `openssl s_server` serving the scenarios' chain "full" - then the
#           ratio CPU per cell / floor.  Targets: $BENCH_TARGETS (those of
#           the main job: openssl openssl-namechecks posttls-finger postfix
#           prosody).  The process counts come
#           from a second run under strace (its CPU is not counted).
#
# Every lab goes to $BENCH_DIR (default: the temporary directory, under
# $TMPDIR), every report to the temporary directory (never the default
# run directory), removed at the end (BENCH_KEEP=1: kept).  The target
# runs use the adapters through wrappers (DANELAB_TARGETS_DIR) that time
# each verb with the shell's `times`.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/danelab-bench.XXXXXX")
# The targets' private instances run as their own users (Postfix,
# Prosody): they must reach the labs under it.
chmod 755 "$tmp"
labs=${BENCH_DIR:-$tmp}
shm=
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp" ${shm:+"$shm"}' EXIT
sections=${*:-lab ref targets}

# timed LABEL CMD... - wall time, CPU time and peak RSS (GNU time) of one
# command
timed() {
	label=$1
	shift
	/usr/bin/time -f "$label: wall %e s, cpu %U s user + %S s sys\
 (the lab's daemons included), peak rss %M kB, exit %x" "$@" \
		>"$tmp/out" 2>"$tmp/err" || true
	grep -h "cells:" "$tmp/out" | sed 's/^/  /'
	tail -1 "$tmp/err"
}

bench_lab() {
	echo "== lab bring-up"
	for n in 10 100 1000; do
		./danelab bench --quiet --no-scenarios --dir "$labs/lab$n" --zones "$n"
	done
}

# fs_floor DIR - what creating 1,000 empty files costs in DIR: a run
# creates about 1,500 (its zones, its cells' detail files), and on some
# file systems (ext4 without a journal, after many files were deleted)
# that is a large part of a catalogue run
fs_floor() {
	mkdir -p "$1"
	fs0=$(date +%s%N)
	i=0
	while [ $i -lt 1000 ]; do
		: >"$1/f$i"
		i=$((i + 1))
	done
	fs1=$(date +%s%N)
	rm -rf "$1"
	echo "file system: 1000 empty files created in $(((fs1 - fs0) / 1000000)) ms in $(dirname "$1")"
}

bench_ref() {
	echo "== danelab run --target ref"
	timed "catalogue" ./danelab run -q --target ref --dir "$labs/ref1" --out "$tmp/r1"
	fs_floor "$tmp/fs"
	# The same on a tmpfs, where creating files costs next to nothing (as
	# under /run on a usual Debian system, danelab's default for labs):
	# danelab's own time, whatever the state of the disk above.
	if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
		shm=$(mktemp -d /dev/shm/danelab-bench.XXXXXX)
		timed "catalogue, lab and reports on tmpfs" ./danelab run -q \
			--target ref --dir "$shm/ref1" --out "$shm/r1"
		rm -rf "$shm"
	fi
	mkdir -p "$tmp/x10"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		mkdir -p "$tmp/x10/c$i"
		find scenarios -name '*.scn' | while read -r f; do
			sed "s/^scenario[[:space:]]\{1,\}\([^[:space:]]*\)/scenario \1-c$i/" \
				"$f" >"$tmp/x10/c$i/$(echo "$f" | tr / _)"
		done
	done
	timed "catalogue x10" ./danelab run -q --target ref --scenarios "$tmp/x10" \
		--dir "$labs/ref10" --out "$tmp/r10"
}

# wrappers DIR - DIR/T.sh for each target: runs the real adapter, then
# appends to $BENCH_OUT/cpu.T the verb's wall time (ns) and the `times`
# of everything it started (a second line: children's user and system
# time); under BENCH_STRACE=1 the adapter runs under strace instead, its
# fork and exec calls in $BENCH_OUT/st.T.PID.  The probe verb also
# measures the floor (floor_sh) into $BENCH_OUT/floor.T.
wrappers() {
	mkdir -p "$1"
	for t in $BENCH_TARGETS; do
		[ -f "harness/targets/$t.baseline" ] &&
			ln -s "$top/harness/targets/$t.baseline" "$1/$t.baseline"
		cat >"$1/$t.sh" <<EOF
#!/bin/sh
# bench wrapper of $top/harness/targets/$t.sh
[ "\$1" = probe ] && sh "$tmp/floor.sh" >"\$BENCH_OUT/floor.$t" 2>&1
if [ "\${BENCH_STRACE:-0}" = 1 ]; then
	exec strace -f -qq -e trace=execve,clone,clone3,fork,vfork \\
	    -o "\$BENCH_OUT/st.$t.\$\$" sh "$top/harness/targets/$t.sh" "\$@"
fi
times >"\$BENCH_OUT/t.\$\$"
{ read -r x; read -r t0; } <"\$BENCH_OUT/t.\$\$"
s=\$(date +%s%N)
sh "$top/harness/targets/$t.sh" "\$@"
st=\$?
e=\$(date +%s%N)
{ echo "wall \$((e - s))"; echo "t0 \$t0"; times >"\$BENCH_OUT/t.\$\$"; { read -r x; read -r t1; } <"\$BENCH_OUT/t.\$\$"; echo "t1 \$t1"; } >>"\$BENCH_OUT/cpu.$t"
exit \$st
EOF
	done
}

# floor_sh - the floor, as a script run inside the lab: N bare s_client
# handshakes against an s_server serving chain "full"; prints "floor N
# WALL_NS" and the `times` of the handshakes (this shell's children)
floor_sh() {
	./danelab pki --chain full --name host=mx1.grid-ee-s1-m1.example \
		--out "$tmp/pki" >/dev/null
	cat >"$tmp/floor.sh" <<EOF
n=20
addr=127.254.254.1:4465
openssl s_server -quiet -naccept \$n -accept \$addr -cert "$tmp/pki/full/chain.pem" \\
    -key "$tmp/pki/full/key.pem" </dev/null >/dev/null 2>&1 &
srv=\$!
i=0
while [ \$i -lt 50 ] && ! openssl s_client -brief -connect \$addr </dev/null >/dev/null 2>&1; do
	sleep 0.1; i=\$((i + 1))
done
n=\$((n - 1))
times >"$tmp/floor.t0.\$\$"
s=\$(date +%s%N)
i=0
while [ \$i -lt \$n ]; do
	openssl s_client -brief -connect \$addr -servername mx1.grid-ee-s1-m1.example \\
	    </dev/null >/dev/null 2>&1
	i=\$((i + 1))
done
e=\$(date +%s%N)
times >"$tmp/floor.t1.\$\$"
kill \$srv 2>/dev/null
wait \$srv 2>/dev/null
echo "floor \$n \$((e - s))"
sed -n 2p "$tmp/floor.t0.\$\$" | sed "s/^/before /"
sed -n 2p "$tmp/floor.t1.\$\$" | sed "s/^/after /"
EOF
}

bench_targets() {
	echo "== targets over $BENCH_SCENARIOS, prosody* over $BENCH_XMPP_SCENARIOS (cells: not skipped; CPU: the adapter and all it started; floor: one bare s_client handshake)"
	floor_sh
	wrappers "$tmp/targets"
	printf '%-20s %6s %8s %10s %10s %10s %10s %10s %10s %7s\n' target cells "wall s" \
		"cpu/cell" "wall/cell" "procs/cell" "execs/cell" "floor cpu" "floor wall" ratio
	for t in $BENCH_TARGETS; do
		o=$tmp/out.$t
		mkdir -p "$o"
		case $t in
		prosody*) scn=$BENCH_XMPP_SCENARIOS ;;
		*) scn=$BENCH_SCENARIOS ;;
		esac
		BENCH_OUT=$o DANELAB_TARGETS_DIR=$tmp/targets /usr/bin/time -f "%e" -o "$o/wall" \
			./danelab run -q --target "$t" --scenarios $scn \
			--dir "$labs/lab.$t" --out "$o/r" >"$o/log" 2>&1 || true
		if command -v strace >/dev/null 2>&1; then
			mkdir -p "$o/s"
			BENCH_OUT=$o/s BENCH_STRACE=1 DANELAB_TARGETS_DIR=$tmp/targets \
				./danelab run -q --target "$t" --scenarios $scn \
				--dir "$labs/lab.s.$t" --out "$o/s/r" >"$o/s/log" 2>&1 || true
		fi
		report_target "$t" "$o"
	done
}

# report_target T DIR - one line of figures; cells: those not skipped
report_target() {
	cells=$(sed -n 's/^\([0-9]*\) cells:.* \([0-9]*\) skip.*/\1 \2/p' "$2/log" |
		tail -n 1 | awk '{ print $1 - $2 }')
	[ -n "$cells" ] && [ "$cells" -gt 0 ] ||
		{ echo "$1: no cells but skips (see below)"; tail -n 5 "$2/log"; return; }
	errs=$(sed -n 's/^[0-9]* cells:.* \([0-9]*\) error.*/\1/p' "$2/log" | tail -n 1)
	[ "${errs:-0}" -eq 0 ] ||
		{ echo "$1: $errs of its cells are errors, so no figures; the first:"
		  grep -m 1 '^error' "$2/log" | cut -c 1-300; return; }
	procs=- execs=-
	if ls "$2/s/" 2>/dev/null | grep -q "^st\.$1\."; then
		procs=$(cat "$2/s/st.$1."* | grep -E '(^|[ >])(clone3?|v?fork)\(' |
			grep -vc CLONE_THREAD || true)
		execs=$(cat "$2/s/st.$1."* | grep -c 'execve.* = 0$' || true)
	fi
	cat "$2/cpu.$1" "$2/floor.$1" 2>/dev/null | awk -v t="$1" -v cells="$cells" \
	    -v procs="$procs" -v execs="$execs" -v wall="$(tail -n 1 "$2/wall")" '
	function sec(s,   m) {	# 1m2.500000s -> 62.5
		m = s; sub(/m.*/, "", m); sub(/^[0-9]*m/, "", s); sub(/s$/, "", s)
		return m * 60 + s
	}
	$1 == "wall" { aw += $2 / 1e9; next }
	$1 == "floor" { fn = $2; fw = $3 / 1e9; next }
	$1 == "before" { f0 = sec($2) + sec($3); next }
	$1 == "after" { f1 = sec($2) + sec($3); next }
	# user and system time of the children before and after a verb
	$1 == "t0" { c0 = sec($2) + sec($3); next }
	$1 == "t1" { cpu += sec($2) + sec($3) - c0; next }
	END {
		fc = fn > 0 ? (f1 - f0) / fn : 0
		pc = cells ? cpu / cells : 0
		pp = procs == "-" ? "-" : sprintf("%.1f", procs / cells)
		pe = execs == "-" ? "-" : sprintf("%.1f", execs / cells)
		fwc = fn > 0 ? fw / fn * 1000 : 0
		r = fc > 0 ? sprintf("%.1fx", pc / fc) : "-"
		printf "%-20s %6d %8.1f %8.1f ms %8.1f ms %10s %10s %7.1f ms %7.1f ms %7s\n", t, cells, wall, pc * 1000, aw / cells * 1000, pp, pe, fc * 1000, fwc, r
	}'
}

BENCH_TARGETS=${BENCH_TARGETS:-openssl openssl-namechecks posttls-finger postfix prosody}
BENCH_SCENARIOS=${BENCH_SCENARIOS:-scenarios/smtp/grid.scn}
BENCH_XMPP_SCENARIOS=${BENCH_XMPP_SCENARIOS:-scenarios/xmpp/srv.scn}
for s in $sections; do
	case $s in
	lab) bench_lab ;;
	ref) bench_ref ;;
	targets) bench_targets ;;
	*) echo "usage: sh harness/bench.sh [lab] [ref] [targets]" >&2; exit 2 ;;
	esac
done
