/*
 * serve.h - the lab's endpoints beside a lab that "up" leaves running,
 * and the record of what they saw.
 *
 * One process inside the lab (its network, mount and PID namespaces, so
 * the kernel ends it with the keeper however the lab ends) serves every
 * listener of every scenario, as a run does (serve_listen is run's own
 * list of listeners), and appends each finished session as one JSON
 * line, in one write(2) to a file opened O_APPEND, to <dir>/SERVE_LOG;
 * "observe" reads them back.  Its host PID and start time are in
 * <dir>/SERVE_PID; "down" ends it by that PID before the keeper.  The
 * scenario paths the lab was started with are kept in <dir>/SERVE_PATHS,
 * so that "observe" judges against the same expectations.
 */
#ifndef DANELAB_SERVE_H
#define DANELAB_SERVE_H

#include <stddef.h>
#include <sys/types.h>

#include "endpoint.h"
#include "lab.h"
#include "plan.h"

#define SERVE_PID	"endpoints.pid"		/* "PID STARTTIME" */
#define SERVE_LOG	"sessions.jsonl"	/* one session per line */
#define SERVE_PATHS	"scenarios.list"	/* one path per line */

/*
 * serve_listen - a listener for every protocol of every host of plan pl
 * (not down; not xmpp-in, where the lab connects), with the host's
 * chain, tagged "scenario-id/host".  0, or -1 after saying why.
 */
int serve_listen(struct endpoint_set *eps, const struct plan *pl);

/*
 * serve_start - start the endpoint process of the lab l (in dir) for
 * plan pl and wait until it listens; its PID goes to <dir>/SERVE_PID.
 * With pcap (up --pcap) it also captures the lab's traffic into
 * <dir>/capture.pcap (capture.h) until it stops.
 * 0, or -1 after saying why (nothing left running then).
 */
int serve_start(const struct lab *l, const struct plan *pl, const char *dir,
    int pcap);

/* serve_find - the PID of the endpoint process of the lab in dir, or 0 */
pid_t serve_find(const char *dir);

/*
 * serve_sync - ask the endpoint process of the lab in dir to wait until
 * every session a client opened has finished (at most 5 s) and to record
 * them all, and wait for it: what observe reads is then complete.  0,
 * or -1 after saying why.
 */
int serve_sync(const char *dir);

/* serve_stop - end the endpoint process of the lab in dir (TERM, then
 * KILL) and remove its PID file; 0, or -1 if it survived */
int serve_stop(const char *dir);

/*
 * The record is capped, so that a long "up" does not fill the disk: when
 * SERVE_LOG passes SERVE_LOG_MAX bytes (DANELAB_SESSIONS_MAX overrides)
 * it becomes SERVE_LOG_OLD, replacing the one before, whose sessions are
 * dropped and counted in SERVE_DROPPED ("COUNT LAST_OPENED_MS": how many,
 * and when the last of them opened).  serve_read reads both, under a
 * shared lock on SERVE_LOCK that the rotation holds exclusively.  A mark
 * needs only the sessions after it: observe says when some it would have
 * shown are gone.
 */
#define SERVE_LOG_MAX	(8 << 20)
#define SERVE_LOG_OLD	"sessions.jsonl.1"
#define SERVE_DROPPED	"sessions.dropped"
#define SERVE_LOCK	"sessions.lock"

/* The endpoint process's record of finished sessions (serve.c). */
struct serve_record;

/*
 * serve_record_open - the record in dir, a new one, capped at max bytes
 * per file (0: SERVE_LOG_MAX or $DANELAB_SESSIONS_MAX).  NULL after
 * saying why.
 */
struct serve_record *serve_record_open(const char *dir, size_t max);

/* serve_record_add - append c as one line (one write), rotating first
 * when the file is full; 0, or -1 after saying why */
int serve_record_add(struct serve_record *r, const struct endpoint_conn *c);

/* serve_record_close - close and free r; returns NULL */
struct serve_record *serve_record_close(struct serve_record *r);

/*
 * serve_dropped - how many sessions the record in dir has dropped
 * (*n) and when the last of them opened (*last_ms, clock_ms); 0 and 0
 * when none.
 */
void serve_dropped(const char *dir, unsigned long long *n,
    long long *last_ms);

/* serve_line - append c to b as one JSON line, transcript included */
void serve_line(struct buf *b, const struct endpoint_conn *c);

/*
 * serve_read - every session recorded in dir (SERVE_LOG_OLD, then
 * SERVE_LOG), in the order they were written, into *out (caller frees
 * with endpoint_conns_free).  A line that does not parse is skipped with
 * a warning.  0, or -1 when there is no record.
 */
int serve_read(const char *dir, struct endpoint_conn **out, size_t *n);

/* serve_paths_write - the scenario paths of the lab (made absolute);
 * no_default: "--no-scenarios".  0 or -1. */
int serve_paths_write(const char *dir, char *const *paths, int n,
    int no_default);

/* serve_paths_read - what serve_paths_write wrote: *paths (caller frees
 * each and the array), *n, *no_default.  0, or -1 when not there. */
int serve_paths_read(const char *dir, char ***paths, int *n,
    int *no_default);

#endif
