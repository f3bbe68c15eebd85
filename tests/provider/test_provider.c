// SPDX-License-Identifier: MIT
/*
 * pkiks-provider, end to end: keys made by pkiks-keygen in a pkiksd started
 * by run.sh, opened as pkiks:NAME, used by ordinary OpenSSL calls (X509_sign,
 * X509_CRL_sign, X509_REQ_sign, CMS_sign, CMS_decrypt, EVP_DigestSign) and
 * checked by the openssl CLI or the default provider.
 *
 * usage: test-provider TMPDIR BUILDDIR   ($PKIKS_SOCKET names the pkiksd)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "../lib/cunit_run.h"
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "helpers.h"
#include "keystore.h"
#include "provider_client.h"

static struct pkiks *ks;	     /* admin handle: clock, key info */
static EVP_PKEY *ec256_key, *ec384_key; /* pkiks:EC256, pkiks:EC384 */
static EVP_PKEY *ec256_pub, *ec384_pub; /* theirs, default provider */
static X509 *ec_ca_cert;		/* CA on EC384 */
/* v5: pkiks:ECDH256, pkiks:ECDH384 (usage both: sign + derive) */
static EVP_PKEY *ecdh_key[2], *ecdh_pub[2];
static EVP_PKEY *sign_key, *dec_key; /* pkiks:SIGNKEY, pkiks:DECKEY */
static EVP_PKEY *sign_pub;	  /* SIGNKEY's public key, default provider */
static X509 *ca_cert, *leaf_cert; /* CA on SIGNKEY; leaf for DECKEY */

static int verify_with(EVP_PKEY *pub, const char *mdname,
		       const unsigned char *sig, size_t len, const char *data);
static void expect_error(const char *needle);

/*
 * The signing keys the key-object and signature tests run over, with what
 * OpenSSL must see of each.  An RSA signature is as long as the modulus;
 * an ECDSA-Sig-Value at most size bytes (two INTEGERs, each maybe one
 * longer than the order).
 */
static const struct key_case {
	const char *name;  /* pkiks:NAME */
	const char *type;  /* EVP_PKEY_is_a() */
	const char *group; /* EC: the curve's OpenSSL name */
	int bits, size, security_bits;
	const char *digest; /* default digest */
	EVP_PKEY **key, **pub;
} key_cases[] = {
	{"SIGNKEY", "RSA", NULL, 2048, 256, 112, "SHA256", &sign_key,
	 &sign_pub},
	{"EC256", "EC", "prime256v1", 256, 72, 128, "SHA256", &ec256_key,
	 &ec256_pub},
	{"EC384", "EC", "secp384r1", 384, 104, 192, "SHA384", &ec384_key,
	 &ec384_pub},
};
#define N_KEY_CASES (sizeof(key_cases) / sizeof(key_cases[0]))

/* "T.dir/@prefix@name": the RSA and EC runs of a test keep apart files. */
static const char *ppath(const char *prefix, const char *name)
{
	char n[256];

	snprintf(n, sizeof(n), "%s%s", prefix, name);
	return path(n);
}

static EVP_PKEY *read_pub(const char *file)
{
	FILE *f = fopen(file, "r");
	EVP_PKEY *pk = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return pk;
}

/* Keys come from the real helper, as the daemon gets them. */
static int make_keys(void)
{
	if (sh("%s/bin/pkiks-keygen SIGNKEY --usage sign >%s", T.build,
	       path("signkey.pub")) ||
	    sh("%s/bin/pkiks-keygen DECKEY --usage decrypt >%s", T.build,
	       path("deckey.pub")))
		return -1;
	sign_pub = read_pub(path("signkey.pub"));
	if (sh("%s/bin/pkiks-keygen EC256 --type ec-p256 >%s", T.build,
	       path("ec256.pub")) ||
	    sh("%s/bin/pkiks-keygen EC384 --type ec-p384 >%s", T.build,
	       path("ec384.pub")))
		return -1;
	/* pkiks-keygen prints NAME then the PEM: the PEM reader skips it */
	ec256_pub = read_pub(path("ec256.pub"));
	ec384_pub = read_pub(path("ec384.pub"));
	if (sh("%s/bin/pkiks-keygen ECDH256 --type ec-p256 --usage both >%s",
	       T.build, path("ecdh256.pub")) ||
	    sh("%s/bin/pkiks-keygen ECDH384 --type ec-p384 --usage both >%s",
	       T.build, path("ecdh384.pub")))
		return -1;
	ecdh_pub[0] = read_pub(path("ecdh256.pub"));
	ecdh_pub[1] = read_pub(path("ecdh384.pub"));
	return sign_pub && ec256_pub && ec384_pub && ecdh_pub[0] &&
			       ecdh_pub[1]
		       ? 0
		       : -1;
}

static int suite_init(void)
{
	char so[4096];

	if (pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, NULL) ||
	    pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR) || make_keys())
		return -1;
	snprintf(so, sizeof(so), "%s/pkiks-provider.so", T.build);
	if (pkiks_provider_load(NULL, so))
		return -1;
	if (pkiks_pkey_load(NULL, "SIGNKEY", &sign_key) ||
	    pkiks_pkey_load(NULL, "DECKEY", &dec_key) ||
	    pkiks_pkey_load(NULL, "EC256", &ec256_key) ||
	    pkiks_pkey_load(NULL, "EC384", &ec384_key) ||
	    pkiks_pkey_load(NULL, "ECDH256", &ecdh_key[0]) ||
	    pkiks_pkey_load(NULL, "ECDH384", &ecdh_key[1]))
		return -1;
	snprintf(T.provider_args, sizeof(T.provider_args),
		 "-provider-path %s -provider pkiks-provider -provider default",
		 T.build);
	return 0;
}

static int suite_clean(void)
{
	X509_free(ca_cert);
	X509_free(leaf_cert);
	X509_free(ec_ca_cert);
	EVP_PKEY_free(ec256_key);
	EVP_PKEY_free(ec384_key);
	EVP_PKEY_free(ec256_pub);
	EVP_PKEY_free(ec384_pub);
	for (int i = 0; i < 2; i++) {
		EVP_PKEY_free(ecdh_key[i]);
		EVP_PKEY_free(ecdh_pub[i]);
	}
	EVP_PKEY_free(sign_key);
	EVP_PKEY_free(dec_key);
	EVP_PKEY_free(sign_pub);
	pkiks_close(ks);
	return 0;
}

/* ---- the key object --------------------------------------------------- */

/* The public key OpenSSL encodes is the keystore's, byte for byte. */
static void check_public_is_keystores(const struct key_case *kc)
{
	struct pkiks_key_info info = {0};
	unsigned char *der = NULL;
	int len;

	len = i2d_PUBKEY(*kc->key, &der);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, kc->name, &info), 0);
	CU_ASSERT_EQUAL(info.pubkey_len, (size_t)len);
	CU_ASSERT_TRUE(info.pubkey_len == (size_t)len &&
		       memcmp(info.pubkey, der, (size_t)len) == 0);
	free(info.pubkey);
	OPENSSL_free(der);
}

static void check_key_object(const struct key_case *kc)
{
	EVP_PKEY *key = *kc->key;
	char text[32];
	size_t j;

	CU_ASSERT_TRUE(EVP_PKEY_is_a(key, kc->type));
	CU_ASSERT_FALSE(
		EVP_PKEY_is_a(key, strcmp(kc->type, "RSA") ? "RSA" : "EC"));
	CU_ASSERT_EQUAL(EVP_PKEY_get_bits(key), kc->bits);
	CU_ASSERT_EQUAL(EVP_PKEY_get_size(key), kc->size);
	CU_ASSERT_EQUAL(EVP_PKEY_get_security_bits(key), kc->security_bits);
	CU_ASSERT_TRUE(
		EVP_PKEY_get_default_digest_name(key, text, sizeof(text)) > 0 &&
		strcmp(text, kc->digest) == 0);
	if (kc->group)
		CU_ASSERT_TRUE(EVP_PKEY_get_utf8_string_param(
				       key, OSSL_PKEY_PARAM_GROUP_NAME, text,
				       sizeof(text), NULL) &&
			       strcmp(text, kc->group) == 0);
	check_public_is_keystores(kc);
	/* The public part is the one pkiks-keygen printed, and only that. */
	CU_ASSERT_EQUAL(EVP_PKEY_eq(key, *kc->pub), 1);
	for (j = 0; j < N_KEY_CASES; j++)
		if (&key_cases[j] != kc)
			CU_ASSERT_NOT_EQUAL(EVP_PKEY_eq(key, *key_cases[j].pub),
					    1);
	ERR_clear_error();
}

static void test_key_objects(void)
{
	size_t k;

	for (k = 0; k < N_KEY_CASES; k++)
		check_key_object(&key_cases[k]);
	CU_ASSERT_NOT_EQUAL(EVP_PKEY_eq(dec_key, sign_pub), 1);
	ERR_clear_error();
}

/* Loading us must not take RSA away from the default provider. */
static void test_default_rsa_still_works(void)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	unsigned char sig[256];
	size_t len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(pk);
	CU_ASSERT_EQUAL(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk),
			1);
	CU_ASSERT_EQUAL(
		EVP_DigestSign(md, sig, &len, (const unsigned char *)"x", 1),
		1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
}

/* A daemon may keep its own library context: the same two calls work. */
static void test_own_library_context(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *pk = NULL;
	unsigned char sig[256];
	size_t len = sizeof(sig);
	char so[4096];

	snprintf(so, sizeof(so), "%s/pkiks-provider.so", T.build);
	CU_ASSERT_EQUAL_FATAL(pkiks_provider_load(ctx, so), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_pkey_load(ctx, "SIGNKEY", &pk), 0);
	CU_ASSERT_EQUAL(
		EVP_DigestSignInit_ex(md, NULL, "SHA256", ctx, NULL, pk, NULL),
		1);
	CU_ASSERT_EQUAL(
		EVP_DigestSign(md, sig, &len, (const unsigned char *)"ctx", 3),
		1);
	CU_ASSERT_TRUE(verify_with(sign_pub, "SHA256", sig, len, "ctx"));
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	OSSL_LIB_CTX_free(ctx);
}

/* ---- certificates, CRLs, requests -------------------------------------- */

static void test_x509_sign_verifies_with_cli(void)
{
	ca_cert = make_cert("pkiks test CA", sign_key, NULL, sign_key,
			    EVP_sha256(), 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ca_cert);
	leaf_cert = make_cert("pkiks test leaf", dec_key, ca_cert, sign_key,
			      EVP_sha384(), 0, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(leaf_cert);
	CU_ASSERT_EQUAL_FATAL(write_cert(path("ca.pem"), ca_cert), 0);
	CU_ASSERT_EQUAL_FATAL(write_cert(path("leaf.pem"), leaf_cert), 0);
	CU_ASSERT_EQUAL(sh("openssl verify -CAfile %s %s %s >%s 2>&1",
			   path("ca.pem"), path("ca.pem"), path("leaf.pem"),
			   path("verify.out")),
			0);
	CU_ASSERT_TRUE(file_has(path("verify.out"), "leaf.pem: OK"));
	CU_ASSERT_EQUAL(sh("openssl x509 -in %s -noout -text >%s",
			   path("leaf.pem"), path("leaf.txt")),
			0);
	CU_ASSERT_TRUE(file_has(path("leaf.txt"), "sha384WithRSAEncryption"));
	/* Same CA name, another key: the check can fail, and does. */
	CU_ASSERT_EQUAL(sh("openssl req -x509 -newkey rsa:2048 -nodes -subj "
			   "/CN=pkiks\\ test\\ CA -days 1 -keyout %s -out %s "
			   "2>/dev/null",
			   path("other.key"), path("other.pem")),
			0);
	CU_ASSERT_NOT_EQUAL(sh("openssl verify -CAfile %s %s >/dev/null 2>&1",
			       path("other.pem"), path("leaf.pem")),
			    0);
}

static void test_crl_sign_verifies_with_cli(void)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_TIME *now = ASN1_TIME_adj(NULL, 0, 0, 0);
	ASN1_TIME *next = ASN1_TIME_adj(NULL, 0, 7, 0);
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ca_cert);
	ASN1_INTEGER_set(serial, 2);
	CU_ASSERT_TRUE(
		X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
		X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_cert)) &&
		X509_CRL_set1_lastUpdate(crl, now) &&
		X509_CRL_set1_nextUpdate(crl, next) &&
		X509_REVOKED_set_serialNumber(rev, serial) &&
		X509_REVOKED_set_revocationDate(rev, now) &&
		X509_CRL_add0_revoked(crl, rev));
	CU_ASSERT_TRUE(X509_CRL_sign(crl, sign_key, EVP_sha512()) > 0);
	f = fopen(path("crl.pem"), "w");
	CU_ASSERT_TRUE(f && PEM_write_X509_CRL(f, crl));
	if (f)
		fclose(f);
	CU_ASSERT_EQUAL(sh("openssl crl -in %s -CAfile %s -noout >%s 2>&1",
			   path("crl.pem"), path("ca.pem"), path("crl.out")),
			0);
	CU_ASSERT_TRUE(file_has(path("crl.out"), "verify OK"));
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
}

static void test_req_sign_verifies_with_cli(void)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	FILE *f;

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"router1", -1, -1, 0);
	CU_ASSERT_TRUE(X509_REQ_set_subject_name(req, name) &&
		       X509_REQ_set_pubkey(req, sign_key));
	CU_ASSERT_TRUE(X509_REQ_sign(req, sign_key, EVP_sha256()) > 0);
	/* In-process verification goes through our verify path too. */
	CU_ASSERT_EQUAL(X509_REQ_verify(req, sign_key), 1);
	f = fopen(path("req.pem"), "w");
	CU_ASSERT_TRUE(f && PEM_write_X509_REQ(f, req));
	if (f)
		fclose(f);
	CU_ASSERT_EQUAL(sh("openssl req -in %s -verify -noout >%s 2>&1",
			   path("req.pem"), path("req.out")),
			0);
	CU_ASSERT_TRUE(file_has(path("req.out"), "verify OK"));
	X509_NAME_free(name);
	X509_REQ_free(req);
}

/* ---- CMS -------------------------------------------------------------- */

/* CMS_sign by @key with certificate @ca (@p"ca.pem"), openssl cms -verify. */
static void cms_sign_check(const char *p, X509 *ca, EVP_PKEY *key,
			   const char *msg)
{
	BIO *in = BIO_new_mem_buf(msg, (int)strlen(msg));
	BIO *out = BIO_new_file(ppath(p, "sd.der"), "wb");
	CMS_ContentInfo *cms;
	char *got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
	cms = CMS_sign(ca, key, NULL, in, CMS_BINARY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	CU_ASSERT_TRUE(i2d_CMS_bio(out, cms));
	BIO_free(out);
	CU_ASSERT_EQUAL(sh("openssl cms -verify -binary -inform DER -in %s "
			   "-CAfile %s -out %s 2>%s",
			   ppath(p, "sd.der"), ppath(p, "ca.pem"),
			   ppath(p, "sd.out"), ppath(p, "sd.err")),
			0);
	got = slurp(ppath(p, "sd.out"), NULL);
	CU_ASSERT_TRUE(got && strcmp(got, msg) == 0);
	free(got);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
}

static void test_cms_sign_verifies_with_cli(void)
{
	cms_sign_check("", ca_cert, sign_key,
		       "SCEP says hello through the keystore\n");
}

/* An envelope made by the CLI to DECKEY's certificate, opened through us. */
static void cms_decrypt_with(const char *cipher)
{
	static const char msg[] = "the CSR would be in here";
	BIO *in, *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms;
	char *data;
	long n;

	CU_ASSERT_EQUAL_FATAL(spit(path("plain"), msg, sizeof(msg) - 1), 0);
	CU_ASSERT_EQUAL_FATAL(
		sh("openssl cms -encrypt -binary %s -in %s -outform DER "
		   "-out %s %s",
		   cipher, path("plain"), path("env.der"), path("leaf.pem")),
		0);
	in = BIO_new_file(path("env.der"), "rb");
	cms = d2i_CMS_bio(in, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	CU_ASSERT_EQUAL(
		CMS_decrypt(cms, dec_key, leaf_cert, NULL, out, CMS_BINARY), 1);
	n = BIO_get_mem_data(out, &data);
	CU_ASSERT_TRUE(n == (long)sizeof(msg) - 1 &&
		       memcmp(data, msg, (size_t)n) == 0);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
}

static void test_cms_decrypt_aes(void)
{
	cms_decrypt_with("-aes-128-cbc");
}

static void test_cms_decrypt_3des(void)
{
	cms_decrypt_with("-des3");
}

/* ---- signatures, every digest and entry point ------------------------- */

/* Checked by the default provider, with the key pkiks-keygen printed. */
static int verify_with(EVP_PKEY *pub, const char *mdname,
		       const unsigned char *sig, size_t len, const char *data)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = EVP_DigestVerifyInit_ex(md, NULL, mdname, NULL, "provider=default",
				     pub, NULL) == 1 &&
	     EVP_DigestVerify(md, sig, len, (const unsigned char *)data,
			      strlen(data)) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

static void digest_sign_with(const struct key_case *kc, const char *mdname)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t len = sizeof(sig);

	CU_ASSERT_EQUAL(EVP_DigestSignInit_ex(md, NULL, mdname, NULL, NULL,
					      *kc->key, NULL),
			1);
	CU_ASSERT_EQUAL(
		EVP_DigestSign(md, sig, &len, (const unsigned char *)"abc", 3),
		1);
	if (!strcmp(kc->type, "RSA"))
		CU_ASSERT_EQUAL(len, (size_t)kc->size);
	CU_ASSERT_TRUE(len <= (size_t)kc->size);
	CU_ASSERT_TRUE(verify_with(*kc->pub, mdname, sig, len, "abc"));
	CU_ASSERT_FALSE(verify_with(*kc->pub, mdname, sig, len, "abd"));
	EVP_MD_CTX_free(md);
}

static void test_digest_sign_all_hashes(void)
{
	static const char *const mds[] = {"SHA1", "SHA256", "SHA384", "SHA512"};
	size_t i, k;

	for (k = 0; k < N_KEY_CASES; k++)
		for (i = 0; i < 4; i++)
			digest_sign_with(&key_cases[k], mds[i]);
}

/* EVP_PKEY_sign of a digest: with the digest named, then as a DigestInfo. */
static void test_plain_sign_of_digest(void)
{
	static const unsigned char di_prefix[] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
	}; /* RFC 8017 §9.2 note 1, SHA-256: test data, not parsing code */
	unsigned char dg[32], di[sizeof(di_prefix) + 32], sig[256];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sign_key, NULL);
	size_t len = sizeof(sig);

	CU_ASSERT_TRUE(EVP_Digest("abc", 3, dg, NULL, EVP_sha256(), NULL));
	CU_ASSERT_EQUAL(EVP_PKEY_sign_init(ctx), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_sign(ctx, sig, &len, dg, sizeof(dg)), 1);
	CU_ASSERT_TRUE(verify_with(sign_pub, "SHA256", sig, len, "abc"));
	/* A digest of the wrong size is refused, not signed. */
	len = sizeof(sig);
	CU_ASSERT_NOT_EQUAL(EVP_PKEY_sign(ctx, sig, &len, dg, 20), 1);
	ERR_clear_error();

	memcpy(di, di_prefix, sizeof(di_prefix));
	memcpy(di + sizeof(di_prefix), dg, sizeof(dg));
	CU_ASSERT_EQUAL(EVP_PKEY_sign_init(ctx), 1);
	len = sizeof(sig);
	CU_ASSERT_EQUAL(EVP_PKEY_sign(ctx, sig, &len, di, sizeof(di)), 1);
	CU_ASSERT_TRUE(verify_with(sign_pub, "SHA256", sig, len, "abc"));
	EVP_PKEY_CTX_free(ctx);
}

/*
 * The shell path: openssl pkeyutl -inkey pkiks:@name signs a SHA-256
 * digest and req -x509 -key pkiks:@name makes a certificate (digest @md),
 * each checked by the CLI with the default provider.  Files start with
 * @p; the sign's stderr is kept in @ppkeyutl.err.
 */
static void pkeyutl_cli(const char *p, const char *name, const char *pubfile,
			const char *pkeyopt, const char *md)
{
	CU_ASSERT_EQUAL_FATAL(spit(ppath(p, "msg"), "abc", 3), 0);
	CU_ASSERT_EQUAL(sh("openssl dgst -sha256 -binary -out %s %s",
			   ppath(p, "msg.dgst"), ppath(p, "msg")),
			0);
	CU_ASSERT_EQUAL(sh("PKIKS_QUIET=0 openssl pkeyutl %s -inkey "
			   "pkiks:%s -sign %s -in %s -out %s 2>%s",
			   T.provider_args, name, pkeyopt, ppath(p, "msg.dgst"),
			   ppath(p, "msg.sig"), ppath(p, "pkeyutl.err")),
			0);
	CU_ASSERT_EQUAL(sh("openssl pkeyutl -verify -pubin -inkey %s %s "
			   "-in %s -sigfile %s >%s",
			   path(pubfile), pkeyopt, ppath(p, "msg.dgst"),
			   ppath(p, "msg.sig"), ppath(p, "pkeyutl.out")),
			0);
	CU_ASSERT_TRUE(file_has(ppath(p, "pkeyutl.out"),
				"Signature Verified Successfully"));
	CU_ASSERT_EQUAL(sh("openssl req -new -x509 %s -key pkiks:%s "
			   "-subj /CN=%scli -days 2 -%s -out %s 2>/dev/null",
			   T.provider_args, name, p, md, ppath(p, "cli.pem")),
			0);
	CU_ASSERT_EQUAL(sh("openssl verify -CAfile %s %s >/dev/null",
			   ppath(p, "cli.pem"), ppath(p, "cli.pem")),
			0);
}

static void test_pkeyutl_cli(void)
{
	pkeyutl_cli("", "SIGNKEY", "signkey.pub", "-pkeyopt digest:sha256",
		    "sha512");
	/* Transport choice: no kernel family here, so pkiksd, said once. */
	CU_ASSERT_TRUE(file_has(path("pkeyutl.err"),
				"using userspace keystore pkiksd at"));
	CU_ASSERT_EQUAL(pkiks_transport_of(ks), PKIKS_TRANSPORT_TWIN);
}

/* ---- ECDSA keys (protocol v3) ------------------------------------------ */

/* EVP_PKEY_sign of a bare digest (no digest set), as OpenSSL's ECDSA. */
static void test_ec_plain_sign(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ec256_key, NULL);
	EVP_PKEY_CTX *vctx = EVP_PKEY_CTX_new_from_pkey(NULL, ec256_pub, NULL);
	unsigned char dg[48], sig[128];
	size_t len = sizeof(sig);

	CU_ASSERT_TRUE(EVP_Digest("abc", 3, dg, NULL, EVP_sha384(), NULL));
	CU_ASSERT_EQUAL(EVP_PKEY_sign_init(ctx), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_sign(ctx, sig, &len, dg, 48), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_verify_init(vctx), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_verify(vctx, sig, len, dg, 48), 1);
	/* A length no hash has is refused, not truncated and signed */
	len = sizeof(sig);
	CU_ASSERT_NOT_EQUAL(EVP_PKEY_sign(ctx, sig, &len, dg, 40), 1);
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_CTX_free(vctx);
}

/* An EC CA (P-384, SHA-384) certifying an EC leaf (P-256) and an RSA one. */
static void test_ec_x509_sign_verifies_with_cli(void)
{
	X509 *leaf, *rsa_leaf;

	ec_ca_cert = make_cert("pkiks EC CA", ec384_key, NULL, ec384_key,
			       EVP_sha384(), 1, 11);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ec_ca_cert);
	leaf = make_cert("pkiks EC leaf", ec256_key, ec_ca_cert, ec384_key,
			 EVP_sha256(), 0, 12);
	rsa_leaf = make_cert("pkiks RSA leaf", sign_key, ec_ca_cert, ec384_key,
			     EVP_sha512(), 0, 13);
	CU_ASSERT_PTR_NOT_NULL_FATAL(leaf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rsa_leaf);
	CU_ASSERT_EQUAL_FATAL(write_cert(path("ecca.pem"), ec_ca_cert), 0);
	CU_ASSERT_EQUAL_FATAL(write_cert(path("ecleaf.pem"), leaf), 0);
	CU_ASSERT_EQUAL_FATAL(write_cert(path("ecrsaleaf.pem"), rsa_leaf), 0);
	CU_ASSERT_EQUAL(sh("openssl verify -CAfile %s %s %s %s >%s 2>&1",
			   path("ecca.pem"), path("ecca.pem"),
			   path("ecleaf.pem"), path("ecrsaleaf.pem"),
			   path("ecverify.out")),
			0);
	CU_ASSERT_TRUE(file_has(path("ecverify.out"), "ecleaf.pem: OK"));
	CU_ASSERT_TRUE(file_has(path("ecverify.out"), "ecrsaleaf.pem: OK"));
	CU_ASSERT_EQUAL(sh("openssl x509 -in %s -noout -text >%s",
			   path("ecleaf.pem"), path("ecleaf.txt")),
			0);
	CU_ASSERT_TRUE(file_has(path("ecleaf.txt"), "ecdsa-with-SHA256"));
	CU_ASSERT_TRUE(file_has(path("ecleaf.txt"), "prime256v1"));
	/* Same CA name, another EC key: the check can fail, and does. */
	CU_ASSERT_EQUAL(sh("openssl req -x509 -newkey ec -pkeyopt "
			   "ec_paramgen_curve:P-384 -nodes -subj "
			   "/CN=pkiks\\ EC\\ CA -days 1 -keyout %s -out %s "
			   "2>/dev/null",
			   path("ecother.key"), path("ecother.pem")),
			0);
	CU_ASSERT_NOT_EQUAL(sh("openssl verify -CAfile %s %s >/dev/null 2>&1",
			       path("ecother.pem"), path("ecleaf.pem")),
			    0);
	X509_free(leaf);
	X509_free(rsa_leaf);
}

static void test_ec_cms_sign_verifies_with_cli(void)
{
	cms_sign_check("ec", ec_ca_cert, ec384_key,
		       "an ECDSA SignedData through the keystore\n");
}

/* The shell: openssl pkeyutl and req -x509 with -key pkiks:EC256. */
static void test_ec_pkeyutl_cli(void)
{
	pkeyutl_cli("ec", "EC256", "ec256.pub", "", "sha256");
}

/* ---- ECDH keys (protocol v5) ------------------------------------------ */

static const char *const ecdh_groups[2] = {"P-256", "P-384"};

/*
 * EVP_PKEY_derive of @mine (private) with @peer's public part, plain or
 * with the X9.63 KDF (SHA-256, @outlen bytes, a UKM) as CMS asks.
 */
static size_t derive_with(EVP_PKEY *mine, EVP_PKEY *peer, int x963,
			  size_t outlen, unsigned char *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
	static unsigned char ukm[] = "ECC-CMS-SharedInfo stand-in";
	size_t len = 0;
	int ok;

	ok = ctx && EVP_PKEY_derive_init(ctx) == 1 &&
	     EVP_PKEY_derive_set_peer(ctx, peer) == 1;
	if (ok && x963) {
		unsigned char *u = OPENSSL_memdup(ukm, sizeof(ukm));

		ok = EVP_PKEY_CTX_set_ecdh_kdf_type(
			     ctx, EVP_PKEY_ECDH_KDF_X9_63) == 1 &&
		     EVP_PKEY_CTX_set_ecdh_kdf_md(ctx, EVP_sha256()) == 1 &&
		     EVP_PKEY_CTX_set_ecdh_kdf_outlen(ctx, (int)outlen) == 1 &&
		     EVP_PKEY_CTX_set0_ecdh_kdf_ukm(ctx, u, sizeof(ukm)) == 1;
		if (!ok)
			OPENSSL_free(u);
	}
	if (ok && EVP_PKEY_derive(ctx, NULL, &len) == 1 && len <= 64 &&
	    EVP_PKEY_derive(ctx, out, &len) != 1)
		len = 0;
	EVP_PKEY_CTX_free(ctx);
	return ok ? len : 0;
}

/* The keystore's side equals a default-provider peer's side. */
static void test_ec_derive(void)
{
	unsigned char ours[64], theirs[64];
	size_t a, b;
	int i, x963;

	for (i = 0; i < 2; i++) {
		EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
						   ecdh_groups[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(peer);
		for (x963 = 0; x963 <= 1; x963++) {
			a = derive_with(ecdh_key[i], peer, x963, 24, ours);
			b = derive_with(peer, ecdh_pub[i], x963, 24, theirs);
			CU_ASSERT_EQUAL(a, x963 ? 24 : (size_t)(32 + 16 * i));
			CU_ASSERT_TRUE(a && a == b && !memcmp(ours, theirs, a));
		}
		EVP_PKEY_free(peer);
	}
	/* another curve's peer is refused, not derived */
	CU_ASSERT_EQUAL(derive_with(ecdh_key[0], ecdh_pub[1], 0, 0, ours), 0);
	ERR_clear_error();
}

/*
 * An envelope made by the CLI to an EC certificate (key agreement, RFC
 * 5753), opened by CMS_decrypt through the keystore, and by the CLI with
 * -inkey pkiks:NAME.
 */
static void ec_cms_decrypt(int i, const char *cipher)
{
	static const char msg[] = "a CertRep for an EC trustpoint";
	BIO *in, *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms;
	X509 *leaf;
	char *data, name[32];
	long n;

	snprintf(name, sizeof(name), "ecdh%d", i);
	leaf = make_cert("pkiks ECDH leaf", ecdh_key[i], ec_ca_cert, ec384_key,
			 EVP_sha256(), 0, 20 + i);
	CU_ASSERT_PTR_NOT_NULL_FATAL(leaf);
	CU_ASSERT_EQUAL_FATAL(write_cert(ppath(name, "leaf.pem"), leaf), 0);
	CU_ASSERT_EQUAL_FATAL(spit(path("ecplain"), msg, sizeof(msg) - 1), 0);
	CU_ASSERT_EQUAL_FATAL(
		sh("openssl cms -encrypt -binary %s -in %s -outform DER "
		   "-out %s %s",
		   cipher, path("ecplain"), ppath(name, "env.der"),
		   ppath(name, "leaf.pem")),
		0);
	in = BIO_new_file(ppath(name, "env.der"), "rb");
	cms = d2i_CMS_bio(in, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	CU_ASSERT_EQUAL(CMS_decrypt(cms, ecdh_key[i], leaf, NULL, out,
				    CMS_BINARY),
			1);
	n = BIO_get_mem_data(out, &data);
	CU_ASSERT_TRUE(n == (long)sizeof(msg) - 1 &&
		       memcmp(data, msg, (size_t)n) == 0);
	CU_ASSERT_EQUAL(sh("openssl cms -decrypt -binary %s -inform DER "
			   "-in %s -recip %s -inkey pkiks:ECDH%d -out %s",
			   T.provider_args, ppath(name, "env.der"),
			   ppath(name, "leaf.pem"), i ? 384 : 256,
			   ppath(name, "out")),
			0);
	CU_ASSERT_EQUAL(sh("cmp -s %s %s", path("ecplain"), ppath(name, "out")),
			0);
	ERR_print_errors_fp(stderr);
	CMS_ContentInfo_free(cms);
	X509_free(leaf);
	BIO_free(in);
	BIO_free(out);
}

static void test_ec_cms_decrypt(void)
{
	ec_cms_decrypt(0, "-aes-128-cbc");
	ec_cms_decrypt(1, "-aes-256-cbc");
}

/* A sign-only EC key (EC256) neither derives nor opens an envelope. */
static void test_ec_derive_usage(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ec256_key, NULL);

	ERR_clear_error();
	CU_ASSERT_NOT_EQUAL(EVP_PKEY_derive_init(ctx), 1);
	expect_error("not a key-agreement (derive) key");
	EVP_PKEY_CTX_free(ctx);
}

/* The socket from the provider's configuration beats $PKIKS_SOCKET. */
static void test_config_socket(void)
{
	char cnf[2048];

	snprintf(cnf, sizeof(cnf),
		 "openssl_conf = init\n[init]\nproviders = provs\n"
		 "[provs]\ndefault = dflt\npkiks = pk\n"
		 "[dflt]\nactivate = 1\n"
		 "[pk]\nmodule = %s/pkiks-provider.so\npkiks-socket = %s\n"
		 "activate = 1\n",
		 T.build, getenv("PKIKS_SOCKET"));
	CU_ASSERT_EQUAL_FATAL(spit(path("pkiks.cnf"), cnf, strlen(cnf)), 0);
	CU_ASSERT_EQUAL(
		sh("OPENSSL_CONF=%s PKIKS_SOCKET=%s PKIKS_QUIET=0 "
		   "openssl pkeyutl -inkey pkiks:SIGNKEY -sign -pkeyopt "
		   "digest:sha256 -in %s -out %s 2>%s",
		   path("pkiks.cnf"), path("nothing.sock"), path("msg.dgst"),
		   path("msg.sig2"), path("cnf.err")),
		0);
	CU_ASSERT_TRUE(file_has(path("cnf.err"), getenv("PKIKS_SOCKET")));
	CU_ASSERT_EQUAL(
		sh("openssl pkeyutl -verify -pubin -inkey %s "
		   "-pkeyopt digest:sha256 -in %s -sigfile %s >/dev/null",
		   path("signkey.pub"), path("msg.dgst"), path("msg.sig2")),
		0);
}

/* ---- threads: one keystore handle each -------------------------------- */

#define THREAD_SIGNS 25

static void *sign_loop(void *arg)
{
	unsigned char sig[256];
	long bad = 0;
	size_t len;
	int i;

	for (i = 0; i < THREAD_SIGNS; i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		len = sizeof(sig);
		if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
				       sign_key) != 1 ||
		    EVP_DigestSign(md, sig, &len, (const unsigned char *)arg,
				   strlen(arg)) != 1 ||
		    !verify_with(sign_pub, "SHA256", sig, len, arg))
			bad++;
		EVP_MD_CTX_free(md);
	}
	return (void *)bad;
}

static void test_two_threads_sign(void)
{
	pthread_t t1, t2;
	void *bad1 = (void *)1, *bad2 = (void *)1;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&t1, NULL, sign_loop, "one"), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t2, NULL, sign_loop, "two"), 0);
	pthread_join(t1, &bad1);
	pthread_join(t2, &bad2);
	CU_ASSERT_PTR_NULL(bad1);
	CU_ASSERT_PTR_NULL(bad2);
}

/* ---- errors propagate, with a clear reason ------------------------------ */

static int sign_once(EVP_PKEY *key)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t len = sizeof(sig);
	int ok = EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestSign(md, sig, &len, (const unsigned char *)"x", 1) ==
			 1;

	EVP_MD_CTX_free(md);
	return ok;
}

static void expect_error(const char *needle)
{
	char *text = errors_text();

	if (!text || !strstr(text, needle))
		fprintf(stderr, "expected \"%s\" in:\n%s\n", needle,
			text ? text : "(nothing)");
	CU_ASSERT_TRUE(text && strstr(text, needle));
	free(text);
}

static void test_error_unknown_key(void)
{
	EVP_PKEY *pk = NULL;

	ERR_clear_error();
	CU_ASSERT_NOT_EQUAL(pkiks_pkey_load(NULL, "NOSUCH", &pk), 0);
	CU_ASSERT_PTR_NULL(pk);
	expect_error("no such key in the keystore");
	CU_ASSERT_NOT_EQUAL(sh("openssl pkeyutl %s -inkey pkiks:NOSUCH -sign "
			       "-pkeyopt digest:sha256 -in %s -out %s 2>%s",
			       T.provider_args, path("msg.dgst"), path("x.sig"),
			       path("nosuch.err")),
			    0);
	CU_ASSERT_TRUE(file_has(path("nosuch.err"), "pkiks:NOSUCH"));
}

static void test_error_usage(void)
{
	unsigned char ct[256], pt[256];
	size_t ctlen = sizeof(ct), ptlen = sizeof(pt);
	EVP_PKEY_CTX *ctx;

	ERR_clear_error();
	CU_ASSERT_FALSE(sign_once(dec_key));
	expect_error("key usage forbids this operation");

	/* Decrypting with the sign-only key: a valid ciphertext, refused. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sign_pub, "provider=default");
	CU_ASSERT_TRUE(EVP_PKEY_encrypt_init(ctx) == 1 &&
		       EVP_PKEY_encrypt(ctx, ct, &ctlen,
					(const unsigned char *)"k", 1) == 1);
	EVP_PKEY_CTX_free(ctx);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sign_key, NULL);
	CU_ASSERT_EQUAL(EVP_PKEY_decrypt_init(ctx), 1);
	CU_ASSERT_NOT_EQUAL(EVP_PKEY_decrypt(ctx, pt, &ptlen, ct, ctlen), 1);
	expect_error("key usage forbids this operation");
	EVP_PKEY_CTX_free(ctx);
}

static void test_error_time_not_authoritative(void)
{
	ERR_clear_error();
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_NONE), 0);
	CU_ASSERT_FALSE(sign_once(sign_key));
	expect_error("time is not authoritative");
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR), 0);
	CU_ASSERT_TRUE(sign_once(sign_key));
}

static void test_error_pss_refused(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	ERR_clear_error();
	CU_ASSERT_EQUAL(
		EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, sign_key), 1);
	CU_ASSERT_TRUE(
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0);
	expect_error("PKCS#1 v1.5 only");
	EVP_MD_CTX_free(md);
}

static void test_error_unreachable(void)
{
	CU_ASSERT_NOT_EQUAL(sh("PKIKS_SOCKET=%s openssl pkeyutl %s -inkey "
			       "pkiks:SIGNKEY -sign -pkeyopt digest:sha256 "
			       "-in %s -out %s 2>%s",
			       path("nothing.sock"), T.provider_args,
			       path("msg.dgst"), path("x.sig"),
			       path("unreach.err")),
			    0);
	CU_ASSERT_TRUE(file_has(path("unreach.err"), "keystore unreachable"));
	CU_ASSERT_TRUE(file_has(path("unreach.err"), "nothing.sock"));
}

int main(int argc, char **argv)
{
	static const struct cu_case tests[] = {
		{"keys RSA, P-256, P-384: type, size, digest, public part",
		 test_key_objects},
		{"default provider RSA unaffected",
		 test_default_rsa_still_works},
		{"own library context", test_own_library_context},
		{"X509_sign verifies with openssl verify",
		 test_x509_sign_verifies_with_cli},
		{"X509_CRL_sign verifies with openssl crl",
		 test_crl_sign_verifies_with_cli},
		{"X509_REQ_sign verifies with openssl req",
		 test_req_sign_verifies_with_cli},
		{"CMS_sign verifies with openssl cms",
		 test_cms_sign_verifies_with_cli},
		{"CMS_decrypt of openssl cms -encrypt (AES)",
		 test_cms_decrypt_aes},
		{"CMS_decrypt of openssl cms -encrypt (3DES)",
		 test_cms_decrypt_3des},
		{"EVP_DigestSign SHA-1/256/384/512, RSA and EC keys",
		 test_digest_sign_all_hashes},
		{"EVP_PKEY_sign of a digest and a DigestInfo",
		 test_plain_sign_of_digest},
		{"openssl pkeyutl -inkey pkiks:NAME", test_pkeyutl_cli},
		{"EC: EVP_PKEY_sign of a bare digest", test_ec_plain_sign},
		{"EC: X509_sign (EC CA, EC and RSA leaves), openssl verify",
		 test_ec_x509_sign_verifies_with_cli},
		{"EC: CMS_sign, openssl cms -verify",
		 test_ec_cms_sign_verifies_with_cli},
		{"EC: openssl pkeyutl / req -key pkiks:EC256",
		 test_ec_pkeyutl_cli},
		{"ECDH: EVP_PKEY_derive (plain, X9.63) equals OpenSSL's",
		 test_ec_derive},
		{"ECDH: CMS_decrypt and openssl cms -decrypt of an EC envelope",
		 test_ec_cms_decrypt},
		{"ECDH: a sign-only EC key does not derive",
		 test_ec_derive_usage},
		{"pkiks-socket from openssl.cnf", test_config_socket},
		{"two threads sign at once", test_two_threads_sign},
		{"unknown key", test_error_unknown_key},
		{"usage forbids", test_error_usage},
		{"time not authoritative", test_error_time_not_authoritative},
		{"PSS refused", test_error_pss_refused},
		{"keystore unreachable", test_error_unreachable},
	};

	if (argc != 3 || !getenv("PKIKS_SOCKET")) {
		fprintf(stderr, "usage: PKIKS_SOCKET=... %s TMPDIR BUILDDIR\n",
			argv[0]);
		return 2;
	}
	T.dir = argv[1];
	T.build = argv[2];
	return cu_run_suite("pkiks-provider", suite_init, suite_clean,
			    CU_CASES(tests));
}
