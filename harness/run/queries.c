/*
 * queries.c - what each cell's client asked the lab's resolver
 * (queries.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "plan.h"
#include "qlog.h"
#include "queries.h"
#include "resolver.h"
#include "report.h"
#include "scenario.h"
#include "target.h"

int
queries_open(struct run *r, const char *labdir)
{
	const struct resolver_kind *k = resolver_kind(r->o->resolver);
	char *path;

	/* A resolver whose log format qlog does not know: no queries. */
	if (!qlog_format_ok(k->name)) {
		r->qlog_note = xasprintf("queries not observed: the lab's "
		    "resolver is %s, and danelab reads only Unbound's query "
		    "log (--resolver unbound)", k->name);
		return 0;
	}
	path = xasprintf("%s/%s", labdir, k->log);
	r->qlog = qlog_new(k->name, path);
	free(path);
	if (r->qlog == NULL || qlog_update(r->qlog) < 0) {
		msg_warn("cannot read the lab resolver's query log");
		return -1;
	}
	return 0;
}

/* queries_mark_locked - queries_mark, r->qlog_lock held */
static size_t
queries_mark_locked(struct run *r)
{
	if (r->qlog == NULL || qlog_update(r->qlog) < 0)
		return (size_t)-1;
	return qlog_count(r->qlog);
}

size_t
queries_mark(struct run *r)
{
	size_t m;

	pthread_mutex_lock(&r->qlog_lock);
	m = queries_mark_locked(r);
	pthread_mutex_unlock(&r->qlog_lock);
	return m;
}

/* queries_apexes - the apexes of s's zones ("ID.example", ...); n in
 * *n, caller frees each and the array */
static char **
queries_apexes(const struct scenario *s, size_t *n)
{
	char **a = xcalloc(s->nzones + 1, sizeof(*a));

	for (size_t i = 0; i < s->nzones; i++)
		a[i] = scn_zone_origin(s, &s->zones[i], PLAN_TLD);
	*n = s->nzones;
	return a;
}

/* queries_fill - c's queries: those of idx[0..k-1], listed in its
 * detail too */
static void
queries_fill(struct run *r, struct report_cell *c, const size_t *idx,
    size_t k)
{
	struct buf b = { 0 };
	char *d;

	c->queries_seen = 1;
	c->queries = xcalloc(k + 1, sizeof(*c->queries));
	c->nqueries = k;
	buf_printf(&b, "\n== DNS: %zu quer%s to the lab's resolver for this "
	    "scenario's names while this cell's batch ran (ref: while the "
	    "cell ran), in order\n", k, k == 1 ? "y"
	    : "ies");
	for (size_t i = 0; i < k; i++) {
		const struct qlog_query *q = qlog_get(r->qlog, idx[i]);
		struct report_query *x = &c->queries[i];

		x->name = xstrdup(q->name);
		x->type = xstrdup(q->type);
		x->dnssec_ok = q->dnssec_ok;
		x->rcode = xstrdup(q->rcode);
		x->state = xstrdup(q->state);
		buf_printf(&b, "  %zu. ", i + 1);
		qlog_describe(&b, q);
		buf_printf(&b, "\n");
	}
	d = xasprintf("%s%s", c->detail ? c->detail : "", b.data);
	free(c->detail);
	c->detail = d;
	buf_free(&b);
}

/* queries_judge - cell ci's queries against its scenario's query
 * expectations; the note says how (or that there were none) */
static void
queries_judge(struct run *r, const struct run_target *t, size_t ci)
{
	struct report_cell *c = &r->cells[ci];
	const struct run_key *k = &r->keys[ci];
	const struct scenario *s = run_scenario(r, ci);
	char *must = NULL, *should = NULL;
	size_t applied;

	applied = judge_asks(s, k->proto, c->queries, c->nqueries, &must,
	    &should);
	if (applied == 0) {
		c->queries_note = xstrdup("");
		return;
	}
	c->queries_note = xasprintf("%zu query expectation%s: %s%s%s",
	    applied, applied == 1 ? "" : "s", must ? must : "",
	    must && should ? "; " : "", should ? should : !must ? "met" : "");
	if (k->state == CELL_OBSERVED) {
		judge_queries(c, target_baseline_match(t->baseline,
		    t->nbaseline, s->id, proto_name(k->proto),
		    policy_name(k->policy)), must, should);
	}
	free(must);
	free(should);
}

void
queries_join(struct run *r, const struct run_target *t, const size_t *cells,
    size_t n, size_t q0)
{
	size_t end;

	pthread_mutex_lock(&r->qlog_lock);
	end = queries_mark_locked(r);
	if (q0 == (size_t)-1 || end == (size_t)-1) {
		for (size_t i = 0; r->qlog_note && i < n; i++)
			if (r->keys[cells[i]].state != CELL_SKIPPED)
				r->cells[cells[i]].queries_note =
				    xstrdup(r->qlog_note);
		pthread_mutex_unlock(&r->qlog_lock);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct report_cell *c = &r->cells[cells[i]];
		const struct scenario *s = run_scenario(r, cells[i]);
		size_t na, k, *idx;
		char **apexes = queries_apexes(s, &na);

		k = qlog_select(r->qlog, q0, end, apexes, na, &idx);
		queries_fill(r, c, idx, k);
		if (r->keys[cells[i]].state == CELL_SKIPPED)
			c->queries_note = xstrdup("");
		else if (t->dns_note)
			c->queries_note = xstrdup(t->dns_note);
		else
			queries_judge(r, t, cells[i]);
		free(idx);
		for (size_t a = 0; a < na; a++)
			free(apexes[a]);
		free(apexes);
	}
	pthread_mutex_unlock(&r->qlog_lock);
}
