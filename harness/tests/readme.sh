#!/bin/sh
# harness/tests/readme.sh - the README's examples, verbatim, in a fresh
# clone (POSIX sh; needs root, as the lab does).
#
# Clones the repository at HEAD into a temporary directory, builds there
# (make), and runs every command of every README.md block marked
#
#     <!-- readme-test -->
#     ```sh
#     ...
#     ```
#
# exactly as written, from the clone's top directory, checking its exit
# status (0: the README promises it for every example) and what the README
# says it leaves: reports/runs/latest/ after a run without --out, the
# --out directory and no "latest" beside it after a shard, the merged
# report, an answer with ad and a SERVFAIL from inside the lab, the
# verdict observe gives on the walk-through's client, nothing left
# after down (the lab and its endpoint process).  The README's two
# set-up commands (make demo, ./run-tests.sh) are not in marked blocks
# and are never run here.
# The lab of `up` gets its run directory through $DANELAB_LAB_DIR, which
# the README names as the default's override, so a lab of somebody else
# at /run/danelab/lab is not touched.
#
# Prints TAP ("ok N - ...", "not ok N - ...", "# ..." diagnostics, the
# plan last) and exits 1 if any test failed.
#
#   sh harness/tests/readme.sh            from the top of a git checkout

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd) || exit 3
TAP_WHAT="README examples"
. "$TOP/harness/tests/tap.sh"

need_clone_rights "$TOP"

W=$(mktemp -d /tmp/danelab-readme.XXXXXX) || exit 3
C=$W/clone
LAB=$W/lab
export DANELAB_LAB_DIR=$LAB
cleanup() {
	[ -e "$LAB/lab.state" ] && [ -x "$C/danelab" ] && "$C/danelab" down -q >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# examples FILE - the commands of the marked blocks, one per line
# (a line ending in a backslash is joined with the next)
examples() {
	awk '
	/^<!-- readme-test -->[ \t]*$/ { marked = 1; next }
	marked && /^```sh[ \t]*$/ { inblock = 1; marked = 0; next }
	inblock && /^```[ \t]*$/ { inblock = 0; next }
	inblock {
		line = cont $0
		if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); next }
		cont = ""
		if (line !~ /^[ \t]*(#|$)/) print line
		next
	}
	{ marked = 0 }
	' "$1"
}

start=$(date +%s)
fresh_clone "$TOP" "$C"
if (cd "$C" && make -s) >"$W/make.out" 2>&1 && [ -x "$C/danelab" ]; then
	ok "make builds ./danelab in the clone"
else
	not_ok "make builds ./danelab in the clone"
	diag "$W/make.out"
	echo "1..$N"
	exit 1
fi

examples "$C/README.md" >"$W/examples"
n=$(wc -l <"$W/examples")
# The set-up commands install packages and run everything: never here.
if grep -q 'make demo\|run-tests\.sh\|make deps' "$W/examples"; then
	not_ok "the marked examples of README.md leave the set-up commands out"
	grep 'make demo\|run-tests\.sh\|make deps' "$W/examples" | sed 's/^/#   /'
	echo "1..$N"
	exit 1
fi
if [ "$n" -ge 10 ] && grep -q -- '--shard 1/2 --out out/1' "$W/examples" &&
    grep -q -- '--shard 2/2 --out out/2' "$W/examples" &&
    grep -q 'report merge .*out/\*/results.json' "$W/examples" &&
    grep -q 'danelab up' "$W/examples" && grep -q 'danelab down' "$W/examples"; then
	ok "$n marked examples in README.md, the shard-and-merge recipe and up/exec/down among them"
else
	not_ok "$n marked examples in README.md, the shard-and-merge recipe and up/exec/down among them"
	sed 's/^/#   /' "$W/examples"
fi

FIVE="results.tap junit.xml results.json summary.md index.html"
# reports_in DIR - the five reports, each non-empty
reports_in() {
	for f in $FIVE; do
		[ -s "$1/$f" ] || { echo "no $1/$f"; return 1; }
	done
}
# latest_target - where reports/runs/latest points, or nothing
latest_target() { readlink "$C/reports/runs/latest" 2>/dev/null; }
# out_of CMD - the --out DIR of a command line, or nothing
out_of() { echo "$1" | sed -n 's/.*--out  *\([^ ]*\).*/\1/p'; }

# promised CMD OUT - what the README says CMD leaves, beyond exit 0;
# OUT is its output; latest_before was read before it ran
promised() {
	cmd=$1 out=$2
	case $cmd in
	*"danelab targets"*)
		grep -q '^ref  *available' "$out" || { echo "ref is not listed available"; return 1; } ;;
	*"danelab list"*)
		[ -s "$out" ] || { echo "an empty matrix"; return 1; }
		re=$(echo "$cmd" | sed -n "s/.*--filter '\([^']*\)'.*/\1/p")
		[ -z "$re" ] || ! awk '{print $1}' "$out" | grep -Evq "$re" ||
			{ echo "a line outside --filter '$re'"; return 1; } ;;
	*"danelab check"*)
		grep -q " no errors$" "$out" && ! grep -q warning "$out" ||
			{ echo "not a clean lint"; return 1; } ;;
	*"danelab run"*)
		d=$(out_of "$cmd")
		if [ -n "$d" ]; then
			reports_in "$C/$d" || return 1
			[ ! -e "$C/$d/../latest" ] || { echo "a latest beside $d"; return 1; }
			[ "$(latest_target)" = "$latest_before" ] ||
				{ echo "reports/runs/latest moved"; return 1; }
		else
			l=$(latest_target)
			[ -n "$l" ] && [ "$l" != "$latest_before" ] ||
				{ echo "reports/runs/latest did not move to the new run"; return 1; }
			reports_in "$C/reports/runs/latest" || return 1
		fi
		! grep "^not ok" "$C/${d:-reports/runs/latest}/results.tap" | grep -qv "# TODO" ||
			{ echo "a cell not ok without being an xfail"; return 1; } ;;
	*"report merge"*)
		d=$(out_of "$cmd")
		reports_in "$C/$d" || return 1
		want=0
		for s in "$C"/out/*/results.tap; do
			want=$((want + $(grep -c '^ok \|^not ok ' "$s")))
		done
		got=$(grep -c '^ok \|^not ok ' "$C/$d/results.tap")
		[ "$got" -gt 0 ] && [ "$got" -eq "$want" ] ||
			{ echo "$got cells merged, the shards have $want"; return 1; } ;;
	*"danelab up"*)
		[ -e "$LAB/lab.state" ] || { echo "no lab in $LAB"; return 1; } ;;
	*"exec -- dig "*)
		# what its comment in the README says the answer shows
		case $cmd in
		*"#"*SERVFAIL*)
			grep -q "status: SERVFAIL" "$out" || { echo "no SERVFAIL"; return 1; } ;;
		*"#"*"flags: ad"*)
			grep -q "status: NOERROR" "$out" && grep -q "^;; flags:[^;]* ad[ ;]" "$out" ||
				{ echo "no NOERROR answer with ad"; return 1; } ;;
		*) grep -q "status: NOERROR" "$out" || { echo "no NOERROR answer"; return 1; } ;;
		esac ;;
	*"danelab observe"*)
		# what its comment in the README says the verdict is
		case $cmd in
		*"#"*"verdict pass"*)
			grep -q "^  verdict: pass" "$out" || { echo "no verdict pass"; return 1; } ;;
		esac ;;
	*"danelab down"*)
		[ ! -e "$LAB/lab.state" ] || { echo "the lab's state is left"; return 1; }
		[ ! -e "$LAB/endpoints.pid" ] || { echo "the endpoints' PID file is left"; return 1; }
		[ -z "$(pgrep -f "$LAB/")" ] || { echo "processes of the lab left"; return 1; } ;;
	esac
}

while IFS= read -r cmd; do
	# the name in TAP: without its comment (a "#" would be a directive)
	name=$(echo "$cmd" | sed "s/[[:space:]]*#.*\$//")
	latest_before=$(latest_target)
	t0=$(date +%s)
	(cd "$C" && sh -c "$cmd") >"$W/ex.out" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - t0))
	if [ $rc -ne 0 ]; then
		not_ok "$name (exit $rc, wanted 0; ${secs} s)"
		diag "$W/ex.out"
	elif promised "$cmd" "$W/ex.out" >"$W/why.out" 2>&1; then
		ok "$name (${secs} s)"
	else
		not_ok "$name (what the README promises; ${secs} s)"
		diag "$W/why.out"
		diag "$W/ex.out"
	fi
done <"$W/examples"

# Nothing of the examples is left running: no lab, no run directory.
left=$(pgrep -f "$C/|$LAB/")
if [ -z "$left" ] && [ ! -e "$LAB/lab.state" ]; then
	ok "nothing left running after the examples ($(($(date +%s) - start)) s in all)"
else
	not_ok "nothing left running after the examples"
	[ -z "$left" ] || ps -o pid,args -p "$(echo $left | tr ' ' ,)" | sed 's/^/#   /'
fi
echo "1..$N"
[ "$FAILED" -eq 0 ]
