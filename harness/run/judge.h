/*
 * judge.h - the verdict of one cell: the expectation, the target's
 * baseline and what was seen in, verdict and reason out.  Pure: no I/O,
 * no lab, no threads; run.c gathers what was seen and calls these.
 */
#ifndef DANELAB_JUDGE_H
#define DANELAB_JUDGE_H

#include <stddef.h>

#include "endpoint.h"
#include "observe.h"
#include "report.h"
#include "scenario.h"
#include "target.h"

/* judge_outcomes_text - "a,b" of a set, plus " at HOST"; caller frees */
char *judge_outcomes_text(outcome_set set, const char *host);

/* judge_expected_text - "authenticated at mx2,refused at mx1": e's
 * outcomes, each with the host where it must be seen; caller frees */
char *judge_expected_text(const struct scn_expect *e);

/* judge_preferred_text - "no-connect (RFC7672 6)": what e prefers and
 * why; caller frees */
char *judge_preferred_text(const struct scn_expect *e);

/* judge_host_of_tag - "mx1" of an endpoint tag "scenario-id/mx1"
 * (borrowed) */
const char *judge_host_of_tag(const char *tag);

/*
 * judge_observe - the endpoints' view of a probe's sessions conns[0..n-1]:
 * the last one where the client went on, else the last one (refused),
 * else none (no-connect).  *final is its index; *went_on says whether it
 * went on.
 */
enum outcome judge_observe(const struct endpoint_conn *conns, size_t n,
    size_t *final, int *went_on);

/*
 * judge_attribute - which of cell ci's sessions its probe made, first
 * putting them in the order they were opened.  A session that carries a
 * probe id on the wire (ENDPOINT_PROBE_TAG)
 * belongs to that probe whatever its time; one that carries none belongs
 * when it was accepted within [from_ms, to_ms], the probe's (or its
 * batch's) window.  Sessions that belong are moved to the front of conns,
 * in their order; the count is returned.  *why is NULL, or names every
 * stray session (with the cell of cells[0..ncells-1] whose id it
 * carries), which makes the cell an error: never a pass and never a
 * fail (caller frees).
 */
size_t judge_attribute(const struct report_cell *cells, size_t ncells,
    size_t ci, struct endpoint_conn *conns, size_t n, long long from_ms,
    long long to_ms, char **why);

/*
 * judge_violation - a MUST the client broke that the endpoints saw,
 * whatever the outcome: a session at a host e names with "not"
 * (conns[0..n-1] are the probe's sessions), or, for SMTP, an
 * authenticated session (conns[final]) whose SNI is not the TLSA base
 * domain (RFC 7672 8.1).  NULL, or what was broken (caller frees).
 */
char *judge_violation(const struct scenario *s, const struct scn_expect *e,
    enum proto proto, const struct endpoint_conn *conns, size_t n,
    size_t final, enum outcome seen);

/* What was seen of one cell. */
struct judge_seen {
	enum outcome outcome;
	const char *host;	/* where, or NULL */
	const char *violation;	/* judge_violation, or NULL */
	const char *error;	/* the harness or the target broke, or NULL */
	const char *why;	/* the reason of a pass */
};

/*
 * judge_cell - c's observed, verdict, reason and not_preferred (c's
 * expected must be set) from what was seen against e, with dev the
 * matching baseline line or NULL: an error stays an error; a violation
 * or an outcome (or host) outside e is a fail, turned into an xfail by
 * dev; a pass that dev lists is an xpass unless dev is intermittent; a
 * pass outside e's preferred outcomes is "not preferred".
 */
void judge_cell(const struct scn_expect *e, const struct target_deviation *dev,
    struct report_cell *c, const struct judge_seen *seen);

/* judge_baseline - c's verdict and reason given dev, its baseline line
 * or NULL: a fail becomes an xfail, a pass an xpass (unless dev is
 * intermittent); a line of the lab validator's baseline
 * (dev->validator) makes a fail an xfail that names the validator and
 * leaves a pass a pass, noted */
void judge_baseline(const struct target_deviation *dev, struct report_cell *c);

/*
 * judge_prober - the outcome of a probing tool (posttls-finger), which
 * delivers nothing, so the wire cannot show its decision: its word said
 * is the outcome, provided the endpoints saw what that word needs among
 * the probe's sessions conns[0..n-1] (a TLS handshake for authenticated
 * and encrypted, a connection for refused, a cleartext session for
 * cleartext, nothing for no-connect).  Then *seen and *host (borrowed
 * from conns, or NULL) are set and NULL is returned; else an error
 * saying how the target and the lab disagree (caller frees).
 */
char *judge_prober(enum outcome said, const struct endpoint_conn *conns,
    size_t n, enum outcome *seen, const char **host);

/*
 * judge_asks - s's query expectations (asks, never-asks) that apply to
 * protocol proto, against the queries q[0..n-1] the client asked the
 * lab's resolver for the scenario's names, in the order it asked them.
 * *must gets what broke a MUST (MUST NOT), *should what missed a SHOULD
 * (SHOULD NOT): NULL when nothing did, else one line (caller frees).
 * Returns how many expectations applied.
 */
size_t judge_asks(const struct scenario *s, enum proto proto,
    const struct report_query *q, size_t n, char **must, char **should);

/*
 * judge_queries - what judge_asks found, applied to the judged cell c
 * (dev: its baseline line, or NULL), as outcomes are graded: a broken
 * MUST turns a pass (or an xpass) into a fail, an xfail with dev, and
 * adds to a fail's reason; a missed SHOULD makes a pass "not
 * preferred", saying why.  Errors and skips stay as they are.
 */
void judge_queries(struct report_cell *c, const struct target_deviation *dev,
    const char *must, const char *should);

/* Where a cell is in a run. */
enum cell_state {
	CELL_PENDING,		/* not probed yet */
	CELL_OBSERVED,		/* probed and judged (judge_cell) */
	CELL_SKIPPED,		/* not probed: the target cannot make it */
	CELL_ERROR		/* not probed: the target or the harness broke */
};

/*
 * judge_unprobed - close cell c without a probe: state CELL_SKIPPED
 * (verdict skip) or CELL_ERROR (verdict error), nothing observed, reason
 * why (copied).  Returns state.
 */
enum cell_state judge_unprobed(struct report_cell *c, enum cell_state state,
    const char *why);

#endif
