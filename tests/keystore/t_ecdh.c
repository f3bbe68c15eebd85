// SPDX-License-Identifier: MIT
/*
 * ECDH (protocol v5, KEY_DERIVE) on either host: EC keys imported with
 * usage DERIVE (alone and with SIGN), the shared secret for fresh peers on
 * both curves equal to OpenSSL's EVP_PKEY_derive, usage separation (a
 * SIGN-only EC key, an RSA key, a DERIVE-only key asked to sign), RSA keys
 * refused DERIVE at import, malformed peer points (the other curve's,
 * off the curve, compressed, a coordinate >= p, all ones, empty,
 * oversized) each with its errno, and wrap/unwrap keeping DERIVE.  The
 * raw suite (t_raw.c) adds missing and oversized attributes and the
 * command to its random burst.  Runs after the ECDSA suite (KEK set, time
 * authoritative).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>

#include "suite.h"

#define PEERS 8 /* fresh peers per curve */

static EVP_PKEY *keys[__PKIKS_KEY_TYPE_MAX];

static const char *const names[__PKIKS_KEY_TYPE_MAX] = {
	[PKIKS_KEY_EC_P256] = "t-ecdh256",
	[PKIKS_KEY_EC_P384] = "t-ecdh384",
};

static EVP_PKEY *new_ec(enum pkiks_key_type t)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", pkiks_key_type_group(t));
}

/* The scalar of @k, the curve's size. */
static size_t scalar_of(EVP_PKEY *k, enum pkiks_key_type t, unsigned char *d)
{
	size_t size = pkiks_key_type_ec_bytes(t);
	BIGNUM *bn = NULL;
	int ok;

	ok = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn) &&
	     BN_bn2binpad(bn, d, (int)size) == (int)size;
	BN_clear_free(bn);
	return ok ? size : 0;
}

static int import_as(const char *name, EVP_PKEY *k, enum pkiks_key_type t,
		     uint32_t usage)
{
	unsigned char d[PKIKS_EC_MAX_BYTES];
	size_t n = scalar_of(k, t, d);

	return n ? pkiks_key_import_ec(ks, name, usage, t, d, n, 0, NULL)
		 : -EIO;
}

/* The uncompressed point of @k. */
static size_t point_of(EVP_PKEY *k, unsigned char *pub)
{
	size_t len = 0;

	if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub,
					     1 + 2 * PKIKS_EC_MAX_BYTES, &len))
		return 0;
	return len;
}

/* OpenSSL's ECDH of (@mine, @peer). */
static size_t ref_derive(EVP_PKEY *mine, EVP_PKEY *peer, unsigned char *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(mine, NULL);
	size_t len = PKIKS_EC_MAX_BYTES;

	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &len) <= 0)
		len = 0;
	EVP_PKEY_CTX_free(ctx);
	return len;
}

static int derive(const char *name, const unsigned char *pub, size_t len,
		  unsigned char *out, size_t *out_len)
{
	*out_len = PKIKS_EC_MAX_BYTES;
	return pkiks_derive(ks, name, pub, len, out, out_len);
}

/* The host's secret for a fresh peer equals OpenSSL's; 0 when it does. */
static int derive_matches(const char *name, EVP_PKEY *mine,
			  enum pkiks_key_type t)
{
	unsigned char pub[1 + 2 * PKIKS_EC_MAX_BYTES];
	unsigned char got[PKIKS_EC_MAX_BYTES], want[PKIKS_EC_MAX_BYTES];
	EVP_PKEY *peer = new_ec(t);
	size_t got_len, want_len, len = peer ? point_of(peer, pub) : 0;
	int err = -EIO;

	if (len)
		err = derive(name, pub, len, got, &got_len);
	want_len = peer ? ref_derive(mine, peer, want) : 0;
	if (!err && (got_len != pkiks_key_type_ec_bytes(t) ||
		     got_len != want_len || memcmp(got, want, got_len)))
		err = -EBADMSG;
	EVP_PKEY_free(peer);
	return err;
}

static void test_feature(void)
{
	uint32_t version, features;

	CU_ASSERT_EQUAL_FATAL(pkiks_get_info(ks, &version, &features), 0);
	CU_ASSERT(version >= 5);
	CU_ASSERT(features & PKIKS_FEATURE_ECDH);
}

static void test_import(void)
{
	struct pkiks_key_info info;
	int t;

	for (t = PKIKS_KEY_EC_P256; t <= PKIKS_KEY_EC_P384; t++) {
		keys[t] = new_ec(t);
		CU_ASSERT_PTR_NOT_NULL_FATAL(keys[t]);
		CU_ASSERT_EQUAL_FATAL(
			import_as(names[t], keys[t], t,
				  PKIKS_USAGE_SIGN | PKIKS_USAGE_DERIVE),
			0);
		CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, names[t], &info), 0);
		CU_ASSERT_EQUAL(info.usage,
				PKIKS_USAGE_SIGN | PKIKS_USAGE_DERIVE);
		CU_ASSERT_EQUAL(info.type, t);
		free(info.pubkey);
	}
	/* DERIVE alone is a usage; DERIVE | DECRYPT is not (no ECIES) */
	CU_ASSERT_EQUAL(import_as("t-ecdh-only", keys[PKIKS_KEY_EC_P256],
				  PKIKS_KEY_EC_P256, PKIKS_USAGE_DERIVE),
			0);
	CU_ASSERT_EQUAL(import_as("t-ecdh-bad", keys[PKIKS_KEY_EC_P256],
				  PKIKS_KEY_EC_P256,
				  PKIKS_USAGE_DERIVE | PKIKS_USAGE_DECRYPT),
			-EINVAL);
	/* an RSA key never derives: refused at import (and at unwrap) */
	CU_ASSERT_EQUAL(import_key("t-ecdh-bad", K2048,
				   PKIKS_USAGE_SIGN | PKIKS_USAGE_DERIVE, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_key_get(ks, "t-ecdh-bad",
				      &(struct pkiks_key_info){0}),
			-ENOENT);
}

static void test_derive(void)
{
	int t, i;

	for (t = PKIKS_KEY_EC_P256; t <= PKIKS_KEY_EC_P384; t++)
		for (i = 0; i < PEERS; i++)
			CU_ASSERT_EQUAL(derive_matches(names[t], keys[t], t), 0);
	CU_ASSERT_EQUAL(derive_matches("t-ecdh-only", keys[PKIKS_KEY_EC_P256],
				       PKIKS_KEY_EC_P256),
			0);
}

static int ecdsa_ok(EVP_PKEY *pub, const unsigned char *dg, size_t dg_len,
		    const unsigned char *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	int ok = ctx && EVP_PKEY_verify_init(ctx) > 0 &&
		 EVP_PKEY_verify(ctx, sig, sig_len, dg, dg_len) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static void test_usage(void)
{
	unsigned char pub[1 + 2 * PKIKS_EC_MAX_BYTES], out[PKIKS_EC_MAX_BYTES];
	unsigned char dg[32] = {1}, sig[PKIKS_RSA_MAX_BYTES];
	size_t len = point_of(keys[PKIKS_KEY_EC_P256], pub), out_len;
	size_t sig_len = sizeof(sig);

	CU_ASSERT_FATAL(len == 65);
	/* the ECDSA suite's key is SIGN only; an RSA key; an unknown one */
	CU_ASSERT_EQUAL(derive("t-ec256", pub, len, out, &out_len),
			-EKEYREJECTED);
	CU_ASSERT_EQUAL(derive("t-rsa2048", pub, len, out, &out_len),
			-EKEYREJECTED);
	CU_ASSERT_EQUAL(derive("t-ecdh-nope", pub, len, out, &out_len),
			-ENOENT);
	/* a DERIVE-only key does not sign; SIGN | DERIVE does both */
	CU_ASSERT_EQUAL(pkiks_sign(ks, "t-ecdh-only", PKIKS_HASH_SHA256, dg,
				   sizeof(dg), sig, &sig_len),
			-EKEYREJECTED);
	sig_len = sizeof(sig);
	CU_ASSERT_EQUAL(pkiks_sign(ks, names[PKIKS_KEY_EC_P256],
				   PKIKS_HASH_SHA256, dg, sizeof(dg), sig,
				   &sig_len),
			0);
	CU_ASSERT(ecdsa_ok(keys[PKIKS_KEY_EC_P256], dg, sizeof(dg), sig,
			   sig_len));
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-ecdh-only"), 0);
}

/* The field prime of @t, big-endian, the curve's size. */
static void prime_of(enum pkiks_key_type t, unsigned char *out)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(
		OBJ_txt2nid(pkiks_key_type_group(t)));
	BIGNUM *p = BN_new();

	EC_GROUP_get_curve(g, p, NULL, NULL, NULL);
	BN_bn2binpad(p, out, (int)pkiks_key_type_ec_bytes(t));
	BN_free(p);
	EC_GROUP_free(g);
}

/* Peer points no host may take, on a key of curve @t. */
static void refused_on(enum pkiks_key_type t)
{
	enum pkiks_key_type other = t == PKIKS_KEY_EC_P256 ? PKIKS_KEY_EC_P384
							   : PKIKS_KEY_EC_P256;
	unsigned char pub[1 + 2 * PKIKS_EC_MAX_BYTES + 1], out[PKIKS_EC_MAX_BYTES];
	size_t size = pkiks_key_type_ec_bytes(t), len, out_len;
	const char *name = names[t];

	/* the other curve's point (another length) */
	len = point_of(keys[other], pub);
	CU_ASSERT_EQUAL(derive(name, pub, len, out, &out_len), -EINVAL);
	/* off the curve: y + 1 */
	len = point_of(keys[t], pub);
	CU_ASSERT_FATAL(len == 1 + 2 * size);
	pub[len - 1] ^= 1;
	CU_ASSERT_EQUAL(derive(name, pub, len, out, &out_len), -EINVAL);
	pub[len - 1] ^= 1;
	/* compressed: 1 + size bytes, and a 02/03 prefix at full length */
	pub[0] = 0x02 | (pub[len - 1] & 1);
	CU_ASSERT_EQUAL(derive(name, pub, 1 + size, out, &out_len), -EINVAL);
	CU_ASSERT_EQUAL(derive(name, pub, len, out, &out_len), -EINVAL);
	pub[0] = 0x04;
	/* truncated by one byte, one byte too many */
	CU_ASSERT_EQUAL(derive(name, pub, len - 1, out, &out_len), -EINVAL);
	if (t == PKIKS_KEY_EC_P256)
		CU_ASSERT_EQUAL(derive(name, pub, len + 1, out, &out_len),
				-EINVAL);
	/* x = p: out of the field */
	prime_of(t, pub + 1);
	CU_ASSERT_EQUAL(derive(name, pub, len, out, &out_len), -EINVAL);
	/* all ones, (0, 0) */
	memset(pub + 1, 0xff, 2 * size);
	CU_ASSERT_EQUAL(derive(name, pub, len, out, &out_len), -EINVAL);
	memset(pub + 1, 0, 2 * size);
	CU_ASSERT_EQUAL(derive(name, pub, len, out, &out_len), -EINVAL);
	/* the key still derives after all that */
	CU_ASSERT_EQUAL(derive_matches(name, keys[t], t), 0);
}

static void test_refused(void)
{
	static unsigned char big[4096];
	unsigned char out[PKIKS_EC_MAX_BYTES];
	size_t out_len;

	refused_on(PKIKS_KEY_EC_P256);
	refused_on(PKIKS_KEY_EC_P384);
	/* longer than any point: the policy's ERANGE; so is an empty one */
	big[0] = 0x04;
	CU_ASSERT_EQUAL(derive(names[PKIKS_KEY_EC_P384], big,
			       2 + 2 * PKIKS_EC_MAX_BYTES, out, &out_len),
			-ERANGE);
	CU_ASSERT_EQUAL(derive(names[PKIKS_KEY_EC_P384], big, sizeof(big), out,
			       &out_len),
			-ERANGE);
	CU_ASSERT_EQUAL(derive(names[PKIKS_KEY_EC_P256], big, 0, out, &out_len),
			-ERANGE);
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* DERIVE is in the wrapped blob's usage and comes back with the key. */
static void test_wrap(void)
{
	struct pkiks_key_info info;
	unsigned char *blob;
	size_t len;
	int t;

	for (t = PKIKS_KEY_EC_P256; t <= PKIKS_KEY_EC_P384; t++) {
		CU_ASSERT_EQUAL_FATAL(pkiks_key_wrap(ks, names[t], &blob, &len),
				      0);
		CU_ASSERT_FATAL(len > PKIKS_WRAP2_HDR_LEN);
		CU_ASSERT_EQUAL(le32(blob + 16),
				PKIKS_USAGE_SIGN | PKIKS_USAGE_DERIVE);
		CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, "t-ecdhw", 0,
						 &info),
				0);
		CU_ASSERT_EQUAL(info.usage,
				PKIKS_USAGE_SIGN | PKIKS_USAGE_DERIVE);
		free(info.pubkey);
		CU_ASSERT_EQUAL(derive_matches("t-ecdhw", keys[t], t), 0);
		CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-ecdhw"), 0);
		free(blob);
	}
}

static int ecdh_cleanup(void)
{
	int t;

	for (t = 0; t < __PKIKS_KEY_TYPE_MAX; t++) {
		EVP_PKEY_free(keys[t]);
		keys[t] = NULL;
	}
	return 0;
}

int suite_ecdh(void)
{
	CU_pSuite s = CU_add_suite("ecdh", NULL, ecdh_cleanup);

	if (!s || !CU_add_test(s, "v5, FEATURE_ECDH", test_feature) ||
	    !CU_add_test(s, "import with DERIVE; RSA refused", test_import) ||
	    !CU_add_test(s, "secret equals OpenSSL's", test_derive) ||
	    !CU_add_test(s, "usage separation", test_usage) ||
	    !CU_add_test(s, "malformed peer points", test_refused) ||
	    !CU_add_test(s, "wrap/unwrap keeps DERIVE", test_wrap))
		return -1;
	return 0;
}
