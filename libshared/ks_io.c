// SPDX-License-Identifier: MIT
/*
 * The request/reply engine of the keystore client, shared by both
 * transports: number the request, send it, then read datagrams until the
 * ack (NLMSG_ERROR) or the end of a dump (NLMSG_DONE) with our sequence
 * number arrives, handing each data message to a callback.  Messages with
 * another sequence number (a late answer to a request that timed out) are
 * skipped.
 *
 * A request whose host always answers with exactly one message (a
 * signature, a decryption, the clock: KS_REQ_ONE_REPLY) is sent without
 * NLM_F_ACK: the reply itself confirms it and ends the exchange, and a
 * failure still comes as NLMSG_ERROR (the kernel's netlink_rcv_skb and
 * pkiksd ack every error whatever the flag).  That saves one message, one
 * wake-up and one read per round trip on both sides (issue 14).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ks_internal.h"
#include "ks_raw.h"
#include "ks_nl.h"

/*
 * What a reply may carry, from PKIKS_ATTR_TABLE (uapi/pkiks.h): each
 * attribute that answers carry, by its wire type, strings and binaries
 * capped at their limit.  Anything else is ignored.
 */
#define RPOL_U8(lo, hi) {.type = NLA_U8}
#define RPOL_U32(lo, hi) {.type = NLA_U32}
#define RPOL_U32_RANGE(lo, hi) {.type = NLA_U32}
#define RPOL_U32_MASK(lo, hi) {.type = NLA_U32}
#define RPOL_U64(lo, hi) {.type = NLA_U64}
#define RPOL_STRING(lo, hi) {.type = NLA_STRING, .maxlen = (hi) + 1}
#define RPOL_BINARY(lo, hi) {.maxlen = hi}
#define RPOL_NESTED(lo, hi) {.type = NLA_NESTED}
#define RPOL_DIR_REPLY(t, lo, hi) RPOL_##t(lo, hi)
#define RPOL_DIR_BOTH(t, lo, hi) RPOL_##t(lo, hi)
#define RPOL_DIR_REQ(t, lo, hi) {.type = NLA_UNSPEC}
#define RPOL(name, t, lo, hi, dir) \
	[PKIKS_ATTR_##name] = RPOL_DIR_##dir(t, lo, hi),

static struct nla_policy reply_policy[PKIKS_ATTR_MAX + 1] = {
	PKIKS_ATTR_TABLE(RPOL)};

int ks_nlerr(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_RANGE:
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
	case NLE_ATTRSIZE:
		return -EINVAL;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:
	case NLE_MSG_OVERFLOW:
		return -EMSGSIZE;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
	case NLE_NOACCESS:
		return -EPERM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	default:
		return -EIO;
	}
}

int ks_parse(struct nlmsghdr *nlh, struct nlattr **tb)
{
	return ks_nlerr(
		genlmsg_parse(nlh, 0, tb, PKIKS_ATTR_MAX, reply_policy));
}

int ks_parse_nested(struct nlattr *nest, struct nlattr **tb)
{
	return ks_nlerr(
		nla_parse_nested(tb, PKIKS_ATTR_MAX, nest, reply_policy));
}

struct nl_msg *ks_msg_new(struct pkiks *ks, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(PKIKS_MSG_MAX);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, ks->port, 0, ks->family, 0, flags, cmd,
			 PKIKS_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void ks_msg_free_secret(struct nl_msg *msg)
{
	struct nlmsghdr *nlh;

	if (!msg)
		return;
	nlh = nlmsg_hdr(msg);
	explicit_bzero(nlh, nlh->nlmsg_len);
	nlmsg_free(msg);
}

int ks_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_bytes(struct pkiks *ks, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = sendto(ks->fd, buf, len, MSG_NOSIGNAL,
			   ks->peer_len ? (struct sockaddr *)&ks->peer : NULL,
			   ks->peer_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE ? -ECONNRESET : -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* One datagram into ks->buf; its length, or -ETIMEDOUT / -errno. */
static ssize_t recv_datagram(struct pkiks *ks, int timeout_ms)
{
	struct iovec iov = {.iov_base = ks->buf, .iov_len = KS_RECV_BUF};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	int err;

	err = ks_wait_readable(ks->fd, timeout_ms);
	if (err)
		return err;
	do
		n = recvmsg(ks->fd, &mh, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0 && ks->transport == PKIKS_TRANSPORT_TWIN)
		return -ECONNRESET; /* pkiksd closed the connection */
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return n;
}

/*
 * Handle one message of a datagram.  Returns 1 when it ended the request
 * (with *result set), 0 to keep reading.
 */
static int handle_msg(struct pkiks *ks, struct nlmsghdr *nlh, uint32_t seq,
		      ks_reply_cb cb, void *arg, bool one_reply, int *cb_err,
		      int *result)
{
	struct nlattr *tb[PKIKS_ATTR_MAX + 1];
	int err;

	if (nlh->nlmsg_seq != seq)
		return 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (nlh->nlmsg_len < (uint32_t)nlmsg_size(sizeof(int)))
			*result = -EBADMSG;
		else
			*result = ((struct nlmsgerr *)nlmsg_data(nlh))->error;
		return 1;
	}
	if (nlh->nlmsg_type == NLMSG_DONE) {
		*result = 0;
		if (nlh->nlmsg_len >= (uint32_t)nlmsg_size(sizeof(int)))
			*result = *(int *)nlmsg_data(nlh);
		return 1;
	}
	if (nlh->nlmsg_type != ks->family || !cb || *cb_err)
		return 0;
	err = ks_parse(nlh, tb);
	if (!err)
		err = cb(nlh, tb, arg);
	*cb_err = err;
	if (!one_reply)
		return 0;
	*result = 0; /* no ack follows: this reply ends the request */
	return 1;
}

static int exchange(struct pkiks *ks, const void *req, size_t len,
		    uint32_t seq, int timeout_ms, ks_reply_cb cb, void *arg,
		    bool one_reply)
{
	int64_t deadline = now_ms() + timeout_ms;
	int cb_err = 0, result = 0, err;
	struct nlmsghdr *nlh;
	ssize_t n;
	int rem;

	err = send_bytes(ks, req, len);
	if (err)
		return err;
	for (;;) {
		int64_t left = deadline - now_ms();

		n = recv_datagram(ks, left > 0 ? (int)left : 0);
		if (n < 0)
			return (int)n;
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)ks->buf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			if (handle_msg(ks, nlh, seq, cb, arg, one_reply,
				       &cb_err, &result))
				goto done;
		}
	}
done:
	return result ? result : cb_err;
}

int ks_exchange(struct pkiks *ks, const void *req, size_t len, uint32_t seq,
		int timeout_ms, ks_reply_cb cb, void *arg)
{
	return exchange(ks, req, len, seq, timeout_ms, cb, arg, false);
}

int ks_request_flags(struct pkiks *ks, struct nl_msg *msg, ks_reply_cb cb,
		     void *arg, unsigned int flags)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	bool one_reply = cb && (flags & KS_REQ_ONE_REPLY);
	int err;

	nlh->nlmsg_seq = ++ks->seq;
	nlh->nlmsg_pid = ks->port;
	nlh->nlmsg_flags |= NLM_F_REQUEST | (one_reply ? 0 : NLM_F_ACK);
	err = exchange(ks, nlh, nlh->nlmsg_len, nlh->nlmsg_seq,
		       PKIKS_REQUEST_TIMEOUT_MS, cb, arg, one_reply);
	if (flags & KS_REQ_SECRET) {
		ks_msg_free_secret(msg);
		/* The reply may have carried plaintext (decrypt). */
		explicit_bzero(ks->buf, KS_RECV_BUF);
	} else {
		nlmsg_free(msg);
	}
	return err;
}

int ks_request(struct pkiks *ks, struct nl_msg *msg, ks_reply_cb cb, void *arg)
{
	return ks_request_flags(ks, msg, cb, arg, 0);
}

int ks_request_secret(struct pkiks *ks, struct nl_msg *msg, ks_reply_cb cb,
		      void *arg)
{
	return ks_request_flags(ks, msg, cb, arg, KS_REQ_SECRET);
}

int ks_put_u64(struct nl_msg *msg, int attr, uint64_t value)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	size_t tail = NLMSG_ALIGN(nlh->nlmsg_len);

	/* The message buffer is 8-byte aligned, so offsets decide. */
	if ((tail + NLA_HDRLEN) % 8 && nla_put(msg, PKIKS_ATTR_PAD, 0, NULL))
		return -EMSGSIZE;
	return nla_put_u64(msg, attr, value) ? -EMSGSIZE : 0;
}

int pkiks_raw_family(const struct pkiks *ks)
{
	return ks->family;
}

uint32_t pkiks_raw_seq(struct pkiks *ks)
{
	return ++ks->seq;
}

int pkiks_raw_request(struct pkiks *ks, const void *msg, size_t len,
		      uint32_t seq, int timeout_ms)
{
	return ks_exchange(ks, msg, len, seq, timeout_ms, NULL, NULL);
}
