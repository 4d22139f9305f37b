/*
 * diff.h - "danelab report diff": two runs compared cell by cell (the
 * key target, scenario, proto, policy), for the question "did this
 * build change any DANE behaviour against the last release?".  A cell
 * differs when its verdict or its observed outcome changed (outcome and
 * host, as results.json writes it); a cell in one run only is new or
 * removed.  Regressions are what makes NEW worse: a cell that fails or
 * errs in NEW but did not in OLD (pass, xfail, xpass or skip before, or
 * absent).  Rendered as Markdown or JSON (schema in reports/README.md).
 */
#ifndef DANELAB_DIFF_H
#define DANELAB_DIFF_H

#include <stddef.h>
#include <stdio.h>

#include "mem.h"
#include "report.h"

/* What happened to one cell, in the order the reports list them. */
enum diff_kind {
	DIFF_REGRESSION,	/* fails or errs in NEW, did not in OLD (or absent) */
	DIFF_FIXED,		/* failed, erred or xfailed in OLD, passes in NEW */
	DIFF_CHANGED,		/* any other change of verdict or observed outcome */
	DIFF_ADDED,		/* in NEW only, and not failing */
	DIFF_REMOVED,		/* in OLD only */
	DIFF_KIND_COUNT
};

/* One run as read back: where from, its meta and cells (owned). */
struct diff_run {
	char *path;		/* the results.json read */
	struct report_meta meta;
	struct report_cell *cells;
	size_t n;
};

/* One cell that differs; both pointers borrow from the runs. */
struct diff_change {
	enum diff_kind kind;
	const struct report_cell *old;	/* NULL: added (or a new failing cell) */
	const struct report_cell *new;	/* NULL: removed */
};

/* Two runs and what differs between them. */
struct diff {
	struct diff_run old;
	struct diff_run new;
	struct diff_change *changes;	/* by kind, then in NEW's (OLD's) order */
	size_t nchanges;
	size_t counts[DIFF_KIND_COUNT];
	size_t same;			/* cells in both runs, unchanged */
	const char **scn_added;		/* scenario ids in NEW only; borrowed */
	size_t nscn_added;
	const char **scn_removed;	/* scenario ids in OLD only; borrowed */
	size_t nscn_removed;
};

/* How diff_report prints. */
enum diff_format {
	DIFF_MD,
	DIFF_JSON
};

/* diff_kind_name - "regression", "fixed", "changed", "added", "removed" */
const char *diff_kind_name(enum diff_kind k);

/*
 * diff_classify - what happened to a cell between old and new (either
 * NULL for a cell in one run only, not both).  Returns a diff_kind, or
 * -1 when the cell did not change (same verdict and observed outcome;
 * two skips or two errors never differ).
 */
int diff_classify(const struct report_cell *old, const struct report_cell *new);

/*
 * diff_compare - read old and new (a results.json, or a directory
 * holding one) and compare them into d (zeroed by the caller; free with
 * diff_free, also after a failure).  Returns 0, or -1 after saying why,
 * naming the file (and the line where the reader knows it): unreadable,
 * not a results.json, a cell twice in one file.
 */
int diff_compare(struct diff *d, const char *old, const char *new);

/* diff_free - free what diff_compare made; d is zeroed */
void diff_free(struct diff *d);

/* diff_markdown - append d as Markdown to b (diff.md) */
void diff_markdown(struct buf *b, const struct diff *d);

/* diff_json - append d as JSON to b (diff.json, reports/README.md) */
void diff_json(struct buf *b, const struct diff *d);

/* diff_status - EXIT_FAILED if d holds a regression, else EXIT_PASS */
int diff_status(const struct diff *d);

/*
 * diff_report - the command: compare old and new, print the diff to out
 * in format, and with outdir (may be NULL) also write diff.md and
 * diff.json there (the directory made if need be).  Returns the exit
 * status: diff_status, EXIT_USAGE on bad input, EXIT_ENV when the
 * output could not be written.
 */
int diff_report(const char *old, const char *new, const char *outdir,
    enum diff_format format, FILE *out);

#endif
