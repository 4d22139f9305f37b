/*
 * observer.c - "danelab observe" and "danelab mark" (observer.h).
 *
 * The sessions come from the endpoint process's record (serve.c); those
 * before the mark are left out.  Each scenario asked for (or, without
 * one, each that has sessions) gets one cell per protocol it saw
 * sessions of (every outbound protocol when it saw none): judge.c ties
 * the sessions to it, observes, checks the MUSTs and judges, as a run
 * does for an adapter's probe.  A session that cannot be tied to the
 * scenario asked for is listed apart and never counted.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "judge.h"
#include "json.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "observer.h"
#include "serve.h"
#include "template.h"
#include "world.h"

/* One cell of observe: a scenario x protocol, for the policy asked. */
struct observer_cell {
	const struct scenario *s;
	enum proto proto;
	struct endpoint_conn *conns;	/* its sessions; from own on, stray */
	size_t n, own;
	char *stray;			/* why those are stray, or NULL */
	struct report_cell c;
};

/* What observe saw and judged. */
struct observer {
	const struct observer_options *o;
	struct world *w;
	long long since;		/* ms (clock_ms), 0: from the start */
	size_t earlier;			/* sessions before the mark */
	unsigned long long dropped;	/* sessions the capped record lost */
	long long dropped_ms;		/* when the last of them opened */
	struct observer_cell *cells;
	size_t ncells;
	struct endpoint_conn *apart;	/* of no scenario asked for */
	size_t napart;
};

/* observer_marks_path - "<dir>/marks"; caller frees */
static char *
observer_marks_path(const char *dir)
{
	return xasprintf("%s/" OBSERVER_MARKS, dir);
}

int
observer_mark(const char *dir)
{
	char *path = observer_marks_path(dir), *text, *line;
	long long now = clock_ms();

	if (lab_find(dir) == 0) {
		msg_warn("no lab is up in %s", dir);
		free(path);
		return EXIT_ENV;
	}
	text = file_read(path, NULL);
	line = xasprintf("%s%lld\n", text ? text : "", now);
	if (file_write(path, line, strlen(line)) != 0)
		msg_warn("cannot record the mark in %s", path);
	printf("%lld\n", now);
	free(text);
	free(line);
	free(path);
	return EXIT_PASS;
}

/* observer_since - the mark s ("last": the last one recorded) in ms;
 * 0, or -1 after saying why */
static int
observer_since(const char *dir, const char *s, long long *ms)
{
	char *path, *text, *end, *last;

	*ms = 0;
	if (s == NULL)
		return 0;
	if (strcmp(s, "last") != 0) {
		*ms = strtoll(s, &end, 10);
		if (*s >= '0' && *s <= '9' && *end == 0)
			return 0;
		msg_warn("--since wants a mark that danelab mark printed, or "
		    "last, not \"%s\"", s);
		return -1;
	}
	path = observer_marks_path(dir);
	text = file_read(path, NULL);
	free(path);
	if (text == NULL || *text == 0) {
		msg_warn("--since last: no mark in %s (danelab mark sets one)",
		    dir);
		free(text);
		return -1;
	}
	while (*text && text[strlen(text) - 1] == '\n')
		text[strlen(text) - 1] = 0;
	last = strrchr(text, '\n');
	*ms = strtoll(last ? last + 1 : text, NULL, 10);
	free(text);
	return 0;
}

/* observer_scenario - the scenario of a session's tag, or NULL */
static const struct scenario *
observer_scenario(const struct world *w, const char *tag)
{
	size_t len = strcspn(tag, "/");

	for (size_t i = 0; i < w->cat.n; i++)
		if (strncmp(w->cat.list[i]->id, tag, len) == 0
		    && w->cat.list[i]->id[len] == 0)
			return w->cat.list[i];
	return NULL;
}

/* observer_add - a cell for s and proto, holding its sessions of conns
 * (moved there: their tag in conns is cleared) */
static void
observer_add(struct observer *ob, const struct scenario *s, enum proto p,
    struct endpoint_conn *conns, size_t n)
{
	struct observer_cell *x;

	ob->cells = xrealloc(ob->cells, (ob->ncells + 1) * sizeof(*ob->cells));
	x = &ob->cells[ob->ncells++];
	memset(x, 0, sizeof(*x));
	x->s = s;
	x->proto = p;
	for (size_t i = 0; i < n; i++) {
		if (conns[i].tag[0] == 0 || conns[i].proto != p
		    || observer_scenario(ob->w, conns[i].tag) != s)
			continue;
		x->conns = xrealloc(x->conns, (x->n + 1) * sizeof(*x->conns));
		x->conns[x->n++] = conns[i];
		conns[i].tag[0] = 0;
	}
}

/* observer_cells - one cell per scenario asked for (or with sessions)
 * and protocol; what is left of conns goes apart.  0, or -1 after
 * saying that the scenario asked for is unknown. */
static int
observer_cells(struct observer *ob, struct endpoint_conn *conns, size_t n)
{
	const char *want = ob->o->scenario;

	for (size_t i = 0; i < ob->w->cat.n; i++) {
		const struct scenario *s = ob->w->cat.list[i];
		unsigned seen = 0, out = s->protos & ~(1u << PROTO_XMPP_IN);

		if (want && strcmp(s->id, want) != 0)
			continue;
		for (size_t k = 0; k < n; k++)
			if (conns[k].tag[0]
			    && observer_scenario(ob->w, conns[k].tag) == s)
				seen |= 1u << conns[k].proto;
		if (seen == 0 && (want == NULL && ob->w->cat.n > 1))
			continue;
		for (int p = 0; p < PROTO_COUNT; p++)
			if ((seen ? seen : out) & (1u << p))
				observer_add(ob, s, p, conns, n);
	}
	if (want && ob->ncells == 0) {
		msg_warn("scenario \"%s\" is not one the lab in %s serves%s",
		    want, ob->o->dir, observer_scenario(ob->w, want)
		    ? " outbound (xmpp-in only: the lab connects)" : "");
		return -1;
	}
	for (size_t k = 0; k < n; k++)
		if (conns[k].tag[0]) {
			ob->apart = xrealloc(ob->apart, (ob->napart + 1)
			    * sizeof(*ob->apart));
			ob->apart[ob->napart++] = conns[k];
			conns[k].transcript = NULL;
		}
	return 0;
}

/* observer_why - the reason of a pass: what was seen, and the client's
 * word if given; caller frees */
static char *
observer_why(const struct observer *ob, const struct observer_cell *x,
    const struct scn_expect *e, enum outcome seen)
{
	const struct observer_options *o = ob->o;
	char *said = o->said >= 0 ? xasprintf("; the client says %s%s",
	    outcome_name(o->said), o->prober ? " (a prober: its word is the "
	    "outcome)" : "") : xstrdup("");
	char *why = xasprintf("the lab's endpoints saw %zu %s session%s%s%s",
	    x->own, proto_name(x->proto), x->own == 1 ? "" : "s", said,
	    o->said < 0 && seen == OUTCOME_ENCRYPTED && (e->outcomes
	    & OUTCOME_BIT(OUTCOME_AUTHENTICATED)) ? " (they cannot see "
	    "whether the client authenticated: --said authenticated gives "
	    "its word)" : "");

	free(said);
	return why;
}

void
observer_expect(struct report_cell *c, const struct scn_expect *e)
{
	c->expected = judge_expected_text(e);
	if (e->avoid) {
		char *t = xasprintf("%s, nothing at %s", c->expected, e->avoid);

		free(c->expected);
		c->expected = t;
	}
	c->cite = xstrdup(e->cite);
	c->preferred = e->prefer ? judge_preferred_text(e) : xstrdup("");
}

/* observer_judge - the verdict of cell x, as a run judges an adapter's */
static void
observer_judge(struct observer *ob, struct observer_cell *x)
{
	const struct observer_options *o = ob->o;
	const struct scn_expect *e = scn_expect_for(x->s, x->proto, o->policy);
	struct judge_seen seen = { 0 };
	char *violation, *err = NULL, *why;
	size_t final = 0;
	int went_on;

	x->own = judge_attribute(NULL, 0, SIZE_MAX, x->conns, x->n, ob->since,
	    LLONG_MAX, &x->stray);
	seen.outcome = judge_observe(x->conns, x->own, &final, &went_on);
	if (x->own > 0)
		seen.host = judge_host_of_tag(x->conns[final].tag);
	if (o->said >= 0 && o->prober)
		err = judge_prober(o->said, x->conns, x->own, &seen.outcome,
		    &seen.host);
	else if (o->said == OUTCOME_AUTHENTICATED
	    && seen.outcome == OUTCOME_ENCRYPTED)
		seen.outcome = OUTCOME_AUTHENTICATED;
	why = observer_why(ob, x, e, seen.outcome);
	violation = judge_violation(x->s, e, x->proto, x->conns, x->own, final,
	    seen.outcome);
	seen.violation = violation;
	seen.error = err;
	seen.why = why;
	observer_expect(&x->c, e);
	judge_cell(e, NULL, &x->c, &seen);
	free(violation);
	free(err);
	free(why);
}

/* observer_session_json - session c as a JSON object */
static void
observer_session_json(struct buf *b, const struct endpoint_conn *c,
    int verbose)
{
	char *id = xstrndup(c->tag, strcspn(c->tag, "/"));

	buf_printf(b, "{\"scenario\": ");
	json_string(b, id, 0);
	free(id);
	buf_printf(b, ", \"host\": ");
	json_string(b, judge_host_of_tag(c->tag), 0);
	buf_printf(b, ", \"addr\": \"%s\", \"port\": %d, \"proto\": \"%s\", "
	    "\"sni\": ", c->addr, c->port, proto_name(c->proto));
	json_string(b, c->sni, 0);
	buf_printf(b, ", \"tls_version\": ");
	json_string(b, c->tls_version, 0);
	buf_printf(b, ", \"alert\": ");
	json_string(b, c->alert, 0);
	buf_printf(b, ", \"probe\": ");
	json_string(b, c->probe, 0);
	buf_printf(b, ", \"outcome\": \"%s\", \"opened_ms\": %lld, "
	    "\"seconds\": %.3f", outcome_name(c->outcome), c->opened_ms,
	    (c->closed_ms - c->opened_ms) / 1e3);
	if (verbose) {
		buf_printf(b, ", \"transcript\": ");
		json_string(b, c->transcript, 0);
	}
	buf_printf(b, "}");
}

void
observer_transcript(struct buf *b, const char *t)
{
	for (const char *l = t; *l; ) {
		size_t len = strcspn(l, "\n");

		buf_printf(b, "      | %.*s\n", (int)len, l);
		l += len + (l[len] == '\n');
	}
}

/* observer_session_text - session c as one line (and its transcript) */
static void
observer_session_text(struct buf *b, const struct endpoint_conn *c,
    int verbose)
{
	buf_printf(b, "    %s %s:%d %s, SNI %s, %s, %s, %.1f s", c->tag, c->addr,
	    c->port, proto_name(c->proto), c->sni[0] ? c->sni : "none",
	    c->tls_version[0] ? c->tls_version : "no TLS",
	    outcome_name(c->outcome), (c->closed_ms - c->opened_ms) / 1e3);
	if (c->alert[0])
		buf_printf(b, ", alert %s", c->alert);
	if (c->probe[0])
		buf_printf(b, ", probe id %s", c->probe);
	buf_printf(b, "\n");
	if (verbose && c->transcript)
		observer_transcript(b, c->transcript);
}

/* observer_hosts - the outcome per host of x's own sessions, as
 * "mx1 encrypted (2 sessions)" lines (text) or JSON objects */
static void
observer_hosts(struct buf *b, const struct observer_cell *x, int json)
{
	struct endpoint_conn *one = xcalloc(x->own ? x->own : 1, sizeof(*one));

	for (size_t i = 0; i < x->own; i++) {
		const char *h = judge_host_of_tag(x->conns[i].tag);
		size_t n = 0, final;
		int went_on, first = 1;

		for (size_t k = 0; k < i && first; k++)
			first = strcmp(judge_host_of_tag(x->conns[k].tag), h) != 0;
		if (!first)
			continue;
		for (size_t k = i; k < x->own; k++)
			if (strcmp(judge_host_of_tag(x->conns[k].tag), h) == 0)
				one[n++] = x->conns[k];
		if (json) {
			buf_printf(b, "%s{\"host\": ", i ? ", " : "");
			json_string(b, h, 0);
			buf_printf(b, ", \"outcome\": \"%s\", \"sessions\": %zu}",
			    outcome_name(judge_observe(one, n, &final,
			    &went_on)), n);
		} else
			buf_printf(b, "    %s %s (%zu session%s)\n", h,
			    outcome_name(judge_observe(one, n, &final,
			    &went_on)), n, n == 1 ? "" : "s");
	}
	free(one);
}

void
observer_verdict_text(struct buf *b, const struct report_cell *c)
{
	buf_printf(b, "  verdict: %s%s\n  reason: %s\n  cite: %s\n",
	    verdict_name(c->verdict), c->not_preferred ? ", not preferred" : "",
	    c->reason, c->cite);
	if (*c->preferred)
		buf_printf(b, "  preferred: %s\n", c->preferred);
}

/* observer_text - everything, as text */
static void
observer_text(const struct observer *ob, struct buf *b)
{
	const struct observer_options *o = ob->o;

	buf_printf(b, "lab %s, policy %s, ", o->dir, policy_name(o->policy));
	if (ob->since)
		buf_printf(b, "sessions since mark %lld (%zu before it not "
		    "shown)\n", ob->since, ob->earlier);
	else
		buf_printf(b, "every session since up\n");
	if (ob->dropped && ob->since <= ob->dropped_ms)
		buf_printf(b, "note: %llu older sessions, the last opened at %lld, "
		    "are no longer recorded (the record is capped: danelab "
		    "mark before each attempt)\n", ob->dropped, ob->dropped_ms);
	if (ob->ncells == 0)
		buf_printf(b, "no session at any scenario's endpoints%s\n",
		    ob->napart ? " but those below" : "");
	for (size_t i = 0; i < ob->ncells; i++) {
		const struct observer_cell *x = &ob->cells[i];

		buf_printf(b, "\n%s %s %s (%s:%d)\n  %s\n  sessions:%s\n",
		    x->s->id, proto_name(x->proto), policy_name(o->policy),
		    template_rel_file(x->s->file), x->s->line, x->s->summary,
		    x->own ? "" : " none");
		for (size_t k = 0; k < x->own; k++)
			observer_session_text(b, &x->conns[k], o->verbose);
		if (x->own)
			buf_printf(b, "  outcome per host:\n");
		observer_hosts(b, x, 0);
		observer_verdict_text(b, &x->c);
		if (x->stray) {
			buf_printf(b, "  not tied to this scenario, not "
			    "counted: %s\n", x->stray);
			for (size_t k = x->own; k < x->n; k++)
				observer_session_text(b, &x->conns[k],
				    o->verbose);
		}
	}
	if (ob->napart)
		buf_printf(b, "\nsessions of other scenarios, not counted:\n");
	for (size_t k = 0; k < ob->napart; k++)
		observer_session_text(b, &ob->apart[k], o->verbose);
}

void
observer_verdict_json(struct buf *b, const struct scenario *s, enum proto p,
    enum policy q, const struct report_cell *c)
{
	const char *fields[][2] = { { "expected", c->expected },
	    { "observed", c->observed }, { "reason", c->reason },
	    { "cite", c->cite }, { "preferred", c->preferred } };

	buf_printf(b, "{\"scenario\": ");
	json_string(b, s->id, 0);
	buf_printf(b, ", \"file\": ");
	json_string(b, template_rel_file(s->file), 0);
	buf_printf(b, ", \"line\": %d, \"proto\": \"%s\", \"policy\": \"%s\", "
	    "\"verdict\": \"%s\", \"not_preferred\": %s", s->line,
	    proto_name(p), policy_name(q), verdict_name(c->verdict),
	    c->not_preferred ? "true" : "false");
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		buf_printf(b, ", \"%s\": ", fields[f][0]);
		json_string(b, fields[f][1], 0);
	}
}

/* observer_json - everything, as one JSON object */
static void
observer_json(const struct observer *ob, struct buf *b)
{
	const struct observer_options *o = ob->o;

	buf_printf(b, "{\"lab\": ");
	json_string(b, o->dir, 0);
	buf_printf(b, ", \"policy\": \"%s\", \"since\": %lld, \"earlier\": "
	    "%zu, \"dropped\": %llu, \"dropped_ms\": %lld, \"cells\": [",
	    policy_name(o->policy), ob->since, ob->earlier, ob->dropped,
	    ob->dropped_ms);
	for (size_t i = 0; i < ob->ncells; i++) {
		const struct observer_cell *x = &ob->cells[i];

		buf_printf(b, "%s\n  ", i ? "," : "");
		observer_verdict_json(b, x->s, x->proto, o->policy, &x->c);
		buf_printf(b, ", \"hosts\": [");
		observer_hosts(b, x, 1);
		buf_printf(b, "], \"sessions\": [");
		for (size_t k = 0; k < x->own; k++) {
			buf_printf(b, "%s", k ? ", " : "");
			observer_session_json(b, &x->conns[k], o->verbose);
		}
		buf_printf(b, "], \"stray\": ");
		json_string(b, x->stray ? x->stray : "", 0);
		buf_printf(b, ", \"stray_sessions\": [");
		for (size_t k = x->own; k < x->n; k++) {
			buf_printf(b, "%s", k > x->own ? ", " : "");
			observer_session_json(b, &x->conns[k], o->verbose);
		}
		buf_printf(b, "]}");
	}
	buf_printf(b, "],\n \"apart\": [");
	for (size_t k = 0; k < ob->napart; k++) {
		buf_printf(b, "%s\n  ", k ? "," : "");
		observer_session_json(b, &ob->apart[k], o->verbose);
	}
	buf_printf(b, "]}\n");
}

/* observer_load - the lab's world and its sessions since the mark into
 * ob (its cells made); 0, or an exit status after saying why */
static int
observer_load(struct observer *ob)
{
	const struct observer_options *o = ob->o;
	struct endpoint_conn *conns = NULL;
	char **paths = NULL;
	size_t n = 0, kept = 0, filtered = 0;
	int npaths = 0, no_default = 0, errors, ret = EXIT_ENV;

	if (lab_find(o->dir) == 0) {
		msg_warn("no lab is up in %s (start one with danelab up)",
		    o->dir);
		return EXIT_ENV;
	}
	/* What is still open is finished and recorded first (a warning
	 * says when it is not). */
	if (serve_find(o->dir) != 0)
		serve_sync(o->dir);
	if (serve_find(o->dir) == 0
	    || serve_paths_read(o->dir, &paths, &npaths, &no_default) != 0
	    || serve_read(o->dir, &conns, &n) != 0) {
		msg_warn("the lab in %s serves no endpoints (it was started "
		    "with --no-endpoints, or they stopped): nothing to observe",
		    o->dir);
		goto out;
	}
	serve_dropped(o->dir, &ob->dropped, &ob->dropped_ms);
	ret = EXIT_USAGE;
	if (observer_since(o->dir, o->since, &ob->since) != 0)
		goto out;
	if ((ob->w = world_load(paths, npaths, no_default, WORLD_PARSE, 0,
	    &errors)) == NULL) {
		msg_warn("the lab's scenarios no longer load (%d error%s)",
		    errors, errors == 1 ? "" : "s");
		goto out;
	}
	filtered = 1;
	for (size_t i = 0; i < n; i++) {
		if (conns[i].opened_ms >= ob->since) {
			conns[kept++] = conns[i];
			continue;
		}
		free(conns[i].transcript);
		ob->earlier++;
	}
	if (observer_cells(ob, conns, kept) == 0)
		ret = 0;
out:
	/* The sessions moved to the cells and apart have no tag here. */
	for (size_t i = 0; i < kept; i++)
		if (conns[i].tag[0] == 0)
			conns[i].transcript = NULL;
	endpoint_conns_free(conns, filtered ? kept : n);
	for (int i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	return ret;
}

int
observer_main(const struct observer_options *o)
{
	struct observer ob;
	struct buf b = { 0 };
	int status;

	memset(&ob, 0, sizeof(ob));
	ob.o = o;
	if ((status = observer_load(&ob)) == 0) {
		for (size_t i = 0; i < ob.ncells; i++) {
			observer_judge(&ob, &ob.cells[i]);
			if (ob.cells[i].c.verdict != VERDICT_PASS)
				status = EXIT_FAILED;
		}
		if (o->json)
			observer_json(&ob, &b);
		else
			observer_text(&ob, &b);
		fputs(b.data, stdout);
	}
	for (size_t i = 0; i < ob.ncells; i++) {
		endpoint_conns_free(ob.cells[i].conns, ob.cells[i].n);
		free(ob.cells[i].stray);
		free(ob.cells[i].c.expected);
		free(ob.cells[i].c.cite);
		free(ob.cells[i].c.preferred);
		free(ob.cells[i].c.observed);
		free(ob.cells[i].c.reason);
	}
	free(ob.cells);
	endpoint_conns_free(ob.apart, ob.napart);
	world_free(ob.w);
	buf_free(&b);
	return status;
}
