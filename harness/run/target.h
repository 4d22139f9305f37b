/*
 * target.h - the adapter contract (harness/targets/README.md), all of
 * it: find the adapters, run a verb inside the lab with a deadline
 * (lab_run), read what "probe" says, write a batch's probe file and run
 * it, parse verdict lines (an outcome, or skip or error) and log lines,
 * read a target's baseline of known deviations.  driver_adapter.c drives
 * a run through it.
 */
#ifndef DANELAB_TARGET_H
#define DANELAB_TARGET_H

#include <stddef.h>

#include "mem.h"
#include "observe.h"
#include "pki.h"

struct lab;

#define TARGET_REF	"ref"		/* the built-in reference client */
#define TARGET_VERB_MS	60000		/* probe, setup, teardown, serve */
/* The exit status of probe or serve when the target (or its receiving
 * server) is not there: its cells are skipped, with its reason. */
#define TARGET_UNAVAILABLE	3

/* The client side's name; for xmpp-in, the target's receiving domain. */
#define TARGET_CLIENT_NAME	"client.danelab.example"
/* Where a target's receiving server listens for xmpp-in probes, and
 * where its certificate chain and key are (under the lab directory). */
#define TARGET_INBOUND_ADDR	"127.0.0.5"
#define TARGET_INBOUND_PORT	5269
#define TARGET_INBOUND_PORT_STR	"5269"
#define TARGET_INBOUND_CERT	"inbound/full/chain.pem"
#define TARGET_INBOUND_KEY	"inbound/full/key.pem"

/*
 * target_inbound_write - the receiving servers' own chain for xmpp-in
 * ("full" of profile p, named TARGET_CLIENT_NAME), written as PEM to
 * TARGET_INBOUND_CERT and _KEY under labdir (replacing what was there):
 * what an adapter's serve, ref's receivers and a receiving server run
 * by hand (danelab connect) present.  0, or -1 after a warning.
 */
int target_inbound_write(struct pki_profile *p, const char *labdir);

/*
 * target_names - every target: "ref", then one per
 * harness/targets/NAME.sh, sorted.  NULL-terminated; caller frees with
 * target_names_free.
 */
char **target_names(void);
void target_names_free(char **names);


/*
 * target_env_bin - "DANELAB_<NAME>_BIN" for a target name (upper case,
 * '-' as '_'); caller frees.
 */
char *target_env_bin(const char *name);

/*
 * target_exec - run "sh harness/targets/NAME.sh VERB [ARG]" in workdir,
 * inside lab l (its network, mount and PID namespaces; NULL: on the
 * host), with the contract's environment, for at most deadline_ms.  All
 * output (stdout and stderr) is appended to out.  Returns the exit
 * status, 128+signal if killed by a signal, or -1 when the deadline
 * passed or a stop was requested (stop.h; the process group was
 * killed), or it could not start.
 */
int target_exec(const struct lab *l, const char *name, const char *verb,
    const char *arg, const char *workdir, int probe_ms, int deadline_ms,
    struct buf *out);

/*
 * target_status_text - target_exec's return value in words: "exit 1",
 * "killed by SIGKILL", "killed at its deadline".  Borrowed, valid in the
 * calling thread until the next call.
 */
const char *target_status_text(int rc);

/*
 * What a verdict line says: one of the five outcomes (observe.h), or
 * one of the few states outside them.
 */
enum target_state {
	TARGET_NONE,		/* no verdict line for the probe */
	TARGET_OUTCOME,		/* an outcome: "authenticated", ... */
	TARGET_SKIP,		/* "skip": the target cannot make this probe */
	TARGET_ERROR		/* "error": the target broke */
};

/* target_word_parse - a verdict word: an outcome (then in *o), "skip" or
 * "error"; TARGET_NONE when s is none of them */
enum target_state target_word_parse(const char *s, enum outcome *o);

/* One known deviation of a target. */
struct target_deviation {
	char *pattern;		/* shell glob on the scenario id */
	char *proto;		/* or "*" */
	char *policy;		/* or "*" */
	char *reason;
	int intermittent;	/* "intermittent:": a pass is no xpass */
	int line;		/* in the baseline file */
	const char *validator;	/* a line of the lab validator's baseline
				 * (resolver-NAME.lab.baseline): NAME (static);
				 * NULL for the target's own */
};

/*
 * target_baseline_load - harness/targets/NAME.baseline (absent: none).
 * Malformed lines are reported as "file:line: message" and counted in
 * *errors.  Returns the array (n in *n); free with target_baseline_free.
 */
struct target_deviation *target_baseline_load(const char *name, size_t *n,
    int *errors);
void target_baseline_free(struct target_deviation *d, size_t n);

/*
 * target_baseline_lab - harness/targets/resolver-NAME.lab.baseline, the
 * deviations the lab's validator NAME (static: a resolver_kind name)
 * causes in every client target's cells, each line's validator set to
 * NAME; as target_baseline_load otherwise.
 */
struct target_deviation *target_baseline_lab(const char *name, size_t *n,
    int *errors);

/* target_baseline_add - put copies of more[0..nmore-1] before the
 * lines of *d (*n entries): the lab validator's lines come before a
 * client target's own, since a client behind a validator that deviates
 * never sees what the scenario tests */
void target_baseline_add(struct target_deviation **d, size_t *n,
    const struct target_deviation *more, size_t nmore);

/* target_baseline_match - the deviation matching a cell, or NULL */
const struct target_deviation *target_baseline_match(
    const struct target_deviation *d, size_t n, const char *scenario,
    const char *proto, const char *policy);

/* One probe of a batch, and what the adapter said of it. */
struct target_verdict {
	size_t cell;		/* the probe's id is "c<cell>" */
	const char *domain;	/* the probe's domain (borrowed) */
	enum target_state state;	/* TARGET_NONE until a verdict line */
	enum outcome outcome;	/* TARGET_OUTCOME: which */
	char *text;		/* the verdict line's text, or NULL */
	char *log;		/* its "# c<cell> ..." log lines, or NULL */
};

/* target_verdict_word - the word of v's verdict line, "(none)" without
 * one (static) */
const char *target_verdict_word(const struct target_verdict *v);

#define TARGET_BATCH_LOG_MAX	16384	/* "#" lines of a batch kept */

/* target_probe_line - one line of the probe file of "run FILE":
 * "c<cell> PROTO POLICY DOMAIN" */
void target_probe_line(struct buf *b, size_t cell, const char *proto,
    const char *policy, const char *domain);

/*
 * target_parse_run - the output of "run FILE" (not modified) for the
 * probes v[0..n-1] (cell set, state TARGET_NONE): a verdict line
 * "c<cell> WORD [text]" sets that probe's state, outcome and text;
 * "# c<cell> text" is added to its log; any other "#" line to batch_log
 * (up to TARGET_BATCH_LOG_MAX); a line that cannot be parsed, or is the
 * verdict of no probe of the batch, is added to *errors ("target NAME:
 * cannot parse output line ...", caller frees).
 */
void target_parse_run(const char *name, const char *out,
    struct target_verdict *v, size_t n, struct buf *batch_log,
    char **errors);
void target_verdicts_free(struct target_verdict *v, size_t n);

/*
 * target_probe - the "probe" verb: its exit status (target_exec), the
 * first line of its output in *line (the version, or why the target is
 * unavailable: exit 3; caller frees), in *prober whether it says
 * "mode: prober" (its word is the outcome), in *tls the TLS library
 * family of a line "tls: FAMILY" (e.g. "OpenSSL", "GnuTLS"; NULL when
 * there is none; caller frees), and in *adapter_dns whether it says
 * "dns: adapter" (the adapter resolves names for its tool, so the lab's
 * resolver cannot show what the tool would have asked).
 */
int target_probe(const struct lab *l, const char *name, const char *workdir,
    int probe_ms, char **line, int *prober, char **tls, int *adapter_dns);

/* One batch: "run FILE" for the probes of one protocol and policy. */
struct target_batch {
	const char *proto, *policy;	/* the batch's (borrowed) */
	struct target_verdict *v;	/* its probes: cell and domain set */
	size_t n;
	int rc;			/* target_exec's, or -2: no probe file */
	int deadline_ms;	/* the verb's */
	double t_run0, t_run1;	/* clock_s() when it started and ended */
	struct buf out;		/* its output */
	struct buf log;		/* its "#" lines of no probe */
	char *errors;		/* lines that could not be parsed, or NULL */
};

/*
 * target_batch_run - write the probe file of b (probes-PROTO-POLICY.txt
 * in workdir), run "run FILE" with a deadline of probe_ms per 16 probes
 * and parse its output into b (target_parse_run).  Free b's output with
 * target_batch_free.
 */
void target_batch_run(const struct lab *l, const char *name,
    const char *workdir, int probe_ms, struct target_batch *b);
void target_batch_free(struct target_batch *b);

#endif
