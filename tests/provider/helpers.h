/* SPDX-License-Identifier: MIT */
/*
 * What the provider tests share: running the openssl CLI (bounded by
 * timeout(1)), files in the test's temporary directory, and certificates
 * built with ordinary OpenSSL calls on keystore keys.
 */
#ifndef PKID_TEST_PROVIDER_HELPERS_H
#define PKID_TEST_PROVIDER_HELPERS_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Every shell command gets this many seconds at most. */
#define TEST_CMD_TIMEOUT 60

struct test_env {
	const char *dir;	  /* mktemp -d of the run */
	const char *build;	  /* build/ of the tree */
	char provider_args[1024]; /* openssl CLI options loading us */
};

extern struct test_env T;

/* Run a shell command (printf-style) under timeout; its exit status. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "T.dir/name" into a static rotating buffer (8 slots). */
const char *path(const char *name);
/* Whole file, NUL-terminated; caller frees.  NULL if unreadable. */
char *slurp(const char *file, size_t *len);
int spit(const char *file, const void *data, size_t len);
/* 1 when @file contains @needle. */
int file_has(const char *file, const char *needle);

/* A certificate for @pub, issued by @issuer (NULL: self), signed by @key. */
X509 *make_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *key,
		const EVP_MD *md, int is_ca, long serial);
int write_cert(const char *file, X509 *x);
/* Every error on OpenSSL's queue as text, queue emptied; caller frees. */
char *errors_text(void);

#endif
