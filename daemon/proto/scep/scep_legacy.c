// SPDX-License-Identifier: MIT
/*
 * Envelopes with a legacy content cipher (single DES; 3DES too, for a
 * client that wants one road for both): old SCEP clients and servers
 * still use them.  OpenSSL 3 keeps single DES in its legacy provider;
 * loading that provider process-wide would let every other operation of
 * pkid use DES, RC4 or MD4 as well.  So it is loaded, with the default
 * provider, into a library context of its own, and only the content
 * cipher is taken from there: the content-encryption key is still
 * decrypted with our key where it lives (the keystore, through the pkiks
 * provider of the default context).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "scep.h"

static OSSL_LIB_CTX *legacy_ctx;
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;

/* The private context: legacy and default providers, kept until exit. */
static void legacy_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (ctx && OSSL_PROVIDER_load(ctx, "legacy") &&
	    OSSL_PROVIDER_load(ctx, "default"))
		legacy_ctx = ctx;
	else
		OSSL_LIB_CTX_free(ctx);
}

/* The recipient info naming cert (issuer and serial), NULL if none. */
static PKCS7_RECIP_INFO *recipient_of(PKCS7_ENVELOPE *env, X509 *cert)
{
	PKCS7_RECIP_INFO *ri;
	int i;

	for (i = 0; i < sk_PKCS7_RECIP_INFO_num(env->recipientinfo); i++) {
		ri = sk_PKCS7_RECIP_INFO_value(env->recipientinfo, i);
		if (!X509_NAME_cmp(ri->issuer_and_serial->issuer,
				   X509_get_issuer_name(cert)) &&
		    !ASN1_INTEGER_cmp(ri->issuer_and_serial->serial,
				      X509_get0_serialNumber(cert)))
			return ri;
	}
	return NULL;
}

/* The content-encryption key, decrypted with key (keystore or memory)
 * into a buffer of the size the key asks for (RSA: its modulus); want
 * bytes of it. */
static int content_key(PKCS7_RECIP_INFO *ri, EVP_PKEY *key,
		       unsigned char *cek, size_t want)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, SCEP_PROPQ);
	const unsigned char *in = ASN1_STRING_get0_data(ri->enc_key);
	size_t in_len = (size_t)ASN1_STRING_length(ri->enc_key), size = 0;
	unsigned char *buf = NULL;
	int ret = -EPROTO;

	if (!pctx || EVP_PKEY_decrypt_init(pctx) != 1 ||
	    EVP_PKEY_decrypt(pctx, NULL, &size, in, in_len) != 1 || !size)
		goto out;
	buf = malloc(size);
	if (buf && EVP_PKEY_decrypt(pctx, buf, &size, in, in_len) == 1 &&
	    size == want) {
		memcpy(cek, buf, want);
		ret = 0;
	}
out:
	if (buf)
		OPENSSL_clear_free(buf, size);
	EVP_PKEY_CTX_free(pctx);
	return ret;
}

/* The content cipher from the private context; its IV from params. */
static EVP_CIPHER *content_cipher(const X509_ALGOR *alg, unsigned char *iv)
{
	int nid = OBJ_obj2nid(alg->algorithm);
	const char *name = nid == NID_des_cbc	   ? "DES-CBC"
			   : nid == NID_des_ede3_cbc ? "DES-EDE3-CBC"
						     : NULL;
	const ASN1_TYPE *p = alg->parameter;
	EVP_CIPHER *c;

	pthread_once(&legacy_once, legacy_init);
	if (!name || !legacy_ctx || !p || p->type != V_ASN1_OCTET_STRING)
		return NULL;
	c = EVP_CIPHER_fetch(legacy_ctx, name, NULL);
	if (!c || ASN1_STRING_length(p->value.octet_string) !=
			  EVP_CIPHER_get_iv_length(c)) {
		EVP_CIPHER_free(c);
		return NULL;
	}
	memcpy(iv, ASN1_STRING_get0_data(p->value.octet_string),
	       EVP_CIPHER_get_iv_length(c));
	return c;
}

static int decrypt(const EVP_CIPHER *c, const unsigned char *cek,
		   const unsigned char *iv, const ASN1_OCTET_STRING *in,
		   unsigned char **out, long *out_len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = in ? ASN1_STRING_length(in) : 0, m = 0, f = 0, ret = -EPROTO;
	unsigned char *buf = n > 0 ? malloc((size_t)n + 16) : NULL;

	if (ctx && buf && EVP_DecryptInit_ex2(ctx, c, cek, iv, NULL) == 1 &&
	    EVP_DecryptUpdate(ctx, buf, &m, ASN1_STRING_get0_data(in), n) ==
		    1 &&
	    EVP_DecryptFinal_ex(ctx, buf + m, &f) == 1 && m + f > 0) {
		*out = buf;
		*out_len = m + f;
		buf = NULL;
		ret = 0;
	}
	free(buf);
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int scep_legacy_open(const unsigned char *der, long len, X509 *cert,
		     EVP_PKEY *key, unsigned char **out, long *out_len)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
	unsigned char cek[EVP_MAX_KEY_LENGTH], iv[EVP_MAX_IV_LENGTH];
	PKCS7_RECIP_INFO *ri;
	EVP_CIPHER *c = NULL;
	int ret = -EPROTO;

	if (!p7 || OBJ_obj2nid(p7->type) != NID_pkcs7_enveloped)
		goto out;
	ri = recipient_of(p7->d.enveloped, cert);
	c = content_cipher(p7->d.enveloped->enc_data->algorithm, iv);
	if (!ri || !c)
		goto out;
	/* A key that does not decrypt goes on as a random one, as OpenSSL's
	 * CMS does: the failure shows only as content that does not decrypt,
	 * never as a different answer (Bleichenbacher's padding oracle). */
	if (content_key(ri, key, cek, (size_t)EVP_CIPHER_get_key_length(c)) <
		    0 &&
	    RAND_bytes(cek, EVP_CIPHER_get_key_length(c)) != 1)
		goto out;
	ret = decrypt(c, cek, iv, p7->d.enveloped->enc_data->enc_data, out,
		      out_len);
out:
	OPENSSL_cleanse(cek, sizeof(cek));
	EVP_CIPHER_free(c);
	PKCS7_free(p7);
	return ret;
}
