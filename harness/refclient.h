/*
 * refclient.h - danelab's reference DANE client, the lab's oracle.
 *
 * RFC 7672 SMTP and RFC 7673 XMPP server-to-server client logic on
 * libunbound (validating with the lab root key) and OpenSSL's DANE API:
 * MX/SRV resolution and order, address before TLSA, base domain and CNAME
 * rules, unusable records, digest agility, SNI, opportunistic and
 * mandatory policy.  It connects to the hosts it chooses, does STARTTLS
 * (or direct TLS), authenticates the peer as the RFCs require, and goes
 * on (sends a message / restarts the stream) or gives up, exactly as a
 * correct client must.  Small and readable on purpose.
 */
#ifndef DANELAB_REFCLIENT_H
#define DANELAB_REFCLIENT_H

#include "observe.h"

enum ref_proto {
	REF_SMTP,		/* MX, port 25, STARTTLS */
	REF_SMTPS,		/* MX, port 465, TLS on connect */
	REF_XMPP,		/* _xmpp-server._tcp SRV, STARTTLS */
	REF_XMPPS		/* _xmpps-server._tcp SRV, direct TLS + ALPN */
};

enum ref_policy {
	REF_OPPORTUNISTIC,	/* RFC 7672 opportunistic DANE TLS */
	REF_MANDATORY		/* DANE required (dane-only, s2s_secure_auth) */
};

/* What the reference client did at one probe. */
struct ref_result {
	enum outcome outcome;	/* its own account of the delivery */
	char host[256];		/* host it delivered to or tried last, "" */
	char addr[64];		/* address connected to, "" */
	int port;
	char detail[512];	/* one line: why (e.g. "TLSA bogus: next MX") */
	char *log;		/* every step, one per line; caller frees */
};

struct refclient;

/*
 * refclient_new - a client using the validating resolver at resolver
 * (e.g. "127.0.0.1") and the root trust anchor file ta_file (DS or
 * DNSKEY lines).  The caller runs inside the lab's network namespace.
 * Returns NULL after saying why.
 */
struct refclient *refclient_new(const char *resolver, const char *ta_file);
struct refclient *refclient_free(struct refclient *c);

/*
 * refclient_probe - deliver to domain (an SMTP next-hop domain or an
 * XMPP domain) as proto under policy, with deadline_ms for the whole
 * probe.  helo/from name the client side (e.g. "ref.client.example").
 * Fills *r; returns 0, or -1 on an internal error (r->detail says why).
 * Thread-safe: probes may run in parallel on one client.
 */
int refclient_probe(struct refclient *c, enum ref_proto proto,
    const char *domain, enum ref_policy policy, int deadline_ms,
    struct ref_result *r);

#endif
