/*
 * check_judge.c - the judge (judge.h): attribution of sessions to probes,
 * the MUSTs checked on the endpoints' accounting, and verdicts against
 * expectations (per-outcome hosts, "not", "prefer") and baselines.
 */
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "mem.h"
#include "suites.h"
#include "driver.h"
#include "zone.h"

/* One scenario of every shape the judge needs, parsed for real. */
static const char judge_scn[] =
    "scenario  j-fallback\n"
    "summary   auth fails at mx1, mx2 matches\n"
    "refs      RFC7672 2.2\n"
    "proto     smtp\n"
    "host      mx1 full\n"
    "host      mx2 full\n"
    "mx        10 mx1\n"
    "mx        20 mx2\n"
    "tlsa      mx1 3 1 1 leaf corrupt\n"
    "tlsa      mx2 3 1 1 leaf\n"
    "expect    smtp opportunistic authenticated@mx2,refused@mx1 not mx3 "
    "cite RFC7672 2.2\n"
    "expect    smtp mandatory encrypted,refused at mx1 cite RFC7672 6 "
    "prefer refused cite RFC7672 6\n"
    "host      mx3 full\n"
    "\n"
    "scenario  j-cname\n"
    "summary   mx1 is a CNAME to real\n"
    "refs      RFC7672 2.2.3\n"
    "proto     smtp\n"
    "host      real full\n"
    "mx        10 mx1\n"
    "cname     mx1 real\n"
    "tlsa      real 3 1 1 leaf\n"
    "expect    smtp any authenticated at real cite RFC7672 2.2.3\n"
    "\n"
    "scenario  j-asks\n"
    "summary   query expectations\n"
    "refs      RFC7672 2.2.3\n"
    "proto     smtp xmpp\n"
    "zone      hosts secure\n"
    "host      real.hosts full\n"
    "mx        10 mx1\n"
    "cname     mx1 real.hosts\n"
    "srv       xmpp-server 10 0 5269 real.hosts\n"
    "tlsa      real.hosts 3 1 1 leaf\n"
    "expect    all any authenticated cite RFC7672 2.2.3\n"
    "asks      smtp TLSA _25._tcp.real.hosts before TLSA _25._tcp.mx1 "
    "cite RFC7672 2.2.3\n"
    "never-asks smtp TLSA _25._tcp.mx2 should cite RFC7672 2.2.2\n"
    "never-asks xmpp A mx1 cite RFC7673 3.2\n";

static struct scn_catalogue judge_cat;

static void
judge_setup(void)
{
	memset(&judge_cat, 0, sizeof(judge_cat));
	ck_assert_int_eq(scn_parse_text(&judge_cat, "judge.scn", judge_scn,
	    strlen(judge_scn), NULL), 0);
	ck_assert_uint_eq(judge_cat.n, 3);
}

static void
judge_teardown(void)
{
	scn_catalogue_free(&judge_cat);
}

/* conn - a session record at tag, opened at ms, carrying probe */
static struct endpoint_conn
conn(const char *tag, long long ms, const char *probe, enum outcome o)
{
	struct endpoint_conn c;

	memset(&c, 0, sizeof(c));
	snprintf(c.tag, sizeof(c.tag), "%s", tag);
	snprintf(c.addr, sizeof(c.addr), "127.1.0.1");
	c.port = 25;
	snprintf(c.probe, sizeof(c.probe), "%s", probe);
	c.opened_ms = c.closed_ms = ms;
	c.outcome = o;
	return c;
}

START_TEST(test_attribute)
{
	struct report_cell cells[3];
	struct endpoint_conn cs[5];
	char *why;
	size_t own, final;
	int went_on;

	memset(cells, 0, sizeof(cells));
	cells[0].target = "postfix";
	cells[0].scenario = "j-fallback";
	cells[0].proto = "smtp";
	cells[0].policy = "opportunistic";
	/* Own id at any time; no id inside [100, 200]; the rest stray. */
	cs[0] = conn("j/mx1", 50, "", OUTCOME_REFUSED);		/* before */
	cs[1] = conn("j/mx1", 150, "", OUTCOME_REFUSED);	/* in window */
	cs[2] = conn("j/mx2", 999, "c2", OUTCOME_ENCRYPTED);	/* own id, late */
	cs[3] = conn("j/mx2", 150, "c0", OUTCOME_ENCRYPTED);	/* cell 0's */
	cs[4] = conn("j/mx2", 201, "", OUTCOME_ENCRYPTED);	/* after */
	own = judge_attribute(cells, 3, 2, cs, 5, 100, 200, &why);
	ck_assert_uint_eq(own, 2);
	ck_assert_int_eq(cs[0].opened_ms, 150);
	ck_assert_str_eq(cs[1].probe, "c2");
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, "3 stray sessions") != NULL, "%s", why);
	ck_assert_msg(strstr(why, "opened 0.050 s before the probe began"),
	    "%s", why);
	ck_assert_msg(strstr(why, "carrying probe c0 (postfix j-fallback smtp "
	    "opportunistic)"), "%s", why);
	ck_assert_msg(strstr(why, "opened 0.001 s after the target ended"),
	    "%s", why);
	free(why);

	/* Nothing stray: no reason, every session kept in order. */
	cs[0] = conn("j/mx1", 120, "", OUTCOME_REFUSED);
	cs[1] = conn("j/mx2", 130, "c1", OUTCOME_ENCRYPTED);
	own = judge_attribute(cells, 3, 1, cs, 2, 100, 200, &why);
	ck_assert_uint_eq(own, 2);
	ck_assert_ptr_null(why);
	/* An id that is no cell of the run. */
	cs[0] = conn("j/mx1", 120, "c77", OUTCOME_REFUSED);
	own = judge_attribute(cells, 3, 1, cs, 1, 100, 200, &why);
	ck_assert_uint_eq(own, 0);
	ck_assert_msg(why && strstr(why, "probe id c77, not one of this run"),
	    "%s", why ? why : "(null)");
	free(why);

	/* Opened in one millisecond, finished in the other order (sendmail
	 * keeps the first MX's connection for its QUIT at the end): the
	 * accept order decides, and the last session that went on is mx2. */
	cs[0] = conn("j/mx2", 150, "c1", OUTCOME_ENCRYPTED);
	cs[0].seq = 8;
	cs[1] = conn("j/mx1", 150, "c1", OUTCOME_CLEARTEXT);
	cs[1].seq = 7;
	own = judge_attribute(cells, 3, 1, cs, 2, 100, 200, &why);
	ck_assert_uint_eq(own, 2);
	ck_assert_str_eq(cs[0].tag, "j/mx1");
	ck_assert_int_eq(judge_observe(cs, own, &final, &went_on),
	    OUTCOME_ENCRYPTED);
	ck_assert_uint_eq(final, 1);
}
END_TEST

START_TEST(test_observe)
{
	struct endpoint_conn cs[3] = { 0 };
	size_t final;
	int went_on;

	ck_assert_int_eq(judge_observe(cs, 0, &final, &went_on),
	    OUTCOME_NO_CONNECT);
	cs[0] = conn("j/mx1", 1, "", OUTCOME_REFUSED);
	cs[1] = conn("j/mx2", 2, "", OUTCOME_ENCRYPTED);
	cs[2] = conn("j/mx1", 3, "", OUTCOME_REFUSED);
	ck_assert_int_eq(judge_observe(cs, 3, &final, &went_on),
	    OUTCOME_ENCRYPTED);
	ck_assert_uint_eq(final, 1);
	ck_assert_int_eq(went_on, 1);
	ck_assert_int_eq(judge_observe(cs, 1, &final, &went_on),
	    OUTCOME_REFUSED);
	ck_assert_int_eq(went_on, 0);
	ck_assert_str_eq(judge_host_of_tag("j-fallback/mx2"), "mx2");
}
END_TEST

START_TEST(test_violation)
{
	const struct scenario *fb = judge_cat.list[0], *cn = judge_cat.list[1];
	const struct scn_expect *e = scn_expect_for(fb, PROTO_SMTP,
	    POLICY_OPPORTUNISTIC);
	struct endpoint_conn cs[2];
	char *v;

	/* "not mx3": any session there, whatever the outcome. */
	cs[0] = conn("j-fallback/mx3", 1, "", OUTCOME_REFUSED);
	cs[1] = conn("j-fallback/mx2", 2, "", OUTCOME_ENCRYPTED);
	snprintf(cs[1].sni, sizeof(cs[1].sni), "mx2.j-fallback.example");
	v = judge_violation(fb, e, PROTO_SMTP, cs, 2, 1, OUTCOME_AUTHENTICATED);
	ck_assert_msg(v && strstr(v, "connected to mx3, which it must not"),
	    "%s", v ? v : "(null)");
	free(v);
	v = judge_violation(fb, e, PROTO_SMTP, cs + 1, 1, 0,
	    OUTCOME_AUTHENTICATED);
	ck_assert_ptr_null(v);
	/* SNI: none, or another name, is a fail only when authenticated. */
	cs[1].sni[0] = 0;
	v = judge_violation(fb, e, PROTO_SMTP, cs + 1, 1, 0,
	    OUTCOME_AUTHENTICATED);
	ck_assert_msg(v && strstr(v, "with SNI none, not the TLSA base domain"),
	    "%s", v ? v : "(null)");
	free(v);
	ck_assert_ptr_null(judge_violation(fb, e, PROTO_SMTP, cs + 1, 1, 0,
	    OUTCOME_ENCRYPTED));
	ck_assert_ptr_null(judge_violation(fb, e, PROTO_XMPP, cs + 1, 1, 0,
	    OUTCOME_AUTHENTICATED));
	/* The base domain may be the CNAME's owner, case and dot aside. */
	e = scn_expect_for(cn, PROTO_SMTP, POLICY_MANDATORY);
	cs[0] = conn("j-cname/real", 1, "", OUTCOME_ENCRYPTED);
	snprintf(cs[0].sni, sizeof(cs[0].sni), "MX1.j-cname.example.");
	ck_assert_ptr_null(judge_violation(cn, e, PROTO_SMTP, cs, 1, 0,
	    OUTCOME_AUTHENTICATED));
	snprintf(cs[0].sni, sizeof(cs[0].sni), "real.j-cname.example");
	ck_assert_ptr_null(judge_violation(cn, e, PROTO_SMTP, cs, 1, 0,
	    OUTCOME_AUTHENTICATED));
	snprintf(cs[0].sni, sizeof(cs[0].sni), "j-cname.example");
	v = judge_violation(cn, e, PROTO_SMTP, cs, 1, 0, OUTCOME_AUTHENTICATED);
	ck_assert_ptr_nonnull(v);
	free(v);
}
END_TEST

/* verdict - judge one cell of j-fallback; the cell is freed by the caller
 * through cell_free */
static void
verdict(struct report_cell *c, enum policy q, enum outcome o,
    const char *host, const char *violation, const char *error,
    const struct target_deviation *dev)
{
	const struct scn_expect *e = scn_expect_for(judge_cat.list[0],
	    PROTO_SMTP, q);
	struct judge_seen w = { o, host, violation, error, "why" };

	memset(c, 0, sizeof(*c));
	c->expected = judge_expected_text(e);
	judge_cell(e, dev, c, &w);
}

static void
cell_free(struct report_cell *c)
{
	free(c->expected);
	free(c->observed);
	free(c->reason);
}

START_TEST(test_cell)
{
	struct target_deviation dev = { "j-*", "*", "*", "known", 0, 1, NULL };
	struct target_deviation flaky = { "j-*", "*", "*", "flaky", 1, 2, NULL };
	struct target_deviation lab = { "j-*", "*", "*", "SERVFAIL", 0, 3,
	    "bind" };
	struct report_cell c;

	/* Each outcome at its own host. */
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_AUTHENTICATED, "mx2", NULL,
	    NULL, NULL);
	ck_assert_str_eq(c.expected, "authenticated at mx2,refused at mx1");
	ck_assert_int_eq(c.verdict, VERDICT_PASS);
	ck_assert_int_eq(c.not_preferred, 0);
	cell_free(&c);
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_REFUSED, "mx1", NULL, NULL,
	    NULL);
	ck_assert_int_eq(c.verdict, VERDICT_PASS);
	cell_free(&c);
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_REFUSED, "mx2", NULL, NULL,
	    NULL);
	ck_assert_int_eq(c.verdict, VERDICT_FAIL);
	ck_assert_str_eq(c.observed, "refused at mx2");
	cell_free(&c);
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_AUTHENTICATED, "mx1", NULL,
	    NULL, NULL);
	ck_assert_int_eq(c.verdict, VERDICT_FAIL);
	cell_free(&c);
	/* A violation fails whatever the outcome; a baseline makes xfail. */
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_AUTHENTICATED, "mx2",
	    "it connected to mx3", NULL, NULL);
	ck_assert_int_eq(c.verdict, VERDICT_FAIL);
	ck_assert_msg(strstr(c.reason, "but it connected to mx3"), "%s",
	    c.reason);
	cell_free(&c);
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_ENCRYPTED, "mx1", NULL, NULL,
	    &dev);
	ck_assert_int_eq(c.verdict, VERDICT_XFAIL);
	ck_assert_msg(strncmp(c.reason, "known deviation: known", 22) == 0,
	    "%s", c.reason);
	cell_free(&c);
	/* SHOULD: allowed but not preferred, still a pass. */
	verdict(&c, POLICY_MANDATORY, OUTCOME_ENCRYPTED, "mx1", NULL, NULL, NULL);
	ck_assert_int_eq(c.verdict, VERDICT_PASS);
	ck_assert_int_eq(c.not_preferred, 1);
	cell_free(&c);
	verdict(&c, POLICY_MANDATORY, OUTCOME_REFUSED, "mx1", NULL, NULL, NULL);
	ck_assert_int_eq(c.not_preferred, 0);
	cell_free(&c);
	/* A listed pass is an xpass, unless the line is intermittent. */
	verdict(&c, POLICY_MANDATORY, OUTCOME_REFUSED, "mx1", NULL, NULL, &dev);
	ck_assert_int_eq(c.verdict, VERDICT_XPASS);
	cell_free(&c);
	verdict(&c, POLICY_MANDATORY, OUTCOME_REFUSED, "mx1", NULL, NULL,
	    &flaky);
	ck_assert_int_eq(c.verdict, VERDICT_PASS);
	ck_assert_msg(strstr(c.reason, "intermittent deviation: flaky"), "%s",
	    c.reason);
	cell_free(&c);
	/* The lab validator's line: a fail is its xfail, a pass stays one. */
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_ENCRYPTED, "mx1", NULL, NULL,
	    &lab);
	ck_assert_int_eq(c.verdict, VERDICT_XFAIL);
	ck_assert_msg(strstr(c.reason, "known deviation of the lab's validator "
	    "(bind), not of this target: SERVFAIL") == c.reason, "%s", c.reason);
	cell_free(&c);
	verdict(&c, POLICY_MANDATORY, OUTCOME_REFUSED, "mx1", NULL, NULL, &lab);
	ck_assert_int_eq(c.verdict, VERDICT_PASS);
	ck_assert_msg(strstr(c.reason, "validator bind deviates here: SERVFAIL"),
	    "%s", c.reason);
	cell_free(&c);
	/* An error stays an error, whatever was seen or listed. */
	verdict(&c, POLICY_MANDATORY, OUTCOME_REFUSED, "mx1", "it broke a MUST",
	    "3 stray sessions", &dev);
	ck_assert_int_eq(c.verdict, VERDICT_ERROR);
	ck_assert_str_eq(c.reason, "3 stray sessions");
	cell_free(&c);
}
END_TEST

START_TEST(test_prober)
{
	struct endpoint_conn cs[2];
	enum outcome seen = OUTCOME_COUNT;
	const char *host = NULL;
	char *e;

	cs[0] = conn("j-fallback/mx1", 10, "", OUTCOME_REFUSED);
	cs[1] = conn("j-fallback/mx2", 20, "", OUTCOME_ENCRYPTED);
	cs[1].tls_done = 1;
	/* Its word is the outcome where the endpoints bear it out. */
	ck_assert_ptr_null(judge_prober(OUTCOME_AUTHENTICATED, cs, 2, &seen,
	    &host));
	ck_assert_int_eq(seen, OUTCOME_AUTHENTICATED);
	ck_assert_str_eq(host, "mx2");
	ck_assert_ptr_null(judge_prober(OUTCOME_REFUSED, cs, 2, &seen, &host));
	ck_assert_int_eq(seen, OUTCOME_REFUSED);
	ck_assert_ptr_null(judge_prober(OUTCOME_NO_CONNECT, cs, 0, &seen,
	    &host));
	ck_assert_int_eq(seen, OUTCOME_NO_CONNECT);
	ck_assert_ptr_null(host);
	/* Else an error saying how they disagree. */
	seen = OUTCOME_COUNT;
	e = judge_prober(OUTCOME_ENCRYPTED, cs, 1, &seen, &host);
	ck_assert_str_eq(e, "the target says encrypted, but the lab's "
	    "endpoints saw 1 connection without what that needs");
	ck_assert_int_eq(seen, OUTCOME_COUNT);
	free(e);
	e = judge_prober(OUTCOME_NO_CONNECT, cs, 2, &seen, &host);
	ck_assert_str_eq(e, "the target says no-connect, but the lab's "
	    "endpoints saw 2 connections without what that needs");
	free(e);
	e = judge_prober(OUTCOME_CLEARTEXT, cs, 0, &seen, &host);
	ck_assert_str_eq(e, "the target says cleartext, but the lab's "
	    "endpoints saw 0 connections");
	free(e);
}
END_TEST

START_TEST(test_unprobed)
{
	struct report_cell c;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(judge_unprobed(&c, CELL_SKIPPED, "x unavailable"),
	    CELL_SKIPPED);
	ck_assert_int_eq(c.verdict, VERDICT_SKIP);
	ck_assert_str_eq(c.observed, "");
	ck_assert_str_eq(c.reason, "x unavailable");
	cell_free(&c);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(judge_unprobed(&c, CELL_ERROR, "x setup failed"),
	    CELL_ERROR);
	ck_assert_int_eq(c.verdict, VERDICT_ERROR);
	ck_assert_str_eq(c.reason, "x setup failed");
	cell_free(&c);
}
END_TEST

/* asks - judge_asks of scenario j-asks for proto over "TYPE NAME" words
 * (absolute names, any case) */
static size_t
asks(enum proto proto, const char *const *qs, size_t n, char **must,
    char **should)
{
	struct report_query q[8];
	size_t applied;

	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++) {
		const char *sp = strchr(qs[i], ' ');

		memset(&q[i], 0, sizeof(q[i]));
		q[i].type = xstrndup(qs[i], (size_t)(sp - qs[i]));
		q[i].name = xstrdup(sp + 1);
		q[i].rcode = xstrdup("NOERROR");
		q[i].state = xstrdup("");
	}
	applied = judge_asks(judge_cat.list[2], proto, q, n, must, should);
	for (size_t i = 0; i < n; i++) {
		free(q[i].type);
		free(q[i].name);
		free(q[i].rcode);
		free(q[i].state);
	}
	return applied;
}

START_TEST(test_asks)
{
	const char *exp = "TLSA _25._tcp.real.j-asks-hosts.example";
	const char *orig = "TLSA _25._tcp.MX1.j-asks.example.";
	const char *in_order[] = { "A mx1.j-asks.example", exp, orig };
	const char *reversed[] = { orig, exp };
	const char *other[] = { "TLSA _25._tcp.real.j-asks-hosts.example.x",
	    "TLSA _25._tcp.mx2.j-asks.example" };
	char *must, *should;

	/* The expanded name first: met; the protocol's own lines only. */
	ck_assert_uint_eq(asks(PROTO_SMTP, in_order, 3, &must, &should), 2);
	ck_assert_ptr_null(must);
	ck_assert_ptr_null(should);
	/* The original name first: a MUST broken. */
	asks(PROTO_SMTP, reversed, 2, &must, &should);
	ck_assert_ptr_nonnull(must);
	ck_assert_msg(strstr(must, "it asked TLSA _25._tcp.mx1.j-asks.example "
	    "before TLSA _25._tcp.real.j-asks-hosts.example, which it must "
	    "not (RFC7672 2.2.3)"), "%s", must);
	ck_assert_ptr_null(should);
	free(must);
	/* Never asked (a name below it is another name); a SHOULD NOT
	 * missed is reported apart. */
	asks(PROTO_SMTP, other, 2, &must, &should);
	ck_assert_msg(must && strstr(must, "it never asked TLSA "
	    "_25._tcp.real.j-asks-hosts.example, which it must"), "%s", must);
	ck_assert_msg(should && strstr(should, "it asked TLSA "
	    "_25._tcp.mx2.j-asks.example, which it should not (RFC7672 "
	    "2.2.2)"), "%s", should);
	free(must);
	free(should);
	/* xmpp: only its never-asks applies. */
	ck_assert_uint_eq(asks(PROTO_XMPP, reversed, 2, &must, &should), 1);
	ck_assert_ptr_null(must);
	ck_assert_uint_eq(asks(PROTO_XMPP, in_order, 1, &must, &should), 1);
	ck_assert_msg(must && strstr(must, "it asked A mx1.j-asks.example, "
	    "which it must not (RFC7673 3.2)"), "%s", must);
	free(must);
}
END_TEST

START_TEST(test_queries)
{
	struct target_deviation dev = { "j-*", "*", "*", "known", 0, 1, NULL };
	struct report_cell c;

	/* A broken MUST turns a pass into a fail, an xfail when listed. */
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_AUTHENTICATED, "mx2", NULL,
	    NULL, NULL);
	judge_queries(&c, NULL, "it never asked TLSA x", NULL);
	ck_assert_int_eq(c.verdict, VERDICT_FAIL);
	ck_assert_msg(strstr(c.reason, "but it never asked TLSA x"), "%s",
	    c.reason);
	cell_free(&c);
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_AUTHENTICATED, "mx2", NULL,
	    NULL, NULL);
	judge_queries(&c, &dev, "it never asked TLSA x", NULL);
	ck_assert_int_eq(c.verdict, VERDICT_XFAIL);
	ck_assert_msg(strncmp(c.reason, "known deviation: known", 22) == 0,
	    "%s", c.reason);
	cell_free(&c);
	/* An xpass whose baseline foresaw the broken MUST: an xfail. */
	verdict(&c, POLICY_MANDATORY, OUTCOME_REFUSED, "mx1", NULL, NULL, &dev);
	ck_assert_int_eq(c.verdict, VERDICT_XPASS);
	judge_queries(&c, &dev, "it asked A y", NULL);
	ck_assert_int_eq(c.verdict, VERDICT_XFAIL);
	cell_free(&c);
	/* A fail stays a fail and says both. */
	verdict(&c, POLICY_OPPORTUNISTIC, OUTCOME_REFUSED, "mx2", NULL, NULL,
	    NULL);
	judge_queries(&c, NULL, "it asked A y", "it asked A z");
	ck_assert_int_eq(c.verdict, VERDICT_FAIL);
	ck_assert_msg(strstr(c.reason, "and it asked A y"), "%s", c.reason);
	cell_free(&c);
	/* A missed SHOULD: pass, not preferred, saying why. */
	verdict(&c, POLICY_MANDATORY, OUTCOME_REFUSED, "mx1", NULL, NULL, NULL);
	ck_assert_int_eq(c.not_preferred, 0);
	judge_queries(&c, NULL, NULL, "it asked A z");
	ck_assert_int_eq(c.verdict, VERDICT_PASS);
	ck_assert_int_eq(c.not_preferred, 1);
	ck_assert_msg(strstr(c.reason, "not preferred: it asked A z"), "%s",
	    c.reason);
	cell_free(&c);
	/* Errors stay errors. */
	verdict(&c, POLICY_MANDATORY, OUTCOME_REFUSED, "mx1", NULL, "broke",
	    NULL);
	judge_queries(&c, NULL, "it asked A y", NULL);
	ck_assert_int_eq(c.verdict, VERDICT_ERROR);
	ck_assert_str_eq(c.reason, "broke");
	cell_free(&c);
}
END_TEST

/* check_grade - driver_dns_grade of one answer against status (nx) */
static int
check_grade(enum zone_status st, int nx, const char *type, int rcode, int ad,
    int answers, const char *why_has)
{
	struct zone_expect e = { .status = st, .nxdomain = nx };
	char *why = NULL;
	int g = driver_dns_grade(&e, type, rcode, ad, answers, &why);

	if (why_has)
		ck_assert_msg(why && strstr(why, why_has), "why: %s, wanted %s",
		    why ? why : "(none)", why_has);
	if (g == 0)
		ck_assert_ptr_null(why);
	free(why);
	return g;
}

/* A validator's rcode and AD bit graded against what the zones say. */
START_TEST(test_dns_grade)
{
	/* As expected. */
	ck_assert_int_eq(check_grade(ZONE_STATUS_SECURE, 0, "TLSA", 0, 1, 2,
	    NULL), 0);
	ck_assert_int_eq(check_grade(ZONE_STATUS_INSECURE, 0, "A", 0, 0, 1,
	    NULL), 0);
	ck_assert_int_eq(check_grade(ZONE_STATUS_BOGUS, 0, "TLSA", 2, 0, 0,
	    NULL), 0);
	ck_assert_int_eq(check_grade(ZONE_STATUS_INDETERMINATE, 0, "MX", 2, 0,
	    0, NULL), 0);
	ck_assert_int_eq(check_grade(ZONE_STATUS_SECURE_DENIAL, 1, "TLSA", 3,
	    1, 0, NULL), 0);
	ck_assert_int_eq(check_grade(ZONE_STATUS_INSECURE_DENIAL, 0, "TLSA", 0,
	    0, 0, NULL), 0);
	/* The worst: a bogus TLSA RRset validated as secure. */
	ck_assert_int_eq(check_grade(ZONE_STATUS_BOGUS, 0, "TLSA", 0, 1, 2,
	    "forged TLSA"), 2);
	ck_assert_int_eq(check_grade(ZONE_STATUS_INDETERMINATE, 0, "A", 0, 1,
	    1, "WORST"), 2);
	/* Wrong, but not the worst. */
	ck_assert_int_eq(check_grade(ZONE_STATUS_BOGUS, 0, "TLSA", 0, 0, 2,
	    "must give SERVFAIL"), 1);
	ck_assert_int_eq(check_grade(ZONE_STATUS_SECURE, 0, "TLSA", 0, 0, 2,
	    "no AD"), 1);
	ck_assert_int_eq(check_grade(ZONE_STATUS_INSECURE, 0, "A", 0, 1, 1,
	    "AD on an insecure"), 1);
	ck_assert_int_eq(check_grade(ZONE_STATUS_SECURE, 0, "A", 2, 0, 0,
	    "SERVFAIL where secure"), 1);
	ck_assert_int_eq(check_grade(ZONE_STATUS_SECURE, 0, "A", -1, 0, 0,
	    "no answer"), 1);
	ck_assert_int_eq(check_grade(ZONE_STATUS_SECURE, 0, "A", 0, 1, 0,
	    "without an answer"), 1);
	ck_assert_int_eq(check_grade(ZONE_STATUS_SECURE_DENIAL, 1, "TLSA", 0,
	    1, 0, "NOERROR with AD where secure-denial must give NXDOMAIN"), 1);
	ck_assert_int_eq(check_grade(ZONE_STATUS_SECURE_DENIAL, 0, "TLSA", 0,
	    0, 0, "no AD"), 1);
}
END_TEST

/* delv's output as an answer: per RRset status lines, a CNAME chain
 * secure only when every link is, denials and failures. */
START_TEST(test_delv_parse)
{
	int rcode, ad, n;

	ck_assert_int_eq(driver_delv_parse("; fully validated\n"
	    "a.example.\t300\tIN\tA\t127.1.0.1\n"
	    "a.example.\t300\tIN\tRRSIG\tA 15 2 ...\n", &rcode, &ad, &n), 0);
	ck_assert(rcode == 0 && ad && n == 2);
	ck_assert_int_eq(driver_delv_parse("; fully validated\n"
	    "a.example. 300 IN CNAME t.ins.example.\n\n"
	    "; unsigned answer\nt.ins.example. 300 IN TLSA 3 1 1 AB\n",
	    &rcode, &ad, &n), 0);
	ck_assert(rcode == 0 && !ad && n == 2);
	ck_assert_int_eq(driver_delv_parse(";; resolution failed: ncache "
	    "nxdomain\n; negative response, fully validated\n; x\n", &rcode,
	    &ad, &n), 0);
	ck_assert(rcode == 3 && ad && n == 0);
	ck_assert_int_eq(driver_delv_parse(";; resolution failed: ncache "
	    "nxrrset\n; negative response, unsigned answer\n", &rcode, &ad,
	    &n), 0);
	ck_assert(rcode == 0 && !ad && n == 0);
	ck_assert_int_eq(driver_delv_parse(";; resolution failed: failure\n",
	    &rcode, &ad, &n), 0);
	ck_assert(rcode == 2 && !ad);
	ck_assert_int_eq(driver_delv_parse("delv: cannot read anchors\n",
	    &rcode, &ad, &n), -1);
}
END_TEST

Suite *
judge_suite(void)
{
	Suite *s = suite_create("judge");
	TCase *tc = tcase_create("judge");

	tcase_add_checked_fixture(tc, judge_setup, judge_teardown);
	tcase_add_test(tc, test_attribute);
	tcase_add_test(tc, test_observe);
	tcase_add_test(tc, test_violation);
	tcase_add_test(tc, test_cell);
	tcase_add_test(tc, test_prober);
	tcase_add_test(tc, test_unprobed);
	tcase_add_test(tc, test_asks);
	tcase_add_test(tc, test_queries);
	tcase_add_test(tc, test_dns_grade);
	tcase_add_test(tc, test_delv_parse);
	suite_add_tcase(s, tc);
	return s;
}
