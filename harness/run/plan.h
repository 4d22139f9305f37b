/*
 * plan.h - from expanded scenarios to what the lab serves: one child
 * zone (or more) per scenario under the lab TLD, its records, TLSA
 * records computed from the chain each host serves, DNSSEC faults, and
 * the hosts with their addresses and chains, for the endpoints.
 *
 * Addresses: host number n (from 1, in catalogue order) gets
 * 127.(1 + n / 65536).(n / 256 % 256).(n % 256); 127.0.0.0/24 is the
 * lab's own (resolver, NSD, lame).
 */
#ifndef DANELAB_PLAN_H
#define DANELAB_PLAN_H

#include "pki.h"
#include "scenario.h"
#include "zone.h"

#define PLAN_TLD	"example."

/* One scenario host: where it is and what it serves. */
struct plan_host {
	const struct scenario *scenario;	/* borrowed from the catalogue */
	const struct scn_host *host;		/* borrowed */
	char *fqdn;				/* "mx1.<id>.example." */
	char addr[16];				/* "127.1.0.5" */
	struct pki_chain *chain;		/* owned */
};

struct plan {
	struct zone_tree *tree;			/* borrowed */
	struct plan_host *hosts;
	size_t nhosts;
	struct pki_chain **clients;	/* per scenario (catalogue order):
					 * the chain the lab presents for
					 * xmpp-in, or NULL; owned */
	size_t nclients;
	struct plan_ahead *ahead;	/* while plan_build runs: the chains
					 * built ahead (plan.c) */
};

/*
 * plan_build - add the zones, records, TLSA and faults of every scenario
 * of cat to the tree t (not yet signed; the caller signs it), with the
 * chains of profile p.  Errors go out through msg_input() as
 * "file:line: message"; returns NULL if there was any.
 */
struct plan *plan_build(const struct scn_catalogue *cat,
    struct pki_profile *p, struct zone_tree *t);

/* One RRset a validator is asked about, and what it must answer. */
struct plan_rrset {
	char *name;			/* absolute */
	char *type;			/* "TLSA" */
	struct zone_expect expect;	/* zone_tree_expect */
};

/*
 * plan_rrsets - every RRset of scenario s worth asking a validator, in
 * the signed tree of pl: MX or SRV at its domain (by its protocols), the
 * records of its zones, A and TLSA (at the port of each protocol) at each
 * host, and the RRsets its faults name, each with what zone_tree_expect
 * says it must validate as.  Derived from the model, never written by
 * hand.  *n of them; free with plan_rrsets_free.
 */
struct plan_rrset *plan_rrsets(const struct plan *pl, const struct scenario *s,
    size_t *n);
void plan_rrsets_free(struct plan_rrset *v, size_t n);

/* plan_free - release the plan (not the tree); returns NULL */
struct plan *plan_free(struct plan *pl);

/* plan_domain - "<id>.example." of a scenario; caller frees */
char *plan_domain(const struct scenario *s);

/*
 * plan_checks_new - what the scenario lint (scn_catalogue_lint) asks of
 * the profile p (borrowed; it must outlive the checks): that each chain
 * exists, and that each TLSA spec can be computed from its chain, built
 * once per chain name with the profile's default names, so the plan
 * finds no error there that the lint could have found.
 * plan_checks_free releases them and returns NULL.
 */
struct scn_checks *plan_checks_new(struct pki_profile *p);
struct scn_checks *plan_checks_free(struct scn_checks *c);

#endif
