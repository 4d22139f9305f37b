/*
 * check_scenario.c - the scenario language (scenarios/README.md): the
 * parser reads untrusted input, so every rule it enforces has a case
 * here: expansion of axes and "when", expectations (per-outcome hosts,
 * "not", "prefer"), and errors as file:line: message, all of them in one
 * pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mem.h"
#include "../scenario.h"
#include "suites.h"

/* parse - text into cat; the error messages into *errs (caller frees) */
static int
parse(struct scn_catalogue *cat, const char *text, char **errs)
{
	size_t len = 0;
	FILE *fp = open_memstream(errs, &len);
	int n;

	ck_assert_ptr_nonnull(fp);
	memset(cat, 0, sizeof(*cat));
	scn_set_errors(fp);
	n = scn_parse_text(cat, "t.scn", text, strlen(text), NULL);
	scn_set_errors(NULL);
	fclose(fp);
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
	e = scn_expect_for(cat.list[0], SCN_SMTP, SCN_OPPORTUNISTIC);
	ck_assert_str_eq(e->host, "mx1");
	ck_assert_ptr_null(e->avoid);
	ck_assert_str_eq(scn_expect_host(e, OUTCOME_AUTHENTICATED), "mx1");
	/* k=b: a host per outcome, a host not to touch */
	e = scn_expect_for(cat.list[1], SCN_SMTP, SCN_OPPORTUNISTIC);
	ck_assert_ptr_null(e->host);
	ck_assert_str_eq(e->avoid, "mx3");
	ck_assert_str_eq(scn_expect_host(e, OUTCOME_AUTHENTICATED), "mx2");
	ck_assert_str_eq(scn_expect_host(e, OUTCOME_REFUSED), "mx1");
	ck_assert_ptr_null(scn_expect_host(e, OUTCOME_ENCRYPTED));
	ck_assert_str_eq(e->cite, "RFC7672 2.2");
	/* prefer: a subset, with its own citation */
	e = scn_expect_for(cat.list[1], SCN_SMTP, SCN_MANDATORY);
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

	ck_assert_int_gt(parse(&cat, text, &errs), 2);
	ck_assert_ptr_nonnull(errs);
	a = strstr(errs, "t.scn:4:");
	b = strstr(errs, "t.scn:6: unknown keyword \"frobnicate\"");
	c = strstr(errs, "t.scn:8: unknown outcome \"bounced\"");
	ck_assert_msg(a && b && c, "%s", errs);
	ck_assert_msg(a < b && b < c, "not in line order:\n%s", errs);
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
	suite_add_tcase(s, tc);
	return s;
}
