// SPDX-License-Identifier: MIT
/*
 * The protocol engine of pkiksd: read a request from a connection, check it
 * against the dispatch table (command -> handler, right needed) and the
 * attribute policy, run the handler, and answer like the kernel does: the
 * handler's data message if any, then an NLMSG_ERROR ack (0 or -errno);
 * dumps end with NLMSG_DONE.  Anything malformed gets an error, never a
 * crash; requests are wiped after use since some carry key material.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/genl/genl.h>

#include "pkiksd.h"
#include "ks_nl.h"

enum right {
	ANYONE,
	MEMBER,
	ADMIN,
	TIME_SETTER, /* admin, or a member when --lab */
	LAB,	     /* --lab only (else EOPNOTSUPP), member */
};

struct command {
	int (*doit)(struct req *r);
	int (*dumpit)(struct req *r);
	enum right right;
};

static int cmd_get_info(struct req *r);
static int cmd_event(struct req *r);

static const struct command commands[__PKIKS_CMD_MAX] = {
	[PKIKS_CMD_GET_INFO] = {cmd_get_info, NULL, ANYONE},
	[PKIKS_CMD_KEY_IMPORT] = {cmd_key_import, NULL, MEMBER},
	[PKIKS_CMD_KEY_GET] = {cmd_key_get, dump_key_get, MEMBER},
	[PKIKS_CMD_KEY_DELETE] = {cmd_key_delete, NULL, MEMBER},
	[PKIKS_CMD_KEY_PROMOTE] = {cmd_key_promote, NULL, MEMBER},
	[PKIKS_CMD_KEY_SIGN] = {cmd_key_sign, NULL, MEMBER},
	[PKIKS_CMD_KEY_DECRYPT] = {cmd_key_decrypt, NULL, MEMBER},
	[PKIKS_CMD_KEY_WRAP] = {cmd_key_wrap, NULL, MEMBER},
	[PKIKS_CMD_KEY_UNWRAP] = {cmd_key_unwrap, NULL, MEMBER},
	[PKIKS_CMD_KEK_SET] = {cmd_kek_set, NULL, ADMIN},
	[PKIKS_CMD_CLOCK_GET] = {cmd_clock_get, NULL, ANYONE},
	[PKIKS_CMD_CLOCK_SET] = {cmd_clock_set, NULL, TIME_SETTER},
	[PKIKS_CMD_CLOCK_LAB] = {cmd_clock_lab, NULL, LAB},
	[PKIKS_CMD_TIMER_ARM] = {cmd_timer_arm, NULL, MEMBER},
	[PKIKS_CMD_TIMER_CANCEL] = {cmd_timer_cancel, NULL, MEMBER},
	[PKIKS_CMD_TIMER_GET] = {NULL, dump_timer_get, ANYONE},
	[PKIKS_CMD_EVENT] = {cmd_event, NULL, ANYONE},
};

/* clang-format off */
#define U32 { .type = NLA_U32, .maxlen = 4 }
#define U64 { .type = NLA_U64, .maxlen = 8 }
#define NAME { .type = NLA_STRING, .maxlen = PKIKS_NAME_MAX }
#define BIG { .minlen = 1, .maxlen = PKIKS_RSA_MAX_BYTES }
/* clang-format on */

/* What requests may carry; exact sizes for integers, caps for the rest. */
static struct nla_policy policy[PKIKS_ATTR_MAX + 1] = {
	[PKIKS_ATTR_FLAGS] = U32,
	[PKIKS_ATTR_OWNER_UID] = U32,
	[PKIKS_ATTR_KEY_NAME] = NAME,
	[PKIKS_ATTR_KEY_USAGE] = U32,
	[PKIKS_ATTR_RSA_N] = BIG,
	[PKIKS_ATTR_RSA_E] = BIG,
	[PKIKS_ATTR_RSA_D] = BIG,
	[PKIKS_ATTR_RSA_P] = BIG,
	[PKIKS_ATTR_RSA_Q] = BIG,
	[PKIKS_ATTR_RSA_DP] = BIG,
	[PKIKS_ATTR_RSA_DQ] = BIG,
	[PKIKS_ATTR_RSA_QINV] = BIG,
	[PKIKS_ATTR_HASH] = U32,
	[PKIKS_ATTR_DIGEST] = {.minlen = 1, .maxlen = PKIKS_DIGEST_MAX},
	[PKIKS_ATTR_DATA] = {.minlen = 1, .maxlen = PKIKS_RSA_MAX_BYTES},
	[PKIKS_ATTR_WRAPPED] = {.minlen = 1, .maxlen = PKIKS_WRAPPED_MAX},
	[PKIKS_ATTR_KEK] = {.minlen = PKIKS_KEK_LEN, .maxlen = PKIKS_KEK_LEN},
	[PKIKS_ATTR_CLOCK_SOURCE] = U32,
	[PKIKS_ATTR_CLOCK_LAB_SET] = U64,
	[PKIKS_ATTR_CLOCK_LAB_ADVANCE] = U64,
	[PKIKS_ATTR_TIMER_OWNER] = NAME,
	[PKIKS_ATTR_TIMER_KIND] = U32,
	[PKIKS_ATTR_TIMER_DEADLINE] = U64,
};

/* ------------------------------------------------------------------ */
/* Building replies                                                    */

struct nl_msg *proto_msg_new(uint8_t cmd, uint32_t seq, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(PKIKS_MSG_MAX);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, 0, seq, PKIKS_TWIN_FAMILY_ID, 0, flags, cmd,
			 PKIKS_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int proto_reply_new(struct req *r)
{
	struct genlmsghdr *g = nlmsg_data(r->nlh);

	r->reply = proto_msg_new(g->cmd, r->nlh->nlmsg_seq, 0);
	return r->reply ? 0 : -ENOMEM;
}

int proto_send(int fd, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (send(fd, nlh, nlh->nlmsg_len, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static void send_ack(int fd, const struct nlmsghdr *req, int error)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} ack = {0};

	ack.h.nlmsg_len = sizeof(ack);
	ack.h.nlmsg_type = NLMSG_ERROR;
	ack.h.nlmsg_flags = error ? 0 : NLM_F_CAPPED;
	ack.h.nlmsg_seq = req->nlmsg_seq;
	ack.h.nlmsg_pid = req->nlmsg_pid;
	ack.e.error = error;
	ack.e.msg = *req; /* the header only, never the (secret) payload */
	send(fd, &ack, sizeof(ack), MSG_NOSIGNAL);
}

static void send_done(int fd, const struct nlmsghdr *req, int error)
{
	struct {
		struct nlmsghdr h;
		int error;
	} done = {0};

	done.h.nlmsg_len = sizeof(done);
	done.h.nlmsg_type = NLMSG_DONE;
	done.h.nlmsg_flags = NLM_F_MULTI;
	done.h.nlmsg_seq = req->nlmsg_seq;
	done.h.nlmsg_pid = req->nlmsg_pid;
	done.error = error;
	send(fd, &done, sizeof(done), MSG_NOSIGNAL);
}

int put_key_info(struct nl_msg *msg, const struct twin_key *k)
{
	struct nlattr *nest = nla_nest_start(msg, PKIKS_ATTR_KEY);

	if (!nest || nla_put_string(msg, PKIKS_ATTR_KEY_NAME, k->name) ||
	    nla_put_u32(msg, PKIKS_ATTR_KEY_BITS, k->bits) ||
	    nla_put_u32(msg, PKIKS_ATTR_KEY_USAGE, k->usage) ||
	    nla_put_u32(msg, PKIKS_ATTR_OWNER_UID, k->owner) ||
	    nla_put(msg, PKIKS_ATTR_KEY_PUBKEY, k->spki_len, k->spki))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int put_timer_info(struct nl_msg *msg, const struct twin_timer *t)
{
	struct nlattr *nest = nla_nest_start(msg, PKIKS_ATTR_TIMER);

	if (!nest || nla_put_string(msg, PKIKS_ATTR_TIMER_OWNER, t->owner) ||
	    nla_put_u32(msg, PKIKS_ATTR_TIMER_KIND, t->kind) ||
	    ks_put_u64(msg, PKIKS_ATTR_TIMER_DEADLINE, t->deadline) ||
	    nla_put_u32(msg, PKIKS_ATTR_TIMER_STATE, t->state) ||
	    nla_put_u32(msg, PKIKS_ATTR_OWNER_UID, t->uid))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Under twin_lock. */
int put_clock(struct nl_msg *msg)
{
	struct pkiks_clock c;

	clock_snapshot(&c);
	if (nla_put_u8(msg, PKIKS_ATTR_CLOCK_AUTHORITATIVE, c.authoritative) ||
	    nla_put_u32(msg, PKIKS_ATTR_CLOCK_SOURCE, c.source) ||
	    ks_put_u64(msg, PKIKS_ATTR_CLOCK_NOW, c.now_ns) ||
	    ks_put_u64(msg, PKIKS_ATTR_CLOCK_SINCE, c.since_ns) ||
	    nla_put_u32(msg, PKIKS_ATTR_CLOCK_STEPS, c.steps) ||
	    ks_put_u64(msg, PKIKS_ATTR_CLOCK_REALTIME, c.realtime_ns))
		return -EMSGSIZE;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Commands served here                                                */

static int cmd_get_info(struct req *r)
{
	uint32_t features = twin_opts.lab ? PKIKS_FEATURE_LAB_CLOCK : 0;
	int err = proto_reply_new(r);

	if (err)
		return err;
	if (nla_put_u32(r->reply, PKIKS_ATTR_VERSION, PKIKS_GENL_VERSION) ||
	    nla_put_u32(r->reply, PKIKS_ATTR_FEATURES, features))
		return -EMSGSIZE;
	return 0;
}

static int cmd_event(struct req *r)
{
	int err;

	pthread_mutex_lock(&twin_lock);
	err = events_subscribe(r->fd);
	pthread_mutex_unlock(&twin_lock);
	return err;
}

/* ------------------------------------------------------------------ */
/* Checking and dispatching                                            */

static int allowed(enum right right, const struct peer *who)
{
	switch (right) {
	case ANYONE:
		return 0;
	case MEMBER:
		return who->member ? 0 : -EPERM;
	case ADMIN:
		return who->admin ? 0 : -EPERM;
	case TIME_SETTER:
		return who->admin || (twin_opts.lab && who->member) ? 0
								    : -EPERM;
	case LAB:
		if (!twin_opts.lab)
			return -EOPNOTSUPP;
		return who->member ? 0 : -EPERM;
	}
	return -EPERM;
}

/* libnl skips unknown types and trailing bytes; the kernel's strict
 * validation refuses them, and so do we. */
static int attrs_strict(struct nlmsghdr *nlh)
{
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
	{
		if (nla_type(a) == PKIKS_ATTR_UNSPEC ||
		    nla_type(a) > PKIKS_ATTR_MAX)
			return -EINVAL;
	}
	return rem ? -EINVAL : 0;
}

static int run(struct req *r, const struct command *c)
{
	int err;

	if (r->nlh->nlmsg_flags & NLM_F_DUMP) {
		if (!c->dumpit)
			return -EOPNOTSUPP;
		err = c->dumpit(r);
		send_done(r->fd, r->nlh, err);
		return 1; /* answered */
	}
	if (!c->doit)
		return -EOPNOTSUPP;
	err = c->doit(r);
	if (!err && r->reply)
		err = proto_send(r->fd, r->reply);
	return err;
}

/* One request message; returns its error (0, -errno) or 1 if answered. */
static int dispatch(int fd, const struct peer *who, struct nlmsghdr *nlh)
{
	struct nlattr *tb[PKIKS_ATTR_MAX + 1];
	struct req r = {.who = who, .fd = fd, .nlh = nlh, .tb = tb};
	const struct command *c;
	struct genlmsghdr *g;
	int err;

	if (nlh->nlmsg_type != PKIKS_TWIN_FAMILY_ID)
		return -ENOENT; /* no such family, as the kernel says */
	if (nlh->nlmsg_len < (uint32_t)nlmsg_size(GENL_HDRLEN))
		return -EINVAL;
	g = nlmsg_data(nlh);
	if (g->cmd >= __PKIKS_CMD_MAX ||
	    (!commands[g->cmd].doit && !commands[g->cmd].dumpit))
		return -EOPNOTSUPP;
	c = &commands[g->cmd];
	err = allowed(c->right, who);
	if (!err)
		err = attrs_strict(nlh);
	if (!err && genlmsg_parse(nlh, 0, tb, PKIKS_ATTR_MAX, policy))
		err = -EINVAL;
	if (!err)
		err = run(&r, c);
	if (r.reply) {
		explicit_bzero(nlmsg_hdr(r.reply),
			       nlmsg_hdr(r.reply)->nlmsg_len);
		nlmsg_free(r.reply);
	}
	return err;
}

/* Every message of one datagram, answered in order. */
static void handle_datagram(int fd, const struct peer *who, unsigned char *buf,
			    int len)
{
	struct nlmsghdr *nlh;
	int err;

	/* Like the kernel: a message whose header lies is dropped. */
	for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, len);
	     nlh = nlmsg_next(nlh, &len)) {
		if (!(nlh->nlmsg_flags & NLM_F_REQUEST) ||
		    nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		err = dispatch(fd, who, nlh);
		if (err == 1)
			continue;
		if (err || nlh->nlmsg_flags & NLM_F_ACK)
			send_ack(fd, nlh, err);
	}
}

/* The connection's loop, until the peer goes away. */
void proto_serve(int fd, const struct peer *who)
{
	unsigned char *buf = malloc(PKIKS_MSG_MAX + 1);
	ssize_t n;

	if (!buf)
		return;
	for (;;) {
		n = recv(fd, buf, PKIKS_MSG_MAX + 1, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (n > PKIKS_MSG_MAX) {
			/* Too big to read: refuse it by its header. */
			send_ack(fd, (struct nlmsghdr *)buf, -EMSGSIZE);
			explicit_bzero(buf, PKIKS_MSG_MAX + 1);
			continue;
		}
		handle_datagram(fd, who, buf, (int)n);
		explicit_bzero(buf, n);
	}
	free(buf);
}
