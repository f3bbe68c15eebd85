/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pkiks: the keystore, authoritative-time gate and PKI timers of pkid.
 *
 * One protocol, two hosts: the kernel module pkiks.ko serves it as the
 * generic netlink family "pkiks"; the userspace twin pkiksd serves the very
 * same messages (nlmsghdr + genlmsghdr + attributes, byte for byte) over a
 * SOCK_SEQPACKET Unix socket.  This header is shared by both hosts, by
 * libshared's client and by pkictl.  It grows by appending only: never
 * renumber a command, an attribute or an enum value.
 *
 * Conventions
 *   - Every time is u64 nanoseconds since the Unix epoch (UTC), always sent
 *     with PKIKS_ATTR_PAD for 64-bit alignment (nla_put_u64_64bit).
 *   - Strings are NUL-terminated.  Key names: 1..PKIKS_NAME_MAX-1 bytes of
 *     [A-Za-z0-9._-], optionally followed by one '#' (the rollover/shadow
 *     key, e.g. "ROOTCA#").  Timer owners: same alphabet, no '#', and
 *     never "." or ".." (owners name sysfs directories).
 *   - Big integers are unsigned big-endian, no leading zero bytes required.
 *   - Errors are negative errno values in the netlink ack (NLMSG_ERROR):
 *       EINVAL   malformed/missing attribute, bad name, bad size
 *       ERANGE   an attribute outside its policy limits (the kernel's
 *                netlink policy answers ERANGE where pkiksd may say EINVAL)
 *       EPERM    caller lacks the right (see Permissions)
 *       ENOENT   no such key / timer
 *       EEXIST   key name already in use (import without replace)
 *       EKEYREJECTED  key usage forbids the operation (sign vs decrypt)
 *       EAGAIN   time is not authoritative (signing, arming timers)
 *       EBADMSG  decryption padding invalid / wrapped blob fails to open
 *       ENOKEY   no key-encryption key provisioned (wrap/unwrap)
 *       EBUSY    key-encryption key already provisioned
 *       EDQUOT   too many keys or timers
 *       EOPNOTSUPP  command not served by this host (lab clock on kernel)
 *       EMSGSIZE request or reply larger than the limits below
 *
 * Permissions
 *   "admin"  = CAP_NET_ADMIN (kernel: netlink_capable(); pkiksd: peer uid 0).
 *   "member" = admin, or a caller whose groups contain the keystore group
 *              (kernel: module parameter user_gid; pkiksd: --group; the
 *              default gid 0 means admins only).
 *   Keys and timers belong to the euid that created them (admin may name
 *   another owner with PKIKS_ATTR_OWNER_UID).  A member may use, wrap,
 *   delete and promote only what it owns; admin may do anything.
 *   The daemon, running as an unprivileged member, therefore uses the keys
 *   it imported and nothing else.  Nothing ever returns private key
 *   material in clear.
 *
 * Commands (request attributes -> reply attributes)
 *
 * PKIKS_CMD_GET_INFO             anyone
 *     -> VERSION, FEATURES
 * PKIKS_CMD_KEY_IMPORT           member
 *     KEY_NAME, KEY_USAGE, RSA_N, RSA_E, RSA_D, RSA_P, RSA_Q, RSA_DP,
 *     RSA_DQ, RSA_QINV, [OWNER_UID (admin only)], [FLAGS: REPLACE]
 *     -> KEY (nested key info, see below)
 *     The host checks the components (p*q == n, a sign/verify round trip)
 *     and wipes the request buffers.  2048, 3072 and 4096 bits only.
 * PKIKS_CMD_KEY_GET              member (doit: one key; dump: all visible)
 *     [KEY_NAME] -> KEY { KEY_NAME, KEY_BITS, KEY_USAGE, OWNER_UID,
 *                         KEY_PUBKEY (SubjectPublicKeyInfo DER) }
 * PKIKS_CMD_KEY_DELETE           member, owner
 *     KEY_NAME
 * PKIKS_CMD_KEY_PROMOTE          member, owner of both
 *     KEY_NAME ("NAME"): atomically replaces NAME with "NAME#" and removes
 *     "NAME#" (CA rollover, client key regeneration).  If NAME does not
 *     exist, "NAME#" is simply renamed.
 * PKIKS_CMD_KEY_SIGN             member, owner; usage SIGN; time authoritative
 *     KEY_NAME, HASH, DIGEST -> SIGNATURE
 *     RSASSA-PKCS1-v1_5: the host builds the DigestInfo for HASH, blinds the
 *     private operation and verifies the result before returning it.
 * PKIKS_CMD_KEY_DECRYPT          member, owner; usage DECRYPT
 *     KEY_NAME, DATA (ciphertext, exactly modulus size) -> DATA (plaintext)
 *     RSAES-PKCS1-v1_5, blinded; padding checked in constant time.
 * PKIKS_CMD_KEY_WRAP             member, owner
 *     KEY_NAME -> WRAPPED
 * PKIKS_CMD_KEY_UNWRAP           member (the blob's owner) or admin
 *     WRAPPED, [KEY_NAME (import under another name)], [FLAGS: REPLACE]
 *     -> KEY
 * PKIKS_CMD_KEK_SET              admin; once per host lifetime (else EBUSY)
 *     KEK (PKIKS_KEK_LEN bytes)
 * PKIKS_CMD_CLOCK_GET            anyone
 *     -> CLOCK_AUTHORITATIVE, CLOCK_SOURCE, CLOCK_NOW, CLOCK_SINCE,
 *        CLOCK_STEPS, CLOCK_REALTIME
 *     CLOCK_NOW is the larger of the clock and the floor, the last now
 *     read while authoritative: only vouched readings raise the floor.
 *     It never goes backwards while authoritative; a grant (CLOCK_SET
 *     CALENDAR or NTP, the lab clock set) takes the clock as it is then,
 *     below an earlier authoritative now too.  It is the only "now" pkid
 *     uses, and only while CLOCK_AUTHORITATIVE.
 * PKIKS_CMD_CLOCK_SET            CAP_SYS_TIME (pkiksd: uid 0 or --lab)
 *     CLOCK_SOURCE (CALENDAR: an admin's calendar-valid; NTP: reported by
 *     pkiks-ntpwatch after adjtimex() shows the kernel clock synchronised;
 *     NONE: revoke)
 * PKIKS_CMD_CLOCK_LAB            pkiksd started with --lab only; kernel: EOPNOTSUPP
 *     CLOCK_LAB_SET (absolute) or CLOCK_LAB_ADVANCE (relative, ns)
 *     -> as CLOCK_GET.  Timers fire in deadline order as the lab clock
 *     passes them.
 * PKIKS_CMD_TIMER_ARM            member
 *     TIMER_OWNER, TIMER_KIND, TIMER_DEADLINE -> TIMER (nested timer info)
 *     Re-arming an existing (owner, kind) replaces its deadline.
 *     While time is not authoritative the timer is stored WAITING.
 * PKIKS_CMD_TIMER_CANCEL         member, owner
 *     TIMER_OWNER, TIMER_KIND
 * PKIKS_CMD_TIMER_GET            anyone (dump)
 *     -> TIMER { TIMER_OWNER, TIMER_KIND, TIMER_DEADLINE, TIMER_STATE,
 *                OWNER_UID }
 *     An expired timer stays listed (state EXPIRED) until re-armed or
 *     cancelled, so a daemon that was not listening finds it.
 * PKIKS_CMD_EVENT                multicast group PKIKS_MCGRP_EVENTS
 *     EVENT, then TIMER (TIMER_EXPIRED) or the CLOCK_* set (clock events)
 *     or KEY_NAME (KEY_CHANGED).
 *     pkiksd: a client sends an (empty) PKIKS_CMD_EVENT request on its
 *     connection to subscribe it; the kernel uses the multicast group.
 *
 * sysfs (kernel) / <statedir>/status (pkiksd) — one value per file:
 *   clock/authoritative (0|1), clock/source (none|calendar|ntp|lab),
 *   clock/now (ns), clock/since (ns), clock/steps
 *   timers/<owner>/<KIND_NAME>/{deadline,remaining,state}
 *   with KIND_NAME the IOS name with spaces as '_' (CS_CRL_UPDATE).
 */
#ifndef _UAPI_LINUX_PKIKS_H
#define _UAPI_LINUX_PKIKS_H

#include <linux/types.h>

#define PKIKS_GENL_NAME "pkiks"
#define PKIKS_GENL_VERSION 1
#define PKIKS_MCGRP_EVENTS "events"

/* pkiksd's nlmsg_type for the family (no generic netlink controller there). */
#define PKIKS_TWIN_FAMILY_ID 0x7a00

#define PKIKS_NAME_MAX 64       /* key names and timer owners, with NUL */
#define PKIKS_KEK_LEN 32        /* ChaCha20-Poly1305 key */
#define PKIKS_RSA_MAX_BYTES 512 /* 4096-bit modulus */
#define PKIKS_DIGEST_MAX 64     /* SHA-512 */
#define PKIKS_WRAPPED_MAX 4096
#define PKIKS_MSG_MAX 16384     /* largest request or reply message */
#define PKIKS_KEYS_MAX 256
#define PKIKS_TIMERS_MAX 1024

/* Features announced by GET_INFO. */
#define PKIKS_FEATURE_LAB_CLOCK (1U << 0) /* CLOCK_LAB is served */
#define PKIKS_FEATURE_KERNEL (1U << 1)    /* served by pkiks.ko */

enum pkiks_cmd {
	PKIKS_CMD_UNSPEC,
	PKIKS_CMD_GET_INFO,
	PKIKS_CMD_KEY_IMPORT,
	PKIKS_CMD_KEY_GET,
	PKIKS_CMD_KEY_DELETE,
	PKIKS_CMD_KEY_PROMOTE,
	PKIKS_CMD_KEY_SIGN,
	PKIKS_CMD_KEY_DECRYPT,
	PKIKS_CMD_KEY_WRAP,
	PKIKS_CMD_KEY_UNWRAP,
	PKIKS_CMD_KEK_SET,
	PKIKS_CMD_CLOCK_GET,
	PKIKS_CMD_CLOCK_SET,
	PKIKS_CMD_CLOCK_LAB,
	PKIKS_CMD_TIMER_ARM,
	PKIKS_CMD_TIMER_CANCEL,
	PKIKS_CMD_TIMER_GET,
	PKIKS_CMD_EVENT,
	__PKIKS_CMD_MAX
};
#define PKIKS_CMD_MAX (__PKIKS_CMD_MAX - 1)

enum pkiks_attr {
	PKIKS_ATTR_UNSPEC,
	PKIKS_ATTR_PAD,
	PKIKS_ATTR_VERSION,         /* u32 */
	PKIKS_ATTR_FEATURES,        /* u32, PKIKS_FEATURE_* */
	PKIKS_ATTR_FLAGS,           /* u32, PKIKS_F_* */
	PKIKS_ATTR_OWNER_UID,       /* u32 */
	PKIKS_ATTR_KEY,             /* nested: key info */
	PKIKS_ATTR_KEY_NAME,        /* string */
	PKIKS_ATTR_KEY_USAGE,       /* u32, PKIKS_USAGE_* */
	PKIKS_ATTR_KEY_BITS,        /* u32 */
	PKIKS_ATTR_KEY_PUBKEY,      /* binary: SubjectPublicKeyInfo DER */
	PKIKS_ATTR_RSA_N,           /* binary big-endian */
	PKIKS_ATTR_RSA_E,
	PKIKS_ATTR_RSA_D,
	PKIKS_ATTR_RSA_P,
	PKIKS_ATTR_RSA_Q,
	PKIKS_ATTR_RSA_DP,
	PKIKS_ATTR_RSA_DQ,
	PKIKS_ATTR_RSA_QINV,
	PKIKS_ATTR_HASH,            /* u32, enum pkiks_hash */
	PKIKS_ATTR_DIGEST,          /* binary */
	PKIKS_ATTR_SIGNATURE,       /* binary, modulus size */
	PKIKS_ATTR_DATA,            /* binary */
	PKIKS_ATTR_WRAPPED,         /* binary, see "Wrapped blob" */
	PKIKS_ATTR_KEK,             /* binary, PKIKS_KEK_LEN */
	PKIKS_ATTR_CLOCK_AUTHORITATIVE, /* u8 0|1 */
	PKIKS_ATTR_CLOCK_SOURCE,    /* u32, enum pkiks_clock_source */
	PKIKS_ATTR_CLOCK_NOW,       /* u64 ns: authoritative now (monotonic) */
	PKIKS_ATTR_CLOCK_SINCE,     /* u64 ns: when authority was granted */
	PKIKS_ATTR_CLOCK_STEPS,     /* u32: clock steps detected */
	PKIKS_ATTR_CLOCK_REALTIME,  /* u64 ns: the raw realtime clock */
	PKIKS_ATTR_CLOCK_LAB_SET,   /* u64 ns */
	PKIKS_ATTR_CLOCK_LAB_ADVANCE, /* u64 ns */
	PKIKS_ATTR_TIMER,           /* nested: timer info */
	PKIKS_ATTR_TIMER_OWNER,     /* string */
	PKIKS_ATTR_TIMER_KIND,      /* u32, enum pkiks_timer_kind */
	PKIKS_ATTR_TIMER_DEADLINE,  /* u64 ns */
	PKIKS_ATTR_TIMER_STATE,     /* u32, enum pkiks_timer_state */
	PKIKS_ATTR_EVENT,           /* u32, enum pkiks_event */
	__PKIKS_ATTR_MAX
};
#define PKIKS_ATTR_MAX (__PKIKS_ATTR_MAX - 1)

/* PKIKS_ATTR_FLAGS */
#define PKIKS_F_REPLACE (1U << 0) /* import/unwrap over an existing name */

/* PKIKS_ATTR_KEY_USAGE: a sign key is never a decryption oracle. */
#define PKIKS_USAGE_SIGN (1U << 0)
#define PKIKS_USAGE_DECRYPT (1U << 1)

enum pkiks_hash {
	PKIKS_HASH_NONE, /* invalid in requests */
	PKIKS_HASH_SHA1,
	PKIKS_HASH_SHA256,
	PKIKS_HASH_SHA384,
	PKIKS_HASH_SHA512,
	__PKIKS_HASH_MAX
};

enum pkiks_clock_source {
	PKIKS_CLOCK_NONE,     /* not authoritative */
	PKIKS_CLOCK_CALENDAR, /* admin's calendar-valid */
	PKIKS_CLOCK_NTP,      /* NTP synchronised */
	PKIKS_CLOCK_LAB,      /* pkiksd --lab: tests and demos */
	__PKIKS_CLOCK_MAX
};

/* IOS timer names; pkiks_timer_kind_names[] in libshared maps them. */
enum pkiks_timer_kind {
	PKIKS_TIMER_UNSPEC,
	PKIKS_TIMER_CS_CRL_UPDATE,             /* "CS CRL UPDATE" */
	PKIKS_TIMER_CS_SHADOW_CERT_GENERATION, /* "CS SHADOW CERT GENERATION" */
	PKIKS_TIMER_CS_CERT_EXPIRE,            /* "CS CERT EXPIRE" */
	PKIKS_TIMER_ER_EXPIRE,                 /* "ER EXPIRE" */
	PKIKS_TIMER_RENEW,                     /* "RENEW" */
	PKIKS_TIMER_SHADOW,                    /* "SHADOW" */
	PKIKS_TIMER_POLL,                      /* "POLL" */
	PKIKS_TIMER_CONNECT_RETRY,             /* "CONNECT RETRY" */
	__PKIKS_TIMER_KIND_MAX
};

enum pkiks_timer_state {
	PKIKS_TIMER_WAITING, /* stored; time not authoritative, not running */
	PKIKS_TIMER_ARMED,
	PKIKS_TIMER_EXPIRED,
	__PKIKS_TIMER_STATE_MAX
};

enum pkiks_event {
	PKIKS_EVENT_UNSPEC,
	PKIKS_EVENT_TIMER_EXPIRED,
	PKIKS_EVENT_CLOCK_AUTHORITATIVE,
	PKIKS_EVENT_CLOCK_REVOKED,
	PKIKS_EVENT_KEY_CHANGED,
	__PKIKS_EVENT_MAX
};

/*
 * Wrapped blob (PKIKS_ATTR_WRAPPED), identical on both hosts so a blob
 * made by one opens on the other:
 *   u8  magic[4] = "PKW1"
 *   u8  nonce[8]            random; AEAD nonce = 4 zero bytes || nonce
 *   u32 owner_uid (LE), u32 usage (LE), u16 bits (LE), u8 name[64] (NUL-padded)
 *   ciphertext || tag[16]   ChaCha20-Poly1305 (RFC 8439) under the KEK,
 *                           AAD = every byte before the ciphertext.
 *   plaintext = for each of n,e,d,p,q,dp,dq,qinv: u16 length (LE) || bytes
 */
#define PKIKS_WRAP_MAGIC "PKW1"
#define PKIKS_WRAP_NONCE_LEN 8
#define PKIKS_WRAP_HDR_LEN (4 + 8 + 4 + 4 + 2 + PKIKS_NAME_MAX)
#define PKIKS_WRAP_TAG_LEN 16

/*
 * Every timer kind once, for the name tables of both hosts (the kernel and
 * userspace cannot link each other): X(suffix, IOS name).  The sysfs name
 * is the suffix itself, e.g. X(CS_CRL_UPDATE, "CS CRL UPDATE") names
 * PKIKS_TIMER_CS_CRL_UPDATE, sysfs "CS_CRL_UPDATE".  Same order as the enum.
 */
#define PKIKS_TIMER_KINDS(X)                                               \
	X(CS_CRL_UPDATE, "CS CRL UPDATE")                                  \
	X(CS_SHADOW_CERT_GENERATION, "CS SHADOW CERT GENERATION")          \
	X(CS_CERT_EXPIRE, "CS CERT EXPIRE")                                \
	X(ER_EXPIRE, "ER EXPIRE")                                          \
	X(RENEW, "RENEW")                                                  \
	X(SHADOW, "SHADOW")                                                \
	X(POLL, "POLL")                                                    \
	X(CONNECT_RETRY, "CONNECT RETRY")

#endif /* _UAPI_LINUX_PKIKS_H */
