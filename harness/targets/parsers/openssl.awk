# harness/targets/parsers/openssl.awk - what one s_client session of the
# openssl adapter (harness/targets/openssl.sh) came to.
#
#   awk -f openssl.awk -v mode=dane|opportunistic|noauth -v at=HOST[ADDR]:PORT
#
# stdin: the output of one `openssl s_client -brief` run.  mode: how it
# was run (dane: with the TLSA records, -verify_return_error).  Prints one
# line "WORD [TEXT]"; the adapter turns it into the probe's verdict:
#   unusable       OpenSSL took none of the TLSA records (the adapter
#                  falls back to TLS without authentication, or skips the
#                  host)
#   no-connect     no connection
#   refused        connected, no handshake or a failed verification
#                  (TEXT "hostname mismatch": the adapter may try the
#                  second reference name), or an XMPP server whose
#                  stream features offered no STARTTLS (the line of
#                  lib/openssl-xmpp-watch.awk)
#   skip           not dane, the server offers no STARTTLS: s_client
#                  cannot go on in cleartext (an adapter limit)
#   authenticated  dane, "Verification: OK" and a DANE TLSA match (TEXT:
#                  "at AT: DANE TLSA ...")
#   error          dane, handshake completed without a DANE match
#   encrypted      not dane, handshake completed (TEXT: "at AT (MODE,
#                  Verification...)")
# As a library (awk -v lib=1 -f openssl.awk -f ...), the rules below stay
# silent and the caller feeds lines itself: sc_reset(), sc_line(LINE) for
# each line of one run, then sc_word(MODE, AT).
# Golden tests: harness/tests/adapters/openssl/ (harness/tests/adapters.sh).
function sc_reset() {
	sc_unusable = sc_established = sc_noconn = sc_nostarttls = 0
	sc_mismatch = sc_verified = sc_matched = sc_nofeature = 0
	sc_dane = sc_verification = ""
}
function sc_line(s) {
	if (s ~ /Failed to import any TLSA records/) sc_unusable = 1
	if (s ~ /^CONNECTION ESTABLISHED/) sc_established = 1
	if (s ~ /connect:errno=|Connection refused|gethostbyname failure/) sc_noconn = 1
	if (s ~ /Didn't find STARTTLS/) sc_nostarttls = 1
	if (s ~ /^danelab: the server's stream features offer no STARTTLS/) sc_nofeature = 1
	if (s ~ /hostname mismatch/) sc_mismatch = 1
	if (s ~ /^Verification: OK/) sc_verified = 1
	if (s ~ /^DANE TLSA .* (matched|signed the certificate)/) sc_matched = 1
	if (s ~ /^DANE TLSA/ && sc_dane == "") sc_dane = s
	if (s ~ /^Verification/ && sc_verification == "") sc_verification = s
}
function sc_word(mode, at) {
	if (sc_unusable)
		return "unusable"
	if (sc_established) {
		if (mode != "dane")
			return "encrypted at " at " (" mode ", " sc_verification ")"
		if (sc_verified && sc_matched)
			return "authenticated at " at ": " sc_dane
		return "error handshake completed at " at " without a DANE match"
	}
	if (sc_noconn)
		return "no-connect"
	if (mode != "dane" && sc_nostarttls)
		return "skip s_client cannot go on in cleartext (the server offers no STARTTLS): an adapter limit"
	if (sc_nofeature)
		return "refused the server's stream features offer no STARTTLS"
	if (sc_mismatch)
		return "refused hostname mismatch"
	return "refused handshake or verification failed"
}
!lib { sc_line($0) }
END { if (!lib) print sc_word(mode, at) }
