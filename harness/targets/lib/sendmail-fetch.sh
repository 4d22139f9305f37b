#!/bin/sh
# sendmail-fetch.sh [DEST] - unpack sendmail 8.18 (Debian
# bookworm-backports: sendmail-bin, sendmail-base, sendmail-cf) into DEST
# (default /opt/danelab/sendmail-8.18) for the sendmail target, without
# touching the system's apt configuration or its MTA (Debian 12's own
# sendmail 8.17 has no DANE; sendmail-bin conflicts with postfix, so it is
# never installed).
#
# A private apt configuration under a temporary directory (its own
# sources.list naming bookworm-backports only, its own lists and cache)
# downloads the three .debs; dpkg -x unpacks them into DEST.  The
# libraries sendmail needs that Debian 12 may lack (libwrap0,
# liblockfile1) and m4 (to build a sendmail.cf from the unpacked cf
# files) are installed from bookworm main: none of them conflicts with
# anything.  Sendmail logs only through syslog(3): DEST/danelab/logsink,
# built here with cc from harness/targets/sendmail/logsink.c, is the
# private syslog socket the adapter gives each sendmail.
# Idempotent: exit 0 at once when DEST already holds a working sendmail 8.18.
# Exit status: 0 done, 1 failure (the reason on stderr), 2 usage.
set -u

NAME=sendmail-fetch
. "$(dirname "$0")/backports.sh"
bpo_dest /opt/danelab/sendmail-8.18 20 "${1:-}"
SRC=$(cd "$(dirname "$0")/.." && pwd)/sendmail/logsink.c

version() {	# the unpacked sendmail's version, when it runs
	"$DEST/usr/libexec/sendmail/sendmail" -d0.1 -bt -C /dev/null < /dev/null 2>/dev/null |
	    sed -n 's/^Version //p' | head -n 1
}
installed() {	# DEST holds an unpacked sendmail 8.18 that runs, and logsink
	[ -x "$DEST/usr/libexec/sendmail/sendmail" ] && [ -f "$DEST/usr/share/sendmail/cf/m4/cf.m4" ] &&
	    [ -x "$DEST/danelab/logsink" ] && command -v m4 > /dev/null 2>&1 &&
	    version | grep -q '^8\.18\.'
}
if installed; then
	echo "sendmail-fetch: sendmail $(version) already in $DEST"
	exit 0
fi

apt_need "apt-get install of libraries and m4" apt-get dpkg dpkg-deb ldd cc
[ -f "$SRC" ] || die "$SRC not found"

bpo_download sendmail-bin sendmail-base sendmail-cf
bin=$(ls "$T"/deb/sendmail-bin_8.18.*.deb 2>/dev/null | head -n 1)
[ -n "$bin" ] || die "$SUITE did not give a sendmail 8.18 package: $(ls "$T/deb")"
echo "sendmail-fetch: $(cd "$T/deb" && ls | tr '\n' ' ')"

bpo_install libwrap0 liblockfile1 libldap-2.5-0 libdb5.3 libsasl2-2 libnsl2 libssl3 m4

rm -rf "$DEST.new"
mkdir -p "$DEST.new/danelab" || die "cannot create $DEST.new"
for d in "$T"/deb/*.deb; do
	dpkg -x "$d" "$DEST.new" || die "dpkg -x $d failed"
done
missing=$(ldd "$DEST.new/usr/libexec/sendmail/sendmail" 2>&1 | grep 'not found')
[ -z "$missing" ] || die "libraries missing on this system: $missing"
cc -std=c11 -D_GNU_SOURCE -O2 -o "$DEST.new/danelab/logsink" "$SRC" ||
    die "cannot build $SRC"
rm -rf "$DEST"
mv "$DEST.new" "$DEST" || die "cannot move $DEST.new to $DEST"
installed || die "$DEST does not hold a working sendmail 8.18 after unpacking"
echo "sendmail-fetch: sendmail $(version) unpacked in $DEST"
