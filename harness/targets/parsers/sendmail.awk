# harness/targets/parsers/sendmail.awk - the verdict of one probe of the
# sendmail adapter (harness/targets/sendmail.sh) from the syslog lines
# that one sendmail process sent to its private socket.
#
#   awk -f sendmail.awk -v id=ID -v domain=DOMAIN
#
# stdin: the probe's log (syslog datagrams, one a line).  Prints one line
# "ID WORD TEXT", from the delivery's status line ("to=<postmaster@DOMAIN>,
# ... stat=...") and the STARTTLS line of the connection before it
# ("STARTTLS=client, relay=..., version=..., verify=...", the last one):
#   authenticated  stat=Sent after verify=TRUSTED (a DANE match)
#   encrypted      stat=Sent after another verify= (TLS, not authenticated)
#   cleartext      stat=Sent without STARTTLS
#   refused        any other stat= after a connection (a STARTTLS line, a
#                  DANE complaint, or a reply from the server)
#   no-connect     any other stat= without one
#   error          no stat= line
# TEXT: the STARTTLS line and the status line.
# Golden tests: harness/tests/adapters/sendmail/ (harness/tests/adapters.sh).
function msg(line,   t) {	# the text after "sendmail[pid]: "
	t = line
	sub(/^.*sendmail\[[0-9]+\]: /, "", t)
	return t
}
/STARTTLS=client, relay=.*verify=/ { tls = msg($0); next }
/DANE|STARTTLS=client/ { note = msg($0) }
/ to=<?postmaster@/ && / stat=/ {
	t = msg($0)
	r = tolower(t); sub(/^.* to=<?postmaster@/, "", r); sub(/[>,].*/, "", r)
	if (r != tolower(domain)) next
	stat = t; sub(/^.* stat=/, "", stat)
	status = t
	connected = (t ~ /relay=[^,]*\[[0-9.]+\]/ && t !~ /[Cc]onnection refused|[Cc]onnection timed out|[Nn]o route/)
}
END {
	if (status == "") { print id, "error", "no stat= line for postmaster@" domain " in sendmail's log"; exit }
	why = (tls != "" ? tls " / " : (note != "" ? note " / " : "")) status
	if (stat ~ /^Sent/) {
		if (tls == "") w = "cleartext"
		else if (tls ~ /verify=TRUSTED/) w = "authenticated"
		else w = "encrypted"
	} else if (tls != "" || note ~ /DANE/ || connected)
		w = "refused"
	else
		w = "no-connect"
	gsub(/[\r\n]/, " ", why)
	print id, w, why
}
