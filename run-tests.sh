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
	sh harness/tests/report-render.sh >"$TMP/render.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*) tap_ok "report: ${line#ok * - }" ;;
		"not ok "*) tap_not_ok "report: ${line#not ok * - }" ;;
		esac
	done <"$TMP/render.out"
	grep -q "^ok \|^not ok " "$TMP/render.out" ||
		{ cat "$TMP/render.out"; tap_not_ok "report: the Chromium check ran"; }
	# The adapters' log parsers on real log excerpts (golden files).
	sh harness/tests/adapters.sh >"$TMP/adapters.out" 2>&1 || grep -q "^not ok " "$TMP/adapters.out" ||
		{ cat "$TMP/adapters.out"; tap_not_ok "adapters: the golden tests ran"; }
	while IFS= read -r line; do case $line in "ok "*) tap_ok "adapters: ${line#ok * - }" ;; "not ok "*) tap_not_ok "adapters: ${line#not ok * - }" ;; "# "*) echo "$line" ;; esac; done <"$TMP/adapters.out"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	# The manual pages: they render, they match the help texts and the
	# scenario parser, make install puts them in place.
	sh harness/tests/man.sh >"$TMP/man.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*" # SKIP "*) desc=${line#ok * - }
			tap_skip "man: ${desc%% \# SKIP *}" "${line##* \# SKIP }" ;;
		"ok "*) tap_ok "man: ${line#ok * - }" ;;
		"not ok "*) tap_not_ok "man: ${line#not ok * - }" ;;
		"# "*) echo "$line" ;;
		esac
	done <"$TMP/man.out"
	grep -q "^ok \|^not ok " "$TMP/man.out" ||
		{ sed "s/^/# /" "$TMP/man.out"; tap_not_ok "man: the manual page checks ran"; }
fi

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	# The source tree keeps the shape of harness/README.md's module map.
	sh harness/tests/layers.sh >"$TMP/layers.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*) tap_ok "layers: ${line#ok * - }" ;;
		"not ok "*) tap_not_ok "layers: ${line#not ok * - }" ;;
		"# "*) echo "$line" ;;
		esac
	done <"$TMP/layers.out"
	grep -q "^ok \|^not ok " "$TMP/layers.out" ||
		{ sed "s/^/# /" "$TMP/layers.out"; tap_not_ok "layers: the source-tree checks ran"; }
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
	sh harness/tests/readme.sh >"$TMP/readme.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP "*) what=${line#ok * - }; tap_skip "readme: ${what%% \# SKIP *}" "${line#* \# SKIP }" ;;
		"ok "*) tap_ok "readme: ${line#ok * - }" ;;
		"not ok "*) tap_not_ok "readme: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$TMP/readme.out"
	grep -q "^ok \|^not ok " "$TMP/readme.out" ||
		{ cat "$TMP/readme.out"; tap_not_ok "readme: the README's examples ran"; }
	# The CI recipes of ci/examples/: their shell steps, two local shards.
	sh harness/tests/ci-recipes.sh >"$TMP/ci-recipes.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP "*) what=${line#ok * - }; tap_skip "ci-recipes: ${what%% \# SKIP *}" "${line#* \# SKIP }" ;;
		"ok "*) tap_ok "ci-recipes: ${line#ok * - }" ;;
		"not ok "*) tap_not_ok "ci-recipes: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$TMP/ci-recipes.out"
	grep -q "^ok \|^not ok " "$TMP/ci-recipes.out" ||
		{ cat "$TMP/ci-recipes.out"; tap_not_ok "ci-recipes: the CI recipes ran"; }
fi

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
