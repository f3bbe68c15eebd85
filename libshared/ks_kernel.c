// SPDX-License-Identifier: MIT
/*
 * The kernel transport: generic netlink family "pkiks" served by pkiks.ko.
 * libnl resolves the family and the events multicast group; the bytes are
 * then sent and received by ks_io.c like pkiksd's.
 */
#include <errno.h>
#include <string.h>
#include <netlink/genl/ctrl.h>

#include "ks_internal.h"

#define KS_EVENT_RCVBUF (1 << 20)

/* A connected generic netlink socket; *family set when @want_family. */
static int genl_socket(struct nl_sock **out, int *family)
{
	struct nl_sock *nl;
	int err;

	nl = nl_socket_alloc();
	if (!nl)
		return -ENOMEM;
	err = ks_nlerr(genl_connect(nl));
	if (err)
		goto fail;
	if (family) {
		*family = genl_ctrl_resolve(nl, PKIKS_GENL_NAME);
		if (*family < 0) {
			/* The module is not loaded: no such family. */
			err = -ENOENT;
			goto fail;
		}
	}
	*out = nl;
	return 0;
fail:
	nl_socket_free(nl);
	return err;
}

int ks_kernel_open(struct pkiks *ks)
{
	struct sockaddr_nl *kernel = (struct sockaddr_nl *)&ks->peer;
	int one = 1, err;

	err = genl_socket(&ks->nl, &ks->family);
	if (err)
		return err;
	ks->fd = nl_socket_get_fd(ks->nl);
	ks->port = nl_socket_get_local_port(ks->nl);
	/* Acks need not echo our (possibly secret-carrying) request. */
	setsockopt(ks->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	memset(kernel, 0, sizeof(*kernel));
	kernel->nl_family = AF_NETLINK;
	ks->peer_len = sizeof(*kernel);
	return 0;
}

int ks_kernel_events_open(struct pkiks *ks)
{
	int grp, err;

	err = genl_socket(&ks->ev_nl, NULL);
	if (err)
		return err;
	grp = genl_ctrl_resolve_grp(ks->ev_nl, PKIKS_GENL_NAME,
				    PKIKS_MCGRP_EVENTS);
	if (grp < 0) {
		err = ks_nlerr(grp);
		goto fail;
	}
	nl_socket_disable_seq_check(ks->ev_nl);
	/* A burst of expiries (100 timers due at once) overflows libnl's
	 * 32 KiB default and the kernel drops events (ENOBUFS); a reader
	 * that still sees ENOBUFS reconnects and rescans the timer list. */
	err = ks_nlerr(nl_socket_set_buffer_size(ks->ev_nl, KS_EVENT_RCVBUF, 0));
	if (err)
		goto fail;
	err = ks_nlerr(nl_socket_add_membership(ks->ev_nl, grp));
	if (err)
		goto fail;
	ks->ev_fd = nl_socket_get_fd(ks->ev_nl);
	return 0;
fail:
	nl_socket_free(ks->ev_nl);
	ks->ev_nl = NULL;
	return err;
}

void ks_kernel_close(struct pkiks *ks)
{
	if (ks->ev_nl)
		nl_socket_free(ks->ev_nl);
	if (ks->nl)
		nl_socket_free(ks->nl);
	ks->ev_nl = NULL;
	ks->nl = NULL;
	ks->fd = ks->ev_fd = -1;
}
