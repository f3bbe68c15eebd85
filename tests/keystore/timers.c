// SPDX-License-Identifier: MIT
/* The timer lookup test-keystore and test-pkiksd share (timers.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timers.h"

int timer_find(struct pkiks *h, const char *owner, enum pkiks_timer_kind kind,
	       const char *label, struct pkiks_timer_info *out)
{
	struct pkiks_timer_info *all;
	size_t n, i;
	int err;

	err = pkiks_timer_list(h, &all, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n && err; i++) {
		if (all[i].kind == kind && !strcmp(all[i].owner, owner) &&
		    (!label || !strcmp(all[i].label, label))) {
			*out = all[i];
			err = 0;
		}
	}
	free(all);
	return err;
}
