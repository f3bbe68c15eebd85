/* SPDX-License-Identifier: MIT */
/*
 * The enrollment-storm guard: the map layout shared by the BPF program
 * (daemon/bpf/guard.bpf.c) and pkid (daemon/guard*.c).  Plain fixed-size
 * types only: this header is compiled both by clang -target bpf and by the
 * host compiler.
 *
 * Addresses are 16 bytes, IPv4 mapped into IPv6 (::ffff:a.b.c.d), so one
 * map and one allow-list serve both families.
 */
#ifndef PKID_GUARD_ABI_H
#define PKID_GUARD_ABI_H

#include <linux/types.h>

#define GUARD_MAX_SOURCES 65536 /* LRU: the oldest sources are forgotten */
#define GUARD_MAX_ALLOW	  1024
/* One token in the bucket's fixed point: tokens are counted in 1e-9. */
#define GUARD_TOKEN 1000000000ULL
/*
 * Limits that keep the fixed-point arithmetic inside 64 bits: after
 * GUARD_REFILL_MAX_NS idle the bucket is simply full, and
 * GUARD_REFILL_MAX_NS * GUARD_RATE_MAX < 2^64.
 */
#define GUARD_RATE_MAX	    1000000U
#define GUARD_BURST_MAX	    1000000U
#define GUARD_REFILL_MAX_NS 1000000000000ULL /* 1000 s */

/* guard_conf[0]: what to guard, set by pkid at start and on reload. */
struct guard_conf {
	__u32 rate;  /* SYNs per second per source; 0 = pass everything */
	__u32 burst; /* bucket depth, >= 1 */
	__u16 port;  /* the SCEP (HTTP) port, host order */
	__u16 port2; /* EST's TLS port (ip http secure-server); 0: none */
	__u16 pad[2];
};

/* Key of guard_sources: the source address. */
struct guard_addr {
	__u32 w[4]; /* network order */
};

/* Value of guard_sources: one source's bucket and counters. */
struct guard_source {
	__u64 tokens;  /* in GUARD_TOKEN units */
	__u64 last_ns; /* bpf_ktime_get_ns() of the last refill */
	__u64 passed;  /* SYNs let through */
	__u64 dropped; /* SYNs dropped */
};

/* Key of guard_allow (LPM trie); IPv4 prefixes are 96 + len. */
struct guard_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* guard_totals[0], one per CPU: every SYN to the port falls in one. */
struct guard_totals {
	__u64 passed;	 /* within its source's rate */
	__u64 dropped;	 /* beyond it */
	__u64 allowed;	 /* from the allow-list, never limited */
	__u64 untracked; /* passed: no room in guard_sources */
};

#endif /* PKID_GUARD_ABI_H */
