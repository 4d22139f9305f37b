# harness/targets/parsers/exim.awk - verdicts of one batch of the Exim
# adapter (harness/targets/lib/exim.sh) from its main log.
#
#   awk -f exim.awk -v probes="ID<newline>..."
#
# stdin: the mainlog from the batch's start.  A probe's message is the one
# whose "<=" line names the sender danelab-probe-ID@...; every later line
# with that message id belongs to it, and its verdict is the message's
# final line of one delivery attempt:
#   authenticated  "=>" with X= (TLS) and CV=dane (DANE verified)
#   encrypted      "=>" with X= and no CV=dane (CV=no: not verified)
#   cleartext      "=>" without X=
#   refused        "==" (defer) or "**" (fail) after a connection: an H=
#                  host with an address on that line or an earlier one
#   no-connect     "==" or "**" with no host ever connected (DNS, TLSA
#                  lookup failures, retry limits)
#   error          no such line for the message, or no message
# Prints "# ID log: LINE" for every line of the probe's message, then one
# verdict line "ID WORD TEXT" a probe, in the order given.
# Golden tests: harness/tests/adapters/exim/ (harness/tests/adapters.sh).
BEGIN {
	n = split(probes, pl, "\n")
	for (i = 1; i <= n; i++) {
		if (split(pl[i], f, " ") < 1) continue
		order[++np] = f[1]; want[f[1]] = 1
	}
}
function rest(   t) {	# the line after the date, time and message id
	t = $0
	sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", t)
	return t
}
$4 == "<=" && $5 ~ /^danelab-probe-/ {
	id = $5
	sub(/^danelab-probe-/, "", id)
	sub(/@.*/, "", id)
	if (id in want) { msg[$3] = id; mid[id] = $3 }
}
($3 in msg) {
	id = msg[$3]
	log_n[id]++
	logl[id, log_n[id]] = rest()
	if ($0 ~ / H=[^ ]+ (\([^)]*\) )?\[[0-9a-fA-F.:]+\]/ && $4 != "<=") hostseen[id] = 1
	if ($4 == "=>" && !(id in word)) {
		if ($0 ~ / X=/) word[id] = ($0 ~ / CV=dane/) ? "authenticated" : "encrypted"
		else word[id] = "cleartext"
		text[id] = rest()
	} else if (($4 == "==" || $4 == "**") && !(id in word)) {
		word[id] = (id in hostseen) ? "refused" : "no-connect"
		text[id] = rest()
	}
}
END {
	for (i = 1; i <= np; i++) {
		id = order[i]
		for (k = 1; k <= log_n[id]; k++) print "# " id " log: " logl[id, k]
		if (!(id in mid)) print id " error no message from danelab-probe-" id " in the mainlog"
		else if (!(id in word)) print id " error no delivery outcome in the mainlog for " mid[id]
		else print id " " word[id] " " text[id]
	}
}
