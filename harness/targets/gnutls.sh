#!/bin/sh
# gnutls.sh - danelab target adapter: GnuTLS's gnutls-cli --dane
# (libgnutls-dane) as a DANE verifier, one probe at a time.
#
# mode: prober.  gnutls-cli delivers nothing: after the handshake it
# sends nothing and closes (stdin is /dev/null).  The adapter's word is
# the outcome (README.md, `probe`): what a client that trusts
# libgnutls-dane's verdict would do.
#
# Host choice is the adapter's, as gnutls-cli does none:
# harness/targets/lib/hostpick.sh (one dig +dnssec for MX or SRV, hosts
# in order, the next one when a host does not connect or refuses; an
# insecure SRV RRset: no --dane).
#
# Per host: gnutls-cli --dane --local-dns --insecure [--starttls-proto=smtp
# |xmpp] -p PORT HOST </dev/null.  --local-dns: libunbound asks the lab's
# resolver (resolv.conf) and validates with /usr/share/dns/root.key, which
# the lab provides.  --insecure: PKIX fails in the lab (no trust store to
# speak of), and gnutls-cli would stop before its DANE check; with it, the
# DANE verdict ("- DANE: ..." or "*** DANE verification error: ...") is
# printed and read apart from PKIX.  CA verification stays on: without it
# libdane checks only the EE usages (DANE_VFLAG_ONLY_CHECK_EE_USAGE,
# src/cli.c cert_verify_callback).  What a run came to is
# harness/targets/parsers/gnutls.awk (golden tests:
# harness/tests/adapters/gnutls/).
#
# libgnutls-dane looks the TLSA RRset up (_PORT._tcp.HOST, the name as
# given: no CNAME expansion) inside the handshake's verify callback, so
# gnutls-cli has always connected before it knows; it does not look at
# the address records' security.  Its deviations: gnutls.baseline.
#
# Limits (the adapter's, not GnuTLS's):
# - SNI and the TLSA base domain are the host name (SMTP: the MX host;
#   XMPP: the SRV target); gnutls-cli's XMPP STARTTLS is a client stream
#   (jabber:client, to= the host).
# - No cleartext: an opportunistic probe whose STARTTLS fails is a skip.
# - One gnutls-cli run per host, no retries; IPv4 as the lab has it.
. "$(dirname "$0")/lib/adapter.sh"
. "$TARGETS_DIR/lib/hostpick.sh"
GNUTLS_CLI=${DANELAB_GNUTLS_BIN:-gnutls-cli}
NO_INBOUND="gnutls-cli is a TLS client: no inbound XMPP"

# try HOST PORT DANE - one gnutls-cli run (lib/hostpick.sh)
try() {
	set -- "$1" "$2" "$3" --local-dns --insecure -p "$2"
	[ "$3" = 1 ] && set -- "$@" --dane
	case $PROTO in
	smtp) set -- "$@" --starttls-proto=smtp ;;
	xmpp) set -- "$@" --starttls-proto=xmpp ;;
	xmpps) set -- "$@" --alpn=xmpp-server ;;
	esac
	tr_h=$1 tr_p=$2 tr_d=$3
	shift 3
	hp_run "$tr_h" "$tr_p" "$tr_d" gnutls "$GNUTLS_CLI" "$@" "${tr_h%.}"
}

# do_one ID PROTO POLICY DOMAIN - one probe, verdict on stdout
do_one() {
	hostpick "$@"
}

do_probe() {
	hp_need "$GNUTLS_CLI" gnutls-bin
	"$GNUTLS_CLI" --help 2>&1 | grep -q -- '--dane' || {
		echo "$GNUTLS_CLI has no --dane (built without libgnutls-dane)"
		exit 3
	}
	echo "$("$GNUTLS_CLI" --version 2>/dev/null | head -n 1) --dane (libgnutls-dane)"
	echo "mode: prober"
	probe_tls "$(command -v "$GNUTLS_CLI")"
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
