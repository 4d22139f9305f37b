# harness/tests/lab-freshhost.sh - the lab on a fresh host, sourced by
# lab.sh (POSIX sh).  A host without dns-root-data has no /usr/share/dns
# and maybe no /var/lib/unbound; with systemd-resolved stopped,
# /etc/resolv.conf is a dangling symbolic link.  danelab runs where both
# directories are absent and the link dangles (overlays with whiteouts
# and a link in a mount namespace of the test's own, whatever this host
# has) and must provide them inside the lab only.  Uses t, expect_answer,
# keeper, netns_of, mounts and nothing_left from lab.sh.

FRESH_HIDDEN="/usr/share/dns /var/lib/unbound"
FRESH_DANGLING=/etc/resolv.conf

# fresh_state - existence and listing of those paths on the host
fresh_state() {
	for p in $FRESH_HIDDEN $FRESH_DANGLING; do
		if [ -e "$p" ] || [ -L "$p" ]; then
			echo "$p:"
			ls -la --time-style=full-iso "$p"
		else
			echo "$p: absent"
		fi
	done
}

# fresh_host LAYERS CMD... - run CMD in a private mount namespace where
# the paths of FRESH_HIDDEN do not exist and FRESH_DANGLING is a dangling
# symbolic link (upper layers under LAYERS)
fresh_host() {
	l=$1
	shift
	unshare -m --propagation private sh -c '
		l=$1 hidden=$2 dangling=$3
		shift 3
		for p in $hidden $dangling; do
			u=$l/${p#/}
			mkdir -p "$u/upper" "$u/work" || exit 3
			case " $hidden " in
			*" $p "*) mknod "$u/upper/${p##*/}" c 0 0 ;;
			*) ln -s /run/danelab-nowhere/stub "$u/upper/${p##*/}" ;;
			esac || exit 3
			mount -t overlay overlay -o \
			    "lowerdir=${p%/*},upperdir=$u/upper,workdir=$u/work" \
			    "${p%/*}" || exit 3
			[ ! -e "$p" ] || { echo "$p still there"; exit 3; }
		done
		exec "$@"' fresh-host "$l" "$FRESH_HIDDEN" "$FRESH_DANGLING" "$@"
}

# fresh_anchors DIR - inside the lab in DIR, both trust-anchor files
# exist and are the lab's root key
fresh_anchors() {
	for p in $FRESH_HIDDEN; do
		"$DL" exec --dir "$1" -- cat "$p/root.key" >"$TMP/fresh.key" ||
			return 1
		cat "$TMP/fresh.key"
		grep -q DNSKEY "$TMP/fresh.key" &&
			cmp "$TMP/fresh.key" "$1/anchors/root.key" || return 1
	done
}

# fresh_below - a run directory below a directory the lab overlays
# stays the lab's: up, dig with ad, anchors, down, all in one namespace
# (the directory exists only in the test's upper layer)
fresh_below() {
	fresh_host "$TMP/fresh-below" sh -c '
		d=/var/lib/danelab-fresh/lab
		"$1" up -q --no-scenarios --dir "$d" || exit 1
		"$1" exec --dir "$d" -- dig +dnssec +tries=1 +time=3 . SOA |
			tee /dev/stderr | grep -q "^;; flags:.* ad[ ;]" || r=1
		"$1" exec --dir "$d" -- cat /var/lib/unbound/root.key |
			cmp - "$d/anchors/root.key" || r=1
		"$1" exec --dir "$d" -- sh -c "echo probe >>$d/lab.log" || r=1
		grep -q "^probe$" "$d/lab.log" || { echo "the lab writes elsewhere"; r=1; }
		"$1" down --dir "$d" || r=1
		i=0
		while pgrep -f "$d/" && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		! pgrep -f "$d/" || { echo "daemons left running"; r=1; }
		exit ${r:-0}' fresh-below "$DL"
}

# fresh_nothing_left - nothing of the fresh-host lab left (its keeper's
# network namespace FNS, host mounts as before the fresh-host tests)
fresh_nothing_left() {
	[ -n "$FNS" ] || { echo "the lab never had a keeper"; return 1; }
	nothing_left "$FNS" "$TMP/mounts.fresh"
}

lab_freshhost_tests() {
	F=$TMP/fresh
	before=$(fresh_state)
	mounts >"$TMP/mounts.fresh"
	t "fresh host: up with /usr/share/dns and /var/lib/unbound absent, /etc/resolv.conf dangling" \
		fresh_host "$TMP/fresh-layers" "$DL" up -q --no-scenarios --dir "$F"
	FNS=$(netns_of "$(keeper "$F")")
	t "fresh host: dig +dnssec . SOA through the lab's resolver shows ad" \
		expect_answer "$F" . SOA NOERROR ad
	t "fresh host: a name in a secure child zone validates (ad)" \
		expect_answer "$F" www.secure.example. A NOERROR ad
	t "fresh host: /usr/share/dns/root.key and /var/lib/unbound/root.key are the lab's root key inside the lab" \
		fresh_anchors "$F"
	t "fresh host: the lab's resolv.conf is in place of the dangling link inside the lab" \
		sh -c "'$DL' exec --dir '$F' -- cat /etc/resolv.conf | grep -q '^options trust-ad'"
	t "fresh host: down stops the lab" "$DL" down --dir "$F"
	t "fresh host: nothing left running, mounted or namespaced after down" \
		fresh_nothing_left
	t "fresh host: a run directory below an overlaid directory stays the lab's" \
		fresh_below
	t "fresh host: the host's /usr/share/dns, /var/lib/unbound and /etc/resolv.conf are unchanged" \
		test "$(fresh_state)" = "$before"
}
