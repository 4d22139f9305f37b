#!/bin/sh
# A target whose mail of one batch arrives during the next, as a queue
# that is not emptied would deliver it: every `run` first delivers the
# previous batch's messages again (each session carrying that probe's id,
# danelab-probe-ID, as Postfix's envelope sender does), then its own, and
# says authenticated.  The first batch's cells pass; in every later batch
# the endpoints also see a session carrying another probe's id, and its
# cells are errors naming that stray session.
W=${DANELAB_WORKDIR:-.}

# deliver ID DOMAIN - an SMTP session with TLS to DOMAIN's MX, carrying ID
deliver() {
	mx=$(dig +short MX "$2" | awk '{print $2; exit}')
	printf 'EHLO late.example\r\nMAIL FROM:<danelab-probe-%s@late.example>\r\nQUIT\r\n' "$1" |
		timeout 10 openssl s_client -quiet -starttls smtp -connect "${mx%.}:25" >/dev/null 2>&1
}

case $1 in
probe) echo "late 1.0" ;;
setup|teardown) : ;;
serve) echo "late: no receiving server"; exit 3 ;;
run)
	if [ -s "$W/queue" ]; then
		while read -r id dom; do deliver "$id" "$dom"; done <"$W/queue"
	fi
	: >"$W/queue"
	while read -r id proto policy dom; do
		[ "$proto" = smtp ] || { echo "$id skip smtp only"; continue; }
		deliver "$id" "$dom"
		echo "$id $dom" >>"$W/queue"
		echo "$id authenticated delivered"
	done <"$2"
	;;
esac
