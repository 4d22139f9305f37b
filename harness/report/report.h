/*
 * report.h - the reports of one run: results.tap, junit.xml,
 * results.json (versioned schema, documented in reports/README.md),
 * summary.md, index.html (one page: a scenarios x targets matrix
 * coloured by verdict, with filters and per-cell details) and cells/, a
 * text file per cell with its detail (transcripts, logs, zones), written
 * into reports/runs/<id>/ with a "latest" link beside it.
 * One table of writers (report_writers[]), one function each.
 */
#ifndef DANELAB_REPORT_H
#define DANELAB_REPORT_H

#include <stddef.h>

enum verdict {
	VERDICT_PASS,
	VERDICT_FAIL,
	VERDICT_XFAIL,		/* a known deviation in the target's baseline */
	VERDICT_XPASS,		/* listed as a deviation, but passed */
	VERDICT_SKIP,		/* target lacks the protocol or is not installed */
	VERDICT_ERROR,		/* the harness or the target broke, or timed out */
	VERDICT_COUNT
};

/* One query the client asked the lab's resolver for a name of the cell's
 * scenario (lab/qlog.h read it from the resolver's log). */
struct report_query {
	char *name;		/* as asked, without its trailing dot */
	char *type;		/* "TLSA", "A", ... */
	int dnssec_ok;		/* DO bit: 1, 0, or -1 when the log does not say */
	char *rcode;		/* "NOERROR", "NXDOMAIN", "SERVFAIL", or "" */
	char *state;		/* "bogus", "secure", "insecure", or "" (unknown) */
};

/* One cell: one scenario x target x protocol x policy. */
struct report_cell {
	char *scenario;		/* expanded id */
	char *area;		/* "smtp", "dnssec", ... */
	char *file;		/* "scenarios/smtp/grid.scn:12" */
	char *summary;
	char *refs;
	char *target;		/* "ref", "postfix", ... */
	char *resolver;		/* the lab's validator it ran behind ("unbound",
				 * "knot", ...; run --resolver), or NULL */
	char *proto;		/* "smtp", "xmpp", ... */
	char *policy;		/* "opportunistic", "mandatory" */
	char *expected;		/* "authenticated,encrypted[ at mx2]" */
	char *cite;		/* "RFC7672 2.2" */
	char *preferred;	/* where the RFC prefers some of the expected
				 * outcomes (SHOULD): "no-connect (RFC7672 6)", or "" */
	char *observed;		/* "authenticated at mx1", or "" */
	enum verdict verdict;
	int not_preferred;	/* a pass with an outcome the RFC does not prefer */
	char *reason;		/* one line: why this verdict (xfail reason, error) */
	char *detail;		/* transcript, target log, DNS/TLSA records; may be long */
	double seconds;		/* time the probe took */
	int queries_seen;	/* 1: queries below were read for this cell */
	struct report_query *queries;	/* in the order the resolver got them */
	size_t nqueries;
	char *queries_note;	/* how they were judged, or why not; or NULL */
	double window_from;	/* the wall-clock time (Unix, s) of its batch, */
	double window_to;	/* for the capture; 0: none */
};

/* What the run was. */
struct report_meta {
	char *run_id;		/* e.g. "20261128-162200-1234" */
	char *started;		/* ISO 8601 UTC */
	double seconds;		/* wall time of the run */
	char *command;		/* the command line */
	char *targets;		/* "ref 0.1 (built-in), postfix 3.7.11" one per line */
	char *shard;		/* "1/4", or NULL */
	char *tls;		/* "ref: OpenSSL", "exim: GnuTLS", one per line: each
				 * target's TLS library family (probe), or NULL */
	char *resolver;		/* the lab's validator(s): "unbound", or "unbound,
				 * knot" for a merge of runs behind several; or
				 * NULL */
	char *pcap;		/* a capture to copy into the report as
				 * capture.pcap (run --pcap), or NULL */
};

/* verdict_name - "pass", "fail", "xfail", "xpass", "skip", "error" */
const char *verdict_name(enum verdict v);
int verdict_parse(const char *s);

/*
 * report_write - write every report of cells into dir: rendered into a
 * directory beside it (".NAME.tmp.PID"), which is renamed into place
 * only when every file is whole; then, with latest set (the default
 * report directory under reports/runs/), "<dir>/../latest" is pointed at
 * dir: never beside a directory the user chose.  A dir that exists is replaced in one step, provided it holds
 * nothing but reports (report_dir_check).  On any failure, or when a
 * stop was requested (stop.h), the staging directory is removed and dir
 * is left as it was.  Templates come from the data directory's
 * reports/.  Returns 0 or -1 after saying why (the path and the system's
 * words; if only the link failed, the reports stay).  Cells need a
 * target and a valid verdict; other NULL strings count as "".  Borrows
 * everything.
 */
int report_write(const char *dir, const struct report_meta *meta,
    const struct report_cell *cells, size_t n, int latest);

/*
 * report_dir_check - may report_write replace dir?  Yes (0) when it is
 * absent or holds only report files; else -1 after saying what is in
 * the way.
 */
int report_dir_check(const char *dir);

/*
 * report_read_json - read back a results.json (for "report merge"):
 * appends its cells to *cells and *n (caller frees with
 * report_cells_free) and fills meta if not NULL (caller frees with
 * report_meta_free); a file that fails adds nothing.  Strict: schema
 * "danelab-results" version 1 (the detail inline) or 2 (the detail in
 * the file "detail_file" names, under cells/ beside path; a missing
 * file is a warning and a detail saying so), every field present with
 * its type, totals matching the cells; unknown members are ignored.  Returns 0,
 * or -1 after "file: line L, byte B: message".
 */
int report_read_json(const char *path, struct report_meta *meta,
    struct report_cell **cells, size_t *n);

void report_cells_free(struct report_cell *cells, size_t n);

/* report_queries_free - free q[0..n-1] and the array */
void report_queries_free(struct report_query *q, size_t n);
void report_meta_free(struct report_meta *meta);

/*
 * report_exit_status - EXIT_PASS (0) if every cell is pass, xfail or
 * skip (also when n is 0); EXIT_FAILED (1) if any is fail, xpass or error.
 */
int report_exit_status(const struct report_cell *cells, size_t n);

/* report_count - counts[v] = number of cells with verdict v */
void report_count(const struct report_cell *cells, size_t n,
    size_t counts[VERDICT_COUNT]);

/* report_not_preferred - how many cells pass with an outcome the RFC
 * does not prefer ("pass, not preferred") */
size_t report_not_preferred(const struct report_cell *cells, size_t n);

/* One scenario x protocol x policy where the targets disagree: its
 * cells, as indices into the cells given, in their order. */
struct report_disagreement {
	size_t *cells;
	size_t n;
};

/*
 * report_disagree - the interop view: where the targets disagree on the
 * observed outcome, whatever the expectation says.  A group is the cells
 * of one scenario, protocol and policy; it disagrees when its cells that
 * are neither skip nor error show more than one observed outcome (the
 * outcome and the host, as "observed" has them).  Returns how many
 * groups disagree, in the order of their first cells; *out gets them
 * (all cells of each, skips and errors too; NULL when none; caller frees
 * with report_disagree_free).  Borrows cells.
 */
size_t report_disagree(const struct report_cell *cells, size_t n,
    struct report_disagreement **out);

/* report_disagree_free - free what report_disagree gave; returns NULL */
struct report_disagreement *report_disagree_free(struct report_disagreement *d,
    size_t n);

/* report_cell_key_cmp - order cells by their key: target, resolver (the
 * lab's validator; NULL is ""), scenario, proto, policy (0: the same
 * cell) */
int report_cell_key_cmp(const struct report_cell *x,
    const struct report_cell *y);

/* report_md_text - append s (NULL is "") to b as the text of a Markdown
 * table cell: one line, escaped for Markdown and HTML */
struct buf;
void report_md_text(struct buf *b, const char *s);

/*
 * report_merge - "danelab report merge": read the results.json files
 * (nfiles of them, borrowed), join their cells in order and report_write
 * them into outdir (NULL: reports/runs/merged-<UTC timestamp>).  The
 * meta is the first file's, with shard cleared and seconds summed.  A
 * cell (target, scenario, proto, policy) found twice is an error naming
 * both files; cells of one target behind different validators (resolver)
 * are different cells, and meta.resolver lists every validator.  The
 * "tls" lines of later files are added where the first lacks their
 * target.  Returns the exit status: report_exit_status of the merged
 * cells, EXIT_USAGE on bad input, EXIT_ENV when writing failed.
 */
int report_merge(const char *outdir, char *const *files, size_t nfiles);

#endif
