// SPDX-License-Identifier: MIT
/*
 * pkiksd's time commands: clock get/set, the lab clock, timers.  Every
 * change goes through twin_time_changed() (clock) or twin_timer_changed()
 * (one timer), which send events, fire what is due and rewrite the status
 * tree (what changed of it); then, with twin_lock released,
 * timers_sync() puts the change on disk before the reply (timers.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <netlink/genl/genl.h>

#include "pkiksd.h"

static int reply_clock(struct req *r)
{
	int err = proto_reply_new(r);

	return err ? err : put_clock(r->reply);
}

int cmd_do_CLOCK_GET(struct req *r)
{
	int err;

	pthread_mutex_lock(&twin_lock);
	if (clock_check())
		twin_time_changed(1);
	err = reply_clock(r);
	pthread_mutex_unlock(&twin_lock);
	return err;
}

int cmd_do_CLOCK_SET(struct req *r)
{
	struct nlattr *a = r->tb[PKIKS_ATTR_CLOCK_SOURCE];
	uint64_t gen;
	int err, changed;

	if (!a)
		return -EINVAL;
	pthread_mutex_lock(&twin_lock);
	clock_check();
	err = clock_set(nla_get_u32(a), &changed);
	if (!err)
		twin_time_changed(changed);
	gen = timers_generation();
	pthread_mutex_unlock(&twin_lock);
	return err ? err : timers_sync(gen);
}

/* Set or advance; every timer the lab clock passes fires before the reply. */
int cmd_do_CLOCK_LAB(struct req *r)
{
	struct nlattr *set = r->tb[PKIKS_ATTR_CLOCK_LAB_SET];
	struct nlattr *adv = r->tb[PKIKS_ATTR_CLOCK_LAB_ADVANCE];
	uint64_t gen;
	int err, was;

	if (!set == !adv)
		return -EINVAL; /* exactly one of them */
	pthread_mutex_lock(&twin_lock);
	was = clock_authoritative();
	err = set ? clock_lab_set(nla_get_u64(set))
		  : clock_lab_advance(nla_get_u64(adv));
	if (!err) {
		twin_time_changed(!was);
		err = reply_clock(r);
	}
	gen = timers_generation();
	pthread_mutex_unlock(&twin_lock);
	return err ? err : timers_sync(gen);
}

/* Owner, kind and label ("" when absent; timers.c checks which kinds
 * need one). */
static int timer_id(struct req *r, const char **owner,
		    enum pkiks_timer_kind *kind, const char **label)
{
	if (!r->tb[PKIKS_ATTR_TIMER_OWNER] || !r->tb[PKIKS_ATTR_TIMER_KIND])
		return -EINVAL;
	*owner = nla_get_string(r->tb[PKIKS_ATTR_TIMER_OWNER]);
	*label = r->tb[PKIKS_ATTR_TIMER_LABEL]
			 ? nla_get_string(r->tb[PKIKS_ATTR_TIMER_LABEL])
			 : "";
	*kind = nla_get_u32(r->tb[PKIKS_ATTR_TIMER_KIND]);
	return 0;
}

int cmd_do_TIMER_ARM(struct req *r)
{
	struct nlattr *dl = r->tb[PKIKS_ATTR_TIMER_DEADLINE];
	enum pkiks_timer_kind kind;
	const char *owner, *label;
	struct twin_timer t;
	uint32_t uid = r->who->uid;
	uint64_t gen;
	int err;

	err = timer_id(r, &owner, &kind, &label);
	if (err || !dl)
		return -EINVAL;
	if (r->tb[PKIKS_ATTR_OWNER_UID]) {
		if (!r->who->admin)
			return -EPERM;
		uid = nla_get_u32(r->tb[PKIKS_ATTR_OWNER_UID]);
	}
	pthread_mutex_lock(&twin_lock);
	if (clock_check())
		twin_time_changed(1);
	err = timers_arm(owner, kind, label, nla_get_u64(dl), uid, r->who,
			 &t);
	if (!err) {
		err = proto_reply_new(r);
		if (!err)
			err = put_timer_info(r->reply, &t);
		/* A deadline already passed fires now, after the reply is
		 * built. */
		twin_timer_changed(owner, kind, label);
	}
	gen = timers_generation();
	pthread_mutex_unlock(&twin_lock);
	/* Acknowledged means on disk (timers.c). */
	return err ? err : timers_sync(gen);
}

int cmd_do_TIMER_CANCEL(struct req *r)
{
	enum pkiks_timer_kind kind;
	const char *owner, *label;
	uint64_t gen;
	int err;

	err = timer_id(r, &owner, &kind, &label);
	if (err)
		return err;
	pthread_mutex_lock(&twin_lock);
	err = timers_cancel(owner, kind, label, r->who);
	if (!err)
		twin_timer_changed(owner, kind, label);
	gen = timers_generation();
	pthread_mutex_unlock(&twin_lock);
	return err ? err : timers_sync(gen);
}

/* One timer by its name (v4): due timers fire first, as for the list. */
int cmd_do_TIMER_GET(struct req *r)
{
	enum pkiks_timer_kind kind;
	const char *owner, *label;
	struct twin_timer t;
	int err;

	err = timer_id(r, &owner, &kind, &label);
	if (err)
		return err;
	pthread_mutex_lock(&twin_lock);
	if (clock_check())
		twin_time_changed(1);
	timers_fire_due();
	err = timers_get(owner, kind, label, &t);
	pthread_mutex_unlock(&twin_lock);
	if (!err)
		err = proto_reply_new(r);
	return err ? err : put_timer_info(r->reply, &t);
}

/* Anyone may list (the module's sysfs shows them to all, too). */
int cmd_dump_TIMER_GET(struct req *r)
{
	struct twin_timer *all;
	struct nl_msg *msg;
	size_t n, i;
	int err;

	pthread_mutex_lock(&twin_lock);
	if (clock_check())
		twin_time_changed(1);
	timers_fire_due();
	err = timers_snapshot(&all, &n);
	pthread_mutex_unlock(&twin_lock);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		msg = proto_msg_new(PKIKS_CMD_TIMER_GET, r->nlh->nlmsg_seq,
				    NLM_F_MULTI);
		if (!msg) {
			err = -ENOMEM;
			break;
		}
		err = put_timer_info(msg, &all[i]);
		if (!err)
			err = proto_send(r->fd, msg);
		nlmsg_free(msg);
	}
	free(all);
	return err;
}
