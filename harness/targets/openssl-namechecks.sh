#!/bin/sh
# openssl-namechecks.sh - the openssl adapter (openssl.sh) without
# -dane_ee_no_namechecks: OpenSSL's default, which checks names even for
# DANE-EE(3) records, where RFC 7672 3.1.1 and RFC 7671 5.1 ignore them.
# Binary: DANELAB_OPENSSL_NAMECHECKS_BIN, else DANELAB_OPENSSL_BIN, else
# openssl.
DANELAB_OSSL_NAMECHECKS=1
export DANELAB_OSSL_NAMECHECKS
exec sh "$(dirname "$0")/openssl.sh" "$@"
