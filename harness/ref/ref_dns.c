/*
 * ref_dns.c - the reference client's DNS (ref_probe.h): a pool of
 * libunbound contexts, validating by themselves with the lab root key, in
 * threaded async mode so that every lookup is bounded by the probe's
 * deadline; the lookups of a probe (MX or SRV, addresses, CNAME, TLSA),
 * each classified secure, insecure or bogus and logged.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <unbound.h>

#include "clock.h"
#include "dname.h"
#include "mem.h"
#include "ref_probe.h"

static const char *const dns_state_names[] = { "secure", "insecure", "bogus" };

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
void
ref_dns_free(struct ref_dns_ans *a)
{
	if (a->res != NULL)
		ub_resolve_free(a->res);
	a->res = NULL;
}

/* ref_dns_query - look up name/type within the deadline and classify it */
void
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

/* ref_dns_addrs - A then AAAA of host (RFC 7672 2.2.2: before TLSA) */
void
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

/* ref_dns_tlsa_add - append the records of a secure, non-empty TLSA answer to t
 * (borrowing the answer's data) */
void
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
 * ref_dns_tlsa - TLSA at _port._tcp.<candidate> for each base domain
 * candidate in turn; fills t->base and t->tlsa (borrowing from *keep).
 */
enum ref_tlsa_state
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

/* ref_dns_tlsa_log - one line per TLSA record with what the client makes
 * of it */
void
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
 * ref_dns_first_cname - the state of the CNAME RRset at host, whose
 * address answer was insecure at the end of a chain to canon: secure
 * means "Insecure CNAME" (RFC 7672 2.2.2), TLSA at host alone; insecure,
 * no DANE.
 */
enum ref_dns_state
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

/* ref_dns_hosts - parse and order an MX or SRV answer; count or -1 */
int
ref_dns_hosts(struct ref_probe *p, const struct ref_dns_ans *a,
    struct ref_host *h)
{
	size_t n = 0;

	for (int i = 0; a->res->data[i] != NULL && n < MAX_HOSTS; i++) {
		const unsigned char *rd =
		    (const unsigned char *)a->res->data[i];
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

/*
 * ref_dns_get - a resolver context for a probe: one per running probe,
 * from the pool of its slot so that validated keys stay cached from one
 * probe to the next.  It caches keys only: no answers (message and RRset
 * caches of size 0) and no aggressive NSEC (RFC 8198), as the lab's
 * Unbound, so that every lookup the client makes is asked and the lab's
 * query log shows it.  0, or -1 with r->detail set.
 */
int
ref_dns_get(struct ref_probe *p)
{
	struct refclient *c = p->c;
	int err;

	pthread_mutex_lock(&c->lock);
	if (p->slot < c->npools && c->pools[p->slot].n > 0)
		p->ub = c->pools[p->slot].ctx[--c->pools[p->slot].n];
	pthread_mutex_unlock(&c->lock);
	if (p->ub == NULL && ((p->ub = ub_ctx_create()) == NULL ||
	    (err = ub_ctx_async(p->ub, 1)) != 0 ||
	    (err = ub_ctx_set_option(p->ub, "do-not-query-localhost:", "no"))
	    != 0 || (err = ub_ctx_set_option(p->ub, "aggressive-nsec:", "no"))
	    != 0 || (err = ub_ctx_set_option(p->ub, "msg-cache-size:", "0"))
	    != 0 || (err = ub_ctx_set_option(p->ub, "rrset-cache-size:", "0"))
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
void
ref_dns_put(struct ref_probe *p, int ok)
{
	struct refclient *c = p->c;

	if (p->ub != NULL && !p->ub_dirty && ok) {
		struct ref_pool *pool;

		pthread_mutex_lock(&c->lock);
		if (p->slot >= c->npools) {
			c->pools = xrealloc(c->pools, (p->slot + 1) *
			    sizeof(*c->pools));
			memset(c->pools + c->npools, 0, (p->slot + 1 -
			    c->npools) * sizeof(*c->pools));
			c->npools = p->slot + 1;
		}
		pool = &c->pools[p->slot];
		pool->ctx = xrealloc(pool->ctx, (pool->n + 1) *
		    sizeof(*pool->ctx));
		pool->ctx[pool->n++] = p->ub;
		pthread_mutex_unlock(&c->lock);
	} else if (p->ub != NULL)
		ub_ctx_delete(p->ub);
	p->ub = NULL;
}

void
refclient_forget(struct refclient *c)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->npools; i++) {
		while (c->pools[i].n > 0)
			ub_ctx_delete(c->pools[i].ctx[--c->pools[i].n]);
		free(c->pools[i].ctx);
		c->pools[i].ctx = NULL;
	}
	pthread_mutex_unlock(&c->lock);
}
