/*
 * scenario.h - the scenario language: parse, expand matrices, lint.
 *
 * A scenario file holds blocks, each starting with a "scenario ID" line;
 * every other line is "keyword arguments", "#" starts a comment.  Axis
 * lines make a block a matrix: the block expands once per combination of
 * axis values, "{axis}" in any argument is replaced by the value, and a
 * line ending in "when AXIS=V[,V..] [AXIS=...]" applies only to the
 * combinations that match.  The full language, with examples, is in
 * scenarios/README.md; this header and that file must agree.
 *
 * Errors go out through msg_input() as "file:line: message", every error
 * of a file in one pass and in line order; the functions return how many
 * they printed.
 */
#ifndef DANELAB_SCENARIO_H
#define DANELAB_SCENARIO_H

#include <stddef.h>
#include <stdio.h>

#include "observe.h"


/* DNSSEC state of a zone (see enum zone_delegation). */
enum scn_zone_state {
	SCN_ZONE_SECURE,
	SCN_ZONE_INSECURE,
	SCN_ZONE_DS_MISMATCH,
	SCN_ZONE_UNSUPPORTED_ALG,
	SCN_ZONE_LAME,
	SCN_ZONE_STATE_COUNT
};

#define SCN_HOST_NO_STARTTLS	(1u << 0)
#define SCN_HOST_CLIENT_CERT	(1u << 1)
#define SCN_HOST_DOWN		(1u << 2)	/* address published, nothing listens */

/*
 * Names in a scenario are relative: "@" is the scenario's domain
 * "<id>.<tld>", "mx1" is "mx1.<id>.<tld>", and a name whose last label
 * is the label of a declared extra zone lives in that zone: with
 * "zone hosts insecure", "mx1.hosts" is "mx1.<id>-hosts.<tld>" and
 * "hosts" its apex.  A name ending in "." is absolute.
 */
struct scn_zone {
	char *label;		/* "@" for the domain's own zone */
	enum scn_zone_state state;
	int line;
};

struct scn_host {
	char *name;		/* scenario-relative */
	char *chain;		/* PKI profile chain served */
	unsigned flags;		/* SCN_HOST_* */
	int line;
};

enum scn_rr_kind {
	SCN_RR_MX,		/* a[0]=preference a[1]=host */
	SCN_RR_SRV,		/* a[0]=service a[1]=prio a[2]=weight a[3]=port a[4]=target */
	SCN_RR_CNAME,		/* a[0]=owner a[1]=target */
	SCN_RR_ADDR,		/* a[0]=owner a[1]=host whose address to copy */
	SCN_RR_RAW		/* a[0]=owner a[1]=type a[2..]=rdata, verbatim */
};

struct scn_rr {
	enum scn_rr_kind kind;
	int argc;
	char **argv;
	int line;
};

struct scn_tlsa {
	char *owner;		/* host name, or "_port._tcp.host" */
	int port;		/* 0: every port the host serves */
	char *spec;		/* "U S M FROM [FAULT]" for the tlsa module */
	int identity;		/* "identity": owner is a DNS name, FROM the client chain */
	int line;
};

struct scn_fault {
	char *kind;		/* a zone_fault_names() entry */
	char *owner;		/* scenario-relative */
	char *type;		/* RR type mnemonic */
	int line;
};

struct scn_expect {
	unsigned protos;	/* bit per enum proto */
	unsigned policies;	/* bit per enum policy */
	outcome_set outcomes;
	char *host;		/* "at HOST", or NULL: wherever it went */
	char *avoid;		/* "not mx1,mx2": hosts it MUST NOT connect to, or NULL */
	char *at[OUTCOME_COUNT];	/* "refused@mx1": where that outcome must be
				 * seen (overrides host), or NULL */
	char *cite;		/* "RFC7672 2.2" ... */
	outcome_set prefer;	/* "prefer": what the RFC prefers (SHOULD), or 0 */
	char *prefer_cite;	/* the sentence that prefers it, or NULL */
	int line;
};

/*
 * A query expectation: "asks PROTOS TYPE NAME [before TYPE NAME] [should]
 * cite ..." or "never-asks PROTOS TYPE NAME [should] cite ...": what the
 * client must (or, with should, should) ask or never ask the lab's
 * resolver, judged on its query log.  NAME is scenario-relative.
 */
struct scn_ask {
	int never;		/* never-asks */
	int should;		/* SHOULD (NOT): a miss is "pass, not preferred" */
	unsigned protos;	/* bit per enum proto */
	char *type;		/* RR type mnemonic, upper case */
	char *name;		/* scenario-relative */
	char *before_type;	/* asks ... before TYPE NAME, or NULL */
	char *before_name;
	char *cite;
	int line;
};

struct scenario {
	char *id;		/* expanded id, unique in a catalogue */
	char *file;		/* where it was defined */
	int line;		/* the "scenario" line */
	char *summary;
	char *refs;
	char *latitude;		/* where the RFCs leave latitude, or NULL */
	char *area;		/* directory under scenarios/, e.g. "smtp" */
	unsigned protos;	/* bit per enum proto */
	char *axes;		/* "usage=3 selector=1", or NULL */
	char *client;		/* xmpp-in: the chain the lab presents, or NULL */
	int client_line;
	struct scn_zone *zones;
	size_t nzones;
	struct scn_host *hosts;
	size_t nhosts;
	struct scn_rr *rrs;
	size_t nrrs;
	struct scn_tlsa *tlsas;
	size_t ntlsas;
	struct scn_fault *faults;
	size_t nfaults;
	struct scn_expect *expects;
	size_t nexpects;
	struct scn_ask *asks;	/* query expectations */
	size_t nasks;
};

/* A catalogue: every expanded scenario of some files. */
struct scn_catalogue {
	struct scenario **list;
	size_t n;
};

/*
 * The checks that need another module (the PKI profile) come through
 * hooks; a NULL hook skips its check.  chain_ok: is there such a chain?
 * NULL or a static message.  tlsa_ok: can the data of a TLSA spec ("U S
 * M FROM [FAULT]", tlsa.h) be computed from that chain (one chain_ok may
 * have objected to)?  NULL, or a message the caller frees.
 * plan_checks_new() (plan.h) makes both from a profile.
 */
struct scn_checks {
	const char *(*chain_ok)(void *arg, const char *chain);
	char *(*tlsa_ok)(void *arg, const char *chain, const char *spec);
	void *arg;
};

/* The chain check alone (scn_parse_text: tests and the fuzzer). */
struct scn_hooks {
	const char *(*chain_ok)(void *arg, const char *chain);
	void *arg;
};

/*
 * scn_catalogue_lint - parse, expand and lint files; a directory is read
 * recursively for "*.scn" files in sorted order.  Every error goes out
 * through msg_input() as "file:line: message", a file's errors in line
 * order, a message that every combination of a matrix repeats once.
 * Returns the number of messages, and adds the scenarios of error-free
 * blocks to cat.  checks may be NULL: none that needs another module.
 */
int scn_catalogue_lint(struct scn_catalogue *cat, const char *path,
    const struct scn_checks *checks);

/*
 * scn_parse_text - parse one file's text (for tests and the fuzzer);
 * name is used in messages.  Same contract as scn_catalogue_lint.
 */
int scn_parse_text(struct scn_catalogue *cat, const char *name,
    const char *text, size_t len, const struct scn_hooks *hooks);

/* scn_set_errors - msg_input_stream(fp): error messages to fp instead
 * of stderr (NULL: stderr) */
void scn_set_errors(FILE *fp);

/*
 * scn_usage - the language in brief, made from the tables the parser
 * uses: every keyword with its arguments, then the names of protocols,
 * policies, outcomes, zone states, host options and fault kinds.
 * Caller frees.
 */
char *scn_usage(void);

/* scn_catalogue_check - catalogue-wide lint (duplicate ids); errors */
int scn_catalogue_check(const struct scn_catalogue *cat);

/* scn_scenario_free - release one scenario (NULL is fine) */
void scn_scenario_free(struct scenario *s);

/* scn_catalogue_free - release every scenario; the struct is reusable */
void scn_catalogue_free(struct scn_catalogue *cat);

/*
 * scn_expect_for - the expectation that applies to (proto, policy), or
 * NULL (a lint error, never after a successful load).
 */
const struct scn_expect *scn_expect_for(const struct scenario *s,
    enum proto proto, enum policy policy);

/* scn_expect_host - where outcome o must be seen under e (its "o@HOST",
 * else "at HOST"), or NULL: anywhere */
const char *scn_expect_host(const struct scn_expect *e, enum outcome o);

/* scn_name_abs - a scenario-relative name made absolute; caller frees */
char *scn_name_abs(const struct scenario *s, const char *name, const char *tld);

/* scn_zone_origin - the origin of zone z of s ("<id>.<tld>" ...); caller frees */
char *scn_zone_origin(const struct scenario *s, const struct scn_zone *z,
    const char *tld);

/* scn_zone_of - the zone a relative name lives in */
const struct scn_zone *scn_zone_of(const struct scenario *s, const char *name);

/* proto_name, policy_name, scn_zone_state_name - static names */
const char *proto_name(enum proto p);
const char *policy_name(enum policy p);
const char *scn_zone_state_name(enum scn_zone_state s);

/* scn_proto_port - 25, 465, 5269, 5270 */
int scn_proto_port(enum proto p);

#endif
