// SPDX-License-Identifier: MIT
/*
 * pkiks-vmtest bench: RSA signatures per second through the module, over
 * netlink, from THREADS threads (each with its own handle, as the client
 * API requires), for SECONDS seconds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmtest.h"

#define BENCH_THREADS_MAX 16

struct bench_arg {
	const char *name;
	double until;
	unsigned long signs;
	int err;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *bench_thread(void *p)
{
	struct bench_arg *a = p;
	unsigned char dg[32], sig[512];
	struct pkiks *ks = NULL;
	size_t sig_len;

	memset(dg, 0x5a, sizeof(dg));
	a->err = vm_open(&ks);
	while (!a->err && mono_s() < a->until) {
		sig_len = sizeof(sig);
		dg[0] = (unsigned char)a->signs;
		a->err = pkiks_sign(ks, a->name, PKIKS_HASH_SHA256, dg,
				    sizeof(dg), sig, &sig_len);
		if (!a->err)
			a->signs++;
	}
	if (ks)
		pkiks_close(ks);
	return NULL;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_arg args[BENCH_THREADS_MAX];
	pthread_t tids[BENCH_THREADS_MAX];
	double secs = atof(argv[1]), start;
	int n = atoi(argv[2]), i, err = 0;
	unsigned long total = 0;

	if (n < 1 || n > BENCH_THREADS_MAX || secs <= 0)
		return vm_local_error("threads 1..%d, seconds > 0",
				      BENCH_THREADS_MAX);
	start = mono_s();
	for (i = 0; i < n; i++) {
		args[i] = (struct bench_arg){argv[0], start + secs, 0, 0};
		if (pthread_create(&tids[i], NULL, bench_thread, &args[i]))
			return vm_local_error("pthread_create failed");
	}
	for (i = 0; i < n; i++) {
		pthread_join(tids[i], NULL);
		total += args[i].signs;
		if (args[i].err)
			err = args[i].err;
	}
	secs = mono_s() - start;
	if (!err)
		printf("pkiks-bench: key=%s threads=%d signs=%lu seconds=%.2f "
		       "rate=%.1f/s\n",
		       argv[0], n, total, secs, total / secs);
	return err;
}
