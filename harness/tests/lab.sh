# harness/tests/lab.sh - the lab tests, sourced by run-tests.sh (POSIX sh).
# Each test brings up real NSD and Unbound in real namespaces, asks real
# questions, and checks that nothing is left behind.  Uses tap_ok,
# tap_not_ok, tap_skip, $TOP and $TMP from run-tests.sh.

DL=$TOP/danelab

# t NAME COMMAND... - one test: ok when COMMAND succeeds
t() {
	name=$1
	shift
	if "$@" >"$TMP/t.out" 2>&1; then
		tap_ok "$name"
	else
		tap_not_ok "$name"
		sed 's/^/#   /' "$TMP/t.out" | head -40
	fi
}

# keeper DIR - the keeper pid of the lab in DIR
keeper() { cut -d' ' -f1 "$1/lab.state" 2>/dev/null; }

# netns_of PID - the inode name of a process's network namespace
netns_of() { readlink "/proc/$1/ns/net" 2>/dev/null; }

# procs_in NS - pids of every process in that network namespace
procs_in() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}

# mounts - the host's mount points, sorted
mounts() { awk '{print $5}' /proc/self/mountinfo | sort; }

# dig_in DIR ARGS - dig inside the lab in DIR, answer section and flags
dig_in() { d=$1; shift; "$DL" exec --dir "$d" -- dig +dnssec +tries=1 +time=3 "$@"; }

# expect_answer DIR NAME TYPE STATUS ad|-ad - rcode and AD as wanted
expect_answer() {
	d=$1 qn=$2 qt=$3 status=$4 ad=$5
	out=$(dig_in "$d" "$qn" "$qt") || { echo "$out"; return 1; }
	echo "$out"
	echo "$out" | grep -q "status: $status," || return 1
	flags=$(echo "$out" | sed -n 's/^;; flags: \([^;]*\);.*/\1/p')
	case $ad in
	ad) echo " $flags " | grep -q " ad " ;;
	-ad) ! echo " $flags " | grep -q " ad " ;;
	esac
}

# nothing_left NS MOUNTS_FILE - no process in NS (waiting up to 5 s for
# the kernel to end them), host mounts as before
nothing_left() {
	i=0
	while left=$(procs_in "$1") && [ -n "$left" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	[ -z "$left" ] || { echo "still running in $1: $left"; ps -o pid,args -p "$(echo $left | tr ' ' ,)"; return 1; }
	mounts >"$TMP/mounts.after"
	diff "$2" "$TMP/mounts.after" || { echo "host mounts changed"; return 1; }
}

# unprivileged BIN CMD - BIN CMD as nobody without capabilities: exit 3
# naming CAP_SYS_ADMIN
unprivileged() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$1" "$2" --dir "$d/lab" >"$TMP/unpriv.out" 2>&1
	rc=$?
	sed "s|^|$1 $2: |" "$TMP/unpriv.out"
	[ $rc -eq 3 ] && grep -q "CAP_SYS_ADMIN" "$TMP/unpriv.out" && return
	echo "$1 $2: exit $rc, wanted 3 naming CAP_SYS_ADMIN"
	return 1
}

# data_copy DIR - the danelab binary and its data directory copied into
# DIR, so that it runs from there (its data beside it)
data_copy() {
	mkdir -p "$1/reports" "$1/harness" &&
	    cp -a "$DL" "$TOP/zones" "$TOP/certs" "$TOP/scenarios" "$1/" &&
	    cp -a "$TOP/reports/index.html.in" "$1/reports/" &&
	    cp -a "$TOP/harness/targets" "$1/harness/"
}

# test_unprivileged - without CAP_SYS_ADMIN, a clear error and exit 3,
# before any other input: also from a copy of the checkout in a mode 700
# directory, whose data files the unprivileged user cannot read (up: run
# goes rootless instead, test_rootless)
test_unprivileged() {
	d=$(mktemp -d /tmp/danelab-unpriv.XXXXXX) && chmod 777 "$d"
	c=$(mktemp -d /tmp/danelab-unpriv-copy.XXXXXX) && data_copy "$c" || return 1
	bad=0
	unprivileged "$DL" up || bad=1
	unprivileged "$c/danelab" up || bad=1
	[ "$(stat -c %a "$c")" = 700 ] || { echo "$c is not mode 700"; bad=1; }
	rm -rf "$d" "$c"
	return $bad
}

# as_nobody CMD.. - CMD as nobody, without capabilities
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
}

# userns_works - can nobody make a user namespace and a mount namespace
# in it here?
userns_works() {
	as_nobody unshare --user --map-root-user --mount true 2>/dev/null
}

# test_rootless - run as nobody through a user namespace of its own: ref,
# openssl and gnutls pass a few scenarios, postfix is a skip saying it
# needs real root, the run leaves no process, --keep is exit 3; where
# this host refuses unprivileged user namespaces, exit 3 naming
# CAP_SYS_ADMIN instead
test_rootless() {
	d=$(mktemp -d /tmp/danelab-rootless.XXXXXX) && chmod 777 "$d"
	# nobody runs a copy: the checkout may sit in a directory it cannot
	# enter (a mode 700 clone), where its data files are out of reach.
	data_copy "$d/copy" && chmod -R go+rX "$d/copy" || return 1
	bad=0
	as_nobody "$d/copy/danelab" run --target ref,openssl,gnutls,postfix \
		--filter '^(grid-ee-s0-m0|xmpp-starttls-withheld)$' \
		--dir "$d/lab" --out "$d/out" >"$d/run.out" 2>&1
	rc=$?
	sed 's/^/run: /' "$d/run.out" | tail -20
	if ! userns_works; then
		echo "(unprivileged user namespaces refused here)"
		[ $rc -eq 3 ] && grep -q "CAP_SYS_ADMIN" "$d/run.out" || bad=1
		rm -rf "$d"
		return $bad
	fi
	[ $rc -eq 0 ] || { echo "exit $rc, wanted 0"; bad=1; }
	for tg in ref openssl gnutls; do	# passes; no fail, no error
		awk -v t=$tg '$1 == t && $3 > 0 && $5 == 0 && $9 == 0 { ok = 1 }
			END { exit !ok }' "$d/run.out" ||
			{ echo "$tg: no pass, or a fail or an error"; bad=1; }
	done
	grep -q '"reason": "postfix unavailable: needs real root: Postfix' "$d/out/results.json" ||
		{ echo "postfix's cells do not say it needs real root"; bad=1; }
	pgrep -f "$d/" && { echo "processes left"; bad=1; }
	as_nobody "$d/copy/danelab" run --keep --target ref --filter '^grid-ee-s0-m0$' \
		--dir "$d/lab2" --out "$d/out2" >"$d/keep.out" 2>&1
	rc=$?
	[ $rc -eq 3 ] && grep -q "keep needs root" "$d/keep.out" ||
		{ echo "run --keep rootless: exit $rc, wanted 3"; cat "$d/keep.out"; bad=1; }
	rm -rf "$d"
	return $bad
}

# test_rootless_refused - where user namespaces are refused (simulated:
# nobody in a user namespace whose own max_user_namespaces is 0, a limit
# of that namespace alone, gone with it; the host's is never written),
# run is exit 3 naming CAP_SYS_ADMIN and the setting
test_rootless_refused() {
	d=$(mktemp -d /tmp/danelab-refused.XXXXXX) && chmod 777 "$d"
	host_max=$(cat /proc/sys/user/max_user_namespaces)
	printf '0 0 1\n65534 65534 1\n' >"$d/map"
	mkfifo "$d/go"
	cat >"$d/inner.sh" <<-EOF
	echo 0 >/proc/sys/user/max_user_namespaces || exit 99
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \\
		"$DL" run --target ref --filter '^grid-ee-s0-m0\$' \\
		--dir "$d/lab" --out "$d/out"
	EOF
	unshare --user sh -c 'read x <"$0"; exec sh "$1"' "$d/go" "$d/inner.sh" \
		>"$d/out.txt" 2>&1 &
	p=$!
	i=0
	while [ "$(readlink /proc/$p/ns/user)" = "$(readlink /proc/self/ns/user)" ] &&
		[ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
	# one write each: a map is written once, whole
	cat "$d/map" >/proc/$p/uid_map && cat "$d/map" >/proc/$p/gid_map
	echo go >"$d/go"
	wait $p
	rc=$?
	cat "$d/out.txt"
	bad=0
	[ $rc -eq 3 ] || { echo "exit $rc, wanted 3"; bad=1; }
	grep -q "CAP_SYS_ADMIN.*max_user_namespaces is 0" "$d/out.txt" ||
		{ echo "the message names neither CAP_SYS_ADMIN nor the setting"; bad=1; }
	[ "$(cat /proc/sys/user/max_user_namespaces)" = "$host_max" ] ||
		{ echo "the host's max_user_namespaces changed"; bad=1; }
	rm -rf "$d"
	return $bad
}

# test_bad_daemon BIN EXPECT - a broken daemon: exit 3, message, no leftovers
test_bad_daemon() {
	d=$TMP/bad
	mounts >"$TMP/mounts.bad"
	before=$(ps -eo pid= | wc -l)
	DANELAB_NSD_BIN=$1 "$DL" up --dir "$d" --ready 1500 >"$TMP/bad.out" 2>&1
	rc=$?
	cat "$TMP/bad.out"
	[ $rc -eq 3 ] || { echo "exit $rc, wanted 3"; return 1; }
	grep -q "$2" "$TMP/bad.out" || { echo "no \"$2\" in the message"; return 1; }
	[ ! -e "$d/lab.state" ] || { echo "state file left"; return 1; }
	pgrep -f "$d/" && { echo "processes left"; return 1; }
	mounts >"$TMP/mounts.bad2"
	diff "$TMP/mounts.bad" "$TMP/mounts.bad2"
}

# test_interrupted_start - SIGINT while daemons start: nothing left
test_interrupted_start() {
	d=$TMP/intr
	"$DL" up --dir "$d" --ready 20000 --nsd "$TMP/fake-nsd" >"$TMP/intr.out" 2>&1 &
	up=$!
	i=0
	while [ ! -s "$TMP/fake-nsd.started" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	fake=$(cat "$TMP/fake-nsd.started" 2>/dev/null)
	kns=$(netns_of "$(pgrep -P $up | head -1)")
	kill -INT $up
	wait $up
	rc=$?
	cat "$TMP/intr.out"
	[ -n "$fake" ] || { echo "the fake daemon never started"; return 1; }
	[ $rc -eq 3 ] || { echo "exit $rc, wanted 3"; return 1; }
	[ -n "$kns" ] || { echo "no keeper found"; return 1; }
	nothing_left "$kns" "$TMP/mounts.before"
}

lab_tests() {
	if [ "$(id -u)" -ne 0 ]; then
		tap_skip "lab tests" "need root (CAP_SYS_ADMIN for namespaces)"
		return
	fi
	D=$TMP/lab
	sha_before=$(sha256sum /etc/resolv.conf 2>/dev/null)
	mounts >"$TMP/mounts.before"

	t "up brings the lab up" "$DL" up --dir "$D"
	NS=$(netns_of "$(keeper "$D")")
	t "the lab has its own network namespace" \
		test -n "$NS" -a "$NS" != "$(netns_of $$)"
	t "dig +dnssec . SOA in the lab shows ad" \
		expect_answer "$D" . SOA NOERROR ad
	t "a name in a secure child zone validates (ad)" \
		expect_answer "$D" www.secure.example. A NOERROR ad
	t "a corrupted RRSIG gives SERVFAIL" \
		expect_answer "$D" www.bogus.example. A SERVFAIL -ad
	t "an unsigned delegation answers without ad" \
		expect_answer "$D" www.insecure.example. A NOERROR -ad
	t "the lab's resolv.conf is overlaid inside the lab" \
		sh -c "'$DL' exec --dir '$D' -- cat /etc/resolv.conf | grep -q '^options trust-ad'"
	t "the root trust anchor files are overlaid inside the lab" \
		sh -c "'$DL' exec --dir '$D' -- cat /usr/share/dns/root.key | grep -q DNSKEY"
	t "the host's resolv.conf is unchanged while the lab is up" \
		test "$(sha256sum /etc/resolv.conf 2>/dev/null)" = "$sha_before"
	t "exec passes the command's exit status" \
		sh -c "'$DL' exec --dir '$D' -- sh -c 'exit 7'; test \$? -eq 7"
	t "a second up in the same directory is refused (exit 3)" \
		sh -c "'$DL' up --dir '$D'; test \$? -eq 3"
	t "Unbound's query log records names asked" \
		grep -q "www.secure.example. A IN" "$D/unbound.log"
	t "down stops the lab" "$DL" down --dir "$D"
	t "nothing left running, mounted or namespaced after down" \
		nothing_left "$NS" "$TMP/mounts.before"
	t "exec without a lab is an error (exit 3)" \
		sh -c "'$DL' exec --dir '$D' -- true; test \$? -eq 3"

	# A killed keeper: the kernel ends the lab; the next up cleans up.
	t "up again" "$DL" up --dir "$D"
	NS=$(netns_of "$(keeper "$D")")
	kill -KILL "$(keeper "$D")"
	t "after the keeper is killed nothing of the lab is left" \
		sh -c ". '$TOP/harness/tests/lab.sh'; TMP='$TMP'; nothing_left '$NS' '$TMP/mounts.before'"
	t "the next up finds and cleans the lab left behind" \
		sh -c "'$DL' up --dir '$D' 2>&1 | tee /dev/stderr | grep -q 'left behind'"
	t "down after recovery" "$DL" down --dir "$D"
	t "the host's resolv.conf is unchanged after down" \
		test "$(sha256sum /etc/resolv.conf 2>/dev/null)" = "$sha_before"
	. "$TOP/harness/tests/lab-freshhost.sh" && lab_freshhost_tests

	# Bad environments: one clear error, exit 3, nothing left.
	t "a missing daemon binary: exit 3 naming it" \
		test_bad_daemon /nonexistent/nsd "not an executable"
	printf '#!/bin/sh\necho "[nsd] error: cannot open zonesdir: Permission denied" >&2\nexit 1\n' >"$TMP/failing-nsd"
	chmod +x "$TMP/failing-nsd"
	t "a daemon that fails to start: exit 3 quoting its log" \
		test_bad_daemon "$TMP/failing-nsd" "exited with status 1.*cannot open zonesdir"
	printf '#!/bin/sh\necho $$ > %s/fake-nsd.started\nexec sleep 30\n' "$TMP" >"$TMP/fake-nsd"
	chmod +x "$TMP/fake-nsd"
	t "a daemon that never answers: exit 3 at the deadline" \
		test_bad_daemon "$TMP/fake-nsd" "did not answer"
	rm -f "$TMP/fake-nsd.started"
	t "SIGINT during start-up tears down (exit 3, nothing left)" \
		test_interrupted_start
	t "without CAP_SYS_ADMIN: exit 3 saying which privilege" \
		test_unprivileged
	t "run without root: through a user namespace (ref, openssl, gnutls pass; postfix a skip)" \
		test_rootless
	if unshare --user true 2>/dev/null; then
		t "run without root where user namespaces are refused: exit 3 naming CAP_SYS_ADMIN and the setting" \
			test_rootless_refused
	else
		tap_skip "run without root where user namespaces are refused" \
			"root cannot make the user namespace that simulates it here (unshare --user)"
	fi
	t "every DNSSEC state and fault answers as it must (rcode, AD)" \
		test_dns_faults
	t "danelab run: the whole catalogue passes against ref under hostile clients, reports well formed" \
		test_run_catalogue
	t "danelab run: a wrong expectation is a failure (exit 1)" \
		test_run_wrong
	t "danelab run: scenarios from a directory outside the repository" \
		test_run_outside
	t "danelab run: a broken scenario file is exit 2 with file:line, no report" \
		test_run_bad_scenario
	t "a target that is not installed is a skip with its reason, exit 0" \
		test_target_absent
	t "a target that hangs is killed at its deadline, its cells errors" \
		test_target_hang
	t "target output that cannot be parsed is an error naming target and line" \
		test_target_garbage
	t "a session carrying another probe's id is an error naming it, never a verdict" \
		test_target_late
	t "authenticated without the TLSA base domain as SNI is a fail (RFC 7672 8.1)" \
		test_target_nosni
	t "the README's sharding recipe: two shards, then report merge out/*/results.json" \
		test_shard_recipe
	t "--policy leaves the other policy's cells out; list takes --policy" \
		test_policy_subset
	t "danelab run: each cell lists the queries of its own scenario's names, in order; asks and never-asks are judged (a MUST fails, a SHOULD is not preferred)" \
		test_dns_queries
	if command -v tcpdump >/dev/null 2>&1; then
		t "danelab run --pcap: one capture in the report, a cell's filter shows its TLSA query; up --pcap until down; no tcpdump left" \
		    test_pcap
	else
		tap_skip "danelab run --pcap" "tcpdump not installed (apt-get install tcpdump)"
	fi
	t "danelab run: every real target (openssl, posttls-finger, postfix, postfix310, sendmail, prosody, prosody13, gnutls, ldns-dane, exim, exim498): every cell pass, xfail or skip" \
		test_run_targets
	t "--target openssl=WRAPPER runs that binary" \
		test_target_override
	if "$DL" targets 2>/dev/null | grep -q '^exim  *available' &&
	    "$DL" targets 2>/dev/null | grep -q '^exim498  *available'; then
		t "DANELAB_EXIM_CALLOUT=1: a TLSA SERVFAIL in a recipient-verify callout is Exim 4.96's paniclog entry (bug 3030, an error), not 4.98.2's; the callout is DANE (authenticated, refused)" \
			test_exim_callout
	else
		tap_skip "DANELAB_EXIM_CALLOUT=1 (Exim bug 3030)" "exim or exim498 not unpacked (sh harness/targets/lib/exim-fetch.sh)"
	fi
	t "up serves the endpoints; observe --json judges a real client as run would (no-connect pass, a mismatch fail with its reason)" \
		test_observe
	if why=$(connect_unavailable); then
		tap_skip "danelab connect: the lab connects to a receiving Prosody 13 run by hand in the lab; accepted and refused identities judged" "$why"
	else
		t "danelab connect: the lab connects to a receiving Prosody 13 run by hand in the lab; accepted and refused identities judged" \
			test_connect
	fi
	lab_resolver_tests
	. "$TOP/harness/tests/lab-faults.sh" && lab_faults_tests
	t "no lab, mount or daemon left at the end" \
		nothing_left "$NS" "$TMP/mounts.before"
}

# answer_is DIR NAME TYPE STATUS ad|-ad [tcp] - one line of the fault table
answer_is() {
	d=$1 qn=$2 qt=$3 st=$4 adf=$5
	out=$("$DL" exec --dir "$d" -- dig +dnssec +tries=1 +time=5 ${6:+"+$6"} "$qn" "$qt" 2>&1)
	got=$(echo "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	flags=$(echo "$out" | sed -n 's/^;; flags: \([^;]*\);.*/\1/p')
	case " $flags " in *" ad "*) gad=ad ;; *) gad=-ad ;; esac
	[ "$got" = "$st" ] && [ "$gad" = "$adf" ] && return 0
	echo "$qn $qt: got $got $gad, wanted $st $adf"
	return 1
}

# test_dns_faults - every DNSSEC state and fault of the scenario language,
# asked of the lab's Unbound: rcode and AD bit (harness/tests/data/dns-faults.scn)
test_dns_faults() {
	d=$TMP/faults
	"$DL" up -q --dir "$d" --scenarios "$TOP/harness/tests/data/dns-faults.scn" || return 1
	bad=0
	while read -r qn qt st adf via; do
		case $qn in ""|"#"*) continue ;; esac
		answer_is "$d" "$qn" "$qt" "$st" "$adf" $via || bad=1
	done <<'TABLE'
# name                                         type  rcode     ad
mx1.f-ok.example.                              A     NOERROR   ad
f-ok.example.                                  MX    NOERROR   ad
_25._tcp.mx1.f-ok.example.                     TLSA  NOERROR   ad
_xmpp-server._tcp.f-ok.example.                SRV   NOERROR   ad
alias.f-ok.example.                            A     NOERROR   ad
mx1.f-state-insecure.example.                  A     NOERROR   -ad
mx1.f-state-ds-mismatch.example.               A     SERVFAIL  -ad
mx1.f-state-unsupported-alg.example.           A     NOERROR   -ad
mx1.f-state-lame.example.                      A     SERVFAIL  -ad
_25._tcp.mx1.f-denial.example.                 TLSA  NXDOMAIN  ad
mx1.f-denial.example.                          TLSA  NOERROR   ad
_25._tcp.mx2.f-denial.example.                 TLSA  SERVFAIL  -ad
_25._tcp.mx1.f-insecure-denial.example.        TLSA  NXDOMAIN  -ad
_25._tcp.mx1.f-big-tlsa.example.               TLSA  NOERROR   ad   tcp
TABLE
	for kind in corrupt-rrsig missing-rrsig expired-rrsig future-rrsig; do
		z=f-$kind
		answer_is "$d" "$z-mx.example." MX SERVFAIL -ad || bad=1
		answer_is "$d" "mx1.$z-a.example." A SERVFAIL -ad || bad=1
		answer_is "$d" "mx1.$z-aaaa.example." AAAA SERVFAIL -ad || bad=1
		answer_is "$d" "mx1.$z-aaaa.example." A NOERROR ad || bad=1
		answer_is "$d" "_25._tcp.mx1.$z-tlsa.example." TLSA SERVFAIL -ad || bad=1
		answer_is "$d" "_xmpp-server._tcp.$z-srv.example." SRV SERVFAIL -ad || bad=1
		answer_is "$d" "alias.$z-cname.example." CNAME SERVFAIL -ad || bad=1
		answer_is "$d" "mx1.$z-ds.example." A SERVFAIL -ad || bad=1
		answer_is "$d" "mx1.$z-dnskey.example." A SERVFAIL -ad || bad=1
	done
	# The big RRset really needs TCP: NSD truncates it over UDP.
	"$DL" exec --dir "$d" -- dig @127.0.0.2 +norec +dnssec +bufsize=1232 \
		+ignore _25._tcp.mx1.f-big-tlsa.example. TLSA | grep -q "flags: qr aa tc" ||
		{ echo "the big TLSA RRset was not truncated over UDP"; bad=1; }
	"$DL" down -q --dir "$d"
	return $bad
}

# test_run_catalogue - the whole catalogue against ref, with hostile
# clients attacking decoy listeners meanwhile: every cell passes, all
# five reports are written and well formed, nothing is left running
test_run_catalogue() {
	out=$TMP/run-all
	"$DL" run -q --target ref --hostile --dir "$TMP/run-all-lab" --out "$out" \
		>"$TMP/run-all.out" ||
		{ echo "danelab run exit $?"; cat "$TMP/run-all.out"; return 1; }
	cat "$TMP/run-all.out"
	# Hostile clients hit decoy listeners on the same loop meanwhile.
	grep -q "^hostile: [1-9][0-9]* attacks" "$TMP/run-all.out" || return 1
	for f in results.tap junit.xml results.json summary.md index.html; do
		[ -s "$out/$f" ] || { echo "missing $f"; return 1; }
	done
	grep -q '^not ok' "$out/results.tap" && { grep '^not ok' "$out/results.tap" | head; return 1; }
	grep -q '^ok [0-9]* - ref/in-ee-spki-sha256 xmpp-in opportunistic$' "$out/results.tap" ||
		{ echo "no inbound (xmpp-in) cell passed"; return 1; }
	if command -v xmllint >/dev/null; then
		xmllint --noout "$out/junit.xml" || return 1
	fi
	# results.json must read back (the merge command parses it strictly).
	"$DL" report merge --out "$TMP/merged" "$out/results.json" >/dev/null || return 1
	cmp -s "$out/results.tap" "$TMP/merged/results.tap" || { echo "merge changed the TAP"; return 1; }
	[ -z "$(pgrep -f "$TMP/run-all-lab")" ] || { echo "daemons left running"; return 1; }
}

# test_run_wrong - a deliberately wrong expectation: exit 1 and a fail cell
test_run_wrong() {
	out=$TMP/run-wrong
	"$DL" run -q --scenarios "$TOP/harness/tests/data/wrong-expectation.scn" --out "$out"
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	grep -q '^not ok.*ref/wrong-expectation smtp' "$out/results.tap" &&
		grep -q '^not ok.*ref/wrong-inbound xmpp-in' "$out/results.tap"
}

# test_run_outside - scenarios outside the repository, by directory
test_run_outside() {
	ext=$(mktemp -d /tmp/danelab-ext.XXXXXX)
	sed 's/^scenario  *\(.*\)/scenario  ext-\1/; s/ cleartext / authenticated /' \
		"$TOP/harness/tests/data/wrong-expectation.scn" >"$ext/mine.scn"
	"$DL" run -q --target ref,openssl --scenarios "$ext" --out "$TMP/run-ext"
	rc=$?
	rm -rf "$ext"
	[ $rc -eq 0 ] && grep -q '^ok.*ext-wrong-expectation' "$TMP/run-ext/results.tap" &&
		grep -q '^ok.*ref/ext-wrong-inbound xmpp-in' "$TMP/run-ext/results.tap"
}

# test_run_bad_scenario - a broken scenario file: file:line, exit 2, no report
test_run_bad_scenario() {
	bad=$TMP/bad.scn
	printf 'scenario  b\nsummary   s\nrefs      RFC7672 2\nproto     smtp\nhost      mx1 no-such-chain\nfrobnicate\n' >"$bad"
	"$DL" run -q --scenarios "$bad" --out "$TMP/run-bad" 2>"$TMP/bad.err"
	rc=$?
	cat "$TMP/bad.err"
	[ $rc -eq 2 ] && grep -q "bad.scn:5:" "$TMP/bad.err" && grep -q "bad.scn:6:" "$TMP/bad.err" &&
		[ ! -e "$TMP/run-bad" ]
}

# run_fake TARGET OUT - danelab run against a test adapter of
# harness/tests/data/targets on two scenarios
run_fake() {
	DANELAB_TARGETS_DIR=$TOP/harness/tests/data/targets "$DL" run -q \
		--target "$1" --deadline 1500 \
		--filter '^grid-ee-s1-m1$|^tlsa-denied-nxdomain$' --out "$2"
}

# test_target_absent - a target that is not installed: skips, exit 0
test_target_absent() {
	run_fake absent "$TMP/t-absent" || return 1
	n=$(grep -c '^ok .* # SKIP .*absent-mta not installed' "$TMP/t-absent/results.tap")
	[ "$n" -eq 6 ] || { echo "$n skips with the reason, wanted 6"; return 1; }
}

# test_target_hang - a target that hangs: killed at its deadline, errors
test_target_hang() {
	run_fake hang "$TMP/t-hang"
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	n=$(grep -c '"verdict": "error", "reason": "target hang gave no verdict for this probe (killed at its deadline' "$TMP/t-hang/results.json")
	[ "$n" -eq 6 ] || { echo "$n errors, wanted 6"; return 1; }
	[ -z "$(pgrep -f 'hang.sh run')" ] || { echo "the hung adapter still runs"; return 1; }
}

# test_target_garbage - unparseable output: errors naming target and line
test_target_garbage() {
	run_fake garbage "$TMP/t-garbage"
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	grep -q 'target garbage: cannot parse output line \\"this is not a verdict line\\"' \
		"$TMP/t-garbage/results.json" || return 1
	# xmpp-in: a receiving server that fails to start makes its cells
	# errors quoting the adapter, exit 1
	DANELAB_TARGETS_DIR=$TOP/harness/tests/data/targets "$DL" run -q \
		--target garbage --filter '^in-ee-spki-sha256$' --out "$TMP/t-garbage-in"
	rc=$?
	[ $rc -eq 1 ] || { echo "serve failure: exit $rc, wanted 1"; return 1; }
	n=$(grep -c '"verdict": "error", "reason": "garbage serve [a-z]* failed (non-zero exit): garbage: cannot bind' \
		"$TMP/t-garbage-in/results.json")
	[ "$n" -eq 2 ] || { echo "$n serve errors, wanted 2"; return 1; }
}

# test_target_late - a session carrying another probe's id (a message of
# the previous batch delivered late) makes the cell an error naming it,
# never a pass or a fail; the first batch's cell is unaffected
test_target_late() {
	DANELAB_TARGETS_DIR=$TOP/harness/tests/data/targets "$DL" run -q \
		--target late --filter '^grid-ee-s1-m1$' --out "$TMP/t-late"
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	grep -q '^ok .* - late/grid-ee-s1-m1 smtp opportunistic$' "$TMP/t-late/results.tap" ||
		{ echo "the first batch's cell did not pass"; return 1; }
	grep -q '"verdict": "error", "reason": "1 stray session, made by no probe of this cell.s batch: grid-ee-s1-m1/mx1 127.1.0.1:25 (carrying probe c0 (late grid-ee-s1-m1 smtp opportunistic)' \
		"$TMP/t-late/results.json" || { echo "no error naming the stray session"; return 1; }
	grep -rq 'STRAY session at endpoint grid-ee-s1-m1/mx1' "$TMP/t-late/cells"
}

# test_target_nosni - a client that authenticates without SNI fails the
# cell, quoting RFC 7672 8.1 and the SNI the endpoint saw
test_target_nosni() {
	DANELAB_TARGETS_DIR=$TOP/harness/tests/data/targets "$DL" run -q \
		--target nosni --filter '^grid-ee-s1-m1$' --out "$TMP/t-nosni"
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	n=$(grep -c '"verdict": "fail", "reason": "expected authenticated at mx1, observed authenticated at mx1, but it authenticated mx1 with SNI none, not the TLSA base domain (RFC7672 8.1' \
		"$TMP/t-nosni/results.json")
	[ "$n" -eq 2 ] || { echo "$n SNI failures, wanted 2"; return 1; }
}

# test_shard_recipe - the README's sharding recipe, as written: two
# shards into out/1 and out/2, then report merge out/*/results.json
# (no "latest" beside a directory the user chose)
test_shard_recipe() {
	d=$TMP/shards
	mkdir -p "$d" && (
		cd "$d" || exit 1
		"$DL" run -q --target ref --filter '^grid-ee-' --shard 1/2 --out out/1 &&
		"$DL" run -q --target ref --filter '^grid-ee-' --shard 2/2 --out out/2 &&
		[ ! -e out/latest ] &&
		"$DL" report merge --out merged out/*/results.json
	) || return 1
	n=$(grep -c '^ok ' "$d/merged/results.tap")
	[ "$n" -gt 0 ] && [ "$(ls "$d/out")" = "$(printf '1\n2')" ]
}

# test_policy_subset - --policy leaves the other policy's cells out, as
# --filter leaves scenarios out (no "policy not selected" skips); list
# takes --policy too
test_policy_subset() {
	"$DL" run -q --target ref --policy mandatory --filter '^grid-ee-' \
		--out "$TMP/t-policy" || return 1
	! grep -q 'policy not selected' "$TMP/t-policy/results.json" &&
	    ! grep -q '"policy": "opportunistic"' "$TMP/t-policy/results.json" &&
	    grep -q '"policy": "mandatory"' "$TMP/t-policy/results.json" &&
	    [ "$("$DL" list --policy mandatory --filter '^grid-ee-' | grep -c opportunistic)" -eq 0 ] &&
	    [ "$("$DL" list --policy mandatory --filter '^grid-ee-' | wc -l)" -gt 0 ]
}

# test_run_targets - the catalogue against the real targets: every
# cell pass, a listed xfail or a skip with its reason (exit 0)
test_run_targets() {
	out=$TMP/run-targets
	"$DL" targets
	"$DL" run -q --out "$out" \
		--target openssl,posttls-finger,postfix,postfix310,sendmail,prosody,prosody13,gnutls,ldns-dane,exim,exim498 \
		>"$TMP/targets.out" 2>&1
	rc=$?
	cat "$TMP/targets.out"
	[ $rc -eq 0 ] || { grep -h '^not ok' "$out/results.tap" | head -20; return 1; }
	# Each target really ran: none may be skipped wholesale.
	for t in openssl posttls-finger postfix postfix310 sendmail prosody prosody13 gnutls ldns-dane exim exim498; do
		grep "^ok [0-9]* - $t/[^ ]* [a-z]* " "$out/results.tap" |
		    grep -qv "# SKIP\|# TODO" ||
			{ echo "no passing cell for $t"; return 1; }
	done
	# Both XMPP directions for Prosody 13 (ref: test_run_catalogue);
	# Prosody 13's own log shows its inbound DANE match.
	for c in "prosody13/in-ee-spki-sha256 xmpp-in opportunistic" \
	    "prosody13/in-ee-spki-sha256 xmpp-in mandatory" \
	    "prosody13/xmpp-ee-xmpp xmpp opportunistic"; do
		grep -q "^ok [0-9]* - $c\$" "$out/results.tap" ||
			{ echo "no passing cell $c"; return 1; }
	done
	grep -q 'xmpp-in' "$out/index.html" || { echo "index.html lacks xmpp-in"; return 1; }
	grep -rq 'DANE-EE SPKI SHA2-256 [0-9a-f]* matches' "$out/cells" ||
		{ echo "no DANE match in Prosody 13's log"; return 1; }
	# Exim authenticates by DANE (CV=dane in its mainlog), smtp and
	# smtps, both Exims.
	for c in "exim/ee-chain-no-root smtp mandatory" "exim/ee-chain-no-root smtps opportunistic" \
	    "exim498/ee-chain-no-root smtp mandatory"; do
		grep -q "^ok [0-9]* - $c\$" "$out/results.tap" ||
			{ echo "no passing cell $c"; return 1; }
	done
}

# test_exim_callout - the exim adapter's callout mode
# (scenarios/bugs/exim-3030-callout-tlsa-servfail.scn): Exim 4.96 writes
# "null conn-context pointer" to its paniclog when a callout meets a TLSA
# SERVFAIL (bug 3030, fixed in 4.98): an error cell quoting it, exit 1;
# 4.98.2 passes; a DANE match and a mismatch in a callout are
# authenticated and refused; smtps is a skip in this mode
test_exim_callout() {
	out=$TMP/callout
	# Exim drops to its own user: its lab under a directory it can
	# traverse ($TMP is mode 700).
	cl=$(mktemp -d /run/danelab-callout.XXXXXX) && chmod 755 "$cl" || return 1
	DANELAB_EXIM_CALLOUT=1 "$DL" run -q --dir "$cl/lab" --out "$out" \
		--target exim,exim498 --policy opportunistic \
		--filter '^(bogus-tlsa-corrupt-rrsig|ee-chain-expired|wrong-ee-other-key-m1)$' \
		>"$TMP/callout.out" 2>&1
	rc=$?
	rm -rf "$cl"
	cat "$TMP/callout.out"
	[ $rc -eq 1 ] || { echo "exit $rc, want 1 (Exim 4.96's paniclog entry is an error)"; return 1; }
	grep -A3 '^not ok [0-9]* - exim/bogus-tlsa-corrupt-rrsig smtp opportunistic$' "$out/results.tap" |
	    grep -q 'verdict: error' || { echo "no error cell for exim 4.96"; return 1; }
	grep -q 'paniclog: .*null conn-context pointer' "$out/cells/exim/bogus-tlsa-corrupt-rrsig-smtp-opportunistic.txt" ||
		{ echo "4.96's paniclog line not quoted"; return 1; }
	for c in exim498/bogus-tlsa-corrupt-rrsig exim/ee-chain-expired exim498/ee-chain-expired \
	    exim/wrong-ee-other-key-m1 exim498/wrong-ee-other-key-m1; do
		grep -q "^ok [0-9]* - $c smtp opportunistic\$" "$out/results.tap" ||
			{ echo "no passing cell $c"; return 1; }
	done
	grep -q '"observed": "authenticated at mx1"' "$out/results.json" ||
		{ echo "no callout authenticated"; return 1; }
	grep -q "^ok [0-9]* - exim/ee-chain-expired smtps opportunistic # SKIP" "$out/results.tap" ||
		{ echo "smtps not a skip in callout mode"; return 1; }
	[ "$(grep -c '^not ok' "$out/results.tap")" -eq 1 ] || { echo "more than one cell not ok"; return 1; }
}

# test_target_override - --target NAME=BIN tests that binary: a wrapper
# script around the real openssl is what the adapter runs
test_target_override() {
	w=$(mktemp -d /tmp/danelab-wrap.XXXXXX)
	printf '#!/bin/sh\necho "$*" >> %s/calls\nexec /usr/bin/openssl "$@"\n' "$w" >"$w/openssl"
	chmod 755 "$w/openssl"
	"$DL" run -q --target "openssl=$w/openssl" --filter '^grid-ee-s1-m1$' \
		--out "$TMP/run-wrap"
	rc=$?
	calls=$(grep -c s_client "$w/calls" 2>/dev/null)
	rm -rf "$w"
	[ $rc -eq 0 ] || { echo "exit $rc"; return 1; }
	[ "${calls:-0}" -ge 1 ] || { echo "the wrapper was never called"; return 1; }
	grep -q '^ok .* - openssl/grid-ee-s1-m1 smtp opportunistic$' "$TMP/run-wrap/results.tap"
}

# test_observe - up serves the scenarios' endpoints and observe --json
# judges what a real client did there as run would: posttls-finger (DANE)
# on a bogus TLSA RRset never connects, no-connect judged pass; openssl
# s_client without DANE goes on over TLS to a host whose TLSA matches no
# key, the session judged fail with its reason; each attempt apart from
# the one before (mark); the scenario's file named relative to the data
# directory; an unknown scenario is exit 2; down ends the
# endpoint process by its PID; a lab without endpoints is exit 3
test_observe() {
	d=$TMP/observe
	command -v posttls-finger >/dev/null || { echo "posttls-finger not installed (apt-get install postfix)"; return 1; }
	"$DL" up -q --dir "$d" --scenarios "$TOP/scenarios/dnssec/faults.scn" \
		--scenarios "$TOP/scenarios/smtp/grid.scn" || return 1
	ep=$(cut -d' ' -f1 "$d/endpoints.pid")
	mkdir -p "$TMP/ptf" && printf 'compatibility_level = 3.6\nsmtp_dns_support_level = dnssec\n' >"$TMP/ptf/main.cf"
	bad=0
	m=$("$DL" mark --dir "$d")
	"$DL" exec --dir "$d" -- env MAIL_CONFIG="$TMP/ptf" posttls-finger -t30 -T180 -c -l dane \
		-P /etc/ssl/certs "[mx1.bogus-tlsa-corrupt-rrsig.example]:25"
	"$DL" observe --dir "$d" --since "$m" --scenario bogus-tlsa-corrupt-rrsig --json >"$TMP/obs1.json"
	rc=$?
	cat "$TMP/obs1.json"
	[ $rc -eq 0 ] && grep -q '"proto": "smtp", "policy": "opportunistic", "verdict": "pass", "not_preferred": false, "expected": "no-connect", "observed": "no-connect"' "$TMP/obs1.json" ||
		{ echo "bogus TLSA: exit $rc, no no-connect judged pass"; bad=1; }
	# The scenario's file as the user knows it, not the absolute path up
	# recorded.
	"$DL" observe --dir "$d" --since "$m" --scenario bogus-tlsa-corrupt-rrsig >"$TMP/obs1.txt"
	grep -q '^bogus-tlsa-corrupt-rrsig smtp opportunistic (scenarios/dnssec/faults.scn:[0-9]*)$' "$TMP/obs1.txt" &&
		grep -q '"file": "scenarios/dnssec/faults.scn", "line": [0-9]*,' "$TMP/obs1.json" ||
		{ cat "$TMP/obs1.txt"; echo "observe does not name the scenario file relative to the data directory"; bad=1; }
	m=$("$DL" mark --dir "$d")
	printf 'EHLO client.example\r\nQUIT\r\n' | "$DL" exec --dir "$d" -- \
		openssl s_client -quiet -starttls smtp -connect mx1.wrong-ee-other-key-m1.example:25
	"$DL" observe --dir "$d" --since last --scenario wrong-ee-other-key-m1 --json >"$TMP/obs2.json"
	rc=$?
	cat "$TMP/obs2.json"
	[ $rc -eq 1 ] && grep -q '"verdict": "fail", "not_preferred": false, "expected": "refused at mx1", "observed": "encrypted at mx1", "reason": "expected refused at mx1, observed encrypted at mx1: the lab.s endpoints saw 1 smtp session", "cite": "RFC7672 3.2 RFC7671 4.1"' "$TMP/obs2.json" &&
		grep -q '"sessions": \[{"scenario": "wrong-ee-other-key-m1", "host": "mx1", "addr": "127\.[0-9.]*", "port": 25, "proto": "smtp", "sni": "mx1.wrong-ee-other-key-m1.example", "tls_version": "TLSv1\.[23]", "alert": "", "probe": "", "outcome": "encrypted"' "$TMP/obs2.json" ||
		{ echo "name/key mismatch: exit $rc, no session judged fail with its reason"; bad=1; }
	grep -q "\"since\": $m, \"earlier\": 0," "$TMP/obs2.json" || { echo "--since last is not the last mark $m"; bad=1; }
	"$DL" observe --dir "$d" --scenario no-such-scenario; rc=$?
	[ $rc -eq 2 ] || { echo "unknown scenario: exit $rc, wanted 2"; bad=1; }
	"$DL" down -q --dir "$d" || bad=1
	[ ! -e "/proc/$ep" ] || { echo "the endpoint process $ep outlived down"; bad=1; }
	"$DL" up -q --dir "$d" --no-scenarios --no-endpoints || return 1
	"$DL" observe --dir "$d"; rc=$?
	[ $rc -eq 3 ] || { echo "a lab without endpoints: exit $rc, wanted 3"; bad=1; }
	"$DL" down -q --dir "$d"
	return $bad
}

# test_dns_queries - run --target ref on lookup scenarios: every cell of
# results.json lists the queries of its own scenario's names, in order,
# and its query expectations are judged (met); a file of wrong ones
# shows a broken MUST failing and a missed SHOULD passing, not preferred
test_dns_queries() {
	out=$TMP/run-dnsq
	"$DL" run -q --target ref --dir "$TMP/dnsq-lab" --out "$out" --filter \
	    '^(cname-host-(expanded-first|tlsa-at-original)|mx-secure-host-insecure|xmpp-ee-xmpp|xmpp-target-insecure)$' \
	    >"$TMP/dnsq.out" 2>&1 || { echo "exit $?"; cat "$TMP/dnsq.out"; return 1; }
	j=$out/results.json
	[ "$(grep -c '"queries": \[{' "$j")" -eq 12 ] ||
		{ echo "not 12 cells with queries"; grep -c '"queries": \[{' "$j"; return 1; }
	# The expanded name's TLSA query first, then the original's.
	grep '"scenario": "cname-host-tlsa-at-original".*"policy": "opportunistic"' "$j" |
	    grep -q '"name": "_25._tcp.real.cname-host-tlsa-at-original-hosts.example", "type": "TLSA", "do": null, "rcode": "NXDOMAIN".*"name": "_25._tcp.mx1.cname-host-tlsa-at-original.example", "type": "TLSA", "do": null, "rcode": "NOERROR".*"queries_note": "2 query expectations: met"' ||
		{ echo "cname-host-tlsa-at-original: queries or note wrong"; return 1; }
	# No TLSA query at the insecure XMPP target, and that is judged.
	grep '"scenario": "xmpp-target-insecure"' "$j" | grep -q '_5269._tcp.xmpp1' &&
		{ echo "ref asked TLSA behind an insecure address"; return 1; }
	[ "$(grep '"scenario": "xmpp-target-insecure"' "$j" | grep -c '"queries_note": "1 query expectation: met"')" -eq 4 ] ||
		{ echo "xmpp-target-insecure: not 4 cells met"; return 1; }
	# Exact attribution: every name a cell lists is in its own zones.
	awk '/"scenario": / {
		s = $0; sub(/.*"scenario": "/, "", s); sub(/".*/, "", s)
		rest = $0
		while (match(rest, /"name": "[^"]*"/)) {
			n = substr(rest, RSTART + 9, RLENGTH - 10)
			rest = substr(rest, RSTART + RLENGTH)
			if (n !~ ("(^|[.])" s "(-hosts|-ins)?[.]example$")) { print s ": " n; bad = 1 }
		}
	} END { exit bad }' "$j" || return 1
	grep -q '^== DNS: [0-9]* queries.*for this scenario' \
	    "$out/cells/ref/cname-host-expanded-first-smtp-mandatory.txt" || return 1
	# Wrong expectations: a MUST NOT broken fails, a SHOULD missed is
	# a pass, not preferred.
	"$DL" run -q --target ref --dir "$TMP/dnsq-lab" --out "$out-wrong" \
	    --scenarios "$TOP/harness/tests/data/dns-queries.scn" >"$TMP/dnsq.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; cat "$TMP/dnsq.out"; return 1; }
	grep -q "^not ok [0-9]* - ref/q-must-never-asks smtp opportunistic$" "$out-wrong/results.tap" &&
	    grep -q "but it asked TLSA _25._tcp.mx1.q-must-never-asks.example, which it must not (RFC7673 3.2)" "$out-wrong/results.tap" &&
	    grep -q "^ok [0-9]* - ref/q-should-asks smtp mandatory" "$out-wrong/results.tap" &&
	    grep -q "not preferred: it never asked TLSA _25._tcp.mx2.q-should-asks.example, which it should" "$out-wrong/results.tap" ||
		{ cat "$out-wrong/results.tap"; return 1; }
	grep -q '"not_preferred": 2' "$out-wrong/results.json" || return 1
	[ ! -e "$TMP/dnsq-lab/lab.state" ] || { echo "lab left up"; return 1; }
}

# test_pcap - run --pcap: one capture in the report directory, linked
# from index.html, whose cell filter (from the cell's detail) shows that
# cell's TLSA query and nothing of the other scenario; tcpdump is gone;
# up --pcap captures until down, which leaves no tcpdump
test_pcap() {
	out=$TMP/run-pcap
	"$DL" run -q --target ref --pcap --dir "$TMP/pcap-lab" --out "$out" \
	    --filter '^cname-host-(expanded-first|tlsa-at-original)$' \
	    >"$TMP/pcap.out" 2>&1 || { echo "exit $?"; cat "$TMP/pcap.out"; return 1; }
	[ -s "$out/capture.pcap" ] || { echo "no capture.pcap"; return 1; }
	grep -q '"pcap": "capture.pcap"' "$out/index.html" || return 1
	pgrep -f "$TMP/pcap-lab/capture.pcap" && { echo "tcpdump left running"; return 1; }
	cell=$out/cells/ref/cname-host-expanded-first-smtp-opportunistic.txt
	filter=$(sed -n "s/^  tshark -r capture.pcap -Y '\(.*\)'\$/\1/p" "$cell")
	[ -n "$filter" ] || { echo "no capture filter in $cell"; return 1; }
	want=_25._tcp.real.cname-host-expanded-first-hosts.example
	if command -v tshark >/dev/null 2>&1; then
		tshark -r "$out/capture.pcap" -Y "$filter" >"$TMP/pcap.txt" 2>"$TMP/pcap.err" ||
			{ cat "$TMP/pcap.err"; return 1; }
		grep -q "Standard query 0x[0-9a-f]* TLSA $want" "$TMP/pcap.txt" ||
			{ head -20 "$TMP/pcap.txt"; return 1; }
		grep -q "tlsa-at-original" "$TMP/pcap.txt" &&
			{ echo "another scenario in the cell's filter"; return 1; }
	else
		echo "# tshark not installed: tcpdump -r, without the filter"
	fi
	tcpdump -n -r "$out/capture.pcap" 2>/dev/null | grep -q "Type52? $want\\." ||
		{ echo "no TLSA query for $want in the capture"; return 1; }
	# up --pcap: the endpoint process captures until down stops it.
	d=$TMP/pcap-up
	"$DL" up -q --pcap --dir "$d" --no-scenarios >"$TMP/pcap.out" 2>&1 ||
		{ echo "up --pcap exit $?"; cat "$TMP/pcap.out"; return 1; }
	pgrep -f "$d/capture.pcap" >/dev/null || { echo "no tcpdump under up"; "$DL" down --dir "$d"; return 1; }
	"$DL" exec --dir "$d" -- dig +short TLSA _25._tcp.www.secure.example >/dev/null
	"$DL" down --dir "$d" || return 1
	pgrep -f "$d/capture.pcap" && { echo "tcpdump left running after down"; return 1; }
	tcpdump -n -r "$d/capture.pcap" 2>/dev/null | grep -q "Type52? _25._tcp.www.secure.example\\." ||
		{ echo "up's capture lacks the TLSA query"; return 1; }
	"$DL" up -q --pcap --no-endpoints --dir "$d" >/dev/null 2>&1
	[ $? -eq 2 ] || { echo "up --pcap --no-endpoints is not a usage error"; return 1; }
}

# connect_unavailable - why test_connect cannot run (printed, status 0),
# else status 1: it needs Prosody 13 with its inbound DANE module
connect_unavailable() {
	cu_out=$(sh "$TOP/harness/targets/prosody13.sh" probe 2>&1)
	cu_rc=$?
	if [ $cu_rc -ne 0 ]; then
		echo "prosody13: $(echo "$cu_out" | head -n 1)"
		return 0
	fi
	case $cu_out in
	*"no mod_s2s_auth_dane_in"*)
		echo "prosody13 has no inbound DANE (no mod_s2s_auth_dane_in): $cu_out"
		return 0 ;;
	esac
	return 1
}

# test_connect - inbound XMPP by hand: in a lab left up by up, a
# receiving Prosody 13 started with danelab exec (the adapter's serve,
# mandatory) is connected to by danelab connect as the origin server of
# an xmpp-in scenario: a matching DANE-EE identity is accepted
# (authenticated, pass), an unsigned zone's identity refused (refused,
# pass), the same refusal judged against the opportunistic expectation
# a fail with its reason (exit 1); Prosody's own log shows the
# acceptance; nothing listening is exit 3, an unknown scenario and an
# outbound one exit 2
test_connect() {
	d=$TMP/connect
	p=$TOP/harness/targets/prosody13.sh
	chmod 711 "$TMP"	# the prosody user reaches its instance below it
	"$DL" up -q --dir "$d" --scenarios "$TOP/scenarios/xmpp-in/identity.scn" \
		--scenarios "$TOP/harness/tests/data/wrong-expectation.scn" || return 1
	bad=0
	"$DL" connect in-ee-spki-sha256 --dir "$d" --to 127.0.0.5; rc=$?
	[ $rc -eq 3 ] || { echo "nothing listening: exit $rc, wanted 3"; bad=1; }
	"$DL" connect no-such-scenario --dir "$d" --to 127.0.0.5; rc=$?
	[ $rc -eq 2 ] || { echo "unknown scenario: exit $rc, wanted 2"; bad=1; }
	"$DL" connect wrong-expectation --dir "$d" --to 127.0.0.5; rc=$?
	[ $rc -eq 2 ] || { echo "an smtp scenario: exit $rc, wanted 2"; bad=1; }
	if ! "$DL" exec --dir "$d" -- sh "$p" serve mandatory; then
		echo "prosody13 serve mandatory failed in the lab"
		"$DL" down -q --dir "$d"
		return 1
	fi
	"$DL" connect in-ee-spki-sha256 --dir "$d" --policy mandatory --to 127.0.0.5 --json >"$TMP/conn1.json"
	rc=$?
	cat "$TMP/conn1.json"
	[ $rc -eq 0 ] && grep -q '"proto": "xmpp-in", "policy": "mandatory", "verdict": "pass", "not_preferred": false, "expected": "authenticated", "observed": "authenticated", "reason": "the lab.s connecting server saw: SASL EXTERNAL offered and accepted: the receiver authenticated in-ee-spki-sha256.example", "cite": "draft-ietf-dance-client-auth RFC7671 5.1"' "$TMP/conn1.json" &&
		grep -q '"connection": {"host": "127.0.0.5", "addr": "127.0.0.5", "port": 5269, "to": "client.danelab.example", "from": "in-ee-spki-sha256.example", "outcome": "authenticated", "tls_version": "TLSv1\.[23]"' "$TMP/conn1.json" ||
		{ echo "a matching identity: exit $rc, not judged authenticated pass"; bad=1; }
	grep -q 'Accepting SASL EXTERNAL identity from in-ee-spki-sha256.example' \
		"$d/targets/prosody13-by-hand/in-mandatory/prosody.log" ||
		{ echo "Prosody's log does not show it accepted in-ee-spki-sha256.example"; bad=1; }
	"$DL" connect in-insecure --dir "$d" --policy mandatory --to 127.0.0.5:5269 --json >"$TMP/conn2.json"
	rc=$?
	cat "$TMP/conn2.json"
	[ $rc -eq 0 ] && grep -q '"verdict": "pass", "not_preferred": false, "expected": "refused", "observed": "refused", "reason": "the lab.s connecting server saw: [^"]*", "cite": "draft-ietf-dance-client-auth RFC6120 13.7.2"' "$TMP/conn2.json" ||
		{ echo "an insecure identity: exit $rc, not judged refused pass"; bad=1; }
	"$DL" connect in-insecure --dir "$d" --to 127.0.0.5 >"$TMP/conn3.txt"
	rc=$?
	cat "$TMP/conn3.txt"
	[ $rc -eq 1 ] && grep -q '^  verdict: fail$' "$TMP/conn3.txt" &&
		grep -q '^  reason: expected encrypted, observed refused: the lab.s connecting server saw: ' "$TMP/conn3.txt" &&
		grep -q '^in-insecure xmpp-in opportunistic (scenarios/xmpp-in/identity.scn:[0-9]*)$' "$TMP/conn3.txt" ||
		{ echo "refused against the opportunistic expectation: exit $rc, not a fail with its reason"; bad=1; }
	"$DL" exec --dir "$d" -- sh "$p" teardown || bad=1
	"$DL" down -q --dir "$d" || bad=1
	return $bad
}

# test_lab_resolver NAME - the lab up with --resolver NAME: the secure
# name has AD, the bogus one SERVFAILs, the insecure one has no AD, the
# resolver's query log names the query, the default files of Unbound are
# not there, and down leaves nothing
test_lab_resolver() {
	d=$TMP/res-$1
	m=$TMP/mounts.res-$1
	mounts >"$m"
	"$DL" up -q --dir "$d" --resolver "$1" --no-endpoints --no-scenarios || return 1
	ns=$(netns_of "$(keeper "$d")")
	ok=0
	expect_answer "$d" www.secure.example. A NOERROR ad &&
	    expect_answer "$d" www.bogus.example. A SERVFAIL -ad &&
	    expect_answer "$d" www.insecure.example. A NOERROR -ad || ok=1
	case $1 in
	knot) log=$d/kresd.log ;; bind) log=$d/named.log ;;
	pdns) log=$d/pdns.log ;; *) log=$d/unbound.log ;;
	esac
	grep -q 'www.secure.example' "$log" || { echo "no query in $log"; tail -5 "$log"; ok=1; }
	[ "$1" = unbound ] || [ ! -e "$d/unbound.conf" ] || { echo "unbound.conf written for $1"; ok=1; }
	"$DL" down -q --dir "$d" || ok=1
	nothing_left "$ns" "$m" || ok=1
	return $ok
}

# lab_resolver_tests - test_lab_resolver for each resolver, a skip
# naming the package when it is not unpacked
lab_resolver_tests() {
	for r in unbound knot bind pdns; do
		case $r in
		knot) b=/opt/danelab/knot-resolver/usr/sbin/kresd p=knot-resolver ;;
		bind) b=/opt/danelab/bind9/usr/sbin/named p=bind9 ;;
		pdns) b=/opt/danelab/pdns-recursor/usr/sbin/pdns_recursor p=pdns-recursor ;;
		*) b=$(command -v unbound || echo /usr/sbin/unbound) p=unbound ;;
		esac
		if [ ! -x "$b" ]; then
			tap_skip "up --resolver $r" "$p is not unpacked (sh harness/targets/lib/resolver-fetch.sh $p)"
			continue
		fi
		t "up --resolver $r: secure has AD, bogus SERVFAILs, insecure no AD, its query log, down leaves nothing" \
			test_lab_resolver $r
	done
	t "up --resolver with a binary that is not there: exit 3 naming the package" \
		sh -c "DANELAB_KNOT_BIN=/nonexistent '$DL' up --dir '$TMP/res-none' --resolver knot 2>&1 | tee /dev/stderr | grep -q 'kresd /nonexistent is not an executable'; test ! -e '$TMP/res-none/lab.state'"
	t "up --resolver whose daemon dies at start: exit 3 quoting its own log, nothing left" \
		test_resolver_dies
	t "run --target resolver:bind whose named dies at start: only its cells err, quoting its log; ref passes; exit 1, nothing left" \
		test_resolver_target_dies
	t "up --resolver that is unknown: exit 2 naming the known ones" \
		sh -c "'$DL' up --dir '$TMP/res-none' --resolver nope 2>&1 | grep -q 'known: unbound, knot, bind, pdns'"
	t "run --target resolver:NAME: each validator against what the zones say, RRset by RRset; a missing one a skip" \
		test_resolver_targets
	if [ -x /opt/danelab/bind9/usr/sbin/named ]; then
		t "run --resolver bind: named's SERVFAIL for a secure TLSA RRset is the validator's xfail in ref's cells (resolver-bind.lab.baseline), a fail without it" \
			test_lab_baseline bind ref '^postfix-tlsa-3-byte-panic$'
	else
		tap_skip "run --resolver bind: the lab validator's baseline" "bind9 is not unpacked (sh harness/targets/lib/resolver-fetch.sh bind9)"
	fi
	if [ ! -x /opt/danelab/pdns-recursor/usr/sbin/pdns_recursor ]; then
		tap_skip "run --resolver pdns: the lab validator's baseline" "pdns-recursor is not unpacked (sh harness/targets/lib/resolver-fetch.sh pdns-recursor)"
	elif ! why=$(sh "$TOP/harness/targets/postfix.sh" probe 2>&1); then
		tap_skip "run --resolver pdns: the lab validator's baseline" "postfix: $(echo "$why" | head -n 1)"
	else
		t "run --resolver pdns: postfix authenticating behind pdns's AD for a bogus DNSKEY RRSIG is the validator's xfail (resolver-pdns.lab.baseline), a fail without it" \
			test_lab_baseline pdns postfix '^bogus-dnskey-corrupt-rrsig$'
	fi
}

# test_lab_baseline R TARGET FILTER - run --resolver R --target TARGET
# over the scenarios FILTER names, where validator R deviates: exit 0,
# every cell an xfail or pass, the xfails' reasons naming R as the lab's
# validator (resolver-R.lab.baseline); the same run with a targets
# directory lacking that file: exit 1 with the cells a fail
test_lab_baseline() {
	o=$TMP/labbase-$1
	chmod 711 "$TMP"	# postfix's own user reaches its instance below it
	"$DL" run -q --resolver "$1" --dir "$TMP/labbase-run" --out "$o" \
	    --target "$2" --filter "$3" || { echo "--resolver $1: exit $?, wanted 0"; return 1; }
	grep -q "\"verdict\": \"xfail\", \"reason\": \"known deviation of the lab's validator ($1), not of this target: " "$o/results.json" ||
	    { echo "no xfail naming the lab's validator $1"; return 1; }
	! grep -q '"verdict": "\(fail\|xpass\|error\)"' "$o/results.json" ||
	    { echo "a fail, xpass or error left"; return 1; }
	rm -rf "$TMP/labbase-targets"
	cp -r "$TOP/harness/targets" "$TMP/labbase-targets" &&
	    rm "$TMP/labbase-targets/resolver-$1.lab.baseline" || return 1
	DANELAB_TARGETS_DIR=$TMP/labbase-targets "$DL" run -q --resolver "$1" \
	    --dir "$TMP/labbase-run" --out "$o-none" --target "$2" --filter "$3"
	rc=$?
	[ $rc -eq 1 ] && grep -q '"verdict": "fail"' "$o-none/results.json" ||
	    { echo "without resolver-$1.lab.baseline: exit $rc, wanted 1 with a fail"; return 1; }
}

# test_resolver_targets - resolver:NAME targets (those unpacked) over the
# fault scenarios and one with query expectations (never judged on a
# validator): exit 0, one dns cell per scenario and target, bogus
# RRsets asked and answered SERVFAIL, pdns's DNSKEY deviation an xfail;
# a resolver whose binary is missing is a skip naming it
test_resolver_targets() {
	o=$TMP/res-targets
	targets=resolver:unbound
	[ -x /opt/danelab/knot-resolver/usr/sbin/kresd ] && targets=$targets,resolver:knot
	[ -x /opt/danelab/bind9/usr/sbin/named ] && targets=$targets,resolver:bind
	[ -x /opt/danelab/pdns-recursor/usr/sbin/pdns_recursor ] && targets=$targets,resolver:pdns
	command -v delv >/dev/null && targets=$targets,resolver:delv
	n=$(echo "$targets" | tr , '\n' | wc -l)
	"$DL" run -q --dir "$TMP/res-run" --out "$o" --target "$targets" \
	    --filter '^(bogus-dnskey|bogus-mx|state-|zone-domain|cname-host-expanded-first)' || { echo "exit $?"; return 1; }
	s=$(grep -c '"proto": "dns"' "$o/results.json")
	scn=$("$DL" list --filter '^(bogus-dnskey|bogus-mx|state-|zone-domain|cname-host-expanded-first)' | cut -d' ' -f1 | sort -u | wc -l)
	[ "$s" -eq $((n * scn)) ] || { echo "$s dns cells, wanted $n x $scn"; return 1; }
	grep -rq 'ok   bogus-mx-corrupt-rrsig.example. MX: expected bogus' "$o/cells" ||
	    { echo "no bogus MX answered SERVFAIL"; return 1; }
	case $targets in *pdns*)
		grep -q '"target": "resolver:pdns".*"scenario": "bogus-dnskey-corrupt-rrsig"\|"scenario": "bogus-dnskey-corrupt-rrsig"[^}]*"target": "resolver:pdns"[^}]*"verdict": "xfail"' "$o/results.json" ||
		    { echo "pdns's DNSKEY deviation is not an xfail"; return 1; }
	esac
	DANELAB_BIND_BIN=/nonexistent "$DL" run -q --dir "$TMP/res-run" --out "$o-skip" \
	    --target resolver:bind --filter '^bogus-mx-corrupt' >"$TMP/res-skip.out" 2>&1 ||
	    { cat "$TMP/res-skip.out"; return 1; }
	grep -q '"verdict": "skip"' "$o-skip/results.json" &&
	    grep -q 'named /nonexistent is not an executable' "$o-skip/results.json"
}

# test_resolver_target_dies - a resolver target (here resolver:bind, by
# DANELAB_BIND_BIN) that is there but exits during start-up errs only
# its own cells, quoting its log; ref beside it passes; the run is exit
# 1, not 3, and leaves nothing behind
test_resolver_target_dies() {
	d=$TMP/res-tdies
	m=$TMP/mounts.res-tdies
	f=$TMP/fake-named-target
	printf '#!/bin/sh\necho "fake named: bad option in named.conf"\nexit 1\n' >"$f"
	chmod +x "$f"
	mounts >"$m"
	DANELAB_BIND_BIN=$f "$DL" run -q --dir "$d" --out "$TMP/res-tdies-out" \
	    --target ref,resolver:bind --filter '^bogus-mx-corrupt' >"$TMP/res-tdies.txt" 2>&1
	rc=$?
	cat "$TMP/res-tdies.txt"
	[ $rc -eq 1 ] || { echo "exit $rc, wanted 1"; return 1; }
	o=$TMP/res-tdies-out/results.json
	grep -q '"target": "resolver:bind", [^}]*"verdict": "error", "reason": "resolver:bind did not start in the lab: named exited with status 1 during start-up; its log ([^)]*named.log) says: fake named: bad option' "$o" ||
	    { echo "resolver:bind's cell is not an error quoting its log"; return 1; }
	! grep -q '"target": "ref", [^}]*"verdict": "\(error\|fail\)"' "$o" &&
	    grep -q '"target": "ref", [^}]*"verdict": "pass"' "$o" ||
	    { echo "ref's cells did not pass"; return 1; }
	pgrep -f "$d/" && { echo "processes left"; return 1; }
	mounts >"$m.after"
	cmp -s "$m" "$m.after" || { echo "mounts left"; diff "$m" "$m.after"; return 1; }
}

# test_resolver_dies - a resolver (here named, by DANELAB_BIND_BIN) that
# exits during start-up: up is exit 3 quoting the resolver's own log,
# and leaves no state, process or mount behind
test_resolver_dies() {
	d=$TMP/res-dies
	m=$TMP/mounts.res-dies
	f=$TMP/fake-named
	printf '#!/bin/sh\necho "fake named: bad option in named.conf"\nexit 1\n' >"$f"
	chmod +x "$f"
	mounts >"$m"
	DANELAB_BIND_BIN=$f "$DL" up --dir "$d" --resolver bind --no-endpoints \
	    --no-scenarios >"$TMP/res-dies.out" 2>&1
	rc=$?
	cat "$TMP/res-dies.out"
	[ $rc -eq 3 ] || { echo "exit $rc, wanted 3"; return 1; }
	grep -q 'named exited with status 1 during start-up.*named.log.*fake named: bad option' "$TMP/res-dies.out" ||
	    { echo "the message does not quote named's log"; return 1; }
	[ ! -e "$d/lab.state" ] || { echo "state file left"; return 1; }
	pgrep -f "$d/" && { echo "processes left"; return 1; }
	mounts >"$m.after"
	diff "$m" "$m.after"
}
