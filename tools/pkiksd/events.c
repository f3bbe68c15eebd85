// SPDX-License-Identifier: MIT
/*
 * Events to subscribed connections: pkiksd's stand-in for the module's
 * multicast group.  A subscriber that does not read loses events (sent
 * with MSG_DONTWAIT), as a netlink listener would with ENOBUFS; it never
 * stalls the daemon.  Under twin_lock.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/genl/genl.h>

#include "pkiksd.h"
#include "ks_nl.h"

#define SUBSCRIBERS_MAX 64

static int subscribers[SUBSCRIBERS_MAX];
static int nsubscribers;

int events_subscribe(int fd)
{
	int i;

	for (i = 0; i < nsubscribers; i++)
		if (subscribers[i] == fd)
			return 0;
	if (nsubscribers == SUBSCRIBERS_MAX)
		return -EDQUOT;
	subscribers[nsubscribers++] = fd;
	return 0;
}

void events_unsubscribe(int fd)
{
	int i;

	for (i = 0; i < nsubscribers; i++) {
		if (subscribers[i] != fd)
			continue;
		subscribers[i] = subscribers[--nsubscribers];
		return;
	}
}

static void broadcast(struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int i;

	for (i = 0; i < nsubscribers; i++)
		send(subscribers[i], nlh, nlh->nlmsg_len,
		     MSG_DONTWAIT | MSG_NOSIGNAL);
	nlmsg_free(msg);
}

static struct nl_msg *event_new(enum pkiks_event type)
{
	struct nl_msg *msg = proto_msg_new(PKIKS_CMD_EVENT, 0, 0);

	if (msg && nla_put_u32(msg, PKIKS_ATTR_EVENT, type)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void events_timer_expired(const struct twin_timer *t)
{
	struct nl_msg *msg;

	if (!nsubscribers)
		return;
	msg = event_new(PKIKS_EVENT_TIMER_EXPIRED);
	if (!msg)
		return;
	if (put_timer_info(msg, t)) {
		nlmsg_free(msg);
		return;
	}
	broadcast(msg);
}

void events_clock(enum pkiks_event type)
{
	struct nl_msg *msg;

	if (!nsubscribers)
		return;
	msg = event_new(type);
	if (!msg)
		return;
	if (put_clock(msg)) {
		nlmsg_free(msg);
		return;
	}
	broadcast(msg);
}

void events_key_changed(const char *name)
{
	struct nl_msg *msg;

	if (!nsubscribers)
		return;
	msg = event_new(PKIKS_EVENT_KEY_CHANGED);
	if (!msg)
		return;
	if (nla_put_string(msg, PKIKS_ATTR_KEY_NAME, name)) {
		nlmsg_free(msg);
		return;
	}
	broadcast(msg);
}
