# harness/targets/parsers/ldns-dane.awk - what one ldns-dane run of the
# ldns-dane adapter (harness/targets/ldns-dane.sh) came to.
#
#   awk -f ldns-dane.awk -v id=ID -v at=HOST:PORT -v policy=opportunistic|mandatory \
#       -v dane=1|0
#
# stdin: the output (stdout and stderr) of one `ldns-dane -n -4 verify
# HOST PORT`.  dane 0: the host came from an insecure SRV RRset, so DANE
# does not apply whatever ldns-dane found.  Prints "# ID | LINE" for the
# first 40 lines, then as its last line "WORD TEXT":
#   no-connect     ldns-dane did not connect: "No addresses for" (none, or
#                  bogus ones discarded), "Could not connect to", or it
#                  stopped at its TLSA lookup ("dane_query: ...": bogus)
#   refused        connected: the handshake failed ("could not get cert
#                  chain"), "did not dane-validate" with secure TLSA
#                  records, or, under mandatory, no secure TLSA RRset
#   authenticated  "dane-validated successfully" (TLSA records usable)
#   encrypted      opportunistic, no secure TLSA RRset ("No TLSA records
#                  ... were found", "... were insecure", dane 0): DANE
#                  does not apply, ldns-dane's PKIX verdict is not DANE's
# A secure RRset of only unusable records ("No usable TLSA records were
# found. PKIX validation without DANE will be performed.") is judged by
# ldns-dane's own PKIX result, as it does: refused when PKIX fails (the
# deviation listed in ldns-dane.baseline).
# Golden tests: harness/tests/adapters/ldns-dane/ (harness/tests/adapters.sh).
++shown <= 40 { print "# " id " | " $0 }
/^No addresses for |^Could not connect to |^dane_query: / { noconn = 1; why = $0 }
/^could not get cert chain|^error: / { hs = $0 }
/^Warning! No TLSA records for |^Warning! TLSA records for .* but were insecure/ { nodane = 1; dline = $0 }
/^No usable TLSA records were found/ { unusable = 1; if (!nodane) dline = $0 }
/ dane-validated successfully/ { ok = 1; vline = $0 }
/ PKIX-validated successfully/ { pkixok = 1; vline = $0 }
/ did not dane-validate, because: / { failed = 1; vline = $0 }
END {
	if (!ok && !pkixok && !failed)
		w = noconn ? "no-connect " why : \
		    "refused at " at ": " (hs != "" ? hs : "no verification result")
	else if (nodane || dane == 0)
		w = (policy == "mandatory") ? \
		    "refused at " at ": no secure TLSA RRset under mandatory DANE: " dline : \
		    "encrypted at " at ": DANE does not apply (" (dline != "" ? dline : "insecure SRV RRset") "); ldns-dane: " vline
	else if (ok)
		w = "authenticated at " at ": " vline
	else if (pkixok)
		w = "authenticated at " at ": PKIX, not DANE: " dline "; " vline
	else
		w = "refused at " at ": " (unusable ? dline "; " : "") vline
	print w
}
