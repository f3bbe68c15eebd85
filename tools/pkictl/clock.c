// SPDX-License-Identifier: MIT
/*
 * clock calendar-valid: an administrator declares the system clock right,
 * which makes the keystore's time authoritative (IOS `clock
 * calendar-valid`).  Needs root (CAP_SYS_TIME on the kernel host).
 */
#include <stdio.h>

#include "pkictl.h"

static int clock_calendar_valid(struct pkictl *ctl, int argc, char **argv)
{
	struct pkiks_clock clk;
	struct pkiks *ks;
	int err;

	if (argc)
		return pkictl_usage("clock calendar-valid takes no arguments");
	ks = pkictl_keystore(ctl);
	if (!ks)
		return PKICTL_EXIT_UNREACHABLE;
	err = pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR);
	if (err)
		return pkictl_fail(err, "declaring the clock calendar-valid");
	err = pkiks_clock_get(ks, &clk);
	if (err)
		return pkictl_fail(err, "reading the clock");
	return pkictl_print_clock(ctl, &clk);
}

const struct pkictl_cmd pkictl_clock_cmds[] = {
	{"clock", "calendar-valid", NULL,
	 "declare the system clock valid (root)", clock_calendar_valid},
	{NULL, NULL, NULL, NULL, NULL},
};
