#!/bin/sh
# harness/tests/ci-recipes.sh - the CI recipes of ci/examples/, their
# shell steps as written, in a fresh clone (POSIX sh; needs root, as the
# lab does).
#
# Each recipe (github-actions.yml, gitlab-ci.yml) marks the steps that
# matter with a comment line "# ci-step: NAME" right before a `run: |`
# or `- |` block: build, shard, merge, diff.  This script takes those
# blocks out with awk (no YAML library), and runs them, each with
# `sh -e` from the clone's top directory, with the recipe's own variables
# and the CI's variables of a two-shard matrix (GitHub: SHARD=1,2
# SHARDS=2; GitLab: CI_NODE_INDEX=1,2 CI_NODE_TOTAL=2).  Narrowed so that
# it takes a minute or two: DANELAB_FILTER two neighbouring scenarios of
# the catalogue (so each shard gets one), DANELAB_TARGETS ref (Postfix is
# always there: --target postfix=$POSTFIX_BIN, the package's binary).
#
# It checks: both shards ran (exit 0, results.json with "shard": "I/2"),
# the merge made junit.xml holding the sum of the shards' cells, the diff
# step passes without a baseline and against a baseline the test made
# (this run's merged results.json, at the recipe's DANELAB_BASELINE), and
# fails (exit 1, REGRESSED) when a shard is run again with a Postfix that
# no longer does DANE (DNSSEC lookups off: DANELAB_POSTFIX_MAIN_CF, the
# adapter's knob for main.cf) and merged.  Then, with that run's failures
# kept as the baseline, the diff passes; with one of them edited to a pass
# in the baseline, it fails with one regression.  A regression needs a
# cell that fails in the new run (harness/report/diff.c): no edit of the
# baseline alone can make one out of a run where every cell passes.
#
# Both recipes run in one clone (out/, merged/, diff/ and the baseline
# removed in between), built once by the first recipe's build step.
# The shards' labs (--dir) are under $DANELAB_CI_LABS when it is set,
# else in a temporary directory under /run (mode 755: the targets' own
# users, e.g. postfix, must reach their work directories).
#
# Prints TAP ("ok N - ...", "not ok N - ...", "# ..." diagnostics, the
# plan last) and exits 1 if any test failed.
#
#   sh harness/tests/ci-recipes.sh        from the top of a git checkout

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd) || exit 3
TAP_WHAT="CI recipes"
. "$TOP/harness/tests/tap.sh"
# check NAME COMMAND... - one test: ok when COMMAND succeeds, else its
# output as diagnostics
check() {
	name=$1
	shift
	if "$@" >"$W/check.out" 2>&1; then ok "$name"; else not_ok "$name"; diag "$W/check.out"; fi
}

need_clone_rights "$TOP"

W=$(mktemp -d /tmp/danelab-ci-recipes.XXXXXX) || exit 3
C=$W/clone
# The labs' directories must be reachable by the targets' own users
# (Postfix runs as postfix): not below the mode-700 $W.
if [ -n "${DANELAB_CI_LABS:-}" ]; then
	LABS=$DANELAB_CI_LABS MADE=
else
	LABS=$(mktemp -d /run/danelab-ci-recipes.XXXXXX) || exit 3
	chmod 755 "$LABS"
	MADE=$LABS
fi
cleanup() {
	rm -rf "$W" "$LABS/github" "$LABS/gitlab" ${MADE:+"$MADE"}
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# step FILE NAME - the shell of the block marked "# ci-step: NAME", its
# indentation taken off; exit 1 when the marker is not followed (after
# comment lines) by a `run: |` or `- |` line
step() {
	awk -v want="$2" '
	function indent(s) { match(s, /^ */); return RLENGTH }
	state == 0 && $0 ~ "^[ ]*# ci-step: " want "[ ]*$" { state = 1; next }
	state == 1 && /^[ ]*#/ { next }
	state == 1 {
		if ($0 !~ /^[ ]*(run: |- )\|[ ]*$/) exit 1
		state = 2; base = indent($0); strip = -1; next
	}
	state == 2 && /^[ ]*$/ { blank = blank "\n"; next }
	state == 2 && indent($0) <= base { state = 3; exit }
	state == 2 {
		if (strip < 0) strip = indent($0)
		printf "%s", blank; blank = ""
		print substr($0, strip + 1)
	}
	END { if (state < 2) exit 1 }
	' "$1"
}

# markers FILE - the names of the marked steps, in order
markers() { sed -n 's/^ *# ci-step: \([a-z]*\) *$/\1/p' "$1"; }

# recipe_vars FILE - the recipe's global variables (env: or variables:)
# as NAME=VALUE lines, quotes taken off
recipe_vars() {
	awk '
	/^(env|variables):/ { inside = 1; next }
	/^[^ #]/ { inside = 0 }
	inside && /^  [A-Z_][A-Z0-9_]*: / {
		name = $1; sub(/:$/, "", name)
		value = $0; sub(/^  [A-Z_][A-Z0-9_]*: */, "", value); sub(/ *$/, "", value)
		if (value ~ /^".*"$/) value = substr(value, 2, length(value) - 2)
		print name "=" value
	}
	' "$1"
}

# cells FILE - the number of <testcase elements of a junit.xml
cells() { grep -o '<testcase ' "$1" | wc -l; }

start=$(date +%s)
fresh_clone "$TOP" "$C"

# pick_filter - two neighbouring scenarios of the catalogue, so that each
# shard gets one (shard I of 2 takes the scenarios whose index in the
# catalogue is I-1 modulo 2), as an --filter expression
pick_filter() {
	(cd "$C" && ./danelab list 2>/dev/null) | awk '!seen[$1]++ { print $1 }' |
	    awk '/^grid-ee-s1-m1$/ { a = $1; getline; printf "^%s$|^%s$", a, $1 }'
}
FILTER=

# run_step RECIPE NAME OUT [VAR=VALUE..] - the marked step NAME of
# RECIPE's file, with sh -e in the clone, the recipe's variables, then
# the given ones; its output in OUT; its exit status returned
run_step() {
	r=$1 name=$2 out=$3
	shift 3
	step "$C/ci/examples/$r" "$name" >"$W/$name.sh" || { echo "no step $name in $r" >"$out"; return 99; }
	(
		cd "$C" || exit 99
		while IFS= read -r v; do export "$v"; done <"$W/vars"
		for v in "$@"; do export "$v"; done
		sh -e "$W/$name.sh"
	) >"$out" 2>&1 </dev/null
}

# pass_one_fail IN OUT - results.json IN with its first failing cell made
# a pass, and the totals with it (a reader checks they agree), into OUT;
# exit 1 when IN has no failing cell
pass_one_fail() {
	awk '
	!done && /"verdict": "fail"/ { sub(/"verdict": "fail"/, "\"verdict\": \"pass\""); done = 1 }
	done && /^"totals": / {
		match($0, /"pass": [0-9]+/)
		$0 = substr($0, 1, RSTART - 1) "\"pass\": " substr($0, RSTART + 8, RLENGTH - 8) + 1 substr($0, RSTART + RLENGTH)
		match($0, /"fail": [0-9]+/)
		$0 = substr($0, 1, RSTART - 1) "\"fail\": " substr($0, RSTART + 8, RLENGTH - 8) - 1 substr($0, RSTART + RLENGTH)
	}
	{ print }
	END { exit !done }
	' "$1" >"$2"
}

# expect_diff STATUS PATTERN NAME - one test: the diff step of recipe $r
# exits STATUS and its output has a line matching PATTERN
expect_diff() {
	n=$((n + 1))
	run_step "$r" diff "$W/diff$n.out"
	rc=$?
	if [ $rc -eq "$1" ] && grep -q "$2" "$W/diff$n.out"; then
		ok "$r: $3, exit $1"
	else
		not_ok "$r: $3 (exit $rc, wanted $1)"
		diag "$W/diff$n.out"
	fi
}
n=0

# recipe FILE CI - every test of one recipe; CI is github or gitlab
recipe() {
	r=$1 ci=$2 f=$C/ci/examples/$1
	rm -rf "$C/out" "$C/merged" "$C/diff" "$C/ci/baseline"
	want="build shard merge diff"
	got=$(markers "$f" | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$want" ] && ! for s in $want; do step "$f" "$s"; done | grep -q '\${{'; then
		ok "$r: the steps $want are marked, and use no CI expression"
	else
		not_ok "$r: the steps $want are marked, and use no CI expression (found: $got)"
		echo "1..$N"
		exit 1
	fi
	# The recipe's variables, then the test's narrowing.
	recipe_vars "$f" >"$W/vars"
	{
		echo "DANELAB_TARGETS=ref"
		echo "DANELAB_LABS=$LABS/$ci"
		if [ "$ci" = github ]; then
			echo "SHARDS=2"
			echo "GITHUB_STEP_SUMMARY=$W/summary.md"
		else
			echo "CI_NODE_TOTAL=2"
		fi
	} >>"$W/vars"
	: >"$W/summary.md"
	baseline=$(sed -n 's/^DANELAB_BASELINE=//p' "$W/vars")
	pfbin=$(sed -n 's/^POSTFIX_BIN=//p' "$W/vars")

	t0=$(date +%s)
	if run_step "$r" build "$W/build.out" && [ -x "$C/danelab" ]; then
		ok "$r: build: sh .ci/deps, make ($(($(date +%s) - t0)) s)"
	else
		not_ok "$r: build: sh .ci/deps, make"
		diag "$W/build.out"
		return
	fi
	[ -n "$FILTER" ] || FILTER=$(pick_filter)
	[ -n "$FILTER" ] || FILTER='^grid-ee-s1-m1$|^grid-ee-s1-m2$'
	echo "# DANELAB_FILTER='$FILTER' DANELAB_TARGETS=ref, labs in $LABS/$ci"
	echo "DANELAB_FILTER=$FILTER" >>"$W/vars"

	for i in 1 2; do
		if [ "$ci" = github ]; then set -- "SHARD=$i"; else set -- "CI_NODE_INDEX=$i"; fi
		t0=$(date +%s)
		run_step "$r" shard "$W/shard$i.out" "$@"
		rc=$?
		if [ $rc -eq 0 ] && grep -q '"shard": "'$i'/2"' "$C/out/$i/results.json" 2>/dev/null &&
		    [ "$(cells "$C/out/$i/junit.xml")" -gt 0 ] &&
		    grep -q '"target": "postfix"' "$C/out/$i/results.json" &&
		    grep -q "postfix=$pfbin" "$C/out/$i/results.json"; then
			ok "$r: shard $i of 2: $(cells "$C/out/$i/junit.xml") cells, ref and postfix=$pfbin ($(($(date +%s) - t0)) s)"
		else
			not_ok "$r: shard $i of 2 (exit $rc)"
			diag "$W/shard$i.out"
		fi
	done

	run_step "$r" merge "$W/merge.out"
	rc=$?
	sum=$(($(cells "$C/out/1/junit.xml" 2>/dev/null || echo 0) + $(cells "$C/out/2/junit.xml" 2>/dev/null || echo 0)))
	got=$(cells "$C/merged/junit.xml" 2>/dev/null || echo 0)
	if [ $rc -eq 0 ] && [ "$got" -gt 0 ] && [ "$got" -eq "$sum" ]; then
		ok "$r: merge: merged/junit.xml holds the shards' $sum cells"
	else
		not_ok "$r: merge (exit $rc): merged/junit.xml holds $got cells, the shards $sum"
		diag "$W/merge.out"
	fi
	if command -v xmllint >/dev/null; then
		check "$r: merged/junit.xml is well formed XML" xmllint --noout "$C/merged/junit.xml"
	fi
	if [ "$ci" = github ]; then
		check "$r: the step summary has the merged report's summary.md" \
			grep -q "^\\*\\*$sum cells:\\*\\*" "$W/summary.md"
	fi

	expect_diff 0 "no baseline at $baseline" "diff without a baseline: says so"

	# The baseline: this run's merged report, where the recipe looks.
	mkdir -p "$C/$(dirname "$baseline")" && cp "$C/merged/results.json" "$C/$baseline"
	expect_diff 0 '^\*\*no differences\*\*' "diff against the baseline it made: no differences"
	check "$r: the diff step wrote diff/diff.md" test -s "$C/diff/diff.md"
	if [ "$ci" = github ]; then
		check "$r: the step summary has diff.md" grep -q '^\*\*no differences\*\*' "$W/summary.md"
	fi

	# A regressed build: shard 1 again with a Postfix without DNSSEC
	# lookups (so without DANE), merged with shard 2, against the baseline.
	if [ "$ci" = github ]; then set -- "SHARD=1"; else set -- "CI_NODE_INDEX=1"; fi
	run_step "$r" shard "$W/shard1b.out" "$@" "DANELAB_POSTFIX_MAIN_CF=smtp_dns_support_level=enabled"
	rc1=$?
	run_step "$r" merge "$W/merge2.out"
	rc2=$?
	if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && grep -q '"verdict": "fail"' "$C/merged/results.json"; then
		ok "$r: shard 1 again with a Postfix that does no DANE, merged: failing cells, exit 0"
	else
		not_ok "$r: shard 1 again with a Postfix that does no DANE: shard exit $rc1, merge $rc2 (wanted 0, 0 and failing cells)"
		diag "$W/shard1b.out"
	fi
	expect_diff 1 '^| postfix | [^ ]* | smtp | .*\*\*fail\*\*' "diff against the good baseline: REGRESSED (postfix cells)"

	# The failures of that run, kept as the baseline: not regressions.
	cp "$C/merged/results.json" "$C/$baseline"
	expect_diff 0 '^\*\*no differences\*\*' "diff against a baseline that has the same failures"
	# That baseline edited: one failing cell a pass in it, so one regression.
	pass_one_fail "$C/merged/results.json" "$C/$baseline" ||
		echo "# no failing cell in merged/results.json to edit"
	expect_diff 1 '^### Regressions (1)$' "diff against that baseline with one failing cell edited to a pass: one regression"
}

recipe github-actions.yml github
recipe gitlab-ci.yml gitlab

# GitHub's matrix has as many shards as SHARDS says.
f=$C/ci/examples/github-actions.yml
m=$(sed -n 's/^ *shard: \[\(.*\)\] *$/\1/p' "$f" | tr ',' '\n' | grep -c '[0-9]')
s=$(sed -n 's/^  SHARDS: *\([0-9]*\) *$/\1/p' "$f")
if [ "$m" -gt 0 ] && [ "$m" = "$s" ]; then
	ok "github-actions.yml: matrix.shard has SHARDS ($s) values"
else
	not_ok "github-actions.yml: matrix.shard has $m values, SHARDS is $s"
fi

left=$(pgrep -f "$LABS/|$C/")
if [ -z "$left" ]; then
	ok "nothing left running after the recipes ($(($(date +%s) - start)) s in all)"
else
	not_ok "nothing left running after the recipes"
	ps -o pid,args -p "$(echo $left | tr ' ' ,)" | sed 's/^/#   /'
fi
echo "1..$N"
[ "$FAILED" -eq 0 ]
