/* SPDX-License-Identifier: MIT */
/*
 * Two calls from "a keystore key name" to "an EVP_PKEY OpenSSL signs and
 * decrypts with": load pkiks-provider into a library context, then open
 * pkiks:NAME through it.  The private key stays in the keystore.
 */
#ifndef PKID_PROVIDER_CLIENT_H
#define PKID_PROVIDER_CLIENT_H

#include <openssl/types.h>

/* Module name OpenSSL finds in its module directory or $OPENSSL_MODULES. */
#define PKIKS_PROVIDER_MODULE "pkiks-provider"

/*
 * Load pkiks-provider (@module_path: a path to pkiks-provider.so, or NULL for
 * PKIKS_PROVIDER_MODULE) into @ctx (NULL: the default context), together
 * with the default provider for everything else.  Loading twice is fine.
 * Returns 0 or a negative errno; OpenSSL's error queue says why.
 */
int pkiks_provider_load(OSSL_LIB_CTX *ctx, const char *module_path);

/* The key pkiks:@name as an EVP_PKEY (caller frees).  0 or -errno. */
int pkiks_pkey_load(OSSL_LIB_CTX *ctx, const char *name, EVP_PKEY **out);

#endif /* PKID_PROVIDER_CLIENT_H */
