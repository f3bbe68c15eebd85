// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "pkiks": policies, ops and rights generated
 * from the protocol table of uapi/pkiks.h (PKIKS_ATTR_TABLE,
 * PKIKS_CMD_TABLE), one handler per command (nl_do_<CMD>, nl_dump_<CMD>
 * in cmd_*.c).  parallel_ops is set: handlers never run under the genl
 * mutex; each subsystem locks for itself (keys under RCU with references,
 * so signatures from several threads run at once).
 *
 * Rights (uapi/pkiks.h "Permissions"), checked by nl_pre_doit and
 * nl_dump_start before any handler runs:
 *   admin  = netlink_capable(CAP_NET_ADMIN) (socket opener and caller);
 *   member = admin, or in_egroup_p(user_gid) when user_gid != 0;
 *   time setter = CAP_SYS_TIME;
 * the handlers check ownership (the euid that imported the key / armed
 * the timer).
 * Secrets in requests (RSA components, KEK) are wiped before returning,
 * on every path, so they are not even echoed back in an error ack.
 */
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "uapi/pkiks.h"
#include "compat.h"
#include "clock.h"
#include "keys.h"
#include "netlink.h"
#include "nl.h"
#include "timers.h"
#include "wrap.h"

static unsigned int user_gid;
module_param(user_gid, uint, 0444);
MODULE_PARM_DESC(user_gid,
		 "group whose members may use the keystore (0: admins only)");

struct genl_family pkiks_family;
static bool nl_registered;

/*
 * The policies, from PKIKS_ATTR_TABLE: pkiks_attr_policy[] says what each
 * attribute may be in a request; each command's policy (built once at
 * init from PKIKS_CMD_TABLE's attribute set) takes those the command
 * accepts and rejects the rest, so the netlink core answers every
 * malformed request before a handler runs, with the errno the header
 * documents (pkiksd applies the same table with the same errnos).
 */
#define KPOL_U8(a, b) {.type = NLA_U8}
#define KPOL_U32(a, b) {.type = NLA_U32}
#define KPOL_U64(a, b) {.type = NLA_U64}
#define KPOL_U32_RANGE(a, b) NLA_POLICY_RANGE(NLA_U32, a, b)
#define KPOL_U32_MASK(a, b) NLA_POLICY_MASK(NLA_U32, b)
#define KPOL_STRING(a, b) {.type = NLA_NUL_STRING, .len = b}
#define KPOL_BINARY(a, b) NLA_POLICY_RANGE(NLA_BINARY, a, b)
#define KPOL_NESTED(a, b) {.type = NLA_REJECT}
#define KPOL_DIR_REQ(t, a, b) KPOL_##t(a, b)
#define KPOL_DIR_BOTH(t, a, b) KPOL_##t(a, b)
#define KPOL_DIR_REPLY(t, a, b) {.type = NLA_REJECT}
#define KPOL(name, t, a, b, dir) [PKIKS_ATTR_##name] = KPOL_DIR_##dir(t, a, b),

static const struct nla_policy pkiks_attr_policy[PKIKS_ATTR_MAX + 1] = {
	PKIKS_ATTR_TABLE(KPOL)
};

static struct nla_policy pkiks_cmd_policy[__PKIKS_CMD_MAX][PKIKS_ATTR_MAX + 1]
	__ro_after_init;

static void __init build_cmd_policy(int cmd, u64 attrs)
{
	int a;

	attrs |= PKIKS_A(PAD);
	for (a = 1; a <= PKIKS_ATTR_MAX; a++) {
		/* memcpy: struct nla_policy has const members. */
		if (attrs & (1ULL << a))
			memcpy(&pkiks_cmd_policy[cmd][a], &pkiks_attr_policy[a],
			       sizeof(pkiks_attr_policy[a]));
		else
			pkiks_cmd_policy[cmd][a].type = NLA_REJECT;
	}
}

/* ---- who is asking ---- */

void nl_caller_of(const struct sk_buff *skb, struct nl_caller *c)
{
	c->uid = from_kuid_munged(&init_user_ns, current_euid());
	c->admin = netlink_capable(skb, CAP_NET_ADMIN);
	c->member =
		c->admin ||
		(user_gid && in_egroup_p(make_kgid(&init_user_ns, user_gid)));
}

/* Whether @c holds @right; -EPERM (or -EOPNOTSUPP: the lab clock) if not. */
static int nl_right(u8 right, const struct nl_caller *c,
		    const struct sk_buff *skb, struct netlink_ext_ack *extack)
{
	switch (right) {
	case PKIKS_RIGHT_ANYONE:
		return 0;
	case PKIKS_RIGHT_MEMBER:
		if (c->member)
			return 0;
		NL_SET_ERR_MSG(extack,
			       "pkiks: not a member of the keystore group");
		return -EPERM;
	case PKIKS_RIGHT_ADMIN:
		return c->admin ? 0 : -EPERM;
	case PKIKS_RIGHT_TIME_SETTER:
		return netlink_capable(skb, CAP_SYS_TIME) ? 0 : -EPERM;
	case PKIKS_RIGHT_LAB:
		NL_SET_ERR_MSG(extack, "pkiks: the lab clock is pkiksd's only");
		return -EOPNOTSUPP;
	}
	return -EPERM;
}

/*
 * Before every doit, after the policy: the clock step check, then the
 * command's right from PKIKS_CMD_TABLE (ops->internal_flags).  ADMIN is
 * also GENL_ADMIN_PERM, which the core checks before the attributes.
 */
static int nl_pre_doit(const pkiks_genl_ops_t *ops, struct sk_buff *skb,
		       struct genl_info *info)
{
	struct nl_caller c;

	pkiks_clock_check();
	nl_caller_of(skb, &c);
	return nl_right(ops->internal_flags, &c, skb, info->extack);
}

/* The same for dumps (no pre_doit there), before the first round. */
static int nl_dump_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct nl_caller c;

	pkiks_clock_check();
	nl_caller_of(cb->skb, &c);
	return nl_right(di->op.internal_flags, &c, cb->skb, cb->extack);
}

/* The owner a new key or timer gets: the caller, or OWNER_UID (admin). */
int nl_owner_for(struct genl_info *info, const struct nl_caller *c, u32 *uid)
{
	*uid = c->uid;
	if (!info->attrs[PKIKS_ATTR_OWNER_UID])
		return 0;
	if (!c->admin)
		return -EPERM;
	*uid = nla_get_u32(info->attrs[PKIKS_ATTR_OWNER_UID]);
	return 0;
}

const char *nl_name_attr(struct genl_info *info, int type, bool allow_hash)
{
	const char *name;

	if (GENL_REQ_ATTR_CHECK(info, type))
		return NULL;
	name = nla_data(info->attrs[type]);
	if (!pkiks_name_valid(name, allow_hash)) {
		GENL_SET_ERR_MSG(info, "pkiks: invalid name");
		return NULL;
	}
	return name;
}

/* A key the caller may use: exists, and is the caller's (or admin). */
int nl_key_for(struct genl_info *info, const struct nl_caller *c,
	       struct pkiks_key **out)
{
	const char *name = nl_name_attr(info, PKIKS_ATTR_KEY_NAME, true);
	struct pkiks_key *key;

	if (!name)
		return -EINVAL;
	key = pkiks_key_lookup(name);
	if (!key)
		return -ENOENT;
	if (key->uid != c->uid && !c->admin) {
		pkiks_key_put(key);
		return -EPERM;
	}
	*out = key;
	return 0;
}

/* ---- replies ---- */

struct sk_buff *nl_reply_new(struct genl_info *info, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put_reply(skb, info, &pkiks_family, 0,
				 info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

int nl_reply_send(struct sk_buff *skb, void *hdr, struct genl_info *info)
{
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

int nl_put_key(struct sk_buff *skb, const struct pkiks_key *key)
{
	struct nlattr *nest = nla_nest_start(skb, PKIKS_ATTR_KEY);

	if (!nest || nla_put_string(skb, PKIKS_ATTR_KEY_NAME, key->name) ||
	    nla_put_u32(skb, PKIKS_ATTR_KEY_BITS, pkiks_key_bits(key)) ||
	    nla_put_u32(skb, PKIKS_ATTR_KEY_USAGE, key->usage) ||
	    nla_put_u32(skb, PKIKS_ATTR_OWNER_UID, key->uid) ||
	    nla_put(skb, PKIKS_ATTR_KEY_PUBKEY, key->spki_len, key->spki) ||
	    nla_put_u32(skb, PKIKS_ATTR_KEY_TYPE, key->type))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

int nl_put_timer(struct sk_buff *skb, const struct pkiks_timer_info *t)
{
	struct nlattr *nest = nla_nest_start(skb, PKIKS_ATTR_TIMER);

	if (!nest || nla_put_string(skb, PKIKS_ATTR_TIMER_OWNER, t->owner) ||
	    nla_put_u32(skb, PKIKS_ATTR_TIMER_KIND, t->kind) ||
	    nla_put_u64_64bit(skb, PKIKS_ATTR_TIMER_DEADLINE, t->deadline,
			      PKIKS_ATTR_PAD) ||
	    nla_put_u32(skb, PKIKS_ATTR_TIMER_STATE, t->state) ||
	    nla_put_u32(skb, PKIKS_ATTR_OWNER_UID, t->uid) ||
	    (t->label[0] &&
	     nla_put_string(skb, PKIKS_ATTR_TIMER_LABEL, t->label)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

int nl_put_clock(struct sk_buff *skb, const struct pkiks_clock_state *st)
{
	if (nla_put_u8(skb, PKIKS_ATTR_CLOCK_AUTHORITATIVE,
		       st->authoritative) ||
	    nla_put_u32(skb, PKIKS_ATTR_CLOCK_SOURCE, st->source) ||
	    nla_put_u64_64bit(skb, PKIKS_ATTR_CLOCK_NOW, st->now,
			      PKIKS_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, PKIKS_ATTR_CLOCK_SINCE, st->since,
			      PKIKS_ATTR_PAD) ||
	    nla_put_u32(skb, PKIKS_ATTR_CLOCK_STEPS, st->steps) ||
	    nla_put_u64_64bit(skb, PKIKS_ATTR_CLOCK_REALTIME, st->realtime,
			      PKIKS_ATTR_PAD))
		return -EMSGSIZE;
	return 0;
}

/* A reply carrying one binary attribute (signature, plaintext, blob). */
int nl_reply_binary(struct genl_info *info, int type, const void *data,
		    size_t len)
{
	struct sk_buff *skb;
	void *hdr;

	skb = nl_reply_new(info, &hdr);
	if (!skb)
		return -ENOMEM;
	if (nla_put(skb, type, len, data)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	return nl_reply_send(skb, hdr, info);
}

/* ---- events ---- */

static struct sk_buff *event_new(u32 event, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &pkiks_family, 0, PKIKS_CMD_EVENT);
	if (!*hdr || nla_put_u32(skb, PKIKS_ATTR_EVENT, event)) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void event_send(struct sk_buff *skb, void *hdr, int err)
{
	if (err) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	/* -ESRCH (nobody listening) is normal: listers find the state later. */
	genlmsg_multicast(&pkiks_family, skb, 0, 0, GFP_KERNEL);
}

void pkiks_nl_event_timer(const struct pkiks_timer_info *t)
{
	struct sk_buff *skb;
	void *hdr;

	if (!READ_ONCE(nl_registered))
		return;
	skb = event_new(PKIKS_EVENT_TIMER_EXPIRED, &hdr);
	if (skb)
		event_send(skb, hdr, nl_put_timer(skb, t));
}

void pkiks_nl_event_clock(u32 event, const struct pkiks_clock_state *st)
{
	struct sk_buff *skb;
	void *hdr;

	if (!READ_ONCE(nl_registered))
		return;
	skb = event_new(event, &hdr);
	if (skb)
		event_send(skb, hdr, nl_put_clock(skb, st));
}

void pkiks_nl_event_key(const char *name)
{
	struct sk_buff *skb;
	void *hdr;

	if (!READ_ONCE(nl_registered))
		return;
	skb = event_new(PKIKS_EVENT_KEY_CHANGED, &hdr);
	if (skb)
		event_send(skb, hdr,
			   nla_put_string(skb, PKIKS_ATTR_KEY_NAME, name));
}

/* ---- the family ---- */

/* The ops, from PKIKS_CMD_TABLE: handler names follow the command's. */
static int nl_not_served(struct sk_buff *skb, struct genl_info *info)
{
	return -EOPNOTSUPP; /* events come from the multicast group */
}

#define KOP_DO(name) .doit = nl_do_##name,
#define KOP_DUMP(name) .dumpit = nl_dump_##name, .start = nl_dump_start,
#define KOP_DO_DUMP(name) KOP_DO(name) KOP_DUMP(name)
#define KOP_SUB(name) .doit = nl_not_served,
#define KOP_FLAGS_ADMIN GENL_ADMIN_PERM
#define KOP_FLAGS_ANYONE 0
#define KOP_FLAGS_MEMBER 0
#define KOP_FLAGS_TIME_SETTER 0
#define KOP_FLAGS_LAB 0
#define KOP(name, right, mode, attrs)                                     \
	{                                                                 \
		.cmd = PKIKS_CMD_##name,                                  \
		KOP_##mode(name)                                          \
		.policy = pkiks_cmd_policy[PKIKS_CMD_##name],             \
		.maxattr = PKIKS_ATTR_MAX,                                \
		.internal_flags = PKIKS_RIGHT_##right,                    \
		.flags = KOP_FLAGS_##right,                               \
	},

static const struct genl_ops pkiks_ops[] = {PKIKS_CMD_TABLE(KOP)};

static const struct genl_multicast_group pkiks_mcgrps[] = {
	{.name = PKIKS_MCGRP_EVENTS},
};

struct genl_family pkiks_family __ro_after_init = {
	.name = PKIKS_GENL_NAME,
	.version = PKIKS_GENL_VERSION,
	.parallel_ops = true,
	.pre_doit = nl_pre_doit,
	.module = THIS_MODULE,
	.ops = pkiks_ops,
	.n_ops = ARRAY_SIZE(pkiks_ops),
	.mcgrps = pkiks_mcgrps,
	.n_mcgrps = ARRAY_SIZE(pkiks_mcgrps),
};

#define KPOL_CMD(name, right, mode, attrs) \
	build_cmd_policy(PKIKS_CMD_##name, attrs);

int __init pkiks_netlink_init(void)
{
	int err;

	BUILD_BUG_ON(PKIKS_ATTR_MAX >= 64); /* attribute sets are u64 */
	PKIKS_CMD_TABLE(KPOL_CMD)
	err = genl_register_family(&pkiks_family);

	if (!err)
		WRITE_ONCE(nl_registered, true);
	return err;
}

void pkiks_netlink_uninit(void)
{
	WRITE_ONCE(nl_registered, false);
	genl_unregister_family(&pkiks_family);
}
