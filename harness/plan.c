/* plan.c - scenarios into zones, records, TLSA, faults and hosts */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "plan.h"
#include "tlsa.h"

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

/* plan_rr - add "OWNER TYPE RDATA" at a scenario-relative owner */
static int
plan_rr(struct zone_tree *t, const struct scenario *s, int line,
    const char *owner, const char *type, const char *rdata)
{
	struct zone *z = plan_zone(t, s, owner);
	char *abs = scn_name_abs(s, owner, PLAN_TLD), *text;
	const char *why;

	if (z == NULL) {
		fprintf(stderr, "%s:%d: %s is outside the scenario's zones\n",
		    s->file, line, abs);
		free(abs);
		return -1;
	}
	text = xasprintf("%s %s %s", abs, type, rdata);
	if ((why = zone_add_rr(z, text)) != NULL)
		fprintf(stderr, "%s:%d: \"%s\": %s\n", s->file, line, text, why);
	free(abs);
	free(text);
	return why ? -1 : 0;
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

/*
 * plan_client_names - the names of scenario s's own identity (xmpp-in):
 * the domain, and the first SRV target as its host name, as for a
 * server's chain.  For the client chain and the TLSA computed from it.
 */
static struct pki_names *
plan_client_names(const struct scenario *s, const char *domain)
{
	struct pki_names *names = pki_names_new();
	const char *srvt = NULL;
	char *st;

	for (size_t i = 0; i < s->nrrs && srvt == NULL; i++)
		if (s->rrs[i].kind == SCN_RR_SRV
		    && strcmp(s->rrs[i].argv[4], ".") != 0)
			srvt = s->rrs[i].argv[4];
	st = srvt ? scn_name_abs(s, srvt, PLAN_TLD) : xstrdup(domain);
	pki_names_set(names, "host", domain);
	pki_names_set(names, "srvtarget", st);
	pki_names_set(names, "domain", domain);
	free(st);
	return names;
}

/* plan_scenario - zones, hosts, records, TLSA and faults of one scenario */
static int
plan_scenario(struct plan *pl, const struct scenario *s,
    struct pki_profile *p)
{
	struct zone_tree *t = pl->tree;
	struct pki_chain *client = NULL;
	char *domain = plan_domain(s);
	size_t first = pl->nhosts;
	int errors = 0;

	for (size_t i = 0; i < s->nzones; i++) {
		char *origin = scn_zone_origin(s, &s->zones[i], PLAN_TLD);
		char *label = xstrndup(origin, strlen(origin)
		    - strlen(PLAN_TLD) - 1);

		if (zone_tree_add_child(t, label,
		    plan_delegation[s->zones[i].state]) == NULL) {
			fprintf(stderr, "%s:%d: cannot add zone %s\n", s->file,
			    s->zones[i].line ? s->zones[i].line : s->line,
			    origin);
			errors++;
		}
		free(label);
		free(origin);
	}
	if (errors)
		goto out;
	if (s->client) {
		struct pki_names *names = plan_client_names(s, domain);

		client = pki_chain_new(p, s->client, names);
		pki_names_free(names);
		if (client == NULL) {
			fprintf(stderr, "%s:%d: client: cannot build chain %s\n",
			    s->file, s->client_line, s->client);
			errors++;
		}
	}
	pl->clients[pl->nclients++] = client;
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
		names = pki_names_new();
		pki_names_set(names, "host", ph->fqdn);
		pki_names_set(names, "srvtarget", ph->fqdn);
		pki_names_set(names, "domain", domain);
		ph->chain = pki_chain_new(p, h->chain, names);
		pki_names_free(names);
		if (ph->chain == NULL) {
			fprintf(stderr, "%s:%d: host %s: cannot build chain "
			    "%s\n", s->file, h->line, h->name, h->chain);
			errors++;
			continue;
		}
		errors += plan_rr(t, s, h->line, h->name, "A", ph->addr) != 0;
	}
	for (size_t i = 0; i < s->nrrs; i++) {
		const struct scn_rr *rr = &s->rrs[i];
		char *a = NULL, *b = NULL, *rdata = NULL, *owner = NULL;
		struct plan_host *ph;

		switch (rr->kind) {
		case SCN_RR_MX:
			a = scn_name_abs(s, rr->argv[1], PLAN_TLD);
			rdata = xasprintf("%s %s", rr->argv[0], a);
			errors += plan_rr(t, s, rr->line, "@", "MX", rdata) != 0;
			break;
		case SCN_RR_SRV:
			a = strcmp(rr->argv[4], ".") == 0 ? xstrdup(".")
			    : scn_name_abs(s, rr->argv[4], PLAN_TLD);
			rdata = xasprintf("%s %s %s %s", rr->argv[1],
			    rr->argv[2], rr->argv[3], a);
			owner = xasprintf("_%s._tcp", rr->argv[0]);
			errors += plan_rr(t, s, rr->line, owner, "SRV",
			    rdata) != 0;
			break;
		case SCN_RR_CNAME:
			a = scn_name_abs(s, rr->argv[1], PLAN_TLD);
			errors += plan_rr(t, s, rr->line, rr->argv[0], "CNAME",
			    a) != 0;
			break;
		case SCN_RR_ADDR:
			if ((ph = plan_find_host(pl, first, rr->argv[1])) != NULL)
				errors += plan_rr(t, s, rr->line, rr->argv[0],
				    "A", ph->addr) != 0;
			break;
		case SCN_RR_RAW:
			b = xstrdup("");
			for (int j = 2; j < rr->argc; j++) {
				char *nb = xasprintf("%s%s%s", b, j > 2 ? " "
				    : "", rr->argv[j]);

				free(b);
				b = nb;
			}
			errors += plan_rr(t, s, rr->line, rr->argv[0],
			    rr->argv[1], b) != 0;
			break;
		}
		free(a);
		free(b);
		free(rdata);
		free(owner);
	}
	for (size_t i = 0; i < s->ntlsas; i++) {
		const struct scn_tlsa *tl = &s->tlsas[i];
		struct plan_host *ph = tl->identity ? NULL
		    : plan_find_host(pl, first, tl->owner);
		struct tlsa_rdata *r;
		struct pki_names *names;
		char *err = NULL, *text;

		if (tl->identity ? client == NULL : ph == NULL
		    || ph->chain == NULL)
			continue;	/* reported by the linter or above */
		if (tl->identity)
			names = plan_client_names(s, domain);
		else {
			names = pki_names_new();
			pki_names_set(names, "host", ph->fqdn);
			pki_names_set(names, "srvtarget", ph->fqdn);
			pki_names_set(names, "domain", domain);
		}
		r = tlsa_from_spec(tl->spec, p, tl->identity ? client
		    : ph->chain, names, &err);
		pki_names_free(names);
		if (r == NULL) {
			fprintf(stderr, "%s:%d: tlsa %s: %s\n", s->file,
			    tl->line, tl->spec, err ? err : "failed");
			free(err);
			errors++;
			continue;
		}
		text = tlsa_to_text(r);
		if (tl->identity)	/* at its owner, as written */
			errors += plan_rr(t, s, tl->line, tl->owner, "TLSA",
			    text) != 0;
		else for (int pr = 0; pr < SCN_PROTO_COUNT; pr++) {
			int port = scn_proto_port(pr);
			char *owner;

			/* xmpp-in is the lab's own connection: no
			 * listener of the scenario's hosts serves it. */
			if (tl->port ? pr != 0 : !(s->protos & (1u << pr))
			    || pr == SCN_XMPP_IN)
				continue;
			if (tl->port)
				port = tl->port;
			owner = xasprintf("_%d._tcp.%s", port, tl->owner);
			errors += plan_rr(t, s, tl->line, owner, "TLSA",
			    text) != 0;
			free(owner);
		}
		free(text);
		tlsa_free(r);
	}
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
			fprintf(stderr, "%s:%d: fault %s %s %s: %s\n", s->file,
			    f->line, f->kind, f->owner, f->type, why);
			errors++;
		}
		free(abs);
	}
out:
	free(domain);
	return errors;
}

struct plan *
plan_build(const struct scn_catalogue *cat, struct pki_profile *p,
    struct zone_tree *t)
{
	struct plan *pl = xcalloc(1, sizeof(*pl));
	int errors = 0;

	pl->tree = t;
	pl->clients = xcalloc(cat->n + 1, sizeof(*pl->clients));
	for (size_t i = 0; i < cat->n; i++)
		errors += plan_scenario(pl, cat->list[i], p);
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
