// SPDX-License-Identifier: MIT
/*
 * Key management for keystore keys.  OpenSSL sees an ordinary "RSA" key:
 * EVP_PKEY_is_a(pkey, "RSA") holds, the public part (n, e) exports to other
 * providers (encoders, X509_PUBKEY, EVP_PKEY_eq) and EVP_PKEY_get_bits()
 * works.  The private part never leaves the keystore: a key object only
 * carries the keystore name the private operations are sent to.
 *
 * Keys come from the store loader (load() by reference) or, public part only,
 * from import() when OpenSSL compares a certificate's key with ours.
 */

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "provider.h"

static OSSL_FUNC_keymgmt_new_fn keymgmt_new;
static OSSL_FUNC_keymgmt_load_fn keymgmt_load;
static OSSL_FUNC_keymgmt_has_fn keymgmt_has;
static OSSL_FUNC_keymgmt_match_fn keymgmt_match;
static OSSL_FUNC_keymgmt_import_fn keymgmt_import;
static OSSL_FUNC_keymgmt_import_types_fn keymgmt_import_types;
static OSSL_FUNC_keymgmt_export_fn keymgmt_export;
static OSSL_FUNC_keymgmt_export_types_fn keymgmt_export_types;
static OSSL_FUNC_keymgmt_get_params_fn keymgmt_get_params;
static OSSL_FUNC_keymgmt_gettable_params_fn keymgmt_gettable_params;
static OSSL_FUNC_keymgmt_query_operation_name_fn keymgmt_query_operation_name;

/* Take n and e out of a SubjectPublicKeyInfo. */
static int keymgmt_set_spki(struct pkiks_prov_key *key,
			    const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pub;
	int ok = 0;

	pub = d2i_PUBKEY_ex(NULL, &p, (long)len, key->prov->libctx,
			    PKIKS_PROV_NOT_US);
	if (!pub || !EVP_PKEY_is_a(pub, "RSA"))
		goto out;
	if (!EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &key->n) ||
	    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &key->e))
		goto out;
	key->bits = BN_num_bits(key->n);
	ok = 1;
out:
	EVP_PKEY_free(pub);
	return ok;
}

static void *keymgmt_new(void *provctx)
{
	return pkiks_prov_key_new(provctx, 0);
}

static void *keymgmt_load(const void *reference, size_t reference_sz)
{
	return pkiks_prov_key_load(reference, reference_sz, 0, keymgmt_set_spki,
				   "RSA");
}

static int keymgmt_has(const void *keydata, int selection)
{
	const struct pkiks_prov_key *key = keydata;

	if (!key)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) && !key->n)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && !key->name[0])
		return 0;
	return 1;
}

/* Keys match when their public parts do: that is what identifies RSA keys. */
static int keymgmt_match(const void *keydata1, const void *keydata2,
			 int selection)
{
	const struct pkiks_prov_key *a = keydata1, *b = keydata2;

	if (!(selection & OSSL_KEYMGMT_SELECT_KEYPAIR))
		return 1; /* RSA has no domain parameters */
	if (!a->n || !b->n)
		return 0;
	return BN_cmp(a->n, b->n) == 0 && BN_cmp(a->e, b->e) == 0;
}

static const OSSL_PARAM keymgmt_public_types[] = {
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END,
};

/* Public parts only: private material has no business in this provider. */
static int keymgmt_import(void *keydata, int selection,
			  const OSSL_PARAM params[])
{
	struct pkiks_prov_key *key = keydata;
	const OSSL_PARAM *pn, *pe;

	if (!key || key->n)
		return 0;
	if (!(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
		return 0;
	pn = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_N);
	pe = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_E);
	if (!pn || !pe || !OSSL_PARAM_get_BN(pn, &key->n) ||
	    !OSSL_PARAM_get_BN(pe, &key->e))
		return 0;
	key->bits = BN_num_bits(key->n);
	return 1;
}

static const OSSL_PARAM *keymgmt_import_types(int selection)
{
	return (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY)
		       ? keymgmt_public_types
		       : NULL;
}

static int keymgmt_export(void *keydata, int selection, OSSL_CALLBACK *param_cb,
			  void *cbarg)
{
	const struct pkiks_prov_key *key = keydata;

	if (!key->n || !(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
		return 0;
	return pkiks_prov_key_export(key, selection, param_cb, cbarg);
}

static const OSSL_PARAM *keymgmt_export_types(int selection)
{
	return keymgmt_import_types(selection);
}

static const OSSL_PARAM keymgmt_gettable[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *keymgmt_gettable_params(void *provctx)
{
	return keymgmt_gettable;
}

static int keymgmt_get_params(void *keydata, OSSL_PARAM params[])
{
	struct pkiks_prov_key *key = keydata;
	OSSL_PARAM *p;

	if (!key->n || !pkiks_prov_key_get_common(key, params))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_N);
	if (p && !OSSL_PARAM_set_BN(p, key->n))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_E);
	if (p && !OSSL_PARAM_set_BN(p, key->e))
		return 0;
	return 1;
}

static const char *keymgmt_query_operation_name(int operation_id)
{
	switch (operation_id) {
	case OSSL_OP_SIGNATURE:
	case OSSL_OP_ASYM_CIPHER:
		return "RSA";
	default:
		return NULL;
	}
}

const OSSL_DISPATCH pkiks_keymgmt_functions[] = {
	{OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))keymgmt_new},
	{OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))pkiks_prov_key_free},
	{OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void))keymgmt_load},
	{OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))keymgmt_has},
	{OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))keymgmt_match},
	{OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))keymgmt_import},
	{OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))keymgmt_import_types},
	{OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))keymgmt_export},
	{OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))keymgmt_export_types},
	{OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))keymgmt_get_params},
	{OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS,
	 (void (*)(void))keymgmt_gettable_params},
	{OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME,
	 (void (*)(void))keymgmt_query_operation_name},
	{0, NULL},
};
