/* SPDX-License-Identifier: MIT */
#ifndef TEST_KEYSTORE_TIMERS_H
#define TEST_KEYSTORE_TIMERS_H

#include "keystore.h"

/*
 * The timer (@owner, @kind) in @h's list into @out; GENERIC timers, several
 * per owner, also by @label (NULL: the first of any label).  0, -ENOENT,
 * or the list's error.
 */
int timer_find(struct pkiks *h, const char *owner, enum pkiks_timer_kind kind,
	       const char *label, struct pkiks_timer_info *out);

#endif /* TEST_KEYSTORE_TIMERS_H */
