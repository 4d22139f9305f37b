#!/bin/sh
# postfix310.sh - danelab target adapter: Postfix 3.10 (Debian
# bookworm-backports, unpacked by harness/targets/lib/postfix310-fetch.sh
# into /opt/danelab/postfix-3.10, beside Debian 12's 3.7), the SMTP
# client (RFC 7672).  The adapter is harness/targets/lib/postfix.sh
# (shared with postfix.sh).
# (contract: harness/targets/README.md)
#
# The unpacked tree is not where its programs expect to be: main.cf names
# its daemon, command, shared-library and meta directories, and its own
# libpostfix-*.so come first through LD_LIBRARY_PATH (the binaries'
# RUNPATH is /usr/lib/postfix, Debian 12's 3.7 libraries), exported here
# for the commands and passed by the master to its daemons
# (import_environment).
PF_BIN=${DANELAB_POSTFIX310_BIN:-/opt/danelab/postfix-3.10/usr/sbin/postfix}
pf_root=$(cd "$(dirname "$PF_BIN")/../.." 2>/dev/null && pwd) || pf_root=/opt/danelab/postfix-3.10
PF_POSTCONF=$pf_root/usr/sbin/postconf
PF_POSTMAP=$pf_root/usr/sbin/postmap
PF_POSTQUEUE=$pf_root/usr/sbin/postqueue
PF_POSTSUPER=$pf_root/usr/sbin/postsuper
PF_SENDMAIL=$pf_root/usr/sbin/sendmail
LD_LIBRARY_PATH=$pf_root/usr/lib/postfix
export LD_LIBRARY_PATH
PF_MAIN_DIRS="daemon_directory=$pf_root/usr/lib/postfix/sbin;shlib_directory=$pf_root/usr/lib/postfix"
PF_MAIN_DIRS="$PF_MAIN_DIRS;meta_directory=$pf_root/etc/postfix;command_directory=$pf_root/usr/sbin"
PF_MAIN_DIRS="$PF_MAIN_DIRS;sendmail_path=$PF_SENDMAIL;newaliases_path=$pf_root/usr/bin/newaliases"
PF_MAIN_DIRS="$PF_MAIN_DIRS;mailq_path=$pf_root/usr/bin/mailq"
PF_MAIN_DIRS="$PF_MAIN_DIRS;import_environment=MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
PF_MISSING="Postfix 3.10 not unpacked: run sh harness/targets/lib/postfix310-fetch.sh (or sh .ci/deps)"
PF_MAIN_CF=${DANELAB_POSTFIX310_MAIN_CF:-}
PF_MAIN_CF_VAR=DANELAB_POSTFIX310_MAIN_CF
. "$(dirname "$0")/lib/postfix.sh"
adapter_main "$@"
