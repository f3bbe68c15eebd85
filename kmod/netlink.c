// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "pkiks": policy, permissions and one handler
 * per command of uapi/pkiks.h.  parallel_ops is set: handlers never run
 * under the genl mutex; each subsystem locks for itself (keys under RCU
 * with references, so signatures from several threads run at once).
 *
 * Permissions (uapi/pkiks.h "Permissions"):
 *   admin  = netlink_capable(CAP_NET_ADMIN) (socket opener and caller);
 *   member = admin, or in_egroup_p(user_gid) when user_gid != 0;
 *   owner  = the euid that imported the key / armed the timer;
 *   CLOCK_SET needs CAP_SYS_TIME.
 * Secrets in requests (RSA components, KEK) are wiped before returning,
 * on every path, so they are not even echoed back in an error ack.
 */
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "uapi/pkiks.h"
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

#define RSA_PART_POLICY NLA_POLICY_RANGE(NLA_BINARY, 1, PKIKS_RSA_MAX_BYTES + 1)

static const struct nla_policy pkiks_policy[PKIKS_ATTR_MAX + 1] = {
	[PKIKS_ATTR_PAD] = NLA_POLICY_EXACT_LEN(0),
	[PKIKS_ATTR_VERSION] = {.type = NLA_REJECT},
	[PKIKS_ATTR_FEATURES] = {.type = NLA_REJECT},
	[PKIKS_ATTR_FLAGS] = NLA_POLICY_MASK(NLA_U32, PKIKS_F_REPLACE),
	[PKIKS_ATTR_OWNER_UID] = {.type = NLA_U32},
	[PKIKS_ATTR_KEY] = {.type = NLA_REJECT},
	[PKIKS_ATTR_KEY_NAME] = {.type = NLA_NUL_STRING,
				 .len = PKIKS_NAME_MAX - 1},
	[PKIKS_ATTR_KEY_USAGE] = NLA_POLICY_MASK(
		NLA_U32, PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT),
	[PKIKS_ATTR_KEY_BITS] = {.type = NLA_REJECT},
	[PKIKS_ATTR_KEY_PUBKEY] = {.type = NLA_REJECT},
	[PKIKS_ATTR_RSA_N] = RSA_PART_POLICY,
	[PKIKS_ATTR_RSA_E] = NLA_POLICY_RANGE(NLA_BINARY, 1, 8),
	[PKIKS_ATTR_RSA_D] = RSA_PART_POLICY,
	[PKIKS_ATTR_RSA_P] = RSA_PART_POLICY,
	[PKIKS_ATTR_RSA_Q] = RSA_PART_POLICY,
	[PKIKS_ATTR_RSA_DP] = RSA_PART_POLICY,
	[PKIKS_ATTR_RSA_DQ] = RSA_PART_POLICY,
	[PKIKS_ATTR_RSA_QINV] = RSA_PART_POLICY,
	[PKIKS_ATTR_HASH] = NLA_POLICY_RANGE(NLA_U32, PKIKS_HASH_SHA1,
					     __PKIKS_HASH_MAX - 1),
	[PKIKS_ATTR_DIGEST] =
		NLA_POLICY_RANGE(NLA_BINARY, 20, PKIKS_DIGEST_MAX),
	[PKIKS_ATTR_SIGNATURE] = {.type = NLA_REJECT},
	[PKIKS_ATTR_DATA] =
		NLA_POLICY_RANGE(NLA_BINARY, 1, PKIKS_RSA_MAX_BYTES),
	[PKIKS_ATTR_WRAPPED] = NLA_POLICY_RANGE(
		NLA_BINARY, PKIKS_WRAP_HDR_LEN + PKIKS_WRAP_TAG_LEN + 1,
		PKIKS_WRAPPED_MAX),
	[PKIKS_ATTR_KEK] = NLA_POLICY_EXACT_LEN(PKIKS_KEK_LEN),
	[PKIKS_ATTR_CLOCK_AUTHORITATIVE] = {.type = NLA_REJECT},
	[PKIKS_ATTR_CLOCK_SOURCE] =
		NLA_POLICY_MAX(NLA_U32, __PKIKS_CLOCK_MAX - 1),
	[PKIKS_ATTR_CLOCK_NOW] = {.type = NLA_REJECT},
	[PKIKS_ATTR_CLOCK_SINCE] = {.type = NLA_REJECT},
	[PKIKS_ATTR_CLOCK_STEPS] = {.type = NLA_REJECT},
	[PKIKS_ATTR_CLOCK_REALTIME] = {.type = NLA_REJECT},
	[PKIKS_ATTR_CLOCK_LAB_SET] = {.type = NLA_U64},
	[PKIKS_ATTR_CLOCK_LAB_ADVANCE] = {.type = NLA_U64},
	[PKIKS_ATTR_TIMER] = {.type = NLA_REJECT},
	[PKIKS_ATTR_TIMER_OWNER] = {.type = NLA_NUL_STRING,
				    .len = PKIKS_NAME_MAX - 1},
	[PKIKS_ATTR_TIMER_KIND] = NLA_POLICY_RANGE(
		NLA_U32, PKIKS_TIMER_CS_CRL_UPDATE, __PKIKS_TIMER_KIND_MAX - 1),
	[PKIKS_ATTR_TIMER_DEADLINE] = {.type = NLA_U64},
	[PKIKS_ATTR_TIMER_STATE] = {.type = NLA_REJECT},
	[PKIKS_ATTR_EVENT] = {.type = NLA_REJECT},
};

/* ---- who is asking ---- */

void nl_caller_of(const struct sk_buff *skb, struct nl_caller *c)
{
	c->uid = from_kuid_munged(&init_user_ns, current_euid());
	c->admin = netlink_capable(skb, CAP_NET_ADMIN);
	c->member =
		c->admin ||
		(user_gid && in_egroup_p(make_kgid(&init_user_ns, user_gid)));
}

/* The start of every request: the clock step check, then the caller. */
int nl_begin(struct sk_buff *skb, struct genl_info *info, struct nl_caller *c,
	     bool need_member)
{
	pkiks_clock_check();
	nl_caller_of(skb, c);
	if (need_member && !c->member) {
		GENL_SET_ERR_MSG(info,
				 "pkiks: not a member of the keystore group");
		return -EPERM;
	}
	return 0;
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
	    nla_put_u32(skb, PKIKS_ATTR_KEY_BITS, key->rsa.bits) ||
	    nla_put_u32(skb, PKIKS_ATTR_KEY_USAGE, key->usage) ||
	    nla_put_u32(skb, PKIKS_ATTR_OWNER_UID, key->uid) ||
	    nla_put(skb, PKIKS_ATTR_KEY_PUBKEY, key->spki_len, key->spki))
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
	    nla_put_u32(skb, PKIKS_ATTR_OWNER_UID, t->uid))
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

static const struct genl_ops pkiks_ops[] = {
	{.cmd = PKIKS_CMD_GET_INFO, .doit = nl_get_info},
	{.cmd = PKIKS_CMD_KEY_IMPORT, .doit = nl_key_import},
	{.cmd = PKIKS_CMD_KEY_GET, .doit = nl_key_get, .dumpit = nl_key_dump},
	{.cmd = PKIKS_CMD_KEY_DELETE, .doit = nl_key_delete},
	{.cmd = PKIKS_CMD_KEY_PROMOTE, .doit = nl_key_promote},
	{.cmd = PKIKS_CMD_KEY_SIGN, .doit = nl_key_sign},
	{.cmd = PKIKS_CMD_KEY_DECRYPT, .doit = nl_key_decrypt},
	{.cmd = PKIKS_CMD_KEY_WRAP, .doit = nl_key_wrap},
	{.cmd = PKIKS_CMD_KEY_UNWRAP, .doit = nl_key_unwrap},
	{.cmd = PKIKS_CMD_KEK_SET,
	 .doit = nl_kek_set,
	 .flags = GENL_ADMIN_PERM},
	{.cmd = PKIKS_CMD_CLOCK_GET, .doit = nl_clock_get},
	{.cmd = PKIKS_CMD_CLOCK_SET, .doit = nl_clock_set},
	{.cmd = PKIKS_CMD_CLOCK_LAB, .doit = nl_clock_lab},
	{.cmd = PKIKS_CMD_TIMER_ARM, .doit = nl_timer_arm},
	{.cmd = PKIKS_CMD_TIMER_CANCEL, .doit = nl_timer_cancel},
	{.cmd = PKIKS_CMD_TIMER_GET, .dumpit = nl_timer_dump},
};

static const struct genl_multicast_group pkiks_mcgrps[] = {
	{.name = PKIKS_MCGRP_EVENTS},
};

struct genl_family pkiks_family __ro_after_init = {
	.name = PKIKS_GENL_NAME,
	.version = PKIKS_GENL_VERSION,
	.maxattr = PKIKS_ATTR_MAX,
	.policy = pkiks_policy,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = pkiks_ops,
	.n_ops = ARRAY_SIZE(pkiks_ops),
	.mcgrps = pkiks_mcgrps,
	.n_mcgrps = ARRAY_SIZE(pkiks_mcgrps),
};

int pkiks_netlink_init(void)
{
	int err = genl_register_family(&pkiks_family);

	if (!err)
		WRITE_ONCE(nl_registered, true);
	return err;
}

void pkiks_netlink_uninit(void)
{
	WRITE_ONCE(nl_registered, false);
	genl_unregister_family(&pkiks_family);
}
