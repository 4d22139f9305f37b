/*
 * check_qlog.c - the resolver's query log (qlog.h): Unbound's query,
 * reply and validation-failure lines joined into queries in order; lines
 * of no interest skipped; a partial line left for the next read; the log
 * read incrementally from its file; and the exact attribution of
 * queries to a scenario's zones (dname_under).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dname.h"
#include "mem.h"
#include "qlog.h"
#include "suites.h"
#include "template.h"

#define P	"Nov 29 04:20:33 unbound[5:0] "

/* Unbound 1.17 with log-queries, log-replies, val-log-level 2. */
static const char qlog_text[] =
    P "notice: init module 0: validator\n"
    P "info: start of service (unbound 1.17.1).\n"
    P "info: 127.0.0.1 a.example. MX IN\n"
    P "info: 127.0.0.1 a.example. MX IN NOERROR 0.001425 0 195\n"
    P "info: 127.0.0.1 mx1.a.example. A IN\n"
    P "info: 127.0.0.1 mx1.a.example. A IN\n"
    P "info: validation failure <mx1.a.example. A IN>: signature crypto "
    "failed from 127.0.0.2\n"
    P "info: 127.0.0.1 mx1.a.example. A IN SERVFAIL 0.003764 0 46\n"
    P "info: 127.0.0.1 _25._tcp.mx1.a-hosts.example. TLSA IN\n"
    P "info: 127.0.0.1 mx1.a.example. A IN SERVFAIL 0.000000 1 46\n"
    P "info: 127.0.0.1 _25._tcp.mx1.a-hosts.example. TLSA IN NXDOMAIN "
    "0.000240 0 109\n"
    P "info: 127.0.0.1 www.ab.example. A IN\n"
    P "info: the 127.0.0.1 line of something else\n"
    P "error: SERVFAIL <x.example. A IN>: all servers failed\n"
    P "info: 127.0.0.1 mx1.a.example. A IN\n"
    P "info: 127.0.0.1 mx1.a.example. A IN SERVFAIL 0.000000 1 46\n"
    P "info: 127.0.0.1 www.ab";	/* unfinished: not yet a line */

START_TEST(test_qlog_unbound)
{
	struct qlog *l = qlog_new("unbound", NULL);
	size_t used = qlog_feed(l, qlog_text, strlen(qlog_text));
	const struct qlog_query *q;
	struct buf b = { 0 };

	ck_assert_ptr_null(qlog_new("bind", NULL));
	ck_assert_int_eq(qlog_format_ok("unbound"), 1);
	ck_assert_uint_eq(used, strlen(qlog_text) - strlen(P
	    "info: 127.0.0.1 www.ab"));
	ck_assert_uint_eq(qlog_count(l), 6);
	q = qlog_get(l, 0);
	ck_assert_str_eq(q->name, "a.example");
	ck_assert_str_eq(q->type, "MX");
	ck_assert_str_eq(q->rcode, "NOERROR");
	ck_assert_int_eq(q->cached, 0);
	ck_assert_int_eq(q->dnssec_ok, -1);	/* the log does not say */
	ck_assert_str_eq(q->state, "");
	/* Two queries for one name: the replies in order, the first after
	 * the validation failure, the second from the cache, both bogus. */
	q = qlog_get(l, 1);
	ck_assert_str_eq(q->rcode, "SERVFAIL");
	ck_assert_str_eq(q->state, "bogus");
	ck_assert_int_eq(q->cached, 0);
	q = qlog_get(l, 2);
	ck_assert_str_eq(q->rcode, "SERVFAIL");
	ck_assert_int_eq(q->cached, 1);
	ck_assert_str_eq(q->state, "bogus");
	q = qlog_get(l, 3);
	ck_assert_str_eq(q->name, "_25._tcp.mx1.a-hosts.example");
	ck_assert_str_eq(q->rcode, "NXDOMAIN");
	ck_assert_str_eq(q->state, "");
	q = qlog_get(l, 4);	/* no reply logged (yet) */
	ck_assert_str_eq(q->name, "www.ab.example");
	ck_assert_str_eq(q->rcode, "");
	/* A later query of a name that failed validation: bogus from the
	 * cache, though the failure is not logged again. */
	q = qlog_get(l, 5);
	ck_assert_str_eq(q->state, "bogus");
	qlog_describe(&b, qlog_get(l, 2));
	ck_assert_str_eq(b.data, "A mx1.a.example SERVFAIL bogus cached");
	buf_free(&b);
	qlog_describe(&b, qlog_get(l, 4));
	ck_assert_str_eq(b.data, "A www.ab.example (no answer logged)");
	buf_free(&b);
	/* The rest of the unfinished line comes later. */
	used = qlog_feed(l, ".example. A IN\n", 15);
	ck_assert_uint_eq(used, 15);
	qlog_free(l);
}
END_TEST

START_TEST(test_qlog_select)
{
	struct qlog *l = qlog_new("unbound", NULL);
	char *zones[] = { "a.example", "a-hosts.example." };
	size_t *idx, k;

	qlog_feed(l, qlog_text, strlen(qlog_text));
	/* Scenario "a" with its extra zone "hosts": never "ab". */
	k = qlog_select(l, 0, qlog_count(l), zones, 2, &idx);
	ck_assert_uint_eq(k, 5);
	ck_assert_uint_eq(idx[0], 0);
	ck_assert_uint_eq(idx[3], 3);
	ck_assert_uint_eq(idx[4], 5);
	free(idx);
	/* Only the batch's range. */
	k = qlog_select(l, 1, 4, zones, 1, &idx);
	ck_assert_uint_eq(k, 2);
	ck_assert_uint_eq(idx[0], 1);
	ck_assert_uint_eq(idx[1], 2);
	free(idx);
	k = qlog_select(l, 0, qlog_count(l), zones + 1, 0, &idx);
	ck_assert_uint_eq(k, 0);
	ck_assert_ptr_null(idx);
	qlog_free(l);
	ck_assert_int_eq(dname_under("x.A.example.", "a.example"), 1);
	ck_assert_int_eq(dname_under("a.example", "a.example."), 1);
	ck_assert_int_eq(dname_under("xa.example", "a.example"), 0);
	ck_assert_int_eq(dname_under("a.example", "x.a.example"), 0);
	ck_assert_int_eq(dname_under("a-hosts.example", "a.example"), 0);
	ck_assert_int_eq(dname_under("anything", "."), 1);
}
END_TEST

START_TEST(test_qlog_file)
{
	char dir[] = "/tmp/check-qlog.XXXXXX", *path;
	struct qlog *l;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/unbound.log", dir);
	l = qlog_new("unbound", path);
	ck_assert_int_eq(qlog_update(l), 0);	/* absent: empty */
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(P "info: 127.0.0.1 a.example. MX IN\n" P "info: 127.0.0.1 a.e",
	    fp);
	fclose(fp);
	ck_assert_int_eq(qlog_update(l), 1);
	ck_assert_ptr_nonnull(fp = fopen(path, "a"));
	fputs("xample. A IN\n" P "info: 127.0.0.1 a.example. A IN NOERROR "
	    "0.000100 0 50\n", fp);
	fclose(fp);
	ck_assert_int_eq(qlog_update(l), 2);
	ck_assert_str_eq(qlog_get(l, 1)->name, "a.example");
	ck_assert_str_eq(qlog_get(l, 1)->type, "A");
	ck_assert_str_eq(qlog_get(l, 1)->rcode, "NOERROR");
	ck_assert_int_eq(qlog_update(l), 2);	/* nothing new */
	qlog_free(l);
	free(path);
	ck_assert_int_eq(file_rmtree(dir), 0);
}
END_TEST

Suite *
qlog_suite(void)
{
	Suite *s = suite_create("qlog");
	TCase *tc = tcase_create("qlog");

	tcase_add_test(tc, test_qlog_unbound);
	tcase_add_test(tc, test_qlog_select);
	tcase_add_test(tc, test_qlog_file);
	suite_add_tcase(s, tc);
	return s;
}
