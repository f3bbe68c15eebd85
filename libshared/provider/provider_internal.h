/* SPDX-License-Identifier: MIT */
/*
 * What the two RSA operations with keystore keys (signature.c,
 * asym_cipher.c) share: the one keystore request, retried once on a broken
 * connection, and the one padding, PKCS#1 v1.5.
 */
#ifndef PKID_PROVIDER_INTERNAL_H
#define PKID_PROVIDER_INTERNAL_H

#include <openssl/core.h>

#include "provider.h"

/* One keystore request on @ks; 0 or the keystore's -errno. */
typedef int (*pkiks_prov_request_fn)(struct pkiks *ks, void *arg);

/*
 * Runs @req on this thread's keystore handle, and once more on a fresh
 * handle when the connection broke under it (not after a timeout: the
 * keystore may still be working on it).  1, or 0 with the error raised as
 * "@what key @name".
 */
int pkiks_prov_request(struct pkiks_prov *prov, pkiks_prov_request_fn req,
		       void *arg, const char *what, const char *name);

/* Reports PKCS#1 v1.5 as an integer or a name, whichever @p asks. */
int pkiks_prov_get_pad_mode(OSSL_PARAM *p);

/*
 * 1 when @p asks for PKCS#1 v1.5 (by integer or name); else 0, raising
 * "padding ...: keystore keys @op PKCS#1 v1.5 only".
 */
int pkiks_prov_check_pad_mode(struct pkiks_prov *prov, const OSSL_PARAM *p,
			      const char *op);

#endif /* PKID_PROVIDER_INTERNAL_H */
