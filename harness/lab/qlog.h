/*
 * qlog.h - what the lab's resolver was asked: its query log read into
 * queries (name, type, DO bit, answer code, validation state), in the
 * order the resolver received them.  One small table of log formats
 * (qlog_formats[] in qlog.c, one line parser each) so that another
 * resolver's log can be added beside Unbound's.  The log is read
 * incrementally (qlog_update): a run asks for the count before and after
 * a batch, and the queries between are the batch's, whatever their time.
 */
#ifndef DANELAB_QLOG_H
#define DANELAB_QLOG_H

#include <stddef.h>

#include "mem.h"

/* One query the resolver received. */
struct qlog_query {
	char *name;		/* as asked, without its trailing dot */
	char type[16];		/* "TLSA", "A", "TYPE65" */
	int dnssec_ok;		/* DO bit: 1, 0, or -1 when the log does not say */
	char rcode[16];		/* "NOERROR", "NXDOMAIN", "SERVFAIL", or "" */
	const char *state;	/* "bogus" (the resolver said validation
				 * failed), "secure", "insecure", or "" */
	int cached;		/* answered from the cache: 1, 0, or -1 */
};

struct qlog;

/* qlog_format_ok - is there a parser for format ("unbound")?  1 or 0 */
int qlog_format_ok(const char *format);

/* qlog_new - a reader of the log of format at path (borrowed; NULL for
 * qlog_feed only); NULL when there is no such format */
struct qlog *qlog_new(const char *format, const char *path);

/* qlog_free - returns NULL */
struct qlog *qlog_free(struct qlog *l);

/*
 * qlog_feed - parse the whole lines of text[0..len-1] (what follows the
 * last newline is left); returns the bytes consumed.  A query line adds
 * a query; a reply line completes the oldest query of the same name and
 * type still waiting for one; a validation failure marks (name, type)
 * bogus, for its replies then and later (a cached bogus answer is
 * logged once).  Lines of no interest are skipped.
 */
size_t qlog_feed(struct qlog *l, const char *text, size_t len);

/*
 * qlog_update - feed what the log file has gained since the last call
 * (an absent file is empty).  Returns the number of queries so far, or
 * -1 after saying why the file cannot be read.
 */
long qlog_update(struct qlog *l);

/* qlog_count - the number of queries read so far */
size_t qlog_count(const struct qlog *l);

/* qlog_get - query i (< qlog_count) (borrowed; valid until the next
 * feed or update) */
const struct qlog_query *qlog_get(const struct qlog *l, size_t i);

/*
 * qlog_select - the indices of the queries from..to-1 whose name is one
 * of apexes[0..n-1] or under it, in order, into *out (caller frees);
 * returns how many.  Exact attribution: a name under no apex is never
 * selected.
 */
size_t qlog_select(const struct qlog *l, size_t from, size_t to,
    char *const *apexes, size_t n, size_t **out);

/* qlog_describe - one line of a query: "TLSA _25._tcp.mx1.x.example
 * DO NOERROR bogus cached" (what the log says of it) into b */
void qlog_describe(struct buf *b, const struct qlog_query *q);

#endif
