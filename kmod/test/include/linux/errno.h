/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header, for kmod/test only. */
#include_next <linux/errno.h>
