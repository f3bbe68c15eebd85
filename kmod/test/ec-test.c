// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the module's ECDSA (kmod/ec.c on bignum.c, compiled in
 * userspace against the shims in kmod/test/include), cross-checked with
 * OpenSSL:
 *   - k*G for edge scalars (1, 2, 15, 16, 17, 2^i, (n-1)/2, n-2, n-1, all
 *     ones below n) and random ones equals EC_POINT_mul's, on both curves;
 *   - a loaded key's public point and SubjectPublicKeyInfo equal OpenSSL's
 *     (edge private scalars 1, 2, n-1 included); 0, n, n+1, 2^bits-1 and
 *     an over-long scalar are refused;
 *   - the nonce equals an independent RFC 6979 (HMAC-SHA-256) written
 *     here with OpenSSL's HMAC, and RFC 6979 A.2.5's known answer (P-256,
 *     SHA-256, "sample"); with that nonce, OpenSSL's ECDSA_do_sign_ex
 *     gives the module's signature byte for byte, for digests of 20, 32,
 *     48 and 64 bytes, and EVP_PKEY_verify accepts it;
 *   - a key whose public point was corrupted signs nothing (-EIO): the
 *     verification before a signature leaves works;
 *   - ECDH (v5): the module's secret for (d, peer point) equals
 *     EVP_PKEY_derive's, edge scalars 1 and n-1 and edge peers G and -G
 *     included; a point off the curve, with a coordinate >= p, compressed,
 *     of the other curve's size, truncated or empty is refused (-EINVAL);
 *     a faulty result (the table corrupted mid-way is not reachable, so
 *     the test corrupts the key's scalar into 0) leaves nothing;
 *   - "bench": signatures/s of the module's code and of OpenSSL's, and
 *     ECDH derivations/s of both.
 * Usage: ec-test [rounds | bench]
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* ECDSA_do_sign_ex: a chosen nonce */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "uapi/pkiks.h"
#include "../ec.h"
#include "harness.h"

struct curve {
	unsigned int type;
	int nid;
	const char *group;
	size_t bytes;
	EC_GROUP *g;
};

static struct curve curves[] = {
	{PKIKS_KEY_EC_P256, NID_X9_62_prime256v1, "prime256v1", 32, NULL},
	{PKIKS_KEY_EC_P384, NID_secp384r1, "secp384r1", 48, NULL},
};

static void bn_to_limbs(const BIGNUM *bn, u64 *k, size_t bytes)
{
	unsigned char be[48];
	size_t i;

	BN_bn2binpad(bn, be, (int)bytes);
	memset(k, 0, PKIKS_EC_LIMBS * sizeof(u64));
	for (i = 0; i < bytes; i++)
		k[i / 8] |= (u64)be[bytes - 1 - i] << (8 * (i % 8));
}

/* k*G by the module and by OpenSSL, affine X || Y. */
static void check_mul(const struct curve *c, const BIGNUM *k, const char *what)
{
	unsigned char mine[96], ref[97];
	EC_POINT *p = EC_POINT_new(c->g);
	u64 limbs[PKIKS_EC_LIMBS];
	int err;

	bn_to_limbs(k, limbs, c->bytes);
	err = pkiks_ec_mul_base(c->type, limbs, mine);
	CHECK(!err, "%s: mul_base %s: %d", c->group, what, err);
	EC_POINT_mul(c->g, p, k, NULL, NULL, NULL);
	EC_POINT_point2oct(c->g, p, POINT_CONVERSION_UNCOMPRESSED, ref,
			   sizeof(ref), NULL);
	CHECK(!err && !memcmp(mine, ref + 1, 2 * c->bytes),
	      "%s: k*G differs for k = %s", c->group, what);
	EC_POINT_free(p);
}

static void test_mul(const struct curve *c, int rounds)
{
	const BIGNUM *n = EC_GROUP_get0_order(c->g);
	BIGNUM *k = BN_new();
	static const unsigned int small[] = {1, 2, 3, 15, 16, 17, 255, 256};
	unsigned int i;

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		BN_set_word(k, small[i]);
		check_mul(c, k, "small");
	}
	for (i = 1; i < 8 * c->bytes - 1; i += 7) {
		BN_zero(k);
		BN_set_bit(k, (int)i);
		check_mul(c, k, "2^i");
	}
	BN_sub(k, n, BN_value_one());
	check_mul(c, k, "n-1");
	BN_sub_word(k, 1);
	check_mul(c, k, "n-2");
	BN_rshift1(k, n);
	check_mul(c, k, "(n-1)/2");
	/* 2^(bits-1) - 1: every bit but the top */
	BN_zero(k);
	BN_set_bit(k, (int)(8 * c->bytes - 1));
	BN_sub_word(k, 1);
	check_mul(c, k, "2^(bits-1)-1");
	for (i = 0; i < (unsigned int)rounds * 20; i++) {
		BN_rand_range(k, n);
		if (!BN_is_zero(k))
			check_mul(c, k, "random");
	}
	BN_free(k);
}

/* An OpenSSL key with scalar @d, and the module's. */
static EVP_PKEY *key_pair(const struct curve *c, const BIGNUM *d,
			  struct pkiks_ec *mine)
{
	EC_KEY *ek = EC_KEY_new_by_curve_name(c->nid);
	EC_POINT *q = EC_POINT_new(c->g);
	unsigned char be[48];
	EVP_PKEY *pk = EVP_PKEY_new();
	int err;

	EC_POINT_mul(c->g, q, d, NULL, NULL, NULL);
	EC_KEY_set_private_key(ek, d);
	EC_KEY_set_public_key(ek, q);
	EVP_PKEY_assign_EC_KEY(pk, ek);
	EC_POINT_free(q);
	BN_bn2binpad(d, be, (int)c->bytes);
	err = pkiks_ec_load(mine, c->type, be, c->bytes);
	CHECK(!err, "%s: load: %d", c->group, err);
	return pk;
}

static void check_key(const struct curve *c, const BIGNUM *d)
{
	unsigned char spki[200], *ref = NULL;
	struct pkiks_ec mine;
	EVP_PKEY *pk = key_pair(c, d, &mine);
	int n = i2d_PUBKEY(pk, &ref), m;

	m = pkiks_ec_spki(&mine, spki, sizeof(spki));
	CHECK(n > 0 && m == n && !memcmp(spki, ref, (size_t)n),
	      "%s: SPKI differs", c->group);
	OPENSSL_free(ref);
	EVP_PKEY_free(pk);
	pkiks_ec_wipe(&mine);
}

static void test_load(const struct curve *c, int rounds)
{
	const BIGNUM *n = EC_GROUP_get0_order(c->g);
	unsigned char be[49];
	struct pkiks_ec k;
	BIGNUM *d = BN_new();
	int i;

	BN_one(d);
	check_key(c, d);
	BN_set_word(d, 2);
	check_key(c, d);
	BN_sub(d, n, BN_value_one());
	check_key(c, d);
	for (i = 0; i < rounds; i++) {
		BN_rand_range(d, n);
		if (!BN_is_zero(d))
			check_key(c, d);
	}
	/* refused: 0, n, n+1, all ones, one byte too long */
	memset(be, 0, sizeof(be));
	CHECK(pkiks_ec_load(&k, c->type, be, c->bytes) == -EINVAL, "0");
	BN_bn2binpad(n, be, (int)c->bytes);
	CHECK(pkiks_ec_load(&k, c->type, be, c->bytes) == -EINVAL, "n");
	BN_add(d, n, BN_value_one());
	BN_bn2binpad(d, be, (int)c->bytes);
	CHECK(pkiks_ec_load(&k, c->type, be, c->bytes) == -EINVAL, "n+1");
	memset(be, 0xff, sizeof(be));
	CHECK(pkiks_ec_load(&k, c->type, be, c->bytes) == -EINVAL, "ones");
	be[0] = 1;
	CHECK(pkiks_ec_load(&k, c->type, be, c->bytes + 1) == -EINVAL,
	      "too long");
	CHECK(pkiks_ec_load(&k, 0, be, c->bytes) == -EINVAL, "RSA type");
	BN_free(d);
}

/* ---- an independent RFC 6979 (HMAC-SHA-256), with OpenSSL's HMAC ---- */

static void hm(unsigned char *K, const unsigned char *V, int sep,
	       const unsigned char *x, size_t xl, unsigned char *out)
{
	unsigned char buf[32 + 1 + 96];
	size_t n = 32;
	unsigned int ol;

	memcpy(buf, V, 32);
	if (sep >= 0) {
		buf[n++] = (unsigned char)sep;
		memcpy(buf + n, x, xl);
		n += xl;
	}
	HMAC(EVP_sha256(), K, 32, buf, n, out, &ol);
}

static void rfc6979(const struct curve *c, const BIGNUM *d,
		    const unsigned char *dg, size_t dl, BIGNUM *k)
{
	const BIGNUM *n = EC_GROUP_get0_order(c->g);
	unsigned char V[32], K[32], x[96], t[64];
	BIGNUM *h = BN_bin2bn(dg, (int)(dl < c->bytes ? dl : c->bytes), NULL);
	BN_CTX *ctx = BN_CTX_new();

	BN_nnmod(h, h, n, ctx);
	BN_CTX_free(ctx);
	BN_bn2binpad(d, x, (int)c->bytes);
	BN_bn2binpad(h, x + c->bytes, (int)c->bytes);
	memset(V, 1, 32);
	memset(K, 0, 32);
	hm(K, V, 0, x, 2 * c->bytes, K);
	hm(K, V, -1, NULL, 0, V);
	hm(K, V, 1, x, 2 * c->bytes, K);
	hm(K, V, -1, NULL, 0, V);
	for (;;) {
		hm(K, V, -1, NULL, 0, V);
		memcpy(t, V, 32);
		if (c->bytes > 32) {
			hm(K, V, -1, NULL, 0, V);
			memcpy(t + 32, V, 32);
		}
		BN_bin2bn(t, (int)c->bytes, k);
		if (!BN_is_zero(k) && BN_cmp(k, n) < 0)
			break;
		hm(K, V, 0, NULL, 0, K);
		hm(K, V, -1, NULL, 0, V);
	}
	BN_free(h);
}

/* The module's signature equals OpenSSL's with the same nonce. */
static void check_sign(const struct curve *c, const BIGNUM *d,
		       const unsigned char *dg, size_t dl)
{
	const BIGNUM *n = EC_GROUP_get0_order(c->g);
	unsigned char sig[PKIKS_EC_SIG_MAX], *ref = NULL;
	u64 mk[PKIKS_EC_LIMBS], rk[PKIKS_EC_LIMBS];
	BIGNUM *k = BN_new(), *kinv = BN_new(), *rp = BN_new();
	EC_POINT *R = EC_POINT_new(c->g);
	struct pkiks_ec mine;
	EVP_PKEY *pk = key_pair(c, d, &mine);
	EVP_PKEY_CTX *vctx = EVP_PKEY_CTX_new(pk, NULL);
	BN_CTX *bctx = BN_CTX_new();
	ECDSA_SIG *os;
	int len, rlen;

	rfc6979(c, d, dg, dl, k);
	bn_to_limbs(k, rk, c->bytes);
	CHECK(!pkiks_ec_nonce(&mine, dg, dl, mk) && !memcmp(mk, rk, sizeof(mk)),
	      "%s: RFC 6979 nonce differs (digest %zu bytes)", c->group, dl);
	len = pkiks_ec_sign(&mine, dg, dl, sig);
	CHECK(len > 0, "%s: sign: %d", c->group, len);
	/* OpenSSL with the same k: kinv = k^-1 mod n, rp = x(kG) mod n */
	EC_POINT_mul(c->g, R, k, NULL, NULL, NULL);
	EC_POINT_get_affine_coordinates(c->g, R, rp, NULL, bctx);
	BN_nnmod(rp, rp, n, bctx);
	BN_mod_inverse(kinv, k, n, bctx);
	os = ECDSA_do_sign_ex(dg, (int)dl, kinv, rp,
			      (EC_KEY *)EVP_PKEY_get0_EC_KEY(pk));
	rlen = os ? i2d_ECDSA_SIG(os, &ref) : -1;
	CHECK(len > 0 && rlen == len && !memcmp(sig, ref, (size_t)len),
	      "%s: signature differs from OpenSSL's (digest %zu bytes)",
	      c->group, dl);
	CHECK(len > 0 && EVP_PKEY_verify_init(vctx) > 0 &&
		      EVP_PKEY_verify(vctx, sig, (size_t)len, dg, dl) == 1,
	      "%s: OpenSSL does not verify the module's signature", c->group);
	OPENSSL_free(ref);
	ECDSA_SIG_free(os);
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(pk);
	pkiks_ec_wipe(&mine);
	EC_POINT_free(R);
	BN_CTX_free(bctx);
	BN_free(k);
	BN_free(kinv);
	BN_free(rp);
}

/*
 * The verification gate: a key whose public point does not match its
 * scalar (a fault in memory) signs nothing (-EIO), and the same key
 * repaired signs again.
 */
static void test_fault(const struct curve *c)
{
	unsigned char be[48], dg[32] = {1}, sig[PKIKS_EC_SIG_MAX];
	struct pkiks_ec k;

	memset(be, 0, sizeof(be));
	be[c->bytes - 1] = 5;
	CHECK(!pkiks_ec_load(&k, c->type, be, c->bytes), "load 5");
	k.q.x[1] ^= 1;
	CHECK(pkiks_ec_sign(&k, dg, sizeof(dg), sig) == -EIO,
	      "%s: a faulty key signed", c->group);
	k.q.x[1] ^= 1;
	CHECK(pkiks_ec_sign(&k, dg, sizeof(dg), sig) > 0,
	      "%s: the repaired key does not sign", c->group);
	pkiks_ec_wipe(&k);
}

static void test_sign(const struct curve *c, int rounds)
{
	static const size_t lens[] = {20, 32, 48, 64};
	const BIGNUM *n = EC_GROUP_get0_order(c->g);
	unsigned char dg[64];
	BIGNUM *d = BN_new();
	int i, j;

	for (i = 0; i < rounds * 4; i++) {
		if (i == 0)
			BN_one(d);
		else if (i == 1)
			BN_sub(d, n, BN_value_one());
		else
			BN_rand_range(d, n);
		if (BN_is_zero(d))
			continue;
		for (j = 0; j < 4; j++) {
			RAND_bytes(dg, sizeof(dg));
			if (i == 2 && j == 0)
				memset(dg, 0xff, sizeof(dg)); /* e >= n */
			if (i == 3 && j == 0)
				memset(dg, 0, sizeof(dg)); /* e == 0 */
			check_sign(c, d, dg, lens[j]);
		}
	}
	BN_free(d);
}

/* RFC 6979 A.2.5: P-256, SHA-256, message "sample". */
static void test_rfc_vector(void)
{
	static const char *const x_hex =
		"C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
	static const char *const k_hex =
		"A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60";
	static const char *const r_hex =
		"EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716";
	static const char *const s_hex =
		"F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";
	const struct curve *c = &curves[0];
	unsigned char dg[32], sig[PKIKS_EC_SIG_MAX], be[32];
	BIGNUM *x = NULL, *k = NULL, *r = NULL, *s = NULL;
	u64 mk[PKIKS_EC_LIMBS], rk[PKIKS_EC_LIMBS];
	const unsigned char *p = sig;
	const BIGNUM *sr, *ss;
	struct pkiks_ec key;
	ECDSA_SIG *es;
	int len;

	BN_hex2bn(&x, x_hex);
	BN_hex2bn(&k, k_hex);
	BN_hex2bn(&r, r_hex);
	BN_hex2bn(&s, s_hex);
	SHA256((const unsigned char *)"sample", 6, dg);
	BN_bn2binpad(x, be, 32);
	CHECK(!pkiks_ec_load(&key, c->type, be, 32), "RFC 6979 key");
	bn_to_limbs(k, rk, 32);
	CHECK(!pkiks_ec_nonce(&key, dg, 32, mk) && !memcmp(mk, rk, sizeof(mk)),
	      "RFC 6979 A.2.5: k differs");
	len = pkiks_ec_sign(&key, dg, 32, sig);
	es = len > 0 ? d2i_ECDSA_SIG(NULL, &p, len) : NULL;
	CHECK(es, "RFC 6979 A.2.5: no signature");
	if (es) {
		ECDSA_SIG_get0(es, &sr, &ss);
		CHECK(!BN_cmp(sr, r) && !BN_cmp(ss, s),
		      "RFC 6979 A.2.5: (r, s) differ");
	}
	ECDSA_SIG_free(es);
	pkiks_ec_wipe(&key);
	BN_free(x);
	BN_free(k);
	BN_free(r);
	BN_free(s);
}

/* The peer's uncompressed point of scalar @e. */
static size_t peer_of(const struct curve *c, const BIGNUM *e, int negate,
		      unsigned char *pub)
{
	EC_POINT *p = EC_POINT_new(c->g);
	size_t len;

	EC_POINT_mul(c->g, p, e, NULL, NULL, NULL);
	if (negate)
		EC_POINT_invert(c->g, p, NULL);
	len = EC_POINT_point2oct(c->g, p, POINT_CONVERSION_UNCOMPRESSED, pub,
				 97, NULL);
	EC_POINT_free(p);
	return len;
}

/* OpenSSL's ECDH of (pk, the peer point pub). */
static size_t ref_derive(const struct curve *c, EVP_PKEY *pk,
			 const unsigned char *pub, size_t pub_len,
			 unsigned char *out)
{
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[3];
	size_t len = 48;

	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, (char *)c->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
		OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, pub_len);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &peer, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		len = 0;
	EVP_PKEY_CTX_free(ctx);
	ctx = peer ? EVP_PKEY_CTX_new(pk, NULL) : NULL;
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &len) <= 0)
		len = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return len;
}

static void check_derive(const struct curve *c, const BIGNUM *d,
			 const BIGNUM *e, int negate, const char *what)
{
	unsigned char pub[97], mine[48], ref[48];
	struct pkiks_ec k;
	EVP_PKEY *pk = key_pair(c, d, &k);
	size_t pub_len = peer_of(c, e, negate, pub), ref_len;
	int len;

	len = pkiks_ec_derive(&k, pub, pub_len, mine);
	ref_len = ref_derive(c, pk, pub, pub_len, ref);
	CHECK(len == (int)c->bytes && ref_len == c->bytes &&
		      !memcmp(mine, ref, c->bytes),
	      "%s: ECDH differs from OpenSSL's (%s): %d", c->group, what, len);
	EVP_PKEY_free(pk);
	pkiks_ec_wipe(&k);
}

/* Points no peer may send: each refused with -EINVAL. */
static void test_derive_refused(const struct curve *c)
{
	const struct curve *other = c == &curves[0] ? &curves[1] : &curves[0];
	unsigned char pub[100], secret[48], be[48];
	struct pkiks_ec k;
	BIGNUM *e = BN_new(), *p = BN_new();
	size_t len;

	memset(be, 0, sizeof(be));
	be[c->bytes - 1] = 7;
	CHECK(!pkiks_ec_load(&k, c->type, be, c->bytes), "load 7");
	BN_set_word(e, 3);
	len = peer_of(c, e, 0, pub);
	CHECK(pkiks_ec_derive(&k, pub, len, secret) == (int)c->bytes,
	      "%s: 3G refused", c->group);
	pub[len - 1] ^= 1; /* y + 1: off the curve */
	CHECK(pkiks_ec_derive(&k, pub, len, secret) == -EINVAL,
	      "%s: a point off the curve was taken", c->group);
	pub[len - 1] ^= 1;
	pub[0] = 0x02 | (pub[len - 1] & 1); /* compressed, full length */
	CHECK(pkiks_ec_derive(&k, pub, len, secret) == -EINVAL,
	      "%s: a 02/03 prefix was taken", c->group);
	CHECK(pkiks_ec_derive(&k, pub, 1 + c->bytes, secret) == -EINVAL,
	      "%s: a compressed point was taken", c->group);
	pub[0] = 0x04;
	CHECK(pkiks_ec_derive(&k, pub, len - 1, secret) == -EINVAL &&
		      pkiks_ec_derive(&k, pub, 0, secret) == -EINVAL &&
		      pkiks_ec_derive(&k, pub, 1, secret) == -EINVAL,
	      "%s: a truncated point was taken", c->group);
	/* x = p (and x = p + x(3G) would be the same point mod p) */
	EC_GROUP_get_curve(c->g, p, NULL, NULL, NULL);
	BN_bn2binpad(p, pub + 1, (int)c->bytes);
	CHECK(pkiks_ec_derive(&k, pub, len, secret) == -EINVAL,
	      "%s: x = p was taken", c->group);
	memset(pub + 1, 0xff, 2 * c->bytes);
	CHECK(pkiks_ec_derive(&k, pub, len, secret) == -EINVAL,
	      "%s: x, y = 2^bits - 1 was taken", c->group);
	memset(pub + 1, 0, 2 * c->bytes); /* (0, 0): not on either curve */
	CHECK(pkiks_ec_derive(&k, pub, len, secret) == -EINVAL,
	      "%s: (0, 0) was taken", c->group);
	len = peer_of(other, e, 0, pub);
	CHECK(pkiks_ec_derive(&k, pub, len, secret) == -EINVAL,
	      "%s: the other curve's point was taken", c->group);
	/* a scalar corrupted to 0 makes the point at infinity: -EIO */
	memset(k.d, 0, sizeof(k.d));
	len = peer_of(c, e, 0, pub);
	CHECK(pkiks_ec_derive(&k, pub, len, secret) == -EIO,
	      "%s: a faulty scalar derived", c->group);
	pkiks_ec_wipe(&k);
	BN_free(e);
	BN_free(p);
}

static void test_derive(const struct curve *c, int rounds)
{
	const BIGNUM *n = EC_GROUP_get0_order(c->g);
	BIGNUM *d = BN_new(), *e = BN_new(), *nm1 = BN_new();
	int i;

	BN_sub(nm1, n, BN_value_one());
	BN_set_word(e, 5);
	check_derive(c, BN_value_one(), e, 0, "d = 1");
	check_derive(c, nm1, e, 0, "d = n-1");
	BN_set_word(d, 11);
	check_derive(c, d, BN_value_one(), 0, "peer G");
	check_derive(c, d, BN_value_one(), 1, "peer -G");
	check_derive(c, d, nm1, 0, "peer (n-1)G");
	for (i = 0; i < rounds * 4; i++) {
		BN_rand_range(d, n);
		BN_rand_range(e, n);
		if (!BN_is_zero(d) && !BN_is_zero(e))
			check_derive(c, d, e, 0, "random");
	}
	test_derive_refused(c);
	BN_free(d);
	BN_free(e);
	BN_free(nm1);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ECDH derivations per second over >= 1 s each: the module's, OpenSSL's. */
static void bench_derive(const struct curve *c, EVP_PKEY *pk,
			 const struct pkiks_ec *mine)
{
	unsigned char pub[97], out[48];
	BIGNUM *e = BN_new();
	size_t len;
	double t0, t;
	long n;

	BN_set_word(e, 12345);
	len = peer_of(c, e, 0, pub);
	t0 = seconds();
	for (n = 0; (t = seconds() - t0) < 1.0; n++)
		CHECK(pkiks_ec_derive(mine, pub, len, out) > 0, "bench derive");
	printf("%-10s module code ECDH (checked):        %8.0f derives/s\n",
	       c->group, n / t);
	t0 = seconds();
	for (n = 0; (t = seconds() - t0) < 1.0; n++)
		CHECK(ref_derive(c, pk, pub, len, out) == c->bytes, "ref derive");
	printf("%-10s OpenSSL ECDH (with peer import):  %8.0f derives/s\n",
	       c->group, n / t);
	BN_free(e);
}

/* Signatures per second over >= 1 s each: the module's code, OpenSSL. */
static void bench(const struct curve *c)
{
	unsigned char dg[48], sig[PKIKS_EC_SIG_MAX], osig[200];
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->group);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	struct pkiks_ec mine;
	BIGNUM *d = NULL;
	unsigned char be[48];
	double t0, t;
	size_t olen;
	long n;

	EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d);
	BN_bn2binpad(d, be, (int)c->bytes);
	pkiks_ec_load(&mine, c->type, be, c->bytes);
	RAND_bytes(dg, sizeof(dg));
	t0 = seconds();
	for (n = 0; (t = seconds() - t0) < 1.0; n++) {
		dg[0] = (unsigned char)n;
		CHECK(pkiks_ec_sign(&mine, dg, c->bytes, sig) > 0, "bench sign");
	}
	printf("%-10s module code (RFC 6979, verified): %8.0f signs/s\n",
	       c->group, n / t);
	EVP_PKEY_sign_init(ctx);
	t0 = seconds();
	for (n = 0; (t = seconds() - t0) < 1.0; n++) {
		olen = sizeof(osig);
		EVP_PKEY_sign(ctx, osig, &olen, dg, c->bytes);
	}
	printf("%-10s OpenSSL %s:              %8.0f signs/s\n", c->group,
	       OpenSSL_version(OPENSSL_VERSION_STRING), n / t);
	bench_derive(c, pk, &mine);
	BN_clear_free(d);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	pkiks_ec_wipe(&mine);
}

int main(int argc, char **argv)
{
	int rounds = harness_rounds(argc, argv), do_bench;
	size_t i;

	do_bench = argc > 1 && !strcmp(argv[1], "bench");
	pkiks_ec_init();
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) /* ECDH: */
		curves[i].g = EC_GROUP_new_by_curve_name(curves[i].nid); /* both */
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (do_bench) {
			bench(&curves[i]);
			continue;
		}
		test_mul(&curves[i], rounds);
		test_load(&curves[i], rounds);
		test_sign(&curves[i], rounds);
		test_fault(&curves[i]);
		test_derive(&curves[i], rounds);
	}
	if (!do_bench)
		test_rfc_vector();
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		EC_GROUP_free(curves[i].g);
	return harness_report("ec-test");
}
