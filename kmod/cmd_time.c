// SPDX-License-Identifier: GPL-2.0
/* Info, clock and timer commands. */
#include <linux/capability.h>

#include "uapi/pkiks.h"
#include "nl.h"

int nl_get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct nl_caller c;
	struct sk_buff *msg;
	void *hdr;

	nl_begin(skb, info, &c, false);
	msg = nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, PKIKS_ATTR_VERSION, PKIKS_GENL_VERSION) ||
	    nla_put_u32(msg, PKIKS_ATTR_FEATURES, PKIKS_FEATURE_KERNEL)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nl_reply_send(msg, hdr, info);
}

int nl_clock_get(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_clock_state st;
	struct nl_caller c;
	struct sk_buff *msg;
	void *hdr;

	nl_begin(skb, info, &c, false);
	pkiks_clock_get(&st);
	msg = nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nl_put_clock(msg, &st)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nl_reply_send(msg, hdr, info);
}

/* calendar-valid (an admin) or an NTP report (pkiks-ntpwatch), or NONE. */
int nl_clock_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nl_caller c;
	u32 source;

	nl_begin(skb, info, &c, false);
	if (!netlink_capable(skb, CAP_SYS_TIME))
		return -EPERM;
	if (GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_CLOCK_SOURCE))
		return -EINVAL;
	source = nla_get_u32(info->attrs[PKIKS_ATTR_CLOCK_SOURCE]);
	if (source == PKIKS_CLOCK_LAB) {
		GENL_SET_ERR_MSG(info, "pkiks: the lab clock is pkiksd's only");
		return -EOPNOTSUPP;
	}
	return pkiks_clock_set(source);
}

int nl_clock_lab(struct sk_buff *skb, struct genl_info *info)
{
	GENL_SET_ERR_MSG(info, "pkiks: the lab clock is pkiksd's only");
	return -EOPNOTSUPP;
}

int nl_timer_arm(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_timer_info t;
	struct nl_caller c;
	struct sk_buff *msg;
	const char *owner;
	void *hdr;
	u32 uid;
	int err;

	err = nl_begin(skb, info, &c, true);
	if (err)
		return err;
	owner = nl_name_attr(info, PKIKS_ATTR_TIMER_OWNER, false);
	if (!owner || GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_TIMER_KIND) ||
	    GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_TIMER_DEADLINE))
		return -EINVAL;
	err = nl_owner_for(info, &c, &uid);
	if (err)
		return err;
	err = pkiks_timer_arm(
		owner, nla_get_u32(info->attrs[PKIKS_ATTR_TIMER_KIND]),
		nla_get_u64(info->attrs[PKIKS_ATTR_TIMER_DEADLINE]), uid,
		c.admin, &t);
	if (err)
		return err;
	msg = nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nl_put_timer(msg, &t)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nl_reply_send(msg, hdr, info);
}

int nl_timer_cancel(struct sk_buff *skb, struct genl_info *info)
{
	struct nl_caller c;
	const char *owner;
	int err;

	err = nl_begin(skb, info, &c, true);
	if (err)
		return err;
	owner = nl_name_attr(info, PKIKS_ATTR_TIMER_OWNER, false);
	if (!owner || GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_TIMER_KIND))
		return -EINVAL;
	return pkiks_timer_cancel(
		owner, nla_get_u32(info->attrs[PKIKS_ATTR_TIMER_KIND]), c.uid,
		c.admin);
}

/* Anyone may list timers (no secrets); cb->args[0] is the next index. */
int nl_timer_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pkiks_timer_info t;
	void *hdr;

	if (!cb->args[0])
		pkiks_clock_check();
	while (!pkiks_timer_nth(cb->args[0], &t)) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &pkiks_family,
				  NLM_F_MULTI, PKIKS_CMD_TIMER_GET);
		if (!hdr)
			break;
		if (nl_put_timer(skb, &t)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0]++;
	}
	return skb->len;
}
