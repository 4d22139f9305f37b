#!/bin/sh
# posttls-finger.sh - danelab target adapter: Postfix's DANE probe,
# posttls-finger(1), which does its own DNS (MX, A, TLSA, DNSSEC through
# the lab's validating resolver; Postfix sets RES_TRUSTAD itself).
#
# One probe: posttls-finger -l dane (opportunistic) or -l dane-only
# (mandatory) -L routine,certmatch,dane -P /etc/ssl/certs DOMAIN
# (DOMAIN:465 with -w for SMTPS), with a private main.cf under
# $DANELAB_WORKDIR (MAIL_CONFIG): smtp_dns_support_level = dnssec,
# dnssec_probe = (its probe of the real root would fail here),
# myhostname = $DANELAB_CLIENT_NAME (the EHLO name).  The "dane" log
# option prints each usable TLSA record ("DNSSEC-signed TLSA record").
#
# mode: prober.  posttls-finger delivers no mail: whatever it concludes,
# it says EHLO over TLS and QUIT, so the wire cannot show its decision.
# The adapter's word is the outcome instead (README.md, `probe`): what a
# Postfix SMTP client at the same level would do, read from
# posttls-finger's own lines about the last MX host it tried (the lines
# after the last "Failed to establish session"):
# - "Verified TLS connection established" (DANE matched): authenticated;
# - no "Connected to": no-connect;
# - -l dane-only, TLS but not "Verified" (no usable TLSA, so it resorted
#   to "secure"; an insecure MX RRset, so it logs "Trusted"; a failed
#   match): refused -- posttls-finger says it is not DANE-verified;
# - -l dane, "Untrusted"/"Anonymous" after usable DNSSEC-signed TLSA
#   records, i.e. a failed DANE match: refused (a Postfix client defers,
#   RFC 7672 3.2; behind an insecure MX RRset too, since
#   smtp_tls_dane_insecure_mx_policy = dane);
# - -l dane, "Trusted"/"Untrusted"/"Anonymous" without usable TLSA (none,
#   all unusable, "fallback to unauthenticated TLS"), or "Trusted" after
#   an insecure MX: encrypted (opportunistic TLS);
# - connected, no TLS session: refused.
# The text is the decisive posttls-finger line.  The judging is
# harness/targets/parsers/posttls-finger.awk (golden tests:
# harness/tests/adapters/posttls-finger/).
#
# Limits:
# - SMTP only: XMPP probes are "skip".
# - posttls-finger tries the next MX host only when it cannot connect or
#   look up TLSA, never after a failed match (see the baseline).
. "$(dirname "$0")/lib/adapter.sh"
PTF=${DANELAB_POSTTLS_FINGER_BIN:-/usr/sbin/posttls-finger}
NO_INBOUND="posttls-finger is an SMTP client: no inbound XMPP"

# config DIR - the private main.cf
config() {
	mkdir -p "$1"
	cat >"$1/main.cf" <<EOF2
compatibility_level = 3.6
smtp_dns_support_level = dnssec
dnssec_probe =
myhostname = $CLIENT
smtp_tls_loglevel = 1
EOF2
}

# do_one ID PROTO POLICY DOMAIN - one probe, verdict on stdout
# (parsers/posttls-finger.awk)
do_one() {
	id=$1 proto=$2 policy=$3 domain=$4
	dom=${domain%.}
	case $proto in
	smtp) dest=$dom; w= ;;
	smtps) dest=$dom:465; w=-w ;;
	*) echo "$id skip posttls-finger speaks SMTP only"; return ;;
	esac
	level=dane
	[ "$policy" = mandatory ] && level=dane-only
	t=$(( DEADLINE_MS / 1000 - 2 ))
	[ "$t" -lt 2 ] && t=2
	out=$WORKDIR/o.$id
	echo "# $id $PTF -l $level -L routine,certmatch,dane -P /etc/ssl/certs $w -t $t -T $t $dest"
	MAIL_CONFIG=$WORKDIR/conf timeout "$((t + 1))" "$PTF" -l "$level" \
	    -L routine,certmatch,dane -P /etc/ssl/certs $w -t "$t" -T "$t" \
	    "$dest" >"$out" 2>&1
	rc=$?
	awk -v id="$id" 'NR <= 80 {print "# " id " | " $0}' "$out"
	[ "$rc" = 124 ] && echo "# $id posttls-finger timed out"
	awk -v id="$id" -v level="$level" -f "$PARSERS/posttls-finger.awk" "$out"
}

do_probe() {
	if [ ! -x "$PTF" ]; then
		echo "posttls-finger not installed (apt-get install postfix)"
		exit 3
	fi
	config "$WORKDIR/conf"
	v=$(MAIL_CONFIG=$WORKDIR/conf /usr/sbin/postconf -h mail_version 2>/dev/null)
	echo "posttls-finger (Postfix ${v:-version unknown})"
	echo "mode: prober"
}

do_setup() {
	config "$WORKDIR/conf" || exit 1
}

# do_run FILE - each probe in its own process (do_one), up to BATCH_JOBS
# at once
do_run() {
	batch_workdir || exit 1
	config "$WORKDIR/conf"
	batch_run "$1"
}

adapter_main "$@"
