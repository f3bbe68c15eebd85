// SPDX-License-Identifier: GPL-2.0
/* tests/lib/cunit_run.c: see cunit_run.h. */
#include <CUnit/Basic.h>

#include "cunit_run.h"

static int add_cases(CU_pSuite s, const struct cu_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!CU_add_test(s, cases[i].name, cases[i].fn))
			return -1;
	return 0;
}

int cu_run_registered(void)
{
	unsigned int failed;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() +
		 CU_get_number_of_suites_failed() +
		 CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

int cu_run_suite(const char *suite, CU_InitializeFunc init,
		 CU_CleanupFunc clean, const struct cu_case *cases, size_t n)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, init, clean);
	if (!s || add_cases(s, cases, n)) {
		CU_cleanup_registry();
		return 2;
	}
	return cu_run_registered();
}
