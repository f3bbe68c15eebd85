/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header, for kmod/test only. */
#ifndef PKIKS_SHIM_TYPES_H
#define PKIKS_SHIM_TYPES_H
#include_next <linux/types.h>
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif
