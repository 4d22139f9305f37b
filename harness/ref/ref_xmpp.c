/*
 * ref_xmpp.c - the reference client's XMPP (ref_probe.h): RFC 7673
 * server-to-server connection to a domain (SRV lookup, fallback to 5269,
 * XEP-0368 direct TLS), and one s2s stream opening: header, features,
 * STARTTLS, the restart after TLS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "ref_probe.h"
#include "xmpp_wire.h"

/* ref_xmpp_open - send a stream header and read the stream features */
static int
ref_xmpp_open(struct ref_probe *p, struct ref_conn *cn, int *starttls)
{
	char *hdr = xmpp_wire_header(XMPP_WIRE_DECL, "", "to='%s' from='%s'",
	    p->domain, REF_XMPP_FROM);
	int sent = ref_conn_write(cn, hdr);

	free(hdr);
	if (sent < 0)
		return -1;
	if (ref_conn_wait(cn, "</stream:features>", "<stream:features/>") < 0)
		return -1;
	if (starttls != NULL)
		*starttls = strstr(cn->io.in, "<starttls") != NULL;
	netio_drain(&cn->io);
	return 0;
}

/* ref_xmpp_close - end the stream */
static void
ref_xmpp_close(struct ref_conn *cn)
{
	ref_conn_write(cn, "</stream:stream>");
}

/* ref_xmpp_session - one XMPP s2s session at a connected address */
enum ref_attempt
ref_xmpp_session(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, enum outcome *out)
{
	int starttls = 0, auth;

	if (p->proto == PROTO_XMPP) {
		if (ref_xmpp_open(p, cn, &starttls) < 0) {
			ref_giveup(p, "no stream features");
			return ATT_GAVEUP;
		}
		if (!starttls) {
			if (t->mode != MODE_OPPORTUNISTIC) {
				ref_giveup(p, "STARTTLS not offered, but %s",
				    ref_mode_names[t->mode]);
				ref_xmpp_close(cn);
				return ATT_GAVEUP;
			}
			ref_log(p, "STARTTLS not offered: going on in "
			    "cleartext (opportunistic)");
			*out = OUTCOME_CLEARTEXT;
			ref_xmpp_close(cn);
			return ATT_WENTON;
		}
		if (ref_conn_write(cn, "<starttls "
		    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") < 0 ||
		    ref_conn_wait(cn, "<proceed", "<failure") != 0) {
			ref_giveup(p, "STARTTLS not accepted");
			return ATT_GAVEUP;
		}
		netio_drain(&cn->io);
	}
	if ((auth = ref_tls_connect(p, cn, t, p->domain)) < 0)
		return ATT_GAVEUP;
	if (!ref_tls_judge(p, t, auth, out))
		return ATT_GAVEUP;
	ref_log(p, "going on: stream %s", p->proto == PROTO_XMPP ? "restart" :
	    "open over TLS");
	if (ref_xmpp_open(p, cn, NULL) < 0)
		snprintf(p->note, sizeof(p->note), "no stream features after "
		    "TLS");
	ref_xmpp_close(cn);
	return ATT_WENTON;
}

/* ref_xmpp_probe - RFC 7673 server-to-server connection to p->domain */
void
ref_xmpp_probe(struct ref_probe *p)
{
	struct ref_host h[MAX_HOSTS];
	struct ref_dns_ans srv;
	char qname[300];
	int n, dane;

	snprintf(qname, sizeof(qname), "_%s._tcp.%s", p->proto == PROTO_XMPPS ?
	    "xmpps-server" : "xmpp-server", p->domain);
	ref_dns_query(p, qname, DNS_SRV, "SRV", &srv);
	if (srv.state == DNS_BOGUS) {
		ref_giveup(p, "SRV lookup bogus or indeterminate: abort "
		    "(RFC 7673 3.1)");
		ref_dns_free(&srv);
		return;
	}
	if (srv.nxdomain || srv.nodata) {
		ref_dns_free(&srv);
		if (p->proto == PROTO_XMPPS) {
			ref_giveup(p, "no _xmpps-server SRV records: no direct "
			    "TLS (XEP-0368)");
			return;
		}
		memset(&h[0], 0, sizeof(h[0]));
		dname_copy(h[0].name, sizeof(h[0].name), p->domain);
		h[0].port = 5269;
		n = 1;
		dane = 1;
		ref_log(p, "no SRV: fall back to %s:5269 (RFC 6120 3.2.2); "
		    "DANE by the address records' security", h[0].name);
	} else {
		dane = srv.state == DNS_SECURE;
		n = ref_dns_hosts(p, &srv, h);
		ref_dns_free(&srv);
		if (n == 1 && h[0].name[0] == '\0') {
			ref_giveup(p, "SRV target \".\": service not offered "
			    "(RFC 2782)");
			return;
		}
		if (!dane)
			ref_log(p, "SRV RRset insecure: DANE does not apply "
			    "(RFC 7673 3.1)");
	}
	/* Name checks: the source domain (SNI, set by SSL_dane_enable or
	 * SSL_set1_host) and the SRV target (RFC 7673 4), one target at a
	 * time so that each gets its own name. */
	for (int i = 0; i < n; i++)
		if (h[i].name[0] != '\0' &&
		    ref_host_try_all(p, &h[i], 1, dane, h[i].name, NULL))
			return;
}
