#!/bin/sh
# man.sh - the manual pages man/danelab.1 and man/danelab-scenario.5:
#   - each renders without a warning (groff -man -ww, and man -l at 80
#     columns where man-db is installed); without groff: a skip saying so
#     (Debian package groff-base);
#   - danelab(1) is in step with the program's help: every command of
#     `danelab --help` has a section ".SS danelab COMMAND ...", every long
#     option that `danelab --help` and `danelab COMMAND --help` print is
#     in the page, and every long option of the page is in some --help;
#   - danelab-scenario(5) is in step with the parser: every keyword the
#     parser accepts has a tagged paragraph (.TP, the keyword first) under
#     KEYWORDS, and the parser accepts every keyword tagged there.  The
#     parser's list is taken from its "unknown keyword" message when that
#     names the keywords, else from the keyword table of
#     scenarios/README.md; and the example scenarios pass danelab check;
#   - `make install DESTDIR=DIR` puts both pages in place, where man finds
#     them.
# Prints "ok N - name" / "not ok N - name" (with "# " lines saying what is
# wrong), then the plan; exits 1 if any failed.
#
#   sh harness/tests/man.sh
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MAN1=$TOP/man/danelab.1
MAN5=$TOP/man/danelab-scenario.5
N=0 FAILED=0

ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }
# enough FILE MIN WHAT - FILE has MIN lines or more, else say so and fail
enough() {
	[ "$(wc -l <"$1")" -ge "$2" ] && return 0
	echo "# only $(wc -l <"$1") $3 (the extraction broke?)"
	return 1
}
# subset NAME A B WHY - ok NAME if every line of sorted file A is in sorted
# file B, else name those that are not ("# WHY: ...") and not ok NAME
subset() {
	comm -23 "$2" "$3" >"$T/missing"
	if [ -s "$T/missing" ]; then
		echo "# $4: $(tr '\n' ' ' <"$T/missing")"
		not_ok "$1"
	else
		ok "$1"
	fi
}

T=$(mktemp -d /tmp/danelab-man.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT INT TERM

[ -x "$TOP/danelab" ] || make -s -C "$TOP" danelab >/dev/null 2>&1 ||
	{ echo "not ok 1 - build danelab (make -C $TOP danelab)"; echo "1..1"; exit 1; }
DANELAB=$TOP/danelab

# (a) Each page renders without a warning.
for page in "$MAN1" "$MAN5"; do
	name="${page#"$TOP"/} renders without warnings"
	if ! command -v groff >/dev/null 2>&1; then
		skip "$name" "groff is not installed (Debian: groff-base)"
		continue
	fi
	groff -man -ww -z "$page" >"$T/warn" 2>&1
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 man -l --warnings=w "$page" 2>>"$T/warn" >/dev/null
	fi
	if [ -s "$T/warn" ]; then
		diag <"$T/warn"
		not_ok "$name"
	else
		ok "$name"
	fi
done

# (b) danelab(1) and the help texts.
# page_text PAGE - the page's source without comments, \- written -
page_text() { grep -v '^\.\\"' "$1" | sed 's/\\-/-/g'; }
# lead_words - of each line of standard input, its leading lower-case words
# ("report merge [--out DIR]" -> "report merge"), if any
lead_words() {
	awk '{ c = ""; for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++)
		c = c (c == "" ? "" : " ") $i; if (c != "") print c }'
}
# long_options - the long options in standard input, one per line, sorted
long_options() { grep -o -- '--[a-z][a-z-]*' | sed 's/-*$//' | sort -u; }

"$DANELAB" --help >"$T/help" 2>&1 ||
	{ echo "# danelab --help exited $?"; }
# The commands: the lines of "Commands:" up to the first empty line, each
# "  NAME [NAME..]  ...": the leading lower-case words.
sed -n '/^Commands:/,/^$/p' "$T/help" | sed -n 's/^  \([a-z]\)/\1/p' |
	sed 's/  .*//' | lead_words >"$T/commands"
cp "$T/help" "$T/helps"
while IFS= read -r cmd; do
	# shellcheck disable=SC2086 # "report merge" is two words
	if "$DANELAB" $cmd --help >"$T/cmdhelp" 2>"$T/cmderr"; then
		cat "$T/cmdhelp" >>"$T/helps"
	else
		echo "# danelab $cmd --help: exit $?, no help: $(head -n 1 "$T/cmderr")"
	fi
done <"$T/commands"
page_text "$MAN1" >"$T/page1"

# The commands with a section ".SS danelab COMMAND ..." in the page.
sed -n 's/^\.SS "\{0,1\}danelab //p' "$T/page1" | sed 's/"//g' | lead_words |
	sort -u >"$T/sections"
sort -u "$T/commands" >"$T/commands.sorted"
name="danelab(1) has a section for every command of danelab --help"
if enough "$T/commands" 5 "commands in danelab --help"; then
	subset "$name" "$T/commands.sorted" "$T/sections" \
	    "no \".SS danelab COMMAND\" for"
else
	not_ok "$name"
fi
long_options <"$T/helps" >"$T/opts.help"
long_options <"$T/page1" >"$T/opts.page"
if enough "$T/opts.help" 10 "long options in the help texts"; then
	subset "danelab(1) names every long option of the help texts" \
	    "$T/opts.help" "$T/opts.page" "in a --help but not in danelab(1)"
	subset "every long option in danelab(1) is in some --help" \
	    "$T/opts.page" "$T/opts.help" "in danelab(1) but in no --help"
else
	not_ok "danelab(1) names every long option of the help texts"
	not_ok "every long option in danelab(1) is in some --help"
fi

# (b) danelab-scenario(5) and the parser's keywords.
# The parser's own list, where its "unknown keyword" message gives one.
printf 'scenario man-sh\nzz-no-such-keyword\n' >"$T/unknown.scn"
"$DANELAB" check "$T/unknown.scn" >"$T/unknown.out" 2>&1
sed -n 's/.*unknown keyword "zz-no-such-keyword"[^(]*(\([^)]*\)).*/\1/p' \
    "$T/unknown.out" | awk -F'[ ,|]+' '{ for (i = 1; i <= NF; i++) print $i }' |
	grep -E '^[a-z][a-z-]*$' | sort -u >"$T/keywords"
from="the parser's message"
if [ ! -s "$T/keywords" ]; then
	# scenarios/README.md, the table under "## Keywords": | `keyword` | ..
	# shellcheck disable=SC2016 # backquotes of Markdown, not the shell
	awk '/^## Keywords/ { f = 1; next } /^#/ { f = 0 } f' \
	    "$TOP/scenarios/README.md" |
		sed -n 's/^| `\([a-z][a-z-]*\)` |.*/\1/p' | sort -u >"$T/keywords"
	from="scenarios/README.md"
fi
# The page's: the first word of each tag under KEYWORDS.
page_text "$MAN5" | awk '/^\.SH/ { f = ($0 ~ /^\.SH "?KEYWORDS"?$/); next }
	f && tag { tag = 0; print } f && /^\.TP/ { tag = 1 }' |
	sed 's/\\f[BIRP]//g; s/^\.[BIR]*  *//; s/"//g' | awk '{ print $1 }' |
	sort -u >"$T/tags"
name="danelab-scenario(5) describes every scenario keyword ($from)"
if enough "$T/keywords" 10 "keywords in $from"; then
	subset "$name" "$T/keywords" "$T/tags" \
	    "without a tagged paragraph under KEYWORDS"
else
	not_ok "$name"
fi
# Each tag alone in a block of its own: the parser must know it.
k=0
while IFS= read -r kw; do
	k=$((k + 1))
	printf 'scenario man-sh-%d\n%s\n' "$k" "$kw"
done <"$T/tags" >"$T/tags.scn"
"$DANELAB" check "$T/tags.scn" >"$T/tags.out" 2>&1
if [ "$(wc -l <"$T/tags")" -ge 10 ] && ! grep 'unknown keyword' "$T/tags.out" >"$T/unknown.kw"; then
	ok "the parser accepts every keyword of danelab-scenario(5)"
else
	diag <"$T/unknown.kw"
	echo "# $(wc -l <"$T/tags") keywords tagged under KEYWORDS"
	not_ok "the parser accepts every keyword of danelab-scenario(5)"
fi

# The page's example scenarios (.EX blocks that start with a scenario
# line of a real id) pass danelab check.
page_text "$MAN5" | sed "s/\\\\(aq/'/g; s/\\\\&//g" |
	awk '/^\.EX/ { ex = 1; buf = ""; next }
	/^\.EE/ { if (buf ~ /^scenario +[a-z{]/) printf "%s", buf; ex = 0; next }
	ex { buf = buf $0 "\n" }' >"$T/examples.scn"
"$DANELAB" check "$T/examples.scn" >"$T/examples.out" 2>&1
count=$(sed -n 's/^\([0-9]*\) scenarios, no errors.*/\1/p' "$T/examples.out")
if [ "${count:-0}" -ge 3 ]; then
	ok "the examples of danelab-scenario(5) pass danelab check ($count scenarios)"
else
	diag <"$T/examples.out"
	not_ok "the examples of danelab-scenario(5) pass danelab check"
fi

# (c) make install DESTDIR=DIR puts both pages in place.
inst=$T/inst MANDIR=$T/inst/usr/local/share/man
if make -s -C "$TOP" install DESTDIR="$inst" PREFIX=/usr/local >"$T/install.out" 2>&1 &&
    cmp -s "$MAN1" "$MANDIR/man1/danelab.1" &&
    cmp -s "$MAN5" "$MANDIR/man5/danelab-scenario.5"; then
	ok "make install DESTDIR=DIR installs danelab.1 and danelab-scenario.5"
else
	diag <"$T/install.out"
	( cd "$inst" 2>/dev/null && find . -path '*man*' ) | diag
	not_ok "make install DESTDIR=DIR installs danelab.1 and danelab-scenario.5"
fi
if ! command -v man >/dev/null 2>&1; then
	skip "man finds the installed pages" "man is not installed (Debian: man-db)"
elif [ "$(man -M "$MANDIR" -w 1 danelab 2>&1)" = "$MANDIR/man1/danelab.1" ] &&
    [ "$(man -M "$MANDIR" -w 5 danelab-scenario 2>&1)" = "$MANDIR/man5/danelab-scenario.5" ]; then
	ok "man finds the installed pages"
else
	man -M "$MANDIR" -w 1 danelab 2>&1 | diag
	man -M "$MANDIR" -w 5 danelab-scenario 2>&1 | diag
	not_ok "man finds the installed pages"
fi

echo "1..$N"
[ "$FAILED" -eq 0 ]
