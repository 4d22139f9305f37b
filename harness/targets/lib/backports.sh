# harness/targets/lib/backports.sh - sourced by the fetchers of targets
# unpacked from Debian bookworm-backports (prosody13-fetch.sh,
# postfix310-fetch.sh, sendmail-fetch.sh): a private apt configuration
# that never touches the system's apt sources, lists or cache (apt_private,
# lib/apt-private.sh, which exim-fetch.sh uses directly).
#
# The fetcher defines die() and sets NAME (its name, for messages), then:
#   bpo_download PKG..  a temporary directory T (removed on exit) with its
#                       own sources.list naming $SUITE only, its own lists
#                       and cache; apt-get update; PKG/$SUITE downloaded
#                       into $T/deb
#   bpo_install PKG..   installs, from the system's own sources (bookworm
#                       main), those of PKG that are not installed
# SUITE (bookworm-backports) and MIRROR ($DANELAB_DEBIAN_MIRROR, else
# deb.debian.org) are set here.
SUITE=bookworm-backports
MIRROR=${DANELAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}

. "$(dirname "$0")/apt-private.sh"

bpo_download() {
	apt_private "$NAME" "deb $MIRROR $SUITE main"
	bd_pkgs=
	for bd_p in "$@"; do bd_pkgs="$bd_pkgs $bd_p/$SUITE"; done
	# shellcheck disable=SC2086
	(cd "$T/deb" && apt-get $APT -qq download $bd_pkgs) > "$T/download.log" 2>&1 ||
	    { cat "$T/download.log" >&2; die "apt-get download$bd_pkgs failed"; }
}

bpo_install() {
	bi_need=""
	for bi_p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$bi_p" 2>/dev/null | grep -q "install ok installed" ||
		    bi_need="$bi_need $bi_p"
	done
	[ -n "$bi_need" ] || return 0
	echo "$NAME: installing$bi_need (bookworm)"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $bi_need > "$T/install.log" 2>&1 ||
	    { tail -n 20 "$T/install.log" >&2; die "apt-get install$bi_need failed"; }
}

# die MESSAGE - "NAME: MESSAGE" on stderr, exit 1
die() { echo "$NAME: $*" >&2; exit 1; }

# bpo_dest DEFAULT HELP [ARG] - DEST from the fetcher's argument ARG, an
# absolute path, else DEFAULT; -h or --help prints the script's head
# (lines 2 to HELP) and exits 0; anything else is a usage error (exit 2)
bpo_dest() {
	DEST=${3:-$1}
	case $DEST in
	/*) ;;
	-h|--help) sed -n "2,$2p" "$0"; exit 0 ;;
	*) echo "$NAME: DEST must be an absolute path, not $DEST" >&2; exit 2 ;;
	esac
}
