/* SPDX-License-Identifier: MIT */
/*
 * The keystore protocol suite: one CUnit binary that runs against either
 * host (pkiks.ko in the qemu VM, pkiksd on the host) through libshared's
 * client.  It assumes a fresh host (no KEK yet) and an admin caller (root).
 */
#ifndef TEST_KEYSTORE_SUITE_H
#define TEST_KEYSTORE_SUITE_H

#include <errno.h>
#include <CUnit/CUnit.h>
#include <openssl/evp.h>

#include "keystore.h"
#include "timers.h"

struct suite_opts {
	enum pkiks_transport transport;
	const char *socket;   /* NULL: $PKIKS_SOCKET or the default */
	const char *keys_dir; /* rsa2048.pem, rsa2048b.pem, rsa3072.pem,
				 rsa4096.pem */
	const char *out_dir;  /* $PKIKS_TEST_OUT: files for the openssl CLI */
	long member_gid;      /* the host's member group, -1 if unknown */
};
extern struct suite_opts opts;
extern struct pkiks *ks; /* the main handle, opened by main() */

/* Test keys, loaded once from keys_dir. */
enum test_key { K2048, K2048B, K3072, K4096, NKEYS };
EVP_PKEY *test_key(enum test_key k);

/* Import test key @k as @name; returns the host's error. */
int import_key(const char *name, enum test_key k, uint32_t usage,
	       uint32_t flags);
int import_mixed(const char *name, enum test_key k, enum test_key other,
		 int swap, uint32_t usage, uint32_t flags);
/* Sign SHA-256("msg") with @name and verify with @pub; 0 when it verifies. */
int sign_and_verify(struct pkiks *h, const char *name, EVP_PKEY *pub);
int verify_digest(EVP_PKEY *pub, enum pkiks_hash hash, const unsigned char *dg,
		  size_t dg_len, const unsigned char *sig, size_t sig_len);
const EVP_MD *hash_md(enum pkiks_hash hash);
/* SubjectPublicKeyInfo DER of @pkey equals @spki. */
int spki_equal(EVP_PKEY *pkey, const unsigned char *spki, size_t len);
int write_file(const char *name, const void *buf, size_t len);
int open_handle(struct pkiks **h);
uint64_t host_now(void);

/* Registration, one per file, in the order they run. */
int suite_keys(void);
int suite_crypto(void);
int suite_wrap(void);
int suite_ec(void);
int suite_ecdh(void);
int suite_time(void);
int suite_raw(void);
int suite_perm(void);
int suite_parallel(void);

#endif /* TEST_KEYSTORE_SUITE_H */
