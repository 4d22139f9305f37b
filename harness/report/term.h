/*
 * term.h - what a run says on the terminal: whether it may redraw and
 * colour (a terminal, NO_COLOR unset, TERM not "dumb"), how wide the
 * terminal is, the progress line that is redrawn in place, and the
 * summary at the end of a run (a table per target, then one line per
 * cell that did not pass, cut to the width).  The text goes into a buf;
 * the caller writes it.
 */
#ifndef DANELAB_TERM_H
#define DANELAB_TERM_H

#include <stddef.h>

#include "mem.h"
#include "report.h"

#define TERM_MAX_LINES	100	/* cells listed at the end without -v */

/* What the terminal on one file descriptor takes. */
struct term {
	int fancy;		/* 1: escape codes (redraws, colour) */
	int width;		/* columns to cut lines to; 0: do not cut */
};

/*
 * term_init - what fd (1 or 2) is: fancy when it is a terminal, NO_COLOR
 * is unset or empty and TERM is set and not "dumb"; width from the
 * terminal, else $COLUMNS, else 0.
 */
void term_init(struct term *t, int fd);

/*
 * term_cut - append s to b cut to width columns (one per character; 0:
 * whole), its end replaced by "..." when cut
 */
void term_cut(struct buf *b, const char *s, int width);

/*
 * term_progress - the progress line into b, without a line end: "[done/
 * total] P% what, N not passing, M:SS, ETA M:SS" (the ETA from the pace
 * so far, once a cell is done), cut to t's width.  what (borrowed) is
 * the target and batch at work, or NULL.
 */
void term_progress(struct buf *b, const struct term *t, size_t done,
    size_t total, const char *what, size_t bad, double elapsed);

/*
 * term_summary - the end of a run into b: unless quiet, a table with a
 * row per target (cells, pass, not preferred, fail, xfail, xpass, skip,
 * error) and a total row; then one line per error, fail and xpass (and
 * xfail when verbose), "verdict target/scenario proto policy: reason",
 * cut to t's width, at most TERM_MAX_LINES
 * unless verbose; verdicts coloured when t is fancy.  Borrows cells.
 */
void term_summary(struct buf *b, const struct term *t,
    const struct report_cell *cells, size_t n, int verbose, int quiet);

#endif
