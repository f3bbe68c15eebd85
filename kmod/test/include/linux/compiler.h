/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header, for kmod/test only. */
#ifndef PKIKS_SHIM_COMPILER_H
#define PKIKS_SHIM_COMPILER_H
#define OPTIMIZER_HIDE_VAR(var) __asm__("" : "=r"(var) : "0"(var))
#endif
