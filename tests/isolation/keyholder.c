// SPDX-License-Identifier: MIT
/*
 * keyholder: the positive control of check-isolation.  Opens a PKCS#12
 * archive with its password, as anything that "just loads the key" would,
 * says "ready" on stdout, and keeps the key in memory until killed.  If
 * memscan cannot find the key in this process, the search is broken and a
 * clean scan of pkid would prove nothing.
 *
 *   keyholder ARCHIVE.p12 PASSWORD
 */
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

int main(int argc, char **argv)
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	PKCS12 *p12;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: keyholder ARCHIVE.p12 PASSWORD\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	p12 = f ? d2i_PKCS12_fp(f, NULL) : NULL;
	if (f)
		fclose(f);
	if (!p12 || !PKCS12_parse(p12, argv[2], &pkey, &cert, NULL) || !pkey) {
		fprintf(stderr, "keyholder: cannot open %s\n", argv[1]);
		return 1;
	}
	PKCS12_free(p12);
	/* Use it once, as a holder would, so every lazy form exists. */
	if (EVP_PKEY_get_bits(pkey) <= 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
