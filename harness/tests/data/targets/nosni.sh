#!/bin/sh
# A target that claims DANE authentication but sends no SNI: RFC 7672 8.1
# says the SMTP client MUST send the TLSA base domain, so its
# authenticated cells fail, quoting the SNI the endpoint saw.
case $1 in
probe) echo "nosni 1.0" ;;
setup|teardown) : ;;
serve) echo "nosni: no receiving server"; exit 3 ;;
run)
	while read -r id proto policy dom; do
		[ "$proto" = smtp ] || { echo "$id skip smtp only"; continue; }
		mx=$(dig +short MX "$dom" | awk '{print $2; exit}')
		printf 'EHLO nosni.example\r\nQUIT\r\n' |
			timeout 10 openssl s_client -quiet -noservername \
			    -starttls smtp -connect "${mx%.}:25" >/dev/null 2>&1
		echo "$id authenticated without SNI ($policy)"
	done <"$2"
	;;
esac
