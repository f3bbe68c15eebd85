// SPDX-License-Identifier: MIT
/*
 * ECDH with keystore EC keys (protocol v5, KEY_DERIVE): what CMS_decrypt
 * needs to open an envelope whose recipient is an EC key
 * (KeyAgreeRecipientInfo, RFC 5753), which is how a SCEP CA answers an EC
 * trustpoint.  The keystore computes the shared secret Z (the x of d*P,
 * checking P on the curve); the X9.63 KDF that CMS asks for runs here on
 * Z with the default provider's X963KDF, so the secret leaves the
 * keystore only to be hashed into the key-wrap key.
 *
 * Parameters as the default provider's ECDH: cofactor mode (-1, 0, 1:
 * both curves have cofactor 1, so every mode is plain ECDH), KDF type
 * ("" or "X963KDF"), KDF digest, output length and UKM (CMS's
 * ECC-CMS-SharedInfo).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "provider_internal.h"

#define KDF_UKM_MAX 4096 /* CMS SharedInfo is ~40 bytes; a bound, not a use */

static OSSL_FUNC_keyexch_newctx_fn kx_newctx;
static OSSL_FUNC_keyexch_freectx_fn kx_freectx;
static OSSL_FUNC_keyexch_dupctx_fn kx_dupctx;
static OSSL_FUNC_keyexch_init_fn kx_init;
static OSSL_FUNC_keyexch_set_peer_fn kx_set_peer;
static OSSL_FUNC_keyexch_derive_fn kx_derive;
static OSSL_FUNC_keyexch_set_ctx_params_fn kx_set_ctx_params;
static OSSL_FUNC_keyexch_settable_ctx_params_fn kx_settable_ctx_params;
static OSSL_FUNC_keyexch_get_ctx_params_fn kx_get_ctx_params;
static OSSL_FUNC_keyexch_gettable_ctx_params_fn kx_gettable_ctx_params;

struct kx_ctx {
	struct pkiks_prov *prov;
	struct pkiks_prov_key *key; /* the EVP_PKEY holds it for us */
	unsigned char peer[1 + 2 * PKIKS_EC_MAX_BYTES];
	size_t peer_len;
	int cofactor_mode;
	int x963;		/* KDF type X963KDF, else none */
	char kdf_md[64];	/* digest name for the KDF */
	size_t kdf_outlen;
	unsigned char *ukm;
	size_t ukm_len;
};

static void *kx_newctx(void *provctx)
{
	struct kx_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

	if (ctx) {
		ctx->prov = provctx;
		ctx->cofactor_mode = -1;
	}
	return ctx;
}

static void kx_freectx(void *vctx)
{
	struct kx_ctx *ctx = vctx;

	if (!ctx)
		return;
	OPENSSL_free(ctx->ukm);
	OPENSSL_clear_free(ctx, sizeof(*ctx));
}

static void *kx_dupctx(void *vctx)
{
	struct kx_ctx *src = vctx, *ctx = OPENSSL_memdup(src, sizeof(*src));

	if (!ctx)
		return NULL;
	ctx->ukm = NULL;
	if (src->ukm && !(ctx->ukm = OPENSSL_memdup(src->ukm, src->ukm_len))) {
		OPENSSL_free(ctx);
		return NULL;
	}
	return ctx;
}

static int kx_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	struct kx_ctx *ctx = vctx;
	struct pkiks_prov_key *key = provkey;

	if (!key || !key->ec || !key->pub_len)
		return 0;
	if (!key->name[0]) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_NO_PRIVATE_KEY,
			    "cannot derive with a public key");
		return 0;
	}
	if (key->usage && !(key->usage & PKIKS_USAGE_DERIVE)) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_KEY_USAGE,
			    "key pkiks:%s is not a key-agreement (derive) key",
			    key->name);
		return 0;
	}
	ctx->key = key;
	ctx->peer_len = 0;
	return kx_set_ctx_params(ctx, params);
}

/* The peer is a public key of our EC keymgmt (OpenSSL moves it here). */
static int kx_set_peer(void *vctx, void *provkey)
{
	struct kx_ctx *ctx = vctx;
	struct pkiks_prov_key *peer = provkey;

	if (!ctx->key || !peer || !peer->ec || !peer->pub_len ||
	    strcmp(peer->group, ctx->key->group)) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
			    "the peer key is not a point of %s",
			    ctx->key ? ctx->key->group : "the key's curve");
		return 0;
	}
	memcpy(ctx->peer, peer->pub, peer->pub_len);
	ctx->peer_len = peer->pub_len;
	return 1;
}

/* One derivation, as pkiks_prov_request() runs it (maybe twice). */
struct kx_request {
	const char *name;
	const unsigned char *peer;
	size_t peer_len;
	unsigned char *z;
	size_t room, len;
};

static int kx_request(struct pkiks *ks, void *arg)
{
	struct kx_request *r = arg;

	r->len = r->room;
	return pkiks_derive(ks, r->name, r->peer, r->peer_len, r->z, &r->len);
}

/* X9.63 KDF of Z with the UKM as its shared info, @outlen bytes. */
static int kx_x963(struct kx_ctx *ctx, const unsigned char *z, size_t zlen,
		   unsigned char *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(ctx->prov->libctx, "X963KDF",
				     PKIKS_PROV_NOT_US);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4], *p = params;
	int ok;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						ctx->kdf_md, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)z, zlen);
	if (ctx->ukm)
		*p++ = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_INFO, ctx->ukm, ctx->ukm_len);
	*p = OSSL_PARAM_construct_end();
	ok = kctx && EVP_KDF_derive(kctx, out, outlen, params) > 0;
	if (!ok)
		PKIKS_RAISE(ctx->prov, PKIKS_R_INTERNAL,
			    "X9.63 KDF with %s failed", ctx->kdf_md);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok;
}

static int kx_derive(void *vctx, unsigned char *secret, size_t *secretlen,
		     size_t outlen)
{
	struct kx_ctx *ctx = vctx;
	size_t size = (size_t)(ctx->key ? ctx->key->bits / 8 : 0);
	size_t want = ctx->x963 ? ctx->kdf_outlen : size;
	unsigned char z[PKIKS_EC_MAX_BYTES];
	struct kx_request r = {0};
	int ok = 0;

	if (!ctx->key || !ctx->peer_len || !want ||
	    (ctx->x963 && !ctx->kdf_md[0])) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
			    "ECDH without a peer, KDF digest or length");
		return 0;
	}
	if (!secret) {
		*secretlen = want;
		return 1;
	}
	if (outlen < want) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
			    "room for %zu bytes, the secret has %zu", outlen,
			    want);
		return 0;
	}
	r = (struct kx_request){.name = ctx->key->name, .peer = ctx->peer,
				.peer_len = ctx->peer_len, .z = z,
				.room = sizeof(z)};
	if (!pkiks_prov_request(ctx->prov, kx_request, &r, "deriving with",
				ctx->key->name))
		goto out;
	if (r.len != size) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_KEYSTORE,
			    "a secret of %zu bytes from a %zu-byte curve", r.len,
			    size);
		goto out;
	}
	if (ctx->x963) {
		ok = kx_x963(ctx, z, size, secret, want);
	} else {
		memcpy(secret, z, size);
		ok = 1;
	}
	if (ok)
		*secretlen = want;
out:
	OPENSSL_cleanse(z, sizeof(z));
	return ok;
}

static int kx_set_kdf_type(struct kx_ctx *ctx, const OSSL_PARAM *p)
{
	const char *s;

	if (!OSSL_PARAM_get_utf8_string_ptr(p, &s))
		return 0;
	if (!s[0])
		ctx->x963 = 0;
	else if (!OPENSSL_strcasecmp(s, OSSL_KDF_NAME_X963KDF))
		ctx->x963 = 1;
	else {
		PKIKS_RAISE(ctx->prov, PKIKS_R_UNSUPPORTED,
			    "KDF %s: keystore ECDH does X963KDF or none", s);
		return 0;
	}
	return 1;
}

static int kx_set_kdf_md(struct kx_ctx *ctx, const OSSL_PARAM *p)
{
	char *name = ctx->kdf_md;
	EVP_MD *md;

	if (!OSSL_PARAM_get_utf8_string(p, &name, sizeof(ctx->kdf_md)))
		return 0;
	md = EVP_MD_fetch(ctx->prov->libctx, ctx->kdf_md, PKIKS_PROV_NOT_US);
	if (!md) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_UNSUPPORTED, "KDF digest %s",
			    ctx->kdf_md);
		ctx->kdf_md[0] = '\0';
		return 0;
	}
	EVP_MD_free(md);
	return 1;
}

static int kx_set_ukm(struct kx_ctx *ctx, const OSSL_PARAM *p)
{
	void *ukm = NULL;
	size_t len = 0;

	if (!OSSL_PARAM_get_octet_string(p, &ukm, KDF_UKM_MAX, &len))
		return 0;
	OPENSSL_free(ctx->ukm);
	ctx->ukm = ukm;
	ctx->ukm_len = len;
	return 1;
}

static int kx_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct kx_ctx *ctx = vctx;
	const OSSL_PARAM *p;
	int mode;

	if (!params)
		return 1;
	p = OSSL_PARAM_locate_const(params,
				    OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE);
	if (p) {
		if (!OSSL_PARAM_get_int(p, &mode) || mode < -1 || mode > 1)
			return 0;
		ctx->cofactor_mode = mode;
	}
	p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_TYPE);
	if (p && !kx_set_kdf_type(ctx, p))
		return 0;
	p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_DIGEST);
	if (p && !kx_set_kdf_md(ctx, p))
		return 0;
	p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_OUTLEN);
	if (p && !OSSL_PARAM_get_size_t(p, &ctx->kdf_outlen))
		return 0;
	p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_UKM);
	return p ? kx_set_ukm(ctx, p) : 1;
}

static const OSSL_PARAM kx_settable[] = {
	OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
	OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST, NULL, 0),
	OSSL_PARAM_size_t(OSSL_EXCHANGE_PARAM_KDF_OUTLEN, NULL),
	OSSL_PARAM_octet_string(OSSL_EXCHANGE_PARAM_KDF_UKM, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *kx_settable_ctx_params(void *vctx, void *provctx)
{
	return kx_settable;
}

static int kx_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
	struct kx_ctx *ctx = vctx;
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE);
	/* -1 is "the curve's default", which for cofactor 1 is off */
	if (p && !OSSL_PARAM_set_int(p, ctx->cofactor_mode < 0
						? 0
						: ctx->cofactor_mode))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_TYPE);
	if (p && !OSSL_PARAM_set_utf8_string(
			 p, ctx->x963 ? OSSL_KDF_NAME_X963KDF : ""))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_DIGEST);
	if (p && !OSSL_PARAM_set_utf8_string(p, ctx->kdf_md))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_OUTLEN);
	if (p && !OSSL_PARAM_set_size_t(p, ctx->kdf_outlen))
		return 0;
	return 1;
}

static const OSSL_PARAM kx_gettable[] = {
	OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
	OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST, NULL, 0),
	OSSL_PARAM_size_t(OSSL_EXCHANGE_PARAM_KDF_OUTLEN, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *kx_gettable_ctx_params(void *vctx, void *provctx)
{
	return kx_gettable;
}

const OSSL_DISPATCH pkiks_keyexch_functions[] = {
	{OSSL_FUNC_KEYEXCH_NEWCTX, (void (*)(void))kx_newctx},
	{OSSL_FUNC_KEYEXCH_FREECTX, (void (*)(void))kx_freectx},
	{OSSL_FUNC_KEYEXCH_DUPCTX, (void (*)(void))kx_dupctx},
	{OSSL_FUNC_KEYEXCH_INIT, (void (*)(void))kx_init},
	{OSSL_FUNC_KEYEXCH_SET_PEER, (void (*)(void))kx_set_peer},
	{OSSL_FUNC_KEYEXCH_DERIVE, (void (*)(void))kx_derive},
	{OSSL_FUNC_KEYEXCH_SET_CTX_PARAMS, (void (*)(void))kx_set_ctx_params},
	{OSSL_FUNC_KEYEXCH_SETTABLE_CTX_PARAMS,
	 (void (*)(void))kx_settable_ctx_params},
	{OSSL_FUNC_KEYEXCH_GET_CTX_PARAMS, (void (*)(void))kx_get_ctx_params},
	{OSSL_FUNC_KEYEXCH_GETTABLE_CTX_PARAMS,
	 (void (*)(void))kx_gettable_ctx_params},
	{0, NULL},
};
