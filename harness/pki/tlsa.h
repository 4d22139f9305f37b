/*
 * tlsa.h - TLSA rdata (RFC 6698) computed from certificates and keys:
 * right, deliberately wrong, or unusable.
 *
 * Any usage, selector and matching type 0-255 may be asked for; values a
 * client does not know (usage 4, 255; selector 2; matching type 3, 255)
 * make unusable records on purpose.  Data for them is computed as if:
 *   selector other than 0 and 1   -> SubjectPublicKeyInfo (as selector 1)
 *   matching type other than 0-2  -> SHA2-256 (as matching type 1)
 * Faults change the data after it is computed (see enum tlsa_fault).
 *
 * Spec strings, as the scenario language writes them after "tlsa":
 *
 *   U S M FROM [FAULT]
 *
 *   U, S, M   decimal 0-255
 *   FROM      leaf            depth 0 of the chain
 *             int             depth 1 (the leaf's issuer)
 *             root            the top of the chain's path (self-signed)
 *             depth:N         depth N of the chain's path
 *             cert:NAME, NAME a certificate template of the profile,
 *                             built with the same names, chain or not
 *             key:NAME, NAME  a key of the profile (selector 1 only),
 *                             e.g. "other-key", a key in no certificate
 *   FAULT     corrupt          last bit of the data flipped
 *             truncated        last byte of the data dropped
 *             overlong         one zero byte appended to the data
 *             selector-swapped data of the other selector (0 <-> 1)
 *
 * Depths refer to the chain's path view (pki.h): the served certificates
 * followed by the unserved issuers up to the root, so "root" works for a
 * chain that omits its root.
 */
#ifndef DANELAB_TLSA_H
#define DANELAB_TLSA_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>
#include <openssl/x509.h>

#include "mem.h"
#include "pki.h"

/* Deliberate damage to a record's data. */
enum tlsa_fault {
	TLSA_FAULT_NONE,
	TLSA_FAULT_CORRUPT,		/* one bit off: the last bit flipped */
	TLSA_FAULT_TRUNCATED,		/* one byte short */
	TLSA_FAULT_OVERLONG,		/* one zero byte too many */
	TLSA_FAULT_SELECTOR_SWAPPED	/* data for the other selector */
};

/* One TLSA record's rdata; data is owned by the struct. */
struct tlsa_rdata {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	unsigned char *data;
	size_t len;
};

/*
 * tlsa_from_cert - the rdata for certificate x (borrowed).  usage,
 * selector, mtype 0-255.  Returns a new record (tlsa_free), or NULL after
 * msg_warn on an OpenSSL failure.
 */
struct tlsa_rdata *tlsa_from_cert(X509 *x, int usage, int selector,
    int mtype, enum tlsa_fault fault);

/*
 * tlsa_from_key - as tlsa_from_cert for a bare public key; a key has no
 * certificate, so selector 0 (or selector-swapped from 1) is refused:
 * returns NULL and, if err is not NULL, sets *err to a message the caller
 * frees.
 */
struct tlsa_rdata *tlsa_from_key(EVP_PKEY *k, int usage, int selector,
    int mtype, enum tlsa_fault fault, char **err);

/*
 * tlsa_from_spec - parse "U S M FROM [FAULT]" (see above) and compute the
 * rdata against chain c (may be NULL if FROM names a cert or key) of
 * profile p, with names for templates outside the chain.  Returns a new
 * record, or NULL with *err set to a message without file or line (the
 * caller adds them and frees *err).
 */
struct tlsa_rdata *tlsa_from_spec(const char *spec, struct pki_profile *p,
    const struct pki_chain *c, const struct pki_names *names, char **err);

/* tlsa_free - release a record; returns NULL */
struct tlsa_rdata *tlsa_free(struct tlsa_rdata *r);

/* tlsa_fault_name - "corrupt", ...; "" for TLSA_FAULT_NONE */
const char *tlsa_fault_name(enum tlsa_fault f);

/* tlsa_fault_parse - the fault named s, or -1 */
int tlsa_fault_parse(const char *s);

/* tlsa_to_text - presentation form "3 1 1 0A1B..." (upper-case hex); caller frees */
char *tlsa_to_text(const struct tlsa_rdata *r);

/*
 * tlsa_to_rr - a TLSA resource record with this rdata at owner (e.g.
 * "_25._tcp.mx1.a.example."), class IN.  Caller frees with ldns_rr_free.
 * NULL after msg_warn if owner is not a domain name.
 */
ldns_rr *tlsa_to_rr(const struct tlsa_rdata *r, const char *owner,
    uint32_t ttl);

/*
 * tlsa_to_wire - the rdata in wire form (usage, selector, mtype, data),
 * as libldns encodes it; *wire is malloc'd, caller frees.  0 or -1.
 */
int tlsa_to_wire(const struct tlsa_rdata *r, uint8_t **wire, size_t *len);

/*
 * tlsa_format - append to out one zone-file line per spec for chain
 * "chain" of p: "OWNER TTL IN TLSA U S M HEX ; chain: spec".  owner may use
 * the profile's variables (e.g. "_25._tcp.$host.").  Nothing is appended
 * unless every spec is good.  Returns 0, or -1 after msg_warn.
 */
int tlsa_format(struct buf *out, struct pki_profile *p, const char *chain,
    const struct pki_names *names, const char *const *specs,
    const char *owner, uint32_t ttl);

#endif
