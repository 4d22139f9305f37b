/*
 * queries.h - the DNS observation channel of a run: what each cell's
 * client asked the lab's resolver.  The resolver's query log (qlog.h) is
 * read at the start and end of every batch; the queries between are the
 * batch's, and of those a cell gets the ones for its own scenario's
 * names (its zones: "ID.example" and "ID-LABEL.example"), in the order
 * the resolver received them.  They go into the cell (results.json,
 * its detail) and are judged against the scenario's query expectations
 * (asks, never-asks: judge_asks) unless the target's adapter resolves
 * names for its tool ("dns: adapter").
 */
#ifndef DANELAB_QUERIES_H
#define DANELAB_QUERIES_H

#include <stddef.h>

#include "driver.h"

/* queries_open - r->qlog, the reader of the lab's Unbound log in labdir;
 * 0, or -1 after saying why */
int queries_open(struct run *r, const char *labdir);

/* queries_mark - where the log stands now (a batch's start): the number
 * of queries read so far */
size_t queries_mark(struct run *r);

/*
 * queries_join - after t's batch cells[0..n-1], which began at mark q0:
 * each cell's queries into it (report_cell queries, a list in its
 * detail) and, for an observed cell of a target that asks the resolver
 * itself, its query expectations judged (judge_queries).
 */
void queries_join(struct run *r, const struct run_target *t,
    const size_t *cells, size_t n, size_t q0);

#endif
