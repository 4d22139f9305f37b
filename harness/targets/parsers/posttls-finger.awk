# harness/targets/parsers/posttls-finger.awk - the verdict of one probe of
# the posttls-finger adapter (harness/targets/posttls-finger.sh) from
# posttls-finger's output.
#
#   awk -f posttls-finger.awk -v id=ID -v level=dane|dane-only
#
# stdin: posttls-finger's output (-L routine,certmatch,dane).  Prints one
# line "ID WORD TEXT": what a Postfix SMTP client at the same level would
# do, read from the lines about the last MX host it tried (after the last
# "Failed to establish session"; "posttls-finger: " taken off):
#   no-connect     no "Connected to" (TEXT: the last failure, warning or
#                  panic of the whole output: posttls-finger dies on a
#                  TLSA record of 3 bytes, scenarios/bugs/postfix-tlsa-3-byte-panic.scn)
#   refused        connected, no TLS session; or TLS but not "Verified"
#                  under dane-only; or, under dane, "Untrusted"/"Anonymous"
#                  after usable DNSSEC-signed TLSA records (a failed match)
#   authenticated  "Verified TLS connection established" (TEXT: "Matched
#                  DANE ...")
#   encrypted      TLS otherwise (no usable TLSA, an insecure MX RRset)
# TEXT is the decisive posttls-finger line.
# As a library (awk -v lib=1 -f posttls-finger.awk -f ...) the rules below
# stay silent and the caller feeds the lines of one run: ptf_reset(),
# ptf_line(LINE) each, then ptf_verdict(ID, LEVEL).
# Golden tests: harness/tests/adapters/posttls-finger/ (harness/tests/adapters.sh).

function ptf_reset() {
	n = 0
	lastwhy = ""
}
function ptf_line(line,   s) {
	if (line ~ /Failed to establish|lookup failed|lookup error|lookup problem|warning|fatal|panic/)
		lastwhy = line
	s = line
	sub(/^posttls-finger: /, "", s)
	if (s ~ /^Failed to establish session/) { n = 0; return }
	l[n++] = s
}
# pick(re) - the first line of the last host matching re, else ""
function pick(re,   i) {
	for (i = 0; i < n; i++)
		if (l[i] ~ re) return l[i]
	return ""
}
# has(re) - whether a line of the last host matches re
function has(re) {
	return pick(re) != ""
}
# ptf_verdict(ID, LEVEL) - the verdict line of the lines fed so far
function ptf_verdict(id, level,   est, why) {
	est = pick("(Verified|Trusted|Untrusted|Anonymous) TLS connection established")
	if (!has("^Connected to")) {
		why = lastwhy; sub(/^posttls-finger: /, "", why)
		return id " no-connect " why
	} else if (est == "") {
		why = pick("verification failed|resorting to|warning|[Tt]imed out|lost connection|fatal|error")
		if (why == "") why = "connected, no TLS session: " (n > 0 ? l[n - 1] : "")
		return id " refused " why
	} else if (est ~ /^Verified/) {
		why = pick("Matched DANE")
		return id " authenticated " (why != "" ? why : est)
	} else if (level == "dane-only") {
		why = pick("resorting to|MX RRset insecure|all TLSA records unusable|verification failed")
		return id " refused not DANE-verified under dane-only: " (why != "" ? why : est)
	} else if (est !~ /^Trusted / && has("^DNSSEC-signed TLSA record") && !has("all TLSA records unusable")) {
		why = pick("verification failed")
		return id " refused " (why != "" ? why : est)
	}
	why = pick("all TLSA records unusable|MX RRset insecure")
	return id " encrypted " (why != "" ? why "; " : "") est
}
!lib { ptf_line($0) }
END { if (!lib) print ptf_verdict(id, level) }
