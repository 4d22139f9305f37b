#!/bin/sh
# run-tests.sh - danelab's whole test suite: the Check unit tests, then
# the lab tests (real NSD, real Unbound, real namespaces; need root).
# Installs what is missing (as root), builds, prints "ok N - name" /
# "not ok N - name", ends with "N passed, N failed[, N skipped]" and exits
# non-zero when any test failed.
#
#   ./run-tests.sh              everything
#   ./run-tests.sh unit         only the unit tests
#   ./run-tests.sh lab          only the lab tests
set -u
cd "$(dirname "$0")" || exit 3
TOP=$(pwd)
WHAT=${1:-all}

sh .ci/deps test || exit 3
make -s all harness/tests/check_danelab >/dev/null || { echo "build failed" >&2; exit 2; }

N=0 PASSED=0 FAILED=0 SKIPPED=0
# tap_ok NAME / tap_not_ok NAME / tap_skip NAME WHY - one result line
tap_ok() { N=$((N + 1)); PASSED=$((PASSED + 1)); echo "ok $N - $1"; }
tap_not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
tap_skip() { N=$((N + 1)); SKIPPED=$((SKIPPED + 1)); echo "ok $N - $1 # SKIP $2"; }

TMP=$(mktemp -d /tmp/danelab-tests.XXXXXX) || exit 3
trap 'rm -rf "$TMP"' EXIT INT TERM

# tap_script NAME SCRIPT - run a test script that prints TAP; its results
# join ours as "NAME: ...", its skips as skips, its "# " lines as they
# are; a script that prints no result at all is a failure showing its
# output.
tap_script() {
	ts_name=$1
	sh "$2" >"$TMP/$ts_name.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP "*) ts_what=${line#ok * - }
			tap_skip "$ts_name: ${ts_what%% \# SKIP *}" "${line##* \# SKIP }" ;;
		"ok "*) tap_ok "$ts_name: ${line#ok * - }" ;;
		"not ok "*) tap_not_ok "$ts_name: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$TMP/$ts_name.out"
	grep -q "^ok \|^not ok " "$TMP/$ts_name.out" ||
		{ sed "s/^/# /" "$TMP/$ts_name.out"; tap_not_ok "$ts_name: $2 ran"; }
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	# Check writes TAP for every test case; renumber into our stream.
	CK_TAP_LOG_FILE_NAME=$TMP/unit.tap CK_VERBOSITY=silent \
	DANELAB_DATADIR=$TOP ./harness/tests/check_danelab >"$TMP/unit.out" 2>&1
	unit_status=$?
	if [ ! -s "$TMP/unit.tap" ]; then
		cat "$TMP/unit.out"
		tap_not_ok "unit tests ran (runner exit $unit_status, no TAP)"
	else
		while IFS= read -r line; do
			case $line in
			"ok "*) tap_ok "unit: ${line#ok * - }" ;;
			"not ok "*) tap_not_ok "unit: ${line#not ok * - }" ;;
			esac
		done <"$TMP/unit.tap"
		[ "$unit_status" -eq 0 ] || grep -v '^$' "$TMP/unit.out" | sed 's/^/# /'
	fi
fi

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	# The HTML report, drawn by headless Chromium.
	tap_script report harness/tests/report-render.sh
	# The adapters' log parsers on real log excerpts (golden files).
	tap_script adapters harness/tests/adapters.sh
	# The manual pages: they render, they match the help texts and the
	# scenario parser, make install puts them in place.
	tap_script man harness/tests/man.sh
	# The source tree keeps the shape of harness/README.md's module map.
	tap_script layers harness/tests/layers.sh
fi

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	# The scenario linter on a broken file: every error, one pass, exit 2.
	./danelab check harness/tests/data/broken.scn >"$TMP/check.out" 2>&1
	check_status=$?
	check_ok=1
	for want in ":7: unknown keyword" ":8: host mx1: chain" \
	    ":3: scenario broken-a: missing expectation for smtp mandatory" \
	    ":19: tlsa usage \"256\" out of range" ":20: fault corrupt-rrsig" \
	    ":23: duplicate scenario id \"broken-a\"" \
	    ":29: scenario broken-c: proto xmpp-in needs the chain" \
	    ":33: identity: the scenario has no client chain" \
	    ":40: client: only for proto xmpp-in" ":40: client: chain \"no-such-chain\"" \
	    ":51: prefer: \"authenticated\" must be some, not all" ":52: expect ... not mx9: no such host"; do
		grep -q "broken.scn$want" "$TMP/check.out" || { echo "# missing: $want"; check_ok=0; }
	done
	if [ $check_status -eq 2 ] && [ $check_ok -eq 1 ]; then
		tap_ok "check: a broken scenario file gives every error with its line, exit 2"
	else
		sed "s/^/# /" "$TMP/check.out"
		tap_not_ok "check: a broken scenario file gives every error with its line, exit 2"
	fi
	# danelab pki against the openssl command line, record by record.
	pki_ok=1
	./danelab pki --chain no-root --name host=mx1.a.example. \
	    --name domain=a.example --tlsa "3 1 1 leaf" --tlsa "2 0 1 int" \
	    --tlsa "3 0 1 leaf" --out "$TMP/pki" >"$TMP/pki.out" 2>&1 || pki_ok=0
	spki=$(openssl x509 -in "$TMP/pki/no-root/0-leaf.pem" -pubkey -noout 2>/dev/null |
	    openssl pkey -pubin -outform DER 2>/dev/null | openssl dgst -sha256 -r | cut -d" " -f1)
	intd=$(openssl x509 -in "$TMP/pki/no-root/1-int.pem" -outform DER 2>/dev/null |
	    openssl dgst -sha256 -r | cut -d" " -f1)
	leafd=$(openssl x509 -in "$TMP/pki/no-root/0-leaf.pem" -outform DER 2>/dev/null |
	    openssl dgst -sha256 -r | cut -d" " -f1)
	for want in "3 1 1 $spki" "2 0 1 $intd" "3 0 1 $leafd"; do
		grep -qi "TLSA	$want" "$TMP/pki.out" || { echo "# no \"$want\""; pki_ok=0; }
	done
	if [ $pki_ok -eq 1 ] && [ -n "$spki" ]; then
		tap_ok "pki: danelab pki records equal the openssl command line's digests"
	else
		sed "s/^/# /" "$TMP/pki.out"
		tap_not_ok "pki: danelab pki records equal the openssl command line's digests"
	fi
	# One data-directory rule for every command: pki from elsewhere.
	if (cd "$TMP" && "$TOP/danelab" pki --list) >"$TMP/pki-list.out" 2>&1 &&
	    grep -qx full "$TMP/pki-list.out"; then
		tap_ok "pki --list works from outside the repository"
	else
		sed "s/^/# /" "$TMP/pki-list.out"
		tap_not_ok "pki --list works from outside the repository"
	fi
	# Baselines against the whole catalogue: a stale line, a wide glob.
	mkdir -p "$TMP/bl"
	printf '#!/bin/sh\necho fake 1.0\n' >"$TMP/bl/fake.sh"
	printf '# test\n*insecure* * mandatory wide\nno-such-scenario-* smtp * stale\ngrid-ee-s1-m1 smtp mandatory exact\n' >"$TMP/bl/fake.baseline"
	DANELAB_TARGETS_DIR=$TMP/bl ./danelab check scenarios >"$TMP/bl.out" 2>&1
	if [ $? -eq 0 ] && grep -q 'fake.baseline:2: warning: "\*insecure\*" matches scenarios of several areas' "$TMP/bl.out" &&
	    grep -q 'fake.baseline:3: warning: "no-such-scenario-\* smtp \*" matches no cell' "$TMP/bl.out" &&
	    ! grep -q 'fake.baseline:4' "$TMP/bl.out"; then
		tap_ok "check: warns about a baseline line that matches no cell or several areas"
	else
		sed "s/^/# /" "$TMP/bl.out"
		tap_not_ok "check: warns about a baseline line that matches no cell or several areas"
	fi
	if ./danelab check scenarios >"$TMP/check.out" 2>&1 &&
	    ! grep -q 'warning' "$TMP/check.out" &&
	    [ "$(./danelab list | wc -l)" -ge 150 ]; then
		tap_ok "check: the catalogue lints clean and expands to at least 150 lines"
	else
		sed "s/^/# /" "$TMP/check.out"
		tap_not_ok "check: the catalogue lints clean and expands to at least 150 lines"
	fi
fi

if [ "$WHAT" = all ] || [ "$WHAT" = lab ]; then
	. "$TOP/harness/tests/lab.sh"
	lab_tests
	# The README's examples, as written, in a fresh clone of HEAD.
	tap_script readme harness/tests/readme.sh
	# The CI recipes of ci/examples/: their shell steps, two local shards.
	tap_script ci-recipes harness/tests/ci-recipes.sh
fi

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
