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
	struct zone_tree *tree;			/* signed by plan_build */
	struct plan_host *hosts;
	size_t nhosts;
};

/*
 * plan_build - build and sign the zones of every scenario of cat with
 * the committed keys of keydir, the chains of profile p.  Errors are
 * reported as "file:line: message"; returns NULL if there was any.
 * extra generated zones (benchmarks) may be added with extra > 0.
 */
struct plan *plan_build(const struct scn_catalogue *cat,
    struct pki_profile *p, const char *keydir);

/* plan_free - release the plan and its tree; returns NULL */
struct plan *plan_free(struct plan *pl);

/* plan_domain - "<id>.example." of a scenario; caller frees */
char *plan_domain(const struct scenario *s);

#endif
