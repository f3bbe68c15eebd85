// SPDX-License-Identifier: MIT
/*
 * The keystore client API (keystore.h): the time gate, PKI timers and
 * events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ks_internal.h"
#include "ks_nl.h"

/* ------------------------------------------------------------------ */
/* Clock                                                               */

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

void ks_clock_from_attrs(struct nlattr **tb, struct pkiks_clock *c)
{
	memset(c, 0, sizeof(*c));
	if (tb[PKIKS_ATTR_CLOCK_AUTHORITATIVE])
		c->authoritative =
			nla_get_u8(tb[PKIKS_ATTR_CLOCK_AUTHORITATIVE]) != 0;
	if (tb[PKIKS_ATTR_CLOCK_SOURCE])
		c->source = nla_get_u32(tb[PKIKS_ATTR_CLOCK_SOURCE]);
	if (tb[PKIKS_ATTR_CLOCK_STEPS])
		c->steps = nla_get_u32(tb[PKIKS_ATTR_CLOCK_STEPS]);
	c->now_ns = get_u64(tb[PKIKS_ATTR_CLOCK_NOW]);
	c->since_ns = get_u64(tb[PKIKS_ATTR_CLOCK_SINCE]);
	c->realtime_ns = get_u64(tb[PKIKS_ATTR_CLOCK_REALTIME]);
}

static int clock_cb(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	if (!tb[PKIKS_ATTR_CLOCK_AUTHORITATIVE] || !tb[PKIKS_ATTR_CLOCK_NOW] ||
	    !tb[PKIKS_ATTR_CLOCK_SOURCE])
		return -EBADMSG;
	if (arg)
		ks_clock_from_attrs(tb, arg);
	return 0;
}

int pkiks_clock_get(struct pkiks *ks, struct pkiks_clock *clock)
{
	struct nl_msg *msg = ks_msg_new(ks, PKIKS_CMD_CLOCK_GET, 0);
	struct pkiks_clock c = {0};
	int err;

	if (!msg)
		return -ENOMEM;
	c.now_ns = 0;
	err = ks_request_flags(ks, msg, clock_cb, &c, KS_REQ_ONE_REPLY);
	if (!err && !c.now_ns)
		err = -EBADMSG; /* acked without the clock */
	if (!err)
		*clock = c;
	return err;
}

int pkiks_clock_set(struct pkiks *ks, enum pkiks_clock_source source)
{
	struct nl_msg *msg = ks_msg_new(ks, PKIKS_CMD_CLOCK_SET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, PKIKS_ATTR_CLOCK_SOURCE, source)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ks_request(ks, msg, NULL, NULL);
}

static int clock_lab(struct pkiks *ks, int attr, uint64_t ns)
{
	struct nl_msg *msg = ks_msg_new(ks, PKIKS_CMD_CLOCK_LAB, 0);

	if (!msg)
		return -ENOMEM;
	if (ks_put_u64(msg, attr, ns)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ks_request(ks, msg, NULL, NULL);
}

int pkiks_clock_lab_set(struct pkiks *ks, uint64_t now_ns)
{
	return clock_lab(ks, PKIKS_ATTR_CLOCK_LAB_SET, now_ns);
}

int pkiks_clock_lab_advance(struct pkiks *ks, uint64_t delta_ns)
{
	return clock_lab(ks, PKIKS_ATTR_CLOCK_LAB_ADVANCE, delta_ns);
}

int pkiks_now(struct pkiks *ks, int64_t *now_sec)
{
	struct pkiks_clock c;
	int err;

	err = pkiks_clock_get(ks, &c);
	if (err)
		return err;
	if (!c.authoritative)
		return -EAGAIN;
	*now_sec = (int64_t)(c.now_ns / 1000000000ULL);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */

int ks_timer_from_attr(struct nlattr *nest, struct pkiks_timer_info *t)
{
	struct nlattr *tb[PKIKS_ATTR_MAX + 1];
	int err;

	err = ks_parse_nested(nest, tb);
	if (err)
		return err;
	if (!tb[PKIKS_ATTR_TIMER_OWNER] || !tb[PKIKS_ATTR_TIMER_KIND] ||
	    !tb[PKIKS_ATTR_TIMER_DEADLINE] || !tb[PKIKS_ATTR_TIMER_STATE])
		return -EBADMSG;
	memset(t, 0, sizeof(*t));
	nla_strlcpy(t->owner, tb[PKIKS_ATTR_TIMER_OWNER], sizeof(t->owner));
	t->kind = nla_get_u32(tb[PKIKS_ATTR_TIMER_KIND]);
	t->deadline_ns = nla_get_u64(tb[PKIKS_ATTR_TIMER_DEADLINE]);
	t->state = nla_get_u32(tb[PKIKS_ATTR_TIMER_STATE]);
	if (tb[PKIKS_ATTR_OWNER_UID])
		t->owner_uid = nla_get_u32(tb[PKIKS_ATTR_OWNER_UID]);
	/* Shown by pkictl and logged: refused unless printable, bounded. */
	if (tb[PKIKS_ATTR_TIMER_LABEL]) {
		nla_strlcpy(t->label, tb[PKIKS_ATTR_TIMER_LABEL],
			    sizeof(t->label));
		if (!pkiks_timer_label_valid(t->label))
			return -EBADMSG;
	}
	return 0;
}

static int put_timer_id(struct nl_msg *msg, const char *owner,
			enum pkiks_timer_kind kind, const char *label)
{
	if (nla_put_string(msg, PKIKS_ATTR_TIMER_OWNER, owner) ||
	    nla_put_u32(msg, PKIKS_ATTR_TIMER_KIND, kind) ||
	    (label && nla_put_string(msg, PKIKS_ATTR_TIMER_LABEL, label)))
		return -EMSGSIZE;
	return 0;
}

int pkiks_timer_arm(struct pkiks *ks, const char *owner,
		    enum pkiks_timer_kind kind, uint64_t deadline_ns)
{
	return pkiks_timer_arm_label(ks, owner, kind, NULL, deadline_ns);
}

int pkiks_timer_cancel(struct pkiks *ks, const char *owner,
		       enum pkiks_timer_kind kind)
{
	return pkiks_timer_cancel_label(ks, owner, kind, NULL);
}

/* The host checks the label (uapi/pkiks.h); only its size matters here. */
int pkiks_timer_arm_label(struct pkiks *ks, const char *owner,
			  enum pkiks_timer_kind kind, const char *label,
			  uint64_t deadline_ns)
{
	struct nl_msg *msg;

	if (!owner)
		return -EINVAL;
	msg = ks_msg_new(ks, PKIKS_CMD_TIMER_ARM, 0);
	if (!msg)
		return -ENOMEM;
	if (put_timer_id(msg, owner, kind, label) ||
	    ks_put_u64(msg, PKIKS_ATTR_TIMER_DEADLINE, deadline_ns)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ks_request(ks, msg, NULL, NULL);
}

int pkiks_timer_cancel_label(struct pkiks *ks, const char *owner,
			     enum pkiks_timer_kind kind, const char *label)
{
	struct nl_msg *msg;

	if (!owner)
		return -EINVAL;
	msg = ks_msg_new(ks, PKIKS_CMD_TIMER_CANCEL, 0);
	if (!msg)
		return -ENOMEM;
	if (put_timer_id(msg, owner, kind, label)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ks_request(ks, msg, NULL, NULL);
}

static int timer_one_cb(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct pkiks_timer_info *out = arg;

	if (!tb[PKIKS_ATTR_TIMER])
		return -EBADMSG;
	return ks_timer_from_attr(tb[PKIKS_ATTR_TIMER], out);
}

int pkiks_timer_get(struct pkiks *ks, const char *owner,
		    enum pkiks_timer_kind kind, const char *label,
		    struct pkiks_timer_info *out)
{
	struct nl_msg *msg;
	int err;

	if (!owner)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	msg = ks_msg_new(ks, PKIKS_CMD_TIMER_GET, 0);
	if (!msg)
		return -ENOMEM;
	if (put_timer_id(msg, owner, kind, label)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = ks_request(ks, msg, timer_one_cb, out);
	if (!err && !out->owner[0])
		err = -EBADMSG; /* acked without the timer */
	return err;
}

struct timer_list {
	struct pkiks_timer_info *timers;
	size_t count, room;
};

static int timer_list_cb(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct timer_list *l = arg;
	struct pkiks_timer_info *grown;
	int err;

	if (!tb[PKIKS_ATTR_TIMER])
		return -EBADMSG;
	if (l->count == l->room) {
		size_t room = l->room ? 2 * l->room : 16;

		grown = realloc(l->timers, room * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		l->timers = grown;
		l->room = room;
	}
	err = ks_timer_from_attr(tb[PKIKS_ATTR_TIMER], &l->timers[l->count]);
	if (err)
		return err;
	l->count++;
	return 0;
}

int pkiks_timer_list(struct pkiks *ks, struct pkiks_timer_info **timers,
		     size_t *count)
{
	struct timer_list l = {0};
	struct nl_msg *msg;
	int err;

	*timers = NULL;
	*count = 0;
	msg = ks_msg_new(ks, PKIKS_CMD_TIMER_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	err = ks_request(ks, msg, timer_list_cb, &l);
	if (err) {
		free(l.timers);
		return err;
	}
	*timers = l.timers;
	*count = l.count;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */

int pkiks_events_subscribe(struct pkiks *ks)
{
	if (ks->ev_fd >= 0)
		return 0;
	if (!ks->ev_buf) {
		ks->ev_buf = malloc(KS_RECV_BUF);
		if (!ks->ev_buf)
			return -ENOMEM;
	}
	ks->ev_len = ks->ev_off = 0;
	if (ks->transport == PKIKS_TRANSPORT_KERNEL)
		return ks_kernel_events_open(ks);
	return ks_twin_events_open(ks);
}

int pkiks_event_fd(const struct pkiks *ks)
{
	return ks->ev_fd;
}

static int event_parse(struct pkiks *ks, struct nlmsghdr *nlh,
		       struct pkiks_event_msg *ev)
{
	struct nlattr *tb[PKIKS_ATTR_MAX + 1];
	int err;

	err = ks_parse(nlh, tb);
	if (err)
		return err;
	if (!tb[PKIKS_ATTR_EVENT])
		return -EBADMSG;
	memset(ev, 0, sizeof(*ev));
	ev->type = nla_get_u32(tb[PKIKS_ATTR_EVENT]);
	ks_clock_from_attrs(tb, &ev->clock);
	if (tb[PKIKS_ATTR_KEY_NAME])
		nla_strlcpy(ev->key_name, tb[PKIKS_ATTR_KEY_NAME],
			    sizeof(ev->key_name));
	if (tb[PKIKS_ATTR_TIMER])
		return ks_timer_from_attr(tb[PKIKS_ATTR_TIMER], &ev->timer);
	if (ev->type == PKIKS_EVENT_TIMER_EXPIRED)
		return -EBADMSG;
	return 0;
}

/* Next message of the current datagram, reading one if needed. */
static int event_next(struct pkiks *ks, struct nlmsghdr **out)
{
	struct nlmsghdr *nlh;
	ssize_t n;
	int rem;

	for (;;) {
		rem = (int)(ks->ev_len - ks->ev_off);
		nlh = (struct nlmsghdr *)(ks->ev_buf + ks->ev_off);
		if (nlmsg_ok(nlh, rem)) {
			ks->ev_off += NLMSG_ALIGN(nlh->nlmsg_len);
			if (ks->ev_off > ks->ev_len)
				ks->ev_off = ks->ev_len;
			*out = nlh;
			return 0;
		}
		do
			n = recv(ks->ev_fd, ks->ev_buf, KS_RECV_BUF,
				 MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno; /* -EAGAIN: nothing pending */
		if (n == 0)
			return -ECONNRESET;
		ks->ev_len = n;
		ks->ev_off = 0;
	}
}

/*
 * Never blocks: returns -EAGAIN when no event is pending, so callers poll
 * pkiks_event_fd() and then read until -EAGAIN.  Messages that are not
 * events (acks, other families) are skipped.
 */
int pkiks_event_read(struct pkiks *ks, struct pkiks_event_msg *ev)
{
	struct nlmsghdr *nlh = NULL;
	int err;

	if (ks->ev_fd < 0)
		return -ENOTCONN;
	for (;;) {
		err = event_next(ks, &nlh);
		if (err)
			return err;
		if (nlh->nlmsg_type != ks->family ||
		    nlh->nlmsg_len < (uint32_t)nlmsg_size(GENL_HDRLEN) ||
		    ((struct genlmsghdr *)nlmsg_data(nlh))->cmd !=
			    PKIKS_CMD_EVENT)
			continue;
		return event_parse(ks, nlh, ev);
	}
}
