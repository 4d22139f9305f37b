# harness/targets/lib/apt-private.sh - sourced by the fetch scripts
# (exim-fetch.sh, and through backports.sh the bookworm-backports
# fetchers): a private apt configuration that
# reads and writes nothing of the system's apt state.
#
#   apt_private NAME "deb URL SUITE main" ["deb ..."..]
#
# makes a temporary directory (T, removed at exit) with its own
# sources.list (the given lines), lists and cache, sets APT to the apt-get
# options that use them, and runs apt-get update; on failure it prints why
# and exits 1.  Then: apt-get $APT -qq download PKG (in $T/deb).
apt_private() {
	ap_name=$1
	shift
	T=$(mktemp -d "/tmp/$ap_name.XXXXXX") || { echo "$ap_name: cannot make a temporary directory" >&2; exit 1; }
	trap 'rm -rf "$T"' EXIT INT TERM
	mkdir -p "$T/etc" "$T/lists/partial" "$T/cache/archives/partial" "$T/deb" ||
	    { echo "$ap_name: cannot write $T" >&2; exit 1; }
	for ap_l in "$@"; do echo "$ap_l"; done > "$T/etc/sources.list"
	# sandbox user _apt cannot write into a root-owned mktemp directory
	chmod 755 "$T" "$T/deb"
	APT="-o Dir::Etc::sourcelist=$T/etc/sources.list -o Dir::Etc::sourceparts=/nonexistent
 -o Dir::State::lists=$T/lists -o Dir::Cache=$T/cache -o APT::Sandbox::User=root"
	echo "$ap_name: apt-get update (private lists under $T)"
	# shellcheck disable=SC2086
	apt-get $APT -qq update > "$T/update.log" 2>&1 ||
	    { cat "$T/update.log" >&2; echo "$ap_name: apt-get update failed: $*" >&2; exit 1; }
}

# apt_need WHY CMD.. - dies (the fetcher's die) unless run as root, which
# WHY needs besides writing $DEST, and every CMD is on PATH
apt_need() {
	an_why=$1
	shift
	[ "$(id -u)" -eq 0 ] || die "run as root ($an_why, writing $DEST)"
	for an_c in "$@"; do
		command -v "$an_c" > /dev/null 2>&1 ||
		    die "$an_c not found: this needs Debian 12 (bookworm)"
	done
}
