// SPDX-License-Identifier: MIT
/*
 * The key itself: generate it with OpenSSL, take its CRT components out into
 * secure-heap buffers, hand them to the keystore, wipe them.
 */
#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "keygen.h"

int keygen_generate(const struct keygen_opts *o, EVP_PKEY **out)
{
	const char *group = pkiks_key_type_group(o->type);

	if (group)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	else
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)o->bits);
	return *out ? 0 : -EIO;
}

/* An EC key: its scalar, fixed-size, through secure memory. */
static int keygen_import_ec(struct pkiks *ks, const struct keygen_opts *o,
			    EVP_PKEY *pkey, struct pkiks_key_info *info)
{
	size_t size = pkiks_key_type_ec_bytes(o->type);
	unsigned char *d = OPENSSL_secure_malloc(PKIKS_EC_MAX_BYTES);
	BIGNUM *bn = NULL;
	int err = -EIO;

	if (!d)
		return -ENOMEM;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) &&
	    BN_bn2binpad(bn, d, (int)size) == (int)size)
		err = pkiks_key_import_ec(ks, o->name, o->usage, o->type, d,
					  size, o->replace ? PKIKS_F_REPLACE : 0,
					  info);
	BN_clear_free(bn);
	OPENSSL_secure_clear_free(d, PKIKS_EC_MAX_BYTES);
	return err;
}

/* The eight components in the order of struct pkiks_rsa_parts. */
static const char *const keygen_params[8] = {
	OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
	OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
	OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

struct keygen_parts {
	unsigned char *buf[8]; /* secure heap */
	size_t len[8];
};

static void keygen_parts_wipe(struct keygen_parts *kp)
{
	int i;

	for (i = 0; i < 8; i++)
		OPENSSL_secure_clear_free(kp->buf[i], kp->len[i]);
	memset(kp, 0, sizeof(*kp));
}

/* Big-endian bytes of each component; BIGNUMs cleared as we go. */
static int keygen_parts_get(EVP_PKEY *pkey, struct keygen_parts *kp)
{
	BIGNUM *bn = NULL;
	int i, n;

	memset(kp, 0, sizeof(*kp));
	for (i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(pkey, keygen_params[i], &bn))
			goto err;
		n = BN_num_bytes(bn);
		kp->buf[i] = OPENSSL_secure_malloc(n ? (size_t)n : 1);
		if (!kp->buf[i])
			goto err;
		kp->len[i] = (size_t)BN_bn2bin(bn, kp->buf[i]);
		BN_clear_free(bn);
		bn = NULL;
	}
	return 0;
err:
	BN_clear_free(bn);
	keygen_parts_wipe(kp);
	return -EIO;
}

int keygen_import(struct pkiks *ks, const struct keygen_opts *o, EVP_PKEY *pkey,
		  struct pkiks_key_info *info)
{
	struct keygen_parts kp;
	struct pkiks_rsa_parts parts;
	int err;

	if (o->type != PKIKS_KEY_RSA)
		return keygen_import_ec(ks, o, pkey, info);
	err = keygen_parts_get(pkey, &kp);
	if (err)
		return err;
	parts = (struct pkiks_rsa_parts){
		.n = kp.buf[0],
		.n_len = kp.len[0],
		.e = kp.buf[1],
		.e_len = kp.len[1],
		.d = kp.buf[2],
		.d_len = kp.len[2],
		.p = kp.buf[3],
		.p_len = kp.len[3],
		.q = kp.buf[4],
		.q_len = kp.len[4],
		.dp = kp.buf[5],
		.dp_len = kp.len[5],
		.dq = kp.buf[6],
		.dq_len = kp.len[6],
		.qinv = kp.buf[7],
		.qinv_len = kp.len[7],
	};
	err = pkiks_key_import(ks, o->name, o->usage, &parts,
			       o->replace ? PKIKS_F_REPLACE : 0, info);
	keygen_parts_wipe(&kp);
	return err;
}
