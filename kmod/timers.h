/* SPDX-License-Identifier: GPL-2.0 */
/* PKI timers: named by (owner, kind[, label]), on wall-clock deadlines. */
#ifndef PKIKS_TIMERS_H
#define PKIKS_TIMERS_H

#include <linux/hrtimer.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/workqueue.h>

#include "uapi/pkiks.h"

struct pkiks_timer_info {
	char owner[PKIKS_NAME_MAX];
	char label[PKIKS_LABEL_MAX]; /* GENERIC only, else "" */
	u32 kind;     /* enum pkiks_timer_kind */
	u64 deadline; /* ns since the epoch */
	u32 state;    /* enum pkiks_timer_state */
	u32 uid;
};

struct pkiks_sysfs_owner;

struct pkiks_timer {
	struct list_head list;	 /* timers_list, under timers_lock */
	struct kobject kobj;	 /* timers/<owner>/<KIND>; release frees */
	char label[PKIKS_LABEL_MAX]; /* GENERIC: timers/<owner>/GENERIC:<label> */
	struct hrtimer hr;	 /* CLOCK_REALTIME, absolute, while ARMED */
	struct work_struct work; /* expiry, in process context */
	char owner[PKIKS_NAME_MAX];
	u32 kind;
	u32 uid;
	u64 deadline; /* READ_ONCE/WRITE_ONCE: sysfs reads without the lock */
	u32 state;
	bool dead; /* cancelled: the work must not touch the list */
	struct pkiks_sysfs_owner *dir;
};

int pkiks_timers_init(void);
void pkiks_timers_quiesce(void); /* before the family goes away */
void pkiks_timers_uninit(void);

/* @label: "" but for GENERIC, which needs a valid one (else -EINVAL). */
int pkiks_timer_arm(const char *owner, u32 kind, const char *label,
		    u64 deadline, u32 uid, bool admin,
		    struct pkiks_timer_info *out);
int pkiks_timer_cancel(const char *owner, u32 kind, const char *label,
		       u32 uid, bool admin);
/* The timer so named, -ENOENT if none (-EINVAL: a bad label). */
int pkiks_timer_get(const char *owner, u32 kind, const char *label,
		    struct pkiks_timer_info *out);
/* The idx-th timer (dump order), -ENOENT past the end. */
int pkiks_timer_nth(unsigned long idx, struct pkiks_timer_info *out);
/* Authority changed: arm the waiting timers, or make the armed wait. */
void pkiks_timers_resync(void);

const char *pkiks_timer_kind_sysfs(u32 kind);
bool pkiks_timer_label_valid(const char *label);

#endif /* PKIKS_TIMERS_H */
