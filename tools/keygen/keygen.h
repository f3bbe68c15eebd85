/* SPDX-License-Identifier: MIT */
/*
 * pkiks-keygen: generate an RSA or ECDSA (P-256, P-384) key, import it into the keystore, optionally
 * archive it in a password-protected PKCS#12 file, wipe it, and print only
 * its name and public key.  Daemons run it (fork/exec) so that private keys
 * never enter their address space.
 *
 * Exit status: 0 done, 1 usage error, 2 operation failed, 3 keystore
 * unreachable (the same convention as pkictl).
 */
#ifndef PKID_KEYGEN_H
#define PKID_KEYGEN_H

#include <stdint.h>

#include <openssl/evp.h>

#include "keystore.h"

enum {
	KEYGEN_EXIT_OK = 0,
	KEYGEN_EXIT_USAGE = 1,
	KEYGEN_EXIT_FAILED = 2,
	KEYGEN_EXIT_UNREACHABLE = 3,
};

struct keygen_opts {
	const char *name;
	int bits;		   /* RSA's modulus size */
	enum pkiks_key_type type;  /* --type, RSA by default */
	uint32_t usage;		   /* PKIKS_USAGE_* */
	const char *archive;	   /* PKCS#12 output, or NULL */
	const char *archive_cert;  /* PEM certificates to add, or NULL */
	const char *password_file; /* archive password sources */
	const char *password_env;
	const char *socket; /* pkiksd socket, NULL: default */
	char *password;	    /* read before generating; wiped at exit */
	int replace;
	int json;
};

/* rsa.c (and EC keys, whose import differs only in the parts) */
int keygen_generate(const struct keygen_opts *o, EVP_PKEY **out);
int keygen_import(struct pkiks *ks, const struct keygen_opts *o, EVP_PKEY *pkey,
		  struct pkiks_key_info *info);

/*
 * archive.c: read the password (before any key exists), write the archive to
 * @tmp_path; keygen_archive_commit() moves it in place.
 */
int keygen_archive_write(const struct keygen_opts *o, EVP_PKEY *pkey,
			 const char *tmp_path);
int keygen_archive_commit(const char *tmp_path, const char *path);
int keygen_read_password(const struct keygen_opts *o, char **password);

#endif /* PKID_KEYGEN_H */
