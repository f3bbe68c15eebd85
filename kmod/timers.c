// SPDX-License-Identifier: GPL-2.0
/*
 * PKI timers.  A timer is WAITING while time is not authoritative (stored,
 * no hrtimer), ARMED with an absolute CLOCK_REALTIME hrtimer while it is,
 * and EXPIRED once its deadline passed on the authoritative clock; an
 * expired timer stays listed until re-armed or cancelled, so a daemon that
 * was not listening finds it.  The hrtimer callback only queues the work
 * item; the work checks the clock (a step may have fired the hrtimer
 * early, and then revokes authority instead), marks the timer and sends
 * the event, all in process context.
 *
 * Locking: timers_lock (a mutex) guards the list and the state changes;
 * sysfs reads deadline and state with READ_ONCE and never takes it, so a
 * kobject can be deleted while the mutex is held elsewhere.
 */
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "clock.h"
#include "compat.h"
#include "netlink.h"
#include "sysfs.h"
#include "timers.h"

static DEFINE_MUTEX(timers_lock);
static LIST_HEAD(timers_list);
static unsigned int timers_count;
static bool timers_stopping;

#define KIND_SYSFS(suffix, ios) [PKIKS_TIMER_##suffix] = #suffix,
static const char *const kind_sysfs[__PKIKS_TIMER_KIND_MAX] = {
	PKIKS_TIMER_KINDS(KIND_SYSFS)
};
#undef KIND_SYSFS

const char *pkiks_timer_kind_sysfs(u32 kind)
{
	return kind < __PKIKS_TIMER_KIND_MAX && kind_sysfs[kind]
		       ? kind_sysfs[kind]
		       : NULL;
}

/* 1..PKIKS_LABEL_MAX-1 bytes of PKIKS_LABEL_CHAR_OK (uapi/pkiks.h). */
bool pkiks_timer_label_valid(const char *label)
{
	size_t len = strnlen(label, PKIKS_LABEL_MAX), i;

	if (len == 0 || len >= PKIKS_LABEL_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!PKIKS_LABEL_CHAR_OK(label[i]))
			return false;
	return true;
}

/* A GENERIC timer has a valid label, the other kinds none. */
static bool timer_label_ok(u32 kind, const char *label)
{
	return kind == PKIKS_TIMER_GENERIC ? pkiks_timer_label_valid(label)
					   : !label[0];
}

static void timer_info(const struct pkiks_timer *t,
		       struct pkiks_timer_info *out)
{
	strscpy(out->owner, t->owner, sizeof(out->owner));
	strscpy(out->label, t->label, sizeof(out->label));
	out->kind = t->kind;
	out->deadline = t->deadline;
	out->state = t->state;
	out->uid = t->uid;
}

static struct pkiks_timer *timer_find_locked(const char *owner, u32 kind,
					     const char *label)
{
	struct pkiks_timer *t;

	list_for_each_entry(t, &timers_list, list)
		if (t->kind == kind && !strcmp(t->owner, owner) &&
		    !strcmp(t->label, label))
			return t;
	return NULL;
}

/* Under timers_lock: ARMED (hrtimer running) or WAITING, per authority. */
static void timer_start_locked(struct pkiks_timer *t, bool authoritative)
{
	hrtimer_cancel(
		&t->hr); /* the callback only queues work: never waits long */
	if (authoritative && !timers_stopping) {
		WRITE_ONCE(t->state, PKIKS_TIMER_ARMED);
		hrtimer_start(&t->hr, ns_to_ktime(t->deadline),
			      HRTIMER_MODE_ABS);
	} else {
		WRITE_ONCE(t->state, PKIKS_TIMER_WAITING);
	}
}

static enum hrtimer_restart timer_hr_fn(struct hrtimer *hr)
{
	struct pkiks_timer *t = container_of(hr, struct pkiks_timer, hr);

	queue_work(system_wq, &t->work);
	return HRTIMER_NORESTART;
}

static void timer_work_fn(struct work_struct *work)
{
	struct pkiks_timer *t = container_of(work, struct pkiks_timer, work);
	struct pkiks_timer_info info;
	bool fired = false;
	u64 now;

	/* Outside timers_lock: a detected step calls pkiks_timers_resync(). */
	if (pkiks_clock_now(&now))
		return; /* not authoritative: the timer now waits */
	mutex_lock(&timers_lock);
	if (t->dead || timers_stopping || t->state != PKIKS_TIMER_ARMED)
		goto unlock;
	if (t->deadline > now) { /* early: the clock moved back a little */
		hrtimer_start(&t->hr, ns_to_ktime(t->deadline),
			      HRTIMER_MODE_ABS);
		goto unlock;
	}
	WRITE_ONCE(t->state, PKIKS_TIMER_EXPIRED);
	timer_info(t, &info);
	fired = true;
unlock:
	mutex_unlock(&timers_lock);
	if (fired)
		pkiks_nl_event_timer(&info);
}

static struct pkiks_timer *timer_new(const char *owner, u32 kind,
				     const char *label, u32 uid)
{
	struct pkiks_timer *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	INIT_LIST_HEAD(&t->list);
	pkiks_sysfs_timer_init(t);
	pkiks_hrtimer_setup(&t->hr, timer_hr_fn, CLOCK_REALTIME,
			    HRTIMER_MODE_ABS);
	INIT_WORK(&t->work, timer_work_fn);
	strscpy(t->owner, owner, sizeof(t->owner));
	strscpy(t->label, label, sizeof(t->label));
	t->kind = kind;
	t->uid = uid;
	return t;
}

/* Stop everything that could still touch t, then drop it (and its sysfs). */
static void timer_destroy(struct pkiks_timer *t)
{
	hrtimer_cancel(&t->hr);
	cancel_work_sync(&t->work);
	pkiks_sysfs_timer_del(t);
}

static int timer_add_locked(const char *owner, u32 kind, const char *label,
			    u32 uid, struct pkiks_timer **out)
{
	struct pkiks_timer *t;
	int err;

	if (timers_count >= PKIKS_TIMERS_MAX)
		return -EDQUOT;
	t = timer_new(owner, kind, label, uid);
	if (!t)
		return -ENOMEM;
	err = pkiks_sysfs_timer_add(t);
	if (err) {
		pkiks_sysfs_timer_put(t);
		return err;
	}
	list_add_tail(&t->list, &timers_list);
	timers_count++;
	*out = t;
	return 0;
}

int pkiks_timer_arm(const char *owner, u32 kind, const char *label,
		    u64 deadline, u32 uid, bool admin,
		    struct pkiks_timer_info *out)
{
	struct pkiks_clock_state clk;
	struct pkiks_timer *t;
	int err = 0;

	/* Deadlines 1..KTIME_MAX, as pkiksd (pkiks_timer_deadline_valid). */
	if (!pkiks_timer_kind_sysfs(kind) || !timer_label_ok(kind, label) ||
	    !deadline || deadline > (u64)KTIME_MAX)
		return -EINVAL;
	pkiks_clock_get(&clk); /* before the lock: it may resync timers */
	mutex_lock(&timers_lock);
	if (timers_stopping) {
		err = -ESHUTDOWN;
		goto unlock;
	}
	t = timer_find_locked(owner, kind, label);
	if (t && t->uid != uid && !admin) {
		err = -EPERM;
		goto unlock;
	}
	if (!t)
		err = timer_add_locked(owner, kind, label, uid, &t);
	if (err)
		goto unlock;
	WRITE_ONCE(t->deadline, deadline);
	timer_start_locked(t, clk.authoritative);
	timer_info(t, out);
unlock:
	mutex_unlock(&timers_lock);
	return err;
}

int pkiks_timer_cancel(const char *owner, u32 kind, const char *label,
		       u32 uid, bool admin)
{
	struct pkiks_timer *t;
	int err = 0;

	if (!timer_label_ok(kind, label))
		return -EINVAL;
	mutex_lock(&timers_lock);
	t = timer_find_locked(owner, kind, label);
	if (timers_stopping)
		err = -ESHUTDOWN;
	else if (!t)
		err = -ENOENT;
	else if (t->uid != uid && !admin)
		err = -EPERM;
	if (!err) {
		list_del(&t->list);
		timers_count--;
		t->dead = true;
	}
	mutex_unlock(&timers_lock);
	if (!err)
		timer_destroy(t);
	return err;
}

int pkiks_timer_get(const char *owner, u32 kind, const char *label,
		    struct pkiks_timer_info *out)
{
	struct pkiks_timer *t;
	int err = -ENOENT;

	if (!timer_label_ok(kind, label))
		return -EINVAL;
	mutex_lock(&timers_lock);
	t = timer_find_locked(owner, kind, label);
	if (t) {
		timer_info(t, out);
		err = 0;
	}
	mutex_unlock(&timers_lock);
	return err;
}

int pkiks_timer_nth(unsigned long idx, struct pkiks_timer_info *out)
{
	struct pkiks_timer *t;
	int err = -ENOENT;

	mutex_lock(&timers_lock);
	list_for_each_entry(t, &timers_list, list) {
		if (idx--)
			continue;
		timer_info(t, out);
		err = 0;
		break;
	}
	mutex_unlock(&timers_lock);
	return err;
}

void pkiks_timers_resync(void)
{
	struct pkiks_clock_state clk;
	struct pkiks_timer *t;

	pkiks_clock_peek(&clk);
	mutex_lock(&timers_lock);
	list_for_each_entry(t, &timers_list, list) {
		if (clk.authoritative && t->state == PKIKS_TIMER_WAITING)
			timer_start_locked(t, true);
		else if (!clk.authoritative && t->state == PKIKS_TIMER_ARMED)
			timer_start_locked(t, false);
	}
	mutex_unlock(&timers_lock);
}

int pkiks_timers_init(void)
{
	return 0;
}

/* No timer fires, re-arms or sends an event after this returns. */
void pkiks_timers_quiesce(void)
{
	struct pkiks_timer *t;

	mutex_lock(&timers_lock);
	timers_stopping = true;
	mutex_unlock(&timers_lock);
	/* The list no longer changes: arm and cancel refuse while stopping. */
	list_for_each_entry(t, &timers_list, list) {
		cancel_work_sync(&t->work);
		hrtimer_cancel(&t->hr);
		cancel_work_sync(&t->work);
	}
}

void pkiks_timers_uninit(void)
{
	struct pkiks_timer *t, *tmp;
	LIST_HEAD(doomed);

	/* Unlinked under the lock: a clock read may still run a resync. */
	mutex_lock(&timers_lock);
	list_splice_init(&timers_list, &doomed);
	timers_count = 0;
	list_for_each_entry(t, &doomed, list)
		t->dead = true;
	mutex_unlock(&timers_lock);
	list_for_each_entry_safe(t, tmp, &doomed, list) {
		list_del(&t->list);
		timer_destroy(t);
	}
}
