/* SPDX-License-Identifier: MIT */
/*
 * The guard's state, shared by guard.c (lifecycle, maps), guard_attach.c
 * (interfaces) and guard_show.c (`show guard`).
 */
#ifndef PKID_GUARD_INTERNAL_H
#define PKID_GUARD_INTERNAL_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <bpf/libbpf.h>

#include "guard.h"
#include "guard/bpf/guard_abi.h"

struct guard_bpf;

/* One interface the program is attached to. */
struct guard_if {
	char name[IF_NAMESIZE];
	int ifindex;
	enum guard_mode mode;	 /* how it is attached: never GUARD_AUTO */
	int link_fd;		 /* XDP: the bpf_link; closing it detaches */
	struct bpf_tc_hook hook; /* tc */
	struct bpf_tc_opts tc;
	bool hook_created; /* we made the clsact qdisc: remove it on detach */
};

struct guard {
	pthread_mutex_t lock;	/* the ctl thread reads while main reloads */
	struct guard_bpf *skel; /* NULL: not running */
	struct guard_if *ifs;
	size_t n_ifs;
	enum guard_mode force; /* guard_set_mode */
	bool said_unavailable;
	const char *why_off; /* for `show guard` when skel is NULL */
	unsigned int port, rate, burst;
	unsigned int port2; /* EST's TLS port, 0 if none */
	char **allow; /* the allow-list as written, for `show guard` */
	size_t n_allow;
};

extern struct guard guard;

/* guard_attach.c */
int guard_if_attach(struct guard *g, const char *name);
void guard_if_detach(struct guard *g, struct guard_if *gif);
/* The interfaces to cover: @named, or every non-loopback one. */
int guard_if_wanted(char (*named)[16], size_t n_named, char ***names,
		    size_t *n);
void guard_names_free(char **names, size_t n);
const char *guard_mode_name(enum guard_mode mode);
unsigned int guard_prog_id(struct guard *g, enum guard_mode mode);

#endif /* PKID_GUARD_INTERNAL_H */
