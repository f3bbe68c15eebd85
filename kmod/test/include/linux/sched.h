/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header, for kmod/test only. */
#ifndef PKIKS_SHIM_SCHED_H
#define PKIKS_SHIM_SCHED_H
static inline void cond_resched(void)
{
}
#endif
