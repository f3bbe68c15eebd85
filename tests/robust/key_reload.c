// SPDX-License-Identifier: MIT
/*
 * key-reload PROVIDER.so NAME OUT1.pem OUT2.pem: load pkiks:NAME through
 * the provider, write its public key to OUT1.pem, print "loaded" and wait
 * for a line on stdin (the test restarts pkiksd meanwhile), then load
 * pkiks:NAME again in the same thread -- exactly once, no retry here --
 * write that public key to OUT2.pem and sign with it.  The second load
 * only works if the provider's lookup reconnects by itself after its
 * thread's keystore connection died.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "provider_client.h"

static int write_pub(EVP_PKEY *key, const char *path)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f) {
		fprintf(stderr, "key-reload: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	ok = PEM_write_PUBKEY(f, key);
	if (fclose(f) || !ok)
		return -EIO;
	return 0;
}

/* One signature through the keystore, checked with the public half. */
static int sign_check(EVP_PKEY *key)
{
	static const unsigned char msg[] = "pkid robust key-reload";
	unsigned char sig[1024];
	size_t len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) &&
	     EVP_DigestSign(md, sig, &len, msg, sizeof(msg));
	EVP_MD_CTX_free(md);
	md = EVP_MD_CTX_new();
	ok = ok && md &&
	     EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) &&
	     EVP_DigestVerify(md, sig, len, msg, sizeof(msg)) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -EIO;
}

static int load(const char *name, const char *out, EVP_PKEY **key)
{
	int err = pkiks_pkey_load(NULL, name, key);

	if (err) {
		fprintf(stderr, "key-reload: loading pkiks:%s: %s\n", name,
			strerror(-err));
		ERR_print_errors_fp(stderr);
		return err;
	}
	return write_pub(*key, out);
}

int main(int argc, char **argv)
{
	EVP_PKEY *first = NULL, *second = NULL;
	char line[64];
	int err;

	if (argc != 5) {
		fprintf(stderr, "usage: key-reload PROVIDER.so NAME OUT1.pem "
				"OUT2.pem\n");
		return 2;
	}
	if (pkiks_provider_load(NULL, argv[1]) < 0) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	err = load(argv[2], argv[3], &first);
	if (err)
		goto out;
	printf("loaded\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "key-reload: no go-ahead on stdin\n");
		err = -EPIPE;
		goto out;
	}
	err = load(argv[2], argv[4], &second);
	if (!err)
		err = sign_check(second);
	if (err) {
		fprintf(stderr, "key-reload: signing after reload failed\n");
		ERR_print_errors_fp(stderr);
	}
out:
	EVP_PKEY_free(first);
	EVP_PKEY_free(second);
	return err ? 1 : 0;
}
