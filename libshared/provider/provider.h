/* SPDX-License-Identifier: MIT */
/*
 * pkiks-provider internals: an OpenSSL 3 provider whose RSA and EC keys live
 * in the keystore (uapi/pkiks.h).  The key object holds only the key's name
 * and its public part (n, e, or the curve and point); every private
 * operation is a keystore request.
 *
 * One file per operation, each ending in its dispatch table:
 *   provider.c     init, query, parameters, errors, per-thread handles
 *   key.c          what RSA and EC keys share (no dispatch table)
 *   keymgmt.c      "RSA" keys: load by reference, public export/import
 *   ec_keymgmt.c   "EC" keys (P-256, P-384), the same for ECDSA keys
 *   signature.c    RSASSA-PKCS1-v1_5 and ECDSA sign (plain and
 *                  digest-sign), verify
 *   asym_cipher.c  RSAES-PKCS1-v1_5 decrypt
 *   keyexch.c      ECDH (v5) with the X9.63 KDF, for CMS key agreement
 *   store.c        the "pkiks:NAME" URI loader
 */
#ifndef PKID_PROVIDER_H
#define PKID_PROVIDER_H

#include <pthread.h>
#include <stdarg.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/bn.h>

#include "keystore.h"

/* Property of every algorithm we offer; callers may ask "provider=pkiks". */
#define PKIKS_PROV_PROPS "provider=pkiks"
/* Fetches we make ourselves must never land back in this provider. */
#define PKIKS_PROV_NOT_US "provider!=pkiks"
/* Provider configuration parameter naming pkiksd's socket. */
#define PKIKS_PROV_PARAM_SOCKET "pkiks-socket"

/* Reason codes of this provider's errors (see pkiks_prov_reasons). */
enum pkiks_prov_reason {
	PKIKS_R_UNREACHABLE = 1, /* cannot open the keystore */
	PKIKS_R_NO_SUCH_KEY,	 /* ENOENT */
	PKIKS_R_PERMISSION,	 /* EPERM */
	PKIKS_R_KEY_USAGE,	 /* EKEYREJECTED */
	PKIKS_R_TIME,		 /* EAGAIN: time not authoritative */
	PKIKS_R_DECRYPT,	 /* EBADMSG: padding */
	PKIKS_R_KEYSTORE,	 /* any other keystore error */
	PKIKS_R_BAD_ARGUMENT,	 /* caller passed something we cannot use */
	PKIKS_R_UNSUPPORTED,	 /* padding, digest or operation we lack */
	PKIKS_R_NO_PRIVATE_KEY,	 /* key object without a keystore name */
	PKIKS_R_INTERNAL,	 /* allocation or OpenSSL call failed */
};

struct pkiks_prov_conn;

struct pkiks_prov {
	const OSSL_CORE_HANDLE *handle;
	OSSL_LIB_CTX *libctx; /* child of the application's library context */
	char *socket_path;    /* NULL: $PKIKS_SOCKET, else the default */

	/* One keystore handle per thread: a handle is not thread-safe. */
	pthread_key_t tls;
	pthread_mutex_t lock;
	struct pkiks_prov_conn *conns; /* every open handle, for teardown */

	OSSL_FUNC_core_new_error_fn *new_error;
	OSSL_FUNC_core_set_error_debug_fn *set_error_debug;
	OSSL_FUNC_core_vset_error_fn *vset_error;
};

/* A key: a keystore name (private part) and/or a public part. */
struct pkiks_prov_key {
	struct pkiks_prov *prov;
	char name[PKIKS_NAME_MAX]; /* "" for a public key imported from
				      elsewhere */
	uint32_t usage;		   /* PKIKS_USAGE_* */
	BIGNUM *n, *e;
	int bits;
	/* EC keys (ec_keymgmt.c): the curve and the point, uncompressed */
	int ec;
	char group[16];
	unsigned char pub[1 + 2 * PKIKS_EC_MAX_BYTES];
	size_t pub_len;
};

/*
 * What the store loader hands to keymgmt's load(): passed by value as the
 * object reference, so nobody owns it.  Keymgmt load() gets no provider
 * context, hence the pointer.
 */
#define PKIKS_KEY_REF_MAGIC    0x706b6b72u /* "pkkr" */
#define PKIKS_KEY_REF_SPKI_MAX 1024
struct pkiks_key_ref {
	uint32_t magic;
	struct pkiks_prov *prov;
	char name[PKIKS_NAME_MAX];
	uint32_t usage;
	int ec; /* v3: an EC key, for the EC keymgmt */
	size_t spki_len;
	unsigned char spki[PKIKS_KEY_REF_SPKI_MAX]; /* SubjectPublicKeyInfo */
};

/* provider.c */
struct pkiks *pkiks_prov_handle(struct pkiks_prov *prov);
void pkiks_prov_handle_drop(struct pkiks_prov *prov);
int pkiks_prov_is_transport_error(int err);
void pkiks_prov_raise(struct pkiks_prov *prov, const char *file, int line,
		      const char *func, int reason, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void pkiks_prov_raise_errno(struct pkiks_prov *prov, const char *file, int line,
			    const char *func, int err, const char *what,
			    const char *name);

#define PKIKS_RAISE(prov, reason, ...)                                         \
	pkiks_prov_raise(prov, __FILE__, __LINE__, __func__, reason,           \
			 __VA_ARGS__)
/* Report keystore error @err of "@what key @name". */
#define PKIKS_RAISE_ERRNO(prov, err, what, name)                               \
	pkiks_prov_raise_errno(prov, __FILE__, __LINE__, __func__, err, what,  \
			       name)

/* key.c: RSA and EC keys alike, by key->ec */
void *pkiks_prov_key_new(struct pkiks_prov *prov, int ec);
void pkiks_prov_key_free(void *keydata);
/* Takes the public part out of a SubjectPublicKeyInfo; 1, or 0 if unfit. */
typedef int (*pkiks_prov_set_spki_fn)(struct pkiks_prov_key *key,
				      const unsigned char *der, size_t len);
/*
 * keymgmt load(): a struct pkiks_key_ref of the store loader naming a key of
 * the caller's type (@ec); NULL, with "... public key is not @what" raised
 * when @set_spki finds the keystore's public key is not of that type.
 */
void *pkiks_prov_key_load(const void *reference, size_t reference_sz, int ec,
			  pkiks_prov_set_spki_fn set_spki, const char *what);
/* The largest signature in bytes (RSA: the modulus; EC: the DER maximum). */
int pkiks_prov_key_size(const struct pkiks_prov_key *key);
int pkiks_prov_key_has_public(const struct pkiks_prov_key *key);
/* keymgmt get_params(): bits, security bits, max size, default digest. */
int pkiks_prov_key_get_common(const struct pkiks_prov_key *key,
			      OSSL_PARAM params[]);
/*
 * keymgmt export() of the public part @selection asks for, once the caller
 * checked the key has it; refuses any selection with a keystore private key.
 */
int pkiks_prov_key_export(const struct pkiks_prov_key *key, int selection,
			  OSSL_CALLBACK *param_cb, void *cbarg);
int pkiks_prov_key_public(const struct pkiks_prov_key *key, EVP_PKEY **out);

/* The dispatch tables, ending each operation's file. */
extern const OSSL_DISPATCH pkiks_keymgmt_functions[];
extern const OSSL_DISPATCH pkiks_ec_keymgmt_functions[];
extern const OSSL_DISPATCH pkiks_signature_functions[];
extern const OSSL_DISPATCH pkiks_asym_cipher_functions[];
extern const OSSL_DISPATCH pkiks_keyexch_functions[];
extern const OSSL_DISPATCH pkiks_store_functions[];

#endif /* PKID_PROVIDER_H */
