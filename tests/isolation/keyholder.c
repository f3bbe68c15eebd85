// SPDX-License-Identifier: MIT
/*
 * keyholder: the positive control of check-isolation.  Loads private keys
 * as anything that "just loads the key" would, says "ready" on stdout, and
 * keeps them in memory until killed.  If memscan cannot find a key in this
 * process, the search is broken and a clean scan of pkid would prove
 * nothing.
 *
 *   keyholder ARCHIVE.p12 PASSWORD     a PKCS#12 archive (CA keys)
 *   keyholder --pem KEY.pem...         PEM keys (opened from wrapped blobs)
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#define MAX_KEYS 64

static EVP_PKEY *load_p12(const char *path, const char *pass)
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	PKCS12 *p12;
	FILE *f;

	f = fopen(path, "rb");
	p12 = f ? d2i_PKCS12_fp(f, NULL) : NULL;
	if (f)
		fclose(f);
	if (p12 && !PKCS12_parse(p12, pass, &pkey, &cert, NULL))
		pkey = NULL;
	PKCS12_free(p12);
	X509_free(cert);
	return pkey;
}

static EVP_PKEY *load_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pkey;

	if (!f)
		return NULL;
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return pkey;
}

int main(int argc, char **argv)
{
	EVP_PKEY *keys[MAX_KEYS];
	int n = 0;

	if (argc == 3 && strcmp(argv[1], "--pem") != 0) {
		keys[n] = load_p12(argv[1], argv[2]);
		if (!keys[n++]) {
			fprintf(stderr, "keyholder: cannot open %s\n", argv[1]);
			return 1;
		}
	} else if (argc >= 3 && argc - 2 <= MAX_KEYS) {
		for (int i = 2; i < argc; i++) {
			keys[n] = load_pem(argv[i]);
			if (!keys[n++]) {
				fprintf(stderr, "keyholder: cannot load %s\n",
					argv[i]);
				return 1;
			}
		}
	} else {
		fprintf(stderr, "usage: keyholder ARCHIVE.p12 PASSWORD\n"
				"       keyholder --pem KEY.pem...\n");
		return 2;
	}
	/* Use each once, as a holder would, so every lazy form exists. */
	for (int i = 0; i < n; i++)
		if (EVP_PKEY_get_bits(keys[i]) <= 0)
			return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
