// SPDX-License-Identifier: MIT
/*
 * Where the timex snapshot comes from: the kernel, read-only (modes = 0,
 * which needs no privilege and changes nothing), or -- for tests only --
 * a file given with --timex-file, read again at every poll so a test can
 * change it while the daemon runs.  The file holds "key value" lines:
 *
 *   state    TIME_OK | TIME_INS | TIME_DEL | TIME_OOP | TIME_WAIT |
 *            TIME_ERROR | a number
 *   status   the STA_* bits, decimal or 0x hex
 *   maxerror microseconds
 *   esterror microseconds
 *
 * '#' starts a comment; all four keys are required.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include "ntpwatch.h"

int ntpw_timex_kernel(struct ntpw_timex *out)
{
	struct timex tx = {.modes = 0}; /* a query: nothing is adjusted */
	int ret = adjtimex(&tx);

	out->state = ret < 0 ? -errno : ret;
	out->status = tx.status;
	out->maxerror_us = tx.maxerror;
	out->esterror_us = tx.esterror;
	return ret < 0 ? -errno : 0;
}

static const struct {
	const char *name;
	int value;
} state_names[] = {
	{"TIME_OK", TIME_OK},	  {"TIME_INS", TIME_INS},
	{"TIME_DEL", TIME_DEL},	  {"TIME_OOP", TIME_OOP},
	{"TIME_WAIT", TIME_WAIT}, {"TIME_ERROR", TIME_ERROR},
};

static int parse_long(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	if (errno || end == s || *end)
		return -EINVAL;
	return 0;
}

static int parse_state(const char *s, int *state)
{
	long v;
	size_t i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (!strcmp(s, state_names[i].name)) {
			*state = state_names[i].value;
			return 0;
		}
	}
	if (parse_long(s, &v) || v < 0 || v > INT_MAX)
		return -EINVAL;
	*state = (int)v;
	return 0;
}

/* One "key value" line into @out; sets the key's bit in *seen. */
static int parse_line(const char *key, const char *val, struct ntpw_timex *out,
		      unsigned int *seen)
{
	long v;

	if (!strcmp(key, "state")) {
		*seen |= 1;
		return parse_state(val, &out->state);
	}
	if (parse_long(val, &v) || v < 0)
		return -EINVAL;
	if (!strcmp(key, "status") && v <= INT_MAX) {
		*seen |= 2;
		out->status = (int)v;
	} else if (!strcmp(key, "maxerror")) {
		*seen |= 4;
		out->maxerror_us = v;
	} else if (!strcmp(key, "esterror")) {
		*seen |= 8;
		out->esterror_us = v;
	} else {
		return -EINVAL;
	}
	return 0;
}

int ntpw_timex_file(const char *path, struct ntpw_timex *out, int *lineno)
{
	char line[256], key[32], val[64], extra[2];
	unsigned int seen = 0;
	FILE *f;
	int err = 0, n;

	*lineno = 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		++*lineno;
		line[strcspn(line, "#\n")] = '\0';
		n = sscanf(line, "%31s %63s %1s", key, val, extra);
		if (n <= 0)
			continue; /* blank or comment */
		if (n != 2 || parse_line(key, val, out, &seen)) {
			err = -EINVAL;
			goto out;
		}
	}
	*lineno = 0;
	if (ferror(f))
		err = -EIO;
	else if (seen != 15)
		err = -ENODATA; /* a key is missing */
out:
	fclose(f);
	return err;
}
