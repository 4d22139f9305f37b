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
# The text is the decisive posttls-finger line.
#
# Limits:
# - SMTP only: XMPP probes are "skip".
# - posttls-finger tries the next MX host only when it cannot connect or
#   look up TLSA, never after a failed match (see the baseline).
set -u

SELF=$0
. "$(dirname "$0")/lib/batch.sh"
case $SELF in /*) ;; *) SELF=$(pwd)/$SELF ;; esac
PTF=${DANELAB_POSTTLS_FINGER_BIN:-/usr/sbin/posttls-finger}
CLIENT=${DANELAB_CLIENT_NAME:-client.danelab.example}
DEADLINE_MS=${DANELAB_DEADLINE_MS:-20000}
WORK=${DANELAB_WORKDIR:-${TMPDIR:-/tmp}}
JOBS=8

# config DIR - the private main.cf
config() {
	mkdir -p "$1"
	cat >"$1/main.cf" <<EOF
compatibility_level = 3.6
smtp_dns_support_level = dnssec
dnssec_probe =
myhostname = $CLIENT
smtp_tls_loglevel = 1
EOF
}

# one ID PROTO POLICY DOMAIN - one probe, verdict on stdout
one() {
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
	out=$WORK/o.$id
	echo "# $id $PTF -l $level -L routine,certmatch,dane -P /etc/ssl/certs $w -t $t -T $t $dest"
	MAIL_CONFIG=$WORK/conf timeout "$((t + 1))" "$PTF" -l "$level" \
	    -L routine,certmatch,dane -P /etc/ssl/certs $w -t "$t" -T "$t" \
	    "$dest" >"$out" 2>&1
	rc=$?
	awk -v id="$id" 'NR <= 80 {print "# " id " | " $0}' "$out"
	[ "$rc" = 124 ] && echo "# $id posttls-finger timed out"
	# the last MX host tried: after the last failed session
	sed 's/^posttls-finger: //' "$out" | awk '
		/^Failed to establish session/ {n = 0; next}
		{l[n++] = $0}
		END {for (i = 0; i < n; i++) print l[i]}' >"$out.last"
	# pick RE - the first line of the last host matching RE
	pick() { grep -m 1 -E "$1" "$out.last"; }
	est=$(pick '(Verified|Trusted|Untrusted|Anonymous) TLS connection established')
	if ! grep -q '^Connected to' "$out.last"; then
		why=$(grep -E 'Failed to establish|lookup failed|lookup error|lookup problem|warning|fatal' "$out" | tail -n 1)
		echo "$id no-connect ${why#posttls-finger: }"
	elif [ -z "$est" ]; then
		why=$(pick 'verification failed|resorting to|warning|[Tt]imed out|lost connection|fatal|error')
		echo "$id refused ${why:-connected, no TLS session: $(tail -n 1 "$out.last")}"
	else case $est in
	Verified*)
		echo "$id authenticated $(pick 'Matched DANE' || echo "$est")" ;;
	*)
		if [ "$level" = dane-only ]; then
			why=$(pick 'resorting to|MX RRset insecure|all TLSA records unusable|verification failed')
			echo "$id refused not DANE-verified under dane-only: ${why:-$est}"
		elif [ "${est%% *}" != Trusted ] &&
		    grep -q '^DNSSEC-signed TLSA record' "$out.last" &&
		    ! grep -q 'all TLSA records unusable' "$out.last"; then
			echo "$id refused $(pick 'verification failed' || echo "$est")"
		else
			why=$(pick 'all TLSA records unusable|MX RRset insecure')
			echo "$id encrypted ${why:+$why; }$est"
		fi ;;
	esac fi
}

case ${1:-} in
probe)
	if [ ! -x "$PTF" ]; then
		echo "posttls-finger not installed (apt-get install postfix)"
		exit 3
	fi
	config "$WORK/conf"
	v=$(MAIL_CONFIG=$WORK/conf /usr/sbin/postconf -h mail_version 2>/dev/null)
	echo "posttls-finger (Postfix ${v:-version unknown})"
	echo "mode: prober"
	exit 0 ;;
setup)
	config "$WORK/conf" || exit 1
	exit 0 ;;
teardown)
	exit 0 ;;
serve)
	echo "posttls-finger is an SMTP client: no inbound XMPP"
	exit 3 ;;
run)
	[ -r "${2:-}" ] || { echo "usage: $0 run FILE" >&2; exit 2; }
	# batches may run at once in one work directory: one directory each
	WORK=$(mktemp -d "$WORK/run.XXXXXX") || exit 1
	export DANELAB_WORKDIR=$WORK
	config "$WORK/conf"
	secs=$(( (DEADLINE_MS + 999) / 1000 ))
	batch_run "$2" "$JOBS" "$secs" "$SELF" "$WORK"
	;;
_one)
	shift
	one "$@"
	exit 0 ;;
*)
	echo "usage: $0 probe|setup|serve POLICY|run FILE|teardown" >&2
	exit 2 ;;
esac
