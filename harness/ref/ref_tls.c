/*
 * ref_tls.c - the reference client's TLS (ref_probe.h): the handshake on a
 * probe's connection with OpenSSL's DANE verifier (usable TLSA records,
 * SNI, reference identifiers) or PKIX, and whether the client may go on
 * after it.
 */
#include <stdint.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "netio.h"
#include "ref_probe.h"

/* ref_tls_dane_match - log which TLSA record OpenSSL matched on ssl, if any;
 * the depth of the match, or -1 */
int
ref_tls_dane_match(struct ref_probe *p, SSL *ssl)
{
	uint8_t u, s, m;
	const unsigned char *d;
	size_t dlen;
	int depth = SSL_get0_dane_authority(ssl, NULL, NULL);

	if (depth >= 0 && SSL_get0_dane_tlsa(ssl, &u, &s, &m, &d, &dlen) >= 0)
		ref_log(p, "matched TLSA %u %u %u at depth %d (%s)", u, s, m,
		    depth, depth == 0 ? "end entity" : "issuer");
	else
		ref_log(p, "no TLSA record matched");
	return depth;
}

/*
 * ref_tls_dane - DANE on ssl: name is the first reference identifier (and
 * a client's SNI), t's usable records are what the peer must match; a
 * record OpenSSL refuses is logged.  How many it took, or -1 when DANE
 * cannot be enabled.
 */
int
ref_tls_dane(struct ref_probe *p, SSL *ssl, const struct ref_target *t,
    const char *name)
{
	int added = 0;

	if (SSL_dane_enable(ssl, name) <= 0)
		return -1;
	for (size_t i = 0; i < t->ntlsa; i++) {
		const struct ref_tlsa *r = &t->tlsa[i];

		if (t->use[i] != REF_TLSA_USE)
			continue;
		if (SSL_dane_tlsa_add(ssl, r->usage, r->selector, r->mtype,
		    r->data, r->len) > 0)
			added++;
		else
			ref_log(p, "OpenSSL refused TLSA %u %u %u", r->usage,
			    r->selector, r->mtype);
	}
	ERR_clear_error();
	return added;
}

/* ref_tls_connect
 - TLS on cn as t's mode requires; 1 authenticated,
 * 0 not authenticated, -1 handshake failed */
int
ref_tls_connect(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, const char *sni)
{
	static const unsigned char alpn[] = "\x0bxmpp-server";
	long vr;
	int added, depth;

	if ((cn->io.ssl = SSL_new(p->c->ssl_ctx)) == NULL ||
	    SSL_set_fd(cn->io.ssl, cn->io.fd) != 1)
		goto err;
	if (p->proto == PROTO_XMPPS &&
	    SSL_set_alpn_protos(cn->io.ssl, alpn, sizeof(alpn) - 1) != 0)
		goto err;
	SSL_set_hostflags(cn->io.ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (t->mode == MODE_DANE) {
		/* Sets SNI and the first reference identifier. */
		if ((added = ref_tls_dane(p, cn->io.ssl, t, sni)) < 0)
			goto err;
		if (added == 0) {
			/* Never happens when refclient_tlsa_usable agrees
			 * with OpenSSL; without records OpenSSL would fall
			 * back to PKIX, so refuse instead. */
			ref_giveup(p, "internal: OpenSSL accepted none of the "
			    "usable TLSA records");
			return -1;
		}
	} else if (SSL_set_tlsext_host_name(cn->io.ssl, sni) != 1) {
		goto err;
	}
	if (t->mode == MODE_PKIX && SSL_set1_host(cn->io.ssl, sni) != 1)
		goto err;
	for (int i = 0; t->mode != MODE_OPPORTUNISTIC &&
	    t->mode != MODE_TLS_NOAUTH && t->refids[i] != NULL; i++)
		if (SSL_add1_host(cn->io.ssl, t->refids[i]) != 1)
			goto err;
	if (netio_handshake(&cn->io, 0) != 0) {
		char eb[256];

		netio_tls_why(eb, sizeof(eb));
		ref_giveup(p, "TLS handshake with %s[%s]:%d failed: %s",
		    p->r->host, p->r->addr, p->r->port, eb);
		return -1;
	}
	ref_log(p, "TLS %s %s, SNI %s", SSL_get_version(cn->io.ssl),
	    SSL_get_cipher_name(cn->io.ssl), sni);
	if (p->proto == PROTO_XMPPS) {
		const unsigned char *sel;
		unsigned sellen;

		SSL_get0_alpn_selected(cn->io.ssl, &sel, &sellen);
		ref_log(p, "ALPN %.*s", (int)sellen, sellen ?
		    (const char *)sel : "(none)");
	}
	vr = SSL_get_verify_result(cn->io.ssl);
	ref_log(p, "verify result %ld: %s", vr,
	    X509_verify_cert_error_string(vr));
	if (t->mode == MODE_DANE) {
		depth = ref_tls_dane_match(p, cn->io.ssl);
		if (SSL_get0_peername(cn->io.ssl) != NULL)
			ref_log(p, "peer name matched: %s",
			    SSL_get0_peername(cn->io.ssl));
		return vr == X509_V_OK && depth >= 0;
	}
	if (t->mode == MODE_PKIX)
		return vr == X509_V_OK &&
		    SSL_get0_peer_certificate(cn->io.ssl) != NULL;
	return 0;
err:
	ERR_clear_error();
	ref_giveup(p, "internal: cannot set up TLS");
	return -1;
}

/* ref_tls_judge - after the handshake: may the client go on?  Sets *out. */
int
ref_tls_judge(struct ref_probe *p, const struct ref_target *t, int auth,
    enum outcome *out)
{
	if (auth > 0) {
		*out = OUTCOME_AUTHENTICATED;
		ref_log(p, "peer authenticated (%s)", t->mode == MODE_DANE ?
		    "DANE" : "PKIX");
		return 1;
	}
	if (t->mode == MODE_DANE || t->mode == MODE_PKIX) {
		ref_giveup(p, "%s[%s]:%d: %s authentication failed: not going "
		    "on (%s)", p->r->host, p->r->addr, p->r->port,
		    t->mode == MODE_DANE ? "DANE" : "PKIX (no PKIX trust "
		    "store in the lab)", t->mode == MODE_PKIX ?
		    "mandatory policy" : p->proto == PROTO_SMTP ||
		    p->proto == PROTO_SMTPS ? "RFC 7672 3.2" : "RFC 7671 4.1");
		return 0;
	}
	*out = OUTCOME_ENCRYPTED;
	ref_log(p, "peer not authenticated; going on encrypted (%s)",
	    ref_mode_names[t->mode]);
	return 1;
}
