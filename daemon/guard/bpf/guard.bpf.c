// SPDX-License-Identifier: MIT
/*
 * The enrollment-storm guard: a per-source token bucket on new TCP
 * connections to the SCEP port, run at XDP (or at tc ingress where XDP
 * cannot attach).  See daemon/guard/guard.h for how pkid drives it and
 * daemon/bpf/guard_abi.h for the maps.
 *
 * Only a SYN without ACK to the configured port is looked at; every other
 * packet passes untouched, so established connections never lose a
 * segment.  Not parsed (and so passed): VLAN tags, IPv6 extension headers,
 * IPv4 fragments after the first.
 *
 * The bucket update is not atomic across CPUs: two SYNs of one source on
 * two CPUs at the same instant may both take the last token.  The error is
 * one SYN per race, which is harmless for a storm guard and keeps the
 * program free of locks (bpf_spin_lock is not allowed in LRU maps).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "guard_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_conf);
} guard_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GUARD_MAX_SOURCES);
	__type(key, struct guard_addr);
	__type(value, struct guard_source);
} guard_sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, GUARD_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct guard_lpm_key);
	__type(value, __u8);
} guard_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_totals);
} guard_totals SEC(".maps");

/* IPv4 source as ::ffff:a.b.c.d */
static __always_inline void addr_from_v4(struct guard_addr *a, __u32 saddr)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = bpf_htonl(0xffff);
	a->w[3] = saddr;
}

/* A SYN to the SCEP port or, when there is one, to EST's TLS port: one
 * bucket per source for both. */
static __always_inline int is_syn_to(const struct tcphdr *th, __u16 port,
				     __u16 port2)
{
	return th->syn && !th->ack &&
	       (th->dest == bpf_htons(port) ||
		(port2 && th->dest == bpf_htons(port2)));
}

/*
 * 1 if the frame in [data, data_end) is a TCP SYN to @port or @port2, with
 * its source address in @src; 0 for anything else.
 */
static __always_inline int parse_syn(void *data, void *data_end, __u16 port,
				     __u16 port2, struct guard_addr *src)
{
	struct ethhdr *eth = data;
	struct tcphdr *th;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end || iph->ihl < 5 ||
		    iph->protocol != IPPROTO_TCP ||
		    (iph->frag_off & bpf_htons(0x1fff)))
			return 0;
		th = (void *)iph + iph->ihl * 4;
		if ((void *)(th + 1) > data_end || !is_syn_to(th, port, port2))
			return 0;
		addr_from_v4(src, iph->saddr);
		return 1;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end ||
		    ip6h->nexthdr != IPPROTO_TCP)
			return 0;
		th = (void *)(ip6h + 1);
		if ((void *)(th + 1) > data_end || !is_syn_to(th, port, port2))
			return 0;
		__builtin_memcpy(src->w, &ip6h->saddr, sizeof(src->w));
		return 1;
	}
	return 0;
}

static __always_inline int allow_listed(const struct guard_addr *src)
{
	struct guard_lpm_key k = {.prefixlen = 128};

	__builtin_memcpy(k.addr, src->w, sizeof(k.addr));
	return bpf_map_lookup_elem(&guard_allow, &k) != NULL;
}

/* Refill @s for the time since its last SYN, then take one token. */
static __always_inline int take_token(struct guard_source *s,
				      const struct guard_conf *c, __u64 now)
{
	__u64 cap = (__u64)c->burst * GUARD_TOKEN;
	__u64 elapsed = now - s->last_ns;
	__u64 tokens = s->tokens;

	if (elapsed > GUARD_REFILL_MAX_NS)
		tokens = cap;
	else
		tokens += elapsed * c->rate;
	if (tokens > cap)
		tokens = cap;
	s->last_ns = now;
	if (tokens < GUARD_TOKEN) {
		s->tokens = tokens;
		return 0;
	}
	s->tokens = tokens - GUARD_TOKEN;
	return 1;
}

/* The bucket of @src, created full on its first SYN; NULL if no room. */
static __always_inline struct guard_source *
source_bucket(const struct guard_addr *src, const struct guard_conf *c,
	      __u64 now)
{
	struct guard_source *s = bpf_map_lookup_elem(&guard_sources, src);
	struct guard_source fresh = {};

	if (s)
		return s;
	fresh.tokens = (__u64)c->burst * GUARD_TOKEN;
	fresh.last_ns = now;
	/* A racing CPU may have created it: NOEXIST keeps its counters. */
	bpf_map_update_elem(&guard_sources, src, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&guard_sources, src);
}

/* 1: drop this frame; 0: pass it. */
static __always_inline int guard_verdict(void *data, void *data_end)
{
	struct guard_totals *t;
	struct guard_source *s;
	struct guard_conf *c;
	struct guard_addr src;
	__u32 zero = 0;
	__u64 now;

	c = bpf_map_lookup_elem(&guard_conf, &zero);
	t = bpf_map_lookup_elem(&guard_totals, &zero);
	if (!c || !t || c->rate == 0 ||
	    !parse_syn(data, data_end, c->port, c->port2, &src))
		return 0;
	if (allow_listed(&src)) {
		t->allowed++;
		return 0;
	}
	now = bpf_ktime_get_ns();
	s = source_bucket(&src, c, now);
	if (!s) {
		t->untracked++; /* fail open: never drop what we cannot count */
		return 0;
	}
	if (take_token(s, c, now)) {
		__sync_fetch_and_add(&s->passed, 1);
		t->passed++;
		return 0;
	}
	__sync_fetch_and_add(&s->dropped, 1);
	t->dropped++;
	return 1;
}

SEC("xdp")
int guard_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	return guard_verdict(data, data_end) ? XDP_DROP : XDP_PASS;
}

/* Ethernet + IPv6 + TCP: what parse_syn reads at most (IPv4 options aside) */
#define GUARD_PULL_LEN (14 + 40 + 20)

SEC("tc")
int guard_tc(struct __sk_buff *skb)
{
	/* A SYN's headers are normally linear already; make sure. */
	if (skb->data_end - skb->data < GUARD_PULL_LEN)
		bpf_skb_pull_data(skb, GUARD_PULL_LEN);
	return guard_verdict((void *)(long)skb->data,
			     (void *)(long)skb->data_end)
		       ? TC_ACT_SHOT
		       : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
