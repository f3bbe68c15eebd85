// SPDX-License-Identifier: MIT
/*
 * Keys: host info, import of each size (public key equals OpenSSL's),
 * names, duplicates, delete, promote.  The suite's setup also makes time
 * authoritative (calendar-valid), which signing needs later on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"

static int setup(void)
{
	return pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR) ? -1 : 0;
}

static void test_info(void)
{
	uint32_t version = 0, features = 0;

	CU_ASSERT_EQUAL(pkiks_get_info(ks, &version, &features), 0);
	CU_ASSERT_EQUAL(version, PKIKS_GENL_VERSION);
	/* The host says which it is, and the client agrees. */
	CU_ASSERT_EQUAL(!!(features & PKIKS_FEATURE_KERNEL),
			pkiks_transport_of(ks) == PKIKS_TRANSPORT_KERNEL);
}

static void check_import(const char *name, enum test_key k, uint32_t bits)
{
	struct pkiks_key_info info;

	CU_ASSERT_EQUAL_FATAL(import_key(name, k, PKIKS_USAGE_SIGN, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, name, &info), 0);
	CU_ASSERT_STRING_EQUAL(info.name, name);
	CU_ASSERT_EQUAL(info.bits, bits);
	CU_ASSERT_EQUAL(info.usage, PKIKS_USAGE_SIGN);
	CU_ASSERT_EQUAL(info.owner_uid, geteuid());
	CU_ASSERT(spki_equal(test_key(k), info.pubkey, info.pubkey_len));
	free(info.pubkey);
}

static void test_import_sizes(void)
{
	check_import("t-rsa2048", K2048, 2048);
	check_import("t-rsa3072", K3072, 3072);
	check_import("t-rsa4096", K4096, 4096);
}

/* Components that do not make one key are refused before use. */
static void test_import_inconsistent(void)
{
	struct pkiks_key_info info;

	/* p of another key: p*q != n. */
	CU_ASSERT_EQUAL(
		import_mixed("t-bad", K2048, K2048B, 3, PKIKS_USAGE_SIGN, 0),
		-EINVAL);
	/* d, dp or qinv of another key: p*q == n, parts disagree. */
	CU_ASSERT_EQUAL(
		import_mixed("t-bad", K2048, K2048B, 2, PKIKS_USAGE_SIGN, 0),
		-EINVAL);
	CU_ASSERT_EQUAL(
		import_mixed("t-bad", K2048, K2048B, 5, PKIKS_USAGE_SIGN, 0),
		-EINVAL);
	CU_ASSERT_EQUAL(
		import_mixed("t-bad", K2048, K2048B, 7, PKIKS_USAGE_SIGN, 0),
		-EINVAL);
	/* n of a 3072-bit key with 2048-bit factors. */
	CU_ASSERT_EQUAL(
		import_mixed("t-bad", K2048, K3072, 0, PKIKS_USAGE_SIGN, 0),
		-EINVAL);
	CU_ASSERT_EQUAL(pkiks_key_get(ks, "t-bad", &info), -ENOENT);
}

static void test_list(void)
{
	struct pkiks_key_info *all;
	size_t n, i;
	int seen = 0;

	CU_ASSERT_EQUAL_FATAL(pkiks_key_list(ks, &all, &n), 0);
	for (i = 0; i < n; i++)
		if (!strncmp(all[i].name, "t-rsa", 5))
			seen++;
	CU_ASSERT_EQUAL(seen, 3);
	pkiks_key_info_free(all, n);
}

static void test_unknown(void)
{
	struct pkiks_key_info info;
	unsigned char dg[32] = {0}, sig[512];
	size_t len = sizeof(sig);

	CU_ASSERT_EQUAL(pkiks_key_get(ks, "t-nosuch", &info), -ENOENT);
	CU_ASSERT_EQUAL(pkiks_sign(ks, "t-nosuch", PKIKS_HASH_SHA256, dg,
				   sizeof(dg), sig, &len),
			-ENOENT);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-nosuch"), -ENOENT);
}

static void test_bad_names(void)
{
	static const char *const bad[] = {
		"",
		"a b",
		"x#y",
		"#",
		"ab##",
		"bad/name",
		"caf\xc3\xa9",
		"01234567890123456789012345678901234567890123456789012345678901"
		"23",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(
			import_key(bad[i], K2048, PKIKS_USAGE_SIGN, 0),
			-EINVAL);
	/* The longest valid name (63 bytes) and a shadow name are fine. */
	CU_ASSERT_EQUAL(import_key("t-"
				   "0123456789012345678901234567890123456789012"
				   "345678901234567890",
				   K2048, PKIKS_USAGE_SIGN, 0),
			0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-"
					     "012345678901234567890123456789012"
					     "3456789012345678901234567890"),
			0);
	CU_ASSERT_EQUAL(import_key("t-shadow#", K2048, PKIKS_USAGE_SIGN, 0), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-shadow#"), 0);
	/* Bad usage flags. */
	CU_ASSERT_EQUAL(import_key("t-usage", K2048, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(import_key("t-usage", K2048, 0x80, 0), -EINVAL);
}

static void test_duplicate_replace(void)
{
	struct pkiks_key_info info;

	CU_ASSERT_EQUAL(import_key("t-rsa2048", K2048B, PKIKS_USAGE_SIGN, 0),
			-EEXIST);
	CU_ASSERT_EQUAL_FATAL(import_key("t-dup", K2048, PKIKS_USAGE_SIGN, 0),
			      0);
	CU_ASSERT_EQUAL(
		import_key("t-dup", K2048B, PKIKS_USAGE_SIGN, PKIKS_F_REPLACE),
		0);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, "t-dup", &info), 0);
	CU_ASSERT(spki_equal(test_key(K2048B), info.pubkey, info.pubkey_len));
	free(info.pubkey);
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-dup", test_key(K2048B)), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-dup"), 0);
}

static void test_delete(void)
{
	struct pkiks_key_info info;

	CU_ASSERT_EQUAL_FATAL(import_key("t-del", K2048, PKIKS_USAGE_SIGN, 0),
			      0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-del"), 0);
	CU_ASSERT_EQUAL(pkiks_key_get(ks, "t-del", &info), -ENOENT);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-del"), -ENOENT);
}

static void test_promote(void)
{
	struct pkiks_key_info info;

	CU_ASSERT_EQUAL_FATAL(import_key("t-ca", K2048, PKIKS_USAGE_SIGN, 0),
			      0);
	CU_ASSERT_EQUAL_FATAL(import_key("t-ca#", K2048B, PKIKS_USAGE_SIGN, 0),
			      0);
	CU_ASSERT_EQUAL(pkiks_key_promote(ks, "t-ca"), 0);
	CU_ASSERT_EQUAL(pkiks_key_get(ks, "t-ca#", &info), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, "t-ca", &info), 0);
	CU_ASSERT(spki_equal(test_key(K2048B), info.pubkey, info.pubkey_len));
	free(info.pubkey);
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-ca", test_key(K2048B)), 0);
	/* Nothing to promote now. */
	CU_ASSERT_EQUAL(pkiks_key_promote(ks, "t-ca"), -ENOENT);
	/* Without NAME, NAME# is simply renamed. */
	CU_ASSERT_EQUAL_FATAL(import_key("t-new#", K2048, PKIKS_USAGE_SIGN, 0),
			      0);
	CU_ASSERT_EQUAL(pkiks_key_promote(ks, "t-new"), 0);
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-new", test_key(K2048)), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-new"), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-ca"), 0);
}

int suite_keys(void)
{
	CU_pSuite s = CU_add_suite("keys", setup, NULL);

	if (!s || !CU_add_test(s, "get_info", test_info) ||
	    !CU_add_test(s, "import 2048/3072/4096, SPKI", test_import_sizes) ||
	    !CU_add_test(s, "inconsistent components EINVAL",
			 test_import_inconsistent) ||
	    !CU_add_test(s, "list", test_list) ||
	    !CU_add_test(s, "unknown key ENOENT", test_unknown) ||
	    !CU_add_test(s, "bad names EINVAL", test_bad_names) ||
	    !CU_add_test(s, "duplicate EEXIST, REPLACE",
			 test_duplicate_replace) ||
	    !CU_add_test(s, "delete", test_delete) ||
	    !CU_add_test(s, "promote NAME# -> NAME", test_promote))
		return -1;
	return 0;
}
