/*
 * check_target.c - the adapter protocol as target.c speaks it: the probe
 * file's lines, an adapter's output parsed into verdicts, log lines and
 * errors, baseline lines matched against cells, and an adapter run on
 * the host by target_exec (lab_run): output, status, deadline, process
 * group.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "mem.h"
#include "target.h"
#include "suites.h"

START_TEST(test_probe_line)
{
	struct buf b = { 0 };

	target_probe_line(&b, 17, "smtp", "mandatory", "a.example.");
	ck_assert_str_eq(b.data, "c17 smtp mandatory a.example.\n");
	buf_free(&b);
}
END_TEST

START_TEST(test_parse_run)
{
	static const char out[] =
	    "# batch of 3 smtp probes\n"
	    "# c4 a log line of c4\n"
	    "c4 authenticated Verified TLS connection established\n"
	    "c5 skip no smtps here\n"
	    "# c9 a log line of no probe of the batch\n"
	    "this is not a verdict line\n"
	    "c9 refused a verdict for another batch's probe\n"
	    "c6 bogus-word text\n"
	    "c4 refused the last verdict line wins\n"
	    "\n"
	    "# no newline at the end";
	struct target_verdict v[3] = { { .cell = 4 }, { .cell = 5 },
	    { .cell = 6 } };
	struct buf blog = { 0 };
	char *errors = NULL, *copy = xstrdup(out);

	target_parse_run("fake", copy, v, 3, &blog, &errors);
	ck_assert_str_eq(copy, out);	/* the output stays whole */
	ck_assert_int_eq(v[0].state, TARGET_OUTCOME);
	ck_assert_int_eq(v[0].outcome, OUTCOME_REFUSED);
	ck_assert_str_eq(target_verdict_word(&v[0]), "refused");
	ck_assert_str_eq(v[0].text, "the last verdict line wins");
	ck_assert_str_eq(v[0].log, "# c4 a log line of c4\n");
	ck_assert_int_eq(v[1].state, TARGET_SKIP);
	ck_assert_str_eq(target_verdict_word(&v[1]), "skip");
	ck_assert_str_eq(v[1].text, "no smtps here");
	ck_assert_ptr_null(v[1].log);
	/* No valid verdict line. */
	ck_assert_int_eq(v[2].state, TARGET_NONE);
	ck_assert_str_eq(target_verdict_word(&v[2]), "(none)");
	ck_assert_str_eq(blog.data, "# batch of 3 smtp probes\n"
	    "# c9 a log line of no probe of the batch\n"
	    "# no newline at the end\n");
	ck_assert_ptr_nonnull(errors);
	ck_assert_msg(strstr(errors, "target fake: cannot parse output line "
	    "\"this is not a verdict line\"") != NULL, "%s", errors);
	ck_assert_msg(strstr(errors, "target fake: verdict for an unknown "
	    "probe: \"c9 refused") != NULL, "%s", errors);
	ck_assert_msg(strstr(errors, "cannot parse output line \"c6 "
	    "bogus-word text\"") != NULL, "%s", errors);
	free(errors);
	free(copy);
	buf_free(&blog);
	for (int i = 0; i < 3; i++) {
		free(v[i].text);
		free(v[i].log);
	}
	/* Nothing at all: no verdict, no error. */
	errors = NULL;
	v[0].state = TARGET_NONE;
	v[0].text = v[0].log = NULL;
	target_parse_run("fake", NULL, v, 1, &blog, &errors);
	ck_assert_int_eq(v[0].state, TARGET_NONE);
	ck_assert_ptr_null(errors);
	ck_assert_uint_eq(blog.len, 0);
}
END_TEST

/* An adapter that does what its verb says, run on the host. */
static const char fake_sh[] =
    "case $1 in\n"
    "say) echo \"out $DANELAB_TARGET $DANELAB_DEADLINE_MS $(pwd)\"; "
    "echo err >&2; exit 7 ;;\n"
    "stdin) cat; echo \"stdin done\" ;;\n"
    "hang) (sleep 30; echo straggler) & sleep 30 ;;\n"
    "leave) (sleep 1; echo late >> \"$2\") >/dev/null 2>&1 & exit 0 ;;\n"
    "kill) kill -TERM $$ ;;\n"
    "esac\n";

START_TEST(test_exec)
{
	char dir[] = "/tmp/check_target.XXXXXX", *path, *late;
	struct buf out = { 0 };
	long long t0;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/fake.sh", dir);
	late = xasprintf("%s/late", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(fake_sh, fp);
	fclose(fp);
	setenv("DANELAB_TARGETS_DIR", dir, 1);
	/* Output of both streams, the exit status, the contract's
	 * environment and the work directory. */
	ck_assert_int_eq(target_exec(NULL, "fake", "say", NULL, dir, 1234,
	    10000, &out), 7);
	ck_assert_msg(strstr(out.data, "out fake 1234 ") != NULL
	    && strstr(out.data, dir) != NULL && strstr(out.data, "err\n"),
	    "%s", out.data);
	ck_assert_str_eq(target_status_text(7), "exit 7");
	buf_free(&out);
	/* stdin is /dev/null: cat ends at once. */
	ck_assert_int_eq(target_exec(NULL, "fake", "stdin", NULL, dir, 1,
	    10000, &out), 0);
	ck_assert_str_eq(out.data, "stdin done\n");
	buf_free(&out);
	/* Killed at the deadline, with its whole process group. */
	t0 = clock_ms();
	ck_assert_int_eq(target_exec(NULL, "fake", "hang", NULL, dir, 1,
	    300, &out), -1);
	ck_assert_int_lt(clock_ms() - t0, 5000);
	ck_assert_ptr_null(strstr(out.data, "straggler"));
	ck_assert_str_eq(target_status_text(-1), "killed at its deadline");
	buf_free(&out);
	/* What it leaves behind goes when it ends. */
	ck_assert_int_eq(target_exec(NULL, "fake", "leave", late, dir, 1,
	    10000, &out), 0);
	buf_free(&out);
	ck_assert_int_eq(target_exec(NULL, "fake", "kill", NULL, dir, 1,
	    10000, &out), 128 + 15);
	ck_assert_str_eq(target_status_text(128 + 15), "killed by SIGTERM");
	buf_free(&out);
	/* A work directory that is not there: not run, and why. */
	ck_assert_int_eq(target_exec(NULL, "fake", "say", NULL,
	    "/nonexistent/dir", 1, 10000, &out), -2);
	ck_assert_msg(strstr(out.data, "cannot enter /nonexistent/dir")
	    != NULL, "%s", out.data);
	ck_assert_str_eq(target_status_text(-2), "not run");
	buf_free(&out);
	sleep(2);
	ck_assert_int_ne(access(late, F_OK), 0);
	unsetenv("DANELAB_TARGETS_DIR");
	unlink(path);
	rmdir(dir);
	free(path);
	free(late);
}
END_TEST

START_TEST(test_words)
{
	enum outcome o = OUTCOME_COUNT;

	/* The verdict words are the outcomes, plus skip and error. */
	for (int i = 0; i < OUTCOME_COUNT; i++) {
		ck_assert_int_eq(target_word_parse(outcome_name(i), &o),
		    TARGET_OUTCOME);
		ck_assert_int_eq(o, i);
	}
	o = OUTCOME_COUNT;
	ck_assert_int_eq(target_word_parse("skip", &o), TARGET_SKIP);
	ck_assert_int_eq(target_word_parse("error", &o), TARGET_ERROR);
	ck_assert_int_eq(target_word_parse("pass", &o), TARGET_NONE);
	ck_assert_int_eq(target_word_parse("", &o), TARGET_NONE);
	ck_assert_int_eq(target_word_parse("Refused", &o), TARGET_NONE);
	ck_assert_int_eq(o, OUTCOME_COUNT);	/* untouched */
}
END_TEST

START_TEST(test_baseline_match)
{
	struct target_deviation d[2] = {
		{ "xmpp-tlsa-bogus-*-rrsig", "xmpp", "*", "bogus", 0, 1, NULL },
		{ "in-sha512-and-sha256", "*", "mandatory", "order", 1, 2, NULL },
	};

	ck_assert_ptr_eq(target_baseline_match(d, 2,
	    "xmpp-tlsa-bogus-corrupt-rrsig", "xmpp", "opportunistic"), &d[0]);
	ck_assert_ptr_null(target_baseline_match(d, 2,
	    "xmpp-tlsa-bogus-corrupt-rrsig", "xmpps", "opportunistic"));
	ck_assert_ptr_null(target_baseline_match(d, 2,
	    "xmpp-tlsa-bogus-next-target", "xmpp", "mandatory"));
	ck_assert_ptr_eq(target_baseline_match(d, 2, "in-sha512-and-sha256",
	    "xmpp-in", "mandatory"), &d[1]);
	ck_assert_ptr_null(target_baseline_match(d, 2, "in-sha512-and-sha256",
	    "xmpp-in", "opportunistic"));
}
END_TEST

/* The lab validator's baseline: its lines named after it, put before a
 * target's own, and a malformed line an error naming file:line. */
START_TEST(test_baseline_lab)
{
	char dir[] = "/tmp/check_target.XXXXXX", *path;
	struct target_deviation *own, *lab;
	size_t nown, nlab;
	int errors = 0;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("DANELAB_TARGETS_DIR", dir, 1);
	path = xasprintf("%s/resolver-bind.lab.baseline", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("# comment\nj-3-byte * * named answers SERVFAIL\nbad line\n",
	    fp);
	fclose(fp);
	lab = target_baseline_lab("bind", &nlab, &errors);
	ck_assert_uint_eq(nlab, 1);
	ck_assert_int_eq(errors, 1);
	ck_assert_str_eq(lab[0].validator, "bind");
	ck_assert_int_eq(lab[0].line, 2);
	own = target_baseline_lab("knot", &nown, &errors);	/* absent */
	ck_assert_uint_eq(nown, 0);
	ck_assert_int_eq(errors, 1);
	own = xcalloc(1, sizeof(*own));
	own[0].pattern = xstrdup("j-*");
	own[0].proto = xstrdup("*");
	own[0].policy = xstrdup("*");
	own[0].reason = xstrdup("the target's own");
	nown = 1;
	target_baseline_add(&own, &nown, lab, nlab);
	ck_assert_uint_eq(nown, 2);
	ck_assert_str_eq(target_baseline_match(own, nown, "j-3-byte", "smtp",
	    "mandatory")->reason, "named answers SERVFAIL");
	ck_assert_ptr_null(own[1].validator);
	ck_assert_str_eq(target_baseline_match(own, nown, "j-other", "smtp",
	    "mandatory")->reason, "the target's own");
	target_baseline_free(own, nown);
	target_baseline_free(lab, nlab);
	unsetenv("DANELAB_TARGETS_DIR");
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

Suite *
target_suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("target");

	tcase_add_test(tc, test_probe_line);
	tcase_add_test(tc, test_parse_run);
	tcase_add_test(tc, test_words);
	tcase_add_test(tc, test_exec);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_baseline_match);
	tcase_add_test(tc, test_baseline_lab);
	suite_add_tcase(s, tc);
	return s;
}
