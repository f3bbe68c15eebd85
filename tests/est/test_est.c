// SPDX-License-Identifier: MIT
/*
 * check-est-codec: EST's message codec (daemon/proto/est/est.c) with
 * in-memory keys: base64 in (blanks and line breaks, padding rules,
 * bounds) and out (round trip), PKCS#10 parsing (trailing bytes, a bad
 * signature), the certs-only PKCS#7, the re-enrollment name rule, and the
 * Content-Type test.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "est.h"
#include "../lib/cunit_run.h"

static EVP_PKEY *key;

static int suite_init(void)
{
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return key ? 0 : 1;
}

static int suite_clean(void)
{
	EVP_PKEY_free(key);
	return 0;
}

/* A request for CN=cn with subjectAltName san (NULL: none), DER. */
static unsigned char *make_csr(const char *cn, const char *san, int *len)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	unsigned char *der = NULL;

	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
				   MBSTRING_UTF8, (const unsigned char *)cn, -1,
				   -1, 0);
	X509_REQ_set_pubkey(req, key);
	if (san) {
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(
						     NULL, NULL,
						     NID_subject_alt_name,
						     san));
		X509_REQ_add_extensions(req, exts);
	}
	X509_REQ_sign(req, key, EVP_sha256());
	*len = i2d_X509_REQ(req, &der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return der;
}

/* A self-signed certificate for CN=cn with subjectAltName san. */
static X509 *make_cert(const char *cn, const char *san)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
				   MBSTRING_UTF8, (const unsigned char *)cn, -1,
				   -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (san)
		X509_add_ext(x,
			     X509V3_EXT_conf_nid(NULL, &ctx,
						 NID_subject_alt_name, san),
			     -1);
	X509_sign(x, key, EVP_sha256());
	return x;
}

static int decode(const char *s, unsigned char **out, size_t *len)
{
	return est_b64_decode((const unsigned char *)s, strlen(s), out, len);
}

static void test_b64_decode(void)
{
	unsigned char *out = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL(decode("aGVsbG8=", &out, &len), 0);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_EQUAL(memcmp(out, "hello", 5), 0);
	free(out);
	/* Line breaks and blanks anywhere are fine. */
	CU_ASSERT_EQUAL(decode(" aGVs\r\nbG8h\n\t", &out, &len), 0);
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_EQUAL(memcmp(out, "hello!", 6), 0);
	free(out);
	/* Not base64: other characters, a truncated quantum, '=' inside,
	 * nothing at all, only padding. */
	CU_ASSERT_EQUAL(decode("aGVs*G8=", &out, &len), -EBADMSG);
	CU_ASSERT_EQUAL(decode("aGVsbG8", &out, &len), -EBADMSG);
	CU_ASSERT_EQUAL(decode("aG=sbG8=", &out, &len), -EBADMSG);
	CU_ASSERT_EQUAL(decode("", &out, &len), -EBADMSG);
	CU_ASSERT_EQUAL(decode("\r\n", &out, &len), -EBADMSG);
	CU_ASSERT_EQUAL(decode("====", &out, &len), -EBADMSG);
	CU_ASSERT_EQUAL(decode("aGVsbG8=\x01", &out, &len), -EBADMSG);
}

static void test_b64_bounds(void)
{
	size_t n = EST_DER_MAX / 3 * 4 + 8, len = 0;
	unsigned char *in = malloc(n), *out = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	/* Decodes to just over EST_DER_MAX: refused as too large. */
	memset(in, 'A', n);
	CU_ASSERT_EQUAL(est_b64_decode(in, n, &out, &len), -EMSGSIZE);
	free(in);
	/* Far too long to look at. */
	in = calloc(1, 4 * EST_DER_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	memset(in, 'A', 4 * EST_DER_MAX);
	CU_ASSERT_EQUAL(est_b64_decode(in, 4 * EST_DER_MAX, &out, &len),
			-EMSGSIZE);
	free(in);
}

static void test_b64_round_trip(void)
{
	unsigned char data[200], *back = NULL;
	size_t len = 0, blen = 0;
	char *text = NULL;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37 + 11);
	CU_ASSERT_EQUAL_FATAL(est_b64_encode(data, sizeof(data), &text, &len),
			      0);
	CU_ASSERT_EQUAL(strlen(text), len);
	/* 64-character lines. */
	CU_ASSERT_EQUAL(strchr(text, '\n') - text, 64);
	CU_ASSERT_EQUAL(est_b64_decode((unsigned char *)text, len, &back,
				       &blen),
			0);
	CU_ASSERT_EQUAL(blen, sizeof(data));
	CU_ASSERT_EQUAL(memcmp(back, data, blen), 0);
	free(text);
	free(back);
}

static void test_csr_parse(void)
{
	int len = 0;
	unsigned char *der = make_csr("dev1", "DNS:dev1.example", &len);
	unsigned char *more = malloc((size_t)len + 1);
	X509_REQ *csr = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(der);
	CU_ASSERT_EQUAL(est_csr_parse(der, (size_t)len, &csr), 0);
	CU_ASSERT_PTR_NOT_NULL(csr);
	X509_REQ_free(csr);
	csr = NULL;
	/* Trailing bytes: not one request. */
	memcpy(more, der, (size_t)len);
	more[len] = 0;
	CU_ASSERT_EQUAL(est_csr_parse(more, (size_t)len + 1, &csr), -EBADMSG);
	/* Cut short. */
	CU_ASSERT_EQUAL(est_csr_parse(der, (size_t)len - 1, &csr), -EBADMSG);
	/* The signature's last byte changed: it does not verify. */
	der[len - 1] ^= 1;
	CU_ASSERT_EQUAL(est_csr_parse(der, (size_t)len, &csr), -EKEYREJECTED);
	CU_ASSERT_PTR_NULL(csr);
	free(more);
	OPENSSL_free(der);
}

/* The same request signed twice by the EC key: two DERs (ECDSA is
 * randomised), one certificationRequestInfo; another subject, another. */
static void test_csr_info(void)
{
	int l1 = 0, l2 = 0, l3 = 0;
	unsigned char *a = make_csr("dev1", "DNS:dev1.example", &l1);
	unsigned char *b = make_csr("dev1", "DNS:dev1.example", &l2);
	unsigned char *c = make_csr("dev2", "DNS:dev1.example", &l3);
	const unsigned char *ia, *ib, *ic;
	size_t na = 0, nb = 0, nc = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_FALSE(l1 == l2 && !memcmp(a, b, (size_t)l1));
	CU_ASSERT_EQUAL(est_csr_info(a, (size_t)l1, &ia, &na), 0);
	CU_ASSERT_EQUAL(est_csr_info(b, (size_t)l2, &ib, &nb), 0);
	CU_ASSERT_EQUAL(est_csr_info(c, (size_t)l3, &ic, &nc), 0);
	CU_ASSERT(na > 0 && na < (size_t)l1 && ia > a);
	CU_ASSERT(na == nb && !memcmp(ia, ib, na));
	CU_ASSERT_FALSE(na == nc && !memcmp(ia, ic, na));
	/* Cut inside the info, or not a SEQUENCE: refused, never read
	 * past the end. */
	CU_ASSERT_EQUAL(est_csr_info(a, (size_t)(ia - a) + na - 1, &ib, &nb),
			-EBADMSG);
	CU_ASSERT_EQUAL(est_csr_info(a, 3, &ib, &nb), -EBADMSG);
	a[0] = 0x04;
	CU_ASSERT_EQUAL(est_csr_info(a, (size_t)l1, &ib, &nb), -EBADMSG);
	OPENSSL_free(a);
	OPENSSL_free(b);
	OPENSSL_free(c);
}

static void test_certs_only(void)
{
	X509 *a = make_cert("a", NULL), *b = make_cert("b", NULL);
	STACK_OF(X509) *sk = sk_X509_new_null();
	const unsigned char *p;
	unsigned char *der = NULL;
	size_t len = 0;
	PKCS7 *p7;

	sk_X509_push(sk, a);
	sk_X509_push(sk, b);
	CU_ASSERT_EQUAL_FATAL(est_certs_only(sk, &der, &len), 0);
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p7);
	CU_ASSERT_TRUE(PKCS7_type_is_signed(p7));
	CU_ASSERT_EQUAL(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info), 0);
	CU_ASSERT_EQUAL(sk_X509_num(p7->d.sign->cert), 2);
	CU_ASSERT_EQUAL(X509_cmp(sk_X509_value(p7->d.sign->cert, 0), a), 0);
	PKCS7_free(p7);
	OPENSSL_free(der);
	sk_X509_free(sk);
	X509_free(a);
	X509_free(b);
}

static X509_REQ *csr_of(const char *cn, const char *san)
{
	int len = 0;
	unsigned char *der = make_csr(cn, san, &len);
	const unsigned char *p = der;
	X509_REQ *r = d2i_X509_REQ(NULL, &p, len);

	OPENSSL_free(der);
	return r;
}

static void test_names_match(void)
{
	X509 *c = make_cert("dev1", "DNS:dev1.example"),
	     *bare = make_cert("dev1", NULL);
	X509_REQ *same = csr_of("dev1", "DNS:dev1.example"),
		 *cn = csr_of("dev2", "DNS:dev1.example"),
		 *san = csr_of("dev1", "DNS:dev2.example"),
		 *more = csr_of("dev1", "DNS:dev1.example,DNS:x.example"),
		 *none = csr_of("dev1", NULL);

	CU_ASSERT_TRUE(est_names_match(same, c));
	CU_ASSERT_FALSE(est_names_match(cn, c));
	CU_ASSERT_FALSE(est_names_match(san, c));
	CU_ASSERT_FALSE(est_names_match(more, c));
	CU_ASSERT_FALSE(est_names_match(none, c));
	CU_ASSERT_FALSE(est_names_match(same, bare));
	CU_ASSERT_TRUE(est_names_match(none, bare));
	X509_REQ_free(same);
	X509_REQ_free(cn);
	X509_REQ_free(san);
	X509_REQ_free(more);
	X509_REQ_free(none);
	X509_free(c);
	X509_free(bare);
}

static void test_media(void)
{
	CU_ASSERT_TRUE(est_media_is("application/pkcs10", "application/pkcs10"));
	CU_ASSERT_TRUE(est_media_is("Application/PKCS10; charset=x",
				    "application/pkcs10"));
	CU_ASSERT_TRUE(est_media_is(" application/pkcs10 ", "application/pkcs10"));
	CU_ASSERT_FALSE(est_media_is("application/pkcs10x", "application/pkcs10"));
	CU_ASSERT_FALSE(est_media_is("text/plain", "application/pkcs10"));
	CU_ASSERT_FALSE(est_media_is(NULL, "application/pkcs10"));
}

int main(void)
{
	static const struct cu_case cases[] = {
		{"base64 decode", test_b64_decode},
		{"base64 bounds", test_b64_bounds},
		{"base64 round trip", test_b64_round_trip},
		{"PKCS#10 parse", test_csr_parse},
		{"PKCS#10 request info", test_csr_info},
		{"certs-only PKCS#7", test_certs_only},
		{"re-enrollment names", test_names_match},
		{"content type", test_media},
	};

	return cu_run_suite("est codec", suite_init, suite_clean,
			    CU_CASES(cases));
}
