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

# The batch (do_run): one posttls-finger run a probe, BATCH_JOBS at once
# (xargs: per probe one sh, one timeout and posttls-finger itself), then
# one awk for every verdict (BATCH below, with parsers/posttls-finger.awk
# as a library).

# BATCH - awk: every probe of the batch file, in order: its log lines and
# its verdict, from PF_DIR/o.ID (its output) and PF_DIR/rc.ID (its exit
# status)
BATCH='NF == 4 {
	id = $1
	if ($2 != "smtp" && $2 != "smtps") {
		print id " skip posttls-finger speaks SMTP only"
		next
	}
	level = $3 == "mandatory" ? "dane-only" : "dane"
	w = ENVIRON["PF_DIR"]
	print "# " id " " ENVIRON["PF_BIN"] " -l " level " -L routine,certmatch,dane -P /etc/ssl/certs " ($2 == "smtps" ? "-w" : "") " -t " t " -T " t " " substr($4, 1, length($4) - 1) ($2 == "smtps" ? ":465" : "")
	ptf_reset()
	k = 0
	while ((getline line < (w "/o." id)) > 0) {
		if (++k <= 80) print "# " id " | " line
		ptf_line(line)
	}
	close(w "/o." id)
	rc = ""
	if ((getline rc < (w "/rc." id)) <= 0) rc = ""
	close(w "/rc." id)
	if (rc == 124) print "# " id " posttls-finger timed out"
	if (rc == "" && k == 0) print id " error timed out or no verdict"
	else print ptf_verdict(id, level)
}'

do_probe() {
	if [ ! -x "$PTF" ]; then
		echo "posttls-finger not installed (apt-get install postfix)"
		exit 3
	fi
	needs_root "posttls-finger run as root changes to Postfix's mail_owner"
	config "$WORKDIR/conf"
	v=$(MAIL_CONFIG=$WORKDIR/conf /usr/sbin/postconf -h mail_version 2>/dev/null)
	echo "posttls-finger (Postfix ${v:-version unknown})"
	echo "mode: prober"
	probe_tls "$PTF"
}

do_setup() {
	config "$WORKDIR/conf" || exit 1
}

# do_run FILE - every probe of FILE at once, up to BATCH_JOBS running,
# then the verdicts in the order of FILE
do_run() {
	batch_workdir || exit 1
	config "$WORKDIR/conf"
	PF_DIR=$WORKDIR PF_BIN=$PTF
	export PF_DIR PF_BIN
	dr_t=$(( DEADLINE_MS / 1000 - 2 ))
	[ "$dr_t" -lt 2 ] && dr_t=2
	: >"$WORKDIR/cmds"
	while read -r dr_id dr_proto dr_policy dr_dom dr_rest; do
		[ -n "$dr_dom" ] && [ -z "$dr_rest" ] || continue
		case $dr_proto in
		smtp) dr_dest=${dr_dom%.} dr_w= ;;
		smtps) dr_dest=${dr_dom%.}:465 dr_w=-w ;;
		*) continue ;;
		esac
		dr_level=dane
		[ "$dr_policy" = mandatory ] && dr_level=dane-only
		echo "MAIL_CONFIG=\"\$PF_DIR/conf\" timeout $((dr_t + 1)) \"\$PF_BIN\" -l $dr_level -L routine,certmatch,dane -P /etc/ssl/certs $dr_w -t $dr_t -T $dr_t $dr_dest >\"\$PF_DIR/o.$dr_id\" 2>&1; echo \$? >\"\$PF_DIR/rc.$dr_id\"" >>"$WORKDIR/cmds"
	done <"$1"
	[ -s "$WORKDIR/cmds" ] &&
	    xargs -d '\n' -n 1 -P "$BATCH_JOBS" sh -c <"$WORKDIR/cmds"
	printf "%s\n" "$BATCH" >"$WORKDIR/batch.awk"
	awk -v lib=1 -v t="$dr_t" -f "$PARSERS/posttls-finger.awk" \
	    -f "$WORKDIR/batch.awk" "$1"
}

adapter_main "$@"
