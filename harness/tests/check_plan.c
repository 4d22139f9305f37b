/*
 * check_plan.c - scenarios into zones, hosts and chains (plan.c), and the
 * checks the lint asks of the profile (plan_checks_new): every error a
 * scenario file can hold is found in one pass, in line order, counted
 * right (harness/tests/data/one-pass.scn says which, line by line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "plan.h"
#include "scenario.h"
#include "template.h"
#include "suites.h"

static struct pki_profile *profile;

/* setup - the committed profile of the data directory */
static void
setup(void)
{
	char *path = xasprintf("%s/certs/profile", template_datadir());

	profile = pki_profile_load(path);
	free(path);
	ck_assert_ptr_nonnull(profile);
}

/* teardown - release the profile */
static void
teardown(void)
{
	profile = pki_profile_free(profile);
}

/*
 * lint_and_plan - what "danelab check" does to the file rel (under the
 * data directory): lint with the profile's checks, then plan what parsed.
 * The messages into *errs (caller frees); returns the lint's count, and
 * whether the plan failed in *plan_failed.
 */
static int
lint_and_plan(const char *rel, char **errs, int *plan_failed)
{
	struct scn_catalogue cat = { 0 };
	struct scn_checks *checks = plan_checks_new(profile);
	struct zone_tree *tree;
	struct plan *pl;
	char *path = xasprintf("%s/%s", template_datadir(), rel);
	size_t len = 0;
	FILE *fp = open_memstream(errs, &len), *old;
	int n;

	ck_assert_ptr_nonnull(fp);
	old = msg_input_stream(fp);
	n = scn_catalogue_lint(&cat, path, checks);
	tree = demo_zones(LAB_AUTH_ADDR, LAB_LAME_ADDR, 0);
	ck_assert_ptr_nonnull(tree);
	pl = plan_build(&cat, profile, tree);
	*plan_failed = pl == NULL;
	msg_input_stream(old);
	fclose(fp);
	plan_free(pl);
	zone_tree_free(tree);
	scn_catalogue_free(&cat);
	plan_checks_free(checks);
	free(path);
	return n;
}

/* One error a data file wants: its line and a piece of its message. */
struct want {
	int line;
	char *piece;
};

/*
 * wanted - the errors rel wants, from its "# ERROR piece | piece" marks,
 * in line order; returns how many (caller frees with wanted_free)
 */
static size_t
wanted(const char *rel, struct want **out)
{
	char *path = xasprintf("%s/%s", template_datadir(), rel);
	size_t size;
	char *text = file_read(path, &size), *line, *save = NULL;
	struct want *w = NULL;
	size_t n = 0;
	int lineno = 0;

	ck_assert_msg(text != NULL, "cannot read %s", path);
	/* strsep keeps empty lines, so the line numbers stay right */
	for (char *rest = text; (line = strsep(&rest, "\n")) != NULL; ) {
		char *mark = strstr(line, "# ERROR ");

		lineno++;
		if (mark == NULL)
			continue;
		for (char *p = strtok_r(mark + 8, "|", &save); p;
		    p = strtok_r(NULL, "|", &save)) {
			size_t len;

			while (*p == ' ')
				p++;
			len = strlen(p);
			while (len && p[len - 1] == ' ')
				len--;
			w = xrealloc(w, (n + 1) * sizeof(*w));
			w[n].line = lineno;
			w[n++].piece = xstrndup(p, len);
		}
	}
	free(text);
	free(path);
	*out = w;
	return n;
}

/* wanted_free - release what wanted() made */
static void
wanted_free(struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].piece);
	free(w);
}

/* Every error of one-pass.scn in one pass, in line order, and no other. */
START_TEST(test_one_pass)
{
	const char *rel = "harness/tests/data/one-pass.scn";
	char *errs = NULL, *line, *save = NULL, *prefix;
	struct want *w;
	size_t nwant = wanted(rel, &w), got = 0;
	int plan_failed, n;

	ck_assert_uint_gt(nwant, 10);
	n = lint_and_plan(rel, &errs, &plan_failed);
	ck_assert_ptr_nonnull(errs);
	/* The plan finds one error the text alone cannot show. */
	ck_assert_int_eq(plan_failed, 1);
	ck_assert_int_eq(n, (int)nwant - 1);
	for (line = strtok_r(errs, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save), got++) {
		ck_assert_msg(got < nwant, "an error not wanted: %s", line);
		prefix = xasprintf("%s/%s:%d: ", template_datadir(), rel,
		    w[got].line);
		ck_assert_msg(strncmp(line, prefix, strlen(prefix)) == 0
		    && strstr(line, w[got].piece) != NULL, "error %zu: want "
		    "line %d \"%s\", got\n%s", got + 1, w[got].line,
		    w[got].piece, line);
		free(prefix);
	}
	ck_assert_uint_eq(got, nwant);
	wanted_free(w, nwant);
	free(errs);
}
END_TEST

/* The checks: chains of the profile, TLSA specs against a chain. */
START_TEST(test_checks)
{
	struct scn_checks *c = plan_checks_new(profile);
	char *why;

	ck_assert_ptr_null(c->chain_ok(c->arg, "full"));
	ck_assert_ptr_nonnull(strstr(c->chain_ok(c->arg, "no-such-chain"),
	    "no such chain"));
	ck_assert_ptr_null(c->tlsa_ok(c->arg, "full", "3 1 1 leaf"));
	ck_assert_ptr_null(c->tlsa_ok(c->arg, "full", "2 0 1 root corrupt"));
	ck_assert_ptr_null(c->tlsa_ok(c->arg, "full", "3 1 1 other-key"));
	/* an unknown chain is chain_ok's to report */
	ck_assert_ptr_null(c->tlsa_ok(c->arg, "no-such-chain", "3 1 1 leaf"));
	why = c->tlsa_ok(c->arg, "full", "3 1 1 leef");
	ck_assert_msg(why && strstr(why, "\"leef\" is no depth"), "%s", why);
	free(why);
	why = c->tlsa_ok(c->arg, "full", "3 1 1 leaf bent");
	ck_assert_msg(why && strstr(why, "unknown fault \"bent\""), "%s", why);
	free(why);
	why = c->tlsa_ok(c->arg, "full", "3 1 1 depth:9");
	ck_assert_msg(why && strstr(why, "depth:9"), "%s", why);
	free(why);
	ck_assert_ptr_null(plan_checks_free(c));
}
END_TEST

static const char planned[] =
    "scenario  p\n"
    "summary   hosts in two zones and an inbound identity\n"
    "refs      RFC7672 2.2\n"
    "proto     smtp xmpp-in\n"
    "zone      hosts insecure\n"
    "client    client-xmpp\n"
    "host      mx1 full\n"
    "host      mx2.hosts full down\n"
    "mx        10 mx1\n"
    "mx        20 mx2.hosts\n"
    "tlsa      mx1 3 1 1 leaf\n"
    "identity  _xmpp-server 3 1 1 leaf\n"
    "expect    smtp any authenticated at mx1 cite RFC7672 2.2\n"
    "expect    xmpp-in any authenticated cite draft-ietf-dance-client-auth\n";

/* A scenario's zones, hosts, addresses and chains. */
START_TEST(test_build)
{
	struct scn_catalogue cat = { 0 };
	struct zone_tree *tree = demo_zones(LAB_AUTH_ADDR, LAB_LAME_ADDR, 0);
	struct plan *pl;
	char *domain;

	ck_assert_int_eq(scn_parse_text(&cat, "p.scn", planned,
	    strlen(planned), NULL), 0);
	ck_assert_uint_eq(cat.n, 1);
	pl = plan_build(&cat, profile, tree);
	ck_assert_ptr_nonnull(pl);
	domain = plan_domain(cat.list[0]);
	ck_assert_str_eq(domain, "p." PLAN_TLD);
	free(domain);
	ck_assert_ptr_nonnull(zone_tree_find(tree, "p." PLAN_TLD));
	ck_assert_int_eq(zone_delegation_of(zone_tree_find(tree,
	    "p-hosts." PLAN_TLD)), ZONE_INSECURE);
	ck_assert_uint_eq(pl->nhosts, 2);
	ck_assert_str_eq(pl->hosts[0].fqdn, "mx1.p." PLAN_TLD);
	ck_assert_str_eq(pl->hosts[0].addr, "127.1.0.1");
	ck_assert_str_eq(pl->hosts[1].fqdn, "mx2.p-hosts." PLAN_TLD);
	ck_assert_str_eq(pl->hosts[1].addr, "127.1.0.2");
	ck_assert_ptr_nonnull(pl->hosts[1].chain);
	ck_assert_uint_eq(pl->nclients, 1);
	ck_assert_ptr_nonnull(pl->clients[0]);
	ck_assert_int_eq(zone_tree_sign(tree), 0);
	ck_assert_ptr_null(plan_free(pl));
	zone_tree_free(tree);
	scn_catalogue_free(&cat);
}
END_TEST

/* Errors only the plan can see go out as file:line: message. */
START_TEST(test_plan_errors)
{
	static const char text[] =
	    "scenario  q\n"
	    "summary   records the zone refuses\n"
	    "refs      RFC7672 2.2\n"
	    "proto     smtp\n"
	    "host      mx1 full\n"
	    "mx        10 mx1\n"
	    "dns       www A not-an-address\n"
	    "dns       gone. A 127.0.0.9\n"
	    "expect    smtp any encrypted cite RFC7672 2.2\n";
	struct scn_catalogue cat = { 0 };
	struct zone_tree *tree = demo_zones(LAB_AUTH_ADDR, LAB_LAME_ADDR, 0);
	char *errs = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&errs, &len), *old;
	unsigned before = msg_input_count;

	ck_assert_int_eq(scn_parse_text(&cat, "q.scn", text, strlen(text),
	    NULL), 0);
	old = msg_input_stream(fp);
	ck_assert_ptr_null(plan_build(&cat, profile, tree));
	msg_input_stream(old);
	fclose(fp);
	ck_assert_uint_eq(msg_input_count - before, 2);
	ck_assert_msg(strstr(errs, "q.scn:7: \"www.q.example. A "
	    "not-an-address\"") != NULL, "%s", errs);
	ck_assert_msg(strstr(errs, "q.scn:8: gone. is outside the scenario's "
	    "zones") != NULL, "%s", errs);
	free(errs);
	zone_tree_free(tree);
	scn_catalogue_free(&cat);
}
END_TEST

Suite *
plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_one_pass);
	tcase_add_test(tc, test_checks);
	tcase_add_test(tc, test_build);
	tcase_add_test(tc, test_plan_errors);
	suite_add_tcase(s, tc);
	return s;
}
