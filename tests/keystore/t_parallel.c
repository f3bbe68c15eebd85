// SPDX-License-Identifier: MIT
/*
 * Two threads sign at once, each with its own handle (handles are not
 * shared between threads); every signature must verify.
 */
#include <pthread.h>
#include <string.h>

#include "suite.h"

#define ROUNDS 40

struct signer {
	int ok, err;
};

static void *signer_main(void *arg)
{
	struct signer *s = arg;
	struct pkiks *h;
	int i, err;

	s->err = open_handle(&h);
	if (s->err)
		return NULL;
	for (i = 0; i < ROUNDS; i++) {
		err = sign_and_verify(h, "t-rsa2048", test_key(K2048));
		if (err)
			s->err = err;
		else
			s->ok++;
	}
	pkiks_close(h);
	return NULL;
}

static void test_parallel(void)
{
	struct signer s[2];
	pthread_t t[2];
	int i;

	memset(s, 0, sizeof(s));
	for (i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(
			pthread_create(&t[i], NULL, signer_main, &s[i]), 0);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(s[i].err, 0);
		CU_ASSERT_EQUAL(s[i].ok, ROUNDS);
	}
}

int suite_parallel(void)
{
	CU_pSuite s = CU_add_suite("parallel", NULL, NULL);

	if (!s ||
	    !CU_add_test(s, "two threads sign concurrently", test_parallel))
		return -1;
	return 0;
}
