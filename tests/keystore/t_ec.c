// SPDX-License-Identifier: MIT
/*
 * ECDSA keys (protocol v3) on either host: P-256 and P-384 imported from
 * their scalar, the key info (type, bits, SubjectPublicKeyInfo), ECDSA
 * signatures for every hash verified by OpenSSL (one written out for the
 * openssl CLI), scalars and attribute mixes refused, usage separation,
 * wrap/unwrap as PKW2 (RSA still PKW1, checked by the wrap suite), a
 * tampered key type, promote, and an outsider kept out.  Runs after the
 * wrap suite (the KEK is set) with time authoritative.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <grp.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>

#include "suite.h"

static const char message[] = "pkid keystore suite: ECDSA\n";
static EVP_PKEY *ec_keys[__PKIKS_KEY_TYPE_MAX];

static EVP_PKEY *ec_key(enum pkiks_key_type t)
{
	if (!ec_keys[t])
		ec_keys[t] = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
					       pkiks_key_type_group(t));
	return ec_keys[t];
}

/* The scalar of a test key, fixed size. */
static size_t scalar_of(enum pkiks_key_type t, unsigned char *d)
{
	size_t size = pkiks_key_type_ec_bytes(t);
	BIGNUM *bn = NULL;
	int ok;

	ok = EVP_PKEY_get_bn_param(ec_key(t), OSSL_PKEY_PARAM_PRIV_KEY, &bn) &&
	     BN_bn2binpad(bn, d, (int)size) == (int)size;
	BN_clear_free(bn);
	return ok ? size : 0;
}

static int import_ec(const char *name, enum pkiks_key_type t, uint32_t flags,
		     struct pkiks_key_info *info)
{
	unsigned char d[PKIKS_EC_MAX_BYTES];
	size_t n = scalar_of(t, d);

	if (!n)
		return -EIO;
	return pkiks_key_import_ec(ks, name, PKIKS_USAGE_SIGN, t, d, n, flags,
				   info);
}

static int verify_ec(EVP_PKEY *pub, const unsigned char *dg, size_t dg_len,
		     const unsigned char *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	int ok;

	ok = ctx && EVP_PKEY_verify_init(ctx) > 0 &&
	     EVP_PKEY_verify(ctx, sig, sig_len, dg, dg_len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -EBADMSG;
}

static int sign_verify_ec(struct pkiks *h, const char *name, EVP_PKEY *pub,
			  enum pkiks_hash hash)
{
	unsigned char dg[64], sig[PKIKS_RSA_MAX_BYTES];
	size_t sig_len = sizeof(sig);
	unsigned int dg_len;
	int err;

	EVP_Digest(message, strlen(message), dg, &dg_len, hash_md(hash), NULL);
	err = pkiks_sign(h, name, hash, dg, dg_len, sig, &sig_len);
	return err ?: verify_ec(pub, dg, dg_len, sig, sig_len);
}

static void test_feature(void)
{
	uint32_t version, features;

	CU_ASSERT_EQUAL_FATAL(pkiks_get_info(ks, &version, &features), 0);
	CU_ASSERT(version >= 3);
	CU_ASSERT(features & PKIKS_FEATURE_EC);
}

static void check_info(const struct pkiks_key_info *info, const char *name,
		       enum pkiks_key_type t)
{
	CU_ASSERT_STRING_EQUAL(info->name, name);
	CU_ASSERT_EQUAL(info->type, t);
	CU_ASSERT_EQUAL(info->bits, 8 * pkiks_key_type_ec_bytes(t));
	CU_ASSERT_EQUAL(info->usage, PKIKS_USAGE_SIGN);
	CU_ASSERT(spki_equal(ec_key(t), info->pubkey, info->pubkey_len));
}

static void test_import(void)
{
	struct pkiks_key_info info;

	CU_ASSERT_EQUAL_FATAL(import_ec("t-ec256", PKIKS_KEY_EC_P256, 0, &info),
			      0);
	check_info(&info, "t-ec256", PKIKS_KEY_EC_P256);
	free(info.pubkey);
	CU_ASSERT_EQUAL_FATAL(import_ec("t-ec384", PKIKS_KEY_EC_P384, 0, &info),
			      0);
	check_info(&info, "t-ec384", PKIKS_KEY_EC_P384);
	free(info.pubkey);
	CU_ASSERT_EQUAL(import_ec("t-ec256", PKIKS_KEY_EC_P256, 0, NULL),
			-EEXIST);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, "t-ec384", &info), 0);
	check_info(&info, "t-ec384", PKIKS_KEY_EC_P384);
	free(info.pubkey);
	/* An RSA key says so too. */
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, "t-rsa2048", &info), 0);
	CU_ASSERT_EQUAL(info.type, PKIKS_KEY_RSA);
	free(info.pubkey);
}

static void test_sign(void)
{
	enum pkiks_hash h;

	for (h = PKIKS_HASH_SHA1; h <= PKIKS_HASH_SHA512; h++) {
		CU_ASSERT_EQUAL(sign_verify_ec(ks, "t-ec256",
					       ec_key(PKIKS_KEY_EC_P256), h),
				0);
		CU_ASSERT_EQUAL(sign_verify_ec(ks, "t-ec384",
					       ec_key(PKIKS_KEY_EC_P384), h),
				0);
	}
}

/* A signature, its message and the public key, for openssl dgst. */
static void test_sign_export(void)
{
	unsigned char dg[48], sig[PKIKS_RSA_MAX_BYTES];
	size_t sig_len = sizeof(sig);
	struct pkiks_key_info info;

	EVP_Digest(message, strlen(message), dg, NULL, EVP_sha384(), NULL);
	CU_ASSERT_EQUAL_FATAL(pkiks_sign(ks, "t-ec384", PKIKS_HASH_SHA384, dg,
					 sizeof(dg), sig, &sig_len),
			      0);
	CU_ASSERT(sig_len <= 2 + 2 * (3 + PKIKS_EC_MAX_BYTES));
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, "t-ec384", &info), 0);
	CU_ASSERT_EQUAL(write_file("ec-message.txt", message, strlen(message)),
			0);
	CU_ASSERT_EQUAL(write_file("ec-signature-sha384.bin", sig, sig_len), 0);
	CU_ASSERT_EQUAL(
		write_file("ec-pubkey.der", info.pubkey, info.pubkey_len), 0);
	free(info.pubkey);
}

/* The group order of @t, big-endian, fixed size; @delta added. */
static void order_plus(enum pkiks_key_type t, int delta, unsigned char *out)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(
		OBJ_txt2nid(pkiks_key_type_group(t)));
	BIGNUM *n = BN_dup(EC_GROUP_get0_order(g));

	if (delta < 0)
		BN_sub_word(n, (BN_ULONG)-delta);
	else
		BN_add_word(n, (BN_ULONG)delta);
	BN_bn2binpad(n, out, (int)pkiks_key_type_ec_bytes(t));
	BN_free(n);
	EC_GROUP_free(g);
}

static void test_refused(void)
{
	unsigned char d[PKIKS_EC_MAX_BYTES + 1] = {0}, dg[32] = {1};
	size_t out_len = sizeof(d);
	int t;

	for (t = PKIKS_KEY_EC_P256; t <= PKIKS_KEY_EC_P384; t++) {
		size_t size = pkiks_key_type_ec_bytes(t);

		memset(d, 0, sizeof(d));
		CU_ASSERT_EQUAL(pkiks_key_import_ec(ks, "t-bad", PKIKS_USAGE_SIGN,
						    t, d, size, 0, NULL),
				-EINVAL); /* zero */
		order_plus(t, 0, d);
		CU_ASSERT_EQUAL(pkiks_key_import_ec(ks, "t-bad", PKIKS_USAGE_SIGN,
						    t, d, size, 0, NULL),
				-EINVAL); /* n */
		order_plus(t, 1, d);
		CU_ASSERT_EQUAL(pkiks_key_import_ec(ks, "t-bad", PKIKS_USAGE_SIGN,
						    t, d, size, 0, NULL),
				-EINVAL); /* n + 1 */
		memset(d, 0xff, sizeof(d));
		CU_ASSERT_EQUAL(pkiks_key_import_ec(ks, "t-bad", PKIKS_USAGE_SIGN,
						    t, d, size, 0, NULL),
				-EINVAL); /* 2^bits - 1 > n */
		/* n - 1 is the largest scalar there is: accepted, signs */
		order_plus(t, -1, d);
		CU_ASSERT_EQUAL(pkiks_key_import_ec(ks, "t-edge", PKIKS_USAGE_SIGN,
						    t, d, size, 0, NULL),
				0);
		CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-edge"), 0);
		/* usage DECRYPT with an EC key */
		d[0] = 0;
		d[size - 1] = 7;
		CU_ASSERT_EQUAL(
			pkiks_key_import_ec(ks, "t-bad",
					    PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT,
					    t, d, size, 0, NULL),
			-EINVAL);
	}
	/* Longer than P-256's scalar (but within P-384's): EINVAL */
	memset(d, 0, sizeof(d));
	d[40] = 1;
	CU_ASSERT_EQUAL(pkiks_key_import_ec(ks, "t-bad", PKIKS_USAGE_SIGN,
					    PKIKS_KEY_EC_P256, d, 41, 0, NULL),
			-EINVAL);
	/* Longer than any scalar: the attribute's policy, ERANGE */
	CU_ASSERT_EQUAL(pkiks_key_import_ec(ks, "t-bad", PKIKS_USAGE_SIGN,
					    PKIKS_KEY_EC_P384, d,
					    PKIKS_EC_MAX_BYTES + 1, 0, NULL),
			-ERANGE);
	CU_ASSERT_EQUAL(pkiks_key_get(ks, "t-bad", &(struct pkiks_key_info){0}),
			-ENOENT);
	/* An EC key never decrypts; its digest must be its hash's size. */
	CU_ASSERT_EQUAL(pkiks_decrypt(ks, "t-ec256", dg, sizeof(dg), d,
				      &out_len),
			-EKEYREJECTED);
	out_len = sizeof(d);
	CU_ASSERT_EQUAL(pkiks_sign(ks, "t-ec256", PKIKS_HASH_SHA384, dg,
				   sizeof(dg), d, &out_len),
			-EINVAL);
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_wrap(void)
{
	unsigned char *blob, d[PKIKS_EC_MAX_BYTES];
	struct pkiks_key_info info;
	size_t len, n;
	int t;

	for (t = PKIKS_KEY_EC_P256; t <= PKIKS_KEY_EC_P384; t++) {
		const char *name = t == PKIKS_KEY_EC_P256 ? "t-ec256"
							  : "t-ec384";

		CU_ASSERT_EQUAL_FATAL(pkiks_key_wrap(ks, name, &blob, &len), 0);
		CU_ASSERT_FATAL(len > PKIKS_WRAP2_HDR_LEN + PKIKS_WRAP_TAG_LEN);
		CU_ASSERT(!memcmp(blob, PKIKS_WRAP2_MAGIC, 4));
		CU_ASSERT_EQUAL(le32(blob + 16), PKIKS_USAGE_SIGN);
		CU_ASSERT_EQUAL(blob[20] | blob[21] << 8,
				8 * pkiks_key_type_ec_bytes(t));
		CU_ASSERT_STRING_EQUAL((const char *)blob + 22, name);
		CU_ASSERT_EQUAL(le32(blob + PKIKS_WRAP_HDR_LEN), (uint32_t)t);
		CU_ASSERT_EQUAL(len, PKIKS_WRAP2_HDR_LEN + 2 +
					     pkiks_key_type_ec_bytes(t) +
					     PKIKS_WRAP_TAG_LEN);
		n = scalar_of(t, d);
		CU_ASSERT(n && !memmem(blob, len, d, 16));
		CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, "t-ecw", 0,
						 &info),
				0);
		check_info(&info, "t-ecw", t);
		free(info.pubkey);
		CU_ASSERT_EQUAL(sign_verify_ec(ks, "t-ecw", ec_key(t),
					       PKIKS_HASH_SHA256),
				0);
		CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-ecw"), 0);
		/* The key type is in the AAD: P-256 <-> P-384 fails */
		blob[PKIKS_WRAP_HDR_LEN] ^= 3;
		CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, "t-ecw", 0,
						 NULL),
				-EBADMSG);
		/* An unknown key type, and RSA in a PKW2 header */
		blob[PKIKS_WRAP_HDR_LEN] = 9;
		CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, "t-ecw", 0,
						 NULL),
				-EBADMSG);
		blob[PKIKS_WRAP_HDR_LEN] = PKIKS_KEY_RSA;
		CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, "t-ecw", 0,
						 NULL),
				-EBADMSG);
		/* The same bytes as a PKW1 blob: refused */
		blob[PKIKS_WRAP_HDR_LEN] = (unsigned char)t;
		memcpy(blob, PKIKS_WRAP_MAGIC, 4);
		CU_ASSERT_EQUAL(pkiks_key_unwrap(ks, blob, len, "t-ecw", 0,
						 NULL),
				-EBADMSG);
		free(blob);
	}
}

static void test_promote(void)
{
	struct pkiks_key_info info;

	CU_ASSERT_EQUAL_FATAL(import_ec("t-ecp#", PKIKS_KEY_EC_P384, 0, NULL),
			      0);
	CU_ASSERT_EQUAL_FATAL(import_ec("t-ecp", PKIKS_KEY_EC_P256, 0, NULL),
			      0);
	CU_ASSERT_EQUAL(pkiks_key_promote(ks, "t-ecp"), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, "t-ecp", &info), 0);
	check_info(&info, "t-ecp", PKIKS_KEY_EC_P384);
	free(info.pubkey);
	CU_ASSERT_EQUAL(sign_verify_ec(ks, "t-ecp", ec_key(PKIKS_KEY_EC_P384),
				       PKIKS_HASH_SHA384),
			0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-ecp"), 0);
}

/* An outsider (nobody) may neither sign with nor wrap root's EC key. */
static void test_outsider(void)
{
	int status, r[2] = {1, 1}, p[2];
	struct pollfd pfd;
	struct pkiks *h;
	gid_t g = 65534;
	pid_t pid;

	if (geteuid() != 0) {
		CU_PASS("skipped: the suite does not run as root");
		return;
	}
	CU_ASSERT_FATAL(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		unsigned char *blob;
		size_t len;

		close(p[0]);
		alarm(20);
		if (!setgroups(1, &g) && !setresgid(g, g, g) &&
		    !setresuid(65534, 65534, 65534) && !open_handle(&h)) {
			r[0] = sign_verify_ec(h, "t-ec256",
					      ec_key(PKIKS_KEY_EC_P256),
					      PKIKS_HASH_SHA256);
			r[1] = pkiks_key_wrap(h, "t-ec256", &blob, &len);
		}
		_exit(write(p[1], r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	CU_ASSERT_FATAL(pid > 0);
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	if (poll(&pfd, 1, 25000) != 1 || read(p[0], r, sizeof(r)) != sizeof(r))
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(p[0]);
	CU_ASSERT_EQUAL(r[0], -EPERM);
	CU_ASSERT_EQUAL(r[1], -EPERM);
}

static int ec_cleanup(void)
{
	int t;

	for (t = 0; t < __PKIKS_KEY_TYPE_MAX; t++) {
		EVP_PKEY_free(ec_keys[t]);
		ec_keys[t] = NULL;
	}
	return 0;
}

int suite_ec(void)
{
	CU_pSuite s = CU_add_suite("ecdsa", NULL, ec_cleanup);

	if (!s || !CU_add_test(s, "v3, FEATURE_EC", test_feature) ||
	    !CU_add_test(s, "import P-256/P-384, key info", test_import) ||
	    !CU_add_test(s, "ECDSA for every hash", test_sign) ||
	    !CU_add_test(s, "signature for openssl", test_sign_export) ||
	    !CU_add_test(s, "bad scalars, usage, sizes", test_refused) ||
	    !CU_add_test(s, "wrap/unwrap PKW2, tampered type", test_wrap) ||
	    !CU_add_test(s, "promote EC", test_promote) ||
	    !CU_add_test(s, "outsider EPERM", test_outsider))
		return -1;
	return 0;
}
