/*
 * driver.h - how a run drives one target: one interface (probe, setup,
 * serve, run, teardown) with two implementations, the built-in
 * reference client (driver_ref.c) and the shell adapters of
 * harness/targets/ (driver_adapter.c); and the run's state that run.c
 * shares with them.  run.c walks every target through the same steps:
 * probe, setup, then one batch per protocol and policy (serve first for
 * an inbound protocol), then teardown.
 */
#ifndef DANELAB_DRIVER_H
#define DANELAB_DRIVER_H

#include <pthread.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "endpoint.h"
#include "initiator.h"
#include "judge.h"
#include "run.h"
#include "target.h"
#include "world.h"
#include "workers.h"
#include "zone.h"

#define RUN_QUIESCE_MS	5000	/* for a probe's connections to finish */
/* RUN_MS - clock_s() seconds, in ms */
#define RUN_MS(t)	((long long)((t) * 1000))

struct run;
struct run_target;

/* One way of driving a target; every function but serve is required, and
 * one of run and run_all. */
struct driver {
	const char *name;	/* "ref", "adapter" */

	/*
	 * probe - is t there?  CELL_PENDING with t->version set, or
	 * CELL_SKIPPED (not installed) or CELL_ERROR with *why (caller
	 * frees), which t's cells get.
	 */
	enum cell_state (*probe)(struct run *r, struct run_target *t,
	    char **why);

	/* setup - make t ready for its batches: CELL_PENDING, or
	 * CELL_ERROR with *why (caller frees) */
	enum cell_state (*setup)(struct run *r, struct run_target *t,
	    char **why);

	/*
	 * serve - start t's receiving server before an inbound batch of
	 * policy q: CELL_PENDING, or CELL_SKIPPED or CELL_ERROR with *why
	 * for the batch's cells (caller frees).  NULL: nothing to start.
	 */
	enum cell_state (*serve)(struct run *r, struct run_target *t, enum policy q,
	    char **why);

	/* run - probe and judge t's pending cells cells[0..n-1], all of
	 * protocol p and policy q */
	void (*run)(struct run *r, struct run_target *t, enum proto p, enum policy q,
	    const size_t *cells, size_t n);

	/*
	 * run_all - instead of run, batch by batch: probe and judge all of
	 * t's pending cells cells[0..n-1] (every protocol and policy, in
	 * batch order) at once, never two cells of one scenario at a time;
	 * the driver sets each cell's window (run_window) and joins its
	 * queries (queries_mark, queries_join) itself, cell by cell.
	 */
	void (*run_all)(struct run *r, struct run_target *t,
	    const size_t *cells, size_t n);

	/* teardown - undo setup; says so when that fails */
	void (*teardown)(struct run *r, struct run_target *t);

	/* release - free t->data (also when probe or setup failed) */
	void (*release)(struct run_target *t);
};

extern const struct driver driver_ref;		/* TARGET_REF */
extern const struct driver driver_adapter;	/* harness/targets/NAME.sh */
extern const struct driver driver_resolver;	/* resolver:NAME (proto dns) */

/* Resolver targets: "resolver:NAME", one cell per scenario (proto
 * "dns", policy "any"). */
#define DRIVER_RESOLVER_PREFIX	"resolver:"

/* driver_resolver_id - the enum resolver_id of target "resolver:NAME",
 * or -1 when target is not one */
int driver_resolver_id(const char *target);

/* DRIVER_STUB_DELV - driver_resolver_id of "resolver:delv": BIND's stub
 * validator, run once per query inside the lab, asking the lab's own
 * resolver and validating itself from the lab root's DS */
#define DRIVER_STUB_DELV	100

/* driver_resolver_env - the variable naming the binary of a resolver
 * target (DANELAB_KNOT_BIN, DANELAB_DELV_BIN ...); caller frees */
char *driver_resolver_env(const char *target);

/* driver_delv_parse - delv's output as an answer: rcode ("; fully
 * validated", "; unsigned answer", ";; resolution failed: ncache
 * nxdomain" or "ncache nxrrset", another failure SERVFAIL), AD (fully
 * validated), every RRset of a CNAME chain and answer count (its record lines); 0, or -1 when the
 * output says none of these */
int driver_delv_parse(const char *out, int *rcode, int *ad, int *answers);

/*
 * driver_dns_grade - one answer (rcode, -1 for none; AD bit; answer
 * count) against e, what the zones say (qtype type): 0 as expected, 1
 * wrong, 2 the worst (a bogus or indeterminate RRset validated as
 * secure), with *why saying how (caller frees; NULL when 0)
 */
int driver_dns_grade(const struct zone_expect *e, const char *type, int rcode,
    int ad, int answers, char **why);

/* One target of the run. */
struct run_target {
	char *name;
	const struct driver *driver;
	void *data;			/* the driver's own */
	char *version;			/* from probe, or why unavailable */
	char *tls;			/* its TLS library family ("OpenSSL",
					 * "GnuTLS") from probe, or NULL */
	struct target_deviation *baseline;
	size_t nbaseline;
	size_t cell0;			/* its first cell */
	char *dns_note;			/* why its queries are not judged (set by
				 * probe), or NULL: it asks the lab's
				 * resolver itself */
	size_t ncells;			/* how many cells it has */
};

/* Which scenario, protocol and policy a cell is, and where it stands. */
struct run_key {
	size_t scenario;
	enum proto proto;
	enum policy policy;
	enum cell_state state;
};

/* Everything the drivers and their workers share. */
struct run {
	const struct run_options *o;
	struct world *w;
	struct lab *lab;
	struct endpoint_set *eps;
	struct refclient *ref;
	struct qlog *qlog;		/* the lab resolver's query log */
	char *qlog_note;		/* why there is none to read, or NULL */
	struct capture *capture;	/* run --pcap: tcpdump, or NULL */
	char *pcap;			/* where it writes */
	SSL_CTX *inbound_ctx;		/* xmpp-in: the receivers' chain */
	struct run_target *targets;
	size_t ntargets;
	struct report_cell *cells;	/* target x scenario x proto x policy */
	struct run_key *keys;		/* one per cell */
	size_t ncells;
	size_t per_target;		/* cells per target */
	char **zone_text;		/* per scenario: its zones, read once */
	int probe_ms;			/* per-probe deadline now (run_scale) */
	pthread_mutex_t out_lock;	/* progress lines */
	pthread_mutex_t qlog_lock;	/* qlog, read by workers at once */
};

/* What run.c lends the drivers. */

/* run_scenario - the scenario of cell ci (borrowed) */
const struct scenario *run_scenario(const struct run *r, size_t ci);

/* run_judge - judge cell ci of t from what was seen (judge_cell, with
 * the scenario's expectation and t's baseline); the cell is observed */
void run_judge(struct run *r, const struct run_target *t, size_t ci,
    const struct judge_seen *seen);

/* run_close - close cell ci unprobed (judge_unprobed) and say so */
void run_close(struct run *r, size_t ci, enum cell_state state,
    const char *why);

/* run_say - one line about a cell that did not pass */
void run_say(struct run *r, const struct report_cell *c);

/* run_window - the wall-clock time [from, to] of the batch (or the probe)
 * of cells cells[0..n-1] into each; with a capture, where to find the cell
 * in it */
void run_window(struct run *r, const size_t *cells, size_t n, double from,
    double to);

/* run_transcripts - the endpoints' transcripts conns[0..n-1], for a
 * cell's details; those from own on are stray (judge_attribute) */
void run_transcripts(struct buf *b, const struct endpoint_conn *conns,
    size_t n, size_t own);

/* run_initiate - the lab connects to addr:port as cell ci's scenario
 * domain (xmpp-in), within r->probe_ms */
void run_initiate(const struct run *r, size_t ci, const char *addr,
    int port, struct initiator_result *ir);

#endif
