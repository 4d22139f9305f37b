#!/bin/sh
# postfix310-fetch.sh [DEST] - unpack Postfix 3.10 (Debian
# bookworm-backports) into DEST (default /opt/danelab/postfix-3.10) for the
# postfix310 target, beside Debian 12's own Postfix 3.7, without touching
# the system's apt configuration or installed packages.
#
# A private apt configuration under a temporary directory (its own
# sources.list naming bookworm-backports only, its own lists and cache)
# downloads the .deb; dpkg -x unpacks it into DEST.  Nothing is
# installed: its libraries (libssl3, libicu72, libdb5.3, libsasl2-2,
# libnsl2) are Debian 12's, which the postfix package (a dependency of
# the postfix target) brings; its own shared libraries (libpostfix-*.so)
# stay in DEST/usr/lib/postfix, and the adapter
# (harness/targets/postfix310.sh) points LD_LIBRARY_PATH there, since
# the binaries' RUNPATH names /usr/lib/postfix, where Debian 12's 3.7
# libraries live; Debian's post-install is pointed at this tree's
# chroot helper (configure-instance.sh).  Nothing is setgid (dpkg -x
# does not apply Debian's statoverrides): the adapter runs it as root.
# Idempotent: exit 0 at once when DEST already holds a working Postfix 3.10.
# Exit status: 0 done, 1 failure (the reason on stderr), 2 usage.
set -u

NAME=postfix310-fetch
. "$(dirname "$0")/backports.sh"
bpo_dest /opt/danelab/postfix-3.10 21 "${1:-}"

version() {	# the unpacked tree's mail_version, when its postconf runs
	LD_LIBRARY_PATH=$DEST/usr/lib/postfix "$DEST/usr/sbin/postconf" -d -h mail_version 2>/dev/null
}
installed() {	# DEST holds an unpacked Postfix 3.10 that runs
	[ -x "$DEST/usr/sbin/postfix" ] && [ -x "$DEST/usr/lib/postfix/sbin/smtp" ] &&
	    [ -f "$DEST/etc/postfix/postfix-files" ] &&
	    grep -q "^ *$DEST/usr/lib/postfix/configure-instance.sh" "$DEST/usr/lib/postfix/sbin/post-install" &&
	    version | grep -q '^3\.10\.'
}
if installed; then
	echo "postfix310-fetch: Postfix $(version) already in $DEST"
	exit 0
fi

apt_need "apt-get download" apt-get dpkg dpkg-deb ldd

bpo_download postfix
deb=$(ls "$T"/deb/postfix_3.10.*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "$SUITE did not give a Postfix 3.10 package: $(ls "$T/deb")"
echo "postfix310-fetch: $(basename "$deb")"

rm -rf "$DEST.new"
mkdir -p "$DEST.new" || die "cannot create $DEST.new"
dpkg -x "$deb" "$DEST.new" || die "dpkg -x $deb failed"
# Every binary's libraries must resolve on this system (with its own
# libpostfix-*.so first).
missing=$(for f in "$DEST.new"/usr/sbin/* "$DEST.new"/usr/lib/postfix/sbin/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	head -c 4 "$f" | grep -q ELF || continue
	LD_LIBRARY_PATH=$DEST.new/usr/lib/postfix ldd "$f" 2>&1 | grep 'not found' | sed "s|^|$(basename "$f"): |"
done)
[ -z "$missing" ] || die "libraries missing on this system:
$missing"
# Debian's post-install (run by `postfix start`) calls its chroot helper by
# an absolute path: point it at this tree's copy, not at 3.7's.
sed -i "s|^\( *\)/usr/lib/postfix/configure-instance.sh|\1$DEST/usr/lib/postfix/configure-instance.sh|" \
    "$DEST.new/usr/lib/postfix/sbin/post-install" || die "cannot rewrite post-install"
rm -rf "$DEST"
mv "$DEST.new" "$DEST" || die "cannot move $DEST.new to $DEST"
installed || die "$DEST does not hold a working Postfix 3.10 after unpacking"
echo "postfix310-fetch: Postfix $(version) unpacked in $DEST"
