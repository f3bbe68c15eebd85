// SPDX-License-Identifier: MIT
/* The crash tests' hook (daemon/core/testhook.h). */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "testhook.h"

void pkid_test_crash(const char *step)
{
	const char *at = getenv(PKID_TEST_CRASH_ENV);

	if (!at || strcmp(at, step) != 0)
		return;
	pkid_log(LOG_ERR, NULL, "%s=%s: exiting after that step",
		 PKID_TEST_CRASH_ENV, step);
	_exit(137);
}
