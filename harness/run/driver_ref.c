/*
 * driver_ref.c - the built-in reference client as a driver (driver.h).
 *
 * All its cells run at once (run_all), the scenarios side by side and a
 * scenario's cells one after the other (they share the scenario's
 * listeners, and a connection is attributed to the probe by the
 * scenario's tag prefix).  What a probe observed is the endpoints'
 * view of the connections it made; the client's word only upgrades
 * "encrypted" to "authenticated".  Any disagreement between its account
 * and the endpoints' is an error: the oracle must be exactly right.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "clock.h"
#include "driver.h"
#include "mem.h"
#include "netio.h"
#include "plan.h"
#include "queries.h"
#include "refclient.h"
#include "stop.h"

#define DRIVER_REF_INBOUND_ADDR	"127.0.0.4"	/* ref's receivers (xmpp-in) */

/* One inbound probe of ref: its receiver's side. */
struct driver_ref_rx {
	const struct run *r;
	int lfd;
	unsigned slot;
	enum policy policy;
	struct ref_result res;
	int rc;
};

/* driver_ref_rx_thread - accept the lab's connection and receive it as
 * ref */
static void *
driver_ref_rx_thread(void *arg)
{
	struct driver_ref_rx *rx = arg;
	struct pollfd pfd = { .fd = rx->lfd, .events = POLLIN };
	int fd = -1;

	if (poll(&pfd, 1, rx->r->probe_ms) == 1)
		fd = accept4(rx->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		netio_nodelay(fd);
	if (fd < 0) {
		memset(&rx->res, 0, sizeof(rx->res));
		rx->res.outcome = OUTCOME_NO_CONNECT;
		snprintf(rx->res.detail, sizeof(rx->res.detail), "nothing "
		    "connected to the reference receiver");
		rx->res.log = xstrdup(rx->res.detail);
		rx->rc = 0;
		return NULL;
	}
	rx->rc = refclient_receive((struct refclient *)rx->r->ref, rx->slot, fd,
	    rx->r->inbound_ctx, TARGET_CLIENT_NAME, rx->policy,
	    rx->r->probe_ms, &rx->res);
	return NULL;
}

/* driver_ref_listen - a listening socket on addr, any port; fd or -1 */
static int
driver_ref_listen(const char *addr, int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0
	    || listen(fd, 4) != 0
	    || getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * driver_ref_probe_in - an xmpp-in probe of ref: the lab connects to
 * ref's receiver; the lab's view (initiator) is the outcome, and ref's
 * own account must agree with it.
 */
static void
driver_ref_probe_in(struct run *r, const struct run_target *t, size_t ci,
    unsigned slot)
{
	struct report_cell *c = &r->cells[ci];
	const struct run_key *k = &r->keys[ci];
	struct driver_ref_rx rx;
	struct initiator_result ir;
	struct judge_seen seen = { 0 };
	struct buf detail = { 0 };
	pthread_t th;
	const char *why = NULL;
	char *e = NULL;
	double t0 = clock_s();
	int port = 0;

	memset(&rx, 0, sizeof(rx));
	memset(&ir, 0, sizeof(ir));
	rx.r = r;
	rx.slot = slot;
	rx.policy = k->policy;
	if ((rx.lfd = driver_ref_listen(DRIVER_REF_INBOUND_ADDR, &port)) < 0
	    || pthread_create(&th, NULL, driver_ref_rx_thread, &rx) != 0) {
		e = xasprintf("cannot listen on %s: %s",
		    DRIVER_REF_INBOUND_ADDR, strerror(errno));
		if (rx.lfd >= 0)
			close(rx.lfd);
		seen.outcome = OUTCOME_NO_CONNECT;
		seen.error = e;
		run_judge(r, t, ci, &seen);
		free(e);
		return;
	}
	run_initiate(r, ci, DRIVER_REF_INBOUND_ADDR, port, &ir);
	pthread_join(th, NULL);
	close(rx.lfd);
	c->seconds = clock_s() - t0;
	if (rx.rc != 0)
		why = "the reference receiver failed";
	else if (rx.res.outcome != ir.outcome)
		why = "the reference receiver and the lab's connecting server "
		    "disagree";
	if (why)
		e = xasprintf("%s (receiver: %s; %s)", why,
		    outcome_name(rx.res.outcome), rx.res.detail);
	seen.outcome = ir.outcome;
	seen.error = e;
	seen.why = rx.res.detail;
	run_judge(r, t, ci, &seen);
	buf_printf(&detail, "== reference receiver\n%s\n== the lab's "
	    "connecting server (%s)\n%s", rx.res.log ? rx.res.log : "",
	    ir.detail, ir.transcript ? ir.transcript : "");
	buf_printf(&detail, "%s", r->zone_text[k->scenario]);
	c->detail = detail.data;
	free(e);
	free(rx.res.log);
	free(ir.transcript);
}

/* driver_ref_disagree - where the client's account and the endpoints'
 * (outcome seen, the session conns[final] if it went on) differ, why;
 * else NULL (static) */
static const char *
driver_ref_disagree(const struct ref_result *res, enum outcome seen,
    int went_on, const struct endpoint_conn *final)
{
	if (res->outcome != seen)
		return "the reference client and the lab's endpoints disagree";
	/* Where it went on, both must name the same address. */
	if (went_on && strcmp(res->addr, final->addr) != 0)
		return "the reference client went on at another address than "
		    "the endpoints saw";
	return NULL;
}

/* driver_ref_probe - one probe with the reference client; fills the cell */
static void
driver_ref_probe(struct run *r, const struct run_target *t, size_t ci,
    unsigned slot)
{
	struct report_cell *c = &r->cells[ci];
	const struct run_key *k = &r->keys[ci];
	const struct scenario *s = r->w->cat.list[k->scenario];
	char *domain = plan_domain(s), *prefix = xasprintf("%s/", s->id);
	struct ref_result res;
	struct endpoint_conn *conns = NULL;
	struct judge_seen seen = { 0 };
	size_t nconns = 0, final = 0, own;
	const char *why = NULL;
	struct buf detail = { 0 };
	double t0 = clock_s(), t1;
	int went_on = 0;
	char *stray, *e = NULL;

	memset(&res, 0, sizeof(res));
	if (refclient_probe(r->ref, slot, k->proto, domain,
	    k->policy, r->probe_ms, &res) != 0)
		why = "the reference client failed";
	else if (res.timed_out)
		why = "the reference client ran out of time (its deadline or a "
		    "step's timeout): no verdict";
	t1 = clock_s();
	if (endpoint_quiesce(r->eps, prefix, RUN_QUIESCE_MS) != 0 && !why)
		why = "a connection was still open after the probe";
	endpoint_take(r->eps, prefix, &conns, &nconns);
	c->seconds = clock_s() - t0;
	own = judge_attribute(r->cells, r->ncells, ci, conns, nconns,
	    RUN_MS(t0), RUN_MS(t1), &stray);
	if (stray && !why)
		why = stray;
	seen.outcome = judge_observe(conns, own, &final, &went_on);
	if (own > 0)
		seen.host = judge_host_of_tag(conns[final].tag);
	/* The client's word upgrades encrypted to authenticated. */
	if (seen.outcome == OUTCOME_ENCRYPTED
	    && res.outcome == OUTCOME_AUTHENTICATED)
		seen.outcome = OUTCOME_AUTHENTICATED;
	seen.violation = judge_violation(s, scn_expect_for(s, k->proto,
	    k->policy), k->proto, conns, own, final, seen.outcome);
	if (!why)
		why = driver_ref_disagree(&res, seen.outcome, went_on,
		    own > 0 ? &conns[final] : NULL);
	if (why)
		e = xasprintf("%s (client: %s%s%s; %s)", why,
		    outcome_name(res.outcome), res.host[0] ? " at " : "",
		    res.host, res.detail);
	seen.error = e;
	seen.why = res.detail;
	run_judge(r, t, ci, &seen);
	buf_printf(&detail, "== reference client\n%s", res.log ? res.log : "");
	run_transcripts(&detail, conns, nconns, own);
	buf_printf(&detail, "%s", r->zone_text[k->scenario]);
	c->detail = detail.data;
	endpoint_conns_free(conns, nconns);
	free((char *)seen.violation);
	free(res.log);
	free(domain);
	free(prefix);
	free(stray);
	free(e);
}

/*
 * All of ref's cells at once: one work item per scenario, its cells in
 * batch order one after the other, so that two cells of one scenario
 * never run at the same time (the endpoints' connections and the
 * resolver's queries of a scenario are the cell's own), while the
 * scenarios run side by side.  Each worker probes with its own resolver
 * context (its slot), which keeps validated keys and no answers: a
 * scenario's first cell asks for its zones' DS and DNSKEY, the later ones
 * find the keys, and every cell asks for the rest.
 */
struct driver_ref_all {
	struct run *r;
	const struct run_target *t;
	size_t *cells;			/* grouped by scenario */
	size_t *group;			/* group g: cells[group[g]..group[g+1]) */
	size_t ngroups;
	atomic_size_t next;
	atomic_uint workers;		/* slots handed out */
};

/* driver_ref_cell - probe cell ci with resolver slot k, then its window,
 * queries and progress */
static void
driver_ref_cell(struct run *r, const struct run_target *t, size_t ci,
    unsigned k)
{
	size_t q0 = queries_mark(r);
	double from = clock_unix();

	if (r->keys[ci].proto == PROTO_XMPP_IN)
		driver_ref_probe_in(r, t, ci, k);
	else
		driver_ref_probe(r, t, ci, k);
	run_window(r, &ci, 1, from, clock_unix());
	queries_join(r, t, &ci, 1, q0);
	run_say(r, &r->cells[ci]);
}

/* driver_ref_worker - the scenarios' cells until none is left or a stop
 * is requested */
static void *
driver_ref_worker(void *arg)
{
	struct driver_ref_all *b = arg;
	unsigned slot = atomic_fetch_add(&b->workers, 1);
	size_t g;

	while (!stop_requested()
	    && (g = atomic_fetch_add(&b->next, 1)) < b->ngroups)
		for (size_t i = b->group[g]; i < b->group[g + 1]
		    && !stop_requested(); i++)
			driver_ref_cell(b->r, b->t, b->cells[i], slot);
	return NULL;
}

/* driver_ref_run_all - every pending cell, up to --jobs scenarios at
 * once */
static void
driver_ref_run_all(struct run *r, struct run_target *t, const size_t *cells,
    size_t n)
{
	struct driver_ref_all b = { .r = r, .t = t };
	size_t nscn = r->w->cat.n, *count = xcalloc(nscn + 1, sizeof(*count));

	/* Counting sort by scenario, keeping the batch order within one. */
	for (size_t i = 0; i < n; i++)
		count[r->keys[cells[i]].scenario + 1]++;
	for (size_t s = 0; s < nscn; s++)
		count[s + 1] += count[s];
	b.cells = xcalloc(n, sizeof(*b.cells));
	b.group = xcalloc(nscn + 1, sizeof(*b.group));
	for (size_t s = 0; s < nscn; s++)
		if (count[s + 1] > count[s])
			b.group[b.ngroups++] = count[s];
	b.group[b.ngroups] = n;
	for (size_t i = 0; i < n; i++)
		b.cells[count[r->keys[cells[i]].scenario]++] = cells[i];
	/* Nothing kept from an earlier run_all. */
	refclient_forget(r->ref);
	atomic_init(&b.next, 0);
	atomic_init(&b.workers, 0);
	workers_run((size_t)r->o->jobs < b.ngroups ? (size_t)r->o->jobs
	    : b.ngroups, driver_ref_worker, &b);
	free(b.cells);
	free(b.group);
	free(count);
}

/* driver_ref_probe_target - ref is built in: always there */
static enum cell_state
driver_ref_probe_target(struct run *r, struct run_target *t, char **why)
{
	(void)r;
	(void)why;
	t->version = xstrdup("ref (built-in reference client)");
	t->tls = xstrdup("OpenSSL");	/* its DANE is OpenSSL's (refclient) */
	return CELL_PENDING;
}

/* driver_ref_setup - nothing to set up: the lab's listeners are up */
static enum cell_state
driver_ref_setup(struct run *r, struct run_target *t, char **why)
{
	(void)r;
	(void)t;
	(void)why;
	return CELL_PENDING;
}

/* driver_ref_teardown - nothing to undo */
static void
driver_ref_teardown(struct run *r, struct run_target *t)
{
	(void)r;
	(void)t;
}

/* driver_ref_release - ref keeps no state of its own */
static void
driver_ref_release(struct run_target *t)
{
	(void)t;
}

/* The reference client: nothing to set up, and no serve (its receivers
 * listen per probe). */
const struct driver driver_ref = {
	.name = "ref",
	.probe = driver_ref_probe_target,
	.setup = driver_ref_setup,
	.serve = NULL,
	.run = NULL,
	.run_all = driver_ref_run_all,
	.teardown = driver_ref_teardown,
	.release = driver_ref_release,
};
