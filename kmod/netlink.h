/* SPDX-License-Identifier: GPL-2.0 */
/* The generic netlink family "pkiks" (uapi/pkiks.h). */
#ifndef PKIKS_NETLINK_H
#define PKIKS_NETLINK_H

#include "clock.h"
#include "timers.h"

int pkiks_netlink_init(void);
void pkiks_netlink_uninit(void);

/* Multicast events (group "events"), sent from process context. */
void pkiks_nl_event_timer(const struct pkiks_timer_info *t);
void pkiks_nl_event_clock(u32 event, const struct pkiks_clock_state *st);
void pkiks_nl_event_key(const char *name);

#endif /* PKIKS_NETLINK_H */
