/*
 * check_report.c - unit tests of report.c and json.c: a report of every
 * verdict with hostile strings (quotes, markup, "</script>", control
 * bytes, invalid UTF-8, a 100 KB detail) is written, validated (xmllint
 * against harness/tests/data/junit.xsd when xmllint is installed), read
 * back and compared; shards merge into the whole; duplicates, bad JSON
 * and unwritable directories are refused without leaving files behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "json.h"
#include "mem.h"
#include "msg.h"
#include "report.h"
#include "suites.h"
#include "template.h"
#include "term.h"

#define BIG_DETAIL	(100 * 1024)

static const char *const report_files[] = {
	"results.tap", "junit.xml", "results.json", "summary.md", "index.html"
};
#define NFILES (sizeof(report_files) / sizeof(report_files[0]))

/* tmp_dir - a new empty directory; caller frees and removes */
static char *
tmp_dir(void)
{
	char *d = xstrdup("/tmp/danelab-check-report.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

/* rm_rf - remove a directory tree (test scratch only) */
static void
rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* cell_set - fill c with copies of the strings given */
static void
cell_set(struct report_cell *c, const char *target, const char *scenario,
    const char *proto, const char *policy, enum verdict v,
    const char *reason, const char *detail)
{
	memset(c, 0, sizeof(*c));
	c->scenario = xstrdup(scenario);
	c->area = xstrdup("smtp");
	c->file = xasprintf("scenarios/smtp/%s.scn:1", "grid");
	c->summary = xstrdup("DANE-EE SPKI SHA2-256 \"of\" the <leaf> & more");
	c->refs = xstrdup("RFC7672 3.1.1");
	c->target = xstrdup(target);
	c->proto = xstrdup(proto);
	c->policy = xstrdup(policy);
	c->expected = xstrdup("authenticated");
	c->cite = xstrdup("RFC7672 2.2");
	c->observed = xstrdup(v == VERDICT_PASS ? "authenticated" : "encrypted");
	c->verdict = v;
	c->reason = xstrdup(reason);
	c->detail = xstrdup(detail);
	c->seconds = 0.25 + v;
}

/* hostile_cells - one cell of each verdict, and more; *n gets the count */
static struct report_cell *
hostile_cells(size_t *n)
{
	struct report_cell *c = xcalloc(8, sizeof(*c));
	char *big = xmalloc(BIG_DETAIL + 1);

	for (size_t i = 0; i < BIG_DETAIL; i++)
		big[i] = "abc<>&\"'\x01\n\t\x1f"[i % 13];
	big[BIG_DETAIL] = 0;
	cell_set(&c[0], "ref", "ee-spki-sha256", "smtp", "opportunistic",
	    VERDICT_PASS, "", "220 mx1 ESMTP\r\n");
	cell_set(&c[1], "postfix", "q\"uote'd <b>&amp;</b>", "smtp",
	    "mandatory", VERDICT_FAIL, "went on \"without\" <auth>", big);
	cell_set(&c[2], "postfix", "xfail-case", "xmpp", "opportunistic",
	    VERDICT_XFAIL, "known: </script><script>alert(1)</script>",
	    "<!-- </SCRIPT> -->");
	cell_set(&c[3], "postfix", "xpass-case", "smtp", "opportunistic",
	    VERDICT_XPASS, "listed in baseline", "detail");
	cell_set(&c[4], "exim", "skip-case", "xmpp", "mandatory", VERDICT_SKIP,
	    "no xmpp # here", "");
	cell_set(&c[5], "exim", "error-case", "smtp", "mandatory",
	    VERDICT_ERROR, "timeout\nafter 10 s",
	    "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d \x01\x02\x1b[31m red "
	    "https://evil.example/x.js \xe2\x80\xa8 caf\xc3\xa9");
	cell_set(&c[6], "ref", "hash#tag\nnew-line", "smtp", "mandatory",
	    VERDICT_PASS, "", "");
	/* A pass the RFC allows but does not prefer. */
	c[6].not_preferred = 1;
	c[6].preferred = xstrdup("no-connect (RFC7672 6)");
	*n = 7;
	free(big);
	return c;
}

static struct report_meta hostile_meta = {
	"20261128-162200-1234</title><script>", "2026-11-28T16:22:00Z", 12.5,
	"danelab run --target 'ref,postfix' \"x\"", "ref 0.1\npostfix 3.7.11",
	NULL, NULL, NULL, NULL
};

/* slurp - a file's text or a failed test */
static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *text = file_read(path, len);

	ck_assert_msg(text != NULL, "cannot read %s: %s", path, strerror(errno));
	free(path);
	return text;
}

/* count_str - occurrences of needle in hay */
static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* dir_entries - number of entries in dir besides . and .. */
static int
dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* str_eq_field - compare one string field, naming it on failure */
static void
str_eq_field(const char *what, size_t i, const char *got, const char *want)
{
	ck_assert_msg(got && want && strcmp(got, want) == 0,
	    "cell %zu %s: got \"%.60s\", want \"%.60s\"", i, what,
	    got ? got : "(null)", want ? want : "(null)");
}

/* cells_eq - every field of a equals b's (want: strings as written) */
static void
cells_eq(const struct report_cell *a, const struct report_cell *b, size_t i)
{
	str_eq_field("scenario", i, a->scenario, b->scenario);
	str_eq_field("area", i, a->area, b->area);
	str_eq_field("file", i, a->file, b->file);
	str_eq_field("summary", i, a->summary, b->summary);
	str_eq_field("refs", i, a->refs, b->refs);
	str_eq_field("target", i, a->target, b->target);
	str_eq_field("resolver", i, a->resolver ? a->resolver : "",
	    b->resolver ? b->resolver : "");
	str_eq_field("proto", i, a->proto, b->proto);
	str_eq_field("policy", i, a->policy, b->policy);
	str_eq_field("expected", i, a->expected, b->expected);
	str_eq_field("cite", i, a->cite, b->cite);
	str_eq_field("preferred", i, a->preferred ? a->preferred : "",
	    b->preferred ? b->preferred : "");
	ck_assert_int_eq(a->not_preferred, b->not_preferred);
	str_eq_field("observed", i, a->observed, b->observed);
	str_eq_field("reason", i, a->reason, b->reason);
	str_eq_field("detail", i, a->detail, b->detail);
	ck_assert_int_eq(a->verdict, b->verdict);
	ck_assert_msg(a->seconds == b->seconds, "cell %zu seconds %g != %g", i,
	    a->seconds, b->seconds);
}

/* have_xmllint - is xmllint on PATH? */
static int
have_xmllint(void)
{
	return system("xmllint --version >/dev/null 2>&1") == 0;
}

START_TEST(test_json_string)
{
	struct buf b = { 0 };

	json_string(&b, "\x01\"\\\n\t/\x7f" "caf\xc3\xa9\xff", 0);
	ck_assert_str_eq(b.data, "\"\\u0001\\\"\\\\\\n\\t/\x7f" "caf\xc3\xa9"
	    "\xef\xbf\xbd\"");
	b.len = 0;
	json_string(&b, "</script><!--&\xe2\x80\xa8", JSON_HTML);
	ck_assert_str_eq(b.data, "\"\\u003c/script\\u003e\\u003c!--\\u0026"
	    "\\u2028\"");
	b.len = 0;
	json_number(&b, 0.1);
	ck_assert_str_eq(b.data, "0.1");
	buf_free(&b);
}
END_TEST

START_TEST(test_json_parse_errors)
{
	static const char good[] = " {\"a\": [1, -2.5e1, true, false, null, "
	    "\"\\ud83d\\ude00\\/\"]}\n";
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\":1,\"a\":2}", "\"\\u0000\"", "\"\xff\"",
		"01", "1.", "-", "tru", "[1] x", "\"\\ud800\"", "\"a\nb\"",
		"{\"a\" 1}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]"
		"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "1e999",
	};
	char err[128];
	struct json_value *v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
		ck_assert_msg(v == NULL, "accepted bad JSON #%zu", i);
		ck_assert_msg(strncmp(err, "line ", 5) == 0, "message %s", err);
	}
	v = json_parse(good, strlen(good), err, sizeof(err));
	ck_assert_msg(v != NULL, "%s", err);
	ck_assert_int_eq(json_get(v, "a")->n, 6);
	ck_assert(json_get(v, "a")->items[1].number == -25);
	ck_assert_str_eq(json_get(v, "a")->items[5].string, "\xf0\x9f\x98\x80/");
	json_free(v);
}
END_TEST

/* A directory the user chose gets no "latest" beside it. */
START_TEST(test_no_latest)
{
	char *top = tmp_dir(), *dir = xasprintf("%s/out/1", top);
	char *link = xasprintf("%s/out/latest", top);
	struct report_cell *cells;
	struct stat st;
	size_t n;

	cells = hostile_cells(&n);
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n, 0), 0);
	ck_assert_int_eq(dir_entries(dir), NFILES + 1);	/* and cells/ */
	ck_assert_int_ne(lstat(link, &st), 0);
	report_cells_free(cells, n);
	rm_rf(top);
	free(link);
	free(dir);
	free(top);
}
END_TEST

START_TEST(test_write_read)
{
	char *top = tmp_dir(), *dir = xasprintf("%s/runs/r1", top);
	char *text, *path, *cmd, link[64];
	struct report_cell *cells, *back = NULL;
	struct report_meta meta = { 0 };
	size_t n, nback = 0, len;
	ssize_t k;

	cells = hostile_cells(&n);
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n, 1), 0);
	for (size_t i = 0; i < NFILES; i++) {
		text = slurp(dir, report_files[i], &len);
		ck_assert_msg(len > 0, "%s is empty", report_files[i]);
		free(text);
	}
	ck_assert_int_eq(dir_entries(dir), NFILES + 1);	/* and cells/ */
	path = xasprintf("%s/runs/latest", top);
	k = readlink(path, link, sizeof(link) - 1);
	ck_assert_int_gt(k, 0);
	link[k] = 0;
	ck_assert_str_eq(link, "r1");
	free(path);

	/* results.json reads back field for field. */
	path = xasprintf("%s/results.json", dir);
	ck_assert_int_eq(report_read_json(path, &meta, &back, &nback), 0);
	ck_assert_uint_eq(nback, n);
	free(cells[5].detail);	/* invalid UTF-8 comes back as U+FFFD */
	cells[5].detail = xstrdup("a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
	    "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d \x01\x02\x1b[31m red "
	    "https://evil.example/x.js \xe2\x80\xa8 caf\xc3\xa9");
	for (size_t i = 0; i < n; i++)
		cells_eq(&back[i], &cells[i], i);
	ck_assert_str_eq(meta.run_id, hostile_meta.run_id);
	ck_assert_str_eq(meta.started, hostile_meta.started);
	ck_assert_str_eq(meta.command, hostile_meta.command);
	ck_assert_str_eq(meta.targets, hostile_meta.targets);
	ck_assert_ptr_null(meta.shard);
	ck_assert(meta.seconds == hostile_meta.seconds);
	ck_assert_int_eq(report_exit_status(back, nback), EXIT_FAILED);
	ck_assert_int_eq(report_exit_status(back, 1), EXIT_PASS);
	free(path);

	/* junit.xml: counts, well-formed, and valid by the schema. */
	text = slurp(dir, "junit.xml", NULL);
	ck_assert_ptr_nonnull(strstr(text, "tests=\"7\" failures=\"2\" "
	    "errors=\"1\" skipped=\"2\""));
	ck_assert_uint_eq(count_str(text, "<testsuite "), 3);
	ck_assert_uint_eq(count_str(text, "<testcase "), 7);
	ck_assert_uint_eq(count_str(text, "<failure "), 2);
	ck_assert_uint_eq(count_str(text, "<error "), 1);
	ck_assert_uint_eq(count_str(text, "<skipped "), 2);
	ck_assert_ptr_nonnull(strstr(text, "<skipped message=\"xfail: known: "
	    "&lt;/script&gt;"));
	ck_assert_ptr_null(strchr(text, '\x01'));
	ck_assert_ptr_null(strchr(text, '\x1b'));
	free(text);
	if (have_xmllint()) {
		cmd = xasprintf("xmllint --noout '%s/junit.xml' && xmllint "
		    "--noout --schema '%s/harness/tests/data/junit.xsd' "
		    "'%s/junit.xml' 2>/dev/null", dir, template_datadir(), dir);
		ck_assert_msg(system(cmd) == 0, "xmllint rejects junit.xml: %s",
		    cmd);
		free(cmd);
	} else
		fprintf(stderr, "check_report: xmllint not installed: junit.xml "
		    "not validated (apt-get install libxml2-utils)\n");

	/* results.tap: a plan and one line per cell, ok or not. */
	text = slurp(dir, "results.tap", NULL);
	{
		static const char *const want[] = {
			"ok 1 - ref/ee-spki-sha256 smtp opportunistic\n",
			"not ok 2 - postfix/q\"uote'd <b>&amp;</b> smtp mandatory\n",
			"not ok 3 - postfix/xfail-case xmpp opportunistic # TODO "
			    "known: </script><script>alert(1)</script>\n",
			"not ok 4 - postfix/xpass-case smtp opportunistic\n",
			"ok 5 - exim/skip-case xmpp mandatory # SKIP no xmpp \\# here\n",
			"not ok 6 - exim/error-case smtp mandatory\n",
			"ok 7 - ref/hash\\#tag new-line smtp mandatory\n",
		};
		size_t lines = 0;

		ck_assert_msg(strncmp(text, "TAP version 13\n1..7\n", 20) == 0,
		    "TAP header: %.30s", text);
		for (char *p = text; *p; p = strchr(p, '\n') + 1) {
			if (strncmp(p, "ok ", 3) == 0 || strncmp(p, "not ok ", 7) == 0) {
				ck_assert_uint_lt(lines, 7);
				ck_assert_msg(strncmp(p, want[lines],
				    strlen(want[lines])) == 0, "TAP line %zu: %.80s",
				    lines + 1, p);
				lines++;
			}
		}
		ck_assert_uint_eq(lines, 7);
		ck_assert_uint_eq(count_str(text, "  ---\n"), 4);
		ck_assert_ptr_nonnull(strstr(text, "  verdict: pass, not preferred\n"
		    "  preferred: \"no-connect (RFC7672 6)\"\n"));
		ck_assert_ptr_nonnull(strstr(text, "  reason: \"timeout\\nafter 10 s\"\n"));
	}
	free(text);

	/* summary.md: the totals line and the target table. */
	text = slurp(dir, "summary.md", NULL);
	ck_assert_ptr_nonnull(strstr(text, "**7 cells:** 2 pass (1 not preferred), 1 fail, 1 xfail, "
	    "1 xpass, 1 skip, 1 error (FAILED)"));
	ck_assert_ptr_nonnull(strstr(text, "| postfix | 3 | 0 | 0 | 1 | 1 | 1 | 0 | 0 |"));
	ck_assert_ptr_nonnull(strstr(text, "| ref | 2 | 2 | 1 | 0 | 0 | 0 | 0 | 0 |"));
	ck_assert_ptr_nonnull(strstr(text, "| exim | 2 | 0 | 0 | 0 | 0 | 0 | 1 | 1 |"));
	ck_assert_uint_eq(count_str(text, "\n| **fail** |"), 1);
	ck_assert_ptr_nonnull(strstr(text, "### Pass, not preferred"));
	ck_assert_ptr_nonnull(strstr(text, "| smtp | mandatory | authenticated | "
	    "no-connect (RFC7672 6) |"));
	ck_assert_ptr_null(strstr(text, "<script>"));
	free(text);

	report_cells_free(back, nback);
	report_meta_free(&meta);
	report_cells_free(cells, n);
	rm_rf(top);
	free(top);
	free(dir);
}
END_TEST


/* A cell's DNS queries, its batch's window and the run's capture: in
 * results.json, read back as written; the capture copied into the
 * report as capture.pcap, which a later run may replace. */
START_TEST(test_queries_pcap)
{
	char *top = tmp_dir(), *dir = xasprintf("%s/r", top);
	char *pcap = xasprintf("%s/in.pcap", top), *path, *text;
	struct report_meta meta = hostile_meta, back_meta = { 0 };
	struct report_cell *cells, *back = NULL;
	size_t n, nback = 0, len;

	ck_assert_int_eq(file_write(pcap, "\xd4\xc3\xb2\xa1pcap\0data", 14),
	    0);
	meta.pcap = pcap;
	cells = hostile_cells(&n);
	cells[0].queries_seen = 1;
	cells[0].nqueries = 2;
	cells[0].queries = xcalloc(2, sizeof(*cells[0].queries));
	cells[0].queries[0] = (struct report_query){ xstrdup("mx1.a.example"),
	    xstrdup("A"), -1, xstrdup("NOERROR"), xstrdup("") };
	cells[0].queries[1] = (struct report_query){ xstrdup("_25._tcp.\"x\""),
	    xstrdup("TLSA"), 1, xstrdup("SERVFAIL"), xstrdup("bogus") };
	cells[0].queries_note = xstrdup("1 query expectation: met");
	cells[0].window_from = 1795926968.523;
	cells[0].window_to = 1795926968.59;
	cells[1].queries_seen = 1;	/* asked nothing */
	cells[1].queries_note = xstrdup("");
	ck_assert_int_eq(report_write(dir, &meta, cells, n, 0), 0);
	text = slurp(dir, "capture.pcap", &len);
	ck_assert_uint_eq(len, 14);
	ck_assert_int_eq(memcmp(text, "\xd4\xc3\xb2\xa1pcap\0data", 14), 0);
	free(text);
	text = slurp(dir, "results.json", NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"pcap\": \"capture.pcap\""));
	ck_assert_ptr_nonnull(strstr(text, "\"queries\": [{\"name\": "
	    "\"mx1.a.example\", \"type\": \"A\", \"do\": null, \"rcode\": "
	    "\"NOERROR\", \"state\": \"\"}"));
	ck_assert_ptr_nonnull(strstr(text, "\"window\": [1795926968.523, "
	    "1795926968.590]"));
	ck_assert_ptr_nonnull(strstr(text, "\"queries\": null, "
	    "\"queries_note\": null"));
	free(text);
	text = slurp(dir, "index.html", NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"pcap\": \"capture.pcap\""));
	free(text);
	path = xasprintf("%s/results.json", dir);
	ck_assert_int_eq(report_read_json(path, &back_meta, &back, &nback), 0);
	ck_assert_uint_eq(nback, n);
	ck_assert_int_eq(back[0].queries_seen, 1);
	ck_assert_uint_eq(back[0].nqueries, 2);
	ck_assert_str_eq(back[0].queries[1].name, "_25._tcp.\"x\"");
	ck_assert_str_eq(back[0].queries[1].type, "TLSA");
	ck_assert_int_eq(back[0].queries[1].dnssec_ok, 1);
	ck_assert_int_eq(back[0].queries[0].dnssec_ok, -1);
	ck_assert_str_eq(back[0].queries[1].rcode, "SERVFAIL");
	ck_assert_str_eq(back[0].queries[1].state, "bogus");
	ck_assert_str_eq(back[0].queries_note, "1 query expectation: met");
	ck_assert(back[0].window_from > 1795926968.52
	    && back[0].window_to < 1795926968.591);
	ck_assert_int_eq(back[1].queries_seen, 1);
	ck_assert_uint_eq(back[1].nqueries, 0);
	ck_assert_int_eq(back[2].queries_seen, 0);
	ck_assert_ptr_null(back[2].queries_note);
	ck_assert_ptr_null(back_meta.pcap);	/* a merge carries no capture */
	/* A report holding a capture is replaced by one without. */
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n, 0), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	free(path);
	path = xasprintf("%s/capture.pcap", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	report_cells_free(back, nback);
	report_meta_free(&back_meta);
	report_cells_free(cells, n);
	ck_assert_int_eq(file_rmtree(top), 0);
	free(path);
	free(pcap);
	free(dir);
	free(top);
}
END_TEST

START_TEST(test_html)
{
	static const char start[] = "<script type=\"application/json\" id=\"data\">";
	char *top = tmp_dir(), *text, *p, *end, *outside, *payload, err[128];
	struct report_cell *cells;
	struct json_value *v;
	size_t n;

	cells = hostile_cells(&n);
	ck_assert_int_eq(report_write(top, &hostile_meta, cells, n, 1), 0);
	text = slurp(top, "index.html", NULL);
	ck_assert_msg(strncmp(text, "<!DOCTYPE html>\n", 16) == 0,
	    "index.html opens with %.20s", text);	/* no quirks mode */
	ck_assert_ptr_null(strstr(text, "</title><script>"));
	ck_assert_ptr_nonnull(strstr(text, "<title>danelab run 20261128-162200-1234"
	    "&lt;/title&gt;&lt;script&gt;</title>"));
	/* The payload runs to the one "</script" after it and parses whole. */
	p = strstr(text, start);
	ck_assert_ptr_nonnull(p);
	p += strlen(start);
	end = strcasestr(p, "</script");
	ck_assert_ptr_nonnull(end);
	payload = xstrndup(p, end - p);
	ck_assert_ptr_null(strstr(payload, "<!--"));
	ck_assert_ptr_null(strstr(payload, "</"));
	ck_assert_ptr_null(strchr(payload, '<'));
	free(payload);
	v = json_parse(p, end - p, err, sizeof(err));
	ck_assert_msg(v != NULL, "payload: %s", err);
	ck_assert_uint_eq(json_get(v, "cells")->n, n);
	/* Compact: a cell is an array, its scenario's fields apart. */
	ck_assert_uint_eq(json_get(v, "cells")->items[2].n, 14);
	ck_assert_str_eq(json_get(v, "cells")->items[2].items[9].string,
	    cells[2].reason);
	ck_assert_str_eq(json_get(v, "cells")->items[2].items[12].string,
	    "cells/postfix/xfail-case-xmpp-opportunistic.txt");
	ck_assert_ptr_null(strstr(text, "<!-- </SCRIPT> -->"));	/* no detail */
	json_free(v);
	/* No network reference anywhere outside the payload (text included). */
	outside = xasprintf("%.*s%s", (int)(p - text), text, end);
	ck_assert_ptr_null(strstr(outside, "http://"));
	ck_assert_ptr_null(strstr(outside, "https://"));
	ck_assert_ptr_null(strstr(outside, "//cdn"));
	ck_assert_ptr_nonnull(strstr(outside, "default-src 'none'"));
	ck_assert_ptr_null(strchr(outside, '@'));
	free(outside);
	free(text);
	report_cells_free(cells, n);
	rm_rf(top);
	free(top);
}
END_TEST

/* shard_write - write cells[i] with i % 2 == part into dir as shard part+1/2 */
static char *
shard_write(const char *top, const struct report_cell *cells, size_t n,
    int part, double seconds)
{
	struct report_cell *s = xcalloc(n, sizeof(*s));
	struct report_meta m = hostile_meta;
	char *dir = xasprintf("%s/shard%d", top, part + 1);
	char shard[8];
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if ((int)(i % 2) == part)
			s[k++] = cells[i];
	snprintf(shard, sizeof(shard), "%d/2", part + 1);
	m.shard = shard;
	m.seconds = seconds;
	ck_assert_int_eq(report_write(dir, &m, s, k, 1), 0);
	free(s);
	free(dir);
	return xasprintf("%s/shard%d/results.json", top, part + 1);
}

/* origin_cmp - order cells by target, scenario, proto, policy */
static int
cell_cmp(const void *a, const void *b)
{
	const struct report_cell *x = a, *y = b;
	int d;

	if ((d = strcmp(x->target, y->target)) || (d = strcmp(x->scenario,
	    y->scenario)) || (d = strcmp(x->proto, y->proto)))
		return d;
	return strcmp(x->policy, y->policy);
}

/* capture_stderr - send stderr to a file (path NULL: restore); */
static int saved_stderr = -1;
static void
capture_stderr(const char *path)
{
	fflush(stderr);
	if (path) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		ck_assert_int_ge(fd, 0);
		saved_stderr = dup(2);
		dup2(fd, 2);
		close(fd);
	} else {
		dup2(saved_stderr, 2);
		close(saved_stderr);
	}
}

/* The terminal: lines cut to the width, escape codes only when fancy. */
START_TEST(test_term)
{
	struct term plain = { 0, 50 }, fancy = { 1, 0 }, whole = { 0, 0 };
	struct report_cell *cells;
	struct buf b = { 0 };
	size_t n;

	term_cut(&b, "caf\xc3\xa9 \x1b[31m red", 0);
	ck_assert_str_eq(b.data, "caf\xc3\xa9  [31m red");
	b.len = 0;
	term_cut(&b, "abcdefghij", 8);
	ck_assert_str_eq(b.data, "abcde...");
	b.len = 0;
	term_cut(&b, "abcdefgh", 8);
	ck_assert_str_eq(b.data, "abcdefgh");
	b.len = 0;
	term_progress(&b, &whole, 3, 12, "postfix smtp mandatory", 1, 30);
	ck_assert_str_eq(b.data, "[3/12] 25% postfix smtp mandatory, 1 not "
	    "passing, 0:30, ETA 1:30");
	b.len = 0;

	cells = hostile_cells(&n);
	term_summary(&b, &plain, cells, n, 0, 0);
	ck_assert_ptr_null(strchr(b.data, '\033'));
	ck_assert_ptr_nonnull(strstr(b.data, "\npostfix                   3      0 "
	    "       0      1      1      1      0      0\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\nall                       7      2 "
	    "       1      1      1      1      1      1\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\nerror exim/error-case smtp "
	    "mandatory: timeout a...\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\nfail  postfix/"));
	ck_assert_ptr_nonnull(strstr(b.data, "\nxpass postfix/xpass-case"));
	ck_assert_ptr_null(strstr(b.data, "\nxfail "));
	ck_assert_ptr_nonnull(strstr(b.data, "1 xfail (known deviations) not "
	    "listed: -v lists them\n"));
	for (char *p = b.data; (p = strchr(p, '\n')) != NULL; p++) {
		char *e = strchr(p + 1, '\n');

		ck_assert_msg(e == NULL || e - p - 1 <= 80, "long line %.*s",
		    (int)(e ? e - p : 0), p);
	}
	b.len = 0;
	term_summary(&b, &fancy, cells, n, 1, 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\033[1;31mfail \033[0m postfix/"));
	ck_assert_ptr_nonnull(strstr(b.data, "\033[33mxfail\033[0m postfix/"
	    "xfail-case xmpp opportunistic: known: </script>"));
	ck_assert_ptr_null(strstr(b.data, "not listed"));
	b.len = 0;
	term_summary(&b, &plain, cells, n, 0, 1);	/* -q: no table */
	ck_assert_ptr_null(strstr(b.data, "target "));
	ck_assert_ptr_nonnull(strstr(b.data, "error exim/error-case"));
	buf_free(&b);
	report_cells_free(cells, n);
}
END_TEST

/* detail_file - cell i's "detail_file" in dir's results.json; caller frees */
static char *
detail_file(const char *dir, size_t i)
{
	char *text = slurp(dir, "results.json", NULL), err[128], *s;
	struct json_value *v = json_parse(text, strlen(text), err, sizeof(err));

	ck_assert_msg(v != NULL, "results.json: %s", err);
	s = xstrdup(json_get(&json_get(v, "cells")->items[i],
	    "detail_file")->string);
	json_free(v);
	free(text);
	return s;
}

/* Version 2: each cell's detail in a file of its own under cells/. */
START_TEST(test_detail_files)
{
	char *top = tmp_dir(), *dir = xasprintf("%s/r", top), *f, *text, *path;
	char *v1 = xasprintf("%s/harness/tests/data/report-shard1.json",
	    template_datadir()), *log = xasprintf("%s/stderr", top);
	struct report_cell *cells, *back = NULL;
	size_t n, nback = 0;

	cells = hostile_cells(&n);
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n, 0), 0);
	text = slurp(dir, "results.json", NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"version\": 2,"));
	ck_assert_ptr_null(strstr(text, "\"detail\":"));
	free(text);
	/* Named by the cell where the names are safe, numbered elsewhere. */
	for (size_t i = 0; i < 2; i++) {
		f = detail_file(dir, i);
		ck_assert_str_eq(f, i == 0 ? "cells/ref/"
		    "ee-spki-sha256-smtp-opportunistic.txt"
		    : "cells/postfix/_cell-2.txt");
		text = slurp(dir, f, NULL);
		ck_assert_str_eq(text, cells[i].detail);
		free(text);
		free(f);
	}
	f = detail_file(dir, 4);	/* no detail, no file */
	ck_assert_str_eq(f, "");
	free(f);

	/* A missing file: a warning, and the detail says so. */
	path = xasprintf("%s/cells/ref/ee-spki-sha256-smtp-opportunistic.txt",
	    dir);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	path = xasprintf("%s/results.json", dir);
	capture_stderr(log);
	ck_assert_int_eq(report_read_json(path, NULL, &back, &nback), 0);
	capture_stderr(NULL);
	ck_assert_uint_eq(nback, n);
	ck_assert_ptr_nonnull(strstr(back[0].detail, "missing"));
	ck_assert_str_eq(back[1].detail, cells[1].detail);
	report_cells_free(back, nback);
	back = NULL;
	nback = 0;

	/* A detail_file outside cells/ is refused. */
	text = slurp(dir, "results.json", NULL);
	f = strstr(text, "cells/postfix/_cell-2.txt");
	ck_assert_ptr_nonnull(f);
	memcpy(f, "cells/../../../etc/passw", 24);
	ck_assert_int_eq(file_write(path, text, strlen(text)), 0);
	free(text);
	capture_stderr(log);
	ck_assert_int_eq(report_read_json(path, NULL, &back, &nback), -1);
	capture_stderr(NULL);
	text = file_read(log, NULL);
	ck_assert_ptr_nonnull(strstr(text, "cells[1].detail_file"));
	free(text);
	free(path);

	/* Version 1, details inline, still reads. */
	ck_assert_int_eq(report_read_json(v1, NULL, &back, &nback), 0);
	ck_assert_uint_gt(nback, 0);
	ck_assert_uint_gt(strlen(back[0].detail), 0);
	report_cells_free(back, nback);
	report_cells_free(cells, n);
	rm_rf(top);
	free(log);
	free(v1);
	free(dir);
	free(top);
}
END_TEST

START_TEST(test_merge)
{
	char *top = tmp_dir(), *files[3], *out, *path, *log, *text;
	struct report_cell *cells, *whole = NULL, *merged = NULL;
	struct report_meta meta = { 0 };
	size_t n, nwhole = 0, nmerged = 0, len;

	cells = hostile_cells(&n);
	/* Make every detail valid UTF-8 so "whole" compares byte for byte. */
	free(cells[5].detail);
	cells[5].detail = xstrdup("plain");
	files[0] = shard_write(top, cells, n, 0, 10);
	files[1] = shard_write(top, cells, n, 1, 5.5);
	out = xasprintf("%s/merged", top);
	ck_assert_int_eq(report_merge(out, files, 2), EXIT_FAILED);
	path = xasprintf("%s/results.json", out);
	ck_assert_int_eq(report_read_json(path, &meta, &merged, &nmerged), 0);
	ck_assert_ptr_null(meta.shard);
	ck_assert(meta.seconds == 15.5);
	ck_assert_str_eq(meta.run_id, hostile_meta.run_id);
	for (size_t i = 0; i < n; i++) {
		whole = xrealloc(whole, (nwhole + 1) * sizeof(*whole));
		whole[nwhole++] = cells[i];
	}
	ck_assert_uint_eq(nmerged, nwhole);
	qsort(whole, nwhole, sizeof(*whole), cell_cmp);
	qsort(merged, nmerged, sizeof(*merged), cell_cmp);
	for (size_t i = 0; i < nwhole; i++)
		cells_eq(&merged[i], &whole[i], i);
	free(whole);
	report_cells_free(merged, nmerged);
	report_meta_free(&meta);
	free(path);
	free(out);

	/* The same shard twice: refused, naming both files, nothing written. */
	files[2] = xasprintf("%s/shard1/copy.json", top);
	text = slurp(top, "shard1/results.json", &len);
	ck_assert_int_eq(file_write(files[2], text, len), 0);
	free(text);
	out = xasprintf("%s/disjoint", top);
	ck_assert_int_eq(report_merge(out, files + 1, 2), EXIT_FAILED);
	free(out);
	out = xasprintf("%s/dup", top);
	log = xasprintf("%s/stderr", top);
	capture_stderr(log);
	ck_assert_int_eq(report_merge(out, (char *[]){ files[0], files[2] }, 2),
	    EXIT_USAGE);
	capture_stderr(NULL);
	text = file_read(log, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, files[0]) && strstr(text, files[2])
	    && strstr(text, "both have cell"), "message: %s", text);
	free(text);
	ck_assert_int_eq(access(out, F_OK), -1);
	free(log);
	free(out);

	/* A file that does not parse is bad input, and so is none. */
	ck_assert_int_eq(report_merge(NULL, (char *[]){ top }, 1), EXIT_USAGE);
	ck_assert_int_eq(report_merge(NULL, files, 0), EXIT_USAGE);

	for (int i = 0; i < 3; i++)
		free(files[i]);
	report_cells_free(cells, n);
	rm_rf(top);
	free(top);
}
END_TEST

START_TEST(test_read_bad)
{
	static const struct {
		const char *json;
		const char *why;	/* part of the message */
	} bad[] = {
		{ "{\"schema\":\"other\",\"version\":1}", "schema" },
		{ "{\"schema\":\"danelab-results\",\"version\":3}", "version" },
		{ "{\"schema\":\"danelab-results\",\"version\":1,\"run\":{\"id\":\"x\","
		    "\"started\":\"\",\"seconds\":1,\"command\":\"\",\"targets\":\"\","
		    "\"shard\":null},\"cells\":[{}],\"totals\":{}}", "cells[0]" },
		{ "{\"schema\":\"danelab-results\",\"version\":1,\"run\":{\"id\":\"x\","
		    "\"started\":\"\",\"seconds\":1,\"command\":\"\",\"targets\":\"\","
		    "\"shard\":null},\"cells\":[],\"totals\":{\"pass\":1,\"fail\":0,"
		    "\"xfail\":0,\"xpass\":0,\"skip\":0,\"error\":0}}", "totals.pass" },
		{ "{\"schema\":\"danelab-results\",\n\"version\":1,\n\"run\":{\"id\":5}}",
		    "line 3" },
		{ "{\"schema\":\"danelab-results\"", "line 1, byte 27" },
	};
	char *top = tmp_dir(), *path = xasprintf("%s/bad.json", top);
	char *log = xasprintf("%s/stderr", top), *text;
	struct report_cell *cells = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(file_write(path, bad[i].json,
		    strlen(bad[i].json)), 0);
		capture_stderr(log);
		ck_assert_int_eq(report_read_json(path, NULL, &cells, &n), -1);
		capture_stderr(NULL);
		ck_assert_uint_eq(n, 0);
		text = file_read(log, NULL);
		ck_assert_msg(strstr(text, path) && strstr(text, bad[i].why),
		    "case %zu: message %s", i, text);
		free(text);
	}
	free(cells);
	free(log);
	free(path);
	rm_rf(top);
	free(top);
}
END_TEST

START_TEST(test_unwritable)
{
	char *top = tmp_dir(), *file, *dir, *blocker, *runs;
	struct report_cell *cells;
	size_t n;

	cells = hostile_cells(&n);
	/* A directory below a plain file cannot be made, even by root. */
	file = xasprintf("%s/plain", top);
	ck_assert_int_eq(file_write(file, "x", 1), 0);
	dir = xasprintf("%s/run", file);
	msg_quiet = 1;
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n, 1), -1);
	ck_assert_int_eq(dir_entries(top), 1);
	free(dir);

	/* A report that cannot be renamed into place: none is left. */
	runs = xasprintf("%s/runs", top);
	dir = xasprintf("%s/r2", runs);
	blocker = xasprintf("%s/summary.md", dir);
	ck_assert_int_eq(mkdir(runs, 0755), 0);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(mkdir(blocker, 0755), 0);
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n, 1), -1);
	ck_assert_int_eq(dir_entries(dir), 1);	/* only the blocker */
	ck_assert_int_eq(dir_entries(runs), 1);	/* no latest */

	/* Without root, a read-only directory. */
	if (geteuid() != 0) {
		char *ro = xasprintf("%s/ro", top);

		ck_assert_int_eq(mkdir(ro, 0555), 0);
		ck_assert_int_eq(report_write(ro, &hostile_meta, cells, n, 1), -1);
		ck_assert_int_eq(dir_entries(ro), 0);
		chmod(ro, 0755);
		free(ro);
	}
	msg_quiet = 0;
	report_cells_free(cells, n);
	rm_rf(top);
	free(blocker);
	free(runs);
	free(dir);
	free(file);
	free(top);
}
END_TEST

START_TEST(test_replace)
{
	char *top = tmp_dir(), *dir = xasprintf("%s/r1", top);
	char *foreign = xasprintf("%s/notes.txt", dir), *text;
	struct report_cell *cells;
	size_t n;

	cells = hostile_cells(&n);
	/* Reports over reports: replaced whole, nothing else beside. */
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n, 1), 0);
	ck_assert_int_eq(file_write(foreign, "mine", 4), 0);
	msg_quiet = 1;
	ck_assert_int_eq(report_dir_check(dir), -1);
	ck_assert_int_eq(unlink(foreign), 0);
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n - 1, 1), 0);
	ck_assert_int_eq(dir_entries(dir), NFILES + 1);	/* and cells/ */
	ck_assert_int_eq(dir_entries(top), 2);	/* r1 and latest, no stage */
	text = slurp(dir, "results.tap", NULL);
	ck_assert_ptr_nonnull(strstr(text, "1..6\n"));
	free(text);

	/* A directory holding something else is left alone. */
	ck_assert_int_eq(file_write(foreign, "mine", 4), 0);
	ck_assert_int_eq(report_write(dir, &hostile_meta, cells, n, 1), -1);
	ck_assert_int_eq(dir_entries(dir), NFILES + 2);
	ck_assert_int_eq(dir_entries(top), 2);
	text = slurp(dir, "results.tap", NULL);
	ck_assert_ptr_nonnull(strstr(text, "1..6\n"));
	free(text);
	msg_quiet = 0;
	report_cells_free(cells, n);
	rm_rf(top);
	free(foreign);
	free(dir);
	free(top);
}
END_TEST

/* seen_set - cell c (target, scenario, proto, policy): verdict v, observed o */
static void
seen_set(struct report_cell *c, const char *target, const char *scenario,
    const char *proto, const char *policy, enum verdict v, const char *o)
{
	cell_set(c, target, scenario, proto, policy, v, "", "");
	free(c->observed);
	c->observed = xstrdup(o);
}

START_TEST(test_disagree)
{
	struct report_cell *c = xcalloc(16, sizeof(*c));
	struct report_disagreement *d;
	char *top = tmp_dir(), *text, *p;
	size_t n = 0, nd;

	/* Disagree, one failing. */
	seen_set(&c[n++], "ref", "s1", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[n++], "postfix", "s1", "smtp", "mandatory", VERDICT_FAIL,
	    "encrypted at mx1");
	/* Agree. */
	seen_set(&c[n++], "ref", "s1", "smtp", "opportunistic", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[n++], "postfix", "s1", "smtp", "opportunistic",
	    VERDICT_PASS, "authenticated at mx1");
	/* Skip and error do not count. */
	seen_set(&c[n++], "ref", "s2", "smtp", "mandatory", VERDICT_PASS,
	    "refused at mx1");
	seen_set(&c[n++], "postfix", "s2", "smtp", "mandatory", VERDICT_SKIP,
	    "");
	seen_set(&c[n++], "exim", "s2", "smtp", "mandatory", VERDICT_ERROR,
	    "no-connect");
	/* Both pass: disagree whatever the expectation says. */
	seen_set(&c[n++], "ref", "s3", "xmpp", "mandatory", VERDICT_PASS,
	    "encrypted at xmpp1");
	seen_set(&c[n++], "exim", "s3", "xmpp", "mandatory", VERDICT_PASS,
	    "authenticated at xmpp1");
	/* One target alone agrees with itself. */
	seen_set(&c[n++], "ref", "s4", "smtp", "mandatory", VERDICT_PASS,
	    "refused at mx1");
	/* The same outcome at another host; and a skip among them. */
	seen_set(&c[n++], "exim", "s5", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx2");
	seen_set(&c[n++], "postfix", "s5", "smtp", "mandatory", VERDICT_SKIP,
	    "");
	seen_set(&c[n++], "ref", "s5", "smtp", "mandatory", VERDICT_XFAIL,
	    "authenticated at mx1");

	nd = report_disagree(c, n, &d);
	ck_assert_uint_eq(nd, 3);
	ck_assert_uint_eq(d[0].n, 2);
	ck_assert_uint_eq(d[0].cells[0], 0);
	ck_assert_uint_eq(d[0].cells[1], 1);
	ck_assert_uint_eq(d[1].n, 2);
	ck_assert_uint_eq(d[1].cells[0], 7);
	ck_assert_uint_eq(d[2].n, 3);	/* the skip shown, not counted */
	ck_assert_uint_eq(d[2].cells[0], 10);
	ck_assert_uint_eq(d[2].cells[2], 12);
	ck_assert_ptr_null(report_disagree_free(d, nd));

	/* summary.md: one row per group, a column per target. */
	ck_assert_int_eq(report_write(top, &hostile_meta, c, n, 0), 0);
	text = slurp(top, "summary.md", NULL);
	p = strstr(text, "### Where the targets disagree\n\n3 places");
	ck_assert_msg(p != NULL, "%s", text);
	ck_assert_msg(strstr(p, "| scenario | proto | policy | ref | postfix "
	    "| exim |\n|---|---|---|---|---|---|\n"
	    "| s1 | smtp | mandatory | authenticated at mx1 | encrypted at mx1 "
	    "(**fail**) | \xe2\x80\x93 |\n"
	    "| s3 | xmpp | mandatory | encrypted at xmpp1 | \xe2\x80\x93 | "
	    "authenticated at xmpp1 |\n"
	    "| s5 | smtp | mandatory | authenticated at mx1 (xfail) | *skip* | "
	    "authenticated at mx2 |\n"), "%s", p);
	/* s2 has no row of its own. */
	ck_assert_ptr_null(strstr(text, "\n| s2 |"));
	free(text);
	/* index.html: the groups as indices, for the marker and the filter. */
	text = slurp(top, "index.html", NULL);
	ck_assert_ptr_nonnull(strstr(text, "id=\"disagree-data\">[[0,1],\n"
	    "[7,8],\n[10,11,12]]</script>"));
	free(text);

	/* Agreeing targets: said so; one target: no such section. */
	ck_assert_int_eq(report_write(top, &hostile_meta, c + 2, 2, 0), 0);
	text = slurp(top, "summary.md", NULL);
	ck_assert_ptr_nonnull(strstr(text, "### Where the targets disagree\n\n"
	    "Nowhere"));
	free(text);
	text = slurp(top, "index.html", NULL);
	ck_assert_ptr_nonnull(strstr(text, "id=\"disagree-data\">[]</script>"));
	free(text);
	ck_assert_int_eq(report_write(top, &hostile_meta, c + 9, 1, 0), 0);
	text = slurp(top, "summary.md", NULL);
	ck_assert_ptr_null(strstr(text, "disagree"));
	free(text);
	report_cells_free(c, n);
	rm_rf(top);
	free(top);
}
END_TEST

/*
 * The TLS library families side by side: summary.md's target table has a
 * TLS column and groups its rows by family (families in order of first
 * appearance, a target of no known family last); results.json and
 * index.html carry the run's "tls" lines, and results.json reads back
 * with them; index.html's matrix draws a family row above the targets.
 */
START_TEST(test_tls_family)
{
	struct report_meta meta = hostile_meta, back = { 0 };
	struct report_cell *c = xcalloc(8, sizeof(*c)), *rc = NULL;
	const char *order[] = { "| OpenSSL | ref |", "| OpenSSL | postfix |",
	    "| GnuTLS | exim |", "| GnuTLS | gnutls |", "|  | ldns |" };
	char *top = tmp_dir(), *text, *path, *p, *q;
	size_t n = 0, nrc = 0;

	meta.tls = "ref: OpenSSL\nexim: GnuTLS\npostfix: OpenSSL\n"
	    "gnutls: GnuTLS";
	seen_set(&c[n++], "ref", "s1", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[n++], "exim", "s1", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[n++], "ldns", "s1", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[n++], "postfix", "s1", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[n++], "gnutls", "s1", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[n++], "exim", "s2", "smtp", "mandatory", VERDICT_PASS,
	    "encrypted at mx1");
	seen_set(&c[n++], "ref", "s2", "smtp", "mandatory", VERDICT_PASS,
	    "refused at mx1");
	ck_assert_int_eq(report_write(top, &meta, c, n, 0), 0);
	text = slurp(top, "summary.md", NULL);
	p = strstr(text, "| TLS | target | cells |");
	ck_assert_msg(p != NULL, "%s", text);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		q = strstr(p, order[i]);
		ck_assert_msg(q != NULL, "no \"%s\" after the last in %s",
		    order[i], text);
		p = q;
	}
	/* The interop table: the same order, each target's family named. */
	ck_assert_msg(strstr(text, "| scenario | proto | policy | ref (OpenSSL) "
	    "| postfix (OpenSSL) | exim (GnuTLS) | gnutls (GnuTLS) | ldns |\n")
	    != NULL, "%s", text);
	free(text);
	text = slurp(top, "index.html", NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"tls\": \"ref: OpenSSL\\nexim: "
	    "GnuTLS\\npostfix: OpenSSL\\ngnutls: GnuTLS\""));
	ck_assert_ptr_nonnull(strstr(text, "span(2, hf, famOf("));
	free(text);
	path = xasprintf("%s/results.json", top);
	ck_assert_int_eq(report_read_json(path, &back, &rc, &nrc), 0);
	ck_assert_str_eq(back.tls, meta.tls);
	ck_assert_uint_eq(nrc, n);
	report_meta_free(&back);
	report_cells_free(rc, nrc);
	rc = NULL;
	nrc = 0;
	/* No "tls": no families, the targets in their own order. */
	meta.tls = NULL;
	ck_assert_int_eq(report_write(top, &meta, c, n, 0), 0);
	text = slurp(top, "summary.md", NULL);
	p = strstr(text, "|  | ref |");
	ck_assert_msg(p != NULL && strstr(p, "|  | exim |") != NULL
	    && strstr(strstr(p, "|  | exim |"), "|  | ldns |") != NULL,
	    "%s", text);
	free(text);
	ck_assert_int_eq(report_read_json(path, &back, &rc, &nrc), 0);
	ck_assert_ptr_null(back.tls);
	report_meta_free(&back);
	report_cells_free(rc, nrc);
	free(path);
	report_cells_free(c, n);
	rm_rf(top);
	free(top);
}
END_TEST

/* strip_all - remove every occurrence of what from s, in place */
static void
strip_all(char *s, const char *what)
{
	char *p;
	size_t len = strlen(what);

	while ((p = strstr(s, what)) != NULL)
		memmove(p, p + len, strlen(p + len) + 1);
}

/* One target under two validators: two runs (--resolver unbound and
 * knot) merge into two columns, TARGET@RESOLVER, grouped by validator;
 * a file from before "resolver" was recorded reads its command's. */
START_TEST(test_resolver_columns)
{
	struct report_meta meta = hostile_meta, back = { 0 };
	struct report_cell *c = xcalloc(3, sizeof(*c)), *rc = NULL;
	char *top = tmp_dir(), *files[2], *out, *text, *path, *p;
	size_t nrc = 0, len;

	meta.tls = "ref: OpenSSL\npostfix: OpenSSL";
	seen_set(&c[0], "ref", "s1", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[1], "postfix", "s1", "smtp", "mandatory", VERDICT_PASS,
	    "authenticated at mx1");
	seen_set(&c[2], "postfix", "s1", "smtp", "mandatory", VERDICT_FAIL,
	    "no-connect");
	c[0].resolver = xstrdup("unbound");
	c[1].resolver = xstrdup("unbound");
	c[2].resolver = xstrdup("knot");
	free(c[2].detail);
	c[2].detail = xstrdup("the transcript");
	files[0] = xasprintf("%s/unbound/results.json", top);
	files[1] = xasprintf("%s/knot/results.json", top);
	meta.resolver = "unbound";
	ck_assert_int_eq(report_write(p = xasprintf("%s/unbound", top), &meta,
	    c, 2, 0), 0);
	free(p);
	meta.resolver = "knot";
	meta.command = "danelab run --resolver knot --target postfix";
	meta.tls = "postfix: OpenSSL\ngnutls: GnuTLS";
	ck_assert_int_eq(report_write(p = xasprintf("%s/knot", top), &meta,
	    c + 2, 1, 0), 0);
	free(p);
	/* The same target and scenario behind two validators: two cells. */
	out = xasprintf("%s/merged", top);
	ck_assert_int_eq(report_merge(out, files, 2), EXIT_FAILED);
	path = xasprintf("%s/results.json", out);
	ck_assert_int_eq(report_read_json(path, &back, &rc, &nrc), 0);
	ck_assert_uint_eq(nrc, 3);
	ck_assert_str_eq(back.resolver, "unbound,knot");
	ck_assert_str_eq(back.tls, "ref: OpenSSL\npostfix: OpenSSL\n"
	    "gnutls: GnuTLS");
	ck_assert_str_eq(rc[1].resolver, "unbound");
	ck_assert_str_eq(rc[2].resolver, "knot");
	ck_assert_int_ne(report_cell_key_cmp(&rc[1], &rc[2]), 0);
	report_meta_free(&back);
	report_cells_free(rc, nrc);
	rc = NULL;
	nrc = 0;
	text = slurp(out, "summary.md", NULL);
	ck_assert_msg(strstr(text, "| OpenSSL | postfix@unbound | 1 |")
	    && strstr(text, "| OpenSSL | postfix@knot | 1 |"), "%s", text);
	ck_assert_msg(strstr(text, "| scenario | proto | policy | "
	    "ref@unbound (OpenSSL) | postfix@unbound (OpenSSL) | "
	    "postfix@knot (OpenSSL) |\n"), "%s", text);
	free(text);
	static const char *const want[][2] = {
		{ "junit.xml", "<testsuite name=\"postfix@knot\"" },
		{ "junit.xml", "<testsuite name=\"postfix@unbound\"" },
		{ "results.tap", "not ok 3 - postfix@knot/s1 smtp mandatory" },
		{ "index.html", "\"resolver\": \"unbound,knot\"" },
		{ "index.html", ",\"knot\"]" },
		{ "results.json", "\"detail_file\": \"cells/postfix@knot/" },
	};
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		text = slurp(out, want[k][0], NULL);
		ck_assert_msg(strstr(text, want[k][1]), "%s lacks %s",
		    want[k][0], want[k][1]);
		free(text);
	}
	free(path);
	/* Written before "resolver" was recorded: the command says it. */
	path = xasprintf("%s/knot/results.json", top);
	text = file_read(path, &len);
	ck_assert_ptr_nonnull(text);
	strip_all(text, "\"resolver\": \"knot\", ");
	strip_all(text, ", \"resolver\": \"knot\"");
	ck_assert_ptr_null(strstr(text, "resolver\""));
	ck_assert_int_eq(file_write(path, text, strlen(text)), 0);
	free(text);
	ck_assert_int_eq(report_read_json(path, &back, &rc, &nrc), 0);
	ck_assert_str_eq(rc[0].resolver, "knot");
	report_meta_free(&back);
	report_cells_free(rc, nrc);
	free(path);
	free(out);
	free(files[0]);
	free(files[1]);
	report_cells_free(c, 3);
	rm_rf(top);
	free(top);
}
END_TEST

Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_json_string);
	tcase_add_test(tc, test_json_parse_errors);
	tcase_add_test(tc, test_write_read);
	tcase_add_test(tc, test_queries_pcap);
	tcase_add_test(tc, test_no_latest);
	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_detail_files);
	tcase_add_test(tc, test_term);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_read_bad);
	tcase_add_test(tc, test_unwritable);
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_disagree);
	tcase_add_test(tc, test_tls_family);
	tcase_add_test(tc, test_resolver_columns);
	suite_add_tcase(s, tc);
	return s;
}
