// SPDX-License-Identifier: MIT
/*
 * pkiksd's ECDSA keys (protocol v3): P-256 and P-384 from a private
 * scalar, signed with OpenSSL (whose ECDSA nonce comes from its DRBG mixed
 * with the private key and the digest, BN_generate_dsa_nonce), every
 * signature verified before it leaves (keys_sign).
 * The scalar is kept in BIGNUMs from the secure heap, like RSA's private
 * parts (keys.c).
 */
#include <errno.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "pkiksd.h"

/* The public point d*G, uncompressed, into @pub (room: 1 + 2 * 48). */
static int ec_public(const EC_GROUP *g, const BIGNUM *d, unsigned char *pub,
		     size_t *pub_len, BN_CTX *ctx)
{
	EC_POINT *q = EC_POINT_new(g);
	int err = -ENOMEM;

	if (!q)
		return err;
	if (EC_POINT_mul(g, q, d, NULL, NULL, ctx))
		*pub_len = EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED,
					      pub, 1 + 2 * PKIKS_EC_MAX_BYTES,
					      ctx);
	err = *pub_len ? 0 : -EINVAL;
	EC_POINT_free(q);
	return err;
}

static int ec_fromdata(const char *group, const BIGNUM *d,
		       const unsigned char *pub, size_t pub_len,
		       EVP_PKEY **pkey)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM *params = NULL;
	int err = -ENOMEM;

	if (!bld || !ctx ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      pub, pub_len) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	err = -EINVAL;
	if (EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, pkey, EVP_PKEY_KEYPAIR, params) > 0)
		err = 0;
out:
	OSSL_PARAM_free(params); /* the scalar sits in the secure heap */
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* 1 <= d < n, else -EINVAL. */
static int scalar_check(const EC_GROUP *g, const BIGNUM *d)
{
	return BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0
		       ? -EINVAL
		       : 0;
}

int keys_build_ec(enum pkiks_key_type type, const unsigned char *priv,
		  size_t priv_len, EVP_PKEY **pkey, uint32_t *bits)
{
	const char *group = pkiks_key_type_group(type);
	size_t size = pkiks_key_type_ec_bytes(type), pub_len = 0;
	unsigned char pub[1 + 2 * PKIKS_EC_MAX_BYTES];
	BN_CTX *ctx = BN_CTX_secure_new();
	EC_GROUP *g = NULL;
	BIGNUM *d = BN_secure_new();
	int err = -ENOMEM;

	*pkey = NULL;
	if (!ctx || !d)
		goto out;
	err = -EINVAL;
	if (!group || !priv_len || priv_len > size)
		goto out;
	g = EC_GROUP_new_by_curve_name(OBJ_txt2nid(group));
	if (!g || !BN_bin2bn(priv, (int)priv_len, d))
		goto out;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	err = scalar_check(g, d);
	err = err ?: ec_public(g, d, pub, &pub_len, ctx);
	err = err ?: ec_fromdata(group, d, pub, pub_len, pkey);
	if (!err)
		*bits = (uint32_t)(8 * size);
	if (!err && keys_selftest(*pkey))
		err = -EINVAL;
	if (err) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
	}
out:
	EC_GROUP_free(g);
	BN_clear_free(d);
	BN_CTX_free(ctx);
	return err;
}

/* The type of a built key: EC by its curve's size, else RSA. */
enum pkiks_key_type keys_type_of(EVP_PKEY *pkey)
{
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return PKIKS_KEY_RSA;
	return EVP_PKEY_get_bits(pkey) == 384 ? PKIKS_KEY_EC_P384
					      : PKIKS_KEY_EC_P256;
}

/* u16 LE length || the scalar, big-endian, exactly the curve's size. */
int keys_export_ec(EVP_PKEY *pkey, unsigned char **buf, size_t *len)
{
	size_t size = pkiks_key_type_ec_bytes(keys_type_of(pkey));
	BIGNUM *d = NULL;
	unsigned char *p;
	int err = -EIO;

	p = OPENSSL_secure_zalloc(2 + PKIKS_EC_MAX_BYTES);
	if (!p)
		return -ENOMEM;
	if (!size || !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) ||
	    BN_bn2binpad(d, p + 2, (int)size) != (int)size)
		goto fail;
	p[0] = size & 0xff;
	p[1] = size >> 8;
	*buf = p;
	*len = 2 + size;
	BN_clear_free(d);
	return 0;
fail:
	BN_clear_free(d);
	OPENSSL_secure_clear_free(p, 2 + PKIKS_EC_MAX_BYTES);
	return err;
}

/* The peer's point as a public key on @group (OpenSSL checks it lies on
 * the curve with coordinates < p). */
static int ec_peer(const char *group, const unsigned char *pub,
		   size_t pub_len, EVP_PKEY **peer)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[3];
	int err = -EINVAL;

	if (!ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      (void *)pub, pub_len);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, peer, EVP_PKEY_PUBLIC_KEY, params) > 0)
		err = 0;
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/*
 * ECDH (v5): x of d*P for the peer's uncompressed point, exactly the
 * curve's size.  Only 04 || X || Y of the key's curve is taken, as the
 * module does (OpenSSL would take a compressed point too): the same
 * request gets the same answer from both hosts.
 */
int keys_derive(EVP_PKEY *pkey, const unsigned char *pub, size_t pub_len,
		unsigned char *out, size_t *out_len)
{
	enum pkiks_key_type type = keys_type_of(pkey);
	size_t size = pkiks_key_type_ec_bytes(type);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *peer = NULL;
	int err;

	if (!size || pub_len != 1 + 2 * size || pub[0] != 0x04)
		return -EINVAL;
	err = ec_peer(pkiks_key_type_group(type), pub, pub_len, &peer);
	if (err)
		return err;
	err = -ENOMEM;
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (!ctx)
		goto out;
	err = -EINVAL; /* set_peer checks the point once more */
	if (EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) <= 0)
		goto out;
	err = -EIO;
	*out_len = size;
	if (EVP_PKEY_derive(ctx, out, out_len) > 0 && *out_len == size)
		err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return err;
}
