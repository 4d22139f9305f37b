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
# - One connection attempt per address; no retries.
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

# The batch (do_run): rounds of one awk process (lib/openssl-walk.awk),
# which replays every probe's walk on what the batch knows so far and
# writes what is lacking, then one `dig -f` for all the lacking queries
# and the lacking s_client runs (BATCH_JOBS at a time), side by side;
# until nothing is lacking, when the walk prints the log lines and
# verdicts.  A batch of N probes costs a handful of awk and dig
# processes, plus one timeout and one s_client a handshake.
ROUNDS_MAX=30

# walk FINAL - one round of the walk (lib/openssl-walk.awk)
walk() {
	awk -v lib=1 -f "$PARSERS/openssl.awk" -f "$TARGETS_DIR/lib/openssl-walk.awk" \
	    -v probes="$WORKDIR/probes" -v w="$WORKDIR" -v final="$1" \
	    -v now="$(now_ms)" -v end="$END_MS" -v openssl="$OPENSSL" \
	    -v eeflag="$EEFLAG" -v client="$CLIENT" -v jobs="$BATCH_JOBS"
}

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
}

# do_run FILE - the batch in rounds (walk): every probe at once, the
# s_client runs up to BATCH_JOBS at a time, every probe bounded by the
# per-probe deadline from the batch's start; the verdicts in the order
# of FILE
do_run() {
	batch_workdir || exit 1
	awk 'NF == 4' "$1" >"$WORKDIR/probes"
	: >"$WORKDIR/asked"
	: >"$WORKDIR/dns"
	END_MS=$(( $(now_ms) + DEADLINE_MS - 500 ))
	dr_round=0
	while [ "$dr_round" -lt "$ROUNDS_MAX" ]; do
		dr_round=$((dr_round + 1))
		rm -f "$WORKDIR/q" "$WORKDIR/run"
		walk 0 || { echo "# the walk failed in round $dr_round"; break; }
		[ -f "$WORKDIR/q" ] || [ -f "$WORKDIR/run" ] || return 0
		if [ -f "$WORKDIR/q" ]; then
			dr_t=$(( (END_MS - $(now_ms)) / 1000 ))
			[ "$dr_t" -gt 5 ] && dr_t=5
			[ "$dr_t" -lt 1 ] && dr_t=1
			dig @"$RESOLVER" +dnssec +noall +comments +question +answer \
			    +time="$dr_t" +tries=1 -f "$WORKDIR/q" >>"$WORKDIR/dns" 2>&1 &
		fi
		[ -f "$WORKDIR/run" ] && sh "$WORKDIR/run" &
		wait
	done
	walk 1
}

adapter_main "$@"
