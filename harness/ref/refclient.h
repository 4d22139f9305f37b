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

#include <stddef.h>

#include <openssl/ssl.h>

#include "observe.h"

/* What the reference client did at one probe. */
struct ref_result {
	enum outcome outcome;	/* its own account of the delivery */
	char host[256];		/* host it delivered to or tried last, "" */
	char addr[64];		/* address connected to, "" */
	int port;
	char detail[512];	/* one line: why (e.g. "TLSA bogus: next MX") */
	char *log;		/* every step, one per line; caller frees */
	int timed_out;		/* a deadline or a timeout ended a step: the
				 * outcome is no verdict on the server */
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
 * refclient_forget - drop the resolver contexts kept between probes, and
 * with them what they cached: the next probes ask the lab's resolver
 * afresh.  Call it with no probe running.
 */
void refclient_forget(struct refclient *c);

/*
 * refclient_probe - deliver to domain (an SMTP next-hop domain or an
 * XMPP domain) as proto under policy, with deadline_ms for the whole
 * probe.  helo/from name the client side (e.g. "ref.client.example").
 * Fills *r; returns 0, or -1 on an internal error (r->detail says why).
 * Thread-safe: probes may run in parallel on one client.
 *
 * slot: which of c's kept resolver contexts the probe uses (a caller
 * that runs its probes on workers gives each worker a slot).  They keep
 * validated DNSSEC keys, never answers: every lookup of every probe
 * reaches the lab's resolver, and its query log shows it, while the
 * DS and DNSKEY of a zone are asked for once per slot.
 */
int refclient_probe(struct refclient *c, unsigned slot, enum proto proto,
    const char *domain, enum policy policy, int deadline_ms,
    struct ref_result *r);

/*
 * refclient_server_ctx - make ctx (a server context holding the
 * receiver's own chain) fit for refclient_receive: DANE enabled, no name
 * checks for DANE-EE.  Returns 1, or 0 after msg_warn.
 */
int refclient_server_ctx(SSL_CTX *ctx);

/*
 * refclient_receive - the reference *receiving* XMPP server (inbound,
 * origin identities: draft-ietf-dance-client-auth, as XMPP servers do it)
 * on one accepted connection fd, as the XMPP domain local, within
 * deadline_ms.  It reads the stream header, looks up the TLSA records of
 * the connecting domain (its "from"): at _xmpp-server.DOMAIN, else, on a
 * secure denial, at _PORT._tcp.TARGET of each target of the domain's
 * secure _xmpp-server._tcp SRV RRset; offers STARTTLS (required),
 * requests the client certificate and checks it against the usable
 * records (DANE-EE and DANE-TA; PKIX usages cannot match: the lab has no
 * public CAs) with OpenSSL.  An authenticated peer is offered SASL
 * EXTERNAL and accepted (r->outcome authenticated).  An unauthenticated
 * one (no, insecure or bogus TLSA, no match) goes on without
 * authentication under the opportunistic policy (encrypted) and gets a
 * policy-violation stream error under the mandatory one (refused).
 * r->host is the connecting domain.  Closes fd.  Returns 0, or -1 on an
 * internal error (r->detail says why).  slot: as for refclient_probe.
 */
int refclient_receive(struct refclient *c, unsigned slot, int fd, SSL_CTX *ctx,
    const char *local, enum policy policy, int deadline_ms,
    struct ref_result *r);

/*
 * Pure helpers, exported for the unit tests (check_refclient.c).
 */

/* One MX host or SRV target, in the order it is to be tried. */
struct ref_host {
	char name[256];		/* no trailing dot */
	unsigned pref;		/* MX preference or SRV priority */
	unsigned weight;	/* SRV weight, 0 for MX */
	int port;		/* SRV port, 0 for MX */
};

/*
 * refclient_sort_hosts - order h[0..n-1] for trying: preference (priority)
 * ascending (RFC 5321 5.1, RFC 7672 2.2.1), then, deterministically in
 * place of RFC 2782's random weighted choice, weight descending, then name.
 */
void refclient_sort_hosts(struct ref_host *h, size_t n);

/*
 * refclient_parse_mx, refclient_parse_srv - one MX or SRV rdata (names
 * uncompressed, as libunbound returns them) into *h; 0, or -1 if malformed.
 */
int refclient_parse_mx(const unsigned char *rd, size_t len, struct ref_host *h);
int refclient_parse_srv(const unsigned char *rd, size_t len,
    struct ref_host *h);

/* One TLSA record; data is borrowed. */
struct ref_tlsa {
	unsigned char usage, selector, mtype;
	const unsigned char *data;
	size_t len;
};

/* Why refclient_tlsa_select kept or dropped a record. */
enum ref_tlsa_use {
	REF_TLSA_USE,		/* usable and selected */
	REF_TLSA_UNUSABLE,	/* unusable for proto (RFC 7671 4.1, 7672 3.1.3) */
	REF_TLSA_WEAKER		/* dropped by digest agility (RFC 7671 9) */
};

/*
 * refclient_tlsa_usable - is t usable for proto: usage 2/3 (SMTP), 0-3
 * (XMPP), selector 0/1, matching type 0/1/2 with the right data (length
 * 32/64, or a certificate / SubjectPublicKeyInfo that parses).
 */
int refclient_tlsa_usable(enum proto proto, const struct ref_tlsa *t);

/*
 * refclient_tlsa_select - set use[i] for each of t[0..n-1]: unusable
 * records dropped, then per usage+selector only Full(0) and the strongest
 * digest present kept (RFC 7671 9).  Returns how many are REF_TLSA_USE.
 */
size_t refclient_tlsa_select(enum proto proto, const struct ref_tlsa *t,
    size_t n, enum ref_tlsa_use *use);

/*
 * refclient_base_candidates - TLSA base domain candidates, in lookup
 * order, for host whose address lookup ended at canon (NULL or host when
 * no CNAME) with a secure (addr_secure) or insecure answer: the expanded
 * name then the original when the expansion is secure, else the original
 * alone (RFC 7672 2.2.3, RFC 7671 7).  Borrows; returns 1 or 2.
 */
int refclient_base_candidates(const char *host, const char *canon,
    int addr_secure, const char *out[2]);

/* What an MX host's address answer means for its TLSA lookup. */
enum ref_addr_dane {
	REF_ADDR_TLSA,		/* secure: look up TLSA */
	REF_ADDR_ASK_CNAME,	/* insecure at the end of a CNAME chain: TLSA
				 * at the original name if the initial CNAME
				 * is secure ("Insecure CNAME", 7672 2.2.2) */
	REF_ADDR_NO_DANE	/* insecure, no CNAME: no TLSA lookup */
};

/*
 * refclient_addr_dane - for host whose address lookup ended at canon
 * (NULL or host when no CNAME) with a secure (addr_secure) or insecure
 * answer, what to do about TLSA (RFC 7672 2.2.2).  Borrows.
 */
enum ref_addr_dane refclient_addr_dane(const char *host, const char *canon,
    int addr_secure);

#endif
