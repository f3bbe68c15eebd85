// SPDX-License-Identifier: MIT
/*
 * pkiks-bench: RSA-2048 signatures per second through the keystore (one
 * handle per thread) and, in the same run, with OpenSSL in-process on the
 * same key and thread count, and the ratio of the two.
 *
 *   pkiks-bench --keys DIR [--transport kernel|twin|auto] [--socket PATH]
 *               [--threads N] [--seconds S] [--calendar-valid]
 *
 * The key is DIR/rsa2048.pem, imported as "bench-rsa2048" (replaced if
 * there) and deleted at the end.  Signing needs authoritative time;
 * --calendar-valid grants it first (admin only), else the host must
 * already be authoritative.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "keystore.h"

#define KEY_NAME    "bench-rsa2048"
#define THREADS_MAX 64
/* Keystore and in-process runs alternate, so that load from elsewhere on
 * the machine weighs on both alike. */
#define ROUNDS 4

static struct {
	const char *keys_dir, *socket;
	enum pkiks_transport transport;
	int threads, seconds, calendar;
} opts = {.threads = 1, .seconds = 3};

static EVP_PKEY *pkey;
static unsigned char digest[32];

struct worker {
	pthread_t thread;
	int keystore; /* 1: through the keystore, 0: OpenSSL in-process */
	double deadline;
	long count;
	int err;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *keystore_worker(struct worker *w)
{
	unsigned char sig[PKIKS_RSA_MAX_BYTES];
	struct pkiks *ks;
	size_t len;

	w->err = pkiks_open(&ks, opts.transport, opts.socket);
	if (w->err)
		return NULL;
	while (now_s() < w->deadline) {
		len = sizeof(sig);
		w->err = pkiks_sign(ks, KEY_NAME, PKIKS_HASH_SHA256, digest,
				    sizeof(digest), sig, &len);
		if (w->err)
			break;
		w->count++;
	}
	pkiks_close(ks);
	return NULL;
}

static void *openssl_worker(struct worker *w)
{
	unsigned char sig[PKIKS_RSA_MAX_BYTES];
	/* A copy per thread: a shared RSA key serialises on its blinding. */
	EVP_PKEY *mine = EVP_PKEY_dup(pkey);
	EVP_PKEY_CTX *ctx = mine ? EVP_PKEY_CTX_new(mine, NULL) : NULL;
	size_t len;

	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0) {
		w->err = -EIO;
		goto out;
	}
	while (now_s() < w->deadline) {
		len = sizeof(sig);
		if (EVP_PKEY_sign(ctx, sig, &len, digest, sizeof(digest)) <=
		    0) {
			w->err = -EIO;
			break;
		}
		w->count++;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(mine);
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	return w->keystore ? keystore_worker(w) : openssl_worker(w);
}

/* Signatures per second over all threads, or a negative errno. */
static double run(int keystore, int *err)
{
	struct worker w[THREADS_MAX];
	double start = now_s(), elapsed;
	long total = 0;
	int i;

	memset(w, 0, sizeof(w));
	*err = 0;
	for (i = 0; i < opts.threads; i++) {
		w[i].keystore = keystore;
		w[i].deadline = start + opts.seconds / (double)ROUNDS;
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i])) {
			*err = -EAGAIN;
			opts.threads = i;
			break;
		}
	}
	for (i = 0; i < opts.threads; i++) {
		pthread_join(w[i].thread, NULL);
		total += w[i].count;
		if (w[i].err)
			*err = w[i].err;
	}
	elapsed = now_s() - start;
	return total / elapsed;
}

static int import_bench_key(struct pkiks *ks)
{
	static const char *const names[8] = {
		OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	unsigned char buf[8][PKIKS_RSA_MAX_BYTES];
	size_t len[8];
	struct pkiks_rsa_parts p;
	BIGNUM *bn = NULL;
	int i, err;

	for (i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(pkey, names[i], &bn))
			return -EINVAL;
		len[i] = BN_bn2bin(bn, buf[i]);
		BN_clear_free(bn);
		bn = NULL;
	}
	p = (struct pkiks_rsa_parts){
		buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7],
		len[0], len[1], len[2], len[3], len[4], len[5], len[6], len[7],
	};
	err = pkiks_key_import(ks, KEY_NAME, PKIKS_USAGE_SIGN, &p,
			       PKIKS_F_REPLACE, NULL);
	explicit_bzero(buf, sizeof(buf));
	return err;
}

static int load_key(void)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/rsa2048.pem", opts.keys_dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "pkiks-bench: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey) {
		fprintf(stderr, "pkiks-bench: %s: not an RSA key\n", path);
		return -EINVAL;
	}
	return 0;
}

static int parse_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"keys", required_argument, NULL, 'k'},
		{"transport", required_argument, NULL, 't'},
		{"socket", required_argument, NULL, 's'},
		{"threads", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 'S'},
		{"calendar-valid", no_argument, NULL, 'c'},
		{0}};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			opts.keys_dir = optarg;
			break;
		case 't':
			if (!strcmp(optarg, "kernel"))
				opts.transport = PKIKS_TRANSPORT_KERNEL;
			else if (!strcmp(optarg, "twin"))
				opts.transport = PKIKS_TRANSPORT_TWIN;
			else if (strcmp(optarg, "auto"))
				return -EINVAL;
			break;
		case 's':
			opts.socket = optarg;
			break;
		case 'n':
			opts.threads = atoi(optarg);
			break;
		case 'S':
			opts.seconds = atoi(optarg);
			break;
		case 'c':
			opts.calendar = 1;
			break;
		default:
			return -EINVAL;
		}
	}
	if (!opts.keys_dir || optind != argc || opts.threads < 1 ||
	    opts.threads > THREADS_MAX || opts.seconds < 1)
		return -EINVAL;
	return 0;
}

static int prepare(struct pkiks *ks)
{
	struct pkiks_clock c;
	int err;

	if (opts.calendar) {
		err = pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR);
		if (err) {
			fprintf(stderr, "pkiks-bench: calendar-valid: %s\n",
				strerror(-err));
			return err;
		}
	}
	err = pkiks_clock_get(ks, &c);
	if (!err && !c.authoritative) {
		fprintf(stderr, "pkiks-bench: time is not authoritative "
				"(use --calendar-valid as root)\n");
		return -EAGAIN;
	}
	err = err ? err : import_bench_key(ks);
	if (err)
		fprintf(stderr, "pkiks-bench: importing the key: %s\n",
			strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	double via_ks, in_proc;
	struct pkiks *ks;
	int i, err, err2 = 0;

	if (parse_opts(argc, argv)) {
		fprintf(stderr,
			"usage: pkiks-bench --keys DIR [--transport "
			"kernel|twin|auto]\n"
			"       [--socket PATH] [--threads N] [--seconds S] "
			"[--calendar-valid]\n");
		return 2;
	}
	if (load_key())
		return 1;
	err = pkiks_open(&ks, opts.transport, opts.socket);
	if (err) {
		fprintf(stderr, "pkiks-bench: keystore: %s\n", strerror(-err));
		return 1;
	}
	EVP_Digest("pkiks-bench", 11, digest, NULL, EVP_sha256(), NULL);
	err = prepare(ks);
	if (err)
		goto out;
	via_ks = in_proc = 0;
	for (i = 0; i < ROUNDS && !err && !err2; i++) {
		via_ks += run(1, &err) / ROUNDS;
		in_proc += run(0, &err2) / ROUNDS;
	}
	if (err || err2) {
		fprintf(stderr, "pkiks-bench: signing failed: %s\n",
			strerror(err ? -err : -err2));
		err = err ? err : err2;
		goto out;
	}
	printf("RSA-2048 SHA-256 sign, %d thread%s, %d s each, alternating:\n", opts.threads,
	       opts.threads > 1 ? "s" : "", opts.seconds);
	printf("  keystore (%s): %10.1f signs/s\n", pkiks_transport_name(ks),
	       via_ks);
	printf("  openssl in-process: %8.1f signs/s\n", in_proc);
	printf("  ratio keystore/openssl: %.2f\n", via_ks / in_proc);
out:
	pkiks_key_delete(ks, KEY_NAME);
	pkiks_close(ks);
	EVP_PKEY_free(pkey);
	return err ? 1 : 0;
}
