/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header, for kmod/test only. */
#ifndef PKIKS_SHIM_STRING_H
#define PKIKS_SHIM_STRING_H
#include <string.h>
#define memzero_explicit(p, n) explicit_bzero((p), (n))
#endif
