#!/bin/sh
# ldns-dane.sh - danelab target adapter: ldns' DANE verifier,
# `ldns-dane -n -4 verify HOST PORT` (package ldnsutils), one probe at a
# time.
#
# mode: prober.  ldns-dane delivers nothing: it connects with TLS to
# every address of HOST, verifies, and closes.  The adapter's word is the
# outcome (README.md, `probe`).
#
# ldns-dane has no STARTTLS: SMTPS (465) and XMPPS (5270) only; smtp and
# xmpp probes are skips.  (Its -c CERTFILE, verifying a chain fetched by
# another tool, would test the other tool's connection, not ldns-dane's.)
# Host choice is lib/hostpick.sh (MX, SRV through the lab's resolver);
# ldns-dane looks up the host's A and AAAA records and the TLSA RRset
# itself (_PORT._tcp.HOST) through resolv.conf, trusting the resolver's
# AD bit (no -S), and hands the records to OpenSSL's DANE
# (SSL_dane_enable with HOST: SNI and the name checks of DANE-TA;
# -n: DANE_FLAG_NO_DANE_EE_NAMECHECKS, RFC 7671 5.1).  A bogus TLSA RRset
# stops it before connecting; a bogus address record is discarded.
# Without secure TLSA records, or without usable ones, it says "PKIX
# validation without DANE will be performed" and verifies against the
# system's CA store, which fails in the lab.  The verdicts
# (harness/targets/parsers/ldns-dane.awk, golden tests:
# harness/tests/adapters/ldns-dane/): "dane-validated successfully":
# authenticated; no secure TLSA RRset (none, or insecure): DANE does not
# apply, so opportunistic is encrypted whatever PKIX said, mandatory
# refused; a secure RRset whose records are all unusable: ldns-dane's own
# PKIX verdict (the deviation in ldns-dane.baseline); a failed DANE
# verification: refused.
. "$(dirname "$0")/lib/adapter.sh"
. "$TARGETS_DIR/lib/hostpick.sh"
LDNS_DANE=${DANELAB_LDNS_DANE_BIN:-ldns-dane}
NO_INBOUND="ldns-dane is a TLS client: no inbound XMPP"

# try HOST PORT DANE - one ldns-dane run (hostpick.sh); DANE 0 (an
# insecure SRV RRset): ldns-dane still looks up TLSA, the parser ignores it
try() {
	hp_run "$1" "$2" "$3" ldns-dane "$LDNS_DANE" -n -4 verify "${1%.}" "$2"
}

# do_one ID PROTO POLICY DOMAIN - one probe, verdict on stdout
do_one() {
	case $2 in
	smtp|xmpp) echo "$1 skip ldns-dane has no STARTTLS: direct TLS (smtps, xmpps) only" ;;
	*) hostpick "$@" ;;
	esac
}

do_probe() {
	hp_need "$LDNS_DANE" ldnsutils
	"$LDNS_DANE" -v 2>&1 | head -n 1
	echo "mode: prober"
	probe_tls "$(command -v "$LDNS_DANE")"
	# The lab's resolver sees this adapter's MX/SRV lookups (hostpick.sh)
	# beside the tool's TLSA lookups:
	# its cells are not judged on query expectations.
	echo "dns: adapter"
}

# do_run FILE - each probe in its own process (do_one), up to BATCH_JOBS
# at once, each bounded by the deadline; the verdicts in the order of FILE
do_run() {
	batch_workdir || exit 1
	batch_run "$1"
}

adapter_main "$@"
