/* check_refclient.c - the reference client's pure logic, from data tables */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dname.h"
#include "refclient.h"
#include "suites.h"

static unsigned char d32[32], d64[64], d20[20];
static unsigned char *spki, *cert;
static size_t spki_len, cert_len;

/* setup - a real SubjectPublicKeyInfo and certificate for Full(0) data */
static void
setup(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	unsigned char *q;
	int n;

	ck_assert_ptr_nonnull(k);
	n = i2d_PUBKEY(k, NULL);
	spki = q = malloc((size_t)n);
	spki_len = (size_t)i2d_PUBKEY(k, &q);
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	n = i2d_X509(x, NULL);
	cert = q = malloc((size_t)n);
	cert_len = (size_t)i2d_X509(x, &q);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
teardown(void)
{
	free(spki);
	free(cert);
}

/* Data kinds of the tables below. */
enum { D32, D64, D20, SPKI, CERT, JUNK };

static void
fill(struct ref_tlsa *t, int u, int s, int m, int data)
{
	static unsigned char junk[] = { 0x30, 0x03, 0x01, 0x01, 0xff, 0x00 };

	t->usage = (unsigned char)u;
	t->selector = (unsigned char)s;
	t->mtype = (unsigned char)m;
	switch (data) {
	case D32: t->data = d32; t->len = 32; break;
	case D64: t->data = d64; t->len = 64; break;
	case D20: t->data = d20; t->len = 20; break;
	case SPKI: t->data = spki; t->len = spki_len; break;
	case CERT: t->data = cert; t->len = cert_len; break;
	default: t->data = junk; t->len = sizeof(junk); break;
	}
}

static const struct {
	int u, s, m, data;
	int smtp, xmpp;		/* usable for SMTP, for XMPP */
} usable_cases[] = {
	{ 3, 1, 1, D32, 1, 1 },
	{ 3, 0, 1, D32, 1, 1 },
	{ 2, 0, 1, D32, 1, 1 },
	{ 2, 1, 2, D64, 1, 1 },
	{ 1, 1, 1, D32, 0, 1 },		/* PKIX-EE: unusable for SMTP */
	{ 0, 0, 1, D32, 0, 1 },		/* PKIX-TA */
	{ 4, 1, 1, D32, 0, 0 },		/* unknown usage */
	{ 3, 2, 1, D32, 0, 0 },		/* unknown selector */
	{ 3, 1, 3, D32, 0, 0 },		/* unknown matching type */
	{ 3, 1, 1, D64, 0, 0 },		/* wrong length */
	{ 3, 1, 2, D32, 0, 0 },
	{ 3, 1, 1, D20, 0, 0 },
	{ 3, 1, 0, SPKI, 1, 1 },	/* Full SPKI */
	{ 3, 0, 0, CERT, 1, 1 },	/* Full certificate */
	{ 3, 1, 0, CERT, 0, 0 },	/* a certificate is no SPKI */
	{ 3, 0, 0, SPKI, 0, 0 },
	{ 2, 0, 0, JUNK, 0, 0 },
	{ 2, 1, 0, D32, 0, 0 },
};

START_TEST(test_usable)
{
	struct ref_tlsa t;

	fill(&t, usable_cases[_i].u, usable_cases[_i].s, usable_cases[_i].m,
	    usable_cases[_i].data);
	ck_assert_int_eq(refclient_tlsa_usable(PROTO_SMTP, &t),
	    usable_cases[_i].smtp);
	ck_assert_int_eq(refclient_tlsa_usable(PROTO_SMTPS, &t),
	    usable_cases[_i].smtp);
	ck_assert_int_eq(refclient_tlsa_usable(PROTO_XMPP, &t),
	    usable_cases[_i].xmpp);
}
END_TEST

#define MAXR 5
/* Records as "u s m data", and the use expected of each. */
static const struct {
	enum proto proto;
	int n;
	int rec[MAXR][4];
	enum ref_tlsa_use want[MAXR];
	size_t kept;
} select_cases[] = {
	/* 3 1 1 alone is not enough when 3 1 2 is present (RFC 7671 9) */
	{ PROTO_SMTP, 2, { { 3, 1, 1, D32 }, { 3, 1, 2, D64 } },
	    { REF_TLSA_WEAKER, REF_TLSA_USE }, 1 },
	/* a broken 3 1 2 does not count as present */
	{ PROTO_SMTP, 2, { { 3, 1, 1, D32 }, { 3, 1, 2, D32 } },
	    { REF_TLSA_USE, REF_TLSA_UNUSABLE }, 1 },
	/* agility is per usage and selector */
	{ PROTO_SMTP, 3, { { 3, 1, 1, D32 }, { 3, 0, 2, D64 }, { 2, 1, 1, D32 } },
	    { REF_TLSA_USE, REF_TLSA_USE, REF_TLSA_USE }, 3 },
	/* Full(0) is always kept */
	{ PROTO_SMTP, 3, { { 3, 1, 0, SPKI }, { 3, 1, 1, D32 }, { 3, 1, 2, D64 } },
	    { REF_TLSA_USE, REF_TLSA_WEAKER, REF_TLSA_USE }, 2 },
	/* PKIX usages: unusable for SMTP, usable for XMPP */
	{ PROTO_SMTP, 2, { { 1, 1, 1, D32 }, { 0, 0, 1, D32 } },
	    { REF_TLSA_UNUSABLE, REF_TLSA_UNUSABLE }, 0 },
	{ PROTO_XMPP, 2, { { 1, 1, 1, D32 }, { 0, 0, 1, D32 } },
	    { REF_TLSA_USE, REF_TLSA_USE }, 2 },
	/* an unusable PKIX-EE 1 1 2 does not hide a DANE-EE 3 1 1 */
	{ PROTO_SMTP, 2, { { 1, 1, 2, D64 }, { 3, 1, 1, D32 } },
	    { REF_TLSA_UNUSABLE, REF_TLSA_USE }, 1 },
	/* several of the strongest are all kept */
	{ PROTO_SMTP, 4, { { 3, 1, 2, D64 }, { 3, 1, 1, D32 }, { 3, 1, 2, D64 },
	    { 3, 1, 9, D64 } },
	    { REF_TLSA_USE, REF_TLSA_WEAKER, REF_TLSA_USE, REF_TLSA_UNUSABLE },
	    2 },
	{ PROTO_SMTP, 0, { { 0 } }, { 0 }, 0 },
};

START_TEST(test_select)
{
	struct ref_tlsa t[MAXR] = { { 0 } };
	enum ref_tlsa_use use[MAXR];
	int n = select_cases[_i].n;

	for (int i = 0; i < n; i++)
		fill(&t[i], select_cases[_i].rec[i][0],
		    select_cases[_i].rec[i][1], select_cases[_i].rec[i][2],
		    select_cases[_i].rec[i][3]);
	ck_assert_uint_eq(refclient_tlsa_select(select_cases[_i].proto, t,
	    (size_t)n, use), select_cases[_i].kept);
	for (int i = 0; i < n; i++)
		ck_assert_msg(use[i] == select_cases[_i].want[i],
		    "case %d record %d: use %d, want %d", _i, i, use[i],
		    select_cases[_i].want[i]);
}
END_TEST

START_TEST(test_sort)
{
	struct ref_host h[] = {
		{ "mx3.example", 20, 0, 25 },
		{ "b.example", 10, 5, 0 },
		{ "a.example", 10, 5, 0 },
		{ "c.example", 10, 60, 0 },
		{ "mx0.example", 0, 0, 25 },
	};
	static const char *const want[] = { "mx0.example", "c.example",
	    "a.example", "b.example", "mx3.example" };

	refclient_sort_hosts(h, 5);
	for (int i = 0; i < 5; i++)
		ck_assert_str_eq(h[i].name, want[i]);
}
END_TEST

static const struct {
	int srv;
	const char *wire;
	size_t len;
	int ret;
	unsigned pref, weight;
	int port;
	const char *name;
} parse_cases[] = {
	{ 0, "\0\12\2mx\7example\0", 14, 0, 10, 0, 0, "mx.example" },
	{ 0, "\0\0\0", 3, 0, 0, 0, 0, "" },			/* null MX */
	{ 0, "\0\12\2mx\7exam", 10, -1, 0, 0, 0, "" },		/* short */
	{ 0, "\0\12\300\14", 4, -1, 0, 0, 0, "" },		/* pointer */
	{ 0, "\0\12\0\0", 4, -1, 0, 0, 0, "" },			/* trailing */
	{ 0, "\0\12\3a.b\0", 7, 0, 10, 0, 0, "a\\.b" },
	{ 1, "\0\5\0\7\24\225\3xmp\7example\0", 19, 0, 5, 7, 5269,
	    "xmp.example" },
	{ 1, "\0\0\0\0\0\0\0", 7, 0, 0, 0, 0, "" },		/* "." */
	{ 1, "\0\0\0\0\24", 5, -1, 0, 0, 0, "" },
};

START_TEST(test_parse)
{
	struct ref_host h;
	const unsigned char *w = (const unsigned char *)parse_cases[_i].wire;
	int ret = parse_cases[_i].srv ?
	    refclient_parse_srv(w, parse_cases[_i].len, &h) :
	    refclient_parse_mx(w, parse_cases[_i].len, &h);

	ck_assert_int_eq(ret, parse_cases[_i].ret);
	if (ret < 0)
		return;
	ck_assert_uint_eq(h.pref, parse_cases[_i].pref);
	ck_assert_uint_eq(h.weight, parse_cases[_i].weight);
	ck_assert_int_eq(h.port, parse_cases[_i].port);
	ck_assert_str_eq(h.name, parse_cases[_i].name);
}
END_TEST

static const struct {
	const char *host, *canon;
	int secure;
	int n;
	const char *want0, *want1;
} base_cases[] = {
	{ "mx.a.example", NULL, 1, 1, "mx.a.example", NULL },
	{ "mx.a.example", "", 1, 1, "mx.a.example", NULL },
	{ "mx.a.example", "mx.A.example.", 1, 1, "mx.a.example", NULL },
	{ "alias.a.example", "mx.b.example", 1, 2, "mx.b.example",
	    "alias.a.example" },
	/* insecure expansion: original name only (RFC 7672 2.2.3) */
	{ "alias.a.example", "mx.b.example", 0, 1, "alias.a.example", NULL },
};

START_TEST(test_base)
{
	const char *out[2] = { NULL, NULL };
	int n = refclient_base_candidates(base_cases[_i].host,
	    base_cases[_i].canon, base_cases[_i].secure, out);

	ck_assert_int_eq(n, base_cases[_i].n);
	ck_assert_str_eq(out[0], base_cases[_i].want0);
	if (n > 1)
		ck_assert_str_eq(out[1], base_cases[_i].want1);
}
END_TEST

static const struct {
	const char *host, *canon;
	int secure;
	enum ref_addr_dane want;
} addr_cases[] = {
	{ "mx.a.example", NULL, 1, REF_ADDR_TLSA },
	{ "alias.a.example", "mx.b.example", 1, REF_ADDR_TLSA },
	{ "mx.a.example", NULL, 0, REF_ADDR_NO_DANE },
	{ "mx.a.example", "", 0, REF_ADDR_NO_DANE },
	{ "mx.a.example", "MX.a.example.", 0, REF_ADDR_NO_DANE },
	/* "Insecure CNAME" (RFC 7672 2.2.2): ask whether the first hop is
	 * secure before giving up on TLSA at the original name */
	{ "alias.a.example", "mx.b.example", 0, REF_ADDR_ASK_CNAME },
};

START_TEST(test_addr_dane)
{
	ck_assert_int_eq(refclient_addr_dane(addr_cases[_i].host,
	    addr_cases[_i].canon, addr_cases[_i].secure), addr_cases[_i].want);
}
END_TEST

/* Names as the client compares them (dname.h, shared with the judge). */
static const struct {
	const char *a, *b;
	int eq;
	const char *copy;	/* dname_copy of a */
} name_cases[] = {
	{ "mx.a.example", "MX.A.Example.", 1, "mx.a.example" },
	{ "mx.a.example.", "mx.a.example", 1, "mx.a.example" },
	{ "mx.a.example..", "mx.a.example", 0, "mx.a.example." },
	{ "mx.a.example", "mx.a.exampl", 0, "mx.a.example" },
	{ "a.example", "b.example", 0, "a.example" },
	{ ".", "", 1, "." },
};

START_TEST(test_names)
{
	char out[256];

	ck_assert_int_eq(dname_eq(name_cases[_i].a, name_cases[_i].b),
	    name_cases[_i].eq);
	ck_assert_int_eq(dname_eq(name_cases[_i].b, name_cases[_i].a),
	    name_cases[_i].eq);
	dname_copy(out, sizeof(out), name_cases[_i].a);
	ck_assert_str_eq(out, name_cases[_i].copy);
}
END_TEST

Suite *
refclient_suite(void)
{
	Suite *s = suite_create("refclient");
	TCase *tc = tcase_create("logic");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_usable, 0,
	    sizeof(usable_cases) / sizeof(usable_cases[0]));
	tcase_add_loop_test(tc, test_select, 0,
	    sizeof(select_cases) / sizeof(select_cases[0]));
	tcase_add_test(tc, test_sort);
	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_loop_test(tc, test_base, 0,
	    sizeof(base_cases) / sizeof(base_cases[0]));
	tcase_add_loop_test(tc, test_addr_dane, 0,
	    sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_loop_test(tc, test_names, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
