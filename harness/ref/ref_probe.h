/*
 * ref_probe.h - the insides of the reference client (refclient.h), shared
 * by its modules and by nothing else:
 *
 *   refclient.c    the public API, the pure helpers, a probe's log
 *   ref_dns.c      the libunbound pool and every DNS lookup of a probe
 *   ref_conn.c     a probe's connection (netio.h) with its log lines
 *   ref_tls.c      the client's TLS handshake, DANE or PKIX, and its verdict
 *   ref_host.c     the hosts in order: what each requires, each address
 *   ref_smtp.c     RFC 7672 SMTP: MX lookup, the SMTP session
 *   ref_xmpp.c     RFC 7673 XMPP: SRV lookup, the s2s stream opening
 *   ref_receive.c  the receiving XMPP server (refclient_receive)
 *
 * A probe (struct ref_probe) lives on the stack of refclient_probe or
 * refclient_receive and is used by one thread; everything here borrows
 * it.  Every step is a line in p->log; p->why holds the last reason for
 * giving up.
 */
#ifndef DANELAB_REF_PROBE_H
#define DANELAB_REF_PROBE_H

#include <pthread.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "mem.h"
#include "netio.h"
#include "observe.h"
#include "refclient.h"

#define REF_HELO	"ref.client.example"
#define REF_FROM	"ref@client.example"
#define REF_XMPP_FROM	"ref.client.example"
#define MAX_HOSTS	32
#define MAX_ADDRS	8
#define MAX_TLSA	32
#define REF_IN_MAX	8191	/* input bound: a line, or a few stanzas */
#define DNS_A		1
#define DNS_CNAME	5
#define DNS_MX		15
#define DNS_AAAA	28
#define DNS_SRV		33
#define DNS_TLSA	52

struct ub_ctx;
struct ub_result;

struct refclient {
	char *resolver;
	char *ta_file;
	SSL_CTX *ssl_ctx;
	pthread_mutex_t lock;		/* guards the pools */
	struct ref_pool {		/* one per slot (refclient_probe) */
		struct ub_ctx **ctx;	/* idle resolver contexts */
		size_t n;
	} *pools;
	size_t npools;
};

/* DNSSEC state of one answer (RFC 4035 4.3; indeterminate counts as bogus). */
enum ref_dns_state {
	DNS_SECURE,
	DNS_INSECURE,
	DNS_BOGUS
};

/* One DNS answer. */
struct ref_dns_ans {
	enum ref_dns_state state;
	int nxdomain;
	int nodata;
	struct ub_result *res;	/* NULL on timeout or resolver error */
	char canon[256];	/* CNAME-expanded name, "" when none */
};

/* Addresses of one host. */
struct ref_addrs {
	enum ref_dns_state state;	/* worst of the A and AAAA answers */
	char canon[256];	/* CNAME expansion, "" when none */
	int fam[MAX_ADDRS];
	char addr[MAX_ADDRS][64];
	int n;
};

/* TLSA lookup results. */
enum ref_tlsa_state {
	TLSA_NONE,		/* insecure or denied: no DANE */
	TLSA_FOUND,		/* secure, non-empty: records in the target */
	TLSA_BOGUS		/* lookup failed: host unusable (7672 2.1.2) */
};

/* What a host requires of TLS. */
enum ref_tls_mode {
	MODE_DANE,		/* TLS, DANE authentication required */
	MODE_TLS_NOAUTH,	/* TLS required, no authentication (7672 2.2) */
	MODE_OPPORTUNISTIC,	/* TLS if offered, else cleartext */
	MODE_PKIX		/* TLS, PKIX authentication required */
};

/* ref_mode_names - each mode as the log and the detail say it */
extern const char *const ref_mode_names[];

/* How one attempt at one address ended. */
enum ref_attempt {
	ATT_NOCONNECT,
	ATT_GAVEUP,		/* connected, then gave up */
	ATT_WENTON		/* went on: outcome final */
};

/* One probe in progress. */
struct ref_probe {
	struct refclient *c;
	struct ub_ctx *ub;
	int ub_dirty;		/* a query was cancelled: do not reuse ub */
	unsigned slot;		/* which pool ub comes from and goes back to */
	enum proto proto;
	enum policy policy;
	const char *domain;
	long long deadline;	/* CLOCK_MONOTONIC ms */
	int step_ms;		/* bound on one connect / read / handshake */
	struct buf log;
	struct ref_result *r;
	int connected;		/* connected to some host */
	char why[400];		/* last reason for giving up */
	char note[256];		/* trouble after going on, "" */
	int receiving;		/* refclient_receive: the peer is the client */
};

/* What one host's attempt needs to know. */
struct ref_target {
	const char *host;	/* MX host / SRV target */
	int port;
	enum ref_tls_mode mode;
	char base[256];		/* TLSA base domain (SNI for SMTP) */
	const char *refids[3];	/* more reference identifiers, NULL-ended */
	struct ref_tlsa tlsa[MAX_TLSA];	/* data borrowed from an answer */
	enum ref_tlsa_use use[MAX_TLSA];
	size_t ntlsa;
};

/* A plaintext-or-TLS connection of a probe. */
struct ref_conn {
	struct ref_probe *p;
	struct netio io;
};

/* refclient.c: a probe's account */

/* ref_log - append one line to p's log */
void ref_log(struct ref_probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* ref_giveup - log a reason for giving up and keep it as p->why */
void ref_giveup(struct ref_probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* ref_late - the deadline ended the probe (timed out), the last reason kept */
void ref_late(struct ref_probe *p);
/* ref_left - ms left for one step, at most p->step_ms; <= 0 when past */
int ref_left(const struct ref_probe *p);

/* ref_dns.c: lookups within p's deadline, logged */

/* ref_dns_get - a resolver context for p from c's pool of p's slot; 0,
 * or -1 with r->detail set.  ref_dns_put - back to that pool when ok and
 * clean. */
int ref_dns_get(struct ref_probe *p);
void ref_dns_put(struct ref_probe *p, int ok);
/* ref_dns_query - name/type (tname for the log) into *a; release with
 * ref_dns_free */
void ref_dns_query(struct ref_probe *p, const char *name, int type,
    const char *tname, struct ref_dns_ans *a);
void ref_dns_free(struct ref_dns_ans *a);
/* ref_dns_addrs - A then AAAA of host into *ad */
void ref_dns_addrs(struct ref_probe *p, const char *host,
    struct ref_addrs *ad);
/* ref_dns_first_cname - the state of host's own CNAME (RFC 7672 2.2.2) */
enum ref_dns_state ref_dns_first_cname(struct ref_probe *p, const char *host,
    const char *canon);
/* ref_dns_tlsa - t's TLSA records at its base domain candidates; the
 * records borrow from *keep, which the caller frees */
enum ref_tlsa_state ref_dns_tlsa(struct ref_probe *p, struct ref_target *t,
    const struct ref_addrs *ad, struct ref_dns_ans *keep);
/* ref_dns_tlsa_add - append a TLSA answer's records to t (borrowed) */
void ref_dns_tlsa_add(struct ref_target *t, const struct ub_result *res);
/* ref_dns_tlsa_log - one log line per record of t and its use */
void ref_dns_tlsa_log(struct ref_probe *p, const struct ref_target *t);
/* ref_dns_hosts - an MX or SRV answer into h[MAX_HOSTS], in order; count */
int ref_dns_hosts(struct ref_probe *p, const struct ref_dns_ans *a,
    struct ref_host *h);

/* ref_conn.c: a probe's connection, every line logged */

/* ref_conn_open - cn to addr:port; 0, or -1 having said why */
int ref_conn_open(struct ref_probe *p, struct ref_conn *cn, int fam,
    const char *addr, int port);
/* ref_conn_close - close cn; a step that timed out is the probe's */
void ref_conn_close(struct ref_conn *cn);
/* ref_conn_write - send s; 0 or -1 */
int ref_conn_write(struct ref_conn *cn, const char *s);
/* ref_conn_fill - read more; 0, or -1 (EOF, error, timeout, full) */
int ref_conn_fill(struct ref_conn *cn);
/* ref_conn_line - one line without its end into line[size]; 0 or -1 */
int ref_conn_line(struct ref_conn *cn, char *line, size_t size);
/* ref_conn_wait - read until marker m0 or m1 (NULL: none) is in the
 * input; which (0, 1) or -1 */
int ref_conn_wait(struct ref_conn *cn, const char *m0, const char *m1);

/* ref_tls.c: the client's TLS */

/* ref_tls_connect - TLS on cn as t requires, SNI sni; 1 authenticated,
 * 0 not, -1 failed */
int ref_tls_connect(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, const char *sni);
/* ref_tls_judge - may the client go on after a handshake that ended with
 * auth?  1 (*out set) or 0 */
int ref_tls_judge(struct ref_probe *p, const struct ref_target *t, int auth,
    enum outcome *out);
/* ref_tls_dane - DANE on ssl for name and t's usable records; how many
 * OpenSSL took, or -1 */
int ref_tls_dane(struct ref_probe *p, SSL *ssl, const struct ref_target *t,
    const char *name);
/* ref_tls_dane_match - log the TLSA record OpenSSL matched on ssl; its
 * depth, or -1 */
int ref_tls_dane_match(struct ref_probe *p, SSL *ssl);

/* ref_host.c: hosts in order */

/* ref_host_try_all - plan and try h[0..n-1] in order (dane 0: DANE cannot
 * apply; refid0, refid1: more reference identifiers or NULL); 1 when the
 * client went on */
int ref_host_try_all(struct ref_probe *p, const struct ref_host *h,
    size_t n, int dane, const char *refid0, const char *refid1);

/* ref_smtp.c, ref_xmpp.c: one protocol each */

/* ref_smtp_probe - RFC 7672 delivery to p->domain */
void ref_smtp_probe(struct ref_probe *p);
/* ref_smtp_session - one SMTP(S) session on connected cn */
enum ref_attempt ref_smtp_session(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, enum outcome *out);
/* ref_xmpp_probe - RFC 7673 s2s connection to p->domain */
void ref_xmpp_probe(struct ref_probe *p);
/* ref_xmpp_session - one XMPP s2s session on connected cn */
enum ref_attempt ref_xmpp_session(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, enum outcome *out);

/* ref_receive.c: the receiving server */

/* ref_receive_session - the receiving side of one s2s connection cn as
 * local, with the server context ctx; sets p->r when the stream went on */
void ref_receive_session(struct ref_probe *p, struct ref_conn *cn,
    SSL_CTX *ctx, const char *local);

#endif
