/*
 * zone.h - the lab's DNS hierarchy, built and signed with libldns.
 *
 * A zone tree is a signed root ".", one TLD (e.g. "example.") and any
 * number of child zones below the TLD.  Every zone is served by the lab's
 * one NSD instance, whose address the tree is given; delegations carry DS
 * records computed from the child's keys, so validation runs down a real
 * chain of trust.  Faults (broken, missing, expired RRSIGs, DS that
 * matches nothing, unsigned delegations, ...) are injected where the
 * caller asks, at signing time.  Signatures use the committed test-only
 * keys under zones/keys/ and explicit inception and expiration times, so
 * the same input gives byte-identical zone files on every run.
 */
#ifndef DANELAB_ZONE_H
#define DANELAB_ZONE_H

#include <stddef.h>
#include <time.h>

struct zone_tree;
struct zone;

/* How a child zone is delegated from its parent. */
enum zone_delegation {
	ZONE_SECURE,		/* signed; parent publishes a matching DS */
	ZONE_INSECURE,		/* unsigned; no DS (provably insecure) */
	ZONE_DS_MISMATCH,	/* signed; parent's DS matches none of its keys */
	ZONE_UNSUPPORTED_ALG,	/* signed only with an algorithm validators lack */
	ZONE_LAME		/* delegated to a server that never answers */
};

/* Default signature validity: fixed dates, so output is reproducible. */
#define ZONE_INCEPTION_DEFAULT	((time_t)1577836800)	/* 2020-01-01 */
#define ZONE_EXPIRATION_DEFAULT	((time_t)3471292800)	/* 2080-01-01 */

/*
 * zone_tree_new - an empty hierarchy: root "." and the TLD, both signed.
 * keydir holds the committed keys; tld is e.g. "example."; ns_addr is the
 * IPv4 address of the lab's authoritative server; lame_addr an address
 * where nothing answers (for ZONE_LAME).  Returns NULL after saying why
 * (unreadable key, bad name).
 */
struct zone_tree *zone_tree_new(const char *keydir, const char *tld,
    const char *ns_addr, const char *lame_addr,
    time_t inception, time_t expiration);

/* zone_tree_free - release the tree and all its zones; returns NULL */
struct zone_tree *zone_tree_free(struct zone_tree *t);

/*
 * zone_tree_add_child - a new child zone "<label>.<tld>" delegated as d.
 * Returns the zone (owned by the tree), or NULL with a message when the
 * label is not a valid DNS label or already exists.
 */
struct zone *zone_tree_add_child(struct zone_tree *t, const char *label,
    enum zone_delegation d);

/* zone_tree_root, zone_tree_tld - the two fixed zones (owned by the tree) */
struct zone *zone_tree_root(struct zone_tree *t);
struct zone *zone_tree_tld(struct zone_tree *t);

/* zone_tree_find - the zone with this origin, or NULL */
struct zone *zone_tree_find(struct zone_tree *t, const char *origin);

/*
 * zone_add_rr - add one record in presentation format ("www A 127.1.0.1",
 * "@ MX 10 mx", ...).  Relative names are relative to the zone origin;
 * the default TTL is 300.  Returns NULL, or a static message saying why
 * the record was refused (the caller adds file and line).
 */
const char *zone_add_rr(struct zone *z, const char *text);

/*
 * zone_add_fault - inject a DNSSEC fault at the RRset (owner, type) of z,
 * applied when the tree is signed.  owner is relative to the origin or
 * absolute; a fault on type DS at the zone apex lands in the parent zone.
 * Fault names are those of zone_fault_names():
 *   corrupt-rrsig	flip bits in the signature of the RRSIG over the RRset
 *   missing-rrsig	remove the RRSIG over the RRset
 *   expired-rrsig	sign the RRset for 2000-01-01 .. 2001-01-01
 *   future-rrsig	sign the RRset for 2070-01-01 .. 2079-01-01
 *   broken-nsec	corrupt the RRSIG of the NSEC at owner (NODATA) or,
 *			if owner does not exist, of the NSEC covering it
 *			(NXDOMAIN); type is ignored and may be NULL
 * A fault on DNSKEY applies at the apex whatever the owner; a fault on DS
 * at the zone apex lands in the parent.  Returns NULL or a static message
 * (unknown fault, bad type).  An owner/type that does not exist (or is
 * not signed, e.g. in an insecure zone) makes zone_tree_sign() fail.
 */
const char *zone_add_fault(struct zone *z, const char *fault,
    const char *owner, const char *type);

/* zone_fault_names - NULL-terminated list of fault names, for --help */
const char *const *zone_fault_names(void);

/*
 * zone_tree_sign - sign every zone bottom-up (children, DS into the TLD,
 * TLD, DS into the root, root), applying faults and NSEC denial.
 * DNSKEYs and DS are computed first, so with many children the zones are
 * signed on several threads (one per CPU, up to 8); the output is the
 * same either way.  Not to be called concurrently on one tree.
 * Returns 0, or -1 after saying why (e.g. a fault on a missing RRset).
 */
int zone_tree_sign(struct zone_tree *t);

/*
 * zone_tree_write - write every zone as "<dir>/<file>" (see zone_file())
 * and the root trust anchor as "<dir>/root.ds".  Returns 0 or -1.
 */
int zone_tree_write(struct zone_tree *t, const char *dir);

/*
 * zone_tree_count, zone_tree_get - iterate over the served zones, root
 * first, then the TLD, then children in the order they were added.
 * ZONE_LAME children are not served (their delegation points at a server
 * that never answers), so they are left out here and not written; they
 * can still be found with zone_tree_find().  zone_tree_get returns NULL
 * when i is out of range.
 */
size_t zone_tree_count(const struct zone_tree *t);
struct zone *zone_tree_get(const struct zone_tree *t, size_t i);

/* zone_served - 1 if NSD serves z (every zone but ZONE_LAME children) */
int zone_served(const struct zone *z);

/* zone_delegation_of - how z is delegated (ZONE_SECURE for root and TLD) */
enum zone_delegation zone_delegation_of(const struct zone *z);

/* zone_name - the origin with trailing dot ("." for the root); borrowed */
const char *zone_name(const struct zone *z);

/* zone_file - the zone's file name relative to the write dir; borrowed */
const char *zone_file(const struct zone *z);

/*
 * zone_tree_trust_anchor - the root's DS record(s) in presentation form,
 * one per line, as Unbound's trust-anchor-file wants; borrowed, valid
 * after zone_tree_sign().
 */
const char *zone_tree_trust_anchor(const struct zone_tree *t);

/* zone_tree_root_dnskey - the root's DNSKEY RRset as text; borrowed */
const char *zone_tree_root_dnskey(const struct zone_tree *t);

/* zone_rrsets - the distinct RRsets added to z (not SOA, NS, DNSKEY or
 * DS), one "OWNER TYPE" line each, in the order added; caller frees */
char *zone_rrsets(const struct zone *z);

/* What a validator must make of one query, from the zones' states and
 * faults (zone_tree_expect). */
enum zone_status {
	ZONE_STATUS_SECURE,		/* the RRset, validated: NOERROR + AD */
	ZONE_STATUS_INSECURE,		/* the RRset, provably unsigned: no AD */
	ZONE_STATUS_SECURE_DENIAL,	/* NODATA or NXDOMAIN, proven: AD */
	ZONE_STATUS_INSECURE_DENIAL,	/* NODATA or NXDOMAIN, unsigned: no AD */
	ZONE_STATUS_BOGUS,		/* fails validation: SERVFAIL */
	ZONE_STATUS_INDETERMINATE,	/* no answer to be had (lame): SERVFAIL */
	ZONE_STATUS_COUNT
};

struct zone_expect {
	enum zone_status status;
	int nxdomain;			/* a denial: the name does not exist */
	char why[256];			/* what in the zones decides it */
};

/* zone_status_name - "secure", "insecure", "secure-denial",
 * "insecure-denial", "bogus", "indeterminate" */
const char *zone_status_name(enum zone_status s);

/*
 * zone_tree_expect - what a validating resolver with the root's DS as
 * its trust anchor must answer for (qname, qtype) in the signed tree t:
 * the zone's delegation (insecure and unsupported-algorithm zones are
 * insecure, a DS mismatch or a fault on the zone's DS or DNSKEY makes
 * every answer bogus, a lame zone indeterminate), a fault on the RRset
 * (bogus), the NSEC records a denial needs (broken-nsec: bogus), and
 * CNAMEs followed (the weakest link decides).  0, or -1 when qname or
 * qtype cannot be parsed.
 */
int zone_tree_expect(const struct zone_tree *t, const char *qname,
    const char *qtype, struct zone_expect *e);

#endif
