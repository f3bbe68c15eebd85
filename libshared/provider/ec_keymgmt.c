// SPDX-License-Identifier: MIT
/*
 * Key management for keystore EC keys (protocol v3: P-256, P-384).
 * OpenSSL sees an ordinary "EC" key: EVP_PKEY_is_a(pkey, "EC") holds, the
 * public part (group name and uncompressed point) exports to other
 * providers (encoders, X509_PUBKEY, EVP_PKEY_eq) and EVP_PKEY_get_bits()
 * works.  As with RSA (keymgmt.c), the private scalar never leaves the
 * keystore; a key object carries only the keystore name that ECDSA
 * signatures (and, v5, ECDH derivations) are sent to.
 *
 * For ECDH in CMS (keyexch.c) OpenSSL makes the originator's public key in
 * this keymgmt: EVP_PKEY_copy_parameters from the keystore key (dup with
 * the domain parameters only: the curve, no name, no point), then
 * EVP_PKEY_set1_encoded_public_key (set_params).  Such a key is public
 * only; the keystore checks its point on the curve when it derives.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "provider.h"

static OSSL_FUNC_keymgmt_new_fn eckm_new;
static OSSL_FUNC_keymgmt_load_fn eckm_load;
static OSSL_FUNC_keymgmt_has_fn eckm_has;
static OSSL_FUNC_keymgmt_match_fn eckm_match;
static OSSL_FUNC_keymgmt_import_fn eckm_import;
static OSSL_FUNC_keymgmt_import_types_fn eckm_import_types;
static OSSL_FUNC_keymgmt_export_fn eckm_export;
static OSSL_FUNC_keymgmt_export_types_fn eckm_export_types;
static OSSL_FUNC_keymgmt_get_params_fn eckm_get_params;
static OSSL_FUNC_keymgmt_gettable_params_fn eckm_gettable_params;
static OSSL_FUNC_keymgmt_query_operation_name_fn eckm_query_operation_name;
static OSSL_FUNC_keymgmt_dup_fn eckm_dup;
static OSSL_FUNC_keymgmt_set_params_fn eckm_set_params;
static OSSL_FUNC_keymgmt_settable_params_fn eckm_settable_params;

/* The curves the keystore holds, by OpenSSL's group names. */
static int eckm_bits_of(const char *group)
{
	if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
		return 256;
	if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
		return 384;
	return 0;
}

static void *eckm_new(void *provctx)
{
	return pkiks_prov_key_new(provctx, 1);
}

/* Set group and point; 0 if the curve is not one the keystore serves. */
static int eckm_set(struct pkiks_prov_key *key, const char *group,
		    const unsigned char *pub, size_t pub_len)
{
	int bits = eckm_bits_of(group);

	if (!bits || pub_len != 1 + 2 * (size_t)(bits / 8) || pub[0] != 0x04)
		return 0;
	snprintf(key->group, sizeof(key->group), "%s",
		 bits == 256 ? "prime256v1" : "secp384r1");
	memcpy(key->pub, pub, pub_len);
	key->pub_len = pub_len;
	key->bits = bits;
	return 1;
}

/* Group and point out of a SubjectPublicKeyInfo (another provider parses). */
static int eckm_set_spki(struct pkiks_prov_key *key, const unsigned char *der,
			 size_t len)
{
	const unsigned char *p = der;
	unsigned char pub[sizeof(key->pub)];
	char group[32];
	size_t pub_len = 0;
	EVP_PKEY *pk;
	int ok = 0;

	pk = d2i_PUBKEY_ex(NULL, &p, (long)len, key->prov->libctx,
			   PKIKS_PROV_NOT_US);
	if (pk && EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), NULL) &&
	    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub,
					    sizeof(pub), &pub_len))
		ok = eckm_set(key, group, pub, pub_len);
	EVP_PKEY_free(pk);
	return ok;
}

static void *eckm_load(const void *reference, size_t reference_sz)
{
	return pkiks_prov_key_load(reference, reference_sz, 1, eckm_set_spki,
				   "EC on P-256 or P-384");
}

static int eckm_has(const void *keydata, int selection)
{
	const struct pkiks_prov_key *key = keydata;

	if (!key)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) && !key->pub_len)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS) && !key->bits)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && !key->name[0])
		return 0;
	return 1;
}

static int eckm_match(const void *keydata1, const void *keydata2,
		      int selection)
{
	const struct pkiks_prov_key *a = keydata1, *b = keydata2;

	if (!a->bits || !b->bits || strcmp(a->group, b->group))
		return 0;
	if (!(selection & OSSL_KEYMGMT_SELECT_KEYPAIR))
		return 1; /* the same curve is all domain parameters say */
	return a->pub_len && a->pub_len == b->pub_len &&
	       !memcmp(a->pub, b->pub, a->pub_len);
}

static const OSSL_PARAM eckm_public_types[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END,
};

/* Public parts only, as for RSA. */
static int eckm_import(void *keydata, int selection, const OSSL_PARAM params[])
{
	struct pkiks_prov_key *key = keydata;
	const OSSL_PARAM *pg, *pp;
	const char *group;
	const void *pub;
	size_t pub_len;

	if (!key || key->pub_len || !(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
		return 0;
	pg = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
	pp = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
	if (!pg || !pp || !OSSL_PARAM_get_utf8_string_ptr(pg, &group) ||
	    !OSSL_PARAM_get_octet_string_ptr(pp, &pub, &pub_len))
		return 0;
	return eckm_set(key, group, pub, pub_len);
}

static const OSSL_PARAM *eckm_import_types(int selection)
{
	return (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) ? eckm_public_types
							    : NULL;
}

static int eckm_export(void *keydata, int selection, OSSL_CALLBACK *param_cb,
		       void *cbarg)
{
	const struct pkiks_prov_key *key = keydata;

	if (!key->pub_len || !(selection & (OSSL_KEYMGMT_SELECT_PUBLIC_KEY |
					    OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS)))
		return 0;
	return pkiks_prov_key_export(key, selection, param_cb, cbarg);
}

static const OSSL_PARAM *eckm_export_types(int selection)
{
	return eckm_import_types(selection);
}

static const OSSL_PARAM eckm_gettable[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *eckm_gettable_params(void *provctx)
{
	return eckm_gettable;
}

static int eckm_get_params(void *keydata, OSSL_PARAM params[])
{
	struct pkiks_prov_key *key = keydata;
	OSSL_PARAM *p;

	if (!key->pub_len || !pkiks_prov_key_get_common(key, params))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_GROUP_NAME);
	if (p && !OSSL_PARAM_set_utf8_string(p, key->group))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY);
	if (p && !OSSL_PARAM_set_octet_string(p, key->pub, key->pub_len))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
	if (p && !OSSL_PARAM_set_octet_string(p, key->pub, key->pub_len))
		return 0;
	return 1;
}

static const char *eckm_query_operation_name(int operation_id)
{
	if (operation_id == OSSL_OP_SIGNATURE)
		return "ECDSA";
	return operation_id == OSSL_OP_KEYEXCH ? "ECDH" : NULL;
}

/*
 * A copy of the public part @selection asks for, never the keystore name:
 * the copy is a public key (EVP_PKEY_copy_parameters makes the ECDH peer
 * this way).
 */
static void *eckm_dup(const void *keydata, int selection)
{
	const struct pkiks_prov_key *src = keydata;
	struct pkiks_prov_key *key;

	if (!src || !src->bits || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY))
		return NULL;
	key = pkiks_prov_key_new(src->prov, 1);
	if (!key)
		return NULL;
	memcpy(key->group, src->group, sizeof(key->group));
	key->bits = src->bits;
	if (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) {
		memcpy(key->pub, src->pub, src->pub_len);
		key->pub_len = src->pub_len;
	}
	return key;
}

/* The point of a public key that has its curve and no point yet. */
static int eckm_set_params(void *keydata, const OSSL_PARAM params[])
{
	struct pkiks_prov_key *key = keydata;
	const OSSL_PARAM *p;
	const void *pub;
	size_t len;

	p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
	if (!p)
		return 1;
	if (key->name[0] || key->pub_len || !key->bits ||
	    !OSSL_PARAM_get_octet_string_ptr(p, &pub, &len))
		return 0;
	return eckm_set(key, key->group, pub, len);
}

static const OSSL_PARAM eckm_settable[] = {
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *eckm_settable_params(void *provctx)
{
	return eckm_settable;
}

const OSSL_DISPATCH pkiks_ec_keymgmt_functions[] = {
	{OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))eckm_new},
	{OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))pkiks_prov_key_free},
	{OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void))eckm_load},
	{OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))eckm_has},
	{OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))eckm_match},
	{OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))eckm_import},
	{OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))eckm_import_types},
	{OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))eckm_export},
	{OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))eckm_export_types},
	{OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))eckm_get_params},
	{OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS,
	 (void (*)(void))eckm_gettable_params},
	{OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME,
	 (void (*)(void))eckm_query_operation_name},
	{OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))eckm_dup},
	{OSSL_FUNC_KEYMGMT_SET_PARAMS, (void (*)(void))eckm_set_params},
	{OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS,
	 (void (*)(void))eckm_settable_params},
	{0, NULL},
};
