# harness/targets/lib/prosody.sh - the Prosody adapter, shared by the
# targets prosody (Debian 12's 0.12, harness/targets/prosody.sh) and
# prosody13 (13.0 from bookworm-backports, harness/targets/prosody13.sh).
# (contract: harness/targets/README.md)
#
# The wrapper sets, then sources this file and calls prosody_main "$@":
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
# Never run `prosody --version`: 0.12 ignores the flag and starts a server
# with the system configuration.
set -u

BIN=${PROSODY_BIN:-/usr/bin/prosody}
CTL=${PROSODY_CTL:-$(dirname "$BIN")/prosodyctl}
MISSING=${PROSODY_MISSING:-prosody not installed (apt-get install prosody lua-unbound)}
W=${DANELAB_WORKDIR:-.}
CLIENT=${DANELAB_CLIENT_NAME:-client.danelab.example}
DEADLINE_MS=${DANELAB_DEADLINE_MS:-20000}
IN_ADDR=${DANELAB_INBOUND_ADDR:-127.0.0.5}
IN_PORT=${DANELAB_INBOUND_PORT:-5269}
IN_DOMAIN=${DANELAB_INBOUND_DOMAIN:-$CLIENT}
HERE=$(cd "$(dirname "$0")" && pwd)
TPLNAME=${PROSODY_TPL:-prosody}
TPL=$HERE/$TPLNAME
if [ -n "${DANELAB_DATADIR:-}" ] && [ -f "$DANELAB_DATADIR/harness/targets/$TPLNAME/prosody.cfg.lua.in" ]; then
	TPL=$DANELAB_DATADIR/harness/targets/$TPLNAME
fi
POLICIES="opportunistic mandatory"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

inst() { echo "$W/$1"; }	# an instance's directory, by policy

ctl() {	# ctl POLICY ARGS.. - prosodyctl for that instance
	d=$(inst "$1")
	shift
	"$CTL" --config "$d/prosody.cfg.lua" "$@"
}

pid_of() {	# pid_of POLICY - the instance's live pid
	f=$(inst "$1")/prosody.pid
	[ -s "$f" ] || return 1
	p=$(tr -dc 0-9 < "$f")
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
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
}

# dane_in_module - where this Prosody's mod_s2s_auth_dane_in would be
dane_in_module() {
	src=$(sed -n "s/^CFG_SOURCEDIR='\\(.*\\)';.*/\\1/p" "$BIN" 2>/dev/null | head -n 1)
	echo "${src:-/usr/lib/prosody}/modules/mod_s2s_auth_dane_in.lua"
}

start_one() {	# start_one INSTANCE - INSTANCE: POLICY (outbound) or in-POLICY (inbound)
	name=$1
	pol=${name#in-}
	d=$(inst "$name")
	sa=false
	[ "$pol" = mandatory ] && sa=true
	mkdir -p "$d/data" "$d/certs" || return 1	# certs: certmanager indexes it (empty)
	to=$(( DEADLINE_MS / 1000 - 5 ))
	[ "$to" -ge 5 ] || to=5
	case $name in
	in-*)	# a receiving s2s server with the harness's certificate
		cp "$DANELAB_INBOUND_CERT" "$d/cert.pem" && cp "$DANELAB_INBOUND_KEY" "$d/key.pem" || return 1
		chmod 600 "$d/key.pem"
		ports=$IN_PORT ifaces="\"$IN_ADDR\"" host=$IN_DOMAIN
		ssl="ssl = { certificate = \"$d/cert.pem\"; key = \"$d/key.pem\"; }"
		mods='"saslauth";	-- SASL EXTERNAL for incoming s2s'
		what="incoming s2s on $IN_ADDR port $IN_PORT" ;;
	*)	ports= ifaces= host=$CLIENT
		ssl="-- no certificate: outgoing s2s only"
		mods=
		what="outgoing s2s only: no listener of any kind but the admin socket" ;;
	esac
	sed -e "s|@INST@|$d|g" -e "s|@POLICY@|$pol|g" -e "s|@SECURE_AUTH@|$sa|g" \
	    -e "s|@S2S_TIMEOUT@|$to|g" -e "s|@TRUSTED@|$TA|g" \
	    -e "s|@S2S_PORTS@|$ports|g" -e "s|@S2S_INTERFACES@|$ifaces|g" \
	    -e "s|@SSL@|$ssl|g" -e "s|@MODULES@|$mods|g" -e "s|@WHAT@|$what|g" \
	    -e "s|@CLIENT@|$host|g" "$TPL/prosody.cfg.lua.in" > "$d/prosody.cfg.lua" || return 1
	: >> "$d/prosody.log"
	chown -R prosody: "$d" || return 1
	chmod 755 "$W" "$d" 2>/dev/null
	# Its own session: the harness kills the verb's process group.
	setsid runuser -u prosody -- "$BIN" -F --config "$d/prosody.cfg.lua" \
	    > "$d/stdout" 2>&1 < /dev/null &
	echo $! > "$d/launcher.pid"
}

ready_one() {	# ready_one POLICY - 0 once the admin shell answers
	pol=$1
	d=$(inst "$pol")
	out=$(timeout 5 "$CTL" --config "$d/prosody.cfg.lua" shell "server:version()" 2>&1) || return 1
	case $out in *"OK"*|*0.1*) return 0 ;; esac
	return 1
}

stop_one() {	# stop_one POLICY - stop the instance, bounded (8 s)
	pol=$1
	d=$(inst "$pol")
	p=$(pid_of "$pol") || p=
	[ -n "$p" ] && kill "$p" 2>/dev/null
	lp=
	[ -s "$d/launcher.pid" ] && lp=$(cat "$d/launcher.pid")
	i=0
	while [ $i -lt 80 ]; do
		if { [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; } &&
		    { [ -z "$lp" ] || ! kill -0 "$lp" 2>/dev/null; }; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
		echo "# prosody ($pol) pid $p still running after 8 s: SIGKILL"
		kill -9 "$p" 2>/dev/null
	fi
	if [ -n "$lp" ] && kill -0 "$lp" 2>/dev/null; then
		kill -9 "$lp" 2>/dev/null
	fi
	rm -f "$d/launcher.pid"
}

wait_ready() {	# wait_ready POLICY SECONDS
	pol=$1
	ready_end=$(( $(now_ms) + $2 * 1000 ))
	until ready_one "$pol"; do
		if [ "$(now_ms)" -ge "$ready_end" ] || ! kill -0 "$(cat "$(inst "$pol")/launcher.pid" 2>/dev/null)" 2>/dev/null; then
			echo "prosody ($pol) did not become ready:"
			tail -n 5 "$(inst "$pol")/stdout"
			tail -n 20 "$(inst "$pol")/prosody.log"
			return 1
		fi
		sleep 0.2
	done
	echo "# prosody ($pol) ready, pid $(pid_of "$pol"), config $(inst "$pol")/prosody.cfg.lua"
}
# parse_log CLIENT - verdicts from a batch's log (stdin: the instance's log
# from the batch's start, then "@@ping ID TEXT" lines); $W/batch lists
# "ID PROTO POLICY DOMAIN".  MODE=count prints how many are decided.
parse_log() {
	awk -v client="$1" -v mode="${2:-final}" -v batch="$W/batch" '
	BEGIN {
		while ((getline l < batch) > 0) {
			split(l, f, " ")
			order[++np] = f[1]; dom[f[1]] = f[4]; byd[f[4]] = f[1]
		}
	}
	function sess_dom(line,   d, i, c) {	# the remote domain named in line
		i = index(line, client "->")
		if (i == 0) i = index(line, client "-->")
		if (i == 0) return ""
		d = substr(line, i + length(client))
		sub(/^-+>/, "", d)
		match(d, /^[A-Za-z0-9.-]*[A-Za-z0-9]/)
		return tolower(substr(d, RSTART, RLENGTH))
	}
	function keep(id, what, line) {
		if (!(id in ev) || index(ev[id], what) == 0) ev[id] = ev[id] what
		if (!((id SUBSEP what) in txt)) txt[id, what] = line
	}
	/^@@ping / {
		id = $2; l = $0; sub(/^@@ping [^ ]+ /, "", l)
		if (l ~ /^Session s2sout/) { s = $4; d = sess_dom(l); if (d != "") sdom[s] = d }
		if (l ~ /^Error:/ || l ~ /error</) pingerr[id] = l
		if (l ~ /^\*\* (Unable to connect|Connection error)/) shellerr[id] = shellerr[id] (shellerr[id] == "" ? "" : " ") l
		next
	}
	{
		src = $4; line = $0
		msg = $0; sub(/^[A-Za-z]+ +[0-9]+ [0-9:]+ [^\t]*\t[a-z]+\t/, "", msg)
		# DANE is enabled per connection ("connXXX"); the
		# session of a connection is the first session line after its handshake (one
		# event: Lua runs one thing at a time)
		if (src ~ /^conn/) {
			if (msg ~ /^Enabling DANE with /) dane[src] = msg
			else if (msg ~ /^TLS handshake complete/) pend = src
		} else if (src ~ /^s2sout/ && pend != "") {
			c2s[pend] = src; pend = ""
		}
		if (src ~ /^s2sout/) {
			d = sess_dom(msg)
			if (d != "" && !(src in sdom)) sdom[src] = d
			n[src]++; slog[src, n[src]] = msg
		}
		# DNS lines name the domain (the SRV owner, the TLSA owner)
		if (msg ~ /^Results for _xmpps?-server\._tcp\./ || msg ~ /^Results for _[0-9]+\._tcp\./) {
			q = msg; sub(/^Results for /, "", q); sub(/ IN .*/, "", q)
			for (id in dom) {
				dd = dom[id]; lab = dd; sub(/\.[^.]*$/, "", lab)
				if (q ~ ("(^|\\.)_xmpps?-server\\._tcp\\." dd "$") || (length(q) > length(dd) && substr(q, length(q) - length(dd)) == "." dd) || index(q, "." lab "-") > 0) {
					if (msg ~ /TLSA/) tlsa[id] = tlsa[id] (tlsa[id] == "" ? "" : "; ") msg
					else srv[id] = srv[id] (srv[id] == "" ? "" : "; ") msg
				}
			}
		}
	}
	END {
		for (c in c2s) if (c in dane) sdane[c2s[c]] = dane[c]
		# replay the lines of each session for its domain
		for (s in n) {
			if (!(s in sdom) || !(sdom[s] in byd)) continue
			id = byd[sdom[s]]
			if (s in sdane) keep(id, "T", sdane[s])
			for (i = 1; i <= n[s]; i++) {
				m = slog[s, i]
				if (m ~ /^Stream encrypted/) keep(id, "E", m)
				else if (m ~ /certificate chain validation result: valid/) keep(id, "V", m)
				else if (m ~ /certificate chain validation result: invalid/) keep(id, "I", m)
				else if (m ~ /^certificate error/) keep(id, "X", m)
				else if (m ~ /certificate identity validation result: valid/) keep(id, "N", m)
				else if (m ~ /certificate identity validation result: invalid/) keep(id, "M", m)
				else if (m ~ /^Forbidding insecure connection/) keep(id, "F", m)
				else if (m ~ /^Outgoing s2s connection .* complete/) keep(id, "C", m)
				else if (m ~ /^Sending\[s2sout_unauthed\]: <\?xml/) keep(id, "H", m)
				else if (m ~ /^Sending\[s2sout_unauthed\]: <db:result/) keep(id, "D", m)
				else if (m ~ /^(Destroying outgoing session|Outgoing s2s stream .* closed|Disconnecting )/) keep(id, "Z", m)
				else if (m ~ /failed outgoing connection|Failed in all attempts/) keep(id, "Q", m)
			}
		}
		done = 0
		for (k = 1; k <= np; k++) {
			id = order[k]; e = ev[id]
			w = ""; why = ""
			if (index(e, "C")) {
				if (index(e, "T") && index(e, "V") && index(e, "N") && index(e, "E")) {
					w = "authenticated"; why = txt[id, "T"] " / " txt[id, "V"] " / " txt[id, "N"] " / " txt[id, "C"]
				} else if (index(e, "E")) {
					w = "encrypted"; why = (index(e, "T") ? txt[id, "T"] " / " : "") txt[id, "E"] " / " (index(e, "I") ? txt[id, "I"] " (" txt[id, "X"] ") / " : "") (index(e, "M") ? txt[id, "M"] " / " : "") txt[id, "C"]
				} else {
					w = "cleartext"; why = txt[id, "C"]
				}
			} else if (index(e, "F")) {
				w = "refused"; why = (index(e, "T") ? txt[id, "T"] " / " : "") (index(e, "I") ? txt[id, "I"] " (" txt[id, "X"] ") / " : "") txt[id, "F"]
			} else if (index(e, "Z") || index(e, "Q") || (id in pingerr)) {
				if (index(e, "H") || index(e, "E")) {
					w = "refused"; why = (index(e, "I") ? txt[id, "I"] " (" txt[id, "X"] ") / " : "") txt[id, "Z"]
				} else {
					w = "no-connect"; why = (index(e, "Q") ? txt[id, "Q"] : txt[id, "Z"])
					if (why == "" && (id in pingerr)) why = pingerr[id]
				}
			}
			if (w != "") done++
			if (mode == "count") continue
			if (w == "" && (id in shellerr)) { w = "error"; why = "the admin shell could not reach the instance to ping: " shellerr[id] }
			if (w == "") { w = "error"; why = "no decision in the log before the deadline" }
			if (w != "authenticated" && w != "encrypted" && (id in pingerr) && index(why, pingerr[id]) == 0)
				why = why " / ping: " pingerr[id]
			if (srv[id] != "") print "# " id " dns: " srv[id]
			if (tlsa[id] != "") print "# " id " dns: " tlsa[id]
			gsub(/[\r\n\t]/, " ", why)
			print id, w, why
		}
		if (mode == "count") print done
	}'
}

do_setup() {
	[ -x "$BIN" ] || { echo "prosody not installed (apt-get install prosody lua-unbound)"; exit 1; }
	id prosody > /dev/null 2>&1 || { echo "no prosody user (apt-get install prosody)"; exit 1; }
	TA=$(trust_anchor) || { echo "no DS or DNSKEY in ${DANELAB_TRUST_ANCHOR:-the trust anchor file}"; exit 1; }
	echo "$TA" > "$W/trusted"
	for pol in $POLICIES; do
		start_one "$pol" || { echo "cannot write the $pol instance under $W"; exit 1; }
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

do_run() {
	file=$1
	n=0
	: > "$W/batch"
	while read -r id proto policy domain rest; do
		[ -n "${id:-}" ] || continue
		case $proto in
		xmpp|xmpps) ;;
		xmpp-in) continue ;;	# do_run_in
		smtp|smtps) echo "$id skip Prosody speaks XMPP only"; continue ;;
		*) echo "$id error unknown protocol $proto"; continue ;;
		esac
		case $policy in
		opportunistic|mandatory) ;;
		*) echo "$id error unknown policy $policy"; continue ;;
		esac
		d=$(echo "${domain%.}" | tr 'A-Z' 'a-z')
		echo "$id $proto $policy $d" >> "$W/batch"
		pol=$policy
		n=$((n + 1))
	done < "$file"
	[ "$n" -gt 0 ] || return 0
	rm -f "$W"/ping.*
	start=$(now_ms)
	batch_end=$(( start + DEADLINE_MS * (1 + n / 16) - 3000 ))
	d=$(inst "$pol")
	# A fresh instance per batch: no s2s session, no DNS cache, a new
	# log.  (Prosody would reuse an open session to a domain of the
	# previous batch instead of connecting.)
	TA=$(cat "$W/trusted")
	stop_one "$pol"
	k=1
	while [ -e "$d/prosody.log.$k" ]; do k=$((k + 1)); done
	[ -e "$d/prosody.log" ] && mv "$d/prosody.log" "$d/prosody.log.$k"
	start_one "$pol" && wait_ready "$pol" 15 > "$W/ready.out" 2>&1
	if [ $? != 0 ]; then
		sed 's/^#* */# /' "$W/ready.out"
		awk '{print $1, "error", "the private Prosody instance did not restart (see its log)"}' "$W/batch"
		return 0
	fi
	cat "$W/ready.out"
	pt=$(( DEADLINE_MS / 1000 - 4 ))
	[ "$pt" -ge 3 ] || pt=3
	pids=
	while read -r id proto policy dom; do
		ping_one "$id" "$dom" "$d" &
		pids="$pids $!"
	done < "$W/batch"
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
	for f in "$W"/ping.*.retried; do
		[ -f "$f" ] || continue
		id=${f#"$W/ping."}; id=${id%.retried}
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
# instance in DIR, output in $W/ping.ID.  Prosody's admin socket listens
# with a backlog of 32 and the shell connects without waiting: when a
# loaded server accepts late, the shells beyond the backlog fail at once
# ("** Unable to connect to server").  That is the harness's problem, not
# the target's answer: try again, until the batch's deadline nears.
ping_one() {
	tries=1
	trap 'kill $cp 2>/dev/null; exit 0' TERM
	while :; do
		timeout -k 1 $((pt + 2)) "$CTL" --config "$3/prosody.cfg.lua" \
		    shell "xmpp:ping('$CLIENT', '$2', $pt)" > "$W/ping.$1" 2>&1 < /dev/null &
		cp=$!
		wait $cp
		grep -q '^\*\* Unable to connect' "$W/ping.$1" || return 0
		[ $tries -lt 20 ] && [ "$(now_ms)" -lt $((batch_end - pt * 1000)) ] || return 0
		echo "$tries" > "$W/ping.$1.retried"
		tries=$((tries + 1))
		sleep 0.2
	done
}

pinglines() {	# the admin shell's output of every ping, as "@@ping ID TEXT"
	while read -r id proto policy dom; do
		[ -f "$W/ping.$id" ] && sed "s/^/@@ping $id /" "$W/ping.$id"
	done < "$W/batch"
}

# listening - 0 once something listens on IN_ADDR:IN_PORT (TCP)
listening() {
	ss -Hltn "src $IN_ADDR:$IN_PORT" 2>/dev/null | grep -q .
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
	if [ -s "$W/trusted" ]; then
		TA=$(cat "$W/trusted")
	else
		TA=$(trust_anchor) || { echo "no DS or DNSKEY in ${DANELAB_TRUST_ANCHOR:-the trust anchor file}"; exit 1; }
		echo "$TA" > "$W/trusted"
	fi
	# One receiving server at a time: the port is the same.
	for p in $POLICIES; do
		stop_one "in-$p" > /dev/null
	done
	if listening; then
		echo "serve: $IN_ADDR port $IN_PORT is in use by another process:"
		ss -Hltnp "src $IN_ADDR:$IN_PORT" 2>&1 | head -n 3
		exit 1
	fi
	d=$(inst "in-$spol")
	k=1
	while [ -e "$d/prosody.log.$k" ]; do k=$((k + 1)); done
	[ -e "$d/prosody.log" ] && mv "$d/prosody.log" "$d/prosody.log.$k"
	start_one "in-$spol" || { echo "serve: cannot write the in-$spol instance under $W"; exit 1; }
	listen_end=$(( $(now_ms) + 30000 ))
	until listening; do
		if [ "$(now_ms)" -ge "$listen_end" ] || ! kill -0 "$(cat "$d/launcher.pid" 2>/dev/null)" 2>/dev/null; then
			echo "prosody (in-$spol) did not listen on $IN_ADDR port $IN_PORT:"
			tail -n 5 "$d/stdout"
			tail -n 20 "$d/prosody.log"
			stop_one "in-$spol"
			exit 1
		fi
		sleep 0.1
	done
	echo "# prosody (in-$spol) listening on $IN_ADDR port $IN_PORT as $IN_DOMAIN, pid $(pid_of "in-$spol" || cat "$d/launcher.pid"), config $d/prosody.cfg.lua"
}

prosody_main() {
	case ${1:-} in
	probe) do_probe ;;
	setup) do_setup ;;
	serve) [ $# -ge 2 ] || { echo "usage: $0 serve POLICY"; exit 2; }; do_serve "$2" ;;
	run) [ $# -ge 2 ] || { echo "usage: $0 run FILE"; exit 2; }; do_run "$2"; do_run_in "$2" ;;
	teardown) do_teardown ;;
	*) echo "usage: $0 probe|setup|serve POLICY|run FILE|teardown"; exit 2 ;;
	esac
}

# parse_in_log [count] - verdicts of inbound probes from the receiving
# instance's log (stdin); $W/batch-in lists "ID xmpp-in POLICY DOMAIN".
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
	awk -v mode="${1:-final}" -v batch="$W/batch-in" '
	BEGIN {
		while ((getline l < batch) > 0) {
			split(l, f, " ")
			order[++np] = f[1]; dom[f[1]] = f[4]; byd[f[4]] = f[1]
		}
	}
	function keep(id, what, line) {
		if (!(id in ev) || index(ev[id], what) == 0) ev[id] = ev[id] what
		if (!((id SUBSEP what) in txt)) txt[id, what] = line
	}
	function nomatch(e) {	# secure TLSA records but no DANE match logged
		return (index(e, "T") && !index(e, "M")) ? " (secure TLSA records, no match logged by mod_s2s_auth_dane_in)" : ""
	}
	function note(id, line) {	# a log line for the probe
		nl[id]++; lines[id, nl[id]] = line
	}
	function owner(q,   id, dd, lab) {	# the probe a DNS name belongs to
		for (id in dom) {
			dd = dom[id]; lab = dd; sub(/\.[^.]*$/, "", lab)
			if (q == dd || (length(q) > length(dd) && substr(q, length(q) - length(dd)) == "." dd) || index(q, "." lab "-") > 0)
				return id
		}
		return ""
	}
	{
		src = $4
		msg = $0; sub(/^[A-Za-z]+ +[0-9]+ [0-9:]+ [^\t]*\t[a-z]+\t/, "", msg)
		if (src ~ /^s2sin/) {
			# a new session may reuse the name (an address) of a destroyed one
			if (msg ~ /^Incoming s2s connection$/) delete sid[src]
			if (msg ~ /^Incoming s2s received <stream:stream/ && !(src in sid)) {
				d = msg; if (!sub(/.* from=./, "", d)) next
				sub(/[^A-Za-z0-9.-].*/, "", d); d = tolower(d); sub(/\.$/, "", d)
				if (!(d in byd)) next
				sid[src] = byd[d]
			}
			if (!(src in sid)) next
			id = sid[src]
			if (msg ~ /^Incoming s2s received/) keep(id, "H", msg)
			else if (msg ~ /^TLS negotiation started/) keep(id, "S", msg)
			else if (msg ~ /^Stream encrypted/) keep(id, "E", msg)
			else if (msg ~ /certificate chain validation result/) { keep(id, "V", msg); note(id, msg) }
			else if (msg ~ /^certificate error/) { keep(id, "X", msg); note(id, msg) }
			else if (msg ~ /certificate identity validation result/) { keep(id, "N", msg); note(id, msg) }
			else if (msg ~ /^No certificate provided/) note(id, msg)
			else if (msg ~ /DANE/) note(id, msg)
			else if (msg ~ /^Forbidding insecure connection/) keep(id, "F", msg)
			else if (msg ~ /is now authenticated for/) keep(id, "A", msg)
			else if (msg ~ /^Incoming s2s connection .* complete/) keep(id, "C", msg)
			else if (msg ~ /^Received <\/stream:stream>/) keep(id, "P", msg)
			else if (msg ~ /^Disconnecting .*<stream:error>/) keep(id, "R", msg)
			else if (msg ~ /^Incoming s2s stream .* closed/) keep(id, "Z", msg)
			else if (msg ~ /^Destroying incoming session/) keep(id, "Z", msg)
			else if (msg ~ /^s2s disconnected/) keep(id, "Z", msg)
			next
		}
		# module and DNS lines: by the domain they name
		if (msg ~ /^Accepting SASL EXTERNAL identity from /) {
			d = msg; sub(/.* from /, "", d); d = tolower(d)
			if (d in byd) { keep(byd[d], "X1", msg); note(byd[d], msg) }
		} else if (msg ~ /^(Resolve|Results for) /) {
			q = msg; sub(/^(Resolve|Results for) /, "", q); sub(/ .*/, "", q); q = tolower(q); sub(/\.$/, "", q)
			if (q !~ /^_/) next
			id = owner(q)
			if (id != "") {
				note(id, "dns: " msg)
				if (msg ~ /^Results for .* TLSA/) lastq = id
				if (msg ~ /^Results for .* TLSA: [0-9]+ items \(Secure\)/) keep(id, "T", msg)
			}
		} else if (src ~ /s2s_auth_dane_in/ && lastq != "") {
			note(lastq, msg)
			if (msg ~ / matches$/) keep(lastq, "M", msg)
		}
	}
	END {
		done = 0
		for (k = 1; k <= np; k++) {
			id = order[k]; e = ev[id]
			if (index(e, "H") && !index(e, "Z")) open++
			if (mode == "count") continue
			w = ""; why = ""
			if (!index(e, "H")) {
				w = "no-connect"; why = "no incoming s2s session from " dom[id] " in the log"
			} else if (index(e, "X1") || index(e, "A") || index(e, "C")) {
				w = "authenticated"
				why = (index(e, "X1") ? txt[id, "X1"] : txt[id, "A"]) (index(e, "C") ? " / " txt[id, "C"] : "")
			} else if (index(e, "F")) {
				w = "refused"; why = txt[id, "F"] nomatch(e)
			} else if (index(e, "S") && !index(e, "E")) {
				w = "refused"; why = "TLS negotiation started, never encrypted" (index(e, "Z") ? " / " txt[id, "Z"] : "")
			} else if (index(e, "R") && !index(e, "P")) {
				w = "refused"; why = txt[id, "R"]
			} else if (index(e, "E")) {
				w = "encrypted"; why = txt[id, "E"] " / not authenticated" nomatch(e) (index(e, "V") ? " (" txt[id, "V"] ")" : "") (index(e, "Z") ? " / " txt[id, "Z"] : "")
			} else {
				w = "cleartext"; why = txt[id, "H"]
			}
			for (i = 1; i <= nl[id]; i++) {
				l = lines[id, i]; gsub(/[\r\n\t]/, " ", l)
				print "# " id " " l
			}
			gsub(/[\r\n\t]/, " ", why)
			print id, w, why
		}
		if (mode == "count") print (open ? "open" : "ended")
	}'
}

# do_run_in FILE - verdicts of the xmpp-in probes of FILE from the log of
# the instance `serve` started; then stop it
do_run_in() {
	n=0
	: > "$W/batch-in"
	while read -r id proto policy domain rest; do
		[ "${proto:-}" = xmpp-in ] || continue
		case $policy in
		opportunistic|mandatory) ;;
		*) echo "$id error unknown policy $policy"; continue ;;
		esac
		echo "$id xmpp-in $policy $(echo "${domain%.}" | tr 'A-Z' 'a-z')" >> "$W/batch-in"
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
		awk -v p="$ipol" '{print $1, "error", "no receiving server: serve " p " was not called"}' "$W/batch-in"
		return 0
	fi
	if ! pid_of "in-$ipol" > /dev/null; then
		echo "# the receiving Prosody (in-$ipol) is not running:"
		tail -n 5 "$d/stdout" 2>/dev/null | sed 's/^/# /'
	fi
	# The lab has closed its connections; give Prosody a moment (at
	# most 3 s) to log the end of each session.
	in_end=$(( $(now_ms) + 3000 ))
	while [ "$(parse_in_log count < "$d/prosody.log")" != ended ] && [ "$(now_ms)" -lt "$in_end" ]; do
		sleep 0.1
	done
	parse_in_log final < "$d/prosody.log"
	stop_one "in-$ipol"
	echo "# receiving Prosody (in-$ipol) stopped (log $d/prosody.log)"
	if [ "${DANELAB_PROSODY_DUMP:-0}" = 1 ]; then
		sed "s/^/# log: /" "$d/prosody.log"
	fi
}
