# harness/targets/lib/postfix.sh - the Postfix adapter, shared by the
# targets postfix (Debian 12's 3.7, harness/targets/postfix.sh) and
# postfix310 (3.10 from bookworm-backports, harness/targets/postfix310.sh)
# (contract: harness/targets/README.md).
#
# One private, throwaway Postfix instance per target run, all of it under
# $DANELAB_WORKDIR: etc/ (main.cf, master.cf from harness/targets/postfix/
# templates, the TLS policy map), spool/ (queue_directory), data/
# (data_directory, owned by postfix) and maillog (maillog_file: no syslog).
# No smtpd listens (master_service_disable = inet, no smtpd in master.cf);
# nothing is chrooted, so the smtp client reads the lab's resolv.conf.
#
# The wrapper sets, then sources this file and calls adapter_main "$@"
# (harness/targets/lib/adapter.sh, the skeleton):
#   PF_BIN        the postfix command to test
#   PF_POSTCONF, PF_POSTMAP, PF_POSTQUEUE, PF_POSTSUPER, PF_SENDMAIL
#                 its tools (default: next to PF_BIN, else on PATH)
#   PF_MAIN_DIRS  "name=value;..." main.cf settings naming where an
#                 unpacked tree keeps its programs (daemon_directory,
#                 shlib_directory, meta_directory, command_directory,
#                 import_environment; empty for the system's Postfix)
#   PF_MAIN_CF    "name=value;..." more main.cf settings, from the user
#                 (DANELAB_POSTFIX_MAIN_CF, DANELAB_POSTFIX310_MAIN_CF)
#   PF_MAIN_CF_VAR the name of the variable PF_MAIN_CF comes from
#   PF_MISSING    what probe says when PF_BIN is missing
#   PF_NAME       the product in verdicts and probe lines (Postfix)
#
# Policies: both come from a per-domain smtp_tls_policy_maps that `run`
# writes and postmaps: `DOMAIN dane` for an opportunistic probe (RFC 7672),
# `DOMAIN dane-only` for a mandatory one (RFC 7672 6); the global level is
# `may` and applies to no probe.  This is how sites deploy DANE per
# destination, and it is the configuration in which Debian 12's 3.7.11
# default smtp_tls_dane_insecure_mx_policy (evaluated from the global
# level: `may`) ignores the TLSA of MX hosts found via an insecure MX
# RRset (scenarios/bugs/postfix-insecure-mx-policy.scn; fixed in 3.7.13).
# DANELAB_POSTFIX_MAIN_CF="name=value;name=value" (postfix310:
# DANELAB_POSTFIX310_MAIN_CF, through PF_MAIN_CF) appends main.cf
# settings (e.g. smtp_tls_dane_insecure_mx_policy=dane, the fix).
# smtp processes serve one delivery each (max_use=1 in
# master.cf), so each delivery reads the current map.
#
# Batching: `run` injects one message per probe with sendmail (envelope
# sender and Subject danelab-probe-ID: the lab ties each session to its
# probe by them), flushes, and polls the maillog until every recipient
# domain has its first status= line (one delivery attempt: retries are
# five minutes away) or the deadline passes.  Then it stops the instance,
# empties the queue and the policy map and starts it again (pf_isolate):
# nothing of this batch can reach an endpoint during the next one.  The
# verdict comes from the smtp process's own lines before that status
# line (same pid): harness/targets/parsers/postfix.awk (golden tests:
# harness/tests/adapters/postfix/).
#
# DANELAB_POSTFIX_RESTART_EACH=1 makes `run` start and stop a fresh
# instance around every probe (for harness/postfix-bench.sh).

. "$(dirname "$0")/lib/adapter.sh"
BIN=$PF_BIN
SBIN=$(dirname "$BIN")
PF_NAME=${PF_NAME:-Postfix}
PF_MISSING=${PF_MISSING:-postfix not installed (apt-get install postfix)}
PF_MAIN_DIRS=${PF_MAIN_DIRS:-}
PF_MAIN_CF=${PF_MAIN_CF:-}
PF_MAIN_CF_VAR=${PF_MAIN_CF_VAR:-DANELAB_POSTFIX_MAIN_CF}
CONF=$WORKDIR/etc
QDIR=$WORKDIR/spool
DDIR=$WORKDIR/data
LOG=$WORKDIR/maillog
TPL=$(template_dir postfix main.cf.in)
NO_INBOUND="Postfix is a mail server: no inbound XMPP"

pf_tool() {	# the tool next to the postfix binary, else the one on PATH
	if [ -x "$SBIN/$1" ]; then echo "$SBIN/$1"; else command -v "$1" || echo "/usr/sbin/$1"; fi
}
POSTCONF=${PF_POSTCONF:-$(pf_tool postconf)}
POSTMAP=${PF_POSTMAP:-$(pf_tool postmap)}
POSTQUEUE=${PF_POSTQUEUE:-$(pf_tool postqueue)}
POSTSUPER=${PF_POSTSUPER:-$(pf_tool postsuper)}
SENDMAIL=${PF_SENDMAIL:-$(pf_tool sendmail)}

master_pid() {	# the instance's master's pid, when it runs
	[ -s "$QDIR/pid/master.pid" ] || return 1
	mp_p=$(tr -dc 0-9 < "$QDIR/pid/master.pid")
	[ -n "$mp_p" ] && kill -0 "$mp_p" 2>/dev/null && echo "$mp_p"
}

show_log() {	# the instance's maillog, for start and stop failures
	if [ -s "$LOG" ]; then
		echo "--- $LOG (last 30 lines)"
		tail -n 30 "$LOG"
	fi
}

do_probe() {
	if [ ! -x "$BIN" ] || [ ! -x "$POSTCONF" ]; then
		echo "$PF_MISSING"
		exit 3
	fi
	needs_root "Postfix's daemons run as the postfix user"
	pr_out=$("$POSTCONF" -d -h mail_version 2>&1)
	v=$(echo "$pr_out" | grep -x "[0-9][0-9.]*" | head -n 1)
	if [ -z "$v" ]; then
		echo "postfix at $BIN does not run (postconf -d mail_version failed: $(why_not_run "$POSTCONF" "$pr_out"))"
		exit 3
	fi
	echo "$PF_NAME $v"
	# the smtp client, whose TLS is libpostfix-tls's
	probe_tls "$(dirname "$BIN")/../lib/postfix/sbin/smtp"
}

# pf_main_extra NAME VALUES - append "name=value;..." settings to the new
# main.cf under a comment naming where they come from
pf_main_extra() {
	[ -n "$2" ] || return 0
	echo "# $1" >> "$CONF/main.cf.new"
	echo "$2" | tr ";" "\n" | sed "s/^ *//; /^$/d; s/=/ = /" >> "$CONF/main.cf.new"
}

do_setup() {
	[ -x "$BIN" ] || { echo "$PF_MISSING"; exit 1; }
	mkdir -p "$CONF" "$QDIR" "$DDIR" || exit 1
	chown postfix "$DDIR" || exit 1
	for f in main.cf master.cf; do
		sed -e "s|@CONFDIR@|$CONF|g" -e "s|@QUEUEDIR@|$QDIR|g" \
		    -e "s|@DATADIR@|$DDIR|g" -e "s|@MAILLOG@|$LOG|g" \
		    -e "s|@CLIENT@|$CLIENT|g" -e "s|@WORKDIR@|$WORKDIR|g" "$TPL/$f.in" > "$CONF/$f.new" || exit 1
	done
	pf_main_extra "where this build keeps its programs (the target's wrapper)" "$PF_MAIN_DIRS"
	pf_main_extra "extra main.cf settings ($PF_MAIN_CF_VAR)" "$PF_MAIN_CF"
	# Replace a config file only when it changed: `postfix start` after a
	# change of main.cf runs its slow checks (2.5 s instead of 0.25 s).
	for f in main.cf master.cf; do
		if cmp -s "$CONF/$f.new" "$CONF/$f"; then rm -f "$CONF/$f.new"
		else mv "$CONF/$f.new" "$CONF/$f" || exit 1; fi
	done
	: > "$CONF/tls_policy"
	"$POSTMAP" -c "$CONF" "hash:$CONF/tls_policy" || exit 1
	: >> "$LOG"
	pf_start
}

# pf_start - start the instance; return once its master runs (bounded:
# 10 s), else exit 1 saying why
pf_start() {
	if ! "$BIN" -c "$CONF" start > "$WORKDIR/start.out" 2>&1; then
		echo "postfix -c $CONF start failed:"
		cat "$WORKDIR/start.out"
		show_log
		exit 1
	fi
	# Readiness: the master's pid file names a live process and
	# `postfix status` agrees (bounded: 10 s).
	if wait_for 10000 0.1 pf_running; then
		echo "# postfix master pid $(master_pid), config $CONF"
		return 0
	fi
	echo "postfix -c $CONF start: no running master after 10 s"
	cat "$WORKDIR/start.out"
	show_log
	exit 1
}

# pf_running - 0 when the master runs and `postfix status` says so, else 1
pf_running() {
	master_pid > /dev/null && "$BIN" -c "$CONF" status > /dev/null 2>&1 && return 0
	return 1
}

# pf_stop - stop the instance and every process of it: once it returns,
# nothing of this instance delivers anything
pf_stop() {
	ps_p=$(master_pid) || ps_p=
	"$BIN" -c "$CONF" stop > /dev/null 2>&1 &
	ps_stopper=$!
	wait_for 10000 0.1 pids_gone "$ps_p"
	kill "$ps_stopper" 2>/dev/null
	wait "$ps_stopper" 2>/dev/null
	if [ -n "$ps_p" ] && kill -0 "$ps_p" 2>/dev/null; then
		echo "# postfix master $ps_p still running after stop: killing it and its children"
		for ps_c in $(ps -o pid= --ppid "$ps_p" 2>/dev/null); do kill -9 "$ps_c" 2>/dev/null; done
		kill -9 "$ps_p" 2>/dev/null
	fi
	# Children of the master that outlived it (e.g. an smtp client
	# in a long timeout) have been reparented; find them by their
	# config directory on the command line of this instance only.
	for ps_d in /proc/[0-9]*; do
		ps_c=${ps_d#/proc/}
		[ -r "$ps_d/environ" ] || continue
		if tr '\0' '\n' < "$ps_d/environ" 2>/dev/null | grep -qx "MAIL_CONFIG=$CONF"; then
			kill -9 "$ps_c" 2>/dev/null
		fi
	done
	return 0
}

do_teardown() {
	pf_stop
}

# pf_isolate - between batches: stop the instance (the master ends its
# smtp processes, deliveries in flight included), empty the queue and the
# policy map while nothing runs, check the queue is empty, start again.
# Deleting the queue of a running instance races the queue manager: a
# message of this batch could be delivered, with no TLS policy, while the
# next batch is observed.
pf_isolate() {
	pf_stop
	"$POSTSUPER" -c "$CONF" -d ALL > /dev/null 2>&1
	: > "$CONF/tls_policy"
	"$POSTMAP" -c "$CONF" "hash:$CONF/tls_policy" 2>&1 | sed 's/^/# postmap: /'
	left=$(find "$QDIR/maildrop" "$QDIR/incoming" "$QDIR/active" \
	    "$QDIR/deferred" "$QDIR/hold" "$QDIR/corrupt" -type f 2>/dev/null | wc -l)
	[ "$left" -eq 0 ] || echo "# queue not empty after postsuper -d ALL: $left files"
	pf_start | sed 's/^/# restart: /'
}

# Verdicts for one batch (parsers/postfix.awk): stdin is the maillog from
# the batch's start, $1 the probe list "ID DOMAIN" (domains without the
# trailing dot, lower case), $2 "final" to write verdicts (else: print how
# many are done).
parse_log() {
	awk -v probes="$1" -v mode="$2" -f "$PARSERS/postfix.awk"
}

do_run() {
	file=$1
	if [ "${DANELAB_POSTFIX_RESTART_EACH:-0}" = 1 ]; then
		run_restart_each "$file"
		return
	fi
	probes=
	policy_lines=
	total=0
	while read -r id proto policy domain rest; do
		[ -n "${id:-}" ] || continue
		case $id in \#*) continue ;; esac
		case $proto in
		smtp) ;;
		smtps) echo "$id skip Postfix client has no implicit-TLS next-hop in this adapter"; continue ;;
		xmpp|xmpps) echo "$id skip Postfix speaks SMTP only"; continue ;;
		*) echo "$id error unknown protocol $proto"; continue ;;
		esac
		d=$(echo "${domain%.}" | tr 'A-Z' 'a-z')
		case $policy in
		opportunistic) policy_lines="$policy_lines$d dane
" ;;
		mandatory) policy_lines="$policy_lines$d dane-only
" ;;
		*) echo "$id error unknown policy $policy"; continue ;;
		esac
		probes="$probes$id $d
"
		total=$((total + 1))
	done < "$file"
	[ "$total" -gt 0 ] || return 0

	if ! master_pid > /dev/null; then
		for id in $(printf '%s' "$probes" | awk '{print $1}'); do
			echo "$id error the private Postfix instance is not running (see setup)"
		done
		return 0
	fi

	printf '%s' "$policy_lines" > "$CONF/tls_policy"
	if ! "$POSTMAP" -c "$CONF" "hash:$CONF/tls_policy" 2>&1 | sed 's/^/# postmap: /'; then :; fi

	# The whole run's budget, as the harness computes it, less a margin
	# to write verdicts and clean the queue.
	dl=$DEADLINE_MS
	budget=$((dl * (1 + total / 16)))
	[ "$budget" -ge 60000 ] || budget=60000
	start=$(now_ms)
	batch_end=$((start + budget - 5000))

	off=$(wc -c < "$LOG")
	printf '%s' "$probes" | while read -r id d; do
		# The probe id rides on the wire (envelope sender and
		# Subject, ENDPOINT_PROBE_TAG): the lab ties a session to its
		# probe by it, whenever the session gets that far.
		from=danelab-probe-$id@$CLIENT
		printf 'From: <%s>\nTo: <postmaster@%s>\nSubject: danelab-probe-%s\n\ndanelab probe %s for %s\n' \
			"$from" "$d" "$id" "$id" "$d" |
			"$SENDMAIL" -C "$CONF" -f "$from" "postmaster@$d" 2>&1 | sed "s/^/# sendmail $id: /"
	done
	"$POSTQUEUE" -c "$CONF" -f 2>&1 | sed 's/^/# postqueue: /'

	if ! wait_until "$batch_end" 0.1 pf_all_have_status; then
		echo "# deadline: $pf_done_n of $total probes have a status"
	fi
	echo "# batch of $total smtp probes took $(( $(now_ms) - start )) ms"
	tail -c +$((off + 1)) "$LOG" | parse_log "$probes" final
	pf_isolate
}

# pf_all_have_status - 0 once every probe of do_run's batch ($probes,
# $total; the maillog from $off) has a status= line; sets pf_done_n
pf_all_have_status() {
	pf_done_n=$(tail -c +$((off + 1)) "$LOG" | parse_log "$probes" count)
	[ "$pf_done_n" -ge "$total" ] && return 0
	return 1
}

# Benchmark mode: one Postfix restart per probe (stop, start, a batch of
# one), same work directory and queue.
run_restart_each() {
	k=0
	while read -r line; do
		[ -n "$line" ] || continue
		k=$((k + 1))
		echo "$line" > "$WORKDIR/probe-one"
		set -- $line
		(
			DANELAB_POSTFIX_RESTART_EACH=0; export DANELAB_POSTFIX_RESTART_EACH
			if [ "$2" != smtp ]; then sh "$SELF" run "$WORKDIR/probe-one"; exit; fi
			sh "$SELF" teardown | sed "s/^/# /"
			sh "$SELF" setup | sed "s/^/# setup: /"
			sh "$SELF" run "$WORKDIR/probe-one"
		)
	done < "$1"
}
