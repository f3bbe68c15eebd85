// SPDX-License-Identifier: MIT
/*
 * blobkey: open a keystore wrapped blob (libshared/uapi/pkiks.h, "Wrapped
 * blob") with the KEK the test provisioned, and write the private key it
 * holds as PEM, for memscan to take p, q and d (RSA, "PKW1") or the
 * private scalar d (ECDSA, "PKW2": the CA's TLS key) from.
 *
 *   blobkey KEK_FILE BLOB_FILE OUT.pem
 *
 * pkid stores such a blob of every key it makes (daemon/core/keyblob.c), so the
 * test gets every private key — RA, rollover, trustpoint, TLS — without
 * asking pkid or the keystore for it.  The tag must verify, the components
 * must make a consistent key (p * q == n, pairwise check; an EC scalar
 * in range, its public point derived), and the header's key
 * name is printed on stdout, so the caller can check it opened the blob of
 * the key it meant.
 *
 * Exit: 0 written, 1 the blob does not open or holds no valid key, 2 usage
 * or file error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "uapi/pkiks.h"

#define BLOB_MAX 8192
#define NCOMP	 8

/* Plaintext order of the components (pkiks.h). */
static const char *const comp_param[NCOMP] = {
	OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
	OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
	OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* The whole file into buf; its length, or -1 (and a message). */
static long read_file(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "blobkey: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, cap, f);
	if (!feof(f)) {
		fprintf(stderr, "blobkey: %s: larger than %zu bytes\n", path,
			cap - 1);
		n = 0;
	}
	fclose(f);
	return n ? (long)n : -1;
}

/* ChaCha20-Poly1305 open: AAD = header, nonce = 0^4 || header nonce. */
static int unseal(const unsigned char *kek, const unsigned char *blob,
		  size_t len, size_t hdr, unsigned char *out, size_t *out_len)
{
	unsigned char iv[12] = {0};
	size_t ct_len = len - hdr - PKIKS_WRAP_TAG_LEN;
	const unsigned char *ct = blob + hdr;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, fin, ret = -EBADMSG;

	memcpy(iv + 4, blob + 4, PKIKS_WRAP_NONCE_LEN);
	if (!c ||
	    !EVP_DecryptInit_ex(c, EVP_chacha20_poly1305(), NULL, kek, iv) ||
	    !EVP_DecryptUpdate(c, NULL, &n, blob, (int)hdr) ||
	    !EVP_DecryptUpdate(c, out, &n, ct, (int)ct_len) ||
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, PKIKS_WRAP_TAG_LEN,
				 (void *)(ct + ct_len)))
		goto out;
	if (EVP_DecryptFinal_ex(c, out + n, &fin) != 1)
		goto out; /* wrong KEK or a modified blob */
	*out_len = (size_t)n + (size_t)fin;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return ret;
}

/* The eight length-prefixed components into an EVP_PKEY. */
static EVP_PKEY *build_key(const unsigned char *pt, size_t len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn[NCOMP] = {0};
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	size_t at = 0;
	int i;

	if (!bld)
		goto out;
	for (i = 0; i < NCOMP; i++) {
		size_t l;

		if (len - at < 2)
			goto out;
		l = (size_t)pt[at] | (size_t)pt[at + 1] << 8;
		at += 2;
		if (l == 0 || l > len - at)
			goto out;
		bn[i] = BN_secure_new();
		if (!bn[i] || !BN_bin2bn(pt + at, (int)l, bn[i]) ||
		    !OSSL_PARAM_BLD_push_BN(bld, comp_param[i], bn[i]))
			goto out;
		at += l;
	}
	if (at != len)
		goto out; /* trailing bytes: not the format we know */
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		goto out;
	EVP_PKEY_CTX_free(ctx);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx || EVP_PKEY_pairwise_check(ctx) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	for (i = 0; i < NCOMP; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* PKW2's plaintext: u16 length (LE) || the private scalar of curve. */
static EVP_PKEY *build_ec_key(const unsigned char *pt, size_t len,
			      uint32_t type)
{
	const char *curve = type == PKIKS_KEY_EC_P256	? "prime256v1"
			    : type == PKIKS_KEY_EC_P384 ? "secp384r1"
							: NULL;
	unsigned char pub[1 + 2 * PKIKS_EC_MAX_BYTES];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EC_GROUP *g = curve ? EC_GROUP_new_by_curve_name(OBJ_sn2nid(curve))
			    : NULL;
	EC_POINT *pt_pub = g ? EC_POINT_new(g) : NULL;
	BIGNUM *d = BN_secure_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	size_t l, publen;

	if (!bld || !pt_pub || !d || len < 2)
		goto out;
	l = (size_t)pt[0] | (size_t)pt[1] << 8;
	if (l == 0 || l != len - 2 || !BN_bin2bn(pt + 2, (int)l, d) ||
	    !EC_POINT_mul(g, pt_pub, d, NULL, NULL, NULL))
		goto out;
	publen = EC_POINT_point2oct(g, pt_pub, POINT_CONVERSION_UNCOMPRESSED,
				    pub, sizeof(pub), NULL);
	if (!publen ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     curve, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
					      publen))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		goto out;
	EVP_PKEY_CTX_free(ctx);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx || EVP_PKEY_check(ctx) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	BN_clear_free(d);
	EC_POINT_free(pt_pub);
	EC_GROUP_free(g);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static int write_pem(const char *path, EVP_PKEY *pkey)
{
	FILE *f;
	int ok;

	umask(077);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "blobkey: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned char kek[PKIKS_KEK_LEN + 1], blob[BLOB_MAX], pt[BLOB_MAX];
	char name[PKIKS_NAME_MAX];
	EVP_PKEY *pkey = NULL;
	size_t pt_len = 0, hdr;
	long kek_len, len;
	uint32_t type;
	bool ec;
	int ret = 2;

	if (argc != 4) {
		fprintf(stderr, "usage: blobkey KEK_FILE BLOB_FILE OUT.pem\n");
		return 2;
	}
	kek_len = read_file(argv[1], kek, sizeof(kek));
	len = read_file(argv[2], blob, sizeof(blob));
	if (kek_len != PKIKS_KEK_LEN || len < 0) {
		fprintf(stderr, "blobkey: need a %d-byte KEK and a blob\n",
			PKIKS_KEK_LEN);
		goto out;
	}
	ret = 1;
	ec = len >= 4 && memcmp(blob, PKIKS_WRAP2_MAGIC, 4) == 0;
	hdr = ec ? PKIKS_WRAP2_HDR_LEN : PKIKS_WRAP_HDR_LEN;
	if ((size_t)len <= hdr + PKIKS_WRAP_TAG_LEN ||
	    (!ec && memcmp(blob, PKIKS_WRAP_MAGIC, 4) != 0)) {
		fprintf(stderr, "blobkey: %s: not a wrapped blob\n", argv[2]);
		goto out;
	}
	if (unseal(kek, blob, (size_t)len, hdr, pt, &pt_len)) {
		fprintf(stderr, "blobkey: %s: does not open with this KEK\n",
			argv[2]);
		goto out;
	}
	/* PKW2's key type: the u32 (LE) that ends its header. */
	type = ec ? (uint32_t)blob[hdr - 4] | (uint32_t)blob[hdr - 3] << 8 |
			    (uint32_t)blob[hdr - 2] << 16 |
			    (uint32_t)blob[hdr - 1] << 24
		  : 0;
	pkey = ec ? build_ec_key(pt, pt_len, type) : build_key(pt, pt_len);
	if (!pkey) {
		fprintf(stderr, "blobkey: %s: no valid %s key inside\n",
			argv[2], ec ? "EC" : "RSA");
		goto out;
	}
	ret = write_pem(argv[3], pkey) ? 2 : 0;
	/* The name field follows magic, nonce, owner, usage and bits. */
	memcpy(name, blob + 4 + PKIKS_WRAP_NONCE_LEN + 10, sizeof(name));
	name[sizeof(name) - 1] = 0;
	if (!ret)
		printf("%s\n", name);
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(pt, sizeof(pt));
	EVP_PKEY_free(pkey);
	return ret;
}
