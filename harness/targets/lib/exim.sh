# harness/targets/lib/exim.sh - danelab adapter for the Exim SMTP client,
# shared by harness/targets/exim.sh (Debian 12's 4.96) and exim498.sh
# (4.98.2 from bookworm-backports): they set EXIM_BIN, EXIM_MISSING and
# source this.  Contract: harness/targets/README.md.
#
# Exim is unpacked from its .deb (harness/targets/lib/exim-fetch.sh, no
# setuid bit) and never installed: Exim and Postfix conflict as packages.
# One private instance per target run, all of it under $DANELAB_WORKDIR:
# exim.conf (from harness/targets/exim/exim.conf.in), spool/, log/mainlog.
# No daemon.  Every Exim process runs as the unprivileged user Debian-exim
# (its uid is compiled in by name): the host's own user when it has one,
# else a private passwd and group entry (uid EXIM_UID, 64990 unless taken)
# bind-mounted over /etc/passwd and /etc/group in a mount namespace of
# that process alone (unshare -m): the host's files are not changed.
#
# Policies: routers pick the transport by the message's headers
# X-Danelab-Proto and X-Danelab-Policy: hosts_try_dane = * (opportunistic,
# RFC 7672 2.2) or hosts_require_dane = * (mandatory, RFC 7672 6); smtps
# probes use `protocol = smtps`, port 465 (TLSA at _465._tcp).
#
# Batching: `run` queues one message per probe (-odq; envelope sender and
# Subject danelab-probe-ID@CLIENT: the lab ties each session to its probe
# by them), then delivers them all with one `exim -M MSGID` process each
# (BATCH_JOBS at once, with -d+tls+dns debug output kept per probe), each
# one delivery attempt, all killed at the batch's deadline.  Verdicts come
# from the mainlog (harness/targets/parsers/exim.awk: "=>" with X= and
# CV=dane, "==" defer, "**" fail; golden tests harness/tests/adapters/exim/);
# the debug lines about DANE, TLSA and DNSSEC of each probe are kept in
# its details.  Then every Exim process of this instance is killed and
# the queue, message logs and retry hints are removed (ex_isolate):
# nothing of a batch reaches an endpoint during the next one.
#
# DANELAB_EXIM_NO_TRUST_AD=1 runs Exim with a resolv.conf without `options
# trust-ad` (scenarios/bugs/exim-no-trust-ad.scn): glibc then drops the AD
# bit, as on a host whose resolv.conf lacks it (Exim sets no RES_TRUSTAD).
#
# DANELAB_EXIM_CALLOUT=1 (scenarios/bugs/exim-3030-callout-tlsa-servfail.scn)
# sends no message: each smtp opportunistic probe is one SMTP session
# that Exim receives on standard input (-bs) from envelope sender
# danelab-probe-ID@CLIENT for postmaster@DOMAIN, whose RCPT ACL verifies
# the recipient by callout (`verify = recipient/callout=...,use_sender`):
# Exim routes the address as for a delivery (hosts_try_dane), connects to
# the MX host, says EHLO, STARTTLS, MAIL FROM and RCPT, and QUITs.  The
# endpoints judge that session as any other; the word (from -d+tls+dns)
# is `authenticated` for a recipient verified over a session whose
# certificate Exim checked by DANE ("TLS: server certificate DANE
# required": a failed check ends the handshake), `encrypted` for one
# verified otherwise, else `no-connect` or `refused`, and a new entry in Exim's paniclog (but the "lost privilege
# for using -C" line every -C run writes) makes the probe an error
# quoting it: a crash is its own observation.  Other protocols and
# policies are skips in this mode.
. "$(dirname "$0")/lib/adapter.sh"
CONF=$WORKDIR/exim.conf
LOG=$WORKDIR/log/mainlog
NO_INBOUND="Exim is a mail server: no inbound XMPP"

# ex_ids - set EX_UID, EX_GID and EX_PRIVATE (1: private passwd entry)
ex_ids() {
	if ex_pw=$(getent passwd Debian-exim); then
		EX_UID=$(echo "$ex_pw" | cut -d: -f3)
		EX_GID=$(echo "$ex_pw" | cut -d: -f4)
		EX_PRIVATE=0
		return 0
	fi
	EX_UID=${EXIM_UID:-64990}
	while getent passwd "$EX_UID" > /dev/null || getent group "$EX_UID" > /dev/null; do
		EX_UID=$((EX_UID - 1))
	done
	EX_GID=$EX_UID
	EX_PRIVATE=1
}

# ex_as CMD [ARGS..] - run CMD as Debian-exim in a mount namespace of its
# own (unshare -m), where the private passwd and group (when the host has
# no Debian-exim) and, with DANELAB_EXIM_NO_TRUST_AD=1, a copy of
# resolv.conf without `options trust-ad` are bind-mounted over /etc's
ex_as() {
	mkdir -p "$WORKDIR/etc" || return 1
	if [ "$EX_PRIVATE" = 1 ] && [ ! -f "$WORKDIR/etc/passwd" ]; then ex_passwd || return 1; fi
	ea_noad=${DANELAB_EXIM_NO_TRUST_AD:-0}
	if [ "$ea_noad" = 1 ] && [ ! -f "$WORKDIR/etc/resolv.conf" ]; then
		sed 's/\(^options.*\)trust-ad/\1/; /^options *$/d' /etc/resolv.conf > "$WORKDIR/etc/resolv.conf" || return 1
	fi
	unshare -m sh -c 'if [ "$2" = 1 ]; then mount --bind "$1/passwd" /etc/passwd &&
			mount --bind "$1/group" /etc/group || exit 1; fi
		if [ "$3" = 1 ]; then mount --bind "$1/resolv.conf" /etc/resolv.conf || exit 1; fi
		shift 3; exec setpriv --reuid="$EX_UID" --regid="$EX_GID" --clear-groups "$@"' \
		sh "$WORKDIR/etc" "$EX_PRIVATE" "$ea_noad" "$@"
}

# ex_passwd - the private passwd and group with a Debian-exim entry
ex_passwd() {
	mkdir -p "$WORKDIR/etc" || return 1
	{ cat /etc/passwd; echo "Debian-exim:x:$EX_UID:$EX_GID:danelab exim:/nonexistent:/usr/sbin/nologin"; } > "$WORKDIR/etc/passwd" &&
	{ cat /etc/group; echo "Debian-exim:x:$EX_GID:"; } > "$WORKDIR/etc/group" &&
	chmod 644 "$WORKDIR/etc/passwd" "$WORKDIR/etc/group"
}

ex_ids
export EX_UID EX_GID

do_probe() {
	[ -x "$EXIM_BIN" ] || { echo "$EXIM_MISSING"; exit 3; }
	needs_root "Exim runs as Debian-exim"
	mkdir -p "$WORKDIR" 2>/dev/null
	v=$(ex_as "$EXIM_BIN" -C /dev/null -bV 2>&1)
	ver=$(echo "$v" | sed -n 's/^Exim version \([^ ]*\).*/\1/p' | head -n 1)
	if [ -z "$ver" ]; then
		echo "Exim at $EXIM_BIN does not run: $(echo "$v" | tail -n 1)"
		exit 3
	fi
	case $v in *DANE*) ;; *) echo "Exim $ver at $EXIM_BIN is built without DANE"; exit 3 ;; esac
	pkg=$(cat "$(dirname "$EXIM_BIN")/../../VERSION" 2>/dev/null | sed 's/_/ /g')
	echo "Exim $ver (${pkg:-$EXIM_BIN}; GnuTLS, DANE via libgnutls-dane)"
	probe_tls "$EXIM_BIN"
}

do_setup() {
	[ -x "$EXIM_BIN" ] || { echo "$EXIM_MISSING"; exit 1; }
	tpl=$(template_dir exim exim.conf.in)
	mkdir -p "$WORKDIR/spool" "$WORKDIR/log" || exit 1
	sed -e "s|@EXIM@|$EXIM_BIN|g" -e "s|@WORKDIR@|$WORKDIR|g" \
	    -e "s|@CLIENT@|$CLIENT|g" "$tpl/exim.conf.in" > "$CONF" || exit 1
	if [ "${DANELAB_EXIM_CALLOUT:-0}" = 1 ]; then
		# the RCPT ACL of the callout mode, before the routers
		awk -v t="$(( (DEADLINE_MS + 999) / 1000 ))" '/^begin routers/ {
			print "begin acl\n\nacl_rcpt:\n  require verify = recipient/callout=" t "s,use_sender\n  accept\n" }
			{ print } /^keep_environment/ { print "acl_smtp_rcpt = acl_rcpt" }' "$CONF" > "$CONF.new" &&
		    mv "$CONF.new" "$CONF" || exit 1
	fi
	chmod 644 "$CONF"
	[ "$EX_PRIVATE" = 1 ] && { ex_passwd || exit 1; }
	chown -R "$EX_UID:$EX_GID" "$WORKDIR/spool" "$WORKDIR/log" || exit 1
	if ! ex_as "$EXIM_BIN" -C "$CONF" -bV > "$WORKDIR/setup.out" 2>&1 ||
	    ! grep -q "^Configuration file is $CONF" "$WORKDIR/setup.out"; then
		echo "exim -C $CONF -bV failed:"
		tail -n 20 "$WORKDIR/setup.out"
		exit 1
	fi
	echo "# exim $EXIM_BIN as uid $EX_UID, config $CONF"
}

# ex_kill - kill every process of this instance (its config on the
# command line)
ex_kill() {
	for ek_d in /proc/[0-9]*; do
		ek_p=${ek_d#/proc/}
		[ "$ek_p" = $$ ] && continue
		tr '\0' ' ' < "$ek_d/cmdline" 2>/dev/null | grep -qF -- "-C $CONF " &&
		    kill -9 "$ek_p" 2>/dev/null
	done
	return 0
}

# ex_isolate - between batches: no process, no message, no hints left
ex_isolate() {
	ex_kill
	rm -rf "$WORKDIR/spool/input" "$WORKDIR/spool/msglog" "$WORKDIR/spool/db"
}

do_teardown() {
	[ -f "$CONF" ] && ex_isolate
	return 0
}

# ex_callout_run FILE - run FILE's probes in the callout mode
# (DANELAB_EXIM_CALLOUT=1, above), one -bs session after another
ex_callout_run() {
	one=$(( (DEADLINE_MS + 999) / 1000 ))
	while read -r id proto policy domain rest; do
		[ -n "${id:-}" ] || continue
		case $id in \#*) continue ;; esac
		if [ "$proto" != smtp ] || [ "$policy" != opportunistic ]; then
			echo "$id skip DANELAB_EXIM_CALLOUT=1 drives smtp opportunistic only (a recipient-verify callout)"
			continue
		fi
		d=$(echo "${domain%.}" | tr 'A-Z' 'a-z')
		from=danelab-probe-$id@$CLIENT
		pl=$(wc -c < "$WORKDIR/log/paniclog" 2>/dev/null || echo 0)
		out=$(printf 'EHLO %s\r\nMAIL FROM:<%s>\r\nRCPT TO:<postmaster@%s>\r\nQUIT\r\n' "$CLIENT" "$from" "$d" |
			ex_as timeout -k 2 "$one" "$EXIM_BIN" -C "$CONF" -bs -d+tls+dns 2> "$WORKDIR/callout.debug" | tr -d '\r')
		echo "$out" | grep -v "^250-" | sed "s/^/# $id session: /"
		grep -i "dane\|tlsa\|dnssec\|verif\|SMTP<<\|SMTP>>\|TLS error" "$WORKDIR/callout.debug" | head -n 40 | sed "s/^/# $id debug: /"
		# banner, EHLO, MAIL, then the answer to RCPT
		rcpt=$(echo "$out" | grep -E '^[0-9]{3} ' | sed -n 4p)
		panic=$(tail -c +$((pl + 1)) "$WORKDIR/log/paniclog" 2>/dev/null | grep -v "lost privilege for using -C")
		if [ -n "$panic" ]; then
			echo "$panic" | sed "s/^/# $id paniclog: /"
			echo "$id error Exim wrote to its paniclog during the callout: \"$(echo "$panic" | head -n 1 | cut -d' ' -f3-)\" (RCPT: ${rcpt:-no answer})"
		else
			case $rcpt in
			2*) if grep -q "TLS: server certificate DANE required" "$WORKDIR/callout.debug"; then
				# under "DANE required" a certificate that fails
				# DANE ends the handshake (tls-gnu.c): it went on
				echo "$id authenticated recipient verified by callout over DANE (\"TLS: server certificate DANE required\"): $rcpt"
			else
				echo "$id encrypted recipient verified by callout: $rcpt"
			fi ;;
			*"DANE error: tlsa lookup"*|*"Could not complete"*) echo "$id no-connect $rcpt" ;;
			*) echo "$id refused ${rcpt:-no answer to RCPT}" ;;
			esac
		fi
		ex_isolate
	done < "$1"
}

do_run() {
	file=$1
	[ -f "$CONF" ] || { awk 'NF == 4 {print $1 " error the private Exim instance was not set up"}' "$file"; return 0; }
	if [ "${DANELAB_EXIM_CALLOUT:-0}" = 1 ]; then
		ex_callout_run "$file"
		return 0
	fi
	probes=
	total=0
	off=$(wc -c < "$LOG" 2>/dev/null || echo 0)
	while read -r id proto policy domain rest; do
		[ -n "${id:-}" ] || continue
		case $id in \#*) continue ;; esac
		case $proto in
		smtp|smtps) ;;
		xmpp|xmpps|xmpp-in) echo "$id skip Exim speaks SMTP only"; continue ;;
		*) echo "$id error unknown protocol $proto"; continue ;;
		esac
		case $policy in
		opportunistic|mandatory) ;;
		*) echo "$id error unknown policy $policy"; continue ;;
		esac
		d=$(echo "${domain%.}" | tr 'A-Z' 'a-z')
		from=danelab-probe-$id@$CLIENT
		printf 'From: <%s>\nTo: <postmaster@%s>\nSubject: danelab-probe-%s\nX-Danelab-Proto: %s\nX-Danelab-Policy: %s\n\ndanelab probe %s for %s\n' \
			"$from" "$d" "$id" "$proto" "$policy" "$id" "$d" |
			ex_as "$EXIM_BIN" -C "$CONF" -odq -oi -f "$from" "postmaster@$d" 2>&1 |
			grep -v "purging the environment\|use keep_environment\|lost privilege for using -C" |
			sed "s/^/# submit $id: /"
		probes="$probes$id
"
		total=$((total + 1))
	done < "$file"
	[ "$total" -gt 0 ] || return 0
	B=$(mktemp -d "$WORKDIR/run.XXXXXX") || exit 1
	chmod 755 "$B"

	dl=$DEADLINE_MS
	budget=$((dl * (1 + total / 16)))
	[ "$budget" -ge 30000 ] || budget=30000
	start=$(now_ms)
	# message ids of the batch, from the "<=" lines
	tail -c +$((off + 1)) "$LOG" | awk '$4 == "<=" && $5 ~ /^danelab-probe-/ {
		id = $5; sub(/^danelab-probe-/, "", id); sub(/@.*/, "", id); print id, $3 }' > "$B/ids"
	# one delivery attempt a message, BATCH_JOBS at once, the whole
	# batch killed (its process group) at its deadline less a margin
	secs=$(( (budget - 5000) / 1000 ))
	one=$(( (dl + 999) / 1000 ))
	timeout -k 2 "$secs" xargs -P "$BATCH_JOBS" -L 1 sh -c '
		timeout -k 2 "$1" sh "$2" _one "$5" > "$3/debug.$4" 2>&1
		st=$?
		[ $st = 0 ] || echo "delivery process ended with status $st" >> "$3/debug.$4"
		exit 0' sh "$one" "$SELF" "$B" < "$B/ids" 2>/dev/null
	ex_kill
	echo "# batch of $total probes took $(( $(now_ms) - start )) ms"
	tail -c +$((off + 1)) "$LOG" > "$B/mainlog"
	while read -r id m; do
		[ -f "$B/debug.$id" ] || continue
		grep -i "dane\|tlsa\|dnssec\|ad bit\|status\|ended with" "$B/debug.$id" | head -n 40 | sed "s/^/# $id debug: /"
	done < "$B/ids"
	awk -v probes="$probes" -f "$PARSERS/exim.awk" "$B/mainlog"
	ex_isolate
}

# do_one MSGID - batch delivery: one attempt at one queued message
do_one() {
	ex_as "$EXIM_BIN" -C "$CONF" -d+tls+dns -M "$1"
}
