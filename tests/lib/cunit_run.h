/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/lib/cunit_run.h: run one CUnit suite verbosely and turn its
 * result into an exit status — the main() every unit test would
 * otherwise write again.
 */
#ifndef PKID_TESTS_CUNIT_RUN_H
#define PKID_TESTS_CUNIT_RUN_H

#include <stddef.h>
#include <CUnit/CUnit.h>

struct cu_case {
	const char *name;
	CU_TestFunc fn;
};

/* A fixed array of struct cu_case as the (cases, n) pair. */
#define CU_CASES(a) (a), (sizeof(a) / sizeof((a)[0]))

/*
 * Run every suite registered so far, verbosely, then clean the registry:
 * 0 when every test passed, 1 when a test, an assertion or a suite's
 * init/cleanup failed.
 */
int cu_run_registered(void);

/*
 * One suite: 0 when every test passed, 1 when a test, an assertion or the
 * suite's init/cleanup failed, 2 when CUnit itself could not start.
 */
int cu_run_suite(const char *suite, CU_InitializeFunc init,
		 CU_CleanupFunc clean, const struct cu_case *cases, size_t n);

#endif
