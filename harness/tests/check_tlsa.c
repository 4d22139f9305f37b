/*
 * check_tlsa.c - unit tests of tlsa.c: every record of the case file
 * harness/tests/data/dane-verify.in is checked by OpenSSL's DANE code in a
 * real TLS handshake over a socketpair; text and wire forms through
 * libldns; golden files harness/tests/golden/tlsa-<chain>.ref pin the
 * records of the committed profile (DANELAB_UPDATE_GOLDEN=1 rewrites them).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mem.h"
#include "pki.h"
#include "suites.h"
#include "template.h"
#include "tlsa.h"

#define EXPECT_OK	0
#define EXPECT_UNUSABLE	(-1)
#define MAX_IDS		4

static const struct {
	const char *name;
	int code;
} verify_errors[] = {
	{ "DANE_NO_MATCH", X509_V_ERR_DANE_NO_MATCH },
	{ "CERT_HAS_EXPIRED", X509_V_ERR_CERT_HAS_EXPIRED },
	{ "CERT_NOT_YET_VALID", X509_V_ERR_CERT_NOT_YET_VALID },
	{ "HOSTNAME_MISMATCH", X509_V_ERR_HOSTNAME_MISMATCH },
	{ "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY },
	{ "UNABLE_TO_GET_ISSUER_CERT", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT },
	{ "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
	    X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE },
	{ "DEPTH_ZERO_SELF_SIGNED_CERT",
	    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT },
	{ "SELF_SIGNED_CERT_IN_CHAIN", X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN },
	{ "INVALID_PURPOSE", X509_V_ERR_INVALID_PURPOSE },
	{ "CERT_SIGNATURE_FAILURE", X509_V_ERR_CERT_SIGNATURE_FAILURE },
	{ "INVALID_CA", X509_V_ERR_INVALID_CA },
	{ "PATH_LENGTH_EXCEEDED", X509_V_ERR_PATH_LENGTH_EXCEEDED },
};

static struct pki_profile *profile;

/* data_path - rel under the data directory (template_datadir); caller frees */
static char *
data_path(const char *rel)
{
	return xasprintf("%s/%s", template_datadir(), rel);
}

/* verify_error_code - X509_V_ERR_ code for a name, or -2 */
static int
verify_error_code(const char *name)
{
	for (size_t i = 0; i < sizeof(verify_errors) / sizeof(verify_errors[0]); i++)
		if (strcmp(verify_errors[i].name, name) == 0)
			return verify_errors[i].code;
	return -2;
}

/* outcome_name - printable outcome */
static const char *
outcome_name(long code)
{
	static char text[64];

	if (code == EXPECT_OK)
		return "ok";
	if (code == EXPECT_UNUSABLE)
		return "unusable";
	for (size_t i = 0; i < sizeof(verify_errors) / sizeof(verify_errors[0]); i++)
		if (verify_errors[i].code == code)
			return verify_errors[i].name;
	snprintf(text, sizeof(text), "X509_V_ERR %ld (%s)", code,
	    X509_verify_cert_error_string(code));
	return text;
}

/* always_ok - server verify callback: record, never abort the handshake */
static int
always_ok(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

/* handshake - drive both ends over non-blocking sockets; 1 on success */
static int
handshake(SSL *client, SSL *server)
{
	int cdone = 0, sdone = 0;

	for (int i = 0; i < 200 && !(cdone && sdone); i++) {
		int r, e;

		if (!cdone) {
			if ((r = SSL_do_handshake(client)) == 1)
				cdone = 1;
			else if ((e = SSL_get_error(client, r)) !=
			    SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				return 0;
		}
		if (!sdone) {
			if ((r = SSL_do_handshake(server)) == 1)
				sdone = 1;
			else if ((e = SSL_get_error(server, r)) !=
			    SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				return 0;
		}
	}
	return cdone && sdone;
}

/*
 * dane_verify - serve chain c, verify it with DANE record r at the other
 * end; ids are the reference identifiers (ids[0] the base domain).  With
 * client_role, c is the client's chain and other serves the server.
 * Returns EXPECT_UNUSABLE if SSL_dane_tlsa_add refuses r, else the
 * verify result; *matched is 1 if OpenSSL reports r itself as matched.
 */
static long
dane_verify(const struct pki_chain *c, const struct pki_chain *other,
    const struct tlsa_rdata *r, char **ids, int nids, int client_role,
    X509_STORE *store, int *matched)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	SSL *cl = NULL, *sv = NULL, *verifier;
	int fds[2] = { -1, -1 };
	long result = -99;
	int rc;
	uint8_t u, s, m;
	const unsigned char *data;
	size_t dlen;

	*matched = 0;
	ck_assert_ptr_nonnull(cctx);
	ck_assert_ptr_nonnull(sctx);
	ck_assert_int_eq(SSL_CTX_dane_enable(cctx), 1);
	ck_assert_int_eq(SSL_CTX_dane_enable(sctx), 1);
	SSL_CTX_set1_cert_store(client_role ? sctx : cctx, store);
	cl = SSL_new(cctx);
	sv = SSL_new(sctx);
	ck_assert(cl != NULL && sv != NULL);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(SSL_set_fd(cl, fds[0]), 1);
	ck_assert_int_eq(SSL_set_fd(sv, fds[1]), 1);
	SSL_set_connect_state(cl);
	SSL_set_accept_state(sv);
	if (client_role) {
		ck_assert_int_eq(pki_chain_use(other, NULL, sv), 1);
		ck_assert_int_eq(pki_chain_use(c, NULL, cl), 1);
		SSL_set_verify(sv, SSL_VERIFY_PEER, always_ok);
		SSL_set_verify(cl, SSL_VERIFY_NONE, NULL);
		verifier = sv;
	} else {
		ck_assert_int_eq(pki_chain_use(c, NULL, sv), 1);
		SSL_set_verify(cl, SSL_VERIFY_NONE, NULL);
		verifier = cl;
	}
	ck_assert_int_eq(SSL_dane_enable(verifier, ids[0]), 1);
	for (int i = 1; i < nids; i++)
		ck_assert_int_eq(SSL_add1_host(verifier, ids[i]), 1);
	SSL_dane_set_flags(verifier, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	rc = SSL_dane_tlsa_add(verifier, r->usage, r->selector, r->mtype,
	    r->data, r->len);
	ERR_clear_error();
	if (rc <= 0) {
		result = EXPECT_UNUSABLE;
		goto cleanup;
	}
	ck_assert_msg(handshake(cl, sv), "TLS handshake failed: %s",
	    ERR_error_string(ERR_get_error(), NULL));
	result = SSL_get_verify_result(verifier);
	if (result == X509_V_OK && SSL_get0_dane_tlsa(verifier, &u, &s, &m,
	    &data, &dlen) >= 0)
		*matched = u == r->usage && s == r->selector &&
		    m == r->mtype && dlen == r->len &&
		    memcmp(data, r->data, dlen) == 0;

cleanup:
	ERR_clear_error();
	SSL_free(cl);
	SSL_free(sv);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return result;
}

/* run_case - expand one case line over selectors and mtypes and check it */
static int
run_case(char **w, int n, int lineno, struct pki_names *names,
    X509_STORE *store, struct pki_chain *server_chain, int *failures)
{
	int arrow = -1, expect, client_role = 0, count = 0;
	char *ids[MAX_IDS], *idlist = NULL;
	int nids = 0;
	struct pki_chain *c;

	for (int i = 0; i < n; i++)
		if (strcmp(w[i], "->") == 0)
			arrow = i;
	ck_assert_msg(arrow >= 5 && arrow <= 6 && arrow + 1 < n,
	    "dane-verify.in:%d: malformed case", lineno);
	if (strcmp(w[arrow + 1], "ok") == 0)
		expect = EXPECT_OK;
	else if (strcmp(w[arrow + 1], "unusable") == 0)
		expect = EXPECT_UNUSABLE;
	else
		expect = verify_error_code(w[arrow + 1]);
	ck_assert_msg(expect != -2, "dane-verify.in:%d: unknown outcome %s",
	    lineno, w[arrow + 1]);
	for (int i = arrow + 2; i < n; i++) {
		if (strcmp(w[i], "role=client") == 0)
			client_role = 1;
		else if (strncmp(w[i], "ids=", 4) == 0)
			idlist = w[i] + 4;
		else
			ck_abort_msg("dane-verify.in:%d: unknown option %s",
			    lineno, w[i]);
	}
	for (char *v = strtok(idlist ? idlist : (char[]){ "host,domain" }, ",");
	    v && nids < MAX_IDS; v = strtok(NULL, ",")) {
		char *ref = xasprintf("$%s", v);

		ids[nids++] = pki_names_subst(profile, names, ref);
		free(ref);
	}
	c = pki_chain_new(profile, w[0], names);
	ck_assert_msg(c != NULL, "dane-verify.in:%d: no chain %s", lineno,
	    w[0]);
	for (int s = 0; s <= 255; s++) {
		if (strcmp(w[2], "*") == 0 ? s > 1 : s != atoi(w[2]))
			continue;
		for (int m = 0; m <= 255; m++) {
			char *spec, *err = NULL;
			struct tlsa_rdata *r;
			long got;
			int matched;

			if (strcmp(w[3], "*") == 0 ? m > 2 : m != atoi(w[3]))
				continue;
			spec = xasprintf("%s %d %d %s%s%s", w[1], s, m, w[4],
			    arrow == 6 ? " " : "", arrow == 6 ? w[5] : "");
			r = tlsa_from_spec(spec, profile, c, names, &err);
			ck_assert_msg(r != NULL, "dane-verify.in:%d: %s: %s",
			    lineno, spec, err);
			got = dane_verify(c, server_chain, r, ids, nids,
			    client_role, store, &matched);
			if (got != expect) {
				fprintf(stderr, "dane-verify.in:%d: chain %s, "
				    "\"%s\": want %s, ", lineno, w[0], spec,
				    outcome_name(expect));
				fprintf(stderr, "got %s\n", outcome_name(got));
				(*failures)++;
			} else if (expect == EXPECT_OK && !matched) {
				fprintf(stderr, "dane-verify.in:%d: \"%s\" "
				    "verified, but not by this record\n",
				    lineno, spec);
				(*failures)++;
			}
			count++;
			tlsa_free(r);
			free(spec);
		}
	}
	pki_chain_free(c);
	for (int i = 0; i < nids; i++)
		free(ids[i]);
	return count;
}

/* Every case of dane-verify.in, and every chain has a good DANE-EE case. */
START_TEST(test_dane_cases)
{
	char *path = data_path("harness/tests/data/dane-verify.in");
	FILE *fp = fopen(path, "r");
	char line[1024];
	int lineno = 0, total = 0, failures = 0;
	int nchains = pki_profile_chain_count(profile);
	int *covered = xcalloc(nchains, sizeof(int));
	struct pki_names *names = pki_names_new();
	X509_STORE *store = X509_STORE_new();
	struct pki_chain *server_chain;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	server_chain = pki_chain_new(profile, "selfsigned", NULL);
	ck_assert_ptr_nonnull(server_chain);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *w[16];
		int n = 0;

		lineno++;
		for (char *t = strtok(line, " \t\n"); t && n < 16;
		    t = strtok(NULL, " \t\n")) {
			if (*t == '#')
				break;
			w[n++] = t;
		}
		if (n == 0)
			continue;
		if (strcmp(w[0], "trust") == 0) {
			for (int i = 1; i < n; i++) {
				X509 *x = pki_profile_get1_cert(profile, w[i],
				    NULL);

				ck_assert_ptr_nonnull(x);
				ck_assert_int_eq(X509_STORE_add_cert(store, x), 1);
				X509_free(x);
			}
			continue;
		}
		if (strcmp(w[0], "names") == 0) {
			for (int i = 1; i < n; i++)
				ck_assert_int_eq(pki_names_parse(names, w[i]), 0);
			continue;
		}
		ck_assert_msg(n >= 7, "dane-verify.in:%d: short case", lineno);
		if (strcmp(w[1], "3") == 0 && strcmp(w[2], "*") == 0 &&
		    strcmp(w[3], "*") == 0 && strcmp(w[4], "leaf") == 0 &&
		    strcmp(w[5], "->") == 0 && strcmp(w[6], "ok") == 0)
			for (int i = 0; i < nchains; i++)
				if (strcmp(pki_profile_chain_name(profile, i),
				    w[0]) == 0)
					covered[i] = 1;
		total += run_case(w, n, lineno, names, store, server_chain,
		    &failures);
	}
	fclose(fp);
	for (int i = 0; i < nchains; i++)
		ck_assert_msg(covered[i], "chain %s has no \"3 * * leaf -> ok\" "
		    "case", pki_profile_chain_name(profile, i));
	ck_assert_msg(failures == 0, "%d of %d DANE cases failed (above)",
	    failures, total);
	ck_assert_int_gt(total, 300);
	pki_chain_free(server_chain);
	X509_STORE_free(store);
	pki_names_free(names);
	free(covered);
	free(path);
}
END_TEST

/* golden_text - the records the golden file of one chain pins */
static char *
golden_text(const char *chain)
{
	struct pki_chain *c = pki_chain_new(profile, chain, NULL);
	static const char *const faults[] = { "corrupt", "truncated",
	    "overlong", "selector-swapped" };
	struct buf b = { 0 };

	ck_assert_ptr_nonnull(c);
	for (int d = 0; d < pki_chain_path_count(c); d++) {
		for (int s = 0; s <= 1; s++)
			for (int m = s == 0 ? 1 : 0; m <= 2; m++) {
				char *spec = xasprintf("%d %d %d depth:%d",
				    d == 0 ? 3 : 2, s, m, d);
				char *err = NULL, *text;
				struct tlsa_rdata *r = tlsa_from_spec(spec,
				    profile, c, NULL, &err);

				ck_assert_msg(r != NULL, "%s", err);
				text = tlsa_to_text(r);
				buf_printf(&b, "%s (%s): %s\n", spec,
				    pki_chain_path_name(c, d), text);
				free(text);
				free(spec);
				tlsa_free(r);
			}
	}
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		char *spec = xasprintf("3 1 1 leaf %s", faults[i]);
		char *err = NULL, *text;
		struct tlsa_rdata *r = tlsa_from_spec(spec, profile, c, NULL,
		    &err);

		ck_assert_msg(r != NULL, "%s", err);
		text = tlsa_to_text(r);
		buf_printf(&b, "%s: %s\n", spec, text);
		free(text);
		free(spec);
		tlsa_free(r);
	}
	pki_chain_free(c);
	return b.data;
}

/* The records of every chain equal harness/tests/golden/tlsa-<chain>.ref. */
START_TEST(test_golden)
{
	int update = getenv("DANELAB_UPDATE_GOLDEN") != NULL;

	for (int i = 0; i < pki_profile_chain_count(profile); i++) {
		const char *chain = pki_profile_chain_name(profile, i);
		char *rel = xasprintf("harness/tests/golden/tlsa-%s.ref", chain);
		char *path = data_path(rel);
		char *got = golden_text(chain);
		FILE *fp = fopen(path, update ? "w" : "r");
		char *want = xcalloc(1, strlen(got) + 2);
		size_t n;

		ck_assert_msg(fp != NULL, "cannot open %s", path);
		if (update) {
			fputs(got, fp);
		} else {
			n = fread(want, 1, strlen(got) + 1, fp);
			want[n] = 0;
			ck_assert_msg(strcmp(got, want) == 0,
			    "%s differs from the records computed now:\n%s",
			    path, got);
		}
		fclose(fp);
		free(want);
		free(got);
		free(path);
		free(rel);
	}
}
END_TEST

/* Text and wire forms agree with libldns's own parser and encoder. */
START_TEST(test_forms)
{
	struct pki_chain *c = pki_chain_new(profile, "full", NULL);
	static const char *const specs[] = { "3 1 1 leaf", "2 0 0 root",
	    "3 0 2 leaf", "2 1 1 int corrupt", "255 2 3 leaf truncated",
	    "3 1 255 other-key overlong" };

	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		char *err = NULL;
		struct tlsa_rdata *r = tlsa_from_spec(specs[i], profile, c,
		    NULL, &err);
		char *text, *str;
		ldns_rr *mine, *parsed = NULL, *back = NULL;
		uint8_t *wire = NULL, *rrwire = NULL;
		size_t len, rrlen, pos = 0;

		ck_assert_msg(r != NULL, "%s", err);
		text = tlsa_to_text(r);
		/* Presentation form: "U S M HEX", libldns reads it the same. */
		str = xasprintf("_25._tcp.mx1.pki.example. 300 IN TLSA %s", text);
		ck_assert_int_eq(ldns_rr_new_frm_str(&parsed, str, 0, NULL,
		    NULL), LDNS_STATUS_OK);
		mine = tlsa_to_rr(r, "_25._tcp.mx1.pki.example.", 300);
		ck_assert_ptr_nonnull(mine);
		ck_assert_int_eq(ldns_rr_compare(mine, parsed), 0);
		ck_assert_int_eq(ldns_rr_rd_count(mine), 4);
		/* Wire form: usage, selector, mtype, data. */
		ck_assert_int_eq(tlsa_to_wire(r, &wire, &len), 0);
		ck_assert_uint_eq(len, r->len + 3);
		ck_assert_uint_eq(wire[0], r->usage);
		ck_assert_uint_eq(wire[1], r->selector);
		ck_assert_uint_eq(wire[2], r->mtype);
		ck_assert_int_eq(memcmp(wire + 3, r->data, r->len), 0);
		/* A whole record survives a wire round trip. */
		ck_assert_int_eq(ldns_rr2wire(&rrwire, mine, LDNS_SECTION_ANSWER,
		    &rrlen), LDNS_STATUS_OK);
		ck_assert_int_eq(ldns_wire2rr(&back, rrwire, rrlen, &pos,
		    LDNS_SECTION_ANSWER), LDNS_STATUS_OK);
		ck_assert_int_eq(ldns_rr_compare(back, parsed), 0);
		ck_assert_int_eq(memcmp(rrwire + rrlen - len, wire, len), 0);
		ldns_rr_free(mine);
		ldns_rr_free(parsed);
		ldns_rr_free(back);
		free(rrwire);
		free(wire);
		free(str);
		free(text);
		tlsa_free(r);
	}
	pki_chain_free(c);
}
END_TEST

/* Data is what OpenSSL computes for the same certificate, and faults differ as documented. */
START_TEST(test_data)
{
	struct pki_chain *c = pki_chain_new(profile, "full", NULL);
	X509 *leaf = pki_chain_get0_leaf(c);
	unsigned char md[EVP_MAX_MD_SIZE], *spki = NULL;
	unsigned int mdlen;
	int spkilen;
	struct tlsa_rdata *r, *bad;
	char *err = NULL;

	/* SHA2-256 of the DER SubjectPublicKeyInfo, as RFC 6698 2.1.2 says. */
	spkilen = i2d_PUBKEY(pki_chain_get0_key(c), &spki);
	ck_assert_int_gt(spkilen, 0);
	ck_assert_int_eq(EVP_Digest(spki, spkilen, md, &mdlen, EVP_sha256(),
	    NULL), 1);
	OPENSSL_free(spki);
	r = tlsa_from_spec("3 1 1 leaf", profile, c, NULL, &err);
	ck_assert_uint_eq(r->len, 32);
	ck_assert_int_eq(memcmp(r->data, md, 32), 0);
	bad = tlsa_from_spec("3 1 1 leaf corrupt", profile, c, NULL, &err);
	ck_assert_uint_eq(bad->len, 32);
	ck_assert_int_eq(memcmp(bad->data, md, 31), 0);
	ck_assert_uint_eq(bad->data[31], md[31] ^ 1);
	tlsa_free(bad);
	bad = tlsa_from_spec("3 1 1 leaf truncated", profile, c, NULL, &err);
	ck_assert_uint_eq(bad->len, 31);
	tlsa_free(bad);
	bad = tlsa_from_spec("3 1 1 leaf overlong", profile, c, NULL, &err);
	ck_assert_uint_eq(bad->len, 33);
	ck_assert_uint_eq(bad->data[32], 0);
	tlsa_free(bad);
	ck_assert_int_eq(X509_digest(leaf, EVP_sha512(), md, &mdlen), 1);
	bad = tlsa_from_spec("3 1 2 leaf selector-swapped", profile, c, NULL,
	    &err);
	ck_assert_uint_eq(bad->selector, 1);
	ck_assert_int_eq(memcmp(bad->data, md, 64), 0);
	tlsa_free(bad);
	bad = tlsa_from_spec("2 0 1 depth:2", profile, c, NULL, &err);
	tlsa_free(r);
	r = tlsa_from_spec("2 0 1 root", profile, c, NULL, &err);
	ck_assert_int_eq(memcmp(bad->data, r->data, 32), 0);
	tlsa_free(bad);
	tlsa_free(r);
	pki_chain_free(c);
}
END_TEST

/* Bad specs are refused with a message. */
START_TEST(test_bad_specs)
{
	struct pki_chain *c = pki_chain_new(profile, "no-root", NULL);
	static const char *const bad[] = { "", "3 1 1", "3 1 leaf",
	    "256 1 1 leaf", "-1 1 1 leaf", "3 1 1 leaf corrupt extra",
	    "3 1 1 nosuch", "3 1 1 leaf broken", "3 1 1 depth:3",
	    "3 1 1 depth:x", "3 0 1 other-key", "3 1 1 key:leaf",
	    "3 1 1 cert:other-key", "x 1 1 leaf",
	    "3 1 1 other-key selector-swapped" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		struct tlsa_rdata *r = tlsa_from_spec(bad[i], profile, c,
		    NULL, &err);

		ck_assert_msg(r == NULL, "\"%s\" accepted", bad[i]);
		ck_assert_msg(err != NULL && *err, "\"%s\": no message", bad[i]);
		free(err);
	}
	/* Without a chain, depths are refused, names still work. */
	{
		char *err = NULL;
		struct tlsa_rdata *r = tlsa_from_spec("3 1 1 leaf", profile,
		    NULL, NULL, &err);

		ck_assert_ptr_null(r);
		free(err);
		r = tlsa_from_spec("3 1 1 cert:leaf", profile, NULL, NULL, &err);
		ck_assert_ptr_nonnull(r);
		tlsa_free(r);
	}
	pki_chain_free(c);
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
tlsa_suite(void)
{
	Suite *s = suite_create("tlsa");
	TCase *tc = tcase_create("tlsa");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_data);
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_bad_specs);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_dane_cases);
	suite_add_tcase(s, tc);
	return s;
}
