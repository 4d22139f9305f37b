# harness/targets/lib/openssl-xmpp-watch.awk - ends an s_client run
# whose XMPP server withholds STARTTLS.
#
#   { timeout ... sh -c 'echo $$ >PIDFILE; exec stdbuf -oL openssl \
#       s_client -debug -starttls xmpp-server ...'; } 2>&1 |
#   awk [-W interactive] -v pidfile=PIDFILE -f openssl-xmpp-watch.awk \
#       >OUTPUT
#
# (mawk reads a pipe a block at a time unless -W interactive.)
# With -starttls xmpp-server, s_client reads the server's stream until a
# <starttls> feature comes, and waits for it as long as the connection
# stays open: a server whose <stream:features> offer no STARTTLS holds it
# until that server's idle deadline.  This filter reads s_client's
# -debug dumps of what it read before the handshake; once the stream
# features have ended without <starttls> it prints "danelab: ..." and
# sends TERM to s_client (PID in PIDFILE), as a client giving up would
# close.  The dumps are dropped: what it prints is s_client's output
# without -debug, plus that line (harness/targets/parsers/openssl.awk).
/^(read from|write to) 0x/ { dump = 1; reading = $1 == "read"; next }
dump && /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f] - / {
	if (reading && !done) {
		seen = seen substr($0, 58)
		if (seen ~ /<starttls/) done = 1
		else if (seen ~ /<\/stream:features>/) {
			done = 1
			print "danelab: the server's stream features offer no STARTTLS (s_client would wait for it until the server closes): ended"
			fflush()
			if ((getline pid < pidfile) > 0 && pid ~ /^[0-9]+$/)
				ended = system("kill " pid) == 0
			close(pidfile)
		}
	}
	next
}
ended && $0 == "Terminated" { next }	# the shell's word on the TERM
{ dump = 0; print; fflush() }
