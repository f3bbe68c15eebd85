/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header, for kmod/test only. */
#ifndef PKIKS_SHIM_RANDOM_H
#define PKIKS_SHIM_RANDOM_H
#include <sys/random.h>
static inline void get_random_bytes(void *buf, size_t len)
{
	if (getrandom(buf, len, 0) != (ssize_t)len)
		__builtin_trap();
}
#endif
