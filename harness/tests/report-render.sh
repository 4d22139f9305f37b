#!/bin/sh
# report-render.sh - render a run's index.html in headless Chromium and
# check the drawn matrix.  Joins the two committed shards
# harness/tests/data/report-shard{1,2}.json with `danelab report merge`
# (which must exit 1: they hold failures), then:
#   - --dump-dom: the script ran (body data-ready), one <td> per cell with
#     the right verdict class and text, counts per verdict as in the
#     totals, one row per scenario (31) plus one per area (3), the hostile
#     "</script>" scenario shown as text, the title untouched;
#   - the same with "#q=dnssec-case-0" in the URL: the text filter leaves
#     the 9 matching scenarios, hides 22;
#   - with "#cell=16": the detail panel, its link and frame to the
#     cell's file under cells/, whose text chromium opens; no detail
#     inline in index.html or results.json;
#   - a main-job-sized report (8000 cells, 2 KB details) made with awk:
#     index.html <= 5 MB, drawn whole, the last cell's detail linked;
#   - the TLS library families: without the run's "tls" lines one family
#     row "TLS library unknown"; with them (the shards given "tls"), the
#     row OpenSSL then GnuTLS above the targets, grouped ref, postfix,
#     exim, each filter box naming its family;
#   - one target under two validators: the first shard merged as a run
#     behind unbound and one behind knot, a validator row above the
#     families, the targets under each;
#   - --screenshot of the matrix with a cell's detail panel open.
# Prints "ok N - name" / "not ok N - name" and exits non-zero on any
# failure; without chromium it says so and skips (apt-get install chromium).
#
#   sh harness/tests/report-render.sh [KEEP_DIR]
# KEEP_DIR keeps the report, the DOM dumps and screenshot.png there.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$TOP/harness/tests/data
N=0 FAILED=0

ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
check() { # check NAME COMMAND..: ok if the command succeeds
	name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	echo "ok 1 - report renders in chromium # SKIP chromium not installed"
	exit 0
fi
[ -x "$TOP/danelab" ] || make -s -C "$TOP" danelab >/dev/null 2>&1 ||
	{ echo "not ok 1 - build danelab (make -C $TOP danelab)"; exit 2; }

if [ $# -gt 0 ]; then
	OUT=$1
	mkdir -p "$OUT" || exit 2
	SCRATCH=$(mktemp -d /tmp/danelab-render.XXXXXX) || exit 2
else
	OUT=$(mktemp -d /tmp/danelab-render.XXXXXX) || exit 2
	SCRATCH=$OUT
fi
PROFILE=$(mktemp -d /tmp/danelab-chromium.XXXXXX) || exit 2
trap 'rm -rf "$PROFILE"; [ "$SCRATCH" = "$OUT" ] || rm -rf "$SCRATCH";
	[ $# -gt 0 ] || rm -rf "$OUT"' EXIT INT TERM

# chrome ARGS.. - headless Chromium, no network, a throwaway profile
chrome() {
	"$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run --disable-default-apps \
	    --disable-dev-shm-usage --user-data-dir="$PROFILE" "$@" 2>>"$SCRATCH/chromium.log"
}

# count PATTERN FILE - lines... no: occurrences of a fixed string
count() { grep -o -F -- "$1" "$2" | wc -l | tr -d ' '; }

start=$(date +%s)
RUN=$OUT/run
"$TOP/danelab" report merge --out "$RUN" "$DATA/report-shard1.json" \
    "$DATA/report-shard2.json" 2>"$SCRATCH/merge.log"
status=$?
check "report merge of two shards exits 1 (they hold failures)" [ "$status" -eq 1 ]
check "index.html written" [ -s "$RUN/index.html" ]

URL=file://$RUN/index.html
t0=$(date +%s)
chrome --dump-dom "$URL" >"$OUT/dom.html"
t1=$(date +%s)
check "chromium dumped the DOM" [ -s "$OUT/dom.html" ]
check "the page script ran to the end" grep -q 'data-ready="yes"' "$OUT/dom.html"
check "the title is the run's (no injected script ran)" \
    grep -q '<title>danelab run 20261128-162200-1234</title>' "$OUT/dom.html"

cells=$(count '<td class="v v-' "$OUT/dom.html")
check "one verdict cell per result (360, got $cells)" [ "$cells" -eq 360 ]
for v in pass fail xfail xpass skip error; do
	want=$(sed -n 's/.*"totals": {.*"'$v'": \([0-9]*\).*/\1/p' "$RUN/results.json")
	got=$(count "<td class=\"v v-$v\" data-i=" "$OUT/dom.html")
	text=$(grep -o "<td class=\"v v-$v\"[^>]*>$v</td>" "$OUT/dom.html" | wc -l | tr -d ' ')
	check "$v: $want cells coloured and labelled (got $got, $text)" \
	    [ "$got,$text" = "$want,$want" ]
done
rows=$(count '<tr><th>' "$OUT/dom.html")
areas=$(count '<tr class="area">' "$OUT/dom.html")
check "31 scenario rows (one hostile) in 3 areas (got $rows in $areas)" \
    [ "$rows,$areas" = "31,3" ]
check "the hostile scenario id is shown as text" \
    grep -q 'hostile-&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;' "$OUT/dom.html"
check "column headers: 3 targets, 12 policy columns" \
    [ "$(count '<th colspan="4">' "$OUT/dom.html")" -eq 3 ]
check "all 31 scenarios shown unfiltered" \
    grep -q 'showing 31 of 31 scenarios' "$OUT/dom.html"

chrome --dump-dom "$URL#q=dnssec-case-0" >"$OUT/dom-filtered.html"
check "the text filter leaves 9 of 31 scenarios" \
    grep -q 'showing 9 of 31 scenarios' "$OUT/dom-filtered.html"
hidden=$(count '<tr style="display: none;"><th>' "$OUT/dom-filtered.html")
check "22 scenario rows hidden by the filter (got $hidden)" [ "$hidden" -eq 22 ]

chrome --dump-dom "$URL#cell=16" >"$OUT/dom-panel.html"
check "a cell's details open in the side panel" \
    grep -q 'id="p-observed">encrypted</dd>' "$OUT/dom-panel.html"
href=$(sed -n 's/.*<a id="p-detail-link" href="\([^"]*\)".*/\1/p' "$OUT/dom-panel.html")
check "the panel links the cell's detail file (got $href)" \
    [ "$href" = cells/exim/dnssec-case-03-smtp-mandatory.txt ]
check "the panel frames the detail file" \
    grep -q "<iframe id=\"p-detail\"[^>]* src=\"file://$RUN/$href\"" "$OUT/dom-panel.html"
chrome --dump-dom "file://$RUN/$href" >"$OUT/dom-detail.html"
check "the detail link opens the cell's transcript" \
    grep -q '&lt;&lt;&lt; 220 mx1.dnssec-case-03.example ESMTP' "$OUT/dom-detail.html"
check "no detail inline in index.html or results.json" \
    [ "$(cat "$RUN/index.html" "$RUN/results.json" | count 'dnssec-case-03.example ESMTP' -)" -eq 0 ]

# A report the size of the main job's (8 targets x 1000 scenarios, a
# 2 KB detail each: 20 MB with the details inline) stays small.
BIG=$SCRATCH/big.json
awk 'BEGIN {
	d = "<<< 220 mx1 ESMTP\\n"; while (length(d) < 2000) d = d d;
	printf "{\"schema\": \"danelab-results\", \"version\": 1, \"run\": {\"id\": \"big\", \"started\": \"2026-11-29T00:00:00Z\", \"seconds\": 1, \"command\": \"danelab run\", \"targets\": \"\", \"shard\": null},\n\"cells\": [";
	n = 0;
	for (t = 0; t < 8; t++) for (s = 0; s < 1000; s++) {
		printf "%s\n{\"scenario\": \"big-scenario-%04d-with-a-long-name\", \"area\": \"area%d\", \"file\": \"scenarios/area%d/big.scn:%d\", \"summary\": \"a summary of about a hundred characters, as the catalogue has them, saying what is tested\", \"refs\": \"RFC7672 2.2.1, RFC7672 2.2\", \"target\": \"target%d\", \"proto\": \"smtp\", \"policy\": \"%s\", \"expected\": \"authenticated at mx1\", \"cite\": \"RFC7672 2.2\", \"preferred\": \"\", \"observed\": \"authenticated at mx1\", \"verdict\": \"pass\", \"reason\": \"target says authenticated: a line of about a hundred characters from the target about it\", \"detail\": \"%s\", \"seconds\": 0.123456789, \"not_preferred\": false}", n++ ? "," : "", s / 2, s % 10, s % 10, s, t, s % 2 ? "mandatory" : "opportunistic", d;
	}
	printf "\n],\n\"totals\": {\"pass\": %d, \"fail\": 0, \"xfail\": 0, \"xpass\": 0, \"skip\": 0, \"error\": 0}\n}\n", n;
}' >"$BIG"
t0=$(date +%s)
"$TOP/danelab" report merge --out "$OUT/big" "$BIG" 2>>"$SCRATCH/merge.log"
t1=$(date +%s)
size=$(wc -c <"$OUT/big/index.html" | tr -d ' ')
check "a main-job-sized report: index.html <= 5 MB (got $size bytes)" \
    [ "$size" -le 5000000 ]
chrome --dump-dom "file://$OUT/big/index.html#cell=7999" >"$OUT/dom-big.html"
t2=$(date +%s)
check "... drawn whole by chromium (8000 cells)" \
    [ "$(count '<td class="v v-pass' "$OUT/dom-big.html")" -eq 8000 ]
check "... its last cell's detail linked" \
    grep -q 'href="cells/target7/big-scenario-0499-with-a-long-name-smtp-mandatory.txt"' "$OUT/dom-big.html"
echo "# big report: merge $((t1 - t0)) s, dump-dom $((t2 - t1)) s"

# The TLS library families side by side: without "tls" (older runs) one
# family "TLS library unknown"; with it, a family row above the targets,
# the targets grouped by family (ref and postfix OpenSSL, then exim GnuTLS)
check "no \"tls\" in the run: one family, \"TLS library unknown\"" \
    grep -q '<tr class="hf"><th rowspan="4">scenario</th><th colspan="[0-9]*">TLS library unknown</th></tr>' "$OUT/dom.html"
for k in 1 2; do
	sed 's/"shard": "'$k'\/2"}/"shard": "'$k'\/2", "tls": "ref: OpenSSL\\nexim: GnuTLS\\npostfix: OpenSSL"}/' \
	    "$DATA/report-shard$k.json" >"$SCRATCH/tls-shard$k.json"
done
"$TOP/danelab" report merge --out "$OUT/tls" "$SCRATCH/tls-shard1.json" \
    "$SCRATCH/tls-shard2.json" 2>>"$SCRATCH/merge.log"
chrome --dump-dom "file://$OUT/tls/index.html" >"$OUT/dom-tls.html"
check "with \"tls\": a family row, OpenSSL then GnuTLS" \
    grep -q '<tr class="hf"><th rowspan="4">scenario</th><th colspan="[0-9]*">OpenSSL</th><th colspan="[0-9]*">GnuTLS</th></tr>' "$OUT/dom-tls.html"
check "... the targets grouped by family: ref, postfix, exim" \
    grep -q '<tr class="h0"><th colspan="[0-9]*">ref</th><th colspan="[0-9]*">postfix</th><th colspan="[0-9]*">exim</th></tr>' "$OUT/dom-tls.html"
check "... each target's family in its filter box" \
    grep -q 'exim (GnuTLS)' "$OUT/dom-tls.html"


# One target under two validators: the same shard as two runs, one
# behind unbound and one behind knot (the run's "resolver"; the cells
# lack theirs, as in older files, and take the run's): a validator row
# above the families, each validator's targets side by side under it
for r in unbound knot; do
	sed 's/"shard": "1\/2"}/"shard": "1\/2", "resolver": "'$r'"}/' \
	    "$DATA/report-shard1.json" >"$SCRATCH/res-$r.json"
done
"$TOP/danelab" report merge --out "$OUT/res" "$SCRATCH/res-unbound.json" \
    "$SCRATCH/res-knot.json" 2>>"$SCRATCH/merge.log"
check "merge of one shard behind unbound and behind knot: every cell kept (360)" \
    [ "$(count '"resolver": "' "$OUT/res/results.json")" -eq 361 ]
chrome --dump-dom "file://$OUT/res/index.html" >"$OUT/dom-res.html"
check "a validator row: unbound then knot" \
    grep -q '<tr class="hr"><th rowspan="5">scenario</th><th colspan="[0-9]*">validator: unbound</th><th colspan="[0-9]*">validator: knot</th></tr>' "$OUT/dom-res.html"
check "... each validator's targets under it: ref, postfix, exim twice" \
    grep -q '<tr class="h0"><th colspan="2">ref</th><th colspan="2">postfix</th><th colspan="2">exim</th><th colspan="2">ref</th><th colspan="2">postfix</th><th colspan="2">exim</th></tr>' "$OUT/dom-res.html"
check "... a filter box per target and validator" \
    grep -q 'postfix@knot (TLS library unknown)' "$OUT/dom-res.html"
check "... 360 verdict cells drawn" \
    [ "$(count '<td class="v v-' "$OUT/dom-res.html")" -eq 360 ]
t2=$(date +%s)
chrome --window-size=1600,1000 --hide-scrollbars \
    --screenshot="$OUT/screenshot.png" "$URL#cell=16" >/dev/null
t3=$(date +%s)
check "screenshot written" [ -s "$OUT/screenshot.png" ]
if grep -qi 'http' "$SCRATCH/chromium.log" 2>/dev/null; then
	grep -i http "$SCRATCH/chromium.log" | sed 's/^/# /'
fi

echo "# dump-dom $((t1 - t0)) s, screenshot $((t3 - t2)) s, all $((t3 - start)) s"
[ $# -gt 0 ] && echo "# kept in $OUT"
[ "$FAILED" -eq 0 ]
