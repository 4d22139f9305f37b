#!/bin/sh
# sendmail.sh - danelab target adapter: sendmail 8.18 (Debian
# bookworm-backports, unpacked by harness/targets/lib/sendmail-fetch.sh
# into /opt/danelab/sendmail-8.18), the SMTP client with DANE (OpenSSL,
# `O DANE=true`).  Debian 12's own sendmail 8.17 has no DANE.
# (contract: harness/targets/README.md)
#
# setup writes a private sendmail.cf under $DANELAB_WORKDIR with m4 from
# harness/targets/sendmail/sendmail.mc.in and the unpacked cf files: its
# own queue directory, $j = $DANELAB_CLIENT_NAME, delivery mode
# interactive (one delivery attempt by the submitting process), DANE on.
#
# One probe is one process: `sendmail -C CF -odi -f
# danelab-probe-ID@CLIENT postmaster@DOMAIN` (the probe id rides on the
# wire as the envelope sender), in a mount namespace of its own whose
# /dev is a private directory (null, zero, random, urandom and a log
# entry pointing at the probe's socket): sendmail logs only through
# syslog(3) to /dev/log, and DEST/danelab/logsink writes what arrives on
# that socket to the probe's log.  The namespaces are set up as root;
# sendmail itself runs as $DANELAB_SENDMAIL_USER (default nobody, setpriv),
# which owns the queue directory.  The verdict comes from that log:
# harness/targets/parsers/sendmail.awk (golden tests:
# harness/tests/adapters/sendmail/).
#
# Policies: opportunistic is sendmail's DANE (RFC 7672); sendmail has no
# per-destination "DANE or nothing" level like Postfix's dane-only, so
# mandatory probes are skips.

. "$(dirname "$0")/lib/adapter.sh"
SM_BIN=${DANELAB_SENDMAIL_BIN:-/opt/danelab/sendmail-8.18/usr/libexec/sendmail/sendmail}
SM_ROOT=$(cd "$(dirname "$SM_BIN")/../../.." 2>/dev/null && pwd) || SM_ROOT=/opt/danelab/sendmail-8.18
SM_CF=$SM_ROOT/usr/share/sendmail/cf
SM_LOGSINK=$SM_ROOT/danelab/logsink
# sendmail itself runs unprivileged (setpriv), after the namespaces are set up
SM_USER=${DANELAB_SENDMAIL_USER:-nobody}
SM_GROUP=$(id -gn "$SM_USER" 2>/dev/null || echo nogroup)
SM_MISSING="sendmail 8.18 not unpacked: run sh harness/targets/lib/sendmail-fetch.sh (or sh .ci/deps)"
NO_INBOUND="sendmail is a mail server: no inbound XMPP"
TPL=$(template_dir sendmail sendmail.mc.in)

do_probe() {
	[ -x "$SM_BIN" ] || { echo "$SM_MISSING"; exit 3; }
	needs_root "sendmail runs as ${DANELAB_SENDMAIL_USER:-nobody}"
	[ -x "$SM_LOGSINK" ] || { echo "$SM_MISSING (no $SM_LOGSINK)"; exit 3; }
	command -v m4 > /dev/null 2>&1 || { echo "m4 not installed (apt-get install m4): needed to build sendmail.cf"; exit 3; }
	command -v unshare > /dev/null 2>&1 || { echo "unshare not found (util-linux)"; exit 3; }
	# Under a qualified host name: with an unqualified one that does not
	# resolve, sendmail sleeps a minute before anything.
	pr_v=$(unshare -u sh -c 'hostname "$1" && shift && exec "$@"' sh "$CLIENT" \
	    "$SM_BIN" -d0.1 -bt -C /dev/null < /dev/null 2>&1)
	pr_ver=$(echo "$pr_v" | sed -n 's/^Version //p' | head -n 1)
	if [ -z "$pr_ver" ]; then
		echo "sendmail at $SM_BIN does not run ($(why_not_run "$SM_BIN" "$pr_v"))"
		exit 3
	fi
	echo "$pr_v" | grep -q ' DANE ' || { echo "sendmail $pr_ver at $SM_BIN is built without DANE"; exit 3; }
	echo "sendmail $pr_ver (DANE, OpenSSL)"
	probe_tls "$SM_BIN"
}

do_setup() {
	[ -x "$SM_BIN" ] || { echo "$SM_MISSING"; exit 1; }
	mkdir -p "$WORKDIR/mqueue" || exit 1
	chown "$SM_USER" "$WORKDIR/mqueue" && chmod 700 "$WORKDIR/mqueue" || exit 1
	: > "$WORKDIR/aliases"
	: > "$WORKDIR/statistics"
	: > "$WORKDIR/helpfile"
	sed -e "s|@WORKDIR@|$WORKDIR|g" -e "s|@CLIENT@|$CLIENT|g" "$TPL/sendmail.mc.in" > "$WORKDIR/sendmail.mc" || exit 1
	m4 -D_CF_DIR_="$SM_CF/" "$SM_CF/m4/cf.m4" "$WORKDIR/sendmail.mc" > "$WORKDIR/sendmail.cf" 2> "$WORKDIR/m4.err" ||
		{ echo "m4 could not build sendmail.cf:"; cat "$WORKDIR/m4.err"; exit 1; }
	grep -q '^O DANE=true' "$WORKDIR/sendmail.cf" || { echo "sendmail.cf has no O DANE=true"; exit 1; }
}

# sm_devdir DIR SOCKET - a private /dev for one sendmail: the device nodes
# it opens and log -> SOCKET
sm_devdir() {
	mkdir -p "$1" || return 1
	mknod -m 666 "$1/null" c 1 3 && mknod -m 666 "$1/zero" c 1 5 &&
	    mknod -m 666 "$1/random" c 1 8 && mknod -m 666 "$1/urandom" c 1 9 &&
	    ln -s /proc/self/fd "$1/fd" && ln -s "$2" "$1/log"
}

# do_one ID PROTO POLICY DOMAIN - one probe: "ID WORD TEXT"
do_one() {
	case $2 in smtp) ;; *) echo "$1 skip sendmail speaks SMTP only (no implicit-TLS next hop)"; return ;; esac
	case $3 in
	opportunistic) ;;
	*) echo "$1 skip sendmail's DANE is opportunistic only: no per-destination DANE-only policy"; return ;;
	esac
	o_p=$WORKDIR/p.$1
	o_d=$(echo "${4%.}" | tr 'A-Z' 'a-z')
	mkdir -p "$o_p" || { echo "$1 error cannot create $o_p"; return; }
	sm_devdir "$o_p/dev" "$o_p/log.sock" || { echo "$1 error cannot make a private /dev in $o_p"; return; }
	: > "$o_p/log"
	"$SM_LOGSINK" "$o_p/log.sock" "$o_p/log" &
	o_sink=$!
	wait_for 5000 0.05 test -S "$o_p/log.sock"
	# sendmail runs as $SM_USER: it must reach the socket (the batch
	# directory is mktemp's, 700)
	chmod 711 "$WORKDIR" "$o_p" && chmod 666 "$o_p/log.sock"
	o_from=danelab-probe-$1@$CLIENT
	printf 'From: <%s>\nTo: <postmaster@%s>\nSubject: danelab-probe-%s\n\ndanelab probe %s for %s\n' \
		"$o_from" "$o_d" "$1" "$1" "$o_d" |
		unshare -m -u sh -c 'hostname "$1" && mount --bind "$2" /dev && shift 2 && exec "$@"' sh "$CLIENT" "$o_p/dev" \
		setpriv --reuid="$SM_USER" --regid="$SM_GROUP" --clear-groups "$SM_BIN" -C "$SM_CONFFILE" -odi -f "$o_from" "postmaster@$o_d" > "$o_p/out" 2>&1
	echo "# $1 sendmail exit status $?"
	sleep 0.2	# the last datagrams
	kill "$o_sink" 2>/dev/null
	wait "$o_sink" 2>/dev/null
	sed "s/^/# $1 | /" "$o_p/out" "$o_p/log"
	awk -v id="$1" -v domain="$o_d" -f "$PARSERS/sendmail.awk" "$o_p/log"
}

do_run() {
	SM_CONFFILE=$WORKDIR/sendmail.cf	# setup's, before WORKDIR becomes the batch's
	export SM_CONFFILE
	batch_workdir || exit 1
	batch_run "$1"
}

adapter_main "$@"
