// SPDX-License-Identifier: MIT
/*
 * Private operations: PKCS#1 v1.5 signatures for every hash (verified by
 * OpenSSL, one also written out for the openssl CLI), the decrypt round
 * trip, bad padding, usage separation, sizes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "suite.h"

static const char message[] = "pkid keystore suite: signed by the host\n";

static void sign_all_hashes(const char *name, enum test_key k)
{
	enum pkiks_hash h;

	for (h = PKIKS_HASH_SHA1; h <= PKIKS_HASH_SHA512; h++) {
		unsigned char dg[64], sig[PKIKS_RSA_MAX_BYTES];
		size_t sig_len = sizeof(sig);
		unsigned int dg_len;

		EVP_Digest(message, strlen(message), dg, &dg_len, hash_md(h),
			   NULL);
		CU_ASSERT_EQUAL_FATAL(
			pkiks_sign(ks, name, h, dg, dg_len, sig, &sig_len), 0);
		CU_ASSERT_EQUAL(sig_len,
				(size_t)EVP_PKEY_get_size(test_key(k)));
		CU_ASSERT_EQUAL(
			verify_digest(test_key(k), h, dg, dg_len, sig, sig_len),
			0);
	}
}

static void test_sign_hashes(void)
{
	sign_all_hashes("t-rsa2048", K2048);
	sign_all_hashes("t-rsa3072", K3072);
	sign_all_hashes("t-rsa4096", K4096);
}

/* One signature, its message and the public key, for openssl dgst. */
static void test_sign_export(void)
{
	struct pkiks_key_info info;
	unsigned char dg[32], sig[PKIKS_RSA_MAX_BYTES];
	size_t sig_len = sizeof(sig);

	EVP_Digest(message, strlen(message), dg, NULL, EVP_sha256(), NULL);
	CU_ASSERT_EQUAL_FATAL(pkiks_sign(ks, "t-rsa3072", PKIKS_HASH_SHA256, dg,
					 sizeof(dg), sig, &sig_len),
			      0);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, "t-rsa3072", &info), 0);
	CU_ASSERT_EQUAL(write_file("message.txt", message, strlen(message)), 0);
	CU_ASSERT_EQUAL(write_file("signature-sha256.bin", sig, sig_len), 0);
	CU_ASSERT_EQUAL(write_file("pubkey.der", info.pubkey, info.pubkey_len),
			0);
	free(info.pubkey);
}

static void test_sign_bad_input(void)
{
	unsigned char dg[64] = {0}, sig[PKIKS_RSA_MAX_BYTES];
	size_t len = sizeof(sig);

	/* Digest length that does not match the hash. */
	CU_ASSERT_EQUAL(pkiks_sign(ks, "t-rsa2048", PKIKS_HASH_SHA256, dg, 20,
				   sig, &len),
			-EINVAL);
	len = sizeof(sig);
	/* Hashes outside the HASH attribute's range. */
	CU_ASSERT_EQUAL(pkiks_sign(ks, "t-rsa2048", PKIKS_HASH_NONE, dg, 32,
				   sig, &len),
			-ERANGE);
	len = sizeof(sig);
	CU_ASSERT_EQUAL(pkiks_sign(ks, "t-rsa2048", __PKIKS_HASH_MAX, dg, 32,
				   sig, &len),
			-ERANGE);
}

static int encrypt_to(EVP_PKEY *pub, const unsigned char *in, size_t len,
		      unsigned char *out, size_t *out_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	int ok;

	ok = ctx && EVP_PKEY_encrypt_init(ctx) > 0 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	     EVP_PKEY_encrypt(ctx, out, out_len, in, len) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static void test_decrypt(void)
{
	unsigned char secret[32], ct[PKIKS_RSA_MAX_BYTES],
		pt[PKIKS_RSA_MAX_BYTES];
	size_t ct_len = sizeof(ct), pt_len = sizeof(pt);

	CU_ASSERT_EQUAL_FATAL(
		import_key("t-dec", K2048, PKIKS_USAGE_DECRYPT, 0), 0);
	RAND_bytes(secret, sizeof(secret));
	CU_ASSERT_EQUAL_FATAL(encrypt_to(test_key(K2048), secret,
					 sizeof(secret), ct, &ct_len),
			      0);
	CU_ASSERT_EQUAL_FATAL(
		pkiks_decrypt(ks, "t-dec", ct, ct_len, pt, &pt_len), 0);
	CU_ASSERT_EQUAL(pt_len, sizeof(secret));
	CU_ASSERT(!memcmp(pt, secret, sizeof(secret)));
	/* Ciphertext of the wrong size. */
	pt_len = sizeof(pt);
	CU_ASSERT_EQUAL(pkiks_decrypt(ks, "t-dec", ct, ct_len - 1, pt, &pt_len),
			-EINVAL);
	/* A block that does not decrypt to valid PKCS#1 padding. */
	ct[0] = 0x00;
	ct[1] = 0x01;
	memset(ct + 2, 0x5a, ct_len - 2);
	pt_len = sizeof(pt);
	CU_ASSERT_EQUAL(pkiks_decrypt(ks, "t-dec", ct, ct_len, pt, &pt_len),
			-EBADMSG);
}

static void test_usage(void)
{
	unsigned char dg[32] = {1}, buf[PKIKS_RSA_MAX_BYTES];
	unsigned char ct[PKIKS_RSA_MAX_BYTES];
	size_t len = sizeof(buf), ct_len = sizeof(ct);

	/* A decryption key does not sign ... */
	CU_ASSERT_EQUAL(pkiks_sign(ks, "t-dec", PKIKS_HASH_SHA256, dg,
				   sizeof(dg), buf, &len),
			-EKEYREJECTED);
	/* ... and a signing key is no decryption oracle. */
	CU_ASSERT_EQUAL_FATAL(
		encrypt_to(test_key(K2048), dg, sizeof(dg), ct, &ct_len), 0);
	len = sizeof(buf);
	CU_ASSERT_EQUAL(pkiks_decrypt(ks, "t-rsa2048", ct, ct_len, buf, &len),
			-EKEYREJECTED);
	/* A key for both does both. */
	CU_ASSERT_EQUAL_FATAL(import_key("t-both", K2048,
					 PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT,
					 0),
			      0);
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-both", test_key(K2048)), 0);
	len = sizeof(buf);
	CU_ASSERT_EQUAL(pkiks_decrypt(ks, "t-both", ct, ct_len, buf, &len), 0);
	CU_ASSERT(len == sizeof(dg) && !memcmp(buf, dg, sizeof(dg)));
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-both"), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-dec"), 0);
}

int suite_crypto(void)
{
	CU_pSuite s = CU_add_suite("crypto", NULL, NULL);

	if (!s ||
	    !CU_add_test(s, "sign SHA-1/256/384/512, verify",
			 test_sign_hashes) ||
	    !CU_add_test(s, "signature for the openssl CLI",
			 test_sign_export) ||
	    !CU_add_test(s, "sign: bad hash or digest EINVAL",
			 test_sign_bad_input) ||
	    !CU_add_test(s, "decrypt round trip, bad padding", test_decrypt) ||
	    !CU_add_test(s, "usage EKEYREJECTED both ways", test_usage))
		return -1;
	return 0;
}
