// SPDX-License-Identifier: MIT
/*
 * tp-seed DB TP CA.pem [ID.pem KEY]: record CA.pem as trustpoint TP's CA
 * certificate in pkid's database, as an authenticated trustpoint would
 * have it, so the tests can exercise `grant auto trustpoint TP` without a
 * second CA server; with ID.pem, also an identity certificate for
 * keystore key KEY, as an enrolled trustpoint would have it (a parent
 * that issued a sub-cs something else than a CA certificate,
 * tests/hierarchy).  Test helper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../../daemon/core/db.h"

/* A PEM certificate and its DER (OPENSSL_malloc'd): its length, or -1. */
static int read_der(const char *path, X509 **x, unsigned char **der)
{
	FILE *f = fopen(path, "r");
	int len;

	*x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	len = *x ? i2d_X509(*x, der) : -1;
	if (len <= 0)
		fprintf(stderr, "tp-seed: %s: not a PEM certificate\n", path);
	return len;
}

int main(int argc, char **argv)
{
	struct db_tp tp = {0};
	struct db *db = NULL;
	unsigned char *der = NULL, *id_der = NULL;
	X509 *x, *id = NULL;
	int len, ret;

	if (argc != 4 && argc != 6) {
		fprintf(stderr, "usage: tp-seed DB TP CA.pem [ID.pem KEY]\n");
		return 2;
	}
	len = read_der(argv[3], &x, &der);
	if (len <= 0)
		return 1;
	if (argc == 6 && read_der(argv[4], &id, &id_der) <= 0)
		return 1;
	ret = db_open(&db, argv[1]);
	if (ret == 0 && db_tp_get(db, argv[2], &tp) == 0)
		free(tp.ca_cert);
	snprintf(tp.name, sizeof(tp.name), "%s", argv[2]);
	tp.ca_cert = der;
	tp.ca_cert_len = len;
	if (id) {
		free(tp.id_cert);
		tp.id_cert = id_der;
		tp.id_cert_len = i2d_X509(id, NULL);
		snprintf(tp.id_key, sizeof(tp.id_key), "%s", argv[5]);
	}
	if (ret == 0)
		ret = db_tp_put(db, &tp);
	tp.ca_cert = NULL;
	if (id)
		tp.id_cert = NULL;
	OPENSSL_free(id_der);
	X509_free(id);
	db_tp_free(&tp);
	if (db)
		db_close(db);
	OPENSSL_free(der);
	X509_free(x);
	if (ret < 0)
		fprintf(stderr, "tp-seed: %s: %s\n", argv[1], strerror(-ret));
	return ret < 0 ? 1 : 0;
}
