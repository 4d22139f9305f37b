# harness/targets/lib/hostpick.sh - host choice for probing adapters
# whose tool connects to one named host and does its own TLSA lookup
# (gnutls.sh: gnutls-cli --dane; ldns-dane.sh: ldns-dane verify), sourced
# after lib/adapter.sh.  One dig +dnssec through the lab's resolver, then
# the adapter's `try HOST PORT DANE` for each host in turn.
#
# SMTP (RFC 7672): MX (bogus: delay; NXDOMAIN, null MX: give up; none:
# the domain itself; insecure under mandatory: delay, RFC 7672 2.2.1),
# hosts in preference order, the next one while `try` returns 1 (the host
# did not connect or refused).  XMPP (RFC 7673): SRV _xmpp-server._tcp
# (XMPPS: _xmpps-server._tcp) (bogus: abort, RFC 7673 3.1; none: the
# domain on 5269, XMPPS gives up; target ".": give up; insecure: DANE does
# not apply, so DANE=0, and mandatory does not connect), targets by
# priority, then weight (highest first).
#
# The adapter defines try HOST PORT DANE: one run of its tool at HOST
# (DANE 0: without DANE), setting VERDICT ("WORD TEXT") and returning 0
# when the probe is decided there (it went on, or is a skip), else 1.
# It calls hostpick ID PROTO POLICY DOMAIN from its do_one; `try` runs its
# tool through hp_run, do_probe checks it with hp_need.  Globals set for
# `try`: ID PROTO POLICY DOMAIN PORT; NL is a newline.
NL='
'

# hp_lookup NAME TYPE - one dig (three tries); sets HP_ST (secure,
# insecure, bogus or nxdomain; no answer at all ends the probe with an
# error) and HP_HOSTS ("HOST PORT" lines: MX exchanges by preference with
# PORT, or SRV targets by priority and weight); logs a line
hp_lookup() {
	hp_out=$(dig @"$RESOLVER" +dnssec +noall +comments +answer +time=5 +tries=3 "$1" "$2" 2>&1 |
	    awk -v t="$2" -v port="$PORT" 'BEGIN { n = 0 }
		/status: / { s = $0; sub(/.*status: /, "", s); sub(/,.*/, "", s) }
		/^;; flags: / { f = substr($0, 10); sub(/;.*/, "", f); ad = (f ~ / ad( |$)/) }
		!/^;/ && NF >= 5 && $4 == t {
			if (t == "MX") { k[n] = $5; h[n] = $6 " " port }
			else { k[n] = $5 * 65536 + 65535 - $6; h[n] = $8 " " $7 }
			n++
		}
		END {
			st = (s == "NOERROR") ? (ad ? "secure" : "insecure") : \
			    (s == "NXDOMAIN") ? "nxdomain" : (s == "") ? "noanswer" : "bogus"
			print st " " n " record(s), " (s == "" ? "no answer" : s)
			for (i = 1; i < n; i++)	# insertion sort: a few records
				for (j = i; j > 0 && k[j - 1] > k[j]; j--) {
					x = k[j]; k[j] = k[j - 1]; k[j - 1] = x
					x = h[j]; h[j] = h[j - 1]; h[j - 1] = x
				}
			for (i = 0; i < n; i++) print h[i]
		}')
	HP_ST=${hp_out%% *}
	HP_HOSTS=
	case $hp_out in *"$NL"*) HP_HOSTS=${hp_out#*"$NL"} ;; esac
	echo "# $ID dig $1 $2: ${hp_out%%"$NL"*}"
	# dig timed out (no status at all): the lab's resolver may well have
	# answered; an error, never a verdict on a bogus lookup.
	if [ "$HP_ST" = noanswer ]; then
		echo "$ID error dig got no answer from the lab's resolver for $1 $2 (it timed out): no verdict on it"
		exit 0
	fi
}

# hp_finish TEXT - the probe's verdict (the last host's, else no-connect
# TEXT); exits
hp_finish() {
	case $VERDICT in
	"") echo "$ID no-connect $*" ;;
	*) echo "$ID $VERDICT" ;;
	esac
	exit 0
}

# hp_hosts DANE - try each "HOST PORT" line of HP_HOSTS in turn; exits
hp_hosts() {
	echo "$HP_HOSTS" | {
		while read -r hp_host hp_port; do
			try "$hp_host" "$hp_port" "$1" && hp_finish
		done
		hp_finish "no host went on"
	}
}

# hostpick ID PROTO POLICY DOMAIN - one probe: choose hosts, try them,
# print the verdict line
hostpick() {
	ID=$1 PROTO=$2 POLICY=$3 DOMAIN=$4 PORT=
	VERDICT=
	case $PROTO in
	smtp|smtps)
		PORT=25
		[ "$PROTO" = smtps ] && PORT=465
		hp_lookup "$DOMAIN" MX
		case $HP_ST in
		bogus) hp_finish "MX lookup bogus or indeterminate: delay" ;;
		nxdomain) hp_finish "${DOMAIN%.} does not exist" ;;
		insecure) [ "$POLICY" = mandatory ] &&
			hp_finish "MX RRset insecure under mandatory DANE: delay" ;;
		esac
		[ -z "$HP_HOSTS" ] && HP_HOSTS="$DOMAIN $PORT"
		case "$NL$HP_HOSTS" in
		*"$NL. "*) hp_finish "null MX: ${DOMAIN%.} accepts no mail" ;;
		esac
		hp_hosts 1 ;;
	xmpp|xmpps)
		hp_svc=xmpp-server
		[ "$PROTO" = xmpps ] && hp_svc=xmpps-server
		hp_lookup "_$hp_svc._tcp.$DOMAIN" SRV
		hp_dane=1
		case $HP_ST in
		bogus) hp_finish "SRV lookup bogus or indeterminate: abort" ;;
		insecure)
			[ "$POLICY" = mandatory ] &&
				hp_finish "SRV RRset insecure under mandatory DANE: no connection"
			[ -n "$HP_HOSTS" ] && hp_dane=0 ;;
		esac
		if [ -z "$HP_HOSTS" ]; then
			[ "$PROTO" = xmpps ] &&
				hp_finish "no _xmpps-server SRV records: no direct TLS"
			HP_HOSTS="$DOMAIN 5269"
		fi
		case "$NL$HP_HOSTS" in
		*"$NL. "*) hp_finish "SRV target \".\": service not offered" ;;
		esac
		hp_hosts "$hp_dane" ;;
	*) echo "$ID error unknown protocol $PROTO" ;;
	esac
}

# hp_need BIN PACKAGE - for do_probe: exit 3 naming the package when BIN
# (or dig, for the host choice) is not installed
hp_need() {
	for hp_b in "$1:$2" dig:dnsutils; do
		command -v "${hp_b%%:*}" >/dev/null 2>&1 && continue
		echo "${hp_b%%:*} not installed (apt-get install ${hp_b#*:})"
		exit 3
	done
}

# hp_run HOST PORT DANE PARSER CMD [ARG..] - for `try`: run CMD at HOST
# (stdin /dev/null, its output kept in WORKDIR/o.ID.HOST.PORT), judge it
# with parsers/PARSER.awk (-v id at policy dane: "# ID | ..." log lines,
# then "WORD TEXT"), print the log lines and set VERDICT; returns 0 when
# the word is authenticated, encrypted or skip (decided), else 1
hp_run() {
	hp_at=${1%.}:$2 hp_d=$3 hp_p=$4
	shift 4
	hp_log=$WORKDIR/o.$ID.${hp_at%:*}.${hp_at##*:}
	echo "# $ID $*"
	"$@" </dev/null >"$hp_log" 2>&1
	hp_out=$(awk -v id="$ID" -v at="$hp_at" -v policy="$POLICY" \
	    -v dane="$hp_d" -f "$PARSERS/$hp_p.awk" "$hp_log")
	case $hp_out in *"$NL"*) echo "${hp_out%"$NL"*}" ;; esac
	VERDICT=${hp_out##*"$NL"}
	case $VERDICT in
	authenticated*|encrypted*|skip*) return 0 ;;
	esac
	return 1
}
