// SPDX-License-Identifier: MIT
/*
 * The STORE loader for "pkiks:NAME": OSSL_STORE_open("pkiks:ROOTCA") and
 * `openssl pkeyutl -inkey pkiks:ROOTCA` give an EVP_PKEY whose private
 * operations go to the keystore.  One URI, one key: the loader asks the
 * keystore for the key (so a wrong name fails here, clearly) and hands its
 * name and public key to keymgmt's load() as the object reference.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/store.h>

#include "provider_internal.h"

#define PKIKS_URI_SCHEME "pkiks:"

static OSSL_FUNC_store_open_fn store_open;
static OSSL_FUNC_store_load_fn store_load;
static OSSL_FUNC_store_eof_fn store_eof;
static OSSL_FUNC_store_close_fn store_close;
static OSSL_FUNC_store_set_ctx_params_fn store_set_ctx_params;
static OSSL_FUNC_store_settable_ctx_params_fn store_settable_ctx_params;

struct store_ctx {
	struct pkiks_prov *prov;
	char name[PKIKS_NAME_MAX];
	int expect; /* OSSL_STORE_INFO_*, 0 for anything */
	int done;
};

static void *store_open(void *provctx, const char *uri)
{
	struct pkiks_prov *prov = provctx;
	struct store_ctx *ctx;
	const char *name;

	if (strncmp(uri, PKIKS_URI_SCHEME, strlen(PKIKS_URI_SCHEME)) != 0)
		return NULL;
	name = uri + strlen(PKIKS_URI_SCHEME);
	if (!pkiks_key_name_valid(name)) {
		PKIKS_RAISE(prov, PKIKS_R_BAD_ARGUMENT,
			    "%s: a key name is 1-%d characters of "
			    "[A-Za-z0-9._-], optionally ending in '#'",
			    uri, PKIKS_NAME_MAX - 1);
		return NULL;
	}
	ctx = OPENSSL_zalloc(sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->prov = prov;
	strcpy(ctx->name, name); /* length checked by pkiks_key_name_valid */
	return ctx;
}

struct key_get_arg {
	const char *name;
	struct pkiks_key_info *info;
};

static int key_get_request(struct pkiks *ks, void *arg)
{
	struct key_get_arg *a = arg;

	return pkiks_key_get(ks, a->name, a->info);
}

/* Ask the keystore for the key; fill the reference keymgmt will load. */
static int store_lookup(struct store_ctx *ctx, struct pkiks_key_ref *ref)
{
	struct pkiks_key_info info = {0};
	struct key_get_arg arg = {.name = ctx->name, .info = &info};
	int ok = 0;

	/* Retried once on a fresh connection after a keystore restart, as
	 * signing and decryption are: callers need no retry of their own. */
	if (!pkiks_prov_request(ctx->prov, key_get_request, &arg, "loading",
				ctx->name))
		return 0;
	if (info.pubkey_len > sizeof(ref->spki)) {
		PKIKS_RAISE(ctx->prov, PKIKS_R_KEYSTORE,
			    "key pkiks:%s: public key of %zu bytes", ctx->name,
			    info.pubkey_len);
		goto out;
	}
	memset(ref, 0, sizeof(*ref));
	ref->magic = PKIKS_KEY_REF_MAGIC;
	ref->prov = ctx->prov;
	memcpy(ref->name, ctx->name, sizeof(ref->name));
	ref->usage = info.usage;
	ref->ec = info.type != PKIKS_KEY_RSA;
	ref->spki_len = info.pubkey_len;
	memcpy(ref->spki, info.pubkey, info.pubkey_len);
	ok = 1;
out:
	free(info.pubkey); /* one key: pkiks_key_info_free() is for lists */
	return ok;
}

static int store_load(void *vctx, OSSL_CALLBACK *object_cb, void *object_cbarg,
		      OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
	struct store_ctx *ctx = vctx;
	struct pkiks_key_ref ref;
	int type = OSSL_OBJECT_PKEY;
	char data_type[4] = "RSA"; /* or "EC": which keymgmt loads it */
	OSSL_PARAM params[] = {
		OSSL_PARAM_int(OSSL_OBJECT_PARAM_TYPE, &type),
		OSSL_PARAM_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, data_type,
				       0),
		OSSL_PARAM_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &ref,
					sizeof(ref)),
		OSSL_PARAM_END,
	};

	ctx->done = 1;
	/* A key is all we have: asking for certificates finds nothing. */
	if (ctx->expect && ctx->expect != OSSL_STORE_INFO_PKEY &&
	    ctx->expect != OSSL_STORE_INFO_PUBKEY)
		return 1;
	if (!store_lookup(ctx, &ref))
		return 0;
	if (ref.ec)
		strcpy(data_type, "EC");
	params[1].data_size = strlen(data_type);
	return object_cb(params, object_cbarg);
}

static int store_eof(void *vctx)
{
	return ((struct store_ctx *)vctx)->done;
}

static int store_close(void *vctx)
{
	OPENSSL_free(vctx);
	return 1;
}

static int store_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
	struct store_ctx *ctx = vctx;
	const OSSL_PARAM *p;

	p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_EXPECT);
	if (p && !OSSL_PARAM_get_int(p, &ctx->expect))
		return 0;
	return 1;
}

static const OSSL_PARAM store_settable[] = {
	OSSL_PARAM_int(OSSL_STORE_PARAM_EXPECT, NULL),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *store_settable_ctx_params(void *provctx)
{
	return store_settable;
}

const OSSL_DISPATCH pkiks_store_functions[] = {
	{OSSL_FUNC_STORE_OPEN, (void (*)(void))store_open},
	{OSSL_FUNC_STORE_LOAD, (void (*)(void))store_load},
	{OSSL_FUNC_STORE_EOF, (void (*)(void))store_eof},
	{OSSL_FUNC_STORE_CLOSE, (void (*)(void))store_close},
	{OSSL_FUNC_STORE_SET_CTX_PARAMS, (void (*)(void))store_set_ctx_params},
	{OSSL_FUNC_STORE_SETTABLE_CTX_PARAMS,
	 (void (*)(void))store_settable_ctx_params},
	{0, NULL},
};
