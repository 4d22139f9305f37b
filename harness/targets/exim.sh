#!/bin/sh
# exim.sh - danelab target adapter: Exim 4.96 (Debian 12's
# exim4-daemon-light, unpacked by harness/targets/lib/exim-fetch.sh into
# /opt/danelab/exim-4.96), SMTP and SMTPS with DANE.  The adapter is
# harness/targets/lib/exim.sh (shared with exim498.sh).
# (contract: harness/targets/README.md)
EXIM_BIN=${DANELAB_EXIM_BIN:-/opt/danelab/exim-4.96/usr/sbin/exim4}
EXIM_MISSING="Exim 4.96 not unpacked: run sh harness/targets/lib/exim-fetch.sh (or sh .ci/deps)"
. "$(dirname "$0")/lib/exim.sh"
adapter_main "$@"
