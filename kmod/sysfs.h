/* SPDX-License-Identifier: GPL-2.0 */
/* /sys/kernel/pkiks: clock/ and timers/<owner>/<KIND>/. */
#ifndef PKIKS_SYSFS_H
#define PKIKS_SYSFS_H

struct pkiks_timer;

int pkiks_sysfs_init(void);
void pkiks_sysfs_uninit(void);

/* A timer's kobject: init at allocation, add when listed, del when gone. */
void pkiks_sysfs_timer_init(struct pkiks_timer *t);
int pkiks_sysfs_timer_add(struct pkiks_timer *t);
void pkiks_sysfs_timer_del(struct pkiks_timer *t); /* also drops t */
void pkiks_sysfs_timer_put(struct pkiks_timer *t); /* never added: drop */

#endif /* PKIKS_SYSFS_H */
