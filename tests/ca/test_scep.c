// SPDX-License-Identifier: MIT
/*
 * Unit test of the SCEP codec (daemon/scep*.c) with in-memory keys: the
 * test plays the SCEP client with OpenSSL's CMS API, the codec plays the
 * server, and each side checks what the other built.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "../../daemon/proto/scep/scep.h"
#include "../../daemon/proto/scep/scep_attr.h"
#include "../../daemon/core/log.h"
#include "../../daemon/ca/ca_limit.h"

static EVP_PKEY *ca_key, *client_key, *other_key;
static X509 *ca_cert, *client_cert, *other_cert;
static const int64_t NOW = 1800000000; /* 2027-01-15 */

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, NULL);
	X509_time_adj_ex(X509_getm_notAfter(x), 30, 0, NULL);
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	X509_NAME_free(n);
	return x;
}

static X509_REQ *make_csr(EVP_PKEY *key, const char *challenge)
{
	X509_REQ *csr = X509_REQ_new();
	X509_NAME *n = X509_REQ_get_subject_name(csr);

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"client", -1, -1, 0);
	X509_REQ_set_pubkey(csr, key);
	if (challenge)
		X509_REQ_add1_attr_by_NID(csr, NID_pkcs9_challengePassword,
					  MBSTRING_ASC,
					  (const unsigned char *)challenge, -1);
	X509_REQ_sign(csr, key, EVP_sha256());
	return csr;
}

/* A client-side SCEP request: sign(envelope(content)) with SCEP attrs. */
static int build_request(int type, const unsigned char *content, int len,
			 const EVP_CIPHER *cipher, X509 *signer, EVP_PKEY *key,
			 const char *transid, unsigned char **out)
{
	STACK_OF(X509) *recips = sk_X509_new_null();
	const unsigned char nonce[SCEP_NONCE_LEN] = "0123456789abcdef";
	CMS_ContentInfo *env, *cms;
	CMS_SignerInfo *si;
	BIO *in = BIO_new_mem_buf(content, len);
	BIO *envder = BIO_new(BIO_s_mem());
	char num[8];
	int n = -1;

	sk_X509_push(recips, ca_cert);
	env = CMS_encrypt(recips, in, cipher, CMS_BINARY);
	if (!env)
		goto out;
	i2d_CMS_bio(envder, env);
	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
	si = CMS_add1_signer(cms, signer, key, EVP_sha256(),
			     CMS_BINARY | CMS_PARTIAL);
	snprintf(num, sizeof(num), "%d", type);
	scep_attr_add_string(si, SCEP_ATTR_MESSAGE_TYPE, num);
	scep_attr_add_string(si, SCEP_ATTR_TRANSACTION_ID, transid);
	scep_attr_add_nonce(si, SCEP_ATTR_SENDER_NONCE, nonce);
	CMS_final(cms, envder, NULL, CMS_BINARY);
	n = i2d_CMS_ContentInfo(cms, out);
	CMS_ContentInfo_free(cms);
	CMS_ContentInfo_free(env);
out:
	BIO_free(in);
	BIO_free(envder);
	sk_X509_free(recips);
	return n;
}

static int build_pkcsreq(const EVP_CIPHER *cipher, const char *challenge,
			 X509 *signer, EVP_PKEY *key, unsigned char **out)
{
	X509_REQ *csr = make_csr(client_key, challenge);
	unsigned char *der = NULL;
	int len = i2d_X509_REQ(csr, &der), n;

	n = build_request(SCEP_MSG_PKCSREQ, der, len, cipher, signer, key,
			  "4711", out);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	return n;
}

static int parse(const unsigned char *der, int len, struct scep_request *req,
		 enum scep_fail_info *fail)
{
	struct scep_recipient r = {.cert = ca_cert, .key = ca_key};

	return scep_parse(der, len, &r, 1, req, fail);
}

static void test_parse_pkcsreq(void)
{
	const EVP_CIPHER *ciphers[] = {EVP_aes_128_cbc(), EVP_aes_256_cbc(),
				       EVP_des_ede3_cbc()};
	size_t i;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		struct scep_request req;
		enum scep_fail_info fail;
		unsigned char *der = NULL;
		int len = build_pkcsreq(ciphers[i], "s3cret", client_cert,
					client_key, &der);

		CU_ASSERT_FATAL(len > 0);
		CU_ASSERT_EQUAL(parse(der, len, &req, &fail), 0);
		CU_ASSERT_EQUAL(req.type, SCEP_MSG_PKCSREQ);
		CU_ASSERT_STRING_EQUAL(req.transaction_id, "4711");
		CU_ASSERT_EQUAL(req.recipient_index, 0);
		CU_ASSERT_PTR_NOT_NULL(req.csr);
		CU_ASSERT_PTR_NOT_NULL_FATAL(req.challenge);
		CU_ASSERT_STRING_EQUAL(req.challenge, "s3cret");
		CU_ASSERT_EQUAL(X509_cmp(req.signer, client_cert), 0);
		CU_ASSERT_EQUAL(memcmp(req.sender_nonce, "0123456789abcdef",
				       SCEP_NONCE_LEN),
				0);
		scep_request_free(&req);
		OPENSSL_free(der);
	}
}

static void test_parse_rejects(void)
{
	struct scep_request req;
	enum scep_fail_info fail;
	unsigned char *der = NULL;
	unsigned char garbage[64];
	int len;

	/* Not CMS at all: no CertRep possible. */
	RAND_bytes(garbage, sizeof(garbage));
	CU_ASSERT_EQUAL(parse(garbage, sizeof(garbage), &req, &fail), -EBADMSG);
	scep_request_free(&req);

	/* Truncated. */
	len = build_pkcsreq(EVP_aes_128_cbc(), NULL, client_cert, client_key,
			    &der);
	CU_ASSERT_EQUAL(parse(der, len / 2, &req, &fail), -EBADMSG);
	scep_request_free(&req);

	/* A flipped byte near the end (signature): badMessageCheck. */
	der[len - 5] ^= 0x55;
	CU_ASSERT_EQUAL(parse(der, len, &req, &fail), -EPROTO);
	CU_ASSERT_EQUAL(fail, SCEP_FAIL_BAD_MESSAGE_CHECK);
	CU_ASSERT_STRING_EQUAL(req.transaction_id, "4711");
	scep_request_free(&req);
	OPENSSL_free(der);
	der = NULL;

	/* Enveloped to someone else: badMessageCheck. */
	{
		X509 *save = ca_cert;

		ca_cert = other_cert;
		len = build_pkcsreq(EVP_aes_128_cbc(), NULL, client_cert,
				    client_key, &der);
		ca_cert = save;
	}
	CU_ASSERT_EQUAL(parse(der, len, &req, &fail), -EPROTO);
	CU_ASSERT_EQUAL(fail, SCEP_FAIL_BAD_MESSAGE_CHECK);
	scep_request_free(&req);
	OPENSSL_free(der);
	der = NULL;

	/* Unknown messageType: badRequest. */
	len = build_request(99, (const unsigned char *)"x", 1,
			    EVP_aes_128_cbc(), client_cert, client_key, "1",
			    &der);
	CU_ASSERT_EQUAL(parse(der, len, &req, &fail), -EPROTO);
	CU_ASSERT_EQUAL(fail, SCEP_FAIL_BAD_REQUEST);
	scep_request_free(&req);
	OPENSSL_free(der);
	der = NULL;

	/* Content that is no CSR: badRequest. */
	len = build_request(SCEP_MSG_PKCSREQ, (const unsigned char *)"xyz", 3,
			    EVP_aes_128_cbc(), client_cert, client_key, "2",
			    &der);
	CU_ASSERT_EQUAL(parse(der, len, &req, &fail), -EPROTO);
	CU_ASSERT_EQUAL(fail, SCEP_FAIL_BAD_REQUEST);
	scep_request_free(&req);
	OPENSSL_free(der);
}

/*
 * A transactionID outside PrintableString (issue 19 #7: a newline forged
 * a log line, ESC reached the terminal) is not a SCEP message.
 */
static void test_parse_transaction_id(void)
{
	static const char *const bad[] = {
		"a\n%PKI-6-CS_GRANT: forged", "esc\x1b[31m", "tab\there",
		"del\x7f", "caf\xc3\xa9", "semi;colon", "back\\slash"};
	static const char *const good[] = {
		"4711", "0123456789ABCDEF", "base64+/=", "a b-c.d:e(f)g,h'i?"};
	struct scep_request req;
	enum scep_fail_info fail;
	unsigned char *der;
	size_t i;
	int len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		der = NULL;
		len = build_request(SCEP_MSG_PKCSREQ, (const unsigned char *)"x",
				    1, EVP_aes_128_cbc(), client_cert,
				    client_key, bad[i], &der);
		CU_ASSERT_FATAL(len > 0);
		CU_ASSERT_EQUAL(parse(der, len, &req, &fail), -EBADMSG);
		CU_ASSERT_FALSE(scep_transaction_id_ok(bad[i]));
		scep_request_free(&req);
		OPENSSL_free(der);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_TRUE(scep_transaction_id_ok(good[i]));
	CU_ASSERT_FALSE(scep_transaction_id_ok(""));
}

/* What pkid_log() wrote to stderr for one message. */
static void logged(const char *arg, char *buf, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	CU_ASSERT_FATAL(tmp && saved >= 0);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	pkid_log(LOG_INFO, "CS_TEST", "tid %s end", arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, size - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

/* The log's last line of defence: one line, no control bytes, UTF-8 kept. */
static void test_log_escape(void)
{
	char buf[512];

	logged("a\n%PKI-6-CS_GRANT: forged\x1b[2J\x7f", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "pkid: %PKI-6-CS_TEST: tid a\\x0a%PKI-6-"
				    "CS_GRANT: forged\\x1b[2J\\x7f end\n");
	/* UTF-8 passes; a C1 control (CSI, U+009B) and a lone byte do not. */
	logged("caf\xc3\xa9 \xc2\x9b \xff", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "pkid: %PKI-6-CS_TEST: tid caf\xc3\xa9 "
				    "\\xc2\\x9b \\xff end\n");
}

/* Failed challenges: 1, 2, 4 ... s up to the cap, per key (issue 19 #5). */
static void test_limit(void)
{
	static struct ca_limit l;
	const int64_t t0 = 1000000;
	int64_t t = t0, w, want = 1000;
	unsigned int n = 0, i;
	char key[32];

	ca_limit_init(&l, 60 * 1000);
	CU_ASSERT_EQUAL(ca_limit_wait(&l, "10.0.0.1", t), 0);
	for (i = 1; i <= 10; i++) {
		w = ca_limit_fail(&l, "10.0.0.1", t, &n);
		CU_ASSERT_EQUAL(n, i);
		CU_ASSERT_EQUAL(w, want);
		CU_ASSERT_EQUAL(ca_limit_wait(&l, "10.0.0.1", t + w - 1), 1);
		CU_ASSERT_EQUAL(ca_limit_wait(&l, "10.0.0.2", t), 0);
		t += w;
		CU_ASSERT_EQUAL(ca_limit_wait(&l, "10.0.0.1", t), 0);
		want = want * 2 > 60000 ? 60000 : want * 2;
	}
	/* A success starts the key again at one second. */
	ca_limit_ok(&l, "10.0.0.1", t);
	CU_ASSERT_EQUAL(ca_limit_fail(&l, "10.0.0.1", t, &n), 1000);
	CU_ASSERT_EQUAL(n, 1);
	/* So does an hour without failures. */
	ca_limit_fail(&l, "10.0.0.1", t + 1000, &n);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(ca_limit_fail(&l, "10.0.0.1",
				      t + 1000 + CA_LIMIT_FORGET_MS, &n),
			1000);
	/* A full table gives up the oldest failure, not the newest. */
	ca_limit_init(&l, 60 * 1000);
	for (i = 0; i < CA_LIMIT_SLOTS + 1; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		ca_limit_fail(&l, key, t0 + i, NULL);
	}
	CU_ASSERT_EQUAL(ca_limit_wait(&l, "k0", t0 + 300), 0);
	CU_ASSERT(ca_limit_wait(&l, "k1", t0 + 300) > 0);
	CU_ASSERT(ca_limit_wait(&l, "k256", t0 + 300) > 0);
}

/* Single DES needs OpenSSL's legacy provider to even build the request. */
static void test_parse_single_des(void)
{
	OSSL_PROVIDER *legacy = OSSL_PROVIDER_load(NULL, "legacy");
	OSSL_PROVIDER *deflt = OSSL_PROVIDER_load(NULL, "default");
	EVP_CIPHER *des = EVP_CIPHER_fetch(NULL, "DES-CBC", NULL);
	struct scep_request req;
	enum scep_fail_info fail;
	unsigned char *der = NULL;
	int len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(des);
	len = build_pkcsreq(des, NULL, client_cert, client_key, &der);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(parse(der, len, &req, &fail), -EPROTO);
	CU_ASSERT_EQUAL(fail, SCEP_FAIL_BAD_ALG);
	scep_request_free(&req);
	OPENSSL_free(der);
	EVP_CIPHER_free(des);
	OSSL_PROVIDER_unload(legacy);
	OSSL_PROVIDER_unload(deflt);
}

/* Client side of a CertRep: verify, read attributes, decrypt, find cert. */
static void check_certrep(const unsigned char *der, size_t len,
			  const char *status, X509 *expect)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	STACK_OF(CMS_SignerInfo) *sis;
	X509_ALGOR *sig = NULL;
	CMS_SignerInfo *si;
	X509_STORE *store = X509_STORE_new();
	BIO *content = BIO_new(BIO_s_mem());
	unsigned char nonce[SCEP_NONCE_LEN];
	char buf[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	X509_STORE_add_cert(store, ca_cert);
	CU_ASSERT_EQUAL(CMS_verify(cms, NULL, store, NULL, content,
				   CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY),
			1);
	sis = CMS_get0_SignerInfos(cms);
	si = sk_CMS_SignerInfo_value(sis, 0);
	/* strongSwan 5.9.8 accepts only rsaEncryption here. */
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &sig);
	CU_ASSERT_EQUAL(OBJ_obj2nid(sig->algorithm), NID_rsaEncryption);
	CU_ASSERT_EQUAL(scep_attr_get_string(si, SCEP_ATTR_MESSAGE_TYPE, buf,
					     sizeof(buf)),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "3");
	scep_attr_get_string(si, SCEP_ATTR_PKI_STATUS, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, status);
	scep_attr_get_string(si, SCEP_ATTR_TRANSACTION_ID, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "4711");
	CU_ASSERT_EQUAL(
		scep_attr_get_nonce(si, SCEP_ATTR_RECIPIENT_NONCE, nonce), 0);
	CU_ASSERT_EQUAL(memcmp(nonce, "0123456789abcdef", SCEP_NONCE_LEN), 0);
	if (expect) {
		char *mem;
		long n = BIO_get_mem_data(content, &mem);
		const unsigned char *q = (const unsigned char *)mem;
		CMS_ContentInfo *env = d2i_CMS_ContentInfo(NULL, &q, n);
		BIO *plain = BIO_new(BIO_s_mem());
		PKCS7 *p7;

		CU_ASSERT_PTR_NOT_NULL_FATAL(env);
		CU_ASSERT_EQUAL(CMS_decrypt(env, client_key, client_cert, NULL,
					    plain, CMS_BINARY),
				1);
		n = BIO_get_mem_data(plain, &mem);
		q = (const unsigned char *)mem;
		p7 = d2i_PKCS7(NULL, &q, n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p7);
		CU_ASSERT_EQUAL(sk_X509_num(p7->d.sign->cert), 1);
		CU_ASSERT_EQUAL(
			X509_cmp(sk_X509_value(p7->d.sign->cert, 0), expect),
			0);
		PKCS7_free(p7);
		BIO_free(plain);
		CMS_ContentInfo_free(env);
	}
	BIO_free(content);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
}

/* The content cipher of a CertRep's inner envelope. */
static int reply_cipher(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	ASN1_OCTET_STRING **content = cms ? CMS_get0_content(cms) : NULL;
	PKCS7 *env = NULL;
	int nid = NID_undef;

	if (content && *content) {
		p = ASN1_STRING_get0_data(*content);
		env = d2i_PKCS7(NULL, &p, ASN1_STRING_length(*content));
	}
	if (env && PKCS7_type_is_enveloped(env))
		nid = OBJ_obj2nid(env->d.enveloped->enc_data->algorithm->algorithm);
	PKCS7_free(env);
	CMS_ContentInfo_free(cms);
	return nid;
}

/*
 * With SCEP_ALLOW_DES (`legacy des`) a single-DES request opens although
 * the default context has no legacy provider (the test unloads it before
 * parsing: the codec uses a context of its own), and its CertRep is
 * enveloped with 3DES.
 */
static void test_parse_single_des_allowed(void)
{
	OSSL_PROVIDER *legacy = OSSL_PROVIDER_load(NULL, "legacy");
	OSSL_PROVIDER *deflt = OSSL_PROVIDER_load(NULL, "default");
	EVP_CIPHER *des = EVP_CIPHER_fetch(NULL, "DES-CBC", NULL);
	struct scep_recipient r = {.cert = ca_cert, .key = ca_key};
	struct scep_reply ok = {.status = SCEP_STATUS_SUCCESS,
				.issued = other_cert};
	unsigned char *der = NULL, *rep_der = NULL;
	struct scep_request req;
	enum scep_fail_info fail;
	size_t rep_len = 0;
	int len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(des);
	len = build_pkcsreq(des, NULL, client_cert, client_key, &der);
	EVP_CIPHER_free(des);
	OSSL_PROVIDER_unload(legacy);
	des = EVP_CIPHER_fetch(NULL, "DES-CBC", NULL);
	CU_ASSERT_PTR_NULL(des); /* gone from the default context */
	EVP_CIPHER_free(des);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(scep_parse_ex(der, len, &r, 1, SCEP_ALLOW_DES, &req,
				      &fail),
			0);
	CU_ASSERT_EQUAL(req.cipher_nid, NID_des_cbc);
	CU_ASSERT_PTR_NOT_NULL(req.csr);
	CU_ASSERT_EQUAL(scep_reply(&req, &ok, ca_cert, ca_key, EVP_sha256(),
				   NOW, &rep_der, &rep_len),
			0);
	check_certrep(rep_der, rep_len, "0", other_cert);
	CU_ASSERT_EQUAL(reply_cipher(rep_der, rep_len), NID_des_ede3_cbc);
	free(rep_der);
	scep_request_free(&req);
	OPENSSL_free(der);
	OSSL_PROVIDER_unload(deflt);
}

static void test_reply(void)
{
	struct scep_request req;
	enum scep_fail_info fail;
	unsigned char *der = NULL, *rep_der = NULL;
	size_t rep_len = 0;
	int len = build_pkcsreq(EVP_aes_256_cbc(), "pw", client_cert,
				client_key, &der);
	struct scep_reply ok = {.status = SCEP_STATUS_SUCCESS,
				.issued = other_cert};
	struct scep_reply pend = {.status = SCEP_STATUS_PENDING};
	struct scep_reply bad = {.status = SCEP_STATUS_FAILURE,
				 .fail = SCEP_FAIL_BAD_REQUEST};

	CU_ASSERT_EQUAL_FATAL(parse(der, len, &req, &fail), 0);
	CU_ASSERT_EQUAL(scep_reply(&req, &ok, ca_cert, ca_key, EVP_sha256(),
				   NOW, &rep_der, &rep_len),
			0);
	check_certrep(rep_der, rep_len, "0", other_cert);
	free(rep_der);
	CU_ASSERT_EQUAL(scep_reply(&req, &pend, ca_cert, ca_key, EVP_sha256(),
				   NOW, &rep_der, &rep_len),
			0);
	check_certrep(rep_der, rep_len, "3", NULL);
	free(rep_der);
	CU_ASSERT_EQUAL(scep_reply(&req, &bad, ca_cert, ca_key, EVP_sha1(), NOW,
				   &rep_der, &rep_len),
			0);
	check_certrep(rep_der, rep_len, "2", NULL);
	free(rep_der);
	scep_request_free(&req);
	OPENSSL_free(der);
}

static int suite_init(void)
{
	ca_key = EVP_RSA_gen(2048);
	client_key = EVP_RSA_gen(2048);
	other_key = EVP_RSA_gen(2048);
	if (!ca_key || !client_key || !other_key)
		return -1;
	ca_cert = self_signed(ca_key, "test CA");
	client_cert = self_signed(client_key, "client");
	other_cert = self_signed(other_key, "other");
	return 0;
}

static int suite_clean(void)
{
	X509_free(ca_cert);
	X509_free(client_cert);
	X509_free(other_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(client_key);
	EVP_PKEY_free(other_key);
	return 0;
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("scep codec", suite_init, suite_clean);
	CU_add_test(s, "parse PKCSReq (AES-128, AES-256, 3DES)",
		    test_parse_pkcsreq);
	CU_add_test(s, "parse rejects bad input", test_parse_rejects);
	CU_add_test(s, "single DES is badAlg", test_parse_single_des);
	CU_add_test(s, "single DES with SCEP_ALLOW_DES, answered with 3DES",
		    test_parse_single_des_allowed);
	CU_add_test(s, "CertRep SUCCESS/PENDING/FAILURE", test_reply);
	CU_add_test(s, "transactionID must be a PrintableString",
		    test_parse_transaction_id);
	CU_add_test(s, "pkid_log escapes control characters",
		    test_log_escape);
	CU_add_test(s, "failed challenges wait 1, 2, 4 ... s (capped)",
		    test_limit);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
