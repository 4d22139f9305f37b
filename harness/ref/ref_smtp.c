/*
 * ref_smtp.c - the reference client's SMTP (ref_probe.h): RFC 7672
 * delivery to a next-hop domain (MX lookup, implicit and null MX,
 * mandatory DANE), and one SMTP or SMTPS session: greeting, EHLO,
 * STARTTLS, the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dname.h"
#include "ref_probe.h"

/* ref_smtp_reply - read one (multi-line) reply: its code, or -1; *starttls
 * is set when an EHLO reply line announces STARTTLS */
static int
ref_smtp_reply(struct ref_conn *cn, int *starttls)
{
	char line[1024];

	for (int i = 0; i < 100; i++) {
		if (ref_conn_line(cn, line, sizeof(line)) < 0)
			return -1;
		if (strlen(line) < 3)
			return -1;
		if (starttls != NULL && strlen(line) >= 12 &&
		    strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    (line[12] == '\0' || line[12] == ' '))
			*starttls = 1;
		if (line[3] != '-')
			return atoi(line);
	}
	return -1;
}

/* ref_smtp_cmd - send a command and read its reply code (-1 on I/O error) */
static int
ref_smtp_cmd(struct ref_conn *cn, const char *cmd, int *starttls)
{
	if (ref_conn_write(cn, cmd) < 0)
		return -1;
	return ref_smtp_reply(cn, starttls);
}

/* ref_smtp_deliver - the message transaction after (optional) TLS */
static void
ref_smtp_deliver(struct ref_probe *p, struct ref_conn *cn)
{
	char cmd[600];
	int code;

	if ((code = ref_smtp_cmd(cn, "EHLO " REF_HELO "\r\n", NULL)) != 250)
		goto rejected;
	if ((code = ref_smtp_cmd(cn, "MAIL FROM:<" REF_FROM ">\r\n", NULL))
	    != 250)
		goto rejected;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<postmaster@%s>\r\n", p->domain);
	if ((code = ref_smtp_cmd(cn, cmd, NULL)) != 250 && code != 251)
		goto rejected;
	if ((code = ref_smtp_cmd(cn, "DATA\r\n", NULL)) != 354)
		goto rejected;
	snprintf(cmd, sizeof(cmd), "From: <" REF_FROM ">\r\n"
	    "To: <postmaster@%s>\r\n"
	    "Subject: danelab reference client probe\r\n\r\n"
	    "A probe of the danelab reference DANE client.\r\n.\r\n",
	    p->domain);
	if ((code = ref_smtp_cmd(cn, cmd, NULL)) != 250)
		goto rejected;
	ref_log(p, "message accepted");
	ref_smtp_cmd(cn, "QUIT\r\n", NULL);
	return;
rejected:
	ref_log(p, "server rejected the transaction (reply %d)", code);
	snprintf(p->note, sizeof(p->note), "server rejected the transaction "
	    "(reply %d)", code);
	if (code > 0)
		ref_smtp_cmd(cn, "QUIT\r\n", NULL);
}

/* ref_smtp_session - one SMTP(S) session at a connected address */
enum ref_attempt
ref_smtp_session(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, enum outcome *out)
{
	int starttls = 0, auth, code;

	if (p->proto == PROTO_SMTPS) {
		if ((auth = ref_tls_connect(p, cn, t, t->base)) < 0)
			return ATT_GAVEUP;
		if (!ref_tls_judge(p, t, auth, out))
			return ATT_GAVEUP;
		if (ref_smtp_reply(cn, NULL) != 220) {
			ref_giveup(p, "no 220 greeting");
			return ATT_GAVEUP;
		}
		ref_smtp_deliver(p, cn);
		return ATT_WENTON;
	}
	if ((code = ref_smtp_reply(cn, NULL)) != 220) {
		ref_giveup(p, "no 220 greeting");
		if (code > 0)
			ref_smtp_cmd(cn, "QUIT\r\n", NULL);
		return ATT_GAVEUP;
	}
	if ((code = ref_smtp_cmd(cn, "EHLO " REF_HELO "\r\n", &starttls))
	    != 250) {
		ref_giveup(p, "EHLO failed (reply %d)", code);
		if (code > 0)
			ref_smtp_cmd(cn, "QUIT\r\n", NULL);
		return ATT_GAVEUP;
	}
	if (starttls)
		code = ref_smtp_cmd(cn, "STARTTLS\r\n", NULL);
	if (!starttls || code != 220) {
		if (t->mode != MODE_OPPORTUNISTIC) {
			ref_giveup(p, "%s[%s]:%d: STARTTLS %s, but %s: no "
			    "cleartext fallback (RFC 7672 2.2)", p->r->host,
			    p->r->addr, p->r->port, starttls ? "refused" :
			    "not offered", ref_mode_names[t->mode]);
			if (code > 0)
				ref_smtp_cmd(cn, "QUIT\r\n", NULL);
			return ATT_GAVEUP;
		}
		ref_log(p, "STARTTLS %s: going on in cleartext (opportunistic)",
		    starttls ? "refused" : "not offered");
		*out = OUTCOME_CLEARTEXT;
		ref_smtp_deliver(p, cn);
		return ATT_WENTON;
	}
	if (cn->io.inlen > 0) {
		ref_giveup(p, "data after the STARTTLS reply (injection?)");
		return ATT_GAVEUP;
	}
	if ((auth = ref_tls_connect(p, cn, t, t->base)) < 0)
		return ATT_GAVEUP;
	if (!ref_tls_judge(p, t, auth, out)) {
		ref_smtp_cmd(cn, "QUIT\r\n", NULL);
		return ATT_GAVEUP;
	}
	ref_smtp_deliver(p, cn);
	return ATT_WENTON;
}

/* ref_smtp_probe - RFC 7672 delivery to p->domain */
void
ref_smtp_probe(struct ref_probe *p)
{
	struct ref_host h[MAX_HOSTS];
	struct ref_dns_ans mx;
	char canon[256];
	int n, secure, port = p->proto == PROTO_SMTPS ? 465 : 25;

	ref_dns_query(p, p->domain, DNS_MX, "MX", &mx);
	if (mx.state == DNS_BOGUS) {
		ref_giveup(p, "MX lookup of %s bogus or indeterminate: delay "
		    "(RFC 7672 2.1.1, 2.2.1)", p->domain);
		ref_dns_free(&mx);
		return;
	}
	if (mx.nxdomain) {
		ref_giveup(p, "%s does not exist", p->domain);
		ref_dns_free(&mx);
		return;
	}
	secure = mx.state == DNS_SECURE;
	snprintf(canon, sizeof(canon), "%s", mx.canon);
	if (mx.nodata) {
		memset(&h[0], 0, sizeof(h[0]));
		dname_copy(h[0].name, sizeof(h[0].name), p->domain);
		n = 1;
		ref_log(p, "no MX: implicit MX %s (RFC 5321 5.1)", h[0].name);
	} else {
		n = ref_dns_hosts(p, &mx, h);
	}
	ref_dns_free(&mx);
	for (int i = 0; i < n; i++) {
		h[i].port = port;
		if (h[i].name[0] == '\0') {
			ref_giveup(p, "null MX: %s accepts no mail (RFC 7505)",
			    p->domain);
			return;
		}
	}
	if (n == 0) {
		ref_giveup(p, "no usable MX records");
		return;
	}
	if (!secure && p->policy == POLICY_MANDATORY) {
		ref_giveup(p, "MX RRset of %s insecure under mandatory DANE: "
		    "delay (RFC 7672 2.2.1, 6)", p->domain);
		return;
	}
	/* RFC 7672 3.2.2: the next-hop domain (and its CNAME expansion) is
	 * a reference identifier only when the MX RRset is secure. */
	(void)ref_host_try_all(p, h, (size_t)n, 1, secure ? p->domain : NULL,
	    canon[0] ? canon : NULL);
}
