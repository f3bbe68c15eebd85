// SPDX-License-Identifier: MIT
/*
 * The daemon's way to keystore keys through OpenSSL: load the provider once,
 * then open keys by name.  See provider_client.h.
 */
#include <errno.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/store.h>

#include "keystore.h"
#include "provider_client.h"

int pkiks_provider_load(OSSL_LIB_CTX *ctx, const char *module_path)
{
	const char *module = module_path ? module_path : PKIKS_PROVIDER_MODULE;

	/*
	 * Loading any provider explicitly switches off the implicit default
	 * one, which we still need for digests, ciphers and public keys.
	 * OSSL_PROVIDER_available() activates the fallback if nothing was
	 * loaded yet; otherwise load "default" by name.
	 */
	if (!OSSL_PROVIDER_available(ctx, "default") &&
	    !OSSL_PROVIDER_load(ctx, "default"))
		return -ENOENT;
	/* The provider stays loaded for the life of the context. */
	if (!OSSL_PROVIDER_load(ctx, module)) {
		ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL,
			       "cannot load the pkiks provider %s", module);
		return -ENOENT;
	}
	return 0;
}

int pkiks_pkey_load(OSSL_LIB_CTX *ctx, const char *name, EVP_PKEY **out)
{
	OSSL_STORE_CTX *store = NULL;
	OSSL_STORE_INFO *info = NULL;
	char uri[PKIKS_NAME_MAX + 8];
	int err = -ENOENT;

	*out = NULL;
	if (!pkiks_key_name_valid(name))
		return -EINVAL;
	snprintf(uri, sizeof(uri), "pkiks:%s", name);
	store = OSSL_STORE_open_ex(uri, ctx, NULL, NULL, NULL, NULL, NULL,
				   NULL);
	if (!store)
		goto out;
	if (!OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY))
		goto out;
	while (!*out && !OSSL_STORE_eof(store)) {
		info = OSSL_STORE_load(store);
		if (!info)
			break;
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			*out = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
	}
	if (*out)
		err = 0;
out:
	OSSL_STORE_close(store);
	return err;
}
