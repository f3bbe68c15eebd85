// SPDX-License-Identifier: MIT
/*
 * pkiks-vmtest mkblob: seals a wrapped-key blob in the format of
 * uapi/pkiks.h with OpenSSL's ChaCha20-Poly1305 (an implementation
 * independent of the kernel's lib/crypto), so the VM can check that the
 * module opens blobs it did not make.  Runs on the host.
 *   mkblob KEK_FILE KEY.pem NAME UID USAGE OUT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "vmtest.h"

static const char *const parts[8] = {
	OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
	OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
	OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

static void put_le(unsigned char *p, unsigned long v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* plaintext = for each part: u16 LE length || big-endian bytes */
static int plaintext_of(EVP_PKEY *pk, unsigned char *pt, size_t *len)
{
	BIGNUM *bn = NULL;
	size_t off = 0;
	int i, n;

	for (i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(pk, parts[i], &bn))
			return -EINVAL;
		n = BN_bn2bin(bn, pt + off + 2);
		put_le(pt + off, n, 2);
		off += 2 + n;
		BN_clear_free(bn);
		bn = NULL;
	}
	*len = off;
	return 0;
}

static int seal(const unsigned char *kek, unsigned char *blob, size_t hdr_len,
		const unsigned char *pt, size_t pt_len)
{
	unsigned char iv[12] = {0};
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	memcpy(iv + 4, blob + 4,
	       PKIKS_WRAP_NONCE_LEN); /* 4 zero bytes || nonce */
	ok = c &&
	     EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, kek, iv) &&
	     EVP_EncryptUpdate(c, NULL, &n, blob, hdr_len) &&
	     EVP_EncryptUpdate(c, blob + hdr_len, &n, pt, pt_len) &&
	     EVP_EncryptFinal_ex(c, blob + hdr_len + n, &n) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, PKIKS_WRAP_TAG_LEN,
				 blob + hdr_len + pt_len);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EIO;
}

int cmd_mkblob(int argc, char **argv)
{
	unsigned char *kek = NULL, pt[4096], blob[PKIKS_WRAPPED_MAX];
	size_t kek_len, pt_len = 0, len;
	EVP_PKEY *pk = NULL;
	FILE *f;
	int err;

	err = vm_read_file(argv[0], &kek, &kek_len);
	if (err)
		return err;
	if (kek_len != PKIKS_KEK_LEN || strlen(argv[2]) >= PKIKS_NAME_MAX) {
		free(kek);
		return vm_local_error("bad KEK length or name");
	}
	f = fopen(argv[1], "r");
	if (f) {
		pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	err = pk ? plaintext_of(pk, pt, &pt_len) : -EINVAL;
	if (err)
		goto out;
	memset(blob, 0, PKIKS_WRAP_HDR_LEN);
	memcpy(blob, PKIKS_WRAP_MAGIC, 4);
	RAND_bytes(blob + 4, PKIKS_WRAP_NONCE_LEN);
	put_le(blob + 12, strtoul(argv[3], NULL, 10), 4);
	put_le(blob + 16, strtoul(argv[4], NULL, 10), 4);
	put_le(blob + 20, EVP_PKEY_get_bits(pk), 2);
	memcpy(blob + 22, argv[2], strlen(argv[2]));
	err = seal(kek, blob, PKIKS_WRAP_HDR_LEN, pt, pt_len);
	len = PKIKS_WRAP_HDR_LEN + pt_len + PKIKS_WRAP_TAG_LEN;
	err = err ?: vm_write_file(argv[5], blob, len);
out:
	OPENSSL_cleanse(pt, sizeof(pt));
	OPENSSL_cleanse(kek, kek_len);
	free(kek);
	EVP_PKEY_free(pk);
	return err;
}

static int open_blob(const unsigned char *kek, const unsigned char *blob,
		     size_t len, unsigned char *pt)
{
	size_t hdr = PKIKS_WRAP_HDR_LEN,
	       ct_len = len - hdr - PKIKS_WRAP_TAG_LEN;
	unsigned char iv[12] = {0};
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	memcpy(iv + 4, blob + 4, PKIKS_WRAP_NONCE_LEN);
	ok = c &&
	     EVP_DecryptInit_ex(c, EVP_chacha20_poly1305(), NULL, kek, iv) &&
	     EVP_DecryptUpdate(c, NULL, &n, blob, hdr) &&
	     EVP_DecryptUpdate(c, pt, &n, blob + hdr, ct_len) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, PKIKS_WRAP_TAG_LEN,
				 (void *)(blob + hdr + ct_len)) &&
	     EVP_DecryptFinal_ex(c, pt + n, &n);
	EVP_CIPHER_CTX_free(c);
	return ok ? (int)ct_len : -EBADMSG;
}

/*
 * pkiks-vmtest openblob KEK_FILE BLOB KEY.pem: opens a blob the module
 * made with OpenSSL and checks that it holds exactly KEY.pem's components.
 */
int cmd_openblob(int argc, char **argv)
{
	unsigned char *kek = NULL, *blob = NULL, pt[4096], ref[4096];
	size_t kek_len, blob_len, ref_len = 0;
	EVP_PKEY *pk = NULL;
	FILE *f;
	int err, n;

	err = vm_read_file(argv[0], &kek, &kek_len);
	err = err ?: vm_read_file(argv[1], &blob, &blob_len);
	if (err)
		goto out;
	err = -EINVAL;
	if (kek_len != PKIKS_KEK_LEN || blob_len > sizeof(pt) ||
	    blob_len <= PKIKS_WRAP_HDR_LEN + PKIKS_WRAP_TAG_LEN ||
	    memcmp(blob, PKIKS_WRAP_MAGIC, 4))
		goto out;
	f = fopen(argv[2], "r");
	if (f) {
		pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	err = pk ? plaintext_of(pk, ref, &ref_len) : -EINVAL;
	if (err)
		goto out;
	n = open_blob(kek, blob, blob_len, pt);
	err = n < 0 ? n : 0;
	if (!err && ((size_t)n != ref_len || memcmp(pt, ref, ref_len)))
		err = vm_local_error("the blob does not hold %s", argv[2]);
out:
	OPENSSL_cleanse(pt, sizeof(pt));
	OPENSSL_cleanse(ref, sizeof(ref));
	if (kek)
		OPENSSL_cleanse(kek, kek_len);
	free(kek);
	free(blob);
	EVP_PKEY_free(pk);
	return err;
}
