// SPDX-License-Identifier: GPL-2.0
/* Info, clock and timer commands. */
#include <linux/capability.h>

#include "uapi/pkiks.h"
#include "nl.h"

int nl_do_GET_INFO(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, PKIKS_ATTR_VERSION, PKIKS_GENL_VERSION) ||
	    nla_put_u32(msg, PKIKS_ATTR_FEATURES,
			PKIKS_FEATURE_KERNEL | PKIKS_FEATURE_GENERIC_TIMER |
				PKIKS_FEATURE_EC | PKIKS_FEATURE_TIMER_GET |
				PKIKS_FEATURE_ECDH)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nl_reply_send(msg, hdr, info);
}

int nl_do_CLOCK_GET(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_clock_state st;
	struct sk_buff *msg;
	void *hdr;

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

/*
 * calendar-valid (an admin) or an NTP report (pkiks-ntpwatch), or NONE.
 * nl_pre_doit has checked CAP_SYS_TIME (PKIKS_RIGHT_TIME_SETTER).
 */
int nl_do_CLOCK_SET(struct sk_buff *skb, struct genl_info *info)
{
	u32 source;

	if (GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_CLOCK_SOURCE))
		return -EINVAL;
	source = nla_get_u32(info->attrs[PKIKS_ATTR_CLOCK_SOURCE]);
	if (source == PKIKS_CLOCK_LAB) {
		GENL_SET_ERR_MSG(info, "pkiks: the lab clock is pkiksd's only");
		return -EOPNOTSUPP;
	}
	return pkiks_clock_set(source);
}

/* Never reached: nl_pre_doit answers PKIKS_RIGHT_LAB with EOPNOTSUPP. */
int nl_do_CLOCK_LAB(struct sk_buff *skb, struct genl_info *info)
{
	GENL_SET_ERR_MSG(info, "pkiks: the lab clock is pkiksd's only");
	return -EOPNOTSUPP;
}

/* The label, "" when absent (the timer code says which kinds need one). */
static const char *nl_label(struct genl_info *info)
{
	struct nlattr *a = info->attrs[PKIKS_ATTR_TIMER_LABEL];

	return a ? nla_data(a) : ""; /* NUL-terminated: the policy said so */
}

/* The reply to ARM and GET: the timer as the list shows it. */
static int reply_timer(struct genl_info *info, const struct pkiks_timer_info *t)
{
	struct sk_buff *msg;
	void *hdr;

	msg = nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nl_put_timer(msg, t)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nl_reply_send(msg, hdr, info);
}

int nl_do_TIMER_ARM(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_timer_info t;
	struct nl_caller c;
	const char *owner;
	u32 uid;
	int err;

	nl_caller_of(skb, &c);
	owner = nl_name_attr(info, PKIKS_ATTR_TIMER_OWNER, false);
	if (!owner || GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_TIMER_KIND) ||
	    GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_TIMER_DEADLINE))
		return -EINVAL;
	err = nl_owner_for(info, &c, &uid);
	if (err)
		return err;
	err = pkiks_timer_arm(
		owner, nla_get_u32(info->attrs[PKIKS_ATTR_TIMER_KIND]),
		nl_label(info),
		nla_get_u64(info->attrs[PKIKS_ATTR_TIMER_DEADLINE]), uid,
		c.admin, &t);
	if (err)
		return err;
	return reply_timer(info, &t);
}

int nl_do_TIMER_CANCEL(struct sk_buff *skb, struct genl_info *info)
{
	struct nl_caller c;
	const char *owner;

	nl_caller_of(skb, &c);
	owner = nl_name_attr(info, PKIKS_ATTR_TIMER_OWNER, false);
	if (!owner || GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_TIMER_KIND))
		return -EINVAL;
	return pkiks_timer_cancel(
		owner, nla_get_u32(info->attrs[PKIKS_ATTR_TIMER_KIND]),
		nl_label(info), c.uid, c.admin);
}

/* One timer by its name (v4); anyone, as the list and sysfs show it. */
int nl_do_TIMER_GET(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_timer_info t;
	const char *owner;
	int err;

	owner = nl_name_attr(info, PKIKS_ATTR_TIMER_OWNER, false);
	if (!owner || GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_TIMER_KIND))
		return -EINVAL;
	err = pkiks_timer_get(owner,
			      nla_get_u32(info->attrs[PKIKS_ATTR_TIMER_KIND]),
			      nl_label(info), &t);
	if (err)
		return err;
	return reply_timer(info, &t);
}

/* Anyone may list timers (no secrets); cb->args[0] is the next index. */
int nl_dump_TIMER_GET(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pkiks_timer_info t;
	void *hdr;

	/* nl_dump_start ran the clock step check. */
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
