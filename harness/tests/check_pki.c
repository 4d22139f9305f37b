/*
 * check_pki.c - unit tests of pki.c: the committed profile builds every
 * chain the catalogue relies on, byte-identical on every build; broken
 * profiles are refused with "file:line: message"; pki_write is all or
 * nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mem.h"
#include "pki.h"
#include "suites.h"
#include "template.h"

static struct pki_profile *profile;

/* data_path - rel under the data directory (template_datadir); caller frees */
static char *
data_path(const char *rel)
{
	return xasprintf("%s/%s", template_datadir(), rel);
}

/* der - DER of a certificate as a string of bytes; caller frees */
static unsigned char *
der(X509 *x, int *len)
{
	unsigned char *d = NULL;

	*len = i2d_X509(x, &d);
	ck_assert_int_gt(*len, 0);
	return d;
}

/* The chains the issue asks for exist. */
START_TEST(test_chain_names)
{
	static const char *const want[] = { "selfsigned", "full", "no-root",
	    "no-int", "leaf-only", "expired", "not-yet-valid", "never-valid",
	    "wrong-name", "domain-only", "srv-only", "wildcard", "expired-int",
	    "cross", "ec", "ed25519", "no-keyid", "leaf-akid-mismatch",
	    "int-akid-mismatch", "int-skid-mismatch", "ed25519-issuer",
	    "client-smtp", "client-xmpp", "client-wrong-name",
	    "client-selfsigned", "client-expired", "partial-wildcard",
	    "cn-not-san", "cn-only", "int-pathlen", "ta-splice" };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(pki_profile_has_chain(profile, want[i]),
		    "no chain %s", want[i]);
	ck_assert_int_eq(pki_profile_chain_count(profile),
	    (int)(sizeof(want) / sizeof(want[0])));
	ck_assert_ptr_null(pki_chain_new(profile, "nosuch", NULL));
}
END_TEST

/* Two loads and two builds give the same bytes; names change only leaves. */
START_TEST(test_deterministic)
{
	char *path = data_path("certs/profile");
	struct pki_profile *again = pki_profile_load(path);
	struct pki_names *n = pki_names_new();

	ck_assert_ptr_nonnull(again);
	pki_names_set(n, "host", "mx1.other.example.");
	pki_names_set(n, "domain", "other.example");
	pki_names_set(n, "srvtarget", "xmpp.other.example");
	for (int i = 0; i < pki_profile_chain_count(profile); i++) {
		const char *name = pki_profile_chain_name(profile, i);
		struct pki_chain *a = pki_chain_new(profile, name, NULL);
		struct pki_chain *b = pki_chain_new(again, name, NULL);
		struct pki_chain *o = pki_chain_new(again, name, n);

		ck_assert(a != NULL && b != NULL && o != NULL);
		ck_assert_int_eq(pki_chain_path_count(a), pki_chain_path_count(b));
		for (int d = 0; d < pki_chain_path_count(a); d++) {
			int la, lb, lo;
			unsigned char *da = der(pki_chain_get0_path(a, d), &la);
			unsigned char *db = der(pki_chain_get0_path(b, d), &lb);
			unsigned char *dn = der(pki_chain_get0_path(o, d), &lo);

			ck_assert_msg(la == lb && memcmp(da, db, la) == 0,
			    "chain %s depth %d differs between builds", name, d);
			/* CAs carry no variable; leaves here all do. */
			if (d > 0 || strcmp(name, "wrong-name") == 0
			    || strcmp(name, "client-wrong-name") == 0)
				ck_assert(la == lo && memcmp(da, dn, la) == 0);
			else
				ck_assert(la != lo || memcmp(da, dn, la) != 0);
			OPENSSL_free(da);
			OPENSSL_free(db);
			OPENSSL_free(dn);
		}
		pki_chain_free(a);
		pki_chain_free(b);
		pki_chain_free(o);
	}
	pki_names_free(n);
	pki_profile_free(again);
	free(path);
}
END_TEST

/* A leaf a chain serves and has on its path is built once: one object. */
START_TEST(test_leaf_once)
{
	for (int i = 0; i < pki_profile_chain_count(profile); i++) {
		const char *name = pki_profile_chain_name(profile, i);
		struct pki_chain *c = pki_chain_new(profile, name, NULL);

		ck_assert_ptr_nonnull(c);
		ck_assert_msg(pki_chain_get0_leaf(c) == pki_chain_get0_path(c,
		    0), "chain %s: the served leaf was built apart from the "
		    "path's", name);
		pki_chain_free(c);
	}
}
END_TEST

/* Several threads building chains of one fresh profile at once (its
 * cache filling meanwhile) build what one thread builds. */
struct built {
	struct pki_profile *p;
	struct pki_chain **c;	/* one per chain of the profile */
};

/* build_all - every chain of the profile, for one host */
static void *
build_all(void *arg)
{
	struct built *b = arg;
	struct pki_names *n = pki_names_new();

	pki_names_set(n, "host", "mx1.threads.example.");
	pki_names_set(n, "domain", "threads.example");
	for (int i = 0; i < pki_profile_chain_count(b->p); i++)
		b->c[i] = pki_chain_new(b->p, pki_profile_chain_name(b->p, i),
		    n);
	pki_names_free(n);
	return NULL;
}

START_TEST(test_threads)
{
	char *path = data_path("certs/profile");
	struct pki_profile *fresh = pki_profile_load(path);
	int nc = pki_profile_chain_count(profile);
	struct built one = { profile, xcalloc(nc, sizeof(*one.c)) }, many[4];
	pthread_t th[4];

	ck_assert_ptr_nonnull(fresh);
	build_all(&one);
	for (int t = 0; t < 4; t++) {
		many[t].p = fresh;
		many[t].c = xcalloc(nc, sizeof(*many[t].c));
		ck_assert_int_eq(pthread_create(&th[t], NULL, build_all,
		    &many[t]), 0);
	}
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < 4; t++) {
		for (int i = 0; i < nc; i++) {
			ck_assert(one.c[i] != NULL && many[t].c[i] != NULL);
			ck_assert_int_eq(pki_chain_path_count(one.c[i]),
			    pki_chain_path_count(many[t].c[i]));
			for (int d = 0; d < pki_chain_path_count(one.c[i]); d++) {
				int la, lb;
				unsigned char *da = der(pki_chain_get0_path(
				    one.c[i], d), &la);
				unsigned char *db = der(pki_chain_get0_path(
				    many[t].c[i], d), &lb);

				ck_assert_msg(la == lb && memcmp(da, db, la)
				    == 0, "thread %d, chain %s, depth %d "
				    "differs", t, pki_profile_chain_name(
				    profile, i), d);
				OPENSSL_free(da);
				OPENSSL_free(db);
			}
			pki_chain_free(many[t].c[i]);
		}
		free(many[t].c);
	}
	for (int i = 0; i < nc; i++)
		pki_chain_free(one.c[i]);
	free(one.c);
	pki_profile_free(fresh);
	free(path);
}
END_TEST

/* Names are substituted, minus the trailing dot, into CN and SAN. */
START_TEST(test_names)
{
	struct pki_names *n = pki_names_new();
	struct pki_chain *c;
	X509 *leaf;

	ck_assert_int_eq(pki_names_parse(n, "host=mx1.s7.example."), 0);
	ck_assert_int_eq(pki_names_parse(n, "domain=s7.example"), 0);
	ck_assert_int_eq(pki_names_parse(n, "srvtarget=x.s7.example"), 0);
	ck_assert_int_eq(pki_names_parse(n, "=x"), -1);
	ck_assert_int_eq(pki_names_parse(n, "host"), -1);
	c = pki_chain_new(profile, "full", n);
	leaf = pki_chain_get0_leaf(c);
	ck_assert_int_eq(X509_check_host(leaf, "mx1.s7.example", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_host(leaf, "s7.example", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_host(leaf, "mx1.pki.example", 0, 0, NULL), 0);
	pki_chain_free(c);
	c = pki_chain_new(profile, "wildcard", n);
	ck_assert_int_eq(X509_check_host(pki_chain_get0_leaf(c),
	    "mx1.s7.example", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_host(pki_chain_get0_leaf(c),
	    "s7.example", 0, 0, NULL), 0);
	pki_chain_free(c);
	c = pki_chain_new(profile, "srv-only", n);
	ck_assert_int_eq(X509_check_host(pki_chain_get0_leaf(c),
	    "x.s7.example", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_host(pki_chain_get0_leaf(c),
	    "mx1.s7.example", 0, 0, NULL), 0);
	pki_chain_free(c);
	pki_names_free(n);
}
END_TEST

/* Chains are served as listed, and their properties are as named. */
START_TEST(test_chain_shapes)
{
	struct {
		const char *chain;
		int served, path, leaf_key;
	} shapes[] = {
		{ "selfsigned", 1, 1, EVP_PKEY_RSA },
		{ "full", 3, 3, EVP_PKEY_RSA },
		{ "no-root", 2, 3, EVP_PKEY_RSA },
		{ "leaf-only", 1, 3, EVP_PKEY_RSA },
		{ "no-int", 2, 3, EVP_PKEY_RSA },
		{ "ec", 2, 3, EVP_PKEY_EC },
		{ "ed25519", 2, 3, EVP_PKEY_ED25519 },
		{ "cross", 3, 3, EVP_PKEY_RSA },
	};
	time_t now = time(NULL);

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct pki_chain *c = pki_chain_new(profile, shapes[i].chain,
		    NULL);

		ck_assert_int_eq(pki_chain_served_count(c), shapes[i].served);
		ck_assert_int_eq(pki_chain_path_count(c), shapes[i].path);
		ck_assert_int_eq(sk_X509_num(pki_chain_get0_extra(c)),
		    shapes[i].served - 1);
		ck_assert_int_eq(EVP_PKEY_get_id(pki_chain_get0_key(c)),
		    shapes[i].leaf_key);
		ck_assert_int_eq(X509_check_private_key(pki_chain_get0_leaf(c),
		    pki_chain_get0_key(c)), 1);
		pki_chain_free(c);
	}
	{
		struct pki_chain *c = pki_chain_new(profile, "expired", NULL);
		X509 *x = pki_chain_get0_leaf(c);

		ck_assert_int_lt(X509_cmp_time(X509_get0_notAfter(x), &now), 0);
		pki_chain_free(c);
		c = pki_chain_new(profile, "not-yet-valid", NULL);
		x = pki_chain_get0_leaf(c);
		ck_assert_int_gt(X509_cmp_time(X509_get0_notBefore(x), &now), 0);
		pki_chain_free(c);
		c = pki_chain_new(profile, "never-valid", NULL);
		x = pki_chain_get0_leaf(c);
		ck_assert_int_lt(ASN1_TIME_compare(X509_get0_notAfter(x),
		    X509_get0_notBefore(x)), 0);
		pki_chain_free(c);
		c = pki_chain_new(profile, "expired-int", NULL);
		x = pki_chain_get0_path(c, 1);
		ck_assert_int_lt(X509_cmp_time(X509_get0_notAfter(x), &now), 0);
		pki_chain_free(c);
	}
	{
		struct pki_chain *c = pki_chain_new(profile, "cross", NULL);
		X509 *i = pki_profile_get1_cert(profile, "int", NULL);

		ck_assert_str_eq(pki_chain_path_name(c, 1), "int-cross");
		ck_assert_str_eq(pki_chain_path_name(c, 2), "root2");
		ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(i),
		    X509_get_subject_name(pki_chain_get0_path(c, 1))), 0);
		ck_assert_int_ne(X509_NAME_cmp(X509_get_issuer_name(i),
		    X509_get_issuer_name(pki_chain_get0_path(c, 1))), 0);
		ck_assert_int_eq(X509_check_issued(pki_chain_get0_path(c, 1),
		    pki_chain_get0_leaf(c)), X509_V_OK);
		X509_free(i);
		pki_chain_free(c);
		c = pki_chain_new(profile, "no-int", NULL);
		ck_assert_str_eq(pki_chain_path_name(c, 1), "int");
		ck_assert_str_eq(pki_chain_path_name(c, 2), "root");
		pki_chain_free(c);
	}
}
END_TEST

/* Key identifiers are absent or mismatched where the profile says so. */
START_TEST(test_key_ids)
{
	struct pki_chain *c = pki_chain_new(profile, "no-keyid", NULL);

	ck_assert_ptr_null(X509_get0_subject_key_id(pki_chain_get0_path(c, 1)));
	ck_assert_ptr_null(X509_get0_authority_key_id(pki_chain_get0_path(c, 1)));
	ck_assert_ptr_null(X509_get0_authority_key_id(pki_chain_get0_leaf(c)));
	pki_chain_free(c);
	c = pki_chain_new(profile, "full", NULL);
	ck_assert_int_eq(X509_check_issued(pki_chain_get0_path(c, 1),
	    pki_chain_get0_leaf(c)), X509_V_OK);
	ck_assert_int_eq(X509_check_issued(pki_chain_get0_path(c, 2),
	    pki_chain_get0_path(c, 1)), X509_V_OK);
	pki_chain_free(c);
	c = pki_chain_new(profile, "leaf-akid-mismatch", NULL);
	ck_assert_ptr_nonnull(X509_get0_authority_key_id(pki_chain_get0_leaf(c)));
	ck_assert_int_ne(X509_check_issued(pki_chain_get0_path(c, 1),
	    pki_chain_get0_leaf(c)), X509_V_OK);
	pki_chain_free(c);
	c = pki_chain_new(profile, "int-akid-mismatch", NULL);
	ck_assert_int_eq(X509_check_issued(pki_chain_get0_path(c, 1),
	    pki_chain_get0_leaf(c)), X509_V_OK);
	ck_assert_int_ne(X509_check_issued(pki_chain_get0_path(c, 2),
	    pki_chain_get0_path(c, 1)), X509_V_OK);
	pki_chain_free(c);
	c = pki_chain_new(profile, "int-skid-mismatch", NULL);
	ck_assert_int_ne(X509_check_issued(pki_chain_get0_path(c, 1),
	    pki_chain_get0_leaf(c)), X509_V_OK);
	pki_chain_free(c);
}
END_TEST

/* Client chains carry clientAuth; server leaves serverAuth. */
START_TEST(test_purposes)
{
	struct pki_chain *c = pki_chain_new(profile, "client-smtp", NULL);

	ck_assert_int_eq(X509_check_purpose(pki_chain_get0_leaf(c),
	    X509_PURPOSE_SSL_CLIENT, 0), 1);
	ck_assert_int_eq(X509_check_purpose(pki_chain_get0_leaf(c),
	    X509_PURPOSE_SSL_SERVER, 0), 0);
	pki_chain_free(c);
	c = pki_chain_new(profile, "client-xmpp", NULL);
	ck_assert_int_eq(X509_check_purpose(pki_chain_get0_leaf(c),
	    X509_PURPOSE_SSL_CLIENT, 0), 1);
	ck_assert_int_eq(X509_check_purpose(pki_chain_get0_leaf(c),
	    X509_PURPOSE_SSL_SERVER, 0), 1);
	pki_chain_free(c);
	c = pki_chain_new(profile, "full", NULL);
	ck_assert_int_eq(X509_check_purpose(pki_chain_get0_leaf(c),
	    X509_PURPOSE_SSL_SERVER, 0), 1);
	ck_assert_int_eq(X509_check_purpose(pki_chain_get0_leaf(c),
	    X509_PURPOSE_SSL_CLIENT, 0), 0);
	ck_assert_int_eq(X509_check_ca(pki_chain_get0_path(c, 1)), 1);
	ck_assert_int_eq(X509_check_ca(pki_chain_get0_leaf(c)), 0);
	pki_chain_free(c);
}
END_TEST

/* Broken profiles: refused, with the file and line on stderr. */
START_TEST(test_broken_profiles)
{
	static const struct {
		const char *text;
		const char *message;	/* expected in stderr */
	} cases[] = {
		{ "bogus x\n", ":1: unknown keyword" },
		{ "key a keys/root.test-only.pem\n", ":1: profile defines no chain" },
		{ "key a keys/nonexistent.pem\n", ":1: cannot open key" },
		{ "key a profile\n", ":1: cannot read key" },
		{ "key a keys/root.test-only.pem\n"
		  "cert r key=a issuer=nosuch serial=1 cn=x from=20200101000000Z until=20300101000000Z\n"
		  "chain c r\n", ":2: cert \"r\": unknown issuer \"nosuch\"" },
		{ "key a keys/root.test-only.pem\n"
		  "validity 20200101000000Z 20300101000000Z\n"
		  "cert x key=a issuer=y serial=1 cn=x\n"
		  "cert y key=a issuer=x serial=2 cn=y\n"
		  "chain c x\n", ":3: cert \"x\": issuer cycle" },
		{ "key a keys/root.test-only.pem\n"
		  "validity 20200101000000Z 20300101000000Z\n"
		  "cert x key=a issuer=self serial=1 cn=x\n"
		  "chain c x y\n", ":4: chain \"c\": unknown cert \"y\"" },
		{ "key a keys/leaf-ec.test-only.pem\n"
		  "validity 20200101000000Z 20300101000000Z\n"
		  "cert x key=a issuer=self serial=1 cn=x\n"
		  "chain c x\n", ":3: cert \"x\": signing key \"a\" must be RSA or Ed25519" },
		{ "key a keys/root.test-only.pem\n"
		  "validity 20200101000000Z 20300101000000Z\n"
		  "cert x key=a issuer=self serial=1 cn=$host\n"
		  "chain c x\n", ":3: undeclared variable \"$host\"" },
		{ "validity 2020 20300101000000Z\n", ":1: usage: validity" },
		{ "key a keys/root.test-only.pem\n"
		  "cert x key=a issuer=self serial=1 cn=x\n", ":2: cert \"x\" has no dates" },
		{ "key a keys/root.test-only.pem\n"
		  "cert x key=a issuer=self serial=0 cn=x\n", ":2: bad serial" },
		{ "key a keys/root.test-only.pem\n"
		  "cert x key=a issuer=self serial=1 color=red\n", ":2: unknown attribute \"color\"" },
		{ "key a keys/root.test-only.pem\n"
		  "key a keys/root.test-only.pem\n", ":2: key \"a\" defined twice" },
		{ "name host a.example\nname host b.example\n", ":2: name \"host\" declared twice" },
		{ "chain\n", ":1: \"chain\" needs a name" },
	};
	char *certs = data_path("certs");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = xasprintf("%s/broken-%d.tmp", certs, (int)getpid());
		char *errpath = xasprintf("%s.err", path);
		FILE *fp = fopen(path, "w");
		FILE *errfp;
		char msg[512] = "";
		int saved = dup(2);
		struct pki_profile *p;
		size_t n;

		ck_assert_ptr_nonnull(fp);
		fputs(cases[i].text, fp);
		fclose(fp);
		fflush(stderr);
		ck_assert_ptr_nonnull(freopen(errpath, "w", stderr));
		p = pki_profile_load(path);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		errfp = fopen(errpath, "r");
		n = fread(msg, 1, sizeof(msg) - 1, errfp);
		msg[n] = 0;
		fclose(errfp);
		unlink(path);
		unlink(errpath);
		ck_assert_msg(p == NULL, "case %d accepted", (int)i);
		ck_assert_msg(strstr(msg, path) != NULL &&
		    strstr(msg, cases[i].message) != NULL,
		    "case %d: want \"%s\", got \"%s\"", (int)i, cases[i].message,
		    msg);
		free(path);
		free(errpath);
	}
	ck_assert_ptr_null(pki_profile_load("/nonexistent/profile"));
	free(certs);
}
END_TEST

/* pki_write writes all or nothing. */
START_TEST(test_write)
{
	char base[] = "/tmp/check_pki.XXXXXX";
	char *out, *file;
	const char *const some[] = { "full", "cross", NULL };
	const char *const bad[] = { "full", "nosuch", NULL };
	struct stat st;
	FILE *fp;
	X509 *x;

	ck_assert_ptr_nonnull(mkdtemp(base));
	out = xasprintf("%s/out", base);
	ck_assert_int_eq(pki_write(profile, bad, NULL, out), -1);
	ck_assert_int_ne(stat(out, &st), 0);
	ck_assert_int_eq(pki_write(profile, some, NULL, out), 0);
	file = xasprintf("%s/cross/1-int-cross.pem", out);
	ck_assert_ptr_nonnull(fp = fopen(file, "r"));
	ck_assert_ptr_nonnull(x = PEM_read_X509(fp, NULL, NULL, NULL));
	fclose(fp);
	X509_free(x);
	free(file);
	file = xasprintf("%s/full/chain.pem", out);
	ck_assert_int_eq(stat(file, &st), 0);
	free(file);
	file = xasprintf("%s/full/key.pem", out);
	ck_assert_int_eq(stat(file, &st), 0);
	free(file);
	/* A second write refuses to touch the existing directory. */
	ck_assert_int_eq(pki_write(profile, NULL, NULL, out), -1);
	file = xasprintf("rm -rf '%s'", base);
	ck_assert_int_eq(system(file), 0);
	free(file);
	free(out);
}
END_TEST

/* setup - load the committed profile once per test */
static void
setup(void)
{
	char *path = data_path("certs/profile");

	profile = pki_profile_load(path);
	ck_assert_msg(profile != NULL, "cannot load %s", path);
	free(path);
}

/* teardown - release the profile */
static void
teardown(void)
{
	profile = pki_profile_free(profile);
}

Suite *
pki_suite(void)
{
	Suite *s = suite_create("pki");
	TCase *tc = tcase_create("pki");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_chain_names);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_leaf_once);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_chain_shapes);
	tcase_add_test(tc, test_key_ids);
	tcase_add_test(tc, test_purposes);
	tcase_add_test(tc, test_broken_profiles);
	tcase_add_test(tc, test_write);
	suite_add_tcase(s, tc);
	return s;
}
