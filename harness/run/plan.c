/* plan.c - scenarios into zones, records, TLSA, faults and hosts */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "plan.h"
#include "tlsa.h"
#include "workers.h"

#define PLAN_THREADS_MAX	16	/* threads building chains ahead */

/* Zone states of the scenario language, as delegations. */
static const enum zone_delegation plan_delegation[SCN_ZONE_STATE_COUNT] = {
	[SCN_ZONE_SECURE] = ZONE_SECURE,
	[SCN_ZONE_INSECURE] = ZONE_INSECURE,
	[SCN_ZONE_DS_MISMATCH] = ZONE_DS_MISMATCH,
	[SCN_ZONE_UNSUPPORTED_ALG] = ZONE_UNSUPPORTED_ALG,
	[SCN_ZONE_LAME] = ZONE_LAME,
};

char *
plan_domain(const struct scenario *s)
{
	return scn_name_abs(s, "@", PLAN_TLD);
}

/* plan_zone - the tree zone holding a scenario-relative name */
static struct zone *
plan_zone(struct zone_tree *t, const struct scenario *s, const char *name)
{
	const struct scn_zone *z = scn_zone_of(s, name);
	struct zone *found;
	char *origin;

	if (z == NULL)
		return NULL;
	origin = scn_zone_origin(s, z, PLAN_TLD);
	found = zone_tree_find(t, origin);
	free(origin);
	return found;
}

/* plan_rr - add "OWNER TYPE RDATA" at a scenario-relative owner; 0, or 1
 * after the error */
static int
plan_rr(struct zone_tree *t, const struct scenario *s, int line,
    const char *owner, const char *type, const char *rdata)
{
	struct zone *z = plan_zone(t, s, owner);
	char *abs = scn_name_abs(s, owner, PLAN_TLD), *text;
	const char *why;

	if (z == NULL) {
		msg_input(s->file, line, "%s is outside the scenario's zones",
		    abs);
		free(abs);
		return 1;
	}
	text = xasprintf("%s %s %s", abs, type, rdata);
	if ((why = zone_add_rr(z, text)) != NULL)
		msg_input(s->file, line, "\"%s\": %s", text, why);
	free(abs);
	free(text);
	return why != NULL;
}

/* plan_find_host - the plan host of scenario s named name */
static struct plan_host *
plan_find_host(struct plan *pl, size_t first, const char *name)
{
	for (size_t i = first; i < pl->nhosts; i++)
		if (strcmp(pl->hosts[i].host->name, name) == 0)
			return &pl->hosts[i];
	return NULL;
}

/* plan_names - the names a chain is built with: host and SRV target
 * host, and the scenario's domain; caller frees */
static struct pki_names *
plan_names(const char *host, const char *srvtarget, const char *domain)
{
	struct pki_names *names = pki_names_new();

	pki_names_set(names, "host", host);
	pki_names_set(names, "srvtarget", srvtarget);
	pki_names_set(names, "domain", domain);
	return names;
}

/*
 * plan_client_names - the names of scenario s's own identity (xmpp-in):
 * the domain, and the first SRV target as its host name, as for a
 * server's chain.  For the client chain and the TLSA computed from it.
 */
static struct pki_names *
plan_client_names(const struct scenario *s, const char *domain)
{
	struct pki_names *names;
	const char *srvt = NULL;
	char *st;

	for (size_t i = 0; i < s->nrrs && srvt == NULL; i++)
		if (s->rrs[i].kind == SCN_RR_SRV
		    && strcmp(s->rrs[i].argv[4], ".") != 0)
			srvt = s->rrs[i].argv[4];
	st = srvt ? scn_name_abs(s, srvt, PLAN_TLD) : xstrdup(domain);
	names = plan_names(domain, st, domain);
	free(st);
	return names;
}

/* One chain to build ahead of the plan: a scenario's client chain or a
 * host's, with its names. */
struct plan_job {
	const void *key;		/* the scenario (client) or host */
	const char *chain;		/* borrowed from the scenario */
	struct pki_names *names;
	struct pki_chain *built;	/* NULL: build it in order instead */
};

/* The chains of a catalogue, built ahead on several threads. */
struct plan_ahead {
	struct pki_profile *profile;
	struct plan_job *jobs;
	size_t n, taken;
	atomic_size_t next;
};

/* plan_ahead_add - a job for chain with names (taken over), for key */
static void
plan_ahead_add(struct plan_ahead *a, const void *key, const char *chain,
    struct pki_names *names)
{
	a->jobs = xrealloc(a->jobs, (a->n + 1) * sizeof(*a->jobs));
	a->jobs[a->n].key = key;
	a->jobs[a->n].chain = chain;
	a->jobs[a->n].names = names;
	a->jobs[a->n++].built = NULL;
}

/* plan_ahead_worker - build chains until none is left; a chain the
 * profile lacks is left to the plan, which says so in order */
static void *
plan_ahead_worker(void *arg)
{
	struct plan_ahead *a = arg;
	size_t i;

	while ((i = atomic_fetch_add(&a->next, 1)) < a->n)
		if (pki_profile_has_chain(a->profile, a->jobs[i].chain))
			a->jobs[i].built = pki_chain_new(a->profile,
			    a->jobs[i].chain, a->jobs[i].names);
	return NULL;
}

/*
 * plan_ahead_build - every chain the plan of cat will ask for, in the
 * order it asks (each scenario's client chain, then its hosts'), built
 * on as many threads as there are CPUs: the signatures are most of a
 * plan's time.  The names are the plan's own (plan_names,
 * plan_client_names).
 */
static void
plan_ahead_build(struct plan_ahead *a, const struct scn_catalogue *cat,
    struct pki_profile *p)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nth = ncpu > 1 ? (size_t)ncpu : 1;

	memset(a, 0, sizeof(*a));
	a->profile = p;
	for (size_t i = 0; i < cat->n; i++) {
		const struct scenario *s = cat->list[i];
		char *domain = plan_domain(s);

		if (s->client)
			plan_ahead_add(a, s, s->client,
			    plan_client_names(s, domain));
		for (size_t k = 0; k < s->nhosts; k++) {
			char *fqdn = scn_name_abs(s, s->hosts[k].name,
			    PLAN_TLD);

			plan_ahead_add(a, &s->hosts[k], s->hosts[k].chain,
			    plan_names(fqdn, fqdn, domain));
			free(fqdn);
		}
		free(domain);
	}
	atomic_init(&a->next, 0);
	if (nth > PLAN_THREADS_MAX)
		nth = PLAN_THREADS_MAX;
	workers_run(nth < a->n ? nth : a->n, plan_ahead_worker, a);
}

/* plan_ahead_free - what was built and not taken, and the jobs */
static void
plan_ahead_free(struct plan_ahead *a)
{
	for (size_t i = 0; i < a->n; i++) {
		pki_names_free(a->jobs[i].names);
		pki_chain_free(a->jobs[i].built);
	}
	free(a->jobs);
	memset(a, 0, sizeof(*a));
}

/* plan_chain - chain "name" for names, of key (a scenario for its
 * client chain, a host): the one built ahead, or built now (and any
 * error said now, in order).  Keys come in the order of the jobs, some
 * skipped (a scenario whose zones failed). */
static struct pki_chain *
plan_chain(struct plan *pl, struct pki_profile *p, const void *key,
    const char *name, const struct pki_names *names)
{
	struct plan_ahead *a = pl->ahead;
	struct pki_chain *c = NULL;

	for (size_t i = a ? a->taken : 0; a != NULL && i < a->n; i++)
		if (a->jobs[i].key == key) {
			c = a->jobs[i].built;
			a->jobs[i].built = NULL;
			a->taken = i + 1;
			break;
		}
	return c != NULL ? c : pki_chain_new(p, name, names);
}

/* plan_zones - the scenario's zones as children of the TLD; errors */
static int
plan_zones(struct zone_tree *t, const struct scenario *s)
{
	int errors = 0;

	for (size_t i = 0; i < s->nzones; i++) {
		char *origin = scn_zone_origin(s, &s->zones[i], PLAN_TLD);
		char *label = xstrndup(origin, strlen(origin)
		    - strlen(PLAN_TLD) - 1);

		if (zone_tree_add_child(t, label,
		    plan_delegation[s->zones[i].state]) == NULL) {
			msg_input(s->file, s->zones[i].line ? s->zones[i].line
			    : s->line, "cannot add zone %s", origin);
			errors++;
		}
		free(label);
		free(origin);
	}
	return errors;
}

/* plan_client - the chain the lab presents for s (xmpp-in), or NULL,
 * appended to pl->clients; errors */
static int
plan_client(struct plan *pl, const struct scenario *s, struct pki_profile *p,
    const char *domain)
{
	struct pki_chain *client = NULL;
	struct pki_names *names;

	if (s->client) {
		names = plan_client_names(s, domain);
		client = plan_chain(pl, p, s, s->client, names);
		pki_names_free(names);
		if (client == NULL)
			msg_input(s->file, s->client_line, "client: cannot "
			    "build chain %s", s->client);
	}
	pl->clients[pl->nclients++] = client;
	return s->client && client == NULL;
}

/* plan_hosts - each host of s with its address, chain and A record;
 * errors */
static int
plan_hosts(struct plan *pl, const struct scenario *s, struct pki_profile *p,
    const char *domain)
{
	int errors = 0;

	for (size_t i = 0; i < s->nhosts; i++) {
		const struct scn_host *h = &s->hosts[i];
		struct plan_host *ph;
		struct pki_names *names;
		size_t n;

		pl->hosts = xrealloc(pl->hosts,
		    (pl->nhosts + 1) * sizeof(*pl->hosts));
		ph = &pl->hosts[pl->nhosts++];
		memset(ph, 0, sizeof(*ph));
		n = pl->nhosts;
		ph->scenario = s;
		ph->host = h;
		ph->fqdn = scn_name_abs(s, h->name, PLAN_TLD);
		snprintf(ph->addr, sizeof(ph->addr), "127.%u.%u.%u",
		    (unsigned)(1 + n / 65536 % 254), (unsigned)(n / 256 % 256),
		    (unsigned)(n % 256));
		names = plan_names(ph->fqdn, ph->fqdn, domain);
		ph->chain = plan_chain(pl, p, h, h->chain, names);
		pki_names_free(names);
		if (ph->chain == NULL) {
			msg_input(s->file, h->line, "host %s: cannot build "
			    "chain %s", h->name, h->chain);
			errors++;
			continue;
		}
		errors += plan_rr(pl->tree, s, h->line, h->name, "A", ph->addr);
	}
	return errors;
}

/* plan_record - one mx, srv, cname, addr or dns line of s; errors */
static int
plan_record(struct plan *pl, const struct scenario *s, size_t first,
    const struct scn_rr *rr)
{
	struct zone_tree *t = pl->tree;
	char *a = NULL, *rdata = NULL, *owner = NULL;
	struct plan_host *ph;
	int errors = 0;

	switch (rr->kind) {
	case SCN_RR_MX:
		a = scn_name_abs(s, rr->argv[1], PLAN_TLD);
		rdata = xasprintf("%s %s", rr->argv[0], a);
		errors = plan_rr(t, s, rr->line, "@", "MX", rdata);
		break;
	case SCN_RR_SRV:
		a = strcmp(rr->argv[4], ".") == 0 ? xstrdup(".")
		    : scn_name_abs(s, rr->argv[4], PLAN_TLD);
		rdata = xasprintf("%s %s %s %s", rr->argv[1], rr->argv[2],
		    rr->argv[3], a);
		owner = xasprintf("_%s._tcp", rr->argv[0]);
		errors = plan_rr(t, s, rr->line, owner, "SRV", rdata);
		break;
	case SCN_RR_CNAME:
		a = scn_name_abs(s, rr->argv[1], PLAN_TLD);
		errors = plan_rr(t, s, rr->line, rr->argv[0], "CNAME", a);
		break;
	case SCN_RR_ADDR:
		if ((ph = plan_find_host(pl, first, rr->argv[1])) != NULL)
			errors = plan_rr(t, s, rr->line, rr->argv[0], "A",
			    ph->addr);
		break;
	case SCN_RR_RAW: {
		struct buf b = { 0 };

		for (int j = 2; j < rr->argc; j++)
			buf_printf(&b, "%s%s", j > 2 ? " " : "", rr->argv[j]);
		errors = plan_rr(t, s, rr->line, rr->argv[0], rr->argv[1],
		    b.data ? b.data : "");
		buf_free(&b);
		break;
	}
	}
	free(a);
	free(rdata);
	free(owner);
	return errors;
}

/* plan_tlsa_rrs - the TLSA record r of line tl at its owners: for an
 * identity where it is written, else at every port the host serves (or
 * the one given); errors */
static int
plan_tlsa_rrs(struct zone_tree *t, const struct scenario *s,
    const struct scn_tlsa *tl, const struct tlsa_rdata *r)
{
	char *text = tlsa_to_text(r);
	int errors = 0;

	if (tl->identity)	/* at its owner, as written */
		errors += plan_rr(t, s, tl->line, tl->owner, "TLSA", text);
	else for (int pr = 0; pr < PROTO_COUNT; pr++) {
		int port = scn_proto_port(pr);
		char *owner;

		/* xmpp-in is the lab's own connection: no listener of the
		 * scenario's hosts serves it. */
		if (tl->port ? pr != 0 : !(s->protos & (1u << pr))
		    || pr == PROTO_XMPP_IN)
			continue;
		if (tl->port)
			port = tl->port;
		owner = xasprintf("_%d._tcp.%s", port, tl->owner);
		errors += plan_rr(t, s, tl->line, owner, "TLSA", text);
		free(owner);
	}
	free(text);
	return errors;
}

/* plan_tlsas - the TLSA records of s, computed from the chains its hosts
 * serve (client: the chain of its identity); errors */
static int
plan_tlsas(struct plan *pl, const struct scenario *s, struct pki_profile *p,
    const char *domain, size_t first)
{
	const struct pki_chain *client = pl->clients[pl->nclients - 1];
	int errors = 0;

	for (size_t i = 0; i < s->ntlsas; i++) {
		const struct scn_tlsa *tl = &s->tlsas[i];
		struct plan_host *ph = tl->identity ? NULL
		    : plan_find_host(pl, first, tl->owner);
		struct tlsa_rdata *r;
		struct pki_names *names;
		char *err = NULL;

		if (tl->identity ? client == NULL : ph == NULL
		    || ph->chain == NULL)
			continue;	/* reported by the linter or above */
		names = tl->identity ? plan_client_names(s, domain)
		    : plan_names(ph->fqdn, ph->fqdn, domain);
		r = tlsa_from_spec(tl->spec, p, tl->identity ? client
		    : ph->chain, names, &err);
		pki_names_free(names);
		if (r == NULL) {
			msg_input(s->file, tl->line, "tlsa %s: %s", tl->spec,
			    err ? err : "failed");
			free(err);
			errors++;
			continue;
		}
		errors += plan_tlsa_rrs(pl->tree, s, tl, r);
		tlsa_free(r);
	}
	return errors;
}

/* plan_faults - the DNSSEC faults of s, for signing; errors */
static int
plan_faults(struct zone_tree *t, const struct scenario *s)
{
	int errors = 0;

	for (size_t i = 0; i < s->nfaults; i++) {
		const struct scn_fault *f = &s->faults[i];
		struct zone *z = plan_zone(t, s, f->owner);
		char *abs = scn_name_abs(s, f->owner, PLAN_TLD);
		const char *why;

		if (z == NULL)
			why = "the owner is outside the scenario's zones";
		else
			why = zone_add_fault(z, f->kind, abs, f->type);
		if (why) {
			msg_input(s->file, f->line, "fault %s %s %s: %s",
			    f->kind, f->owner, f->type, why);
			errors++;
		}
		free(abs);
	}
	return errors;
}

/* plan_scenario - zones, hosts, records, TLSA and faults of one scenario;
 * errors */
static int
plan_scenario(struct plan *pl, const struct scenario *s,
    struct pki_profile *p)
{
	char *domain;
	size_t first = pl->nhosts;
	int errors;

	if ((errors = plan_zones(pl->tree, s)) != 0)
		return errors;
	domain = plan_domain(s);
	errors += plan_client(pl, s, p, domain);
	errors += plan_hosts(pl, s, p, domain);
	for (size_t i = 0; i < s->nrrs; i++)
		errors += plan_record(pl, s, first, &s->rrs[i]);
	errors += plan_tlsas(pl, s, p, domain, first);
	errors += plan_faults(pl->tree, s);
	free(domain);
	return errors;
}

struct plan *
plan_build(const struct scn_catalogue *cat, struct pki_profile *p,
    struct zone_tree *t)
{
	struct plan *pl = xcalloc(1, sizeof(*pl));
	struct plan_ahead ahead;
	int errors = 0;

	pl->tree = t;
	pl->clients = xcalloc(cat->n + 1, sizeof(*pl->clients));
	plan_ahead_build(&ahead, cat, p);
	pl->ahead = &ahead;
	for (size_t i = 0; i < cat->n; i++)
		errors += plan_scenario(pl, cat->list[i], p);
	pl->ahead = NULL;
	plan_ahead_free(&ahead);
	if (errors)
		return plan_free(pl);
	return pl;
}

struct plan *
plan_free(struct plan *pl)
{
	if (pl == NULL)
		return NULL;
	for (size_t i = 0; i < pl->nhosts; i++) {
		free(pl->hosts[i].fqdn);
		pki_chain_free(pl->hosts[i].chain);
	}
	free(pl->hosts);
	for (size_t i = 0; i < pl->nclients; i++)
		pki_chain_free(pl->clients[i]);
	free(pl->clients);
	free(pl);
	return NULL;
}

/* The lint's checks against a profile; each chain is built once, with
 * the profile's default names. */
struct plan_checker {
	struct scn_checks checks;	/* first: plan_checks_free casts back */
	struct pki_profile *profile;
	char **names;
	struct pki_chain **chains;	/* NULL: could not be built */
	size_t n;
};

/* plan_check_chain - scn_checks.chain_ok: is there such a chain? */
static const char *
plan_check_chain(void *arg, const char *chain)
{
	struct plan_checker *pc = arg;

	return pki_profile_has_chain(pc->profile, chain) ? NULL
	    : "no such chain in the PKI profile (danelab pki --list)";
}

/* plan_check_tlsa - scn_checks.tlsa_ok: can the data of spec be computed
 * from chain?  NULL, or a message the caller frees */
static char *
plan_check_tlsa(void *arg, const char *chain, const char *spec)
{
	struct plan_checker *pc = arg;
	struct tlsa_rdata *r;
	char *err = NULL;
	size_t i;

	if (!pki_profile_has_chain(pc->profile, chain))
		return NULL;		/* chain_ok says so */
	for (i = 0; i < pc->n && strcmp(pc->names[i], chain) != 0; i++)
		;
	if (i == pc->n) {
		pc->names = xrealloc(pc->names, (i + 1) * sizeof(char *));
		pc->chains = xrealloc(pc->chains, (i + 1) * sizeof(*pc->chains));
		pc->names[i] = xstrdup(chain);
		pc->chains[i] = pki_chain_new(pc->profile, chain, NULL);
		pc->n++;
	}
	if (pc->chains[i] == NULL)
		return NULL;		/* the plan reports it, with its names */
	if ((r = tlsa_from_spec(spec, pc->profile, pc->chains[i], NULL,
	    &err)) == NULL)
		return err ? err : xstrdup("failed");
	tlsa_free(r);
	return NULL;
}

struct scn_checks *
plan_checks_new(struct pki_profile *p)
{
	struct plan_checker *pc = xcalloc(1, sizeof(*pc));

	pc->profile = p;
	pc->checks.chain_ok = plan_check_chain;
	pc->checks.tlsa_ok = plan_check_tlsa;
	pc->checks.arg = pc;
	return &pc->checks;
}

struct scn_checks *
plan_checks_free(struct scn_checks *c)
{
	struct plan_checker *pc = (struct plan_checker *)c;

	if (pc == NULL)
		return NULL;
	for (size_t i = 0; i < pc->n; i++) {
		free(pc->names[i]);
		pki_chain_free(pc->chains[i]);
	}
	free(pc->names);
	free(pc->chains);
	free(pc);
	return NULL;
}

/* plan_rrset_add - (name, type) into v unless there, with its expectation */
static void
plan_rrset_add(const struct plan *pl, struct plan_rrset **v, size_t *n,
    const char *name, const char *type)
{
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp((*v)[i].name, name) == 0
		    && strcasecmp((*v)[i].type, type) == 0)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].name = xstrdup(name);
	(*v)[*n].type = xstrdup(type);
	if (zone_tree_expect(pl->tree, name, type, &(*v)[*n].expect) != 0)
		msg_panic("plan_rrsets: cannot parse %s %s", name, type);
	(*n)++;
}

struct plan_rrset *
plan_rrsets(const struct plan *pl, const struct scenario *s, size_t *n)
{
	static const struct { int proto; const char *port, *srv; } ports[] = {
		{ PROTO_SMTP, "25", NULL }, { PROTO_SMTPS, "465", NULL },
		{ PROTO_XMPP, "5269", "_xmpp-server._tcp." },
		{ PROTO_XMPPS, "5270", "_xmpps-server._tcp." },
	};
	char *domain = plan_domain(s), *name;
	struct plan_rrset *v = NULL;

	*n = 0;
	if (s->protos & ((1u << PROTO_SMTP) | (1u << PROTO_SMTPS)))
		plan_rrset_add(pl, &v, n, domain, "MX");
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (ports[i].srv && s->protos & (1u << ports[i].proto)) {
			name = xasprintf("%s%s", ports[i].srv, domain);
			plan_rrset_add(pl, &v, n, name, "SRV");
			free(name);
		}
	for (size_t i = 0; i < s->nzones; i++) {
		char *origin = scn_zone_origin(s, &s->zones[i], PLAN_TLD);
		struct zone *z = zone_tree_find(pl->tree, origin);
		char *list = z ? zone_rrsets(z) : xstrdup(""), *line, *save;

		for (line = strtok_r(list, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save)) {
			char *sp = strchr(line, ' ');

			*sp = 0;
			plan_rrset_add(pl, &v, n, line, sp + 1);
		}
		free(list);
		free(origin);
	}
	for (size_t i = 0; i < pl->nhosts; i++) {
		if (pl->hosts[i].scenario != s)
			continue;
		plan_rrset_add(pl, &v, n, pl->hosts[i].fqdn, "A");
		for (size_t k = 0; k < sizeof(ports) / sizeof(ports[0]); k++)
			if (s->protos & (1u << ports[k].proto)) {
				name = xasprintf("_%s._tcp.%s", ports[k].port,
				    pl->hosts[i].fqdn);
				plan_rrset_add(pl, &v, n, name, "TLSA");
				free(name);
			}
	}
	for (size_t i = 0; i < s->nfaults; i++) {
		name = scn_name_abs(s, s->faults[i].owner, PLAN_TLD);
		if (s->faults[i].type && *s->faults[i].type
		    && strcasecmp(s->faults[i].type, "DNSKEY") != 0
		    && strcasecmp(s->faults[i].type, "DS") != 0)
			plan_rrset_add(pl, &v, n, name, s->faults[i].type);
		free(name);
	}
	free(domain);
	return v;
}

void
plan_rrsets_free(struct plan_rrset *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].type);
	}
	free(v);
}
