/*
 * run.c - one run of the lab: every selected scenario, every target,
 * every protocol and policy, probed in parallel and judged.
 *
 * Probes of one scenario run one after another on one worker (they share
 * the scenario's listeners, and a connection is attributed to the probe
 * by the scenario's tag prefix); different scenarios run in parallel.
 * What a probe observed is the endpoints' view of the connections it
 * made; the target's own word (for ref: its result; for adapters: the
 * verdict line) only upgrades "encrypted" to "authenticated", and for
 * ref any disagreement between the two is an error: the oracle must be
 * exactly right.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "endpoint.h"
#include "hostile.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "observe.h"
#include "plan.h"
#include "refclient.h"
#include "report.h"
#include "run.h"
#include "template.h"
#include "world.h"

#define RUN_QUIESCE_MS	5000	/* for a probe's connections to finish */

/* Protocols of the scenario language, as endpoint and client protocols. */
static const enum endpoint_proto run_endpoint_proto[SCN_PROTO_COUNT] = {
	[SCN_SMTP] = ENDPOINT_SMTP, [SCN_SMTPS] = ENDPOINT_SMTPS,
	[SCN_XMPP] = ENDPOINT_XMPP, [SCN_XMPPS] = ENDPOINT_XMPPS,
};
static const enum ref_proto run_ref_proto[SCN_PROTO_COUNT] = {
	[SCN_SMTP] = REF_SMTP, [SCN_SMTPS] = REF_SMTPS,
	[SCN_XMPP] = REF_XMPP, [SCN_XMPPS] = REF_XMPPS,
};

/* Everything the workers share. */
struct run {
	const struct run_options *o;
	struct world *w;
	struct lab *lab;
	struct endpoint_set *eps;
	struct refclient *ref;
	struct report_cell *cells;	/* one per scenario x proto x policy */
	size_t ncells;
	size_t *first_cell;		/* per scenario: index of its first cell */
	atomic_size_t next;		/* next scenario to probe */
	atomic_size_t done;		/* scenarios finished */
	pthread_mutex_t out_lock;	/* progress lines */
};

/* run_now - monotonic seconds */
static double
run_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* run_outcomes_text - "a,b" of a set, plus " at HOST"; caller frees */
static char *
run_outcomes_text(outcome_set set, const char *host)
{
	struct buf b = { 0 };

	for (int k = 0; k < OUTCOME_COUNT; k++)
		if (set & OUTCOME_BIT(k))
			buf_printf(&b, "%s%s", b.len ? "," : "", outcome_name(k));
	if (host)
		buf_printf(&b, " at %s", host);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	return b.data;
}

/* run_host_of_tag - "mx1" of a tag "scenario-id/mx1" (borrowed) */
static const char *
run_host_of_tag(const char *tag)
{
	const char *slash = strchr(tag, '/');

	return slash ? slash + 1 : tag;
}

/* run_zone_text - the zone files of scenario s, for cell details */
static void
run_zone_text(struct run *r, const struct scenario *s, struct buf *b)
{
	for (size_t i = 0; i < s->nzones; i++) {
		char *origin = scn_zone_origin(s, &s->zones[i], PLAN_TLD);
		char *path = xasprintf("%s/zones/%szone", lab_dir(r->lab), origin);
		char *text = file_read(path, NULL);

		buf_printf(b, "\n== zone %s (%s)\n", origin,
		    scn_zone_state_name(s->zones[i].state));
		if (text) {
			/* Signatures make it long and say little: leave them out. */
			for (char *line = strtok(text, "\n"); line;
			    line = strtok(NULL, "\n"))
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

/* run_probe_ref - one probe with the reference client; fills the cell */
static void
run_probe_ref(struct run *r, const struct scenario *s, int proto, int policy,
    struct report_cell *c)
{
	const struct scn_expect *e = scn_expect_for(s, proto, policy);
	char *domain = plan_domain(s), *prefix = xasprintf("%s/", s->id);
	struct ref_result res;
	struct endpoint_conn *conns = NULL;
	size_t nconns = 0, final = 0;
	enum outcome seen = OUTCOME_NO_CONNECT;
	const char *host = NULL, *why = NULL;
	struct buf detail = { 0 };
	double t0 = run_now();
	int went_on = 0;

	memset(&res, 0, sizeof(res));
	if (refclient_probe(r->ref, run_ref_proto[proto], domain,
	    policy == SCN_MANDATORY ? REF_MANDATORY : REF_OPPORTUNISTIC,
	    r->o->probe_ms, &res) != 0)
		why = "the reference client failed";
	if (endpoint_quiesce(r->eps, prefix, RUN_QUIESCE_MS) != 0 && !why)
		why = "a connection was still open after the probe";
	endpoint_take(r->eps, prefix, &conns, &nconns);
	c->seconds = run_now() - t0;

	/* The endpoints' view: where did the client finally go on? */
	for (size_t i = 0; i < nconns; i++)
		if (conns[i].outcome == OUTCOME_ENCRYPTED
		    || conns[i].outcome == OUTCOME_CLEARTEXT) {
			final = i;
			went_on = 1;
		}
	if (nconns > 0) {
		if (!went_on)
			final = nconns - 1;
		seen = conns[final].outcome;
		host = run_host_of_tag(conns[final].tag);
	}
	/* The client's word upgrades encrypted to authenticated. */
	if (seen == OUTCOME_ENCRYPTED && res.outcome == OUTCOME_AUTHENTICATED)
		seen = OUTCOME_AUTHENTICATED;
	if (!why && res.outcome != seen)
		why = "the reference client and the lab's endpoints disagree";
	/* Where it went on, both must name the same address. */
	if (!why && went_on && strcmp(res.addr, conns[final].addr) != 0)
		why = "the reference client went on at another address than "
		    "the endpoints saw";

	c->observed = seen == OUTCOME_NO_CONNECT || host == NULL
	    ? xstrdup(outcome_name(seen))
	    : xasprintf("%s at %s", outcome_name(seen), host);
	if (why) {
		c->verdict = VERDICT_ERROR;
		c->reason = xasprintf("%s (client: %s%s%s; %s)", why,
		    outcome_name(res.outcome), res.host[0] ? " at " : "",
		    res.host, res.detail);
	} else if (!(e->outcomes & OUTCOME_BIT(seen))
	    || (e->host && seen != OUTCOME_NO_CONNECT
	    && (host == NULL || strcmp(host, e->host) != 0))) {
		c->verdict = VERDICT_FAIL;
		c->reason = xasprintf("expected %s, observed %s: %s",
		    c->expected, c->observed, res.detail);
	} else {
		c->verdict = VERDICT_PASS;
		c->reason = xstrdup(res.detail);
	}
	buf_printf(&detail, "== reference client\n%s", res.log ? res.log : "");
	for (size_t i = 0; i < nconns; i++)
		buf_printf(&detail, "\n== endpoint %s %s:%d (%s; SNI %s; %s)\n%s",
		    conns[i].tag, conns[i].addr, conns[i].port,
		    outcome_name(conns[i].outcome),
		    conns[i].sni[0] ? conns[i].sni : "none",
		    conns[i].tls_version[0] ? conns[i].tls_version : "no TLS",
		    conns[i].transcript ? conns[i].transcript : "");
	if (nconns == 0)
		buf_printf(&detail, "\n== endpoints: no connection\n");
	run_zone_text(r, s, &detail);
	c->detail = detail.data;
	endpoint_conns_free(conns, nconns);
	free(res.log);
	free(domain);
	free(prefix);
}

/* run_worker - probe scenarios until none is left */
static void *
run_worker(void *arg)
{
	struct run *r = arg;
	size_t i;

	while ((i = atomic_fetch_add(&r->next, 1)) < r->w->cat.n) {
		const struct scenario *s = r->w->cat.list[i];
		size_t ci = r->first_cell[i];

		for (int p = 0; p < SCN_PROTO_COUNT; p++) {
			if (!(s->protos & (1u << p)))
				continue;
			for (int q = 0; q < SCN_POLICY_COUNT; q++) {
				struct report_cell *c = &r->cells[ci++];

				if (!(r->o->policies & (1u << q)))
					continue;
				run_probe_ref(r, s, p, q, c);
				if (c->verdict != VERDICT_PASS) {
					pthread_mutex_lock(&r->out_lock);
					fprintf(stderr, "%s%s %s/%s %s %s: %s\n",
					    r->o->progress ? "\r\033[K" : "",
					    verdict_name(c->verdict), c->target,
					    c->scenario, c->proto, c->policy,
					    c->reason);
					pthread_mutex_unlock(&r->out_lock);
				}
			}
		}
		atomic_fetch_add(&r->done, 1);
		if (r->o->progress) {
			pthread_mutex_lock(&r->out_lock);
			fprintf(stderr, "\r\033[K[%zu/%zu] %s",
			    atomic_load(&r->done), r->w->cat.n, s->id);
			pthread_mutex_unlock(&r->out_lock);
		}
	}
	return NULL;
}

/* run_cells - one cell per scenario x proto x policy, expectations filled */
static void
run_cells(struct run *r)
{
	struct world *w = r->w;

	r->first_cell = xcalloc(w->cat.n + 1, sizeof(size_t));
	for (size_t i = 0; i < w->cat.n; i++) {
		const struct scenario *s = w->cat.list[i];

		r->first_cell[i] = r->ncells;
		for (int p = 0; p < SCN_PROTO_COUNT; p++) {
			if (!(s->protos & (1u << p)))
				continue;
			for (int q = 0; q < SCN_POLICY_COUNT; q++) {
				const struct scn_expect *e = scn_expect_for(s, p, q);
				struct report_cell *c;

				r->cells = xrealloc(r->cells, (r->ncells + 1)
				    * sizeof(*r->cells));
				c = &r->cells[r->ncells++];
				memset(c, 0, sizeof(*c));
				c->scenario = xstrdup(s->id);
				c->area = xstrdup(*s->area ? s->area : "-");
				c->file = xasprintf("%s:%d", s->file, s->line);
				c->summary = xstrdup(s->summary);
				c->refs = xstrdup(s->refs);
				c->target = xstrdup("ref");
				c->proto = xstrdup(scn_proto_name(p));
				c->policy = xstrdup(scn_policy_name(q));
				c->expected = run_outcomes_text(e->outcomes,
				    e->host);
				c->cite = xstrdup(e->cite);
				if (!(r->o->policies & (1u << q))) {
					c->verdict = VERDICT_SKIP;
					c->observed = xstrdup("");
					c->reason = xstrdup("policy not selected");
				}
			}
		}
	}
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

			if (!(h->scenario->protos & (1u << p)))
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
	pthread_t *threads = NULL;
	struct hostile *hostile = NULL;
	char started[32], *id, *out = NULL, *labdir = NULL, *ta = NULL;
	double t0 = run_now();
	int errors, status = EXIT_ENV, nthreads = 0;

	memset(&r, 0, sizeof(r));
	memset(&meta, 0, sizeof(meta));
	r.o = o;
	pthread_mutex_init(&r.out_lock, NULL);
	id = run_id(started, sizeof(started));
	if (strcmp(o->targets, "ref") != 0) {
		msg_warn("--target %s: only \"ref\" is available in this build",
		    o->targets);
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

	memset(&lo, 0, sizeof(lo));
	labdir = o->lab_dir ? xstrdup(o->lab_dir) : o->keep
	    ? xstrdup(LAB_DIR_DEFAULT) : xasprintf("/run/danelab/run-%s", id);
	lo.dir = labdir;
	lo.deadline_ms = 10000;
	lo.detach = o->keep;
	if ((r.lab = lab_start(&lo, r.w->tree, NULL)) == NULL)
		goto out;
	if (lab_join_net(r.lab) != 0)
		goto out;
	ta = xasprintf("%s/anchors/root.ds", labdir);
	if ((r.ref = refclient_new(LAB_RESOLVER_ADDR, ta)) == NULL
	    || run_endpoints(&r) != 0)
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
	nthreads = o->jobs < (int)r.w->cat.n ? o->jobs : (int)r.w->cat.n;
	threads = xcalloc(nthreads, sizeof(*threads));
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, run_worker, &r) != 0)
			msg_fatal(EXIT_ENV, "pthread_create: %s", strerror(errno));
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	if (o->progress)
		fprintf(stderr, "\r\033[K");
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

	out = o->out ? xstrdup(o->out) : xasprintf("reports/runs/%s", id);
	meta.run_id = id;
	meta.started = started;
	meta.seconds = run_now() - t0;
	meta.command = (char *)o->command;
	meta.targets = "ref (built-in reference client)";
	meta.shard = NULL;
	if (o->shard_n > 1)
		meta.shard = xasprintf("%d/%d", o->shard_i, o->shard_n);
	if (report_write(out, &meta, r.cells, r.ncells) != 0)
		goto out;
	{
		int count[VERDICT_COUNT] = { 0 };

		for (size_t i = 0; i < r.ncells; i++)
			count[r.cells[i].verdict]++;
		printf("%zu cells: %d pass, %d fail, %d xfail, %d xpass, "
		    "%d skip, %d error in %.1f s; reports in %s\n", r.ncells,
		    count[VERDICT_PASS], count[VERDICT_FAIL],
		    count[VERDICT_XFAIL], count[VERDICT_XPASS],
		    count[VERDICT_SKIP], count[VERDICT_ERROR],
		    run_now() - t0, out);
	}
	status = report_exit_status(r.cells, r.ncells);
out:
	if (hostile)
		hostile_stop(hostile);
	if (r.eps)
		r.eps = endpoint_set_free(r.eps);
	if (r.ref)
		r.ref = refclient_free(r.ref);
	if (r.lab) {
		if (o->keep) {
			printf("the lab is still up: danelab exec --dir %s -- CMD;"
			    " danelab down --dir %s\n", labdir, labdir);
			lab_detach(r.lab);
		} else
			lab_stop(r.lab);
	}
	report_cells_free(r.cells, r.ncells);
	free(r.first_cell);
	world_free(r.w);
	free(threads);
	free(meta.shard);
	free(out);
	free(labdir);
	free(ta);
	free(id);
	return status;
}
