// SPDX-License-Identifier: MIT
/*
 * Wrapped blobs: ENOKEY before a KEK exists, KEK provisioned once, the
 * blob's header as uapi/pkiks.h lays it out, unwrap round trip (same
 * public key, signs), rename, tampering refused with EBADMSG.
 * Needs a fresh host: the KEK can be set only once per host lifetime.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include "suite.h"

static void test_no_kek(void)
{
	static const unsigned char junk[200] = "PKW1";
	struct pkiks_key_info info;
	unsigned char *blob;
	size_t len;

	CU_ASSERT_EQUAL(pkiks_key_wrap(ks, "t-rsa2048", &blob, &len), -ENOKEY);
	CU_ASSERT_EQUAL(
		pkiks_key_unwrap(ks, junk, sizeof(junk), NULL, 0, &info),
		-ENOKEY);
}

static void test_kek_set(void)
{
	unsigned char kek[PKIKS_KEK_LEN];

	RAND_bytes(kek, sizeof(kek));
	/* Outside the KEK attribute's length range: ERANGE on both hosts. */
	CU_ASSERT_EQUAL(pkiks_kek_set(ks, kek, sizeof(kek) - 1), -ERANGE);
	CU_ASSERT_EQUAL(pkiks_kek_set(ks, kek, sizeof(kek)), 0);
	CU_ASSERT_EQUAL(pkiks_kek_set(ks, kek, sizeof(kek)), -EBUSY);
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The secret prime p must not appear in clear anywhere in the blob. */
static void check_no_clear_prime(const unsigned char *b, size_t len,
				 EVP_PKEY *pkey)
{
	unsigned char p[PKIKS_RSA_MAX_BYTES];
	BIGNUM *bn = NULL;
	int n;

	CU_ASSERT_FATAL(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1,
					      &bn) == 1);
	n = BN_bn2bin(bn, p);
	BN_clear_free(bn);
	CU_ASSERT_FATAL(n > 32);
	CU_ASSERT(!memmem(b, len, p, 32));
}

static void check_header(const unsigned char *b, size_t len)
{
	CU_ASSERT_FATAL(len > PKIKS_WRAP_HDR_LEN + PKIKS_WRAP_TAG_LEN);
	CU_ASSERT(!memcmp(b, PKIKS_WRAP_MAGIC, 4));
	CU_ASSERT_EQUAL(le32(b + 12), geteuid());
	CU_ASSERT_EQUAL(le32(b + 16), PKIKS_USAGE_SIGN);
	CU_ASSERT_EQUAL(b[20] | b[21] << 8, 3072);
	CU_ASSERT_STRING_EQUAL((const char *)b + 22, "t-w");
	check_no_clear_prime(b, len, test_key(K3072));
}

static void test_roundtrip(void)
{
	struct pkiks_key_info info;
	unsigned char *blob;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(import_key("t-w", K3072, PKIKS_USAGE_SIGN, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_wrap(ks, "t-w", &blob, &len), 0);
	check_header(blob, len);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-w"), 0);
	CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, NULL, 0, &info), 0);
	CU_ASSERT_STRING_EQUAL(info.name, "t-w");
	CU_ASSERT_EQUAL(info.bits, 3072);
	CU_ASSERT_EQUAL(info.usage, PKIKS_USAGE_SIGN);
	CU_ASSERT(spki_equal(test_key(K3072), info.pubkey, info.pubkey_len));
	free(info.pubkey);
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-w", test_key(K3072)), 0);
	/* Again: the name is taken, unless replacing or renaming. */
	CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, NULL, 0, NULL),
			-EEXIST);
	CU_ASSERT_EQUAL(
		pkiks_key_unwrap(ks, blob, len, NULL, PKIKS_F_REPLACE, NULL),
		0);
	CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, "t-w2", 0, &info), 0);
	CU_ASSERT_STRING_EQUAL(info.name, "t-w2");
	free(info.pubkey);
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-w2", test_key(K3072)), 0);
	CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, "bad name", 0, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-w2"), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-w"), 0);
	free(blob);
}

static void test_tampered(void)
{
	unsigned char *blob;
	size_t len, spots[4], i;
	int err;

	CU_ASSERT_EQUAL_FATAL(import_key("t-w", K2048, PKIKS_USAGE_SIGN, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_wrap(ks, "t-w", &blob, &len), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-w"), 0);
	/* A header byte (AAD), the nonce, the ciphertext, the tag. */
	spots[0] = 16;
	spots[1] = 5;
	spots[2] = PKIKS_WRAP_HDR_LEN + 10;
	spots[3] = len - 1;
	for (i = 0; i < 4; i++) {
		blob[spots[i]] ^= 0x01;
		CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, NULL, 0, NULL),
				-EBADMSG);
		blob[spots[i]] ^= 0x01;
	}
	CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len - 1, NULL, 0, NULL),
			-EBADMSG);
	/* Shorter than a header: the policy refuses it first (ERANGE). */
	err = pkiks_key_unwrap(ks, blob, 20, NULL, 0, NULL);
	CU_ASSERT_EQUAL(err, -ERANGE);
	/* Untouched, it still opens. */
	CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, NULL, 0, NULL), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-w"), 0);
	free(blob);
}

int suite_wrap(void)
{
	CU_pSuite s = CU_add_suite("wrap", NULL, NULL);

	if (!s || !CU_add_test(s, "no KEK ENOKEY", test_no_kek) ||
	    !CU_add_test(s, "KEK set once (EBUSY)", test_kek_set) ||
	    !CU_add_test(s, "wrap/unwrap round trip", test_roundtrip) ||
	    !CU_add_test(s, "tampered blob EBADMSG", test_tampered))
		return -1;
	return 0;
}
