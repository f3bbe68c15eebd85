// SPDX-License-Identifier: MIT
/*
 * Unit test of the SCEP client codec (daemon/scep_client*.c) against the
 * server's codec (daemon/scep*.c), in-process with in-memory keys: the
 * client builds, the server parses and answers, the client opens the
 * answer.  Also what the client must refuse: a reply for another
 * transaction, a reply signed by someone else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "../../daemon/proto/scep/scep.h"
#include "../../daemon/proto/scep/scep_client.h"

static EVP_PKEY *ca_key, *client_key, *other_key;
static X509 *ca_cert, *other_cert;
static const int64_t NOW = 1800000000; /* 2027-01-15 */

static X509 *make_ca(EVP_PKEY *key, const char *cn)
{
	struct scep_client_subject s = {.hostname = cn};
	X509_NAME *n = NULL;
	X509 *x = NULL;

	/* Suite setup: no CU_ASSERT here; a NULL fails setup(). */
	if (scep_client_name(&s, &n) == 0)
		scep_client_self_signed(n, key, EVP_sha256(), NOW, &x);
	X509_NAME_free(n);
	return x;
}

static int setup(void)
{
	ca_key = EVP_RSA_gen(2048);
	client_key = EVP_RSA_gen(2048);
	other_key = EVP_RSA_gen(2048);
	if (!ca_key || !client_key || !other_key)
		return 1;
	ca_cert = make_ca(ca_key, "test CA");
	other_cert = make_ca(other_key, "someone else");
	return ca_cert && other_cert ? 0 : 1;
}

static int teardown(void)
{
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(client_key);
	EVP_PKEY_free(other_key);
	X509_free(ca_cert);
	X509_free(other_cert);
	return 0;
}

/* A first enrollment as the daemon makes it: CSR, self-signed signer. */
struct enroll {
	X509_REQ *csr;
	X509 *self;
	unsigned char *csr_der;
	char tid[64];
	struct scep_client_msg m;
};

static void enroll_init(struct enroll *e, const char *challenge)
{
	struct scep_client_subject s = {.dn = "CN=router1,O=pkid test",
					.serial = "FOC1234",
					.ip = "192.0.2.1",
					.challenge = challenge};
	int n;

	memset(e, 0, sizeof(*e));
	CU_ASSERT_FATAL(
		scep_client_csr(&s, client_key, EVP_sha256(), &e->csr) == 0);
	CU_ASSERT_FATAL(scep_client_self_signed(
				X509_REQ_get_subject_name(e->csr), client_key,
				EVP_sha256(), NOW, &e->self) == 0);
	n = i2d_X509_REQ(e->csr, &e->csr_der);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_FATAL(scep_client_transid(e->tid, sizeof(e->tid)) == 0);
	e->m = (struct scep_client_msg){
		.type = SCEP_MSG_PKCSREQ,
		.transaction_id = e->tid,
		.sender_nonce = "nonce-0123456789",
		.signer = e->self,
		.signer_key = client_key,
		.recipient = ca_cert,
		.cipher = EVP_aes_128_cbc(),
		.md = EVP_sha256(),
		.content = e->csr_der,
		.content_len = n,
		.now = NOW,
	};
}

static void enroll_free(struct enroll *e)
{
	X509_REQ_free(e->csr);
	X509_free(e->self);
	OPENSSL_free(e->csr_der);
}

/* The server's side: parse what the client built. */
static int server_parse(const struct scep_client_msg *m,
			struct scep_request *req)
{
	struct scep_recipient r = {.cert = ca_cert, .key = ca_key};
	enum scep_fail_info fail;
	unsigned char *der = NULL;
	size_t len = 0;
	int ret;

	CU_ASSERT_FATAL(scep_client_build(m, &der, &len) == 0);
	ret = scep_parse(der, len, &r, 1, req, &fail);
	free(der);
	return ret;
}

/* The certificate the CA would issue for the CSR. */
static X509 *issue(X509_REQ *csr)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_subject_name(x, X509_REQ_get_subject_name(csr));
	X509_set_issuer_name(x, X509_get_subject_name(ca_cert));
	ASN1_TIME_set(X509_getm_notBefore(x), NOW);
	ASN1_TIME_set(X509_getm_notAfter(x), NOW + 86400);
	X509_set_pubkey(x, X509_REQ_get0_pubkey(csr));
	X509_sign(x, ca_key, EVP_sha256());
	return x;
}

static int server_reply(const struct scep_request *req,
			const struct scep_reply *rep, EVP_PKEY *key, X509 *cert,
			unsigned char **der, size_t *len)
{
	return scep_reply(req, rep, cert, key, EVP_sha256(), NOW, der, len);
}

static STACK_OF(X509) * trust(X509 *x)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	sk_X509_push(s, x);
	return s;
}

/* One PKCSReq in cipher c (nid) and its SUCCESS back; legacy: the name
 * the client reports for a CertRep it opened in the legacy context. */
static void round_trip(const EVP_CIPHER *c, int nid, const char *legacy)
{
	struct scep_request req;
	struct scep_reply rep = {.status = SCEP_STATUS_SUCCESS};
	struct scep_client_reply crep;
	STACK_OF(X509) *signers = trust(ca_cert);
	struct enroll e;
	unsigned char *der = NULL;
	size_t len;

	enroll_init(&e, "s3cret");
	e.m.cipher = c;
	CU_ASSERT_FATAL(server_parse(&e.m, &req) == 0);
	CU_ASSERT_EQUAL(req.type, SCEP_MSG_PKCSREQ);
	CU_ASSERT_STRING_EQUAL(req.transaction_id, e.tid);
	CU_ASSERT_EQUAL(req.cipher_nid, nid);
	CU_ASSERT_EQUAL(req.digest_nid, NID_sha256);
	CU_ASSERT(X509_cmp(req.signer, e.self) == 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(req.challenge);
	CU_ASSERT_STRING_EQUAL(req.challenge, "s3cret");
	CU_ASSERT(X509_NAME_cmp(X509_REQ_get_subject_name(req.csr),
				X509_REQ_get_subject_name(e.csr)) == 0);

	rep.issued = issue(req.csr);
	CU_ASSERT_FATAL(server_reply(&req, &rep, ca_key, ca_cert, &der, &len) ==
			0);
	CU_ASSERT_FATAL(scep_client_parse(der, len, signers, &e.m, &crep) == 0);
	CU_ASSERT_EQUAL(crep.status, SCEP_STATUS_SUCCESS);
	CU_ASSERT_PTR_NOT_NULL(scep_client_find_cert(&crep, client_key));
	CU_ASSERT(X509_cmp(scep_client_find_cert(&crep, client_key),
			   rep.issued) == 0);
	CU_ASSERT_STRING_EQUAL(crep.legacy_cipher ? crep.legacy_cipher
						  : "(none)",
			       legacy ? legacy : "(none)");

	scep_client_reply_free(&crep);
	free(der);
	X509_free(rep.issued);
	scep_request_free(&req);
	sk_X509_free(signers);
	enroll_free(&e);
}

/* AES in the default context; a 3DES CertRep in the legacy one, said. */
static void test_pkcsreq_round_trip(void)
{
	round_trip(EVP_aes_128_cbc(), NID_aes_128_cbc, NULL);
	round_trip(EVP_des_ede3_cbc(), NID_des_ede3_cbc, "DES-EDE3-CBC");
}

/* signingTime is the keystore's time passed in, never OpenSSL's time(). */
static void test_signing_time(void)
{
	struct enroll e;
	unsigned char *der = NULL;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	ASN1_TYPE *t;
	ASN1_TIME *want = ASN1_TIME_set(NULL, (time_t)NOW);
	size_t len;
	int i;

	enroll_init(&e, NULL);
	CU_ASSERT_FATAL(scep_client_build(&e.m, &der, &len) == 0);
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	CU_ASSERT_FATAL(cms != NULL);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	CU_ASSERT_FATAL(i >= 0);
	t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, i), 0);
	CU_ASSERT_FATAL(t && t->type == V_ASN1_UTCTIME);
	CU_ASSERT(ASN1_TIME_compare(t->value.utctime, want) == 0);
	ASN1_TIME_free(want);
	CMS_ContentInfo_free(cms);
	free(der);
	enroll_free(&e);
}

static void test_csr_contents(void)
{
	STACK_OF(X509_EXTENSION) * exts;
	struct enroll e;
	char buf[256];

	enroll_init(&e, NULL);
	X509_NAME_oneline(X509_REQ_get_subject_name(e.csr), buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf,
			       "/CN=router1/O=pkid test/serialNumber=FOC1234");
	exts = X509_REQ_get_extensions(e.csr);
	CU_ASSERT_EQUAL(sk_X509_EXTENSION_num(exts), 1);
	CU_ASSERT(X509_REQ_get_attr_by_NID(e.csr, NID_pkcs9_challengePassword,
					   -1) < 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	enroll_free(&e);
}

static void test_pending_and_failure(void)
{
	struct scep_request req;
	struct scep_reply pend = {.status = SCEP_STATUS_PENDING};
	struct scep_reply fail = {.status = SCEP_STATUS_FAILURE,
				  .fail = SCEP_FAIL_BAD_REQUEST};
	struct scep_client_reply crep;
	STACK_OF(X509) *signers = trust(ca_cert);
	struct enroll e;
	unsigned char *der = NULL;
	size_t len;

	enroll_init(&e, NULL);
	CU_ASSERT_FATAL(server_parse(&e.m, &req) == 0);
	CU_ASSERT_FATAL(
		server_reply(&req, &pend, ca_key, ca_cert, &der, &len) == 0);
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &e.m, &crep), 0);
	CU_ASSERT_EQUAL(crep.status, SCEP_STATUS_PENDING);
	free(der);
	CU_ASSERT_FATAL(
		server_reply(&req, &fail, ca_key, ca_cert, &der, &len) == 0);
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &e.m, &crep), 0);
	CU_ASSERT_EQUAL(crep.status, SCEP_STATUS_FAILURE);
	CU_ASSERT_EQUAL(crep.fail, SCEP_FAIL_BAD_REQUEST);
	free(der);
	scep_request_free(&req);
	sk_X509_free(signers);
	enroll_free(&e);
}

/* Replies not for us or not from our CA are not replies at all. */
static void test_refuses_foreign_replies(void)
{
	struct scep_request req;
	struct scep_reply pend = {.status = SCEP_STATUS_PENDING};
	struct scep_client_reply crep;
	STACK_OF(X509) *signers = trust(ca_cert);
	struct scep_client_msg other;
	struct enroll e;
	unsigned char *der = NULL;
	size_t len;

	enroll_init(&e, NULL);
	CU_ASSERT_FATAL(server_parse(&e.m, &req) == 0);
	/* Signed by another key than the CA's. */
	CU_ASSERT_FATAL(server_reply(&req, &pend, other_key, other_cert, &der,
				     &len) == 0);
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &e.m, &crep),
			-EBADMSG);
	free(der);
	/* The CA's, but for another transaction, or with another nonce. */
	CU_ASSERT_FATAL(
		server_reply(&req, &pend, ca_key, ca_cert, &der, &len) == 0);
	other = e.m;
	other.transaction_id = "ABCDEF";
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &other, &crep),
			-EBADMSG);
	other = e.m;
	memcpy(other.sender_nonce, "another-nonce-16", SCEP_NONCE_LEN);
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &other, &crep),
			-EBADMSG);
	/* Garbage. */
	CU_ASSERT_EQUAL(scep_client_parse(der, len / 2, signers, &e.m, &crep),
			-EBADMSG);
	free(der);
	scep_request_free(&req);
	sk_X509_free(signers);
	enroll_free(&e);
}

/* Each refusal says why (issue 13 #4: not "CA unreachable (Bad message)"). */
static void test_reply_failures_say_why(void)
{
	struct scep_request req;
	struct scep_reply pend = {.status = SCEP_STATUS_PENDING};
	struct scep_reply ok = {.status = SCEP_STATUS_SUCCESS};
	struct scep_client_reply crep;
	STACK_OF(X509) *signers = trust(ca_cert);
	struct scep_client_msg other;
	struct enroll e;
	unsigned char *der = NULL;
	size_t len;

	enroll_init(&e, NULL);
	CU_ASSERT_FATAL(server_parse(&e.m, &req) == 0);
	CU_ASSERT_FATAL(server_reply(&req, &pend, other_key, other_cert, &der,
				     &len) == 0);
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &e.m, &crep),
			-EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(crep.why, "signed by a certificate "
						"other than the CA's"));
	free(der);
	CU_ASSERT_FATAL(
		server_reply(&req, &pend, ca_key, ca_cert, &der, &len) == 0);
	other = e.m;
	other.transaction_id = "ABCDEF";
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &other, &crep),
			-EBADMSG);
	CU_ASSERT_STRING_EQUAL(crep.why,
			       "the CertRep answers another transactionID");
	/* The signature is the last field of the DER: flip its last bit. */
	der[len - 1] ^= 1;
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &e.m, &crep),
			-EBADMSG);
	CU_ASSERT_STRING_EQUAL(crep.why, "signature invalid");
	CU_ASSERT_EQUAL(scep_client_parse(der, 10, signers, &e.m, &crep),
			-EBADMSG);
	CU_ASSERT_STRING_EQUAL(crep.why, "not a signed CMS message");
	free(der);
	/* A SUCCESS we cannot open (enveloped to another key than ours). */
	ok.issued = issue(req.csr);
	CU_ASSERT_FATAL(
		server_reply(&req, &ok, ca_key, ca_cert, &der, &len) == 0);
	other = e.m;
	other.signer = other_cert;
	other.signer_key = other_key;
	CU_ASSERT_EQUAL(scep_client_parse(der, len, signers, &other, &crep),
			-EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(crep.why, "cannot decrypt reply: algorithm aes-128-cbc"));
	free(der);
	X509_free(ok.issued);
	scep_request_free(&req);
	sk_X509_free(signers);
	enroll_free(&e);
}

static void test_certpoll(void)
{
	struct scep_request req;
	struct enroll e;
	unsigned char *content = NULL;
	size_t len;

	enroll_init(&e, NULL);
	CU_ASSERT_FATAL(scep_client_poll_content(
				ca_cert, X509_REQ_get_subject_name(e.csr),
				&content, &len) == 0);
	e.m.type = SCEP_MSG_CERTPOLL;
	e.m.content = content;
	e.m.content_len = len;
	e.m.cipher = EVP_des_ede3_cbc();
	CU_ASSERT_FATAL(server_parse(&e.m, &req) == 0);
	CU_ASSERT_EQUAL(req.type, SCEP_MSG_CERTPOLL);
	CU_ASSERT_STRING_EQUAL(req.transaction_id, e.tid);
	CU_ASSERT_EQUAL(req.cipher_nid, NID_des_ede3_cbc);
	CU_ASSERT(X509_NAME_cmp(req.issuer, X509_get_subject_name(ca_cert)) ==
		  0);
	CU_ASSERT(X509_NAME_cmp(req.subject,
				X509_REQ_get_subject_name(e.csr)) == 0);
	scep_request_free(&req);
	free(content);
	enroll_free(&e);
}

static void test_get_ca_cert(void)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *ca = NULL, *ra = NULL, *ra_cert;
	unsigned char *der = NULL;
	size_t len;
	int n;

	n = i2d_X509(ca_cert, &der);
	CU_ASSERT_EQUAL(scep_client_parse_ca(
				der, n, "application/x-x509-ca-cert", &ca, &ra),
			0);
	CU_ASSERT(ca && X509_cmp(ca, ca_cert) == 0);
	CU_ASSERT_PTR_NULL(ra);
	X509_free(ca);
	OPENSSL_free(der);

	/* CA + RA in a degenerate PKCS#7, RA first. */
	ra_cert = X509_dup(other_cert);
	X509_set_issuer_name(ra_cert, X509_get_subject_name(ca_cert));
	X509_sign(ra_cert, ca_key, EVP_sha256());
	sk_X509_push(certs, ra_cert);
	sk_X509_push(certs, ca_cert);
	CU_ASSERT_FATAL(scep_degenerate(certs, NULL, &der, &len) == 0);
	CU_ASSERT_EQUAL(scep_client_parse_ca(der, len,
					     "application/x-x509-ca-ra-cert",
					     &ca, &ra),
			0);
	CU_ASSERT(ca && X509_cmp(ca, ca_cert) == 0);
	CU_ASSERT(ra && X509_cmp(ra, ra_cert) == 0);
	X509_free(ca);
	X509_free(ra);
	CU_ASSERT_EQUAL(scep_client_parse_ca(der, len / 2,
					     "application/x-x509-ca-ra-cert",
					     &ca, &ra),
			-EBADMSG);
	free(der);
	X509_free(ra_cert);
	sk_X509_free(certs);
}

static void test_caps_and_fingerprint(void)
{
	const char *caps = "GetNextCACert\nPOSTPKIOperation\nSHA-256\nAES\n";
	char fp[200];

	CU_ASSERT(scep_client_has_cap(caps, "AES"));
	CU_ASSERT(scep_client_has_cap(caps, "sha-256"));
	CU_ASSERT(!scep_client_has_cap(caps, "SHA"));
	CU_ASSERT(!scep_client_has_cap(caps, "DES3"));
	CU_ASSERT_PTR_EQUAL(scep_client_cipher(caps), EVP_aes_128_cbc());
	CU_ASSERT_PTR_EQUAL(scep_client_cipher("DES3\n"), EVP_des_ede3_cbc());
	CU_ASSERT_PTR_EQUAL(scep_client_md(caps), EVP_sha256());
	CU_ASSERT_PTR_EQUAL(scep_client_md(""), EVP_sha1());

	CU_ASSERT_FATAL(scep_client_fingerprint(ca_cert, EVP_sha1(), fp,
						sizeof(fp)) == 0);
	CU_ASSERT_EQUAL(strlen(fp), 40);
	CU_ASSERT_EQUAL(scep_client_fingerprint_match(ca_cert, fp), 0);
	CU_ASSERT_EQUAL(scep_client_fingerprint_match(other_cert, fp),
			-EKEYREJECTED);
	CU_ASSERT_EQUAL(scep_client_fingerprint_match(ca_cert, "ABCD"),
			-EINVAL);
	CU_ASSERT_FATAL(scep_client_fingerprint(ca_cert, EVP_sha256(), fp,
						sizeof(fp)) == 0);
	CU_ASSERT_EQUAL(scep_client_fingerprint_match(ca_cert, fp), 0);
}

/* GetNextCACert as the server builds it (scep_next_ca), by @key/@cert. */
static unsigned char *next_ca_reply(X509 *cert, EVP_PKEY *key, X509 *next,
				    X509 *next_ra, int *len)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	unsigned char *der = NULL;
	size_t n = 0;

	sk_X509_push(certs, next);
	if (next_ra)
		sk_X509_push(certs, next_ra);
	*len = scep_next_ca(cert, key, EVP_sha256(), certs, NOW, &der, &n) == 0
		       ? (int)n
		       : -1;
	sk_X509_free(certs);
	return der;
}

/* A certificate for @key issued by @issuer/@issuer_key (an RA's). */
static X509 *issued_by(EVP_PKEY *key, const char *cn, X509 *issuer,
		       EVP_PKEY *issuer_key)
{
	X509 *x = make_ca(key, cn);

	X509_set_issuer_name(x, X509_get_subject_name(issuer));
	X509_sign(x, issuer_key, EVP_sha256());
	return x;
}

static void test_get_next_ca_cert(void)
{
	X509 *next = make_ca(other_key, "test CA"), *got = NULL, *ra = NULL;
	X509 *next_ra = issued_by(client_key, "test CA RA", next, other_key);
	unsigned char *der;
	int len;

	CU_ASSERT_FATAL(next != NULL && next_ra != NULL);
	/* Signed by the current CA: the rollover CA certificate. */
	der = next_ca_reply(ca_cert, ca_key, next, NULL, &len);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(scep_client_parse_next_ca(der, len, ca_cert, &got, &ra),
			0);
	CU_ASSERT(got && X509_cmp(got, next) == 0);
	CU_ASSERT_PTR_NULL(ra); /* no RA in this reply */
	X509_free(got);
	got = NULL;
	CU_ASSERT_EQUAL(
		scep_client_parse_next_ca(der, len / 2, ca_cert, &got, &ra),
		-EBADMSG);
	free(der);
	/* With the rollover RA, signed by the rollover CA. */
	der = next_ca_reply(ca_cert, ca_key, next, next_ra, &len);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(scep_client_parse_next_ca(der, len, ca_cert, &got, &ra),
			0);
	CU_ASSERT(got && X509_cmp(got, next) == 0);
	CU_ASSERT(ra && X509_cmp(ra, next_ra) == 0);
	X509_free(got);
	X509_free(ra);
	got = ra = NULL;
	free(der);
	/* Signed by anyone else: refused. */
	der = next_ca_reply(other_cert, other_key, next, NULL, &len);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(scep_client_parse_next_ca(der, len, ca_cert, &got, &ra),
			-EBADMSG);
	CU_ASSERT_PTR_NULL(got);
	free(der);
	X509_free(next);
	X509_free(next_ra);
}

static void test_bad_subject(void)
{
	struct scep_client_subject s = {.dn = "CN=ok,bogus"};
	X509_NAME *n = NULL;

	CU_ASSERT_EQUAL(scep_client_name(&s, &n), -EINVAL);
	s.dn = "NOSUCHATTR=x";
	CU_ASSERT_EQUAL(scep_client_name(&s, &n), -EINVAL);
	s.dn = "";
	s.hostname = "r1.example.net";
	CU_ASSERT_EQUAL_FATAL(scep_client_name(&s, &n), 0);
	CU_ASSERT_EQUAL(X509_NAME_entry_count(n), 1);
	X509_NAME_free(n);
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("scep_client", setup, teardown);
	CU_add_test(s, "PKCSReq round trip", test_pkcsreq_round_trip);
	CU_add_test(s, "CSR contents", test_csr_contents);
	CU_add_test(s, "signingTime from the keystore", test_signing_time);
	CU_add_test(s, "PENDING and FAILURE", test_pending_and_failure);
	CU_add_test(s, "foreign replies refused", test_refuses_foreign_replies);
	CU_add_test(s, "reply failures say why", test_reply_failures_say_why);
	CU_add_test(s, "CertPoll", test_certpoll);
	CU_add_test(s, "GetCACert", test_get_ca_cert);
	CU_add_test(s, "GetNextCACert", test_get_next_ca_cert);
	CU_add_test(s, "caps and fingerprint", test_caps_and_fingerprint);
	CU_add_test(s, "bad subject", test_bad_subject);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
