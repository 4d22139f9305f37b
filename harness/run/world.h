/*
 * world.h - everything one lab serves: the scenario catalogue, the PKI
 * profile, the plan (hosts, chains) and the signed zone tree, with the
 * built-in zones of demo.c beside the scenarios' zones.
 */
#ifndef DANELAB_WORLD_H
#define DANELAB_WORLD_H

#include <regex.h>

#include "initiator.h"
#include "pki.h"
#include "plan.h"
#include "scenario.h"
#include "zone.h"

struct world {
	struct scn_catalogue cat;
	struct pki_profile *profile;
	struct plan *plan;
	struct zone_tree *tree;
	double load_s, plan_s, sign_s;	/* timings, for benchmarks */
};

/* How far world_load goes. */
enum world_stage {
	WORLD_PARSE,		/* catalogue parsed and linted */
	WORLD_SIGNED		/* zones built, TLSA computed, signed */
};

/*
 * world_load - parse the scenarios of paths (npaths of them; none: the
 * data directory's scenarios/, unless no_default), with the profile
 * $DANELAB_PROFILE or certs/profile, and go as far as stage.  extra
 * generated zones are added for benchmarks.  Every error is printed as
 * "file:line: message"; *errors counts them.  Returns NULL on any error.
 */
struct world *world_load(char *const *paths, int npaths, int no_default,
    enum world_stage stage, int extra, int *errors);

/*
 * world_select - keep only the scenarios whose id matches re (if not
 * NULL) and, with shard_n > 1, those of shard shard_i (1..shard_n: every
 * shard_n-th scenario in catalogue order).  Before world_build.
 */
void world_select(struct world *w, const regex_t *re, int shard_i,
    int shard_n);

/*
 * world_build - add the built-in and extra zones and every scenario's
 * zones, and sign; 0, or -1 after "file:line: message" lines.
 */
int world_build(struct world *w, int extra);

/*
 * world_initiate - the lab connects to addr:port (numeric IPv4) as the
 * server of scenario i's domain (xmpp-in: initiator.h), presenting its
 * client chain (w built: world_build), to the XMPP domain to, within
 * deadline_ms.  Fills *ir (no-connect with the reason when scenario i
 * has no client chain); the caller frees ir->transcript.
 */
void world_initiate(const struct world *w, size_t i, const char *addr,
    int port, const char *to, int deadline_ms, struct initiator_result *ir);

/* world_origin - the connecting domain of scenario s for xmpp-in: its
 * domain without the trailing dot; caller frees */
char *world_origin(const struct scenario *s);

/* world_has_proto - does a scenario of w speak protocol p? */
int world_has_proto(const struct world *w, enum proto p);

/* world_free - release everything; returns NULL */
struct world *world_free(struct world *w);

#endif
