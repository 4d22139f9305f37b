/*
 * run.c - one run of the lab: every selected scenario, every target,
 * every protocol and policy, probed and judged.
 *
 * Every target goes through the same steps of its driver (driver.h):
 * probe, setup, one batch per protocol and policy (its receiving server
 * started first for an inbound protocol), teardown.  The built-in
 * reference client and the shell adapters are the two drivers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "capture.h"
#include "clock.h"
#include "driver.h"
#include "endpoint.h"
#include "hostile.h"
#include "initiator.h"
#include "judge.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "observe.h"
#include "plan.h"
#include "qlog.h"
#include "queries.h"
#include "refclient.h"
#include "report.h"
#include "run.h"
#include "resolver.h"
#include "serve.h"
#include "stop.h"
#include "target.h"
#include "template.h"
#include "term.h"
#include "world.h"

#define RUN_LOAD_MAX	4	/* at most this many times --deadline */

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
	double f = clock_load_factor(RUN_LOAD_MAX);

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

void
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

const struct scenario *
run_scenario(const struct run *r, size_t ci)
{
	return r->w->cat.list[r->keys[ci].scenario];
}

void
run_judge(struct run *r, const struct run_target *t, size_t ci,
    const struct judge_seen *seen)
{
	struct run_key *k = &r->keys[ci];
	const struct scenario *s = run_scenario(r, ci);

	judge_cell(scn_expect_for(s, k->proto, k->policy),
	    target_baseline_match(t->baseline, t->nbaseline, s->id,
	    proto_name(k->proto), policy_name(k->policy)),
	    &r->cells[ci], seen);
	k->state = CELL_OBSERVED;
}

void
run_initiate(const struct run *r, size_t ci, const char *addr, int port,
    struct initiator_result *ir)
{
	world_initiate(r->w, r->keys[ci].scenario, addr, port,
	    TARGET_CLIENT_NAME, r->probe_ms, ir);
}

/* How far the run is, for the terminal (stderr): one per run. */
struct run_progress {
	struct term term;	/* fancy: a line redrawn in place; else a
				 * plain line per batch */
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* the ticker's end */
	pthread_t ticker;	/* redraws every second (fancy) */
	int ticking, stop;
	size_t done, total, bad;
	char *what;		/* the target and batch at work */
	double t0, drawn;
};
static struct run_progress *run_progress;	/* NULL: say nothing */

/* run_progress_draw - the progress line, redrawn (fancy) or as a line
 * of its own; with p->lock held */
static void
run_progress_draw(struct run_progress *p)
{
	struct buf b = { 0 };

	p->drawn = clock_s();
	term_progress(&b, &p->term, p->done, p->total, p->what, p->bad,
	    p->drawn - p->t0);
	fprintf(stderr, "%s%s%s", p->term.fancy ? "\r\033[K" : "", b.data,
	    p->term.fancy ? "" : "\n");
	fflush(stderr);
	buf_free(&b);
}

/* run_progress_clear - the progress line wiped, before other words */
static void
run_progress_clear(void)
{
	if (run_progress == NULL || !run_progress->term.fancy)
		return;
	pthread_mutex_lock(&run_progress->lock);
	fputs("\r\033[K", stderr);
	fflush(stderr);
	pthread_mutex_unlock(&run_progress->lock);
}

/* run_progress_tick - redraw the line every second, so that the clock
 * moves while a long batch runs */
static void *
run_progress_tick(void *arg)
{
	struct run_progress *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p->wake, &p->lock, &ts);
		if (!p->stop && !stop_requested())
			run_progress_draw(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* run_progress_start - say how far the run is from now on (not with
 * -q): total cells */
static void
run_progress_start(size_t total)
{
	struct run_progress *p;

	if (msg_quiet)
		return;
	p = xcalloc(1, sizeof(*p));
	term_init(&p->term, 2);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->total = total;
	p->t0 = clock_s();
	run_progress = p;
	if (p->term.fancy)
		p->ticking = pthread_create(&p->ticker, NULL,
		    run_progress_tick, p) == 0;
}

/* run_progress_end - the ticker stopped, the line wiped */
static void
run_progress_end(void)
{
	struct run_progress *p = run_progress;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	if (p->ticking)
		pthread_join(p->ticker, NULL);
	run_progress_clear();
	run_progress = NULL;
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->what);
	free(p);
}

/* run_progress_at - what is at work now (what: taken over; NULL: the
 * batch is over, said on a line of its own when not fancy); done: the
 * cells done so far, if more than counted */
static void
run_progress_at(char *what, size_t done)
{
	struct run_progress *p = run_progress;

	if (p == NULL) {
		free(what);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (done > p->done)
		p->done = done;
	if (what == NULL) {
		/* A batch is over: a line for it when not redrawing. */
		if (!p->term.fancy && p->what) {
			what = xasprintf("%s done", p->what);
			free(p->what);
			p->what = what;
			run_progress_draw(p);
		}
	} else {
		free(p->what);
		p->what = what;
		if (p->term.fancy && !stop_requested())
			run_progress_draw(p);
	}
	pthread_mutex_unlock(&p->lock);
}

/* run_warn - a warning about a target, on a line of its own */
static void
run_warn(const char *why)
{
	run_progress_clear();
	msg_warn("%s", why);
}

/* run_say - a cell is done: counted, and the line redrawn (at most ten
 * times a second); the cells that did not pass are listed at the end */
void
run_say(struct run *r, const struct report_cell *c)
{
	struct run_progress *p = run_progress;

	(void)r;
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->done++;
	p->bad += c->verdict == VERDICT_FAIL || c->verdict == VERDICT_XPASS
	    || c->verdict == VERDICT_ERROR;
	if (p->term.fancy && clock_s() - p->drawn >= 0.1 && !stop_requested())
		run_progress_draw(p);
	pthread_mutex_unlock(&p->lock);
}

void
run_close(struct run *r, size_t ci, enum cell_state state, const char *why)
{
	r->keys[ci].state = judge_unprobed(&r->cells[ci], state, why);
	run_say(r, &r->cells[ci]);
}

/* run_mark - every pending cell of t is closed unprobed (state, why),
 * silently */
static void
run_mark(struct run *r, const struct run_target *t, enum cell_state state,
    const char *why)
{
	for (size_t ci = t->cell0; ci < t->cell0 + t->ncells; ci++)
		if (r->keys[ci].state == CELL_PENDING)
			r->keys[ci].state = judge_unprobed(&r->cells[ci], state,
			    why);
}

/*
 * run_capture_filter - a Wireshark display filter for cell ci's own
 * traffic in the capture: its DNS names (its scenario's zones) and its
 * hosts' addresses, within [from, to]; caller frees
 */
static char *
run_capture_filter(const struct run *r, size_t ci, double from, double to)
{
	const struct scenario *s = run_scenario(r, ci);
	struct buf b = { 0 }, addrs = { 0 };

	buf_printf(&b, "frame.time_epoch >= %.3f && frame.time_epoch <= %.3f "
	    "&& (dns.qry.name matches \"(^|[.])(", from, to + 0.001);
	for (size_t i = 0; i < s->nzones; i++) {
		char *o = scn_zone_origin(s, &s->zones[i], PLAN_TLD);

		/* "ID.example." less the TLD, written once below */
		buf_printf(&b, "%s%.*s", i ? "|" : "", (int)(strlen(o)
		    - strlen(PLAN_TLD) - 1), o);
		free(o);
	}
	buf_printf(&b, ")[.]%.*s$\"", (int)strlen(PLAN_TLD) - 1, PLAN_TLD);
	for (size_t i = 0; i < r->w->plan->nhosts; i++)
		if (r->w->plan->hosts[i].scenario == s)
			buf_printf(&addrs, " %s", r->w->plan->hosts[i].addr);
	if (addrs.len)
		buf_printf(&b, " || ip.addr in {%s}", addrs.data + 1);
	buf_printf(&b, ")");
	buf_free(&addrs);
	return b.data;
}

void
run_window(struct run *r, const size_t *cells, size_t n, double from,
    double to)
{
	for (size_t i = 0; i < n; i++) {
		struct report_cell *c = &r->cells[cells[i]];
		char *filter, *d;

		c->window_from = from;
		c->window_to = to;
		if (r->capture == NULL)
			continue;
		filter = run_capture_filter(r, cells[i], from, to);
		d = xasprintf("%s\n== capture: " CAPTURE_FILE " in the report "
		    "directory (../../" CAPTURE_FILE " from this file); this "
		    "cell's batch ran from %.3f to %.3f (Unix time).  This "
		    "cell alone:\n  tshark -r " CAPTURE_FILE " -Y '%s'\n",
		    c->detail ? c->detail : "", from, to, filter);
		free(c->detail);
		c->detail = d;
		free(filter);
	}
}

/* run_pending - t's pending cells of protocol p and policy q appended to
 * (*cells)[0..n-1]; the new count */
static size_t
run_pending(const struct run *r, const struct run_target *t, enum proto p,
    enum policy q, size_t **cells, size_t n)
{
	for (size_t ci = t->cell0; ci < t->cell0 + t->ncells; ci++) {
		const struct run_key *k = &r->keys[ci];

		if (k->proto == p && k->policy == q
		    && k->state == CELL_PENDING) {
			*cells = xrealloc(*cells, (n + 1) * sizeof(**cells));
			(*cells)[n++] = ci;
		}
	}
	return n;
}

/* run_phase_of - with DANELAB_TIMING, the time line of a batch (label
 * from fmt) */
static void
run_phase_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
run_phase_of(const char *fmt, ...)
{
	char label[64];
	va_list ap;

	if (!clock_phase_on())
		return;
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	clock_phase(label);
}

/*
 * run_batch - t's pending cells of protocol p and policy q, probed by
 * its driver; for an inbound protocol its receiving server is started
 * first, and when that fails the cells are closed with the reason.
 */
static void
run_batch(struct run *r, struct run_target *t, enum proto p, enum policy q)
{
	const struct driver *d = t->driver;
	size_t n = 0, *cells = NULL, q0;
	double from;
	char *why = NULL;
	enum cell_state st;

	run_scale(r);
	if ((n = run_pending(r, t, p, q, &cells, 0)) == 0)
		goto out;
	run_progress_at(xasprintf("%s %s %s", t->name, d == &driver_resolver
	    ? "dns" : proto_name(p), d == &driver_resolver ? "any"
	    : policy_name(q)), 0);
	if (p == PROTO_XMPP_IN && d->serve
	    && (st = d->serve(r, t, q, &why)) != CELL_PENDING) {
		for (size_t i = 0; i < n; i++)
			run_close(r, cells[i], st, why);
		goto out;
	}
	q0 = queries_mark(r);
	from = clock_unix();
	d->run(r, t, p, q, cells, n);
	run_window(r, cells, n, from, clock_unix());
	queries_join(r, t, cells, n, q0);
	run_progress_at(NULL, 0);
	run_phase_of("  %s %s %s (%zu)", t->name, proto_name(p),
	    policy_name(q), n);
out:
	free(why);
	free(cells);
}

/*
 * run_batch_all - t's pending cells of every protocol and policy, in the
 * order of the batches, to its driver's run_all at once
 */
static void
run_batch_all(struct run *r, struct run_target *t)
{
	size_t n = 0, *cells = NULL;

	run_scale(r);
	for (int p = 0; p < PROTO_COUNT; p++)
		for (int q = 0; q < POLICY_COUNT; q++)
			if (r->o->policies & (1u << q))
				n = run_pending(r, t, p, q, &cells, n);
	if (n > 0) {
		run_progress_at(xasprintf("%s every protocol and policy",
		    t->name), 0);
		t->driver->run_all(r, t, cells, n);
		run_progress_at(NULL, 0);
		run_phase_of("  %s all (%zu)", t->name, n);
	}
	free(cells);
}

/*
 * run_drive - probe, setup, one batch per proto x policy, teardown; a
 * target that is not there or cannot be set up has its cells closed
 * with the reason.  Once a stop is requested, nothing more (the lab's
 * end stops it all).
 */
static void
run_drive(struct run *r, struct run_target *t)
{
	const struct driver *d = t->driver;
	char *why = NULL;
	enum cell_state st;

	run_scale(r);
	run_progress_at(xasprintf("%s: probe", t->name), 0);
	st = d->probe(r, t, &why);
	if (stop_requested())
		goto out;
	if (st != CELL_PENDING) {
		t->version = xstrdup(why);
		run_mark(r, t, st, why);
		if (!msg_quiet || st != CELL_SKIPPED)
			run_warn(why);
		goto out;
	}
	run_progress_at(xasprintf("%s: setup", t->name), 0);
	st = d->setup(r, t, &why);
	if (stop_requested())
		goto out;
	if (st != CELL_PENDING) {
		run_warn(why);
		run_mark(r, t, CELL_ERROR, why);
	} else if (d->run_all) {
		run_batch_all(r, t);
	} else {
		for (int p = 0; p < PROTO_COUNT; p++)
			for (int q = 0; q < POLICY_COUNT; q++)
				if (r->o->policies & (1u << q)
				    && !stop_requested())
					run_batch(r, t, p, q);
	}
	if (!stop_requested()) {
		run_progress_at(xasprintf("%s: teardown", t->name), 0);
		d->teardown(r, t);
	}
out:
	run_progress_at(xasprintf("%s: done", t->name), t->cell0
	    + t->ncells);
	d->release(t);
	free(why);
}

/* run_cell_new - a new cell at the end of r->cells for scenario i of
 * target t, keyed (i, p, q) */
static struct report_cell *
run_cell_new(struct run *r, const struct run_target *t, size_t i, int p, int q)
{
	const struct scenario *s = r->w->cat.list[i];
	struct report_cell *c;

	r->cells = xrealloc(r->cells, (r->ncells + 1) * sizeof(*r->cells));
	r->keys = xrealloc(r->keys, (r->ncells + 1) * sizeof(*r->keys));
	r->keys[r->ncells] = (struct run_key){ i, p, q, CELL_PENDING };
	c = &r->cells[r->ncells++];
	memset(c, 0, sizeof(*c));
	c->scenario = xstrdup(s->id);
	c->area = xstrdup(*s->area ? s->area : "-");
	c->file = xasprintf("%s:%d", template_rel_file(s->file), s->line);
	c->summary = xstrdup(s->summary);
	c->refs = xstrdup(s->refs);
	c->target = xstrdup(t->name);
	c->resolver = xstrdup(resolver_kind(r->o->resolver)->name);
	return c;
}

/*
 * run_cells_dns - a resolver target's cells: one per scenario (proto
 * "dns", policy "any"), keyed with the first protocol and policy asked
 * for so that one batch holds them all; what each RRset must validate
 * as is derived when the batch runs (plan_rrsets)
 */
static void
run_cells_dns(struct run *r, struct run_target *t)
{
	int q = 0;

	while (q < POLICY_COUNT - 1 && !(r->o->policies & (1u << q)))
		q++;
	for (size_t i = 0; i < r->w->cat.n; i++) {
		struct report_cell *c = run_cell_new(r, t, i, 0, q);

		c->proto = xstrdup("dns");
		c->policy = xstrdup("any");
		c->expected = xstrdup("each RRset as its zones' states and "
		    "faults say");
		c->cite = xstrdup("RFC4035 4.3, 5.5; RFC6840 5.2");
		c->preferred = xstrdup("");
	}
}

/* run_cells - one cell per target x scenario x proto x policy */
static void
run_cells(struct run *r)
{
	struct world *w = r->w;

	for (size_t t = 0; t < r->ntargets; t++) {
		r->targets[t].cell0 = r->ncells;
		if (r->targets[t].driver == &driver_resolver) {
			run_cells_dns(r, &r->targets[t]);
			r->targets[t].ncells = r->ncells - r->targets[t].cell0;
			continue;
		}
		for (size_t i = 0; i < w->cat.n; i++) {
			const struct scenario *s = w->cat.list[i];

			for (int p = 0; p < PROTO_COUNT; p++) {
				if (!(s->protos & (1u << p)))
					continue;
				for (int q = 0; q < POLICY_COUNT; q++) {
					const struct scn_expect *e =
					    scn_expect_for(s, p, q);
					struct report_cell *c;

					/* A policy not asked for is left out,
					 * as --filter leaves scenarios out. */
					if (!(r->o->policies & (1u << q)))
						continue;
					c = run_cell_new(r, &r->targets[t], i,
					    p, q);
					c->proto = xstrdup(proto_name(p));
					c->policy = xstrdup(policy_name(q));
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
		r->targets[t].ncells = r->ncells - r->targets[t].cell0;
	}
}

/*
 * run_lab_baseline - add the lines of the lab validator's baseline
 * (resolver-NAME.lab.baseline) to every client target's own (ref's
 * included): what the validator does wrong shows in their cells, not in
 * a resolver target's, which asks its own validator
 */
static void
run_lab_baseline(struct run *r, int *errors)
{
	size_t n;
	struct target_deviation *lab = target_baseline_lab(
	    resolver_kind(r->o->resolver)->name, &n, errors);

	for (size_t t = 0; t < r->ntargets; t++)
		if (r->targets[t].driver != &driver_resolver)
			target_baseline_add(&r->targets[t].baseline,
			    &r->targets[t].nbaseline, lab, n);
	target_baseline_free(lab, n);
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
		known |= driver_resolver_id(item) >= 0;
		if (!known) {
			struct buf names = { 0 };

			for (size_t i = 0; all[i]; i++)
				buf_printf(&names, "%s%s", i ? ", " : "", all[i]);
			buf_printf(&names, ", resolver:NAME (NAME: %s)",
			    resolver_names());
			msg_warn("--target: unknown target \"%s\" (known: %s)",
			    item, names.data);
			buf_free(&names);
			errors++;
			continue;
		}
		if (eq) {
			char *env = driver_resolver_id(item) >= 0
			    ? driver_resolver_env(item) : target_env_bin(item);

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
		t->driver = strcmp(item, TARGET_REF) == 0 ? &driver_ref
		    : driver_resolver_id(item) >= 0 ? &driver_resolver
		    : &driver_adapter;
		if (t->driver == &driver_resolver) {
			/* harness/targets/resolver-NAME.baseline */
			char *base = xasprintf("resolver-%s", item
			    + strlen(DRIVER_RESOLVER_PREFIX));

			t->baseline = target_baseline_load(base, &t->nbaseline,
			    &errors);
			free(base);
		} else if (t->driver != &driver_ref)
			t->baseline = target_baseline_load(item, &t->nbaseline,
			    &errors);
	}
	free(copy);
	run_lab_baseline(r, &errors);
	target_names_free(all);
	if (r->ntargets == 0 && errors == 0) {
		msg_warn("--target: no target named");
		errors++;
	}
	return errors;
}

/* run_endpoints - listeners for every host of every scenario (the
 * same as up's: serve_listen) */
static int
run_endpoints(struct run *r)
{
	r->eps = endpoint_set_new();
	endpoint_set_max_conns(r->eps, 4096);
	if (serve_listen(r->eps, r->w->plan) != 0)
		return -1;
	return endpoint_start(r->eps);
}

/*
 * run_inbound - the receiving servers' own chain for xmpp-in ("full",
 * named TARGET_CLIENT_NAME), written by target_inbound_write for the adapters
 * (TARGET_INBOUND_CERT, _KEY under the lab directory) and loaded from
 * there for ref's receivers.  Nothing when no selected scenario is
 * inbound.  0, or -1 after a warning.
 */
static int
run_inbound(struct run *r, const char *labdir)
{
	char *cert, *key;
	int ok;

	if (!world_has_proto(r->w, PROTO_XMPP_IN))
		return 0;
	cert = xasprintf("%s/" TARGET_INBOUND_CERT, labdir);
	key = xasprintf("%s/" TARGET_INBOUND_KEY, labdir);
	r->inbound_ctx = SSL_CTX_new(TLS_server_method());
	ok = target_inbound_write(r->w->profile, labdir) == 0
	    && r->inbound_ctx != NULL
	    && SSL_CTX_use_certificate_chain_file(r->inbound_ctx, cert) == 1
	    && SSL_CTX_use_PrivateKey_file(r->inbound_ctx, key,
	    SSL_FILETYPE_PEM) == 1 && refclient_server_ctx(r->inbound_ctx);
	if (!ok) {
		ERR_clear_error();
		msg_warn("cannot set up the receivers' chain for xmpp-in in "
		    "%s/inbound", labdir);
	}
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

/* run_load - the targets, the selected scenarios and their cells:
 * 0, or EXIT_USAGE after saying why */
static int
run_load(struct run *r)
{
	const struct run_options *o = r->o;
	int errors;

	if (run_targets(r, o->targets) != 0)
		return EXIT_USAGE;
	if ((r->w = world_load(o->paths, o->npaths, 0, WORLD_PARSE, 0,
	    &errors)) == NULL) {
		msg_warn("%d error%s in the scenarios: nothing run", errors,
		    errors == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	clock_phase("parse");
	world_select(r->w, o->filter, o->shard_i, o->shard_n);
	if (r->w->cat.n == 0) {
		msg_warn("no scenario selected (check --filter and --shard)");
		return EXIT_USAGE;
	}
	if (world_build(r->w, 0) != 0)
		return EXIT_USAGE;
	run_cells(r);
	clock_phase("cells");
	return 0;
}

/* run_beside - the resolver targets that are installed, as lab_options
 * beside bits (those that are not are skips, said by their probe) */
static unsigned
run_beside(const struct run *r)
{
	unsigned bits = 0;

	for (size_t t = 0; t < r->ntargets; t++) {
		int id = driver_resolver_id(r->targets[t].name);
		char *bin;

		if (id >= 0 && id < RESOLVER_COUNT
		    && (bin = resolver_which(id, NULL, 1, NULL))) {
			bits |= 1u << id;
			free(bin);
		}
	}
	return bits;
}

/*
 * run_dir_reachable - warn when a directory above dir keeps other users
 * out: the adapters' private instances (Postfix, Exim, sendmail, Prosody)
 * drop to their own users and must reach their files under dir
 */
static void
run_dir_reachable(const struct run *r, const char *dir)
{
	char *p = xstrdup(dir), *slash;
	struct stat st;
	size_t i;

	for (i = 0; i < r->ntargets; i++)
		if (r->targets[i].driver == &driver_adapter)
			break;
	for (; i < r->ntargets && p[0] != 0; *slash = 0) {
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)
		    && (st.st_mode & S_IXOTH) == 0) {
			msg_warn("%s is mode %04o: other users cannot reach "
			    "%s, and the targets' private instances that run "
			    "as their own users (Postfix, Exim, sendmail, "
			    "Prosody) will fail; give --dir a directory they "
			    "can traverse", p, (unsigned)(st.st_mode & 07777),
			    dir);
			break;
		}
		if ((slash = strrchr(p, '/')) == NULL)
			break;
	}
	free(p);
}

/*
 * run_up - the lab in labdir and what the probes need around it: the
 * zones' text for details, the reference client, the receivers' chain,
 * the endpoints, the hostile decoys if asked for (*hostile) and the
 * targets' work directories.  0, or -1 after saying why.
 */
static int
run_up(struct run *r, const char *labdir, struct hostile **hostile)
{
	struct lab_options lo;
	char *ta, *targets_dir;
	int ok;

	memset(&lo, 0, sizeof(lo));
	lo.dir = labdir;
	lo.deadline_ms = 10000;
	lo.detach = r->o->keep;
	lo.resolver = r->o->resolver;
	lo.beside = run_beside(r);
	if (stop_requested()
	    || (r->lab = lab_start(&lo, r->w->tree, NULL)) == NULL)
		return -1;
	clock_phase("lab-start");
	if (lab_join_net(r->lab) != 0)
		return -1;
	if (queries_open(r, labdir) != 0)
		return -1;
	if (r->o->pcap) {
		r->pcap = xasprintf("%s/" CAPTURE_FILE, labdir);
		if ((r->capture = capture_start(r->pcap, 5000)) == NULL)
			return -1;
	}
	r->zone_text = xcalloc(r->w->cat.n, sizeof(char *));
	for (size_t i = 0; i < r->w->cat.n; i++) {
		struct buf b = { 0 };

		run_zone_text(r, r->w->cat.list[i], &b);
		r->zone_text[i] = b.data ? b.data : xstrdup("");
	}
	clock_phase("lab-misc");
	ta = xasprintf("%s/anchors/root.ds", labdir);
	ok = (r->ref = refclient_new(LAB_RESOLVER_ADDR, ta)) != NULL
	    && run_inbound(r, labdir) == 0 && run_endpoints(r) == 0;
	free(ta);
	if (!ok)
		return -1;
	clock_phase("endpoints");
	if (r->o->hostile && r->w->plan->nhosts > 0) {
		SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

		ok = ctx != NULL
		    && pki_chain_use(r->w->plan->hosts[0].chain, ctx, NULL)
		    && (*hostile = hostile_start(r->eps, ctx)) != NULL;
		SSL_CTX_free(ctx);
		if (!ok)
			return -1;
	}
	targets_dir = xasprintf("%s/targets", labdir);
	mkdir(targets_dir, 0755);
	run_dir_reachable(r, targets_dir);
	free(targets_dir);
	return 0;
}

/* run_hostile_end - stop the attacks on the decoy listeners and say
 * what they came to */
static void
run_hostile_end(struct run *r, struct hostile *hostile)
{
	struct endpoint_conn *hc;
	size_t nhc, served = 0;
	long attacks = hostile_stop(hostile);

	endpoint_quiesce(r->eps, HOSTILE_TAG, 2000);
	endpoint_take(r->eps, HOSTILE_TAG, &hc, &nhc);
	for (size_t i = 0; i < nhc; i++)
		served += hc[i].outcome == OUTCOME_REFUSED;
	printf("hostile: %ld attacks on the decoy listeners; %zu "
	    "connections recorded, %zu classified refused\n", attacks,
	    nhc, served);
	endpoint_conns_free(hc, nhc);
}

/* run_report - write the reports into out and say what they hold:
 * 0, or -1 after saying why */
static int
run_report(struct run *r, const char *out, char *id, char *started,
    double t0)
{
	const struct run_options *o = r->o;
	struct report_meta meta;
	struct buf versions = { 0 }, tls = { 0 };
	size_t count[VERDICT_COUNT];
	int rc;

	for (size_t t = 0; t < r->ntargets; t++)
		buf_printf(&versions, "%s%s: %s", t ? "\n" : "",
		    r->targets[t].name, r->targets[t].version
		    ? r->targets[t].version : "?");
	for (size_t t = 0; t < r->ntargets; t++)
		if (r->targets[t].tls)
			buf_printf(&tls, "%s%s: %s", tls.len ? "\n" : "",
			    r->targets[t].name, r->targets[t].tls);
	memset(&meta, 0, sizeof(meta));
	meta.run_id = id;
	meta.started = started;
	meta.seconds = clock_s() - t0;
	meta.command = (char *)o->command;
	meta.targets = versions.data;
	meta.tls = tls.data;
	meta.resolver = (char *)resolver_kind(o->resolver)->name;
	if (o->shard_n > 1)
		meta.shard = xasprintf("%d/%d", o->shard_i, o->shard_n);
	meta.pcap = r->pcap;
	rc = report_write(out, &meta, r->cells, r->ncells, o->out == NULL);
	if (rc != 0 && !stop_requested())
		msg_warn("no report written into %s", out);
	else if (rc == 0) {
		struct term tm;
		struct buf sum = { 0 };

		term_init(&tm, 1);
		term_summary(&sum, &tm, r->cells, r->ncells, o->verbose,
		    msg_quiet);
		fputs(sum.data, stdout);
		buf_free(&sum);
		report_count(r->cells, r->ncells, count);
		printf("%zu cells: %zu pass, %zu fail, %zu xfail, %zu xpass, "
		    "%zu skip, %zu error in %.1f s; reports in %s\n",
		    r->ncells, count[VERDICT_PASS], count[VERDICT_FAIL],
		    count[VERDICT_XFAIL], count[VERDICT_XPASS],
		    count[VERDICT_SKIP], count[VERDICT_ERROR],
		    clock_s() - t0, out);
	}
	free(meta.shard);
	buf_free(&versions);
	buf_free(&tls);
	return rc;
}

/*
 * run_down - the lab goes (or stays up with --keep), and with it the
 * run directory when it is the run's own: made by it (existed: it was
 * there before), or the default one its lab ran in.
 */
static void
run_down(struct run *r, const char *labdir, int existed)
{
	const struct run_options *o = r->o;
	int own = !existed || (o->lab_dir == NULL && r->lab != NULL);

	if (r->lab && o->keep && !stop_requested()) {
		/* Its endpoints stay too, recording for observe. */
		if (serve_paths_write(labdir, o->paths, o->npaths, 0) != 0
		    || serve_start(r->lab, r->w->plan, labdir, 0) != 0)
			msg_warn("the lab stays up without its endpoints");
		printf("the lab is still up: danelab exec --dir %s -- CMD;"
		    " danelab down --dir %s\n", labdir, labdir);
		r->lab = lab_detach(r->lab);
		own = 0;
	} else if (r->lab)
		r->lab = lab_stop(r->lab);
	else if (!stop_requested())
		own = 0;	/* a lab that failed to start keeps its logs */
	if (own && labdir && (stop_requested() || o->lab_dir == NULL)
	    && file_rmtree(labdir) != 0)
		msg_warn("cannot remove %s: %s", labdir, strerror(errno));
}

/* run_free - everything r holds but the lab */
static void
run_free(struct run *r)
{
	if (r->eps)
		r->eps = endpoint_set_free(r->eps);
	if (r->ref)
		r->ref = refclient_free(r->ref);
	SSL_CTX_free(r->inbound_ctx);
	r->qlog = qlog_free(r->qlog);
	free(r->qlog_note);
	free(r->pcap);
	report_cells_free(r->cells, r->ncells);
	for (size_t t = 0; t < r->ntargets; t++) {
		free(r->targets[t].name);
		free(r->targets[t].version);
		free(r->targets[t].tls);
		free(r->targets[t].dns_note);
		target_baseline_free(r->targets[t].baseline,
		    r->targets[t].nbaseline);
	}
	free(r->targets);
	free(r->keys);
	for (size_t i = 0; r->zone_text && i < r->w->cat.n; i++)
		free(r->zone_text[i]);
	free(r->zone_text);
	world_free(r->w);
	pthread_mutex_destroy(&r->out_lock);
	pthread_mutex_destroy(&r->qlog_lock);
}

int
run_main(const struct run_options *o)
{
	struct run r;
	struct hostile *hostile = NULL;
	char started[32], *id, *out = NULL, *labdir = NULL;
	double t0 = clock_s();
	int status = EXIT_ENV, existed = 1, reported = 0;
	struct stat st;

	memset(&r, 0, sizeof(r));
	r.o = o;
	pthread_mutex_init(&r.out_lock, NULL);
	pthread_mutex_init(&r.qlog_lock, NULL);
	clock_phase(NULL);
	id = run_id(started, sizeof(started));
	if ((status = run_load(&r)) != 0)
		goto out;
	status = EXIT_ENV;
	out = o->out ? xstrdup(o->out) : xasprintf("reports/runs/%s", id);
	if (report_dir_check(out) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	labdir = o->lab_dir ? xstrdup(o->lab_dir) : o->keep
	    ? xstrdup(lab_dir_default()) : xasprintf("/run/danelab/run-%s", id);
	existed = stat(labdir, &st) == 0;
	if (run_up(&r, labdir, &hostile) != 0)
		goto out;
	run_progress_start(r.ncells);
	for (size_t t = 0; t < r.ntargets && !stop_requested(); t++) {
		double t1 = clock_s();

		run_drive(&r, &r.targets[t]);
		if (clock_phase_on())
			fprintf(stderr, "timing: %s: %zu cells in %.3f s\n",
			    r.targets[t].name, r.targets[t].ncells,
			    clock_s() - t1);
		clock_phase(NULL);
	}
	run_progress_end();
	if (hostile)
		run_hostile_end(&r, hostile);
	hostile = NULL;
	endpoint_stop(r.eps);
	if (r.capture) {
		long k = capture_stop(r.capture);

		r.capture = NULL;
		if (k >= 0 && !msg_quiet)
			printf("capture: %ld packets\n", k);
	}
	if (stop_requested()
	    || run_report(&r, out, id, started, t0) != 0)
		goto out;
	clock_phase("report");
	reported = 1;
	status = report_exit_status(r.cells, r.ncells);
out:
	if (hostile)
		hostile_stop(hostile);
	run_progress_end();
	if (r.capture) {
		capture_stop(r.capture);
		r.capture = NULL;
	}
	if (stop_requested()) {
		status = stop_status();
		msg_warn("stopped by SIG%s: the lab is torn down%s",
		    sigabbrev_np(stop_requested()), reported ? ""
		    : ", no report written");
	}
	if (r.eps)
		r.eps = endpoint_set_free(r.eps);
	if (r.ref)
		r.ref = refclient_free(r.ref);
	run_down(&r, labdir, existed);
	run_free(&r);
	clock_phase("down");
	free(out);
	free(labdir);
	free(id);
	return status;
}
