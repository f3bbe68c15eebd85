// SPDX-License-Identifier: MIT
/*
 * The physical limit of a SCEP server on this machine: how many RSA-2048
 * private-key operations per second its cores do (PKCS#1 v1.5 signatures
 * over SHA-256 digests, as the CA's; a decryption costs the same modular
 * exponentiation).  One thread per core, each with its own key, all at
 * once for the given time, like `openssl speed -multi N rsa2048`.
 * An ECDSA CA (eckeypair) signs certificates with its curve instead:
 * bench_ec_rate() measures that signature the same way (`openssl speed
 * -multi N ecdsap256`).
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/rsa.h>

#include "bench.h"

struct rate_thread {
	pthread_t t;
	EVP_PKEY *key;
	uint64_t until_ns;
	uint64_t ops;
	int err;
};

static void *sign_loop(void *arg)
{
	struct rate_thread *rt = arg;
	unsigned char dg[32], sig[512];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(rt->key, NULL);
	size_t len;

	memset(dg, 0x42, sizeof(dg));
	if (!ctx || EVP_PKEY_sign_init(ctx) != 1 ||
	    (EVP_PKEY_get_base_id(rt->key) == EVP_PKEY_RSA &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
		rt->err = -EIO;
		goto out;
	}
	while (bench_now_ns() < rt->until_ns) {
		len = sizeof(sig);
		if (EVP_PKEY_sign(ctx, sig, &len, dg, sizeof(dg)) != 1) {
			rt->err = -EIO;
			break;
		}
		rt->ops++;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

/* Signatures/s on @threads threads with keys of @curve ("" = RSA-2048). */
static int sign_rate(unsigned int threads, double seconds, const char *curve,
		     double *ops_per_s)
{
	struct rate_thread rt[64] = {0};
	uint64_t start, total = 0;
	unsigned int i, started = 0;
	int err = 0;

	if (threads == 0 || threads > 64)
		return -EINVAL;
	for (i = 0; i < threads; i++) {
		rt[i].key = curve[0] ? EVP_EC_gen(curve) : EVP_RSA_gen(2048);
		if (!rt[i].key) {
			err = -EIO;
			goto out;
		}
	}
	start = bench_now_ns();
	for (i = 0; i < threads; i++) {
		rt[i].until_ns = start + (uint64_t)(seconds * 1e9);
		if (pthread_create(&rt[i].t, NULL, sign_loop, &rt[i])) {
			err = -EAGAIN;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(rt[i].t, NULL);
		total += rt[i].ops;
		if (rt[i].err)
			err = rt[i].err;
	}
	if (!err)
		*ops_per_s =
			(double)total * 1e9 / (double)(bench_now_ns() - start);
out:
	for (i = 0; i < threads; i++)
		EVP_PKEY_free(rt[i].key);
	return err;
}

int bench_rsa_rate(unsigned int threads, double seconds, double *ops_per_s)
{
	return sign_rate(threads, seconds, "", ops_per_s);
}

int bench_ec_rate(unsigned int threads, double seconds, const char *curve,
		  double *ops_per_s)
{
	return sign_rate(threads, seconds, curve, ops_per_s);
}
