#!/bin/sh
# resolver-fetch.sh PACKAGE [DEST] - unpack a Debian 12 validating
# resolver (knot-resolver: kresd; bind9: named; pdns-recursor:
# pdns_recursor) into DEST (default /opt/danelab/PACKAGE) for the lab's
# --resolver and the resolver:NAME targets, without installing it: the
# packages start a system service when installed with apt, which danelab
# never does to a host.
#
# A private apt configuration (lib/apt-private.sh: its own sources.list
# naming bookworm, bookworm-updates and bookworm-security, its own lists
# and cache) downloads the .deb; dpkg -x unpacks it into DEST.  For bind9
# the matching bind9-libs is unpacked beside it (DEST/usr/lib/..., found
# with LD_LIBRARY_PATH), so named never depends on the host's version.
# Only the package's library dependencies are installed with apt
# (libraries start no services).  Nothing else is written outside DEST:
# no users, no /etc/knot-resolver, /etc/bind or /etc/powerdns.
# Idempotent: exit 0 at once when DEST already holds the package.
# Exit status: 0 done, 1 failure (the reason on stderr), 2 usage.
set -u

PKG=${1:-}
case $PKG in
-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
knot-resolver) BIN=usr/sbin/kresd
	LIBS="libdnssec9 libknot13 libzscanner4 libluajit2-5.1-2 libedit2 libfstrm0
libgnutls30 libjemalloc2 liblmdb0 libnghttp2-14 libprotobuf-c1 libsystemd0 libuv1" ;;
bind9) BIN=usr/sbin/named EXTRA=bind9-libs
	LIBS="libcap2 libfstrm0 libjemalloc2 libjson-c5 liblmdb0 libmaxminddb0
libnghttp2-14 libprotobuf-c1 libssl3 libsystemd0 libuv1 libxml2 zlib1g" ;;
pdns-recursor) BIN=usr/sbin/pdns_recursor
	LIBS="libboost-context1.74.0 libcap2 libcurl4 libfstrm0 libluajit2-5.1-2
libsnmp40 libsodium23 libssl3 libsystemd0" ;;
*) echo "resolver-fetch: PACKAGE is knot-resolver, bind9 or pdns-recursor, not '$PKG'" >&2; exit 2 ;;
esac
EXTRA=${EXTRA:-}
DEST=${2:-/opt/danelab/$PKG}
MIRROR=${DANELAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${DANELAB_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

die() { echo "resolver-fetch: $*" >&2; exit 1; }

case $DEST in
/*) ;;
*) echo "resolver-fetch: DEST must be an absolute path, not $DEST" >&2; exit 2 ;;
esac

installed() {	# DEST holds the unpacked package
	[ -x "$DEST/$BIN" ] && grep -q "^${PKG}_" "$DEST/VERSION" 2>/dev/null
}
if installed; then
	echo "resolver-fetch: $(head -n 1 "$DEST/VERSION") already in $DEST"
	exit 0
fi

. "$(dirname "$0")/apt-private.sh"
apt_need "apt-get install of its libraries" apt-get dpkg dpkg-deb dpkg-query
apt_private resolver-fetch "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
    "deb $SECMIRROR bookworm-security main"
# shellcheck disable=SC2086
(cd "$T/deb" && apt-get $APT -qq download $PKG $EXTRA) > "$T/download.log" 2>&1 ||
    { cat "$T/download.log" >&2; die "apt-get download $PKG $EXTRA failed"; }

missing=""
for l in $LIBS; do
	dpkg-query -W -f='${Status}\n' "$l" 2>/dev/null | grep -q "install ok installed" ||
	    missing="$missing $l"
done
if [ -n "$missing" ]; then
	echo "resolver-fetch: installing the libraries$missing (bookworm)"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing > "$T/install.log" 2>&1 ||
	    { tail -n 20 "$T/install.log" >&2; die "apt-get install$missing failed"; }
fi

rm -rf "$DEST.new"
mkdir -p "$DEST.new" || die "cannot create $DEST.new"
: > "$DEST.new/VERSION"
for deb in "$T"/deb/*.deb; do
	dpkg -x "$deb" "$DEST.new" || die "dpkg -x $deb failed"
	basename "$deb" .deb >> "$DEST.new/VERSION"
	echo "resolver-fetch: $(basename "$deb")"
done
# The package's own first.
sort -o "$DEST.new/VERSION" "$DEST.new/VERSION"
{ grep "^${PKG}_" "$DEST.new/VERSION"; grep -v "^${PKG}_" "$DEST.new/VERSION"; } > "$DEST.new/VERSION.t" &&
    mv "$DEST.new/VERSION.t" "$DEST.new/VERSION"
rm -rf "$DEST"
mv "$DEST.new" "$DEST" || die "cannot move $DEST.new to $DEST"
installed || die "$DEST does not hold $PKG after unpacking"
echo "resolver-fetch: $(head -n 1 "$DEST/VERSION") unpacked in $DEST"
