/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host-side tests of the module's crypto (rsa-test.c, ec-test.c)
 * share: the failure count and CHECK, which reports a failure and goes on
 * so that one run shows every difference from OpenSSL; the round count
 * from the command line; the closing line and exit code.  One program per
 * file includes it, hence the static definitions.
 */
#ifndef PKIKS_KMOD_TEST_HARNESS_H
#define PKIKS_KMOD_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			failures++;                                            \
		}                                                              \
	} while (0)

/* "prog [rounds]": 3 rounds unless told, and never fewer than one. */
static inline int harness_rounds(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;

	return rounds < 1 ? 1 : rounds;
}

/* The closing line (check-arm64 quotes it) and the exit code. */
static inline int harness_report(const char *prog)
{
	printf("%s: %s (%d failures)\n", prog, failures ? "FAIL" : "PASS",
	       failures);
	return failures ? 1 : 0;
}

#endif /* PKIKS_KMOD_TEST_HARNESS_H */
