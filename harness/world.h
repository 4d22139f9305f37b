/*
 * world.h - everything one lab serves: the scenario catalogue, the PKI
 * profile, the plan (hosts, chains) and the signed zone tree, with the
 * built-in zones of demo.c beside the scenarios' zones.
 */
#ifndef DANELAB_WORLD_H
#define DANELAB_WORLD_H

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

/* world_free - release everything; returns NULL */
struct world *world_free(struct world *w);

#endif
