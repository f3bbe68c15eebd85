// SPDX-License-Identifier: MIT
/* Shared by signature.c and asym_cipher.c (provider_internal.h). */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "provider_internal.h"

int pkiks_prov_request(struct pkiks_prov *prov, pkiks_prov_request_fn req,
		       void *arg, const char *what, const char *name)
{
	struct pkiks *ks;
	int err, tries;

	for (tries = 0; tries < 2; tries++) {
		ks = pkiks_prov_handle(prov);
		if (!ks)
			return 0; /* pkiks_prov_handle() raised it */
		err = req(ks, arg);
		if (!pkiks_prov_is_transport_error(err))
			break;
		pkiks_prov_handle_drop(prov);
		if (err == -ETIMEDOUT)
			break;
	}
	if (err) {
		PKIKS_RAISE_ERRNO(prov, err, what, name);
		return 0;
	}
	return 1;
}

int pkiks_prov_get_pad_mode(OSSL_PARAM *p)
{
	if (p->data_type == OSSL_PARAM_UTF8_STRING)
		return OSSL_PARAM_set_utf8_string(
			p, OSSL_PKEY_RSA_PAD_MODE_PKCSV15);
	return OSSL_PARAM_set_int(p, RSA_PKCS1_PADDING);
}

int pkiks_prov_check_pad_mode(struct pkiks_prov *prov, const OSSL_PARAM *p,
			      const char *op)
{
	const char *name = NULL;
	int mode = 0;

	if (p->data_type == OSSL_PARAM_UTF8_STRING) {
		if (OSSL_PARAM_get_utf8_string_ptr(p, &name) &&
		    strcmp(name, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0)
			return 1;
	} else if (OSSL_PARAM_get_int(p, &mode) && mode == RSA_PKCS1_PADDING) {
		return 1;
	}
	PKIKS_RAISE(prov, PKIKS_R_UNSUPPORTED,
		    "padding %s: keystore keys %s PKCS#1 v1.5 only",
		    name ? name : "mode", op);
	return 0;
}
