// SPDX-License-Identifier: MIT
/*
 * scep-client: a minimal SCEP client for the bad-input tests, able to send
 * what well-behaved clients never do (single DES, a foreign signer, a
 * wrong message type).  Built on OpenSSL's CMS API and the codec's
 * attribute helpers.
 *
 *   scep-client req TYPE CIPHER SIGNER.pem KEY.pem RECIPIENT.der TID \
 *               CONTENT.der > request.der
 *   scep-client rep REPLY.der    prints "status=N failInfo=N"
 *   scep-client csr KEY.pem ATTR=VALUE... > csr.der
 *               a CSR whose subject attributes are UTF8Strings set as
 *               given, past the upper bounds openssl req enforces
 *
 * CIPHER is an OpenSSL cipher name (AES-128-CBC, DES-EDE3-CBC, DES-CBC;
 * DES-CBC loads the legacy provider).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

#include "../../daemon/proto/scep/scep.h"
#include "../../daemon/proto/scep/scep_attr.h"

static BIO *read_file(const char *path)
{
	BIO *in = BIO_new_file(path, "rb"), *mem = BIO_new(BIO_s_mem());
	char buf[4096];
	int n;

	if (!in) {
		fprintf(stderr, "scep-client: cannot read %s\n", path);
		exit(2);
	}
	while ((n = BIO_read(in, buf, sizeof(buf))) > 0)
		BIO_write(mem, buf, n);
	BIO_free(in);
	return mem;
}

static X509 *read_cert(const char *path)
{
	BIO *b = read_file(path);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	if (!x) {
		BIO_free(b);
		b = read_file(path);
		x = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	if (!x) {
		fprintf(stderr, "scep-client: %s: not a certificate\n", path);
		exit(2);
	}
	return x;
}

static int build(char **argv)
{
	const unsigned char nonce[SCEP_NONCE_LEN] = "scep-client-nonc";
	STACK_OF(X509) *recips = sk_X509_new_null();
	X509 *signer = read_cert(argv[2]);
	BIO *kb = read_file(argv[3]);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	EVP_CIPHER *cipher;
	CMS_ContentInfo *env = NULL, *cms = NULL;
	CMS_SignerInfo *si;
	BIO *content = read_file(argv[6]), *envder = BIO_new(BIO_s_mem());
	BIO *out = BIO_new_fp(stdout, BIO_NOCLOSE);
	OSSL_PROVIDER *legacy = NULL, *dflt;
	int ret = 1;

	if (!strcmp(argv[1], "DES-CBC"))
		legacy = OSSL_PROVIDER_load(NULL, "legacy");
	dflt = OSSL_PROVIDER_load(NULL, "default");
	cipher = EVP_CIPHER_fetch(NULL, argv[1], NULL);
	if (!key || !cipher) {
		fprintf(stderr, "scep-client: bad key or cipher\n");
		ret = 2;
		goto out;
	}
	sk_X509_push(recips, read_cert(argv[4]));
	env = CMS_encrypt(recips, content, cipher, CMS_BINARY);
	if (!env || i2d_CMS_bio(envder, env) != 1)
		goto out;
	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
	si = cms ? CMS_add1_signer(cms, signer, key, EVP_sha256(),
				   CMS_BINARY | CMS_PARTIAL)
		 : NULL;
	if (!si)
		goto out;
	scep_attr_add_string(si, SCEP_ATTR_MESSAGE_TYPE, argv[0]);
	scep_attr_add_string(si, SCEP_ATTR_TRANSACTION_ID, argv[5]);
	scep_attr_add_nonce(si, SCEP_ATTR_SENDER_NONCE, nonce);
	if (CMS_final(cms, envder, NULL, CMS_BINARY) != 1 ||
	    i2d_CMS_bio(out, cms) != 1)
		goto out;
	ret = 0;
out:
	if (ret == 1)
		ERR_print_errors_fp(stderr);
	/* Freed, though the process ends: the sanitizer build checks leaks. */
	CMS_ContentInfo_free(cms);
	CMS_ContentInfo_free(env);
	EVP_CIPHER_free(cipher);
	sk_X509_pop_free(recips, X509_free);
	X509_free(signer);
	EVP_PKEY_free(key);
	BIO_free(kb);
	BIO_free(content);
	BIO_free(envder);
	BIO_free(out);
	if (legacy)
		OSSL_PROVIDER_unload(legacy);
	if (dflt)
		OSSL_PROVIDER_unload(dflt);
	return ret;
}

static int show(const char *path)
{
	BIO *b = read_file(path);
	CMS_ContentInfo *cms = d2i_CMS_bio(b, NULL);
	CMS_SignerInfo *si;
	char status[16] = "", fail[16] = "-";
	int ret = 1;

	if (!cms || CMS_verify(cms, NULL, NULL, NULL, NULL,
			       CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		fprintf(stderr, "scep-client: reply does not verify\n");
		goto out;
	}
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	scep_attr_get_string(si, SCEP_ATTR_PKI_STATUS, status, sizeof(status));
	scep_attr_get_string(si, SCEP_ATTR_FAIL_INFO, fail, sizeof(fail));
	printf("status=%s failInfo=%s\n", status, fail);
	ret = 0;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(b);
	return ret;
}

/* A CSR with a subject openssl req would refuse to build (too long). */
static int make_csr(int argc, char **argv)
{
	BIO *kb = read_file(argv[0]);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	X509_REQ *csr = X509_REQ_new();
	X509_NAME *name = X509_REQ_get_subject_name(csr);
	unsigned char *der = NULL;
	int i, n, ret = 1;

	for (i = 1; key && i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq)
			goto out;
		*eq = '\0';
		/* A string type, not MBSTRING_*: no ASN1_STRING_TABLE bound. */
		if (!X509_NAME_add_entry_by_txt(name, argv[i], V_ASN1_UTF8STRING,
						(unsigned char *)eq + 1, -1,
						-1, 0))
			goto out;
	}
	if (!key || !X509_REQ_set_pubkey(csr, key) ||
	    !X509_REQ_sign(csr, key, EVP_sha256()))
		goto out;
	n = i2d_X509_REQ(csr, &der);
	if (n > 0 && fwrite(der, 1, n, stdout) == (size_t)n)
		ret = 0;
out:
	if (ret)
		ERR_print_errors_fp(stderr);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	BIO_free(kb);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "csr"))
		return make_csr(argc - 2, argv + 2);
	if (argc == 9 && !strcmp(argv[1], "req"))
		return build(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "rep"))
		return show(argv[2]);
	fprintf(stderr, "usage: scep-client req TYPE CIPHER SIGNER KEY "
			"RECIPIENT TID CONTENT | rep REPLY\n");
	return 2;
}
