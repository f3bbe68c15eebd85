// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/pkiks (documented in
 * Documentation/ABI/testing/sysfs-kernel-pkiks):
 *   clock/{authoritative,source,now,since,steps}
 *   timers/<owner>/<KIND>/{deadline,remaining,state}
 *   timers/<owner>/GENERIC:<label>/{deadline,remaining,state,label}
 * One value per file.  Every kobject is created and removed in process
 * context (netlink requests, module init/exit); readers never take the
 * timers mutex, so removal cannot deadlock against a reader.
 */
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>

#include "clock.h"
#include "sysfs.h"
#include "timers.h"

static struct kobject *root_kobj, *clock_kobj, *timers_kobj;

/* One directory per timer owner, removed with its last timer. */
struct pkiks_sysfs_owner {
	struct list_head list;
	struct kobject *kobj;
	unsigned int users;
	char name[PKIKS_NAME_MAX];
};
static LIST_HEAD(owners);
static DEFINE_MUTEX(owners_lock);

/* ---- clock/ ---- */

static const char *const source_names[__PKIKS_CLOCK_MAX] = {
	[PKIKS_CLOCK_NONE] = "none",
	[PKIKS_CLOCK_CALENDAR] = "calendar",
	[PKIKS_CLOCK_NTP] = "ntp",
	[PKIKS_CLOCK_LAB] = "lab",
};

static ssize_t authoritative_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	struct pkiks_clock_state st;

	pkiks_clock_get(&st);
	return sysfs_emit(buf, "%d\n", st.authoritative);
}

static ssize_t source_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct pkiks_clock_state st;

	pkiks_clock_get(&st);
	return sysfs_emit(buf, "%s\n", source_names[st.source]);
}

static ssize_t now_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	struct pkiks_clock_state st;

	pkiks_clock_get(&st);
	return sysfs_emit(buf, "%llu\n", st.now);
}

static ssize_t since_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct pkiks_clock_state st;

	pkiks_clock_get(&st);
	return sysfs_emit(buf, "%llu\n", st.since);
}

static ssize_t steps_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct pkiks_clock_state st;

	pkiks_clock_get(&st);
	return sysfs_emit(buf, "%u\n", st.steps);
}

static struct kobj_attribute clock_attrs[] = {
	__ATTR_RO(authoritative), __ATTR_RO(source), __ATTR_RO(now),
	__ATTR_RO(since),	  __ATTR_RO(steps),
};

static struct attribute *clock_attr_list[] = {
	&clock_attrs[0].attr, &clock_attrs[1].attr, &clock_attrs[2].attr,
	&clock_attrs[3].attr, &clock_attrs[4].attr, NULL,
};

static const struct attribute_group clock_group = {
	.attrs = clock_attr_list,
};

/* ---- timers/<owner>/<KIND>/ ---- */

static const char *const state_names[__PKIKS_TIMER_STATE_MAX] = {
	[PKIKS_TIMER_WAITING] = "waiting",
	[PKIKS_TIMER_ARMED] = "armed",
	[PKIKS_TIMER_EXPIRED] = "expired",
};

static struct pkiks_timer *to_timer(struct kobject *kobj)
{
	return container_of(kobj, struct pkiks_timer, kobj);
}

static ssize_t deadline_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_timer(kobj)->deadline));
}

/* ns from the gate's now (never backwards) to the deadline, 0 if past. */
static ssize_t remaining_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	u64 deadline = READ_ONCE(to_timer(kobj)->deadline);
	struct pkiks_clock_state st;
	u64 now;

	pkiks_clock_peek(&st);
	now = st.now;
	return sysfs_emit(buf, "%llu\n", deadline > now ? deadline - now : 0);
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	u32 state = READ_ONCE(to_timer(kobj)->state);

	return sysfs_emit(buf, "%s\n",
			  state < __PKIKS_TIMER_STATE_MAX ? state_names[state]
							  : "unknown");
}

/* GENERIC timers only; fixed for the timer's life, so no READ_ONCE. */
static ssize_t label_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", to_timer(kobj)->label);
}

static struct kobj_attribute timer_attrs[] = {
	__ATTR_RO(deadline),
	__ATTR_RO(remaining),
	__ATTR_RO(state),
	__ATTR_RO(label),
};

static struct attribute *timer_attrs_attrs[] = {
	&timer_attrs[0].attr,
	&timer_attrs[1].attr,
	&timer_attrs[2].attr,
	&timer_attrs[3].attr,
	NULL,
};

/* label exists for labelled (GENERIC) timers only. */
static umode_t timer_attr_visible(struct kobject *kobj, struct attribute *a,
				  int n)
{
	if (a == &timer_attrs[3].attr && !to_timer(kobj)->label[0])
		return 0;
	return a->mode;
}

static const struct attribute_group timer_attrs_group = {
	.attrs = timer_attrs_attrs,
	.is_visible = timer_attr_visible,
};

static const struct attribute_group *timer_attrs_groups[] = {
	&timer_attrs_group,
	NULL,
};

static void timer_kobj_release(struct kobject *kobj)
{
	kfree(to_timer(kobj));
}

static const struct kobj_type timer_ktype = {
	.release = timer_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = timer_attrs_groups,
};

void pkiks_sysfs_timer_init(struct pkiks_timer *t)
{
	kobject_init(&t->kobj, &timer_ktype);
}

void pkiks_sysfs_timer_put(struct pkiks_timer *t)
{
	kobject_put(&t->kobj);
}

static struct pkiks_sysfs_owner *owner_get(const char *name)
{
	struct pkiks_sysfs_owner *o;

	list_for_each_entry(o, &owners, list)
		if (!strcmp(o->name, name))
			goto found;
	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		return NULL;
	strscpy(o->name, name, sizeof(o->name));
	o->kobj = kobject_create_and_add(name, timers_kobj);
	if (!o->kobj) {
		kfree(o);
		return NULL;
	}
	list_add(&o->list, &owners);
found:
	o->users++;
	return o;
}

static void owner_put(struct pkiks_sysfs_owner *o)
{
	if (--o->users)
		return;
	list_del(&o->list);
	kobject_put(o->kobj);
	kfree(o);
}

int pkiks_sysfs_timer_add(struct pkiks_timer *t)
{
	int err = -ENOMEM;

	mutex_lock(&owners_lock);
	t->dir = owner_get(t->owner);
	if (!t->dir)
		goto out;
	/* The label's alphabet has no '/'; the prefix keeps "." out. */
	if (t->label[0])
		err = kobject_add(&t->kobj, t->dir->kobj, "%s:%s",
				  pkiks_timer_kind_sysfs(t->kind), t->label);
	else
		err = kobject_add(&t->kobj, t->dir->kobj, "%s",
				  pkiks_timer_kind_sysfs(t->kind));
	if (err) {
		owner_put(t->dir);
		t->dir = NULL;
	}
out:
	mutex_unlock(&owners_lock);
	return err;
}

void pkiks_sysfs_timer_del(struct pkiks_timer *t)
{
	struct pkiks_sysfs_owner *dir = t->dir;

	kobject_del(&t->kobj);
	kobject_put(&t->kobj);
	mutex_lock(&owners_lock);
	owner_put(dir);
	mutex_unlock(&owners_lock);
}

/* ---- the root ---- */

int pkiks_sysfs_init(void)
{
	int err = -ENOMEM;

	root_kobj = kobject_create_and_add("pkiks", kernel_kobj);
	if (!root_kobj)
		return -ENOMEM;
	clock_kobj = kobject_create_and_add("clock", root_kobj);
	if (!clock_kobj)
		goto err_root;
	err = sysfs_create_group(clock_kobj, &clock_group);
	if (err)
		goto err_clock;
	timers_kobj = kobject_create_and_add("timers", root_kobj);
	if (!timers_kobj) {
		err = -ENOMEM;
		goto err_group;
	}
	return 0;

err_group:
	sysfs_remove_group(clock_kobj, &clock_group);
err_clock:
	kobject_put(clock_kobj);
err_root:
	kobject_put(root_kobj);
	return err;
}

void pkiks_sysfs_uninit(void)
{
	kobject_put(timers_kobj);
	sysfs_remove_group(clock_kobj, &clock_group);
	kobject_put(clock_kobj);
	kobject_put(root_kobj);
}
