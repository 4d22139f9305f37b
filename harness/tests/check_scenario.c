/*
 * check_scenario.c - the scenario language (scenarios/README.md): the
 * parser reads untrusted input, so every rule it enforces has a case
 * here: expansion of axes and "when", expectations (per-outcome hosts,
 * "not", "prefer"), each keyword's word counts, unknown keywords, the
 * usage made from the parser's tables, and errors as file:line: message,
 * all of them in one pass, in line order, counted once each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "scenario.h"
#include "zone.h"
#include "suites.h"

/* parse - text into cat; the error messages into *errs (caller frees).
 * Returns the parser's count, which must be the number of lines. */
static int
parse(struct scn_catalogue *cat, const char *text, char **errs)
{
	size_t len = 0, lines = 0;
	FILE *fp = open_memstream(errs, &len), *old;
	int n;

	ck_assert_ptr_nonnull(fp);
	memset(cat, 0, sizeof(*cat));
	old = msg_input_stream(fp);
	n = scn_parse_text(cat, "t.scn", text, strlen(text), NULL);
	msg_input_stream(old);
	fclose(fp);
	for (size_t i = 0; i < len; i++)
		lines += (*errs)[i] == '\n';
	ck_assert_msg(n >= 0 && (size_t)n == lines, "count %d, lines %zu:\n%s",
	    n, lines, *errs);
	return n;
}

static const char good[] =
    "scenario  s-{k}\n"
    "summary   one {k}\n"
    "refs      RFC7672 2.2\n"
    "proto     smtp\n"
    "axis      k a b\n"
    "host      mx1 full\n"
    "host      mx2 full\n"
    "mx        10 mx1\n"
    "mx        20 mx2\n"
    "tlsa      mx1 3 1 1 leaf when k=a\n"
    "tlsa      mx1 3 1 1 leaf corrupt when k=b\n"
    "tlsa      mx2 3 1 1 leaf\n"
    "expect    smtp opportunistic authenticated@mx2,refused@mx1 not mx3 "
    "cite RFC7672 2.2 when k=b\n"
    "expect    smtp opportunistic authenticated at mx1 cite RFC7672 2.2 "
    "when k=a\n"
    "expect    smtp mandatory refused,no-connect cite RFC7672 6 "
    "prefer no-connect cite RFC7672 6\n"
    "host      mx3 full\n";

START_TEST(test_expand)
{
	struct scn_catalogue cat;
	const struct scn_expect *e;
	char *errs = NULL;

	ck_assert_int_eq(parse(&cat, good, &errs), 0);
	ck_assert_msg(errs == NULL || *errs == 0, "%s", errs);
	ck_assert_uint_eq(cat.n, 2);
	ck_assert_str_eq(cat.list[0]->id, "s-a");
	ck_assert_str_eq(cat.list[1]->id, "s-b");
	ck_assert_uint_eq(cat.list[0]->ntlsas, 2);
	/* k=a: one host for every outcome */
	e = scn_expect_for(cat.list[0], PROTO_SMTP, POLICY_OPPORTUNISTIC);
	ck_assert_str_eq(e->host, "mx1");
	ck_assert_ptr_null(e->avoid);
	ck_assert_str_eq(scn_expect_host(e, OUTCOME_AUTHENTICATED), "mx1");
	/* k=b: a host per outcome, a host not to touch */
	e = scn_expect_for(cat.list[1], PROTO_SMTP, POLICY_OPPORTUNISTIC);
	ck_assert_ptr_null(e->host);
	ck_assert_str_eq(e->avoid, "mx3");
	ck_assert_str_eq(scn_expect_host(e, OUTCOME_AUTHENTICATED), "mx2");
	ck_assert_str_eq(scn_expect_host(e, OUTCOME_REFUSED), "mx1");
	ck_assert_ptr_null(scn_expect_host(e, OUTCOME_ENCRYPTED));
	ck_assert_str_eq(e->cite, "RFC7672 2.2");
	/* prefer: a subset, with its own citation */
	e = scn_expect_for(cat.list[1], PROTO_SMTP, POLICY_MANDATORY);
	ck_assert_uint_eq(e->outcomes, OUTCOME_BIT(OUTCOME_REFUSED)
	    | OUTCOME_BIT(OUTCOME_NO_CONNECT));
	ck_assert_uint_eq(e->prefer, OUTCOME_BIT(OUTCOME_NO_CONNECT));
	ck_assert_str_eq(e->cite, "RFC7672 6");
	ck_assert_str_eq(e->prefer_cite, "RFC7672 6");
	scn_catalogue_free(&cat);
	free(errs);
}
END_TEST

/* One broken scenario per case: the message each must give, at its line. */
static const struct {
	const char *line;	/* replaces the third expect line of good */
	const char *want;
} bad[] = {
	{ "expect    smtp mandatory refused cite RFC7672 6 prefer refused "
	  "cite RFC7672 6", "t.scn:15: prefer: \"refused\" must be some, not "
	  "all, of the accepted outcomes \"refused\"" },
	{ "expect    smtp mandatory refused,no-connect cite RFC7672 6 "
	  "prefer encrypted cite RFC7672 6", "t.scn:15: prefer: \"encrypted\" "
	  "must be some, not all" },
	{ "expect    smtp mandatory refused,no-connect cite RFC7672 6 "
	  "prefer no-connect", "t.scn:15: prefer wants OUTCOMES cite" },
	{ "expect    smtp mandatory refused,no-connect cite RFC7672 6 "
	  "prefer no-connect cite because", "t.scn:15: cite wants" },
	{ "expect    smtp mandatory refused not mx9 cite RFC7672 6",
	  "t.scn:15: expect ... not mx9: no such host" },
	{ "expect    smtp mandatory refused@mx9 cite RFC7672 6",
	  "t.scn:15: expect ... refused@mx9: no such host" },
	{ "expect    smtp mandatory refused@ cite RFC7672 6",
	  "t.scn:15: \"refused@\": a host only on the accepted outcomes" },
	{ "expect    smtp mandatory refused at mx1 not mx1 cite RFC7672 6",
	  "t.scn:15: expect ... at mx1 not mx1: the same host" },
	{ "expect    smtp mandatory bounced cite RFC7672 6",
	  "t.scn:15: unknown outcome \"bounced\"" },
	{ "expect    smtp mandatory refused", "t.scn:15: usage: expect" },
	{ "expect    smtp mandatory refused at mx1",
	  "t.scn:15: an expectation must cite" },
	{ "asks      smtp FOO mx1 cite RFC7672 2.2",
	  "t.scn:15: \"FOO\" is not a DNS record type" },
	{ "asks      smtp TLSA _25._tcp.mx1.example. cite RFC7672 2.2",
	  "t.scn:15: asks _25._tcp.mx1.example.: an absolute name is outside "
	  "the scenario's zones" },
	{ "never-asks xmpp TLSA _25._tcp.mx1 cite RFC7673 3.2",
	  "t.scn:15: query expectation for a protocol the scenario's proto "
	  "line does not list" },
	{ "asks      gopher TLSA _25._tcp.mx1 cite RFC7672 2.2",
	  "t.scn:15: unknown protocol in \"gopher\"" },
	{ "asks      smtp TLSA _25._tcp.mx1 before TLSA",
	  "t.scn:15: \"before\" wants TYPE NAME" },
	{ "never-asks smtp TLSA _25._tcp.mx1 before A mx2 cite RFC7672 2.2",
	  "t.scn:15: never-asks: wants [should] cite RFCnnnn SECTION" },
	{ "asks      smtp TLSA _25._tcp.mx1 should RFC7672",
	  "t.scn:15: asks: wants [before TYPE NAME] [should] cite" },
	{ "asks      smtp TLSA _25._tcp.mx1 cite because",
	  "t.scn:15: cite wants" },
	{ "never-asks smtp A mx1..x cite RFC7672 2.2",
	  "t.scn:15: \"mx1..x\" is not a scenario-relative name" },
	{ "asks      smtp TLSA", "t.scn:15: usage: asks PROTOS TYPE NAME" },
	{ "expect    smtp mandatory refused at mx1 not",
	  "t.scn:15: \"not\" wants hosts" },
};

START_TEST(test_errors)
{
	struct scn_catalogue cat;
	char *text, *errs = NULL, *cut;
	const char *third;

	/* The mandatory expectation is the last "expect" line of good. */
	third = strstr(good, "expect    smtp mandatory");
	ck_assert_ptr_nonnull(third);
	cut = xstrndup(good, (size_t)(third - good));
	text = xasprintf("%s%s\nhost      mx3 full\n", cut, bad[_i].line);
	ck_assert_int_gt(parse(&cat, text, &errs), 0);
	ck_assert_msg(errs && strstr(errs, bad[_i].want), "case %d: want "
	    "\"%s\", got:\n%s", _i, bad[_i].want, errs ? errs : "(none)");
	scn_catalogue_free(&cat);
	free(errs);
	free(text);
	free(cut);
}
END_TEST

/* Every error of a file in one pass, in line order. */
START_TEST(test_one_pass)
{
	static const char text[] =
	    "scenario  x\n"
	    "summary   several errors\n"
	    "refs      RFC7672 2.2\n"
	    "proto     gopher\n"
	    "host      mx1 full\n"
	    "frobnicate\n"
	    "tlsa      mx1 3 1 1 leef\n"
	    "expect    smtp any bounced cite RFC7672 2.2\n";
	struct scn_catalogue cat;
	char *errs = NULL, *a, *b, *c;

	/* the lint says what the scenario line lacks after the lines, but it
	 * comes first */
	ck_assert_int_eq(parse(&cat, text, &errs), 4);
	ck_assert_ptr_nonnull(errs);
	ck_assert_msg(strncmp(errs, "t.scn:1: scenario x has no proto line\n",
	    38) == 0, "%s", errs);
	a = strstr(errs, "t.scn:4:");
	b = strstr(errs, "t.scn:6: unknown keyword \"frobnicate\"");
	c = strstr(errs, "t.scn:8: unknown outcome \"bounced\"");
	ck_assert_msg(a && b && c, "%s", errs);
	ck_assert_msg(a < b && b < c, "not in line order:\n%s", errs);
	scn_catalogue_free(&cat);
	free(errs);
}
END_TEST

/* A scenario with nothing wrong, for cases that add one line to it. */
static const char base[] =
    "scenario  a\n"
    "summary   one host\n"
    "refs      RFC7672 2.2\n"
    "proto     smtp\n"
    "host      mx1 full\n"
    "mx        10 mx1\n"
    "expect    smtp any encrypted cite RFC7672 2.2\n";

/* Each keyword with too few and too many words: its usage, at line 8. */
static const struct {
	const char *line;
	const char *want;
} arity[] = {
	{ "summary", "usage: summary TEXT" },
	{ "refs", "usage: refs TEXT" },
	{ "latitude", "usage: latitude TEXT" },
	{ "proto", "usage: proto smtp|smtps|xmpp|xmpps|xmpp-in ..." },
	{ "proto smtp smtps xmpp xmpps xmpp-in smtp",
	  "usage: proto smtp|smtps|xmpp|xmpps|xmpp-in ..." },
	{ "axis k", "usage: axis NAME VALUE..." },
	{ "zone hosts", "usage: zone @|LABEL secure|insecure|ds-mismatch|"
	  "unsupported-alg|lame" },
	{ "zone hosts secure x", "usage: zone @|LABEL" },
	{ "host mx2", "usage: host NAME CHAIN [no-starttls] [client-cert] "
	  "[down]" },
	{ "host mx2 full down down down down", "usage: host NAME CHAIN" },
	{ "mx 10", "usage: mx PREFERENCE HOST" },
	{ "mx 10 mx1 x", "usage: mx PREFERENCE HOST" },
	{ "srv xmpp-server 10 0 5269", "usage: srv xmpp-server|xmpps-server "
	  "PRIORITY WEIGHT PORT TARGET" },
	{ "srv xmpp-server 10 0 5269 mx1 x", "usage: srv xmpp-server" },
	{ "cname www", "usage: cname OWNER TARGET" },
	{ "cname www mx1 x", "usage: cname OWNER TARGET" },
	{ "addr www", "usage: addr OWNER HOST" },
	{ "addr www mx1 x", "usage: addr OWNER HOST" },
	{ "dns www A", "usage: dns OWNER TYPE RDATA..." },
	{ "tlsa mx1 3 1 1", "usage: tlsa HOST[:PORT] USAGE SELECTOR MTYPE "
	  "FROM [FAULT]" },
	{ "tlsa mx1 3 1 1 leaf corrupt x", "usage: tlsa HOST[:PORT]" },
	{ "client", "usage: client CHAIN" },
	{ "client a b", "usage: client CHAIN" },
	{ "identity _x 3 1 1", "usage: identity OWNER USAGE SELECTOR MTYPE "
	  "FROM [FAULT]" },
	{ "identity _x 3 1 1 leaf corrupt x", "usage: identity OWNER" },
	{ "fault corrupt-rrsig @", "usage: fault KIND OWNER TYPE" },
	{ "fault corrupt-rrsig @ MX x", "usage: fault KIND OWNER TYPE" },
	{ "expect smtp any encrypted cite", "usage: expect PROTOS POLICIES "
	  "OUTCOMES [at HOST] [not HOST,...] cite RFCnnnn SECTION ..." },
	/* and words no keyword has */
	{ "frobnicate", "unknown keyword \"frobnicate\"" },
	{ "Host mx2 full", "unknown keyword \"Host\"" },
	{ "tlsa-x mx1 3 1 1 leaf", "unknown keyword \"tlsa-x\"" },
	{ "{k} mx1", "\"{k}\" names no axis of this scenario" },
};


/* Query expectations: asks and never-asks, MUST or SHOULD, "before",
 * their protocols, and "when" in a matrix. */
START_TEST(test_asks)
{
	static const char text[] =
	    "scenario  q-{p}\n"
	    "summary   lookups\n"
	    "refs      RFC7673 3.2\n"
	    "proto     {p}\n"
	    "axis      p xmpp xmpps\n"
	    "zone      ins insecure\n"
	    "host      xmpp1 full\n"
	    "host      xmpp2.ins full\n"
	    "srv       xmpp-server 10 0 5269 xmpp1\n"
	    "expect    all any authenticated cite RFC7673 3.3\n"
	    "asks      xmpp tlsa _5269._tcp.xmpp1 before A xmpp2.ins cite "
	    "RFC7673 3.2 when p=xmpp\n"
	    "never-asks all TLSA _5269._tcp.xmpp2.ins should cite RFC7672 "
	    "2.2.2\n";
	struct scn_catalogue cat;
	const struct scn_ask *a;
	char *errs = NULL;

	ck_assert_int_eq(parse(&cat, text, &errs), 0);
	ck_assert_uint_eq(cat.n, 2);
	ck_assert_uint_eq(cat.list[0]->nasks, 2);
	a = &cat.list[0]->asks[0];
	ck_assert_int_eq(a->never, 0);
	ck_assert_int_eq(a->should, 0);
	ck_assert_uint_eq(a->protos, 1u << PROTO_XMPP);
	ck_assert_str_eq(a->type, "TLSA");	/* upper-cased */
	ck_assert_str_eq(a->name, "_5269._tcp.xmpp1");
	ck_assert_str_eq(a->before_type, "A");
	ck_assert_str_eq(a->before_name, "xmpp2.ins");
	ck_assert_str_eq(a->cite, "RFC7673 3.2");
	ck_assert_int_eq(a->line, 11);
	a = &cat.list[0]->asks[1];
	ck_assert_int_eq(a->never, 1);
	ck_assert_int_eq(a->should, 1);
	ck_assert_uint_eq(a->protos, 1u << PROTO_XMPP);	/* "all" */
	ck_assert_ptr_null(a->before_name);
	ck_assert_str_eq(a->cite, "RFC7672 2.2.2");
	/* The xmpps combination has only the line without "when". */
	ck_assert_uint_eq(cat.list[1]->nasks, 1);
	ck_assert_uint_eq(cat.list[1]->asks[0].protos, 1u << PROTO_XMPPS);
	scn_catalogue_free(&cat);
	free(errs);
}
END_TEST

START_TEST(test_arity)
{
	struct scn_catalogue cat;
	char *text = xasprintf("%s%s\n", base, arity[_i].line);
	char *errs = NULL, *want = xasprintf("t.scn:8: %s", arity[_i].want);

	ck_assert_int_gt(parse(&cat, text, &errs), 0);
	ck_assert_msg(errs && strstr(errs, want), "case %d: want \"%s\", "
	    "got:\n%s", _i, want, errs ? errs : "(none)");
	ck_assert_uint_eq(cat.n, 0);
	scn_catalogue_free(&cat);
	free(want);
	free(errs);
	free(text);
}
END_TEST

/* The first line's own usage, and the base as it is: no error. */
START_TEST(test_scenario_line)
{
	struct scn_catalogue cat;
	char *errs = NULL;

	ck_assert_int_eq(parse(&cat, base, &errs), 0);
	ck_assert_uint_eq(cat.n, 1);
	scn_catalogue_free(&cat);
	free(errs);
	errs = NULL;
	ck_assert_int_eq(parse(&cat, "scenario  a b\nsummary s\nrefs r\n"
	    "proto smtp\nexpect smtp any encrypted cite RFC7672 2.2\n", &errs),
	    2);
	ck_assert_msg(strstr(errs, "t.scn:1: usage: scenario ID"), "%s", errs);
	scn_catalogue_free(&cat);
	free(errs);
}
END_TEST

/* The usage is made from the parser's tables: every keyword, every
 * protocol (xmpp-in too), policy, outcome, zone state, host option and
 * fault kind. */
START_TEST(test_usage)
{
	static const char *const keywords[] = { "scenario", "summary", "refs",
	    "latitude", "proto", "axis", "zone", "host", "mx", "srv",
	    "cname", "addr", "dns", "tlsa", "client", "identity", "fault",
	    "expect" };
	static const char *const names[] = { "smtp", "smtps", "xmpp",
	    "xmpps", "xmpp-in", "opportunistic", "mandatory", "secure",
	    "insecure", "ds-mismatch", "unsupported-alg", "lame",
	    "no-starttls", "client-cert", "down", "xmpp-server",
	    "xmpps-server" };
	const char *const *faults = zone_fault_names();
	char *usage = scn_usage(), *want;

	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		want = xasprintf("\n  %s ", keywords[i]);
		ck_assert_msg(strstr(usage, want), "no %s in\n%s", keywords[i],
		    usage);
		free(want);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(strstr(usage, names[i]), "no %s", names[i]);
	for (int o = 0; o < OUTCOME_COUNT; o++)
		ck_assert_msg(strstr(usage, outcome_name(o)), "no %s",
		    outcome_name(o));
	for (int i = 0; faults[i]; i++)
		ck_assert_msg(strstr(usage, faults[i]), "no %s", faults[i]);
	ck_assert_ptr_nonnull(strstr(usage, "PROTOS    smtp smtps xmpp xmpps "
	    "xmpp-in "));
	free(usage);
}
END_TEST

/* A message every combination of a matrix repeats: said and counted once. */
START_TEST(test_matrix_once)
{
	static const char text[] =
	    "scenario  m-{k}\n"
	    "summary   s\n"
	    "refs      RFC7672 2.2\n"
	    "proto     smtp\n"
	    "axis      k a b c\n"
	    "host      mx1 full\n"
	    "mx        10 mx1\n"
	    "fault     corrupt-rrsig nothere A\n"
	    "tlsa      mx1 3 1 1 leaf when k=d\n"
	    "expect    smtp any encrypted cite RFC7672 2.2\n";
	struct scn_catalogue cat;
	char *errs = NULL;

	ck_assert_int_eq(parse(&cat, text, &errs), 2);
	ck_assert_msg(strstr(errs, "t.scn:8: fault corrupt-rrsig: the scenario "
	    "publishes no A record at nothere\n")
	    && strstr(errs, "t.scn:9: \"when\": d is not a value of axis k\n"),
	    "%s", errs);
	ck_assert_uint_eq(cat.n, 0);
	scn_catalogue_free(&cat);
	free(errs);
}
END_TEST

Suite *
scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("scenario");

	tcase_add_test(tc, test_expand);
	tcase_add_loop_test(tc, test_errors, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_one_pass);
	tcase_add_loop_test(tc, test_arity, 0,
	    (int)(sizeof(arity) / sizeof(arity[0])));
	tcase_add_test(tc, test_scenario_line);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_matrix_once);
	tcase_add_test(tc, test_asks);
	suite_add_tcase(s, tc);
	return s;
}
