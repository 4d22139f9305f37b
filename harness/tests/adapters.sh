#!/bin/sh
# harness/tests/adapters.sh - golden tests of the target adapters' log
# parsers (harness/targets/parsers/PARSER.awk): a real log excerpt in, the
# expected verdict lines out.  Prints TAP ("ok N - postfix/grid-mixed"),
# exits 1 when any test fails.
#
#   sh harness/tests/adapters.sh                      run every case
#   DANELAB_UPDATE_GOLDEN=1 sh harness/tests/adapters.sh
#                                                     rewrite every .out
#
# A case is harness/tests/adapters/PARSER/CASE.in (the parser's standard
# input: an excerpt of a log kept by a real run) with
#   CASE.out     the expected standard output
#   CASE.vars    (optional) the parser's -v variables, one NAME=VALUE a line
#   CASE.probes  (optional) its content is the variable `probes` (postfix)
#   CASE.batch   (optional) its path is the variable `batch` (prosody-*)
# harness/tests/adapters/PARSER/WORDS lists the verdict words the parser
# prints in real runs: the cases together must show every one of them.
set -u
cd "$(dirname "$0")/../.." || exit 2
PARSERS=harness/targets/parsers
CASES=harness/tests/adapters
UPDATE=${DANELAB_UPDATE_GOLDEN:-0}
N=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/danelab-adapters.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM

ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }

# run_case PARSER DIR CASE - the parser's output for DIR/CASE.in on stdout
run_case() {
	set -- "$1" "$2" "$3" -f "$PARSERS/$1.awk"
	if [ -f "$2/$3.vars" ]; then
		while IFS= read -r rc_v; do
			[ -n "$rc_v" ] && set -- "$@" -v "$rc_v"
		done <"$2/$3.vars"
	fi
	[ -f "$2/$3.probes" ] && set -- "$@" -v "probes=$(cat "$2/$3.probes")"
	[ -f "$2/$3.batch" ] && set -- "$@" -v "batch=$2/$3.batch"
	rc_d=$2 rc_c=$3
	shift 3
	awk "$@" <"$rc_d/$rc_c.in"
}

# check_case PARSER DIR CASE - 0 when the output is the .out file (else 1,
# the difference in $TMP/diff)
check_case() {
	run_case "$1" "$2" "$3" >"$TMP/got" 2>&1
	diff -u "$2/$3.out" "$TMP/got" >"$TMP/diff"
}

for dir in "$CASES"/*/; do
	dir=${dir%/}
	p=${dir##*/}
	if [ ! -f "$PARSERS/$p.awk" ]; then
		not_ok "$p: a parser $PARSERS/$p.awk for the cases in $dir"
		continue
	fi
	for inf in "$dir"/*.in; do
		[ -f "$inf" ] || continue
		c=${inf##*/}
		c=${c%.in}
		if [ "$UPDATE" = 1 ]; then
			run_case "$p" "$dir" "$c" >"$dir/$c.out" 2>&1
			ok "$p/$c # updated $dir/$c.out"
		elif [ ! -f "$dir/$c.out" ]; then
			not_ok "$p/$c (no $dir/$c.out: DANELAB_UPDATE_GOLDEN=1 writes it)"
		elif check_case "$p" "$dir" "$c"; then
			ok "$p/$c"
		else
			not_ok "$p/$c"
			sed "s/^/# /" "$TMP/diff"
		fi
	done
	# The cases show every word the parser can print.
	if [ -f "$dir/WORDS" ]; then
		missing=
		for w in $(grep -v '^#' "$dir/WORDS"); do
			cat "$dir"/*.out 2>/dev/null |
			    awk -v w="$w" '$1 == w || $2 == w {f = 1} END {exit !f}' ||
			    missing="$missing $w"
		done
		if [ -z "$missing" ]; then
			ok "$p: the cases show every word of $dir/WORDS"
		else
			not_ok "$p: the cases show every word of $dir/WORDS (missing:$missing)"
		fi
	else
		not_ok "$p: $dir/WORDS lists the words the parser prints"
	fi
done

# Every parser has cases.
for f in "$PARSERS"/*.awk; do
	p=${f##*/}
	p=${p%.awk}
	if ls "$CASES/$p"/*.in >/dev/null 2>&1; then
		ok "$p: has golden cases"
	else
		not_ok "$p: has golden cases (none in $CASES/$p)"
	fi
done

# The golden tests can fail: a copy of a case whose expected output has
# one verdict word changed, and one whose input lost a line, must both be
# reported as a mismatch.
c=mandatory-mixed
if [ -f "$CASES/postfix/$c.in" ] && [ -f "$CASES/postfix/$c.out" ]; then
	mkdir -p "$TMP/altered"
	for f in "$CASES/postfix/$c".*; do cp "$f" "$TMP/altered/"; done
	awk '!done && $2 ~ /^(authenticated|refused)$/ {
		$2 = ($2 == "refused" ? "authenticated" : "refused"); done = 1 } {print}' \
	    "$CASES/postfix/$c.out" >"$TMP/altered/$c.out"
	if ! cmp -s "$CASES/postfix/$c.out" "$TMP/altered/$c.out" &&
	    ! check_case postfix "$TMP/altered" "$c" >/dev/null; then
		ok "an altered expected output (postfix/$c, one word changed) is a mismatch"
	else
		not_ok "an altered expected output (postfix/$c, one word changed) is a mismatch"
	fi
	cp "$CASES/postfix/$c.out" "$TMP/altered/$c.out"
	grep -v 'status=' "$CASES/postfix/$c.in" >"$TMP/altered/$c.in"
	if ! check_case postfix "$TMP/altered" "$c" >/dev/null; then
		ok "an altered log excerpt (postfix/$c, no status= lines) is a mismatch"
	else
		not_ok "an altered log excerpt (postfix/$c, no status= lines) is a mismatch"
	fi
else
	not_ok "a postfix case to alter ($CASES/postfix/$c.in, .out)"
fi

echo "1..$N"
[ "$FAILED" -eq 0 ]
