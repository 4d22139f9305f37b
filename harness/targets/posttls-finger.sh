#!/bin/sh
# posttls-finger.sh - danelab target adapter: Postfix's DANE probe,
# posttls-finger(1), which does its own DNS (MX, A, TLSA, DNSSEC through
# the lab's validating resolver; Postfix sets RES_TRUSTAD itself).
#
# One probe: posttls-finger -l dane (opportunistic) or -l dane-only
# (mandatory) -P /etc/ssl/certs DOMAIN (DOMAIN:465 with -w for SMTPS),
# with a private main.cf under $DANELAB_WORKDIR (MAIL_CONFIG):
# smtp_dns_support_level = dnssec, dnssec_probe = (its probe of the real
# root would fail here), myhostname = $DANELAB_CLIENT_NAME (the EHLO name).
#
# What the lab's endpoints see: posttls-finger delivers no mail.  It says
# EHLO, STARTTLS, does the handshake, says EHLO again over TLS, then QUIT.
# The endpoints count any command after TLS except QUIT as going on
# (harness/smtp.c), so the EHLO after TLS shows up as "encrypted", and
# this adapter's word upgrades it to "authenticated" when posttls-finger
# printed "Verified TLS connection established" (it prints "Matched DANE
# ... certificate at depth N" beside it).  "Untrusted"/"Anonymous"/
# "Trusted TLS connection established" are "encrypted"; a connection
# without one of those lines is "refused"; no connection is "no-connect".
#
# Limits:
# - SMTP only: XMPP probes are "skip".
# - posttls-finger is a probe, not a mailer: it reports a failed DANE
#   match and may still say EHLO over the TLS session, which the endpoint
#   sees as going on (see the baseline).
# - Under -l dane without usable TLSA records it uses the "secure" level
#   (PKIX, -P /etc/ssl/certs), which the lab's certificates never pass.
set -u

SELF=$0
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
	echo "# $PTF -l $level -P /etc/ssl/certs $w -t $t -T $t $dest"
	MAIL_CONFIG=$WORK/conf timeout "$((t + 1))" "$PTF" -l "$level" \
	    -P /etc/ssl/certs $w -t "$t" -T "$t" "$dest" >"$out" 2>&1
	rc=$?
	awk 'NR <= 60 {print "# | " $0}' "$out"
	[ "$rc" = 124 ] && echo "# posttls-finger timed out"
	last=$(grep -E 'TLS connection established|Matched DANE|certificate verification failed|TLSA|delay|defer|abort|fatal|warning' "$out" | tail -n 1)
	if grep -q 'Verified TLS connection established' "$out"; then
		echo "$id authenticated $(grep -m 1 'Matched DANE' "$out" | sed 's/^posttls-finger: //')"
	elif grep -q '\(Untrusted\|Anonymous\|Trusted\) TLS connection established' "$out"; then
		echo "$id encrypted $(grep -m 1 'TLS connection established' "$out" | sed 's/^posttls-finger: //')"
	elif grep -q 'Connected to' "$out"; then
		echo "$id refused ${last#posttls-finger: }"
	else
		echo "$id no-connect ${last#posttls-finger: }"
	fi
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
	exit 0 ;;
setup)
	config "$WORK/conf" || exit 1
	exit 0 ;;
teardown)
	exit 0 ;;
run)
	[ -r "${2:-}" ] || { echo "usage: $0 run FILE" >&2; exit 2; }
	# batches may run at once in one work directory: one directory each
	WORK=$(mktemp -d "$WORK/run.XXXXXX") || exit 1
	export DANELAB_WORKDIR=$WORK
	config "$WORK/conf"
	secs=$(( (DEADLINE_MS + 999) / 1000 ))
	awk 'NF == 4' "$2" | xargs -P "$JOBS" -L 1 sh -c '
		timeout -k 2 "$1" sh "$2" _one "$4" "$5" "$6" "$7" \
		    >"$3/v.$4" 2>&1
		st=$?
		[ $st = 124 ] && echo "# timed out after $1 s" >>"$3/v.$4"
		[ $st = 0 ] || echo "# probe process ended with status $st" >>"$3/v.$4"
		exit 0' sh "$secs" "$SELF" "$WORK"
	awk 'NF == 4 {print $1}' "$2" | while read -r id; do
		f=$WORK/v.$id
		[ -f "$f" ] && grep '^#' "$f"
		if [ -f "$f" ] && grep -q "^$id " "$f"; then
			grep "^$id " "$f" | tail -n 1
		else
			echo "$id error timed out or no verdict"
		fi
	done
	;;
_one)
	shift
	one "$@"
	exit 0 ;;
*)
	echo "usage: $0 probe|setup|run FILE|teardown" >&2
	exit 2 ;;
esac
