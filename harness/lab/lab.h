/*
 * lab.h - the lab: a private network, mount and PID namespace holding
 * the lab's NSD (every zone) and its validating Unbound.
 *
 * The keeper process is PID 1 of the lab's PID namespace: it brings
 * loopback up, overlays /etc/resolv.conf and the root trust-anchor files
 * inside its private mount namespace (where the host lacks one, it first
 * makes it there, in an overlay over the nearest existing directory whose
 * upper layer is a tmpfs on <dir>/layers), starts both daemons, probes them
 * until they answer, and tears everything down on SIGTERM, SIGINT or
 * SIGHUP.  Because it is PID 1, the kernel ends every process of the lab
 * when it dies, however it dies, and the namespaces go with them: a
 * killed run leaves at most a stale state file, which the next start
 * finds and removes.  The host's files are never written.
 *
 * Addresses inside the lab: 127.0.0.1 Unbound, 127.0.0.2 NSD (which also
 * stands for the lame server: it refuses zones it does not serve, so a
 * lame delegation is indeterminate at once instead of after Unbound's
 * timeouts).  Scenario endpoints use 127.1.0.0/16 and up.
 */
#ifndef DANELAB_LAB_H
#define DANELAB_LAB_H

#include <sys/types.h>

#include "mem.h"
#include "zone.h"

#define LAB_RESOLVER_ADDR	"127.0.0.1"
#define LAB_AUTH_ADDR		"127.0.0.2"
#define LAB_LAME_ADDR		LAB_AUTH_ADDR	/* refuses lame zones: SERVFAIL fast */
#define LAB_DIR_DEFAULT		"/run/danelab/lab"

/* lab_dir_default - the lab directory when none is given: $DANELAB_LAB_DIR,
 * else LAB_DIR_DEFAULT (up, exec, down, and run --keep) */
const char *lab_dir_default(void);

struct lab_options {
	const char *dir;		/* run directory: state, configs, logs */
	const char *nsd_bin;		/* NULL: $DANELAB_NSD_BIN, then PATH */
	const char *unbound_bin;	/* NULL: $DANELAB_UNBOUND_BIN, then PATH */
	int resolver;			/* enum resolver_id: the lab's validator at
				 * LAB_RESOLVER_ADDR (0: Unbound) */
	const char *resolver_bin;	/* its binary (not Unbound), or NULL:
				 * resolver_which */
	unsigned beside;		/* bit per enum resolver_id: validators
				 * run beside it as targets, each at
				 * resolver_target_addr(), in
				 * DIR/resolvers/NAME; one that does
				 * not start leaves the lab up and says why
				 * (lab_beside_failed) */
	int deadline_ms;		/* readiness deadline per daemon */
	const char *override_date;	/* Unbound val-override-date, or NULL */
	int detach;			/* 1: the lab outlives this process (up) */
};

/* What lab_start() measured, for the benchmark (memory summed over
 * every process of each daemon). */
struct lab_stats {
	double write_s;			/* zone files and configs written */
	double nsd_ready_s;		/* NSD answered (since start) */
	double unbound_ready_s;		/* the lab's resolver answered with AD */
	long nsd_hwm_kb;		/* peak resident memory of NSD */
	long unbound_hwm_kb;		/* peak resident memory of the resolver */
};

struct lab;

/*
 * lab_privileged - does this process hold CAP_SYS_ADMIN, which making
 * or joining the lab's namespaces needs?  0, or -1 after saying that
 * danelab's command needs it.  Reads nothing but the process's own
 * capabilities, so it can come before any other input.
 */
int lab_privileged(const char *command);

/* lab_has_admin - 1 when this process holds CAP_SYS_ADMIN, else 0; says
 * nothing */
int lab_has_admin(void);

/*
 * lab_rootless - for a command that can run without root (run): move
 * this process, single-threaded, into a user namespace of its own, its
 * user mapped to root there, so that it can make the lab's namespaces;
 * sets DANELAB_ROOTLESS=1 for the adapters.  0, or -1 after saying
 * what the system refuses (the errno, the sysctl behind it) and that
 * command needs CAP_SYS_ADMIN.
 */
int lab_rootless(const char *command);

/* lab_is_rootless - 1 after lab_rootless succeeded, else 0 */
int lab_is_rootless(void);

/*
 * lab_start - write the signed zones of t and the daemon configurations
 * into o->dir, make the namespaces, start NSD and Unbound and wait until
 * both answer.  Any lab left behind in o->dir is cleaned first; a lab
 * still running there is an error.  Returns the running lab, or NULL
 * after saying why (the caller exits 3); nothing is left running then.
 */
struct lab *lab_start(const struct lab_options *o, struct zone_tree *t,
    struct lab_stats *stats);

/* lab_detach - leave the lab running (for "up"); frees l, returns NULL */
struct lab *lab_detach(struct lab *l);

/* lab_stop - tear the lab down and wait for it; frees l, returns NULL */
struct lab *lab_stop(struct lab *l);

/*
 * lab_join_net - move the calling thread (call it before making threads:
 * they inherit it) into the lab's network namespace, so that its
 * sockets are the lab's.  0, or -1 after saying why.
 */
int lab_join_net(const struct lab *l);

/*
 * lab_enter - move the calling process, which must be single-threaded
 * (a child after fork), into the lab's network and mount namespaces,
 * and its future children into the lab's PID namespace.  0 or -1.
 */
int lab_enter(const struct lab *l);

/*
 * lab_join - move the calling process, which must be single-threaded,
 * into the network and mount namespaces of the lab up in dir (not its
 * PID namespace: for a process that starts no children): its sockets
 * and its resolv.conf are then the lab's.  Returns a handle on the
 * caller's own mount namespace, for lab_unjoin, or -1 after saying why
 * (no lab there, or no privilege).
 */
int lab_join(const char *dir);

/*
 * lab_unjoin - back to the mount namespace of home (lab_join's handle,
 * which it closes; -1: nothing), where /proc is the host's again; the
 * network namespace stays the lab's.
 */
void lab_unjoin(int home);

/* lab_dir - the lab's run directory (borrowed) */
const char *lab_dir(const struct lab *l);

/* LAB_BESIDE_FAILED - the file, in DIR/resolvers/NAME, that says why a
 * resolver beside the lab's own did not start */
#define LAB_BESIDE_FAILED	"failed"

/* lab_beside_failed - why resolver id (enum resolver_id), asked to run
 * beside the lab's own, did not start; NULL when it did (or was not
 * asked for); caller frees */
char *lab_beside_failed(const struct lab *l, int id);

/* lab_keeper - the keeper's PID (host namespace) */
pid_t lab_keeper(const struct lab *l);

/*
 * lab_find - the keeper PID of the lab running in dir, or 0 when none;
 * a stale state file is removed (and said so) on the way.
 */
pid_t lab_find(const char *dir);

/* lab_starttime - when pid started (/proc/PID/stat field 22), 0 when it
 * is gone or a zombie: a PID file holds both, so a reused PID is not
 * taken for the process it names */
unsigned long long lab_starttime(pid_t pid);

/* lab_down - stop the lab running in dir; 0 on success or nothing up */
int lab_down(const char *dir);

/*
 * lab_env - a copy of this process's environment, to give a command
 * with lab_run (built before fork: the child only execs).  NULL-
 * terminated; free with lab_env_free.
 */
char **lab_env(void);

/* lab_env_set - set key to value in env (replacing it if there) */
void lab_env_set(char ***env, const char *key, const char *value);
void lab_env_free(char **env);

/* A command for lab_run. */
struct lab_cmd {
	const char *path;	/* the program (no '/': looked up in PATH) */
	char *const *argv;
	char *const *envp;	/* its whole environment (lab_env) */
	const char *workdir;	/* where it runs */
	int deadline_ms;	/* > 0 (with out): killed at the deadline */
	struct buf *out;	/* its stdout and stderr (stdin /dev/null), or
				 * NULL: it shares ours */
	int interactive;	/* we ignore SIGINT and SIGQUIT while it runs,
				 * as system(3) does; it gets them */
};

/*
 * lab_run - run c inside the lab whose keeper is keeper (its network,
 * mount and PID namespaces; 0: on the host) and wait for it.  Between
 * fork and exec the child allocates nothing (threads may be running).
 * With out, the command runs in a process group of its own, killed when
 * it ends (its stragglers), at the deadline or when a stop is requested
 * (stop.h), and its output (up to 8 MB) is appended to out.  Returns the
 * exit status, 128+signal if killed by a signal, -1 when the deadline
 * passed or a stop was requested, or -2 when it could not start (the
 * reason in out, or said on stderr).
 */
int lab_run(pid_t keeper, const struct lab_cmd *c);

/*
 * lab_exec - run argv inside the lab in dir (its network, mount and PID
 * namespaces) and wait for it.  Returns its exit status (128+signal when
 * killed), or -1 after saying why.
 */
int lab_exec(const char *dir, char *const argv[]);

#endif
