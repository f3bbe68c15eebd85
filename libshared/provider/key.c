// SPDX-License-Identifier: MIT
/*
 * What RSA keys (keymgmt.c) and EC keys (ec_keymgmt.c) share: the key
 * object's life, loading by reference, the parameters every key answers
 * (bits, security bits, signature size, default digest) and the public part
 * as parameters, for export and for verifying in another provider.  The
 * type is key->ec; each keymgmt file keeps only what its type does alone.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "provider.h"

void *pkiks_prov_key_new(struct pkiks_prov *prov, int ec)
{
	struct pkiks_prov_key *key = OPENSSL_zalloc(sizeof(*key));

	if (key) {
		key->prov = prov;
		key->ec = ec;
	}
	return key;
}

void pkiks_prov_key_free(void *keydata)
{
	struct pkiks_prov_key *key = keydata;

	if (!key)
		return;
	BN_free(key->n);
	BN_free(key->e);
	OPENSSL_free(key);
}

void *pkiks_prov_key_load(const void *reference, size_t reference_sz, int ec,
			  pkiks_prov_set_spki_fn set_spki, const char *what)
{
	const struct pkiks_key_ref *ref = reference;
	struct pkiks_prov_key *key;

	if (reference_sz != sizeof(*ref) || ref->magic != PKIKS_KEY_REF_MAGIC ||
	    !ref->ec != !ec)
		return NULL;
	key = pkiks_prov_key_new(ref->prov, ec);
	if (!key)
		return NULL;
	memcpy(key->name, ref->name, sizeof(key->name));
	key->name[sizeof(key->name) - 1] = '\0';
	key->usage = ref->usage;
	if (!set_spki(key, ref->spki, ref->spki_len)) {
		PKIKS_RAISE(key->prov, PKIKS_R_KEYSTORE,
			    "key pkiks:%s: the keystore's public key is not %s",
			    key->name, what);
		pkiks_prov_key_free(key);
		return NULL;
	}
	return key;
}

int pkiks_prov_key_size(const struct pkiks_prov_key *key)
{
	int bytes = (key->bits + 7) / 8;

	/* ECDSA-Sig-Value: SEQUENCE of two INTEGERs, each maybe one longer */
	return key->ec ? 2 + 2 * (2 + bytes + 1) : bytes;
}

int pkiks_prov_key_has_public(const struct pkiks_prov_key *key)
{
	return key->ec ? key->pub_len > 0 : key->n != NULL;
}

/* An EC key's strength is half its order; RSA's is NIST's table. */
static int key_security_bits(const struct pkiks_prov_key *key)
{
	return key->ec ? key->bits / 2 : BN_security_bits(key->bits, -1);
}

/* A digest as strong as the key: P-384 asks for SHA-384. */
static const char *key_default_digest(const struct pkiks_prov_key *key)
{
	return key->ec && key->bits > 256 ? "SHA384" : "SHA256";
}

int pkiks_prov_key_get_common(const struct pkiks_prov_key *key,
			      OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS);
	if (p && !OSSL_PARAM_set_int(p, key->bits))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS);
	if (p && !OSSL_PARAM_set_int(p, key_security_bits(key)))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE);
	if (p && !OSSL_PARAM_set_int(p, pkiks_prov_key_size(key)))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_DEFAULT_DIGEST);
	if (p && !OSSL_PARAM_set_utf8_string(p, key_default_digest(key)))
		return 0;
	return 1;
}

/* RSA: n and e.  EC: the curve, and the point if @selection asks for it. */
static int key_push_public(OSSL_PARAM_BLD *bld,
			   const struct pkiks_prov_key *key, int selection)
{
	if (!key->ec)
		return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
					      key->n) &&
		       OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E,
					      key->e);
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     key->group, 0))
		return 0;
	return !(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) ||
	       OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
						key->pub, key->pub_len);
}

/* The public part as an OSSL_PARAM array (OSSL_PARAM_free), NULL if none. */
static OSSL_PARAM *key_public_params(const struct pkiks_prov_key *key,
				     int selection)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;

	if (bld && key_push_public(bld, key, selection))
		params = OSSL_PARAM_BLD_to_param(bld);
	OSSL_PARAM_BLD_free(bld);
	return params;
}

int pkiks_prov_key_export(const struct pkiks_prov_key *key, int selection,
			  OSSL_CALLBACK *param_cb, void *cbarg)
{
	OSSL_PARAM *params;
	int ok = 0;

	/*
	 * A keystore key asked for its private part: refuse rather than hand
	 * out a public half that another provider would try to sign with.
	 * OpenSSL then runs the operation here, where the key lives.
	 */
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && key->name[0])
		return 0;
	params = key_public_params(key, selection);
	if (params)
		ok = param_cb(params, cbarg);
	OSSL_PARAM_free(params);
	return ok;
}

/* The public part as an ordinary key of another provider (for verifying). */
int pkiks_prov_key_public(const struct pkiks_prov_key *key, EVP_PKEY **out)
{
	EVP_PKEY_CTX *pctx = NULL;
	OSSL_PARAM *params;
	int ok = 0;

	*out = NULL;
	params = key_public_params(key, OSSL_KEYMGMT_SELECT_PUBLIC_KEY);
	pctx = EVP_PKEY_CTX_new_from_name(
		key->prov->libctx, key->ec ? "EC" : "RSA", PKIKS_PROV_NOT_US);
	if (!params || !pctx || EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	ok = 1;
out:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	return ok;
}
