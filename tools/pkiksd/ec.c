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
