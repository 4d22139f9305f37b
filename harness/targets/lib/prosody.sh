# harness/targets/lib/prosody.sh - the Prosody adapter, shared by the
# targets prosody (Debian 12's 0.12, harness/targets/prosody.sh) and
# prosody13 (13.0 from bookworm-backports, harness/targets/prosody13.sh).
# (contract: harness/targets/README.md)
#
# The wrapper sets, then sources this file and calls adapter_main "$@"
# (harness/targets/lib/adapter.sh, the skeleton):
#   PROSODY_BIN      the prosody launcher to test
#   PROSODY_CTL      its prosodyctl (default: next to PROSODY_BIN)
#   PROSODY_MISSING  what probe says when PROSODY_BIN is missing
#   PROSODY_TPL      template directory name under harness/targets/
#                    (default prosody)
#
# Outbound (xmpp, xmpps probes): two private Prosody instances under
# $DANELAB_WORKDIR, one per policy (s2s_secure_auth is a global option of
# mod_s2s, not a per-host one): opportunistic/ (s2s_secure_auth = false)
# and mandatory/ (true), each with its own config (from
# harness/targets/prosody/prosody.cfg.lua.in), data directory, admin
# socket, pid file and debug log, owned by and run as the prosody user
# (runuser -u prosody -- prosody -F, in its own session: the harness kills
# each verb's process group).  Both have one VirtualHost,
# $DANELAB_CLIENT_NAME; use_dane = true; libunbound forwards to the lab's
# resolver (resolv.conf) and validates with the lab's root DS
# (unbound.trusted, a string); no listener of any kind, no c2s.
#
# run: one batch is one protocol and one policy.  The batch's instance is
# restarted (no s2s session or DNS cache left from the previous batch),
# then every probe is one `prosodyctl shell "xmpp:ping(CLIENT, DOMAIN, T)"`,
# all at once.  The adapter polls the debug log until every probe is
# decided, then stops the instance (Prosody closes its sessions, so the
# endpoints see them end within the batch).
#
# xmpp and xmpps probes are driven alike: Prosody itself tries
# _xmpps-server._tcp (XEP-0368 direct TLS, SNI = JID domain, ALPN
# xmpp-server) first and then _xmpp-server._tcp (STARTTLS, SNI = SRV
# target), for either probe.  smtp/smtps probes are skipped.
#
# Verdicts, from the session lines of the domain's s2sout session (mapped
# by "CLIENT->DOMAIN" in its lines) and the connection lines of its
# connection (the first session line after the connection's TLS
# handshake):
#   authenticated  "Enabling DANE with N TLSA records", "certificate chain
#                  validation result: valid", "certificate identity
#                  validation result: valid", "Outgoing s2s connection
#                  ... complete" (the lab has no PKIX trust: a valid chain
#                  is DANE's)
#   encrypted      "Stream encrypted" and "... complete" otherwise
#                  (without s2s_secure_auth: dialback)
#   cleartext      "... complete" without TLS
#   refused        "Forbidding insecure connection", or a session that
#                  sent a stream header and was destroyed
#   no-connect     a failed session that never sent a stream header, or
#                  the admin shell's ping error
# The DNS lines of the probe's domain (SRV, TLSA) are kept as "# ID" lines.
# The parsers: harness/targets/parsers/prosody-out.awk and prosody-in.awk
# (golden tests: harness/tests/adapters/prosody-out/, prosody-in/).
#
# Inbound (xmpp-in probes: the lab connects to Prosody as the server of
# DOMAIN): `serve POLICY` starts a third instance, in-POLICY/, listening
# for s2s (STARTTLS) on $DANELAB_INBOUND_ADDR:$DANELAB_INBOUND_PORT for
# the VirtualHost $DANELAB_INBOUND_DOMAIN with the harness's certificate
# ($DANELAB_INBOUND_CERT, _KEY, copied into the instance), with
# mod_saslauth (SASL EXTERNAL for s2s) and use_dane (in Prosody 13 this
# loads mod_s2s_auth_dane_in: TLSA of the connecting server at
# _xmpp-server.DOMAIN, else via its SRV targets; 0.12 has no such module).
# `run` reads that instance's log (see parse_in_log), then stops it.
#
# By hand, for `danelab connect` (harness/README.md, "Inbound by hand"):
# in a lab left up by `danelab up --dir D` (with an xmpp-in scenario, so
# that up wrote the receivers' chain to D/inbound/full/),
#
#   danelab exec --dir D -- sh harness/targets/prosody13.sh serve mandatory
#   danelab connect in-insecure --dir D --policy mandatory --to 127.0.0.5
#   danelab exec --dir D -- sh harness/targets/prosody13.sh teardown
#
# starts the same receiving instance as a run's `serve` (listening on
# 127.0.0.5:5269 for client.danelab.example), then stops it.  Under
# `danelab exec` DANELAB_WORKDIR is unset and DANELAB_LAB_DIR is set: the
# instance then lives in D/targets/NAME-by-hand/ (its log: in-POLICY/
# prosody.log there) and presents D/inbound/full/chain.pem and key.pem.
#
# Never run `prosody --version`: 0.12 ignores the flag and starts a server
# with the system configuration.
. "$(dirname "$0")/lib/adapter.sh"

if [ -z "${DANELAB_WORKDIR:-}" ] && [ -n "${DANELAB_LAB_DIR:-}" ]; then
	WORKDIR=$DANELAB_LAB_DIR/targets/$(basename "$0" .sh)-by-hand
	mkdir -p "$WORKDIR" || exit 1
	DANELAB_INBOUND_CERT=${DANELAB_INBOUND_CERT:-$DANELAB_LAB_DIR/inbound/full/chain.pem}
	DANELAB_INBOUND_KEY=${DANELAB_INBOUND_KEY:-$DANELAB_LAB_DIR/inbound/full/key.pem}
fi

BIN=${PROSODY_BIN:-/usr/bin/prosody}
CTL=${PROSODY_CTL:-$(dirname "$BIN")/prosodyctl}
MISSING=${PROSODY_MISSING:-prosody not installed (apt-get install prosody lua-unbound)}
TPL=$(template_dir "${PROSODY_TPL:-prosody}" prosody.cfg.lua.in)
POLICIES="opportunistic mandatory"

inst() { echo "$WORKDIR/$1"; }	# an instance's directory, by policy

ctl() {	# ctl POLICY ARGS.. - prosodyctl for that instance
	ctl_d=$(inst "$1")
	shift
	"$CTL" --config "$ctl_d/prosody.cfg.lua" "$@"
}

pid_of() {	# pid_of POLICY - the instance's live pid
	po_f=$(inst "$1")/prosody.pid
	[ -s "$po_f" ] || return 1
	po_p=$(tr -dc 0-9 < "$po_f")
	[ -n "$po_p" ] && kill -0 "$po_p" 2>/dev/null && echo "$po_p"
}

lua_unbound_ok() {
	for f in /usr/lib/*/liblua5.[1-4]-unbound.so* /usr/lib/*/lua/5.[1-4]/lunbound.so; do
		[ -e "$f" ] && return 0
	done
	return 1
}

# trust_anchor - the lab root's DS (else its KSK DNSKEY) as one line
trust_anchor() {
	ta=${DANELAB_TRUST_ANCHOR:-/usr/share/dns/root.key}
	for f in "$ta" "$(dirname "$ta")/root.ds"; do
		[ -r "$f" ] || continue
		l=$(awk '!/^;/ && $0 ~ /[ \t]DS[ \t]/ {print; exit}' "$f")
		[ -n "$l" ] || l=$(awk '!/^;/ && $0 ~ /[ \t]DNSKEY[ \t]+257[ \t]/ {print; exit}' "$f")
		if [ -n "$l" ]; then
			echo "$l" | tr -s ' \t' ' ' | tr -d '"\\'
			return 0
		fi
	done
	return 1
}

do_probe() {
	if [ ! -x "$BIN" ] || [ ! -x "$CTL" ]; then
		echo "$MISSING"
		exit 3
	fi
	needs_root "Prosody runs as the prosody user"
	if ! lua_unbound_ok; then
		echo "lua-unbound not installed: no DNSSEC, no DANE (apt-get install prosody lua-unbound)"
		exit 3
	fi
	# (never `prosody --version`: 0.12 ignores the flag and starts a server)
	v=$("$CTL" about 2>/dev/null | sed -n 's/^Prosody \([0-9][^ ]*\).*/\1/p' | head -n 1)
	if [ -z "$v" ]; then
		echo "prosody not installed or broken: $CTL about failed ($MISSING)"
		exit 3
	fi
	if [ -f "$(dane_in_module)" ]; then
		echo "Prosody $v (s2s out and in, use_dane, mod_s2s_auth_dane_in, lua-unbound)"
	else
		echo "Prosody $v (s2s out and in, use_dane, no mod_s2s_auth_dane_in, lua-unbound)"
	fi
	# its TLS is LuaSec's (ssl.so)
	probe_tls /usr/lib/*/lua/5.[1-4]/ssl.so
}

# dane_in_module - where this Prosody's mod_s2s_auth_dane_in would be
dane_in_module() {
	src=$(sed -n "s/^CFG_SOURCEDIR='\\(.*\\)';.*/\\1/p" "$BIN" 2>/dev/null | head -n 1)
	echo "${src:-/usr/lib/prosody}/modules/mod_s2s_auth_dane_in.lua"
}

start_one() {	# start_one INSTANCE - INSTANCE: POLICY (outbound) or in-POLICY (inbound)
	so_name=$1
	so_pol=${so_name#in-}
	so_d=$(inst "$so_name")
	so_sa=false
	[ "$so_pol" = mandatory ] && so_sa=true
	mkdir -p "$so_d/data" "$so_d/certs" || return 1	# certs: certmanager indexes it (empty)
	so_to=$(( DEADLINE_MS / 1000 - 5 ))
	[ "$so_to" -ge 5 ] || so_to=5
	case $so_name in
	in-*)	# a receiving s2s server with the harness's certificate
		cp "$DANELAB_INBOUND_CERT" "$so_d/cert.pem" && cp "$DANELAB_INBOUND_KEY" "$so_d/key.pem" || return 1
		chmod 600 "$so_d/key.pem"
		so_ports=$INBOUND_PORT so_ifaces="\"$INBOUND_ADDR\"" so_host=$INBOUND_DOMAIN
		so_ssl="ssl = { certificate = \"$so_d/cert.pem\"; key = \"$so_d/key.pem\"; }"
		so_mods='"saslauth";	-- SASL EXTERNAL for incoming s2s'
		so_what="incoming s2s on $INBOUND_ADDR port $INBOUND_PORT" ;;
	*)	so_ports= so_ifaces= so_host=$CLIENT
		so_ssl="-- no certificate: outgoing s2s only"
		so_mods=
		so_what="outgoing s2s only: no listener of any kind but the admin socket" ;;
	esac
	sed -e "s|@INST@|$so_d|g" -e "s|@POLICY@|$so_pol|g" -e "s|@SECURE_AUTH@|$so_sa|g" \
	    -e "s|@S2S_TIMEOUT@|$so_to|g" -e "s|@TRUSTED@|$TA|g" \
	    -e "s|@S2S_PORTS@|$so_ports|g" -e "s|@S2S_INTERFACES@|$so_ifaces|g" \
	    -e "s|@SSL@|$so_ssl|g" -e "s|@MODULES@|$so_mods|g" -e "s|@WHAT@|$so_what|g" \
	    -e "s|@CLIENT@|$so_host|g" "$TPL/prosody.cfg.lua.in" > "$so_d/prosody.cfg.lua" || return 1
	: >> "$so_d/prosody.log"
	chown -R prosody: "$so_d" || return 1
	chmod 755 "$WORKDIR" "$so_d" 2>/dev/null
	# Its own session: the harness kills the verb's process group.
	setsid runuser -u prosody -- "$BIN" -F --config "$so_d/prosody.cfg.lua" \
	    > "$so_d/stdout" 2>&1 < /dev/null &
	echo $! > "$so_d/launcher.pid"
}

ready_one() {	# ready_one POLICY - 0 once the admin shell answers
	ro_out=$(timeout 5 "$CTL" --config "$(inst "$1")/prosody.cfg.lua" shell "server:version()" 2>&1) || return 1
	case $ro_out in *"OK"*|*0.1*) return 0 ;; esac
	return 1
}

launcher_runs() {	# launcher_runs INSTANCE - 0 while its launcher runs
	kill -0 "$(cat "$(inst "$1")/launcher.pid" 2>/dev/null)" 2>/dev/null
}

stop_one() {	# stop_one POLICY - stop the instance, bounded (8 s)
	st_pol=$1
	st_d=$(inst "$st_pol")
	st_p=$(pid_of "$st_pol") || st_p=
	[ -n "$st_p" ] && kill "$st_p" 2>/dev/null
	st_lp=
	[ -s "$st_d/launcher.pid" ] && st_lp=$(cat "$st_d/launcher.pid")
	wait_for 8000 0.1 pids_gone "$st_p" "$st_lp"
	if [ -n "$st_p" ] && kill -0 "$st_p" 2>/dev/null; then
		echo "# prosody ($st_pol) pid $st_p still running after 8 s: SIGKILL"
		kill -9 "$st_p" 2>/dev/null
	fi
	if [ -n "$st_lp" ] && kill -0 "$st_lp" 2>/dev/null; then
		kill -9 "$st_lp" 2>/dev/null
	fi
	rm -f "$st_d/launcher.pid"
}

# ready_or_gone POLICY - 0 once the admin shell answers, 2 when the
# launcher has ended (it never will), else 1 (for wait_until)
ready_or_gone() {
	ready_one "$1" && return 0
	launcher_runs "$1" || return 2
	return 1
}

wait_ready() {	# wait_ready POLICY SECONDS
	wr_pol=$1
	ready_end=$(( $(now_ms) + $2 * 1000 ))
	if ! wait_until "$ready_end" 0.2 ready_or_gone "$wr_pol"; then
		echo "prosody ($wr_pol) did not become ready:"
		tail -n 5 "$(inst "$wr_pol")/stdout"
		tail -n 20 "$(inst "$wr_pol")/prosody.log"
		return 1
	fi
	echo "# prosody ($wr_pol) ready, pid $(pid_of "$wr_pol"), config $(inst "$wr_pol")/prosody.cfg.lua"
}

# parse_log CLIENT [count] - verdicts from a batch's log
# (parsers/prosody-out.awk; stdin: the instance's log from the batch's
# start, then "@@ping ID TEXT" lines); $WORKDIR/batch lists "ID PROTO
# POLICY DOMAIN".  count prints how many are decided.
parse_log() {
	awk -v client="$1" -v mode="${2:-final}" -v batch="$WORKDIR/batch" -f "$PARSERS/prosody-out.awk"
}

do_setup() {
	[ -x "$BIN" ] || { echo "prosody not installed (apt-get install prosody lua-unbound)"; exit 1; }
	id prosody > /dev/null 2>&1 || { echo "no prosody user (apt-get install prosody)"; exit 1; }
	TA=$(trust_anchor) || { echo "no DS or DNSKEY in ${DANELAB_TRUST_ANCHOR:-the trust anchor file}"; exit 1; }
	echo "$TA" > "$WORKDIR/trusted"
	for pol in $POLICIES; do
		start_one "$pol" || { echo "cannot write the $pol instance under $WORKDIR"; exit 1; }
	done
	for pol in $POLICIES; do
		wait_ready "$pol" 40 || exit 1
	done
}

do_teardown() {
	for pol in $POLICIES; do
		stop_one "$pol"
		stop_one "in-$pol"
	done
	return 0
}

# run_out FILE - the outbound (xmpp, xmpps) probes of FILE
run_out() {
	file=$1
	n=0
	: > "$WORKDIR/batch"
	while read -r id proto policy domain rest; do
		[ -n "${id:-}" ] || continue
		case $proto in
		xmpp|xmpps) ;;
		xmpp-in) continue ;;	# run_in
		smtp|smtps) echo "$id skip Prosody speaks XMPP only"; continue ;;
		*) echo "$id error unknown protocol $proto"; continue ;;
		esac
		case $policy in
		opportunistic|mandatory) ;;
		*) echo "$id error unknown policy $policy"; continue ;;
		esac
		d=$(echo "${domain%.}" | tr 'A-Z' 'a-z')
		echo "$id $proto $policy $d" >> "$WORKDIR/batch"
		pol=$policy
		n=$((n + 1))
	done < "$file"
	[ "$n" -gt 0 ] || return 0
	rm -f "$WORKDIR"/ping.*
	start=$(now_ms)
	batch_end=$(( start + DEADLINE_MS * (1 + n / 16) - 3000 ))
	d=$(inst "$pol")
	# A fresh instance per batch: no s2s session, no DNS cache, a new
	# log.  (Prosody would reuse an open session to a domain of the
	# previous batch instead of connecting.)
	TA=$(cat "$WORKDIR/trusted")
	stop_one "$pol"
	k=1
	while [ -e "$d/prosody.log.$k" ]; do k=$((k + 1)); done
	[ -e "$d/prosody.log" ] && mv "$d/prosody.log" "$d/prosody.log.$k"
	start_one "$pol" && wait_ready "$pol" 15 > "$WORKDIR/ready.out" 2>&1
	if [ $? != 0 ]; then
		sed 's/^#* */# /' "$WORKDIR/ready.out"
		awk '{print $1, "error", "the private Prosody instance did not restart (see its log)"}' "$WORKDIR/batch"
		return 0
	fi
	cat "$WORKDIR/ready.out"
	pt=$(( DEADLINE_MS / 1000 - 4 ))
	[ "$pt" -ge 3 ] || pt=3
	pids=
	while read -r id proto policy dom; do
		ping_one "$id" "$dom" "$d" &
		pids="$pids $!"
	done < "$WORKDIR/batch"
	# Poll the log until every probe is decided, every ping has ended,
	# or the batch's deadline nears.
	while :; do
		sleep 0.3
		c=$( { cat "$d/prosody.log"; pinglines; } | parse_log "$CLIENT" count)
		[ "$c" -ge "$n" ] && { sleep 0.5; break; }
		live=0
		for p in $pids; do kill -0 "$p" 2>/dev/null && live=1; done
		[ "$live" = 0 ] && break
		[ "$(now_ms)" -lt "$batch_end" ] || { echo "# deadline near: $c of $n probes decided"; break; }
	done
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	for f in "$WORKDIR"/ping.*.retried; do
		[ -f "$f" ] || continue
		id=${f#"$WORKDIR/ping."}; id=${id%.retried}
		echo "# $id: the admin shell was refused $(cat "$f") time(s) (its socket's backlog was full), then tried again"
	done
	echo "# batch of $n $pol probes took $(( $(now_ms) - start )) ms (log $d/prosody.log)"
	{ cat "$d/prosody.log"; pinglines; } | parse_log "$CLIENT" final
	# Stop the instance now: Prosody closes its sessions (so the lab's
	# endpoints see them end within this batch, not the next one).
	stop_one "$pol"
	if [ "${DANELAB_PROSODY_DUMP:-0}" = 1 ]; then
		sed "s/^/# log: /" "$d/prosody.log"
	fi
}

# ping_one ID DOMAIN DIR - one xmpp:ping through the admin shell of the
# instance in DIR, output in $WORKDIR/ping.ID.  Prosody's admin socket listens
# with a backlog of 32 and the shell connects without waiting: when a
# loaded server accepts late, the shells beyond the backlog fail at once
# ("** Unable to connect to server").  That is the harness's problem, not
# the target's answer: try again, until the batch's deadline nears.
ping_one() {
	tries=1
	trap 'kill $cp 2>/dev/null; exit 0' TERM
	while :; do
		timeout -k 1 $((pt + 2)) "$CTL" --config "$3/prosody.cfg.lua" \
		    shell "xmpp:ping('$CLIENT', '$2', $pt)" > "$WORKDIR/ping.$1" 2>&1 < /dev/null &
		cp=$!
		wait $cp
		grep -q '^\*\* Unable to connect' "$WORKDIR/ping.$1" || return 0
		[ $tries -lt 20 ] && [ "$(now_ms)" -lt $((batch_end - pt * 1000)) ] || return 0
		echo "$tries" > "$WORKDIR/ping.$1.retried"
		tries=$((tries + 1))
		sleep 0.2
	done
}

pinglines() {	# the admin shell's output of every ping, as "@@ping ID TEXT"
	while read -r id proto policy dom; do
		[ -f "$WORKDIR/ping.$id" ] && sed "s/^/@@ping $id /" "$WORKDIR/ping.$id"
	done < "$WORKDIR/batch"
}

# listening - 0 once something listens on INBOUND_ADDR:INBOUND_PORT (TCP)
listening() {
	ss -Hltn "src $INBOUND_ADDR:$INBOUND_PORT" 2>/dev/null | grep -q .
}

do_serve() {	# do_serve POLICY - start the receiving instance in-POLICY
	spol=$1
	case $spol in
	opportunistic|mandatory) ;;
	*) echo "serve: unknown policy $spol (opportunistic or mandatory)"; exit 2 ;;
	esac
	[ -x "$BIN" ] || { echo "$MISSING"; exit 1; }
	# A missing optional feature is a skip per target, not one known
	# deviation per scenario: every inbound scenario is about DANE.
	if [ ! -f "$(dane_in_module)" ]; then
		echo "unsupported: this Prosody has no inbound DANE (no mod_s2s_auth_dane_in; Prosody 13 has it)"
		exit 3
	fi
	command -v ss > /dev/null 2>&1 || { echo "serve: ss not found (apt-get install iproute2)"; exit 1; }
	for v in DANELAB_INBOUND_CERT DANELAB_INBOUND_KEY; do
		eval "fv=\${$v:-}"
		[ -n "$fv" ] && [ -r "$fv" ] || { echo "serve: \$$v is unset or unreadable (${fv:-unset}): the harness writes the receiving server's chain and key"; exit 1; }
	done
	if [ -s "$WORKDIR/trusted" ]; then
		TA=$(cat "$WORKDIR/trusted")
	else
		TA=$(trust_anchor) || { echo "no DS or DNSKEY in ${DANELAB_TRUST_ANCHOR:-the trust anchor file}"; exit 1; }
		echo "$TA" > "$WORKDIR/trusted"
	fi
	# One receiving server at a time: the port is the same.
	for p in $POLICIES; do
		stop_one "in-$p" > /dev/null
	done
	if listening; then
		echo "serve: $INBOUND_ADDR port $INBOUND_PORT is in use by another process:"
		ss -Hltnp "src $INBOUND_ADDR:$INBOUND_PORT" 2>&1 | head -n 3
		exit 1
	fi
	d=$(inst "in-$spol")
	k=1
	while [ -e "$d/prosody.log.$k" ]; do k=$((k + 1)); done
	[ -e "$d/prosody.log" ] && mv "$d/prosody.log" "$d/prosody.log.$k"
	start_one "in-$spol" || { echo "serve: cannot write the in-$spol instance under $WORKDIR"; exit 1; }
	listen_end=$(( $(now_ms) + 30000 ))
	if ! wait_until "$listen_end" 0.1 listening_or_gone "in-$spol"; then
		echo "prosody (in-$spol) did not listen on $INBOUND_ADDR port $INBOUND_PORT:"
		tail -n 5 "$d/stdout"
		tail -n 20 "$d/prosody.log"
		stop_one "in-$spol"
		exit 1
	fi
	echo "# prosody (in-$spol) listening on $INBOUND_ADDR port $INBOUND_PORT as $INBOUND_DOMAIN, pid $(pid_of "in-$spol" || cat "$d/launcher.pid"), config $d/prosody.cfg.lua"
}

# listening_or_gone INSTANCE - 0 once something listens on
# INBOUND_ADDR:INBOUND_PORT, 2 when the instance's launcher has ended,
# else 1 (for wait_until)
listening_or_gone() {
	listening && return 0
	launcher_runs "$1" || return 2
	return 1
}

# do_run FILE - the outbound probes of FILE (one batch: one protocol and
# one policy), then its inbound ones
do_run() {
	run_out "$1"
	run_in "$1"
}

# parse_in_log [count] - verdicts of inbound probes from the receiving
# instance's log (stdin; parsers/prosody-in.awk); $WORKDIR/batch-in lists
# "ID xmpp-in POLICY DOMAIN".
# A session (s2sinXXXX) belongs to the probe whose DOMAIN is the `from`
# of its stream header ("Incoming s2s received <stream:stream ...
# from='DOMAIN'"); words, from its lines and the module lines naming DOMAIN:
#   authenticated  "Accepting SASL EXTERNAL identity from DOMAIN" (offered
#                  only when the certificate's chain and identity are
#                  valid: in Prosody 13 by mod_s2s_auth_dane_in's DANE-EE
#                  match, or by PKIX) or "Incoming s2s connection DOMAIN->
#                  ... complete"
#   refused        "Forbidding insecure connection", TLS started but never
#                  "Stream encrypted", or Prosody closed the stream with an
#                  error before the peer did
#   encrypted      "Stream encrypted" otherwise
#   cleartext      a stream that went on without TLS
#   no-connect     no session from DOMAIN
# "count" prints "ended" once every session of the batch has ended, else "open".
parse_in_log() {
	awk -v mode="${1:-final}" -v batch="$WORKDIR/batch-in" -f "$PARSERS/prosody-in.awk"
}

# in_ended DIR - 0 once every session of the inbound batch has ended in
# the log of the instance in DIR, else 1 (for wait_until)
in_ended() {
	[ "$(parse_in_log count < "$1/prosody.log")" = ended ] && return 0
	return 1
}

# run_in FILE - verdicts of the xmpp-in probes of FILE from the log of
# the instance `serve` started; then stop it
run_in() {
	n=0
	: > "$WORKDIR/batch-in"
	while read -r id proto policy domain rest; do
		[ "${proto:-}" = xmpp-in ] || continue
		case $policy in
		opportunistic|mandatory) ;;
		*) echo "$id error unknown policy $policy"; continue ;;
		esac
		echo "$id xmpp-in $policy $(echo "${domain%.}" | tr 'A-Z' 'a-z')" >> "$WORKDIR/batch-in"
		ipol=$policy
		n=$((n + 1))
	done < "$1"
	if [ "$n" = 0 ]; then	# no inbound batch: no receiving server may stay
		for p in $POLICIES; do
			pid_of "in-$p" > /dev/null && stop_one "in-$p"
		done
		return 0
	fi
	d=$(inst "in-$ipol")
	if [ ! -f "$d/prosody.log" ]; then
		awk -v p="$ipol" '{print $1, "error", "no receiving server: serve " p " was not called"}' "$WORKDIR/batch-in"
		return 0
	fi
	if ! pid_of "in-$ipol" > /dev/null; then
		echo "# the receiving Prosody (in-$ipol) is not running:"
		tail -n 5 "$d/stdout" 2>/dev/null | sed 's/^/# /'
	fi
	# The lab has closed its connections; give Prosody a moment (at
	# most 3 s) to log the end of each session.
	in_end=$(( $(now_ms) + 3000 ))
	wait_until "$in_end" 0.1 in_ended "$d"
	parse_in_log final < "$d/prosody.log"
	stop_one "in-$ipol"
	echo "# receiving Prosody (in-$ipol) stopped (log $d/prosody.log)"
	if [ "${DANELAB_PROSODY_DUMP:-0}" = 1 ]; then
		sed "s/^/# log: /" "$d/prosody.log"
	fi
}
