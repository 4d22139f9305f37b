/*
 * target.h - the adapter contract (harness/targets/README.md): find the
 * adapters, run a verb inside the lab with a deadline, parse verdict
 * lines, read a target's baseline of known deviations.
 */
#ifndef DANELAB_TARGET_H
#define DANELAB_TARGET_H

#include <stddef.h>

#include "mem.h"

struct lab;

#define TARGET_REF	"ref"		/* the built-in reference client */
#define TARGET_VERB_MS	60000		/* probe, setup, teardown, serve */

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

/* The word of one verdict line. */
enum target_word {
	TW_AUTHENTICATED, TW_ENCRYPTED, TW_CLEARTEXT, TW_REFUSED,
	TW_NO_CONNECT, TW_SKIP, TW_ERROR, TW_COUNT
};

/* target_word_parse - the word named s, or -1 */
int target_word_parse(const char *s);
const char *target_word_name(enum target_word w);

/* One known deviation of a target. */
struct target_deviation {
	char *pattern;		/* shell glob on the scenario id */
	char *proto;		/* or "*" */
	char *policy;		/* or "*" */
	char *reason;
	int intermittent;	/* "intermittent:": a pass is no xpass */
	int line;		/* in the baseline file */
};

/*
 * target_baseline_load - harness/targets/NAME.baseline (absent: none).
 * Malformed lines are reported as "file:line: message" and counted in
 * *errors.  Returns the array (n in *n); free with target_baseline_free.
 */
struct target_deviation *target_baseline_load(const char *name, size_t *n,
    int *errors);
void target_baseline_free(struct target_deviation *d, size_t n);

/* target_baseline_match - the deviation matching a cell, or NULL */
const struct target_deviation *target_baseline_match(
    const struct target_deviation *d, size_t n, const char *scenario,
    const char *proto, const char *policy);

/* One probe of a batch, and what the adapter said of it. */
struct target_verdict {
	size_t cell;		/* the probe's id is "c<cell>" */
	int word;		/* enum target_word, or -1: no verdict line */
	char *text;		/* the verdict line's text, or NULL */
	char *log;		/* its "# c<cell> ..." log lines, or NULL */
};

#define TARGET_BATCH_LOG_MAX	16384	/* "#" lines of a batch kept */

/* target_probe_line - one line of the probe file of "run FILE":
 * "c<cell> PROTO POLICY DOMAIN" */
void target_probe_line(struct buf *b, size_t cell, const char *proto,
    const char *policy, const char *domain);

/*
 * target_parse_run - the output of "run FILE" (not modified) for the
 * probes v[0..n-1] (cell set, word -1): a verdict line "c<cell> WORD
 * [text]" sets that probe's word and text; "# c<cell> text" is added to
 * its log; any other "#" line to batch_log (up to TARGET_BATCH_LOG_MAX);
 * a line that cannot be parsed, or is the verdict of no probe of the
 * batch, is added to *errors ("target NAME: cannot parse output line
 * ...", caller frees).
 */
void target_parse_run(const char *name, const char *out,
    struct target_verdict *v, size_t n, struct buf *batch_log,
    char **errors);
void target_verdicts_free(struct target_verdict *v, size_t n);

#endif
