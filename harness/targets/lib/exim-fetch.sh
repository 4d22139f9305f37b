#!/bin/sh
# exim-fetch.sh [SUITE [DEST]] - unpack Debian's Exim (exim4-daemon-light)
# from SUITE (bookworm: 4.96, default; bookworm-backports: 4.98.2) into DEST
# (default /opt/danelab/exim-4.96, /opt/danelab/exim-4.98 for backports)
# for the exim and exim498 targets, without installing it: Exim and Postfix
# conflict as Debian packages (both provide mail-transport-agent).
#
# A private apt configuration under a temporary directory (its own
# sources.list naming SUITE and, for bookworm, bookworm-security; its own
# lists and cache) downloads the .deb; dpkg -x unpacks it into DEST; the
# binary loses its setuid bit (the adapter runs it as an unprivileged user,
# never as root).  Its one library that Debian 12 does not install with the
# lab's other packages, libidn12, is installed from bookworm main (the
# rest, libgnutls-dane0 included, are already there).  Nothing else is
# written outside DEST: no Debian-exim user (the adapter gives the binary
# a private passwd entry), no /etc/exim4, no spool.
# Idempotent: exit 0 at once when DEST already holds that Exim.
# Exit status: 0 done, 1 failure (the reason on stderr), 2 usage.
set -u

SUITE=${1:-bookworm}
case $SUITE in
-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
bookworm) DEST=${2:-/opt/danelab/exim-4.96} WANT=4.96 ;;
bookworm-backports) DEST=${2:-/opt/danelab/exim-4.98} WANT=4.98 ;;
*) echo "exim-fetch: SUITE is bookworm or bookworm-backports, not $SUITE" >&2; exit 2 ;;
esac
MIRROR=${DANELAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${DANELAB_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

die() { echo "exim-fetch: $*" >&2; exit 1; }

case $DEST in
/*) ;;
*) echo "exim-fetch: DEST must be an absolute path, not $DEST" >&2; exit 2 ;;
esac

installed() {	# DEST holds the unpacked Exim of SUITE
	[ -x "$DEST/usr/sbin/exim4" ] &&
	    grep -q "^exim4-daemon-light_$WANT" "$DEST/VERSION" 2>/dev/null
}
if installed; then
	echo "exim-fetch: $(cat "$DEST/VERSION") already in $DEST"
	exit 0
fi

. "$(dirname "$0")/apt-private.sh"
apt_need "apt-get install libidn12" apt-get dpkg dpkg-deb
SOURCES="deb $MIRROR $SUITE main"
if [ "$SUITE" = bookworm ]; then
	apt_private exim-fetch "$SOURCES" "deb $SECMIRROR bookworm-security main"
else
	apt_private exim-fetch "$SOURCES"
fi
# The newest exim4-daemon-light the private sources carry.
# shellcheck disable=SC2086
(cd "$T/deb" && apt-get $APT -qq download exim4-daemon-light) > "$T/download.log" 2>&1 ||
    { cat "$T/download.log" >&2; die "apt-get download exim4-daemon-light ($SUITE) failed"; }
deb=$(ls "$T"/deb/exim4-daemon-light_"$WANT"*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "$SUITE did not give Exim $WANT: $(ls "$T/deb")"
echo "exim-fetch: $(basename "$deb")"

if ! dpkg-query -W -f='${Status}\n' libidn12 2>/dev/null | grep -q "install ok installed"; then
	echo "exim-fetch: installing libidn12 (bookworm)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libidn12 > "$T/install.log" 2>&1 ||
	    { tail -n 20 "$T/install.log" >&2; die "apt-get install libidn12 failed"; }
fi

rm -rf "$DEST.new"
mkdir -p "$DEST.new" || die "cannot create $DEST.new"
dpkg -x "$deb" "$DEST.new" || die "dpkg -x $deb failed"
chmod 755 "$DEST.new/usr/sbin/exim4" || die "cannot drop the setuid bit of exim4"
basename "$deb" .deb > "$DEST.new/VERSION"
rm -rf "$DEST"
mv "$DEST.new" "$DEST" || die "cannot move $DEST.new to $DEST"
installed || die "$DEST does not hold Exim $WANT after unpacking"
echo "exim-fetch: $(cat "$DEST/VERSION") unpacked in $DEST"
