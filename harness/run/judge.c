/*
 * judge.c - the verdict of one cell (judge.h): which sessions a probe
 * made, what they show, which MUSTs they broke, and the verdict against
 * the expectation and the target's baseline.  No I/O: everything comes
 * in as arguments, so every rule here has a unit test
 * (harness/tests/check_judge.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "dname.h"
#include "judge.h"
#include "mem.h"
#include "msg.h"
#include "plan.h"

/* judge_outcomes_text - "a,b" of a set, plus " at HOST"; caller frees */
char *
judge_outcomes_text(outcome_set set, const char *host)
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

/* judge_host_of_tag - "mx1" of a tag "scenario-id/mx1" (borrowed) */
const char *
judge_host_of_tag(const char *tag)
{
	const char *slash = strchr(tag, '/');

	return slash ? slash + 1 : tag;
}

/*
 * judge_observe - the endpoints' view of a probe's connections: the last
 * one where the client went on, else the last one (refused), else none
 * (no-connect).  *final is its index; *went_on says whether it went on.
 */
enum outcome
judge_observe(const struct endpoint_conn *conns, size_t n, size_t *final,
    int *went_on)
{
	*final = 0;
	*went_on = 0;
	for (size_t i = 0; i < n; i++)
		if (conns[i].outcome == OUTCOME_ENCRYPTED
		    || conns[i].outcome == OUTCOME_CLEARTEXT) {
			*final = i;
			*went_on = 1;
		}
	if (n == 0)
		return OUTCOME_NO_CONNECT;
	if (!*went_on)
		*final = n - 1;
	return conns[*final].outcome;
}

/* judge_opened_after - a was accepted after b (the same millisecond: the
 * endpoints' accept order decides) */
static int
judge_opened_after(const struct endpoint_conn *a, const struct endpoint_conn *b)
{
	if (a->opened_ms != b->opened_ms)
		return a->opened_ms > b->opened_ms;
	return a->seq > b->seq;
}

/*
 * judge_attribute - which of a cell's sessions its probe made.  A session
 * that carries a probe id on the wire (ENDPOINT_PROBE_TAG: Postfix's
 * envelope sender and Subject) belongs to that probe whatever its time;
 * one that carries none belongs to the probe when it was accepted within
 * [from_ms, to_ms], the probe's (or its batch's) window.  Sessions that
 * belong are moved to the front of conns, in their order; the count is
 * returned.  *why is NULL, or names every stray session, which makes the
 * cell an error: never a pass and never a fail (caller frees).
 */
size_t
judge_attribute(const struct report_cell *cells, size_t ncells, size_t ci,
    struct endpoint_conn *conns, size_t n, long long from_ms, long long to_ms,
    char **why)
{
	struct buf b = { 0 };
	size_t own = 0, nstray = 0;
	char id[32];

	/* In the order the client opened them (the endpoints keep them in
	 * the order they finished), so that "the last" is the same in
	 * every run. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0
		    && judge_opened_after(&conns[j - 1], &conns[j]); j--) {
			struct endpoint_conn t = conns[j];

			conns[j] = conns[j - 1];
			conns[j - 1] = t;
		}
	snprintf(id, sizeof(id), "c%zu", ci);
	*why = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct endpoint_conn *c = &conns[i];
		char whose[256] = "";

		if (c->probe[0]) {
			size_t other;

			if (strcmp(c->probe, id) == 0)
				goto belongs;
			if (sscanf(c->probe, "c%zu", &other) == 1
			    && other < ncells)
				snprintf(whose, sizeof(whose), "carrying probe "
				    "%s (%s %s %s %s)", c->probe,
				    cells[other].target,
				    cells[other].scenario,
				    cells[other].proto,
				    cells[other].policy);
			else
				snprintf(whose, sizeof(whose), "carrying "
				    "probe id %s, not one of this run", c->probe);
		} else if (c->opened_ms < from_ms)
			snprintf(whose, sizeof(whose), "opened %.3f s before "
			    "the probe began", (from_ms - c->opened_ms) / 1e3);
		else if (c->opened_ms > to_ms)
			snprintf(whose, sizeof(whose), "opened %.3f s after "
			    "the target ended the probe",
			    (c->opened_ms - to_ms) / 1e3);
		else
			goto belongs;
		buf_printf(&b, "%s%s %s:%d (%s; SNI %s; %s)", nstray++ ? "; "
		    : "", c->tag, c->addr, c->port, whose,
		    c->sni[0] ? c->sni : "none",
		    c->tls_version[0] ? c->tls_version : "no TLS");
		continue;
belongs:
		if (i != own) {
			struct endpoint_conn t = conns[i];

			memmove(&conns[own + 1], &conns[own],
			    (i - own) * sizeof(*conns));
			conns[own] = t;
		}
		own++;
	}
	if (nstray)
		*why = xasprintf("%zu stray session%s, made by no probe of "
		    "this cell's batch: %s", nstray, nstray == 1 ? "" : "s",
		    b.data);
	buf_free(&b);
	return own;
}

/* judge_expected_text - "authenticated at mx2,refused at mx1": e's
 * outcomes, each with the host where it must be seen; caller frees */
char *
judge_expected_text(const struct scn_expect *e)
{
	struct buf b = { 0 };
	int every = 1;

	for (int o = 0; o < OUTCOME_COUNT; o++)
		if ((e->outcomes & OUTCOME_BIT(o)) && e->at[o])
			every = 0;
	if (every)	/* one host for all, or none: "a,b at mx1" */
		return judge_outcomes_text(e->outcomes, e->host);
	for (int o = 0; o < OUTCOME_COUNT; o++) {
		const char *h = scn_expect_host(e, o);

		if (!(e->outcomes & OUTCOME_BIT(o)))
			continue;
		buf_printf(&b, "%s%s", b.len ? "," : "", outcome_name(o));
		if (h && o != OUTCOME_NO_CONNECT)
			buf_printf(&b, " at %s", h);
	}
	return b.data;
}

/* judge_preferred_text - "no-connect (RFC7672 6)": what e prefers and
 * why; caller frees */
char *
judge_preferred_text(const struct scn_expect *e)
{
	char *o = judge_outcomes_text(e->prefer, NULL);
	char *t = xasprintf("%s (%s)", o, e->prefer_cite);

	free(o);
	return t;
}

/*
 * judge_sni_ok - RFC 7672 8.1: an SMTP client that DANE-authenticated the
 * host (scenario-relative) "MUST send the TLS SNI extension containing
 * the TLSA base domain": the host's name, or a name that is a CNAME to
 * it (the MX host name before expansion, RFC 7672 2.2.3), or a name whose
 * address records are the host's ("addr": an implicit MX, the domain
 * itself).
 */
static int
judge_sni_ok(const struct scenario *s, const char *host, const char *sni)
{
	char *name = scn_name_abs(s, host, PLAN_TLD);
	int ok = dname_eq(name, sni);

	free(name);
	for (size_t i = 0; i < s->nrrs && !ok; i++) {
		const struct scn_rr *rr = &s->rrs[i];

		if ((rr->kind == SCN_RR_CNAME || rr->kind == SCN_RR_ADDR)
		    && strcmp(rr->argv[1], host) == 0) {
			name = scn_name_abs(s, rr->argv[0], PLAN_TLD);
			ok = dname_eq(name, sni);
			free(name);
		}
	}
	return ok;
}

/*
 * judge_violation - a MUST the client broke that the endpoints saw, whatever
 * the outcome: a session at a host the expectation names with "not"
 * (conns[0..n-1] are the probe's sessions), or, for SMTP, an
 * authenticated session (conns[final]) without the TLSA base domain as
 * SNI.  NULL, or what was broken (caller frees).
 */
char *
judge_violation(const struct scenario *s, const struct scn_expect *e,
    enum proto proto, const struct endpoint_conn *conns, size_t n,
    size_t final, enum outcome seen)
{
	struct buf b = { 0 };

	for (size_t i = 0; e->avoid && i < n; i++) {
		const char *h = judge_host_of_tag(conns[i].tag);
		char *list = xasprintf(",%s,", e->avoid), *pat = xasprintf(",%s,", h);

		if (strstr(list, pat))
			buf_printf(&b, "%sit connected to %s, which it must not "
			    "(%s)", b.len ? "; " : "", h, e->cite);
		free(list);
		free(pat);
	}
	if (seen == OUTCOME_AUTHENTICATED && n > 0
	    && (proto == PROTO_SMTP || proto == PROTO_SMTPS)
	    && !judge_sni_ok(s, judge_host_of_tag(conns[final].tag),
	    conns[final].sni))
		buf_printf(&b, "%sit authenticated %s with SNI %s, not the TLSA "
		    "base domain (RFC7672 8.1: MUST send SNI)", b.len ? "; " : "",
		    judge_host_of_tag(conns[final].tag),
		    conns[final].sni[0] ? conns[final].sni : "none");
	return b.data;
}


void
judge_cell(const struct scn_expect *e, const struct target_deviation *dev,
    struct report_cell *c, const struct judge_seen *w)
{
	const char *want = scn_expect_host(e, w->outcome);

	c->observed = w->outcome == OUTCOME_NO_CONNECT || w->host == NULL
	    ? xstrdup(outcome_name(w->outcome))
	    : xasprintf("%s at %s", outcome_name(w->outcome), w->host);
	if (w->error) {
		c->verdict = VERDICT_ERROR;
		c->reason = xstrdup(w->error);
		return;
	}
	if (w->violation) {
		c->verdict = VERDICT_FAIL;
		c->reason = xasprintf("expected %s, observed %s, but %s: %s",
		    c->expected, c->observed, w->violation, w->why);
	} else if (!(e->outcomes & OUTCOME_BIT(w->outcome)) || (want
	    && w->outcome != OUTCOME_NO_CONNECT
	    && (w->host == NULL || strcmp(w->host, want) != 0))) {
		c->verdict = VERDICT_FAIL;
		c->reason = xasprintf("expected %s, observed %s: %s",
		    c->expected, c->observed, w->why);
	} else {
		c->verdict = VERDICT_PASS;
		c->reason = xstrdup(w->why);
		/* Allowed, but not what the RFC prefers (SHOULD). */
		c->not_preferred = e->prefer
		    && !(e->prefer & OUTCOME_BIT(w->outcome));
	}
	judge_baseline(dev, c);
}

void
judge_baseline(const struct target_deviation *dev, struct report_cell *c)
{
	if (dev && dev->validator && c->verdict == VERDICT_FAIL) {
		char *r = xasprintf("known deviation of the lab's validator "
		    "(%s), not of this target: %s (%s)", dev->validator,
		    dev->reason, c->reason);

		free(c->reason);
		c->reason = r;
		c->verdict = VERDICT_XFAIL;
	} else if (dev && dev->validator && c->verdict == VERDICT_PASS) {
		/* The validator's deviation need not change every client's
		 * verdict: a pass stays a pass, noted. */
		char *r = xasprintf("%s (the lab's validator %s deviates here: "
		    "%s)", c->reason, dev->validator, dev->reason);

		free(c->reason);
		c->reason = r;
	} else if (dev && c->verdict == VERDICT_FAIL) {
		char *r = xasprintf("known %sdeviation: %s (%s)",
		    dev->intermittent ? "intermittent " : "", dev->reason,
		    c->reason);

		free(c->reason);
		c->reason = r;
		c->verdict = VERDICT_XFAIL;
	} else if (dev && c->verdict == VERDICT_PASS && dev->intermittent) {
		/* A deviation that depends on something the lab does not
		 * fix (e.g. the order a target's own resolver gives). */
		char *r = xasprintf("%s (the baseline lists an intermittent "
		    "deviation: %s)", c->reason, dev->reason);

		free(c->reason);
		c->reason = r;
	} else if (dev && c->verdict == VERDICT_PASS) {
		free(c->reason);
		c->reason = xasprintf("passed although the baseline lists it: "
		    "%s", dev->reason);
		c->verdict = VERDICT_XPASS;
	}
}

char *
judge_prober(enum outcome said, const struct endpoint_conn *conns, size_t n,
    enum outcome *seen, const char **host)
{
	size_t i, found = n;

	for (i = 0; i < n; i++) {
		int tls = conns[i].tls_done;

		if (((said == OUTCOME_AUTHENTICATED
		    || said == OUTCOME_ENCRYPTED) && tls)
		    || (said == OUTCOME_CLEARTEXT
		    && conns[i].outcome == OUTCOME_CLEARTEXT)
		    || said == OUTCOME_REFUSED)
			found = i;
	}
	if (said == OUTCOME_NO_CONNECT ? n > 0 : found == n)
		return xasprintf("the target says %s, but the lab's endpoints "
		    "saw %zu connection%s%s", outcome_name(said), n,
		    n == 1 ? "" : "s", n ? " without what that needs" : "");
	*seen = said;
	*host = n ? judge_host_of_tag(conns[found].tag) : NULL;
	return NULL;
}

enum cell_state
judge_unprobed(struct report_cell *c, enum cell_state state, const char *why)
{
	if (state != CELL_SKIPPED && state != CELL_ERROR)
		msg_panic("judge_unprobed: state %d", (int)state);
	c->verdict = state == CELL_SKIPPED ? VERDICT_SKIP : VERDICT_ERROR;
	c->observed = xstrdup("");
	c->reason = xstrdup(why);
	return state;
}

/* judge_asked - the index of the first of q[0..n-1] for (type, the
 * scenario-relative name) of s, or n; *abs gets the absolute name
 * (caller frees) */
static size_t
judge_asked(const struct scenario *s, const char *type, const char *name,
    const struct report_query *q, size_t n, char **abs)
{
	char *a = scn_name_abs(s, name, PLAN_TLD);
	size_t len = strlen(a), i;

	if (len > 1 && a[len - 1] == '.')
		a[len - 1] = 0;
	*abs = a;
	for (i = 0; i < n; i++)
		if (strcasecmp(q[i].type, type) == 0 && dname_eq(q[i].name, a))
			break;
	return i;
}

/* judge_ask - one query expectation a against q[0..n-1]: NULL, or what
 * the client did against it (caller frees) */
static char *
judge_ask(const struct scenario *s, const struct scn_ask *a,
    const struct report_query *q, size_t n)
{
	const char *must = a->should ? "should" : "must";
	char *name, *bname = NULL, *why = NULL;
	size_t first = judge_asked(s, a->type, a->name, q, n, &name), bfirst;

	if (a->never && first < n)
		why = xasprintf("it asked %s %s, which it %s not (%s)", a->type,
		    name, must, a->cite);
	else if (!a->never && first == n)
		why = xasprintf("it never asked %s %s, which it %s (%s)",
		    a->type, name, must, a->cite);
	else if (!a->never && a->before_name && (bfirst = judge_asked(s,
	    a->before_type, a->before_name, q, n, &bname)) < first)
		why = xasprintf("it asked %s %s before %s %s, which it %s not "
		    "(%s)", a->before_type, bname, a->type, name, must, a->cite);
	free(name);
	free(bname);
	return why;
}

size_t
judge_asks(const struct scenario *s, enum proto proto,
    const struct report_query *q, size_t n, char **must, char **should)
{
	struct buf m = { 0 }, sh = { 0 };
	size_t applied = 0;

	for (size_t i = 0; i < s->nasks; i++) {
		const struct scn_ask *a = &s->asks[i];
		struct buf *b = a->should ? &sh : &m;
		char *why;

		if (!(a->protos & (1u << proto)))
			continue;
		applied++;
		if ((why = judge_ask(s, a, q, n)) != NULL)
			buf_printf(b, "%s%s", b->len ? "; " : "", why);
		free(why);
	}
	*must = m.data;
	*should = sh.data;
	return applied;
}

/* judge_reason_add - c's reason becomes "FMT-text: old reason" */
static void
judge_reason_add(struct report_cell *c, const char *lead)
{
	char *r = xasprintf("%s: %s", lead, c->reason ? c->reason : "");

	free(c->reason);
	c->reason = r;
}

void
judge_queries(struct report_cell *c, const struct target_deviation *dev,
    const char *must, const char *should)
{
	char *lead;

	if (c->verdict == VERDICT_ERROR || c->verdict == VERDICT_SKIP)
		return;
	if (dev && dev->validator)
		dev = NULL;	/* the validator's deviation excuses no lookup */
	if (must && (c->verdict == VERDICT_FAIL
	    || c->verdict == VERDICT_XFAIL)) {
		lead = xasprintf("and %s", must);
		judge_reason_add(c, lead);
	} else if (must) {
		/* A pass (or an xpass, a pass the baseline lists) that broke
		 * a MUST on the DNS. */
		if (dev)
			lead = xasprintf("known %sdeviation: %s (expected %s, "
			    "observed %s, but %s)", dev->intermittent
			    ? "intermittent " : "", dev->reason, c->expected,
			    c->observed, must);
		else
			lead = xasprintf("expected %s, observed %s, but %s",
			    c->expected, c->observed, must);
		judge_reason_add(c, lead);
		c->verdict = dev ? VERDICT_XFAIL : VERDICT_FAIL;
		c->not_preferred = 0;
	} else if (should && c->verdict == VERDICT_PASS) {
		lead = xasprintf("not preferred: %s", should);
		judge_reason_add(c, lead);
		c->not_preferred = 1;
	} else
		return;
	free(lead);
}
