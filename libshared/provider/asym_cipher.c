// SPDX-License-Identifier: MIT
/*
 * RSAES-PKCS1-v1_5 decryption with keystore keys: what CMS_decrypt needs for
 * key transport (KeyTransRecipientInfo).  The keystore checks the padding in
 * constant time; we only move bytes.  Encryption uses the public key and
 * belongs to the application's RSA provider.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "provider_internal.h"

static OSSL_FUNC_asym_cipher_newctx_fn dec_newctx;
static OSSL_FUNC_asym_cipher_freectx_fn dec_freectx;
static OSSL_FUNC_asym_cipher_dupctx_fn dec_dupctx;
static OSSL_FUNC_asym_cipher_decrypt_init_fn dec_init;
static OSSL_FUNC_asym_cipher_decrypt_fn dec_decrypt;
static OSSL_FUNC_asym_cipher_get_ctx_params_fn dec_get_ctx_params;
static OSSL_FUNC_asym_cipher_gettable_ctx_params_fn dec_gettable_ctx_params;
static OSSL_FUNC_asym_cipher_set_ctx_params_fn dec_set_ctx_params;
static OSSL_FUNC_asym_cipher_settable_ctx_params_fn dec_settable_ctx_params;

struct dec_ctx {
	struct pkiks_prov *prov;
	struct pkiks_prov_key *key; /* the EVP_PKEY holds it for us */
};

static void *dec_newctx(void *provctx)
{
	struct dec_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

	if (ctx)
		ctx->prov = provctx;
	return ctx;
}

static void dec_freectx(void *vctx)
{
	OPENSSL_free(vctx);
}

static void *dec_dupctx(void *vctx)
{
	return OPENSSL_memdup(vctx, sizeof(struct dec_ctx));
}

static int dec_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	struct dec_ctx *ctx = vctx;
	struct pkiks_prov_key *key = provkey;

	if (!key || !key->n)
		return 0;
	if (!key->name[0]) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_NO_PRIVATE_KEY,
			    "cannot decrypt with a public key");
		return 0;
	}
	ctx->key = key;
	return dec_set_ctx_params(ctx, params);
}

/* One decryption, as pkiks_prov_request() runs it (maybe twice). */
struct dec_request {
	const char *name;
	const unsigned char *in;
	size_t inlen;
	unsigned char *out;
	size_t outsize, len;
};

static int dec_request(struct pkiks *ks, void *arg)
{
	struct dec_request *d = arg;

	d->len = d->outsize;
	return pkiks_decrypt(ks, d->name, d->in, d->inlen, d->out, &d->len);
}

static int dec_keystore(struct dec_ctx *ctx, const unsigned char *in,
			size_t inlen, unsigned char *out, size_t *outlen)
{
	struct dec_request d = {
		.name = ctx->key->name,
		.in = in,
		.inlen = inlen,
		.out = out,
		.outsize = *outlen,
	};

	if (!pkiks_prov_request(ctx->prov, dec_request, &d, "decrypting with",
				ctx->key->name))
		return 0;
	*outlen = d.len;
	return 1;
}

static int dec_decrypt(void *vctx, unsigned char *out, size_t *outlen,
		       size_t outsize, const unsigned char *in, size_t inlen)
{
	struct dec_ctx *ctx = vctx;
	size_t size = (size_t)pkiks_prov_key_size(ctx->key);
	unsigned char plain[PKIKS_RSA_MAX_BYTES];
	size_t len = sizeof(plain);
	int ok = 0;

	if (!out) {
		*outlen = size; /* the plaintext is at most this long */
		return 1;
	}
	if (inlen != size) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
			    "ciphertext of %zu bytes for a %zu-byte key", inlen,
			    size);
		return 0;
	}
	/* The caller's buffer may be smaller than the modulus: go via ours. */
	if (!dec_keystore(ctx, in, inlen, plain, &len))
		goto out;
	if (len > outsize) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
			    "plaintext of %zu bytes, room for %zu", len,
			    outsize);
		goto out;
	}
	memcpy(out, plain, len);
	*outlen = len;
	ok = 1;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	return ok;
}

static int dec_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
	OSSL_PARAM *p =
		OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);

	return p ? pkiks_prov_get_pad_mode(p) : 1;
}

static const OSSL_PARAM dec_gettable[] = {
	OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *dec_gettable_ctx_params(void *vctx, void *provctx)
{
	return dec_gettable;
}

/* PKCS#1 v1.5 is all the keystore does; OAEP must fail loudly. */
static int dec_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct dec_ctx *ctx = vctx;
	const OSSL_PARAM *p;

	p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
	return p ? pkiks_prov_check_pad_mode(ctx->prov, p, "decrypt") : 1;
}

static const OSSL_PARAM dec_settable[] = {
	OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *dec_settable_ctx_params(void *vctx, void *provctx)
{
	return dec_settable;
}

const OSSL_DISPATCH pkiks_asym_cipher_functions[] = {
	{OSSL_FUNC_ASYM_CIPHER_NEWCTX, (void (*)(void))dec_newctx},
	{OSSL_FUNC_ASYM_CIPHER_FREECTX, (void (*)(void))dec_freectx},
	{OSSL_FUNC_ASYM_CIPHER_DUPCTX, (void (*)(void))dec_dupctx},
	{OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, (void (*)(void))dec_init},
	{OSSL_FUNC_ASYM_CIPHER_DECRYPT, (void (*)(void))dec_decrypt},
	{OSSL_FUNC_ASYM_CIPHER_GET_CTX_PARAMS,
	 (void (*)(void))dec_get_ctx_params},
	{OSSL_FUNC_ASYM_CIPHER_GETTABLE_CTX_PARAMS,
	 (void (*)(void))dec_gettable_ctx_params},
	{OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS,
	 (void (*)(void))dec_set_ctx_params},
	{OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS,
	 (void (*)(void))dec_settable_ctx_params},
	{0, NULL},
};
