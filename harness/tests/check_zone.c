/*
 * check_zone.c - unit tests of zone.c.
 *
 * Every test builds a tree, signs it, writes it to a temporary directory
 * and reads the written files back with libldns, so what is checked is
 * what NSD would serve: signatures verify against the zone's DNSKEY, DS
 * records match (or, by design, do not match) the children's keys, NSEC
 * chains close, faults break exactly what they name, and two runs give
 * the same bytes.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "mem.h"
#include "suites.h"
#include "template.h"
#include "zone.h"

/* check_zone_keydir - where the committed keys are; caller frees */
static char *
check_zone_keydir(void)
{
	return xasprintf("%s/zones/keys", template_datadir());
}

/* check_zone_tree - a tree with one child of each delegation kind */
static struct zone_tree *
check_zone_tree(void)
{
	char *keydir = check_zone_keydir();
	struct zone_tree *t;
	struct zone *z;

	t = zone_tree_new(keydir, "example.", "127.0.0.1", "127.0.0.2",
	    ZONE_INCEPTION_DEFAULT, ZONE_EXPIRATION_DEFAULT);
	free(keydir);
	ck_assert_ptr_nonnull(t);
	z = zone_tree_add_child(t, "secure", ZONE_SECURE);
	ck_assert_ptr_nonnull(z);
	ck_assert_ptr_null(zone_add_rr(z, "www A 127.1.0.1"));
	ck_assert_ptr_null(zone_add_rr(z, "mail 600 IN A 127.1.0.2"));
	ck_assert_ptr_null(zone_add_rr(z, "@ MX 10 mail"));
	ck_assert_ptr_null(zone_add_rr(z, "txt TXT \"hello world\""));
	ck_assert_ptr_null(zone_add_rr(z, "_25._tcp.mail TLSA 3 1 1 "
	    "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef"));
	z = zone_tree_add_child(t, "insecure", ZONE_INSECURE);
	ck_assert_ptr_null(zone_add_rr(z, "www A 127.1.0.3"));
	z = zone_tree_add_child(t, "mismatch", ZONE_DS_MISMATCH);
	ck_assert_ptr_null(zone_add_rr(z, "www A 127.1.0.4"));
	z = zone_tree_add_child(t, "unsupported", ZONE_UNSUPPORTED_ALG);
	ck_assert_ptr_null(zone_add_rr(z, "www A 127.1.0.5"));
	z = zone_tree_add_child(t, "lame", ZONE_LAME);
	ck_assert_ptr_null(zone_add_rr(z, "www A 127.1.0.6"));
	return t;
}

/* check_zone_mkdtemp - a fresh temporary directory; caller frees */
static char *
check_zone_mkdtemp(void)
{
	char *dir = xstrdup("/tmp/check_zone.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

/* check_zone_rmdir - remove a directory written by zone_tree_write */
static void
check_zone_rmdir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *p;

			if (e->d_name[0] == '.')
				continue;
			p = xasprintf("%s/%s", dir, e->d_name);
			unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

/* check_zone_write - sign and write the tree; returns the dir */
static char *
check_zone_write(struct zone_tree *t)
{
	char *dir = check_zone_mkdtemp();

	ck_assert_int_eq(zone_tree_sign(t), 0);
	ck_assert_int_eq(zone_tree_write(t, dir), 0);
	return dir;
}

/* check_zone_read - every record of dir/file, SOA first */
static ldns_rr_list *
check_zone_read(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	ldns_zone *zone = NULL;
	ldns_rr_list *all;
	ldns_status st;
	int line = 0;
	FILE *fp;

	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	st = ldns_zone_new_frm_fp_l(&zone, fp, NULL, 0, LDNS_RR_CLASS_IN,
	    &line);
	fclose(fp);
	ck_assert_msg(st == LDNS_STATUS_OK, "%s:%d: %s", path, line,
	    ldns_get_errorstr_by_id(st));
	ck_assert_ptr_nonnull(ldns_zone_soa(zone));
	all = ldns_rr_list_new();
	ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_zone_soa(zone)));
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(zone)); i++)
		ldns_rr_list_push_rr(all,
		    ldns_rr_clone(ldns_rr_list_rr(ldns_zone_rrs(zone), i)));
	ldns_zone_deep_free(zone);
	free(path);
	return all;
}

/* check_zone_file_exists - whether dir/file exists */
static int
check_zone_file_exists(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	int ok = access(path, F_OK) == 0;

	free(path);
	return ok;
}

/* check_zone_dname - a dname from text; caller frees */
static ldns_rdf *
check_zone_dname(const char *s)
{
	ldns_rdf *d = NULL;

	ck_assert_int_eq(ldns_str2rdf_dname(&d, s), LDNS_STATUS_OK);
	return d;
}

/* check_zone_select - the records at owner of type (borrowed pointers) */
static ldns_rr_list *
check_zone_select(const ldns_rr_list *all, const char *owner,
    ldns_rr_type type)
{
	ldns_rdf *name = check_zone_dname(owner);
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);

		if (ldns_rr_get_type(rr) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			ldns_rr_list_push_rr(out, rr);
	}
	ldns_rdf_deep_free(name);
	return out;
}

/* check_zone_sigs - the RRSIGs over (owner, type) (borrowed pointers) */
static ldns_rr_list *
check_zone_sigs(const ldns_rr_list *all, const char *owner, ldns_rr_type type)
{
	ldns_rr_list *sigs = check_zone_select(all, owner, LDNS_RR_TYPE_RRSIG);
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sigs, i);

		if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type)
			ldns_rr_list_push_rr(out, rr);
	}
	ldns_rr_list_free(sigs);
	return out;
}

/* check_zone_verify_sig - verify one RRSIG against the apex DNSKEYs */
static ldns_status
check_zone_verify_sig(const ldns_rr_list *all, ldns_rr *sig)
{
	ldns_rr_list *rrset = ldns_rr_list_new();
	ldns_rr_list *keys = ldns_rr_list_new();
	ldns_rr_type covered = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig));
	ldns_status st;

	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY &&
		    ldns_dname_compare(ldns_rr_owner(rr),
		    ldns_rr_rrsig_signame(sig)) == 0)
			ldns_rr_list_push_rr(keys, rr);
		if (ldns_rr_get_type(rr) == covered &&
		    ldns_dname_compare(ldns_rr_owner(rr),
		    ldns_rr_owner(sig)) == 0)
			ldns_rr_list_push_rr(rrset, rr);
	}
	if (ldns_rr_list_rr_count(rrset) == 0)
		st = LDNS_STATUS_ERR;
	else
		/*
		 * _notime: libldns compares RRSIG dates as signed 32-bit
		 * numbers, so it refuses expirations after 2038; the dates
		 * are checked with serial arithmetic in check_zone_in_date.
		 */
		st = ldns_verify_rrsig_keylist_notime(rrset, sig, keys, NULL);
	ldns_rr_list_free(rrset);
	ldns_rr_list_free(keys);
	return st;
}

/* check_zone_in_date - whether now lies within the RRSIG's validity */
static int
check_zone_in_date(const ldns_rr *sig)
{
	uint32_t now = (uint32_t)time(NULL);
	uint32_t inc = ldns_rdf2native_int32(ldns_rr_rrsig_inception(sig));
	uint32_t exp = ldns_rdf2native_int32(ldns_rr_rrsig_expiration(sig));

	return (int32_t)(now - inc) >= 0 && (int32_t)(exp - now) >= 0;
}

/* check_zone_count_bad - RRSIGs that fail to verify; *n counts them all */
static size_t
check_zone_count_bad(const ldns_rr_list *all, size_t *n)
{
	size_t bad = 0;

	*n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			continue;
		(*n)++;
		if (check_zone_verify_sig(all, rr) != LDNS_STATUS_OK ||
		    !check_zone_in_date(rr))
			bad++;
	}
	return bad;
}

/* check_zone_count_type - how many records of a type the zone has */
static size_t
check_zone_count_type(const ldns_rr_list *all, ldns_rr_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(all, i)) == type)
			n++;
	return n;
}

START_TEST(test_signatures_verify)
{
	struct zone_tree *t = check_zone_tree();
	char *dir = check_zone_write(t);

	/* Lame children are not served, so neither counted nor written. */
	ck_assert_uint_eq(zone_tree_count(t), 6);
	ck_assert_str_eq(zone_name(zone_tree_get(t, 0)), ".");
	ck_assert_str_eq(zone_name(zone_tree_get(t, 1)), "example.");
	ck_assert_ptr_null(zone_tree_get(t, 6));
	ck_assert_ptr_nonnull(zone_tree_find(t, "lame.example"));
	ck_assert_int_eq(zone_served(zone_tree_find(t, "lame.example.")), 0);
	ck_assert(!check_zone_file_exists(dir, "lame.example.zone"));
	ck_assert(check_zone_file_exists(dir, "root.zone"));
	ck_assert(check_zone_file_exists(dir, "root.ds"));

	for (size_t i = 0; i < zone_tree_count(t); i++) {
		struct zone *z = zone_tree_get(t, i);
		ldns_rr_list *all = check_zone_read(dir, zone_file(z));
		enum zone_delegation d = zone_delegation_of(z);
		size_t n, bad = check_zone_count_bad(all, &n);

		if (d == ZONE_INSECURE) {
			ck_assert_uint_eq(n, 0);
			ck_assert_uint_eq(check_zone_count_type(all,
			    LDNS_RR_TYPE_DNSKEY), 0);
			ck_assert_uint_eq(check_zone_count_type(all,
			    LDNS_RR_TYPE_NSEC), 0);
		} else if (d == ZONE_UNSUPPORTED_ALG) {
			ldns_rr_list *k = check_zone_select(all,
			    zone_name(z), LDNS_RR_TYPE_DNSKEY);

			ck_assert_uint_eq(ldns_rr_list_rr_count(k), 1);
			ck_assert_int_eq(ldns_rdf2native_int8(
			    ldns_rr_dnskey_algorithm(ldns_rr_list_rr(k, 0))),
			    253);
			ck_assert_uint_gt(n, 0);
			ck_assert_uint_eq(bad, n);	/* nobody can check */
			ldns_rr_list_free(k);
		} else {
			ck_assert_msg(n > 0, "%s unsigned", zone_name(z));
			ck_assert_msg(bad == 0, "%s: %zu of %zu RRSIGs bad",
			    zone_name(z), bad, n);
		}
		ldns_rr_list_deep_free(all);
	}
	check_zone_rmdir(dir);
	zone_tree_free(t);
}
END_TEST

/* check_zone_ds_matches - whether ds matches a DNSKEY of the zone in all */
static int
check_zone_ds_matches(const ldns_rr *ds, const ldns_rr_list *all)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY &&
		    ldns_rr_compare_ds(ds, rr))
			return 1;
	}
	return 0;
}

/* check_zone_one_ds - the single DS at owner in all (borrowed) */
static ldns_rr *
check_zone_one_ds(const ldns_rr_list *all, const char *owner)
{
	ldns_rr_list *ds = check_zone_select(all, owner, LDNS_RR_TYPE_DS);
	ldns_rr *rr;

	ck_assert_msg(ldns_rr_list_rr_count(ds) == 1, "%zu DS at %s",
	    ldns_rr_list_rr_count(ds), owner);
	rr = ldns_rr_list_rr(ds, 0);
	ck_assert_int_eq(ldns_rdf2native_int8(ldns_rr_rdf(rr, 2)), LDNS_SHA256);
	ldns_rr_list_free(ds);
	return rr;
}

START_TEST(test_ds_chain)
{
	struct zone_tree *t = check_zone_tree();
	char *dir = check_zone_write(t);
	ldns_rr_list *root = check_zone_read(dir, "root.zone");
	ldns_rr_list *tld = check_zone_read(dir, "example.zone");
	ldns_rr_list *secure = check_zone_read(dir, "secure.example.zone");
	ldns_rr_list *mismatch = check_zone_read(dir, "mismatch.example.zone");
	ldns_rr_list *unsup = check_zone_read(dir, "unsupported.example.zone");
	ldns_rr_list *none;
	char *path = xasprintf("%s/root.ds", dir);
	FILE *fp;
	char text[4096];
	size_t len;

	/* root.ds is the trust anchor text and matches the root's key. */
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	len = fread(text, 1, sizeof(text) - 1, fp);
	text[len] = 0;
	fclose(fp);
	ck_assert_str_eq(text, zone_tree_trust_anchor(t));
	ck_assert_ptr_nonnull(strstr(zone_tree_root_dnskey(t), "DNSKEY"));
	free(path);
	{
		ldns_rr *ds = NULL;

		ck_assert_int_eq(ldns_rr_new_frm_str(&ds, text, 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ck_assert_int_eq(ldns_rr_get_type(ds), LDNS_RR_TYPE_DS);
		ck_assert(check_zone_ds_matches(ds, root));
		ldns_rr_free(ds);
	}

	ck_assert(check_zone_ds_matches(check_zone_one_ds(root, "example."),
	    tld));
	ck_assert(check_zone_ds_matches(check_zone_one_ds(tld,
	    "secure.example."), secure));
	ck_assert(check_zone_ds_matches(check_zone_one_ds(tld,
	    "unsupported.example."), unsup));
	ck_assert(!check_zone_ds_matches(check_zone_one_ds(tld,
	    "mismatch.example."), mismatch));
	ck_assert(!check_zone_ds_matches(check_zone_one_ds(tld,
	    "mismatch.example."), secure));
	/* Lame children are expected secure: they keep their DS. */
	check_zone_one_ds(tld, "lame.example.");
	none = check_zone_select(tld, "insecure.example.", LDNS_RR_TYPE_DS);
	ck_assert_uint_eq(ldns_rr_list_rr_count(none), 0);
	ldns_rr_list_free(none);
	none = check_zone_select(tld, "insecure.example.", LDNS_RR_TYPE_NS);
	ck_assert_uint_eq(ldns_rr_list_rr_count(none), 1);
	ldns_rr_list_free(none);

	/* Glue in the root, the lame server's address in the TLD. */
	none = check_zone_select(root, "ns.nic.example.", LDNS_RR_TYPE_A);
	ck_assert_uint_eq(ldns_rr_list_rr_count(none), 1);
	ldns_rr_list_free(none);
	none = check_zone_select(tld, "ns-lame.nic.example.", LDNS_RR_TYPE_A);
	ck_assert_uint_eq(ldns_rr_list_rr_count(none), 1);
	ldns_rr_list_free(none);

	ldns_rr_list_deep_free(root);
	ldns_rr_list_deep_free(tld);
	ldns_rr_list_deep_free(secure);
	ldns_rr_list_deep_free(mismatch);
	ldns_rr_list_deep_free(unsup);
	check_zone_rmdir(dir);
	zone_tree_free(t);
}
END_TEST

/* check_zone_owner_index - index of name in owners, or -1 */
static long
check_zone_owner_index(const ldns_rr_list *owners, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(owners); i++)
		if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(owners,
		    i)), name) == 0)
			return (long)i;
	return -1;
}

/* check_zone_nsec_cycle - the NSECs of one zone form a closed cycle */
static void
check_zone_nsec_cycle(const ldns_rr_list *all, const char *origin)
{
	ldns_rdf *apex = check_zone_dname(origin);
	ldns_rr_list *nsecs = ldns_rr_list_new();
	ldns_rr_list *cuts = ldns_rr_list_new();
	size_t owners = 0, n, steps = 0;
	long at;

	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC)
			ldns_rr_list_push_rr(nsecs, rr);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(ldns_rr_owner(rr), apex) != 0)
			ldns_rr_list_push_rr(cuts, rr);
	}
	/* Every authoritative owner (not glue below a cut) has one NSEC. */
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(all, i));
		int glue = 0;

		if (i > 0 && ldns_dname_compare(o,
		    ldns_rr_owner(ldns_rr_list_rr(all, i - 1))) == 0)
			continue;
		for (size_t j = 0; j < ldns_rr_list_rr_count(cuts); j++)
			if (ldns_dname_is_subdomain(o,
			    ldns_rr_owner(ldns_rr_list_rr(cuts, j))))
				glue = 1;
		if (glue)
			continue;
		owners++;
		ck_assert_msg(check_zone_owner_index(nsecs, o) >= 0,
		    "%s: an owner has no NSEC", origin);
	}
	n = ldns_rr_list_rr_count(nsecs);
	ck_assert_msg(n == owners, "%s: %zu NSEC for %zu owners", origin, n,
	    owners);
	/* Follow "next" from the apex: all n, then back to the apex. */
	at = check_zone_owner_index(nsecs, apex);
	ck_assert_int_ge(at, 0);
	do {
		ldns_rr *nsec = ldns_rr_list_rr(nsecs, (size_t)at);

		at = check_zone_owner_index(nsecs, ldns_rr_rdf(nsec, 0));
		ck_assert_msg(at >= 0, "%s: NSEC chain broken", origin);
		steps++;
		ck_assert_uint_le(steps, n);
	} while (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(nsecs,
	    (size_t)at)), apex) != 0);
	ck_assert_uint_eq(steps, n);
	ldns_rdf_deep_free(apex);
	ldns_rr_list_free(nsecs);
	ldns_rr_list_free(cuts);
}

START_TEST(test_nsec_chain)
{
	struct zone_tree *t = check_zone_tree();
	char *dir = check_zone_write(t);

	for (size_t i = 0; i < zone_tree_count(t); i++) {
		struct zone *z = zone_tree_get(t, i);
		ldns_rr_list *all;

		if (zone_delegation_of(z) == ZONE_INSECURE)
			continue;
		all = check_zone_read(dir, zone_file(z));
		check_zone_nsec_cycle(all, zone_name(z));
		ldns_rr_list_deep_free(all);
	}
	check_zone_rmdir(dir);
	zone_tree_free(t);
}
END_TEST

/* check_zone_sig_ok - whether the one RRSIG over (owner, type) verifies */
static int
check_zone_sig_ok(const ldns_rr_list *all, const char *owner,
    ldns_rr_type type, uint32_t *inc, uint32_t *exp)
{
	ldns_rr_list *sigs = check_zone_sigs(all, owner, type);
	ldns_rr *sig;
	int ok;

	ck_assert_msg(ldns_rr_list_rr_count(sigs) == 1, "%zu RRSIG over %s",
	    ldns_rr_list_rr_count(sigs), owner);
	sig = ldns_rr_list_rr(sigs, 0);
	ok = check_zone_verify_sig(all, sig) == LDNS_STATUS_OK;
	*inc = ldns_rdf2native_int32(ldns_rr_rrsig_inception(sig));
	*exp = ldns_rdf2native_int32(ldns_rr_rrsig_expiration(sig));
	ldns_rr_list_free(sigs);
	return ok;
}

START_TEST(test_faults)
{
	struct zone_tree *t = check_zone_tree();
	struct zone *z = zone_tree_find(t, "secure.example.");
	ldns_rr_list *child, *tld, *sigs;
	uint32_t inc, exp;
	size_t n;
	char *dir;

	ck_assert_ptr_null(zone_add_fault(z, "corrupt-rrsig", "www", "A"));
	ck_assert_ptr_null(zone_add_fault(z, "missing-rrsig", "mail", "A"));
	ck_assert_ptr_null(zone_add_fault(z, "expired-rrsig", "txt", "TXT"));
	ck_assert_ptr_null(zone_add_fault(z, "future-rrsig",
	    "secure.example.", "MX"));
	ck_assert_ptr_null(zone_add_fault(z, "broken-nsec", "txt", NULL));
	ck_assert_ptr_null(zone_add_fault(z, "corrupt-rrsig", "@", "DS"));
	ck_assert_ptr_null(zone_add_fault(z, "expired-rrsig", "www",
	    "DNSKEY"));
	dir = check_zone_write(t);
	child = check_zone_read(dir, "secure.example.zone");
	tld = check_zone_read(dir, "example.zone");

	ck_assert(!check_zone_sig_ok(child, "www.secure.example.",
	    LDNS_RR_TYPE_A, &inc, &exp));
	sigs = check_zone_sigs(child, "mail.secure.example.", LDNS_RR_TYPE_A);
	ck_assert_uint_eq(ldns_rr_list_rr_count(sigs), 0);
	ldns_rr_list_free(sigs);
	sigs = check_zone_select(child, "mail.secure.example.",
	    LDNS_RR_TYPE_A);
	ck_assert_uint_eq(ldns_rr_list_rr_count(sigs), 1);
	ldns_rr_list_free(sigs);

	ck_assert(check_zone_sig_ok(child, "txt.secure.example.",
	    LDNS_RR_TYPE_TXT, &inc, &exp));
	ck_assert_uint_eq(inc, 946684800);	/* 2000-01-01 */
	ck_assert_uint_eq(exp, 978307200);	/* 2001-01-01 */
	ck_assert(check_zone_sig_ok(child, "secure.example.", LDNS_RR_TYPE_MX,
	    &inc, &exp));
	ck_assert_uint_ge(inc, 3155760000u);	/* 2070-01-01 */
	ck_assert_uint_lt(exp, 3471292800u);	/* 2080-01-01 */
	ck_assert_uint_lt(inc, exp);
	ck_assert(check_zone_sig_ok(child, "secure.example.",
	    LDNS_RR_TYPE_DNSKEY, &inc, &exp));
	ck_assert_uint_eq(exp, 978307200);
	ck_assert(!check_zone_sig_ok(child, "txt.secure.example.",
	    LDNS_RR_TYPE_NSEC, &inc, &exp));
	ck_assert(!check_zone_sig_ok(tld, "secure.example.", LDNS_RR_TYPE_DS,
	    &inc, &exp));
	ck_assert(check_zone_sig_ok(tld, "secure.example.", LDNS_RR_TYPE_NSEC,
	    &inc, &exp));

	/* Exactly those: www A, TXT, MX, DNSKEY, txt NSEC; DS in the TLD. */
	ck_assert_uint_eq(check_zone_count_bad(child, &n), 5);
	ck_assert_uint_eq(check_zone_count_bad(tld, &n), 1);

	ldns_rr_list_deep_free(child);
	ldns_rr_list_deep_free(tld);
	check_zone_rmdir(dir);
	zone_tree_free(t);
}
END_TEST

START_TEST(test_broken_nsec_covering)
{
	struct zone_tree *t = check_zone_tree();
	struct zone *z = zone_tree_find(t, "secure.example.");
	ldns_rdf *nx = check_zone_dname("nx.secure.example.");
	ldns_rr_list *child;
	size_t n, covering = 0;
	char *dir;

	ck_assert_ptr_null(zone_add_fault(z, "broken-nsec", "nx", "A"));
	dir = check_zone_write(t);
	child = check_zone_read(dir, "secure.example.zone");
	ck_assert_uint_eq(check_zone_count_bad(child, &n), 1);
	/* The one bad signature is over the NSEC whose span holds nx. */
	for (size_t i = 0; i < ldns_rr_list_rr_count(child); i++) {
		ldns_rr *rr = ldns_rr_list_rr(child, i);
		char *owner;
		uint32_t inc, exp;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC ||
		    ldns_dname_compare(ldns_rr_owner(rr), nx) > 0 ||
		    (ldns_dname_compare(ldns_rr_rdf(rr, 0), nx) < 0 &&
		    ldns_dname_compare(ldns_rr_rdf(rr, 0),
		    ldns_rr_owner(ldns_rr_list_rr(child, 0))) != 0))
			continue;
		covering++;
		owner = ldns_rdf2str(ldns_rr_owner(rr));
		ck_assert(!check_zone_sig_ok(child, owner, LDNS_RR_TYPE_NSEC,
		    &inc, &exp));
		free(owner);
	}
	ck_assert_uint_eq(covering, 1);
	ldns_rdf_deep_free(nx);
	ldns_rr_list_deep_free(child);
	check_zone_rmdir(dir);
	zone_tree_free(t);
}
END_TEST

START_TEST(test_fault_errors)
{
	struct zone_tree *t = check_zone_tree();
	struct zone *z = zone_tree_find(t, "secure.example");
	const char *const *names = zone_fault_names();
	size_t n = 0;

	while (names[n] != NULL)
		n++;
	ck_assert_uint_ge(n, 5);
	ck_assert_str_eq(names[0], "corrupt-rrsig");
	ck_assert_ptr_nonnull(zone_add_fault(z, "no-such-fault", "www", "A"));
	ck_assert_ptr_nonnull(zone_add_fault(z, "corrupt-rrsig", "www",
	    "NOSUCHTYPE"));
	ck_assert_ptr_nonnull(zone_add_fault(z, "corrupt-rrsig", "www", NULL));
	ck_assert_ptr_nonnull(zone_add_fault(zone_tree_root(t),
	    "corrupt-rrsig", "@", "DS"));

	/* A good tree signs; a fault on a missing RRset makes it fail. */
	ck_assert_int_eq(zone_tree_sign(t), 0);
	ck_assert_ptr_null(zone_add_fault(z, "corrupt-rrsig", "nothere",
	    "A"));
	ck_assert_int_eq(zone_tree_sign(t), -1);
	zone_tree_free(t);

	/* Unsigned RRsets (insecure zone, delegation NS) count as missing. */
	t = check_zone_tree();
	ck_assert_ptr_null(zone_add_fault(zone_tree_find(t,
	    "insecure.example."), "missing-rrsig", "www", "A"));
	ck_assert_int_eq(zone_tree_sign(t), -1);
	zone_tree_free(t);
	t = check_zone_tree();
	ck_assert_ptr_null(zone_add_fault(zone_tree_find(t,
	    "insecure.example."), "expired-rrsig", "@", "DS"));
	ck_assert_int_eq(zone_tree_sign(t), -1);
	zone_tree_free(t);
}
END_TEST

/* check_zone_same_file - whether two files have the same bytes */
static int
check_zone_same_file(const char *a, const char *b, const char *file)
{
	char *pa = xasprintf("%s/%s", a, file);
	char *pb = xasprintf("%s/%s", b, file);
	FILE *fa = fopen(pa, "r");
	FILE *fb = fopen(pb, "r");
	int ca, cb, same = fa != NULL && fb != NULL;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		if (ca != cb)
			same = 0;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	free(pa);
	free(pb);
	return same;
}

START_TEST(test_deterministic)
{
	struct zone_tree *t1 = check_zone_tree();
	struct zone_tree *t2 = check_zone_tree();
	char *d1 = check_zone_write(t1);
	char *d2 = check_zone_write(t2);

	ck_assert_uint_eq(zone_tree_count(t1), zone_tree_count(t2));
	for (size_t i = 0; i < zone_tree_count(t1); i++)
		ck_assert_msg(check_zone_same_file(d1, d2,
		    zone_file(zone_tree_get(t1, i))), "%s differs",
		    zone_file(zone_tree_get(t1, i)));
	ck_assert(check_zone_same_file(d1, d2, "root.ds"));
	check_zone_rmdir(d1);
	check_zone_rmdir(d2);
	zone_tree_free(t1);
	zone_tree_free(t2);
}
END_TEST

/* check_zone_many - a tree with n secure children, signed on threads */
static struct zone_tree *
check_zone_many(size_t n)
{
	struct zone_tree *t = check_zone_tree();

	for (size_t i = 0; i < n; i++) {
		char label[32];
		struct zone *z;

		snprintf(label, sizeof(label), "c%zu", i);
		z = zone_tree_add_child(t, label, ZONE_SECURE);
		ck_assert_ptr_nonnull(z);
		ck_assert_ptr_null(zone_add_rr(z, "www A 127.1.0.1"));
	}
	return t;
}

START_TEST(test_many_children)
{
	struct zone_tree *t1 = check_zone_many(150);
	struct zone_tree *t2 = check_zone_many(150);
	char *d1 = check_zone_write(t1);
	char *d2 = check_zone_write(t2);
	ldns_rr_list *tld = check_zone_read(d1, "example.zone");

	ck_assert_uint_eq(zone_tree_count(t1), 156);
	for (size_t i = 0; i < zone_tree_count(t1); i++) {
		struct zone *z = zone_tree_get(t1, i);
		ldns_rr_list *all;
		size_t n;

		ck_assert_msg(check_zone_same_file(d1, d2, zone_file(z)),
		    "%s differs", zone_file(z));
		if (zone_delegation_of(z) != ZONE_SECURE)
			continue;
		all = check_zone_read(d1, zone_file(z));
		ck_assert_msg(check_zone_count_bad(all, &n) == 0 && n > 0,
		    "%s does not verify", zone_name(z));
		if (i > 1)
			ck_assert(check_zone_ds_matches(check_zone_one_ds(tld,
			    zone_name(z)), all));
		ldns_rr_list_deep_free(all);
	}
	ldns_rr_list_deep_free(tld);
	check_zone_rmdir(d1);
	check_zone_rmdir(d2);
	zone_tree_free(t1);
	zone_tree_free(t2);
}
END_TEST

START_TEST(test_add_rr_errors)
{
	struct zone_tree *t = check_zone_tree();
	struct zone *z = zone_tree_find(t, "secure.example.");
	const char *bad[] = {
		"www A not-an-address",
		"www NOSUCHTYPE 1",
		"www MX ten mail",
		"www.other. A 127.0.0.1",
		"@ SOA a. b. 1 2 3 4 5",
		"www CH A 127.0.0.1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = zone_add_rr(z, bad[i]);

		ck_assert_msg(why != NULL && *why != 0, "accepted \"%s\"",
		    bad[i]);
	}
	ck_assert_ptr_null(zone_add_rr(z, "ftp CNAME www"));
	ck_assert_ptr_null(zone_add_rr(z, "abs.secure.example. 60 AAAA ::1"));
	ck_assert_ptr_null(zone_tree_add_child(t, "secure", ZONE_SECURE));
	ck_assert_ptr_null(zone_tree_add_child(t, "bad label", ZONE_SECURE));
	ck_assert_ptr_null(zone_tree_add_child(t, "", ZONE_SECURE));
	ck_assert_ptr_null(zone_tree_add_child(t, "-x", ZONE_SECURE));
	zone_tree_free(t);
}
END_TEST

START_TEST(test_bad_keydir)
{
	ck_assert_ptr_null(zone_tree_new("/nonexistent", "example.",
	    "127.0.0.1", "127.0.0.2", ZONE_INCEPTION_DEFAULT,
	    ZONE_EXPIRATION_DEFAULT));
}
END_TEST

/* check_expect - zone_tree_expect of (name, type) is status (and nx) */
static void
check_expect(const struct zone_tree *t, const char *name, const char *type,
    enum zone_status status, int nx)
{
	struct zone_expect e;

	ck_assert_int_eq(zone_tree_expect(t, name, type, &e), 0);
	ck_assert_msg(e.status == status && e.nxdomain == nx,
	    "%s %s: %s%s (%s), wanted %s%s", name, type,
	    zone_status_name(e.status), e.nxdomain ? " nx" : "", e.why,
	    zone_status_name(status), nx ? " nx" : "");
}

/* The expectations derived from delegation states, faults on RRsets,
 * on DNSKEY and DS, broken NSEC, CNAMEs and denials. */
START_TEST(test_expect)
{
	struct zone_tree *t = check_zone_tree();
	struct zone *z = zone_tree_find(t, "secure.example.");
	struct zone_expect e;

	ck_assert_ptr_null(zone_add_rr(z, "alias CNAME www"));
	ck_assert_ptr_null(zone_add_rr(z, "out CNAME www.insecure.example."));
	ck_assert_ptr_null(zone_add_rr(z, "badalias CNAME www"));
	ck_assert_ptr_null(zone_add_rr(z, "a.b.deep A 127.1.0.9"));
	ck_assert_ptr_null(zone_add_fault(z, "corrupt-rrsig", "txt", "TXT"));
	ck_assert_ptr_null(zone_add_fault(z, "expired-rrsig", "badalias",
	    "CNAME"));
	ck_assert_ptr_null(zone_add_fault(z, "broken-nsec", "mail", NULL));
	z = zone_tree_add_child(t, "keyfault", ZONE_SECURE);
	ck_assert_ptr_null(zone_add_rr(z, "www A 127.1.0.7"));
	ck_assert_ptr_null(zone_add_fault(z, "future-rrsig", "@", "DNSKEY"));
	z = zone_tree_add_child(t, "dsfault", ZONE_SECURE);
	ck_assert_ptr_null(zone_add_rr(z, "www A 127.1.0.8"));
	ck_assert_ptr_null(zone_add_fault(z, "missing-rrsig", "@", "DS"));
	ck_assert_int_eq(zone_tree_sign(t), 0);

	check_expect(t, "www.secure.example.", "A", ZONE_STATUS_SECURE, 0);
	check_expect(t, "_25._tcp.mail.secure.example.", "TLSA",
	    ZONE_STATUS_SECURE, 0);
	check_expect(t, "txt.secure.example.", "TXT", ZONE_STATUS_BOGUS, 0);
	/* A fault on one RRset leaves the others at the name alone. */
	check_expect(t, "www.secure.example.", "TXT",
	    ZONE_STATUS_SECURE_DENIAL, 0);
	check_expect(t, "nope.secure.example.", "A",
	    ZONE_STATUS_SECURE_DENIAL, 1);
	/* An empty non-terminal exists: NODATA, not NXDOMAIN. */
	check_expect(t, "b.deep.secure.example.", "A",
	    ZONE_STATUS_SECURE_DENIAL, 0);
	/* broken-nsec at mail: its NODATA needs that NSEC. */
	check_expect(t, "mail.secure.example.", "TXT", ZONE_STATUS_BOGUS, 0);
	check_expect(t, "www.insecure.example.", "A", ZONE_STATUS_INSECURE, 0);
	check_expect(t, "www.insecure.example.", "TLSA",
	    ZONE_STATUS_INSECURE_DENIAL, 0);
	check_expect(t, "nope.insecure.example.", "A",
	    ZONE_STATUS_INSECURE_DENIAL, 1);
	check_expect(t, "www.mismatch.example.", "A", ZONE_STATUS_BOGUS, 0);
	check_expect(t, "www.unsupported.example.", "A",
	    ZONE_STATUS_INSECURE, 0);
	check_expect(t, "www.lame.example.", "A",
	    ZONE_STATUS_INDETERMINATE, 0);
	check_expect(t, "www.keyfault.example.", "A", ZONE_STATUS_BOGUS, 0);
	check_expect(t, "www.dsfault.example.", "A", ZONE_STATUS_BOGUS, 0);
	/* CNAMEs: followed, the weakest link decides. */
	check_expect(t, "alias.secure.example.", "A", ZONE_STATUS_SECURE, 0);
	check_expect(t, "alias.secure.example.", "CNAME",
	    ZONE_STATUS_SECURE, 0);
	check_expect(t, "out.secure.example.", "A", ZONE_STATUS_INSECURE, 0);
	check_expect(t, "badalias.secure.example.", "A", ZONE_STATUS_BOGUS, 0);
	check_expect(t, "alias.secure.example.", "TLSA",
	    ZONE_STATUS_SECURE_DENIAL, 0);
	ck_assert_int_eq(zone_tree_expect(t, "www.secure.example.", "NOTATYPE",
	    &e), -1);
	zone_tree_free(t);
}
END_TEST

Suite *
zone_suite(void)
{
	Suite *s = suite_create("zone");
	TCase *tc = tcase_create("zone");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_signatures_verify);
	tcase_add_test(tc, test_ds_chain);
	tcase_add_test(tc, test_nsec_chain);
	tcase_add_test(tc, test_faults);
	tcase_add_test(tc, test_broken_nsec_covering);
	tcase_add_test(tc, test_fault_errors);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_many_children);
	tcase_add_test(tc, test_add_rr_errors);
	tcase_add_test(tc, test_bad_keydir);
	tcase_add_test(tc, test_expect);
	suite_add_tcase(s, tc);
	return s;
}
