/*
 * ref_host.c - the reference client's hosts (ref_probe.h): for each MX
 * host or SRV target in order, its address and TLSA lookups decide what
 * it requires of TLS (RFC 7672 2.2, RFC 7673 3); then each of its
 * addresses is one attempt, until the client goes on.
 */
#include <stdio.h>
#include <string.h>

#include "dname.h"
#include "ref_probe.h"

const char *const ref_mode_names[] = {
	"DANE authentication required", "TLS required without authentication",
	"opportunistic TLS", "PKIX authentication required"
};

/* ref_host_try - every address of t in turn; 1 when the client went on */
static int
ref_host_try(struct ref_probe *p, struct ref_target *t,
    const struct ref_addrs *ad)
{
	for (int i = 0; i < ad->n; i++) {
		enum outcome out = OUTCOME_NO_CONNECT;
		enum ref_attempt a;
		struct ref_conn cn;

		if (ref_left(p) <= 0) {
			ref_late(p);
			return 0;
		}
		snprintf(p->r->addr, sizeof(p->r->addr), "%s", ad->addr[i]);
		p->r->port = t->port;
		p->note[0] = '\0';
		if (ref_conn_open(p, &cn, ad->fam[i], ad->addr[i], t->port) < 0)
			continue;
		p->connected = 1;
		if (p->proto == PROTO_SMTP || p->proto == PROTO_SMTPS)
			a = ref_smtp_session(p, &cn, t, &out);
		else
			a = ref_xmpp_session(p, &cn, t, &out);
		ref_conn_close(&cn);
		if (a == ATT_WENTON) {
			p->r->outcome = out;
			snprintf(p->r->detail, sizeof(p->r->detail),
			    "%s at %s[%s]:%d (%s)%s%s", outcome_name(out),
			    t->host, ad->addr[i], t->port,
			    ref_mode_names[t->mode], p->note[0] ? "; " : "",
			    p->note);
			ref_log(p, "outcome: %s", p->r->detail);
			return 1;
		}
	}
	return 0;
}

/*
 * ref_host_plan - address and TLSA lookups for one host; sets t->mode and
 * returns 1 when the host is to be tried, 0 when it is skipped.  dane is
 * 0 when DANE cannot apply (XMPP with an insecure SRV RRset).
 */
static int
ref_host_plan(struct ref_probe *p, struct ref_target *t, struct ref_addrs *ad,
    int dane, struct ref_dns_ans *tlsa)
{
	int smtp = p->proto == PROTO_SMTP || p->proto == PROTO_SMTPS;
	size_t usable;

	memset(tlsa, 0, sizeof(*tlsa));
	dname_copy(t->base, sizeof(t->base), t->host);
	t->ntlsa = 0;
	ref_dns_addrs(p, t->host, ad);
	if (ad->state == DNS_BOGUS) {
		ref_giveup(p, "address lookup of %s bogus or indeterminate: "
		    "skip host (%s)", t->host, smtp ? "RFC 7672 2.2.2" :
		    "RFC 7673 3.2");
		return 0;
	}
	if (ad->n == 0) {
		ref_giveup(p, "%s has no address: skip host", t->host);
		return 0;
	}
	if (dane && smtp && refclient_addr_dane(t->host, ad->canon,
	    ad->state == DNS_SECURE) == REF_ADDR_ASK_CNAME) {
		switch (ref_dns_first_cname(p, t->host, ad->canon)) {
		case DNS_BOGUS:
			ref_giveup(p, "CNAME lookup of %s bogus or "
			    "indeterminate: skip host (RFC 7672 2.2.2)",
			    t->host);
			return 0;
		case DNS_SECURE:
			break;
		case DNS_INSECURE:
			dane = 0;
			break;
		}
	} else if (dane && ad->state != DNS_SECURE) {
		ref_log(p, "address of %s insecure: no TLSA lookup (%s)",
		    t->host, smtp ? "RFC 7672 2.2.2" : "RFC 7673 3.2");
		dane = 0;
	}
	if (!dane) {
		t->mode = smtp || p->policy == POLICY_OPPORTUNISTIC ?
		    MODE_OPPORTUNISTIC : MODE_PKIX;
	} else {
		switch (ref_dns_tlsa(p, t, ad, tlsa)) {
		case TLSA_BOGUS:
			ref_giveup(p, "TLSA lookup for %s bogus or "
			    "indeterminate: skip host (%s)", t->host, smtp ?
			    "RFC 7672 2.1.2" : "RFC 7673 3.4");
			return 0;
		case TLSA_FOUND:
			usable = refclient_tlsa_select(p->proto, t->tlsa,
			    t->ntlsa, t->use);
			ref_dns_tlsa_log(p, t);
			ref_log(p, "TLSA base domain %s, %zu usable record%s",
			    t->base, usable, usable == 1 ? "" : "s");
			if (usable > 0)
				t->mode = MODE_DANE;
			else if (smtp)
				t->mode = MODE_TLS_NOAUTH;
			else	/* RFC 7673 4: secure TLSA, TLS required */
				t->mode = p->policy == POLICY_OPPORTUNISTIC ?
				    MODE_TLS_NOAUTH : MODE_PKIX;
			break;
		case TLSA_NONE:
			ref_log(p, "no secure TLSA records for %s: no DANE",
			    t->host);
			t->mode = smtp || p->policy == POLICY_OPPORTUNISTIC ?
			    MODE_OPPORTUNISTIC : MODE_PKIX;
			break;
		}
	}
	if (smtp && p->policy == POLICY_MANDATORY && t->mode != MODE_DANE) {
		ref_giveup(p, "no usable TLSA records for %s under mandatory "
		    "DANE: skip host, delay (RFC 7672 6)", t->host);
		ref_dns_free(tlsa);
		return 0;
	}
	ref_log(p, "host %s port %d: %s", t->host, t->port,
	    ref_mode_names[t->mode]);
	return 1;
}

/* ref_host_try_all - plan and try each host in order; 1 when the client
 * went on */
int
ref_host_try_all(struct ref_probe *p, const struct ref_host *h, size_t n,
    int dane, const char *refid0, const char *refid1)
{
	for (size_t i = 0; i < n; i++) {
		struct ref_target t;
		struct ref_addrs ad;
		struct ref_dns_ans tlsa;
		int went;

		if (ref_left(p) <= 0) {
			ref_late(p);
			return 0;
		}
		memset(&t, 0, sizeof(t));
		t.host = h[i].name;
		t.port = h[i].port;
		t.refids[0] = refid0;
		t.refids[1] = refid0 != NULL ? refid1 : NULL;
		snprintf(p->r->host, sizeof(p->r->host), "%s", t.host);
		p->r->addr[0] = '\0';
		p->r->port = t.port;
		if (!ref_host_plan(p, &t, &ad, dane, &tlsa))
			continue;
		went = ref_host_try(p, &t, &ad);
		ref_dns_free(&tlsa);
		if (went)
			return 1;
	}
	return 0;
}
