/* SPDX-License-Identifier: GPL-2.0 */
/* The authoritative-time gate. */
#ifndef PKIKS_CLOCK_H
#define PKIKS_CLOCK_H

#include <linux/types.h>

struct pkiks_clock_state {
	bool authoritative;
	u32 source;   /* enum pkiks_clock_source */
	u64 now;      /* max(realtime, floor): see clock.c */
	u64 since;    /* when authority was granted, 0 when not */
	u64 realtime; /* raw CLOCK_REALTIME */
	u32 steps;    /* realtime steps detected since load */
};

int pkiks_clock_init(void);
void pkiks_clock_start(void);
void pkiks_clock_stop(void);
void pkiks_clock_uninit(void);

/* The step check alone: every request runs it. Process context. */
void pkiks_clock_check(void);
/* Detects a step first (may revoke), then reports. Process context. */
void pkiks_clock_get(struct pkiks_clock_state *st);
/* Authoritative now, or -EAGAIN. Process context. */
int pkiks_clock_now(u64 *now);
/* Grant (CALENDAR, NTP) or revoke (NONE). Process context. */
int pkiks_clock_set(u32 source);
/* Snapshot without the step check, for sysfs and timer display. */
void pkiks_clock_peek(struct pkiks_clock_state *st);

#endif /* PKIKS_CLOCK_H */
