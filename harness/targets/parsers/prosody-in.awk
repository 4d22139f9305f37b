# harness/targets/parsers/prosody-in.awk - verdicts of one inbound
# (xmpp-in) batch of the Prosody adapter (harness/targets/lib/prosody.sh)
# from the receiving instance's debug log.
#
#   awk -f prosody-in.awk -v mode=final|count -v batch=FILE
#
# stdin: the receiving instance's log.  batch: a file of "ID xmpp-in
# POLICY DOMAIN" lines (DOMAIN without the trailing dot, lower case).  The
# words are documented in harness/targets/lib/prosody.sh (run_in).
# mode=count prints "ended" once every session of the batch has ended,
# else "open"; mode=final prints each probe's kept lines as "# ID ..."
# and one "ID WORD TEXT" line a probe, in the order of the batch file.
# Golden tests: harness/tests/adapters/prosody-in/ (harness/tests/adapters.sh).
BEGIN {
	while ((getline l < batch) > 0) {
		split(l, f, " ")
		order[++np] = f[1]; dom[f[1]] = f[4]; byd[f[4]] = f[1]
	}
}
function keep(id, what, line) {
	if (!(id in ev) || index(ev[id], what) == 0) ev[id] = ev[id] what
	if (!((id SUBSEP what) in txt)) txt[id, what] = line
}
function nomatch(e) {	# secure TLSA records but no DANE match logged
	return (index(e, "T") && !index(e, "M")) ? " (secure TLSA records, no match logged by mod_s2s_auth_dane_in)" : ""
}
function note(id, line) {	# a log line for the probe
	nl[id]++; lines[id, nl[id]] = line
}
function owner(q,   id, dd, lab) {	# the probe a DNS name belongs to
	for (id in dom) {
		dd = dom[id]; lab = dd; sub(/\.[^.]*$/, "", lab)
		if (q == dd || (length(q) > length(dd) && substr(q, length(q) - length(dd)) == "." dd) || index(q, "." lab "-") > 0)
			return id
	}
	return ""
}
{
	src = $4
	msg = $0; sub(/^[A-Za-z]+ +[0-9]+ [0-9:]+ [^\t]*\t[a-z]+\t/, "", msg)
	if (src ~ /^s2sin/) {
		# a new session may reuse the name (an address) of a destroyed one
		if (msg ~ /^Incoming s2s connection$/) delete sid[src]
		if (msg ~ /^Incoming s2s received <stream:stream/ && !(src in sid)) {
			d = msg; if (!sub(/.* from=./, "", d)) next
			sub(/[^A-Za-z0-9.-].*/, "", d); d = tolower(d); sub(/\.$/, "", d)
			if (!(d in byd)) next
			sid[src] = byd[d]
		}
		if (!(src in sid)) next
		id = sid[src]
		if (msg ~ /^Incoming s2s received/) keep(id, "H", msg)
		else if (msg ~ /^TLS negotiation started/) keep(id, "S", msg)
		else if (msg ~ /^Stream encrypted/) keep(id, "E", msg)
		else if (msg ~ /certificate chain validation result/) { keep(id, "V", msg); note(id, msg) }
		else if (msg ~ /^certificate error/) { keep(id, "X", msg); note(id, msg) }
		else if (msg ~ /certificate identity validation result/) { keep(id, "N", msg); note(id, msg) }
		else if (msg ~ /^No certificate provided/) note(id, msg)
		else if (msg ~ /DANE/) note(id, msg)
		else if (msg ~ /^Forbidding insecure connection/) keep(id, "F", msg)
		else if (msg ~ /is now authenticated for/) keep(id, "A", msg)
		else if (msg ~ /^Incoming s2s connection .* complete/) keep(id, "C", msg)
		else if (msg ~ /^Received <\/stream:stream>/) keep(id, "P", msg)
		else if (msg ~ /^Disconnecting .*<stream:error>/) keep(id, "R", msg)
		else if (msg ~ /^Incoming s2s stream .* closed/) keep(id, "Z", msg)
		else if (msg ~ /^Destroying incoming session/) keep(id, "Z", msg)
		else if (msg ~ /^s2s disconnected/) keep(id, "Z", msg)
		next
	}
	# module and DNS lines: by the domain they name
	if (msg ~ /^Accepting SASL EXTERNAL identity from /) {
		d = msg; sub(/.* from /, "", d); d = tolower(d)
		if (d in byd) { keep(byd[d], "X1", msg); note(byd[d], msg) }
	} else if (msg ~ /^(Resolve|Results for) /) {
		q = msg; sub(/^(Resolve|Results for) /, "", q); sub(/ .*/, "", q); q = tolower(q); sub(/\.$/, "", q)
		if (q !~ /^_/) next
		id = owner(q)
		if (id != "") {
			note(id, "dns: " msg)
			if (msg ~ /^Results for .* TLSA/) lastq = id
			if (msg ~ /^Results for .* TLSA: [0-9]+ items \(Secure\)/) keep(id, "T", msg)
		}
	} else if (src ~ /s2s_auth_dane_in/ && lastq != "") {
		note(lastq, msg)
		if (msg ~ / matches$/) keep(lastq, "M", msg)
	}
}
END {
	done = 0
	for (k = 1; k <= np; k++) {
		id = order[k]; e = ev[id]
		if (index(e, "H") && !index(e, "Z")) open++
		if (mode == "count") continue
		w = ""; why = ""
		if (!index(e, "H")) {
			w = "no-connect"; why = "no incoming s2s session from " dom[id] " in the log"
		} else if (index(e, "X1") || index(e, "A") || index(e, "C")) {
			w = "authenticated"
			why = (index(e, "X1") ? txt[id, "X1"] : txt[id, "A"]) (index(e, "C") ? " / " txt[id, "C"] : "")
		} else if (index(e, "F")) {
			w = "refused"; why = txt[id, "F"] nomatch(e)
		} else if (index(e, "S") && !index(e, "E")) {
			w = "refused"; why = "TLS negotiation started, never encrypted" (index(e, "Z") ? " / " txt[id, "Z"] : "")
		} else if (index(e, "R") && !index(e, "P")) {
			w = "refused"; why = txt[id, "R"]
		} else if (index(e, "E")) {
			w = "encrypted"; why = txt[id, "E"] " / not authenticated" nomatch(e) (index(e, "V") ? " (" txt[id, "V"] ")" : "") (index(e, "Z") ? " / " txt[id, "Z"] : "")
		} else {
			w = "cleartext"; why = txt[id, "H"]
		}
		for (i = 1; i <= nl[id]; i++) {
			l = lines[id, i]; gsub(/[\r\n\t]/, " ", l)
			print "# " id " " l
		}
		gsub(/[\r\n\t]/, " ", why)
		print id, w, why
	}
	if (mode == "count") print (open ? "open" : "ended")
}
