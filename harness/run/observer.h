/*
 * observer.h - "danelab observe" and "danelab mark": what the endpoints
 * of a lab left up by "up" saw (serve.h), the outcome per host, and the
 * verdict against a scenario's expectation for one policy, judged by
 * judge.c exactly as a run judges an adapter's cell (no baseline: the
 * client is whatever the user ran).
 */
#ifndef DANELAB_OBSERVER_H
#define DANELAB_OBSERVER_H

#include "mem.h"
#include "observe.h"
#include "report.h"
#include "scenario.h"

#define OBSERVER_MARKS	"marks"		/* <dir>/marks: one mark per line */

struct observer_options {
	const char *dir;		/* the lab's run directory */
	const char *scenario;		/* NULL: every scenario with sessions */
	enum policy policy;		/* whose expectation */
	const char *since;		/* a mark, "last", or NULL: every session */
	int json;			/* JSON instead of text */
	int verbose;			/* transcripts too */
	int said;			/* the client's word (an outcome), or -1 */
	int prober;			/* the client's word is the outcome, as
					 * for a prober (judge_prober) */
};

/*
 * observer_main - print what the lab in o->dir saw and its verdicts on
 * stdout.  Returns 0 when every verdict passes, 1 when one fails or is
 * an error, 2 for an unknown scenario or mark, 3 when there is no lab or
 * it serves no endpoints.
 */
int observer_main(const struct observer_options *o);

/* observer_mark - print a mark (for "observe --since MARK") and record
 * it as the last one in dir; 0, or 3 when there is no lab */
int observer_mark(const char *dir);

/* What observe and connect share: the expectation's texts of a cell,
 * and a judged cell printed. */

/* observer_expect - c's expected, cite and preferred texts from e (c
 * owns them) */
void observer_expect(struct report_cell *c, const struct scn_expect *e);

/* observer_verdict_text - c's "verdict:", "reason:", "cite:" (and
 * "preferred:") lines, indented by two */
void observer_verdict_text(struct buf *b, const struct report_cell *c);

/* observer_transcript - t's lines, each as "      | LINE" */
void observer_transcript(struct buf *b, const char *t);

/* observer_verdict_json - the start of a cell's JSON object: scenario s
 * (its file relative to the data directory, and line), protocol p,
 * policy q, verdict, not_preferred, expected, observed, reason, cite,
 * preferred; the caller adds its members and the closing brace */
void observer_verdict_json(struct buf *b, const struct scenario *s,
    enum proto p, enum policy q, const struct report_cell *c);

#endif
