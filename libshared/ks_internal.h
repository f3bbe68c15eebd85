/* SPDX-License-Identifier: MIT */
/*
 * Inside the keystore client: the handle, the two transports and the
 * request/reply engine.  Not installed; only libshared's ks_*.c and
 * keystore.c include it.
 *
 * Both transports are datagram sockets that carry the same bytes
 * (nlmsghdr + genlmsghdr + attributes), so sending and receiving are shared;
 * a transport only knows how to open itself and its event channel.
 */
#ifndef PKID_KS_INTERNAL_H
#define PKID_KS_INTERNAL_H

#include <sys/socket.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "keystore.h"

/* Large enough for any kernel dump datagram (the kernel caps them at 32 KiB).
 */
#define KS_RECV_BUF (64 * 1024)

struct pkiks {
	enum pkiks_transport transport;
	int fd;			      /* request socket */
	struct nl_sock *nl;	      /* kernel: libnl socket owning fd */
	int family;		      /* nlmsg_type of requests */
	uint32_t port;		      /* our netlink port id (0 on pkiksd) */
	uint32_t seq;		      /* last sequence number sent */
	struct sockaddr_storage peer; /* where requests go (kernel) */
	socklen_t peer_len;	      /* 0: connected socket (pkiksd) */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned char *buf; /* receive buffer, KS_RECV_BUF bytes */

	/* Event channel: a second socket, so events never mix with replies. */
	int ev_fd;
	struct nl_sock *ev_nl;
	unsigned char *ev_buf; /* datagram being consumed */
	size_t ev_len, ev_off;
};

/* ks_kernel.c */
int ks_kernel_open(struct pkiks *ks);
int ks_kernel_events_open(struct pkiks *ks);
void ks_kernel_close(struct pkiks *ks);

/* ks_twin.c */
int ks_twin_connect(const char *path, int *fd);
int ks_twin_open(struct pkiks *ks, const char *path);
int ks_twin_events_open(struct pkiks *ks);
void ks_twin_close(struct pkiks *ks);

/* ks_io.c: the request/reply engine. */
typedef int (*ks_reply_cb)(struct nlmsghdr *nlh, struct nlattr **tb, void *arg);

/* A message for @cmd to this handle's family, with room for PKIKS_MSG_MAX. */
struct nl_msg *ks_msg_new(struct pkiks *ks, uint8_t cmd, int flags);
/* Overwrite a request that carried secrets, then free it. */
void ks_msg_free_secret(struct nl_msg *msg);
/*
 * Send @msg (consumed) and wait for its ack or the end of its dump, calling
 * @cb for each data message with its attributes parsed against the reply
 * policy.  Returns the host's error, the first error of @cb, or a local one.
 */
int ks_request(struct pkiks *ks, struct nl_msg *msg, ks_reply_cb cb, void *arg);
int ks_request_secret(struct pkiks *ks, struct nl_msg *msg, ks_reply_cb cb,
		      void *arg);
/*
 * The same with flags: KS_REQ_SECRET wipes the request and the receive
 * buffer after it; KS_REQ_ONE_REPLY (with a @cb) is for commands the host
 * always answers with one message: sent without NLM_F_ACK, ended by that
 * message (or by an NLMSG_ERROR carrying the host's error).
 */
#define KS_REQ_SECRET	 1u
#define KS_REQ_ONE_REPLY 2u
int ks_request_flags(struct pkiks *ks, struct nl_msg *msg, ks_reply_cb cb,
		     void *arg, unsigned int flags);
/* Send bytes as they are and wait up to @timeout_ms for the answer to @seq. */
int ks_exchange(struct pkiks *ks, const void *req, size_t len, uint32_t seq,
		int timeout_ms, ks_reply_cb cb, void *arg);
/* Parse the genl attributes of a reply message. */
int ks_parse(struct nlmsghdr *nlh, struct nlattr **tb);
int ks_parse_nested(struct nlattr *nest, struct nlattr **tb);
/* libnl's NLE_* to a negative errno. */
int ks_nlerr(int nle);
/* Wait for @fd to be readable; 0, -ETIMEDOUT or -errno. */
int ks_wait_readable(int fd, int timeout_ms);

/* ks_time.c: shared parsers used by events. */
void ks_clock_from_attrs(struct nlattr **tb, struct pkiks_clock *clock);
int ks_timer_from_attr(struct nlattr *nest, struct pkiks_timer_info *t);

/* One line on stderr saying which keystore answers (unless PKIKS_QUIET). */
void ks_log_transport(const struct pkiks *ks);

#endif /* PKID_KS_INTERNAL_H */
