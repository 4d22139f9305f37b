/*
 * check_diff.c - unit tests of diff.c ("danelab report diff") on small
 * hand-written results.json files in harness/tests/data/diff/: old.json
 * against the same run again (no differences), a flipped verdict (a
 * regression naming the cell), a fixed fail, a new and a removed
 * scenario, a new cell that errs, and bad input (a syntax error, a cell
 * twice, a missing file, a directory without results.json); the verdict
 * pairs one by one; --out's diff.md and diff.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "diff.h"
#include "json.h"
#include "mem.h"
#include "msg.h"
#include "report.h"
#include "suites.h"
#include "template.h"

/* data - the path of a test file under harness/tests/data/diff/; caller frees */
static char *
data(const char *name)
{
	return xasprintf("%s/harness/tests/data/diff/%s", template_datadir(),
	    name);
}

/* run_diff - diff_report of two data files (or paths with a '/'),
 * returning its status; *text gets what it printed (caller frees) and
 * *err what it said on stderr (NULL: not wanted) */
static int
run_diff(const char *old, const char *new, const char *outdir,
    enum diff_format format, char **text, char **err)
{
	char *po = strchr(old, '/') ? xstrdup(old) : data(old);
	char *pn = strchr(new, '/') ? xstrdup(new) : data(new);
	char log[] = "/tmp/danelab-check-diff-err.XXXXXX";
	FILE *out = tmpfile();
	int status, fd = -1, saved = -1;
	long len;

	ck_assert_ptr_nonnull(out);
	if (err) {
		ck_assert_int_ge(fd = mkstemp(log), 0);
		fflush(stderr);
		saved = dup(2);
		dup2(fd, 2);
	}
	status = diff_report(po, pn, outdir, format, out);
	if (err) {
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		close(fd);
		*err = file_read(log, NULL);
		ck_assert_ptr_nonnull(*err);
		unlink(log);
	}
	len = ftell(out);
	rewind(out);
	*text = xcalloc(len + 1, 1);
	ck_assert_uint_eq(fread(*text, 1, len, out), (size_t)len);
	fclose(out);
	free(po);
	free(pn);
	return status;
}

/* diff_parse - the JSON form of a diff, parsed, or a failed test */
static struct json_value *
diff_parse(const char *text)
{
	char err[128];
	struct json_value *v = json_parse(text, strlen(text), err, sizeof(err));

	ck_assert_msg(v != NULL, "diff JSON: %s", err);
	return v;
}

/* count - counts.<kind> of a parsed diff */
static double
count(const struct json_value *v, const char *kind)
{
	const struct json_value *n = json_get(json_get(v, "counts"), kind);

	ck_assert_ptr_nonnull(n);
	return n->number;
}

/* field - a string member of change i's side ("" for the change itself) */
static const char *
field(const struct json_value *v, size_t i, const char *side, const char *key)
{
	const struct json_value *c = &json_get(v, "changes")->items[i];

	if (*side)
		c = json_get(c, side);
	ck_assert_ptr_nonnull(json_get(c, key));
	return json_get(c, key)->string;
}

START_TEST(test_equal)
{
	char *text, *dir, *cmd, *oldp = data("old.json");
	struct json_value *v;

	ck_assert_int_eq(run_diff("old.json", "same.json", NULL, DIFF_MD,
	    &text, NULL), EXIT_PASS);
	ck_assert_msg(strstr(text, "**no differences**: the same 6 cells"),
	    "%s", text);
	ck_assert_ptr_null(strstr(text, "###"));
	free(text);
	/* A report directory stands for the results.json in it. */
	dir = xstrdup("/tmp/danelab-check-diff.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cmd = xasprintf("cp '%s' '%s/results.json'", oldp, dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(run_diff(dir, "old.json", NULL, DIFF_JSON, &text,
	    NULL), EXIT_PASS);
	v = diff_parse(text);
	ck_assert(json_get(v, "regressed")->type == JSON_FALSE);
	ck_assert_uint_eq(json_get(v, "changes")->n, 0);
	ck_assert(count(v, "same") == 6);
	ck_assert_ptr_nonnull(strstr(json_get(json_get(v, "old"), "file")->string,
	    "/results.json"));
	json_free(v);
	free(text);
	free(cmd);
	cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
	free(oldp);
}
END_TEST

START_TEST(test_flipped)
{
	char *text;
	struct json_value *v;

	ck_assert_int_eq(run_diff("old.json", "flipped.json", NULL, DIFF_MD,
	    &text, NULL), EXIT_FAILED);
	ck_assert_msg(strstr(text, "**REGRESSED**: 1 regression, 0 fixed")
	    && strstr(text, "### Regressions (1)")
	    && strstr(text, "| openssl | a-scn | smtp | mandatory | "
	    "authenticated at mx1 | pass: authenticated at mx1 | **fail**: "
	    "encrypted at mx1 |"), "%s", text);
	free(text);
	ck_assert_int_eq(run_diff("old.json", "flipped.json", NULL, DIFF_JSON,
	    &text, NULL), EXIT_FAILED);
	v = diff_parse(text);
	ck_assert(json_get(v, "regressed")->type == JSON_TRUE);
	ck_assert(count(v, "regression") == 1 && count(v, "same") == 5);
	ck_assert_uint_eq(json_get(v, "changes")->n, 1);
	ck_assert_str_eq(field(v, 0, "", "change"), "regression");
	ck_assert_str_eq(field(v, 0, "", "target"), "openssl");
	ck_assert_str_eq(field(v, 0, "", "scenario"), "a-scn");
	ck_assert_str_eq(field(v, 0, "old", "verdict"), "pass");
	ck_assert_str_eq(field(v, 0, "new", "verdict"), "fail");
	ck_assert_str_eq(field(v, 0, "new", "observed"), "encrypted at mx1");
	json_free(v);
	free(text);
	/* The other way round, the fail is fixed and the old fail is back. */
	ck_assert_int_eq(run_diff("flipped.json", "old.json", NULL, DIFF_MD,
	    &text, NULL), EXIT_PASS);
	ck_assert_msg(strstr(text, "### Fixed (1)") && strstr(text,
	    "**no regressions**"), "%s", text);
	free(text);
}
END_TEST

START_TEST(test_fixed)
{
	char *text;
	struct json_value *v;

	ck_assert_int_eq(run_diff("old.json", "fixed.json", NULL, DIFF_MD,
	    &text, NULL), EXIT_PASS);
	ck_assert_msg(strstr(text, "### Fixed (1)") && strstr(text,
	    "| openssl | b-scn | smtp | opportunistic |")
	    && !strstr(text, "Regressions"), "%s", text);
	free(text);
	ck_assert_int_eq(run_diff("old.json", "fixed.json", NULL, DIFF_JSON,
	    &text, NULL), EXIT_PASS);
	v = diff_parse(text);
	ck_assert(count(v, "fixed") == 1 && count(v, "regression") == 0);
	ck_assert_str_eq(field(v, 0, "", "change"), "fixed");
	ck_assert_str_eq(field(v, 0, "old", "verdict"), "fail");
	ck_assert_str_eq(field(v, 0, "new", "verdict"), "pass");
	json_free(v);
	free(text);
}
END_TEST

START_TEST(test_scenarios)
{
	char *text;
	struct json_value *v;
	const struct json_value *l;

	ck_assert_int_eq(run_diff("old.json", "scenarios.json", NULL,
	    DIFF_JSON, &text, NULL), EXIT_PASS);
	v = diff_parse(text);
	ck_assert(count(v, "added") == 2 && count(v, "removed") == 1
	    && count(v, "same") == 5);
	l = json_get(v, "scenarios_added");
	ck_assert_uint_eq(l->n, 1);
	ck_assert_str_eq(l->items[0].string, "e-scn");
	l = json_get(v, "scenarios_removed");
	ck_assert_uint_eq(l->n, 1);
	ck_assert_str_eq(l->items[0].string, "c-scn");
	/* Added first, in NEW's order; then removed, with no "new" side. */
	ck_assert_str_eq(field(v, 0, "", "target"), "ref");
	ck_assert_str_eq(field(v, 1, "", "target"), "openssl");
	ck_assert_str_eq(field(v, 2, "", "change"), "removed");
	ck_assert_str_eq(field(v, 2, "", "scenario"), "c-scn");
	ck_assert(json_get(&json_get(v, "changes")->items[2], "new")->type
	    == JSON_NULL);
	json_free(v);
	free(text);
	ck_assert_int_eq(run_diff("old.json", "scenarios.json", NULL, DIFF_MD,
	    &text, NULL), EXIT_PASS);
	ck_assert_msg(strstr(text, "- new (1): e-scn\n- removed (1): c-scn\n")
	    && strstr(text, "### New cells (2)")
	    && strstr(text, "### Removed cells (1)"), "%s", text);
	free(text);

	/* A new scenario that errs is a regression. */
	ck_assert_int_eq(run_diff("old.json", "new-error.json", NULL,
	    DIFF_JSON, &text, NULL), EXIT_FAILED);
	v = diff_parse(text);
	ck_assert(count(v, "regression") == 1 && count(v, "added") == 0);
	ck_assert_str_eq(field(v, 0, "", "scenario"), "f-scn");
	ck_assert(json_get(&json_get(v, "changes")->items[0], "old")->type
	    == JSON_NULL);
	json_free(v);
	free(text);
}
END_TEST

START_TEST(test_bad)
{
	static const struct {
		const char *old, *new;
		const char *said[2];	/* in the message, besides the path */
	} bad[] = {
		{ "old.json", "bad.json", { "bad.json: line 4, byte 63", NULL } },
		{ "duplicate.json", "old.json", { "duplicate.json: cells[1] and "
		    "cells[3]", "openssl/a-scn smtp mandatory" } },
		{ "old.json", "absent.json", { "absent.json: No such file", NULL } },
		{ "old.json", NULL, { "/results.json: No such file", NULL } },
	};
	char *text, *err, *top = xstrdup("/tmp/danelab-check-diff.XXXXXX");
	char *out, *cmd;

	ck_assert_ptr_nonnull(mkdtemp(top));
	out = xasprintf("%s/out", top);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* NULL: a directory without a results.json */
		ck_assert_int_eq(run_diff(bad[i].old, bad[i].new ? bad[i].new
		    : top, out, DIFF_MD,
		    &text, &err), EXIT_USAGE);
		ck_assert_str_eq(text, "");
		for (int k = 0; k < 2; k++)
			ck_assert_msg(bad[i].said[k] == NULL
			    || strstr(err, bad[i].said[k]), "case %zu: %s", i,
			    err);
		ck_assert_int_eq(access(out, F_OK), -1);	/* nothing written */
		free(text);
		free(err);
	}
	cmd = xasprintf("rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(out);
	free(top);
}
END_TEST

START_TEST(test_out)
{
	char *top = xstrdup("/tmp/danelab-check-diff.XXXXXX");
	char *out, *text, *md, *js, *path, *cmd;

	ck_assert_ptr_nonnull(mkdtemp(top));
	out = xasprintf("%s/a/b", top);
	ck_assert_int_eq(run_diff("old.json", "flipped.json", out, DIFF_MD,
	    &text, NULL), EXIT_FAILED);
	path = xasprintf("%s/diff.md", out);
	md = file_read(path, NULL);
	ck_assert_ptr_nonnull(md);
	ck_assert_str_eq(md, text);
	free(path);
	free(text);
	path = xasprintf("%s/diff.json", out);
	js = file_read(path, NULL);
	ck_assert_ptr_nonnull(js);
	ck_assert_int_eq(run_diff("old.json", "flipped.json", NULL, DIFF_JSON,
	    &text, NULL), EXIT_FAILED);
	ck_assert_str_eq(js, text);
	json_free(diff_parse(js));
	free(text);
	free(path);
	free(js);
	free(md);
	/* Output that cannot be written: exit 3. */
	path = xasprintf("%s/plain", top);
	ck_assert_int_eq(file_write(path, "x", 1), 0);
	free(out);
	out = xasprintf("%s/sub", path);
	msg_quiet = 1;
	ck_assert_int_eq(run_diff("old.json", "flipped.json", out, DIFF_MD,
	    &text, &md), EXIT_ENV);
	ck_assert_ptr_nonnull(strstr(md, path));
	msg_quiet = 0;
	free(md);
	free(text);
	cmd = xasprintf("rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(path);
	free(out);
	free(top);
}
END_TEST

START_TEST(test_classify)
{
	static const struct {
		enum verdict old, new;
		const char *oobs, *nobs;
		int want;
	} cases[] = {
		{ VERDICT_PASS, VERDICT_FAIL, "a", "b", DIFF_REGRESSION },
		{ VERDICT_PASS, VERDICT_ERROR, "a", "", DIFF_REGRESSION },
		{ VERDICT_XFAIL, VERDICT_FAIL, "b", "b", DIFF_REGRESSION },
		{ VERDICT_XPASS, VERDICT_FAIL, "a", "b", DIFF_REGRESSION },
		{ VERDICT_SKIP, VERDICT_FAIL, "", "b", DIFF_REGRESSION },
		{ VERDICT_FAIL, VERDICT_PASS, "b", "a", DIFF_FIXED },
		{ VERDICT_XFAIL, VERDICT_PASS, "b", "a", DIFF_FIXED },
		{ VERDICT_ERROR, VERDICT_XPASS, "", "a", DIFF_FIXED },
		{ VERDICT_PASS, VERDICT_XFAIL, "a", "b", DIFF_CHANGED },
		{ VERDICT_PASS, VERDICT_XPASS, "a", "a", DIFF_CHANGED },
		{ VERDICT_FAIL, VERDICT_ERROR, "b", "", DIFF_CHANGED },
		{ VERDICT_FAIL, VERDICT_XFAIL, "b", "b", DIFF_CHANGED },
		{ VERDICT_PASS, VERDICT_SKIP, "a", "", DIFF_CHANGED },
		{ VERDICT_PASS, VERDICT_PASS, "a at mx1", "a at mx2", DIFF_CHANGED },
		{ VERDICT_FAIL, VERDICT_FAIL, "b", "c", DIFF_CHANGED },
		{ VERDICT_PASS, VERDICT_PASS, "a", "a", -1 },
		{ VERDICT_SKIP, VERDICT_SKIP, "", "", -1 },
		{ VERDICT_ERROR, VERDICT_ERROR, "a", "b", -1 },
	};
	struct report_cell o = { 0 }, n = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o.verdict = cases[i].old;
		n.verdict = cases[i].new;
		o.observed = (char *)cases[i].oobs;
		n.observed = (char *)cases[i].nobs;
		ck_assert_msg(diff_classify(&o, &n) == cases[i].want,
		    "case %zu: %s -> %s gave %d", i, verdict_name(o.verdict),
		    verdict_name(n.verdict), diff_classify(&o, &n));
	}
	n.verdict = VERDICT_FAIL;
	ck_assert_int_eq(diff_classify(NULL, &n), DIFF_REGRESSION);
	n.verdict = VERDICT_XPASS;
	ck_assert_int_eq(diff_classify(NULL, &n), DIFF_ADDED);
	ck_assert_int_eq(diff_classify(&o, NULL), DIFF_REMOVED);
}
END_TEST

/* The same run behind another validator (the run's "resolver"): other
 * cells, keyed apart, each shown as TARGET@RESOLVER. */
START_TEST(test_resolver)
{
	char *oldp = data("old.json"), *text, *p;
	char path[] = "/tmp/danelab-check-diff-knot.XXXXXX";
	const char *from = "\"shard\": null}";
	struct buf b = { 0 };
	struct json_value *v;
	int fd;

	text = file_read(oldp, NULL);
	ck_assert_ptr_nonnull(text);
	p = strstr(text, from);
	ck_assert_ptr_nonnull(p);
	buf_append(&b, text, p - text);
	buf_printf(&b, "\"shard\": null, \"resolver\": \"knot\"}%s",
	    p + strlen(from));
	ck_assert_int_ge(fd = mkstemp(path), 0);
	close(fd);
	ck_assert_int_eq(file_write(path, b.data, b.len), 0);
	buf_free(&b);
	free(text);
	ck_assert_int_eq(run_diff("old.json", path, NULL, DIFF_MD, &text,
	    NULL), EXIT_FAILED);
	ck_assert_msg(strstr(text, "5 new cells, 6 removed cells, 0 cells "
	    "unchanged") && strstr(text, "| openssl@knot | b-scn | smtp | "
	    "opportunistic |") && strstr(text, "| ref@unbound | a-scn |"),
	    "%s", text);
	free(text);
	ck_assert_int_eq(run_diff("old.json", path, NULL, DIFF_JSON, &text,
	    NULL), EXIT_FAILED);
	v = diff_parse(text);
	ck_assert(count(v, "same") == 0);
	ck_assert_str_eq(field(v, 0, "", "target"), "openssl");
	ck_assert_str_eq(field(v, 0, "", "resolver"), "knot");
	json_free(v);
	free(text);
	unlink(path);
	free(oldp);
}
END_TEST

Suite *
diff_suite(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("diff");

	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_flipped);
	tcase_add_test(tc, test_fixed);
	tcase_add_test(tc, test_scenarios);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_out);
	tcase_add_test(tc, test_resolver);
	suite_add_tcase(s, tc);
	return s;
}
