# harness/targets/parsers/postfix.awk - verdicts of one batch of the
# Postfix adapter (harness/targets/postfix.sh) from its maillog.
#
#   awk -f postfix.awk -v probes="ID DOMAIN<newline>..." -v mode=final|count
#
# stdin: the maillog from the batch's start.  probes: one "ID DOMAIN" a
# line (DOMAIN without the trailing dot, lower case).  A probe's verdict is
# its recipient domain's first status= line of an smtp process, read with
# that process's (same pid) earlier lines:
#   authenticated  status=sent after "Verified TLS connection established"
#                  to the relay
#   encrypted      status=sent after another "TLS connection established"
#   cleartext      status=sent without TLS to the relay
#   no-connect     relay=none
#   refused        any other status (deferred, bounced), with the smtp
#                  process's last TLS/DANE complaint
#   no-connect,    no status= line, but as many smtp processes panicked
#   refused        ("smtp[PID]: panic: ...", the master: "killed by signal")
#                  as probes are left without one: the message stays
#                  queued, the process died before its status line
#                  (max_use=1: one delivery a process; refused when the
#                  process had a TLS session); TEXT quotes the panic
#   error          no status= line for the domain (and fewer panics)
# mode=count prints how many probes have a status= line (for polling);
# mode=final one verdict line "ID WORD TEXT" a probe, in the order given.
# Golden tests: harness/tests/adapters/postfix/ (harness/tests/adapters.sh).
BEGIN {
	n = split(probes, pl, "\n")
	for (i = 1; i <= n; i++) {
		if (split(pl[i], f, " ") < 2) continue
		order[++np] = f[1]; dom[f[1]] = f[2]; byd[f[2]] = f[1]
	}
}
function pid_of(p) {	# "/smtp[123]: " -> 123
	gsub(/[^0-9]/, "", p)
	return p
}
function text_of(line,   t) {	# the message after "prog[pid]: "
	t = line
	sub(/^.*\]: /, "", t)
	return t
}
{
	if ($0 ~ /\/master\[[0-9]+\]: warning: process [^ ]*\/smtp pid [0-9]+ killed by signal/) {
		k = $0; sub(/^.* pid /, "", k); sub(/ .*/, "", k)
		killed[k] = text_of($0)
		next
	}
	if (!match($0, /\/smtp\[[0-9]+\]: /)) next
	pid = substr($0, RSTART, RLENGTH)
	t = text_of($0)
	if (t ~ /^panic: /) {
		panic[++npanic] = "smtp[" pid_of(pid) "]: " t
		panicked_tls[npanic] = (pid in tls)
		next
	}
	if (t ~ /TLS connection established to /) { tls[pid] = t; next }
	if (t !~ /status=/ && t ~ /certificate verification failed|num=[0-9]+:|[Ss]erver certificate not|TLS is required|TLSA|DANE|dane|handshake|SSL_connect|STARTTLS/) {
		fail[pid] = t
	}
	if (t !~ /^[0-9A-Za-z]+: to=<[^>]*>, .*status=/) next
	rcpt = t; sub(/^[^<]*<[^@]*@/, "", rcpt); sub(/>.*/, "", rcpt)
	rcpt = tolower(rcpt)
	if (!(rcpt in byd)) next
	id = byd[rcpt]
	if (id in word) next		# first attempt only
	relay = t; sub(/^.*relay=/, "", relay); sub(/,.*/, "", relay)
	status = t; sub(/^.*status=/, "", status); sub(/ .*/, "", status)
	if (status == "sent") {
		w = "cleartext"; why = t
		if (pid in tls) {
			h = tls[pid]; sub(/^.* established to /, "", h); sub(/:[^:]*$/, "", h)
			if (relay == h || index(tls[pid], " to " relay ":") > 0) {
				if (tls[pid] ~ /^Verified /) w = "authenticated"
				else w = "encrypted"
				why = tls[pid] " / " t
			}
		}
	} else if (relay == "none") {
		w = "no-connect"; why = t
	} else {
		w = "refused"; why = t
		if (pid in fail && index(t, fail[pid]) == 0) why = fail[pid] " / " t
	}
	word[id] = w; reason[id] = why; done++
	delete tls[pid]; delete fail[pid]
}
END {
	left = np - done
	# A panicked smtp process never logs its status line: when there are
	# as many panics as undecided probes, each of those was one of them.
	bypanic = npanic > 0 && npanic >= left
	if (mode != "final") { print (bypanic ? np : done + 0); exit }
	why = ""; anytls = 0
	for (i = 1; i <= npanic; i++) {
		p = panic[i]; k = p; sub(/^smtp\[/, "", k); sub(/\].*/, "", k)
		why = why (i > 1 ? " / " : "") p (k in killed ? " (master: " killed[k] ")" : "")
		if (panicked_tls[i]) anytls = 1
	}
	for (i = 1; i <= np; i++) {
		id = order[i]
		if (id in word) {
			r = reason[id]; gsub(/[\r\n]/, " ", r)
			print id, word[id], r
		} else if (bypanic)
			print id, (anytls ? "refused" : "no-connect"), "the smtp process panicked and died before its status= line (the message stays queued): " why
		else
			print id, "error", "no status= line for postmaster@" dom[id] " in the maillog before the deadline" (npanic ? "; smtp panics: " why : "")
	}
}
