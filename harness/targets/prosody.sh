#!/bin/sh
# prosody.sh - danelab target adapter: Debian 12's Prosody 0.12, outgoing
# s2s (RFC 7673) and incoming s2s (xmpp-in).  The adapter is
# harness/targets/lib/prosody.sh (shared with prosody13.sh).
# (contract: harness/targets/README.md)
PROSODY_BIN=${DANELAB_PROSODY_BIN:-/usr/bin/prosody}
PROSODY_CTL=$(dirname "$PROSODY_BIN")/prosodyctl
[ -x "$PROSODY_CTL" ] || PROSODY_CTL=$(command -v prosodyctl 2>/dev/null || echo /usr/bin/prosodyctl)
PROSODY_MISSING="prosody not installed (apt-get install prosody lua-unbound)"
PROSODY_TPL=prosody
. "$(dirname "$0")/lib/prosody.sh"
adapter_main "$@"
