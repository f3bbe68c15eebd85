// SPDX-License-Identifier: MIT
/*
 * RSASSA-PKCS1-v1_5 and ECDSA signatures with keystore keys (one set of
 * functions for both: the keystore tells the key types apart, and what
 * differs here is the algorithm identifier, the plain-sign input and the
 * verifying key).
 *
 * The keystore builds the DigestInfo itself from (HASH, digest), so what we
 * send is always a hash name and a digest:
 *   - digest-sign (EVP_DigestSign*, X509_sign, CMS_sign): we hash here with
 *     the application's digests and send the result;
 *   - plain sign (EVP_PKEY_sign) of a precomputed digest with the signature
 *     digest set, or, without one, of a DER DigestInfo that we take apart.
 * Verification needs only the public part: it runs in another provider.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "provider_internal.h"

static OSSL_FUNC_signature_newctx_fn sig_newctx;
static OSSL_FUNC_signature_freectx_fn sig_freectx;
static OSSL_FUNC_signature_dupctx_fn sig_dupctx;
static OSSL_FUNC_signature_sign_init_fn sig_sign_init;
static OSSL_FUNC_signature_sign_fn sig_sign;
static OSSL_FUNC_signature_verify_init_fn sig_verify_init;
static OSSL_FUNC_signature_verify_fn sig_verify;
static OSSL_FUNC_signature_digest_sign_init_fn sig_digest_sign_init;
static OSSL_FUNC_signature_digest_sign_update_fn sig_digest_update;
static OSSL_FUNC_signature_digest_sign_final_fn sig_digest_sign_final;
static OSSL_FUNC_signature_digest_verify_init_fn sig_digest_verify_init;
static OSSL_FUNC_signature_digest_verify_final_fn sig_digest_verify_final;
static OSSL_FUNC_signature_get_ctx_params_fn sig_get_ctx_params;
static OSSL_FUNC_signature_gettable_ctx_params_fn sig_gettable_ctx_params;
static OSSL_FUNC_signature_set_ctx_params_fn sig_set_ctx_params;
static OSSL_FUNC_signature_settable_ctx_params_fn sig_settable_ctx_params;

/* The digests the keystore knows, with their signature algorithms. */
static const struct {
	int md_nid;
	int sig_nid;	/* with RSA */
	int ec_sig_nid; /* with ECDSA */
	int md_size;
	enum pkiks_hash hash;
} sig_hashes[] = {
	{NID_sha1, NID_sha1WithRSAEncryption, NID_ecdsa_with_SHA1, 20,
	 PKIKS_HASH_SHA1},
	{NID_sha256, NID_sha256WithRSAEncryption, NID_ecdsa_with_SHA256, 32,
	 PKIKS_HASH_SHA256},
	{NID_sha384, NID_sha384WithRSAEncryption, NID_ecdsa_with_SHA384, 48,
	 PKIKS_HASH_SHA384},
	{NID_sha512, NID_sha512WithRSAEncryption, NID_ecdsa_with_SHA512, 64,
	 PKIKS_HASH_SHA512},
};

struct sig_ctx {
	struct pkiks_prov *prov;
	struct pkiks_prov_key *key; /* the EVP_PKEY holds it for us */
	int verifying;
	EVP_MD *md;	   /* NULL: plain sign of a DigestInfo */
	int hash_index;	   /* into sig_hashes, valid when md is set */
	EVP_MD_CTX *mdctx; /* digest-sign or digest-verify in progress */
};

static int sig_hash_index(int md_nid)
{
	size_t i;

	for (i = 0; i < sizeof(sig_hashes) / sizeof(sig_hashes[0]); i++)
		if (sig_hashes[i].md_nid == md_nid)
			return (int)i;
	return -1;
}

static void *sig_newctx(void *provctx, const char *propq)
{
	struct sig_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

	if (ctx)
		ctx->prov = provctx;
	return ctx;
}

static void sig_freectx(void *vctx)
{
	struct sig_ctx *ctx = vctx;

	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->mdctx);
	EVP_MD_free(ctx->md);
	OPENSSL_free(ctx);
}

/* EVP_DigestSignFinal() works on a copy, so copies must carry the hash. */
static void *sig_dupctx(void *vctx)
{
	struct sig_ctx *src = vctx, *dst;

	dst = OPENSSL_memdup(src, sizeof(*src));
	if (!dst)
		return NULL;
	dst->md = NULL;
	dst->mdctx = NULL;
	if (src->md && !EVP_MD_up_ref(src->md))
		goto err;
	dst->md = src->md;
	if (src->mdctx) {
		dst->mdctx = EVP_MD_CTX_new();
		if (!dst->mdctx || !EVP_MD_CTX_copy_ex(dst->mdctx, src->mdctx))
			goto err;
	}
	return dst;
err:
	sig_freectx(dst);
	return NULL;
}

static int sig_set_md(struct sig_ctx *ctx, const char *mdname)
{
	EVP_MD *md;
	int i;

	md = EVP_MD_fetch(ctx->prov->libctx, mdname, PKIKS_PROV_NOT_US);
	i = md ? sig_hash_index(EVP_MD_get_type(md)) : -1;
	if (i < 0) {
		EVP_MD_free(md);
		PKIKS_RAISE(ctx->prov, PKIKS_R_UNSUPPORTED,
			    "digest %s: the keystore signs SHA-1, SHA-256, "
			    "SHA-384 and SHA-512 digests only",
			    mdname);
		return 0;
	}
	EVP_MD_free(ctx->md);
	ctx->md = md;
	ctx->hash_index = i;
	return 1;
}

static int sig_init(struct sig_ctx *ctx, void *provkey, int verifying,
		    const OSSL_PARAM params[])
{
	struct pkiks_prov_key *key = provkey;

	if (key) /* NULL: re-initialisation with the same key */
		ctx->key = key;
	if (!ctx->key || !pkiks_prov_key_has_public(ctx->key))
		return 0;
	if (!verifying && !ctx->key->name[0]) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_NO_PRIVATE_KEY,
			    "cannot sign with a public key");
		return 0;
	}
	ctx->verifying = verifying;
	EVP_MD_CTX_free(ctx->mdctx);
	ctx->mdctx = NULL;
	return sig_set_ctx_params(ctx, params);
}

static int sig_sign_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	return sig_init(vctx, provkey, 0, params);
}

static int sig_verify_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	return sig_init(vctx, provkey, 1, params);
}

/* One signature, as pkiks_prov_request() runs it (maybe twice). */
struct sig_request {
	const char *name;
	enum pkiks_hash hash;
	const unsigned char *digest;
	size_t digest_len;
	unsigned char *sig;
	size_t sigsize, len;
};

static int sig_request(struct pkiks *ks, void *arg)
{
	struct sig_request *s = arg;

	s->len = s->sigsize;
	return pkiks_sign(ks, s->name, s->hash, s->digest, s->digest_len,
			  s->sig, &s->len);
}

/* Send (hash, digest) to the keystore; one retry on a broken connection. */
static int sig_keystore_sign(struct sig_ctx *ctx, enum pkiks_hash hash,
			     const unsigned char *digest, size_t digest_len,
			     unsigned char *sig, size_t *siglen, size_t sigsize)
{
	struct sig_request s = {
		.name = ctx->key->name,
		.hash = hash,
		.digest = digest,
		.digest_len = digest_len,
		.sig = sig,
		.sigsize = sigsize,
	};

	if (!pkiks_prov_request(ctx->prov, sig_request, &s, "signing with",
				ctx->key->name))
		return 0;
	*siglen = s.len;
	return 1;
}

/* Without a signature digest, the input must be a DER DigestInfo. */
static int sig_sign_digestinfo(struct sig_ctx *ctx, unsigned char *sig,
			       size_t *siglen, size_t sigsize,
			       const unsigned char *tbs, size_t tbslen)
{
	const unsigned char *p = tbs;
	const X509_ALGOR *alg;
	const ASN1_OCTET_STRING *digest;
	const ASN1_OBJECT *obj;
	X509_SIG *di;
	int i, ok = 0;

	di = d2i_X509_SIG(NULL, &p, (long)tbslen);
	if (!di || p != tbs + tbslen)
		goto bad;
	X509_SIG_get0(di, &alg, &digest);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	i = sig_hash_index(OBJ_obj2nid(obj));
	if (i < 0 || ASN1_STRING_length(digest) != sig_hashes[i].md_size)
		goto bad;
	ok = sig_keystore_sign(
		ctx, sig_hashes[i].hash, ASN1_STRING_get0_data(digest),
		(size_t)ASN1_STRING_length(digest), sig, siglen, sigsize);
	X509_SIG_free(di);
	return ok;
bad:
	X509_SIG_free(di);
	PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
		    "set a signature digest (e.g. -pkeyopt digest:sha256) or "
		    "pass a DigestInfo of SHA-1/256/384/512");
	return 0;
}

/*
 * ECDSA without a signature digest signs the bytes given as a digest, as
 * OpenSSL's own ECDSA does; the keystore wants to know the hash, which the
 * length tells.
 */
static int sig_sign_ec_digest(struct sig_ctx *ctx, unsigned char *sig,
			      size_t *siglen, size_t sigsize,
			      const unsigned char *tbs, size_t tbslen)
{
	size_t i;

	for (i = 0; i < sizeof(sig_hashes) / sizeof(sig_hashes[0]); i++)
		if ((size_t)sig_hashes[i].md_size == tbslen)
			return sig_keystore_sign(ctx, sig_hashes[i].hash, tbs,
						 tbslen, sig, siglen, sigsize);
	PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
		    "an ECDSA digest of %zu bytes: the keystore signs SHA-1, "
		    "SHA-256, SHA-384 and SHA-512 digests (20, 32, 48, 64)",
		    tbslen);
	return 0;
}

static int sig_sign(void *vctx, unsigned char *sig, size_t *siglen,
		    size_t sigsize, const unsigned char *tbs, size_t tbslen)
{
	struct sig_ctx *ctx = vctx;
	size_t size = (size_t)pkiks_prov_key_size(ctx->key);

	if (!sig) {
		*siglen = size;
		return 1;
	}
	if (sigsize < size) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
			    "signature buffer of %zu bytes, %zu needed",
			    sigsize, size);
		return 0;
	}
	if (!ctx->md && ctx->key->ec)
		return sig_sign_ec_digest(ctx, sig, siglen, sigsize, tbs,
					  tbslen);
	if (!ctx->md)
		return sig_sign_digestinfo(ctx, sig, siglen, sigsize, tbs,
					   tbslen);
	if (tbslen != (size_t)EVP_MD_get_size(ctx->md)) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_BAD_ARGUMENT,
			    "a %s digest is %d bytes, got %zu",
			    EVP_MD_get0_name(ctx->md), EVP_MD_get_size(ctx->md),
			    tbslen);
		return 0;
	}
	return sig_keystore_sign(ctx, sig_hashes[ctx->hash_index].hash, tbs,
				 tbslen, sig, siglen, sigsize);
}

/* Verification with the public part, by the application's RSA provider. */
static int sig_verify(void *vctx, const unsigned char *sig, size_t siglen,
		      const unsigned char *tbs, size_t tbslen)
{
	struct sig_ctx *ctx = vctx;
	EVP_PKEY_CTX *vpctx = NULL;
	EVP_PKEY *pub = NULL;
	int ok = 0;

	if (!pkiks_prov_key_public(ctx->key, &pub))
		goto out;
	vpctx = EVP_PKEY_CTX_new_from_pkey(ctx->prov->libctx, pub,
					   PKIKS_PROV_NOT_US);
	if (!vpctx || EVP_PKEY_verify_init(vpctx) <= 0 ||
	    (!ctx->key->ec &&
	     EVP_PKEY_CTX_set_rsa_padding(vpctx, RSA_PKCS1_PADDING) <= 0))
		goto out;
	if (ctx->md && EVP_PKEY_CTX_set_signature_md(vpctx, ctx->md) <= 0)
		goto out;
	ok = EVP_PKEY_verify(vpctx, sig, siglen, tbs, tbslen) == 1;
out:
	EVP_PKEY_CTX_free(vpctx);
	EVP_PKEY_free(pub);
	return ok;
}

static int sig_digest_init(struct sig_ctx *ctx, const char *mdname,
			   void *provkey, int verifying,
			   const OSSL_PARAM params[])
{
	if (!sig_init(ctx, provkey, verifying, params))
		return 0;
	if (!sig_set_md(ctx, mdname && *mdname ? mdname : "SHA256"))
		return 0;
	ctx->mdctx = EVP_MD_CTX_new();
	return ctx->mdctx && EVP_DigestInit_ex2(ctx->mdctx, ctx->md, NULL);
}

static int sig_digest_sign_init(void *vctx, const char *mdname, void *provkey,
				const OSSL_PARAM params[])
{
	return sig_digest_init(vctx, mdname, provkey, 0, params);
}

static int sig_digest_verify_init(void *vctx, const char *mdname, void *provkey,
				  const OSSL_PARAM params[])
{
	return sig_digest_init(vctx, mdname, provkey, 1, params);
}

static int sig_digest_update(void *vctx, const unsigned char *data,
			     size_t datalen)
{
	struct sig_ctx *ctx = vctx;

	return ctx->mdctx && EVP_DigestUpdate(ctx->mdctx, data, datalen);
}

static int sig_digest_sign_final(void *vctx, unsigned char *sig, size_t *siglen,
				 size_t sigsize)
{
	struct sig_ctx *ctx = vctx;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len;
	int ok;

	if (!sig)
		return sig_sign(ctx, NULL, siglen, sigsize, NULL, 0);
	if (!ctx->mdctx || !EVP_DigestFinal_ex(ctx->mdctx, digest, &digest_len))
		return 0;
	ok = sig_sign(ctx, sig, siglen, sigsize, digest, digest_len);
	OPENSSL_cleanse(digest, sizeof(digest));
	return ok;
}

static int sig_digest_verify_final(void *vctx, const unsigned char *sig,
				   size_t siglen)
{
	struct sig_ctx *ctx = vctx;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len;

	if (!ctx->mdctx || !EVP_DigestFinal_ex(ctx->mdctx, digest, &digest_len))
		return 0;
	return sig_verify(ctx, sig, siglen, digest, digest_len);
}

/*
 * DER AlgorithmIdentifier: shaNNNWithRSAEncryption with NULL parameters,
 * or ecdsa-with-SHANNN with none (RFC 5758).
 */
static int sig_get_algorithm_id(struct sig_ctx *ctx, OSSL_PARAM *p)
{
	X509_ALGOR *alg = NULL;
	unsigned char *der = NULL;
	int len, ok = 0, ec;

	if (!ctx->md) /* no digest yet: nothing to name */
		return 0;
	ec = ctx->key && ctx->key->ec;
	alg = X509_ALGOR_new();
	if (!alg ||
	    !X509_ALGOR_set0(alg,
			     OBJ_nid2obj(ec ? sig_hashes[ctx->hash_index].ec_sig_nid
					    : sig_hashes[ctx->hash_index].sig_nid),
			     ec ? V_ASN1_UNDEF : V_ASN1_NULL, NULL))
		goto out;
	len = i2d_X509_ALGOR(alg, &der);
	if (len <= 0)
		goto out;
	ok = OSSL_PARAM_set_octet_string(p, der, (size_t)len);
out:
	OPENSSL_free(der);
	X509_ALGOR_free(alg);
	return ok;
}

static int sig_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
	struct sig_ctx *ctx = vctx;
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID);
	if (p && !sig_get_algorithm_id(ctx, p))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST);
	if (p && (!ctx->md ||
		  !OSSL_PARAM_set_utf8_string(p, EVP_MD_get0_name(ctx->md))))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
	if (p && !pkiks_prov_get_pad_mode(p))
		return 0;
	return 1;
}

static const OSSL_PARAM sig_gettable[] = {
	OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *sig_gettable_ctx_params(void *vctx, void *provctx)
{
	return sig_gettable;
}

static int sig_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct sig_ctx *ctx = vctx;
	const OSSL_PARAM *p;
	const char *mdname;

	if (!params)
		return 1;
	p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST);
	if (p && (!OSSL_PARAM_get_utf8_string_ptr(p, &mdname) ||
		  !sig_set_md(ctx, mdname)))
		return 0;
	p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
	/* Only PKCS#1 v1.5 exists here; another padding is an error. */
	if (p && !pkiks_prov_check_pad_mode(ctx->prov, p, "sign with"))
		return 0;
	return 1;
}

static const OSSL_PARAM sig_settable[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
	OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *sig_settable_ctx_params(void *vctx, void *provctx)
{
	return sig_settable;
}

const OSSL_DISPATCH pkiks_signature_functions[] = {
	{OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))sig_newctx},
	{OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_freectx},
	{OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dupctx},
	{OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))sig_sign_init},
	{OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))sig_sign},
	{OSSL_FUNC_SIGNATURE_VERIFY_INIT, (void (*)(void))sig_verify_init},
	{OSSL_FUNC_SIGNATURE_VERIFY, (void (*)(void))sig_verify},
	{OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT,
	 (void (*)(void))sig_digest_sign_init},
	{OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE,
	 (void (*)(void))sig_digest_update},
	{OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL,
	 (void (*)(void))sig_digest_sign_final},
	{OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT,
	 (void (*)(void))sig_digest_verify_init},
	{OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE,
	 (void (*)(void))sig_digest_update},
	{OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL,
	 (void (*)(void))sig_digest_verify_final},
	{OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS,
	 (void (*)(void))sig_get_ctx_params},
	{OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS,
	 (void (*)(void))sig_gettable_ctx_params},
	{OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS,
	 (void (*)(void))sig_set_ctx_params},
	{OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS,
	 (void (*)(void))sig_settable_ctx_params},
	{0, NULL},
};
