#!/bin/sh
# openssl.sh - danelab target adapter: OpenSSL's s_client as a DANE verifier.
#
# s_client does no DNS, so this adapter does the lookups itself, through
# the lab's validating resolver, with dig +dnssec, and hands s_client the
# TLSA records it found (-dane_tlsa_domain, -dane_tlsa_rrdata).  Every
# answer is classified secure (AD set), insecure (NOERROR/NXDOMAIN, no AD)
# or bogus (SERVFAIL, any other status, or no answer at all).
#
# SMTP (RFC 7672): MX lookup (bogus: delay; NXDOMAIN: give up; none: the
# domain itself; null MX "0 .": give up; insecure MX under mandatory:
# delay), hosts in preference order (ties by name); per host the A record
# first, TLSA at _25._tcp (465 for SMTPS) only when the address is secure,
# at the CNAME-expanded host name first, then the host name (RFC 7672
# 2.2.3), or when the address is insecure at the end of a CNAME chain
# whose first CNAME (asked for with a CNAME query) is secure, at the host
# name alone ("Insecure CNAME", RFC 7672 2.2.2); a bogus TLSA, CNAME or
# address lookup skips the host.  PKIX usages (0, 1)
# are dropped (RFC 7672 3.1.3); s_client itself drops the other unusable
# records and applies digest agility.  Usable records: DANE, no going on
# unless verified; a secure RRset of only unusable records: TLS without
# authentication; no secure TLSA: opportunistic TLS.  Mandatory skips every
# host that is not DANE.
#
# XMPP (RFC 7673): SRV _xmpp-server._tcp (XMPPS: _xmpps-server._tcp,
# direct TLS with ALPN xmpp-server); bogus SRV: abort; no SRV: the domain
# on 5269 (XMPPS: give up); insecure SRV: no DANE; target ".": give up.
# Per target the A record, then TLSA at _PORT._tcp.TARGET when both the
# SRV RRset and the address are secure.  Without usable DANE records an
# opportunistic probe goes on unauthenticated; a mandatory one does not
# connect (the lab has no PKIX trust store to fall back to).
#
# s_client runs with -servername (SMTP: the TLSA base domain; XMPP: the
# XMPP domain), -dane_tlsa_domain, one -dane_tlsa_rrdata per record,
# -dane_ee_no_namechecks (RFC 7672 3.1.1; left out by the
# openssl-namechecks variant to show OpenSSL's default) and
# -verify_return_error.  After the handshake it goes on: SMTP sends EHLO,
# MAIL, RCPT, DATA, a message and QUIT; XMPP a new stream header and the
# end of the stream.  The verdict is "authenticated" when s_client said
# "Verification: OK" and "DANE TLSA ... matched" (or, for a bare DANE-TA
# key, "... signed the certificate"), "encrypted" for TLS
# without DANE, "refused" when it connected and nothing went on,
# "no-connect" when DNS said not to connect (or nothing answered).  What
# each s_client run came to is harness/targets/parsers/openssl.awk
# (golden tests: harness/tests/adapters/openssl/).
#
# Limits (documented, not bugs of OpenSSL):
# - IPv4 only (A records; the lab has no AAAA).
# - s_client takes one reference identifier: SSL_dane_enable replaces
#   -verify_hostname.  The adapter checks the first name (SMTP: the TLSA
#   base domain; XMPP: the XMPP domain) and, when that fails with a
#   hostname mismatch, connects once more with the second (SMTP: the
#   next-hop domain when the MX RRset is secure; XMPP: the SRV target).
#   The next-hop domain's own CNAME expansion is never a reference name.
# - CNAMEs: only what dig's answer shows (the owner of the address
#   record); the security of a chain is the security of the answer, and
#   of its first hop, when the answer is insecure, that of a CNAME query.
# - No cleartext: s_client cannot go on without TLS, so an opportunistic
#   probe of a server without STARTTLS and without usable TLSA is a skip
#   (an adapter limit), never a verdict.
# - s_client allows partial wildcards ("f*.example") in name checks: it has
#   no option to set X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS.
# - With -starttls xmpp-server s_client waits for a <starttls> feature
#   as long as the server keeps the stream open: the adapter watches what
#   it reads (-debug, lib/openssl-xmpp-watch.awk) and ends it once the
#   stream features have ended without one (refused: it connected and
#   did not go on), as a client giving up closes.
# - One connection attempt per address; no retries.
# - One deadline for the batch: each probe's runs end by the per-probe
#   deadline counted from the start of the batch (its s_client runs are
#   bounded by what is left of it).
# - Equal MX preferences (and SRV priorities and weights) are tried in
#   the byte order of the names, not at random.
. "$(dirname "$0")/lib/adapter.sh"
OPENSSL=${DANELAB_OPENSSL_BIN:-openssl}
if [ "${DANELAB_OSSL_NAMECHECKS:-0}" = 1 ]; then
	OPENSSL=${DANELAB_OPENSSL_NAMECHECKS_BIN:-$OPENSSL}
	EEFLAG=
else
	EEFLAG=-dane_ee_no_namechecks
fi
# xmpp-in: the lab connects to a receiving XMPP server
NO_INBOUND="openssl s_server has no XMPP server STARTTLS and no DANE check of client certificates: no inbound XMPP"

# The batch (do_run) is a few processes plus, per probe, its s_client
# runs (lib/openssl-walk.awk, which replays the walks on what is known):
# 1. rounds of one walk over every probe and one `dig -f` with all the
#    queries lacking, until every probe is decided or lacks an s_client
#    run (or ROUNDS_MAX rounds have run);
# 2. for each undecided probe, its chain, BATCH_JOBS at once:
#    its s_client run, then the walk of that probe alone, which writes
#    its next s_client run or the queries for its next host (one dig),
#    until it is decided;
# 3. one walk prints every probe's log lines and verdict.
ROUNDS_MAX=30

# walk [ONLY] [FINAL] - one walk (lib/openssl-walk.awk; settings OW_*)
walk() {
	awk -v lib=1 -f "$OW_PARSER" -f "$OW_LIB" -v only="${1:-}" -v final="${2:-0}"
}

# CHAIN - one probe's chain (sh -c CHAIN sh ID), with OW_* set
CHAIN='while :; do
	[ -s "$OW_DIR/run.$1" ] && . "$OW_DIR/run.$1"
	awk -v lib=1 -f "$OW_PARSER" -f "$OW_LIB" -v only="$1" || break
	[ -s "$OW_DIR/q.$1" ] && dig @"$OW_RESOLVER" +dnssec +noall +comments +question +answer +tries=3 -f "$OW_DIR/q.$1" >>"$OW_DIR/dns.$1" 2>&1
	[ -s "$OW_DIR/run.$1" ] || [ -s "$OW_DIR/q.$1" ] || break
done'

do_probe() {
	if ! command -v "$OPENSSL" >/dev/null 2>&1; then
		echo "$OPENSSL not installed (apt-get install openssl)"
		exit 3
	fi
	if ! command -v dig >/dev/null 2>&1; then
		echo "dig not installed (apt-get install dnsutils)"
		exit 3
	fi
	v=$("$OPENSSL" version 2>/dev/null | head -n 1)
	case $v in
	"OpenSSL 1.0"*|"OpenSSL 0"*|"")
		echo "no DANE support in s_client: ${v:-$OPENSSL does not run}"
		exit 3 ;;
	esac
	echo "$v s_client${EEFLAG:+ }$EEFLAG"
	probe_tls "$(command -v "$OPENSSL")"
	# The lab's resolver sees this adapter's lookups, not the tool's:
	# its cells are not judged on query expectations.
	echo "dns: adapter"
}

# do_run FILE - the batch (above): the verdicts in the order of FILE,
# every probe bounded by the per-probe deadline from the batch's start
do_run() {
	batch_workdir || exit 1
	OW_PROBES=$1 OW_DIR=$WORKDIR OW_OPENSSL=$OPENSSL OW_EEFLAG=$EEFLAG
	OW_CLIENT=$CLIENT OW_RESOLVER=$RESOLVER
	OW_END=$(( $(date +%s) + (DEADLINE_MS - 500) / 1000 ))
	OW_PARSER=$PARSERS/openssl.awk OW_LIB=$TARGETS_DIR/lib/openssl-walk.awk
	OW_WATCH=$TARGETS_DIR/lib/openssl-xmpp-watch.awk OW_WATCH_AWK=awk
	# mawk reads a pipe a block at a time unless -W interactive: the
	# watch must see each line of s_client's as it comes
	case $(awk -W version 2>&1 </dev/null) in
	mawk*) OW_WATCH_AWK="awk -W interactive" ;;
	esac
	export OW_PROBES OW_DIR OW_OPENSSL OW_EEFLAG OW_CLIENT OW_RESOLVER \
	    OW_END OW_PARSER OW_LIB OW_WATCH OW_WATCH_AWK
	: >"$WORKDIR/asked"
	: >"$WORKDIR/dns"
	dr_round=0
	while [ "$dr_round" -lt "$ROUNDS_MAX" ]; do
		dr_round=$((dr_round + 1))
		walk || { echo "# the walk failed in round $dr_round"; break; }
		[ -s "$WORKDIR/q" ] || break
		dig @"$RESOLVER" +dnssec +noall +comments +question +answer \
		    +tries=3 -f "$WORKDIR/q" >>"$WORKDIR/dns" 2>&1
	done
	[ -s "$WORKDIR/chains" ] &&
	    xargs -n 1 -P "$BATCH_JOBS" sh -c "$CHAIN" sh <"$WORKDIR/chains"
	walk "" 1
}

adapter_main "$@"
