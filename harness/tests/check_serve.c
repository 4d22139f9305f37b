/*
 * check_serve.c - the record of the lab's endpoints (serve.h): a session
 * written as one JSON line reads back field for field, transcript and
 * all; a line that is no session is skipped; the scenario paths of a
 * lab read back as written; the record capped at its size, the older
 * sessions dropped and counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "serve.h"
#include "suites.h"
#include "template.h"

/* serve_tmpdir - a fresh directory; caller removes and frees */
static char *
serve_tmpdir(void)
{
	char *d = xstrdup("/tmp/check-serve.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

START_TEST(test_serve_roundtrip)
{
	struct endpoint_conn c, *got;
	struct buf b = { 0 };
	char *dir = serve_tmpdir(), *log = xasprintf("%s/" SERVE_LOG, dir);
	size_t n;

	memset(&c, 0, sizeof(c));
	strcpy(c.tag, "grid-ee-s1-m1/mx1");
	strcpy(c.addr, "127.1.0.1");
	c.port = 25;
	c.proto = PROTO_SMTP;
	strcpy(c.sni, "mx1.grid-ee-s1-m1.example");
	strcpy(c.tls_version, "TLSv1.3");
	strcpy(c.alert, "bad certificate");
	strcpy(c.probe, "c7");
	c.tls_done = 1;
	c.commands_after_tls = 3;
	c.opened_ms = 123456789012LL;
	c.closed_ms = 123456789345LL;
	c.seq = 42;
	c.outcome = OUTCOME_ENCRYPTED;
	c.transcript = xstrdup("< 220 \"hi\"\r\n> EHLO x\t\\y\n");
	serve_line(&b, &c);
	ck_assert_ptr_null(memchr(b.data, '\n', b.len - 1));	/* one line */
	ck_assert_int_eq(b.data[b.len - 1], '\n');
	buf_printf(&b, "this is not JSON\n{\"tag\": \"x/y\"}\n");
	serve_line(&b, &c);
	ck_assert_int_eq(file_write(log, b.data, b.len), 0);
	ck_assert_int_eq(serve_read(dir, &got, &n), 0);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(got[i].tag, c.tag);
		ck_assert_str_eq(got[i].addr, c.addr);
		ck_assert_int_eq(got[i].port, 25);
		ck_assert_int_eq(got[i].proto, PROTO_SMTP);
		ck_assert_str_eq(got[i].sni, c.sni);
		ck_assert_str_eq(got[i].tls_version, c.tls_version);
		ck_assert_str_eq(got[i].alert, c.alert);
		ck_assert_str_eq(got[i].probe, c.probe);
		ck_assert_int_eq(got[i].tls_done, 1);
		ck_assert_int_eq(got[i].commands_after_tls, 3);
		ck_assert(got[i].opened_ms == c.opened_ms);
		ck_assert(got[i].closed_ms == c.closed_ms);
		ck_assert(got[i].seq == 42);
		ck_assert_int_eq(got[i].outcome, OUTCOME_ENCRYPTED);
		ck_assert_str_eq(got[i].transcript, c.transcript);
	}
	endpoint_conns_free(got, n);
	unlink(log);
	ck_assert_int_eq(serve_read(dir, &got, &n), -1);	/* no record */
	rmdir(dir);
	free(c.transcript);
	buf_free(&b);
	free(log);
	free(dir);
}
END_TEST

START_TEST(test_serve_paths)
{
	char *dir = serve_tmpdir(), **paths;
	char *const in[] = { "/nonexistent/a.scn", "/tmp" };
	int n, no_default;

	ck_assert_int_eq(serve_paths_read(dir, &paths, &n, &no_default), -1);
	ck_assert_int_eq(serve_paths_write(dir, in, 2, 1), 0);
	ck_assert_int_eq(serve_paths_read(dir, &paths, &n, &no_default), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(no_default, 1);
	ck_assert_str_eq(paths[0], "/nonexistent/a.scn");
	ck_assert_str_eq(paths[1], "/tmp");
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	ck_assert_int_eq(file_rmtree(dir), 0);
	free(dir);
}
END_TEST

/* The record is capped: past its size the older half goes, counted; what
 * is kept reads back whole, in order, from both files. */
START_TEST(test_serve_cap)
{
	char *dir = serve_tmpdir();
	struct serve_record *r = serve_record_open(dir, 2000);
	struct endpoint_conn c, *got;
	unsigned long long dropped;
	long long dropped_ms;
	size_t n;

	ck_assert_ptr_nonnull(r);
	memset(&c, 0, sizeof(c));
	strcpy(c.tag, "s/mx1");
	c.proto = PROTO_SMTP;
	c.outcome = OUTCOME_ENCRYPTED;
	c.transcript = xstrdup("< 220 hi");
	serve_dropped(dir, &dropped, &dropped_ms);
	ck_assert_uint_eq(dropped, 0);
	for (int i = 1; i <= 60; i++) {
		c.seq = i;
		c.opened_ms = 1000 + i;
		ck_assert_int_eq(serve_record_add(r, &c), 0);
	}
	r = serve_record_close(r);
	ck_assert_int_eq(serve_read(dir, &got, &n), 0);
	serve_dropped(dir, &dropped, &dropped_ms);
	ck_assert_uint_gt(n, 5);
	ck_assert_uint_lt(n, 60);
	/* every session is kept or counted dropped; the kept ones are the
	 * last, in order, right after the last dropped one */
	ck_assert_uint_eq(dropped + n, 60);
	ck_assert_int_eq(dropped_ms, 1000 + (long long)dropped);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(got[i].seq, dropped + 1 + i);
	endpoint_conns_free(got, n);
	/* a new record starts empty */
	r = serve_record_open(dir, 2000);
	serve_dropped(dir, &dropped, &dropped_ms);
	ck_assert_uint_eq(dropped, 0);
	ck_assert_int_eq(serve_read(dir, &got, &n), 0);
	ck_assert_uint_eq(n, 0);
	endpoint_conns_free(got, n);
	serve_record_close(r);
	free(c.transcript);
	ck_assert_int_eq(file_rmtree(dir), 0);
	free(dir);
}
END_TEST

Suite *
serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, test_serve_roundtrip);
	tcase_add_test(tc, test_serve_paths);
	tcase_add_test(tc, test_serve_cap);
	suite_add_tcase(s, tc);
	return s;
}
