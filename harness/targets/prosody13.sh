#!/bin/sh
# prosody13.sh - danelab target adapter: Prosody 13.0 (Debian
# bookworm-backports, unpacked by harness/targets/lib/prosody13-fetch.sh into
# /opt/danelab/prosody-13), outgoing s2s (RFC 7673) and incoming s2s with
# mod_s2s_auth_dane_in (xmpp-in).  The adapter is
# harness/targets/lib/prosody.sh (shared with prosody.sh).
# (contract: harness/targets/README.md)
PROSODY_BIN=${DANELAB_PROSODY13_BIN:-/opt/danelab/prosody-13/usr/bin/prosody}
PROSODY_CTL=$(dirname "$PROSODY_BIN")/prosodyctl
PROSODY_MISSING="Prosody 13 not unpacked: run sh harness/targets/lib/prosody13-fetch.sh (or sh .ci/deps)"
PROSODY_TPL=prosody
. "$(dirname "$0")/lib/prosody.sh"
adapter_main "$@"
