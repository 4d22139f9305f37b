#!/bin/sh
# prosody13-fetch.sh [DEST] - unpack Prosody 13 (Debian bookworm-backports)
# into DEST (default /opt/danelab/prosody-13) for the prosody13 target,
# without touching the system's apt configuration or installed Prosody.
#
# A private apt configuration under a temporary directory (its own
# sources.list naming bookworm-backports only, its own lists and cache)
# downloads the .deb; dpkg -x unpacks it into DEST; the launchers
# DEST/usr/bin/prosody and prosodyctl are rewritten to load their code,
# modules and default config from DEST.  Lua libraries come from Debian 12
# itself (lua-sec, lua-socket, lua-expat, lua-filesystem, lua-bitop,
# lua-unbound...): the missing ones are installed from bookworm main.
# Idempotent: exit 0 at once when DEST already holds Prosody 13.
# Exit status: 0 done, 1 failure (the reason on stderr), 2 usage.
set -u

NAME=prosody13-fetch
. "$(dirname "$0")/backports.sh"
bpo_dest /opt/danelab/prosody-13 13 "${1:-}"

installed() {	# DEST holds an unpacked, rewritten Prosody 13
	[ -x "$DEST/usr/bin/prosody" ] && [ -x "$DEST/usr/bin/prosodyctl" ] &&
	    [ -f "$DEST/usr/lib/prosody/modules/mod_s2s_auth_dane_in.lua" ] &&
	    grep -q "^CFG_SOURCEDIR='$DEST/usr/lib/prosody'" "$DEST/usr/bin/prosody" &&
	    grep -q '^13\.' "$DEST/usr/lib/prosody/prosody.version" 2>/dev/null
}
if installed; then
	echo "prosody13-fetch: Prosody $(cat "$DEST/usr/lib/prosody/prosody.version") already in $DEST"
	exit 0
fi

apt_need "apt-get install of the Lua libraries" apt-get dpkg dpkg-deb sed

bpo_download prosody
deb=$(ls "$T"/deb/prosody_13.*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "$SUITE did not give a Prosody 13 package: $(ls "$T/deb")"
echo "prosody13-fetch: $(basename "$deb")"

# Its Lua dependencies, from bookworm main.  lua5.4-X are virtual names
# that Debian 12's lua-X packages provide; ssl-cert, adduser and the C
# libraries come with Debian's own prosody.
bpo_install lua5.4 lua-sec lua-socket lua-expat lua-filesystem lua-bitop lua-unbound lua-event libicu72 libssl3 ssl-cert adduser

rm -rf "$DEST.new"
mkdir -p "$DEST.new" || die "cannot create $DEST.new"
dpkg -x "$deb" "$DEST.new" || die "dpkg -x $deb failed"
for f in prosody prosodyctl; do
	sed -e "s|^CFG_SOURCEDIR=.*|CFG_SOURCEDIR='$DEST/usr/lib/prosody';|" \
	    -e "s|^CFG_CONFIGDIR=.*|CFG_CONFIGDIR='$DEST/etc/prosody';|" \
	    -e "s|^CFG_PLUGINDIR=.*|CFG_PLUGINDIR='$DEST/usr/lib/prosody/modules/';|" \
	    -e "s|^CFG_DATADIR=.*|CFG_DATADIR='$DEST/var/lib/prosody';|" \
	    "$DEST.new/usr/bin/$f" > "$DEST.new/usr/bin/$f.tmp" &&
	    mv "$DEST.new/usr/bin/$f.tmp" "$DEST.new/usr/bin/$f" &&
	    chmod 755 "$DEST.new/usr/bin/$f" || die "cannot rewrite $f"
done
# the packaged config Includes conf.d (prosodyctl about reads it)
mkdir -p "$DEST.new/var/lib/prosody" "$DEST.new/etc/prosody/conf.d" "$DEST.new/etc/prosody/certs"
rm -rf "$DEST"
mv "$DEST.new" "$DEST" || die "cannot move $DEST.new to $DEST"
installed || die "$DEST does not hold a working Prosody 13 after unpacking"
echo "prosody13-fetch: Prosody $(cat "$DEST/usr/lib/prosody/prosody.version") unpacked in $DEST"
