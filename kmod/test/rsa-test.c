// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the module's RSA and DER code (kmod/rsa.c, bignum.c, der.c
 * compiled in userspace against the shims in kmod/test/include): every
 * result is cross-checked with OpenSSL.
 *   - PKCS#1 v1.5 signatures are deterministic, so each one must equal
 *     OpenSSL's byte for byte (a known-answer test over random keys) and
 *     verify with EVP_PKEY_verify;
 *   - decryption must recover what OpenSSL encrypted, for every message
 *     length, and reject corrupted ciphertexts;
 *   - the SubjectPublicKeyInfo must equal i2d_PUBKEY's;
 *   - inconsistent components are refused at load.
 * Usage: rsa-test [rounds]
 *        rsa-test --bench [rounds]: signs/s per core, this code vs OpenSSL
 */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "uapi/pkiks.h"
#include "../rsa.h"
#include "../der.h"
#include "harness.h"

static const char *const param_names[8] = {
	OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
	OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
	OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

struct parts {
	unsigned char buf[8][512];
	size_t len[8];
};

static int get_parts(EVP_PKEY *pk, struct parts *pt)
{
	BIGNUM *bn = NULL;
	int i;

	for (i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(pk, param_names[i], &bn))
			return -1;
		pt->len[i] = BN_bn2bin(bn, pt->buf[i]);
		BN_clear_free(bn);
		bn = NULL;
	}
	return 0;
}

static void to_be(const struct parts *pt, struct pkiks_rsa_be *be)
{
	be->n = pt->buf[0], be->n_len = pt->len[0];
	be->e = pt->buf[1], be->e_len = pt->len[1];
	be->d = pt->buf[2], be->d_len = pt->len[2];
	be->p = pt->buf[3], be->p_len = pt->len[3];
	be->q = pt->buf[4], be->q_len = pt->len[4];
	be->dp = pt->buf[5], be->dp_len = pt->len[5];
	be->dq = pt->buf[6], be->dq_len = pt->len[6];
	be->qinv = pt->buf[7], be->qinv_len = pt->len[7];
}

static const EVP_MD *md_of(int hash)
{
	switch (hash) {
	case PKIKS_HASH_SHA1:
		return EVP_sha1();
	case PKIKS_HASH_SHA256:
		return EVP_sha256();
	case PKIKS_HASH_SHA384:
		return EVP_sha384();
	default:
		return EVP_sha512();
	}
}

static void test_sign(EVP_PKEY *pk, struct pkiks_rsa *key, int hash)
{
	unsigned char dg[64], sig[512], ref[512];
	size_t dlen = EVP_MD_get_size(md_of(hash)), ref_len = sizeof(ref);
	size_t k = pkiks_rsa_size(key);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	int err;

	RAND_bytes(dg, sizeof(dg));
	err = pkiks_rsa_sign(key, hash, dg, dlen, sig);
	CHECK(!err, "sign hash %d: %d", hash, err);
	EVP_PKEY_sign_init(ctx);
	EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
	EVP_PKEY_CTX_set_signature_md(ctx, md_of(hash));
	CHECK(EVP_PKEY_sign(ctx, ref, &ref_len, dg, dlen) == 1, "openssl sign");
	CHECK(ref_len == k && !memcmp(sig, ref, k), "hash %d: != openssl",
	      hash);
	EVP_PKEY_verify_init(ctx);
	EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
	EVP_PKEY_CTX_set_signature_md(ctx, md_of(hash));
	CHECK(EVP_PKEY_verify(ctx, sig, k, dg, dlen) == 1, "verify");
	CHECK(pkiks_rsa_sign(key, hash, dg, dlen - 1, sig) == -EINVAL,
	      "wrong digest length accepted");
	EVP_PKEY_CTX_free(ctx);
}

static void test_decrypt(EVP_PKEY *pk, struct pkiks_rsa *key, size_t mlen)
{
	unsigned char msg[512], ct[512], out[512];
	size_t k = pkiks_rsa_size(key), ct_len = sizeof(ct);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	int n;

	RAND_bytes(msg, mlen);
	EVP_PKEY_encrypt_init(ctx);
	EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
	CHECK(EVP_PKEY_encrypt(ctx, ct, &ct_len, msg, mlen) == 1, "encrypt");
	n = pkiks_rsa_decrypt(key, ct, ct_len, out, sizeof(out));
	CHECK(n == (int)mlen && !memcmp(out, msg, mlen), "decrypt len %zu: %d",
	      mlen, n);
	if (mlen > 0)
		CHECK(pkiks_rsa_decrypt(key, ct, ct_len, out, mlen - 1) ==
			      -EBADMSG,
		      "short output room accepted");
	ct[k / 2] ^= 0x40; /* garbage after decryption: padding must fail */
	n = pkiks_rsa_decrypt(key, ct, ct_len, out, sizeof(out));
	CHECK(n == -EBADMSG || n >= 0, "corrupt: %d", n);
	CHECK(pkiks_rsa_decrypt(key, ct, ct_len - 1, out, sizeof(out)) ==
		      -EINVAL,
	      "short ciphertext accepted");
	memset(ct, 0xff, k);
	CHECK(pkiks_rsa_decrypt(key, ct, k, out, sizeof(out)) == -EBADMSG,
	      "ciphertext >= n accepted");
	EVP_PKEY_CTX_free(ctx);
}

static void test_spki(EVP_PKEY *pk, const struct parts *pt)
{
	unsigned char out[PKIKS_SPKI_MAX], *ref = NULL;
	int len = pkiks_der_rsa_spki(out, sizeof(out), pt->buf[0], pt->len[0],
				     pt->buf[1], pt->len[1]);
	int ref_len = i2d_PUBKEY(pk, &ref);

	CHECK(len == ref_len && !memcmp(out, ref, len), "spki differs");
	OPENSSL_free(ref);
}

static void test_bad_parts(struct parts *pt)
{
	struct pkiks_rsa key;
	struct pkiks_rsa_be be;
	int i;

	for (i = 2; i < 8; i++) { /* d, p, q, dp, dq, qinv */
		pt->buf[i][pt->len[i] - 1] ^= 2;
		to_be(pt, &be);
		CHECK(pkiks_rsa_load(&key, &be) == -EINVAL,
		      "bad part %d loaded", i);
		pt->buf[i][pt->len[i] - 1] ^= 2;
	}
}

static void test_key(int bits, int rounds)
{
	EVP_PKEY *pk = EVP_RSA_gen(bits);
	struct pkiks_rsa *key = calloc(1, sizeof(*key));
	struct pkiks_rsa_be be;
	struct parts pt;
	unsigned char exp[512];
	int i, h, err;

	if (!pk || !key || get_parts(pk, &pt)) {
		CHECK(0, "keygen %d", bits);
		return;
	}
	to_be(&pt, &be);
	err = pkiks_rsa_load(key, &be);
	CHECK(!err, "load %d: %d", bits, err);
	if (err)
		goto out;
	CHECK(pkiks_rsa_export(key, PKIKS_RSA_QINV, exp) == pt.len[7] &&
		      !memcmp(exp, pt.buf[7], pt.len[7]),
	      "export qinv");
	for (i = 0; i < rounds; i++)
		for (h = PKIKS_HASH_SHA1; h <= PKIKS_HASH_SHA512; h++)
			test_sign(pk, key, h);
	for (i = 0; i < rounds; i++)
		test_decrypt(pk, key, rand() % (bits / 8 - 10));
	test_decrypt(pk, key, 0);
	test_decrypt(pk, key, bits / 8 - 11);
	test_spki(pk, &pt);
	test_bad_parts(&pt);
out:
	pkiks_rsa_wipe(key);
	free(key);
	EVP_PKEY_free(pk);
}

/* ---- bench: RSASSA-PKCS1-v1_5 SHA-256 signatures/s on one core ---- */

#define BENCH_SLICE_NS 300000000LL /* each timed slice */
#define BENCH_MAX_OPS  100000	   /* bound per slice, whatever the clock */

/*
 * This thread's CPU time, not the wall clock: the build machine is shared,
 * and a rate per core should not count the time other jobs held it.
 */
static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Signatures per second of one signer during one slice (0 on error). */
static double bench_slice(EVP_PKEY *pk, struct pkiks_rsa *key)
{
	unsigned char dg[32] = {1}, sig[512];
	size_t len;
	EVP_PKEY_CTX *ctx = NULL;
	long long t0, t = 0;
	int n;

	if (pk) {
		ctx = EVP_PKEY_CTX_new(pk, NULL);
		if (!ctx || EVP_PKEY_sign_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
			goto fail;
	}
	t0 = now_ns();
	for (n = 0; n < BENCH_MAX_OPS; n++) {
		dg[0]++;
		len = sizeof(sig);
		if (pk ? EVP_PKEY_sign(ctx, sig, &len, dg, sizeof(dg)) != 1
		       : pkiks_rsa_sign(key, PKIKS_HASH_SHA256, dg, sizeof(dg),
					sig) != 0)
			goto fail;
		t = now_ns() - t0;
		if (t >= BENCH_SLICE_NS)
			break;
	}
	EVP_PKEY_CTX_free(ctx);
	return t > 0 ? (n + 1) * 1e9 / t : 0;
fail:
	EVP_PKEY_CTX_free(ctx);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Module code and OpenSSL alternately, the medians of the slices. */
static void bench_key(int bits, int rounds)
{
	EVP_PKEY *pk = EVP_RSA_gen(bits);
	struct pkiks_rsa *key = calloc(1, sizeof(*key));
	double mod[16], ossl[16], ratio[16];
	struct pkiks_rsa_be be;
	struct parts pt;
	int i;

	if (!pk || !key || get_parts(pk, &pt)) {
		CHECK(0, "keygen %d", bits);
		goto out;
	}
	to_be(&pt, &be);
	if (pkiks_rsa_load(key, &be)) {
		CHECK(0, "load %d", bits);
		goto out;
	}
	for (i = 0; i < rounds; i++) {
		mod[i] = bench_slice(NULL, key);
		ossl[i] = bench_slice(pk, NULL);
		CHECK(mod[i] > 0 && ossl[i] > 0, "bench %d failed", bits);
		ratio[i] = ossl[i] > 0 ? mod[i] / ossl[i] : 0;
	}
	qsort(mod, rounds, sizeof(double), cmp_double);
	qsort(ossl, rounds, sizeof(double), cmp_double);
	qsort(ratio, rounds, sizeof(double), cmp_double);
	printf("| RSA-%d | %.0f | %.0f | %.2f (%.2f-%.2f) |\n", bits,
	       mod[rounds / 2], ossl[rounds / 2], ratio[rounds / 2], ratio[0],
	       ratio[rounds - 1]);
out:
	pkiks_rsa_wipe(key);
	free(key);
	EVP_PKEY_free(pk);
}

static int bench(int rounds)
{
	const char *cap = getenv("OPENSSL_ia32cap");

	if (rounds < 1 || rounds > 16)
		rounds = 5;
	if (cap)
		printf("OPENSSL_ia32cap=%.40s (OpenSSL's CPU paths restricted)\n",
		       cap);
	printf("kmod RSA vs OpenSSL, PKCS#1 v1.5 SHA-256 signs per CPU-second "
	       "(one core), median of %d alternating %.1f s slices\n",
	       rounds, BENCH_SLICE_NS / 1e9);
	printf("| key | module code | OpenSSL | ratio (min-max) |\n");
	printf("|---|---:|---:|---:|\n");
	bench_key(2048, rounds);
	bench_key(3072, rounds);
	bench_key(4096, rounds);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rounds;

	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench(argc > 2 ? atoi(argv[2]) : 5);
	rounds = harness_rounds(argc, argv);

	srand(getpid());
	test_key(2048, rounds);
	test_key(2048, rounds);
	test_key(3072, rounds);
	test_key(4096, 1);
	return harness_report("rsa-test");
}
