# harness/targets/lib/batch.sh - sourced by adapters whose probes are one
# process each (openssl, posttls-finger).
#
# batch_run FILE JOBS SECS SELF WORK - run "sh SELF _one ID PROTO POLICY
# DOMAIN" for every probe line of FILE, up to JOBS at once, each killed
# after SECS seconds, its output in WORK/v.ID; then print, in the order of
# FILE, each probe's "#" log lines and its last verdict line (or an error
# verdict when it gave none).
batch_run() {
	awk 'NF == 4' "$1" | xargs -P "$2" -L 1 sh -c '
		timeout -k 2 "$1" sh "$2" _one "$4" "$5" "$6" "$7" \
		    >"$3/v.$4" 2>&1
		st=$?
		[ $st = 124 ] && echo "# $4 timed out after $1 s" >>"$3/v.$4"
		[ $st = 0 ] || echo "# $4 probe process ended with status $st" >>"$3/v.$4"
		exit 0' sh "$3" "$4" "$5"
	awk 'NF == 4 {print $1}' "$1" | while read -r id; do
		f=$5/v.$id
		[ -f "$f" ] && grep '^#' "$f"
		if [ -f "$f" ] && grep -q "^$id " "$f"; then
			grep "^$id " "$f" | tail -n 1
		else
			echo "$id error timed out or no verdict"
		fi
	done
}
