/*
 * ref_receive.c - the reference receiving XMPP server (refclient_receive,
 * ref_probe.h): a connecting server's identity by its TLSA records, then
 * STARTTLS with a client certificate checked by OpenSSL's DANE verifier,
 * SASL EXTERNAL for an authenticated peer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unbound.h>

#include "dname.h"
#include "mem.h"
#include "netio.h"
#include "ref_probe.h"
#include "xmpp_wire.h"

/*
 * ref_receive_identity - the TLSA records of the connecting domain dom: at
 * _xmpp-server.DOM, else (secure denial) at _PORT._tcp.TARGET of each
 * target of the secure _xmpp-server._tcp.DOM SRV RRset.  Any bogus
 * answer on the way makes the identity unusable (TLSA_BOGUS); an
 * insecure one means no DANE (TLSA_NONE).  The answers holding the
 * records stay in keep[0..*nkeep-1] for the caller to free.
 */
static enum ref_tlsa_state
ref_receive_identity(struct ref_probe *p, const char *dom, struct ref_target *t,
    struct ref_dns_ans *keep, size_t *nkeep)
{
	struct ref_dns_ans srv;
	struct ref_host h;
	char q[300];
	int bogus = 0;

	*nkeep = 0;
	snprintf(q, sizeof(q), "_xmpp-server.%s", dom);
	ref_dns_query(p, q, DNS_TLSA, "TLSA", &keep[0]);
	*nkeep = 1;
	if (keep[0].state == DNS_BOGUS)
		return TLSA_BOGUS;
	if (keep[0].state == DNS_INSECURE)
		return TLSA_NONE;
	if (keep[0].res->havedata) {
		snprintf(t->base, sizeof(t->base), "%.255s", q);
		ref_dns_tlsa_add(t, keep[0].res);
		return TLSA_FOUND;
	}
	snprintf(q, sizeof(q), "_xmpp-server._tcp.%s", dom);
	ref_dns_query(p, q, DNS_SRV, "SRV", &srv);
	if (srv.state != DNS_SECURE || !srv.res->havedata) {
		enum ref_dns_state st = srv.state;

		ref_dns_free(&srv);
		return st == DNS_BOGUS ? TLSA_BOGUS : TLSA_NONE;
	}
	for (int i = 0; srv.res->data[i] != NULL && *nkeep < MAX_HOSTS; i++) {
		struct ref_dns_ans *a = &keep[*nkeep];

		if (refclient_parse_srv((const unsigned char *)srv.res->data[i],
		    (size_t)srv.res->len[i], &h) != 0 || h.name[0] == '\0'
		    || strcmp(h.name, ".") == 0)
			continue;
		snprintf(q, sizeof(q), "_%d._tcp.%s", h.port, h.name);
		ref_dns_query(p, q, DNS_TLSA, "TLSA", a);
		(*nkeep)++;
		if (a->state == DNS_BOGUS)
			bogus = 1;
		else if (a->state == DNS_SECURE && a->res->havedata) {
			if (t->base[0] == '\0')
				snprintf(t->base, sizeof(t->base), "%.255s", q);
			ref_dns_tlsa_add(t, a->res);
		}
	}
	ref_dns_free(&srv);
	if (bogus)
		return TLSA_BOGUS;
	return t->ntlsa > 0 ? TLSA_FOUND : TLSA_NONE;
}

/* ref_receive_accept_any - let the handshake finish: the receiver judges
 * afterwards */
static int
ref_receive_accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* ref_receive_from - the "from" attribute of the stream header in s, into
 * out */
static int
ref_receive_from(const char *s, char *out, size_t size)
{
	const char *h = strstr(s, "<stream:stream"), *a, *end;
	size_t n;

	if (h == NULL || (end = strchr(h, '>')) == NULL)
		return -1;
	for (a = h; (a = strstr(a, "from=")) != NULL && a < end; a += 5) {
		char q = a[5];
		const char *close;

		if (a[-1] != ' ' && a[-1] != '\t' && a[-1] != '\n')
			continue;
		if ((q != '\'' && q != '"')
		    || (close = strchr(a + 6, q)) == NULL || close > end)
			return -1;
		n = (size_t)(close - (a + 6));
		if (n == 0 || n >= size)
			return -1;
		memcpy(out, a + 6, n);
		out[n] = 0;
		return 0;
	}
	return -1;
}

/* ref_receive_header - read a whole stream header ("<stream:stream ... >") */
static int
ref_receive_header(struct ref_conn *cn)
{
	const char *h;

	if (ref_conn_wait(cn, "<stream:stream", NULL) != 0)
		return -1;
	while ((h = strstr(cn->io.in, "<stream:stream")) == NULL
	    || strchr(h, '>') == NULL)
		if (ref_conn_fill(cn) < 0)
			return -1;
	return 0;
}

/* ref_receive_open - our stream header and features, in one write */
static int
ref_receive_open(struct ref_conn *cn, const char *local, const char *peer,
    const char *features)
{
	char *hdr = xmpp_wire_header(XMPP_WIRE_DECL | XMPP_WIRE_DIALBACK,
	    features, "from='%s' to='%s' id='ref-%d'", local, peer, cn->io.fd);
	int sent = ref_conn_write(cn, hdr);

	free(hdr);
	return sent;
}

/* ref_receive_tls - accept TLS, requesting the client certificate, and check
 * it against t's usable records; 1 authenticated, 0 not, -1 failed */
static int
ref_receive_tls(struct ref_probe *p, struct ref_conn *cn, SSL_CTX *ctx,
    const struct ref_target *t, size_t usable, const char *peer)
{
	long vr;
	int depth, added = 0;

	if ((cn->io.ssl = SSL_new(ctx)) == NULL
	    || SSL_set_fd(cn->io.ssl, cn->io.fd) != 1)
		goto err;
	SSL_set_verify(cn->io.ssl, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
	    ref_receive_accept_any);
	/* The reference identifier for DANE-TA is the domain. */
	if (usable > 0 && (added = ref_tls_dane(p, cn->io.ssl, t, peer)) < 0)
		goto err;
	if (netio_handshake(&cn->io, 1) != 0) {
		char eb[256];

		netio_tls_why(eb, sizeof(eb));
		ref_giveup(p, "TLS handshake with %s failed: %s", peer, eb);
		return -1;
	}
	ref_log(p, "TLS %s %s; client certificate %s",
	    SSL_get_version(cn->io.ssl), SSL_get_cipher_name(cn->io.ssl),
	    SSL_get0_peer_certificate(cn->io.ssl) ? "presented" : "none");
	if (added == 0) {
		ref_log(p, "no usable TLSA record: %s is not authenticated",
		    peer);
		return 0;
	}
	vr = SSL_get_verify_result(cn->io.ssl);
	ref_log(p, "verify result %ld: %s", vr,
	    X509_verify_cert_error_string(vr));
	depth = ref_tls_dane_match(p, cn->io.ssl);
	return SSL_get0_peer_certificate(cn->io.ssl) != NULL && vr == X509_V_OK
	    && depth >= 0;
err:
	ERR_clear_error();
	ref_giveup(p, "internal: cannot set up TLS");
	return -1;
}

/* ref_receive_session - the receiving side of one s2s connection */
void
ref_receive_session(struct ref_probe *p, struct ref_conn *cn, SSL_CTX *ctx,
    const char *local)
{
	static const char starttls[] = "<stream:features><starttls xmlns="
	    "'urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
	    "</stream:features>";
	static const char external[] = "<stream:features><mechanisms xmlns="
	    "'urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL"
	    "</mechanism></mechanisms></stream:features>";
	static const char dialback[] = "<stream:features><dialback xmlns="
	    "'urn:xmpp:features:dialback'/></stream:features>";
	static const char violation[] = "<stream:error><policy-violation "
	    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
	    "</stream:stream>";
	struct ref_target *t = xcalloc(1, sizeof(*t));
	struct ref_dns_ans *keep = xcalloc(MAX_HOSTS, sizeof(*keep));
	size_t nkeep = 0, usable = 0;
	enum ref_tlsa_state ts;
	char from[256], peer[256];
	int auth;

	p->connected = 1;
	if (ref_receive_header(cn) != 0 || ref_receive_from(cn->io.in, from,
	    sizeof(from)) != 0) {
		ref_giveup(p, "no stream header with a from attribute");
		goto out;
	}
	dname_copy(peer, sizeof(peer), from);
	snprintf(p->r->host, sizeof(p->r->host), "%s", peer);
	netio_drain(&cn->io);
	/* The identity's records, before TLS (the peer waits for features). */
	ts = ref_receive_identity(p, peer, t, keep, &nkeep);
	if (ts == TLSA_FOUND) {
		usable = refclient_tlsa_select(PROTO_XMPP_IN, t->tlsa, t->ntlsa,
		    t->use);
		ref_dns_tlsa_log(p, t);
	}
	ref_log(p, "identity of %s: %s", peer, ts == TLSA_BOGUS ? "TLSA bogus "
	    "or indeterminate: cannot be authenticated" : ts == TLSA_NONE ?
	    "no secure TLSA records: no DANE" : usable ? "usable TLSA records"
	    : "only unusable TLSA records");
	if (ref_receive_open(cn, local, peer, starttls) != 0 ||
	    ref_conn_wait(cn, "<starttls", NULL) != 0) {
		ref_giveup(p, "no STARTTLS from %s", peer);
		goto out;
	}
	netio_drain(&cn->io);
	if (ref_conn_write(cn, "<proceed xmlns='urn:ietf:params:xml:ns:"
	    "xmpp-tls'/>") != 0)
		goto out;
	if ((auth = ref_receive_tls(p, cn, ctx, t, usable, peer)) < 0)
		goto out;
	if (ref_receive_header(cn) != 0) {
		ref_giveup(p, "no stream restart after TLS");
		goto out;
	}
	netio_drain(&cn->io);
	if (!auth && p->policy == POLICY_MANDATORY) {
		ref_receive_open(cn, local, peer, "");
		ref_conn_write(cn, violation);
		ref_giveup(p, "%s not authenticated: closing the stream "
		    "(mandatory policy)", peer);
		goto out;
	}
	if (!auth) {
		ref_receive_open(cn, local, peer, dialback);
		p->r->outcome = OUTCOME_ENCRYPTED;
		snprintf(p->r->detail, sizeof(p->r->detail), "%s not "
		    "authenticated: the stream goes on without EXTERNAL "
		    "(opportunistic)", peer);
	} else if (ref_receive_open(cn, local, peer, external) != 0
	    || ref_conn_wait(cn, "<auth", NULL) != 0
	    || strstr(cn->io.in, "EXTERNAL") == NULL) {
		ref_giveup(p, "no SASL EXTERNAL from %s", peer);
		goto out;
	} else {
		netio_drain(&cn->io);
		ref_conn_write(cn, "<success xmlns='urn:ietf:params:xml:ns:"
		    "xmpp-sasl'/>");
		p->r->outcome = OUTCOME_AUTHENTICATED;
		snprintf(p->r->detail, sizeof(p->r->detail), "%s authenticated "
		    "by DANE: SASL EXTERNAL offered and accepted", peer);
	}
	ref_log(p, "outcome: %s: %s", outcome_name(p->r->outcome),
	    p->r->detail);
	/* The peer ends the stream; answer in kind. */
	if (ref_conn_wait(cn, "</stream:stream>", NULL) == 0)
		ref_conn_write(cn, "</stream:stream>");
out:
	for (size_t i = 0; i < nkeep; i++)
		ref_dns_free(&keep[i]);
	free(keep);
	free(t);
}
