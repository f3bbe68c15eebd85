// SPDX-License-Identifier: MIT
/*
 * libshared/ios_show.c in-process: IOS's time and countdown formats,
 * fingerprints in 8-digit groups, hex serials, names one attribute a line
 * with IOS's keys, and a hostile name escaped (no raw control byte).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../lib/cunit_run.h"
#include "ios_show.h"

#define MS 1000000ull
#define S  (1000 * MS)

static void test_time(void)
{
	char b[IOS_TIME_MAX];

	ios_time(b, sizeof(b), 1655889472);
	CU_ASSERT_STRING_EQUAL(b, "09:17:52 UTC Jun 22 2022");
	ios_time(b, sizeof(b), 1507450456); /* one-digit day: not padded */
	CU_ASSERT_STRING_EQUAL(b, "08:14:16 UTC Oct 8 2017");
	ios_time(b, sizeof(b), 0);
	CU_ASSERT_STRING_EQUAL(b, "-");
}

static void test_countdown(void)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} c[] = {
		{0, "0.000"},
		{15 * S + 651 * MS, "15.651"},
		{(7 * 60 + 49) * S + 3 * MS, "7:49.003"},
		{(5 * 3600 + 54 * 60 + 17) * S + 977 * MS, "5:54:17.977"},
		{(3 * 86400ull + 7 * 3600 + 5 * 60 + 24) * S + 3 * MS,
		 "3d 7:05:24.003"},
		{(639 * 86400ull + 23 * 3600 + 54 * 60 + 17) * S + 977 * MS,
		 "639d23:54:17.977"},
	};
	char b[40];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ios_countdown(b, sizeof(b), c[i].ns);
		CU_ASSERT_STRING_EQUAL(b, c[i].want);
	}
}

static void test_fingerprint(void)
{
	char b[IOS_FP_MAX];

	/* MD5("abc") = 900150983cd24fb0d6963f7d28e17f72 */
	CU_ASSERT_EQUAL(ios_fingerprint_der((const unsigned char *)"abc", 3,
					    EVP_md5(), b, sizeof(b)),
			0);
	CU_ASSERT_STRING_EQUAL(b, "90015098 3CD24FB0 D6963F7D 28E17F72");
	/* SHA-256 in 8 groups fills IOS_FP_MAX exactly; one less fails. */
	CU_ASSERT_EQUAL(ios_fingerprint_der((const unsigned char *)"abc", 3,
					    EVP_sha256(), b, sizeof(b)),
			0);
	CU_ASSERT_EQUAL(strlen(b), 71);
	CU_ASSERT_EQUAL(ios_fingerprint_der((const unsigned char *)"abc", 3,
					    EVP_sha256(), b, sizeof(b) - 1),
			-EINVAL);
}

/* A self-signed certificate with @subject's entries (type, value). */
static X509 *cert(const char *const *subject, long serial)
{
	EVP_PKEY *k = EVP_RSA_gen(1024);
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	size_t i;

	for (i = 0; subject[i]; i += 2)
		X509_NAME_add_entry_by_txt(n, subject[i], MBSTRING_UTF8,
					   (const unsigned char *)subject[i + 1],
					   -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return x;
}

static char *block(X509 *x, bool verbose)
{
	struct ios_cert_view v = {.title = "Certificate",
				  .status = "Available",
				  .trustpoint = "TP1",
				  .verbose = verbose};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ios_cert_block(f, x, &v);
	fclose(f);
	return buf;
}

static void test_block(void)
{
	static const char *const subj[] = {
		"O", "Example", "CN", "edge1", "unstructuredName",
		"edge1.example.net", NULL};
	X509 *x = cert(subj, 0x1a2b);
	char *b = block(x, false), serial[64], line[256];

	CU_ASSERT_EQUAL(ios_serial_hex(x, serial, sizeof(serial)), 0);
	CU_ASSERT_STRING_EQUAL(serial, "1A2B");
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Certificate\n  Status: Available\n"
					 "  Certificate Serial Number (hex): "
					 "1A2B\n  Certificate Usage: General "
					 "Purpose\n  Issuer:\n"
					 "    hostname=edge1.example.net\n"
					 "    cn=edge1\n    o=Example\n"
					 "  Subject:\n    Name: edge1.example.net\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "  Associated Trustpoints: TP1\n\n"));
	CU_ASSERT_PTR_NULL(strstr(b, "Fingerprint"));
	free(b);
	b = block(x, true);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "  Fingerprint MD5: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "  Fingerprint SHA256: "));
	free(b);
	ios_dn_line(X509_get_subject_name(x), line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line,
			       "hostname=edge1.example.net,cn=edge1,o=Example");
	X509_free(x);
}

/* A name an enrolling client chose: escaped, never raw, in every form. */
static void test_hostile_name(void)
{
	static const char *const subj[] = {"CN", "evil\x1b[2J\x07\nx", NULL};
	X509 *x = cert(subj, 1);
	char *b = block(x, true), line[256], *lines;
	const char *p;

	for (p = b; *p; p++)
		CU_ASSERT_FALSE((*p < 0x20 && *p != '\n') || *p == 0x7f);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "    cn=evil\\1B[2J\\07\\0Ax\n"));
	ios_dn_line(X509_get_subject_name(x), line, sizeof(line));
	CU_ASSERT_PTR_NULL(strpbrk(line, "\x1b\x07\n"));
	lines = ios_dn_lines(X509_get_subject_name(x), "  ");
	CU_ASSERT_STRING_EQUAL(lines, "  cn=evil\\1B[2J\\07\\0Ax\n");
	free(lines);
	free(b);
	X509_free(x);
}

/*
 * The one-line name of `show crypto pki server NAME requests`: the
 * attributes of one RDN joined by '+' as IOS joins them, and a value's
 * own separators escaped, so a client cannot fake an attribute.
 */
static void test_name_line(void)
{
	X509_NAME *n = X509_NAME_new();
	char line[256];

	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
				   (const unsigned char *)"Ex, Inc+1", -1, -1,
				   0);
	X509_NAME_add_entry_by_txt(n, "unstructuredName", MBSTRING_UTF8,
				   (const unsigned char *)"r1.example.net", -1,
				   -1, 0);
	/* set -1: the serialNumber joins the hostname's RDN */
	X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
				   (const unsigned char *)"67109088", -1, -1,
				   -1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
				   (const unsigned char *)"x,cn=admin\n", -1,
				   -1, 0);
	ios_dn_line(n, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "cn=x\\,cn=admin\\0A,"
				     "serialNumber=67109088+hostname=r1."
				     "example.net,o=Ex\\, Inc\\+1");
	/* bounded: a short buffer truncates, NUL-terminated */
	ios_dn_line(n, line, 8);
	CU_ASSERT_EQUAL(strlen(line), 7);
	X509_NAME_free(n);
}

int main(void)
{
	static const struct cu_case cases[] = {
		{"IOS time", test_time},
		{"IOS countdowns", test_countdown},
		{"fingerprints in 8-digit groups", test_fingerprint},
		{"certificate block, serial, names", test_block},
		{"a hostile name is escaped", test_hostile_name},
		{"one-line names: RDN sets, separators escaped",
		 test_name_line},
	};

	return cu_run_suite("ios_show", NULL, NULL, CU_CASES(cases));
}
