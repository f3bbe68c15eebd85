/* SPDX-License-Identifier: MIT */
/*
 * The shapes of IOS `show crypto pki ...` output, shared by pkid (the
 * server's and trustpoints' views) and pkictl (timers, keys): IOS's time
 * format, hex serials, fingerprints in 8-digit groups, countdowns, and the
 * certificate block of `show crypto pki certificates` (docs/SHOW.md).
 *
 * Every string that comes from a certificate (names, URLs) is escaped
 * here: control characters and bytes above 0x7e never reach a view.
 */
#ifndef PKID_IOS_SHOW_H
#define PKID_IOS_SHOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Room for the longest fingerprint: SHA-256 in 8 groups, NUL. */
#define IOS_FP_MAX 72
#define IOS_TIME_MAX 40

/* "09:17:52 UTC Jun 22 2022"; "-" for t <= 0. */
void ios_time(char *buf, size_t len, int64_t t);
/* "639d23:54:17.977", "5:54:17.977", "7:49.003", "15.651". */
void ios_countdown(char *buf, size_t len, uint64_t ns);
/* Digest @md of @x's DER in upper-case hex, a space every 8 digits. */
int ios_fingerprint(X509 *x, const EVP_MD *md, char *buf, size_t len);
/* The same for any DER (a public key, a request). */
int ios_fingerprint_der(const unsigned char *der, size_t len, const EVP_MD *md,
			char *buf, size_t size);
/* The serial as IOS prints it, "01", "6A3F01": even digits, upper case. */
int ios_serial_hex(X509 *x, char *buf, size_t len);
/* "cn=RootCA,ou=TAC,o=Cisco": last RDN first, IOS's keys, escaped. */
int ios_dn_line(const X509_NAME *n, char *buf, size_t len);
/* One attribute a line, each after @indent, last RDN first; malloc'd. */
char *ios_dn_lines(const X509_NAME *n, const char *indent);
/* "Signature", "Encryption" or "General Purpose", from keyUsage. */
const char *ios_cert_usage(X509 *x);

struct ios_cert_view {
	const char *title;	/* "CA Certificate", "Certificate (Rollover)" */
	const char *status;	/* "Available", "Revoked", "Expired" */
	const char *trustpoint; /* Associated Trustpoints, NULL: no line */
	int64_t renew;		/* renew date, 0: no line */
	bool verbose;		/* IOS's verbose fields and pkid's extras */
	const char *extra;	/* verbose only: more lines, "  ...\n" each */
};

/* "RA KeyEncipher Certificate" for an encryption-only RA certificate,
 * else "RA Signature Certificate" (IOS has no title for one of both). */
const char *ios_ra_title(X509 *x);

/* One certificate as IOS prints it, then an empty line. */
int ios_cert_block(FILE *f, X509 *x, const struct ios_cert_view *v);

#endif /* PKID_IOS_SHOW_H */
