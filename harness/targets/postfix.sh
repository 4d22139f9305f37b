#!/bin/sh
# postfix.sh - danelab target adapter: Debian 12's Postfix 3.7, the SMTP
# client (RFC 7672).  The adapter is harness/targets/lib/postfix.sh
# (shared with postfix310.sh).
# (contract: harness/targets/README.md)
PF_BIN=${DANELAB_POSTFIX_BIN:-/usr/sbin/postfix}
PF_MISSING="postfix not installed (apt-get install postfix)"
PF_MAIN_CF=${DANELAB_POSTFIX_MAIN_CF:-}
PF_MAIN_CF_VAR=DANELAB_POSTFIX_MAIN_CF
. "$(dirname "$0")/lib/postfix.sh"
adapter_main "$@"
