// SPDX-License-Identifier: MIT
/*
 * tp-seed DB TP CA.pem: record CA.pem as trustpoint TP's CA certificate in
 * pkid's database, as an authenticated trustpoint would have it, so the
 * tests can exercise `grant auto trustpoint TP` without a second CA
 * server.  Test helper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../../daemon/core/db.h"

int main(int argc, char **argv)
{
	struct db_tp tp = {0};
	struct db *db = NULL;
	unsigned char *der = NULL;
	FILE *f;
	X509 *x;
	int len, ret;

	if (argc != 4) {
		fprintf(stderr, "usage: tp-seed DB TP CA.pem\n");
		return 2;
	}
	f = fopen(argv[3], "r");
	x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	len = x ? i2d_X509(x, &der) : -1;
	if (len <= 0) {
		fprintf(stderr, "tp-seed: %s: not a PEM certificate\n", argv[3]);
		return 1;
	}
	ret = db_open(&db, argv[1]);
	if (ret == 0 && db_tp_get(db, argv[2], &tp) == 0)
		free(tp.ca_cert);
	snprintf(tp.name, sizeof(tp.name), "%s", argv[2]);
	tp.ca_cert = der;
	tp.ca_cert_len = len;
	if (ret == 0)
		ret = db_tp_put(db, &tp);
	tp.ca_cert = NULL;
	db_tp_free(&tp);
	if (db)
		db_close(db);
	OPENSSL_free(der);
	X509_free(x);
	if (ret < 0)
		fprintf(stderr, "tp-seed: %s: %s\n", argv[1], strerror(-ret));
	return ret < 0 ? 1 : 0;
}
