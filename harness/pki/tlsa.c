/*
 * tlsa.c - TLSA rdata from certificates, keys and spec strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "mem.h"
#include "msg.h"
#include "tlsa.h"

#define TLSA_SPEC_WORDS	6	/* U S M FROM FAULT, and one to spare */

static const char *const tlsa_fault_names[] = {
	[TLSA_FAULT_NONE] = "",
	[TLSA_FAULT_CORRUPT] = "corrupt",
	[TLSA_FAULT_TRUNCATED] = "truncated",
	[TLSA_FAULT_OVERLONG] = "overlong",
	[TLSA_FAULT_SELECTOR_SWAPPED] = "selector-swapped",
};

const char *
tlsa_fault_name(enum tlsa_fault f)
{
	return (unsigned)f < sizeof(tlsa_fault_names) /
	    sizeof(tlsa_fault_names[0]) ? tlsa_fault_names[f] : "?";
}

int
tlsa_fault_parse(const char *s)
{
	for (size_t i = 1; i < sizeof(tlsa_fault_names) /
	    sizeof(tlsa_fault_names[0]); i++)
		if (strcmp(s, tlsa_fault_names[i]) == 0)
			return (int)i;
	return -1;
}

/* tlsa_make - digest (or copy) the selected DER and apply the fault */
static struct tlsa_rdata *
tlsa_make(const unsigned char *der, int derlen, int usage, int selector,
    int mtype, enum tlsa_fault fault)
{
	struct tlsa_rdata *r = xcalloc(1, sizeof(*r));
	const EVP_MD *md = mtype == 0 ? NULL : mtype == 2 ? EVP_sha512() :
	    EVP_sha256();
	unsigned int mdlen;

	r->usage = (uint8_t)usage;
	r->selector = (uint8_t)selector;
	r->mtype = (uint8_t)mtype;
	r->data = xmalloc((size_t)derlen + EVP_MAX_MD_SIZE + 1);
	if (md == NULL) {
		memcpy(r->data, der, derlen);
		r->len = (size_t)derlen;
	} else {
		if (!EVP_Digest(der, derlen, r->data, &mdlen, md, NULL)) {
			msg_warn("TLSA digest failed");
			return tlsa_free(r);
		}
		r->len = mdlen;
	}
	switch (fault) {
	case TLSA_FAULT_CORRUPT:
		r->data[r->len - 1] ^= 1;
		break;
	case TLSA_FAULT_TRUNCATED:
		r->len--;
		break;
	case TLSA_FAULT_OVERLONG:
		r->data[r->len++] = 0;
		break;
	case TLSA_FAULT_NONE:
	case TLSA_FAULT_SELECTOR_SWAPPED:	/* done by the caller */
		break;
	}
	return r;
}

/* tlsa_data_selector - the selector whose data goes into the record */
static int
tlsa_data_selector(int selector, enum tlsa_fault fault)
{
	int s = selector == 0 ? 0 : 1;

	if (fault == TLSA_FAULT_SELECTOR_SWAPPED)
		s = !s;
	return s;
}

/* tlsa_check_args - 1 if usage, selector and mtype fit in a byte */
static int
tlsa_check_args(int usage, int selector, int mtype)
{
	return usage >= 0 && usage <= 255 && selector >= 0 &&
	    selector <= 255 && mtype >= 0 && mtype <= 255;
}

struct tlsa_rdata *
tlsa_from_cert(X509 *x, int usage, int selector, int mtype,
    enum tlsa_fault fault)
{
	unsigned char *der = NULL;
	int len;
	struct tlsa_rdata *r;

	if (!tlsa_check_args(usage, selector, mtype))
		msg_panic("tlsa_from_cert: %d %d %d", usage, selector, mtype);
	if (tlsa_data_selector(selector, fault) == 0)
		len = i2d_X509(x, &der);
	else
		len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0) {
		msg_warn("cannot encode certificate for TLSA");
		ERR_clear_error();
		return NULL;
	}
	r = tlsa_make(der, len, usage, selector, mtype, fault);
	OPENSSL_free(der);
	return r;
}

struct tlsa_rdata *
tlsa_from_key(EVP_PKEY *k, int usage, int selector, int mtype,
    enum tlsa_fault fault, char **err)
{
	unsigned char *der = NULL;
	int len;
	struct tlsa_rdata *r;

	if (!tlsa_check_args(usage, selector, mtype))
		msg_panic("tlsa_from_key: %d %d %d", usage, selector, mtype);
	if (tlsa_data_selector(selector, fault) == 0) {
		if (err)
			*err = xstrdup("a bare key has no certificate for "
			    "selector 0 data");
		return NULL;
	}
	if ((len = i2d_PUBKEY(k, &der)) <= 0) {
		if (err)
			*err = xstrdup("cannot encode the public key");
		ERR_clear_error();
		return NULL;
	}
	r = tlsa_make(der, len, usage, selector, mtype, fault);
	OPENSSL_free(der);
	return r;
}

struct tlsa_rdata *
tlsa_free(struct tlsa_rdata *r)
{
	if (r == NULL)
		return NULL;
	free(r->data);
	free(r);
	return NULL;
}

/* tlsa_parse_byte - a decimal 0-255, or -1 */
static int
tlsa_parse_byte(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || v > 255 ? -1 : (int)v;
}

/* tlsa_spec_depth - the depth FROM names in chain c, or -1 if not a depth */
static int
tlsa_spec_depth(const char *from, const struct pki_chain *c, char **err)
{
	int n = pki_chain_path_count(c);
	int d;

	if (strcmp(from, "leaf") == 0)
		d = 0;
	else if (strcmp(from, "int") == 0)
		d = 1;
	else if (strcmp(from, "root") == 0)
		d = n - 1;
	else if (strncmp(from, "depth:", 6) == 0) {
		if ((d = tlsa_parse_byte(from + 6)) < 0) {
			*err = xasprintf("bad depth \"%s\"", from);
			return -2;
		}
	} else
		return -1;
	if (d >= n) {
		*err = xasprintf("chain \"%s\" has no \"%s\" (its path has %d "
		    "certificate%s)", pki_chain_name(c), from, n,
		    n == 1 ? "" : "s");
		return -2;
	}
	return d;
}

struct tlsa_rdata *
tlsa_from_spec(const char *spec, struct pki_profile *p,
    const struct pki_chain *c, const struct pki_names *names, char **err)
{
	char *copy = xstrdup(spec);
	char *w[TLSA_SPEC_WORDS];
	int n = 0, u, s, m, d, fault = TLSA_FAULT_NONE;
	const char *from, *name;
	struct tlsa_rdata *r = NULL;
	X509 *x = NULL;
	EVP_PKEY *k;

	*err = NULL;
	for (char *t = strtok(copy, " \t"); t; t = strtok(NULL, " \t")) {
		if (n == TLSA_SPEC_WORDS)
			break;
		w[n++] = t;
	}
	if (n < 4 || n > 5) {
		*err = xasprintf("TLSA spec \"%s\": want \"USAGE SELECTOR "
		    "MTYPE FROM [FAULT]\"", spec);
		goto cleanup;
	}
	if ((u = tlsa_parse_byte(w[0])) < 0 || (s = tlsa_parse_byte(w[1])) < 0 ||
	    (m = tlsa_parse_byte(w[2])) < 0) {
		*err = xasprintf("TLSA spec \"%s\": usage, selector and "
		    "matching type must be numbers 0-255", spec);
		goto cleanup;
	}
	if (n == 5 && (fault = tlsa_fault_parse(w[4])) < 0) {
		*err = xasprintf("TLSA spec \"%s\": unknown fault \"%s\" (known: "
		    "corrupt, truncated, overlong, selector-swapped)", spec,
		    w[4]);
		goto cleanup;
	}
	from = w[3];
	if (c == NULL && (strcmp(from, "leaf") == 0 ||
	    strcmp(from, "int") == 0 || strcmp(from, "root") == 0 ||
	    strncmp(from, "depth:", 6) == 0)) {
		*err = xasprintf("TLSA spec \"%s\": \"%s\" needs a chain",
		    spec, from);
		goto cleanup;
	}
	if (c != NULL) {
		if ((d = tlsa_spec_depth(from, c, err)) == -2)
			goto cleanup;
		if (d >= 0) {
			r = tlsa_from_cert(pki_chain_get0_path(c, d), u, s, m,
			    (enum tlsa_fault)fault);
			if (r == NULL)
				*err = xstrdup("cannot compute TLSA data");
			goto cleanup;
		}
	}
	name = from;
	if (strncmp(from, "cert:", 5) == 0 || strncmp(from, "key:", 4) == 0)
		name = strchr(from, ':') + 1;
	if (strncmp(from, "key:", 4) != 0 &&
	    (x = pki_profile_get1_cert(p, name, names)) != NULL) {
		r = tlsa_from_cert(x, u, s, m, (enum tlsa_fault)fault);
		if (r == NULL)
			*err = xstrdup("cannot compute TLSA data");
	} else if (strncmp(from, "cert:", 5) != 0 &&
	    (k = pki_profile_get0_key(p, name)) != NULL) {
		if ((r = tlsa_from_key(k, u, s, m, (enum tlsa_fault)fault,
		    err)) == NULL) {
			char *e = *err;

			*err = xasprintf("TLSA spec \"%s\": %s", spec, e);
			free(e);
		}
	} else {
		*err = xasprintf("TLSA spec \"%s\": \"%s\" is no depth (leaf, "
		    "int, root, depth:N)%s, certificate or key of %s", spec,
		    from, c ? "" : " (no chain given)", pki_profile_path(p));
	}

cleanup:
	X509_free(x);
	free(copy);
	return r;
}

char *
tlsa_to_text(const struct tlsa_rdata *r)
{
	static const char hex[] = "0123456789ABCDEF";
	char *t = xmalloc(16 + 2 * r->len);
	int n = snprintf(t, 16, "%u %u %u ", r->usage, r->selector, r->mtype);

	for (size_t i = 0; i < r->len; i++) {
		t[n++] = hex[r->data[i] >> 4];
		t[n++] = hex[r->data[i] & 15];
	}
	t[n] = 0;
	return t;
}

ldns_rr *
tlsa_to_rr(const struct tlsa_rdata *r, const char *owner, uint32_t ttl)
{
	ldns_rr *rr = NULL;
	ldns_rdf *dname = NULL, *rdf;
	int ok = 0;

	if (ldns_str2rdf_dname(&dname, owner) != LDNS_STATUS_OK) {
		msg_warn("bad TLSA owner name \"%s\"", owner);
		return NULL;
	}
	if ((rr = ldns_rr_new()) == NULL)
		goto cleanup;
	ldns_rr_set_owner(rr, dname);
	dname = NULL;
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TLSA);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	if ((rdf = ldns_native2rdf_int8(LDNS_RDF_TYPE_CERTIFICATE_USAGE,
	    r->usage)) == NULL || !ldns_rr_push_rdf(rr, rdf))
		goto cleanup;
	if ((rdf = ldns_native2rdf_int8(LDNS_RDF_TYPE_SELECTOR,
	    r->selector)) == NULL || !ldns_rr_push_rdf(rr, rdf))
		goto cleanup;
	if ((rdf = ldns_native2rdf_int8(LDNS_RDF_TYPE_MATCHING_TYPE,
	    r->mtype)) == NULL || !ldns_rr_push_rdf(rr, rdf))
		goto cleanup;
	if ((rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_HEX, r->len,
	    r->data)) == NULL || !ldns_rr_push_rdf(rr, rdf))
		goto cleanup;
	ok = 1;

cleanup:
	ldns_rdf_deep_free(dname);
	if (!ok) {
		msg_warn("cannot build TLSA record at %s", owner);
		ldns_rr_free(rr);
		rr = NULL;
	}
	return rr;
}

int
tlsa_to_wire(const struct tlsa_rdata *r, uint8_t **wire, size_t *len)
{
	ldns_rr *rr = tlsa_to_rr(r, ".", 0);
	ldns_buffer *b = NULL;
	int ok = 0;

	if (rr == NULL)
		return -1;
	if ((b = ldns_buffer_new(r->len + 16)) == NULL ||
	    ldns_rr_rdata2buffer_wire(b, rr) != LDNS_STATUS_OK)
		goto cleanup;
	*len = ldns_buffer_position(b);
	*wire = xmalloc(*len);
	memcpy(*wire, ldns_buffer_begin(b), *len);
	ok = 1;

cleanup:
	ldns_buffer_free(b);
	ldns_rr_free(rr);
	if (!ok)
		msg_warn("cannot encode TLSA rdata");
	return ok ? 0 : -1;
}

int
tlsa_format(struct buf *out, struct pki_profile *p, const char *chain,
    const struct pki_names *names, const char *const *specs,
    const char *owner, uint32_t ttl)
{
	struct pki_chain *c = pki_chain_new(p, chain, names);
	char *name = pki_names_subst(p, names, owner);
	struct buf b = { 0 };
	int ok = 0;

	if (c == NULL)
		goto cleanup;
	for (int i = 0; specs[i] != NULL; i++) {
		char *err = NULL, *text;
		struct tlsa_rdata *r = tlsa_from_spec(specs[i], p, c, names,
		    &err);
		ldns_rr *rr;

		if (r == NULL) {
			msg_warn("chain \"%s\": %s", chain, err);
			free(err);
			goto cleanup;
		}
		rr = tlsa_to_rr(r, name, ttl);
		r = tlsa_free(r);
		if (rr == NULL)
			goto cleanup;
		text = ldns_rr2str(rr);
		ldns_rr_free(rr);
		if (text == NULL)
			msg_fatal(EXIT_ENV, "out of memory");
		text[strcspn(text, "\n")] = 0;
		buf_printf(&b, "%s ; %s: %s\n", text, chain, specs[i]);
		free(text);
	}
	buf_append(out, b.data ? b.data : "", b.len);
	ok = 1;

cleanup:
	buf_free(&b);
	free(name);
	pki_chain_free(c);
	return ok ? 0 : -1;
}
