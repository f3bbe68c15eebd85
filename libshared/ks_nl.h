/* SPDX-License-Identifier: MIT */
/*
 * Netlink helpers shared by the keystore client and pkiksd (both build and
 * parse the same bytes with libnl).
 */
#ifndef PKID_KS_NL_H
#define PKID_KS_NL_H

#include <stdint.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

/*
 * Put a u64 attribute whose payload is 64-bit aligned, preceded by an empty
 * PKIKS_ATTR_PAD when needed: the kernel's nla_put_u64_64bit(), which
 * libnl 3.7 lacks.  0 or -EMSGSIZE.
 */
int ks_put_u64(struct nl_msg *msg, int attr, uint64_t value);

#endif /* PKID_KS_NL_H */
