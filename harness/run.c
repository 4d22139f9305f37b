/*
 * run.c - one run of the lab: every selected scenario, every target,
 * every protocol and policy, probed and judged.
 *
 * The reference client's probes of one scenario run one after another on
 * one worker (they share the scenario's listeners, and a connection is
 * attributed to the probe by the scenario's tag prefix); scenarios run in
 * parallel.  An adapter target gets one batch per protocol and policy,
 * so a scenario appears once in a batch.  What a probe observed is the
 * endpoints' view of the connections it made; the target's own word only
 * upgrades "encrypted" to "authenticated" (harness/targets/README.md).
 * For ref, any disagreement between its account and the endpoints' is an
 * error: the oracle must be exactly right.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "clock.h"
#include "endpoint.h"
#include "hostile.h"
#include "initiator.h"
#include "judge.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "observe.h"
#include "plan.h"
#include "refclient.h"
#include "report.h"
#include "run.h"
#include "stop.h"
#include "target.h"
#include "template.h"
#include "world.h"

#define RUN_QUIESCE_MS	5000	/* for a probe's connections to finish */
#define RUN_MS(t)	((long long)((t) * 1000))	/* clock_s() seconds, in ms */
#define RUN_LOAD_MAX	4	/* at most this many times --deadline */
#define RUN_INBOUND_REF_ADDR	"127.0.0.4"	/* ref's receivers (xmpp-in) */

/* Protocols of the scenario language, as endpoint and client protocols. */
static const enum endpoint_proto run_endpoint_proto[SCN_PROTO_COUNT] = {
	[SCN_SMTP] = ENDPOINT_SMTP, [SCN_SMTPS] = ENDPOINT_SMTPS,
	[SCN_XMPP] = ENDPOINT_XMPP, [SCN_XMPPS] = ENDPOINT_XMPPS,
};
static const enum ref_proto run_ref_proto[SCN_PROTO_COUNT] = {
	[SCN_SMTP] = REF_SMTP, [SCN_SMTPS] = REF_SMTPS,
	[SCN_XMPP] = REF_XMPP, [SCN_XMPPS] = REF_XMPPS,
};

/* One target of the run. */
struct run_target {
	char *name;
	int builtin;			/* ref */
	int prober;			/* "mode: prober": its word is the outcome */
	char *version;			/* from "probe", or why unavailable */
	struct target_deviation *baseline;
	size_t nbaseline;
	size_t cell0;			/* its first cell */
};

/* Which scenario, protocol and policy a cell is. */
struct run_key {
	size_t scenario;
	int proto, policy;
};

/* Everything the workers share. */
struct run {
	const struct run_options *o;
	struct world *w;
	struct lab *lab;
	struct endpoint_set *eps;
	struct refclient *ref;
	SSL_CTX *inbound_ctx;		/* xmpp-in: the receivers' chain */
	struct run_target *targets;
	size_t ntargets;
	struct report_cell *cells;	/* target x scenario x proto x policy */
	struct run_key *keys;		/* one per cell */
	size_t ncells;
	size_t per_target;		/* cells per target */
	size_t *first_cell;		/* per scenario: offset in a target's block */
	char **zone_text;		/* per scenario: its zones, read once */
	const struct run_target *worker_target;	/* what the workers probe */
	atomic_size_t next;		/* next scenario to probe */
	atomic_size_t done;		/* scenarios finished */
	int probe_ms;			/* per-probe deadline now (run_scale) */
	pthread_mutex_t out_lock;	/* progress lines */
};

/* run_rel_file - a catalogue file relative to the data directory
 * ("scenarios/smtp/mx.scn"), any other as given (borrowed) */
static const char *
run_rel_file(const char *file)
{
	const char *dd = template_datadir();
	size_t n = strlen(dd);

	return strncmp(file, dd, n) == 0 && file[n] == '/' ? file + n + 1
	    : file;
}

/*
 * run_scale - r->probe_ms, the per-probe deadline from now on: --deadline
 * times how loaded
 * the machine is (the 1-minute load average per online CPU, from 1 to
 * RUN_LOAD_MAX), so that a target that is merely slow on a busy machine
 * is given the time it needs; one that still runs out of time is an
 * error saying so, never a verdict.  The endpoints' idle and total
 * deadlines get the same factor.  Taken once per target and per batch,
 * not per probe.
 */
static void
run_scale(struct run *r)
{
	double load, f = 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (getloadavg(&load, 1) == 1 && cpus > 0 && load / cpus > 1)
		f = load / cpus < RUN_LOAD_MAX ? load / cpus : RUN_LOAD_MAX;
	if (r->eps)	/* a slow client is not one that stalls */
		endpoint_set_deadlines(r->eps, (int)(ENDPOINT_IDLE_MS * f),
		    (int)(ENDPOINT_TOTAL_MS * f));
	r->probe_ms = (int)(r->o->probe_ms * f);
}

/* run_zone_text - the zone files of scenario s (no signatures), for cell
 * details; read once per scenario by run_main */
static void
run_zone_text(const struct run *r, const struct scenario *s, struct buf *b)
{
	char *save = NULL;

	for (size_t i = 0; i < s->nzones; i++) {
		char *origin = scn_zone_origin(s, &s->zones[i], PLAN_TLD);
		char *path = xasprintf("%s/zones/%szone", lab_dir(r->lab), origin);
		char *text = file_read(path, NULL);

		buf_printf(b, "\n== zone %s (%s)\n", origin,
		    scn_zone_state_name(s->zones[i].state));
		if (text) {
			/* Signatures make it long and say little: leave them out. */
			for (char *line = strtok_r(text, "\n", &save); line;
			    line = strtok_r(NULL, "\n", &save))
				if (strstr(line, "\tRRSIG\t") == NULL
				    && strstr(line, "\tNSEC\t") == NULL)
					buf_printf(b, "%s\n", line);
		} else
			buf_printf(b, "(not served: %s)\n", path);
		free(text);
		free(path);
		free(origin);
	}
}

/* run_transcripts - the endpoints' transcripts, for a cell's details;
 * those from own on are stray (judge_attribute) */
static void
run_transcripts(struct buf *b, const struct endpoint_conn *conns, size_t n,
    size_t own)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "\n== %sendpoint %s %s:%d (%s; SNI %s; %s)\n%s",
		    i >= own ? "STRAY session at " : "",
		    conns[i].tag, conns[i].addr, conns[i].port,
		    outcome_name(conns[i].outcome),
		    conns[i].sni[0] ? conns[i].sni : "none",
		    conns[i].tls_version[0] ? conns[i].tls_version : "no TLS",
		    conns[i].transcript ? conns[i].transcript : "");
	if (n == 0)
		buf_printf(b, "\n== endpoints: no connection\n");
}

/*
 * run_judge - the verdict of cell c of target t (judge_cell): the
 * scenario's expectation for the cell, and the target's baseline line
 * that matches it.
 */
static void
run_judge(const struct run_target *t, const struct scenario *s,
    const struct run_key *k, struct report_cell *c, enum outcome seen,
    const char *host, const char *violation, const char *error,
    const char *why)
{
	struct judge_seen w = { seen, host, violation, error, why };

	judge_cell(scn_expect_for(s, k->proto, k->policy),
	    target_baseline_match(t->baseline, t->nbaseline, s->id,
	    scn_proto_name(k->proto), scn_policy_name(k->policy)), c, &w);
}

/* run_from - the connecting domain of an xmpp-in probe: the scenario's
 * domain without its trailing dot; caller frees */
static char *
run_from(const struct scenario *s)
{
	char *d = plan_domain(s);
	size_t n = strlen(d);

	if (n > 1 && d[n - 1] == '.')
		d[n - 1] = 0;
	return d;
}

/* run_client_ctx - a TLS client context presenting scenario i's client
 * chain (xmpp-in), or NULL after a warning */
static SSL_CTX *
run_client_ctx(const struct run *r, size_t i)
{
	const struct pki_chain *chain = i < r->w->plan->nclients
	    ? r->w->plan->clients[i] : NULL;
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

/* run_initiate - the lab connects to addr:port as scenario k's domain */
static void
run_initiate(const struct run *r, const struct run_key *k, const char *addr,
    int port, struct initiator_result *ir)
{
	const struct scenario *s = r->w->cat.list[k->scenario];
	SSL_CTX *ctx = run_client_ctx(r, k->scenario);
	char *from = run_from(s);

	if (ctx == NULL) {
		memset(ir, 0, sizeof(*ir));
		ir->outcome = OUTCOME_NO_CONNECT;
		snprintf(ir->detail, sizeof(ir->detail), "internal: no client "
		    "chain for %s", s->id);
		ir->transcript = xstrdup(ir->detail);
	} else
		initiator_probe(addr, port, from, TARGET_CLIENT_NAME, ctx,
		    r->probe_ms, ir);
	SSL_CTX_free(ctx);
	free(from);
}

/* One inbound probe of ref: its receiver's side. */
struct run_rx {
	const struct run *r;
	int lfd;
	enum ref_policy policy;
	struct ref_result res;
	int rc;
};

/* run_rx_thread - accept the lab's connection and receive it as ref */
static void *
run_rx_thread(void *arg)
{
	struct run_rx *rx = arg;
	struct pollfd pfd = { .fd = rx->lfd, .events = POLLIN };
	int fd = -1;

	if (poll(&pfd, 1, rx->r->probe_ms) == 1)
		fd = accept4(rx->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		memset(&rx->res, 0, sizeof(rx->res));
		rx->res.outcome = OUTCOME_NO_CONNECT;
		snprintf(rx->res.detail, sizeof(rx->res.detail), "nothing "
		    "connected to the reference receiver");
		rx->res.log = xstrdup(rx->res.detail);
		rx->rc = 0;
		return NULL;
	}
	rx->rc = refclient_receive((struct refclient *)rx->r->ref, fd,
	    rx->r->inbound_ctx, TARGET_CLIENT_NAME, rx->policy,
	    rx->r->probe_ms, &rx->res);
	return NULL;
}

/* run_listen_any - a listening socket on addr, any port; fd or -1 */
static int
run_listen_any(const char *addr, int *port)
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
 * run_probe_ref_in - an xmpp-in probe of ref: the lab connects to ref's
 * receiver; the lab's view (initiator) is the outcome, and ref's own
 * account must agree with it.
 */
static void
run_probe_ref_in(struct run *r, const struct run_target *t, size_t ci)
{
	struct report_cell *c = &r->cells[ci];
	const struct run_key *k = &r->keys[ci];
	const struct scenario *s = r->w->cat.list[k->scenario];
	struct run_rx rx;
	struct initiator_result ir;
	struct buf detail = { 0 };
	pthread_t th;
	const char *why = NULL;
	double t0 = clock_s();
	int port = 0;

	memset(&rx, 0, sizeof(rx));
	memset(&ir, 0, sizeof(ir));
	rx.r = r;
	rx.policy = k->policy == SCN_MANDATORY ? REF_MANDATORY
	    : REF_OPPORTUNISTIC;
	if ((rx.lfd = run_listen_any(RUN_INBOUND_REF_ADDR, &port)) < 0
	    || pthread_create(&th, NULL, run_rx_thread, &rx) != 0) {
		char *e = xasprintf("cannot listen on %s: %s",
		    RUN_INBOUND_REF_ADDR, strerror(errno));

		if (rx.lfd >= 0)
			close(rx.lfd);
		run_judge(t, s, k, c, OUTCOME_NO_CONNECT, NULL, NULL, e, NULL);
		free(e);
		return;
	}
	run_initiate(r, k, RUN_INBOUND_REF_ADDR, port, &ir);
	pthread_join(th, NULL);
	close(rx.lfd);
	c->seconds = clock_s() - t0;
	if (rx.rc != 0)
		why = "the reference receiver failed";
	else if (rx.res.outcome != ir.outcome)
		why = "the reference receiver and the lab's connecting server "
		    "disagree";
	if (why) {
		char *e = xasprintf("%s (receiver: %s; %s)", why,
		    outcome_name(rx.res.outcome), rx.res.detail);

		run_judge(t, s, k, c, ir.outcome, NULL, NULL, e, NULL);
		free(e);
	} else
		run_judge(t, s, k, c, ir.outcome, NULL, NULL, NULL,
		    rx.res.detail);
	buf_printf(&detail, "== reference receiver\n%s\n== the lab's "
	    "connecting server (%s)\n%s", rx.res.log ? rx.res.log : "",
	    ir.detail, ir.transcript ? ir.transcript : "");
	buf_printf(&detail, "%s", r->zone_text[k->scenario]);
	c->detail = detail.data;
	free(rx.res.log);
	free(ir.transcript);
}

/* run_probe_ref - one probe with the reference client; fills the cell */
static void
run_probe_ref(struct run *r, const struct run_target *t, size_t ci)
{
	struct report_cell *c = &r->cells[ci];
	const struct run_key *k = &r->keys[ci];
	const struct scenario *s = r->w->cat.list[k->scenario];
	char *domain = plan_domain(s), *prefix = xasprintf("%s/", s->id);
	struct ref_result res;
	struct endpoint_conn *conns = NULL;
	size_t nconns = 0, final;
	enum outcome seen;
	const char *host = NULL, *why = NULL;
	struct buf detail = { 0 };
	double t0 = clock_s(), t1;
	int went_on;
	size_t own;
	char *stray, *violation;

	memset(&res, 0, sizeof(res));
	if (refclient_probe(r->ref, run_ref_proto[k->proto], domain,
	    k->policy == SCN_MANDATORY ? REF_MANDATORY : REF_OPPORTUNISTIC,
	    r->probe_ms, &res) != 0)
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
	seen = judge_observe(conns, own, &final, &went_on);
	if (own > 0)
		host = judge_host_of_tag(conns[final].tag);
	/* The client's word upgrades encrypted to authenticated. */
	if (seen == OUTCOME_ENCRYPTED && res.outcome == OUTCOME_AUTHENTICATED)
		seen = OUTCOME_AUTHENTICATED;
	violation = judge_violation(s, scn_expect_for(s, k->proto, k->policy),
	    k->proto, conns, own, final, seen);
	if (!why && res.outcome != seen)
		why = "the reference client and the lab's endpoints disagree";
	/* Where it went on, both must name the same address. */
	if (!why && went_on && strcmp(res.addr, conns[final].addr) != 0)
		why = "the reference client went on at another address than "
		    "the endpoints saw";
	if (why) {
		char *e = xasprintf("%s (client: %s%s%s; %s)", why,
		    outcome_name(res.outcome), res.host[0] ? " at " : "",
		    res.host, res.detail);

		run_judge(t, s, k, c, seen, host, violation, e, NULL);
		free(e);
	} else
		run_judge(t, s, k, c, seen, host, violation, NULL,
		    res.detail);
	buf_printf(&detail, "== reference client\n%s", res.log ? res.log : "");
	run_transcripts(&detail, conns, nconns, own);
	buf_printf(&detail, "%s", r->zone_text[k->scenario]);
	c->detail = detail.data;
	endpoint_conns_free(conns, nconns);
	free(res.log);
	free(domain);
	free(prefix);
	free(stray);
	free(violation);
}

/* run_say - one line about a cell that did not pass (known deviations
 * only when not quiet; nothing once a stop is requested) */
static void
run_say(struct run *r, const struct report_cell *c)
{
	if (c->verdict == VERDICT_PASS || c->verdict == VERDICT_SKIP
	    || (c->verdict == VERDICT_XFAIL && msg_quiet) || stop_requested())
		return;
	pthread_mutex_lock(&r->out_lock);
	fprintf(stderr, "%s%s %s/%s %s %s: %s\n",
	    r->o->progress ? "\r\033[K" : "", verdict_name(c->verdict),
	    c->target, c->scenario, c->proto, c->policy, c->reason);
	pthread_mutex_unlock(&r->out_lock);
}

/* run_worker - probe scenarios with ref until none is left or a stop
 * is requested */
static void *
run_worker(void *arg)
{
	struct run *r = arg;
	const struct run_target *t = r->worker_target;
	size_t i;

	while (!stop_requested()
	    && (i = atomic_fetch_add(&r->next, 1)) < r->w->cat.n) {
		size_t end = i + 1 < r->w->cat.n ? r->first_cell[i + 1]
		    : r->per_target;

		for (size_t ci = t->cell0 + r->first_cell[i];
		    ci < t->cell0 + end && !stop_requested(); ci++) {
			if (r->cells[ci].verdict == VERDICT_SKIP)
				continue;
			if (r->keys[ci].proto == SCN_XMPP_IN)
				run_probe_ref_in(r, t, ci);
			else
				run_probe_ref(r, t, ci);
			run_say(r, &r->cells[ci]);
		}
		atomic_fetch_add(&r->done, 1);
		if (r->o->progress) {
			pthread_mutex_lock(&r->out_lock);
			fprintf(stderr, "\r\033[K%s [%zu/%zu] %s", t->name,
			    atomic_load(&r->done), r->w->cat.n,
			    r->w->cat.list[i]->id);
			pthread_mutex_unlock(&r->out_lock);
		}
	}
	return NULL;
}

/* run_mark - every cell of t still open gets verdict v and reason why */
static void
run_mark(struct run *r, const struct run_target *t, enum verdict v,
    const char *why)
{
	for (size_t ci = t->cell0; ci < t->cell0 + r->per_target; ci++) {
		struct report_cell *c = &r->cells[ci];

		if (c->observed != NULL)
			continue;
		c->verdict = v;
		c->observed = xstrdup("");
		c->reason = xstrdup(why);
	}
}

/* run_tail - the last lines of some output, for a reason; caller frees */
static char *
run_tail(const char *text)
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

/* run_word_outcome - the outcome a target's verdict word names (not
 * for skip and error) */
static enum outcome
run_word_outcome(int word)
{
	static const enum outcome as[] = {
		[TW_AUTHENTICATED] = OUTCOME_AUTHENTICATED,
		[TW_ENCRYPTED] = OUTCOME_ENCRYPTED,
		[TW_CLEARTEXT] = OUTCOME_CLEARTEXT,
		[TW_REFUSED] = OUTCOME_REFUSED,
		[TW_NO_CONNECT] = OUTCOME_NO_CONNECT,
	};

	return as[word];
}

/*
 * run_prober - a probing tool (posttls-finger) delivers nothing, so the
 * wire cannot show its decision: its word is the outcome, provided the
 * endpoints saw what that word needs (a TLS handshake for authenticated
 * and encrypted, a connection for refused, a cleartext session for
 * cleartext, nothing for no-connect).  Returns NULL, or an error saying
 * how the target and the lab disagree (caller frees).
 */
static char *
run_prober(int word, const struct endpoint_conn *conns, size_t n,
    enum outcome *seen, const char **host)
{
	size_t i, found = n;

	for (i = 0; i < n; i++) {
		int tls = conns[i].tls_done;

		if (((word == TW_AUTHENTICATED || word == TW_ENCRYPTED) && tls)
		    || (word == TW_CLEARTEXT
		    && conns[i].outcome == OUTCOME_CLEARTEXT)
		    || word == TW_REFUSED)
			found = i;
	}
	if (word == TW_NO_CONNECT ? n > 0 : found == n)
		return xasprintf("the target says %s, but the lab's endpoints "
		    "saw %zu connection%s%s", target_word_name(word), n,
		    n == 1 ? "" : "s", n ? " without what that needs" : "");
	*seen = run_word_outcome(word);
	*host = n ? judge_host_of_tag(conns[found].tag) : NULL;
	return NULL;
}

/*
 * run_threads - run fn(arg) on up to n threads at once and wait for them
 * all; fn takes its work from a shared counter in arg, so with no thread
 * started it runs once on the caller's.
 */
static void
run_threads(size_t n, void *(*fn)(void *), void *arg)
{
	pthread_t *th = xcalloc(n ? n : 1, sizeof(*th));
	size_t started = 0;

	for (; started < n; started++)
		if (pthread_create(&th[started], NULL, fn, arg) != 0) {
			msg_warn("pthread_create: %s", strerror(errno));
			break;
		}
	if (started == 0)
		fn(arg);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
}

/* The lab's connections of one xmpp-in batch, made in parallel. */
struct run_init {
	const struct run *r;
	const size_t *idx;
	size_t n;
	struct initiator_result *ir;
	atomic_size_t next;
};

static void *
run_init_worker(void *arg)
{
	struct run_init *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < w->n)
		run_initiate(w->r, &w->r->keys[w->idx[i]], TARGET_INBOUND_ADDR,
		    TARGET_INBOUND_PORT, &w->ir[i]);
	return NULL;
}

/* run_initiate_all - one connection per cell idx[0..n-1] to the target's
 * receiving server, up to --jobs at once (each probe has its own domain,
 * so the target tells them apart) */
static void
run_initiate_all(const struct run *r, const size_t *idx, size_t n,
    struct initiator_result *ir)
{
	struct run_init w = { .r = r, .idx = idx, .n = n, .ir = ir };

	atomic_init(&w.next, 0);
	run_threads((size_t)r->o->jobs < n ? (size_t)r->o->jobs : n,
	    run_init_worker, &w);
}

/*
 * run_serve - start target t's receiving server for an xmpp-in batch of
 * policy q ("serve POLICY").  On failure the batch's cells idx[0..n-1]
 * are marked (exit 3: skip with the target's reason; else error) and -1
 * is returned.
 */
static int
run_serve(struct run *r, const struct run_target *t, const char *workdir,
    int q, const size_t *idx, size_t n)
{
	struct buf out = { 0 };
	char *why;
	int rc = target_exec(r->lab, t->name, "serve", scn_policy_name(q),
	    workdir, r->probe_ms, TARGET_VERB_MS, &out);

	if (rc == 0) {
		buf_free(&out);
		return 0;
	}
	if (rc == 3) {
		if (out.data)
			out.data[strcspn(out.data, "\n")] = 0;
		why = xasprintf("%s: %s", t->name, out.data && *out.data
		    ? out.data : "no receiving server (serve: exit 3)");
	} else {
		char *tail = run_tail(out.data ? out.data : "");

		why = xasprintf("%s serve %s failed (%s): %s", t->name,
		    scn_policy_name(q), rc == -1 ? "killed at its deadline"
		    : "non-zero exit", tail);
		free(tail);
	}
	for (size_t i = 0; i < n; i++) {
		struct report_cell *c = &r->cells[idx[i]];

		c->verdict = rc == 3 ? VERDICT_SKIP : VERDICT_ERROR;
		c->observed = xstrdup("");
		c->reason = xstrdup(why);
		c->seconds = 0;
		run_say(r, c);
	}
	free(why);
	buf_free(&out);
	return -1;
}

/* run_batch - one batch of an adapter target: proto p, policy q */
static void
run_batch(struct run *r, const struct run_target *t, const char *workdir,
    int p, int q)
{
	struct buf file = { 0 }, out = { 0 }, blog = { 0 };
	char *path = xasprintf("%s/probes-%s-%s.txt", workdir,
	    scn_proto_name(p), scn_policy_name(q));
	size_t n = 0, *idx = NULL;
	int rc, deadline = 0, inbound = p == SCN_XMPP_IN;
	struct target_verdict *v = NULL;
	char *parse_errors = NULL;
	struct initiator_result *ir = NULL;
	double t0 = clock_s(), t_run0 = t0, t_run1;

	run_scale(r);
	for (size_t ci = t->cell0; ci < t->cell0 + r->per_target; ci++) {
		const struct run_key *k = &r->keys[ci];
		char *domain;

		if (k->proto != p || k->policy != q
		    || r->cells[ci].observed != NULL)
			continue;
		domain = plan_domain(r->w->cat.list[k->scenario]);
		target_probe_line(&file, ci, scn_proto_name(p),
		    scn_policy_name(q), domain);
		free(domain);
		idx = xrealloc(idx, (n + 1) * sizeof(*idx));
		idx[n++] = ci;
	}
	if (n == 0)
		goto out;
	if (inbound && run_serve(r, t, workdir, q, idx, n) != 0)
		goto out;
	v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i].cell = idx[i];
		v[i].word = -1;
	}
	if (inbound) {
		/* The target serves: the lab connects, once per probe. */
		ir = xcalloc(n, sizeof(*ir));
		run_initiate_all(r, idx, n, ir);
	}
	if (file_write(path, file.data, file.len) != 0) {
		for (size_t i = 0; i < n; i++)
			v[i].word = TW_ERROR;
		rc = -2;
	} else {
		t_run0 = clock_s();
		deadline = r->probe_ms * (1 + (int)n / 16);
		rc = target_exec(r->lab, t->name, "run", path, workdir,
		    r->probe_ms, deadline, &out);
	}
	t_run1 = clock_s();
	target_parse_run(t->name, out.data, v, n, &blog, &parse_errors);
	for (size_t i = 0; i < n; i++) {
		size_t ci = idx[i];
		struct report_cell *c = &r->cells[ci];
		const struct run_key *k = &r->keys[ci];
		const struct scenario *s = r->w->cat.list[k->scenario];
		char *prefix = xasprintf("%s/", s->id), *err = NULL, *tail;
		struct endpoint_conn *conns = NULL;
		size_t nconns = 0, final, own = 0;
		struct buf detail = { 0 };
		enum outcome seen;
		const char *host = NULL;
		int went_on;
		char *stray = NULL;

		c->seconds = (clock_s() - t0) / n;
		if (inbound) {
			/* What the lab's connecting server saw is the
			 * outcome; the target's own account must agree. */
			seen = ir[i].outcome;
			if (v[i].word >= 0 && v[i].word < TW_SKIP
			    && run_word_outcome(v[i].word) != seen)
				err = xasprintf("target %s says %s, but the lab's "
				    "connecting server saw %s (%s)", t->name,
				    target_word_name(v[i].word),
				    outcome_name(seen), ir[i].detail);
			/* A receiving server may connect back (dialback):
			 * the probe's doing, shown, and not left for the
			 * next batch to find. */
			endpoint_quiesce(r->eps, prefix, RUN_QUIESCE_MS);
			endpoint_take(r->eps, prefix, &conns, &nconns);
			own = nconns;
		} else {
			char *open = NULL;

			if (endpoint_quiesce(r->eps, prefix, RUN_QUIESCE_MS))
				open = xasprintf("a session at the scenario's "
				    "endpoints was still open %d ms after the "
				    "batch", RUN_QUIESCE_MS);
			endpoint_take(r->eps, prefix, &conns, &nconns);
			own = judge_attribute(r->cells, r->ncells, idx[i], conns,
			    nconns, RUN_MS(t_run0), RUN_MS(t_run1), &stray);
			if (open) {
				free(stray);
				stray = open;
			}
			seen = judge_observe(conns, own, &final, &went_on);
			if (own > 0)
				host = judge_host_of_tag(conns[final].tag);
			if (v[i].word == TW_AUTHENTICATED
			    && seen == OUTCOME_ENCRYPTED)
				seen = OUTCOME_AUTHENTICATED;
			if (t->prober && v[i].word >= 0 && v[i].word < TW_SKIP)
				err = run_prober(v[i].word, conns, own, &seen,
				    &host);
		}
		tail = run_tail(out.data);
		if (v[i].word < 0 && rc == -1)
			err = xasprintf("target %s gave no verdict for this "
			    "probe (killed at its deadline, %d ms: it ran out "
			    "of time): %s", t->name, deadline, parse_errors
			    ? parse_errors : tail);
		else if (v[i].word < 0)
			err = xasprintf("target %s gave no verdict for this "
			    "probe (%s): %s", t->name, target_status_text(rc),
			    parse_errors ? parse_errors : tail);
		else if (v[i].word == TW_ERROR)
			err = xasprintf("target %s: error: %s", t->name, v[i].text);
		else if (stray && v[i].word < TW_SKIP) {
			free(err);
			err = stray;
			stray = NULL;
		}
		if (v[i].word == TW_SKIP) {
			c->verdict = VERDICT_SKIP;
			c->observed = xstrdup("");
			c->reason = xasprintf("%s: %s", t->name, v[i].text);
		} else {
			char *why = xasprintf("%s says %s: %s", t->name,
			    target_word_name(v[i].word < 0 ? TW_ERROR : v[i].word),
			    v[i].text ? v[i].text : "");
			char *violation = inbound ? NULL : judge_violation(s,
			    scn_expect_for(s, k->proto, k->policy), k->proto,
			    conns, own, final, seen);

			run_judge(t, s, k, c, seen, host, violation, err, why);
			free(violation);
			free(why);
		}
		buf_printf(&detail, "== target %s (%s %s batch of %zu, exit "
		    "%d)\nverdict: %s %s\n%s", t->name, scn_proto_name(p),
		    scn_policy_name(q), n, rc, v[i].word >= 0 ?
		    target_word_name(v[i].word) : "(none)", v[i].text ? v[i].text
		    : "", v[i].log ? v[i].log : "");
		if (blog.len)
			buf_printf(&detail, "== the batch's log\n%s", blog.data);
		if (inbound)
			buf_printf(&detail, "\n== the lab's connecting server "
			    "(%s)\n%s", ir[i].detail, ir[i].transcript);
		if (!inbound || nconns > 0)
			run_transcripts(&detail, conns, nconns, own);
		buf_printf(&detail, "%s", r->zone_text[k->scenario]);
		c->detail = detail.data;
		run_say(r, c);
		endpoint_conns_free(conns, nconns);
		free(prefix);
		free(stray);
		free(err);
		free(tail);
	}
	target_verdicts_free(v, n);
	for (size_t i = 0; ir && i < n; i++)
		free(ir[i].transcript);
	free(ir);
out:
	free(parse_errors);
	free(idx);
	free(path);
	buf_free(&file);
	buf_free(&out);
	buf_free(&blog);
}

/* run_external - probe, setup, one batch per proto x policy, teardown;
 * once a stop is requested, nothing more (the lab's end stops it all) */
static void
run_external(struct run *r, struct run_target *t)
{
	char *workdir = xasprintf("%s/targets/%s", lab_dir(r->lab), t->name);
	struct buf out = { 0 };
	int rc;

	run_scale(r);
	mkdir(workdir, 0755);
	rc = target_exec(r->lab, t->name, "probe", NULL, workdir,
	    r->probe_ms, TARGET_VERB_MS, &out);
	t->prober = strstr(out.data, "\nmode: prober") != NULL;
	out.data[strcspn(out.data, "\n")] = 0;
	if (stop_requested())
		goto out;
	if (rc == 3 || rc != 0) {
		char *why = rc == 3 ? xasprintf("%s unavailable: %s", t->name,
		    *out.data ? out.data : "(no reason given)")
		    : xasprintf("%s probe failed (exit %d): %s", t->name, rc,
		    out.data);

		t->version = xstrdup(why);
		run_mark(r, t, rc == 3 ? VERDICT_SKIP : VERDICT_ERROR, why);
		if (!msg_quiet || rc != 3)
			msg_warn("%s", why);
		free(why);
		goto out;
	}
	t->version = xstrdup(out.data);
	buf_free(&out);
	rc = target_exec(r->lab, t->name, "setup", NULL, workdir,
	    r->probe_ms, TARGET_VERB_MS, &out);
	if (stop_requested())
		goto out;
	if (rc != 0) {
		char *tail = run_tail(out.data);
		char *why = xasprintf("%s setup failed (exit %d): %s", t->name,
		    rc, tail);

		msg_warn("%s", why);
		run_mark(r, t, VERDICT_ERROR, why);
		free(why);
		free(tail);
	} else {
		for (int p = 0; p < SCN_PROTO_COUNT; p++)
			for (int q = 0; q < SCN_POLICY_COUNT; q++)
				if (r->o->policies & (1u << q)
				    && !stop_requested())
					run_batch(r, t, workdir, p, q);
	}
	buf_free(&out);
	if (stop_requested())
		goto out;
	rc = target_exec(r->lab, t->name, "teardown", NULL, workdir,
	    r->probe_ms, TARGET_VERB_MS, &out);
	if (rc != 0)
		msg_warn("%s teardown failed (exit %d): %s", t->name, rc,
		    out.data);
out:
	buf_free(&out);
	free(workdir);
}

/* run_cells - one cell per target x scenario x proto x policy */
static void
run_cells(struct run *r)
{
	struct world *w = r->w;

	r->first_cell = xcalloc(w->cat.n + 1, sizeof(size_t));
	for (size_t t = 0; t < r->ntargets; t++) {
		r->targets[t].cell0 = r->ncells;
		for (size_t i = 0; i < w->cat.n; i++) {
			const struct scenario *s = w->cat.list[i];

			r->first_cell[i] = r->ncells - r->targets[t].cell0;
			for (int p = 0; p < SCN_PROTO_COUNT; p++) {
				if (!(s->protos & (1u << p)))
					continue;
				for (int q = 0; q < SCN_POLICY_COUNT; q++) {
					const struct scn_expect *e =
					    scn_expect_for(s, p, q);
					struct report_cell *c;

					/* A policy not asked for is left out,
					 * as --filter leaves scenarios out. */
					if (!(r->o->policies & (1u << q)))
						continue;
					r->cells = xrealloc(r->cells,
					    (r->ncells + 1) * sizeof(*r->cells));
					r->keys = xrealloc(r->keys,
					    (r->ncells + 1) * sizeof(*r->keys));
					r->keys[r->ncells] = (struct run_key){
					    i, p, q };
					c = &r->cells[r->ncells++];
					memset(c, 0, sizeof(*c));
					c->scenario = xstrdup(s->id);
					c->area = xstrdup(*s->area ? s->area
					    : "-");
					c->file = xasprintf("%s:%d",
					    run_rel_file(s->file), s->line);
					c->summary = xstrdup(s->summary);
					c->refs = xstrdup(s->refs);
					c->target = xstrdup(r->targets[t].name);
					c->proto = xstrdup(scn_proto_name(p));
					c->policy = xstrdup(scn_policy_name(q));
					c->expected = judge_expected_text(e);
					if (e->avoid) {
						char *x = xasprintf("%s, "
						    "nothing at %s",
						    c->expected, e->avoid);

						free(c->expected);
						c->expected = x;
					}
					c->cite = xstrdup(e->cite);
					c->preferred = e->prefer
					    ? judge_preferred_text(e) : xstrdup("");
				}
			}
		}
		r->per_target = r->ncells - r->targets[t].cell0;
	}
}

/*
 * run_targets - parse "ref,postfix=/path,..." (NULL: every target) into
 * r->targets, setting DANELAB_<NAME>_BIN for overrides and loading
 * baselines.  Returns the number of errors (reported).
 */
static int
run_targets(struct run *r, const char *spec)
{
	char **all = target_names(), *copy, *item, *save = NULL;
	int errors = 0;

	copy = xstrdup(spec ? spec : "");
	if (spec == NULL)
		for (size_t i = 0; all[i]; i++) {
			char *c2 = xasprintf("%s%s%s", copy, *copy ? "," : "",
			    all[i]);

			free(copy);
			copy = c2;
		}
	for (item = strtok_r(copy, ",", &save); item;
	    item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		struct run_target *t;
		int known = 0;

		if (eq)
			*eq = 0;
		for (size_t i = 0; all[i]; i++)
			known |= strcmp(all[i], item) == 0;
		if (!known) {
			struct buf names = { 0 };

			for (size_t i = 0; all[i]; i++)
				buf_printf(&names, "%s%s", i ? ", " : "", all[i]);
			msg_warn("--target: unknown target \"%s\" (known: %s)",
			    item, names.data);
			buf_free(&names);
			errors++;
			continue;
		}
		if (eq) {
			char *env = target_env_bin(item);

			if (strcmp(item, TARGET_REF) == 0) {
				msg_warn("--target ref=...: ref is built in");
				errors++;
			} else if (access(eq + 1, X_OK) != 0) {
				msg_warn("--target %s=%s: %s", item, eq + 1,
				    strerror(errno));
				errors++;
			} else
				setenv(env, eq + 1, 1);
			free(env);
		}
		r->targets = xrealloc(r->targets,
		    (r->ntargets + 1) * sizeof(*r->targets));
		t = &r->targets[r->ntargets++];
		memset(t, 0, sizeof(*t));
		t->name = xstrdup(item);
		t->builtin = strcmp(item, TARGET_REF) == 0;
		if (!t->builtin)
			t->baseline = target_baseline_load(item, &t->nbaseline,
			    &errors);
		else
			t->version = xstrdup("ref (built-in reference client)");
	}
	free(copy);
	target_names_free(all);
	if (r->ntargets == 0 && errors == 0) {
		msg_warn("--target: no target named");
		errors++;
	}
	return errors;
}

/* run_endpoints - listeners for every host of every scenario */
static int
run_endpoints(struct run *r)
{
	struct plan *pl = r->w->plan;

	r->eps = endpoint_set_new();
	endpoint_set_max_conns(r->eps, 4096);
	for (size_t i = 0; i < pl->nhosts; i++) {
		const struct plan_host *h = &pl->hosts[i];
		SSL_CTX *ctx;
		int ok = 0;

		if (h->host->flags & SCN_HOST_DOWN)
			continue;
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL
		    || !pki_chain_use(h->chain, ctx, NULL)) {
			msg_warn("%s:%d: cannot load chain %s into a TLS context",
			    h->scenario->file, h->host->line, h->host->chain);
			SSL_CTX_free(ctx);
			return -1;
		}
		for (int p = 0; p < SCN_PROTO_COUNT; p++) {
			struct endpoint_spec spec;
			char *tag;

			if (!(h->scenario->protos & (1u << p))
			    || p == SCN_XMPP_IN)	/* the lab connects */
				continue;
			tag = xasprintf("%s/%s", h->scenario->id, h->host->name);
			memset(&spec, 0, sizeof(spec));
			spec.tag = tag;
			spec.addr = h->addr;
			spec.port = scn_proto_port(p);
			spec.proto = run_endpoint_proto[p];
			spec.ctx = ctx;
			spec.flags = (h->host->flags & SCN_HOST_NO_STARTTLS
			    ? ENDPOINT_NO_STARTTLS : 0)
			    | (h->host->flags & SCN_HOST_CLIENT_CERT
			    ? ENDPOINT_CLIENT_CERT : 0);
			ok = endpoint_listen(r->eps, &spec) == 0;
			free(tag);
			if (!ok)
				break;
		}
		SSL_CTX_free(ctx);
		if (!ok && h->scenario->protos)
			return -1;
	}
	return endpoint_start(r->eps);
}

/*
 * run_inbound - the receiving servers' own chain for xmpp-in ("full",
 * named TARGET_CLIENT_NAME), written by pki_write for the adapters
 * (TARGET_INBOUND_CERT, _KEY under the lab directory) and loaded from
 * there for ref's receivers.  Nothing when no selected scenario is
 * inbound.  0, or -1 after a warning.
 */
static int
run_inbound(struct run *r, const char *labdir)
{
	static const char *const chains[] = { "full", NULL };
	struct pki_names *names;
	char *dir, *cert, *key;
	int inbound = 0, ok;

	for (size_t i = 0; i < r->w->cat.n; i++)
		inbound |= (r->w->cat.list[i]->protos & (1u << SCN_XMPP_IN)) != 0;
	if (!inbound)
		return 0;
	names = pki_names_new();
	dir = xasprintf("%s/inbound", labdir);
	cert = xasprintf("%s/" TARGET_INBOUND_CERT, labdir);
	key = xasprintf("%s/" TARGET_INBOUND_KEY, labdir);
	pki_names_set(names, "host", TARGET_CLIENT_NAME);
	pki_names_set(names, "srvtarget", TARGET_CLIENT_NAME);
	pki_names_set(names, "domain", TARGET_CLIENT_NAME);
	/* A lab directory given with --dir may hold an earlier run's. */
	file_rmtree(dir);
	r->inbound_ctx = SSL_CTX_new(TLS_server_method());
	ok = pki_write(r->w->profile, chains, names, dir) == 0
	    && r->inbound_ctx != NULL
	    && SSL_CTX_use_certificate_chain_file(r->inbound_ctx, cert) == 1
	    && SSL_CTX_use_PrivateKey_file(r->inbound_ctx, key,
	    SSL_FILETYPE_PEM) == 1 && refclient_server_ctx(r->inbound_ctx);
	if (!ok) {
		ERR_clear_error();
		msg_warn("cannot set up the receivers' chain for xmpp-in in %s",
		    dir);
	}
	pki_names_free(names);
	free(dir);
	free(cert);
	free(key);
	return ok ? 0 : -1;
}


/* run_id - "YYYYMMDD-HHMMSS-PID"; caller frees */
static char *
run_id(char *started, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	strftime(started, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xasprintf("%s-%ld", stamp, (long)getpid());
}

int
run_main(const struct run_options *o)
{
	struct run r;
	struct lab_options lo;
	struct report_meta meta;
	struct hostile *hostile = NULL;
	struct buf versions = { 0 };
	char started[32], *id, *out = NULL, *labdir = NULL, *ta = NULL;
	double t0 = clock_s();
	int errors, status = EXIT_ENV, existed = 1, own, reported = 0;
	struct stat st;

	memset(&r, 0, sizeof(r));
	memset(&meta, 0, sizeof(meta));
	r.o = o;
	pthread_mutex_init(&r.out_lock, NULL);
	id = run_id(started, sizeof(started));
	if (run_targets(&r, o->targets) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if ((r.w = world_load(o->paths, o->npaths, 0, WORLD_PARSE, 0,
	    &errors)) == NULL) {
		msg_warn("%d error%s in the scenarios: nothing run", errors,
		    errors == 1 ? "" : "s");
		status = EXIT_USAGE;
		goto out;
	}
	world_select(r.w, o->filter, o->shard_i, o->shard_n);
	if (r.w->cat.n == 0) {
		msg_warn("no scenario selected (check --filter and --shard)");
		status = EXIT_USAGE;
		goto out;
	}
	if (world_build(r.w, 0) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	run_cells(&r);
	out = o->out ? xstrdup(o->out) : xasprintf("reports/runs/%s", id);
	if (report_dir_check(out) != 0) {
		status = EXIT_USAGE;
		goto out;
	}

	memset(&lo, 0, sizeof(lo));
	labdir = o->lab_dir ? xstrdup(o->lab_dir) : o->keep
	    ? xstrdup(LAB_DIR_DEFAULT) : xasprintf("/run/danelab/run-%s", id);
	lo.dir = labdir;
	lo.deadline_ms = 10000;
	lo.detach = o->keep;
	existed = stat(labdir, &st) == 0;
	if (stop_requested()
	    || (r.lab = lab_start(&lo, r.w->tree, NULL)) == NULL)
		goto out;
	if (lab_join_net(r.lab) != 0)
		goto out;
	r.zone_text = xcalloc(r.w->cat.n, sizeof(char *));
	for (size_t i = 0; i < r.w->cat.n; i++) {
		struct buf b = { 0 };

		run_zone_text(&r, r.w->cat.list[i], &b);
		r.zone_text[i] = b.data ? b.data : xstrdup("");
	}
	ta = xasprintf("%s/anchors/root.ds", labdir);
	if ((r.ref = refclient_new(LAB_RESOLVER_ADDR, ta)) == NULL
	    || run_inbound(&r, labdir) != 0 || run_endpoints(&r) != 0)
		goto out;
	if (o->hostile && r.w->plan->nhosts > 0) {
		SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

		if (ctx == NULL || !pki_chain_use(r.w->plan->hosts[0].chain,
		    ctx, NULL) || (hostile = hostile_start(r.eps, ctx)) == NULL) {
			SSL_CTX_free(ctx);
			goto out;
		}
		SSL_CTX_free(ctx);
	}
	{
		char *targets_dir = xasprintf("%s/targets", labdir);

		mkdir(targets_dir, 0755);
		free(targets_dir);
	}
	for (size_t t = 0; t < r.ntargets && !stop_requested(); t++) {
		struct run_target *tg = &r.targets[t];

		if (!tg->builtin) {
			run_external(&r, tg);
			continue;
		}
		r.worker_target = tg;
		run_scale(&r);
		atomic_store(&r.next, 0);
		atomic_store(&r.done, 0);
		run_threads((size_t)o->jobs < r.w->cat.n ? (size_t)o->jobs
		    : r.w->cat.n, run_worker, &r);
		if (o->progress)
			fprintf(stderr, "\r\033[K");
	}
	if (hostile) {
		struct endpoint_conn *hc;
		size_t nhc, served = 0;
		long attacks = hostile_stop(hostile);

		hostile = NULL;
		endpoint_quiesce(r.eps, HOSTILE_TAG, 2000);
		endpoint_take(r.eps, HOSTILE_TAG, &hc, &nhc);
		for (size_t i = 0; i < nhc; i++)
			served += hc[i].outcome == OUTCOME_REFUSED;
		printf("hostile: %ld attacks on the decoy listeners; %zu "
		    "connections recorded, %zu classified refused\n", attacks,
		    nhc, served);
		endpoint_conns_free(hc, nhc);
	}
	endpoint_stop(r.eps);
	if (stop_requested())
		goto out;

	for (size_t t = 0; t < r.ntargets; t++)
		buf_printf(&versions, "%s%s: %s", t ? "\n" : "",
		    r.targets[t].name, r.targets[t].version
		    ? r.targets[t].version : "?");
	meta.run_id = id;
	meta.started = started;
	meta.seconds = clock_s() - t0;
	meta.command = (char *)o->command;
	meta.targets = versions.data;
	meta.shard = NULL;
	if (o->shard_n > 1)
		meta.shard = xasprintf("%d/%d", o->shard_i, o->shard_n);
	if (report_write(out, &meta, r.cells, r.ncells, o->out == NULL) != 0) {
		if (!stop_requested())
			msg_warn("no report written into %s", out);
		goto out;
	}
	reported = 1;
	{
		int count[VERDICT_COUNT] = { 0 };

		for (size_t i = 0; i < r.ncells; i++)
			count[r.cells[i].verdict]++;
		printf("%zu cells: %d pass, %d fail, %d xfail, %d xpass, "
		    "%d skip, %d error in %.1f s; reports in %s\n", r.ncells,
		    count[VERDICT_PASS], count[VERDICT_FAIL],
		    count[VERDICT_XFAIL], count[VERDICT_XPASS],
		    count[VERDICT_SKIP], count[VERDICT_ERROR],
		    clock_s() - t0, out);
	}
	status = report_exit_status(r.cells, r.ncells);
out:
	if (hostile)
		hostile_stop(hostile);
	if (r.eps)
		r.eps = endpoint_set_free(r.eps);
	if (r.ref)
		r.ref = refclient_free(r.ref);
	SSL_CTX_free(r.inbound_ctx);
	if (stop_requested()) {
		status = stop_status();
		msg_warn("stopped by SIG%s: the lab is torn down%s",
		    sigabbrev_np(stop_requested()), reported ? ""
		    : ", no report written");
	}
	/* The run directory goes with the run when it is the run's own:
	 * made by it, or the default one its lab ran in. */
	own = !existed || (o->lab_dir == NULL && r.lab != NULL);
	if (r.lab && o->keep && !stop_requested()) {
		printf("the lab is still up: danelab exec --dir %s -- CMD;"
		    " danelab down --dir %s\n", labdir, labdir);
		r.lab = lab_detach(r.lab);
		own = 0;
	} else if (r.lab)
		r.lab = lab_stop(r.lab);
	else if (!stop_requested())
		own = 0;	/* a lab that failed to start keeps its logs */
	if (own && labdir && (stop_requested() || o->lab_dir == NULL)
	    && file_rmtree(labdir) != 0)
		msg_warn("cannot remove %s: %s", labdir, strerror(errno));
	report_cells_free(r.cells, r.ncells);
	for (size_t t = 0; t < r.ntargets; t++) {
		free(r.targets[t].name);
		free(r.targets[t].version);
		target_baseline_free(r.targets[t].baseline,
		    r.targets[t].nbaseline);
	}
	free(r.targets);
	free(r.keys);
	free(r.first_cell);
	for (size_t i = 0; r.zone_text && i < r.w->cat.n; i++)
		free(r.zone_text[i]);
	free(r.zone_text);
	world_free(r.w);
	free(meta.shard);
	buf_free(&versions);
	free(out);
	free(labdir);
	free(ta);
	free(id);
	return status;
}
