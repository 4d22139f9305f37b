/*
 * zone.c - the lab's DNS hierarchy, built and signed with libldns.
 *
 * Each zone keeps the records its owner added (SOA and NS come from
 * zone_tree_new and zone_tree_add_child) and, once signed, a flat list of
 * the records it publishes.  zone_tree_sign() builds the children first,
 * so the TLD's delegations carry DS computed from the children's final
 * DNSKEYs, then the TLD, then the root.  Faults are applied to a zone's
 * flat list right after it was signed, from one table of fault kinds.
 * Signatures are Ed25519 with fixed dates, so every run writes the same
 * bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "mem.h"
#include "msg.h"
#include "zone.h"

#define ZONE_TTL		300
#define ZONE_SERIAL		"2026010101"
#define ZONE_KEY_FLAGS		257	/* one CSK per zone */
#define ZONE_UNSUPPORTED_ALG_NUM 253	/* PRIVATEDNS: no validator has it */

/* Children are signed on up to this many threads, when there are many. */
#define ZONE_THREAD_MIN		64
#ifndef ZONE_THREAD_MAX
#define ZONE_THREAD_MAX		8
#endif

/* Dates written by the date faults. */
#define ZONE_EXPIRED_INCEPTION	((uint32_t)946684800)	/* 2000-01-01 */
#define ZONE_EXPIRED_EXPIRATION	((uint32_t)978307200)	/* 2001-01-01 */
#define ZONE_FUTURE_INCEPTION	((uint32_t)3155760000u)	/* 2070-01-01 */
#define ZONE_FUTURE_EXPIRATION	((uint32_t)3439756800u)	/* 2079-01-01 */

/* The key files under keydir, one per level. */
#define ZONE_KEY_ROOT	"test-only-root.private"
#define ZONE_KEY_TLD	"test-only-tld.private"
#define ZONE_KEY_CHILD	"test-only-child.private"

struct zone_fault_kind;

/* One fault to apply to an RRset when the zone is signed. */
struct zone_fault {
	const struct zone_fault_kind *kind;
	ldns_rdf *owner;		/* absolute */
	ldns_rr_type type;
};

struct zone {
	struct zone_tree *tree;		/* back pointer, borrowed */
	struct zone *parent;		/* NULL for the root */
	char *name;			/* "foo.example." */
	char *file;			/* "foo.example.zone" */
	ldns_rdf *origin;
	enum zone_delegation delegation;
	ldns_key_list *keys;		/* borrowed from the tree */
	ldns_key_list *signing;		/* keys in use while being built */
	ldns_rr_list *rrs;		/* records as added, unsigned */
	struct zone_fault *faults;
	size_t nfaults;
	ldns_rr_list *out;		/* published records, after signing */
	ldns_rr *dnskey;		/* published DNSKEY, after signing */
};

struct zone_tree {
	ldns_key_list *root_keys;
	ldns_key_list *tld_keys;
	ldns_key_list *child_keys;
	ldns_rr *root_rr, *tld_rr, *child_rr;	/* their DNSKEYs, ownerless */
	char *keydir;
	char *tld;			/* "example." */
	char *ns_addr;
	char *lame_addr;
	time_t inception;
	time_t expiration;
	struct zone **zones;		/* root, TLD, children in order */
	size_t nzones;
	struct zone **served;		/* the zones NSD serves */
	size_t nserved;
	char *trust_anchor;
	char *root_dnskey;
};

/* A way of breaking an RRset's signature; apply returns 0, or -1 if absent. */
struct zone_fault_kind {
	const char *name;
	int (*apply)(struct zone *z, const struct zone_fault *f);
	const char *what;		/* what was missing, for the message */
};

static int zone_fault_corrupt(struct zone *, const struct zone_fault *);
static int zone_fault_missing(struct zone *, const struct zone_fault *);
static int zone_fault_expired(struct zone *, const struct zone_fault *);
static int zone_fault_future(struct zone *, const struct zone_fault *);
static int zone_fault_nsec(struct zone *, const struct zone_fault *);

static const struct zone_fault_kind zone_fault_kinds[] = {
	{ "corrupt-rrsig", zone_fault_corrupt, "RRSIG over" },
	{ "missing-rrsig", zone_fault_missing, "RRSIG over" },
	{ "expired-rrsig", zone_fault_expired, "signed RRset" },
	{ "future-rrsig", zone_fault_future, "signed RRset" },
	{ "broken-nsec", zone_fault_nsec, "signed NSEC covering" },
};
#define ZONE_NFAULT_KINDS (sizeof(zone_fault_kinds) / sizeof(zone_fault_kinds[0]))

/* zone_label_ok - whether s is one plain DNS label (LDH and underscore) */
static int
zone_label_ok(const char *s, size_t len)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* zone_load_keys - read one private key file into a one-key list */
static ldns_key_list *
zone_load_keys(const char *keydir, const char *file)
{
	char *path = xasprintf("%s/%s", keydir, file);
	ldns_key_list *keys = NULL;
	ldns_key *key = NULL;
	ldns_status st;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		msg_warn("open %s: %s", path, strerror(errno));
		goto cleanup;
	}
	st = ldns_key_new_frm_fp(&key, fp);
	fclose(fp);
	if (st != LDNS_STATUS_OK) {
		msg_warn("%s: %s", path, ldns_get_errorstr_by_id(st));
		goto cleanup;
	}
	ldns_key_set_flags(key, ZONE_KEY_FLAGS);
	keys = ldns_key_list_new();
	ldns_key_list_push_key(keys, key);
cleanup:
	free(path);
	return keys;
}

/* zone_rr - parse a record the code itself composes; failure is a bug */
static ldns_rr *
zone_rr(const ldns_rdf *origin, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static ldns_rr *
zone_rr(const ldns_rdf *origin, const char *fmt, ...)
{
	ldns_rr *rr = NULL;
	ldns_status st;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		msg_fatal(EXIT_ENV, "out of memory");
	va_end(ap);
	st = ldns_rr_new_frm_str(&rr, text, ZONE_TTL, (ldns_rdf *)origin,
	    NULL);
	if (st != LDNS_STATUS_OK)
		msg_panic("zone_rr: \"%s\": %s", text,
		    ldns_get_errorstr_by_id(st));
	free(text);
	return rr;
}

/* zone_new - a zone with its SOA and apex NS, not yet in the tree */
static struct zone *
zone_new(struct zone_tree *t, const char *name, enum zone_delegation d,
    ldns_key_list *keys, struct zone *parent)
{
	struct zone *z = xcalloc(1, sizeof(*z));
	size_t len = strlen(name);

	z->tree = t;
	z->parent = parent;
	z->name = xstrdup(name);
	if (strcmp(name, ".") == 0)
		z->file = xstrdup("root.zone");
	else
		z->file = xasprintf("%.*szone", (int)len, name);
	if (ldns_str2rdf_dname(&z->origin, name) != LDNS_STATUS_OK)
		msg_panic("zone_new: bad name %s", name);
	z->delegation = d;
	z->keys = keys;
	z->rrs = ldns_rr_list_new();
	ldns_rr_list_push_rr(z->rrs, zone_rr(z->origin,
	    "@ IN SOA ns.nic.%s hostmaster.nic.%s " ZONE_SERIAL
	    " 3600 900 604800 300", t->tld, t->tld));
	ldns_rr_list_push_rr(z->rrs, zone_rr(z->origin, "@ IN NS ns.nic.%s",
	    t->tld));
	return z;
}

/* zone_free - release one zone */
static void
zone_free(struct zone *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->file);
	ldns_rdf_deep_free(z->origin);
	ldns_rr_list_deep_free(z->rrs);
	ldns_rr_list_deep_free(z->out);
	ldns_rr_free(z->dnskey);
	for (size_t i = 0; i < z->nfaults; i++)
		ldns_rdf_deep_free(z->faults[i].owner);
	free(z->faults);
	free(z);
}

/* zone_tree_push - append a zone to the tree (and to the served list) */
static void
zone_tree_push(struct zone_tree *t, struct zone *z)
{
	if ((t->nzones & (t->nzones - 1)) == 0) {
		size_t cap = t->nzones ? 2 * t->nzones : 4;

		t->zones = xrealloc(t->zones, cap * sizeof(*t->zones));
		t->served = xrealloc(t->served, cap * sizeof(*t->served));
	}
	t->zones[t->nzones++] = z;
	if (zone_served(z))
		t->served[t->nserved++] = z;
}

struct zone_tree *
zone_tree_new(const char *keydir, const char *tld, const char *ns_addr,
    const char *lame_addr, time_t inception, time_t expiration)
{
	struct zone_tree *t = xcalloc(1, sizeof(*t));
	size_t len = strlen(tld);
	struct zone *root;
	struct zone *top;

	if (len > 0 && tld[len - 1] == '.')
		len--;
	if (!zone_label_ok(tld, len)) {
		msg_warn("bad top-level domain \"%s\"", tld);
		goto fail;
	}
	t->tld = xasprintf("%.*s.", (int)len, tld);
	t->keydir = xstrdup(keydir);
	t->ns_addr = xstrdup(ns_addr);
	t->lame_addr = xstrdup(lame_addr);
	t->inception = inception;
	t->expiration = expiration;
	if ((t->root_keys = zone_load_keys(keydir, ZONE_KEY_ROOT)) == NULL ||
	    (t->tld_keys = zone_load_keys(keydir, ZONE_KEY_TLD)) == NULL ||
	    (t->child_keys = zone_load_keys(keydir, ZONE_KEY_CHILD)) == NULL)
		goto fail;
	/* Each key's DNSKEY once: OpenSSL 3.0 encodes a public key slowly,
	 * and every zone would otherwise encode its key four times. */
	t->root_rr = ldns_key2rr(ldns_key_list_key(t->root_keys, 0));
	t->tld_rr = ldns_key2rr(ldns_key_list_key(t->tld_keys, 0));
	t->child_rr = ldns_key2rr(ldns_key_list_key(t->child_keys, 0));
	if (t->root_rr == NULL || t->tld_rr == NULL || t->child_rr == NULL) {
		msg_warn("cannot make the DNSKEY records of the keys in %s",
		    keydir);
		goto fail;
	}

	root = zone_new(t, ".", ZONE_SECURE, t->root_keys, NULL);
	zone_tree_push(t, root);
	top = zone_new(t, t->tld, ZONE_SECURE, t->tld_keys, root);
	zone_tree_push(t, top);

	/* The server's address, as glue in the root and data in the TLD. */
	ldns_rr_list_push_rr(root->rrs, zone_rr(root->origin,
	    "%s IN NS ns.nic.%s", t->tld, t->tld));
	ldns_rr_list_push_rr(root->rrs, zone_rr(root->origin,
	    "ns.nic.%s IN A %s", t->tld, ns_addr));
	ldns_rr_list_push_rr(top->rrs, zone_rr(top->origin,
	    "ns.nic.%s IN A %s", t->tld, ns_addr));
	return t;

fail:
	return zone_tree_free(t);
}

struct zone_tree *
zone_tree_free(struct zone_tree *t)
{
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < t->nzones; i++)
		zone_free(t->zones[i]);
	free(t->zones);
	free(t->served);
	if (t->root_keys)
		ldns_key_list_free(t->root_keys);
	if (t->tld_keys)
		ldns_key_list_free(t->tld_keys);
	if (t->child_keys)
		ldns_key_list_free(t->child_keys);
	ldns_rr_free(t->root_rr);
	ldns_rr_free(t->tld_rr);
	ldns_rr_free(t->child_rr);
	free(t->keydir);
	free(t->tld);
	free(t->ns_addr);
	free(t->lame_addr);
	free(t->trust_anchor);
	free(t->root_dnskey);
	free(t);
	return NULL;
}

struct zone *
zone_tree_add_child(struct zone_tree *t, const char *label,
    enum zone_delegation d)
{
	struct zone *z;
	char *name;

	if (!zone_label_ok(label, strlen(label))) {
		msg_warn("bad child zone label \"%s\"", label);
		return NULL;
	}
	name = xasprintf("%s.%s", label, t->tld);
	if (zone_tree_find(t, name) != NULL || strcasecmp(label, "nic") == 0) {
		msg_warn("child zone %s already exists", name);
		free(name);
		return NULL;
	}
	z = zone_new(t, name, d, t->child_keys, t->zones[1]);
	free(name);
	zone_tree_push(t, z);
	return z;
}

struct zone *
zone_tree_root(struct zone_tree *t)
{
	return t->zones[0];
}

struct zone *
zone_tree_tld(struct zone_tree *t)
{
	return t->zones[1];
}

struct zone *
zone_tree_find(struct zone_tree *t, const char *origin)
{
	size_t len = strlen(origin);

	if (len > 1 && origin[len - 1] == '.')
		len--;
	for (size_t i = 0; i < t->nzones; i++) {
		const char *n = t->zones[i]->name;

		if (strncasecmp(n, origin, len) == 0 &&
		    (n[len] == 0 || (n[len] == '.' && n[len + 1] == 0)))
			return t->zones[i];
	}
	return NULL;
}

/* zone_owner - parse an owner relative to the zone ("@", "www", "a.b.") */
static ldns_rdf *
zone_owner(const struct zone *z, const char *owner)
{
	ldns_rdf *d = NULL;

	if (owner == NULL || strcmp(owner, "@") == 0 || *owner == 0)
		return ldns_rdf_clone(z->origin);
	if (ldns_str2rdf_dname(&d, owner) != LDNS_STATUS_OK)
		return NULL;
	if (owner[strlen(owner) - 1] != '.' &&
	    ldns_dname_cat(d, z->origin) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(d);
		return NULL;
	}
	return d;
}

const char *
zone_add_rr(struct zone *z, const char *text)
{
	ldns_rr *rr = NULL;
	ldns_status st;

	st = ldns_rr_new_frm_str(&rr, text, ZONE_TTL, z->origin, NULL);
	if (st != LDNS_STATUS_OK)
		return ldns_get_errorstr_by_id(st);
	if (!ldns_dname_is_subdomain(ldns_rr_owner(rr), z->origin) &&
	    ldns_dname_compare(ldns_rr_owner(rr), z->origin) != 0) {
		ldns_rr_free(rr);
		return "owner name is outside the zone";
	}
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		ldns_rr_free(rr);
		return "only class IN is served";
	}
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
	case LDNS_RR_TYPE_NSEC3PARAM:
		ldns_rr_free(rr);
		return "SOA, RRSIG and NSEC records are made by the signer";
	default:
		break;
	}
	ldns_rr_list_push_rr(z->rrs, rr);
	return NULL;
}

const char *
zone_add_fault(struct zone *z, const char *fault, const char *owner,
    const char *type)
{
	const struct zone_fault_kind *kind = NULL;
	ldns_rr_type rtype = LDNS_RR_TYPE_NSEC;
	struct zone *target = z;
	struct zone_fault *f;
	ldns_rdf *name;

	for (size_t i = 0; i < ZONE_NFAULT_KINDS; i++)
		if (strcmp(zone_fault_kinds[i].name, fault) == 0)
			kind = &zone_fault_kinds[i];
	if (kind == NULL)
		return "unknown fault";
	if (kind->apply != zone_fault_nsec) {
		if (type == NULL || *type == 0)
			return "fault needs an RR type";
		rtype = ldns_get_rr_type_by_name(type);
		if (rtype == 0)
			return "unknown RR type";
		if (rtype == LDNS_RR_TYPE_RRSIG)
			return "faults apply to the RRset an RRSIG covers";
	}
	if (rtype == LDNS_RR_TYPE_DNSKEY)
		owner = "@";
	if ((name = zone_owner(z, owner)) == NULL)
		return "bad owner name";
	if (rtype == LDNS_RR_TYPE_DS &&
	    ldns_dname_compare(name, z->origin) == 0) {
		if (z->parent == NULL) {
			ldns_rdf_deep_free(name);
			return "the root has no parent to hold its DS";
		}
		target = z->parent;
	}
	target->faults = xrealloc(target->faults,
	    (target->nfaults + 1) * sizeof(*target->faults));
	f = &target->faults[target->nfaults++];
	f->kind = kind;
	f->owner = name;
	f->type = rtype;
	return NULL;
}

const char *const *
zone_fault_names(void)
{
	static const char *names[ZONE_NFAULT_KINDS + 1];

	if (names[0] == NULL)
		for (size_t i = 0; i < ZONE_NFAULT_KINDS; i++)
			names[i] = zone_fault_kinds[i].name;
	return names;
}

/* zone_sig_covers - whether rr is an RRSIG over the RRset (owner, type) */
static int
zone_sig_covers(const ldns_rr *rr, const ldns_rdf *owner, ldns_rr_type type)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
	    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type &&
	    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

/* zone_replace_sigs - swap the RRSIGs over (owner, type) for sigs (taken) */
static int
zone_replace_sigs(struct zone *z, const ldns_rdf *owner, ldns_rr_type type,
    ldns_rr_list *sigs)
{
	ldns_rr_list *out = ldns_rr_list_new();
	int found = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(z->out); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->out, i);

		if (!zone_sig_covers(rr, owner, type)) {
			ldns_rr_list_push_rr(out, rr);
			continue;
		}
		if (!found && sigs != NULL)
			for (size_t j = 0; j < ldns_rr_list_rr_count(sigs); j++)
				ldns_rr_list_push_rr(out,
				    ldns_rr_list_rr(sigs, j));
		found = 1;
		ldns_rr_free(rr);
	}
	ldns_rr_list_free(z->out);
	z->out = out;
	if (sigs != NULL) {
		if (!found)
			ldns_rr_list_deep_free(sigs);
		else
			ldns_rr_list_free(sigs);
	}
	return found ? 0 : -1;
}

/* zone_flip_sigs - flip bits in the signatures over (owner, type) */
static int
zone_flip_sigs(struct zone *z, const ldns_rdf *owner, ldns_rr_type type)
{
	int found = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(z->out); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->out, i);
		ldns_rdf *sig;

		if (!zone_sig_covers(rr, owner, type))
			continue;
		sig = ldns_rr_rrsig_sig(rr);
		ldns_rdf_data(sig)[ldns_rdf_size(sig) / 2] ^= 0x5a;
		found = 1;
	}
	return found ? 0 : -1;
}

/* zone_key_tpl - the DNSKEY of z's key, ownerless (borrowed) */
static const ldns_rr *
zone_key_tpl(const struct zone *z)
{
	const struct zone_tree *t = z->tree;

	if (z->keys == t->root_keys)
		return t->root_rr;
	if (z->keys == t->tld_keys)
		return t->tld_rr;
	if (z->keys != t->child_keys)
		msg_panic("zone %s: a key that is not the tree's", z->name);
	return t->child_rr;
}

/* zone_key_rr - the DNSKEY of z's key, owned by z (caller frees) */
static ldns_rr *
zone_key_rr(const struct zone *z)
{
	ldns_rr *rr = ldns_rr_clone(zone_key_tpl(z));

	if (ldns_rr_owner(rr) != NULL)
		ldns_rdf_deep_free(ldns_rr_owner(rr));
	ldns_rr_set_owner(rr, ldns_rdf_clone(z->origin));
	return rr;
}

/* zone_key_prepare - point a key at this zone and the dates given */
static ldns_key *
zone_key_prepare(struct zone *z, ldns_key_list *keys, uint32_t inception,
    uint32_t expiration)
{
	ldns_key *key = ldns_key_list_key(keys, 0);

	if (ldns_key_pubkey_owner(key) != NULL)
		ldns_rdf_deep_free(ldns_key_pubkey_owner(key));
	ldns_key_set_pubkey_owner(key, ldns_rdf_clone(z->origin));
	ldns_key_set_inception(key, inception);
	ldns_key_set_expiration(key, expiration);
	ldns_key_set_use(key, 1);
	ldns_key_set_keytag(key, ldns_calc_keytag(zone_key_tpl(z)));
	return key;
}

/* zone_resign - sign (owner, type) again with the dates given */
static int
zone_resign(struct zone *z, const struct zone_fault *f, uint32_t inception,
    uint32_t expiration)
{
	ldns_rr_list *rrset = ldns_rr_list_new();
	ldns_rr_list *sigs = NULL;
	int signed_before = 0;
	int ret = -1;

	for (size_t i = 0; i < ldns_rr_list_rr_count(z->out); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->out, i);

		if (zone_sig_covers(rr, f->owner, f->type))
			signed_before = 1;
		else if (ldns_rr_get_type(rr) == f->type &&
		    ldns_dname_compare(ldns_rr_owner(rr), f->owner) == 0)
			ldns_rr_list_push_rr(rrset, rr);
	}
	if (!signed_before || ldns_rr_list_rr_count(rrset) == 0)
		goto cleanup;
	zone_key_prepare(z, z->signing, inception, expiration);
	if ((sigs = ldns_sign_public(rrset, z->signing)) == NULL)
		msg_panic("zone %s: re-signing failed", z->name);
	ret = zone_replace_sigs(z, f->owner, f->type, sigs);
	zone_key_prepare(z, z->signing, (uint32_t)z->tree->inception,
	    (uint32_t)z->tree->expiration);
cleanup:
	ldns_rr_list_free(rrset);
	return ret;
}

/* zone_fault_corrupt - flip bits in the RRSIG over the RRset */
static int
zone_fault_corrupt(struct zone *z, const struct zone_fault *f)
{
	return zone_flip_sigs(z, f->owner, f->type);
}

/* zone_fault_missing - remove the RRSIG over the RRset */
static int
zone_fault_missing(struct zone *z, const struct zone_fault *f)
{
	return zone_replace_sigs(z, f->owner, f->type, NULL);
}

/* zone_fault_expired - sign the RRset for 2000-01-01 to 2001-01-01 */
static int
zone_fault_expired(struct zone *z, const struct zone_fault *f)
{
	return zone_resign(z, f, ZONE_EXPIRED_INCEPTION,
	    ZONE_EXPIRED_EXPIRATION);
}

/* zone_fault_future - sign the RRset for 2070-01-01 to 2079-01-01 */
static int
zone_fault_future(struct zone *z, const struct zone_fault *f)
{
	return zone_resign(z, f, ZONE_FUTURE_INCEPTION,
	    ZONE_FUTURE_EXPIRATION);
}

/*
 * zone_fault_nsec - make bogus (corrupt the RRSIG of) the NSEC that
 * denies something at the owner: the NSEC at the owner if it exists
 * (NODATA), else the one whose span covers it (NXDOMAIN).
 */
/* zone_nsec_pred - the owner of the NSEC of z at name, or of the one
 * whose span covers it (canonical order), or NULL */
static const ldns_rdf *
zone_nsec_pred(const struct zone *z, const ldns_rdf *name)
{
	const ldns_rdf *best = NULL;

	for (size_t i = 0; z->out && i < ldns_rr_list_rr_count(z->out); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->out, i);
		const ldns_rdf *o = ldns_rr_owner(rr);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC &&
		    ldns_dname_compare(o, name) <= 0 &&
		    (best == NULL || ldns_dname_compare(o, best) > 0))
			best = o;
	}
	return best;
}

static int
zone_fault_nsec(struct zone *z, const struct zone_fault *f)
{
	const ldns_rdf *best;

	if (ldns_dname_compare(f->owner, z->origin) != 0 &&
	    !ldns_dname_is_subdomain(f->owner, z->origin))
		return -1;
	best = zone_nsec_pred(z, f->owner);
	return best ? zone_flip_sigs(z, best, LDNS_RR_TYPE_NSEC) : -1;
}

/* zone_flatten_rrs - append clones of a dnssec_rrs chain to list */
static void
zone_flatten_rrs(ldns_rr_list *list, const ldns_dnssec_rrs *rrs)
{
	for (; rrs != NULL; rrs = rrs->next)
		ldns_rr_list_push_rr(list, ldns_rr_clone(rrs->rr));
}

/* zone_flatten - the zone's records in canonical order, SOA first */
static ldns_rr_list *
zone_flatten(const ldns_dnssec_zone *dz)
{
	ldns_rr_list *head = ldns_rr_list_new();
	ldns_rr_list *body = ldns_rr_list_new();
	ldns_rbnode_t *node;

	for (node = ldns_rbtree_first(dz->names); node != LDNS_RBTREE_NULL;
	    node = ldns_rbtree_next(node)) {
		const ldns_dnssec_name *name = node->data;
		const ldns_dnssec_rrsets *s;

		for (s = name->rrsets; s != NULL; s = s->next) {
			ldns_rr_list *to = s->type == LDNS_RR_TYPE_SOA ?
			    head : body;

			zone_flatten_rrs(to, s->rrs);
			zone_flatten_rrs(to, s->signatures);
		}
		if (name->nsec != NULL)
			ldns_rr_list_push_rr(body, ldns_rr_clone(name->nsec));
		zone_flatten_rrs(body, name->nsec_signatures);
	}
	ldns_rr_list_push_rr_list(head, body);
	ldns_rr_list_free(body);
	return head;
}

/* zone_add_clone - add a copy of rr to the dnssec zone */
static int
zone_add_clone(struct zone *z, ldns_dnssec_zone *dz, const ldns_rr *rr)
{
	ldns_rr *copy = ldns_rr_clone(rr);
	ldns_status st;

	if ((st = ldns_dnssec_zone_add_rr(dz, copy)) != LDNS_STATUS_OK) {
		char *text = ldns_rr2str(rr);

		msg_warn("zone %s: cannot add %s: %s", z->name,
		    text ? text : "record", ldns_get_errorstr_by_id(st));
		free(text);
		ldns_rr_free(copy);
		return -1;
	}
	return 0;
}

/* zone_unsupported_alg - relabel the keys and signatures with alg 253 */
static void
zone_unsupported_alg(struct zone *z)
{
	uint16_t tag = ldns_calc_keytag(z->dnskey);

	for (size_t i = 0; i < ldns_rr_list_rr_count(z->out); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->out, i);
		uint8_t *d;

		switch (ldns_rr_get_type(rr)) {
		case LDNS_RR_TYPE_DNSKEY:
			ldns_rdf_data(ldns_rr_rdf(rr, 2))[0] =
			    ZONE_UNSUPPORTED_ALG_NUM;
			break;
		case LDNS_RR_TYPE_RRSIG:
			ldns_rdf_data(ldns_rr_rdf(rr, 1))[0] =
			    ZONE_UNSUPPORTED_ALG_NUM;
			d = ldns_rdf_data(ldns_rr_rdf(rr, 6));
			d[0] = (uint8_t)(tag >> 8);
			d[1] = (uint8_t)tag;
			break;
		default:
			break;
		}
	}
}

/*
 * zone_build - sign z with its records plus extra (borrowed), then apply
 * its faults.  keys are the zone's keys or a private copy of them (for a
 * worker thread), since signing sets the key's owner and dates.
 */
static int
zone_build(struct zone *z, const ldns_rr_list *extra, ldns_key_list *keys)
{
	ldns_dnssec_zone *dz = ldns_dnssec_zone_new();
	ldns_rr_list *new_rrs = NULL;
	ldns_status st;
	int ret = -1;

	z->signing = keys;
	ldns_rr_list_deep_free(z->out);
	z->out = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++)
		if (zone_add_clone(z, dz, ldns_rr_list_rr(z->rrs, i)) < 0)
			goto cleanup;
	for (size_t i = 0; extra && i < ldns_rr_list_rr_count(extra); i++)
		if (zone_add_clone(z, dz, ldns_rr_list_rr(extra, i)) < 0)
			goto cleanup;
	if (z->delegation != ZONE_INSECURE) {
		ldns_rr *dnskey = zone_key_rr(z);

		zone_key_prepare(z, keys, (uint32_t)z->tree->inception,
		    (uint32_t)z->tree->expiration);

		ldns_rr_set_ttl(dnskey, ZONE_TTL);
		if (ldns_dnssec_zone_add_rr(dz, dnskey) != LDNS_STATUS_OK)
			msg_panic("zone %s: cannot add DNSKEY", z->name);
		new_rrs = ldns_rr_list_new();
		st = ldns_dnssec_zone_sign(dz, new_rrs, keys,
		    ldns_dnssec_default_replace_signatures, NULL);
		if (st != LDNS_STATUS_OK) {
			msg_warn("zone %s: signing failed: %s", z->name,
			    ldns_get_errorstr_by_id(st));
			goto cleanup;
		}
	}
	z->out = zone_flatten(dz);
	for (size_t i = 0; i < z->nfaults; i++) {
		const struct zone_fault *f = &z->faults[i];

		if (f->kind->apply(z, f) < 0) {
			char *owner = ldns_rdf2str(f->owner);
			char *type = ldns_rr_type2str(f->type);

			msg_warn("zone %s: fault %s: no %s %s %s", z->name,
			    f->kind->name, f->kind->what, owner, type);
			free(owner);
			free(type);
			goto cleanup;
		}
	}
	if (z->delegation == ZONE_UNSUPPORTED_ALG)
		zone_unsupported_alg(z);
	ret = 0;
cleanup:
	if (new_rrs)
		ldns_rr_list_free(new_rrs);
	ldns_dnssec_zone_deep_free(dz);
	z->signing = NULL;
	return ret;
}

/* zone_ds - the DS the parent publishes for signed zone z; caller frees */
static ldns_rr *
zone_ds(const struct zone *z)
{
	ldns_rr *ds = ldns_key_rr2ds(z->dnskey, LDNS_SHA256);
	ldns_rdf *digest;

	if (ds == NULL)
		msg_panic("zone %s: cannot compute DS", z->name);
	ldns_rr_set_ttl(ds, ZONE_TTL);
	if (z->delegation == ZONE_DS_MISMATCH) {
		digest = ldns_rr_rdf(ds, 3);
		ldns_rdf_data(digest)[0] ^= 0xff;
	}
	return ds;
}

/* zone_dnskey - the DNSKEY z will publish (relabelled if unsupported) */
static ldns_rr *
zone_dnskey(struct zone *z)
{
	ldns_rr *rr = zone_key_rr(z);

	ldns_rr_set_ttl(rr, ZONE_TTL);
	if (z->delegation == ZONE_UNSUPPORTED_ALG)
		ldns_rdf_data(ldns_rr_rdf(rr, 2))[0] = ZONE_UNSUPPORTED_ALG_NUM;
	return rr;
}

/*
 * The zones to build, shared by the signing threads.  Once every
 * DNSKEY is known the zones no longer depend on each other, so job 0 is
 * the TLD (the biggest), job 1 the root, job j >= 2 child zones[j].
 */
struct zone_pool {
	struct zone_tree *tree;
	const ldns_rr_list *tld_extra;	/* delegations to the children */
	const ldns_rr_list *root_extra;	/* DS of the TLD */
	pthread_mutex_t lock;
	size_t next;			/* next job to hand out */
	int status;			/* 0, or -1 once a zone failed */
};

/* One signing thread, with its own copy of the shared child key. */
struct zone_worker {
	struct zone_pool *pool;
	ldns_key_list *child_keys;
	pthread_t thread;
};

/* zone_worker_run - build zones until none is left */
static void *
zone_worker_run(void *arg)
{
	struct zone_worker *w = arg;
	struct zone_pool *p = w->pool;
	struct zone_tree *t = p->tree;

	for (;;) {
		size_t j;
		int r;

		pthread_mutex_lock(&p->lock);
		j = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (j >= t->nzones)
			break;
		if (j == 0)
			r = zone_build(t->zones[1], p->tld_extra, t->tld_keys);
		else if (j == 1)
			r = zone_build(t->zones[0], p->root_extra,
			    t->root_keys);
		else
			r = zone_build(t->zones[j], NULL, w->child_keys);
		if (r < 0) {
			pthread_mutex_lock(&p->lock);
			p->status = -1;
			pthread_mutex_unlock(&p->lock);
		}
	}
	return NULL;
}

/*
 * zone_tree_build_all - sign every zone, on all CPUs when there are many
 * (Ed25519 signing is most of the cost).  The output does not depend on
 * the number of threads.
 */
static int
zone_tree_build_all(struct zone_tree *t, const ldns_rr_list *tld_extra,
    const ldns_rr_list *root_extra)
{
	struct zone_pool pool = { .tree = t, .tld_extra = tld_extra,
	    .root_extra = root_extra };
	struct zone_worker *w;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = 1;
	size_t k;

	if (t->nzones > ZONE_THREAD_MIN && ncpu > 1)
		nthreads = ncpu > ZONE_THREAD_MAX ? ZONE_THREAD_MAX :
		    (size_t)ncpu;
	pthread_mutex_init(&pool.lock, NULL);
	w = xcalloc(nthreads, sizeof(*w));
	for (k = 0; k < nthreads; k++) {
		w[k].pool = &pool;
		w[k].child_keys = k == 0 ? t->child_keys :
		    zone_load_keys(t->keydir, ZONE_KEY_CHILD);
		if (w[k].child_keys == NULL)
			break;
	}
	if (k < nthreads) {
		pool.status = -1;
		nthreads = k;
		goto cleanup;
	}
	for (k = 1; k < nthreads; k++)
		if (pthread_create(&w[k].thread, NULL, zone_worker_run,
		    &w[k]) != 0)
			msg_fatal(EXIT_ENV, "cannot start a signing thread");
	zone_worker_run(&w[0]);
	for (k = 1; k < nthreads; k++)
		pthread_join(w[k].thread, NULL);
cleanup:
	for (k = 1; k < nthreads; k++)
		ldns_key_list_free(w[k].child_keys);
	free(w);
	pthread_mutex_destroy(&pool.lock);
	return pool.status;
}

int
zone_tree_sign(struct zone_tree *t)
{
	struct zone *top = t->zones[1];
	ldns_rr_list *tld_extra = ldns_rr_list_new();
	ldns_rr_list *root_extra = ldns_rr_list_new();
	ldns_rr_list *anchor = ldns_rr_list_new();
	int lame = 0;
	int ret = -1;

	free(t->trust_anchor);
	free(t->root_dnskey);
	t->trust_anchor = t->root_dnskey = NULL;

	/* Every DNSKEY first: the delegations need them. */
	for (size_t i = 0; i < t->nzones; i++) {
		struct zone *z = t->zones[i];

		ldns_rr_free(z->dnskey);
		z->dnskey = NULL;
		if (z->delegation != ZONE_INSECURE)
			z->dnskey = zone_dnskey(z);
	}
	for (size_t i = 2; i < t->nzones; i++) {
		struct zone *z = t->zones[i];

		if (z->delegation == ZONE_LAME) {
			ldns_rr_list_push_rr(tld_extra, zone_rr(z->origin,
			    "@ IN NS ns-lame.nic.%s", t->tld));
			lame = 1;
		} else {
			ldns_rr_list_push_rr(tld_extra, zone_rr(z->origin,
			    "@ IN NS ns.nic.%s", t->tld));
		}
		if (z->delegation != ZONE_INSECURE)
			ldns_rr_list_push_rr(tld_extra, zone_ds(z));
	}
	if (lame)
		ldns_rr_list_push_rr(tld_extra, zone_rr(top->origin,
		    "ns-lame.nic.%s IN A %s", t->tld, t->lame_addr));
	ldns_rr_list_push_rr(root_extra, zone_ds(top));

	if (zone_tree_build_all(t, tld_extra, root_extra) < 0)
		goto cleanup;

	ldns_rr_list_push_rr(anchor, zone_ds(t->zones[0]));
	t->trust_anchor = ldns_rr_list2str(anchor);
	t->root_dnskey = ldns_rr2str(t->zones[0]->dnskey);
	if (t->trust_anchor == NULL || t->root_dnskey == NULL)
		msg_fatal(EXIT_ENV, "out of memory");
	ret = 0;
cleanup:
	ldns_rr_list_deep_free(tld_extra);
	ldns_rr_list_deep_free(root_extra);
	ldns_rr_list_deep_free(anchor);
	return ret;
}

/* zone_print_rr - print rr in presentation form, or in RFC 3597 generic
 * form ("\# LEN HEX") when its rdata has fewer fields than its type needs
 * or an empty field (a 3-byte TLSA record): ldns prints those as text
 * that NSD rejects */
static void
zone_print_rr(FILE *fp, const ldns_rr *rr)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(ldns_rr_get_type(rr));
	int generic = d != NULL && ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(d);
	ldns_buffer *b;
	char *owner, *type;

	for (size_t i = 0; !generic && i < ldns_rr_rd_count(rr); i++)
		generic = ldns_rdf_size(ldns_rr_rdf(rr, i)) == 0;
	if (!generic || (b = ldns_buffer_new(LDNS_MAX_PACKETLEN)) == NULL) {
		ldns_rr_print(fp, rr);
		return;
	}
	(void)ldns_rr_rdata2buffer_wire(b, rr);
	owner = ldns_rdf2str(ldns_rr_owner(rr));
	type = ldns_rr_type2str(ldns_rr_get_type(rr));
	fprintf(fp, "%s\t%u\tIN\t%s\t\\# %zu ", owner ? owner : ".",
	    (unsigned)ldns_rr_ttl(rr), type ? type : "TYPE0",
	    ldns_buffer_position(b));
	for (size_t i = 0; i < ldns_buffer_position(b); i++)
		fprintf(fp, "%02x", ldns_buffer_at(b, i)[0]);
	fputc('\n', fp);
	free(owner);
	free(type);
	ldns_buffer_free(b);
}

/* zone_write_file - write text or records to path; 0 or -1 */
static int
zone_write_file(const char *path, const ldns_rr_list *rrs, const char *text)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL) {
		msg_warn("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (text != NULL)
		fputs(text, fp);
	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++)
		zone_print_rr(fp, ldns_rr_list_rr(rrs, i));
	if (ferror(fp) | fclose(fp)) {
		msg_warn("write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
zone_tree_write(struct zone_tree *t, const char *dir)
{
	int ret = -1;
	char *path;

	if (t->trust_anchor == NULL) {
		msg_warn("zone tree written before it was signed");
		return -1;
	}
	for (size_t i = 0; i < t->nserved; i++) {
		struct zone *z = t->served[i];

		path = xasprintf("%s/%s", dir, z->file);
		ret = zone_write_file(path, z->out, NULL);
		free(path);
		if (ret < 0)
			return -1;
	}
	path = xasprintf("%s/root.ds", dir);
	ret = zone_write_file(path, NULL, t->trust_anchor);
	free(path);
	return ret;
}

size_t
zone_tree_count(const struct zone_tree *t)
{
	return t->nserved;
}

struct zone *
zone_tree_get(const struct zone_tree *t, size_t i)
{
	return i < t->nserved ? t->served[i] : NULL;
}

const char *
zone_name(const struct zone *z)
{
	return z->name;
}

const char *
zone_file(const struct zone *z)
{
	return z->file;
}

int
zone_served(const struct zone *z)
{
	return z->delegation != ZONE_LAME;
}

enum zone_delegation
zone_delegation_of(const struct zone *z)
{
	return z->delegation;
}

const char *
zone_tree_trust_anchor(const struct zone_tree *t)
{
	return t->trust_anchor;
}

const char *
zone_tree_root_dnskey(const struct zone_tree *t)
{
	return t->root_dnskey;
}

/* ---- what a validator must answer (zone_tree_expect) ---- */

const char *
zone_status_name(enum zone_status s)
{
	static const char *const names[ZONE_STATUS_COUNT] = {
		"secure", "insecure", "secure-denial", "insecure-denial",
		"bogus", "indeterminate"
	};

	return s < ZONE_STATUS_COUNT ? names[s] : "?";
}

/* zone_at - the deepest zone of t holding name (the root at least) */
static const struct zone *
zone_at(const struct zone_tree *t, const ldns_rdf *name)
{
	const struct zone *best = t->zones[0];

	for (size_t i = 1; i < t->nzones; i++) {
		const struct zone *z = t->zones[i];

		if ((ldns_dname_compare(name, z->origin) == 0
		    || ldns_dname_is_subdomain(name, z->origin))
		    && ldns_dname_label_count(z->origin)
		    > ldns_dname_label_count(best->origin))
			best = z;
	}
	return best;
}

/* zone_fault_at - the RRSIG fault of z on (owner, type), or NULL */
static const struct zone_fault *
zone_fault_at(const struct zone *z, const ldns_rdf *owner, ldns_rr_type type)
{
	for (size_t i = 0; i < z->nfaults; i++)
		if (z->faults[i].kind->apply != zone_fault_nsec
		    && z->faults[i].type == type
		    && (type == LDNS_RR_TYPE_DNSKEY
		    || ldns_dname_compare(z->faults[i].owner, owner) == 0))
			return &z->faults[i];
	return NULL;
}

/* zone_broken - why every answer from z is bogus or indeterminate (the
 * status in *st), or NULL when its chain of trust holds or is provably
 * absent (*insecure) */
static const char *
zone_broken(const struct zone *z, enum zone_status *st, int *insecure)
{
	*insecure = z->delegation == ZONE_INSECURE
	    || z->delegation == ZONE_UNSUPPORTED_ALG;
	*st = ZONE_STATUS_BOGUS;
	if (z->delegation == ZONE_LAME) {
		*st = ZONE_STATUS_INDETERMINATE;
		return "is delegated to a server that never answers (lame)";
	}
	if (*insecure)
		return NULL;
	if (z->delegation == ZONE_DS_MISMATCH)
		return "has a DS that matches none of its keys";
	if (z->parent && zone_fault_at(z->parent, z->origin, LDNS_RR_TYPE_DS))
		return "has a DS whose RRSIG is broken in its parent";
	if (zone_fault_at(z, z->origin, LDNS_RR_TYPE_DNSKEY))
		return "has a DNSKEY RRset whose RRSIG is broken";
	return NULL;
}

/* zone_has - does z publish (name, type)?  type 0: any record at or
 * below name (the name exists, perhaps as an empty non-terminal) */
static int
zone_has(const struct zone *z, const ldns_rdf *name, ldns_rr_type type)
{
	for (size_t i = 0; z->out && i < ldns_rr_list_rr_count(z->out); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->out, i);
		const ldns_rdf *o = ldns_rr_owner(rr);

		if (type == 0 ? ldns_dname_compare(o, name) == 0
		    || ldns_dname_is_subdomain(o, name)
		    : ldns_rr_get_type(rr) == type
		    && ldns_dname_compare(o, name) == 0)
			return 1;
	}
	return 0;
}

/* zone_rdata_name - the first rdata of (name, type) in z (a CNAME's
 * target), or NULL */
static const ldns_rdf *
zone_rdata_name(const struct zone *z, const ldns_rdf *name, ldns_rr_type type)
{
	for (size_t i = 0; z->out && i < ldns_rr_list_rr_count(z->out); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->out, i);

		if (ldns_rr_get_type(rr) == type
		    && ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			return ldns_rr_rdf(rr, 0);
	}
	return NULL;
}

/* zone_denial_broken - does the denial of name in z need an NSEC that
 * broken-nsec broke?  The NSEC at or covering name, and for NXDOMAIN the
 * one covering the wildcard at the closest encloser. */
static int
zone_denial_broken(const struct zone *z, const ldns_rdf *name, int nx)
{
	const ldns_rdf *need[2] = { zone_nsec_pred(z, name), NULL };
	ldns_rdf *ce = ldns_dname_clone_from(name, 0), *wild = NULL;
	int broken = 0;

	while (nx && ce && ldns_dname_label_count(ce) > 0 && !zone_has(z, ce, 0)) {
		ldns_rdf *up = ldns_dname_left_chop(ce);

		ldns_rdf_deep_free(ce);
		ce = up;
	}
	if (nx && ce && (wild = ldns_dname_new_frm_str("*")) != NULL
	    && ldns_dname_cat(wild, ce) == LDNS_STATUS_OK)
		need[1] = zone_nsec_pred(z, wild);
	for (size_t i = 0; i < z->nfaults && !broken; i++) {
		const ldns_rdf *hit;

		if (z->faults[i].kind->apply != zone_fault_nsec)
			continue;
		hit = zone_nsec_pred(z, z->faults[i].owner);
		for (int k = 0; k < 2 && hit; k++)
			broken |= need[k] && ldns_dname_compare(need[k], hit) == 0;
	}
	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(wild);
	return broken;
}

/* zone_expect_name - zone_tree_expect for a parsed name, following at
 * most depth more CNAMEs */
static void
zone_expect_name(const struct zone_tree *t, const ldns_rdf *name,
    ldns_rr_type type, struct zone_expect *e, int depth)
{
	const struct zone *z = zone_at(t, name);
	char *qn = ldns_rdf2str(name);
	const ldns_rdf *target;
	const char *broken;
	enum zone_status st;
	int insecure;

	e->nxdomain = 0;
	if ((broken = zone_broken(z, &st, &insecure)) != NULL) {
		e->status = st;
		snprintf(e->why, sizeof(e->why), "zone %s %s", z->name, broken);
	} else if (zone_has(z, name, type) || type == LDNS_RR_TYPE_CNAME
	    || (target = zone_rdata_name(z, name, LDNS_RR_TYPE_CNAME)) == NULL
	    || depth == 0) {
		int have = zone_has(z, name, type);

		e->nxdomain = !have && !zone_has(z, name, 0);
		e->status = have ? (insecure ? ZONE_STATUS_INSECURE
		    : ZONE_STATUS_SECURE) : insecure
		    ? ZONE_STATUS_INSECURE_DENIAL : ZONE_STATUS_SECURE_DENIAL;
		snprintf(e->why, sizeof(e->why), "%s in %s zone %s",
		    have ? "published" : e->nxdomain ? "no such name"
		    : "no such type", insecure ? "insecure" : "signed", z->name);
		if (!insecure && have && zone_fault_at(z, name, type)) {
			char *ts = ldns_rr_type2str(type);

			e->status = ZONE_STATUS_BOGUS;
			snprintf(e->why, sizeof(e->why), "%s on %s %s",
			    zone_fault_at(z, name, type)->kind->name,
			    ts ? ts : "?", qn);
			free(ts);
		} else if (!insecure && !have
		    && zone_denial_broken(z, name, e->nxdomain)) {
			e->status = ZONE_STATUS_BOGUS;
			snprintf(e->why, sizeof(e->why), "broken-nsec: the "
			    "denial of %s in %s needs a broken NSEC", qn,
			    z->name);
		}
	} else if (!insecure && zone_fault_at(z, name, LDNS_RR_TYPE_CNAME)) {
		e->status = ZONE_STATUS_BOGUS;
		snprintf(e->why, sizeof(e->why), "%s on CNAME %s",
		    zone_fault_at(z, name, LDNS_RR_TYPE_CNAME)->kind->name, qn);
	} else {
		char *tn = ldns_rdf2str(target);

		zone_expect_name(t, target, type, e, depth - 1);
		if (insecure && e->status == ZONE_STATUS_SECURE)
			e->status = ZONE_STATUS_INSECURE;
		if (insecure && e->status == ZONE_STATUS_SECURE_DENIAL)
			e->status = ZONE_STATUS_INSECURE_DENIAL;
		{
			char *why = xasprintf("CNAME %s in %s zone %s; %s",
			    tn ? tn : "?", insecure ? "insecure" : "signed",
			    z->name, e->why);
			size_t n = strlen(why);

			if (n >= sizeof(e->why))
				n = sizeof(e->why) - 1;
			memcpy(e->why, why, n);
			e->why[n] = 0;
			free(why);
		}
		free(tn);
	}
	free(qn);
}

int
zone_tree_expect(const struct zone_tree *t, const char *qname,
    const char *qtype, struct zone_expect *e)
{
	ldns_rr_type type = ldns_get_rr_type_by_name(qtype);
	ldns_rdf *name = NULL;

	memset(e, 0, sizeof(*e));
	if (type == 0 || ldns_str2rdf_dname(&name, qname) != LDNS_STATUS_OK)
		return -1;
	ldns_dname2canonical(name);
	zone_expect_name(t, name, type, e, 8);
	ldns_rdf_deep_free(name);
	return 0;
}

char *
zone_rrsets(const struct zone *z)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		char *o, *ts, *line;

		if (type == LDNS_RR_TYPE_SOA || type == LDNS_RR_TYPE_NS
		    || type == LDNS_RR_TYPE_DNSKEY || type == LDNS_RR_TYPE_DS)
			continue;
		o = ldns_rdf2str(ldns_rr_owner(rr));
		ts = ldns_rr_type2str(type);
		line = xasprintf("\n%s %s\n", o ? o : "?", ts ? ts : "?");
		/* b starts with a newline: a whole line is "\nOWNER TYPE\n" */
		if (b.data == NULL || strstr(b.data, line) == NULL)
			buf_printf(&b, "%s", b.data ? line + 1 : line);
		free(line);
		free(o);
		free(ts);
	}
	if (b.data == NULL)
		return xstrdup("");
	memmove(b.data, b.data + 1, strlen(b.data));
	return b.data;
}
