# harness/targets/parsers/gnutls.awk - what one gnutls-cli run of the
# gnutls adapter (harness/targets/gnutls.sh) came to.
#
#   awk -f gnutls.awk -v id=ID -v at=HOST:PORT -v policy=opportunistic|mandatory \
#       -v dane=1|0
#
# stdin: the output (stdout and stderr) of one `gnutls-cli [--dane]
# --local-dns --insecure ...` run.  dane: whether it ran with --dane.
# --insecure makes a failed PKIX check (the lab has no PKIX trust) not
# fatal, so the DANE verdict is read apart from PKIX: libgnutls-dane's
# own lines, "- DANE: Certificate matches." / "- DANE: Verification
# failed. ..." (dane_verification_status_print) or "*** DANE verification
# error: ..." (no TLSA RRset, an insecure or bogus one); the PKIX
# "- Status: ..." line is only logged.  Prints "# ID | LINE" for the first
# 40 lines that do not start with a tab (certificate details), then as its
# last line "WORD TEXT":
#   no-connect     no connection ("Could not connect", "Cannot resolve")
#   refused        connected, but STARTTLS or the handshake failed; or
#                  DANE said no: "Verification failed", or any other
#                  "DANE verification error" (a bogus TLSA RRset, a
#                  resolver error, "The requested data are not available":
#                  no record libdane could check), after connecting, as
#                  libdane looks TLSA up in the handshake's verify
#                  callback; or, under mandatory, no DANE at all
#   skip           opportunistic, STARTTLS refused: gnutls-cli cannot go
#                  on in cleartext (an adapter limit)
#   authenticated  "- DANE: Certificate matches." and the handshake
#                  completed
#   encrypted      opportunistic, the handshake completed without DANE:
#                  "No DANE data were found" (no TLSA RRset), "No DNSSEC
#                  signature was found" (an insecure one), or dane=0
# TEXT is the decisive gnutls-cli line, with AT.
# Golden tests: harness/tests/adapters/gnutls/ (harness/tests/adapters.sh).
!/^\t/ && ++shown <= 40 { print "# " id " | " $0 }
/^Could not connect to |^Cannot resolve / { noconn = 1; why = $0 }
/^Connecting to / { connecting = 1 }
/^error receiving / { stfail = 1; why = $0 }
/^- Handshake was completed/ { done = 1 }
/^\*\*\* (Fatal error|Handshake has failed)/ && hs == "" { hs = $0 }
/^- Status: / && pkix == "" { pkix = $0 }
/^- DANE: Certificate matches/ { matched = 1; dline = $0 }
/^- DANE: Verification failed/ { fail = 1; dline = $0 }
/^\*\*\* DANE verification error: / {
	dline = $0
	if ($0 ~ /No DANE data were found|No DNSSEC signature was found/) nodane = 1
	else fail = 1
}
END {
	if (noconn && !done)
		w = "no-connect " why
	else if (stfail)
		w = (policy == "mandatory") ? "refused at " at ": STARTTLS failed: " why : \
		    "skip gnutls-cli cannot go on in cleartext (STARTTLS failed at " at ": " why "): an adapter limit"
	else if (!done)
		w = "refused at " at ": " (hs != "" ? hs : "no TLS session")
	else if (dane && matched)
		w = "authenticated at " at ": " dline
	else if (dane && fail)
		w = "refused at " at ": " dline
	else if (policy == "mandatory")
		w = "refused at " at ": no usable DANE TLSA under mandatory DANE: " (dline != "" ? dline : "no DANE check")
	else
		w = "encrypted at " at ": " (dline != "" ? dline : "DANE does not apply") (pkix != "" ? " (PKIX " pkix ")" : "")
	print w
}
