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
#                  second reference name)
#   skip           not dane, the server offers no STARTTLS: s_client
#                  cannot go on in cleartext (an adapter limit)
#   authenticated  dane, "Verification: OK" and a DANE TLSA match (TEXT:
#                  "at AT: DANE TLSA ...")
#   error          dane, handshake completed without a DANE match
#   encrypted      not dane, handshake completed (TEXT: "at AT (MODE,
#                  Verification...)")
# Golden tests: harness/tests/adapters/openssl/ (harness/tests/adapters.sh).
/Failed to import any TLSA records/ { unusable = 1 }
/^CONNECTION ESTABLISHED/ { established = 1 }
/connect:errno=|Connection refused|gethostbyname failure/ { noconn = 1 }
/Didn't find STARTTLS/ { nostarttls = 1 }
/hostname mismatch/ { mismatch = 1 }
/^Verification: OK/ { verified = 1 }
/^DANE TLSA .* (matched|signed the certificate)/ { matched = 1 }
/^DANE TLSA/ && dane == "" { dane = $0 }
/^Verification/ && verification == "" { verification = $0 }
END {
	if (unusable)
		print "unusable"
	else if (established) {
		if (mode != "dane")
			print "encrypted at " at " (" mode ", " verification ")"
		else if (verified && matched)
			print "authenticated at " at ": " dane
		else
			print "error handshake completed at " at " without a DANE match"
	} else if (noconn)
		print "no-connect"
	else if (mode != "dane" && nostarttls)
		print "skip s_client cannot go on in cleartext (the server offers no STARTTLS): an adapter limit"
	else if (mismatch)
		print "refused hostname mismatch"
	else
		print "refused handshake or verification failed"
}
