/*
 * driver_adapter.c - the shell adapters of harness/targets/ as a driver
 * (driver.h); the adapter protocol itself is target.c's.
 *
 * A target gets one batch per protocol and policy, so a scenario appears
 * once in a batch.  What a probe observed is the endpoints' view of the
 * connections it made; the target's own word only upgrades "encrypted"
 * to "authenticated" (harness/targets/README.md), except for a prober
 * ("mode: prober"), whose word is the outcome once the endpoints bear it
 * out.  For xmpp-in the target serves and the lab connects: what the
 * lab's connecting server saw is the outcome.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "driver.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "plan.h"
#include "stop.h"

/* What the driver keeps of one adapter target. */
struct driver_adapter {
	char *workdir;		/* <lab>/targets/NAME */
	int prober;		/* "mode: prober": its word is the outcome */
};

/* driver_adapter_of - t's state (borrowed) */
static struct driver_adapter *
driver_adapter_of(const struct run_target *t)
{
	return t->data;
}

/* driver_adapter_tail - the last lines of some output, for a reason;
 * caller frees */
static char *
driver_adapter_tail(const char *text)
{
	size_t len = strlen(text);
	const char *p = text + len;
	int lines = 0;

	while (p > text && len - (p - text) < 400) {
		if (*--p == '\n' && p[1] && ++lines == 4)
			break;
	}
	while (*p == '\n')
		p++;
	if (*p) {
		char *t = xstrdup(p);
		size_t n = strlen(t);

		while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
			t[--n] = 0;
		return t;
	}
	return xstrdup("(no output)");
}

/* driver_adapter_verb - run a verb without a file (setup, serve,
 * teardown) in t's work directory; rc, output in out */
static int
driver_adapter_verb(struct run *r, const struct run_target *t,
    const char *verb, const char *arg, struct buf *out)
{
	return target_exec(r->lab, t->name, verb, arg,
	    driver_adapter_of(t)->workdir, r->probe_ms, TARGET_VERB_MS, out);
}

/* driver_adapter_probe - "probe": the version, or why it is unavailable
 * (exit 3: skip) or broken */
static enum cell_state
driver_adapter_probe(struct run *r, struct run_target *t, char **why)
{
	struct driver_adapter *a = xcalloc(1, sizeof(*a));
	char *line;
	int rc, adapter_dns = 0;

	a->workdir = xasprintf("%s/targets/%s", lab_dir(r->lab), t->name);
	t->data = a;
	mkdir(a->workdir, 0755);
	rc = target_probe(r->lab, t->name, a->workdir, r->probe_ms, &line,
	    &a->prober, &t->tls, &adapter_dns);
	if (adapter_dns)
		t->dns_note = xasprintf("queries not judged: the %s adapter "
		    "resolves names for its tool (dns: adapter), so the lab's "
		    "resolver cannot show what the tool would ask", t->name);
	if (rc == 0) {
		t->version = line;
		return CELL_PENDING;
	}
	*why = rc == TARGET_UNAVAILABLE ? xasprintf("%s unavailable: %s",
	    t->name, *line ? line : "(no reason given)")
	    : xasprintf("%s probe failed (exit %d): %s", t->name, rc, line);
	free(line);
	return rc == TARGET_UNAVAILABLE ? CELL_SKIPPED : CELL_ERROR;
}

/* driver_adapter_setup - "setup" */
static enum cell_state
driver_adapter_setup(struct run *r, struct run_target *t, char **why)
{
	struct buf out = { 0 };
	int rc = driver_adapter_verb(r, t, "setup", NULL, &out);

	if (rc != 0) {
		char *tail = driver_adapter_tail(out.data ? out.data : "");

		*why = xasprintf("%s setup failed (exit %d): %s", t->name, rc,
		    tail);
		free(tail);
	}
	buf_free(&out);
	return rc == 0 ? CELL_PENDING : CELL_ERROR;
}

/* driver_adapter_serve - "serve POLICY": start t's receiving server for
 * an xmpp-in batch (exit 3: skip with the target's reason) */
static enum cell_state
driver_adapter_serve(struct run *r, struct run_target *t, enum policy q, char **why)
{
	struct buf out = { 0 };
	int rc = driver_adapter_verb(r, t, "serve", policy_name(q), &out);

	if (rc == TARGET_UNAVAILABLE) {
		if (out.data)
			out.data[strcspn(out.data, "\n")] = 0;
		*why = xasprintf("%s: %s", t->name, out.data && *out.data
		    ? out.data : "no receiving server (serve: exit 3)");
	} else if (rc != 0) {
		char *tail = driver_adapter_tail(out.data ? out.data : "");

		*why = xasprintf("%s serve %s failed (%s): %s", t->name,
		    policy_name(q), rc == -1 ? "killed at its deadline"
		    : "non-zero exit", tail);
		free(tail);
	}
	buf_free(&out);
	if (rc == 0)
		return CELL_PENDING;
	return rc == TARGET_UNAVAILABLE ? CELL_SKIPPED : CELL_ERROR;
}

/* driver_adapter_teardown - "teardown" */
static void
driver_adapter_teardown(struct run *r, struct run_target *t)
{
	struct buf out = { 0 };
	int rc = driver_adapter_verb(r, t, "teardown", NULL, &out);

	if (rc != 0)
		msg_warn("%s teardown failed (exit %d): %s", t->name, rc,
		    out.data);
	buf_free(&out);
}

/* driver_adapter_release - free t's state */
static void
driver_adapter_release(struct run_target *t)
{
	struct driver_adapter *a = t->data;

	if (a)
		free(a->workdir);
	free(a);
	t->data = NULL;
}

/* The lab's connections of one xmpp-in batch, made in parallel. */
struct driver_adapter_init {
	const struct run *r;
	const size_t *cells;
	size_t n;
	struct initiator_result *ir;
	atomic_size_t next;
};

/* driver_adapter_init_worker - connect for the batch's cells until none
 * is left */
static void *
driver_adapter_init_worker(void *arg)
{
	struct driver_adapter_init *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < w->n)
		run_initiate(w->r, w->cells[i], TARGET_INBOUND_ADDR,
		    TARGET_INBOUND_PORT, &w->ir[i]);
	return NULL;
}

/* driver_adapter_initiate - one connection per cell cells[0..n-1] to the
 * target's receiving server, up to --jobs at once (each probe has its
 * own domain, so the target tells them apart); caller frees */
static struct initiator_result *
driver_adapter_initiate(const struct run *r, const size_t *cells, size_t n)
{
	struct driver_adapter_init w = { .r = r, .cells = cells, .n = n };

	w.ir = xcalloc(n, sizeof(*w.ir));
	atomic_init(&w.next, 0);
	workers_run((size_t)r->o->jobs < n ? (size_t)r->o->jobs : n,
	    driver_adapter_init_worker, &w);
	return w.ir;
}

/* What one cell of a batch was: its verdict, the endpoints' sessions. */
struct driver_adapter_cell {
	const struct target_verdict *v;
	struct endpoint_conn *conns;
	size_t nconns, own, final;
	struct judge_seen seen;
	char *err;		/* the error of the cell, or NULL */
};

/* driver_adapter_inbound - xmpp-in: what the lab's connecting server saw
 * (ir) is the outcome; the target's own account must agree */
static void
driver_adapter_inbound(struct run *r, const struct run_target *t,
    const char *prefix, const struct initiator_result *ir,
    struct driver_adapter_cell *x)
{
	x->seen.outcome = ir->outcome;
	if (x->v->state == TARGET_OUTCOME && x->v->outcome != ir->outcome)
		x->err = xasprintf("target %s says %s, but the lab's "
		    "connecting server saw %s (%s)", t->name,
		    outcome_name(x->v->outcome), outcome_name(ir->outcome),
		    ir->detail);
	/* A receiving server may connect back (dialback): the probe's
	 * doing, shown, and not left for the next batch to find. */
	endpoint_quiesce(r->eps, prefix, RUN_QUIESCE_MS);
	endpoint_take(r->eps, prefix, &x->conns, &x->nconns);
	x->own = x->nconns;
}

/* driver_adapter_outbound - the endpoints' view of cell ci's sessions in
 * the batch's window; *stray says why some do not belong, or NULL */
static void
driver_adapter_outbound(struct run *r, const struct run_target *t,
    size_t ci, const char *prefix, const struct target_batch *b,
    struct driver_adapter_cell *x, char **stray)
{
	int went_on;

	endpoint_take(r->eps, prefix, &x->conns, &x->nconns);
	x->own = judge_attribute(r->cells, r->ncells, ci, x->conns,
	    x->nconns, RUN_MS(b->t_run0), RUN_MS(b->t_run1), stray);
	x->seen.outcome = judge_observe(x->conns, x->own, &x->final,
	    &went_on);
	if (x->own > 0)
		x->seen.host = judge_host_of_tag(x->conns[x->final].tag);
	if (x->v->state == TARGET_OUTCOME
	    && x->v->outcome == OUTCOME_AUTHENTICATED
	    && x->seen.outcome == OUTCOME_ENCRYPTED)
		x->seen.outcome = OUTCOME_AUTHENTICATED;
	if (driver_adapter_of(t)->prober && x->v->state == TARGET_OUTCOME)
		x->err = judge_prober(x->v->outcome, x->conns, x->own,
		    &x->seen.outcome, &x->seen.host);
}

/* driver_adapter_error - the error of a cell whose probe made no
 * verdict, or said "error"; else stray, taken over; caller frees */
static char *
driver_adapter_error(const struct run_target *t, const struct target_batch *b,
    const struct target_verdict *v, char *err, char **stray)
{
	char *tail = driver_adapter_tail(b->out.data ? b->out.data : "");
	const char *text = b->errors ? b->errors : tail;

	if (v->state == TARGET_NONE && b->rc == -1)
		err = xasprintf("target %s gave no verdict for this probe "
		    "(killed at its deadline, %d ms: it ran out of time): %s",
		    t->name, b->deadline_ms, text);
	else if (v->state == TARGET_NONE)
		err = xasprintf("target %s gave no verdict for this probe "
		    "(%s): %s", t->name, target_status_text(b->rc), text);
	else if (v->state == TARGET_ERROR)
		err = xasprintf("target %s: error: %s", t->name, v->text);
	else if (*stray && v->state == TARGET_OUTCOME) {
		free(err);
		err = *stray;
		*stray = NULL;
	}
	free(tail);
	return err;
}

/* driver_adapter_cell - judge cell i of batch b (ir: the lab's
 * connections of an inbound batch, else NULL) */
static void
driver_adapter_cell(struct run *r, const struct run_target *t,
    const struct target_batch *b, size_t i,
    const struct initiator_result *ir, double t0)
{
	size_t ci = b->v[i].cell;
	struct report_cell *c = &r->cells[ci];
	const struct run_key *k = &r->keys[ci];
	const struct scenario *s = r->w->cat.list[k->scenario];
	struct driver_adapter_cell x = { .v = &b->v[i] };
	char *prefix = xasprintf("%s/", s->id), *stray = NULL, *why, *err;
	struct buf detail = { 0 };

	c->seconds = (clock_s() - t0) / b->n;
	if (ir)
		driver_adapter_inbound(r, t, prefix, &ir[i], &x);
	else if (endpoint_quiesce(r->eps, prefix, RUN_QUIESCE_MS) != 0) {
		char *stray0 = NULL;

		driver_adapter_outbound(r, t, ci, prefix, b, &x, &stray0);
		free(stray0);
		stray = xasprintf("a session at the scenario's endpoints was "
		    "still open %d ms after the batch", RUN_QUIESCE_MS);
	} else
		driver_adapter_outbound(r, t, ci, prefix, b, &x, &stray);
	err = driver_adapter_error(t, b, x.v, x.err, &stray);
	if (x.v->state == TARGET_SKIP) {
		why = xasprintf("%s: %s", t->name, x.v->text);
		r->keys[ci].state = judge_unprobed(c, CELL_SKIPPED, why);
	} else {
		why = xasprintf("%s says %s: %s", t->name, x.v->state
		    == TARGET_NONE ? "error" : target_verdict_word(x.v),
		    x.v->text ? x.v->text : "");
		x.seen.violation = ir ? NULL : judge_violation(s,
		    scn_expect_for(s, k->proto, k->policy), k->proto, x.conns,
		    x.own, x.final, x.seen.outcome);
		x.seen.error = err;
		x.seen.why = why;
		run_judge(r, t, ci, &x.seen);
		free((char *)x.seen.violation);
	}
	buf_printf(&detail, "== target %s (%s %s batch of %zu, exit %d)\n"
	    "verdict: %s %s\n%s", t->name, b->proto, b->policy, b->n, b->rc,
	    target_verdict_word(x.v), x.v->text ? x.v->text : "",
	    x.v->log ? x.v->log : "");
	if (b->log.len)
		buf_printf(&detail, "== the batch's log\n%s", b->log.data);
	if (ir)
		buf_printf(&detail, "\n== the lab's connecting server (%s)\n%s",
		    ir[i].detail, ir[i].transcript);
	if (!ir || x.nconns > 0)
		run_transcripts(&detail, x.conns, x.nconns, x.own);
	buf_printf(&detail, "%s", r->zone_text[k->scenario]);
	c->detail = detail.data;
	run_say(r, c);
	endpoint_conns_free(x.conns, x.nconns);
	free(prefix);
	free(stray);
	free(err);
	free(why);
}

/* driver_adapter_run - one batch: the lab connects first if the target
 * serves (xmpp-in), then "run FILE", then each cell is judged */
static void
driver_adapter_run(struct run *r, struct run_target *t, enum proto p, enum policy q,
    const size_t *cells, size_t n)
{
	struct target_batch b;
	struct initiator_result *ir = NULL;
	char **domains = xcalloc(n, sizeof(*domains));
	double t0 = clock_s();

	memset(&b, 0, sizeof(b));
	b.proto = proto_name(p);
	b.policy = policy_name(q);
	b.n = n;
	b.v = xcalloc(n, sizeof(*b.v));
	for (size_t i = 0; i < n; i++) {
		domains[i] = plan_domain(run_scenario(r, cells[i]));
		b.v[i].cell = cells[i];
		b.v[i].domain = domains[i];
	}
	if (p == PROTO_XMPP_IN)
		ir = driver_adapter_initiate(r, cells, n);
	target_batch_run(r->lab, t->name, driver_adapter_of(t)->workdir,
	    r->probe_ms, &b);
	for (size_t i = 0; i < n; i++)
		driver_adapter_cell(r, t, &b, i, ir, t0);
	for (size_t i = 0; ir && i < n; i++)
		free(ir[i].transcript);
	free(ir);
	for (size_t i = 0; i < n; i++)
		free(domains[i]);
	free(domains);
	target_batch_free(&b);
}

/* The shell adapters, every step a verb of harness/targets/NAME.sh. */
const struct driver driver_adapter = {
	.name = "adapter",
	.probe = driver_adapter_probe,
	.setup = driver_adapter_setup,
	.serve = driver_adapter_serve,
	.run = driver_adapter_run,
	.teardown = driver_adapter_teardown,
	.release = driver_adapter_release,
};
