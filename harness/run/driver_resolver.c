/*
 * driver_resolver.c - validating resolvers as targets (resolver:NAME,
 * proto dns): the lab runs the named validator beside its own, at its
 * own address (lab.h: beside), and for every scenario the harness asks
 * it each RRset plan_rrsets derives from the scenario model (MX, SRV,
 * the zones' records, A and TLSA at every host), with libldns, from this
 * process, in the lab's network namespace, and grades the answer's rcode
 * and AD bit against what the zones' states and faults say it must be.
 * A bogus TLSA RRset called secure is the worst fail and says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>

#include <ldns/ldns.h>

#include "clock.h"
#include "driver.h"
#include "lab.h"
#include "mem.h"
#include "plan.h"
#include "resolver.h"
#include "stop.h"
#include "template.h"

#define DRIVER_DNS_TIMEOUT_S	10	/* per query (a lame zone: SERVFAIL) */

struct driver_resolver {
	int id;				/* enum resolver_id, DRIVER_STUB_DELV */
	char *bin;
	char *keys;			/* delv: the trust anchor file */
	char **env;			/* delv: its environment */
};

/* What a worker asks with: a libldns stub resolver, or delv. */
struct driver_asker {
	ldns_resolver *res;		/* NULL: delv */
	struct run *r;
	const struct driver_resolver *d;
};

/* driver_resolver_id - the resolver of target "resolver:NAME", or -1 */
int
driver_resolver_id(const char *target)
{
	size_t n = strlen(DRIVER_RESOLVER_PREFIX);

	if (strncmp(target, DRIVER_RESOLVER_PREFIX, n) != 0)
		return -1;
	if (strcmp(target + n, "delv") == 0)
		return DRIVER_STUB_DELV;
	return resolver_lookup(target + n);
}

char *
driver_resolver_env(const char *target)
{
	int id = driver_resolver_id(target);

	return xstrdup(id == DRIVER_STUB_DELV ? "DANELAB_DELV_BIN"
	    : resolver_kind(id)->env);
}

int
driver_delv_parse(const char *out, int *rcode, int *ad, int *answers)
{
	const char *fail = strstr(out, ";; resolution failed: ");
	const char *line;

	*rcode = -1;
	/* One status line per RRset of a CNAME chain: AD when all validated. */
	*ad = (strstr(out, "; fully validated") != NULL
	    || strstr(out, "; negative response, fully validated") != NULL)
	    && strstr(out, "unsigned answer") == NULL;
	*answers = 0;
	for (line = out; line && *line; line = strchr(line, '\n')
	    ? strchr(line, '\n') + 1 : NULL)
		if (*line != ';' && *line != '\n')
			(*answers)++;
	if (fail == NULL)
		*rcode = *ad || strstr(out, "; unsigned answer")
		    ? LDNS_RCODE_NOERROR : -1;
	else if (strncmp(fail + 22, "ncache nxdomain", 15) == 0)
		*rcode = LDNS_RCODE_NXDOMAIN;
	else if (strncmp(fail + 22, "ncache nxrrset", 14) == 0)
		*rcode = LDNS_RCODE_NOERROR;
	else
		*rcode = LDNS_RCODE_SERVFAIL;
	if (*rcode == LDNS_RCODE_SERVFAIL)
		*ad = 0;
	return *rcode < 0 ? -1 : 0;
}

/* driver_rcode_name - an rcode's name, "no answer" for -1 */
static const char *
driver_rcode_name(int rcode)
{
	static const char *const rn[] = { "NOERROR", "FORMERR", "SERVFAIL",
		"NXDOMAIN", "NOTIMP", "REFUSED" };

	return rcode < 0 ? "no answer" : rcode < 6 ? rn[rcode]
	    : "another rcode";
}

int
driver_dns_grade(const struct zone_expect *e, const char *type, int rcode,
    int ad, int answers, char **why)
{
	const char *got = driver_rcode_name(rcode);
	int want_fail = e->status == ZONE_STATUS_BOGUS
	    || e->status == ZONE_STATUS_INDETERMINATE;
	int want_ad = e->status == ZONE_STATUS_SECURE
	    || e->status == ZONE_STATUS_SECURE_DENIAL;
	int denial = e->status == ZONE_STATUS_SECURE_DENIAL
	    || e->status == ZONE_STATUS_INSECURE_DENIAL;
	int want_rcode = want_fail ? LDNS_RCODE_SERVFAIL : denial && e->nxdomain
	    ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR;

	*why = NULL;
	if (want_fail && rcode == LDNS_RCODE_NOERROR && ad) {
		*why = xasprintf("WORST: validated a %s %s RRset as secure "
		    "(NOERROR with AD)%s", zone_status_name(e->status), type,
		    strcasecmp(type, "TLSA") == 0 ? ": a DANE client would "
		    "trust forged TLSA records" : "");
		return 2;
	}
	if (rcode == want_rcode && (want_fail || !ad == !want_ad)
	    && (want_fail || denial || answers > 0))
		return 0;
	if (rcode == want_rcode && !want_fail && ad && !want_ad)
		*why = xasprintf("AD on an %s answer (%s)", zone_status_name(
		    e->status), got);
	else if (rcode == want_rcode && !want_fail && !ad && want_ad)
		*why = xasprintf("no AD on a %s answer (%s): a DANE client "
		    "would take it as insecure", zone_status_name(e->status),
		    got);
	else if (rcode == want_rcode)
		*why = xasprintf("%s without an answer where the RRset is "
		    "published", got);
	else
		*why = xasprintf("%s%s where %s must give %s", got, ad
		    ? " with AD" : "", zone_status_name(e->status),
		    driver_rcode_name(want_rcode));
	return 1;
}

/* driver_delv_probe - is delv there (, PATH)? */
static enum cell_state
driver_delv_probe(struct driver_resolver *d, struct run_target *t, char **why)
{
	d->bin = resolver_delv();
	if (d->bin == NULL) {
		*why = xasprintf("%s unavailable: delv not found in PATH: install "
		    "the Debian package bind9-dnsutils, or set DANELAB_DELV_BIN",
		    t->name);
		return CELL_SKIPPED;
	}
	t->version = xasprintf("delv (BIND 9 stub validator) at %s, asking "
	    "the lab's resolver", d->bin);
	return CELL_PENDING;
}

/* driver_resolver_probe - installed?  The unpacked VERSION, else the
 * binary's path */
static enum cell_state
driver_resolver_probe(struct run *r, struct run_target *t, char **why)
{
	struct driver_resolver *d = xcalloc(1, sizeof(*d));
	const struct resolver_kind *k;
	char *vfile, *text;

	(void)r;
	t->data = d;
	d->id = driver_resolver_id(t->name);
	/* The harness asks a validator its scenarios' RRsets: the scenarios'
	 * query expectations (asks, never-asks) are about DANE clients. */
	t->dns_note = xstrdup("queries not judged: the harness asks a "
	    "validator target its RRsets; asks and never-asks are about DANE "
	    "clients");
	if (d->id == DRIVER_STUB_DELV)
		return driver_delv_probe(d, t, why);
	k = resolver_kind(d->id);
	if ((d->bin = resolver_which(d->id, NULL, 1, why)) == NULL) {
		char *w = xasprintf("%s unavailable: %s", t->name, *why);

		free(*why);
		*why = w;
		return CELL_SKIPPED;
	}
	vfile = k->unpacked ? xasprintf("%s/VERSION", k->unpacked) : NULL;
	if (vfile && (text = file_read(vfile, NULL)) != NULL) {
		text[strcspn(text, "\n")] = 0;
		t->version = xasprintf("%s (%s)", text, d->bin);
		free(text);
	} else
		t->version = xasprintf("%s at %s (proto dns)", k->program,
		    d->bin);
	free(vfile);
	return CELL_PENDING;
}

/* driver_resolver_setup - the lab started it beside its own resolver (one
 * that did not start errs its own cells, saying why); delv gets the lab
 * root's DS as its trust anchor file */
static enum cell_state
driver_resolver_setup(struct run *r, struct run_target *t, char **why)
{
	struct driver_resolver *d = t->data;
	char *text;

	if (d->id != DRIVER_STUB_DELV) {
		if ((text = lab_beside_failed(r->lab, d->id)) == NULL)
			return CELL_PENDING;
		*why = xasprintf("%s did not start in the lab: %s", t->name,
		    text);
		free(text);
		return CELL_ERROR;
	}
	d->keys = xasprintf("%s/delv.keys", lab_dir(r->lab));
	if ((text = resolver_bind_anchor(zone_tree_trust_anchor(r->w->tree)))
	    == NULL || file_write(d->keys, text, strlen(text)) != 0) {
		*why = xasprintf("%s: cannot write %s", t->name, d->keys);
		free(text);
		return CELL_ERROR;
	}
	free(text);
	d->env = lab_env();
	return CELL_PENDING;
}

/* driver_delv_ask - one delv run inside the lab, asking the lab's
 * resolver; its output appended to log */
static void
driver_delv_ask(const struct driver_asker *a, const char *name,
    const char *type, int *rcode, int *ad, int *answers, struct buf *log)
{
	char *argv[] = { a->d->bin, "@" LAB_RESOLVER_ADDR, "-a", a->d->keys,
	    "+root=.", (char *)name, (char *)type, NULL };
	struct lab_cmd c = { .path = a->d->bin, .argv = argv,
	    .envp = a->d->env, .workdir = lab_dir(a->r->lab),
	    .deadline_ms = a->r->probe_ms, .out = NULL };
	struct buf out = { 0 };
	int rc;

	c.out = &out;
	rc = lab_run(lab_keeper(a->r->lab), &c);
	if (rc < 0 || driver_delv_parse(out.data, rcode, ad, answers) != 0) {
		*rcode = -1;
		*ad = *answers = 0;
		buf_printf(log, "  delv %s %s (exit %d): %s", name, type, rc,
		    out.data);
	}
	buf_free(&out);
}

/* driver_resolver_ask - one query: the answer's rcode (-1: none), AD bit
 * and answer count */
static void
driver_resolver_ask(const struct driver_asker *a, const char *name,
    const char *type, int *rcode, int *ad, int *answers, struct buf *log)
{
	ldns_resolver *res = a->res;

	ldns_rdf *qn = ldns_dname_new_frm_str(name);
	ldns_pkt *p = NULL;

	if (res == NULL) {
		ldns_rdf_deep_free(qn);
		driver_delv_ask(a, name, type, rcode, ad, answers, log);
		return;
	}
	*rcode = -1;
	*ad = *answers = 0;
	if (qn && ldns_resolver_send(&p, res, qn, ldns_get_rr_type_by_name(type),
	    LDNS_RR_CLASS_IN, LDNS_RD) == LDNS_STATUS_OK && p) {
		*rcode = ldns_pkt_get_rcode(p);
		*ad = ldns_pkt_ad(p);
		*answers = ldns_pkt_ancount(p);
	}
	ldns_pkt_free(p);
	ldns_rdf_deep_free(qn);
}

/* driver_resolver_new - a libldns stub resolver asking addr, DO set */
static ldns_resolver *
driver_resolver_new(const char *addr)
{
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *a = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, addr);
	struct timeval tv = { DRIVER_DNS_TIMEOUT_S, 0 };

	ldns_resolver_push_nameserver(res, a);
	ldns_rdf_deep_free(a);
	ldns_resolver_set_dnssec(res, true);
	ldns_resolver_set_recursive(res, true);
	ldns_resolver_set_edns_udp_size(res, 1232);
	ldns_resolver_set_fallback(res, true);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_random(res, false);
	return res;
}

/* driver_resolver_cell - ask every RRset of cell ci's scenario and judge */
static void
driver_resolver_cell(struct run *r, const struct run_target *t, size_t ci,
    const struct driver_asker *a)
{
	const struct scenario *s = run_scenario(r, ci);
	struct report_cell *c = &r->cells[ci];
	struct buf detail = { 0 }, bad = { 0 };
	unsigned counts[ZONE_STATUS_COUNT] = { 0 };
	size_t n, nbad = 0;
	struct plan_rrset *v = plan_rrsets(r->w->plan, s, &n);
	double t0 = clock_s();
	int worst = 0;

	for (size_t i = 0; i < n && !stop_requested(); i++) {
		int rcode, ad, answers, g;
		char *why;

		driver_resolver_ask(a, v[i].name, v[i].type, &rcode, &ad,
		    &answers, &detail);
		g = driver_dns_grade(&v[i].expect, v[i].type, rcode, ad,
		    answers, &why);
		counts[v[i].expect.status]++;
		buf_printf(&detail, "%s %s %s: expected %s%s (%s); got %s%s, "
		    "%d answer%s%s%s\n", g ? "FAIL" : "ok  ", v[i].name,
		    v[i].type, zone_status_name(v[i].expect.status),
		    v[i].expect.nxdomain ? " (NXDOMAIN)" : "", v[i].expect.why,
		    driver_rcode_name(rcode), ad ? " ad" : "", answers,
		    answers == 1 ? "" : "s", why ? ": " : "", why ? why : "");
		if (g) {
			nbad++;
			if (g > worst || bad.data == NULL) {
				buf_free(&bad);
				buf_printf(&bad, "%s %s: %s", v[i].name,
				    v[i].type, why);
			}
			worst = g > worst ? g : worst;
		}
		free(why);
	}
	free(c->expected);
	c->expected = xasprintf("%zu RRsets as the zones say: %u secure, %u "
	    "insecure, %u secure-denial, %u insecure-denial, %u bogus, %u "
	    "indeterminate", n, counts[0], counts[1], counts[2], counts[3],
	    counts[4], counts[5]);
	free(c->observed);
	c->observed = nbad ? xasprintf("%zu of %zu RRsets wrong", nbad, n)
	    : xasprintf("%zu of %zu RRsets as expected", n, n);
	free(c->reason);
	if (nbad > 1)
		buf_printf(&bad, " (and %zu more: see the detail)", nbad - 1);
	c->reason = nbad ? xstrdup(bad.data)
	    : xstrdup("every rcode and AD bit as the zones' states and faults "
	    "say");
	c->verdict = nbad ? VERDICT_FAIL : VERDICT_PASS;
	free(c->detail);
	c->detail = detail.data ? detail.data : xstrdup("");
	c->seconds = clock_s() - t0;
	judge_baseline(target_baseline_match(t->baseline, t->nbaseline, s->id,
	    "dns", "any"), c);
	r->keys[ci].state = CELL_OBSERVED;
	buf_free(&bad);
	plan_rrsets_free(v, n);
	if (c->verdict != VERDICT_PASS)
		run_say(r, c);
}

/* The cells of one batch, taken one at a time by the workers. */
struct driver_resolver_work {
	struct run *r;
	const struct run_target *t;
	const size_t *cells;
	size_t n;
	size_t next;
	pthread_mutex_t lock;
};

/* driver_resolver_worker - one stub resolver, cells until none is left */
static void *
driver_resolver_worker(void *arg)
{
	struct driver_resolver_work *w = arg;
	const struct driver_resolver *d = w->t->data;
	struct driver_asker a = { .r = w->r, .d = d };

	if (d->id != DRIVER_STUB_DELV)
		a.res = driver_resolver_new(resolver_target_addr(d->id));

	for (;;) {
		size_t i;

		pthread_mutex_lock(&w->lock);
		i = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (i >= w->n || stop_requested())
			break;
		driver_resolver_cell(w->r, w->t, w->cells[i], &a);
	}
	if (a.res)
		ldns_resolver_deep_free(a.res);
	return NULL;
}

/* driver_resolver_run - every cell of the batch, --jobs at a time (at
 * most 8: one validator answers them all) */
static void
driver_resolver_run(struct run *r, struct run_target *t, enum proto p,
    enum policy q, const size_t *cells, size_t n)
{
	struct driver_resolver_work w = { .r = r, .t = t, .cells = cells,
	    .n = n };
	size_t jobs = r->o->jobs > 8 ? 8 : (size_t)r->o->jobs;

	(void)p;
	(void)q;
	pthread_mutex_init(&w.lock, NULL);
	workers_run(jobs < n ? jobs : n, driver_resolver_worker, &w);
	pthread_mutex_destroy(&w.lock);
}

/* driver_resolver_teardown - the lab stops it */
static void
driver_resolver_teardown(struct run *r, struct run_target *t)
{
	(void)r;
	(void)t;
}

static void
driver_resolver_release(struct run_target *t)
{
	struct driver_resolver *d = t->data;

	if (d) {
		free(d->bin);
		free(d->keys);
		if (d->env)
			lab_env_free(d->env);
	}
	free(d);
	t->data = NULL;
}

const struct driver driver_resolver = {
	.name = "resolver",
	.probe = driver_resolver_probe,
	.setup = driver_resolver_setup,
	.serve = NULL,
	.run = driver_resolver_run,
	.teardown = driver_resolver_teardown,
	.release = driver_resolver_release,
};
