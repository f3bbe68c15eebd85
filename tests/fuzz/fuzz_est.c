// SPDX-License-Identifier: MIT
/*
 * fuzz-est: what an EST client's body goes through before the CA sees it
 * (daemon/proto/est/est.c): the base64 body, the PKCS#10 request and its
 * signature, the re-enrollment name rule against a fixed certificate, and
 * the Content-Type test (the input as a header value).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "proto/est/est.h"

static X509 *cert;

/* A certificate the requests are compared with (CN=dev1). */
static void init(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	cert = X509_new();
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN",
				   MBSTRING_UTF8, (const unsigned char *)"dev1",
				   -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	X509_set_pubkey(cert, k);
	X509_sign(cert, k, EVP_sha256());
	EVP_PKEY_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *der = NULL;
	X509_REQ *csr = NULL;
	size_t len = 0;
	char *text;

	if (!cert)
		init();
	if (est_b64_decode(data, size, &der, &len) == 0) {
		if (est_csr_parse(der, len, &csr) == 0) {
			est_names_match(csr, cert);
			X509_REQ_free(csr);
		}
		free(der);
	}
	/* The raw bytes as DER too: a client may skip the base64. */
	if (est_csr_parse(data, size, &csr) == 0)
		X509_REQ_free(csr);
	text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
		est_media_is(text, "application/pkcs10");
		free(text);
	}
	return 0;
}
