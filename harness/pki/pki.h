/*
 * pki.h - crafted keys and certificate chains, built with OpenSSL.
 *
 * A PKI profile (certs/profile, format in certs/README.md) names keys
 * (committed PEM files), certificate templates and chains.  A template
 * fixes everything that goes into a certificate: key, issuer, serial,
 * dates, subject CN, SAN list, CA flag, key identifiers, EKU.  Names in
 * templates may use variables ("$host", "$domain", "$srvtarget", any name
 * declared by a "name" line of the profile); a caller substitutes them per
 * scenario with a struct pki_names.  Issuers sign with RSA PKCS#1 v1.5
 * (SHA-256) or Ed25519, both deterministic, so a template and a name map
 * give the same DER bytes, hence the same TLSA records, on every run.
 *
 * Certificates whose template (and whose issuers' templates) use no
 * variable are built once per profile and cached (under a lock: several
 * threads may build chains of one profile at once); per-scenario leaves
 * cost one signature with a committed key, and a leaf a chain both serves
 * and has on its path is built once.
 *
 * Errors: pki_profile_load() reports "file:line: message" through
 * msg_warn() and returns NULL; the other functions msg_warn() once and
 * return NULL or -1.
 */
#ifndef DANELAB_PKI_H
#define DANELAB_PKI_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

struct pki_profile;
struct pki_names;
struct pki_chain;

/* pki_profile_load - parse and check a profile, load its keys; NULL on error */
struct pki_profile *pki_profile_load(const char *path);

/* pki_profile_free - release a profile and its cache; returns NULL */
struct pki_profile *pki_profile_free(struct pki_profile *p);

/* pki_profile_path - the file the profile was loaded from (borrowed) */
const char *pki_profile_path(const struct pki_profile *p);

/* pki_profile_chain_count, pki_profile_chain_name - the chains, in file order */
int pki_profile_chain_count(const struct pki_profile *p);
const char *pki_profile_chain_name(const struct pki_profile *p, int i);

/* pki_profile_has_chain - 1 if the profile defines a chain of that name */
int pki_profile_has_chain(const struct pki_profile *p, const char *name);

/*
 * pki_profile_get0_key - a key of the profile by its "key" name, or NULL
 * (quietly) if there is none.  Borrowed; lives as long as the profile.
 */
EVP_PKEY *pki_profile_get0_key(const struct pki_profile *p, const char *name);

/*
 * pki_profile_get1_cert - build (or fetch from the cache) the certificate
 * of template "name" with names substituted.  The caller owns the result
 * (X509_free).  NULL if there is no such template (quietly) or on error.
 */
X509 *pki_profile_get1_cert(struct pki_profile *p, const char *name,
    const struct pki_names *names);

/*
 * pki_names_new - an empty name map; names not set in it take the default
 * of the profile's "name" lines.  pki_names_set copies both strings and
 * replaces an earlier value.  pki_names_parse takes "var=value".  Returns
 * 0, or -1 (after msg_warn) on a malformed "var=value".
 */
struct pki_names *pki_names_new(void);
struct pki_names *pki_names_free(struct pki_names *n);
void pki_names_set(struct pki_names *n, const char *var, const char *value);
int pki_names_parse(struct pki_names *n, const char *assignment);

/*
 * pki_names_lookup - the value of var in n, else the profile's default,
 * else NULL.  Borrowed.
 */
const char *pki_names_lookup(const struct pki_profile *p,
    const struct pki_names *n, const char *var);

/*
 * pki_names_subst - s with every $var replaced by its value (n, then the
 * profile's default), one trailing dot of each value dropped, as the
 * profile's names are.  Undeclared variables are left as they are.
 * Caller frees.
 */
char *pki_names_subst(const struct pki_profile *p, const struct pki_names *n,
    const char *s);

/*
 * pki_chain_new - build chain "name" of the profile for this name map
 * (names may be NULL: profile defaults).  NULL after msg_warn if the chain
 * is unknown or a certificate cannot be built.
 *
 * A chain has two views:
 *   served  - the certificates the endpoint sends, leaf first, exactly as
 *             the profile lists them (possibly broken on purpose);
 *   path    - the leaf, then its issuers as the profile defines them, up
 *             to a self-signed certificate; where the served certificate
 *             at the same depth has the issuer's key and subject (a
 *             cross-signed intermediate), that one instead.  This is what
 *             "int", "root" and "depth:N" in a TLSA spec refer to, served
 *             or not: for a chain serving only "leaf root", "int" is
 *             still the leaf's issuer.
 */
struct pki_chain *pki_chain_new(struct pki_profile *p, const char *name,
    const struct pki_names *names);

/* pki_chain_free - release the chain; returns NULL */
struct pki_chain *pki_chain_free(struct pki_chain *c);

/* pki_chain_name - the chain's profile name (borrowed) */
const char *pki_chain_name(const struct pki_chain *c);

/* pki_chain_get0_leaf, pki_chain_get0_key - the leaf and its private key (borrowed) */
X509 *pki_chain_get0_leaf(const struct pki_chain *c);
EVP_PKEY *pki_chain_get0_key(const struct pki_chain *c);

/*
 * pki_chain_get0_extra - the served certificates after the leaf, in order
 * (may be empty; never NULL).  Borrowed: use SSL_CTX_use_cert_and_key(ctx,
 * leaf, key, extra, 1), which takes its own references, or
 * pki_chain_use() below.
 */
STACK_OF(X509) *pki_chain_get0_extra(const struct pki_chain *c);

/* pki_chain_served_count, pki_chain_path_count - sizes of the two views */
int pki_chain_served_count(const struct pki_chain *c);
int pki_chain_path_count(const struct pki_chain *c);

/*
 * pki_chain_get0_path - certificate at depth d of the path view (0 = leaf),
 * or NULL if d is out of range; pki_chain_path_name its template name.
 * Both borrowed.
 */
X509 *pki_chain_get0_path(const struct pki_chain *c, int d);
const char *pki_chain_path_name(const struct pki_chain *c, int d);

/*
 * pki_chain_use - load leaf, key and the rest of the served chain into an
 * SSL_CTX (or, if ssl is not NULL, into that SSL).  Returns 1 or 0 after
 * msg_warn.
 */
int pki_chain_use(const struct pki_chain *c, SSL_CTX *ctx, SSL *ssl);

/*
 * pki_write - write chains as PEM below a new directory outdir, which must
 * not exist yet: outdir/<chain>/chain.pem (served, leaf first),
 * key.pem (leaf private key), <depth>-<template>.pem for each path
 * certificate.  chains is a NULL-terminated list of chain names, or NULL
 * for all.  Everything is built and written in a temporary directory
 * first, then renamed into place: on failure nothing is left behind.
 * Returns 0, or -1 after msg_warn.
 */
int pki_write(struct pki_profile *p, const char *const *chains,
    const struct pki_names *names, const char *outdir);

#endif
