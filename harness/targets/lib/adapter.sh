# harness/targets/lib/adapter.sh - the skeleton every target adapter
# sources (contract: harness/targets/README.md).
#
# An adapter is:
#
#   #!/bin/sh
#   . "$(dirname "$0")/lib/adapter.sh"
#   NO_INBOUND="Foo is an SMTP client: no inbound XMPP"	# default serve
#   do_probe() { ...; }		# required: print the version, or exit 3
#   do_run() { ...; }		# required: do_run FILE, one verdict a probe
#   do_setup() { ...; }		# optional (default: nothing to do)
#   do_teardown() { ...; }	# optional (default: nothing to do)
#   do_serve() { ...; }		# optional (default: exit 3, $NO_INBOUND)
#   do_one() { ...; }		# with batch_run: one probe, "ID WORD TEXT"
#   adapter_main "$@"
#
# What it sets (after `set -u`), from the environment the harness gives:
#   WORKDIR      $DANELAB_WORKDIR, else .
#   CLIENT       $DANELAB_CLIENT_NAME, else client.danelab.example
#   DEADLINE_MS  $DANELAB_DEADLINE_MS, else 20000
#   RESOLVER     $DANELAB_RESOLVER, else 127.0.0.1
#   INBOUND_DOMAIN, INBOUND_ADDR, INBOUND_PORT  $DANELAB_INBOUND_*, else
#                $CLIENT, 127.0.0.5, 5269 (serve)
#   SELF         the adapter script, an absolute path
#   TARGETS_DIR  the directory of the adapter script (harness/targets)
#   PARSERS      the log parsers' directory (harness/targets/parsers)
#   BATCH_JOBS   probes batch_run runs at once (8)
#
# Functions: adapter_main, now_ms, wait_for, wait_until, pids_gone, why_not_run,
# needs_root, template_dir, batch_workdir, batch_run.  Every helper's own
# variables start with its prefix (am_, wf_, pg_, td_, br_): a helper
# never overwrites a variable of its caller.  Adapters' helpers should do the
# same: a global that a helper assigns and its caller also uses (a
# batch's deadline, say) is a bug that shows only under load.
set -u

WORKDIR=${DANELAB_WORKDIR:-.}
CLIENT=${DANELAB_CLIENT_NAME:-client.danelab.example}
DEADLINE_MS=${DANELAB_DEADLINE_MS:-20000}
RESOLVER=${DANELAB_RESOLVER:-127.0.0.1}
INBOUND_DOMAIN=${DANELAB_INBOUND_DOMAIN:-$CLIENT}
INBOUND_ADDR=${DANELAB_INBOUND_ADDR:-127.0.0.5}
INBOUND_PORT=${DANELAB_INBOUND_PORT:-5269}
TARGETS_DIR=$(cd "$(dirname "$0")" && pwd)
SELF=$TARGETS_DIR/$(basename "$0")
PARSERS=$TARGETS_DIR/parsers
BATCH_JOBS=8
NO_INBOUND="unsupported: ${DANELAB_TARGET:-this target} has no receiving XMPP server: no inbound XMPP"

# needs_root WHY - in a run without root (DANELAB_ROOTLESS=1: a user
# namespace where only the user is mapped, as root) a target that must
# change to other users cannot run: say so (WHY: what it needs) and
# exit 3, as do_probe does for a target that is not there; else nothing
needs_root() {
	[ "${DANELAB_ROOTLESS:-0}" = 1 ] || return 0
	echo "needs real root: $1; danelab runs without root here (a user namespace mapping only your user): run it as root"
	exit 3
}

# now_ms - the time, in milliseconds
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_until END_MS STEP CMD [ARGS..] - run CMD every STEP seconds until
# it exits 0 (return 0), or exits 2 or more ("it never will": return
# that status), or END_MS (as now_ms) has passed after a try (return 1).
# CMD runs at least once.
wait_until() {
	wf_end=$1 wf_step=$2
	shift 2
	while :; do
		"$@"
		wf_st=$?
		[ "$wf_st" = 0 ] && return 0
		[ "$wf_st" -ge 2 ] && return "$wf_st"
		[ "$(now_ms)" -lt "$wf_end" ] || return 1
		sleep "$wf_step"
	done
}

# wait_for MS STEP CMD [ARGS..] - wait_until, MS milliseconds from now
wait_for() {
	wf_ms=$1
	shift
	wait_until $(( $(now_ms) + wf_ms )) "$@"
}

# pids_gone [PID..] - 0 when none of the PIDs runs (empty ones are none),
# else 1 (for wait_for)
pids_gone() {
	for pg_p in "$@"; do
		[ -n "$pg_p" ] && kill -0 "$pg_p" 2>/dev/null && return 1
	done
	return 0
}

# template_dir NAME FILE - the directory of a target's templates:
# harness/targets/NAME next to the adapter, unless $DANELAB_DATADIR has
# harness/targets/NAME/FILE
template_dir() {
	td_dir=$TARGETS_DIR/$1
	if [ -n "${DANELAB_DATADIR:-}" ] && [ -f "$DANELAB_DATADIR/harness/targets/$1/$2" ]; then
		td_dir=$DANELAB_DATADIR/harness/targets/$1
	fi
	echo "$td_dir"
}

# batch_workdir - a private directory for this run's batch under WORKDIR
# (batches may run at once in one work directory): sets WORKDIR and
# DANELAB_WORKDIR (for the probe processes) to it
batch_workdir() {
	WORKDIR=$(mktemp -d "$WORKDIR/run.XXXXXX") || return 1
	DANELAB_WORKDIR=$WORKDIR
	export DANELAB_WORKDIR
}

# batch_run FILE - for adapters whose probes are one process each: run
# "sh SELF _one ID PROTO POLICY DOMAIN" (do_one) for every probe line of
# FILE, up to BATCH_JOBS at once, each killed after the per-probe
# deadline, its output in WORKDIR/v.ID; then print, in the order of
# FILE, each probe's "#" log lines and its last verdict line (or an error
# verdict when it gave none).
batch_run() {
	br_secs=$(( (DEADLINE_MS + 999) / 1000 ))
	awk 'NF == 4' "$1" | xargs -P "$BATCH_JOBS" -L 1 sh -c '
		timeout -k 2 "$1" sh "$2" _one "$4" "$5" "$6" "$7" \
		    >"$3/v.$4" 2>&1
		st=$?
		[ $st = 124 ] && echo "# $4 timed out after $1 s" >>"$3/v.$4"
		[ $st = 0 ] || echo "# $4 probe process ended with status $st" >>"$3/v.$4"
		exit 0' sh "$br_secs" "$SELF" "$WORKDIR"
	awk 'NF == 4 {print $1}' "$1" | while read -r br_id; do
		br_f=$WORKDIR/v.$br_id
		[ -f "$br_f" ] && grep '^#' "$br_f"
		if [ -f "$br_f" ] && grep -q "^$br_id " "$br_f"; then
			grep "^$br_id " "$br_f" | tail -n 1
		else
			echo "$br_id error timed out or no verdict"
		fi
	done
}

# why_not_run BIN OUTPUT - why a binary that should print its version did
# not, for probe (exit 3): its libraries that do not resolve here (ldd:
# an unpacked build from another release), else the first line of OUTPUT
why_not_run() {
	wn_why=$(ldd "$1" 2>&1 | grep 'not found' | tr -s ' \t' ' ' | head -n 3 | tr '\n' ';')
	[ -n "$wn_why" ] || wn_why=$(echo "$2" | head -n 1)
	echo "$wn_why"
}

# probe_tls FILE.. - for probe: the line "tls: FAMILY (LIBRARY, ldd FILE)"
# naming the TLS library the first existing FILE links, which the reports
# use to group targets by family (harness/targets/README.md, "probe"):
# libgnutls is GnuTLS, libssl is OpenSSL, whichever ldd lists first (the
# loader's breadth-first order, so a direct dependency wins over one
# pulled in through another library: sendmail links libssl itself and
# GnuTLS only through libldap); nothing when ldd names neither
probe_tls() {
	for pt_f in "$@"; do
		[ -e "$pt_f" ] || continue
		pt_lib=$(ldd "$pt_f" 2>/dev/null | grep -o 'lib\(gnutls\|ssl\)\.so[.0-9]*' | head -n 1)
		case $pt_lib in
		libgnutls*) echo "tls: GnuTLS ($pt_lib, ldd $pt_f)" ;;
		libssl*) echo "tls: OpenSSL ($pt_lib, ldd $pt_f)" ;;
		esac
		return 0
	done
}

# The defaults of the optional verbs.
do_setup() { :; }
do_teardown() { :; }
do_serve() {
	echo "$NO_INBOUND"
	exit 3
}
do_probe() {
	echo "adapter $0 defines no do_probe"
	exit 1
}
do_run() {
	echo "# adapter $0 defines no do_run"
	exit 1
}
do_one() {
	echo "${1:-?} error adapter $0 defines no do_one"
}

# am_usage - the usage line, on standard error; exit 2
am_usage() {
	echo "usage: $0 probe|setup|serve POLICY|run FILE|teardown${1:+ ($1)}" >&2
	exit 2
}

# adapter_main VERB [ARGS..] - the verb dispatch; usage errors exit 2
adapter_main() {
	case ${1:-} in
	probe) do_probe ;;
	setup) do_setup ;;
	serve) [ $# -ge 2 ] || am_usage "serve needs a POLICY"; do_serve "$2" ;;
	run)
		[ $# -ge 2 ] || am_usage "run needs a FILE"
		[ -r "$2" ] || am_usage "run: cannot read $2"
		do_run "$2" ;;
	teardown) do_teardown ;;
	_one) shift; do_one "$@"; exit 0 ;;	# batch_run's probe process
	*) am_usage ;;
	esac
}
