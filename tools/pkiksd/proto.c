// SPDX-License-Identifier: MIT
/*
 * The protocol engine of pkiksd: read a request from a connection, check it
 * against the protocol table of uapi/pkiks.h (PKIKS_CMD_TABLE: handler,
 * right, accepted attributes; PKIKS_ATTR_TABLE: each attribute's rule) in
 * the kernel's order and with the kernel's errnos, run the handler, and answer like the kernel does: the
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

/* The dispatch table, from PKIKS_CMD_TABLE (uapi/pkiks.h). */
struct command {
	int (*doit)(struct req *r);
	int (*dumpit)(struct req *r);
	enum pkiks_right right;
	uint64_t attrs; /* PKIKS_A() bits a request may carry */
};

#define TWIN_DO(name) cmd_do_##name, NULL
#define TWIN_DUMP(name) NULL, cmd_dump_##name
#define TWIN_DO_DUMP(name) cmd_do_##name, cmd_dump_##name
#define TWIN_SUB(name) cmd_do_##name, NULL
#define TWIN_CMD(name, right, mode, attrs)                                 \
	[PKIKS_CMD_##name] = {TWIN_##mode(name), PKIKS_RIGHT_##right,      \
			      (attrs) | PKIKS_A(PAD)},

static const struct command commands[__PKIKS_CMD_MAX] = {
	PKIKS_CMD_TABLE(TWIN_CMD)};

/*
 * The attribute rules, from PKIKS_ATTR_TABLE, checked the way the
 * kernel's strict netlink validation checks the module's policy
 * (lib/nlattr.c, validate_nla), with the same errno for the same fault.
 */
enum rule_type {
	RT_U8,
	RT_U32,
	RT_U64,
	RT_U32_RANGE,
	RT_U32_MASK,
	RT_STRING,
	RT_BINARY,
	RT_NESTED,
};

struct attr_rule {
	enum rule_type type;
	int in_requests;
	uint32_t a, b;
};

#define TWIN_DIR_REQ 1
#define TWIN_DIR_BOTH 1
#define TWIN_DIR_REPLY 0
#define TWIN_ATTR(name, t, lo, hi, dir) \
	[PKIKS_ATTR_##name] = {RT_##t, TWIN_DIR_##dir, lo, hi},

static const struct attr_rule rules[PKIKS_ATTR_MAX + 1] = {
	PKIKS_ATTR_TABLE(TWIN_ATTR)};

_Static_assert(PKIKS_ATTR_MAX < 64, "attribute sets are u64 masks");

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
	    nla_put(msg, PKIKS_ATTR_KEY_PUBKEY, k->spki_len, k->spki) ||
	    nla_put_u32(msg, PKIKS_ATTR_KEY_TYPE, k->type))
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
	    nla_put_u32(msg, PKIKS_ATTR_OWNER_UID, t->uid) ||
	    (t->label[0] &&
	     nla_put_string(msg, PKIKS_ATTR_TIMER_LABEL, t->label)))
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

int cmd_do_GET_INFO(struct req *r)
{
	uint32_t features = PKIKS_FEATURE_GENERIC_TIMER | PKIKS_FEATURE_EC |
			    PKIKS_FEATURE_TIMER_GET | PKIKS_FEATURE_ECDH;
	uint32_t version = PKIKS_GENL_VERSION;
	int err;

	if (twin_opts.lab)
		features |= PKIKS_FEATURE_LAB_CLOCK;
	if (twin_opts.proto_v3) {
		version = 3;
		features &= ~(PKIKS_FEATURE_TIMER_GET | PKIKS_FEATURE_ECDH);
	}
	err = proto_reply_new(r);
	if (err)
		return err;
	if (nla_put_u32(r->reply, PKIKS_ATTR_VERSION, version) ||
	    nla_put_u32(r->reply, PKIKS_ATTR_FEATURES, features))
		return -EMSGSIZE;
	return 0;
}

int cmd_do_EVENT(struct req *r)
{
	int err;

	pthread_mutex_lock(&twin_lock);
	err = events_subscribe(r->fd);
	pthread_mutex_unlock(&twin_lock);
	return err;
}

/* ------------------------------------------------------------------ */
/* Checking and dispatching                                            */

/* Whether @who holds @right; -EPERM, or -EOPNOTSUPP for the lab clock. */
static int allowed(enum pkiks_right right, const struct peer *who)
{
	switch (right) {
	case PKIKS_RIGHT_ANYONE:
		return 0;
	case PKIKS_RIGHT_MEMBER:
		return who->member ? 0 : -EPERM;
	case PKIKS_RIGHT_ADMIN:
		return who->admin ? 0 : -EPERM;
	case PKIKS_RIGHT_TIME_SETTER:
		return who->admin || (twin_opts.lab && who->member) ? 0
								    : -EPERM;
	case PKIKS_RIGHT_LAB:
		if (!twin_opts.lab)
			return -EOPNOTSUPP;
		return who->member ? 0 : -EPERM;
	}
	return -EPERM;
}

/* The exact size of an integer type, 0 for the others. */
static int int_size(enum rule_type t)
{
	switch (t) {
	case RT_U8:
		return 1;
	case RT_U32:
	case RT_U32_RANGE:
	case RT_U32_MASK:
		return 4;
	case RT_U64:
		return 8;
	default:
		return 0;
	}
}

/* One attribute against its rule; @taken: the command accepts it. */
static int check_attr(const struct nlattr *a, const struct attr_rule *r,
		      int taken)
{
	const char *s = nla_data(a);
	int len = nla_len(a), lim;
	uint32_t v;

	/* Not the command's, or reply-only: the kernel's NLA_REJECT. */
	if (!taken || !r->in_requests)
		return -EINVAL;
	if (int_size(r->type) && len != int_size(r->type))
		return -EINVAL;
	if (a->nla_type & NLA_F_NESTED)
		return -EINVAL; /* no request attribute is nested */
	switch (r->type) {
	case RT_STRING:
		lim = len < (int)r->b + 1 ? len : (int)r->b + 1;
		if (lim <= 0 || !memchr(s, '\0', lim))
			return -EINVAL;
		if (s[len - 1] == '\0')
			len--;
		return len > (int)r->b ? -ERANGE : 0;
	case RT_BINARY:
		return len < (int)r->a || len > (int)r->b ? -ERANGE : 0;
	case RT_U32_RANGE:
		memcpy(&v, s, sizeof(v));
		return v < r->a || v > r->b ? -ERANGE : 0;
	case RT_U32_MASK:
		memcpy(&v, s, sizeof(v));
		return v & ~r->b ? -EINVAL : 0;
	default:
		return 0;
	}
}

/*
 * Every attribute in order, then what is left over, as the kernel's
 * strict parse does (the first fault decides the errno); fills tb.
 */
static int attrs_parse(struct nlmsghdr *nlh, const struct command *c,
		       struct nlattr **tb)
{
	struct nlattr *a;
	int rem, type, err;

	memset(tb, 0, sizeof(*tb) * (PKIKS_ATTR_MAX + 1));
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
	{
		type = nla_type(a);
		if (type == PKIKS_ATTR_UNSPEC || type > PKIKS_ATTR_MAX)
			return -EINVAL;
		err = check_attr(a, &rules[type], (int)(c->attrs >> type & 1));
		if (err)
			return err;
		tb[type] = a;
	}
	return rem > 0 ? -EINVAL : 0;
}

/* Both flags, as the kernel's generic netlink tells a dump. */
static int is_dump(const struct nlmsghdr *nlh)
{
	return (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

static int run(struct req *r, const struct command *c)
{
	int err;

	if (is_dump(r->nlh)) {
		err = c->dumpit(r);
		send_done(r->fd, r->nlh, err);
		return 1; /* answered */
	}
	err = c->doit(r);
	if (!err && r->reply)
		err = proto_send(r->fd, r->reply);
	return err;
}

/* PKIKSD_TEST_PROTO=3: v3 had TIMER_GET as a dump only, so the kernel
 * answered its doit EOPNOTSUPP.  Logged, so that a test sees that its
 * client really asked and met the refusal. */
static int v3_timer_get(void)
{
	fprintf(stderr, "pkiksd: TIMER_GET doit refused (protocol v3 test "
			"hook)\n");
	return -EOPNOTSUPP;
}

/*
 * The checks in the kernel's order (net/netlink/genetlink.c), so that both
 * hosts give the same errno: the family, the header, the command, an
 * admin's right, doit/dump, the attributes, then the other rights.
 */
static int check(const struct peer *who, struct nlmsghdr *nlh,
		 struct nlattr **tb, const struct command **out)
{
	const struct command *c;
	struct genlmsghdr *g;
	int err;

	if (nlh->nlmsg_type != PKIKS_TWIN_FAMILY_ID)
		return -ENOENT; /* no such family, as the kernel says */
	if (nlh->nlmsg_len < (uint32_t)nlmsg_size(GENL_HDRLEN))
		return -EINVAL;
	g = nlmsg_data(nlh);
	if (g->reserved)
		return -EINVAL; /* 6.1 validates it for every command */
	if (g->cmd >= __PKIKS_CMD_MAX ||
	    (!commands[g->cmd].doit && !commands[g->cmd].dumpit) ||
	    (twin_opts.proto_v3 && g->cmd == PKIKS_CMD_KEY_DERIVE))
		return -EOPNOTSUPP;
	c = &commands[g->cmd];
	if (c->right == PKIKS_RIGHT_ADMIN && !who->admin)
		return -EPERM; /* the kernel's GENL_ADMIN_PERM */
	if (is_dump(nlh) ? !c->dumpit : !c->doit)
		return -EOPNOTSUPP;
	if (twin_opts.proto_v3 && g->cmd == PKIKS_CMD_TIMER_GET &&
	    !is_dump(nlh))
		return v3_timer_get();
	err = attrs_parse(nlh, c, tb);
	if (!err)
		err = allowed(c->right, who);
	*out = c;
	return err;
}

/* One request message; returns its error (0, -errno) or 1 if answered. */
static int dispatch(int fd, const struct peer *who, struct nlmsghdr *nlh)
{
	struct nlattr *tb[PKIKS_ATTR_MAX + 1];
	struct req r = {.who = who, .fd = fd, .nlh = nlh, .tb = tb};
	const struct command *c = NULL;
	int err;

	err = check(who, nlh, tb, &c);
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
