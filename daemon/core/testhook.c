// SPDX-License-Identifier: MIT
/* The tests' hooks (daemon/core/testhook.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "testhook.h"

#define PAUSE_MAX_MS 60000
#define PAUSE_POLL_MS 10

void pkid_test_crash(const char *step)
{
	const char *at = getenv(PKID_TEST_CRASH_ENV);

	if (!at || strcmp(at, step) != 0)
		return;
	pkid_log(LOG_ERR, NULL, "%s=%s: exiting after that step",
		 PKID_TEST_CRASH_ENV, step);
	_exit(137);
}

/* $PKID_TEST_DIR/STEP.SUFFIX; false if it does not fit or no dir. */
static bool hook_path(const char *step, const char *suffix, char *path,
		      size_t size)
{
	const char *dir = getenv(PKID_TEST_DIR_ENV);

	return dir && snprintf(path, size, "%s/%s.%s", dir, step, suffix) <
			      (int)size;
}

/* env names step, alone or in a comma-separated list (a test pausing
 * every node of several at shadow-key and at promote-key). */
static bool named(const char *env, const char *step)
{
	const char *at = getenv(env);
	size_t n = strlen(step);

	for (; at && *at; at += strcspn(at, ","), at += *at == ',')
		if (!strncmp(at, step, n) && (at[n] == ',' || !at[n]))
			return true;
	return false;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
}

void pkid_test_mark(const char *step)
{
	char path[PATH_MAX];

	if (named(PKID_TEST_MARK_ENV, step) &&
	    hook_path(step, "reached", path, sizeof(path)))
		touch(path);
}

void pkid_test_pause(const char *step)
{
	const struct timespec poll = {.tv_nsec = PAUSE_POLL_MS * 1000000L};
	char reached[PATH_MAX], go[PATH_MAX];
	int i;

	if (!named(PKID_TEST_PAUSE_ENV, step) ||
	    !hook_path(step, "reached", reached, sizeof(reached)) ||
	    !hook_path(step, "go", go, sizeof(go)))
		return;
	pkid_log(LOG_ERR, NULL, "%s=%s: paused until %s",
		 PKID_TEST_PAUSE_ENV, step, go);
	touch(reached);
	for (i = 0; i < PAUSE_MAX_MS / PAUSE_POLL_MS; i++) {
		if (access(go, F_OK) == 0)
			return;
		nanosleep(&poll, NULL);
	}
	pkid_log(LOG_ERR, NULL, "%s=%s: no %s after %d ms: going on",
		 PKID_TEST_PAUSE_ENV, step, go, PAUSE_MAX_MS);
}
