#!/bin/sh
# harness/compare.sh - two runs' results.json compared cell by cell
# (target, scenario, protocol, policy), for `make stress` and for
# refactors that must not change behaviour.
#
#   sh harness/compare.sh [--verdicts|--reasons] OLD/results.json NEW/results.json
#
# Prints one line per difference: a cell whose verdict changed ("FLIP"),
# whose observed outcome changed ("OUTCOME"; not with --verdicts), or
# that is in one run only ("ONLY"); with --reasons also a cell whose
# reason changed once numbers (times, pids, queue ids, ports) are masked
# ("REASON": for deterministic targets; Prosody's log lines vary).  A
# change of a cell that a baseline lists as an intermittent deviation
# (the target's own nondeterminism) is printed as "intermittent" and not
# counted.  Ends with "N differences"; exits 1 if there is any, 2 on bad
# input.
set -u
MODE=outcomes
case ${1:-} in
--verdicts) MODE=verdicts; shift ;;
--reasons) MODE=reasons; shift ;;
esac
[ $# -eq 2 ] || { echo "usage: $0 [--verdicts|--reasons] OLD/results.json NEW/results.json" >&2; exit 2; }
for f in "$1" "$2"; do
	grep -q '"schema": "danelab-results"' "$f" 2>/dev/null ||
		{ echo "$0: $f: not a danelab results.json" >&2; exit 2; }
done
T=$(mktemp -d /tmp/danelab-compare.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT

# cells FILE - "key<TAB>verdict<TAB>observed<TAB>flag<TAB>reason", sorted
# by key (target/scenario/proto/policy); flag "intermittent" or "-"
cells() {
	grep '^{"scenario"' "$1" |
	sed -n 's/^{"scenario": "\([^"]*\)".*"target": "\([^"]*\)",\( "resolver": "[^"]*",\)\? "proto": "\([^"]*\)", "policy": "\([^"]*\)".*"observed": "\([^"]*\)", "verdict": "\([^"]*\)", "reason": "\(\([^"\\]\|\\.\)*\)".*/\2\/\1\/\4\/\5\t\7\t\6\t\8/p' |
	awk -F'\t' 'BEGIN { OFS = "\t" } {
		flag = index($4, "intermittent deviation") ? "intermittent" : "-"
		# Postfix queue ids (hex, before ": to=" or "queued as") are
		# numbers too.
		r = $4; gsub(/[0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F]+:/, "QID:", r)
		gsub(/queued as [0-9A-F]+/, "queued as QID", r); gsub(/[0-9]+(\.[0-9]+)*/, "N", r)
		print $1, $2, $3, flag, r
	}' | sort -t '	' -k1,1
}

cells "$1" >"$T/old"
cells "$2" >"$T/new"
# A format this script no longer reads must not pass for "no differences".
for f in "$1" "$2"; do
	[ "$(grep -c '^{"scenario"' "$f")" -eq "$(cells "$f" | wc -l)" ] ||
		{ echo "$0: $f: cannot read every cell (a newer results.json?)" >&2; exit 2; }
done
{
	join -t '	' -j 1 "$T/old" "$T/new" |
		awk -F'\t' -v mode="$MODE" '{
			what = ""
			if ($2 != $6)
				what = "FLIP"
			else if (mode != "verdicts" && $3 != $7)
				what = "OUTCOME"
			else if (mode == "reasons" && $5 != $9)
				what = "REASON"
			if (what == "")
				next
			line = sprintf("%s: %s (%s) -> %s (%s)", $1, $2, $3, $6, $7)
			if (what == "REASON")
				line = line " reason: " $5 " -> " $9
			if ($4 == "intermittent" || $8 == "intermittent")
				print "intermittent " line
			else
				print what " " line
		}'
	join -t '	' -v 1 -v 2 "$T/old" "$T/new" | awk -F'\t' '{ print "ONLY " $1 }'
} >"$T/diff"
cat "$T/diff"
n=$(grep -cv '^intermittent ' "$T/diff")
echo "$n differences"
[ "$n" -eq 0 ]
