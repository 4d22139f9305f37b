# harness/targets/lib/openssl-walk.awk - the walk of the openssl adapter
# (harness/targets/openssl.sh, whose head says what it does and why): the
# DNS lookups, the s_client runs and the verdicts of a whole batch.
#
#   awk -v lib=1 -f parsers/openssl.awk -f lib/openssl-walk.awk \
#       [-v only=ID] [-v final=1]
#
# Its settings come from the environment: OW_PROBES (the batch's probe
# file), OW_DIR (the batch's directory, W below), OW_END (the batch's
# deadline, seconds since the epoch), OW_OPENSSL, OW_EEFLAG, OW_CLIENT,
# OW_WATCH (lib/openssl-xmpp-watch.awk) and OW_WATCH_AWK (the awk that
# runs it, reading lines as they come).
#
# Each run replays probes' walks from the start on what is known so far:
# the answers of dig runs (W/dns and W/dns.ID: dig's output for the
# queries of W/asked and W/asked.ID, one "NAME TYPE" a line) and the
# s_client runs (W/sc.KEY, exit status in W/rc.KEY).  A walk stops at the
# first query or s_client run it still lacks.
# - Without only or final (the batch's DNS rounds): every probe; writes
#   the lacking queries to W/q (for one `dig -f`) and appended to
#   W/asked, and the ids of the probes still undecided to W/chains,
#   with the s_client run one lacks in W/run.ID (below).
# - only=ID (one probe's chain): writes its lacking queries to W/q.ID
#   (and W/asked.ID) or its next s_client run to W/run.ID, a shell
#   command line, with its input in W/in.KEY; both empty: it is decided.
# - final=1: prints every probe's log lines ("# ID text") and verdict
#   ("ID WORD TEXT") in the order of the probe file; what is still
#   lacking then is a timeout (an s_client run) or an error.
# A query dig left unanswered (timed out: no status at all) is walked as
# bogus, so that every round decides something and the rounds end, but
# the probe's verdict is then an error naming the query, never a verdict
# on a lookup the lab's resolver may well have answered.
BEGIN {
	PEND = -1
	srand(); NOW = srand()
	w = ENVIRON["OW_DIR"]
	probes = ENVIRON["OW_PROBES"]
	END_S = ENVIRON["OW_END"] + 0
	openssl = ENVIRON["OW_OPENSSL"]
	eeflag = ENVIRON["OW_EEFLAG"]
	client = ENVIRON["OW_CLIENT"]
	watch = ENVIRON["OW_WATCH"]
	watch_awk = ENVIRON["OW_WATCH_AWK"]
	SUF = only != "" ? "." only : ""
	load_dns("")
	if (only != "") load_dns(only)
	if (!final) {
		printf "" > (w "/q" SUF)
		printf "" > (w "/run" SUF)
		if (only == "") printf "" > (w "/chains")
	}
	while ((getline line < probes) > 0) {
		if (split(line, f, " ") != 4) continue
		np++
		pid[np] = f[1]; pproto[np] = f[2]; ppol[np] = f[3]; pdom[np] = f[4]
	}
	close(probes)
	for (i = 1; i <= np; i++) {
		if (only != "" && pid[i] != only) continue
		if (final) load_dns(pid[i])
		LOG = ""; NOANS = ""
		if (probe(pid[i], pproto[i], ppol[i], pdom[i]) == PEND) {
			VERDICTLINE = pid[i] " error the batch ran out of time or rounds"
			# (still lacking a query only after the last round)
			if (only == "" && !final) print pid[i] > (w "/chains")
		} else if (NOANS != "")
			VERDICTLINE = pid[i] " error dig got no answer from the lab's " \
			    "resolver for " NOANS " (it timed out): no verdict on it"
		out[i] = LOG VERDICTLINE "\n"
	}
	if (!final) {
		for (k in newq) {
			print k " +time=" (left() > 5 ? 5 : left() < 1 ? 1 : left()) > (w "/q" SUF)
			print k >> (w "/asked" SUF)
		}
		exit 0
	}
	for (i = 1; i <= np; i++) printf "%s", out[i]
	exit 0
}

# load_dns ID - the answers so far (W/dns, or W/dns.ID): ANSRC[key],
# ANSFL[key], ANSN[key], ANS[key, i] ("owner rdata"); ASKED[key] for
# every query sent (W/asked, W/asked.ID)
function load_dns(id,   line, key, qt, a, n, o, s, fa, fd) {
	fa = w "/asked" (id != "" ? "." id : "")
	fd = w "/dns" (id != "" ? "." id : "")
	while ((getline line < fa) > 0)
		ASKED[qkey(line)] = 1
	close(fa)
	key = ""
	while ((getline line < fd) > 0) {
		if (line ~ /->>HEADER<<-/) {
			key = ""
			hrc = line
			if (!sub(/.*status: /, "", hrc)) hrc = ""
			sub(/,.*/, "", hrc)
			hfl = ""
			continue
		}
		if (line ~ /^;; flags: /) {
			hfl = line
			sub(/^;; flags: /, "", hfl)
			sub(/;.*/, "", hfl)
			continue
		}
		if (line ~ /^;; QUESTION SECTION:/) {
			getline line < fd
			s = line
			sub(/^;/, "", s)
			n = split(s, a, /[ \t]+/)
			key = tolower(a[1]) " " a[n]
			qt = a[n]
			ANSRC[key] = hrc
			ANSFL[key] = hfl
			ANSN[key] = 0
			continue
		}
		if (key == "" || line ~ /^;/) continue
		n = split(line, a, /[ \t]+/)
		if (n >= 5 && a[4] == qt) {
			o = a[1]
			s = a[5]
			for (i2 = 6; i2 <= n; i2++) s = s " " a[i2]
			ANS[key, ++ANSN[key]] = o " " s
		}
	}
	close(fd)
}

# qkey "NAME TYPE" - the key of a query: the absolute name in lower case
function qkey(s,   a) {
	split(s, a, " ")
	if (a[1] !~ /\.$/) a[1] = a[1] "."
	return tolower(a[1]) " " a[2]
}

function note(s) { LOG = LOG "# " ID " " s "\n" }

function left(   l) {
	l = END_S - NOW
	return l > 0 ? l : 0
}

# dq NAME TYPE - sets ST, RC, NA and A[1..NA] ("owner rdata"), or PEND
function dq(name, type,   key, i, fl) {
	key = qkey(name " " type)
	if (!(key in ASKED)) {
		if (!final) newq[name " " type] = 1
		return PEND
	}
	RC = (key in ANSRC) ? ANSRC[key] : ""
	fl = (key in ANSFL) ? ANSFL[key] : ""
	NA = (key in ANSN) ? ANSN[key] : 0
	for (i = 1; i <= NA; i++) A[i] = ANS[key, i]
	if (RC == "NOERROR" || RC == "NXDOMAIN")
		ST = (" " fl " ") ~ / ad / ? "secure" : "insecure"
	else
		ST = "bogus"
	if (RC == "" && NOANS == "") NOANS = name " " type
	note("dig " name " " type ": " (RC == "" ? "no answer" : RC) ", " ST ", " NA " record(s)")
	return 0
}

function shq(s) {
	gsub(/'/, "'\\''", s)
	return "'" s "'"
}

# go_on_input FILE - what the client says after TLS
function go_on_input(f) {
	if (SMTPISH) {
		printf "EHLO %s\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@%s>\r\nDATA\r\n", client, DOM > f
		printf "Subject: danelab openssl s_client probe\r\n\r\nA probe.\r\n.\r\nQUIT\r\n" > f
	} else {
		printf "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='%s' from='%s' version='1.0'>", DOM, client > f
		printf "</stream:stream>" > f
	}
	close(f)
}

# sclient ADDR PORT MODE REF AT - one s_client run: SC, and 0 when it
# completed the handshake, 1 when it connected and gave up, 2 when it did
# not connect, 3 when OpenSSL took none of the records; or PEND
function sclient(a, p, mode, ref, at,   key, args, cmd, i, line, n, rc, t) {
	key = ID "." (++NSC)
	args = "-brief -connect " a ":" p " -servername " SNI
	if (PROTO == "smtp") args = args " -starttls smtp -name " client
	else if (PROTO == "xmpp") args = args " -starttls xmpp-server -xmpphost " DOM " -debug"
	else if (PROTO == "xmpps") args = args " -alpn xmpp-server"
	if (mode == "dane")
		args = args " -dane_tlsa_domain " ref (eeflag != "" ? " " eeflag : "") " -verify_return_error"
	cmd = shq(openssl) " s_client " shq_words(args)
	for (i = 1; i <= NT && mode == "dane"; i++) {
		args = args " -dane_tlsa_rrdata " TL[i]
		cmd = cmd " -dane_tlsa_rrdata " shq(TL[i])
	}
	if ((getline line < (w "/rc." key)) > 0) {
		close(w "/rc." key)
		rc = line
	} else {
		close(w "/rc." key)
		t = left()
		if (only == "" && !final) {
			# the batch's DNS rounds: the probe's chain runs it
			if (t >= 1) schedule(key, t, cmd, w "/run." ID)
			return PEND
		}
		if (t < 1 || final) {
			note("deadline reached before connecting to " a ":" p)
			SC = "no-connect"
			return 2
		}
		schedule(key, t, cmd, w "/run" SUF)
		return PEND
	}
	note(openssl " s_client " args)
	sc_reset()
	n = 0
	while ((getline line < (w "/sc." key)) > 0) {
		if (++n <= 40) LOG = LOG "# " ID " | " line "\n"
		sc_line(line)
	}
	close(w "/sc." key)
	if (rc == 124) note("s_client timed out")
	SC = sc_word(mode, at)
	if (SC == "unusable") return 3
	if (SC ~ /^(authenticated|error|encrypted)/) return 0
	if (SC == "no-connect") return 2
	return 1
}

# schedule KEY T CMD FILE - write s_client run KEY (CMD, at most T s) to
# FILE, its input to W/in.KEY; XMPP STARTTLS runs (with -debug) through
# lib/openssl-xmpp-watch.awk, which ends one whose server withholds
# STARTTLS (its PID in W/pid.KEY) instead of waiting for that server
# to close
function schedule(key, t, cmd, file,   in_, out, rc) {
	go_on_input(w "/in." key)
	in_ = " <" shq(w "/in." key)
	out = " >" shq(w "/sc." key)
	rc = "echo $? >" shq(w "/rc." key)
	if (PROTO == "xmpp")
		print "{ timeout -k 2 " t " sh -c 'echo $$ >\"$0\"; exec stdbuf -oL \"$@\"' " shq(w "/pid." key) " " cmd in_ " 2>&1; " rc "; } | " watch_awk " -v pidfile=" shq(w "/pid." key) " -f " shq(watch) out > file
	else
		print "timeout -k 2 " t " " cmd in_ out " 2>&1; " rc > file
	close(file)
}

# shq_words S - S's blank-separated words, each quoted for the shell
function shq_words(s,   a, n, i, r) {
	n = split(s, a, " ")
	r = ""
	for (i = 1; i <= n; i++) r = r (i > 1 ? " " : "") shq(a[i])
	return r
}

# attempt HOST ADDR PORT MODE REF1 REF2 - try one address: 0 when the
# client went on there (VERDICT), 1 when not, or PEND
function attempt(h, a, port, mode, r1, r2,   r, fb) {
	r = sclient(a, port, mode, r1, h "[" a "]:" port)
	if (r == PEND) return PEND
	if (r == 1 && mode == "dane" && r2 != "" && r2 != r1 && SC == "refused hostname mismatch") {
		note("no name match for " r1 "; once more with reference name " r2)
		CONNECTED = 1
		r = sclient(a, port, mode, r2, h "[" a "]:" port)
		if (r == PEND) return PEND
	}
	if (r == 3) {
		if (POLICY == "opportunistic") {
			fb = SMTPISH ? "noauth" : "opportunistic"
			note("OpenSSL found no usable TLSA record: TLS without authentication (" fb ")")
			return attempt(h, a, port, fb, r1, "")
		}
		note("OpenSSL found no usable TLSA record: skip host")
		return 1
	}
	if (r == 2) {
		note(h "[" a "]:" port ": no connection")
		return 1
	}
	if (r == 1) {
		CONNECTED = 1
		if (SC ~ /^skip/) {
			# Going on in cleartext is what the scenario asks;
			# s_client cannot: an adapter limit, not a verdict.
			VERDICT = SC
			return 0
		}
		note(h "[" a "]:" port ": handshake or verification failed: not going on")
		return 1
	}
	CONNECTED = 1
	if (SC ~ /^error/) note("handshake completed without a DANE match")
	VERDICT = SC
	return 0
}

# try_host HOST PORT DANEOK REF2 - plan and try one host: 0 when it went
# on, 1 when not, or PEND
function try_host(host, port, daneok, ref2,   hn, canon, mode, base, cands, nc, c, i, j, found, naddr, addr, f, hex, r, r1, u, nf) {
	hn = host; sub(/\.$/, "", hn)
	if (dq(host, "A") == PEND) return PEND
	if (ST == "bogus") {
		note("address of " hn " bogus or indeterminate: skip host")
		return 1
	}
	naddr = 0
	for (i = 1; i <= NA; i++) {
		split(A[i], f, " ")
		if (f[2] != "") addr[++naddr] = f[2]
	}
	if (naddr == 0) {
		note(hn " has no address: skip host")
		return 1
	}
	split(A[1], f, " ")
	canon = f[1]; sub(/\.$/, "", canon)
	mode = "opportunistic"
	base = hn
	NT = 0
	nc = 0
	if (daneok && ST == "secure") {
		if (canon != "" && canon != hn) { cands[++nc] = canon }
		cands[++nc] = hn
	} else if (daneok && SMTPISH && canon != "" && canon != hn) {
		# RFC 7672 2.2.2 "Insecure CNAME": an insecure answer at the
		# end of a chain whose first CNAME is secure means TLSA at the
		# original name alone; an insecure first CNAME means no DANE.
		if (dq(host, "CNAME") == PEND) return PEND
		if (ST == "bogus") {
			note("CNAME lookup of " hn " bogus or indeterminate: skip host")
			return 1
		} else if (ST == "secure" && NA > 0) {
			note("address of " hn " insecure behind its secure CNAME (to " canon "): TLSA at the original name only")
			cands[++nc] = hn
		} else
			note("initial CNAME of " hn " insecure: no TLSA lookup")
	} else if (daneok)
		note("address of " hn " insecure: no TLSA lookup")
	if (nc > 0) {
		found = 0
		for (j = 1; j <= nc; j++) {
			c = cands[j]
			if (dq("_" port "._tcp." c ".", "TLSA") == PEND) return PEND
			if (ST == "bogus") {
				note("TLSA lookup for " c " bogus or indeterminate: skip host")
				return 1
			}
			if (ST == "secure" && NA > 0) {
				found = 1
				base = c
				break
			}
		}
		if (found) {
			for (i = 1; i <= NA; i++) {
				nf = split(A[i], f, " ")
				u = f[2]
				hex = ""
				for (j = 5; j <= nf; j++) hex = hex f[j]
				if (SMTPISH && (u == "0" || u == "1")) {
					note("TLSA " u " " f[3] " " f[4] ": PKIX usage, unusable for SMTP (RFC 7672 3.1.3)")
					continue
				}
				TL[++NT] = u " " f[3] " " f[4] " " hex
			}
			if (NT > 0) mode = "dane"
			else if (SMTPISH) mode = "noauth"
			note("TLSA base domain " base ", " NT " record(s) for s_client: " mode)
		} else
			note("no secure TLSA records for " hn ": no DANE")
	}
	if (POLICY == "mandatory" && mode != "dane") {
		note("no usable TLSA records for " hn " under mandatory DANE: skip host")
		return 1
	}
	if (SMTPISH) { SNI = base; r1 = base }
	else { SNI = DOM; r1 = DOM; ref2 = hn }
	for (i = 1; i <= naddr; i++) {
		r = attempt(hn, addr[i], port, mode, r1, ref2)
		if (r == PEND) return PEND
		if (r == 0) return 0
	}
	return 1
}

# finish TEXT - the verdict when nothing went on (or VERDICT)
function finish(s) {
	if (VERDICT != "") VERDICTLINE = ID " " VERDICT
	else if (CONNECTED) VERDICTLINE = ID " refused " s
	else VERDICTLINE = ID " no-connect " s
	return 0
}

# hosts KIND - HN[1..n] (and HP, the SRV port) of the answer in A[]:
# MX ("owner pref host") by preference, ties by name; SRV ("owner prio
# weight port target") by priority, then weight (highest first), ties by
# name (as `sort -k2,2n -k3,3` and `sort -k2,2n -k3,3nr -k5,5` did)
function hosts(kind,   i, j, f, t, n) {
	n = 0
	for (i = 1; i <= NA; i++) H[++n] = A[i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && after(kind, H[j - 1], H[j]); j--) {
			t = H[j]; H[j] = H[j - 1]; H[j - 1] = t
		}
	for (i = 1; i <= n; i++) {
		split(H[i], f, " ")
		HN[i] = kind == "MX" ? f[3] : f[5]
		HP[i] = kind == "MX" ? "" : f[4]
	}
	return n
}
function after(kind, x, y,   a, b) {
	split(x, a, " "); split(y, b, " ")
	if (a[2] + 0 != b[2] + 0) return a[2] + 0 > b[2] + 0
	if (kind == "MX") return a[3] != b[3] ? a[3] > b[3] : x > y
	if (a[3] + 0 != b[3] + 0) return a[3] + 0 < b[3] + 0
	return a[5] != b[5] ? a[5] > b[5] : x > y
}

function smtp_probe(   port, mxsec, nh, i, nexthop, r, hn, hp) {
	port = PROTO == "smtps" ? 465 : 25
	if (dq(DOMAIN, "MX") == PEND) return PEND
	if (ST == "bogus") return finish("MX lookup bogus or indeterminate: delay")
	if (RC == "NXDOMAIN") return finish(DOM " does not exist")
	mxsec = ST == "secure"
	if (NA > 0)
		nh = hosts("MX")
	else {
		note("no MX: implicit MX " DOM)
		nh = 1; HN[1] = DOMAIN
	}
	for (i = 1; i <= nh; i++) {
		hn[i] = HN[i]
		if (HN[i] == ".") return finish("null MX: " DOM " accepts no mail")
	}
	if (!mxsec && POLICY == "mandatory")
		return finish("MX RRset insecure under mandatory DANE: delay")
	nexthop = mxsec ? DOM : ""
	for (i = 1; i <= nh; i++) {
		r = try_host(hn[i], port, 1, nexthop)
		if (r == PEND) return PEND
		if (r == 0) return finish("")
	}
	return finish("no host went on")
}

function xmpp_probe(   svc, daneok, nh, i, r, hn, hp) {
	svc = PROTO == "xmpps" ? "xmpps-server" : "xmpp-server"
	if (dq("_" svc "._tcp." DOMAIN, "SRV") == PEND) return PEND
	if (ST == "bogus") return finish("SRV lookup bogus or indeterminate: abort")
	daneok = ST == "secure"
	if (NA > 0) {
		nh = hosts("SRV")
		if (!daneok) note("SRV RRset insecure: DANE does not apply")
	} else {
		if (PROTO == "xmpps") return finish("no _xmpps-server SRV records: no direct TLS")
		note("no SRV: fall back to " DOM ":5269")
		nh = 1; HN[1] = DOMAIN; HP[1] = 5269
		daneok = 1
	}
	for (i = 1; i <= nh; i++) {
		hn[i] = HN[i]; hp[i] = HP[i]
		if (HN[i] == ".") return finish("SRV target \".\": service not offered")
	}
	for (i = 1; i <= nh; i++) {
		r = try_host(hn[i], hp[i], daneok, "")
		if (r == PEND) return PEND
		if (r == 0) return finish("")
	}
	return finish("no target went on")
}

# probe ID PROTO POLICY DOMAIN - one probe's walk: 0 with VERDICTLINE,
# or PEND
function probe(id, proto, policy, domain) {
	ID = id; PROTO = proto; POLICY = policy; DOMAIN = domain
	DOM = domain; sub(/\.$/, "", DOM)
	CONNECTED = 0; VERDICT = ""; VERDICTLINE = ""; NSC = 0
	SMTPISH = proto == "smtp" || proto == "smtps"
	if (SMTPISH) return smtp_probe()
	if (proto == "xmpp" || proto == "xmpps") return xmpp_probe()
	VERDICTLINE = id " error unknown protocol " proto
	return 0
}
