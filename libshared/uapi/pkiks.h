/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pkiks: the keystore, authoritative-time gate and PKI timers of pkid.
 *
 * One protocol, two hosts: the kernel module pkiks.ko serves it as the
 * generic netlink family "pkiks"; the userspace twin pkiksd serves the very
 * same messages (nlmsghdr + genlmsghdr + attributes, byte for byte) over a
 * SOCK_SEQPACKET Unix socket.  This header is shared by both hosts, by
 * libshared's client and by pkictl.  It grows by appending only: never
 * renumber a command, an attribute or an enum value.  Every change bumps
 * PKIKS_GENL_VERSION (GET_INFO's VERSION) and, when it adds something a
 * client may look for, appends a PKIKS_FEATURE_* bit; the list below says
 * what each version changed.
 *
 * Versions
 *   1  The first protocol.
 *   2  One definition of the protocol: PKIKS_ATTR_TABLE (each attribute's
 *      type and limits, and whether requests may carry it) and
 *      PKIKS_CMD_TABLE (each command's right, its doit/dump and the
 *      attributes it takes), at the end of this header.  From them come
 *      the module's per-command netlink policies and ops, pkiksd's
 *      dispatch and the client's reply policy.  Consequences, identical on
 *      both hosts:
 *        - an attribute the command does not take is refused (EINVAL);
 *        - a value or length outside its policy is ERANGE (pkiksd said
 *          EINVAL), pkiksd applies the module's limits (DIGEST >= 20
 *          bytes, RSA_E <= 8 bytes, other RSA parts <= 513 bytes, WRAPPED
 *          longer than header + tag) and an integer of the wrong size is
 *          EINVAL;
 *        - a right that is an admin's (KEK_SET) is checked before the
 *          attributes, every other right after them (the module checked
 *          KEK_SET's attributes first).
 *        - TIMER_DEADLINE must be 1..INT64_MAX on both hosts (the module
 *          accepted 0, pkiksd accepted more than INT64_MAX).
 *      Appended: PKIKS_TIMER_GENERIC (a timer kind for any purpose, named
 *      by its owner's PKIKS_ATTR_TIMER_LABEL), PKIKS_ATTR_TIMER_LABEL,
 *      PKIKS_LABEL_MAX, PKIKS_LABEL_CHAR_OK, PKIKS_FEATURE_GENERIC_TIMER;
 *      the sysfs / status name timers/<owner>/GENERIC:<label>/.
 *   3  ECDSA keys (PKIKS_FEATURE_EC).  Appended: PKIKS_ATTR_KEY_TYPE
 *      (enum pkiks_key_type; absent means RSA, so every v2 request means
 *      what it meant), PKIKS_ATTR_EC_PRIV, the wrapped blob "PKW2" (the
 *      PKW1 header with the key type appended; RSA keys still wrap as
 *      PKW1, and PKW1 blobs open as before).  KEY_IMPORT takes
 *      KEY_TYPE + EC_PRIV for an EC key; KEY_GET's nested KEY carries
 *      KEY_TYPE; KEY_SIGN with an EC key returns an ECDSA-Sig-Value
 *      (DER), see KEY_SIGN.
 *   4  One timer by its name (PKIKS_FEATURE_TIMER_GET): TIMER_GET is
 *      also a doit, TIMER_OWNER + TIMER_KIND [+ TIMER_LABEL] -> that
 *      timer's TIMER, ENOENT if there is none.  A daemon that gets an
 *      expiry event asks whether that one timer is still EXPIRED instead
 *      of listing every timer (tools/sim: 750 timers a keystore).  No
 *      command, attribute or enum value was added; a v3 host answers the
 *      doit EOPNOTSUPP (the client then lists).  A dump still lists
 *      every timer and ignores the three attributes.
 *   5  ECDH for EC keys (PKIKS_FEATURE_ECDH): the CertRep that a SCEP CA
 *      sends to an EC trustpoint is RFC 5753 key agreement.  Appended:
 *      PKIKS_CMD_KEY_DERIVE, PKIKS_ATTR_EC_POINT, PKIKS_USAGE_DERIVE (EC
 *      keys only; a v4 host refuses the bit, EINVAL, and a blob of a key
 *      that has it, EBADMSG).
 *
 * Conventions
 *   - Every time is u64 nanoseconds since the Unix epoch (UTC), always sent
 *     with PKIKS_ATTR_PAD for 64-bit alignment (nla_put_u64_64bit).
 *   - Strings are NUL-terminated.  Key names: 1..PKIKS_NAME_MAX-1 bytes of
 *     [A-Za-z0-9._-], optionally followed by one '#' (the rollover/shadow
 *     key, e.g. "ROOTCA#").  Timer owners: same alphabet, no '#', and
 *     never "." or ".." (owners name sysfs directories).
 *   - Big integers are unsigned big-endian, no leading zero bytes required.
 *   - Errors are negative errno values in the netlink ack (NLMSG_ERROR),
 *     the same value from both hosts for the same fault:
 *       EINVAL   malformed/missing attribute, an attribute the command does
 *                not take, an integer of the wrong size, a string without
 *                its NUL within its limit, a bad name or label, unknown
 *                bits in a mask
 *       ERANGE   an attribute's value or length outside the range of its
 *                policy (PKIKS_ATTR_TABLE): both hosts check the same
 *                table in the same order, the kernel with its netlink
 *                policy, pkiksd with the same rules (tools/pkiksd)
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
 *     v3: KEY_TYPE EC_P256 or EC_P384 with EC_PRIV (the private scalar,
 *     big-endian, 1..curve-size bytes, 1 <= d < n) and no RSA part (else
 *     EINVAL); the host derives the public point.  EC keys only sign:
 *     a usage with DECRYPT is EINVAL.  KEY_TYPE RSA is the same as none.
 *     v5: an EC key's usage may hold DERIVE (KEY_DERIVE); an RSA key's
 *     may not (EINVAL).
 * PKIKS_CMD_KEY_GET              member (doit: one key; dump: all visible)
 *     [KEY_NAME] -> KEY { KEY_NAME, KEY_BITS, KEY_USAGE, OWNER_UID,
 *                         KEY_PUBKEY (SubjectPublicKeyInfo DER),
 *                         KEY_TYPE (v3) }
 *     KEY_BITS of an EC key is the curve's size (256, 384).
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
 *     EC keys (v3): ECDSA over DIGEST (which must be HASH's size; a digest
 *     longer than the curve is truncated to its leftmost bits as FIPS
 *     186-4 says), SIGNATURE = DER ECDSA-Sig-Value { r, s }, verified
 *     with the public key before it leaves.  The nonce is deterministic
 *     (RFC 6979, HMAC-SHA-256 as its DRBG for every HASH) on the module;
 *     pkiksd uses OpenSSL's nonce.
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
 *     TIMER_OWNER, TIMER_KIND, TIMER_DEADLINE, [TIMER_LABEL],
 *     [OWNER_UID (admin only)] -> TIMER (nested timer info)
 *     TIMER_DEADLINE is 1..INT64_MAX (else EINVAL).
 *     Re-arming an existing (owner, kind[, label]) replaces its deadline.
 *     While time is not authoritative the timer is stored WAITING.
 *     TIMER_LABEL goes with kind GENERIC only, and GENERIC needs one: an
 *     owner has one timer of each IOS kind and any number of GENERIC ones
 *     (within PKIKS_TIMERS_MAX), told apart by their labels.  A label is
 *     1..PKIKS_LABEL_MAX-1 printable ASCII characters other than space
 *     and '/' (0x21..0x7e without 0x2f); anything else is EINVAL.
 * PKIKS_CMD_TIMER_CANCEL         member, owner
 *     TIMER_OWNER, TIMER_KIND, [TIMER_LABEL (GENERIC: required)]
 * PKIKS_CMD_TIMER_GET            anyone (dump: all; doit (v4): one)
 *     [TIMER_OWNER, TIMER_KIND, [TIMER_LABEL (GENERIC: required)]]
 *     -> TIMER { TIMER_OWNER, TIMER_KIND, TIMER_DEADLINE, TIMER_STATE,
 *                OWNER_UID, [TIMER_LABEL (GENERIC)] }
 *     The doit needs TIMER_OWNER and TIMER_KIND (else EINVAL), checks
 *     the owner and label as TIMER_ARM does and answers the one timer so
 *     named, or ENOENT; the dump answers every timer.
 *     An expired timer stays listed (state EXPIRED) until re-armed or
 *     cancelled, so a daemon that was not listening finds it.
 * PKIKS_CMD_EVENT                multicast group PKIKS_MCGRP_EVENTS
 *     EVENT, then TIMER (TIMER_EXPIRED) or the CLOCK_* set (clock events)
 *     or KEY_NAME (KEY_CHANGED).
 *     pkiksd: a client sends an (empty) PKIKS_CMD_EVENT request on its
 *     connection to subscribe it; the kernel uses the multicast group.
 * PKIKS_CMD_KEY_DERIVE (v5)      member, owner; usage DERIVE (else
 *                                EKEYREJECTED, so an RSA key too)
 *     KEY_NAME, EC_POINT -> DATA
 *     ECDH: DATA is the x coordinate of d*P, exactly the curve's size,
 *     big-endian (the Z of RFC 5753 / SEC 1 3.3.1, before any KDF), for
 *     the peer's point P = EC_POINT, uncompressed (04 || X || Y) on the
 *     key's curve.  Another length (the other curve's, compressed), a
 *     first byte other than 04, a coordinate >= p or a point off the
 *     curve is EINVAL; EC_POINT longer than 1 + 2 * PKIKS_EC_MAX_BYTES
 *     is ERANGE (policy).  Both curves have cofactor 1: every point on
 *     the curve is in the key's group.  No authoritative time needed (as
 *     KEY_DECRYPT: opening a CertRep is not signing anything).
 *
 * sysfs (kernel) / <statedir>/status (pkiksd) — one value per file:
 *   clock/authoritative (0|1), clock/source (none|calendar|ntp|lab),
 *   clock/now (ns), clock/since (ns), clock/steps
 *   timers/<owner>/<KIND_NAME>/{deadline,remaining,state}
 *   with KIND_NAME the IOS name with spaces as '_' (CS_CRL_UPDATE); a
 *   GENERIC timer is timers/<owner>/GENERIC:<label>/ with one more file,
 *   label (the label's alphabet has no '/', and the prefix keeps "." and
 *   ".." out).
 */
#ifndef _UAPI_LINUX_PKIKS_H
#define _UAPI_LINUX_PKIKS_H

#include <linux/types.h>

#define PKIKS_GENL_NAME "pkiks"
#define PKIKS_GENL_VERSION 5
#define PKIKS_MCGRP_EVENTS "events"

/* pkiksd's nlmsg_type for the family (no generic netlink controller there). */
#define PKIKS_TWIN_FAMILY_ID 0x7a00

#define PKIKS_NAME_MAX 64       /* key names and timer owners, with NUL */
#define PKIKS_LABEL_MAX 32      /* GENERIC timer labels, with NUL */
#define PKIKS_KEK_LEN 32        /* ChaCha20-Poly1305 key */
#define PKIKS_RSA_MAX_BYTES 512 /* 4096-bit modulus */
#define PKIKS_DIGEST_MAX 64     /* SHA-512 */
#define PKIKS_EC_MAX_BYTES 48   /* P-384 scalar (v3) */
#define PKIKS_WRAPPED_MAX 4096
#define PKIKS_MSG_MAX 16384     /* largest request or reply message */
#define PKIKS_KEYS_MAX 256
#define PKIKS_TIMERS_MAX 1024

/* Features announced by GET_INFO. */
#define PKIKS_FEATURE_LAB_CLOCK (1U << 0) /* CLOCK_LAB is served */
#define PKIKS_FEATURE_KERNEL (1U << 1)    /* served by pkiks.ko */
#define PKIKS_FEATURE_GENERIC_TIMER (1U << 2) /* v2: GENERIC + TIMER_LABEL */
#define PKIKS_FEATURE_EC (1U << 3) /* v3: ECDSA P-256/P-384 keys */
#define PKIKS_FEATURE_TIMER_GET (1U << 4) /* v4: TIMER_GET doit, one timer */
#define PKIKS_FEATURE_ECDH (1U << 5) /* v5: KEY_DERIVE (ECDH) */

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
	PKIKS_CMD_KEY_DERIVE,       /* v5 */
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
	PKIKS_ATTR_TIMER_LABEL,     /* string (v2), GENERIC timers */
	PKIKS_ATTR_KEY_TYPE,        /* u32 (v3), enum pkiks_key_type */
	PKIKS_ATTR_EC_PRIV,         /* binary (v3): EC private scalar, BE */
	PKIKS_ATTR_EC_POINT,        /* binary (v5): peer point, 04 || X || Y */
	__PKIKS_ATTR_MAX
};
#define PKIKS_ATTR_MAX (__PKIKS_ATTR_MAX - 1)

/* PKIKS_ATTR_FLAGS */
#define PKIKS_F_REPLACE (1U << 0) /* import/unwrap over an existing name */

/* PKIKS_ATTR_KEY_USAGE: a sign key is never a decryption oracle. */
#define PKIKS_USAGE_SIGN (1U << 0)
#define PKIKS_USAGE_DECRYPT (1U << 1)
#define PKIKS_USAGE_DERIVE (1U << 2) /* v5: ECDH, EC keys only */

/* PKIKS_ATTR_KEY_TYPE (v3); a key without one is RSA. */
enum pkiks_key_type {
	PKIKS_KEY_RSA,
	PKIKS_KEY_EC_P256, /* ECDSA on NIST P-256 (prime256v1) */
	PKIKS_KEY_EC_P384, /* ECDSA on NIST P-384 (secp384r1) */
	__PKIKS_KEY_TYPE_MAX
};

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
	PKIKS_TIMER_GENERIC,                   /* "GENERIC" (v2), labelled */
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
 * v3, EC keys: magic "PKW2" and one more header field at the end,
 *   u32 key_type (LE, enum pkiks_key_type), so the header is
 *   PKIKS_WRAP2_HDR_LEN bytes (all of it the AAD); bits is the curve's
 *   size and plaintext = u16 length (LE) || the private scalar, big-endian
 *   and exactly the curve's size.  RSA keys still wrap as PKW1, so a v2
 *   host opens every RSA blob a v3 host makes; a PKW2 blob of a type the
 *   host does not know is EBADMSG.
 */
#define PKIKS_WRAP_MAGIC "PKW1"
#define PKIKS_WRAP2_MAGIC "PKW2"
#define PKIKS_WRAP_NONCE_LEN 8
#define PKIKS_WRAP_HDR_LEN (4 + 8 + 4 + 4 + 2 + PKIKS_NAME_MAX)
#define PKIKS_WRAP2_HDR_LEN (PKIKS_WRAP_HDR_LEN + 4)
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
	X(CONNECT_RETRY, "CONNECT RETRY")                                  \
	X(GENERIC, "GENERIC")

/*
 * The protocol table.  Both hosts and the client expand it with their own
 * X so that one definition gives the module's netlink policies, pkiksd's
 * checks and the client's reply policy.
 *
 * PKIKS_ATTR_TABLE(X): every attribute but UNSPEC, X(NAME, TYPE, A, B, DIR)
 *   TYPE        on the wire            limits checked in requests
 *   U8/U32/U64  exactly 1/4/8 bytes    (a wrong size: EINVAL)
 *   U32_RANGE   4 bytes                A <= value <= B, else ERANGE
 *   U32_MASK    4 bytes                no bit outside B, else EINVAL
 *   STRING      NUL-terminated         NUL within the first B+1 bytes
 *                                      (else EINVAL), at most B bytes
 *                                      before the NUL (else ERANGE)
 *   BINARY      bytes                  A <= length <= B, else ERANGE
 *   NESTED      nested attributes      replies only
 *   DIR: REQ (requests carry it), REPLY (only answers do: refused in a
 *   request with EINVAL), BOTH.
 */
#define PKIKS_ATTR_TABLE(X)                                                \
	X(PAD, BINARY, 0, 0, BOTH)                                         \
	X(VERSION, U32, 0, 0, REPLY)                                       \
	X(FEATURES, U32, 0, 0, REPLY)                                      \
	X(FLAGS, U32_MASK, 0, PKIKS_F_REPLACE, REQ)                        \
	X(OWNER_UID, U32, 0, 0, BOTH)                                      \
	X(KEY, NESTED, 0, 0, REPLY)                                        \
	X(KEY_NAME, STRING, 0, PKIKS_NAME_MAX - 1, BOTH)                   \
	X(KEY_USAGE, U32_MASK, 0,                                          \
	  PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT | PKIKS_USAGE_DERIVE, BOTH) \
	X(KEY_BITS, U32, 0, 0, REPLY)                                      \
	X(KEY_PUBKEY, BINARY, 1, PKIKS_WRAPPED_MAX, REPLY)                 \
	X(RSA_N, BINARY, 1, PKIKS_RSA_MAX_BYTES + 1, REQ)                  \
	X(RSA_E, BINARY, 1, 8, REQ)                                        \
	X(RSA_D, BINARY, 1, PKIKS_RSA_MAX_BYTES + 1, REQ)                  \
	X(RSA_P, BINARY, 1, PKIKS_RSA_MAX_BYTES + 1, REQ)                  \
	X(RSA_Q, BINARY, 1, PKIKS_RSA_MAX_BYTES + 1, REQ)                  \
	X(RSA_DP, BINARY, 1, PKIKS_RSA_MAX_BYTES + 1, REQ)                 \
	X(RSA_DQ, BINARY, 1, PKIKS_RSA_MAX_BYTES + 1, REQ)                 \
	X(RSA_QINV, BINARY, 1, PKIKS_RSA_MAX_BYTES + 1, REQ)               \
	X(HASH, U32_RANGE, PKIKS_HASH_SHA1, __PKIKS_HASH_MAX - 1, REQ)     \
	X(DIGEST, BINARY, 20, PKIKS_DIGEST_MAX, REQ)                       \
	X(SIGNATURE, BINARY, 1, PKIKS_RSA_MAX_BYTES, REPLY)                \
	X(DATA, BINARY, 1, PKIKS_RSA_MAX_BYTES, BOTH)                      \
	X(WRAPPED, BINARY, PKIKS_WRAP_HDR_LEN + PKIKS_WRAP_TAG_LEN + 1,    \
	  PKIKS_WRAPPED_MAX, BOTH)                                         \
	X(KEK, BINARY, PKIKS_KEK_LEN, PKIKS_KEK_LEN, REQ)                  \
	X(CLOCK_AUTHORITATIVE, U8, 0, 0, REPLY)                            \
	X(CLOCK_SOURCE, U32_RANGE, 0, __PKIKS_CLOCK_MAX - 1, BOTH)         \
	X(CLOCK_NOW, U64, 0, 0, REPLY)                                     \
	X(CLOCK_SINCE, U64, 0, 0, REPLY)                                   \
	X(CLOCK_STEPS, U32, 0, 0, REPLY)                                   \
	X(CLOCK_REALTIME, U64, 0, 0, REPLY)                                \
	X(CLOCK_LAB_SET, U64, 0, 0, REQ)                                   \
	X(CLOCK_LAB_ADVANCE, U64, 0, 0, REQ)                               \
	X(TIMER, NESTED, 0, 0, REPLY)                                      \
	X(TIMER_OWNER, STRING, 0, PKIKS_NAME_MAX - 1, BOTH)                \
	X(TIMER_KIND, U32_RANGE, PKIKS_TIMER_CS_CRL_UPDATE,                \
	  __PKIKS_TIMER_KIND_MAX - 1, BOTH)                                \
	X(TIMER_DEADLINE, U64, 0, 0, BOTH)                                 \
	X(TIMER_STATE, U32, 0, 0, REPLY)                                   \
	X(EVENT, U32, 0, 0, REPLY)                                         \
	X(TIMER_LABEL, STRING, 0, PKIKS_LABEL_MAX - 1, BOTH)               \
	X(KEY_TYPE, U32_RANGE, PKIKS_KEY_RSA, __PKIKS_KEY_TYPE_MAX - 1, BOTH) \
	X(EC_PRIV, BINARY, 1, PKIKS_EC_MAX_BYTES, REQ)                     \
	X(EC_POINT, BINARY, 1, 1 + 2 * PKIKS_EC_MAX_BYTES, REQ)

/* One character of a GENERIC timer's label (both hosts check it). */
#define PKIKS_LABEL_CHAR_OK(c)                                             \
	((unsigned char)(c) > 0x20 && (unsigned char)(c) < 0x7f && (c) != '/')

/* Who may send a command (see "Permissions"). */
enum pkiks_right {
	PKIKS_RIGHT_ANYONE,
	PKIKS_RIGHT_MEMBER,
	PKIKS_RIGHT_ADMIN,       /* checked before the attributes */
	PKIKS_RIGHT_TIME_SETTER, /* kernel: CAP_SYS_TIME; pkiksd: admin, or
				  * a member with --lab */
	PKIKS_RIGHT_LAB,         /* pkiksd --lab: member; else EOPNOTSUPP */
};

/* A command's attribute set, for PKIKS_CMD_TABLE (PAD is always taken). */
#define PKIKS_A(name) (1ULL << PKIKS_ATTR_##name)
#define PKIKS_A_RSA                                                        \
	(PKIKS_A(RSA_N) | PKIKS_A(RSA_E) | PKIKS_A(RSA_D) | PKIKS_A(RSA_P) | \
	 PKIKS_A(RSA_Q) | PKIKS_A(RSA_DP) | PKIKS_A(RSA_DQ) |             \
	 PKIKS_A(RSA_QINV))

/*
 * PKIKS_CMD_TABLE(X): every command, X(NAME, RIGHT, MODE, ATTRS)
 *   RIGHT  PKIKS_RIGHT_<RIGHT>
 *   MODE   DO (a request), DUMP (NLM_F_DUMP only), DO_DUMP (both), SUB
 *          (EVENT: pkiksd's subscription request; the kernel answers it
 *          EOPNOTSUPP, its events come from the multicast group)
 *   ATTRS  the attributes a request may carry (PKIKS_A() bits); the
 *          handlers say which of them are required (EINVAL if missing).
 */
#define PKIKS_CMD_TABLE(X)                                                 \
	X(GET_INFO, ANYONE, DO, 0)                                         \
	X(KEY_IMPORT, MEMBER, DO,                                          \
	  PKIKS_A(KEY_NAME) | PKIKS_A(KEY_USAGE) | PKIKS_A_RSA |           \
		  PKIKS_A(OWNER_UID) | PKIKS_A(FLAGS) | PKIKS_A(KEY_TYPE) | \
		  PKIKS_A(EC_PRIV))                                        \
	X(KEY_GET, MEMBER, DO_DUMP, PKIKS_A(KEY_NAME))                     \
	X(KEY_DELETE, MEMBER, DO, PKIKS_A(KEY_NAME))                       \
	X(KEY_PROMOTE, MEMBER, DO, PKIKS_A(KEY_NAME))                      \
	X(KEY_SIGN, MEMBER, DO,                                            \
	  PKIKS_A(KEY_NAME) | PKIKS_A(HASH) | PKIKS_A(DIGEST))             \
	X(KEY_DECRYPT, MEMBER, DO, PKIKS_A(KEY_NAME) | PKIKS_A(DATA))      \
	X(KEY_WRAP, MEMBER, DO, PKIKS_A(KEY_NAME))                         \
	X(KEY_UNWRAP, MEMBER, DO,                                          \
	  PKIKS_A(WRAPPED) | PKIKS_A(KEY_NAME) | PKIKS_A(FLAGS))           \
	X(KEK_SET, ADMIN, DO, PKIKS_A(KEK))                                \
	X(CLOCK_GET, ANYONE, DO, 0)                                        \
	X(CLOCK_SET, TIME_SETTER, DO, PKIKS_A(CLOCK_SOURCE))               \
	X(CLOCK_LAB, LAB, DO,                                              \
	  PKIKS_A(CLOCK_LAB_SET) | PKIKS_A(CLOCK_LAB_ADVANCE))             \
	X(TIMER_ARM, MEMBER, DO,                                           \
	  PKIKS_A(TIMER_OWNER) | PKIKS_A(TIMER_KIND) |                     \
		  PKIKS_A(TIMER_DEADLINE) | PKIKS_A(TIMER_LABEL) |         \
		  PKIKS_A(OWNER_UID))                                      \
	X(TIMER_CANCEL, MEMBER, DO,                                        \
	  PKIKS_A(TIMER_OWNER) | PKIKS_A(TIMER_KIND) | PKIKS_A(TIMER_LABEL)) \
	X(TIMER_GET, ANYONE, DO_DUMP,                                      \
	  PKIKS_A(TIMER_OWNER) | PKIKS_A(TIMER_KIND) | PKIKS_A(TIMER_LABEL)) \
	X(EVENT, ANYONE, SUB, 0)                                           \
	X(KEY_DERIVE, MEMBER, DO, PKIKS_A(KEY_NAME) | PKIKS_A(EC_POINT))

#endif /* _UAPI_LINUX_PKIKS_H */
