/* world.c - catalogue, profile, plan and zones of one lab */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "demo.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "template.h"
#include "world.h"

struct world *
world_load(char *const *paths, int npaths, int no_default,
    enum world_stage stage, int extra, int *errors)
{
	struct world *w = xcalloc(1, sizeof(*w));
	struct scn_checks *checks;
	unsigned before;
	const char *prof = getenv("DANELAB_PROFILE");
	char *path;
	double t0 = clock_s();

	*errors = 0;
	path = prof && *prof ? xstrdup(prof)
	    : xasprintf("%s/certs/profile", template_datadir());
	w->profile = pki_profile_load(path);
	free(path);
	if (w->profile == NULL) {
		(*errors)++;
		return world_free(w);
	}
	/* Chains and TLSA specs are checked with the syntax: every error of
	 * a file in one pass (scn_catalogue_lint). */
	checks = plan_checks_new(w->profile);
	if (npaths == 0 && !no_default) {
		path = xasprintf("%s/scenarios", template_datadir());
		*errors += scn_catalogue_lint(&w->cat, path, checks);
		free(path);
	}
	for (int i = 0; i < npaths; i++)
		*errors += scn_catalogue_lint(&w->cat, paths[i], checks);
	*errors += scn_catalogue_check(&w->cat);
	plan_checks_free(checks);
	w->load_s = clock_s() - t0;
	if (*errors)
		return world_free(w);
	before = msg_input_count;
	if (stage == WORLD_SIGNED && world_build(w, extra) != 0) {
		/* as many errors as the plan reported, at least one */
		*errors += msg_input_count > before ? (int)(msg_input_count - before) : 1;
		return world_free(w);
	}
	return w;
}

void
world_select(struct world *w, const regex_t *re, int shard_i, int shard_n)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->cat.n; i++) {
		struct scenario *s = w->cat.list[i];
		int keep = (re == NULL || regexec(re, s->id, 0, NULL, 0) == 0)
		    && (shard_n <= 1 || (int)(i % shard_n) == shard_i - 1);

		if (keep)
			w->cat.list[kept++] = s;
		else
			scn_scenario_free(s);
	}
	w->cat.n = kept;
}

int
world_build(struct world *w, int extra)
{
	double t0 = clock_s();

	if ((w->tree = demo_zones(LAB_AUTH_ADDR, LAB_LAME_ADDR, extra)) == NULL
	    || (w->plan = plan_build(&w->cat, w->profile, w->tree)) == NULL)
		return -1;
	w->plan_s = clock_s() - t0;
	clock_phase("plan");
	t0 = clock_s();
	if (zone_tree_sign(w->tree) != 0)
		return -1;
	w->sign_s = clock_s() - t0;
	clock_phase("sign");
	return 0;
}

struct world *
world_free(struct world *w)
{
	if (w == NULL)
		return NULL;
	plan_free(w->plan);
	zone_tree_free(w->tree);
	scn_catalogue_free(&w->cat);
	pki_profile_free(w->profile);
	free(w);
	return NULL;
}

char *
world_origin(const struct scenario *s)
{
	char *d = plan_domain(s);
	size_t n = strlen(d);

	if (n > 1 && d[n - 1] == '.')
		d[n - 1] = 0;
	return d;
}

/* world_client_ctx - a TLS client context presenting scenario i's client
 * chain (xmpp-in), or NULL */
static SSL_CTX *
world_client_ctx(const struct world *w, size_t i)
{
	const struct pki_chain *chain = w->plan && i < w->plan->nclients
	    ? w->plan->clients[i] : NULL;
	SSL_CTX *ctx;

	if (chain == NULL || (ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	if (!pki_chain_use(chain, ctx, NULL)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* The lab does not judge the receiver's certificate. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

void
world_initiate(const struct world *w, size_t i, const char *addr, int port,
    const char *to, int deadline_ms, struct initiator_result *ir)
{
	const struct scenario *s = w->cat.list[i];
	SSL_CTX *ctx = world_client_ctx(w, i);
	char *from = world_origin(s);

	if (ctx == NULL) {
		memset(ir, 0, sizeof(*ir));
		ir->outcome = OUTCOME_NO_CONNECT;
		snprintf(ir->detail, sizeof(ir->detail), "internal: no client "
		    "chain for %s", s->id);
		ir->transcript = xstrdup(ir->detail);
	} else
		initiator_probe(addr, port, from, to, ctx, deadline_ms, ir);
	SSL_CTX_free(ctx);
	free(from);
}

int
world_has_proto(const struct world *w, enum proto p)
{
	for (size_t i = 0; i < w->cat.n; i++)
		if (w->cat.list[i]->protos & (1u << p))
			return 1;
	return 0;
}
