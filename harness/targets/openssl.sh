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

log() { echo "# $*"; }

# left - seconds left before the probe's deadline (at least 0)
left() {
	l=$(( (END_MS - $(now_ms)) / 1000 ))
	[ "$l" -gt 0 ] || l=0
	echo "$l"
}

# dq NAME TYPE - query; sets ST (secure/insecure/bogus) and RC (status);
# writes "owner rdata..." of TYPE records to $T/ans
dq() {
	t=$(left)
	[ "$t" -gt 5 ] && t=5
	[ "$t" -lt 1 ] && t=1
	dig @"$RESOLVER" +dnssec +noall +comments +answer +time="$t" +tries=1 \
	    "$1" "$2" >"$T/dig" 2>&1
	RC=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' "$T/dig" | head -n 1)
	fl=$(sed -n 's/^;; flags: \([^;]*\);.*/\1/p' "$T/dig" | head -n 1)
	awk -v t="$2" '!/^;/ && NF >= 5 && $4 == t {
		o = $1; $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print o, $0 }' \
	    "$T/dig" >"$T/ans"
	case $RC in
	NOERROR|NXDOMAIN)
		case " $fl " in
		*" ad "*) ST=secure ;;
		*) ST=insecure ;;
		esac ;;
	*) ST=bogus ;;
	esac
	n=$(wc -l <"$T/ans")
	log "dig $1 $2: ${RC:-no answer}, $ST, $n record(s)"
}

# go_on_input - what the client says after TLS
go_on_input() {
	case $PROTO in
	smtp|smtps)
		printf 'EHLO %s\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@%s>\r\nDATA\r\n' \
		    "$CLIENT" "$DOM"
		printf 'Subject: danelab openssl s_client probe\r\n\r\nA probe.\r\n.\r\nQUIT\r\n' ;;
	*)
		printf "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='%s' from='%s' version='1.0'>" \
		    "$DOM" "$CLIENT"
		printf '</stream:stream>' ;;
	esac
}

# sclient ADDR PORT MODE REFNAME AT - one s_client run; output in $T/sc,
# what it came to in SC (parsers/openssl.awk: "WORD [TEXT]", AT is the
# host and address it names).  Returns 0 when it completed the handshake,
# 1 when it connected and gave up, 2 when it did not connect, 3 when
# OpenSSL took none of the records.
sclient() {
	t=$(left)
	if [ "$t" -lt 1 ]; then
		log "deadline reached before connecting to $1:$2"
		SC=no-connect
		return 2
	fi
	set -- "$1" "$2" "$3" "$4" "$5"
	a=$1 p=$2 mode=$3 ref=$4 at=$5
	set -- -brief -connect "$a:$p" -servername "$SNI"
	case $PROTO in
	smtp) set -- "$@" -starttls smtp -name "$CLIENT" ;;
	xmpp) set -- "$@" -starttls xmpp-server -xmpphost "$DOM" ;;
	xmpps) set -- "$@" -alpn xmpp-server ;;
	esac
	if [ "$mode" = dane ]; then
		set -- "$@" -dane_tlsa_domain "$ref" $EEFLAG -verify_return_error
		while read -r rr; do
			set -- "$@" -dane_tlsa_rrdata "$rr"
		done <"$T/tlsa"
	fi
	log "$OPENSSL s_client $*"
	go_on_input | timeout "$t" "$OPENSSL" s_client "$@" >"$T/sc" 2>&1
	rc=$?
	# (awk: the last line of a server's output may lack its newline)
	awk 'NR <= 40 {print "# | " $0}' "$T/sc"
	[ "$rc" = 124 ] && log "s_client timed out"
	SC=$(awk -v mode="$mode" -v at="$at" -f "$PARSERS/openssl.awk" "$T/sc")
	case $SC in
	unusable) return 3 ;;
	authenticated*|error*|encrypted*) return 0 ;;
	no-connect) return 2 ;;
	esac
	return 1
}

# attempt HOST ADDR PORT MODE REF1 REF2 - try one address; sets VERDICT
# and returns 0 when the client went on there
attempt() {
	h=$1 a=$2 port=$3 mode=$4 r1=$5 r2=$6
	sclient "$a" "$port" "$mode" "$r1" "$h[$a]:$port"
	r=$?
	if [ "$r" = 1 ] && [ "$mode" = dane ] && [ -n "$r2" ] &&
	    [ "$r2" != "$r1" ] && [ "$SC" = "refused hostname mismatch" ]; then
		log "no name match for $r1; once more with reference name $r2"
		CONNECTED=1
		sclient "$a" "$port" "$mode" "$r2" "$h[$a]:$port"
		r=$?
	fi
	case $r in
	3)
		if [ "$POLICY" = opportunistic ]; then
			fb=opportunistic
			[ "$SMTPISH" = 1 ] && fb=noauth
			log "OpenSSL found no usable TLSA record: TLS without authentication ($fb)"
			attempt "$h" "$a" "$port" "$fb" "$r1" ""
			return $?
		fi
		log "OpenSSL found no usable TLSA record: skip host"
		return 1 ;;
	2)
		log "$h[$a]:$port: no connection"
		return 1 ;;
	1)
		CONNECTED=1
		case $SC in
		skip*)
			# Going on in cleartext is what the scenario asks;
			# s_client cannot: an adapter limit, not a verdict.
			VERDICT=$SC
			return 0 ;;
		esac
		log "$h[$a]:$port: handshake or verification failed: not going on"
		return 1 ;;
	esac
	CONNECTED=1
	case $SC in
	error*) log "handshake completed without a DANE match" ;;
	esac
	VERDICT=$SC
	return 0
}

# try_host HOST PORT DANEOK REF2 - plan and try one host; 0 when it went on
try_host() {
	hn=${1%.} port=$2 daneok=$3 ref2=$4
	dq "$1" A
	if [ "$ST" = bogus ]; then
		log "address of $hn bogus or indeterminate: skip host"
		return 1
	fi
	addrs=$(awk '{print $2}' "$T/ans")
	if [ -z "$addrs" ]; then
		log "$hn has no address: skip host"
		return 1
	fi
	canon=$(awk 'NR == 1 {print $1}' "$T/ans")
	canon=${canon%.}
	mode=opportunistic
	base=$hn
	: >"$T/tlsa"
	cands=
	if [ "$daneok" = 1 ] && [ "$ST" = secure ]; then
		cands=$hn
		[ -n "$canon" ] && [ "$canon" != "$hn" ] && cands="$canon $hn"
	elif [ "$daneok" = 1 ] && [ "$SMTPISH" = 1 ] && [ -n "$canon" ] &&
	    [ "$canon" != "$hn" ]; then
		# RFC 7672 2.2.2 "Insecure CNAME": an insecure answer at the
		# end of a chain whose first CNAME is secure means TLSA at the
		# original name alone; an insecure first CNAME means no DANE.
		dq "$1" CNAME
		if [ "$ST" = bogus ]; then
			log "CNAME lookup of $hn bogus or indeterminate: skip host"
			return 1
		elif [ "$ST" = secure ] && [ -s "$T/ans" ]; then
			log "address of $hn insecure behind its secure CNAME (to $canon): TLSA at the original name only"
			cands=$hn
		else
			log "initial CNAME of $hn insecure: no TLSA lookup"
		fi
	elif [ "$daneok" = 1 ]; then
		log "address of $hn insecure: no TLSA lookup"
	fi
	if [ -n "$cands" ]; then
		found=0
		for c in $cands; do
			dq "_$port._tcp.$c." TLSA
			if [ "$ST" = bogus ]; then
				log "TLSA lookup for $c bogus or indeterminate: skip host"
				return 1
			fi
			if [ "$ST" = secure ] && [ -s "$T/ans" ]; then
				found=1
				base=$c
				break
			fi
		done
		if [ "$found" = 1 ]; then
			while read -r o u s m rest; do
				hex=$(echo "$rest" | tr -d ' ')
				if [ "$SMTPISH" = 1 ] && { [ "$u" = 0 ] || [ "$u" = 1 ]; }; then
					log "TLSA $u $s $m: PKIX usage, unusable for SMTP (RFC 7672 3.1.3)"
					continue
				fi
				echo "$u $s $m $hex" >>"$T/tlsa"
			done <"$T/ans"
			if [ -s "$T/tlsa" ]; then
				mode=dane
			elif [ "$SMTPISH" = 1 ]; then
				mode=noauth
			fi
			log "TLSA base domain $base, $(wc -l <"$T/tlsa") record(s) for s_client: $mode"
		else
			log "no secure TLSA records for $hn: no DANE"
		fi
	fi
	if [ "$POLICY" = mandatory ] && [ "$mode" != dane ]; then
		log "no usable TLSA records for $hn under mandatory DANE: skip host"
		return 1
	fi
	if [ "$SMTPISH" = 1 ]; then
		SNI=$base r1=$base
	else
		SNI=$DOM r1=$DOM ref2=$hn
	fi
	for a in $addrs; do
		attempt "$hn" "$a" "$port" "$mode" "$r1" "$ref2" && return 0
	done
	return 1
}

# finish - the verdict when nothing went on
finish() {
	if [ "${VERDICT:-}" ]; then
		echo "$ID $VERDICT"
	elif [ "$CONNECTED" = 1 ]; then
		echo "$ID refused $*"
	else
		echo "$ID no-connect $*"
	fi
	exit 0
}

smtp_probe() {
	port=25
	[ "$PROTO" = smtps ] && port=465
	dq "$DOMAIN" MX
	[ "$ST" = bogus ] && finish "MX lookup bogus or indeterminate: delay"
	[ "$RC" = NXDOMAIN ] && finish "$DOM does not exist"
	mxsec=0
	[ "$ST" = secure ] && mxsec=1
	if [ -s "$T/ans" ]; then
		sort -k2,2n -k3,3 "$T/ans" | awk '{print $3}' >"$T/hosts"
	else
		log "no MX: implicit MX $DOM"
		echo "$DOMAIN" >"$T/hosts"
	fi
	grep -qx '\.' "$T/hosts" && finish "null MX: $DOM accepts no mail"
	if [ "$mxsec" = 0 ] && [ "$POLICY" = mandatory ]; then
		finish "MX RRset insecure under mandatory DANE: delay"
	fi
	nexthop=
	[ "$mxsec" = 1 ] && nexthop=$DOM
	for hh in $(cat "$T/hosts"); do
		try_host "$hh" "$port" 1 "$nexthop" && finish
	done
	finish "no host went on"
}

xmpp_probe() {
	svc=xmpp-server
	[ "$PROTO" = xmpps ] && svc=xmpps-server
	dq "_$svc._tcp.$DOMAIN" SRV
	[ "$ST" = bogus ] && finish "SRV lookup bogus or indeterminate: abort"
	daneok=0
	[ "$ST" = secure ] && daneok=1
	if [ -s "$T/ans" ]; then
		sort -k2,2n -k3,3nr -k5,5 "$T/ans" | awk '{print $5, $4}' >"$T/hosts"
		[ "$daneok" = 0 ] && log "SRV RRset insecure: DANE does not apply"
	else
		[ "$PROTO" = xmpps ] && finish "no _xmpps-server SRV records: no direct TLS"
		log "no SRV: fall back to $DOM:5269"
		echo "$DOMAIN 5269" >"$T/hosts"
		daneok=1
	fi
	grep -q '^\. ' "$T/hosts" && finish "SRV target \".\": service not offered"
	for line in $(awk '{print $1 "/" $2}' "$T/hosts"); do
		try_host "${line%/*}" "${line#*/}" "$daneok" "" && finish
	done
	finish "no target went on"
}

# one ID PROTO POLICY DOMAIN - one probe, verdict on stdout
do_one() {
	ID=$1 PROTO=$2 POLICY=$3 DOMAIN=$4
	DOM=${DOMAIN%.}
	END_MS=$(( $(now_ms) + DEADLINE_MS - 500 ))
	T=$WORKDIR/p.$ID
	rm -rf "$T"
	mkdir -p "$T"
	CONNECTED=0
	VERDICT=
	SMTPISH=0
	case $PROTO in
	smtp|smtps) SMTPISH=1; smtp_probe ;;
	xmpp|xmpps) xmpp_probe ;;
	*) echo "$ID error unknown protocol $PROTO" ;;
	esac
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

# do_run FILE - each probe in its own process (do_one), up to BATCH_JOBS
# at once, each bounded by the deadline; the verdicts in the order of FILE
do_run() {
	batch_workdir || exit 1
	batch_run "$1"
}

adapter_main "$@"
