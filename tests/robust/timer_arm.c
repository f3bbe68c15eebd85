// SPDX-License-Identifier: MIT
/*
 * timer-arm THREADS PER_THREAD: arm THREADS x PER_THREAD PKI timers
 * "robust-T-I" (kind POLL, an hour ahead) on $PKIKS_SOCKET, one
 * connection per thread, all threads at once (so pkiksd batches their
 * file writes).  Prints "armed N" once every arm was acknowledged; the
 * test then SIGKILLs pkiksd and expects all N after the restart.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keystore.h"

#define MAX_THREADS    16
#define MAX_PER_THREAD 64

struct worker {
	pthread_t th;
	int id, count, err;
};

static void *arm_worker(void *arg)
{
	struct worker *w = arg;
	char owner[PKIKS_NAME_MAX];
	uint64_t deadline = ((uint64_t)time(NULL) + 3600) * 1000000000ULL;
	struct pkiks *ks = NULL;
	int i;

	w->err = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, NULL);
	for (i = 0; i < w->count && !w->err; i++) {
		snprintf(owner, sizeof(owner), "robust-%d-%d", w->id, i);
		w->err = pkiks_timer_arm(ks, owner, PKIKS_TIMER_POLL, deadline);
	}
	if (w->err)
		fprintf(stderr, "timer-arm: thread %d: %s\n", w->id,
			strerror(-w->err));
	pkiks_close(ks);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS] = {0};
	int threads, per, i, failed = 0;

	if (argc != 3 || (threads = atoi(argv[1])) < 1 ||
	    threads > MAX_THREADS || (per = atoi(argv[2])) < 1 ||
	    per > MAX_PER_THREAD) {
		fprintf(stderr,
			"usage: timer-arm THREADS(1-%d) PER_THREAD(1-%d)\n",
			MAX_THREADS, MAX_PER_THREAD);
		return 2;
	}
	for (i = 0; i < threads; i++) {
		w[i].id = i;
		w[i].count = per;
		if (pthread_create(&w[i].th, NULL, arm_worker, &w[i]))
			return 1;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		failed |= w[i].err != 0;
	}
	if (failed)
		return 1;
	printf("armed %d\n", threads * per);
	fflush(stdout);
	return 0;
}
