/*
 * observer.h - "danelab observe" and "danelab mark": what the endpoints
 * of a lab left up by "up" saw (serve.h), the outcome per host, and the
 * verdict against a scenario's expectation for one policy, judged by
 * judge.c exactly as a run judges an adapter's cell (no baseline: the
 * client is whatever the user ran).
 */
#ifndef DANELAB_OBSERVER_H
#define DANELAB_OBSERVER_H

#include "observe.h"

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

#endif
