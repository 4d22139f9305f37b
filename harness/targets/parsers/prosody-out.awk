# harness/targets/parsers/prosody-out.awk - verdicts of one outbound
# batch of the Prosody adapter (harness/targets/lib/prosody.sh) from the
# instance's debug log.
#
#   awk -f prosody-out.awk -v client=CLIENT -v mode=final|count -v batch=FILE
#
# stdin: the instance's log from the batch's start, then the admin
# shell's output of each ping as "@@ping ID TEXT" lines.  batch: a file
# of "ID PROTO POLICY DOMAIN" lines (DOMAIN without the trailing dot, lower
# case).  client: the VirtualHost the pings come from.  The words, from
# the session lines of the domain's s2sout session (named by
# "CLIENT->DOMAIN" in its lines) and the connection lines of its
# connection (the first session line after the connection's TLS
# handshake), are documented in harness/targets/lib/prosody.sh.
# mode=count prints how many probes are decided; mode=final prints the
# probe's DNS lines as "# ID dns: ..." and one "ID WORD TEXT" line a
# probe, in the order of the batch file.
# Golden tests: harness/tests/adapters/prosody-out/ (harness/tests/adapters.sh).
BEGIN {
	while ((getline l < batch) > 0) {
		split(l, f, " ")
		order[++np] = f[1]; dom[f[1]] = f[4]; byd[f[4]] = f[1]
	}
}
function sess_dom(line,   d, i, c) {	# the remote domain named in line
	i = index(line, client "->")
	if (i == 0) i = index(line, client "-->")
	if (i == 0) return ""
	d = substr(line, i + length(client))
	sub(/^-+>/, "", d)
	match(d, /^[A-Za-z0-9.-]*[A-Za-z0-9]/)
	return tolower(substr(d, RSTART, RLENGTH))
}
function keep(id, what, line) {
	if (!(id in ev) || index(ev[id], what) == 0) ev[id] = ev[id] what
	if (!((id SUBSEP what) in txt)) txt[id, what] = line
}
/^@@ping / {
	id = $2; l = $0; sub(/^@@ping [^ ]+ /, "", l)
	if (l ~ /^Session s2sout/) { s = $4; d = sess_dom(l); if (d != "") sdom[s] = d }
	if (l ~ /^Error:/ || l ~ /error</) pingerr[id] = l
	if (l ~ /^\*\* (Unable to connect|Connection error)/) shellerr[id] = shellerr[id] (shellerr[id] == "" ? "" : " ") l
	next
}
{
	src = $4; line = $0
	msg = $0; sub(/^[A-Za-z]+ +[0-9]+ [0-9:]+ [^\t]*\t[a-z]+\t/, "", msg)
	# DANE is enabled per connection ("connXXX"); the
	# session of a connection is the first session line after its handshake (one
	# event: Lua runs one thing at a time)
	if (src ~ /^conn/) {
		if (msg ~ /^Enabling DANE with /) dane[src] = msg
		else if (msg ~ /^TLS handshake complete/) pend = src
	} else if (src ~ /^s2sout/ && pend != "") {
		c2s[pend] = src; pend = ""
	}
	if (src ~ /^s2sout/) {
		d = sess_dom(msg)
		if (d != "" && !(src in sdom)) sdom[src] = d
		n[src]++; slog[src, n[src]] = msg
	}
	# DNS lines name the domain (the SRV owner, the TLSA owner)
	if (msg ~ /^Results for _xmpps?-server\._tcp\./ || msg ~ /^Results for _[0-9]+\._tcp\./) {
		q = msg; sub(/^Results for /, "", q); sub(/ IN .*/, "", q)
		for (id in dom) {
			dd = dom[id]; lab = dd; sub(/\.[^.]*$/, "", lab)
			if (q ~ ("(^|\\.)_xmpps?-server\\._tcp\\." dd "$") || (length(q) > length(dd) && substr(q, length(q) - length(dd)) == "." dd) || index(q, "." lab "-") > 0) {
				if (msg ~ /TLSA/) tlsa[id] = tlsa[id] (tlsa[id] == "" ? "" : "; ") msg
				else srv[id] = srv[id] (srv[id] == "" ? "" : "; ") msg
			}
		}
	}
}
END {
	for (c in c2s) if (c in dane) sdane[c2s[c]] = dane[c]
	# replay the lines of each session for its domain
	for (s in n) {
		if (!(s in sdom) || !(sdom[s] in byd)) continue
		id = byd[sdom[s]]
		if (s in sdane) keep(id, "T", sdane[s])
		for (i = 1; i <= n[s]; i++) {
			m = slog[s, i]
			if (m ~ /^Stream encrypted/) keep(id, "E", m)
			else if (m ~ /certificate chain validation result: valid/) keep(id, "V", m)
			else if (m ~ /certificate chain validation result: invalid/) keep(id, "I", m)
			else if (m ~ /^certificate error/) keep(id, "X", m)
			else if (m ~ /certificate identity validation result: valid/) keep(id, "N", m)
			else if (m ~ /certificate identity validation result: invalid/) keep(id, "M", m)
			else if (m ~ /^Forbidding insecure connection/) keep(id, "F", m)
			else if (m ~ /^Outgoing s2s connection .* complete/) keep(id, "C", m)
			else if (m ~ /^Sending\[s2sout_unauthed\]: <\?xml/) keep(id, "H", m)
			else if (m ~ /^Sending\[s2sout_unauthed\]: <db:result/) keep(id, "D", m)
			else if (m ~ /^(Destroying outgoing session|Outgoing s2s stream .* closed|Disconnecting )/) keep(id, "Z", m)
			else if (m ~ /failed outgoing connection|Failed in all attempts/) keep(id, "Q", m)
		}
	}
	done = 0
	for (k = 1; k <= np; k++) {
		id = order[k]; e = ev[id]
		w = ""; why = ""
		if (index(e, "C")) {
			if (index(e, "T") && index(e, "V") && index(e, "N") && index(e, "E")) {
				w = "authenticated"; why = txt[id, "T"] " / " txt[id, "V"] " / " txt[id, "N"] " / " txt[id, "C"]
			} else if (index(e, "E")) {
				w = "encrypted"; why = (index(e, "T") ? txt[id, "T"] " / " : "") txt[id, "E"] " / " (index(e, "I") ? txt[id, "I"] " (" txt[id, "X"] ") / " : "") (index(e, "M") ? txt[id, "M"] " / " : "") txt[id, "C"]
			} else {
				w = "cleartext"; why = txt[id, "C"]
			}
		} else if (index(e, "F")) {
			w = "refused"; why = (index(e, "T") ? txt[id, "T"] " / " : "") (index(e, "I") ? txt[id, "I"] " (" txt[id, "X"] ") / " : "") txt[id, "F"]
		} else if (index(e, "Z") || index(e, "Q") || (id in pingerr)) {
			if (index(e, "H") || index(e, "E")) {
				w = "refused"; why = (index(e, "I") ? txt[id, "I"] " (" txt[id, "X"] ") / " : "") txt[id, "Z"]
			} else {
				w = "no-connect"; why = (index(e, "Q") ? txt[id, "Q"] : txt[id, "Z"])
				if (why == "" && (id in pingerr)) why = pingerr[id]
			}
		}
		if (w != "") done++
		if (mode == "count") continue
		if (w == "" && (id in shellerr)) { w = "error"; why = "the admin shell could not reach the instance to ping: " shellerr[id] }
		if (w == "") { w = "error"; why = "no decision in the log before the deadline" }
		if (w != "authenticated" && w != "encrypted" && (id in pingerr) && index(why, pingerr[id]) == 0)
			why = why " / ping: " pingerr[id]
		if (srv[id] != "") print "# " id " dns: " srv[id]
		if (tlsa[id] != "") print "# " id " dns: " tlsa[id]
		gsub(/[\r\n\t]/, " ", why)
		print id, w, why
	}
	if (mode == "count") print done
}
