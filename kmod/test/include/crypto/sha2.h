/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header, for kmod/test only. */
#ifndef PKIKS_SHIM_SHA2_H
#define PKIKS_SHIM_SHA2_H
#include <linux/types.h>
#include <openssl/sha.h>
#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64
static inline void sha256(const u8 *data, unsigned int len, u8 *out)
{
	SHA256(data, len, out);
}
#endif
