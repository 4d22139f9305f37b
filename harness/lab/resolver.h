/*
 * resolver.h - the lab's validating resolvers: Unbound (the default),
 * Knot Resolver (kresd), BIND 9 (named) and PowerDNS Recursor, each
 * with the lab root's DS as its only trust anchor, its configuration
 * from a template under zones/, its query log, and its binary found
 * (explicit, $DANELAB_<NAME>_BIN, the unpacked copy under /opt/danelab
 * that harness/targets/lib/resolver-fetch.sh makes, then PATH).
 *
 * One resolver is the lab's (127.0.0.1, `--resolver`); others may run
 * beside it, each at its own address, as targets (`resolver:NAME`).
 */
#ifndef DANELAB_RESOLVER_H
#define DANELAB_RESOLVER_H

enum resolver_id {
	RESOLVER_UNBOUND,
	RESOLVER_KNOT,
	RESOLVER_BIND,
	RESOLVER_PDNS,
	RESOLVER_COUNT
};

struct resolver_kind {
	const char *name;	/* --resolver NAME, resolver:NAME */
	const char *program;	/* its binary's name */
	const char *env;	/* $DANELAB_..._BIN */
	const char *package;	/* the Debian 12 package */
	const char *unpacked;	/* where resolver-fetch.sh unpacks it, or NULL */
	const char *conf;	/* its configuration file (from zones/CONF.in) */
	const char *extra;	/* a second generated file, or NULL */
	const char *log;	/* its log, holding its query log */
	const char *libdir;	/* a directory of the package bound over the
				 * same path inside the lab (compiled-in
				 * module paths), or NULL */
};

/* resolver_kind - the table entry of id */
const struct resolver_kind *resolver_kind(enum resolver_id id);

/* resolver_lookup - the id named name, or -1 */
int resolver_lookup(const char *name);

/* resolver_names - "unbound, knot, bind, pdns" (static) */
const char *resolver_names(void);

/* resolver_target_addr - the address of resolver id when it runs
 * beside the lab's own as a target: 127.0.0.(11 + id) (static) */
const char *resolver_target_addr(enum resolver_id id);

/*
 * resolver_which - the binary of id: given, $env, the unpacked copy,
 * PATH, /usr/sbin.  NULL when none: with quiet 0, says which package is
 * missing and how to unpack it; *why (when not NULL) gets the same
 * sentence (caller frees).
 */
char *resolver_which(enum resolver_id id, const char *given, int quiet,
    char **why);

/*
 * resolver_write - write id's configuration into statedir (made if
 * missing), listening on addr, from the lab in rundir (root.hints and
 * anchors/root.ds written there), with anchor_ds the root's DS record
 * in presentation format, root_ns the root server's name and auth_addr
 * its address; override_date (Unbound only) or NULL.  0, or -1 after
 * saying why.
 */
int resolver_write(enum resolver_id id, const char *rundir,
    const char *statedir, const char *addr, const char *anchor_ds,
    const char *root_ns, const char *auth_addr, const char *override_date);

/* resolver_bind_anchor - the lab root's DS (anchor_ds, presentation
 * format) as a BIND "trust-anchors" clause, for delv -a; NULL after a
 * warning; caller frees */
char *resolver_bind_anchor(const char *anchor_ds);

/*
 * resolver_argv - argv (at most 8 entries, NULL-terminated, strings
 * owned by the caller: free with resolver_argv_free) that runs bin in
 * the foreground on its configuration in statedir
 */
void resolver_argv(enum resolver_id id, const char *bin, const char *statedir,
    char *argv[8]);
void resolver_argv_free(char *argv[8]);

/* resolver_in_path - the program name in PATH or the sbin directories
 * (/usr/sbin, /sbin, /usr/local/sbin), or NULL; caller frees */
char *resolver_in_path(const char *name);

/* resolver_delv - the stub validator delv: $DANELAB_DELV_BIN when set,
 * else delv in PATH, or NULL; caller frees */
char *resolver_delv(void);

/* resolver_libpath - LD_LIBRARY_PATH the binary needs (the unpacked
 * copy's library directory), or NULL (caller frees) */
char *resolver_libpath(enum resolver_id id, const char *bin);

#endif
