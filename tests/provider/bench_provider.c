// SPDX-License-Identifier: MIT
/*
 * bench-provider: RSA-2048 PKCS#1 v1.5 and ECDSA P-256 SHA-256 signatures
 * per second by
 *   - OpenSSL in this process (the key in our memory: the baseline),
 *   - pkiksd through the keystore client (pkiks_sign of a digest),
 *   - pkiksd through pkiks-provider (EVP_DigestSign on pkiks:NAME),
 * with 1 and 2 threads, each thread with its own keystore handle.
 *
 * usage: bench-provider BUILDDIR   ($PKIKS_SOCKET names a --lab pkiksd;
 *        $BENCH_SECONDS sets each measurement's length, default 1)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "keystore.h"
#include "provider_client.h"

enum bench_path { BENCH_OPENSSL, BENCH_CLIENT, BENCH_PROVIDER, BENCH_PATHS };

static const char *const bench_names[BENCH_PATHS] = {
	"in-process OpenSSL",
	"pkiksd, keystore client",
	"pkiksd, pkiks-provider",
};

/* The key kinds measured, one table after the other. */
static const struct bench_kind {
	const char *title;
	const char *name;   /* in the keystore */
	const char *keygen; /* pkiks-keygen's options */
	const char *alg, *group;
	size_t bits;
} kinds[] = {
	{"RSA-2048 PKCS#1 v1.5 SHA-256", "BENCHKEY", "", "RSA", NULL, 2048},
	{"ECDSA P-256 SHA-256", "BENCHEC", "--type ec-p256", "EC", "prime256v1",
	 0},
};

static const struct bench_kind *kind; /* the one being measured */
static EVP_PKEY *local_key, *ks_key;
static double bench_seconds = 1.0;

struct bench_thread {
	enum bench_path path;
	long signs;
	int failed;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int evp_sign(EVP_PKEY *key)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t len = sizeof(sig);
	int ok = md &&
		 EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestSign(md, sig, &len, (const unsigned char *)"bench",
				5) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

static void *bench_run(void *arg)
{
	struct bench_thread *t = arg;
	unsigned char dg[32] = {1}, sig[512];
	struct pkiks *ks = NULL;
	double end = now_s() + bench_seconds;
	size_t len;

	if (t->path == BENCH_CLIENT &&
	    pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, NULL)) {
		t->failed = 1;
		return NULL;
	}
	while (!t->failed && now_s() < end) {
		switch (t->path) {
		case BENCH_OPENSSL:
			t->failed = !evp_sign(local_key);
			break;
		case BENCH_CLIENT:
			len = sizeof(sig);
			t->failed =
				pkiks_sign(ks, kind->name, PKIKS_HASH_SHA256,
					   dg, sizeof(dg), sig, &len) != 0;
			break;
		default:
			t->failed = !evp_sign(ks_key);
		}
		t->signs += !t->failed;
	}
	pkiks_close(ks);
	return NULL;
}

/* Signatures per second over @n threads, or -1 if any failed. */
static double bench(enum bench_path path, int n)
{
	struct bench_thread t[2] = {{path, 0, 0}, {path, 0, 0}};
	pthread_t tid[2];
	double start = now_s(), elapsed;
	int i;

	for (i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, bench_run, &t[i]))
			return -1;
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	elapsed = now_s() - start;
	for (i = 0; i < n; i++)
		if (t[i].failed)
			return -1;
	return (double)(t[0].signs + t[1].signs) / elapsed;
}

static int setup(const char *build)
{
	struct pkiks *ks = NULL;
	char so[4096];
	int err;

	err = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, NULL);
	if (!err)
		err = pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR);
	pkiks_close(ks);
	if (err)
		return err;
	snprintf(so, sizeof(so), "%s/pkiks-provider.so", build);
	return pkiks_provider_load(NULL, so);
}

/* The keystore's key (made by pkiks-keygen) and a local one of a kind. */
static int setup_kind(const char *build)
{
	char cmd[4300];

	EVP_PKEY_free(ks_key);
	EVP_PKEY_free(local_key);
	ks_key = local_key = NULL;
	snprintf(cmd, sizeof(cmd), "%s/bin/pkiks-keygen %s %s --replace "
		 ">/dev/null", build, kind->name, kind->keygen);
	if (system(cmd) != 0 || pkiks_pkey_load(NULL, kind->name, &ks_key))
		return -1;
	if (kind->group)
		local_key = EVP_PKEY_Q_keygen(NULL, NULL, kind->alg,
					      kind->group);
	else
		local_key = EVP_PKEY_Q_keygen(NULL, NULL, kind->alg,
					      kind->bits);
	return local_key ? 0 : -1;
}

int main(int argc, char **argv)
{
	double r1, r2;
	size_t k;
	int p;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BUILDDIR\n", argv[0]);
		return 2;
	}
	if (getenv("BENCH_SECONDS"))
		bench_seconds = atof(getenv("BENCH_SECONDS"));
	if (bench_seconds <= 0 || bench_seconds > 60)
		bench_seconds = 1.0;
	if (setup(argv[1])) {
		fprintf(stderr, "bench-provider: setup failed\n");
		return 1;
	}
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		kind = &kinds[k];
		if (setup_kind(argv[1])) {
			fprintf(stderr, "bench-provider: %s: setup failed\n",
				kind->title);
			return 1;
		}
		printf("%s%s signatures/s (%.1f s each)\n", k ? "\n" : "",
		       kind->title, bench_seconds);
		printf("%-28s %10s %10s\n", "path", "1 thread", "2 threads");
		for (p = 0; p < BENCH_PATHS; p++) {
			r1 = bench(p, 1);
			r2 = bench(p, 2);
			if (r1 < 0 || r2 < 0) {
				fprintf(stderr,
					"bench-provider: %s: a signature "
					"failed\n",
					bench_names[p]);
				return 1;
			}
			printf("%-28s %10.0f %10.0f\n", bench_names[p], r1,
			       r2);
		}
	}
	EVP_PKEY_free(ks_key);
	EVP_PKEY_free(local_key);
	return 0;
}
