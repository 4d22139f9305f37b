/*
 * refclient.c - danelab's reference DANE client (RFC 7672 SMTP, RFC 7673
 * XMPP), the lab's oracle.
 *
 * One probe: resolve (libunbound, validating by itself with the lab root
 * key), choose hosts, decide per host what TLS it requires, connect, do
 * STARTTLS or direct TLS with OpenSSL's DANE verifier, and go on or give
 * up.  Every step is logged in r->log, one line each.
 *
 * Threads: each probe has a ub_ctx of its own while it runs, taken from a
 * pool so that validated keys stay cached (libunbound in threaded async
 * mode, so every DNS lookup is bounded by the probe's ref_late); the one
 * SSL_CTX is shared read-only after refclient_new.
 *
 * Choices where the RFCs leave latitude (documented here once):
 * - Equal MX preferences / SRV priorities: tried in a deterministic order,
 *   SRV weight descending, then name (not RFC 2782's random choice).
 * - Each address of a host is one attempt with the same TLS requirement.
 * - Opportunistic TLS that fails in the handshake: give up on that host
 *   (refused) and try the next, rather than retry it in cleartext.
 * - Once the client went on at a host (EHLO after TLS, stream restart),
 *   that host's outcome is final, even if the server later rejects the
 *   message (the detail says so).
 * - SMTP uses the port's TLSA owner: _25._tcp (SMTP), _465._tcp (SMTPS).
 * - XMPP SNI is the XMPP (source) domain (XEP-0368 and RFC 7673 4); name
 *   checks accept the domain and the SRV target.
 * - XMPP without a secure SRV RRset or without usable TLSA records falls
 *   back to PKIX: opportunistically that is "encrypted"; under
 *   REF_MANDATORY it must authenticate by PKIX, and the lab has no PKIX
 *   trust store, so it gives up after the handshake (refused).  PKIX-TA
 *   and PKIX-EE records (usages 0, 1) are usable for XMPP but, for the same
 *   reason, never authenticate here.  For SMTP they are unusable (RFC 7672
 *   3.1.3).
 * - XMPPS without an _xmpps-server SRV RRset: no direct-TLS fallback port
 *   (XEP-0368 defines none): no-connect.  XMPP without SRV: the domain
 *   itself on 5269 (RFC 6120 3.2.2); whether DANE applies is then decided
 *   by the address records' security alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unbound.h>

#include "clock.h"
#include "dname.h"
#include "mem.h"
#include "msg.h"
#include "netio.h"
#include "refclient.h"
#include "xmpp_wire.h"

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

struct refclient {
	char *resolver;
	char *ta_file;
	SSL_CTX *ssl_ctx;
	pthread_mutex_t lock;		/* guards the pool */
	struct ub_ctx **pool;		/* idle resolver contexts */
	size_t npool;
};

/* DNSSEC state of one answer (RFC 4035 4.3; indeterminate counts as bogus). */
enum ref_dns_state {
	DNS_SECURE,
	DNS_INSECURE,
	DNS_BOGUS
};

static const char *const dns_state_names[] = { "secure", "insecure", "bogus" };

/* One DNS answer. */
struct ref_dns_ans {
	enum ref_dns_state state;
	int nxdomain;
	int nodata;
	struct ub_result *res;	/* NULL on timeout or resolver error */
	char canon[256];	/* CNAME-expanded name, "" when none */
};

/* What a host requires of TLS. */
enum ref_tls_mode {
	MODE_DANE,		/* TLS, DANE authentication required */
	MODE_TLS_NOAUTH,	/* TLS required, no authentication (7672 2.2) */
	MODE_OPPORTUNISTIC,	/* TLS if offered, else cleartext */
	MODE_PKIX		/* TLS, PKIX authentication required */
};

static const char *const mode_names[] = {
	"DANE authentication required", "TLS required without authentication",
	"opportunistic TLS", "PKIX authentication required"
};

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
	int ub_dirty;			/* a query was cancelled: do not reuse ub */
	enum ref_proto proto;
	enum ref_policy policy;
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
	struct ref_tlsa tlsa[MAX_TLSA];
	enum ref_tlsa_use use[MAX_TLSA];
	size_t ntlsa;
};

/* A plaintext-or-TLS connection of a probe. */
struct ref_conn {
	struct ref_probe *p;
	struct netio io;
};

/* ref_log - append one line to the probe's log */
static void __attribute__((format(printf, 2, 3)))
ref_log(struct ref_probe *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_printf(&p->log, "%s\n", line);
}

/* ref_giveup - log a reason for giving up and remember it as the last one */
static void __attribute__((format(printf, 2, 3)))
ref_giveup(struct ref_probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	ref_log(p, "give up: %s", p->why);
}

/* ref_late - say the deadline ended the probe, keeping the last reason */
static void
ref_late(struct ref_probe *p)
{
	p->r->timed_out = 1;
	if (p->why[0] == '\0')
		ref_giveup(p, "deadline reached");
	else
		ref_log(p, "deadline reached");
}

/* ref_left - ms left for one step, at most step_ms; <= 0 when past */
static int
ref_left(const struct ref_probe *p)
{
	long long left = p->deadline - clock_ms();

	if (left <= 0)
		return 0;
	return left < p->step_ms ? (int)left : p->step_ms;
}

/* refclient_wire_name - uncompressed wire name at rd into text; bytes
 * used or -1 */
static int
refclient_wire_name(const unsigned char *rd, size_t len, char *out, size_t size)
{
	size_t i = 0, o = 0;

	out[0] = '\0';
	for (;;) {
		unsigned l;

		if (i >= len)
			return -1;
		l = rd[i++];
		if (l == 0)
			break;
		if (l > 63 || i + l > len)
			return -1;
		for (unsigned k = 0; k < l; k++) {
			unsigned char ch = rd[i + k];
			char tmp[8];
			int w;

			if (ch == '.' || ch == '\\')
				w = snprintf(tmp, sizeof(tmp), "\\%c", ch);
			else if (ch <= 0x20 || ch >= 0x7f)
				w = snprintf(tmp, sizeof(tmp), "\\%03u", ch);
			else
				w = snprintf(tmp, sizeof(tmp), "%c", ch);
			if (o + (size_t)w + 2 > size)
				return -1;
			memcpy(out + o, tmp, (size_t)w);
			o += (size_t)w;
		}
		i += l;
		out[o++] = '.';
		out[o] = '\0';
	}
	if (o > 0)
		out[--o] = '\0';	/* no trailing dot; root is "" */
	return (int)i;
}

int
refclient_parse_mx(const unsigned char *rd, size_t len, struct ref_host *h)
{
	int n;

	memset(h, 0, sizeof(*h));
	if (len < 3)
		return -1;
	h->pref = (unsigned)rd[0] << 8 | rd[1];
	n = refclient_wire_name(rd + 2, len - 2, h->name, sizeof(h->name));
	return n < 0 || (size_t)n + 2 != len ? -1 : 0;
}

int
refclient_parse_srv(const unsigned char *rd, size_t len, struct ref_host *h)
{
	int n;

	memset(h, 0, sizeof(*h));
	if (len < 7)
		return -1;
	h->pref = (unsigned)rd[0] << 8 | rd[1];
	h->weight = (unsigned)rd[2] << 8 | rd[3];
	h->port = rd[4] << 8 | rd[5];
	n = refclient_wire_name(rd + 6, len - 6, h->name, sizeof(h->name));
	return n < 0 || (size_t)n + 6 != len ? -1 : 0;
}

/* refclient_host_cmp - qsort order of refclient_sort_hosts */
static int
refclient_host_cmp(const void *va, const void *vb)
{
	const struct ref_host *a = va, *b = vb;

	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return strcasecmp(a->name, b->name);
}

void
refclient_sort_hosts(struct ref_host *h, size_t n)
{
	if (n > 1)
		qsort(h, n, sizeof(*h), refclient_host_cmp);
}

int
refclient_tlsa_usable(enum ref_proto proto, const struct ref_tlsa *t)
{
	const unsigned char *q = t->data;
	int ok = 0;

	if (t->usage > 3 || t->selector > 1 || t->mtype > 2)
		return 0;
	/* SMTP: RFC 7672 3.1.3.  Inbound: a PKIX usage needs a public CA,
	 * and the lab has none, so it can never match. */
	if ((proto == REF_SMTP || proto == REF_SMTPS || proto == REF_XMPP_IN)
	    && t->usage < 2)
		return 0;
	if (t->mtype == 1)
		return t->len == 32;
	if (t->mtype == 2)
		return t->len == 64;
	/* Full(0): the data must be exactly one certificate or one SPKI. */
	if (t->selector == 0) {
		X509 *x = d2i_X509(NULL, &q, (long)t->len);

		ok = x != NULL && q == t->data + t->len;
		X509_free(x);
	} else {
		EVP_PKEY *k = d2i_PUBKEY(NULL, &q, (long)t->len);

		ok = k != NULL && q == t->data + t->len;
		EVP_PKEY_free(k);
	}
	ERR_clear_error();
	return ok;
}

size_t
refclient_tlsa_select(enum ref_proto proto, const struct ref_tlsa *t,
    size_t n, enum ref_tlsa_use *use)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		use[i] = refclient_tlsa_usable(proto, &t[i]) ?
		    REF_TLSA_USE : REF_TLSA_UNUSABLE;
	/* Digest agility: SHA2-512(2) is stronger than SHA2-256(1). */
	for (size_t i = 0; i < n; i++) {
		unsigned best = 0;

		if (use[i] != REF_TLSA_USE || t[i].mtype == 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (use[j] != REF_TLSA_UNUSABLE &&
			    t[j].usage == t[i].usage &&
			    t[j].selector == t[i].selector &&
			    t[j].mtype > best)
				best = t[j].mtype;
		if (t[i].mtype < best)
			use[i] = REF_TLSA_WEAKER;
	}
	for (size_t i = 0; i < n; i++)
		kept += use[i] == REF_TLSA_USE;
	return kept;
}

int
refclient_base_candidates(const char *host, const char *canon,
    int addr_secure, const char *out[2])
{
	int n = 0;

	if (addr_secure && canon != NULL && canon[0] != '\0' &&
	    !dname_eq(canon, host))
		out[n++] = canon;
	out[n++] = host;
	return n;
}

enum ref_addr_dane
refclient_addr_dane(const char *host, const char *canon, int addr_secure)
{
	if (addr_secure)
		return REF_ADDR_TLSA;
	if (canon != NULL && canon[0] != '\0' && !dname_eq(canon, host))
		return REF_ADDR_ASK_CNAME;
	return REF_ADDR_NO_DANE;
}

/* ref_dns_done - libunbound's callback: hand the answer to the waiting probe */
static void
ref_dns_done(void *arg, int err, struct ub_result *res)
{
	struct ub_result **slot = arg;

	if (err != 0 && res == NULL)
		res = (struct ub_result *)&ref_dns_done; /* error marker */
	*slot = res;
}

/* ref_dns_free - release an answer */
static void
ref_dns_free(struct ref_dns_ans *a)
{
	if (a->res != NULL)
		ub_resolve_free(a->res);
	a->res = NULL;
}

/* ref_dns_query - look up name/type within the deadline and classify it */
static void
ref_dns_query(struct ref_probe *p, const char *name, int type,
    const char *tname, struct ref_dns_ans *a)
{
	struct ub_result *res = NULL;
	int id = 0, err;

	memset(a, 0, sizeof(*a));
	a->state = DNS_BOGUS;
	err = ub_resolve_async(p->ub, name, type, 1, &res, ref_dns_done, &id);
	if (err != 0) {
		ref_log(p, "DNS %s %s: resolver error: %s", name, tname,
		    ub_strerror(err));
		return;
	}
	while (res == NULL) {
		long long left = p->deadline - clock_ms();
		struct pollfd pfd = { .fd = ub_fd(p->ub), .events = POLLIN };

		if (left <= 0) {
			ub_cancel(p->ub, id);
			p->r->timed_out = 1;
			p->ub_dirty = 1;
			ref_log(p, "DNS %s %s: bogus (indeterminate: timeout)",
			    name, tname);
			return;
		}
		if (poll(&pfd, 1, (int)left) > 0 && ub_process(p->ub) != 0) {
			ref_log(p, "DNS %s %s: bogus (indeterminate: "
			    "resolver failed)", name, tname);
			return;
		}
	}
	if (res == (struct ub_result *)&ref_dns_done) {
		ref_log(p, "DNS %s %s: bogus (indeterminate: resolver error)",
		    name, tname);
		return;
	}
	a->res = res;
	if (res->canonname != NULL && !dname_eq(res->canonname, name))
		dname_copy(a->canon, sizeof(a->canon), res->canonname);
	if (res->bogus) {
		ref_log(p, "DNS %s %s: bogus (%s)", name, tname,
		    res->why_bogus ? res->why_bogus : "validation failed");
		return;
	}
	if (res->rcode != 0 && res->rcode != 3) {
		ref_log(p, "DNS %s %s: bogus (indeterminate: rcode %d)", name,
		    tname, res->rcode);
		return;
	}
	a->state = res->secure ? DNS_SECURE : DNS_INSECURE;
	a->nxdomain = res->rcode == 3;
	a->nodata = res->rcode == 0 && !res->havedata;
	if (a->nxdomain || a->nodata) {
		ref_log(p, "DNS %s %s: %s %s%s%s", name, tname,
		    dns_state_names[a->state],
		    a->nxdomain ? "NXDOMAIN" : "NODATA",
		    a->canon[0] ? " via CNAME " : "", a->canon);
	} else {
		int n = 0;

		while (res->data[n] != NULL)
			n++;
		ref_log(p, "DNS %s %s: %s, %d record%s%s%s", name, tname,
		    dns_state_names[a->state], n, n == 1 ? "" : "s",
		    a->canon[0] ? ", CNAME-expanded to " : "", a->canon);
	}
}

/* Addresses of one host. */
struct ref_addrs {
	enum ref_dns_state state;	/* worst of the A and AAAA answers */
	char canon[256];	/* CNAME expansion, "" when none */
	int fam[MAX_ADDRS];
	char addr[MAX_ADDRS][64];
	int n;
};

/* ref_dns_addrs - A then AAAA of host (RFC 7672 2.2.2: before TLSA) */
static void
ref_dns_addrs(struct ref_probe *p, const char *host, struct ref_addrs *ad)
{
	static const struct {
		int type, fam, len;
		const char *name;
	} kinds[] = {
		{ DNS_A, AF_INET, 4, "A" },
		{ DNS_AAAA, AF_INET6, 16, "AAAA" },
	};

	memset(ad, 0, sizeof(*ad));
	ad->state = DNS_SECURE;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct ref_dns_ans a;

		ref_dns_query(p, host, kinds[k].type, kinds[k].name, &a);
		if (a.state > ad->state)
			ad->state = a.state;
		if (a.state != DNS_BOGUS && a.res != NULL && a.res->havedata) {
			if (ad->canon[0] == '\0')
				snprintf(ad->canon, sizeof(ad->canon), "%s",
				    a.canon);
			for (int i = 0; a.res->data[i] != NULL &&
			    ad->n < MAX_ADDRS; i++) {
				if (a.res->len[i] != kinds[k].len)
					continue;
				inet_ntop(kinds[k].fam, a.res->data[i],
				    ad->addr[ad->n], sizeof(ad->addr[0]));
				ad->fam[ad->n++] = kinds[k].fam;
			}
		}
		ref_dns_free(&a);
	}
}

/* TLSA lookup results. */
enum ref_tlsa_state {
	TLSA_NONE,		/* insecure or denied: no DANE */
	TLSA_FOUND,		/* secure, non-empty: records in the target */
	TLSA_BOGUS		/* lookup failed: host unusable (7672 2.1.2) */
};

/* ref_dns_tlsa_add - append the records of a secure, non-empty TLSA answer to t
 * (borrowing the answer's data) */
static void
ref_dns_tlsa_add(struct ref_target *t, const struct ub_result *res)
{
	for (int j = 0; res->data[j] != NULL && t->ntlsa < MAX_TLSA; j++) {
		const unsigned char *d = (const unsigned char *)res->data[j];
		struct ref_tlsa *rt = &t->tlsa[t->ntlsa];

		if (res->len[j] < 3)
			continue;
		rt->usage = d[0];
		rt->selector = d[1];
		rt->mtype = d[2];
		rt->data = d + 3;
		rt->len = (size_t)res->len[j] - 3;
		t->ntlsa++;
	}
}

/*
 * lookup_tlsa - TLSA at _port._tcp.<candidate> for each base domain
 * candidate in turn; fills t->base and t->tlsa (borrowing from *keep).
 */
static enum ref_tlsa_state
ref_dns_tlsa(struct ref_probe *p, struct ref_target *t,
    const struct ref_addrs *ad, struct ref_dns_ans *keep)
{
	const char *cand[2];
	int n = refclient_base_candidates(t->host, ad->canon,
	    ad->state == DNS_SECURE, cand);

	memset(keep, 0, sizeof(*keep));
	for (int i = 0; i < n; i++) {
		char qname[300];

		snprintf(qname, sizeof(qname), "_%d._tcp.%s", t->port, cand[i]);
		ref_dns_query(p, qname, DNS_TLSA, "TLSA", keep);
		if (keep->state == DNS_BOGUS) {
			ref_dns_free(keep);
			return TLSA_BOGUS;
		}
		if (keep->state == DNS_SECURE && keep->res->havedata) {
			dname_copy(t->base, sizeof(t->base), cand[i]);
			t->ntlsa = 0;
			ref_dns_tlsa_add(t, keep->res);
			return TLSA_FOUND;
		}
		ref_dns_free(keep);
	}
	return TLSA_NONE;
}

/* ref_conn_open - connect to addr:port within the step deadline; 0 or -1 */
static int
ref_conn_open(struct ref_probe *p, struct ref_conn *cn, int fam,
    const char *addr, int port)
{
	int rc, err;

	cn->p = p;
	netio_init(&cn->io, p->deadline, p->step_ms, REF_IN_MAX);
	rc = netio_connect(&cn->io, fam, addr, port);
	err = errno;
	if (cn->io.timed_out)
		p->r->timed_out = 1;
	if (rc == NETIO_ESOCKET) {
		ref_giveup(p, "socket: %s", strerror(err));
		return -1;
	}
	if (rc != 0) {
		ref_log(p, "connect to %s[%s]:%d: %s", p->r->host, addr, port,
		    strerror(err));
		snprintf(p->why, sizeof(p->why), "connect to %s[%s]:%d: %s",
		    p->r->host, addr, port, strerror(err));
		return -1;
	}
	ref_log(p, "connected to %s[%s]:%d", p->r->host, addr, port);
	return 0;
}

/* ref_conn_close - TLS close_notify if any, then close; a step that timed
 * out on the way is the probe's */
static void
ref_conn_close(struct ref_conn *cn)
{
	netio_close(&cn->io);
	if (cn->io.timed_out)
		cn->p->r->timed_out = 1;
}

/* ref_conn_write - send s (logged without its line end); 0 or -1 */
static int
ref_conn_write(struct ref_conn *cn, const char *s)
{
	int shown = (int)strcspn(s, "\r\n");

	ref_log(cn->p, "%s: %.*s%s", cn->p->receiving ? "S" : "C", shown, s,
	    s[shown] && s[shown + 2] ? " ..." : "");
	if (netio_write(&cn->io, s, strlen(s)) < 0) {
		ref_log(cn->p, "write failed");
		return -1;
	}
	return 0;
}

/* ref_conn_fill - read more input; 0, or -1 on EOF, error or timeout */
static int
ref_conn_fill(struct ref_conn *cn)
{
	return netio_fill(&cn->io) > 0 ? 0 : -1;
}

/* ref_conn_line - one input line without its line end; 0 or -1 */
static int
ref_conn_line(struct ref_conn *cn, char *line, size_t size)
{
	struct netio *io = &cn->io;
	char *nl;

	while ((nl = memchr(io->in, '\n', io->inlen)) == NULL)
		if (ref_conn_fill(cn) < 0) {
			ref_log(cn->p, "read failed (EOF, timeout or overlong "
			    "line)");
			return -1;
		}
	size_t n = (size_t)(nl - io->in), take = n;

	if (take > 0 && io->in[take - 1] == '\r')
		take--;
	if (take >= size)
		take = size - 1;
	memcpy(line, io->in, take);
	line[take] = '\0';
	memmove(io->in, nl + 1, io->inlen - n - 1);
	io->inlen -= n + 1;
	io->in[io->inlen] = '\0';
	ref_log(cn->p, "S: %s", line);
	return 0;
}

/* ref_smtp_reply - read one (multi-line) reply: its code, or -1; *starttls
 * is set when an EHLO reply line announces STARTTLS */
static int
ref_smtp_reply(struct ref_conn *cn, int *starttls)
{
	char line[1024];

	for (int i = 0; i < 100; i++) {
		if (ref_conn_line(cn, line, sizeof(line)) < 0)
			return -1;
		if (strlen(line) < 3)
			return -1;
		if (starttls != NULL && strlen(line) >= 12 &&
		    strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    (line[12] == '\0' || line[12] == ' '))
			*starttls = 1;
		if (line[3] != '-')
			return atoi(line);
	}
	return -1;
}

/* ref_smtp_cmd - send a command and read its reply code (-1 on I/O error) */
static int
ref_smtp_cmd(struct ref_conn *cn, const char *cmd, int *starttls)
{
	if (ref_conn_write(cn, cmd) < 0)
		return -1;
	return ref_smtp_reply(cn, starttls);
}

/* ref_tls_dane_match - log which TLSA record OpenSSL matched on ssl, if any;
 * the depth of the match, or -1 */
static int
ref_tls_dane_match(struct ref_probe *p, SSL *ssl)
{
	uint8_t u, s, m;
	const unsigned char *d;
	size_t dlen;
	int depth = SSL_get0_dane_authority(ssl, NULL, NULL);

	if (depth >= 0 && SSL_get0_dane_tlsa(ssl, &u, &s, &m, &d, &dlen) >= 0)
		ref_log(p, "matched TLSA %u %u %u at depth %d (%s)", u, s, m,
		    depth, depth == 0 ? "end entity" : "issuer");
	else
		ref_log(p, "no TLSA record matched");
	return depth;
}

/* ref_tls_connect - TLS on cn as t's mode requires; 1 authenticated,
 * 0 not authenticated, -1 handshake failed */
static int
ref_tls_connect(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, const char *sni)
{
	static const unsigned char alpn[] = "\x0bxmpp-server";
	size_t added = 0;
	long vr;
	int depth;

	if ((cn->io.ssl = SSL_new(p->c->ssl_ctx)) == NULL ||
	    SSL_set_fd(cn->io.ssl, cn->io.fd) != 1)
		goto err;
	if (p->proto == REF_XMPPS &&
	    SSL_set_alpn_protos(cn->io.ssl, alpn, sizeof(alpn) - 1) != 0)
		goto err;
	SSL_set_hostflags(cn->io.ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (t->mode == MODE_DANE) {
		/* Sets SNI and the first reference identifier. */
		if (SSL_dane_enable(cn->io.ssl, sni) <= 0)
			goto err;
		for (size_t i = 0; i < t->ntlsa; i++) {
			const struct ref_tlsa *r = &t->tlsa[i];

			if (t->use[i] != REF_TLSA_USE)
				continue;
			if (SSL_dane_tlsa_add(cn->io.ssl, r->usage, r->selector,
			    r->mtype, r->data, r->len) > 0)
				added++;
			else
				ref_log(p, "OpenSSL refused TLSA %u %u %u",
				    r->usage, r->selector, r->mtype);
		}
		ERR_clear_error();
		if (added == 0) {
			/* Never happens when refclient_tlsa_usable agrees
			 * with OpenSSL; without records OpenSSL would fall
			 * back to PKIX, so refuse instead. */
			ref_giveup(p, "internal: OpenSSL accepted none of the "
			    "usable TLSA records");
			return -1;
		}
	} else if (SSL_set_tlsext_host_name(cn->io.ssl, sni) != 1) {
		goto err;
	}
	if (t->mode == MODE_PKIX && SSL_set1_host(cn->io.ssl, sni) != 1)
		goto err;
	for (int i = 0; t->mode != MODE_OPPORTUNISTIC &&
	    t->mode != MODE_TLS_NOAUTH && t->refids[i] != NULL; i++)
		if (SSL_add1_host(cn->io.ssl, t->refids[i]) != 1)
			goto err;
	if (netio_handshake(&cn->io, 0) != 0) {
		char eb[256];

		netio_tls_why(eb, sizeof(eb));
		ref_giveup(p, "TLS handshake with %s[%s]:%d failed: %s",
		    p->r->host, p->r->addr, p->r->port, eb);
		return -1;
	}
	ref_log(p, "TLS %s %s, SNI %s", SSL_get_version(cn->io.ssl),
	    SSL_get_cipher_name(cn->io.ssl), sni);
	if (p->proto == REF_XMPPS) {
		const unsigned char *sel;
		unsigned sellen;

		SSL_get0_alpn_selected(cn->io.ssl, &sel, &sellen);
		ref_log(p, "ALPN %.*s", (int)sellen, sellen ?
		    (const char *)sel : "(none)");
	}
	vr = SSL_get_verify_result(cn->io.ssl);
	ref_log(p, "verify result %ld: %s", vr,
	    X509_verify_cert_error_string(vr));
	if (t->mode == MODE_DANE) {
		depth = ref_tls_dane_match(p, cn->io.ssl);
		if (SSL_get0_peername(cn->io.ssl) != NULL)
			ref_log(p, "peer name matched: %s",
			    SSL_get0_peername(cn->io.ssl));
		return vr == X509_V_OK && depth >= 0;
	}
	if (t->mode == MODE_PKIX)
		return vr == X509_V_OK &&
		    SSL_get0_peer_certificate(cn->io.ssl) != NULL;
	return 0;
err:
	ERR_clear_error();
	ref_giveup(p, "internal: cannot set up TLS");
	return -1;
}

/* ref_tls_judge - after the handshake: may the client go on?  Sets *out. */
static int
ref_tls_judge(struct ref_probe *p, const struct ref_target *t, int auth,
    enum outcome *out)
{
	if (auth > 0) {
		*out = OUTCOME_AUTHENTICATED;
		ref_log(p, "peer authenticated (%s)", t->mode == MODE_DANE ?
		    "DANE" : "PKIX");
		return 1;
	}
	if (t->mode == MODE_DANE || t->mode == MODE_PKIX) {
		ref_giveup(p, "%s[%s]:%d: %s authentication failed: not going "
		    "on (%s)", p->r->host, p->r->addr, p->r->port,
		    t->mode == MODE_DANE ? "DANE" : "PKIX (no PKIX trust "
		    "store in the lab)", t->mode == MODE_PKIX ?
		    "mandatory policy" : p->proto == REF_SMTP ||
		    p->proto == REF_SMTPS ? "RFC 7672 3.2" : "RFC 7671 4.1");
		return 0;
	}
	*out = OUTCOME_ENCRYPTED;
	ref_log(p, "peer not authenticated; going on encrypted (%s)",
	    mode_names[t->mode]);
	return 1;
}

/* ref_smtp_deliver - the message transaction after (optional) TLS */
static void
ref_smtp_deliver(struct ref_probe *p, struct ref_conn *cn)
{
	char cmd[600];
	int code;

	if ((code = ref_smtp_cmd(cn, "EHLO " REF_HELO "\r\n", NULL)) != 250)
		goto rejected;
	if ((code = ref_smtp_cmd(cn, "MAIL FROM:<" REF_FROM ">\r\n", NULL))
	    != 250)
		goto rejected;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<postmaster@%s>\r\n", p->domain);
	if ((code = ref_smtp_cmd(cn, cmd, NULL)) != 250 && code != 251)
		goto rejected;
	if ((code = ref_smtp_cmd(cn, "DATA\r\n", NULL)) != 354)
		goto rejected;
	snprintf(cmd, sizeof(cmd), "From: <" REF_FROM ">\r\n"
	    "To: <postmaster@%s>\r\n"
	    "Subject: danelab reference client probe\r\n\r\n"
	    "A probe of the danelab reference DANE client.\r\n.\r\n",
	    p->domain);
	if ((code = ref_smtp_cmd(cn, cmd, NULL)) != 250)
		goto rejected;
	ref_log(p, "message accepted");
	ref_smtp_cmd(cn, "QUIT\r\n", NULL);
	return;
rejected:
	ref_log(p, "server rejected the transaction (reply %d)", code);
	snprintf(p->note, sizeof(p->note), "server rejected the transaction "
	    "(reply %d)", code);
	if (code > 0)
		ref_smtp_cmd(cn, "QUIT\r\n", NULL);
}

/* ref_smtp_session - one SMTP(S) session at a connected address */
static enum ref_attempt
ref_smtp_session(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, enum outcome *out)
{
	int starttls = 0, auth, code;

	if (p->proto == REF_SMTPS) {
		if ((auth = ref_tls_connect(p, cn, t, t->base)) < 0)
			return ATT_GAVEUP;
		if (!ref_tls_judge(p, t, auth, out))
			return ATT_GAVEUP;
		if (ref_smtp_reply(cn, NULL) != 220) {
			ref_giveup(p, "no 220 greeting");
			return ATT_GAVEUP;
		}
		ref_smtp_deliver(p, cn);
		return ATT_WENTON;
	}
	if ((code = ref_smtp_reply(cn, NULL)) != 220) {
		ref_giveup(p, "no 220 greeting");
		if (code > 0)
			ref_smtp_cmd(cn, "QUIT\r\n", NULL);
		return ATT_GAVEUP;
	}
	if ((code = ref_smtp_cmd(cn, "EHLO " REF_HELO "\r\n", &starttls))
	    != 250) {
		ref_giveup(p, "EHLO failed (reply %d)", code);
		if (code > 0)
			ref_smtp_cmd(cn, "QUIT\r\n", NULL);
		return ATT_GAVEUP;
	}
	if (starttls)
		code = ref_smtp_cmd(cn, "STARTTLS\r\n", NULL);
	if (!starttls || code != 220) {
		if (t->mode != MODE_OPPORTUNISTIC) {
			ref_giveup(p, "%s[%s]:%d: STARTTLS %s, but %s: no "
			    "cleartext fallback (RFC 7672 2.2)", p->r->host,
			    p->r->addr, p->r->port, starttls ? "refused" :
			    "not offered", mode_names[t->mode]);
			if (code > 0)
				ref_smtp_cmd(cn, "QUIT\r\n", NULL);
			return ATT_GAVEUP;
		}
		ref_log(p, "STARTTLS %s: going on in cleartext (opportunistic)",
		    starttls ? "refused" : "not offered");
		*out = OUTCOME_CLEARTEXT;
		ref_smtp_deliver(p, cn);
		return ATT_WENTON;
	}
	if (cn->io.inlen > 0) {
		ref_giveup(p, "data after the STARTTLS reply (injection?)");
		return ATT_GAVEUP;
	}
	if ((auth = ref_tls_connect(p, cn, t, t->base)) < 0)
		return ATT_GAVEUP;
	if (!ref_tls_judge(p, t, auth, out)) {
		ref_smtp_cmd(cn, "QUIT\r\n", NULL);
		return ATT_GAVEUP;
	}
	ref_smtp_deliver(p, cn);
	return ATT_WENTON;
}

/* ref_conn_wait - read until one of two markers appears; which (0/1) or -1 */
static int
ref_conn_wait(struct ref_conn *cn, const char *m0, const char *m1)
{
	for (;;) {
		if (m0 != NULL && strstr(cn->io.in, m0) != NULL)
			break;
		if (m1 != NULL && strstr(cn->io.in, m1) != NULL)
			break;
		if (ref_conn_fill(cn) < 0) {
			ref_log(cn->p, "%s: %.200s%s", cn->p->receiving ? "C"
			    : "S", cn->io.in, cn->io.inlen > 200 ? " ..." : "");
			ref_log(cn->p, "read failed waiting for %s", m0);
			return -1;
		}
	}
	ref_log(cn->p, "%s: %.300s%s", cn->p->receiving ? "C" : "S", cn->io.in,
	    cn->io.inlen > 300 ? " ..." : "");
	return m0 != NULL && strstr(cn->io.in, m0) != NULL ? 0 : 1;
}

/* ref_xmpp_open - send a stream header and read the stream features */
static int
ref_xmpp_open(struct ref_probe *p, struct ref_conn *cn, int *starttls)
{
	char *hdr = xmpp_wire_header(XMPP_WIRE_DECL, "", "to='%s' from='%s'",
	    p->domain, REF_XMPP_FROM);
	int sent = ref_conn_write(cn, hdr);

	free(hdr);
	if (sent < 0)
		return -1;
	if (ref_conn_wait(cn, "</stream:features>", "<stream:features/>") < 0)
		return -1;
	if (starttls != NULL)
		*starttls = strstr(cn->io.in, "<starttls") != NULL;
	netio_drain(&cn->io);
	return 0;
}

/* ref_xmpp_close - end the stream */
static void
ref_xmpp_close(struct ref_conn *cn)
{
	ref_conn_write(cn, "</stream:stream>");
}

/* ref_xmpp_session - one XMPP s2s session at a connected address */
static enum ref_attempt
ref_xmpp_session(struct ref_probe *p, struct ref_conn *cn,
    const struct ref_target *t, enum outcome *out)
{
	int starttls = 0, auth;

	if (p->proto == REF_XMPP) {
		if (ref_xmpp_open(p, cn, &starttls) < 0) {
			ref_giveup(p, "no stream features");
			return ATT_GAVEUP;
		}
		if (!starttls) {
			if (t->mode != MODE_OPPORTUNISTIC) {
				ref_giveup(p, "STARTTLS not offered, but %s",
				    mode_names[t->mode]);
				ref_xmpp_close(cn);
				return ATT_GAVEUP;
			}
			ref_log(p, "STARTTLS not offered: going on in "
			    "cleartext (opportunistic)");
			*out = OUTCOME_CLEARTEXT;
			ref_xmpp_close(cn);
			return ATT_WENTON;
		}
		if (ref_conn_write(cn, "<starttls "
		    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") < 0 ||
		    ref_conn_wait(cn, "<proceed", "<failure") != 0) {
			ref_giveup(p, "STARTTLS not accepted");
			return ATT_GAVEUP;
		}
		netio_drain(&cn->io);
	}
	if ((auth = ref_tls_connect(p, cn, t, p->domain)) < 0)
		return ATT_GAVEUP;
	if (!ref_tls_judge(p, t, auth, out))
		return ATT_GAVEUP;
	ref_log(p, "going on: stream %s", p->proto == REF_XMPP ? "restart" :
	    "open over TLS");
	if (ref_xmpp_open(p, cn, NULL) < 0)
		snprintf(p->note, sizeof(p->note), "no stream features after "
		    "TLS");
	ref_xmpp_close(cn);
	return ATT_WENTON;
}

/* ref_host_try - every address of t in turn; 1 when the client went on */
static int
ref_host_try(struct ref_probe *p, struct ref_target *t,
    const struct ref_addrs *ad)
{
	for (int i = 0; i < ad->n; i++) {
		enum outcome out = OUTCOME_NO_CONNECT;
		enum ref_attempt a;
		struct ref_conn cn;

		if (ref_left(p) <= 0) {
			ref_late(p);
			return 0;
		}
		snprintf(p->r->addr, sizeof(p->r->addr), "%s", ad->addr[i]);
		p->r->port = t->port;
		p->note[0] = '\0';
		if (ref_conn_open(p, &cn, ad->fam[i], ad->addr[i], t->port) < 0)
			continue;
		p->connected = 1;
		if (p->proto == REF_SMTP || p->proto == REF_SMTPS)
			a = ref_smtp_session(p, &cn, t, &out);
		else
			a = ref_xmpp_session(p, &cn, t, &out);
		ref_conn_close(&cn);
		if (a == ATT_WENTON) {
			p->r->outcome = out;
			snprintf(p->r->detail, sizeof(p->r->detail),
			    "%s at %s[%s]:%d (%s)%s%s", outcome_name(out),
			    t->host, ad->addr[i], t->port, mode_names[t->mode],
			    p->note[0] ? "; " : "", p->note);
			ref_log(p, "outcome: %s", p->r->detail);
			return 1;
		}
	}
	return 0;
}

/* ref_dns_tlsa_log - one line per TLSA record with what the client makes
 * of it */
static void
ref_dns_tlsa_log(struct ref_probe *p, const struct ref_target *t)
{
	static const char *const uses[] = { "usable", "unusable",
	    "dropped by digest agility (RFC 7671 9)" };

	for (size_t i = 0; i < t->ntlsa; i++)
		ref_log(p, "TLSA %u %u %u (%zu bytes): %s", t->tlsa[i].usage,
		    t->tlsa[i].selector, t->tlsa[i].mtype, t->tlsa[i].len,
		    uses[t->use[i]]);
}

/*
 * first_cname - the state of the CNAME RRset at host, whose address answer
 * was insecure at the end of a chain to canon: secure means "Insecure
 * CNAME" (RFC 7672 2.2.2), TLSA at host alone; insecure, no DANE.
 */
static enum ref_dns_state
ref_dns_first_cname(struct ref_probe *p, const char *host, const char *canon)
{
	struct ref_dns_ans a;
	enum ref_dns_state st;

	ref_dns_query(p, host, DNS_CNAME, "CNAME", &a);
	st = a.state;
	if (st == DNS_SECURE && a.res->havedata)
		ref_log(p, "address of %s insecure behind its secure CNAME (to "
		    "%s): TLSA at the original name only (RFC 7672 2.2.2)",
		    host, canon);
	else if (st == DNS_SECURE) {
		ref_log(p, "no CNAME at %s after all: address insecure, no "
		    "TLSA lookup (RFC 7672 2.2.2)", host);
		st = DNS_INSECURE;
	} else if (st == DNS_INSECURE)
		ref_log(p, "initial CNAME of %s insecure: no TLSA lookup "
		    "(RFC 7672 2.2.2)", host);
	ref_dns_free(&a);
	return st;
}

/*
 * host_plan - address and TLSA lookups for one host; sets t->mode and
 * returns 1 when the host is to be tried, 0 when it is skipped.  dane is
 * 0 when DANE cannot apply (XMPP with an insecure SRV RRset).
 */
static int
ref_host_plan(struct ref_probe *p, struct ref_target *t, struct ref_addrs *ad,
    int dane, struct ref_dns_ans *tlsa)
{
	int smtp = p->proto == REF_SMTP || p->proto == REF_SMTPS;
	size_t usable;

	memset(tlsa, 0, sizeof(*tlsa));
	dname_copy(t->base, sizeof(t->base), t->host);
	t->ntlsa = 0;
	ref_dns_addrs(p, t->host, ad);
	if (ad->state == DNS_BOGUS) {
		ref_giveup(p, "address lookup of %s bogus or indeterminate: "
		    "skip host (%s)", t->host, smtp ? "RFC 7672 2.2.2" :
		    "RFC 7673 3.2");
		return 0;
	}
	if (ad->n == 0) {
		ref_giveup(p, "%s has no address: skip host", t->host);
		return 0;
	}
	if (dane && smtp && refclient_addr_dane(t->host, ad->canon,
	    ad->state == DNS_SECURE) == REF_ADDR_ASK_CNAME) {
		switch (ref_dns_first_cname(p, t->host, ad->canon)) {
		case DNS_BOGUS:
			ref_giveup(p, "CNAME lookup of %s bogus or "
			    "indeterminate: skip host (RFC 7672 2.2.2)",
			    t->host);
			return 0;
		case DNS_SECURE:
			break;
		case DNS_INSECURE:
			dane = 0;
			break;
		}
	} else if (dane && ad->state != DNS_SECURE) {
		ref_log(p, "address of %s insecure: no TLSA lookup (%s)",
		    t->host, smtp ? "RFC 7672 2.2.2" : "RFC 7673 3.2");
		dane = 0;
	}
	if (!dane) {
		t->mode = smtp || p->policy == REF_OPPORTUNISTIC ?
		    MODE_OPPORTUNISTIC : MODE_PKIX;
	} else {
		switch (ref_dns_tlsa(p, t, ad, tlsa)) {
		case TLSA_BOGUS:
			ref_giveup(p, "TLSA lookup for %s bogus or "
			    "indeterminate: skip host (%s)", t->host, smtp ?
			    "RFC 7672 2.1.2" : "RFC 7673 3.4");
			return 0;
		case TLSA_FOUND:
			usable = refclient_tlsa_select(p->proto, t->tlsa,
			    t->ntlsa, t->use);
			ref_dns_tlsa_log(p, t);
			ref_log(p, "TLSA base domain %s, %zu usable record%s",
			    t->base, usable, usable == 1 ? "" : "s");
			if (usable > 0)
				t->mode = MODE_DANE;
			else if (smtp)
				t->mode = MODE_TLS_NOAUTH;
			else	/* RFC 7673 4: secure TLSA, TLS required */
				t->mode = p->policy == REF_OPPORTUNISTIC ?
				    MODE_TLS_NOAUTH : MODE_PKIX;
			break;
		case TLSA_NONE:
			ref_log(p, "no secure TLSA records for %s: no DANE",
			    t->host);
			t->mode = smtp || p->policy == REF_OPPORTUNISTIC ?
			    MODE_OPPORTUNISTIC : MODE_PKIX;
			break;
		}
	}
	if (smtp && p->policy == REF_MANDATORY && t->mode != MODE_DANE) {
		ref_giveup(p, "no usable TLSA records for %s under mandatory "
		    "DANE: skip host, delay (RFC 7672 6)", t->host);
		ref_dns_free(tlsa);
		return 0;
	}
	ref_log(p, "host %s port %d: %s", t->host, t->port,
	    mode_names[t->mode]);
	return 1;
}

/* ref_host_try_all - plan and try each host in order; 1 when the client
 * went on */
static int
ref_host_try_all(struct ref_probe *p, const struct ref_host *h, size_t n,
    int dane, const char *refid0, const char *refid1)
{
	for (size_t i = 0; i < n; i++) {
		struct ref_target t;
		struct ref_addrs ad;
		struct ref_dns_ans tlsa;
		int went;

		if (ref_left(p) <= 0) {
			ref_late(p);
			return 0;
		}
		memset(&t, 0, sizeof(t));
		t.host = h[i].name;
		t.port = h[i].port;
		t.refids[0] = refid0;
		t.refids[1] = refid0 != NULL ? refid1 : NULL;
		snprintf(p->r->host, sizeof(p->r->host), "%s", t.host);
		p->r->addr[0] = '\0';
		p->r->port = t.port;
		if (!ref_host_plan(p, &t, &ad, dane, &tlsa))
			continue;
		went = ref_host_try(p, &t, &ad);
		ref_dns_free(&tlsa);
		if (went)
			return 1;
	}
	return 0;
}

/* ref_dns_hosts - parse and order an MX or SRV answer; count or -1 */
static int
ref_dns_hosts(struct ref_probe *p, const struct ref_dns_ans *a,
    struct ref_host *h)
{
	size_t n = 0;

	for (int i = 0; a->res->data[i] != NULL && n < MAX_HOSTS; i++) {
		const unsigned char *rd = (const unsigned char *)a->res->data[i];
		int bad = a->res->qtype == DNS_MX ?
		    refclient_parse_mx(rd, (size_t)a->res->len[i], &h[n]) :
		    refclient_parse_srv(rd, (size_t)a->res->len[i], &h[n]);

		if (bad) {
			ref_log(p, "malformed %s record ignored",
			    a->res->qtype == DNS_MX ? "MX" : "SRV");
			continue;
		}
		n++;
	}
	refclient_sort_hosts(h, n);
	for (size_t i = 0; i < n; i++)
		ref_log(p, "  %u %u %d %s", h[i].pref, h[i].weight, h[i].port,
		    h[i].name[0] ? h[i].name : ".");
	return (int)n;
}

/* ref_smtp_probe - RFC 7672 delivery to p->domain */
static void
ref_smtp_probe(struct ref_probe *p)
{
	struct ref_host h[MAX_HOSTS];
	struct ref_dns_ans mx;
	char canon[256];
	int n, secure, port = p->proto == REF_SMTPS ? 465 : 25;

	ref_dns_query(p, p->domain, DNS_MX, "MX", &mx);
	if (mx.state == DNS_BOGUS) {
		ref_giveup(p, "MX lookup of %s bogus or indeterminate: delay "
		    "(RFC 7672 2.1.1, 2.2.1)", p->domain);
		ref_dns_free(&mx);
		return;
	}
	if (mx.nxdomain) {
		ref_giveup(p, "%s does not exist", p->domain);
		ref_dns_free(&mx);
		return;
	}
	secure = mx.state == DNS_SECURE;
	snprintf(canon, sizeof(canon), "%s", mx.canon);
	if (mx.nodata) {
		memset(&h[0], 0, sizeof(h[0]));
		dname_copy(h[0].name, sizeof(h[0].name), p->domain);
		n = 1;
		ref_log(p, "no MX: implicit MX %s (RFC 5321 5.1)", h[0].name);
	} else {
		n = ref_dns_hosts(p, &mx, h);
	}
	ref_dns_free(&mx);
	for (int i = 0; i < n; i++) {
		h[i].port = port;
		if (h[i].name[0] == '\0') {
			ref_giveup(p, "null MX: %s accepts no mail (RFC 7505)",
			    p->domain);
			return;
		}
	}
	if (n == 0) {
		ref_giveup(p, "no usable MX records");
		return;
	}
	if (!secure && p->policy == REF_MANDATORY) {
		ref_giveup(p, "MX RRset of %s insecure under mandatory DANE: "
		    "delay (RFC 7672 2.2.1, 6)", p->domain);
		return;
	}
	/* RFC 7672 3.2.2: the next-hop domain (and its CNAME expansion) is
	 * a reference identifier only when the MX RRset is secure. */
	(void)ref_host_try_all(p, h, (size_t)n, 1, secure ? p->domain : NULL,
	    canon[0] ? canon : NULL);
}

/* ref_xmpp_probe - RFC 7673 server-to-server connection to p->domain */
static void
ref_xmpp_probe(struct ref_probe *p)
{
	struct ref_host h[MAX_HOSTS];
	struct ref_dns_ans srv;
	char qname[300];
	int n, dane;

	snprintf(qname, sizeof(qname), "_%s._tcp.%s", p->proto == REF_XMPPS ?
	    "xmpps-server" : "xmpp-server", p->domain);
	ref_dns_query(p, qname, DNS_SRV, "SRV", &srv);
	if (srv.state == DNS_BOGUS) {
		ref_giveup(p, "SRV lookup bogus or indeterminate: abort "
		    "(RFC 7673 3.1)");
		ref_dns_free(&srv);
		return;
	}
	if (srv.nxdomain || srv.nodata) {
		ref_dns_free(&srv);
		if (p->proto == REF_XMPPS) {
			ref_giveup(p, "no _xmpps-server SRV records: no direct "
			    "TLS (XEP-0368)");
			return;
		}
		memset(&h[0], 0, sizeof(h[0]));
		dname_copy(h[0].name, sizeof(h[0].name), p->domain);
		h[0].port = 5269;
		n = 1;
		dane = 1;
		ref_log(p, "no SRV: fall back to %s:5269 (RFC 6120 3.2.2); "
		    "DANE by the address records' security", h[0].name);
	} else {
		dane = srv.state == DNS_SECURE;
		n = ref_dns_hosts(p, &srv, h);
		ref_dns_free(&srv);
		if (n == 1 && h[0].name[0] == '\0') {
			ref_giveup(p, "SRV target \".\": service not offered "
			    "(RFC 2782)");
			return;
		}
		if (!dane)
			ref_log(p, "SRV RRset insecure: DANE does not apply "
			    "(RFC 7673 3.1)");
	}
	/* Name checks: the source domain (SNI, set by SSL_dane_enable or
	 * SSL_set1_host) and the SRV target (RFC 7673 4), one target at a
	 * time so that each gets its own name. */
	for (int i = 0; i < n; i++)
		if (h[i].name[0] != '\0' &&
		    ref_host_try_all(p, &h[i], 1, dane, h[i].name, NULL))
			return;
}

/*
 * probe_ub_get - a resolver context for a probe: one per running probe,
 * from a pool so that validated keys stay cached from one probe to the
 * next.  0, or -1 with r->detail set.
 */
static int
ref_dns_get(struct ref_probe *p)
{
	struct refclient *c = p->c;
	int err;

	pthread_mutex_lock(&c->lock);
	if (c->npool > 0)
		p->ub = c->pool[--c->npool];
	pthread_mutex_unlock(&c->lock);
	if (p->ub == NULL && ((p->ub = ub_ctx_create()) == NULL ||
	    (err = ub_ctx_async(p->ub, 1)) != 0 ||
	    (err = ub_ctx_set_option(p->ub, "do-not-query-localhost:", "no"))
	    != 0 || (err = ub_ctx_set_fwd(p->ub, c->resolver)) != 0 ||
	    (err = ub_ctx_add_ta_file(p->ub, c->ta_file)) != 0)) {
		snprintf(p->r->detail, sizeof(p->r->detail), "internal: "
		    "cannot set up libunbound");
		ref_log(p, "%s", p->r->detail);
		return -1;
	}
	return 0;
}

/* ref_dns_put - back to the pool, unless a cancelled query or a
 * failure (ok == 0) may have left it in a bad state */
static void
ref_dns_put(struct ref_probe *p, int ok)
{
	struct refclient *c = p->c;

	if (p->ub != NULL && !p->ub_dirty && ok) {
		pthread_mutex_lock(&c->lock);
		c->pool = xrealloc(c->pool, (c->npool + 1) * sizeof(*c->pool));
		c->pool[c->npool++] = p->ub;
		pthread_mutex_unlock(&c->lock);
	} else if (p->ub != NULL)
		ub_ctx_delete(p->ub);
	p->ub = NULL;
}

struct refclient *
refclient_new(const char *resolver, const char *ta_file)
{
	struct refclient *c = xcalloc(1, sizeof(*c));
	struct ub_ctx *ub;
	int err;

	c->resolver = xstrdup(resolver);
	pthread_mutex_init(&c->lock, NULL);
	c->ta_file = xstrdup(ta_file);
	/* Check the resolver and trust anchor once, to fail early. */
	if ((ub = ub_ctx_create()) == NULL) {
		msg_warn("refclient: ub_ctx_create failed");
		return refclient_free(c);
	}
	if ((err = ub_ctx_set_fwd(ub, resolver)) != 0 ||
	    (err = ub_ctx_add_ta_file(ub, ta_file)) != 0) {
		msg_warn("refclient: resolver %s, trust anchor %s: %s",
		    resolver, ta_file, ub_strerror(err));
		ub_ctx_delete(ub);
		return refclient_free(c);
	}
	ub_ctx_delete(ub);
	/* No trust store: PKIX never succeeds in the lab.  Verification
	 * never aborts the handshake; the client judges the result. */
	if ((c->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_dane_enable(c->ssl_ctx) <= 0) {
		msg_warn("refclient: cannot set up an OpenSSL DANE context");
		ERR_clear_error();
		return refclient_free(c);
	}
	/* OpenSSL's default digest ordinals (SHA2-256 1, SHA2-512 2) give
	 * RFC 7671 9 agility; refclient_tlsa_select applies it too. */
	SSL_CTX_dane_set_flags(c->ssl_ctx, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
	/* OpenSSL writes to sockets with write(2): a peer that closes first
	 * must not kill the program. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		msg_warn("refclient: cannot ignore SIGPIPE");
	return c;
}

struct refclient *
refclient_free(struct refclient *c)
{
	if (c == NULL)
		return NULL;
	SSL_CTX_free(c->ssl_ctx);
	for (size_t i = 0; i < c->npool; i++)
		ub_ctx_delete(c->pool[i]);
	free(c->pool);
	pthread_mutex_destroy(&c->lock);
	free(c->resolver);
	free(c->ta_file);
	free(c);
	return NULL;
}

int
refclient_probe(struct refclient *c, enum ref_proto proto,
    const char *domain, enum ref_policy policy, int deadline_ms,
    struct ref_result *r)
{
	struct ref_probe p;
	char dom[256];
	int ret = 0;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	r->outcome = OUTCOME_NO_CONNECT;
	p.c = c;
	p.proto = proto;
	p.policy = policy;
	/* One spelling of the domain: no trailing dot (name checks, RCPT). */
	dname_copy(dom, sizeof(dom), domain);
	p.domain = dom;
	p.r = r;
	p.deadline = clock_ms() + (deadline_ms > 0 ? deadline_ms : 1);
	p.step_ms = deadline_ms / 4 > 1000 ? deadline_ms / 4 : 1000;
	ref_log(&p, "probe %s %s, %s", proto == REF_SMTP ? "smtp" :
	    proto == REF_SMTPS ? "smtps" : proto == REF_XMPP ? "xmpp" :
	    "xmpps", domain, policy == REF_MANDATORY ? "mandatory DANE" :
	    "opportunistic DANE");
	if (ref_dns_get(&p) != 0) {
		ret = -1;
		goto done;
	}
	if (proto == REF_SMTP || proto == REF_SMTPS)
		ref_smtp_probe(&p);
	else
		ref_xmpp_probe(&p);
	if (r->detail[0] == '\0') {
		r->outcome = p.connected ? OUTCOME_REFUSED : OUTCOME_NO_CONNECT;
		snprintf(r->detail, sizeof(r->detail), "%s: %s",
		    outcome_name(r->outcome), p.why[0] ? p.why :
		    "no host to try");
		ref_log(&p, "outcome: %s", r->detail);
	}
done:
	ref_dns_put(&p, ret == 0);
	r->log = p.log.data != NULL ? p.log.data : xstrdup("");
	return ret;
}

/*
 * The reference receiving server (refclient_receive): a connecting
 * server's identity by its TLSA records.
 */

/*
 * identity_tlsa - the TLSA records of the connecting domain dom: at
 * _xmpp-server.DOM, else (secure denial) at _PORT._tcp.TARGET of each
 * target of the secure _xmpp-server._tcp.DOM SRV RRset.  Any bogus
 * answer on the way makes the identity unusable (TLSA_BOGUS); an
 * insecure one means no DANE (TLSA_NONE).  The answers holding the
 * records stay in keep[0..*nkeep-1] for the caller to free.
 */
static enum ref_tlsa_state
ref_receive_identity(struct ref_probe *p, const char *dom, struct ref_target *t,
    struct ref_dns_ans *keep, size_t *nkeep)
{
	struct ref_dns_ans srv;
	struct ref_host h;
	char q[300];
	int bogus = 0;

	*nkeep = 0;
	snprintf(q, sizeof(q), "_xmpp-server.%s", dom);
	ref_dns_query(p, q, DNS_TLSA, "TLSA", &keep[0]);
	*nkeep = 1;
	if (keep[0].state == DNS_BOGUS)
		return TLSA_BOGUS;
	if (keep[0].state == DNS_INSECURE)
		return TLSA_NONE;
	if (keep[0].res->havedata) {
		snprintf(t->base, sizeof(t->base), "%.255s", q);
		ref_dns_tlsa_add(t, keep[0].res);
		return TLSA_FOUND;
	}
	snprintf(q, sizeof(q), "_xmpp-server._tcp.%s", dom);
	ref_dns_query(p, q, DNS_SRV, "SRV", &srv);
	if (srv.state != DNS_SECURE || !srv.res->havedata) {
		enum ref_dns_state st = srv.state;

		ref_dns_free(&srv);
		return st == DNS_BOGUS ? TLSA_BOGUS : TLSA_NONE;
	}
	for (int i = 0; srv.res->data[i] != NULL && *nkeep < MAX_HOSTS; i++) {
		struct ref_dns_ans *a = &keep[*nkeep];

		if (refclient_parse_srv((const unsigned char *)srv.res->data[i],
		    (size_t)srv.res->len[i], &h) != 0 || h.name[0] == '\0'
		    || strcmp(h.name, ".") == 0)
			continue;
		snprintf(q, sizeof(q), "_%d._tcp.%s", h.port, h.name);
		ref_dns_query(p, q, DNS_TLSA, "TLSA", a);
		(*nkeep)++;
		if (a->state == DNS_BOGUS)
			bogus = 1;
		else if (a->state == DNS_SECURE && a->res->havedata) {
			if (t->base[0] == '\0')
				snprintf(t->base, sizeof(t->base), "%.255s", q);
			ref_dns_tlsa_add(t, a->res);
		}
	}
	ref_dns_free(&srv);
	if (bogus)
		return TLSA_BOGUS;
	return t->ntlsa > 0 ? TLSA_FOUND : TLSA_NONE;
}

/* ref_receive_accept_any - let the handshake finish: the receiver judges
 * afterwards */
static int
ref_receive_accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* ref_receive_from - the "from" attribute of the stream header in s, into
 * out */
static int
ref_receive_from(const char *s, char *out, size_t size)
{
	const char *h = strstr(s, "<stream:stream"), *a, *end;
	size_t n;

	if (h == NULL || (end = strchr(h, '>')) == NULL)
		return -1;
	for (a = h; (a = strstr(a, "from=")) != NULL && a < end; a += 5) {
		char q = a[5];
		const char *close;

		if (a[-1] != ' ' && a[-1] != '\t' && a[-1] != '\n')
			continue;
		if ((q != '\'' && q != '"')
		    || (close = strchr(a + 6, q)) == NULL || close > end)
			return -1;
		n = (size_t)(close - (a + 6));
		if (n == 0 || n >= size)
			return -1;
		memcpy(out, a + 6, n);
		out[n] = 0;
		return 0;
	}
	return -1;
}

/* ref_receive_header - read a whole stream header ("<stream:stream ... >") */
static int
ref_receive_header(struct ref_conn *cn)
{
	const char *h;

	if (ref_conn_wait(cn, "<stream:stream", NULL) != 0)
		return -1;
	while ((h = strstr(cn->io.in, "<stream:stream")) == NULL
	    || strchr(h, '>') == NULL)
		if (ref_conn_fill(cn) < 0)
			return -1;
	return 0;
}

/* ref_receive_open - our stream header and features, in one write */
static int
ref_receive_open(struct ref_conn *cn, const char *local, const char *peer,
    const char *features)
{
	char *hdr = xmpp_wire_header(XMPP_WIRE_DECL | XMPP_WIRE_DIALBACK,
	    features, "from='%s' to='%s' id='ref-%d'", local, peer, cn->io.fd);
	int sent = ref_conn_write(cn, hdr);

	free(hdr);
	return sent;
}

/* ref_receive_tls - accept TLS, requesting the client certificate, and check
 * it against t's usable records; 1 authenticated, 0 not, -1 failed */
static int
ref_receive_tls(struct ref_probe *p, struct ref_conn *cn, SSL_CTX *ctx,
    const struct ref_target *t, size_t usable, const char *peer)
{
	long vr;
	int depth;
	size_t added = 0;

	if ((cn->io.ssl = SSL_new(ctx)) == NULL
	    || SSL_set_fd(cn->io.ssl, cn->io.fd) != 1)
		goto err;
	SSL_set_verify(cn->io.ssl, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
	    ref_receive_accept_any);
	if (usable > 0) {
		/* The reference identifier for DANE-TA is the domain. */
		if (SSL_dane_enable(cn->io.ssl, peer) <= 0)
			goto err;
		for (size_t i = 0; i < t->ntlsa; i++)
			if (t->use[i] == REF_TLSA_USE
			    && SSL_dane_tlsa_add(cn->io.ssl,
			    t->tlsa[i].usage, t->tlsa[i].selector,
			    t->tlsa[i].mtype, t->tlsa[i].data,
			    t->tlsa[i].len) > 0)
				added++;
		ERR_clear_error();
	}
	if (netio_handshake(&cn->io, 1) != 0) {
		char eb[256];

		netio_tls_why(eb, sizeof(eb));
		ref_giveup(p, "TLS handshake with %s failed: %s", peer, eb);
		return -1;
	}
	ref_log(p, "TLS %s %s; client certificate %s",
	    SSL_get_version(cn->io.ssl), SSL_get_cipher_name(cn->io.ssl),
	    SSL_get0_peer_certificate(cn->io.ssl) ? "presented" : "none");
	if (added == 0) {
		ref_log(p, "no usable TLSA record: %s is not authenticated",
		    peer);
		return 0;
	}
	vr = SSL_get_verify_result(cn->io.ssl);
	ref_log(p, "verify result %ld: %s", vr,
	    X509_verify_cert_error_string(vr));
	depth = ref_tls_dane_match(p, cn->io.ssl);
	return SSL_get0_peer_certificate(cn->io.ssl) != NULL && vr == X509_V_OK
	    && depth >= 0;
err:
	ERR_clear_error();
	ref_giveup(p, "internal: cannot set up TLS");
	return -1;
}

/* ref_receive_session - the receiving side of one s2s connection */
static void
ref_receive_session(struct ref_probe *p, struct ref_conn *cn, SSL_CTX *ctx,
    const char *local)
{
	static const char starttls[] = "<stream:features><starttls xmlns="
	    "'urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
	    "</stream:features>";
	static const char external[] = "<stream:features><mechanisms xmlns="
	    "'urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL"
	    "</mechanism></mechanisms></stream:features>";
	static const char dialback[] = "<stream:features><dialback xmlns="
	    "'urn:xmpp:features:dialback'/></stream:features>";
	static const char violation[] = "<stream:error><policy-violation "
	    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
	    "</stream:stream>";
	struct ref_target *t = xcalloc(1, sizeof(*t));
	struct ref_dns_ans *keep = xcalloc(MAX_HOSTS, sizeof(*keep));
	size_t nkeep = 0, usable = 0;
	enum ref_tlsa_state ts;
	char from[256], peer[256];
	int auth;

	p->connected = 1;
	if (ref_receive_header(cn) != 0 || ref_receive_from(cn->io.in, from,
	    sizeof(from)) != 0) {
		ref_giveup(p, "no stream header with a from attribute");
		goto out;
	}
	dname_copy(peer, sizeof(peer), from);
	snprintf(p->r->host, sizeof(p->r->host), "%s", peer);
	netio_drain(&cn->io);
	/* The identity's records, before TLS (the peer waits for features). */
	ts = ref_receive_identity(p, peer, t, keep, &nkeep);
	if (ts == TLSA_FOUND) {
		usable = refclient_tlsa_select(REF_XMPP_IN, t->tlsa, t->ntlsa,
		    t->use);
		ref_dns_tlsa_log(p, t);
	}
	ref_log(p, "identity of %s: %s", peer, ts == TLSA_BOGUS ? "TLSA bogus "
	    "or indeterminate: cannot be authenticated" : ts == TLSA_NONE ?
	    "no secure TLSA records: no DANE" : usable ? "usable TLSA records"
	    : "only unusable TLSA records");
	if (ref_receive_open(cn, local, peer, starttls) != 0 ||
	    ref_conn_wait(cn, "<starttls", NULL) != 0) {
		ref_giveup(p, "no STARTTLS from %s", peer);
		goto out;
	}
	netio_drain(&cn->io);
	if (ref_conn_write(cn, "<proceed xmlns='urn:ietf:params:xml:ns:"
	    "xmpp-tls'/>") != 0)
		goto out;
	if ((auth = ref_receive_tls(p, cn, ctx, t, usable, peer)) < 0)
		goto out;
	if (ref_receive_header(cn) != 0) {
		ref_giveup(p, "no stream restart after TLS");
		goto out;
	}
	netio_drain(&cn->io);
	if (!auth && p->policy == REF_MANDATORY) {
		ref_receive_open(cn, local, peer, "");
		ref_conn_write(cn, violation);
		ref_giveup(p, "%s not authenticated: closing the stream "
		    "(mandatory policy)", peer);
		goto out;
	}
	if (!auth) {
		ref_receive_open(cn, local, peer, dialback);
		p->r->outcome = OUTCOME_ENCRYPTED;
		snprintf(p->r->detail, sizeof(p->r->detail), "%s not "
		    "authenticated: the stream goes on without EXTERNAL "
		    "(opportunistic)", peer);
	} else if (ref_receive_open(cn, local, peer, external) != 0
	    || ref_conn_wait(cn, "<auth", NULL) != 0
	    || strstr(cn->io.in, "EXTERNAL") == NULL) {
		ref_giveup(p, "no SASL EXTERNAL from %s", peer);
		goto out;
	} else {
		netio_drain(&cn->io);
		ref_conn_write(cn, "<success xmlns='urn:ietf:params:xml:ns:"
		    "xmpp-sasl'/>");
		p->r->outcome = OUTCOME_AUTHENTICATED;
		snprintf(p->r->detail, sizeof(p->r->detail), "%s authenticated "
		    "by DANE: SASL EXTERNAL offered and accepted", peer);
	}
	ref_log(p, "outcome: %s: %s", outcome_name(p->r->outcome),
	    p->r->detail);
	/* The peer ends the stream; answer in kind. */
	if (ref_conn_wait(cn, "</stream:stream>", NULL) == 0)
		ref_conn_write(cn, "</stream:stream>");
out:
	for (size_t i = 0; i < nkeep; i++)
		ref_dns_free(&keep[i]);
	free(keep);
	free(t);
}

int
refclient_server_ctx(SSL_CTX *ctx)
{
	if (SSL_CTX_dane_enable(ctx) <= 0) {
		ERR_clear_error();
		msg_warn("refclient: cannot enable DANE on a server context");
		return 0;
	}
	SSL_CTX_dane_set_flags(ctx, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	return 1;
}

int
refclient_receive(struct refclient *c, int fd, SSL_CTX *ctx,
    const char *local, enum ref_policy policy, int deadline_ms,
    struct ref_result *r)
{
	struct ref_probe p;
	struct ref_conn cn;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	r->outcome = OUTCOME_NO_CONNECT;
	p.c = c;
	p.proto = REF_XMPP_IN;
	p.policy = policy;
	p.domain = local;
	p.r = r;
	p.receiving = 1;
	p.deadline = clock_ms() + (deadline_ms > 0 ? deadline_ms : 1);
	p.step_ms = deadline_ms / 2 > 1000 ? deadline_ms / 2 : 1000;
	cn.p = &p;
	netio_init(&cn.io, p.deadline, p.step_ms, REF_IN_MAX);
	cn.io.fd = fd;
	ref_log(&p, "receive as %s, %s", local, policy == REF_MANDATORY ?
	    "authentication required" : "unauthenticated peers allowed");
	if (ref_dns_get(&p) != 0)
		ret = -1;
	else
		ref_receive_session(&p, &cn, ctx, local);
	ref_conn_close(&cn);
	ref_dns_put(&p, ret == 0);
	if (ret == 0 && r->detail[0] == '\0') {
		r->outcome = OUTCOME_REFUSED;
		snprintf(r->detail, sizeof(r->detail), "refused: %s", p.why[0]
		    ? p.why : "the stream ended");
		ref_log(&p, "outcome: %s", r->detail);
	}
	r->log = p.log.data != NULL ? p.log.data : xstrdup("");
	return ret;
}
