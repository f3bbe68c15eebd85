// SPDX-License-Identifier: MIT
/*
 * Helpers of the keystore suite: test keys from PEM files, OpenSSL-side
 * verification, files for the shell wrapper.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "suite.h"

static const char *const key_files[NKEYS] = {
	[K2048] = "rsa2048.pem",
	[K2048B] = "rsa2048b.pem",
	[K3072] = "rsa3072.pem",
	[K4096] = "rsa4096.pem",
};
static EVP_PKEY *keys[NKEYS];

EVP_PKEY *test_key(enum test_key k)
{
	char path[4096];
	FILE *f;

	if (keys[k])
		return keys[k];
	snprintf(path, sizeof(path), "%s/%s", opts.keys_dir, key_files[k]);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "test-keystore: %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	keys[k] = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return keys[k];
}

static const char *const part_param[8] = {
	OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
	OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
	OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

int import_key(const char *name, enum test_key k, uint32_t usage,
	       uint32_t flags)
{
	return import_mixed(name, k, k, -1, usage, flags);
}

/* Components of @k, except component @swap (0..7: n,e,d,p,q,dp,dq,qinv)
 * taken from @other: a key whose parts do not belong together. */
int import_mixed(const char *name, enum test_key k, enum test_key other,
		 int swap, uint32_t usage, uint32_t flags)
{
	EVP_PKEY *pkey = test_key(k);
	unsigned char *buf[8] = {0};
	size_t len[8];
	struct pkiks_rsa_parts p;
	BIGNUM *bn = NULL;
	int i, err = -EIO;

	if (!pkey)
		return -ENOENT;
	for (i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(i == swap ? test_key(other) : pkey,
					   part_param[i], &bn))
			goto out;
		len[i] = BN_num_bytes(bn);
		buf[i] = malloc(len[i]);
		if (!buf[i])
			goto out;
		BN_bn2bin(bn, buf[i]);
		BN_clear_free(bn);
		bn = NULL;
	}
	p = (struct pkiks_rsa_parts){
		buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7],
		len[0], len[1], len[2], len[3], len[4], len[5], len[6], len[7],
	};
	err = pkiks_key_import(ks, name, usage, &p, flags, NULL);
out:
	BN_clear_free(bn);
	for (i = 0; i < 8; i++)
		free(buf[i]);
	return err;
}

const EVP_MD *hash_md(enum pkiks_hash hash)
{
	switch (hash) {
	case PKIKS_HASH_SHA1:
		return EVP_sha1();
	case PKIKS_HASH_SHA256:
		return EVP_sha256();
	case PKIKS_HASH_SHA384:
		return EVP_sha384();
	case PKIKS_HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

int verify_digest(EVP_PKEY *pub, enum pkiks_hash hash, const unsigned char *dg,
		  size_t dg_len, const unsigned char *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	int ok;

	ok = ctx && EVP_PKEY_verify_init(ctx) > 0 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	     EVP_PKEY_CTX_set_signature_md(ctx, hash_md(hash)) > 0 &&
	     EVP_PKEY_verify(ctx, sig, sig_len, dg, dg_len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -EBADMSG;
}

int sign_and_verify(struct pkiks *h, const char *name, EVP_PKEY *pub)
{
	static const char msg[] = "msg";
	unsigned char dg[32], sig[PKIKS_RSA_MAX_BYTES];
	size_t sig_len = sizeof(sig);
	int err;

	EVP_Digest(msg, strlen(msg), dg, NULL, EVP_sha256(), NULL);
	err = pkiks_sign(h, name, PKIKS_HASH_SHA256, dg, sizeof(dg), sig,
			 &sig_len);
	if (err)
		return err;
	return verify_digest(pub, PKIKS_HASH_SHA256, dg, sizeof(dg), sig,
			     sig_len);
}

int spki_equal(EVP_PKEY *pkey, const unsigned char *spki, size_t len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pkey, &der), eq;

	eq = n > 0 && (size_t)n == len && !memcmp(der, spki, len);
	OPENSSL_free(der);
	return eq;
}

/* Only when $PKIKS_TEST_OUT is set; 0 otherwise too. */
int write_file(const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	if (!opts.out_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", opts.out_dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

int open_handle(struct pkiks **h)
{
	return pkiks_open(h, opts.transport, opts.socket);
}

/* The host's authoritative now (0 if it cannot be read). */
uint64_t host_now(void)
{
	struct pkiks_clock c;

	return pkiks_clock_get(ks, &c) ? 0 : c.now_ns;
}
