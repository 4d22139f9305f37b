#!/bin/sh
# exim498.sh - danelab target adapter: Exim 4.98.2 (bookworm-backports'
# exim4-daemon-light, unpacked by harness/targets/lib/exim-fetch.sh
# bookworm-backports into /opt/danelab/exim-4.98), SMTP and SMTPS with
# DANE.  The adapter is harness/targets/lib/exim.sh (shared with exim.sh).
# (contract: harness/targets/README.md)
EXIM_BIN=${DANELAB_EXIM498_BIN:-/opt/danelab/exim-4.98/usr/sbin/exim4}
EXIM_MISSING="Exim 4.98 not unpacked: run sh harness/targets/lib/exim-fetch.sh bookworm-backports (or sh .ci/deps)"
. "$(dirname "$0")/lib/exim.sh"
adapter_main "$@"
