/*
 * term.c - what a run says on the terminal: the progress line and the
 * summary at the end.  Escape codes only where term_init found a
 * terminal that takes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "json.h"
#include "term.h"

/* SGR colours of the verdicts, in enum verdict's order */
static const char *const term_colour[VERDICT_COUNT] = {
	"32", "1;31", "33", "1;35", "2", "1;37;41"
};

void
term_init(struct term *t, int fd)
{
	const char *nc = getenv("NO_COLOR"), *tm = getenv("TERM");
	const char *cols = getenv("COLUMNS");
	struct winsize ws;
	int tty = isatty(fd);

	t->fancy = tty && (nc == NULL || *nc == 0) && tm && *tm
	    && strcmp(tm, "dumb") != 0;
	t->width = 0;
	if (tty && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		t->width = ws.ws_col;
	else if (cols && atoi(cols) > 0)
		t->width = atoi(cols);
}

void
term_cut(struct buf *b, const char *s, int width)
{
	size_t len = strlen(s), i, k, chars = 0, keep;
	uint32_t cp;

	for (i = 0; i < len; i += k, chars++)
		if ((k = json_utf8_next(s + i, len - i, &cp)) == 0)
			k = 1;
	keep = width <= 0 || chars <= (size_t)width ? chars
	    : width > 3 ? (size_t)width - 3 : 0;
	for (i = 0; keep > 0; i += k, keep--) {
		k = json_utf8_next(s + i, len - i, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7f
		    || (cp >= 0x80 && cp < 0xa0)) {
			/* No escape codes from the data. */
			buf_append(b, k == 0 ? "?" : " ", 1);
			k = k ? k : 1;
		} else
			buf_append(b, s + i, k);
	}
	if (width > 0 && chars > (size_t)width)
		buf_append(b, "...", width > 3 ? 3 : (size_t)width);
	if (b->data == NULL)
		buf_append(b, "", 0);
}

/* term_clock - seconds as M:SS, or H:MM:SS from an hour on */
static void
term_clock(struct buf *b, double s)
{
	long t = s > 0 && s < 1e7 ? (long)(s + 0.5) : 0;

	if (t >= 3600)
		buf_printf(b, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		buf_printf(b, "%ld:%02ld", t / 60, t % 60);
}

void
term_progress(struct buf *b, const struct term *t, size_t done,
    size_t total, const char *what, size_t bad, double elapsed)
{
	struct buf line = { 0 };

	buf_printf(&line, "[%zu/%zu] %zu%%", done, total,
	    total ? done * 100 / total : 100);
	if (what)
		buf_printf(&line, " %s", what);
	if (bad)
		buf_printf(&line, ", %zu not passing", bad);
	buf_printf(&line, ", ");
	term_clock(&line, elapsed);
	if (done > 0 && done < total) {
		buf_printf(&line, ", ETA ");
		term_clock(&line, elapsed / done * (total - done));
	}
	term_cut(b, line.data, t->width);
	buf_free(&line);
}

/* term_verdict - a verdict's name, padded to 5, coloured when fancy */
static void
term_verdict(struct buf *b, const struct term *t, enum verdict v)
{
	if (t->fancy)
		buf_printf(b, "\033[%sm%-5s\033[0m", term_colour[v],
		    verdict_name(v));
	else
		buf_printf(b, "%-5s", verdict_name(v));
}

/* term_row - one row of the table: name, then the counts, a count of
 * fail, xpass or error coloured when fancy and not 0 */
static void
term_row(struct buf *b, const struct term *t, const char *name,
    size_t cells, const size_t counts[VERDICT_COUNT], size_t np)
{
	static const enum verdict order[] = {
		VERDICT_PASS, VERDICT_FAIL, VERDICT_XFAIL, VERDICT_XPASS,
		VERDICT_SKIP, VERDICT_ERROR
	};
	struct buf nm = { 0 };

	term_cut(&nm, name, 20);
	buf_printf(b, "%-20s %6zu", nm.data, cells);
	buf_free(&nm);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		enum verdict v = order[k];
		int hot = t->fancy && counts[v] && (v == VERDICT_FAIL
		    || v == VERDICT_XPASS || v == VERDICT_ERROR);

		buf_printf(b, " %s%6zu%s", hot ? "\033[1;31m" : "", counts[v],
		    hot ? "\033[0m" : "");
		if (v == VERDICT_PASS)
			buf_printf(b, " %8zu", np);
	}
	buf_printf(b, "\n");
}

/* term_table - the table of term_summary: a row per target, a total */
static void
term_table(struct buf *b, const struct term *t,
    const struct report_cell *cells, size_t n)
{
	const char **targets = xcalloc(n + 1, sizeof(char *));
	size_t nt = 0, all[VERDICT_COUNT];

	for (size_t i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < nt && strcmp(targets[k], cells[i].target); k++)
			;
		if (k == nt)
			targets[nt++] = cells[i].target;
	}
	buf_printf(b, "%-20s %6s %6s %8s %6s %6s %6s %6s %6s\n", "target",
	    "cells", "pass", "not-pref", "fail", "xfail", "xpass", "skip",
	    "error");
	for (size_t k = 0; k < nt; k++) {
		size_t counts[VERDICT_COUNT] = { 0 }, m = 0, np = 0;

		for (size_t i = 0; i < n; i++)
			if (strcmp(cells[i].target, targets[k]) == 0) {
				counts[cells[i].verdict]++;
				np += report_not_preferred(&cells[i], 1);
				m++;
			}
		term_row(b, t, targets[k], m, counts, np);
	}
	if (nt > 1) {
		report_count(cells, n, all);
		term_row(b, t, "all", n, all, report_not_preferred(cells, n));
	}
	free(targets);
}

/* term_line - one cell that did not pass, as one line cut to the width */
static void
term_line(struct buf *b, const struct term *t, const struct report_cell *c)
{
	struct buf line = { 0 };

	/* The reason says what was expected and what was observed. */
	buf_printf(&line, "%s/%s %s %s: %s", c->target, c->scenario, c->proto,
	    c->policy, c->reason && *c->reason ? c->reason : "(no reason)");
	term_verdict(b, t, c->verdict);
	buf_printf(b, " ");
	term_cut(b, line.data, t->width > 6 ? t->width - 6 : t->width);
	buf_printf(b, "\n");
	buf_free(&line);
}

void
term_summary(struct buf *b, const struct term *t,
    const struct report_cell *cells, size_t n, int verbose, int quiet)
{
	static const enum verdict order[] = {
		VERDICT_ERROR, VERDICT_FAIL, VERDICT_XPASS, VERDICT_XFAIL
	};
	size_t counts[VERDICT_COUNT], lines = 0, left = 0;

	report_count(cells, n, counts);
	if (!quiet)
		term_table(b, t, cells, n);
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
		if (order[o] == VERDICT_XFAIL && !verbose)
			break;
		for (size_t i = 0; i < n; i++) {
			if (cells[i].verdict != order[o])
				continue;
			if (!verbose && lines >= TERM_MAX_LINES) {
				left++;
				continue;
			}
			if (lines++ == 0 && !quiet)
				buf_printf(b, "\n");
			term_line(b, t, &cells[i]);
		}
	}
	if (left)
		buf_printf(b, "... and %zu more (summary.md lists them; -v "
		    "here)\n", left);
	if (!verbose && !quiet && counts[VERDICT_XFAIL])
		buf_printf(b, "%s%zu xfail (known deviations) not listed: -v "
		    "lists them\n", lines ? "" : "\n", counts[VERDICT_XFAIL]);
	if (b->data == NULL)
		buf_append(b, "", 0);
}
