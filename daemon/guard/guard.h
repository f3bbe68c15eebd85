/* SPDX-License-Identifier: MIT */
/*
 * The enrollment-storm guard: pkid's SCEP port limited per source address
 * in the kernel's fast path (daemon/bpf/guard.bpf.c), configured by
 *
 *   ip http rate-limit RATE BURST [interface IF...]
 *   ip http rate-limit allow PREFIX
 *
 * RATE new connections (TCP SYNs) per second per source address, BURST at
 * once; beyond that the SYN is dropped before it reaches pkid.  With no
 * interface named the guard covers every non-loopback interface that
 * exists when pkid starts or reloads.  On each interface it attaches at
 * XDP in driver mode, else in generic (skb) mode, else at tc ingress.
 *
 * The guard is one per process.  Every call logs what went wrong itself
 * and leaves pkid running: without BPF (no CAP_BPF, an old kernel) it
 * says so in one line, once, and pkid serves unguarded.
 *
 * In pkid's main.c:
 *   guard_ctl_register(ctl)  before ctl_server_start (`show guard`)
 *   guard_start(cfg)         once the HTTP server listens
 *   guard_reload_apply(cfg)  from the reload driver (daemon/core/reload.c)
 *                            once every part accepted the new file
 *   guard_stop()             on the way out (before ctl_server_destroy)
 */
#ifndef PKID_GUARD_H
#define PKID_GUARD_H

struct pkid_config;
struct ctl_server;

/* Where to attach; GUARD_AUTO tries them in this order (tests force one). */
enum guard_mode {
	GUARD_AUTO = 0,
	GUARD_XDP_DRV,
	GUARD_XDP_SKB,
	GUARD_TC,
};

/* 0, or -EINVAL for a mode that is not an enum guard_mode. */
int guard_set_mode(enum guard_mode mode);
/* Load and attach as @cfg says; nothing when it sets no rate limit. */
void guard_start(const struct pkid_config *cfg);
/*
 * Apply a new configuration; the program stays attached where it can.
 * There is no check step: the guard refuses nothing, and on a failure it
 * logs and keeps its running setup.
 */
void guard_reload_apply(const struct pkid_config *cfg);
/* Detach from every interface and unload. */
void guard_stop(void);
/* Register `show guard` on the control socket; 0 or -errno. */
int guard_ctl_register(struct ctl_server *srv);

#endif /* PKID_GUARD_H */
