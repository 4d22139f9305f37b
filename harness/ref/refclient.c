/*
 * refclient.c - danelab's reference DANE client (RFC 7672 SMTP, RFC 7673
 * XMPP), the lab's oracle.
 *
 * One probe: resolve (libunbound, validating by itself with the lab root
 * key), choose hosts, decide per host what TLS it requires, connect, do
 * STARTTLS or direct TLS with OpenSSL's DANE verifier, and go on or give
 * up.  Every step is logged in r->log, one line each.
 *
 * This file holds the public API (refclient.h), its pure helpers and a
 * probe's log; the steps are in ref_dns.c, ref_host.c, ref_smtp.c,
 * ref_xmpp.c, ref_conn.c, ref_tls.c and ref_receive.c around the private
 * header ref_probe.h, which maps them.
 *
 * Threads: each probe has a ub_ctx of its own while it runs, taken from
 * the pool of its slot, so that the validated keys (its only cache) stay
 * for the slot's next probes; libunbound runs in threaded async mode, so
 * every DNS lookup is bounded by the probe's deadline.  The one SSL_CTX
 * is shared read-only after refclient_new.
 *
 * Choices where the RFCs leave latitude (documented here once):
 * - Equal MX preferences / SRV priorities: tried in a deterministic order,
 *   SRV weight descending, then name (not RFC 2782's random choice).
 * - Each address of a host is one attempt with the same TLS requirement.
 * - Opportunistic TLS that fails in the handshake: give up on that host
 *   (refused) and try the next, rather than retry it in cleartext.
 * - Once the client went on at a host (EHLO after TLS, stream restart),
 *   that host's outcome is final, even if the server later rejects the
 *   message (the detail says so).
 * - SMTP uses the port's TLSA owner: _25._tcp (SMTP), _465._tcp (SMTPS).
 * - XMPP SNI is the XMPP (source) domain (XEP-0368 and RFC 7673 4); name
 *   checks accept the domain and the SRV target.
 * - XMPP without a secure SRV RRset or without usable TLSA records falls
 *   back to PKIX: opportunistically that is "encrypted"; under
 *   POLICY_MANDATORY it must authenticate by PKIX, and the lab has no PKIX
 *   trust store, so it gives up after the handshake (refused).  PKIX-TA
 *   and PKIX-EE records (usages 0, 1) are usable for XMPP but, for the same
 *   reason, never authenticate here.  For SMTP they are unusable (RFC 7672
 *   3.1.3).
 * - XMPPS without an _xmpps-server SRV RRset: no direct-TLS fallback port
 *   (XEP-0368 defines none): no-connect.  XMPP without SRV: the domain
 *   itself on 5269 (RFC 6120 3.2.2); whether DANE applies is then decided
 *   by the address records' security alone.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unbound.h>

#include "clock.h"
#include "dname.h"
#include "mem.h"
#include "msg.h"
#include "ref_probe.h"
#include "refclient.h"

/* ref_log - append one line to the probe's log */
void
ref_log(struct ref_probe *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_printf(&p->log, "%s\n", line);
}

/* ref_giveup - log a reason for giving up and remember it as the last one */
void
ref_giveup(struct ref_probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	ref_log(p, "give up: %s", p->why);
}

/* ref_late - say the deadline ended the probe, keeping the last reason */
void
ref_late(struct ref_probe *p)
{
	p->r->timed_out = 1;
	if (p->why[0] == '\0')
		ref_giveup(p, "deadline reached");
	else
		ref_log(p, "deadline reached");
}

/* ref_left - ms left for one step, at most step_ms; <= 0 when past */
int
ref_left(const struct ref_probe *p)
{
	long long left = p->deadline - clock_ms();

	if (left <= 0)
		return 0;
	return left < p->step_ms ? (int)left : p->step_ms;
}

/* refclient_wire_name - uncompressed wire name at rd into text; bytes
 * used or -1 */
static int
refclient_wire_name(const unsigned char *rd, size_t len, char *out,
    size_t size)
{
	size_t i = 0, o = 0;

	out[0] = '\0';
	for (;;) {
		unsigned l;

		if (i >= len)
			return -1;
		l = rd[i++];
		if (l == 0)
			break;
		if (l > 63 || i + l > len)
			return -1;
		for (unsigned k = 0; k < l; k++) {
			unsigned char ch = rd[i + k];
			char tmp[8];
			int w;

			if (ch == '.' || ch == '\\')
				w = snprintf(tmp, sizeof(tmp), "\\%c", ch);
			else if (ch <= 0x20 || ch >= 0x7f)
				w = snprintf(tmp, sizeof(tmp), "\\%03u", ch);
			else
				w = snprintf(tmp, sizeof(tmp), "%c", ch);
			if (o + (size_t)w + 2 > size)
				return -1;
			memcpy(out + o, tmp, (size_t)w);
			o += (size_t)w;
		}
		i += l;
		out[o++] = '.';
		out[o] = '\0';
	}
	if (o > 0)
		out[--o] = '\0';	/* no trailing dot; root is "" */
	return (int)i;
}

int
refclient_parse_mx(const unsigned char *rd, size_t len, struct ref_host *h)
{
	int n;

	memset(h, 0, sizeof(*h));
	if (len < 3)
		return -1;
	h->pref = (unsigned)rd[0] << 8 | rd[1];
	n = refclient_wire_name(rd + 2, len - 2, h->name, sizeof(h->name));
	return n < 0 || (size_t)n + 2 != len ? -1 : 0;
}

int
refclient_parse_srv(const unsigned char *rd, size_t len, struct ref_host *h)
{
	int n;

	memset(h, 0, sizeof(*h));
	if (len < 7)
		return -1;
	h->pref = (unsigned)rd[0] << 8 | rd[1];
	h->weight = (unsigned)rd[2] << 8 | rd[3];
	h->port = rd[4] << 8 | rd[5];
	n = refclient_wire_name(rd + 6, len - 6, h->name, sizeof(h->name));
	return n < 0 || (size_t)n + 6 != len ? -1 : 0;
}

/* refclient_host_cmp - qsort order of refclient_sort_hosts */
static int
refclient_host_cmp(const void *va, const void *vb)
{
	const struct ref_host *a = va, *b = vb;

	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return strcasecmp(a->name, b->name);
}

void
refclient_sort_hosts(struct ref_host *h, size_t n)
{
	if (n > 1)
		qsort(h, n, sizeof(*h), refclient_host_cmp);
}

int
refclient_tlsa_usable(enum proto proto, const struct ref_tlsa *t)
{
	const unsigned char *q = t->data;
	int ok = 0;

	if (t->usage > 3 || t->selector > 1 || t->mtype > 2)
		return 0;
	/* SMTP: RFC 7672 3.1.3.  Inbound: a PKIX usage needs a public CA,
	 * and the lab has none, so it can never match. */
	if ((proto == PROTO_SMTP || proto == PROTO_SMTPS || proto == PROTO_XMPP_IN)
	    && t->usage < 2)
		return 0;
	if (t->mtype == 1)
		return t->len == 32;
	if (t->mtype == 2)
		return t->len == 64;
	/* Full(0): the data must be exactly one certificate or one SPKI. */
	if (t->selector == 0) {
		X509 *x = d2i_X509(NULL, &q, (long)t->len);

		ok = x != NULL && q == t->data + t->len;
		X509_free(x);
	} else {
		EVP_PKEY *k = d2i_PUBKEY(NULL, &q, (long)t->len);

		ok = k != NULL && q == t->data + t->len;
		EVP_PKEY_free(k);
	}
	ERR_clear_error();
	return ok;
}

size_t
refclient_tlsa_select(enum proto proto, const struct ref_tlsa *t,
    size_t n, enum ref_tlsa_use *use)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		use[i] = refclient_tlsa_usable(proto, &t[i]) ?
		    REF_TLSA_USE : REF_TLSA_UNUSABLE;
	/* Digest agility: SHA2-512(2) is stronger than SHA2-256(1). */
	for (size_t i = 0; i < n; i++) {
		unsigned best = 0;

		if (use[i] != REF_TLSA_USE || t[i].mtype == 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (use[j] != REF_TLSA_UNUSABLE &&
			    t[j].usage == t[i].usage &&
			    t[j].selector == t[i].selector &&
			    t[j].mtype > best)
				best = t[j].mtype;
		if (t[i].mtype < best)
			use[i] = REF_TLSA_WEAKER;
	}
	for (size_t i = 0; i < n; i++)
		kept += use[i] == REF_TLSA_USE;
	return kept;
}

int
refclient_base_candidates(const char *host, const char *canon,
    int addr_secure, const char *out[2])
{
	int n = 0;

	if (addr_secure && canon != NULL && canon[0] != '\0' &&
	    !dname_eq(canon, host))
		out[n++] = canon;
	out[n++] = host;
	return n;
}

enum ref_addr_dane
refclient_addr_dane(const char *host, const char *canon, int addr_secure)
{
	if (addr_secure)
		return REF_ADDR_TLSA;
	if (canon != NULL && canon[0] != '\0' && !dname_eq(canon, host))
		return REF_ADDR_ASK_CNAME;
	return REF_ADDR_NO_DANE;
}

struct refclient *
refclient_new(const char *resolver, const char *ta_file)
{
	struct refclient *c = xcalloc(1, sizeof(*c));
	struct ub_ctx *ub;
	int err;

	c->resolver = xstrdup(resolver);
	pthread_mutex_init(&c->lock, NULL);
	c->ta_file = xstrdup(ta_file);
	/* Check the resolver and trust anchor once, to fail early. */
	if ((ub = ub_ctx_create()) == NULL) {
		msg_warn("refclient: ub_ctx_create failed");
		return refclient_free(c);
	}
	if ((err = ub_ctx_set_fwd(ub, resolver)) != 0 ||
	    (err = ub_ctx_add_ta_file(ub, ta_file)) != 0) {
		msg_warn("refclient: resolver %s, trust anchor %s: %s",
		    resolver, ta_file, ub_strerror(err));
		ub_ctx_delete(ub);
		return refclient_free(c);
	}
	ub_ctx_delete(ub);
	/* No trust store: PKIX never succeeds in the lab.  Verification
	 * never aborts the handshake; the client judges the result. */
	if ((c->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_dane_enable(c->ssl_ctx) <= 0) {
		msg_warn("refclient: cannot set up an OpenSSL DANE context");
		ERR_clear_error();
		return refclient_free(c);
	}
	/* OpenSSL's default digest ordinals (SHA2-256 1, SHA2-512 2) give
	 * RFC 7671 9 agility; refclient_tlsa_select applies it too. */
	SSL_CTX_dane_set_flags(c->ssl_ctx, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
	/* OpenSSL writes to sockets with write(2): a peer that closes first
	 * must not kill the program. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		msg_warn("refclient: cannot ignore SIGPIPE");
	return c;
}

struct refclient *
refclient_free(struct refclient *c)
{
	if (c == NULL)
		return NULL;
	SSL_CTX_free(c->ssl_ctx);
	refclient_forget(c);
	free(c->pools);
	pthread_mutex_destroy(&c->lock);
	free(c->resolver);
	free(c->ta_file);
	free(c);
	return NULL;
}

/*
 * refclient_start - p, a probe of c by proto under policy for r, all of it
 * within deadline_ms from now: a step (a connect, a read, a handshake) may
 * take a quarter of that when probing (several hosts), half when receiving
 * (one peer), and at least a second.  r starts as no-connect.
 */
static void
refclient_start(struct ref_probe *p, struct refclient *c, unsigned slot,
    enum proto proto, enum policy policy, int deadline_ms,
    struct ref_result *r)
{
	int share = proto == PROTO_XMPP_IN ? 2 : 4;

	memset(r, 0, sizeof(*r));
	memset(p, 0, sizeof(*p));
	r->outcome = OUTCOME_NO_CONNECT;
	p->c = c;
	p->slot = slot;
	p->proto = proto;
	p->policy = policy;
	p->r = r;
	p->receiving = proto == PROTO_XMPP_IN;
	p->deadline = clock_ms() + (deadline_ms > 0 ? deadline_ms : 1);
	p->step_ms = deadline_ms / share > 1000 ? deadline_ms / share : 1000;
}

/* refclient_end - p's resolver back to the pool (if ok), its log to r */
static void
refclient_end(struct ref_probe *p, int ok)
{
	ref_dns_put(p, ok);
	p->r->log = p->log.data != NULL ? p->log.data : xstrdup("");
}

int
refclient_probe(struct refclient *c, unsigned slot, enum proto proto,
    const char *domain, enum policy policy, int deadline_ms,
    struct ref_result *r)
{
	struct ref_probe p;
	char dom[256];
	int ret = 0;

	refclient_start(&p, c, slot, proto, policy, deadline_ms, r);
	/* One spelling of the domain: no trailing dot (name checks, RCPT). */
	dname_copy(dom, sizeof(dom), domain);
	p.domain = dom;
	ref_log(&p, "probe %s %s, %s", proto_name(proto), domain, policy == POLICY_MANDATORY ? "mandatory DANE" :
	    "opportunistic DANE");
	if (ref_dns_get(&p) != 0) {
		ret = -1;
		goto done;
	}
	if (proto == PROTO_SMTP || proto == PROTO_SMTPS)
		ref_smtp_probe(&p);
	else
		ref_xmpp_probe(&p);
	if (r->detail[0] == '\0') {
		r->outcome = p.connected ? OUTCOME_REFUSED : OUTCOME_NO_CONNECT;
		snprintf(r->detail, sizeof(r->detail), "%s: %s",
		    outcome_name(r->outcome), p.why[0] ? p.why :
		    "no host to try");
		ref_log(&p, "outcome: %s", r->detail);
	}
done:
	refclient_end(&p, ret == 0);
	return ret;
}

int
refclient_server_ctx(SSL_CTX *ctx)
{
	if (SSL_CTX_dane_enable(ctx) <= 0) {
		ERR_clear_error();
		msg_warn("refclient: cannot enable DANE on a server context");
		return 0;
	}
	SSL_CTX_dane_set_flags(ctx, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	return 1;
}

int
refclient_receive(struct refclient *c, unsigned slot, int fd, SSL_CTX *ctx,
    const char *local, enum policy policy, int deadline_ms,
    struct ref_result *r)
{
	struct ref_probe p;
	struct ref_conn cn;
	int ret = 0;

	refclient_start(&p, c, slot, PROTO_XMPP_IN, policy, deadline_ms, r);
	p.domain = local;
	cn.p = &p;
	netio_init(&cn.io, p.deadline, p.step_ms, REF_IN_MAX);
	cn.io.fd = fd;
	ref_log(&p, "receive as %s, %s", local, policy == POLICY_MANDATORY ?
	    "authentication required" : "unauthenticated peers allowed");
	if (ref_dns_get(&p) != 0)
		ret = -1;
	else
		ref_receive_session(&p, &cn, ctx, local);
	ref_conn_close(&cn);
	if (ret == 0 && r->detail[0] == '\0') {
		r->outcome = OUTCOME_REFUSED;
		snprintf(r->detail, sizeof(r->detail), "refused: %s", p.why[0]
		    ? p.why : "the stream ended");
		ref_log(&p, "outcome: %s", r->detail);
	}
	refclient_end(&p, ret == 0);
	return ret;
}
